/* Checks of a MOV's index against its file and against a framemd5 sidecar, for vmov verify:
 * where each sample lies (inside the file, in order, not overlapping, of the format's frame
 * size) and whether each sample's bytes hash to the sidecar's MD5 (FFmpeg's framemd5 format,
 * libavformat/hashenc.c: "stream, dts, pts, duration, size, md5").
 */
#include "mov-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct md5_line {
	uint32_t size;
	char hex[33];
};

/* Lines of stream 0 of a framemd5 file. */
static int read_framemd5(const char *path, struct md5_line **ret, uint64_t *ret_n)
{
	struct md5_line *v = NULL, *nv;
	uint64_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	int ret_code = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		unsigned stream;
		long long dts, pts, dur;
		struct md5_line m;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u, %lld, %lld, %lld, %" SCNu32 ", %32s", &stream, &dts, &pts,
			   &dur, &m.size, m.hex) != 6 ||
		    strlen(m.hex) != 32) {
			ret_code = -EBADMSG;
			break;
		}
		if (stream != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret_code = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = m;
	}
	free(line);
	fclose(f);
	if (ret_code < 0) {
		free(v);
		return ret_code;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int md5_of(int fd, const struct mov_sample *s, uint8_t **buf, size_t *cap, char hex[33])
{
	uint8_t d[16];
	int ret = mov_bytes_md5(fd, (int64_t)s->offset, s->size, buf, cap, d);

	for (unsigned i = 0; ret == 0 && i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return ret;
}

static void keep(struct mov_verify_result *res, const struct mov_sample *s, uint64_t i,
		 const char *why)
{
	if (res->bad < MOV_VERIFY_LIST)
		res->list[res->bad] = (struct mov_verify_sample){
			.sample = i, .offset = s->offset, .size = s->size, .why = why
		};
	res->bad++;
}

uint64_t mov_count_aligned(const struct mov_reader *r, uint64_t align)
{
	const struct mov_sample *s = mov_reader_samples(r);
	uint64_t i, n = 0;

	for (i = 0; i < mov_reader_count(r); i++)
		n += s[i].offset % align == 0;
	return n;
}

int mov_verify_structure(const struct mov_reader *r, struct mov_verify_result *res)
{
	const struct mov_sample *s = mov_reader_samples(r);
	struct mov_info in;
	uint64_t i, want = 0, end = 0;

	*res = (struct mov_verify_result){ 0 };
	mov_reader_info(r, &in);
	if (in.format)
		want = in.frame_size; /* the format's rows, or ffmpeg's padded ones */
	for (i = 0; i < in.samples; i++) {
		if (s[i].offset + s[i].size > in.file_size)
			keep(res, &s[i], i, "extends past the end of the file");
		else if (s[i].offset < end &&
			 !(i && s[i].offset == s[i - 1].offset && s[i].size == s[i - 1].size))
			/* a repeat of the previous sample (vcap --fill-drops) is fine */
			keep(res, &s[i], i, "overlaps the previous sample or is out of order");
		else if (want && s[i].size != want)
			keep(res, &s[i], i, "is not the format's frame size");
		end = s[i].offset + s[i].size;
	}
	return 0;
}

/* Compare sample i with the sidecar's line; a mismatch goes in the list. */
static int check_one(int fd, const struct mov_sample *s, uint64_t i, const struct md5_line *want,
		     uint8_t **buf, size_t *cap, struct mov_verify_result *res)
{
	char hex[33];
	int ret = md5_of(fd, s, buf, cap, hex);

	if (ret < 0) {
		res->failed = MOV_VERIFY_FAILED_FRAME;
		res->failed_frame = i;
		return ret;
	}
	if (want->size == s->size && !strcmp(want->hex, hex))
		return 0;
	if (res->mismatches < MOV_VERIFY_LIST) {
		struct mov_verify_sample *m = &res->list[res->mismatches];

		*m = (struct mov_verify_sample){
			.sample = i, .offset = s->offset, .size = s->size, .want_size = want->size
		};
		memcpy(m->md5, hex, 33);
		memcpy(m->want_md5, want->hex, 33);
	}
	res->mismatches++;
	res->bad++;
	return 0;
}

int mov_verify_md5(const struct mov_reader *r, const char *mov_path, const char *md5_path,
		   struct mov_verify_result *res)
{
	const struct mov_sample *s = mov_reader_samples(r);
	uint64_t i, n = 0, count = mov_reader_count(r);
	struct md5_line *want = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int fd, ret;

	*res = (struct mov_verify_result){ 0 };
	ret = read_framemd5(md5_path, &want, &n);
	if (ret < 0) {
		res->failed = MOV_VERIFY_FAILED_SIDECAR;
		return ret;
	}
	res->sidecar_frames = n;
	fd = open(mov_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		res->failed = MOV_VERIFY_FAILED_OPEN;
		goto out_free;
	}
	if (n != count)
		res->bad++;
	for (i = 0; i < n && i < count && ret >= 0; i++)
		ret = check_one(fd, &s[i], i, &want[i], &buf, &cap, res);
	close(fd);
	if (ret >= 0)
		ret = mov_verify_audio_md5(mov_path, md5_path, res);
out_free:
	free(buf);
	free(want);
	return ret;
}
