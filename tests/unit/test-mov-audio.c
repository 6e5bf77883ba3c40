/* The audio reader on files muxed here with libavformat (a tiny video track and PCM tracks of
 * known ramps): the tracks' channels interleaved in track order, big-endian samples turned
 * little-endian, a seek landing on the very sample asked, and the refusals (no sound, tracks
 * of different widths). */
#include "t.h"

#include "mov.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <stdlib.h>
#include <unistd.h>

#define RATE 48000
#define SAMPLES 9600 /* 0.2 s */

struct track_spec {
	enum AVCodecID codec;
	int channels;
};

/* Channel sample k of channel c of track t: a ramp each, told apart by track and channel. */
static int32_t value(unsigned t, unsigned c, unsigned k)
{
	return (int32_t)((t * 16 + c) * 1000 + k % 997);
}

static void put(uint8_t *p, int32_t v, unsigned bytes, bool be)
{
	for (unsigned b = 0; b < bytes; b++)
		p[be ? bytes - 1 - b : b] = (uint8_t)((uint32_t)v >> (8 * b));
}

static unsigned bytes_of(enum AVCodecID id, bool *be)
{
	*be = id == AV_CODEC_ID_PCM_S16BE || id == AV_CODEC_ID_PCM_S24BE ||
	      id == AV_CODEC_ID_PCM_S32BE;
	return (unsigned)av_get_bits_per_sample(id) / 8;
}

/* A MOV with 5 frames of 16x16 UYVY at 25 fps and the tracks, in chunks of 960 samples. */
static int make(const char *path, const struct track_spec *t, unsigned n)
{
	AVFormatContext *fc = NULL;
	AVPacket *pkt = av_packet_alloc();
	uint8_t frame[16 * 16 * 2] = { 0 }, buf[960 * 8 * 4];
	int ret = avformat_alloc_output_context2(&fc, NULL, "mov", path);
	AVStream *v;

	if (ret < 0 || !pkt)
		return -1;
	v = avformat_new_stream(fc, NULL);
	v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	v->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
	v->codecpar->codec_tag = MKTAG('2', 'v', 'u', 'y');
	v->codecpar->format = AV_PIX_FMT_UYVY422;
	v->codecpar->width = v->codecpar->height = 16;
	v->time_base = (AVRational){ 1, 25 };
	for (unsigned i = 0; i < n; i++) {
		AVStream *a = avformat_new_stream(fc, NULL);

		a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
		a->codecpar->codec_id = t[i].codec;
		a->codecpar->sample_rate = RATE;
		av_channel_layout_default(&a->codecpar->ch_layout, t[i].channels);
		a->time_base = (AVRational){ 1, RATE };
	}
	if (avio_open(&fc->pb, path, AVIO_FLAG_WRITE) < 0 || avformat_write_header(fc, NULL) < 0)
		return -1;
	for (unsigned f = 0; f < 5; f++) {
		pkt->data = frame;
		pkt->size = sizeof(frame);
		pkt->stream_index = 0;
		pkt->pts = pkt->dts = f;
		pkt->duration = 1;
		av_packet_rescale_ts(pkt, (AVRational){ 1, 25 }, fc->streams[0]->time_base);
		if (av_write_frame(fc, pkt) < 0)
			return -1;
		for (unsigned i = 0; i < n; i++) {
			bool be;
			unsigned bytes = bytes_of(t[i].codec, &be), ch = (unsigned)t[i].channels;

			for (unsigned k = 0; k < 1920; k++)
				for (unsigned c = 0; c < ch; c++)
					put(buf + (k * ch + c) * bytes, value(i, c, f * 1920 + k),
					    bytes, be);
			pkt->data = buf;
			pkt->size = (int)(1920 * ch * bytes);
			pkt->stream_index = (int)i + 1;
			pkt->pts = pkt->dts = f * 1920;
			pkt->duration = 1920;
			av_packet_rescale_ts(pkt, (AVRational){ 1, RATE },
					     fc->streams[i + 1]->time_base);
			if (av_write_frame(fc, pkt) < 0)
				return -1;
		}
	}
	ret = av_write_trailer(fc);
	avio_closep(&fc->pb);
	avformat_free_context(fc);
	pkt->data = NULL;
	av_packet_free(&pkt);
	return ret;
}

static char dir[64];

static int32_t get(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned b = 0; b < bytes; b++)
		v |= (uint32_t)p[b] << (8 * b);
	if (bytes < 4 && v >> (8 * bytes - 1))
		v |= ~0u << (8 * bytes); /* sign */
	return (int32_t)v;
}

/* Samples [from, from + n) hold every track's channels in track order. */
static bool interleaved(const uint8_t *p, uint64_t from, uint64_t n, const struct track_spec *t,
			unsigned nt, unsigned bytes)
{
	for (uint64_t k = 0; k < n; k++)
		for (unsigned i = 0; i < nt; i++)
			for (unsigned c = 0; c < (unsigned)t[i].channels; c++, p += bytes)
				if (get(p, bytes) != value(i, c, (unsigned)(from + k)))
					return false;
	return true;
}

