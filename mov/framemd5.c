/* FFmpeg framemd5 sidecars (libavformat/hashenc.c's format), written from md5s the caller
 * computed in memory for the video and, for the sound, from the file's own bytes. */
#include "mov-internal.h"
#include "dio.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/md5.h>
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
	AVFormatContext *ac; /* the file's audio streams, for written sidecars; NULL: none */
	int mov_fd;	     /* the MOV, to hash the sound's packets */
};

static void header(FILE *f, const struct mov_info *in, const AVFormatContext *ac)
{
	char layout[128];
	unsigned k = 1;

	fprintf(f, "#format: frame checksums\n#version: 2\n#hash: MD5\n");
	fprintf(f, "#software: %s\n", LIBAVFORMAT_IDENT);
	fprintf(f, "#tb 0: %u/%u\n#media_type 0: video\n#codec_id 0: %s\n", in->tb_num, in->tb_den,
		in->codec);
	fprintf(f, "#dimensions 0: %ux%u\n#sar 0: %u/%u\n", in->width, in->height,
		in->sar_den ? in->sar_num : 0, in->sar_den ? in->sar_den : 1);
	for (unsigned i = 0; ac && i < ac->nb_streams; i++) {
		const AVStream *st = ac->streams[i];

		if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		av_channel_layout_describe(&st->codecpar->ch_layout, layout, sizeof(layout));
		fprintf(f, "#tb %u: %d/%d\n#media_type %u: audio\n#codec_id %u: %s\n", k,
			st->time_base.num, st->time_base.den, k, k,
			avcodec_get_name(st->codecpar->codec_id));
		fprintf(f, "#sample_rate %u: %d\n#channel_layout_name %u: %s\n", k,
			st->codecpar->sample_rate, k, layout);
		k++;
	}
	fprintf(f, "#stream#, dts,        pts, duration,     size, hash\n");
}

/* The last sample lasts what the index says is left of the stream (one nominal frame period
 * as the muxer writes it; the average rate is off when drops left gaps in the timestamps). */
