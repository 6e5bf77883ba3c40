/* The capture report's picture part: every frame read through libavformat and decoded by
 * libavcodec as ffmpeg does, its statistics computed by libavfilter (never here): signalstats
 * for luma, chroma, saturation, hue, out-of-range pixels (BRNG) and the difference to the
 * frame before (YDIF), and the mean squared error between the frame's two fields (field=top
 * against field=bottom through psnr, QCTools' MSEf); thumbnails scaled by libavfilter and
 * written as PNG by libavcodec. The graph is what "ffmpeg -vf signalstats" builds (the same
 * automatic conversion to a planar format, with ffmpeg's default bicubic scaler flags), so
 * the values equal ffmpeg's for the same frame. */
#include "mov-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/md5.h>
#include <libavutil/opt.h>

/* signalstats' keys in enum mov_report_stat order, then the psnr branch's */
static const char *const stat_keys[MOV_REPORT_STATS] = {
	[MOV_STAT_YMIN] = "lavfi.signalstats.YMIN",
	[MOV_STAT_YLOW] = "lavfi.signalstats.YLOW",
	[MOV_STAT_YAVG] = "lavfi.signalstats.YAVG",
	[MOV_STAT_YHIGH] = "lavfi.signalstats.YHIGH",
	[MOV_STAT_YMAX] = "lavfi.signalstats.YMAX",
	[MOV_STAT_UAVG] = "lavfi.signalstats.UAVG",
	[MOV_STAT_VAVG] = "lavfi.signalstats.VAVG",
	[MOV_STAT_SATMIN] = "lavfi.signalstats.SATMIN",
	[MOV_STAT_SATAVG] = "lavfi.signalstats.SATAVG",
	[MOV_STAT_SATMAX] = "lavfi.signalstats.SATMAX",
	[MOV_STAT_HUEAVG] = "lavfi.signalstats.HUEAVG",
	[MOV_STAT_YDIF] = "lavfi.signalstats.YDIF",
	[MOV_STAT_TOUT] = "lavfi.signalstats.TOUT",
	[MOV_STAT_VREP] = "lavfi.signalstats.VREP",
	[MOV_STAT_BRNG] = "lavfi.signalstats.BRNG",
	[MOV_STAT_MSEF_Y] = "lavfi.psnr.mse.y",
};

/* signalstats' stat=tout+vrep+brng turns on the three counts QCTools plots */
#define STATS_FILTER "signalstats=stat=tout+vrep+brng"
#define FIELDS_FILTER ",split[s][f];[f]split[a][b];[a]field=top[t];[b]field=bottom[u];[t][u]psnr"

struct dec {
	AVFormatContext *fc;
	AVStream *st;
	AVCodecContext *cc;
	AVFilterGraph *g;
	AVFilterContext *src, *sink_stats, *sink_fields;
	AVFilterGraph *tg; /* thumbnails */
	AVFilterContext *tsrc, *tsink;
	AVCodecContext *png;
	AVFrame *fr, *out;
	AVPacket *pkt;
};

