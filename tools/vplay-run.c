/* vplay's playback loop.
 *
 * The read-ahead stage keeps the slots filled in play order; each frame that is ready goes
 * to the sink, and each slot the sink gives back (checksummed first when --md5 asks: the
 * frame went out) goes back to the read-ahead. The sink's dequeue is what paces the loop: a
 * device blocks on its queue, null and file sinks on their clock; with --rate max nothing
 * waits but the disk.
 */

#include "tool.h"
#include "vplay.h"

#include <errno.h>
#include <limits.h>
#include <libavutil/mem.h>
#include <libavutil/md5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vp {
	const struct vp_conf *c;
	struct vp_stats *st;
	struct mov_reader *mr;
	struct play_ahead *ahead;
	struct play_sink *sink;
	struct mov_framemd5 *md5;
	struct AVMD5 *hash;
	uint32_t frame_size;
	unsigned at_sink; /* frames queued at the sink and not yet back */
	int sigfd;
	bool stop;
};

static void fail(struct vp *v, const char *what, int err)
{
	if (!v->st->err) {
		v->st->err = err;
		v->st->err_what = what;
		v->st->stop_reason = "error";
	}
	v->stop = true;
}

static void check_signal(struct vp *v)
{
	int sig = tool_signal_taken(v->sigfd);

	if (sig) {
		v->stop = true;
		if (!v->st->stop_reason)
			v->st->stop_reason = sig == SIGINT ? "SIGINT" : "SIGTERM";
	}
}

/* ---- setup ---- */

/* A file vplay cannot read that vmov recover can rebuild: it has a capture log. */
#define RECOVER_HINT "it has a capture log: if its recording was killed, run vmov recover"

static int open_input(struct vp *v)
{
	const char *in = v->c->in;
	struct mov_info *info = &v->st->info;
	char why[160];
	int ret = mov_reader_open(in, &v->mr, why, sizeof(why));

	if ((ret == -EINVAL || ret == -ENODATA) && mov_journal_exists(in)) {
		tool_err(v->c->tool, 0, RECOVER_HINT, "%s: %s", in, why);
		return ret;
	}
	if (ret < 0 && why[0]) {
		tool_err(v->c->tool, 0, NULL, "%s: %s", in, why);
		return ret;
	}
	if (ret < 0) {
		tool_err(v->c->tool, ret, NULL, "%s", in);
		return ret;
	}
	mov_reader_info(v->mr, info);
	if (!info->format) {
		char tag[5];

		tool_err(v->c->tool, 0, "vplay plays uncompressed video such as UYVY, v210, RGB",
			 "%s: sample format '%s' (%s) is not one vplay can play", in,
			 mov_fourcc_str(info->tag, tag), info->codec);
		return -ENOTSUP;
	}
	v->frame_size = info->frame_size;
	return 0;
}

/* The file's first and last labels, and its breaks: what a refused --start can choose from. */
static void tc_range(struct vp *v, char *buf, size_t len)
{
	char last[16] = "";
	uint64_t n = mov_reader_count(v->mr);

	mov_reader_timecode(v->mr, n - 1, last, sizeof(last));
	snprintf(buf, len, "its timecode runs %s to %s%s", v->st->info.timecode, last,
		 v->st->info.timecode_breaks ? ", with breaks: vmov info counts them" : "");
}

/* --start as a timecode: the first frame the timecode track labels so. */
static int start_from_tc(struct vp *v, const char *tc, uint64_t *ret)
{
	const struct mov_info *in = &v->st->info;
	char range[96];
	int err = mov_reader_find_timecode(v->mr, tc, ret);

	if (err == 0)
		return 0;
	if (err == -ENOENT) {
		tool_err(v->c->tool, 0, "give --start as a frame number", "--start %s: %s has no "
			 "timecode track", tc, v->c->in);
	} else if (err == -EDOM) {
		tool_err(v->c->tool, 0, play_timecode_is_drop(in->timecode) ?
			 "write it HH:MM:SS;FF" : "write it HH:MM:SS:FF", "--start %s: the "
			 "file's timecode %s is %sdrop-frame", tc, in->timecode,
			 play_timecode_is_drop(in->timecode) ? "" : "non-");
	} else if (err == -ESRCH) {
		tc_range(v, range, sizeof(range));
		tool_err(v->c->tool, 0, range, "--start %s: no frame of %s has that timecode", tc,
			 v->c->in);
	} else {
		const char *why = "HH:MM:SS:FF";

		mov_timecode_check(tc, in->rate_num, in->rate_den, &why);
		tool_err(v->c->tool, 0, NULL, "invalid --start '%s' at %u/%u frames per second: %s",
			 tc, in->rate_num, in->rate_den, why);
	}
	return -EDOM;
}

