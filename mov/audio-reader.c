/* The audio reader: a MOV's PCM tracks read through libavformat (a demuxer of its own, beside
 * the video's index), each track's packets converted to little-endian samples of the output
 * width in a FIFO of its own, and handed out interleaved: track 0's channels, then track 1's,
 * and so on. Tracks come in the file as chunks at their own pace; the FIFOs even that out. */
#include "mov-internal.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANNELS 32

struct track {
	int stream; /* index in the demuxer */
	unsigned channels;
	unsigned in_bytes; /* bytes of one channel's sample in the file */
	bool big_endian;
	AVRational tb;
	uint8_t *buf;	  /* held samples, converted (channels x out bytes each) */
	size_t held, cap; /* in samples */
	bool seeking;	  /* the first packet after a seek: drop what lies before want */
	uint64_t want;
};

struct mov_audio_reader {
	AVFormatContext *fc;
	AVPacket *pkt;
	struct mov_audio_info info;
	unsigned out_bytes; /* of one channel's sample in the output */
	struct track t[MOV_AUDIO_MAX_TRACKS];
	bool eof;
};

static int why_set(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Bytes per channel sample and byte order of the PCM codecs played; 0 for any other. */
static unsigned pcm_bytes(enum AVCodecID id, bool *ret_be)
{
	*ret_be = id == AV_CODEC_ID_PCM_S16BE || id == AV_CODEC_ID_PCM_S24BE ||
		  id == AV_CODEC_ID_PCM_S32BE;
	switch (id) {
	case AV_CODEC_ID_PCM_S16LE:
	case AV_CODEC_ID_PCM_S16BE:
		return 2;
	case AV_CODEC_ID_PCM_S24LE:
	case AV_CODEC_ID_PCM_S24BE:
		return 3;
	case AV_CODEC_ID_PCM_S32LE:
	case AV_CODEC_ID_PCM_S32BE:
		return 4;
	default:
		return 0;
	}
}

static uint64_t track_samples(const AVStream *st, unsigned rate)
{
	if (st->duration > 0)
		return (uint64_t)av_rescale_q(st->duration, st->time_base, (AVRational){ 1, rate });
	return st->nb_frames > 0 ? (uint64_t)st->nb_frames : 0;
}

/* Take stream st as the next track, or refuse the file for it. */
static int add_track(struct mov_audio_reader *r, AVStream *st, char *why, size_t len)
{
	const AVCodecParameters *par = st->codecpar;
	struct mov_audio_info *in = &r->info;
	unsigned ch = (unsigned)par->ch_layout.nb_channels, n = in->tracks;
	struct track *t = &r->t[n];
	bool be;
	unsigned bytes = pcm_bytes(par->codec_id, &be);
	uint64_t samples;

	if (!bytes)
		return why_set(why, len, -ENOTSUP,
			       "audio track %u is %s: vplay plays 16, 24 or 32-bit integer PCM",
			       n + 1, avcodec_get_name(par->codec_id));
	if (n == MOV_AUDIO_MAX_TRACKS || !ch || in->channels + ch > MAX_CHANNELS)
		return why_set(why, len, -ENOTSUP, "more than %d audio tracks or %d channels",
			       MOV_AUDIO_MAX_TRACKS, MAX_CHANNELS);
	if (par->sample_rate <= 0)
		return why_set(why, len, -ENOTSUP, "audio track %u has no sample rate", n + 1);
	if (n && ((unsigned)par->sample_rate != in->rate || bytes * 8 != in->bits))
		return why_set(why, len, -ENOTSUP,
			       "audio tracks differ: track 1 is %u Hz %u-bit, track %u %d Hz "
			       "%u-bit",
			       in->rate, in->bits, n + 1, par->sample_rate, bytes * 8);
	if (!n) {
		in->rate = (unsigned)par->sample_rate;
		in->bits = bytes * 8;
		snprintf(in->codec, sizeof(in->codec), "%s", avcodec_get_name(par->codec_id));
	}
	*t = (struct track){ .stream = st->index,
			     .channels = ch,
			     .in_bytes = bytes,
			     .big_endian = be,
			     .tb = st->time_base };
	samples = track_samples(st, in->rate);
	if (!n || samples < in->samples)
		in->samples = samples;
	in->channels += ch;
	in->tracks++;
	st->discard = AVDISCARD_DEFAULT;
	return 0;
}

static int find_tracks(struct mov_audio_reader *r, char *why, size_t len)
{
	int ret;

	for (unsigned i = 0; i < r->fc->nb_streams; i++) {
		AVStream *st = r->fc->streams[i];

		st->discard = AVDISCARD_ALL; /* video and the rest: never read */
		if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		ret = add_track(r, st, why, len);
		if (ret < 0)
			return ret;
	}
	if (!r->info.tracks)
		return why_set(why, len, -ENOMEDIUM, "no audio track");
	r->out_bytes = r->info.bits / 8;
	return 0;
}

int mov_audio_reader_open(const char *path, struct mov_audio_reader **ret_reader, char *why,
			  size_t len)
{
	struct mov_audio_reader *r = calloc(1, sizeof(*r));
	int ret;

	if (why && len)
		why[0] = '\0';
	if (!r)
		return -ENOMEM;
	r->pkt = av_packet_alloc();
	if (!r->pkt) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = mov_av_open(&r->fc, path, av_find_input_format("mov"));
	if (ret < 0) {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) || ret == AVERROR(ENOMEM))
			goto out_free; /* AVERROR(e) is -e */
		av_strerror(ret, msg, sizeof(msg));
		ret = why_set(why, len, -EINVAL, "not a readable MOV (%s)", msg);
		goto out_free;
	}
	ret = find_tracks(r, why, len);
	if (ret < 0)
		goto out_free;
	*ret_reader = r;
	return 0;

