/* vcap's live progress line, summary and --json. */
#include "tool.h"
#include "vcap.h"

#include <errno.h>
#include <libavutil/mathematics.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/* Seconds of this stream the free space under the output still holds; -1 if unknown. */
static double disk_left_s(const struct vc_conf *c, const struct cap_record_stats *st)
{
	char dir[PATH_MAX];
	struct statvfs vfs;
	double rate = st->acc.rate_den ?
		(double)st->slot_bytes * st->acc.rate_num / st->acc.rate_den : 0;

	snprintf(dir, sizeof(dir), "%s", c->rec.out);
	if (statvfs(dirname(dir), &vfs) < 0 || rate <= 0)
		return -1;
	return (double)vfs.f_bavail * vfs.f_frsize / rate;
}

/* "+12 ppm", or "-" until both clocks have run long enough (a static buffer per call site is
 * not needed: the text lives in the stats' caller's frame) */
#define audio_drift(st) drift_text((st), (char[24]){ 0 })
static const char *drift_text(const struct cap_record_stats *st, char *buf)
{
	if (!st->audio.drift_known)
		return "-";
	snprintf(buf, 24, "%+.0f ppm", st->audio.drift_ppm);
	return buf;
}

void vc_progress(const struct vc_conf *c, const struct cap_record_stats *st, bool final)
{
	double left = disk_left_s(c, st);
	double mbps = st->seconds > 0 ? st->bytes / 1e6 / st->seconds : 0;

	fprintf(stderr, "\rvcap: %llu %s  %.1f s  %.1f MB/s  buffer %3.0f%%  drops %llu",
		(unsigned long long)st->frames, tool_plural(st->frames, "frame", "frames"),
		st->seconds, mbps, st->nslots ? 100.0 * st->held / st->nslots : 0,
		(unsigned long long)st->drops);
	if (st->audio.on)
		fprintf(stderr, "  audio %.1f s xruns %llu drift %s", (double)st->audio.samples /
			st->audio.acc.rate, (unsigned long long)st->audio.xruns, audio_drift(st));
	if (left >= 0)
		fprintf(stderr, "  disk %lu:%02lu:%02lu left", (unsigned long)left / 3600,
			(unsigned long)left / 60 % 60, (unsigned long)left % 60);
	fprintf(stderr, final ? "\n" : "\033[K");
}

/* The display aspect the pasp gives the whole frame ("4:3"), into buf. */
static void display_aspect(const struct cap_record_stats *st, char *buf, size_t len)
{
	uint64_t n = (uint64_t)st->acc.width * st->sar_num, d = (uint64_t)st->acc.height * st->sar_den;
	uint64_t g = d ? (uint64_t)av_gcd((int64_t)n, (int64_t)d) : 0;

	if (!g)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu:%llu", (unsigned long long)(n / g),
			 (unsigned long long)(d / g));
}

static void audio_summary(const struct cap_record_stats *st)
{
	const struct cap_record_audio *a = &st->audio;

	fprintf(stderr,
		"vcap: audio %s: %llu samples (%.3f s) of %u channels at %u Hz %s in %u %s; %llu "
		"%s (%llu samples of silence), %llu late; drift %s\n",
		a->acc.device, (unsigned long long)a->samples, (double)a->samples / a->acc.rate,
		a->acc.channels, a->acc.rate, cap_audio_format_name(a->acc.format), a->tracks,
		tool_plural(a->tracks, "track", "tracks"), (unsigned long long)a->xruns,
		tool_plural(a->xruns, "overrun", "overruns"), (unsigned long long)a->xrun_samples,
		(unsigned long long)a->late_silence, audio_drift(st));
}

/* Skips are the preview's alone: every frame was recorded. Offered = shown + skipped + taken
 * but not out whole when the preview ended (a stalled reader, the last flip). */
static void preview_summary(const struct cap_record_stats *st)
{
	const struct cap_record_preview *p = &st->preview;
	uint64_t cut = p->copies > p->shown ? p->copies - p->shown : 0;
	char skip[64] = "", part[96] = "";

	if (p->skipped)
		snprintf(skip, sizeof(skip), ", %llu skipped (it was busy)",
			 (unsigned long long)p->skipped);
	if (cut)
		snprintf(part, sizeof(part), ", %llu taken but not out whole when it ended",
			 (unsigned long long)cut);
	fprintf(stderr, "vcap: preview: %llu of %llu frames shown%s%s%s%s%s; %s\n",
		(unsigned long long)p->shown, (unsigned long long)p->offered, skip, part,
		p->skipped || cut ? " (all recorded)" : "", p->err ? ", stopped early: " : "",
		p->err ? strerror(-p->err) : "", p->mode);
}

