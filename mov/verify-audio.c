/* vmov verify's check of the sound: the framemd5 sidecar's lines of streams 1, 2, ... (what
 * vcap --md5 and "ffmpeg -map 0:v -map 0:a -c copy -f framemd5" list for the audio tracks)
 * against the file's audio packets as libavformat's mov demuxer cuts them (mov.c
 * mov_build_index: a PCM chunk in packets of up to 1024 samples). */
#include "mov-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libavformat/avformat.h>
#include <libavutil/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct aline {
	unsigned k; /* stream number in the sidecar, from 1 */
	int64_t dts;
	uint32_t size;
	char hex[33];
};

/* The sidecar's lines of streams >= 1, in file order. */
static int read_lines(const char *path, struct aline **ret_lines, size_t *ret_n)
{
	struct aline *v = NULL, *nv, a;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	long long dts, pts, dur;
	int ret = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (ret == 0 && getline(&line, &lcap, f) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u, %lld, %lld, %lld, %" SCNu32 ", %32s", &a.k, &dts, &pts, &dur,
			   &a.size, a.hex) != 6) {
			ret = -EBADMSG;
			break;
		}
		if (!a.k)
			continue;
		a.dts = dts;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = a;
	}
	free(line);
	fclose(f);
	if (ret < 0) {
		free(v);
		return ret;
	}
	*ret_lines = v;
	*ret_n = n;
	return 0;
}

int mov_bytes_md5(int fd, int64_t pos, int64_t size, uint8_t **buf, size_t *cap,
		  uint8_t md5[16])
{
	size_t chunk = size < MOV_MD5_CHUNK ? (size_t)size : MOV_MD5_CHUNK;
	struct AVMD5 *ctx;
	int ret = 0;

	if (pos < 0 || size < 0 || pos > INT64_MAX - size)
		return -ENODATA; /* not bytes of the file */
	if (chunk > *cap) {
		uint8_t *nb = realloc(*buf, chunk);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = chunk;
	}
	ctx = av_md5_alloc();
	if (!ctx)
		return -ENOMEM;
	av_md5_init(ctx);
	while (size > 0 && ret == 0) {
		ssize_t got = pread(fd, *buf, size < (int64_t)chunk ? (size_t)size : chunk, pos);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			ret = -errno;
		else if (got == 0)
			ret = -ENODATA;
		else
			av_md5_update(ctx, *buf, (size_t)got), pos += got, size -= got;
	}
	if (ret == 0)
		av_md5_final(ctx, md5);
	av_free(ctx);
	return ret;
}

/* The md5 of one index entry's bytes, in hex. */
static int entry_md5(int fd, const AVIndexEntry *e, uint8_t **buf, size_t *cap, char hex[33])
{
	uint8_t md5[16];
	int ret = mov_bytes_md5(fd, e->pos, e->size, buf, cap, md5);

	for (unsigned i = 0; ret == 0 && i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	return ret;
}

/* Each sidecar line against the packet of its stream at its dts, streams numbered as the
 * sidecar numbers them (the audio streams in file order, from 1). */
static int compare(AVFormatContext *fc, int fd, const struct aline *l, size_t n,
		   struct mov_verify_result *res)
{
	AVStream *as[MOV_AUDIO_MAX_TRACKS];
	int next[MOV_AUDIO_MAX_TRACKS] = { 0 };
	unsigned na = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	char hex[33];
	int ret = 0;

	for (unsigned s = 0; s < fc->nb_streams && na < MOV_AUDIO_MAX_TRACKS; s++)
		if (fc->streams[s]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
			as[na++] = fc->streams[s];
	for (unsigned k = 0; k < na; k++)
		res->audio_packets += avformat_index_get_entries_count(as[k]);
	for (size_t i = 0; i < n && ret >= 0; i++) {
		const AVIndexEntry *e = NULL;

		if (l[i].k <= na) { /* entries are in dts order, as are a stream's lines */
			AVStream *st = as[l[i].k - 1];
			int *j = &next[l[i].k - 1];

			while ((e = avformat_index_get_entry(st, *j)) && e->timestamp < l[i].dts)
				(*j)++;
			if (e && e->timestamp != l[i].dts)
				e = NULL;
		}
		if (e && (ret = entry_md5(fd, e, &buf, &cap, hex)) < 0)
			break;
		if (e && (uint32_t)e->size == l[i].size && !strcmp(hex, l[i].hex))
			continue;
		if (!res->audio_mismatches) {
			res->audio_first_bad_stream = l[i].k;
			res->audio_first_bad_dts = l[i].dts;
		}
		res->audio_mismatches++;
		res->bad++;
	}
	free(buf);
	return ret;
}

int mov_verify_audio_md5(const char *mov_path, const char *md5_path,
			 struct mov_verify_result *res)
{
	AVFormatContext *fc = NULL;
	struct aline *l = NULL;
	size_t n = 0;
	int fd, ret;

	ret = read_lines(md5_path, &l, &n);
	if (ret < 0) {
		res->failed = MOV_VERIFY_FAILED_SIDECAR;
		return ret;
	}
	res->sidecar_audio = n;
	if (mov_av_open(&fc, mov_path, NULL) < 0) {
		res->failed = MOV_VERIFY_FAILED_OPEN;
		free(l);
		return -EINVAL;
	}
	fd = open(mov_path, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : compare(fc, fd, l, n, res);
	if (fd >= 0)
		close(fd);
	if (ret >= 0 && res->sidecar_audio != res->audio_packets)
		res->bad++;
	if (ret < 0)
		res->failed = MOV_VERIFY_FAILED_OPEN;
	avformat_close_input(&fc);
	free(l);
	return ret;
}