out_free:
	mov_audio_reader_free(r);
	return ret;
}

void mov_audio_reader_info(const struct mov_audio_reader *r, struct mov_audio_info *ret_info)
{
	*ret_info = r->info;
}

unsigned mov_audio_reader_sample_bytes(const struct mov_audio_reader *r)
{
	return r->info.channels * r->out_bytes;
}

int mov_audio_reader_seek(struct mov_audio_reader *r, uint64_t sample)
{
	const struct track *t0 = &r->t[0];
	int64_t ts;

	if (sample > r->info.samples)
		return -ERANGE;
	ts = av_rescale_q((int64_t)sample, (AVRational){ 1, r->info.rate }, t0->tb);
	/* the mov demuxer moves every stream to the time the first one lands on (a chunk's
	 * start at or before ts); each track drops what comes before sample */
	if (av_seek_frame(r->fc, t0->stream, ts, AVSEEK_FLAG_BACKWARD) < 0)
		return -EIO;
	for (unsigned i = 0; i < r->info.tracks; i++) {
		r->t[i].held = 0;
		r->t[i].seeking = true;
		r->t[i].want = sample;
	}
	r->eof = false;
	return 0;
}

static int reserve(struct track *t, size_t n, unsigned out_bytes)
{
	size_t cap = t->cap ? t->cap : 4096;
	uint8_t *p;

	if (t->held + n <= t->cap)
		return 0;
	while (cap < t->held + n)
		cap *= 2;
	p = realloc(t->buf, cap * t->channels * out_bytes);
	if (!p)
		return -ENOMEM;
	t->buf = p;
	t->cap = cap;
	return 0;
}

/* n channel samples from src (the track's width and order) to dst (little-endian, the same
 * width: tracks that differ in bits were refused). */
static void to_le(uint8_t *dst, const uint8_t *src, size_t n, unsigned bytes, bool be)
{
	if (!be) {
		memcpy(dst, src, n * bytes);
		return;
	}
	for (size_t i = 0; i < n; i++, src += bytes, dst += bytes)
		for (unsigned b = 0; b < bytes; b++)
			dst[b] = src[bytes - 1 - b];
}

static int take_packet(struct mov_audio_reader *r, struct track *t, const AVPacket *pkt)
{
	size_t frame = (size_t)t->channels * t->in_bytes;
	size_t n = (size_t)pkt->size / frame, skip = 0;
	int ret;

	if (t->seeking && pkt->pts != AV_NOPTS_VALUE) {
		int64_t at = av_rescale_q(pkt->pts, t->tb, (AVRational){ 1, r->info.rate });

		if (at < (int64_t)t->want)
			skip = (uint64_t)((int64_t)t->want - at) < n ? (size_t)(t->want - at) : n;
		t->seeking = skip == n; /* still before the wanted sample: keep dropping */
	}
	n -= skip;
	ret = reserve(t, n, r->out_bytes);
	if (ret < 0)
		return ret;
	to_le(t->buf + t->held * t->channels * r->out_bytes, pkt->data + skip * frame,
	      n * t->channels, t->in_bytes, t->big_endian);
	t->held += n;
	return 0;
}

/* The fewest samples any track holds. */
static size_t ready(const struct mov_audio_reader *r)
{
	size_t n = SIZE_MAX;

	for (unsigned i = 0; i < r->info.tracks; i++)
		if (r->t[i].held < n)
			n = r->t[i].held;
	return n;
}

/* One packet of any track into its FIFO; end of file sets eof. */
static int read_packet(struct mov_audio_reader *r)
{
	int ret = av_read_frame(r->fc, r->pkt);

	if (ret == AVERROR_EOF) {
		r->eof = true;
		return 0;
	}
	if (ret < 0)
		return ret == AVERROR(ENOMEM) ? -ENOMEM : -EIO;
	for (unsigned i = 0; i < r->info.tracks; i++)
		if (r->t[i].stream == r->pkt->stream_index) {
			ret = take_packet(r, &r->t[i], r->pkt);
			break;
		}
	av_packet_unref(r->pkt);
	return ret;
}

int64_t mov_audio_reader_read(struct mov_audio_reader *r, void *buf, uint64_t n)
{
	unsigned ob = r->out_bytes;
	uint8_t *out = buf;
	size_t got;
	int ret;

	while (!r->eof && ready(r) < n)
		if ((ret = read_packet(r)) < 0)
			return ret;
	got = ready(r) < n ? ready(r) : (size_t)n;
	if (!got)
		return 0; /* a track may hold nothing yet: no buffer to move in */
	for (unsigned i = 0; i < r->info.tracks; i++) {
		struct track *t = &r->t[i];
		size_t step = (size_t)t->channels * ob;
		uint8_t *dst = out;

		for (size_t k = 0; k < got; k++, dst += mov_audio_reader_sample_bytes(r))
			memcpy(dst, t->buf + k * step, step);
		memmove(t->buf, t->buf + got * step, (t->held - got) * step);
		t->held -= got;
		out += step;
	}
	return (int64_t)got;
}

void mov_audio_reader_free(struct mov_audio_reader *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < MOV_AUDIO_MAX_TRACKS; i++)
		free(r->t[i].buf);
	av_packet_free(&r->pkt);
	avformat_close_input(&r->fc);
	free(r);
}