static int plan_range(struct vp *v)
{
	const struct vp_conf *c = v->c;
	uint64_t n = mov_reader_count(v->mr), first = 0;
	unsigned f;
	int ret;

	if (c->start && strpbrk(c->start, ":;.")) {
		ret = start_from_tc(v, c->start, &first);
		if (ret < 0)
			return ret;
	} else if (c->start) {
		if (tool_parse_uint(c->start, 0, 4000000000u, &f) < 0) {
			tool_err(v->c->tool, 0, "a frame number from 0, or a timecode HH:MM:SS:FF",
				 "invalid --start '%s'", c->start);
			return -EDOM;
		}
		first = f;
	}
	if (first >= n) {
		tool_err(v->c->tool, 0, NULL, "--start %s: %s has %llu %s (0 to %llu)", c->start,
			 c->in, (unsigned long long)n, tool_plural(n, "frame", "frames"),
			 (unsigned long long)n - 1);
		return -EDOM;
	}
	v->st->range = (struct play_range){ .first = first, .count = n - first, .loops = c->loops };
	if (c->frames && c->frames < n - first)
		v->st->range.count = c->frames;
	else if (c->frames && c->frames > n - first)
		tool_note("vplay", "-n %llu: only %llu %s from frame %llu to the end",
			  (unsigned long long)c->frames, (unsigned long long)(n - first),
			  tool_plural(n - first, "frame", "frames"), (unsigned long long)first);
	v->st->total = c->loops ? v->st->range.count * c->loops : 0;
	return 0;
}

static unsigned slots_for(const struct vp_conf *c, const struct vp_stats *st)
{
	const struct mov_info *in = &st->info;
	uint64_t n = (uint64_t)c->batch * (c->depth + 1);

	if (c->buffers)
		n = c->buffers;
	else if (in->rate_num && in->rate_den) {
		uint64_t ahead = ((uint64_t)c->latency_ms * in->rate_num + 999ull * in->rate_den) /
				 (1000ull * in->rate_den);

		if (ahead + c->preroll > n)
			n = ahead + c->preroll;
	}
	if (!c->buffers)
		n = (n + c->batch - 1) / c->batch * c->batch;
	return n > 65536 ? 65536 : (unsigned)n;
}

static int open_ahead(struct vp *v)
{
	const struct vp_conf *c = v->c;
	const struct mov_info *in = &v->st->info;
	struct play_ahead_opts o = {
		.frame_size = v->frame_size, .nslots = slots_for(c, v->st), .batch = c->batch,
		.depth = c->depth, .tb_num = in->tb_num, .tb_den = in->tb_den,
		.rate_num = in->rate_num, .rate_den = in->rate_den,
	};
	int ret;

	ret = play_ahead_open(c->in, mov_reader_samples(v->mr), mov_reader_count(v->mr),
			      &v->st->range, &o, &v->ahead);
	if (ret == -ENODATA)
		tool_err(v->c->tool, 0,
			 mov_journal_exists(c->in) ? RECOVER_HINT : "a truncated file",
			 "%s: the index points past the end of the file", c->in);
	else if (ret < 0)
		tool_err(v->c->tool, ret, ret == -ENOMEM ? "lower --buffers or --latency" : NULL,
			 "reading %s with %u frame buffers", c->in, o.nslots);
	v->st->nslots = o.nslots;
	return ret;
}

static const char *sink_hint(const struct vp_conf *c, int err)
{
	if (err == -EEXIST)
		return "use --force to replace it, or another name";
	if (err == -ENOTTY)
		return "pipe it into a program, e.g. | ffmpeg -f rawvideo ... -i -";
	if (err == -ENOENT && strcmp(c->sink_name, "file"))
		return "check the device name";
	if (err == -EOPNOTSUPP)
		return "drop --zero-copy to let the output copy frames";
	return NULL;
}

/* Frames away from page boundaries in the file land at a skew in their slots: a device sink
 * that hands slots over as dmabufs must know before it sets its buffers up. */
static bool frames_skewed(const struct vp *v)
{
	const struct mov_sample *s = mov_reader_samples(v->mr);
	uint64_t n = mov_reader_count(v->mr);

	for (uint64_t i = 0; i < n; i++)
		if (s[i].offset % DIO_PAGE)
			return true;
	return false;
}