static void summary(const struct vc_conf *c, const struct cap_record_stats *st)
{
	char unit[32], dar[48], gone[4200];

	snprintf(gone, sizeof(gone), "%s was unplugged or its driver unbound; the file holds "
		 "every frame before it", c->rec.cap.device ? c->rec.cap.device : "the device");
	if (st->err)
		tool_err(c->tool, st->err,
			 st->err == -ENOSPC   ? "free space; every frame before it is in the file"
			 : st->err == -ENODEV ? gone
					      : "the file holds every frame before it",
			 "%s stopped the recording of %s after %llu %s", st->err_what, c->rec.out,
			 (unsigned long long)st->frames,
			 tool_plural(st->frames, "frame", "frames"));
	tool_note_io("vcap", st->mode, st->mode_why);
	if (c->quiet)
		return;
	dio_human_bytes(st->geom.align, unit, sizeof(unit));
	if (st->tc_breaks)
		tool_note("vcap", "device timecode broke %llu %s (see tc-break in %s)",
			  (unsigned long long)st->tc_breaks,
			  tool_plural(st->tc_breaks, "time", "times"), st->journal);
	fprintf(stderr,
		"vcap: %s: %llu %s (%llu dropped in %llu %s, %llu filled, %llu "
		"flagged), %.1f MB/s, aligned to %s, max buffer fill %.0f%%, stopped by %s\n",
		c->rec.out, (unsigned long long)st->frames, tool_plural(st->frames, "frame", "frames"),
		(unsigned long long)st->drops, (unsigned long long)st->gaps,
		tool_plural(st->gaps, "gap", "gaps"), (unsigned long long)st->fills,
		(unsigned long long)st->flagged,
		st->seconds > 0 ? st->bytes / 1e6 / st->seconds : 0, unit, st->max_fill * 100,
		st->stop_reason ? st->stop_reason : "-");
	if (st->audio.on)
		audio_summary(st);
	if (st->preview.on)
		preview_summary(st);
	display_aspect(st, dar, sizeof(dar));
	fprintf(stderr, "vcap: %s %ux%u %s at %u/%u fps, %s (pasp %u:%u from %s); buffers %s, "
		"%llu %s (%.1f MB)\n", mov_format_name(st->acc.format), st->acc.width,
		st->acc.height, cap_field_name(st->acc.field), st->acc.rate_num, st->acc.rate_den,
		dar, st->sar_num, st->sar_den, st->aspect_source ? st->aspect_source : "-",
		cap_buf_mode_name(st->acc.mode), (unsigned long long)st->src.copies,
		tool_plural(st->src.copies, "pixel copy", "pixel copies"),
		st->src.copied_bytes / 1e6);
}

/* What the device took, how frames reached memory, and how many pixel copies that cost. */
static void accepted_json(const struct cap_record_stats *st)
{
	const struct cap_accepted *a = &st->acc;

	printf(",\"device\":");
	tool_json_str(stdout, a->device);
	printf(",\"card\":");
	tool_json_str(stdout, a->card);
	printf(",\"input\":");
	tool_json_str(stdout, a->input);
	printf(",\"std\":");
	tool_json_str(stdout, a->std);
	printf(",\"start_field\":\"%s\",\"bytesperline\":%u,\"sizeimage\":%u,"
	       "\"buffers_mode\":\"%s\",\"device_buffers\":%u,\"copies\":%llu,"
	       "\"copied_bytes\":%llu,\"discarded_fields\":%llu,\"buffers_why\":",
	       a->start_field == 2 ? "top" : a->start_field == 3 ? "bottom" : "",
	       a->bytesperline, a->sizeimage, cap_buf_mode_name(a->mode), a->device_buffers,
	       (unsigned long long)st->src.copies, (unsigned long long)st->src.copied_bytes,
	       (unsigned long long)st->src.discarded_fields);
	tool_json_str(stdout, a->mode_why);
}

