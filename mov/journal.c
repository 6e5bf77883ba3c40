/* The journal: a text sidecar with one line per frame on disk (format in mov.h). Lines are
 * queued in memory and written with one write() per flush, so a killed process leaves whole
 * batches of lines; the reader ignores a last line without its newline. */
#include "mov-internal.h"
#include "dio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct mov_journal {
	int fd;
	char *buf;
	size_t len, cap;
	struct mov_timecode tc;
	bool has_tc;
	uint64_t frames;
	uint64_t chunks;
	uint64_t batch_first; /* the first frame line after the last batch line */
	char id[33]; /* the recording id: 128 random bits in hex */
	char self[MOV_SELF_SIZE]; /* the header lines, for the file's self description */
	int err;     /* sticky */
};

/* enum v4l2_field, by value */
static const char *const v4l2_fields[] = {
	"any", "none", "top", "bottom", "interlaced", "seq-tb", "seq-bt", "alternate",
	"interlaced-tb", "interlaced-bt",
};

int mov_journal_path(const char *mov_path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.vcj", mov_path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool mov_journal_exists(const char *mov_path)
{
	char path[PATH_MAX];

	return mov_journal_path(mov_path, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

static int jprintf(struct mov_journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int jprintf(struct mov_journal *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < j->cap - j->len)
			break;
		char *nb = realloc(j->buf, j->cap * 2 + n);

		if (!nb)
			return -ENOMEM;
		j->buf = nb;
		j->cap = j->cap * 2 + n;
	}
	j->len += n;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int new_id(char hex[33])
{
	uint8_t b[16];
	unsigned i;

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int write_header(struct mov_journal *j, const struct mov_params *p, uint64_t data_start)
{
	enum mov_colour colour = mov_colour_resolve(p->colour, p->format, p->height);

	return jprintf(j,
		       "vcj 1\nformat %s\nsize %ux%u\nrate %u/%u\nfield %s\ncolour %s\n"
		       "sar %u/%u\ntimecode %s\ndata_start %" PRIu64 "\npid %d\nrecording %s\n"
		       "columns frame offset size pts sequence field flags timestamp timecode "
		       "md5 note\n",
		       mov_format_name(p->format), p->width, p->height, p->rate_num, p->rate_den,
		       mov_field_name(p->field), mov_colour_name(colour), p->sar_num, p->sar_den,
		       p->timecode ? p->timecode : "-", data_start, (int)getpid(), j->id) ?:
	       (p->audio.channels ? jprintf(j, "audio %u %u %u %s\n", p->audio.rate,
					    p->audio.channels, p->audio.bits,
					    mov_audio_tracks_name(p->audio.tracks))
				  : 0);
}

int mov_journal_open(const char *path, const struct mov_params *p, uint64_t data_start,
		     bool force, struct mov_journal **ret_journal)
{
	struct mov_journal *j;
	int ret;

	ret = mov_params_check(p, NULL);
	if (ret < 0)
		return ret;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->cap = 4096;
	j->buf = malloc(j->cap);
	if (!j->buf) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (p->timecode &&
	    mov_timecode_parse(p->timecode, p->rate_num, p->rate_den, &j->tc) == 0)
		j->has_tc = true;
	ret = new_id(j->id);
	if (ret < 0)
		goto out_free;
	j->fd = dio_create(path, O_WRONLY | O_APPEND | (force ? O_TRUNC : 0), force);
	if (j->fd < 0) {
		ret = j->fd;
		goto out_free;
	}
	ret = write_header(j, p, data_start);
	if (ret >= 0) /* the header lines, kept for mov_journal_stamp() */
		snprintf(j->self, sizeof(j->self), "%.*s", (int)j->len, j->buf);
	if (ret >= 0)
		ret = mov_journal_flush(j);
	if (ret < 0)
		goto out_close;
	*ret_journal = j;
	return 0;

out_close:
	close(j->fd);
	unlink(path);
out_free:
	free(j->buf);
	free(j);
	return ret;
}

int mov_journal_append(struct mov_journal *j, const struct mov_journal_frame *fr)
{
	char tc[16] = "-", md5[33] = "-";
	const char *field = fr->field < 10 ? v4l2_fields[fr->field] : "-";
	unsigned i;
	int ret;

	if (j->err)
		return j->err;
	if (fr->timecode && *fr->timecode)
		snprintf(tc, sizeof(tc), "%s", fr->timecode);
	else if (j->has_tc)
		mov_timecode_string(&j->tc, fr->pts, tc, sizeof(tc));
	for (i = 0; fr->md5 && i < 16; i++)
		snprintf(md5 + 2 * i, 3, "%02x", fr->md5[i]);
	ret = jprintf(j,
		      "%" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRId64 " %" PRIu32 " %s 0x%08" PRIx32
		      " %" PRIu64 ".%09" PRIu64 " %s %s %s\n",
		      j->frames, fr->offset, fr->size, fr->pts, fr->sequence, field, fr->flags,
		      fr->timestamp_ns / 1000000000u, fr->timestamp_ns % 1000000000u, tc, md5,
		      fr->note && *fr->note ? fr->note : "-");
	if (ret < 0)
		return j->err = ret;
	j->frames++;
	return 0;
}

int mov_journal_append_audio(struct mov_journal *j, const struct mov_journal_chunk *ch)
{
	char md5[33] = "-";
	int ret;

	if (j->err)
		return j->err;
	for (unsigned i = 0; ch->md5 && i < 16; i++)
		snprintf(md5 + 2 * i, 3, "%02x", ch->md5[i]);
	ret = jprintf(j, "chunk %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %s\n", ch->offset,
		      ch->first, ch->samples, md5, ch->note && *ch->note ? ch->note : "-");
	if (ret < 0)
		return j->err = ret;
	j->chunks++;
	return 0;
}

int mov_journal_append_batch(struct mov_journal *j, const struct mov_journal_batch *b)
{
	char drift[32] = "-";
	int ret;

	if (j->err)
		return j->err;
	if (b->drift_known)
		snprintf(drift, sizeof(drift), "%.3f", b->drift_ppm);
	ret = jprintf(
	    j, "batch %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %u %" PRIu64 ".%09" PRIu64 " %s\n",
	    j->batch_first, j->frames - j->batch_first, b->latency_ns / 1000, b->held, b->slots,
	    b->done_ns / 1000000000u, b->done_ns % 1000000000u, drift);
	if (ret < 0)
		return j->err = ret;
	j->batch_first = j->frames;
	return 0;
}

void mov_journal_counts(const struct mov_journal *j, uint64_t *ret_frames, uint64_t *ret_chunks)
{
	*ret_frames = j->frames;
	*ret_chunks = j->chunks;
}

int mov_journal_synced(struct mov_journal *j, uint64_t frames, uint64_t chunks)
{
	int ret;

	if (j->err)
		return j->err;
	if (frames > j->frames || chunks > j->chunks)
		return -EINVAL;
	ret = jprintf(j, "synced %" PRIu64 " %" PRIu64 "\n", frames, chunks);
	if (ret < 0)
		return j->err = ret;
	return mov_journal_flush(j);
}

int mov_journal_fd(const struct mov_journal *j)
{
	return j->fd;
}

int mov_journal_set_timecode(struct mov_journal *j, const char *tc, unsigned rate_num,
			     unsigned rate_den)
{
	int ret;

	if (j->err)
		return j->err;
	if (j->frames)
		return -EBUSY;
	ret = mov_timecode_parse(tc, rate_num, rate_den, &j->tc);
	if (ret < 0)
		return ret;
	j->has_tc = true;
	ret = jprintf(j, "timecode %s\n", tc);
	return ret < 0 ? (j->err = ret) : 0;
}

int mov_journal_set_sidecar(struct mov_journal *j, const char *path)
{
	char cwd[4096];
	int ret;

	if (j->err)
		return j->err;
	if (j->frames)
		return -EBUSY;
	if (strchr(path, '\n'))
		return -EINVAL;
	/* absolute, so that recovery finds it from any directory */
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return -errno;
	ret = jprintf(j, "sidecar %s%s%s\n", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/",
		      path);
	return ret < 0 ? (j->err = ret) : 0;
}

int mov_journal_stamp(const struct mov_journal *j, int fd, uint64_t data_start, uint64_t slot)
{
	char buf[MOV_SELF_SIZE + MOV_STAMP_SIZE] = { 0 };
	char *stamp = buf + MOV_SELF_SIZE;
	int n;
	ssize_t w;

	if (data_start < sizeof(buf) + MOV_STAMP_ROOM)
		return -ERANGE;
	n = snprintf(buf, MOV_SELF_SIZE, MOV_SELF_PREFIX "slot %" PRIu64 "\n%s", slot, j->self);
	if (n < 0 || n >= MOV_SELF_SIZE)
		return -ENAMETOOLONG;
	snprintf(stamp, MOV_STAMP_SIZE, MOV_STAMP_PREFIX "%s\n", j->id);
	w = pwrite(fd, buf, sizeof(buf), data_start - sizeof(buf));
	if (w < 0)
		return -errno;
	return w == sizeof(buf) ? 0 : -EIO;
}

int mov_journal_key(const char *path, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key), cap = 0;
	char *line = NULL;
	ssize_t n;
	int ret = -ENOENT;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	/* the header only: frame lines start with a digit; the last value counts */
	while ((n = getline(&line, &cap, f)) > 0 && !(line[0] >= '0' && line[0] <= '9')) {
		if (line[n - 1] != '\n')
			break;
		line[n - 1] = '\0';
		if (strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		ret = snprintf(buf, len, "%s", line + klen + 1) >= (int)len ? -ENAMETOOLONG : 0;
	}
	free(line);
	fclose(f);
	return ret;
}

/* ---- the recording lock ---- */

struct mov_lock {
	int fd;
};

/* The journal's pid, when that process is a live vcap: a stale journal names a process long
 * gone, or a reused pid (proc(5): /proc/PID/comm). */
static int lock_holder(const char *mov_path)
{
	char jpath[4096], pid[24], proc[48], comm[32] = "";
	FILE *f;
	int n;

	if (mov_journal_path(mov_path, jpath, sizeof(jpath)) < 0 ||
	    mov_journal_key(jpath, "pid", pid, sizeof(pid)) < 0 || sscanf(pid, "%d", &n) != 1 ||
	    n <= 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%d/comm", n);
	f = fopen(proc, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strcmp(comm, "vcap\n") ? 0 : n;
}

int mov_lock_take(const char *mov_path, struct mov_lock **ret_lock, int *holder)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET }; /* l_len 0: all of it */
	struct mov_lock *l;
	int ret;

	if (holder)
		*holder = 0;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	/* F_WRLCK needs a descriptor open for writing; nothing is written through it. Never
	 * through a link: what it names is not the file being recorded or rewritten. */
	l->fd = dio_open_nofollow(mov_path, O_RDWR);
	if (l->fd < 0) {
		ret = l->fd;
		goto out_free;
	}
	if (fcntl(l->fd, F_OFD_SETLK, &fl) < 0) {
		ret = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
		if (ret == -EBUSY && holder)
			*holder = lock_holder(mov_path);
		goto out_close;
	}
	*ret_lock = l;
	return 0;

out_close:
	close(l->fd);
out_free:
	free(l);
	return ret;
}

void mov_lock_free(struct mov_lock *l)
{
	if (!l)
		return;
	close(l->fd); /* closing the last descriptor of the open file releases the lock */
	free(l);
}

int mov_journal_flush(struct mov_journal *j)
{
	int ret;

	if (j->err)
		return j->err;
	ret = write_all(j->fd, j->buf, j->len);
	if (ret < 0)
		return j->err = ret;
	j->len = 0;
	return 0;
}

int mov_journal_close(struct mov_journal *j, uint64_t frames, uint64_t file_size)
{
	int ret;

	ret = jprintf(j, "end frames=%" PRIu64 " size=%" PRIu64 "\n", frames, file_size);
	if (ret >= 0)
		ret = mov_journal_flush(j);
	if (ret >= 0 && fdatasync(j->fd) < 0)
		ret = -errno;
	if (close(j->fd) < 0 && ret >= 0)
		ret = -errno;
	j->fd = -1;
	mov_journal_free(j);
	return ret;
}

void mov_journal_free(struct mov_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j);
}