static int open_sink(struct vp *v)
{
	const struct vp_conf *c = v->c;
	const struct mov_info *in = &v->st->info;
	struct play_config cfg = {
		.format = in->format, .width = in->width, .height = in->height,
		.stride = in->stride,
		.rate_num = in->rate_num, .rate_den = in->rate_den, .field = in->field,
		.target = c->target, .mode = c->mode, .preroll = c->preroll, .paced = v->st->paced,
		.zero_copy = c->zero_copy, .force = c->force, .skewed = frames_skewed(v),
	};
	int ret = c->sink->open(&cfg, play_ahead_slab(v->ahead), &v->sink);

	if (ret == -ENOTTY && !strcmp(c->target, "-"))
		tool_err(v->c->tool, 0, sink_hint(c, ret), "-o -: stdout is a terminal");
	else if (ret == -EINVAL)
		tool_err(v->c->tool, 0, "the device cannot take this format; convert the file or "
			 "pick another output", "-o %s: %ux%u %s %s", c->out, in->width,
			 in->height, mov_format_name(in->format), mov_field_name(in->field));
	else if (ret == -ERANGE && !strcmp(c->sink_name, "kms"))
		tool_err(v->c->tool, 0,
			 "frames are shown at their own size: the connector's modes are "
			 "in /sys/class/drm/card*-CONNECTOR/modes",
			 "-o %s: no display mode %ux%u%s%s", c->out, in->width, in->height,
			 c->mode ? " matching --mode " : "", c->mode ? c->mode : "");
	else if (ret < 0)
		tool_err(v->c->tool, ret, sink_hint(c, ret), "-o %s",
			 !strcmp(c->out, "-") ? "- (stdout)" : c->out);
	return ret;
}

/* Refusals that must come before anything is read or created. */
static int check_outputs(struct vp *v)
{
	const struct vp_conf *c = v->c;
	const char *clash = NULL;

	if (!c->sink) {
		tool_err(v->c->tool, 0, "outputs in this build are listed by --help",
			 "-o %s: this build has no %s output", c->out, c->sink_name);
		return -ENODEV;
	}
	if (!c->force && !strcmp(c->sink_name, "file") && strcmp(c->target, "-") &&
	    access(c->target, F_OK) == 0)
		clash = c->target;
	else if (!c->force && c->md5_path && access(c->md5_path, F_OK) == 0)
		clash = c->md5_path;
	if (clash) {
		tool_err(v->c->tool, EEXIST, "use --force to replace it, or another name", "%s", clash);
		return -EEXIST;
	}
	v->st->paced = c->paced >= 0 ? c->paced : strcmp(c->sink_name, "file") != 0;
	if (v->st->paced && (!v->st->info.rate_num || !v->st->info.rate_den)) {
		tool_err(v->c->tool, 0, "use --rate max", "%s has no frame rate to play at", c->in);
		return -EINVAL;
	}
	return 0;
}

static int open_md5(struct vp *v)
{
	const struct vp_conf *c = v->c;
	int ret;

	if (!c->md5_path)
		return 0;
	v->hash = av_md5_alloc();
	if (!v->hash)
		return -ENOMEM;
	ret = mov_framemd5_open(c->md5_path, c->in, c->force, &v->md5);
	if (ret < 0)
		tool_err(v->c->tool, ret, NULL, "creating %s", c->md5_path);
	return ret;
}

static int setup(struct vp *v)
{
	int ret;

	ret = open_input(v);
	if (ret >= 0)
		ret = plan_range(v);
	if (ret >= 0)
		ret = check_outputs(v);
	if (ret >= 0)
		ret = open_ahead(v);
	if (ret >= 0)
		ret = open_sink(v);
	if (ret >= 0)
		ret = open_md5(v);
	if (ret >= 0 && (v->sigfd = tool_signals_open()) < 0) {
		tool_err(v->c->tool, v->sigfd, NULL, "blocking SIGINT/SIGTERM");
		ret = v->sigfd;
	}
	return ret;
}

/* ---- playing ---- */

/* The md5 line of a frame the sink gave back: the frames that went out, not those queued
 * when a signal stopped the output (STREAMOFF drops them unseen). */
static int checksum(struct vp *v, const struct play_done *f)
{
	const struct play_range *rg = &v->st->range;
	const uint8_t *p = play_ahead_frame(v->ahead, f->slot);
	uint8_t d[16];

	if (!p)
		return -EINVAL;
	av_md5_init(v->hash);
	av_md5_update(v->hash, p, v->frame_size);
	av_md5_final(v->hash, d);
	return mov_framemd5_line(v->md5, rg->first + f->index % rg->count, d);
}

static const char *output_what(const struct vp *v)
{
	return !strcmp(v->c->target ? v->c->target : "", "-") ? "writing to stdout" : "output";
}

/* Hand the frames that are ready to the sink, until max are there. */
static void hand_out(struct vp *v, unsigned max)
{
	struct play_frame f;
	int ret;

	while (!v->stop && v->at_sink < max && play_ahead_next(v->ahead, &f) == 1) {
		ret = v->c->sink->queue(v->sink, &f);
		if (ret < 0)
			return fail(v, output_what(v), ret);
		v->at_sink++;
		v->st->queued++;
	}
}