static void aspect_json(const struct cap_record_stats *st)
{
	char dar[48];

	display_aspect(st, dar, sizeof(dar));
	printf(",\"aspect\":{\"pasp\":\"%u:%u\",\"display\":\"%s\",\"from\":", st->sar_num,
	       st->sar_den, dar);
	tool_json_str(stdout, st->aspect_source ? st->aspect_source : "");
	printf("}");
}

const char *vc_exit_meaning(int code)
{
	switch (code) {
	case EXIT_OK:
		return "recorded; the file is complete";
	case EXIT_FAILURE_RUN:
		return "an error stopped the recording; the file holds every frame before it";
	case EXIT_DROPS:
		return "frames were dropped and --on-drop fail was given; the file is complete";
	case EXIT_NOSPACE:
		return "the disk filled up; the file holds everything recorded until then";
	}
	return "";
}

static void json_list(const char *key, const uint64_t *v, uint64_t total)
{
	printf(",\"%s\":[", key);
	for (uint64_t i = 0; i < total && i < CAP_RECORD_LIST_MAX; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)v[i]);
	printf("]");
}

/* The drop map and the timecode: the policies' part of --json. */
static void json_policies(const struct vc_conf *c, const struct cap_record_stats *st,
			  int exit_code)
{
	printf(",\"fields\":%llu,\"fills\":%llu,\"lost_fields\":%llu,\"gaps\":%llu,"
	       "\"drop_list\":[",
	       (unsigned long long)st->fields, (unsigned long long)st->fills,
	       (unsigned long long)st->lost_fields, (unsigned long long)st->gaps);
	for (uint64_t i = 0; i < st->gaps && i < CAP_RECORD_LIST_MAX; i++) {
		const struct cap_record_drop *d = &st->drop[i];

		printf("%s{\"before_frame\":%llu,\"sequence\":%llu,\"count\":%llu,\"fields\":%llu,"
		       "\"starved\":%s}",
		       i ? "," : "", (unsigned long long)d->before_frame,
		       (unsigned long long)d->sequence, (unsigned long long)d->count,
		       (unsigned long long)d->fields, d->starved ? "true" : "false");
	}
	printf("],\"drop_list_complete\":%s", st->gaps <= CAP_RECORD_LIST_MAX ? "true" : "false");
	json_list("flagged_frames", st->flagged_at, st->flagged);
	printf(",\"on_drop\":\"%s\",\"fill_drops\":%s,\"timecode\":",
	       c->rec.on_drop == CAP_DROP_STOP   ? "stop"
	       : c->rec.on_drop == CAP_DROP_FAIL ? "fail"
					    : "continue",
	       c->rec.fill_drops ? "true" : "false");
	tool_json_str(stdout, st->tmcd);
	printf(",\"device_timecode\":{\"first\":");
	tool_json_str(stdout, st->tc_first);
	printf(",\"last\":");
	tool_json_str(stdout, st->tc_last);
	printf(",\"breaks\":%llu", (unsigned long long)st->tc_breaks);
	json_list("break_frames", st->tc_break_at, st->tc_breaks);
	printf("}");
	if (c->rec.realtime)
		printf(",\"realtime\":{\"sched_fifo\":%s,\"memory_locked\":%s}",
		       st->rt_fifo ? "true" : "false", st->rt_locked ? "true" : "false");
	printf(",\"exit_code\":%d,\"exit_meaning\":", exit_code);
	tool_json_str(stdout, vc_exit_meaning(exit_code));
}

