/* The reader: the index of any MOV through libavformat's mov demuxer, avformat_open_input()
 * alone (it parses every moov and moof box of a seekable file and reads no payload). Its index
 * entries are each sample's position and size after edit lists (FFmpeg libavformat/mov.c,
 * mov_fix_index), which is what ffmpeg plays; they are copied out because libavformat's
 * pointers die with later calls. What a player of whole uncompressed frames cannot play right
 * is refused here with a one-line reason, never passed on. */
#include "mov-internal.h"
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOV_MAX_SAMPLES (1 << 27)

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

static AVStream *video_stream(AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		AVStream *st = fc->streams[i];

		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
			return st;
	}
	return NULL;
}

static enum mov_field field_from_av(enum AVFieldOrder order)
{
	for (unsigned f = 0; f < MOV_FIELD_UNKNOWN; f++)
		if (mov_field_to_av(f) == order)
			return f;
	return MOV_FIELD_UNKNOWN;
}

static void fill_info(struct mov_info *in, const AVStream *st)
{
	const AVCodecParameters *par = st->codecpar;
	AVRational rate = st->r_frame_rate, sar = st->sample_aspect_ratio;

	in->tag = par->codec_tag;
	in->depth = (unsigned)par->bits_per_coded_sample;
	in->format = mov_format_from_tag(in->tag, in->depth);
	snprintf(in->codec, sizeof(in->codec), "%s",
		 in->format ? mov_format_codec_name(in->format) : avcodec_get_name(par->codec_id));
	in->width = (unsigned)par->width;
	in->height = (unsigned)par->height;
	if (rate.num <= 0 || rate.den <= 0)
		rate = st->avg_frame_rate;
	if (rate.num > 0 && rate.den > 0) {
		in->rate_num = (unsigned)rate.num;
		in->rate_den = (unsigned)rate.den;
	}
	in->tb_num = (unsigned)st->time_base.num;
	in->tb_den = (unsigned)st->time_base.den;
	in->field = field_from_av(par->field_order);
	in->primaries = par->color_primaries;
	in->transfer = par->color_trc;
	in->matrix = par->color_space;
	/* mov.c (mov_read_pasp) sets the stream's pasp; codecpar's is a decoder's guess */
	if (sar.num <= 0 || sar.den <= 0)
		sar = par->sample_aspect_ratio;
	if (sar.num > 0 && sar.den > 0) {
		in->sar_num = (unsigned)sar.num;
		in->sar_den = (unsigned)sar.den;
	}
}

#define MOV_MAX_PTS (INT64_C(1) << 61)

/* The index entries ffmpeg plays: those an edit cut (AVINDEX_DISCARD_FRAME) are left out. */
static int copy_index(struct mov_reader *r, const AVStream *st, char *why, size_t len)
{
	int n = avformat_index_get_entries_count(st);
	uint64_t k = 0;

	if (n > MOV_MAX_SAMPLES)
		return why_set(why, len, -EFBIG, "%d frames in the index (the limit is %d)", n,
			       MOV_MAX_SAMPLES);
	/* A frame takes a byte of the file at least, and each repeat of one an index entry of
	 * its own: more frames than bytes is a damaged count (a 2 KiB fragment whose trun says
	 * 2^24 frames of a default size), refused before a copy of the table is made. */
	if ((uint64_t)n > r->info.file_size)
		return why_set(why, len, -EBADMSG, "%d frames in the index of a file of %llu bytes",
			       n, (unsigned long long)r->info.file_size);
	r->samples = calloc(n > 0 ? (size_t)n : 1, sizeof(*r->samples));
	if (!r->samples)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const AVIndexEntry *e = avformat_index_get_entry((AVStream *)st, i);

		if (!e || e->pos < 0)
			return why_set(why, len, -EBADMSG, "index entry %d has no position", i);
		if (e->size < 0) /* libavformat's 30-bit size, from a damaged trun */
			return why_set(why, len, -EBADMSG, "index entry %d has a size of %d bytes",
				       i, e->size);
		/* every user of the samples subtracts pts: within 2^61 ticks (at 90 kHz, 800000
		 * years) no difference overflows; beyond is a damaged time-to-sample table */
		if (e->timestamp < -MOV_MAX_PTS || e->timestamp > MOV_MAX_PTS)
			return why_set(why, len, -EBADMSG, "index entry %d has a pts of %lld ticks",
				       i, (long long)e->timestamp);
		if (e->flags & AVINDEX_DISCARD_FRAME)
			continue;
		r->samples[k++] = (struct mov_sample){ .offset = (uint64_t)e->pos,
						       .size = (uint32_t)e->size,
						       .pts = e->timestamp };
	}
	r->info.samples = k;
	return 0;
}

/* One sample description per track: samples that point at a second one would be played
 * with the first's format. */
static int one_description(int fd, uint64_t size, const AVStream *st, char *why, size_t len)
{
	uint32_t tags[2];
	unsigned n = 0;
	char a[5], b[5];
	int ret = mov_stsd_tags(fd, size, (unsigned)st->id, tags, 2, &n);

	if (ret < 0)
		return 0; /* libavformat read the track: its boxes are its business */
	if (n <= 1)
		return 0;
	return why_set(why, len, -ENOTSUP, "%u sample descriptions (%s, %s%s) in one track", n,
		       mov_fourcc_str(tags[0], a), mov_fourcc_str(tags[1], b),
		       n > 2 ? ", ..." : "");
}

/* Every frame has one size, and its rows are the format's rows or padded ones: ffmpeg writes
 * 'raw ' rows padded to an even byte count (libavformat/movenc.c, mov_write_packet), and its
 * v210 decoder also takes rows padded to 64 bytes instead of 128 (libavcodec/v210dec.c). */
