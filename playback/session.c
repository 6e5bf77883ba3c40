/* The play session's loop.
 *
 * The read-ahead keeps the slots filled in play order; each frame that is ready goes to the
 * sink, and each slot the sink gives back (checksummed first when a sidecar is asked for: the
 * frame went out) goes back to the read-ahead. The sink's dequeue is what paces the loop: a
 * device blocks on its queue, null and file sinks on their clock; unpaced, nothing waits but
 * the disk.
 */

#include "play-internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <libavutil/mem.h>
#include <libavutil/md5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void play_session_say(struct play_session *s, enum play_event_kind kind, int err, const char *hint,
		      const char *fmt, ...)
{
	va_list ap;

	if (!s->event)
		return;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
	s->event(s->user,
		 &(struct play_event){
		     .kind = kind, .err = err > 0 ? -err : err, .text = s->text, .hint = hint });
}

static void fail(struct play_session *s, const char *what, int err)
{
	if (!s->st.err) {
		s->st.err = err;
		s->st.err_what = what;
		s->st.stop_reason = "error";
	}
	s->stop = true;
}

/* The md5 line of a frame the sink gave back: the frames that went out, not those queued
 * when a stop ended the output (STREAMOFF drops them unseen). */
static int checksum(struct play_session *s, const struct play_done *f)
{
	const struct play_range *rg = &s->st.range;
	const uint8_t *p = play_ahead_frame(s->ahead, f->slot);
	uint8_t d[16];

	if (!p)
		return -EINVAL;
	av_md5_init(s->hash);
	av_md5_update(s->hash, p, s->st.info.frame_size);
	av_md5_final(s->hash, d);
	return mov_framemd5_line(s->md5, rg->first + f->index % rg->count, d);
}

static const char *output_what(const struct play_session *s)
{
	return !strcmp(s->c->target ? s->c->target : "", "-") ? "writing to stdout" : "output";
}

/* Hand the frames that are ready to the sink, until max are there. */
static void hand_out(struct play_session *s, unsigned max)
{
	struct play_frame f;
	int ret;

	while (!s->stop && s->at_sink < max && play_ahead_next(s->ahead, &f) == 1) {
		ret = s->ops->queue(s->sink, &f);
		if (ret < 0)
			return fail(s, output_what(s), ret);
		s->at_sink++;
		s->st.queued++;
	}
}

static void say_underrun(struct play_session *s, const struct play_done *d)
{
	if (s->event)
		s->event(s->user, &(struct play_event){ .kind = PLAY_EVENT_UNDERRUN,
							.text = "the output ran out of frames",
							.frame = d->index,
							.count = d->repeats });
}

/* Sound written ahead, as far as the outputs take it. */
static void feed(struct play_session *s)
{
	int ret = play_sound_feed(s, false);

	if (ret < 0)
		fail(s, "playing sound", ret);
}

/* Take back what the sink is done with; 1 if a slot came back. */
static int take_back(struct play_session *s, int timeout_ms)
{
	struct play_done d;
	int ret = s->ops->dequeue(s->sink, timeout_ms, &d);

	if (ret == -EAGAIN)
		return 0;
	if (ret == -EPIPE && s->st.stop_reason)
		return ret; /* the stop's: the frame cut short is not counted */
	if (ret < 0) {
		fail(s, output_what(s), ret);
		return ret;
	}
	if (s->md5 && (ret = checksum(s, &d)) < 0)
		fail(s, "writing the md5 file", ret);
	play_ahead_release(s->ahead, d.slot);
	s->at_sink--;
	s->st.frames++;
	s->st.underruns += d.repeats;
	s->st.late += d.late;
	if (d.repeats)
		say_underrun(s, &d);
	play_sound_sync(s, &d);
	feed(s);
	return 1;
}

static void pump(struct play_session *s, bool wait)
{
	int ret = play_ahead_pump(s->ahead, wait);

	if (ret < 0)
		fail(s, "reading", ret);
}

