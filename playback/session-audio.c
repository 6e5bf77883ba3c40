/* The session's sound: the file's PCM tracks read through mov_audio_reader, from the sample
 * under the first frame played, written to one or two audio outputs (a device, a WAV file)
 * ahead of the pictures, and looped with them.
 *
 * Both outputs take the same samples, from one block read at a time; a device takes what its
 * buffer has room for, and the block is read again only when every output has taken it. With
 * no output that has a clock, sound is written up to the frames that went out (a WAV file is
 * then paced by the pictures, as the null device is, and after a stop holds the sound of the
 * frames played).
 *
 * Sync: the sound starts with the first frame. After each frame goes out, the sample heard
 * then (written minus the device's delay, moved back to when the frame went out) is compared
 * with the frame's time. A sink that can follow another clock (null, file, kms) is told when the
 * next frame is due by the sound; a device sink keeps its own clock, and the offset over time
 * gives the drift (a least-squares line through the offsets, after a second of settling), which
 * CORRECT holds at its first value by dropping or repeating one whole sample sent to the
 * device at a time. */
#include "play-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ERR PLAY_EVENT_ERROR
#define BLOCK 2048		/* samples read at a time */
#define SETTLE_NS 1000000000ull /* offsets before this is past the start are not measured */
#define FEED_TIMEOUT_MS 2000	/* a device that takes nothing for this long has stopped */

struct sound_out {
	const struct play_audio_ops *ops;
	struct play_audio *a;
	uint64_t taken; /* samples of the stream (all passes) this output took */
	bool clock;
	bool device; /* corrections apply (never to a file) */
};

struct play_sound {
	struct mov_audio_reader *r;
	struct sound_out out[2];
	unsigned nout;
	unsigned sample_bytes;
	uint8_t *blk;
	uint64_t blk_start, blk_n; /* the block: samples [blk_start, blk_start + blk_n) */
	uint64_t pos, pass;	   /* the next sample to read in the pass; passes begun */
	bool end;		   /* every pass read */
	bool started;
	int adjust; /* CORRECT: +1 repeat a sample for the device, -1 drop one, 0 nothing */
	/* the drift's line: offsets (s) against time (s) since the first measurement */
	uint64_t t0_ns, start_ns;
	double n, sx, sy, sxx, sxy;
};

/* The sample under frame i of the file (its pts as time, at the sound's rate). */
static uint64_t sample_of_frame(const struct play_session *s, uint64_t i)
{
	const struct mov_sample *smp = mov_reader_samples(s->mr);
	const struct mov_info *in = &s->st.info;
	int64_t pts = smp[i].pts - smp[0].pts;

	if (pts <= 0 || !in->tb_den)
		return 0;
	return (uint64_t)((double)pts * in->tb_num * s->st.audio.info.rate / in->tb_den + 0.5);
}

static const char *sound_hint(const char *opt, int err)
{
	if (err == -EEXIST)
		return "use --force to replace it, or another name";
	if (!strcmp(opt, "--audio-out") && (err == -ENOENT || err == -ENODEV || err == -ENXIO))
		return "aplay -L lists the devices: default, hw:CARD=X,DEV=N, null...";
	if (!strcmp(opt, "--audio-out") && err == -EBUSY)
		return "another program plays to it: try a dmix device such as default";
	if (err == -EINVAL)
		return "the device cannot take the file's rate, channels or bits: try plughw:... "
		       "or default";
	return NULL;
}

static int open_out(struct play_session *s, const char *name, const char *opt, const char *target)
{
	const struct mov_audio_info *ai = &s->st.audio.info;
	struct play_sound *snd = s->sound;
	struct sound_out *o = &snd->out[snd->nout];
	bool file = !strcmp(name, "wav");
	struct play_audio_config cfg = {
		.target = target,
		.rate = ai->rate,
		.channels = ai->channels,
		.bits = ai->bits,
		.buffer_ms = s->c->audio_buffer_ms,
		.force = s->c->force || (file && play_special_file(target)),
	};
	int64_t d;
	int ret;

	o->ops = play_audio_find(name);
	ret = o->ops ? o->ops->open(&cfg, &o->a) : -ENODEV;
	if (ret < 0) {
		play_session_say(s, ERR, ret, sound_hint(opt, ret), "%s %s", opt, target);
		return ret;
	}
	snd->nout++;
	s->sound_made |= file && !play_special_file(target);
	o->clock = o->ops->delay(o->a, &d) != -ENOTSUP;
	o->device = !file;
	return 0;
}