static int frame_shape(struct mov_info *in, const struct mov_sample *s, char *why, size_t len)
{
	uint64_t min, row;

	if (!in->samples || !in->format)
		return 0;
	in->frame_size = s[0].size;
	for (uint64_t i = 1; i < in->samples; i++)
		if (s[i].size != s[0].size)
			return why_set(
			    why, len, -EBADMSG,
			    "frames of different sizes (frame %llu is %u bytes, frame 0 %u)",
			    (unsigned long long)i, s[i].size, s[0].size);
	row = mov_format_stride(in->format, in->width);
	min = ((uint64_t)in->width * mov_format_bits(in->format) + 7) / 8;
	if (in->height && s[0].size % in->height == 0 && s[0].size / in->height >= min &&
	    s[0].size / in->height <= row + 128) {
		in->stride = s[0].size / in->height;
		return 0;
	}
	return why_set(why, len, -EBADMSG, "frames are %u bytes; a %ux%u %s frame is %llu",
		       s[0].size, in->width, in->height, mov_format_name(in->format),
		       (unsigned long long)row * in->height);
}

static void duration(struct mov_info *in, const AVStream *st)
{
	if (st->duration > 0)
		in->duration = (double)st->duration * st->time_base.num / st->time_base.den;
	else if (in->samples && in->rate_num)
		in->duration = (double)in->samples * in->rate_den / in->rate_num;
}

int mov_av_open(AVFormatContext **fc, const char *path, const AVInputFormat *fmt)
{
	AVDictionary *opts = NULL;
	int ret = av_dict_set(&opts, "ignore_chapters", "1", 0);

	if (ret >= 0)
		ret = avformat_open_input(fc, path, fmt, &opts);
	av_dict_free(&opts); /* options a probed demuxer other than mov did not take */
	return ret;
}

static int open_format(const char *path, AVFormatContext **ret_fc, char *why, size_t len)
{
	const AVInputFormat *mov = av_find_input_format("mov");
	int ret;

	*ret_fc = NULL;
	ret = mov_av_open(ret_fc, path, mov);
	if (ret == AVERROR(ENOMEM))
		return -ENOMEM;
	if (ret < 0) {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(ret, msg, sizeof(msg));
		return why_set(why, len, -EINVAL, "not a readable MOV (%s)", msg);
	}
	return 0;
}

/* What sound the file has, from its audio streams' parameters (no packet is read). */
static void audio_info(struct mov_info *in, const AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++) {
		const AVStream *st = fc->streams[i];
		const AVCodecParameters *par = st->codecpar;

		if (par->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		in->audio_channels += par->ch_layout.nb_channels;
		if (in->audio_tracks++)
			continue;
		in->audio_rate = par->sample_rate;
		in->audio_bits = av_get_bits_per_sample(par->codec_id);
		if (st->duration > 0)
			in->audio_samples = av_rescale_q(st->duration, st->time_base,
							 (AVRational){ 1, par->sample_rate ?: 1 });
		snprintf(in->audio_codec, sizeof(in->audio_codec), "%s",
			 avcodec_get_name(par->codec_id));
	}
}

static int read_index(struct mov_reader *r, AVFormatContext *fc, int fd, char *why, size_t len)
{
	AVStream *st = video_stream(fc);
	int ret;

	if (!st)
		return why_set(why, len, -ENOMEDIUM, "no video track");
	fill_info(&r->info, st);
	r->info.file_size = (uint64_t)avio_size(fc->pb);
	ret = one_description(fd, r->info.file_size, st, why, len);
	if (ret == 0)
		ret = copy_index(r, st, why, len);
	if (ret == 0 && !r->info.samples)
		ret = why_set(why, len, -ENODATA, "no frames in the index%s",
			      fc->nb_streams ? "" : " and no tracks");
	if (ret == 0)
		ret = frame_shape(&r->info, r->samples, why, len);
	if (ret < 0)
		return ret;
	duration(&r->info, st);
	audio_info(&r->info, fc);
	ret = mov_tc_map_read(&r->tc, fc, fd, st, r->samples, r->info.samples);
	if (ret < 0)
		return why_set(why, len, ret, "its timecode track cannot be read");
	if (r->tc.n) {
		mov_reader_timecode(r, 0, r->info.timecode, sizeof(r->info.timecode));
		r->info.timecode_breaks = (unsigned)r->tc.n - 1;
	}
	return 0;
}

int mov_reader_open(const char *path, struct mov_reader **ret_reader, char *why, size_t len)
{
	struct mov_reader *r;
	AVFormatContext *fc;
	int fd, ret;

	if (why && len)
		why[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = open_format(path, &fc, why, len);
	if (ret < 0)
		goto out_free;
	ret = read_index(r, fc, fd, why, len);
	avformat_close_input(&fc);
	if (ret < 0)
		goto out_free;
	close(fd);
	*ret_reader = r;
	return 0;

out_free:
	mov_reader_free(r);
out_close:
	close(fd);
	return ret;
}

void mov_reader_info(const struct mov_reader *r, struct mov_info *ret_info)
{
	*ret_info = r->info;
}

uint64_t mov_reader_count(const struct mov_reader *r)
{
	return r->info.samples;
}

int mov_reader_sample(const struct mov_reader *r, uint64_t i, struct mov_sample *ret_sample)
{
	if (i >= r->info.samples)
		return -ERANGE;
	*ret_sample = r->samples[i];
	return 0;
}

const struct mov_sample *mov_reader_samples(const struct mov_reader *r)
{
	return r->samples;
}

void mov_reader_free(struct mov_reader *r)
{
	if (!r)
		return;
	free(r->tc.seg);
	free(r->samples);
	free(r);
}
