/* The frame writer: batches of contiguous slots, each one write at a unit-aligned offset,
 * inside a file kept preallocated ahead of the write pointer.
 *
 * Why preallocate: on ext4 and XFS a direct write past EOF serialises (XFS waits for all
 * in-flight direct I/O). fallocate() keeps EOF ahead so every batch is an in-place write; the
 * file is cut to its true size at finish.
 */
#include "dio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREALLOC_STEP (1ull << 30) /* unbounded captures: grow 1 GiB at a time */

struct dio_writer {
	struct dio_engine io;
	struct dio_slab *slab;
	int fd;       /* O_DIRECT when the filesystem allows it */
	int plain_fd; /* page-cache fd for metadata */
	uint64_t unit;
	uint64_t cursor;    /* next batch offset */
	uint64_t alloc_end; /* preallocated up to here */
	bool prealloc_ok;
};

static uint64_t unit_of(const struct dio_geom *geom)
{
	return geom->align ? geom->align : DIO_PAGE;
}

uint64_t dio_writer_first_offset(const struct dio_geom *geom, uint64_t data_start)
{
	return dio_align_up(data_start, unit_of(geom));
}

static int open_fds(struct dio_writer *w, const char *path, const struct dio_geom *geom,
		    const struct dio_opts *o, char *why, size_t why_len)
{
	char proc[32];

	/* The plain fd creates the file: creating with O_DIRECT on a filesystem without it
	 * (tmpfs) would leave a file behind and fail. Never through a link (dio_create). */
	w->plain_fd = dio_create(path, O_RDWR | (o->force ? O_TRUNC : 0), o->force);
	if (w->plain_fd < 0)
		return w->plain_fd;
	/* The O_DIRECT fd opens the file just created, not whatever the path names by now (a
	 * link put there since): /proc/self/fd/N is the open file itself. */
	w->fd = -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->plain_fd);
	if (!o->no_direct && geom->direct_ok)
		w->fd = open(proc, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (w->fd >= 0)
		return 1;
	if (o->no_direct)
		snprintf(why, why_len, "O_DIRECT not used (asked)");
	else if (!geom->direct_ok)
		snprintf(why, why_len, "this filesystem does not support O_DIRECT");
	else
		snprintf(why, why_len, "O_DIRECT open of %s failed: %s", proc, strerror(errno));
	w->fd = dup(w->plain_fd);
	return w->fd < 0 ? -errno : 0;
}

static int fallocate_to(struct dio_writer *w, uint64_t end)
{
	if (fallocate(w->fd, 0, w->alloc_end, end - w->alloc_end) < 0) {
		int err = -errno;

		/* a failed fallocate may keep what it got (ext4 does), leaving no room for the
		 * index and the capture log: give back everything past what we had, which is the
		 * allocation or, when larger, what is in use (the header and the batches so far) */
		if (err == -ENOSPC &&
		    ftruncate(w->fd, w->alloc_end > w->cursor ? w->alloc_end : w->cursor) < 0)
			err = -errno;
		return err;
	}
	w->alloc_end = end;
	return 0;
}

/* Keep the allocation ahead of need, a step at a time; near a full disk, exactly to need. */
static int prealloc(struct dio_writer *w, uint64_t need)
{
	int ret;

	if (!w->prealloc_ok || need <= w->alloc_end)
		return 0;
	ret = fallocate_to(w, dio_align_up(need + PREALLOC_STEP, w->unit));
	if (ret == -ENOSPC)
		ret = fallocate_to(w, need);
	if (ret == -EOPNOTSUPP) { /* writes will extend EOF: slower, still correct */
		w->prealloc_ok = false;
		ret = 0;
	}
	return ret;
}

