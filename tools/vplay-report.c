/* vplay's progress line, end summary and JSON. */
#include "tool.h"
#include "vplay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static double mbps(const struct play_session_stats *st)
{
	return st->seconds > 0 ? st->ahead.bytes / st->seconds / 1e6 : 0;
}

/* The disk's rate while the read-ahead filled (paced output), MB/s. */
static double fill_mbps(const struct play_session_stats *st)
{
	return st->ahead.fill_ns ? st->ahead.fill_bytes / (st->ahead.fill_ns / 1e9) / 1e6 : 0;
}

static uint64_t loops_done(const struct play_session_stats *st)
{
	return st->range.count ? st->frames / st->range.count : 0;
}

void vp_progress(const struct vp_conf *c, const struct play_session_stats *st, bool final)
{
	char total[32] = "", loop[48] = "";

	if (st->total)
		snprintf(total, sizeof(total), "/%llu", (unsigned long long)st->total);
	if (c->s.loops != 1) {
		uint64_t at = loops_done(st) + 1;

		if (c->s.loops && at > c->s.loops)
			at = c->s.loops;
		snprintf(loop, sizeof(loop), "  loop %llu/", (unsigned long long)at);
		if (c->s.loops)
			snprintf(loop + strlen(loop), sizeof(loop) - strlen(loop), "%llu",
				 (unsigned long long)c->s.loops);
		else
			strcat(loop, "inf");
	}
	fprintf(stderr,
		"\rvplay: frame %llu%s%s  %6.0f MB/s  buffered %3u/%u  late %llu  "
		"underruns %llu  %.1f s\033[K%s",
		(unsigned long long)st->frames, total, loop, mbps(st), st->held, st->nslots,
		(unsigned long long)st->late, (unsigned long long)st->underruns, st->seconds,
		final ? "\n" : "");
}

/* "audio": null without sound, else what was played and how the clocks went. */
static void json_audio(FILE *f, const struct play_session_audio *a)
{
	if (!a->on) {
		fprintf(f, ",\"audio\":null");
		return;
	}
	fprintf(f,
		",\"audio\":{\"codec\":\"%s\",\"rate\":%u,\"channels\":%u,\"bits\":%u,"
		"\"tracks\":%u,\"first_sample\":%llu,\"samples_per_loop\":%llu,\"samples\":%llu,"
		"\"underruns\":%llu,\"clock\":%s,\"video_follows\":%s,\"drift_ppm\":",
		a->info.codec, a->info.rate, a->info.channels, a->info.bits, a->info.tracks,
		(unsigned long long)a->first, (unsigned long long)a->per_loop,
		(unsigned long long)a->samples, (unsigned long long)a->underruns,
		a->clock ? "true" : "false", a->follows ? "true" : "false");
	if (a->drift_known)
		fprintf(f, "%.1f", a->drift_ppm);
	else
		fprintf(f, "null");
	fprintf(f, ",\"offset_ms\":%.3f,\"dropped\":%llu,\"repeated\":%llu,\"device_mode\":",
		a->offset_ms, (unsigned long long)a->dropped, (unsigned long long)a->repeated);
	tool_json_str(f, a->out_mode);
	fprintf(f, ",\"file_mode\":");
	tool_json_str(f, a->file_mode);
	fprintf(f, "}");
}

/* One line, as vcap's and vbench's. */
static void json(FILE *f, const struct vp_conf *c, const struct play_session_stats *st)
{
	const struct mov_info *in = &st->info;

	fprintf(f, "{\"file\":");
	tool_json_str(f, c->s.in);
	fprintf(f, ",\"output\":");
	tool_json_str(f, c->s.output);
	fprintf(f, ",\"sink\":\"%s\",\"sink_mode\":", c->s.sink);
	tool_json_str(f, st->sink.mode);
	fprintf(f,
		",\"format\":\"%s\",\"size\":\"%ux%u\",\"rate\":\"%u/%u\",\"field\":\"%s\","
		"\"paced\":%s",
		mov_format_name(in->format), in->width, in->height, in->rate_num, in->rate_den,
		mov_field_name(in->field), st->paced ? "true" : "false");
	fprintf(f,
		",\"start\":%llu,\"frames_per_loop\":%llu,\"loops_asked\":%llu,\"loops\":%llu,"
		"\"frames\":%llu,\"underruns\":%llu,\"late\":%llu,\"copies\":%llu",
		(unsigned long long)st->range.first, (unsigned long long)st->range.count,
		(unsigned long long)c->s.loops, (unsigned long long)loops_done(st),
		(unsigned long long)st->frames, (unsigned long long)st->underruns,
		(unsigned long long)st->late, (unsigned long long)st->copies);
	json_audio(f, &st->audio);
	fprintf(f, ",\"read_mode\":\"%s\",\"read_mode_why\":", dio_mode_name(st->ahead.mode));
	tool_json_str(f, st->ahead.mode_why);
	fprintf(f,
		",\"read_layout\":\"%s\",\"reads\":%llu,\"batch\":%u,\"depth\":%u,"
		"\"slots\":%u,\"slot_bytes\":%zu",
		st->ahead.batched ? "batched: frames on aligned slots, up to batch per read"
				  : "one aligned superset per frame (unaligned file)",
		(unsigned long long)st->ahead.reads, c->s.batch, c->s.depth, st->nslots,
		st->ahead.slot_size);
	fprintf(f,
		",\"bytes\":%llu,\"disk_bytes\":%llu,\"seconds\":%.6f,\"mbps\":%.1f,"
		"\"max_read_ms\":%.3f,",
		(unsigned long long)st->ahead.bytes, (unsigned long long)st->ahead.disk_bytes,
		st->seconds, mbps(st), st->ahead.max_lat_ns / 1e6);
	if (st->ahead.fill_ns)
		fprintf(f, "\"fill_seconds\":%.6f,\"fill_mbps\":%.1f,", st->ahead.fill_ns / 1e9,
			fill_mbps(st));
	else
		fprintf(f, "\"fill_seconds\":null,\"fill_mbps\":null,");
	fprintf(f, "\"stop\":\"%s\",\"error\":", st->stop_reason ? st->stop_reason : "end");
	if (st->err) {
		char buf[200];

		snprintf(buf, sizeof(buf), "%s: %s", st->err_what, strerror(-st->err));
		tool_json_str(f, buf);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, "}\n");
}

