#include "framemd5.h"
#include "mov.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <libavformat/version.h>
#include <stdio.h>
#include <unistd.h>

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

int tool_framemd5_write(const char *out_path, const char *mov_path, const uint8_t (*md5)[16],
			uint64_t n, int force)
{
	const struct mov_sample *s;
	struct mov_reader *r;
	struct mov_info in;
	FILE *f;
	int fd, ret;

	ret = mov_reader_open(mov_path, &r);
	if (ret < 0)
		return ret;
	mov_reader_info(r, &in);
	ret = -EINVAL;
	if (mov_reader_count(r) != n)
		goto out_reader;
	fd = open(out_path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
	ret = -errno;
	if (fd < 0)
		goto out_reader;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		goto out_reader;
	}
	header(f, &in);
	s = mov_reader_samples(r);
	for (uint64_t i = 0; i < n; i++) {
		int64_t dur = i + 1 < n ? s[i + 1].pts - s[i].pts : last_duration(&in, s, n);

		fprintf(f, "0, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8" PRIu32 ", ", s[i].pts,
			s[i].pts, dur, s[i].size);
		for (unsigned k = 0; k < 16; k++)
			fprintf(f, "%02x", md5[i][k]);
		fputc('\n', f);
	}
	ret = fflush(f) ? -errno : 0;
	if (fclose(f) && !ret)
		ret = -errno;
out_reader:
	mov_reader_free(r);
	return ret;
}