int dio_writer_open(const char *path, const struct dio_geom *geom, struct dio_slab *slab,
		    const struct dio_opts *opts, struct dio_writer **ret_writer)
{
	static const struct dio_opts defaults = { .depth = 4 };
	const struct dio_opts *o = opts ? opts : &defaults;
	struct dio_writer *w;
	char why[120] = "";
	int direct, ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = w->plain_fd = -1;
	w->slab = slab;
	w->unit = unit_of(geom);
	ret = -EINVAL; /* whole-unit slots make every batch a whole number of stripes */
	if (dio_slab_slot_size(slab) % w->unit)
		goto out_free;
	ret = direct = open_fds(w, path, geom, o, why, sizeof(why));
	if (ret < 0)
		goto out_free;
	ret = dio_engine_init(&w->io, &(struct dio_engine_cfg){ .fd = w->fd, .write = true,
			.direct = direct, .no_uring = o->no_uring, .depth = o->depth, .slab = slab,
			.why = why });
	if (ret < 0)
		goto out_free;
	w->cursor = dio_writer_first_offset(geom, o->data_start);
	w->prealloc_ok = true;
	if (o->expected_bytes) {
		/* the whole file at once; on ENOSPC the steps find the real limit later */
		ret = fallocate_to(w, dio_align_up(w->cursor + o->expected_bytes, w->unit));
		if (ret == -EOPNOTSUPP)
			w->prealloc_ok = false;
	}
	*ret_writer = w;
	return 0;

out_free:
	if (w->plain_fd >= 0)
		unlink(path); /* we made it (or cut it, with force) and nothing is in it yet */
	dio_writer_free(w);
	return ret;
}

int dio_writer_submit_tail(struct dio_writer *w, unsigned first, unsigned count, void *tail,
			   uint32_t tail_len, uint64_t tag, uint64_t *ret_offset)
{
	size_t slot = dio_slab_slot_size(w->slab);
	uint64_t body = (uint64_t)count * slot, len = body + tail_len;
	uint64_t off = w->cursor;
	int ret;

	if (w->io.err)
		return w->io.err;
	if ((!count && !tail_len) || first + count > dio_slab_nslots(w->slab) ||
	    len > UINT32_MAX || tail_len % w->unit || (tail_len && ((uintptr_t)tail % DIO_PAGE)))
		return -EINVAL;
	ret = prealloc(w, off + len);
	if (ret < 0)
		return w->io.err = ret;
	if (tail_len)
		ret = dio_engine_submit_tail(&w->io, dio_slab_slot(w->slab, first), tail, tail_len,
					     len, off, tag);
	else
		ret = dio_engine_submit(&w->io, dio_slab_slot(w->slab, first), len, len, len, off,
					tag);
	if (ret < 0)
		return w->io.err = ret;
	w->cursor = off + len;
	if (ret_offset)
		*ret_offset = off;
	return 0;
}

int dio_writer_submit(struct dio_writer *w, unsigned first, unsigned count, uint64_t tag,
		      uint64_t *ret_offset)
{
	return dio_writer_submit_tail(w, first, count, NULL, 0, tag, ret_offset);
}

int dio_writer_submit_sync(struct dio_writer *w, int fd, uint64_t tag)
{
	int ret;

	if (w->io.err)
		return w->io.err;
	ret = dio_engine_submit_sync(&w->io, fd >= 0 ? fd : w->fd, tag);
	return ret < 0 ? (w->io.err = ret) : 0;
}

int dio_writer_reap(struct dio_writer *w, unsigned min, struct dio_done *out, unsigned max)
{
	return dio_engine_reap(&w->io, min, out, max);
}

unsigned dio_writer_inflight(const struct dio_writer *w)
{
	return w->io.inflight;
}

bool dio_writer_busy(const struct dio_writer *w)
{
	return dio_engine_full(&w->io);
}

enum dio_mode dio_writer_mode(const struct dio_writer *w)
{
	return w->io.mode;
}

const char *dio_writer_mode_why(const struct dio_writer *w)
{
	return w->io.why;
}

uint64_t dio_writer_end(const struct dio_writer *w)
{
	return w->cursor;
}

int dio_writer_plain_fd(const struct dio_writer *w)
{
	return w->plain_fd;
}

int dio_writer_finish(struct dio_writer *w, uint64_t size)
{
	int ret = dio_engine_drain(&w->io); /* the first error of any batch or submit */

	if (!size)
		size = w->cursor;
	/* Even after an error the file is cut to what was asked, so what is on disk stays
	 * readable and the preallocated tail does not pose as data. */
	if (ftruncate(w->plain_fd, size) < 0 && !ret)
		ret = -errno;
	if (fdatasync(w->fd) < 0 && !ret)
		ret = -errno;
	if (w->fd != w->plain_fd && fdatasync(w->plain_fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

void dio_writer_free(struct dio_writer *w)
{
	if (!w)
		return;
	dio_engine_exit(&w->io);
	if (w->fd >= 0)
		close(w->fd);
	if (w->plain_fd >= 0)
		close(w->plain_fd);
	free(w);
}

int dio_sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) + 2 > sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL) /* EINVAL: a filesystem without directory sync */
		ret = -errno;
	close(fd);
	return ret;
}