/* Take back what the sink is done with; 1 if a slot came back. */
static int take_back(struct vp *v, int timeout_ms)
{
	struct play_done d;
	int ret = v->c->sink->dequeue(v->sink, timeout_ms, &d);

	if (ret == -EAGAIN)
		return 0;
	if (ret == -EPIPE)
		check_signal(v); /* Ctrl-C on "vplay | ffmpeg" stops the reader too */
	if (ret == -EPIPE && v->st->stop_reason)
		return ret; /* the signal's stop: the frame cut short is not counted */
	if (ret < 0) {
		fail(v, output_what(v), ret);
		return ret;
	}
	if (v->md5 && (ret = checksum(v, &d)) < 0)
		fail(v, "writing the md5 file", ret);
	play_ahead_release(v->ahead, d.slot);
	v->at_sink--;
	v->st->frames++;
	v->st->underruns += d.repeats;
	v->st->late += d.late;
	return 1;
}

static void pump(struct vp *v, bool wait)
{
	int ret = play_ahead_pump(v->ahead, wait);

	if (ret < 0)
		fail(v, "reading", ret);
}

static void preroll(struct vp *v)
{
	unsigned want = v->c->preroll ? v->c->preroll : 1;

	while (!v->stop && v->at_sink < want && !play_ahead_done(v->ahead)) {
		pump(v, true);
		hand_out(v, want);
		check_signal(v);
		if (v->at_sink >= v->st->nslots)
			break;
	}
}

static void play(struct vp *v)
{
	double shown = 0, t0 = tool_now_s();
	int ret;

	preroll(v);
	if (!v->stop && (ret = v->c->sink->start(v->sink)) < 0)
		fail(v, "starting the output", ret);
	while (!v->stop) {
		check_signal(v);
		pump(v, false);
		hand_out(v, UINT_MAX);
		/* Everything handed out: drain lets the rest go out. A device keeps the frame it
		 * shows last until another replaces it (vivid's output, a display), so waiting
		 * here for every slot to come back would wait forever. */
		if (v->stop || play_ahead_done(v->ahead))
			break;
		/* with a few frames queued there is time to wait for the sink; with fewer, come
		 * back soon for the reads that complete meanwhile */
		if (v->at_sink)
			take_back(v, v->at_sink > 2 ? 20 : 2);
		else
			pump(v, true); /* nothing to show: only the disk can help */
		if (v->c->progress && tool_now_s() - shown >= 0.5) {
			shown = tool_now_s();
			v->st->seconds = shown - t0;
			v->c->sink->stats(v->sink, &v->st->sink);
			play_ahead_stats(v->ahead, &v->st->ahead);
			vp_progress(v->c, v->st, v->at_sink + play_ahead_ready(v->ahead), false);
		}
	}
	if (!v->st->stop_reason)
		v->st->stop_reason = "end";
	if (!v->st->err && !strcmp(v->st->stop_reason, "end")) {
		if ((ret = v->c->sink->drain(v->sink)) < 0)
			fail(v, "finishing the output", ret);
		while (v->at_sink && take_back(v, 1000) >= 0)
			;
	}
	v->st->seconds = tool_now_s() - t0;
}

static void collect(struct vp *v)
{
	struct vp_stats *st = v->st;
	int ret;

	v->c->sink->stats(v->sink, &st->sink);
	play_ahead_stats(v->ahead, &st->ahead);
	if (st->sink.underruns > st->underruns)
		st->underruns = st->sink.underruns;
	if (st->sink.late > st->late)
		st->late = st->sink.late;
	st->copies = st->sink.copies;
	ret = mov_framemd5_close(v->md5);
	v->md5 = NULL;
	if (ret < 0)
		fail(v, "writing the md5 file", ret);
}

static void cleanup(struct vp *v)
{
	if (v->sink)
		v->c->sink->close(v->sink);
	play_ahead_free(v->ahead);
	mov_framemd5_close(v->md5);
	mov_reader_free(v->mr);
	av_free(v->hash);
	if (v->sigfd >= 0)
		close(v->sigfd);
}

int vp_run(const struct vp_conf *c, struct vp_stats *st)
{
	struct vp v = { .c = c, .st = st, .sigfd = -1 };
	int ret;

	/* a closed pipe is an error to report (or, after SIGINT/SIGTERM, the stop), not a
	 * silent death */
	signal(SIGPIPE, SIG_IGN);
	ret = setup(&v);
	if (ret < 0) {
		bool made = v.sink && strcmp(c->sink_name, "file") == 0 && strcmp(c->target, "-");
		bool made_md5 = v.md5 != NULL;

		cleanup(&v);
		if (made) /* nothing was played: leave nothing behind */
			unlink(c->target);
		if (made_md5)
			unlink(c->md5_path);
		return ret;
	}
	play(&v);
	collect(&v);
	if (c->progress)
		vp_progress(c, st, 0, true);
	cleanup(&v);
	return 0;
}