static void test_tracks_interleaved(struct t_state *st)
{
	const struct track_spec t[] = { { AV_CODEC_ID_PCM_S24LE, 2 },
					{ AV_CODEC_ID_PCM_S24BE, 1 },
					{ AV_CODEC_ID_PCM_S24LE, 2 } };
	struct mov_audio_reader *r;
	struct mov_audio_info in;
	char path[128], why[160];
	uint8_t *buf = malloc(SAMPLES * 5 * 3);
	int64_t got, total = 0;

	T_ASSERT(st, buf);
	snprintf(path, sizeof(path), "%s/three.mov", dir);
	T_EQ(st, make(path, t, 3), 0);
	T_EQ(st, mov_audio_reader_open(path, &r, why, sizeof(why)), 0);
	mov_audio_reader_info(r, &in);
	T_EQ(st, in.rate, RATE);
	T_EQ(st, in.channels, 5);
	T_EQ(st, in.bits, 24);
	T_EQ(st, in.tracks, 3);
	T_EQ(st, in.samples, SAMPLES);
	T_EQ(st, mov_audio_reader_sample_bytes(r), 15);
	/* in odd pieces, across packets */
	while ((got = mov_audio_reader_read(r, buf + total * 15, 777)) > 0)
		total += got;
	T_EQ(st, got, 0);
	T_EQ(st, total, SAMPLES);
	T_ASSERT(st, interleaved(buf, 0, SAMPLES, t, 3, 3));
	/* a seek lands on the sample asked, inside a packet */
	T_EQ(st, mov_audio_reader_seek(r, 4321), 0);
	T_EQ(st, mov_audio_reader_read(r, buf, 1000), 1000);
	T_ASSERT(st, interleaved(buf, 4321, 1000, t, 3, 3));
	T_EQ(st, mov_audio_reader_seek(r, 0), 0);
	T_EQ(st, mov_audio_reader_read(r, buf, 10), 10);
	T_ASSERT(st, interleaved(buf, 0, 10, t, 3, 3));
	T_EQ(st, mov_audio_reader_seek(r, SAMPLES + 1), -ERANGE);
	mov_audio_reader_free(r);
	free(buf);
}

static void test_widths(struct t_state *st)
{
	const struct track_spec s16be[] = { { AV_CODEC_ID_PCM_S16BE, 2 } };
	const struct track_spec s32[] = { { AV_CODEC_ID_PCM_S32LE, 1 } };
	struct mov_audio_reader *r;
	struct mov_audio_info in;
	char path[128];
	uint8_t buf[100 * 4 * 2];

	snprintf(path, sizeof(path), "%s/s16be.mov", dir);
	T_EQ(st, make(path, s16be, 1), 0);
	T_EQ(st, mov_audio_reader_open(path, &r, NULL, 0), 0);
	mov_audio_reader_info(r, &in);
	T_EQ(st, in.bits, 16);
	T_EQ(st, mov_audio_reader_read(r, buf, 100), 100);
	T_ASSERT(st, interleaved(buf, 0, 100, s16be, 1, 2));
	mov_audio_reader_free(r);
	snprintf(path, sizeof(path), "%s/s32.mov", dir);
	T_EQ(st, make(path, s32, 1), 0);
	T_EQ(st, mov_audio_reader_open(path, &r, NULL, 0), 0);
	mov_audio_reader_info(r, &in);
	T_EQ(st, in.bits, 32);
	T_EQ(st, mov_audio_reader_read(r, buf, 100), 100);
	T_ASSERT(st, interleaved(buf, 0, 100, s32, 1, 4));
	mov_audio_reader_free(r);
}

static void test_refusals(struct t_state *st)
{
	const struct track_spec mixed[] = { { AV_CODEC_ID_PCM_S16LE, 2 },
					    { AV_CODEC_ID_PCM_S24LE, 2 } };
	struct mov_audio_reader *r = NULL;
	char path[128], why[160];

	snprintf(path, sizeof(path), "%s/silent.mov", dir);
	T_EQ(st, make(path, NULL, 0), 0);
	T_EQ(st, mov_audio_reader_open(path, &r, why, sizeof(why)), -ENOMEDIUM);
	T_STREQ(st, why, "no audio track");
	snprintf(path, sizeof(path), "%s/mixed.mov", dir);
	T_EQ(st, make(path, mixed, 2), 0);
	T_EQ(st, mov_audio_reader_open(path, &r, why, sizeof(why)), -ENOTSUP);
	T_ASSERT(st, strstr(why, "16-bit") && strstr(why, "24-bit"));
	snprintf(path, sizeof(path), "%s/none.mov", dir);
	T_EQ(st, mov_audio_reader_open(path, &r, why, sizeof(why)), -ENOENT);
	T_ASSERT(st, r == NULL);
}

int main(void)
{
	struct t_state st = { 0 };
	const char *tmp = getenv("TMPDIR");
	char cmd[128];

	av_log_set_level(AV_LOG_QUIET);
	snprintf(dir, sizeof(dir), "%s/test-aud-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("cannot make a temporary directory\n");
		return 77;
	}
	T_RUN(&st, test_tracks_interleaved);
	T_RUN(&st, test_widths);
	T_RUN(&st, test_refusals);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return T_EXIT(&st);
}