/* A graph from the buffer source "in" through desc to the sinks named in sink_names. */
static int graph_open(AVFilterGraph **ret_g, AVFilterContext **ret_src, const char *desc,
		      const char *const *sink_names, AVFilterContext **sinks, unsigned nsinks,
		      const AVCodecContext *cc, AVRational tb)
{
	AVFilterGraph *g = avfilter_graph_alloc();
	AVFilterInOut *outs = NULL, *ins = NULL, **tail = &ins;
	char args[256];
	int ret;

	if (!g)
		return -ENOMEM;
	g->nb_threads = 1; /* the report is a background job: one core */
	av_opt_set(g, "scale_sws_opts", "flags=bicubic", 0); /* ffmpeg's default */
	snprintf(args, sizeof(args),
		 "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d", cc->width,
		 cc->height, cc->pix_fmt, tb.num, tb.den,
		 cc->sample_aspect_ratio.num > 0 ? cc->sample_aspect_ratio.num : 1,
		 cc->sample_aspect_ratio.den > 0 ? cc->sample_aspect_ratio.den : 1);
	ret = avfilter_graph_create_filter(ret_src, avfilter_get_by_name("buffer"), "in", args,
					   NULL, g);
	for (unsigned i = 0; ret >= 0 && i < nsinks; i++) {
		ret = avfilter_graph_create_filter(&sinks[i], avfilter_get_by_name("buffersink"),
						   sink_names[i], NULL, NULL, g);
		if (ret >= 0 && !(*tail = avfilter_inout_alloc()))
			ret = AVERROR(ENOMEM);
		if (ret >= 0) {
			(*tail)->name = av_strdup(sink_names[i]);
			(*tail)->filter_ctx = sinks[i];
			tail = &(*tail)->next;
		}
	}
	if (ret >= 0 && !(outs = avfilter_inout_alloc()))
		ret = AVERROR(ENOMEM);
	if (ret >= 0) {
		outs->name = av_strdup("in");
		outs->filter_ctx = *ret_src;
		ret = avfilter_graph_parse_ptr(g, desc, &ins, &outs, NULL);
	}
	if (ret >= 0)
		ret = avfilter_graph_config(g, NULL);
	avfilter_inout_free(&ins);
	avfilter_inout_free(&outs);
	if (ret < 0) {
		avfilter_graph_free(&g);
		return ret == AVERROR_FILTER_NOT_FOUND ? -ENOSYS : mov_av_err(ret);
	}
	*ret_g = g;
	return 0;
}