/* --audio-file: a path of its own, as -o's and --md5's are. */
static int check_file(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	const char *path = c->audio_file;
	bool out_file = !strcmp(c->sink, "file") && strcmp(c->target, "-");
	int ret;

	if (!strcmp(path, "-")) {
		play_session_say(s, ERR, 0, "give the WAV file a path",
				 "--audio-file -: sound does not go to a pipe");
		return -EINVAL;
	}
	ret = play_session_check_output(s, "--audio-file", path, out_file ? "-o" : NULL,
					out_file ? c->target : NULL);
	if (ret >= 0 && c->md5_path && !play_special_file(path) &&
	    play_same_file(path, c->md5_path)) {
		play_session_say(s, ERR, 0, "give each output its own name",
				 "--audio-file %s: the same file as --md5 %s", path, c->md5_path);
		ret = -EINVAL;
	}
	return ret;
}

static int open_reader(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	const char *opt = c->audio_out ? "--audio-out" : "--audio-file";
	struct play_session_audio *a = &s->st.audio;
	const struct play_range *rg = &s->st.range;
	uint64_t n = mov_reader_count(s->mr), end;
	char why[160];
	int ret = mov_audio_reader_open(c->in, &s->sound->r, why, sizeof(why));

	if (ret == -ENOMEDIUM) {
		play_session_say(s, ERR, 0, "play it without --audio-out and --audio-file",
				 "%s: %s has no audio track", opt, c->in);
		return ret;
	}
	if (ret < 0) {
		play_session_say(s, ERR, why[0] ? 0 : ret, NULL, "%s: %s%s%s", opt, c->in,
				 why[0] ? ": " : "", why);
		return ret;
	}
	mov_audio_reader_info(s->sound->r, &a->info);
	s->sound->sample_bytes = mov_audio_reader_sample_bytes(s->sound->r);
	a->on = true;
	/* from the first frame's sample to the next frame's after the range, or to the end of
	 * the sound when the range runs to the last frame */
	a->first = rg->first ? sample_of_frame(s, rg->first) : 0;
	end = rg->first + rg->count >= n ? a->info.samples
					 : sample_of_frame(s, rg->first + rg->count);
	if (end > a->info.samples)
		end = a->info.samples;
	a->per_loop = end > a->first ? end - a->first : 0;
	if (a->first && a->per_loop && (ret = mov_audio_reader_seek(s->sound->r, a->first)) < 0)
		play_session_say(s, ERR, ret, NULL, "%s: seeking %s to sample %llu", opt, c->in,
				 (unsigned long long)a->first);
	return ret;
}

int play_sound_open(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	int ret;

	if (!c->audio_out && !c->audio_file)
		return 0;
	if (c->audio_file && (ret = check_file(s)) < 0)
		return ret;
	s->sound = calloc(1, sizeof(*s->sound));
	if (!s->sound) {
		play_session_say(s, ERR, -ENOMEM, NULL, "playing sound");
		return -ENOMEM;
	}
	ret = open_reader(s);
	if (ret < 0)
		return ret;
	s->sound->blk = malloc((size_t)BLOCK * s->sound->sample_bytes);
	if (!s->sound->blk) {
		play_session_say(s, ERR, -ENOMEM, NULL, "playing sound");
		return -ENOMEM;
	}
	if (c->audio_out && (ret = open_out(s, "alsa", "--audio-out", c->audio_out)) < 0)
		return ret;
	if (c->audio_file && (ret = open_out(s, "wav", "--audio-file", c->audio_file)) < 0)
		return ret;
	for (unsigned i = 0; i < s->sound->nout; i++)
		s->st.audio.clock |= s->sound->out[i].clock;
	s->st.audio.follows = s->st.audio.clock && s->ops->retime && s->st.paced;
	return 0;
}

/* The next block, once every output has taken the one before: 0, or 1 at the end. */
static int next_block(struct play_session *s)
{
	struct play_sound *snd = s->sound;
	const struct play_session_audio *a = &s->st.audio;
	uint64_t want;
	int64_t got;
	int ret;

	snd->blk_start += snd->blk_n;
	snd->blk_n = 0;
	if (snd->end)
		return 1;
	if (snd->pos >= a->per_loop) { /* the pass is over: the next from its first sample */
		if (!a->per_loop || (s->st.range.loops && snd->pass + 1 >= s->st.range.loops)) {
			snd->end = true;
			return 1;
		}
		if ((ret = mov_audio_reader_seek(snd->r, a->first)) < 0)
			return ret;
		snd->pass++;
		snd->pos = 0;
	}
	want = a->per_loop - snd->pos < BLOCK ? a->per_loop - snd->pos : BLOCK;
	got = mov_audio_reader_read(snd->r, snd->blk, want);
	if (got < 0)
		return (int)got;
	if (got == 0) /* the sound ends before the index said: the pass ends here */
		snd->pos = a->per_loop;
	snd->pos += (uint64_t)got;
	snd->blk_n = (uint64_t)got;
	return 0;
}