/* The sink's counters into the stats, and the sidecar closed: what the summary reports. */
static void collect(struct play_session *s)
{
	struct play_session_stats *st = &s->st;
	int ret;

	s->ops->stats(s->sink, &st->sink);
	play_ahead_stats(s->ahead, &st->ahead);
	play_sound_stats(s);
	if (st->sink.underruns > st->underruns)
		st->underruns = st->sink.underruns;
	if (st->sink.late > st->late)
		st->late = st->sink.late;
	st->copies = st->sink.copies;
	st->held = 0;
	ret = mov_framemd5_close(s->md5);
	s->md5 = NULL;
	if (ret < 0)
		fail(s, "writing the md5 file", ret);
}

static void finish(struct play_session *s)
{
	int ret;

	if (!s->st.stop_reason)
		s->st.stop_reason = "end";
	if (!s->st.err && !strcmp(s->st.stop_reason, "end")) {
		if ((ret = s->ops->drain(s->sink)) < 0)
			fail(s, "finishing the output", ret);
		while (s->at_sink && take_back(s, 1000) >= 0)
			;
	}
	/* the sound to its end and heard, unless stopped; a WAV file is finished either way */
	ret = play_sound_finish(s, !s->st.err && !strcmp(s->st.stop_reason, "end"));
	if (ret < 0)
		fail(s, "playing sound", ret);
	s->st.seconds = (play_now_ns() - s->t0_ns) / 1e9;
	collect(s);
	s->state = PLAY_DONE;
}

/* The disk's rate while the slots filled, against the stream's: a note when it is slower
 * (frames will be late however far ahead the reads go). */
static void say_fill_rate(struct play_session *s)
{
	const struct play_ahead_stats *st = &s->st.ahead;
	const struct mov_info *in = &s->st.info;
	double got, need;

	play_ahead_stats(s->ahead, &s->st.ahead);
	if (!st->fill_ns || !st->fill_bytes || !in->rate_den)
		return;
	got = st->fill_bytes / (st->fill_ns / 1e9);
	need = (double)in->frame_size * in->rate_num / in->rate_den;
	if (got < need)
		play_session_say(s, PLAY_EVENT_NOTE, 0,
				 "--rate max plays as fast as the disk reads",
				 "the disk read %.0f MB/s while the read-ahead filled; playing at "
				 "the file's rate needs %.0f MB/s: frames will be late",
				 got / 1e6, need / 1e6);
}

/* Fill the read-ahead (paced output: the clock starts from its steady state, so the disk's
 * slow first reads do not count against the first frames), queue the preroll frames (at least
 * one), then start the output. */
static void preroll_step(struct play_session *s)
{
	unsigned want = s->c->preroll ? s->c->preroll : 1;
	int ret;

	if (!s->stop && s->st.paced && !s->settled) {
		ret = play_ahead_settle(s->ahead);
		if (ret < 0)
			return fail(s, "reading", ret);
		s->settled = ret > 0;
		if (s->settled)
			say_fill_rate(s);
		feed(s);
		return;
	}
	if (!s->stop && s->at_sink < want && s->at_sink < s->st.nslots &&
	    !play_ahead_done(s->ahead)) {
		pump(s, true);
		hand_out(s, want);
		feed(s);
		return;
	}
	s->state = PLAY_PLAYING;
	feed(s); /* the device's buffer full before it starts */
	if (!s->stop && (ret = s->ops->start(s->sink)) < 0)
		fail(s, "starting the output", ret);
	/* the sound with the first frame */
	if (!s->stop && (ret = play_sound_start(s)) < 0)
		fail(s, "starting the sound", ret);
}