static int open_decoder(struct dec *d, const char *path)
{
	const AVCodec *codec;
	int ret = mov_av_open(&d->fc, path, NULL);

	if (ret >= 0)
		ret = avformat_find_stream_info(d->fc, NULL);
	if (ret < 0)
		return mov_av_err(ret);
	for (unsigned i = 0; i < d->fc->nb_streams; i++) {
		AVStream *st = d->fc->streams[i];

		if (!d->st && st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
			d->st = st;
		else
			st->discard = AVDISCARD_ALL;
	}
	if (!d->st)
		return -ENOMEDIUM;
	codec = avcodec_find_decoder(d->st->codecpar->codec_id);
	if (!codec)
		return -ENOTSUP;
	d->cc = avcodec_alloc_context3(codec);
	if (!d->cc)
		return -ENOMEM;
	ret = avcodec_parameters_to_context(d->cc, d->st->codecpar);
	if (ret >= 0) {
		d->cc->thread_count = 1;
		d->cc->pkt_timebase = d->st->time_base;
		ret = avcodec_open2(d->cc, codec, NULL);
	}
	return ret < 0 ? mov_av_err(ret) : 0;
}

static int open_graphs(struct mov_report *r, struct dec *d, bool thumbs, unsigned tw)
{
	static const char *const names[] = { "s", "p" };
	static const char *const tnames[] = { "out" };
	AVFilterContext *sinks[2];
	AVRational tb = { r->info.rate_den ? (int)r->info.rate_den : 1,
			  r->info.rate_num ? (int)r->info.rate_num : 25 };
	bool fields = d->cc->height % 2 == 0; /* two fields of one height each */
	char desc[256], tdesc[128];
	unsigned th;
	int ret;

	snprintf(desc, sizeof(desc), "[in]" STATS_FILTER "%s",
		 fields ? FIELDS_FILTER "[p]" : "[s]");
	snprintf(r->stats_filter, sizeof(r->stats_filter), "%s", desc);
	ret = graph_open(&d->g, &d->src, desc, names, sinks, fields ? 2 : 1, d->cc, tb);
	if (ret < 0)
		return ret;
	d->sink_stats = sinks[0];
	d->sink_fields = fields ? sinks[1] : NULL;
	if (!thumbs)
		return 0;
	/* the display aspect: the pixel aspect widens or narrows the stored width */
	th = (unsigned)lround(
	    tw * (double)d->cc->height /
	    (d->cc->width * (r->info.sar_den ? (double)r->info.sar_num / r->info.sar_den : 1.0)));
	th += th % 2;
	snprintf(tdesc, sizeof(tdesc), "[in]scale=%u:%u:flags=bicubic,format=rgb24[out]", tw,
		 th ? th : 2);
	ret = graph_open(&d->tg, &d->tsrc, tdesc, tnames, &d->tsink, 1, d->cc, tb);
	if (ret < 0)
		return ret;
	d->png = avcodec_alloc_context3(avcodec_find_encoder(AV_CODEC_ID_PNG));
	if (!d->png)
		return -ENOSYS;
	d->png->width = (int)tw;
	d->png->height = (int)(th ? th : 2);
	d->png->pix_fmt = AV_PIX_FMT_RGB24;
	d->png->time_base = (AVRational){ 1, 25 };
	d->png->thread_count = 1;
	ret = avcodec_open2(d->png, d->png->codec, NULL);
	return ret < 0 ? mov_av_err(ret) : 0;
}

static void take_stats(struct mov_report *r, const AVFrame *f, unsigned from, unsigned to)
{
	const AVDictionaryEntry *e;
	struct mov_report_frame *rf;

	if (f->pts < 0 || (uint64_t)f->pts >= r->frames)
		return;
	rf = &r->frame[f->pts];
	rf->has_stats = true;
	for (unsigned k = from; k < to; k++) {
		e = av_dict_get(f->metadata, stat_keys[k], NULL, 0);
		if (e) /* the filter's own text, so a reprint with %g is ffmpeg's */
			rf->stat[k] = strtod(e->value, NULL);
	}
}

/* Everything the stats sinks have ready. */
static int drain_stats(struct mov_report *r, struct dec *d)
{
	int ret;

	while ((ret = av_buffersink_get_frame(d->sink_stats, d->out)) >= 0) {
		take_stats(r, d->out, 0, MOV_STAT_MSEF_Y);
		av_frame_unref(d->out);
	}
	if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
		return mov_av_err(ret);
	while (d->sink_fields && (ret = av_buffersink_get_frame(d->sink_fields, d->out)) >= 0) {
		take_stats(r, d->out, MOV_STAT_MSEF_Y, MOV_REPORT_STATS);
		av_frame_unref(d->out);
	}
	if (d->sink_fields && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
		return mov_av_err(ret);
	return 0;
}

static int add_thumb(struct mov_report *r, struct dec *d, uint64_t i)
{
	struct mov_report_thumb *t, *n;
	AVPacket *p = d->pkt;
	int ret = av_buffersrc_add_frame_flags(d->tsrc, d->fr, AV_BUFFERSRC_FLAG_KEEP_REF);

	if (ret >= 0)
		ret = av_buffersink_get_frame(d->tsink, d->out);
	if (ret >= 0)
		ret = avcodec_send_frame(d->png, d->out);
	av_frame_unref(d->out);
	if (ret >= 0)
		ret = avcodec_receive_packet(d->png, p);
	if (ret < 0)
		return ret == AVERROR(EAGAIN) ? 0 : mov_av_err(ret);
	n = realloc(r->thumb, (r->thumbs + 1) * sizeof(*n));
	if (!n) {
		av_packet_unref(p);
		return -ENOMEM;
	}
	r->thumb = n;
	t = &r->thumb[r->thumbs];
	*t = (struct mov_report_thumb){ .frame = i,
					.t = r->frame[i].t,
					.width = (unsigned)d->png->width,
					.height = (unsigned)d->png->height,
					.png = malloc(p->size),
					.size = (size_t)p->size };
	if (t->png) {
		memcpy(t->png, p->data, p->size);
		r->thumbs++;
	}
	av_packet_unref(p);
	return t->png ? 0 : -ENOMEM;
}

/* Frame i decoded in d->fr: into the statistics graph, and a thumbnail when one is due. */
static int take_frame(struct mov_report *r, struct dec *d, uint64_t i, double *next_thumb,
		      double every)
{
	int ret;

	d->fr->pts = (int64_t)i;
	if (d->tg && r->frame[i].t >= *next_thumb) {
		ret = add_thumb(r, d, i);
		if (ret < 0)
			return ret;
		*next_thumb = r->frame[i].t + every;
	}
	ret = av_buffersrc_add_frame_flags(d->src, d->fr, AV_BUFFERSRC_FLAG_KEEP_REF);
	av_frame_unref(d->fr);
	return ret < 0 ? mov_av_err(ret) : drain_stats(r, d);
}

static void check_md5(struct mov_report *r, const AVPacket *p, uint64_t i)
{
	uint8_t md5[16];

	if (!r->log_md5 || i >= r->frames)
		return;
	av_md5_sum(md5, p->data, p->size);
	r->md5_checked++;
	if (memcmp(md5, r->log_md5[i], 16)) {
		r->md5_mismatches++;
		mov_report_add_event(
		    r, &(struct mov_report_event){ .kind = MOV_EVENT_MD5, .frame = i });
	}
}

/* Every packet of the video stream, in file order: sample i is the i-th. */
static int read_all(struct mov_report *r, struct dec *d, double every)
{
	double next_thumb = 0;
	uint64_t in = 0, out = 0;
	int ret;

	while ((ret = av_read_frame(d->fc, d->pkt)) >= 0) {
		if (d->pkt->stream_index != d->st->index) {
			av_packet_unref(d->pkt);
			continue;
		}
		check_md5(r, d->pkt, in++);
		ret = avcodec_send_packet(d->cc, d->pkt);
		av_packet_unref(d->pkt);
		while (ret >= 0 && (ret = avcodec_receive_frame(d->cc, d->fr)) >= 0)
			ret = out < r->frames ? take_frame(r, d, out++, &next_thumb, every) : 0;
		if (ret < 0 && ret != AVERROR(EAGAIN))
			return ret == AVERROR_INVALIDDATA ? -EBADMSG : ret;
	}
	if (ret != AVERROR_EOF)
		return mov_av_err(ret);
	avcodec_send_packet(d->cc, NULL);
	while ((ret = avcodec_receive_frame(d->cc, d->fr)) >= 0 && out < r->frames)
		if ((ret = take_frame(r, d, out++, &next_thumb, every)) < 0)
			return ret;
	ret = av_buffersrc_add_frame(d->src, NULL); /* the end: the fields' branch lets go */
	return ret < 0 ? mov_av_err(ret) : drain_stats(r, d);
}

int mov_report_decode(struct mov_report *r, const char *path, double thumb_every,
		      unsigned thumb_width)
{
	struct dec d = { 0 };
	int ret;

	for (uint64_t i = 0; i < r->frames; i++)
		for (unsigned k = 0; k < MOV_REPORT_STATS; k++)
			r->frame[i].stat[k] = NAN;
	ret = open_decoder(&d, path);
	d.fr = av_frame_alloc();
	d.out = av_frame_alloc();
	d.pkt = av_packet_alloc();
	if (ret >= 0 && (!d.fr || !d.out || !d.pkt))
		ret = -ENOMEM;
	if (ret >= 0)
		ret = open_graphs(r, &d, thumb_every >= 0, thumb_width);
	if (ret >= 0)
		ret = read_all(r, &d, thumb_every);
	if (ret >= 0)
		r->stats = true;
	avcodec_free_context(&d.png);
	avfilter_graph_free(&d.tg);
	avfilter_graph_free(&d.g);
	av_frame_free(&d.fr);
	av_frame_free(&d.out);
	av_packet_free(&d.pkt);
	avcodec_free_context(&d.cc);
	avformat_close_input(&d.fc);
	return ret;
}
