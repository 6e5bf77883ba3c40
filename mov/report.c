/* The capture report: the file's description and timeline from its index (reader.c), what
 * its capture log says (report-log.c) and what its pictures hold (report-av.c), as plain data
 * for vmov report to draw or print. */
#include "mov-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stat_names[MOV_REPORT_STATS] = {
	"YMIN",	  "YLOW",   "YAVG",   "YHIGH", "YMAX", "UAVG", "VAVG", "SATMIN",
	"SATAVG", "SATMAX", "HUEAVG", "YDIF",  "TOUT", "VREP", "BRNG", "MSEfY",
};

static const char *const event_names[] = {
	[MOV_EVENT_DROP] = "drop",	  [MOV_EVENT_FILL] = "fill",
	[MOV_EVENT_FLAGGED] = "flagged",  [MOV_EVENT_TC_BREAK] = "tc-break",
	[MOV_EVENT_XRUN] = "xrun",	  [MOV_EVENT_LATE] = "late",
	[MOV_EVENT_MD5] = "md5-mismatch",
};

const char *mov_report_stat_name(unsigned stat)
{
	return stat < MOV_REPORT_STATS ? stat_names[stat] : NULL;
}

const char *mov_report_event_name(enum mov_report_event_kind kind)
{
	return (unsigned)kind < sizeof(event_names) / sizeof(event_names[0]) ? event_names[kind]
									     : "unknown";
}

static int by_frame(const void *a, const void *b)
{
	const struct mov_report_event *x = a, *y = b;

	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/* Each frame's time on the index's clock, and the timecode track's label. */
static void timeline(struct mov_report *r, const struct mov_reader *rd)
{
	const struct mov_sample *s = mov_reader_samples(rd);
	double tb = r->info.tb_den ? (double)r->info.tb_num / r->info.tb_den : 0;

	for (uint64_t i = 0; i < r->frames; i++) {
		r->frame[i].t = (double)(s[i].pts - s[0].pts) * tb;
		if (mov_reader_timecode(rd, i, r->frame[i].timecode, sizeof(r->frame[i].timecode)) <
		    0)
			r->frame[i].timecode[0] = '\0';
	}
}

/* Without a log: the timecode track's breaks, where a label does not follow the one before
 * by the frame periods between them (a drop leaves a gap in the pts, and the labels, which
 * follow the time, skip as much: no break); a step back to 00:00:00:00 is taken as midnight. */
static int track_breaks(struct mov_report *r)
{
	const struct mov_info *in = &r->info;
	double rate = in->rate_den ? (double)in->rate_num / in->rate_den : 0;
	int64_t prev = -1, cur;
	int ret = 0;

	if (!in->timecode[0] || !rate)
		return 0;
	for (uint64_t i = 0; i < r->frames && ret >= 0; i++) {
		if (mov_timecode_frames(r->frame[i].timecode, in->rate_num, in->rate_den, &cur) <
		    0) {
			prev = -1;
			continue;
		}
		if (prev >= 0 && cur != 0 &&
		    cur - prev != llround((r->frame[i].t - r->frame[i - 1].t) * rate))
			ret = mov_report_add_event(r, &(struct mov_report_event){
							  .kind = MOV_EVENT_TC_BREAK, .frame = i });
		prev = cur;
	}
	return ret;
}

static int read_log(struct mov_report *r, const char *path, const struct mov_report_opts *o,
		    const struct mov_reader *rd)
{
	int ret;

	if (o->journal)
		snprintf(r->log_path, sizeof(r->log_path), "%s", o->journal);
	else if (mov_journal_path(path, r->log_path, sizeof(r->log_path)) < 0)
		r->log_path[0] = '\0';
	ret = r->log_path[0] ? mov_report_read_log(r, r->log_path, rd) : -ENOENT;
	if (ret == -ENOMEM)
		return ret;
	r->has_log = ret >= 0;
	r->log_err = ret < 0 ? ret : 0;
	return r->has_log ? 0 : track_breaks(r);
}

/* The thumbnails' interval: asked, or about 24 over the file, on whole seconds when longer
 * than one. */
static double thumb_every(const struct mov_report *r, const struct mov_report_opts *o)
{
	double d = r->frames ? r->frame[r->frames - 1].t : 0, e;

	if (o->thumb_every)
		return o->thumb_every;
	e = d / 24;
	return e > 1 ? ceil(e) : e > 0 ? e : 1;
}

int mov_report_open(const char *path, const struct mov_report_opts *opts,
		    struct mov_report **ret_report, char *why, size_t len)
{
	static const struct mov_report_opts none = { 0 };
	const struct mov_report_opts *o = opts ? opts : &none;
	struct mov_reader *rd = NULL;
	struct mov_report *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = mov_reader_open(path, &rd, why, len);
	if (ret < 0)
		goto out_free;
	mov_reader_info(rd, &r->info);
	r->frames = mov_reader_count(rd);
	r->frame = calloc(r->frames ? r->frames : 1, sizeof(*r->frame));
	if (!r->frame) {
		ret = -ENOMEM;
		goto out_reader;
	}
	timeline(r, rd);
	ret = read_log(r, path, o, rd);
	if (ret >= 0 && !o->no_stats)
		ret = mov_report_decode(r, path, thumb_every(r, o),
					o->thumb_width ? o->thumb_width : 160);
	if (ret < 0) {
		if (why && len)
			snprintf(why, len, "%s%s",
				 ret == -ENOSYS ? "this libavfilter lacks a filter "
						  "the statistics need: "
						: "reading its frames: ",
				 strerror(-ret));
		goto out_reader;
	}
	if (r->events)
		qsort(r->event, r->events, sizeof(*r->event), by_frame);
	mov_reader_free(rd);
	*ret_report = r;
	return 0;

out_reader:
	mov_reader_free(rd);
out_free:
	mov_report_free(r);
	return ret;
}

void mov_report_free(struct mov_report *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->thumbs; i++)
		free(r->thumb[i].png);
	free(r->thumb);
	free(r->event);
	free(r->batch);
	free(r->frame);
	free(r->log_md5);
	free(r);
}