/* "audio": null without sound. */
static void audio_json(const struct vc_conf *c, const struct cap_record_stats *st)
{
	const struct cap_record_audio *a = &st->audio;

	if (!a->on) {
		printf(",\"audio\":null");
		return;
	}
	printf(",\"audio\":{\"device\":");
	tool_json_str(stdout, a->acc.device);
	printf(",\"card\":");
	tool_json_str(stdout, a->acc.card);
	printf(",\"channels\":%u,\"rate\":%u,\"format\":\"%s\",\"device_format\":\"%s\","
	       "\"tracks\":%u,\"track_split\":\"%s\",\"samples\":%llu,\"xruns\":%llu,"
	       "\"xrun_samples\":%llu,\"lead_silence\":%llu,\"late_silence\":%llu,"
	       "\"period\":%u,\"buffer\":%u,\"max_chunk_bytes\":%llu,\"drift_ppm\":",
	       a->acc.channels, a->acc.rate, cap_audio_format_name(a->acc.format), a->acc.native,
	       a->tracks, mov_audio_tracks_name(c->rec.audio_tracks),
	       (unsigned long long)a->samples, (unsigned long long)a->xruns,
	       (unsigned long long)a->xrun_samples, (unsigned long long)a->lead_silence,
	       (unsigned long long)a->late_silence, a->acc.period, a->acc.buffer,
	       (unsigned long long)a->chunk_bytes);
	if (a->drift_known)
		printf("%.3f", a->drift_ppm);
	else
		printf("null");
	printf(",\"drift_fail_ppm\":%.0f}", c->rec.audio_drift_fail);
}

static void json(const struct vc_conf *c, const struct cap_record_stats *st, int exit_code)
{
	const struct dio_geom *g = &st->geom;

	printf("{\"file\":");
	tool_json_str(stdout, c->rec.out);
	printf(",\"log\":");
	tool_json_str(stdout, st->journal);
	printf(",\"source\":\"%s\",\"format\":\"%s\",\"width\":%u,\"height\":%u,"
	       "\"rate\":\"%u/%u\",\"paced\":%s,\"field\":\"%s\"",
	       c->rec.source->name, mov_format_name(st->acc.format), st->acc.width, st->acc.height,
	       st->acc.rate_num, st->acc.rate_den, c->rec.cap.paced ? "true" : "false",
	       cap_field_name(st->acc.field));
	accepted_json(st);
	aspect_json(st);
	printf(",\"frames\":%llu,\"drops\":%llu,\"flagged\":%llu,\"bytes\":%llu,"
	       "\"file_size\":%llu,\"seconds\":%.6f,\"mbps\":%.3f,\"max_buffer_fill\":%.4f,"
	       "\"max_write_latency_ms\":%.3f,\"buffers\":%u,\"slot_bytes\":%zu,\"data_start\":%llu",
	       (unsigned long long)st->frames, (unsigned long long)st->drops,
	       (unsigned long long)st->flagged, (unsigned long long)st->bytes,
	       (unsigned long long)st->file_size, st->seconds,
	       st->seconds > 0 ? st->bytes / 1e6 / st->seconds : 0, st->max_fill,
	       st->max_lat_ns / 1e6, st->nslots, st->slot_bytes,
	       (unsigned long long)st->data_start);
	printf(",\"durable_frames\":%llu,\"durable_samples\":%llu,\"sync_points\":%llu",
	       (unsigned long long)st->durable_frames, (unsigned long long)st->durable_samples,
	       (unsigned long long)st->sync_points);
	printf(",\"align\":{\"unit\":%llu,\"stripe\":%llu,\"source\":",
	       (unsigned long long)g->align, (unsigned long long)g->stripe);
	tool_json_str(stdout, g->source);
	printf(",\"why\":");
	tool_json_str(stdout, g->why);
	printf("},\"mode\":");
	tool_json_str(stdout, dio_mode_name(st->mode));
	printf(",\"mode_why\":");
	tool_json_str(stdout, st->mode_why);
	printf(",\"stopped_by\":");
	tool_json_str(stdout, st->stop_reason ? st->stop_reason : "");
	printf(",\"error\":");
	tool_json_str(stdout, st->err ? strerror(-st->err) : "");
	audio_json(c, st);
	if (st->preview.on) {
		printf(",\"preview\":{\"offered\":%llu,\"shown\":%llu,\"skipped\":%llu,"
		       "\"copies\":%llu,\"error\":",
		       (unsigned long long)st->preview.offered, (unsigned long long)st->preview.shown,
		       (unsigned long long)st->preview.skipped,
		       (unsigned long long)st->preview.copies);
		tool_json_str(stdout, st->preview.err ? strerror(-st->preview.err) : "");
		printf(",\"mode\":");
		tool_json_str(stdout, st->preview.mode);
		printf("}");
	}
	json_policies(c, st, exit_code);
	printf("}\n");
}

void vc_report(const struct vc_conf *c, const struct cap_record_stats *st, int exit_code)
{
	summary(c, st);
	if (c->json)
		json(c, st, exit_code);
}
