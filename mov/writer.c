/* The MOV index writer: libavformat's mov muxer on a custom AVIOContext that writes header and
 * moov bytes with pwrite and skips the payload, which the caller has already put on disk.
 *
 * How it stays zero-copy (see the project notes on libavformat): pb->direct = 1 makes
 * avio_write() hand the callback pkt->data in one call, so the callback can recognise the
 * payload by pointer, size and position; before each av_write_frame() pb is moved to the
 * frame's aligned offset, so stco/co64 record the real offsets. The muxer sizes mdat from the
 * sum of the packet sizes, which leaves out the alignment gaps, so mdat is fixed after the
 * trailer.
 *
 * Samples reach the muxer only at mov_writer_finish(): until then each is 24 bytes in a list
 * of our own, in the order they came, where libavformat's index would take 64 (a MOVIentry)
 * and more per sample from the first one on. A recording's memory then grows by little more
 * than its md5s: 10 minutes of 29.97 with sound is 0.5 MB instead of 1.3 MB. */
#include "mov-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>

/* FFmpeg 7 (libavformat 61) made the write callback's buffer const. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define MOV_IO_CONST const
#else
#define MOV_IO_CONST
#endif

#define IO_BUF_SIZE 65536

struct mov_io {
	int fd;
	uint64_t pos;     /* where the next write goes */
	uint64_t max_end; /* highest byte written or skipped, + 1 */
	bool in_packet;   /* inside av_write_frame(): only the payload may arrive */
	const uint8_t *payload;
	size_t payload_size;
	uint64_t payload_off;
	int err; /* first -errno a callback met */
};

/* A sample indexed but not yet given to the muxer: a frame (n == 0, t its pts in frame
 * periods) or a chunk of sound (n samples from sample index t). */
struct pending {
	uint64_t offset;
	int64_t t;
	uint32_t n;
	uint32_t unused;
};
_Static_assert(sizeof(struct pending) == 24, "24 bytes a sample");

struct mov_writer {
	AVFormatContext *oc;
	struct pending *q; /* samples in the order given, for the muxer at finish */
	size_t nq, capq;
	AVStream *st;
	struct mov_audio audio;
	unsigned atracks;
	AVStream *ast[MOV_AUDIO_MAX_TRACKS];
	uint64_t audio_next; /* index of the next sample of sound */
	AVPacket *pkt;
	struct mov_io io;
	AVRational frame_tb; /* one frame period */
	uint64_t frame_size;
	uint64_t data_start;
	uint64_t wide_pos;
	uint64_t next_off; /* end of the last frame or chunk of sound */
	uint64_t last_off; /* where the last frame starts: a repeat may point there again */
	int64_t last_pts;
	uint64_t count;
	void *dummy; /* stands in for payload that is only on disk */
	size_t dummy_size;
	int failed;  /* sticky error */
	bool finished;
};

