/* The wav audio output: the samples played, into a WAV file through libavformat's wav muxer
 * (its header is ffmpeg's: WAVE_FORMAT_EXTENSIBLE with a channel mask for more than 16 bits or
 * 2 channels, sizes fixed at the end). The file is created here, O_EXCL unless force, never
 * through a symbolic link unless force, and handed to the muxer as a custom AVIOContext on
 * that fd. A file has no clock: the player paces it by the pictures. */
#include "play-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BUF 65536

struct wav_out {
	struct play_audio base;
	AVFormatContext *fc;
	AVPacket *pkt;
	int fd;
	unsigned sample_bytes;
	uint64_t written;
	bool finished;
	int err; /* the first write error of the fd */
	char mode[160];
};

static struct wav_out *to_wav(struct play_audio *a)
{
	return play_container_of(a, struct wav_out, base);
}

static int io_write(void *opaque, uint8_t *buf, int size)
{
	struct wav_out *w = opaque;

	for (int done = 0; done < size;) {
		ssize_t n = write(w->fd, buf + done, (size_t)(size - done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!w->err)
				w->err = -errno;
			return AVERROR(errno);
		}
		done += (int)n;
	}
	return size;
}

static int64_t io_seek(void *opaque, int64_t offset, int whence)
{
	struct wav_out *w = opaque;
	off_t at;

	if (whence & AVSEEK_SIZE)
		return -1;
	at = lseek(w->fd, offset, whence & ~AVSEEK_FORCE);
	return at < 0 ? AVERROR(errno) : at;
}

static enum AVCodecID codec_of(unsigned bits)
{
	return bits == 16   ? AV_CODEC_ID_PCM_S16LE
	       : bits == 24 ? AV_CODEC_ID_PCM_S24LE
	       : bits == 32 ? AV_CODEC_ID_PCM_S32LE
			    : AV_CODEC_ID_NONE;
}

/* The file, made as -o makes its own (dio_create): anything there is -EEXIST unless force,
 * which replaces a file's content, or a symbolic link itself: never written through. */
static int create(const struct play_audio_config *cfg)
{
	return dio_create(cfg->target, O_WRONLY | (cfg->force ? O_TRUNC : 0), cfg->force);
}

static int setup_muxer(struct wav_out *w, const struct play_audio_config *cfg)
{
	struct stat sb;
	uint8_t *buf;
	AVStream *st;
	int ret = avformat_alloc_output_context2(&w->fc, NULL, "wav", NULL);

	if (ret < 0)
		return ret == AVERROR(ENOMEM) ? -ENOMEM : -ENOTSUP;
	buf = av_malloc(IO_BUF);
	if (!buf)
		return -ENOMEM;
	w->fc->pb = avio_alloc_context(buf, IO_BUF, 1, w, NULL, io_write, io_seek);
	if (!w->fc->pb) {
		av_free(buf);
		return -ENOMEM;
	}
	w->fc->flags |= AVFMT_FLAG_CUSTOM_IO;
	if (fstat(w->fd, &sb) == 0 && !S_ISREG(sb.st_mode))
		w->fc->pb->seekable = 0; /* a fifo, /dev/null: the header keeps its sizes open */
	st = avformat_new_stream(w->fc, NULL);
	if (!st)
		return -ENOMEM;
	st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
	st->codecpar->codec_id = codec_of(cfg->bits);
	st->codecpar->sample_rate = (int)cfg->rate;
	av_channel_layout_default(&st->codecpar->ch_layout, (int)cfg->channels);
	st->codecpar->bits_per_coded_sample = (int)cfg->bits;
	st->codecpar->block_align = (int)w->sample_bytes;
	st->codecpar->bit_rate = (int64_t)cfg->rate * w->sample_bytes * 8;
	st->time_base = (AVRational){ 1, (int)cfg->rate };
	ret = avformat_write_header(w->fc, NULL);
	if (ret < 0)
		return w->err ? w->err : -EINVAL;
	return 0;
}

static void wav_close(struct play_audio *a)
{
	struct wav_out *w;

	if (!a)
		return;
	w = to_wav(a);
	av_packet_free(&w->pkt);
	if (w->fc) {
		if (w->fc->pb)
			av_freep(&w->fc->pb->buffer);
		avio_context_free(&w->fc->pb);
		avformat_free_context(w->fc);
	}
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

static int wav_open(const struct play_audio_config *cfg, struct play_audio **ret_audio)
{
	struct wav_out *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->base.ops = &play_wav_ops;
	w->sample_bytes = cfg->channels * cfg->bits / 8;
	w->fd = -1;
	if (codec_of(cfg->bits) == AV_CODEC_ID_NONE || !cfg->channels || !cfg->rate) {
		ret = -EINVAL;
		goto out_close;
	}
	w->pkt = av_packet_alloc();
	if (!w->pkt) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = create(cfg);
	if (ret < 0)
		goto out_close;
	w->fd = ret;
	ret = setup_muxer(w, cfg);
	if (ret < 0)
		goto out_close;
	snprintf(w->mode, sizeof(w->mode), "WAV %s, %u ch, %u Hz",
		 avcodec_get_name(codec_of(cfg->bits)), cfg->channels, cfg->rate);
	*ret_audio = &w->base;
	return 0;

out_close:
	wav_close(&w->base);
	return ret;
}

static int64_t wav_write(struct play_audio *a, const void *buf, uint64_t n)
{
	struct wav_out *w = to_wav(a);
	uint64_t max = (INT32_MAX / 2) / w->sample_bytes;
	int ret;

	if (n > max)
		n = max;
	w->pkt->data = (uint8_t *)buf; /* av_write_frame copies nothing into a packet it owns */
	w->pkt->size = (int)(n * w->sample_bytes);
	w->pkt->pts = w->pkt->dts = (int64_t)w->written;
	w->pkt->duration = (int64_t)n;
	w->pkt->stream_index = 0;
	ret = av_write_frame(w->fc, w->pkt);
	w->pkt->data = NULL;
	w->pkt->size = 0;
	if (ret < 0)
		return w->err ? w->err : -EIO;
	w->written += n;
	return (int64_t)n;
}

static int wav_start(struct play_audio *a)
{
	(void)a;
	return 0;
}

static int wav_delay(struct play_audio *a, int64_t *ret_samples)
{
	(void)a;
	(void)ret_samples;
	return -ENOTSUP;
}

static int wav_finish(struct play_audio *a, bool drain)
{
	struct wav_out *w = to_wav(a);
	int ret;

	(void)drain; /* a file keeps what was written either way */
	if (w->finished)
		return 0;
	w->finished = true;
	ret = av_write_trailer(w->fc);
	avio_flush(w->fc->pb);
	if (ret < 0 || w->err)
		return w->err ? w->err : -EIO;
	return fsync(w->fd) < 0 && errno != EINVAL ? -errno : 0;
}

static void wav_stats(const struct play_audio *a, struct play_audio_stats *ret_stats)
{
	const struct wav_out *w = play_container_of(a, const struct wav_out, base);

	*ret_stats = (struct play_audio_stats){ .written = w->written };
	snprintf(ret_stats->mode, sizeof(ret_stats->mode), "%s", w->mode);
}

const struct play_audio_ops play_wav_ops = {
	.name = "wav",
	.desc = "the samples played, into a WAV file",
	.open = wav_open,
	.write = wav_write,
	.start = wav_start,
	.delay = wav_delay,
	.finish = wav_finish,
	.stats = wav_stats,
	.close = wav_close,
};