/* A correction for a device: one sample dropped (skipped) or repeated (written twice). */
static int64_t corrected_write(struct play_sound *snd, struct sound_out *o, const uint8_t *p,
			       uint64_t n, struct play_session_audio *a)
{
	int64_t got;

	if (!o->device || !snd->adjust)
		return o->ops->write(o->a, p, n);
	if (snd->adjust < 0) {
		a->dropped++;
		snd->adjust = 0;
		return 1;
	}
	got = o->ops->write(o->a, p, 1);
	if (got == 1) {
		a->repeated++;
		snd->adjust = 0;
	}
	return got < 0 ? got : 0;
}

/* Every output takes what it can of the block, up to limit (a sample of the stream). */
static int write_block(struct play_session *s, uint64_t limit, bool *ret_more)
{
	struct play_sound *snd = s->sound;
	bool more = false;

	for (unsigned i = 0; i < snd->nout; i++) {
		struct sound_out *o = &snd->out[i];
		uint64_t end =
		    snd->blk_start + snd->blk_n < limit ? snd->blk_start + snd->blk_n : limit;
		int64_t got = 1;

		while (o->taken < end && got > 0) {
			got = corrected_write(
			    snd, o, snd->blk + (o->taken - snd->blk_start) * snd->sample_bytes,
			    end - o->taken, &s->st.audio);
			if (got < 0)
				return (int)got;
			o->taken += (uint64_t)got;
		}
		more |= o->taken < snd->blk_start + snd->blk_n;
	}
	*ret_more = more;
	return 0;
}

/* The sample of the stream (all passes) where frames handed to the sink end. */
static uint64_t samples_for_frames(const struct play_session *s, uint64_t frames)
{
	const struct play_range *rg = &s->st.range;
	const struct play_session_audio *a = &s->st.audio;
	uint64_t pass = frames / rg->count, k = frames % rg->count, in = 0;

	if (k) /* first + k is inside the file: k < count */
		in = sample_of_frame(s, rg->first + k) - a->first;
	return pass * a->per_loop + (in < a->per_loop ? in : a->per_loop);
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000l };

	nanosleep(&ts, NULL);
}