int mov_av_err(int averr)
{
	/* AVERROR(e) is -e for errno values; FFmpeg's own tags are large negative numbers. */
	if (averr >= 0)
		return averr;
	if (averr > -4096)
		return averr;
	return averr == AVERROR_EOF ? -ENODATA : -EPROTO;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int io_write(void *opaque, MOV_IO_CONST uint8_t *buf, int size)
{
	struct mov_io *io = opaque;
	int ret;

	if (io->err)
		return AVERROR(-io->err);
	if (io->in_packet) {
		if (buf != io->payload || (size_t)size != io->payload_size ||
		    io->pos != io->payload_off) {
			/* the muxer copied or rewrote the payload, or wrote something else in
			 * the middle of the data: refuse rather than write over a frame */
			io->err = -EPROTO;
			return AVERROR(EPROTO);
		}
		io->payload = NULL;
	} else {
		ret = pwrite_all(io->fd, buf, size, io->pos);
		if (ret < 0) {
			io->err = ret;
			return AVERROR(-ret);
		}
	}
	io->pos += size;
	if (io->pos > io->max_end)
		io->max_end = io->pos;
	return size;
}

static int64_t io_seek(void *opaque, int64_t offset, int whence)
{
	struct mov_io *io = opaque;

	switch (whence & ~AVSEEK_FORCE) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		offset += io->pos;
		break;
	default: /* AVSEEK_SIZE, SEEK_END: the size is not known to the muxer's view */
		return -1;
	}
	if (offset < 0)
		return AVERROR(EINVAL);
	io->pos = offset;
	return offset;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Find the 8-byte 'wide' box between ftyp and mdat in the header just written. */
static int find_wide(int fd, uint64_t header_len, uint64_t *ret_pos)
{
	uint8_t buf[512];
	uint32_t ftyp;
	ssize_t n;

	if (header_len > sizeof(buf))
		header_len = sizeof(buf);
	n = pread(fd, buf, header_len, 0);
	if (n < 0)
		return -errno;
	if (n < 16 || memcmp(buf + 4, "ftyp", 4))
		return -EPROTO;
	ftyp = rd32(buf);
	if (ftyp < 8 || ftyp + 16 > (uint64_t)n)
		return -EPROTO;
	if (rd32(buf + ftyp) != 8 || memcmp(buf + ftyp + 4, "wide", 4) ||
	    memcmp(buf + ftyp + 12, "mdat", 4))
		return -EPROTO;
	*ret_pos = ftyp;
	return 0;
}

/* mdat from wide + 8 to end: 32-bit size in place, or a 64-bit mdat header over 'wide'. */
static int fix_mdat(int fd, uint64_t wide_pos, uint64_t end)
{
	uint64_t len = end - (wide_pos + 8);
	uint8_t hdr[16];

	if (len <= UINT32_MAX) {
		wr32(hdr, len);
		return pwrite_all(fd, hdr, 4, wide_pos + 8);
	}
	len = end - wide_pos;
	wr32(hdr, 1);
	memcpy(hdr + 4, "mdat", 4);
	wr32(hdr + 8, len >> 32);
	wr32(hdr + 12, (uint32_t)len);
	return pwrite_all(fd, hdr, 16, wide_pos);
}

static int setup_stream(struct mov_writer *w, const struct mov_params *p)
{
	const struct mov_format *f = p->format;
	AVCodecParameters *par;
	AVStream *st;

	st = avformat_new_stream(w->oc, NULL);
	if (!st)
		return -ENOMEM;
	par = st->codecpar;
	par->codec_type = AVMEDIA_TYPE_VIDEO;
	par->codec_id = f->codec;
	par->codec_tag = f->tag;
	par->format = f->pix_fmt;
	par->width = p->width;
	par->height = p->height;
	par->field_order = mov_field_to_av(p->field);
	mov_colour_to_av(mov_colour_resolve(p->colour, f, p->height), par);
	par->color_range = mov_format_is_rgb(f) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
	if (p->sar_num && p->sar_den) {
		par->sample_aspect_ratio = (AVRational){ p->sar_num, p->sar_den };
		st->sample_aspect_ratio = par->sample_aspect_ratio;
	}
	st->time_base = (AVRational){ p->rate_den, p->rate_num };
	st->avg_frame_rate = (AVRational){ p->rate_num, p->rate_den };
	st->r_frame_rate = st->avg_frame_rate;
	if (p->timecode && av_dict_set(&st->metadata, "timecode", p->timecode, 0) < 0)
		return -ENOMEM;
	w->st = st;
	return 0;
}

/* Mono track t of a channels-channel recording carries the t-th position of the default
 * layout for that count (L, R, C, LFE, ...): with plain mono layouts on every track, FFmpeg's
 * muxer writes no 'chan' atom at all (movenc.c multichannel_as_mono), and players and
 * mediainfo then know nothing of the channels' places. */
static void mono_position(AVCodecParameters *par, unsigned channels, unsigned t)
{
	AVChannelLayout all;
	enum AVChannel c;

	av_channel_layout_default(&all, channels);
	c = av_channel_layout_channel_from_index(&all, t);
	if (c >= 0 && c < 64) {
		av_channel_layout_uninit(&par->ch_layout);
		av_channel_layout_from_mask(&par->ch_layout, 1ull << c);
	}
	av_channel_layout_uninit(&all);
}

/* One PCM stream per track: FFmpeg's mov muxer writes its sample description (sowt v0,
 * in24/in32 v1 with enda) and chan atom from codec id and channel layout. */
static int setup_audio(struct mov_writer *w, const struct mov_audio *a)
{
	static const enum AVCodecID ids[] = { [2] = AV_CODEC_ID_PCM_S16LE,
					       [3] = AV_CODEC_ID_PCM_S24LE,
					       [4] = AV_CODEC_ID_PCM_S32LE };

	w->audio = *a;
	w->atracks = mov_audio_track_count(a);
	for (unsigned t = 0; t < w->atracks; t++) {
		unsigned ch = mov_audio_track_channels(a, t);
		AVStream *st = avformat_new_stream(w->oc, NULL);
		AVCodecParameters *par;

		if (!st)
			return -ENOMEM;
		par = st->codecpar;
		par->codec_type = AVMEDIA_TYPE_AUDIO;
		par->codec_id = ids[a->bits / 8];
		par->sample_rate = a->rate;
		/* one track: FFmpeg's default layout for the count (2: stereo, 8: 7.1); pairs
		 * are stereo, a lone last channel mono */
		av_channel_layout_default(&par->ch_layout, ch);
		if (a->tracks == MOV_AUDIO_MONO && a->channels > 1)
			mono_position(par, a->channels, t);
		par->bits_per_coded_sample = a->bits;
		par->block_align = ch * (a->bits / 8);
		st->time_base = (AVRational){ 1, a->rate };
		w->ast[t] = st;
	}
	return 0;
}

static int setup_io(struct mov_writer *w)
{
	uint8_t *buf = av_malloc(IO_BUF_SIZE);
	AVIOContext *pb;

	if (!buf)
		return -ENOMEM;
	pb = avio_alloc_context(buf, IO_BUF_SIZE, 1, &w->io, NULL, io_write, io_seek);
	if (!pb) {
		av_free(buf);
		return -ENOMEM;
	}
	pb->direct = 1;
	w->oc->pb = pb;
	w->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	return 0;
}

static int write_header(struct mov_writer *w)
{
	int ret;

	ret = mov_av_err(avformat_write_header(w->oc, NULL));
	if (ret >= 0) {
		avio_flush(w->oc->pb);
		ret = w->io.err;
	}
	if (ret < 0)
		return ret;
	w->data_start = w->io.pos;
	w->next_off = w->data_start;
	return find_wide(w->io.fd, w->data_start, &w->wide_pos);
}

int mov_writer_open(int fd, const struct mov_params *p, struct mov_writer **ret_writer)
{
	struct mov_writer *w;
	int ret;

	ret = mov_params_check(p, NULL);
	if (ret < 0)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->io.fd = fd;
	w->last_pts = -1;
	w->frame_tb = (AVRational){ p->rate_den, p->rate_num };
	w->frame_size = mov_format_frame_size(p->format, p->width, p->height);
	ret = mov_av_err(avformat_alloc_output_context2(&w->oc, NULL, "mov", NULL));
	if (ret < 0)
		goto out_free;
	w->pkt = av_packet_alloc();
	ret = w->pkt ? setup_io(w) : -ENOMEM;
	if (ret < 0)
		goto out_free;
	ret = setup_stream(w, p);
	if (ret >= 0 && p->audio.channels)
		ret = setup_audio(w, &p->audio);
	if (ret < 0)
		goto out_free;
	ret = write_header(w);
	if (ret < 0)
		goto out_free;
	*ret_writer = w;
	return 0;

out_free:
	mov_writer_free(w);
	return ret;
}

uint64_t mov_writer_data_start(const struct mov_writer *w)
{
	return w->data_start;
}

uint64_t mov_writer_count(const struct mov_writer *w)
{
	return w->count;
}

static const void *dummy_payload(struct mov_writer *w, size_t size)
{
	/* calloc maps zero pages lazily: no real memory is used */
	if (size > w->dummy_size) {
		free(w->dummy);
		w->dummy = calloc(1, size);
		w->dummy_size = w->dummy ? size : 0;
	}
	return w->dummy;
}

/* One packet whose payload is already at offset: the muxer indexes it, io_write skips it. */
static int write_packet(struct mov_writer *w, uint64_t offset, const void *data, size_t size,
			AVStream *st, int64_t pts, int64_t duration)
{
	AVPacket *pkt = w->pkt;
	int64_t ret;

	ret = avio_seek(w->oc->pb, offset, SEEK_SET);
	if (ret < 0)
		return w->io.err ? w->io.err : mov_av_err(ret);
	av_packet_unref(pkt);
	pkt->data = (uint8_t *)data;
	pkt->size = size;
	pkt->stream_index = st->index;
	pkt->pts = pkt->dts = pts;
	pkt->duration = duration;
	pkt->flags = AV_PKT_FLAG_KEY;
	w->io.payload = data;
	w->io.payload_size = size;
	w->io.payload_off = offset;
	w->io.in_packet = true;
	ret = mov_av_err(av_write_frame(w->oc, pkt));
	w->io.in_packet = false;
	pkt->data = NULL;
	pkt->size = 0;
	if (w->io.err)
		return w->io.err;
	if (ret < 0)
		return ret;
	return w->io.payload ? -EPROTO : 0; /* the payload never reached the callback */
}

static int write_frame(struct mov_writer *w, uint64_t offset, const void *data, size_t size,
		       int64_t pts)
{
	return write_packet(w, offset, data, size, w->st,
			    av_rescale_q(pts, w->frame_tb, w->st->time_base),
			    av_rescale_q(1, w->frame_tb, w->st->time_base));
}

/* Keep a sample for the muxer; -ENOMEM leaves the writer failed (the log still has it). */
static int defer(struct mov_writer *w, uint64_t offset, int64_t t, uint32_t n)
{
	if (w->nq == w->capq) {
		size_t cap = w->capq ? w->capq * 2 : 4096;
		struct pending *q = realloc(w->q, cap * sizeof(*q));

		if (!q)
			return w->failed = -ENOMEM;
		w->q = q;
		w->capq = cap;
	}
	w->q[w->nq++] = (struct pending){ .offset = offset, .t = t, .n = n };
	return 0;
}

int mov_writer_add(struct mov_writer *w, uint64_t offset, const void *data, size_t size,
		   int64_t pts)
{
	bool repeat;
	int ret;

	(void)data; /* the payload is on disk: the muxer gets a stand-in at finish */
	if (w->failed)
		return w->failed;
	repeat = w->count && offset == w->last_off;
	if (w->finished || size != w->frame_size || (offset < w->next_off && !repeat) ||
	    pts <= w->last_pts || offset > INT64_MAX - size)
		return -EINVAL;
	ret = defer(w, offset, pts, 0);
	if (ret < 0)
		return ret;
	w->next_off = offset + size;
	w->last_off = offset;
	w->last_pts = pts;
	w->count++;
	return 0;
}

int mov_writer_add_audio(struct mov_writer *w, uint64_t offset, const void *data, uint64_t n,
			 uint64_t first)
{
	uint64_t off[MOV_AUDIO_MAX_TRACKS];
	uint64_t bytes = mov_audio_chunk_layout(&w->audio, n, off);
	int ret = 0;

	if (w->failed)
		return w->failed;
	(void)data;
	if (w->finished || !w->atracks || !n || first != w->audio_next || offset < w->next_off ||
	    offset > INT64_MAX - bytes || bytes > INT32_MAX || first > INT64_MAX)
		return -EINVAL;
	ret = defer(w, offset, (int64_t)first, (uint32_t)n);
	if (ret < 0)
		return ret;
	w->audio_next = first + n;
	w->next_off = offset + bytes; /* the next frame comes after the chunk */
	return 0;
}

uint64_t mov_writer_audio_count(const struct mov_writer *w)
{
	return w->audio_next;
}

/* One chunk of sound: a packet per track, at the track's place in the chunk. */
static int write_chunk(struct mov_writer *w, uint64_t offset, uint64_t first, uint64_t n)
{
	uint64_t off[MOV_AUDIO_MAX_TRACKS];
	uint64_t bytes = mov_audio_chunk_layout(&w->audio, n, off);
	const uint8_t *data = dummy_payload(w, bytes);
	int ret = 0;

	if (!data)
		return -ENOMEM;
	for (unsigned t = 0; t < w->atracks && ret >= 0; t++) {
		uint64_t size = n * mov_audio_track_channels(&w->audio, t) * (w->audio.bits / 8);

		ret = write_packet(w, offset + off[t], data + off[t], size, w->ast[t],
				   (int64_t)first, (int64_t)n);
	}
	return ret;
}

/* Every sample kept, to the muxer in the order it came (its interleaving is the file's). */
static int write_pending(struct mov_writer *w)
{
	const void *frame;
	int ret = 0;

	for (size_t i = 0; i < w->nq && ret >= 0; i++) {
		const struct pending *e = &w->q[i];

		if (e->n)
			ret = write_chunk(w, e->offset, (uint64_t)e->t, e->n);
		else if (!(frame = dummy_payload(w, w->frame_size))) /* may move with a chunk */
			ret = -ENOMEM;
		else
			ret = write_frame(w, e->offset, frame, w->frame_size, e->t);
	}
	free(w->q);
	w->q = NULL;
	w->nq = w->capq = 0;
	return ret;
}

int mov_writer_finish(struct mov_writer *w, uint64_t moov_at, uint64_t *ret_size)
{
	uint64_t end = moov_at ? moov_at : w->next_off;
	int64_t pos;
	int ret;

	if (w->failed)
		return w->failed;
	if (w->finished || end < w->next_off || end > INT64_MAX)
		return -EINVAL;
	w->finished = true;
	ret = write_pending(w);
	if (ret < 0) {
		w->failed = ret;
		return ret;
	}
	pos = avio_seek(w->oc->pb, end, SEEK_SET);
	ret = pos < 0 ? mov_av_err(pos) : mov_av_err(av_write_trailer(w->oc));
	if (ret >= 0)
		avio_flush(w->oc->pb);
	if (w->io.err)
		ret = w->io.err;
	if (ret >= 0)
		ret = fix_mdat(w->io.fd, w->wide_pos, end);
	if (ret < 0) {
		w->failed = ret;
		return ret;
	}
	if (ret_size)
		*ret_size = w->io.max_end;
	return 0;
}

void mov_writer_free(struct mov_writer *w)
{
	if (!w)
		return;
	if (w->oc && w->oc->pb) {
		av_freep(&w->oc->pb->buffer);
		avio_context_free(&w->oc->pb);
	}
	avformat_free_context(w->oc);
	av_packet_free(&w->pkt);
	free(w->dummy);
	free(w->q);
	free(w);
}
