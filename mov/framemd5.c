#include "mov.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <libavformat/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct mov_framemd5 {
	struct mov_reader *r;
	struct mov_info in;
	FILE *f;
};

static void header(FILE *f, const struct mov_info *in)
{
	fprintf(f, "#format: frame checksums\n#version: 2\n#hash: MD5\n");
	fprintf(f, "#software: %s\n", LIBAVFORMAT_IDENT);
	fprintf(f, "#tb 0: %u/%u\n#media_type 0: video\n#codec_id 0: %s\n", in->tb_num, in->tb_den,
		in->codec);
	fprintf(f, "#dimensions 0: %ux%u\n#sar 0: %u/%u\n", in->width, in->height,
		in->sar_den ? in->sar_num : 0, in->sar_den ? in->sar_den : 1);
	fprintf(f, "#stream#, dts,        pts, duration,     size, hash\n");
}

/* The last sample lasts what the index says is left of the stream (one nominal frame period
 * as the muxer writes it; the average rate is off when drops left gaps in the timestamps). */
static int64_t last_duration(const struct mov_info *in, const struct mov_sample *s, uint64_t n)
{
	int64_t left;

	if (in->duration > 0 && in->tb_num && n) {
		left = llround(in->duration * in->tb_den / in->tb_num) - (s[n - 1].pts - s[0].pts);
		if (left > 0)
			return left;
	}
	if (!in->rate_num || !in->tb_num)
		return 0;
	return ((int64_t)in->tb_den * in->rate_den + (int64_t)in->tb_num * in->rate_num / 2) /
	       ((int64_t)in->tb_num * in->rate_num);
}

/* The writer on fd, which it owns from here on (closed on failure too). */
static int framemd5_on_fd(int fd, const char *mov_path, struct mov_framemd5 **ret_md5)
{
	struct mov_framemd5 *m = calloc(1, sizeof(*m));
	int ret = -ENOMEM;

	if (!m)
		goto out_close_fd;
	ret = mov_reader_open(mov_path, &m->r, NULL, 0);
	if (ret < 0)
		goto out_free;
	mov_reader_info(m->r, &m->in);
	m->f = fdopen(fd, "w");
	if (!m->f) {
		ret = -errno;
		goto out_reader;
	}
	header(m->f, &m->in);
	*ret_md5 = m;
	return 0;

out_reader:
	mov_reader_free(m->r);
out_free:
	free(m);
out_close_fd:
	close(fd);
	return ret;
}

int mov_framemd5_open(const char *out_path, const char *mov_path, int force,
		       struct mov_framemd5 **ret_md5)
{
	int fd = open(out_path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);

	if (fd < 0)
		return -errno;
	return framemd5_on_fd(fd, mov_path, ret_md5);
}

int mov_framemd5_line(struct mov_framemd5 *m, uint64_t i, const uint8_t md5[16])
{
	const struct mov_sample *s = mov_reader_samples(m->r);
	uint64_t n = mov_reader_count(m->r);
	int64_t dur;

	if (i >= n)
		return -ERANGE;
	dur = i + 1 < n ? s[i + 1].pts - s[i].pts : last_duration(&m->in, s, n);
	fprintf(m->f, "0, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8" PRIu32 ", ", s[i].pts,
		s[i].pts, dur, s[i].size);
	for (unsigned k = 0; k < 16; k++)
		fprintf(m->f, "%02x", md5[k]);
	return fputc('\n', m->f) == EOF ? -EIO : 0;
}

int mov_framemd5_close(struct mov_framemd5 *m)
{
	int ret;

	if (!m)
		return 0;
	ret = fflush(m->f) ? -errno : 0;
	if (fclose(m->f) && !ret)
		ret = -errno;
	mov_reader_free(m->r);
	free(m);
	return ret;
}

/* n must be the file's sample count: checked before anything is written. */
static int check_count(const char *mov_path, uint64_t n)
{
	struct mov_reader *r;
	int ret;

	ret = mov_reader_open(mov_path, &r, NULL, 0);
	if (ret < 0)
		return ret;
	ret = mov_reader_count(r) == n ? 0 : -EINVAL;
	mov_reader_free(r);
	return ret;
}

static int write_lines(struct mov_framemd5 *m, const uint8_t (*md5)[16], uint64_t n)
{
	int ret = 0;

	for (uint64_t i = 0; i < n && ret == 0; i++)
		ret = mov_framemd5_line(m, i, md5[i]);
	if (ret < 0) {
		mov_framemd5_close(m);
		return ret;
	}
	return mov_framemd5_close(m);
}

int mov_framemd5_write(const char *out_path, const char *mov_path, const uint8_t (*md5)[16],
			uint64_t n, int force)
{
	struct mov_framemd5 *m;
	int ret;

	ret = check_count(mov_path, n); /* before creating anything */
	if (ret >= 0)
		ret = mov_framemd5_open(out_path, mov_path, force, &m);
	return ret < 0 ? ret : write_lines(m, md5, n);
}

int mov_framemd5_write_fd(int fd, const char *mov_path, const uint8_t (*md5)[16], uint64_t n)
{
	struct mov_framemd5 *m;
	int ret, own;

	ret = check_count(mov_path, n);
	if (ret < 0)
		return ret;
	/* what was in the file goes (--force kept an old sidecar until now) */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return -errno;
	ret = framemd5_on_fd(own, mov_path, &m);
	return ret < 0 ? ret : write_lines(m, md5, n);
}