static void play_step(struct play_session *s)
{
	pump(s, false);
	hand_out(s, UINT_MAX);
	feed(s);
	/* Everything handed out: drain lets the rest go out. A device keeps the frame it shows
	 * last until another replaces it (vivid's output, a display), so waiting here for every
	 * slot to come back would wait forever. With sound, the frames go on coming back here
	 * until one is left, so that sound is written meanwhile: a drain blocks as long as the
	 * frames at the sink last, longer than the sound device's buffer. Sound that lasts
	 * longer than the frames is played by steps too, so that a signal can stop it. */
	if (s->stop ||
	    (play_ahead_done(s->ahead) && !(s->sound && s->at_sink > 1) && !play_sound_pending(s)))
		return finish(s);
	/* with a few frames queued there is time to wait for the sink; with fewer, come back
	 * soon for the reads that complete meanwhile */
	if (s->at_sink)
		take_back(s, s->at_sink > 2 ? 20 : 2);
	else if (play_ahead_done(s->ahead))
		poll(NULL, 0, 5); /* the sound's tail: the device takes it as it plays */
	else
		pump(s, true); /* nothing to show: only the disk can help */
}

int play_session_step(struct play_session *s)
{
	if (s->state == PLAY_DONE)
		return 0;
	if (s->state == PLAY_PREROLL)
		preroll_step(s);
	else if (s->stop)
		finish(s);
	else
		play_step(s);
	return s->state != PLAY_DONE ? 1 : s->st.err;
}

int play_session_run(struct play_session *s)
{
	int ret;

	while ((ret = play_session_step(s)) > 0)
		;
	return ret;
}

void play_session_stop(struct play_session *s, const char *reason)
{
	if (s->st.err == -EPIPE) { /* the reader went first: the stop, not a failure */
		s->st.err = 0;
		s->st.err_what = NULL;
		s->st.stop_reason = NULL;
	}
	if (!s->st.stop_reason) { /* the first reason stays */
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
		s->st.stop_reason = s->reason;
	}
	s->stop = true;
}

const struct play_session_stats *play_session_stats(struct play_session *s)
{
	if (s->state == PLAY_DONE)
		return &s->st;
	s->st.seconds = (play_now_ns() - s->t0_ns) / 1e9;
	s->ops->stats(s->sink, &s->st.sink);
	play_ahead_stats(s->ahead, &s->st.ahead);
	s->st.held = s->at_sink + play_ahead_ready(s->ahead);
	play_sound_stats(s);
	return &s->st;
}

void play_session_close(struct play_session *s)
{
	if (!s)
		return;
	if (s->sink)
		s->ops->close(s->sink);
	play_ahead_free(s->ahead);
	play_sound_close(s);
	mov_framemd5_close(s->md5);
	mov_reader_free(s->mr);
	av_free(s->hash);
	free(s);
}

int play_session_open(const struct play_session_config *cfg, play_event_fn event, void *user,
		      struct play_session **ret_session)
{
	struct play_session *s = calloc(1, sizeof(*s));
	bool made, made_md5, made_sound;
	int ret;

	if (!s) {
		if (event)
			event(user, &(struct play_event){ .kind = PLAY_EVENT_ERROR,
							  .err = -ENOMEM,
							  .text = "starting a play session" });
		return -ENOMEM;
	}
	*s = (struct play_session){ .c = cfg, .event = event, .user = user };
	ret = play_session_setup(s);
	if (ret >= 0) {
		s->t0_ns = play_now_ns();
		*ret_session = s;
		return 0;
	}
	/* a device or fifo written as it is (/dev/null) was not made here: never removed */
	made = s->sink && !strcmp(cfg->sink, "file") && strcmp(cfg->target, "-") &&
	       !play_special_file(cfg->target);
	made_md5 = s->md5 != NULL && !play_special_file(cfg->md5_path);
	made_sound = s->sound_made;
	play_session_close(s);
	if (made) /* nothing was played: leave nothing behind */
		unlink(cfg->target);
	if (made_md5)
		unlink(cfg->md5_path);
	if (made_sound)
		unlink(cfg->audio_file);
	return ret;
}