static int64_t last_duration(const struct mov_info *in, const struct mov_sample *s, uint64_t n)
{
	double ticks = in->tb_num ? in->duration * in->tb_den / in->tb_num : 0;
	int64_t left;

	/* the reader keeps every pts within 2^61 ticks (copy_index in reader.c): with the
	 * header's duration held under 2^62 as well, the difference cannot overflow */
	if (in->duration > 0 && in->tb_num && n && ticks < 0x1p62) {
		left = llround(ticks) - (s[n - 1].pts - s[0].pts);
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
	m->mov_fd = -1;
	ret = mov_reader_open(mov_path, &m->r, NULL, 0);
	if (ret < 0)
		goto out_free;
	mov_reader_info(m->r, &m->in);
	m->f = fdopen(fd, "w");
	if (!m->f) {
		ret = -errno;
		goto out_reader;
	}
	header(m->f, &m->in, NULL);
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
	int fd = dio_create(out_path, O_WRONLY | (force ? O_TRUNC : 0), force);

	if (fd < 0)
		return fd;
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
	avformat_close_input(&m->ac);
	if (m->mov_fd >= 0)
		close(m->mov_fd);
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

/* The file's audio streams as the mov demuxer indexes them: a chunk of PCM comes out as
 * packets of up to 1024 samples (libavformat/mov.c mov_build_index), which is what
 * "ffmpeg -map 0:a -c copy -f framemd5" lists. NULL in *ret when there is no sound. */
static int open_audio(const char *mov_path, AVFormatContext **ret)
{
	AVFormatContext *ac = NULL;
	bool any = false;
	int ret2;

	*ret = NULL;
	ret2 = mov_av_open(&ac, mov_path, NULL);
	if (ret2 < 0)
		return ret2 == AVERROR(ENOENT) ? -ENOENT : -EINVAL;
	for (unsigned i = 0; i < ac->nb_streams; i++)
		any |= ac->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
	if (any)
		*ret = ac;
	else
		avformat_close_input(&ac);
	return 0;
}

/* Where each audio stream's next packet is. */
struct audio_pos {
	AVStream *st;
	unsigned k; /* the stream's number in the sidecar: 1, 2, ... */
	int i, n;
};

static int audio_line(struct mov_framemd5 *m, struct audio_pos *a, uint8_t **buf, size_t *cap)
{
	const AVIndexEntry *e = avformat_index_get_entry(a->st, a->i);
	const AVIndexEntry *next = avformat_index_get_entry(a->st, a->i + 1);
	int64_t dur = next ? next->timestamp - e->timestamp : a->st->duration - e->timestamp;
	uint8_t md5[16];
	int ret = mov_bytes_md5(m->mov_fd, e->pos, e->size, buf, cap, md5);

	if (ret < 0)
		return ret;
	fprintf(m->f, "%u, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8d, ", a->k, e->timestamp,
		e->timestamp, dur, e->size);
	for (unsigned b = 0; b < 16; b++)
		fprintf(m->f, "%02x", md5[b]);
	a->i++;
	return fputc('\n', m->f) == EOF ? -EIO : 0;
}

/* The audio stream whose next packet goes before video sample i (n: none left), in the order
 * ffmpeg's muxing interleaves them: by time, a tie to the lower stream number
 * (libavformat/mux.c ff_interleave_compare_dts); NULL: the video sample. */
static struct audio_pos *next_audio(struct mov_framemd5 *m, struct audio_pos *a, unsigned na,
				    uint64_t i, uint64_t n)
{
	const struct mov_sample *s = mov_reader_samples(m->r);
	AVRational vtb = { m->in.tb_num, m->in.tb_den };
	struct audio_pos *best = NULL;
	const AVIndexEntry *be = NULL;

	for (unsigned k = 0; k < na; k++) {
		const AVIndexEntry *e;

		if (a[k].i >= a[k].n)
			continue;
		e = avformat_index_get_entry(a[k].st, a[k].i);
		if (!best || av_compare_ts(e->timestamp, a[k].st->time_base, be->timestamp,
					   best->st->time_base) < 0)
			best = &a[k], be = e;
	}
	if (best && i < n && av_compare_ts(s[i].pts, vtb, be->timestamp, best->st->time_base) <= 0)
		return NULL;
	return best;
}

static int write_av(struct mov_framemd5 *m, const uint8_t (*md5)[16], uint64_t n)
{
	struct audio_pos a[MOV_AUDIO_MAX_TRACKS];
	unsigned na = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t i = 0;
	int ret = 0;

	for (unsigned s = 0; m->ac && s < m->ac->nb_streams && na < MOV_AUDIO_MAX_TRACKS; s++) {
		AVStream *st = m->ac->streams[s];

		if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
			a[na] = (struct audio_pos){ st, na + 1, 0,
						    avformat_index_get_entries_count(st) },
			na++;
	}
	while (ret == 0) {
		struct audio_pos *p = next_audio(m, a, na, i, n);

		if (p)
			ret = audio_line(m, p, &buf, &cap);
		else if (i < n)
			ret = mov_framemd5_line(m, i, md5[i]), i++;
		else
			break;
	}
	free(buf);
	return ret;
}

static int write_lines(struct mov_framemd5 *m, const uint8_t (*md5)[16], uint64_t n)
{
	int ret = write_av(m, md5, n);

	if (ret < 0) {
		mov_framemd5_close(m);
		return ret;
	}
	return mov_framemd5_close(m);
}

/* A sidecar with the file's sound too: reopened with the audio streams' header. */
static int add_audio(struct mov_framemd5 *m, const char *mov_path)
{
	int ret = open_audio(mov_path, &m->ac);

	if (ret < 0 || !m->ac)
		return ret;
	m->mov_fd = open(mov_path, O_RDONLY | O_CLOEXEC);
	if (m->mov_fd < 0)
		return -errno;
	if (fseek(m->f, 0, SEEK_SET) < 0 || ftruncate(fileno(m->f), 0) < 0)
		return -errno;
	header(m->f, &m->in, m->ac);
	return 0;
}

int mov_framemd5_write(const char *out_path, const char *mov_path, const uint8_t (*md5)[16],
		       uint64_t n, int force)
{
	struct mov_framemd5 *m;
	int ret;

	ret = check_count(mov_path, n); /* before creating anything */
	if (ret >= 0)
		ret = mov_framemd5_open(out_path, mov_path, force, &m);
	if (ret >= 0 && (ret = add_audio(m, mov_path)) < 0)
		mov_framemd5_close(m);
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
	if (ret >= 0 && (ret = add_audio(m, mov_path)) < 0)
		mov_framemd5_close(m);
	return ret < 0 ? ret : write_lines(m, md5, n);
}