/* A third line with sound: what was played, where, and how the two clocks went. */
static void summary_audio(const struct play_session_audio *a)
{
	char clock[96];

	if (a->follows)
		snprintf(clock, sizeof(clock), "pictures on the sound's clock (offset %.1f ms)",
			 a->offset_ms);
	else if (a->drift_known)
		snprintf(clock, sizeof(clock), "drift %+.1f ppm against the pictures%s",
			 a->drift_ppm, a->dropped || a->repeated ? ", corrected" : "");
	else
		snprintf(clock, sizeof(clock), "%s",
			 a->clock ? "drift not measured (under a second)" : "no sound clock");
	fprintf(stderr,
		"vplay: sound %llu samples, %u ch %u-bit %u Hz from %u %s to %s%s%s; %llu %s, "
		"%llu dropped, %llu repeated; %s\n",
		(unsigned long long)a->samples, a->info.channels, a->info.bits, a->info.rate,
		a->info.tracks, tool_plural(a->info.tracks, "track", "tracks"),
		a->out_mode[0] ? a->out_mode : a->file_mode,
		a->out_mode[0] && a->file_mode[0] ? " and " : "",
		a->out_mode[0] ? a->file_mode : "", (unsigned long long)a->underruns,
		tool_plural(a->underruns, "underrun", "underruns"), (unsigned long long)a->dropped,
		(unsigned long long)a->repeated, clock);
}

/* Two lines on stderr, like vcap's: what went out, and how it was read and shown. */
static void summary(const struct vp_conf *c, const struct play_session_stats *st)
{
	fprintf(stderr,
		"vplay: %s: %llu %s to %s in %.1f s (%llu %s), %llu %s, %llu late, stopped by %s\n",
		c->s.in, (unsigned long long)st->frames, tool_plural(st->frames, "frame", "frames"),
		c->s.output, st->seconds, (unsigned long long)loops_done(st),
		tool_plural(loops_done(st), "loop", "loops"), (unsigned long long)st->underruns,
		tool_plural(st->underruns, "underrun", "underruns"), (unsigned long long)st->late,
		st->stop_reason ? st->stop_reason : "end");
	fprintf(stderr, "vplay: read %s at %.0f MB/s", dio_mode_name(st->ahead.mode), mbps(st));
	if (st->ahead.fill_ns)
		fprintf(stderr,
			" (%u frames ahead in %.2f s, %.0f MB/s, before the output started)",
			st->nslots, st->ahead.fill_ns / 1e9, fill_mbps(st));
	fprintf(stderr, "; output %s; %llu %s\n", st->sink.mode, (unsigned long long)st->copies,
		tool_plural(st->copies, "copy", "copies"));
	if (st->audio.on)
		summary_audio(&st->audio);
}

void vp_report(const struct vp_conf *c, const struct play_session_stats *st)
{
	bool on_stdout = c->tool->json_stderr;

	if (st->err)
		tool_err(c->tool, st->err, st->err == -EPIPE ? "the reading program stopped" : NULL,
			 "%s after %llu %s", st->err_what, (unsigned long long)st->frames,
			 tool_plural(st->frames, "frame", "frames"));
	if (!(c->json && on_stdout)) /* keep stderr parseable JSON then; --json says it */
		tool_note_io("vplay", st->ahead.mode, st->ahead.mode_why);
	if (!c->quiet && !(c->json && on_stdout))
		summary(c, st);
	if (c->json)
		json(on_stdout ? stderr : stdout, c, st);
}