int play_sound_feed(struct play_session *s, bool all)
{
	struct play_sound *snd = s->sound;
	uint64_t limit = UINT64_MAX;
	bool more = false;
	int ret;

	if (!snd)
		return 0;
	/* no clock: as far as the pictures that went out, and the one going out now (a WAV
	 * file then holds the sound of the frames played, as --md5 lists them) */
	if (!s->st.audio.clock && !all)
		limit = samples_for_frames(s, s->st.frames + 1);
	for (unsigned idle = 0;;) {
		uint64_t before = snd->out[0].taken;

		ret = write_block(s, limit, &more);
		if (ret < 0)
			return ret;
		if (more && !all)
			return 0; /* a device full, or the limit */
		if (more) {
			/* the end: let the device take the rest (what is left after the steps
			 * played the tail), but not from a device that stopped taking sound */
			idle = snd->out[0].taken == before ? idle + 1 : 0;
			if (idle * 5 > FEED_TIMEOUT_MS)
				return -ETIMEDOUT;
			pause_ms(5);
			continue;
		}
		if (snd->blk_start + snd->blk_n >= limit)
			return 0;
		ret = next_block(s);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
}

bool play_sound_pending(const struct play_session *s)
{
	const struct play_sound *snd = s->sound;

	if (!snd || !s->st.audio.clock)
		return false;
	if (!snd->end)
		return true;
	for (unsigned i = 0; i < snd->nout; i++)
		if (snd->out[i].taken < snd->blk_start + snd->blk_n)
			return true;
	return false;
}

int play_sound_start(struct play_session *s)
{
	struct play_sound *snd = s->sound;
	int ret;

	if (!snd)
		return 0;
	snd->start_ns = play_now_ns();
	for (unsigned i = 0; i < snd->nout; i++)
		if ((ret = snd->out[i].ops->start(snd->out[i].a)) < 0)
			return ret;
	snd->started = true;
	return 0;
}

/* Time (s) of a position in the stream, as the pictures count it: passes of count frames. */
static double stream_time(const struct play_session *s, double sample)
{
	const struct play_session_audio *a = &s->st.audio;
	const struct mov_info *in = &s->st.info;
	double pass_s = (double)s->st.range.count * in->rate_den / in->rate_num;
	double pass = a->per_loop ? (double)(uint64_t)(sample / a->per_loop) : 0;

	return pass * pass_s + (sample - pass * a->per_loop) / a->info.rate;
}

/* One offset (s) at time t (ns): the line through the offsets as they would be without the
 * corrections is the drift; CORRECT holds the corrected offset, as that line predicts it, within
 * half a millisecond of where the line starts (single offsets jitter by milliseconds). */
static void measure(struct play_session *s, double t, double offset)
{
	struct play_sound *snd = s->sound;
	struct play_session_audio *a = &s->st.audio;
	double fix = ((double)a->repeated - (double)a->dropped) / a->info.rate;
	double raw = offset + fix, den, slope, at;

	if (snd->n == 0)
		snd->t0_ns = (uint64_t)t;
	t = (t - snd->t0_ns) / 1e9;
	snd->n++;
	snd->sx += t;
	snd->sy += raw;
	snd->sxx += t * t;
	snd->sxy += t * raw;
	den = snd->n * snd->sxx - snd->sx * snd->sx;
	if (snd->n < 10 || den <= 0)
		return;
	slope = (snd->n * snd->sxy - snd->sx * snd->sy) / den;
	if (t >= 1.0) {
		a->drift_ppm = slope * 1e6;
		a->drift_known = true;
	}
	at = slope * t - fix; /* the corrected offset's move since the start */
	if (s->c->audio_sync == PLAY_AUDIO_SYNC_CORRECT && !snd->adjust) {
		if (at > 0.0005) /* sound ahead: hold it back a sample */
			snd->adjust = 1;
		else if (at < -0.0005)
			snd->adjust = -1;
	}
}

void play_sound_sync(struct play_session *s, const struct play_done *d)
{
	struct play_sound *snd = s->sound;
	const struct mov_info *in = &s->st.info;
	struct sound_out *o = NULL;
	double period, heard, offset;
	uint64_t now;
	int64_t delay;

	if (!snd || !snd->started || !d->shown_ns || !in->rate_num)
		return;
	for (unsigned i = 0; i < snd->nout && !o; i++)
		if (snd->out[i].clock)
			o = &snd->out[i];
	if (!o || o->ops->delay(o->a, &delay) < 0)
		return;
	now = play_now_ns();
	period = (double)in->rate_den / in->rate_num;
	if (now < d->shown_ns || now - snd->start_ns < SETTLE_NS / 4 ||
	    (double)(now - d->shown_ns) / 1e9 > 2 * period)
		return; /* the device's first period (its delay says little yet), or a frame
			 * that came back long ago */
	heard = (double)o->taken - (double)delay -
		(double)(now - d->shown_ns) / 1e9 * s->st.audio.info.rate;
	if (heard < 0)
		return;
	offset = stream_time(s, heard) - (double)d->index * period;
	s->st.audio.offset_ms = offset * 1e3;
	if (s->st.audio.follows) {
		/* the next frame, when the sound gets there */
		double next = (double)(d->index + 1) * period - stream_time(s, heard);

		s->ops->retime(s->sink, d->index + 1,
			       d->shown_ns + (uint64_t)(next > 0 ? next * 1e9 : 0));
		return;
	}
	if (now - snd->start_ns >= SETTLE_NS)
		measure(s, (double)d->shown_ns, offset);
}

int play_sound_finish(struct play_session *s, bool drain)
{
	struct play_sound *snd = s->sound;
	int ret = 0, r;

	if (!snd)
		return 0;
	if (drain)
		ret = play_sound_feed(s, true);
	for (unsigned i = 0; i < snd->nout; i++)
		if ((r = snd->out[i].ops->finish(snd->out[i].a, drain && !s->stop)) < 0 && !ret)
			ret = r;
	return ret;
}

void play_sound_stats(struct play_session *s)
{
	struct play_sound *snd = s->sound;
	struct play_session_audio *a = &s->st.audio;
	struct play_audio_stats st;

	if (!snd)
		return;
	a->samples = UINT64_MAX;
	a->underruns = 0;
	for (unsigned i = 0; i < snd->nout; i++) {
		struct sound_out *o = &snd->out[i];

		o->ops->stats(o->a, &st);
		if (o->taken < a->samples)
			a->samples = o->taken;
		a->underruns += st.underruns;
		snprintf(o->device ? a->out_mode : a->file_mode, sizeof(a->out_mode), "%s",
			 st.mode);
	}
	if (a->samples == UINT64_MAX)
		a->samples = 0;
}

void play_sound_close(struct play_session *s)
{
	struct play_sound *snd = s->sound;

	if (!snd)
		return;
	for (unsigned i = 0; i < snd->nout; i++)
		snd->out[i].ops->close(snd->out[i].a);
	mov_audio_reader_free(snd->r);
	free(snd->blk);
	free(snd);
	s->sound = NULL;
}
