/* The reader: the sample table of any MOV through avformat_open_input() alone (which parses
 * the boxes, reading no payload). The index entries are copied out because libavformat's
 * pointers are invalidated by later calls. */
#include "mov-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

struct mov_reader {
	struct mov_info info;
	struct mov_sample *samples;
};

static AVStream *video_stream(AVFormatContext *ic)
{
	unsigned i;

	for (i = 0; i < ic->nb_streams; i++)
		if (ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
			return ic->streams[i];
	return NULL;
}

static void find_timecode(AVFormatContext *ic, AVStream *st, char *buf, size_t len)
{
	const AVDictionaryEntry *e = av_dict_get(st->metadata, "timecode", NULL, 0);
	unsigned i;

	for (i = 0; !e && i < ic->nb_streams; i++)
		e = av_dict_get(ic->streams[i]->metadata, "timecode", NULL, 0);
	if (!e)
		e = av_dict_get(ic->metadata, "timecode", NULL, 0);
	snprintf(buf, len, "%s", e ? e->value : "");
}

static void fill_info(struct mov_info *in, AVFormatContext *ic, AVStream *st)
{
	const AVCodecParameters *par = st->codecpar;
	AVRational rate = st->avg_frame_rate, sar;

	in->tag = par->codec_tag;
	in->depth = par->bits_per_coded_sample;
	in->format = mov_format_from_tag(in->tag, in->depth);
	snprintf(in->codec, sizeof(in->codec), "%s", avcodec_get_name(par->codec_id));
	in->width = par->width;
	in->height = par->height;
	if (!rate.num || !rate.den)
		rate = st->r_frame_rate;
	if (rate.num > 0 && rate.den > 0) {
		in->rate_num = rate.num;
		in->rate_den = rate.den;
	}
	in->tb_num = st->time_base.num;
	in->tb_den = st->time_base.den;
	in->field = mov_field_from_av(par->field_order);
	in->primaries = par->color_primaries;
	in->transfer = par->color_trc;
	in->matrix = par->color_space;
	sar = st->sample_aspect_ratio.num ? st->sample_aspect_ratio : par->sample_aspect_ratio;
	if (sar.num > 0 && sar.den > 0) {
		in->sar_num = sar.num;
		in->sar_den = sar.den;
	}
	find_timecode(ic, st, in->timecode, sizeof(in->timecode));
	in->file_size = ic->pb ? (uint64_t)avio_size(ic->pb) : 0;
}

static int copy_index(struct mov_reader *r, AVStream *st)
{
	int n = avformat_index_get_entries_count(st);
	int64_t last = 0;
	int i;

	if (n < 0)
		return -EPROTO;
	r->samples = calloc(n ? n : 1, sizeof(*r->samples));
	if (!r->samples)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const AVIndexEntry *e = avformat_index_get_entry(st, i);

		if (!e)
			return -EPROTO;
		r->samples[i].offset = e->pos;
		r->samples[i].size = e->size;
		r->samples[i].pts = e->timestamp;
		last = e->timestamp;
	}
	r->info.samples = n;
	if (n && st->time_base.den) {
		/* duration: last timestamp plus one average frame */
		int64_t step = n > 1 ? (last - r->samples[0].pts) / (n - 1) : 0;

		if (st->duration > 0)
			r->info.duration = st->duration * av_q2d(st->time_base);
		else
			r->info.duration = (last - r->samples[0].pts + step) * av_q2d(st->time_base);
	}
	return 0;
}

int mov_reader_open(const char *path, struct mov_reader **ret_reader)
{
	AVFormatContext *ic = NULL;
	struct mov_reader *r;
	AVStream *st;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = avformat_open_input(&ic, path, av_find_input_format("mov"), NULL);
	if (ret < 0) {
		ret = mov_av_err(ret);
		if (ret == -EPROTO || ret == -ENODATA)
			ret = -EINVAL;
		goto out_free;
	}
	st = video_stream(ic);
	if (!st) {
		ret = -ENOMEDIUM;
		goto out_close;
	}
	fill_info(&r->info, ic, st);
	ret = copy_index(r, st);
	if (ret < 0)
		goto out_close;
	avformat_close_input(&ic);
	*ret_reader = r;
	return 0;

out_close:
	avformat_close_input(&ic);
out_free:
	mov_reader_free(r);
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
	free(r->samples);
	free(r);
}
