/* The frame reader for playback: O_DIRECT reads of aligned supersets into slab slots.
 *
 * Files written by other tools put frames back to back at any offset; reading the aligned
 * superset and pointing into it keeps O_DIRECT usable for them too.
 */
#include "dio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dio_reader {
	struct dio_engine io;
	struct dio_slab *slab;
	int fd;
	uint32_t unit;
	uint64_t size;
};

/* The unit reads are aligned to: the file's direct-I/O offset alignment, at least a page. */
static uint32_t read_unit(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align > DIO_PAGE)
		return stx.stx_dio_offset_align;
	return DIO_PAGE;
}

int dio_reader_open(const char *path, struct dio_slab *slab, const struct dio_opts *opts,
		    struct dio_reader **ret_reader)
{
	static const struct dio_opts defaults = { .depth = 4 };
	const struct dio_opts *o = opts ? opts : &defaults;
	struct dio_reader *r;
	char why[120] = "";
	struct stat st;
	bool direct = false;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->slab = slab;
	r->fd = -1;
	if (!o->no_direct) {
		r->fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		direct = r->fd >= 0;
		if (r->fd < 0 && errno != EINVAL) {
			ret = -errno;
			goto out_free;
		}
		if (r->fd < 0)
			snprintf(why, sizeof(why), "this filesystem does not support O_DIRECT");
	} else {
		snprintf(why, sizeof(why), "O_DIRECT not used (asked)");
	}
	if (r->fd < 0)
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
	ret = -errno;
	if (r->fd < 0 || fstat(r->fd, &st) < 0)
		goto out_free;
	r->size = st.st_size;
	r->unit = read_unit(r->fd);
	ret = dio_engine_init(&r->io, &(struct dio_engine_cfg){ .fd = r->fd, .write = false,
			.direct = direct, .no_uring = o->no_uring, .depth = o->depth, .slab = slab,
			.why = why });
	if (ret < 0)
		goto out_free;
	*ret_reader = r;
	return 0;

out_free:
	dio_reader_free(r);
	return ret;
}

int dio_reader_submit(struct dio_reader *r, uint64_t offset, uint32_t len, unsigned first,
		      uint64_t tag)
{
	uint64_t start = dio_align_down(offset, r->unit);
	uint64_t end = dio_align_up(offset + len, r->unit);
	char *dst = dio_slab_slot(r->slab, first);
	char *limit = (char *)dio_slab_base(r->slab) + dio_slab_bytes(r->slab);

	if (!dst || !len || end - start > UINT32_MAX || dst + (end - start) > limit)
		return -EINVAL;
	if (offset + len > r->size)
		return -ENODATA; /* the index points past the end: a truncated file */
	return dio_engine_submit(&r->io, dst, end - start, offset + len - start, len, start, tag);
}

int dio_reader_reap(struct dio_reader *r, unsigned min, struct dio_done *out, unsigned max)
{
	return dio_engine_reap(&r->io, min, out, max);
}

uint32_t dio_reader_skew(const struct dio_reader *r, uint64_t offset)
{
	return offset % r->unit;
}

uint32_t dio_reader_unit(const struct dio_reader *r)
{
	return r->unit;
}

uint64_t dio_reader_size(const struct dio_reader *r)
{
	return r->size;
}

unsigned dio_reader_inflight(const struct dio_reader *r)
{
	return r->io.inflight;
}

enum dio_mode dio_reader_mode(const struct dio_reader *r)
{
	return r->io.mode;
}

const char *dio_reader_mode_why(const struct dio_reader *r)
{
	return r->io.why;
}

void dio_reader_free(struct dio_reader *r)
{
	if (!r)
		return;
	dio_engine_exit(&r->io);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
