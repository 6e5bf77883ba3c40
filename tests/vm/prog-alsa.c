/* Runs inside the VM rig with snd-aloop loaded: the ALSA audio source (cap_alsa_ops) against a
 * loopback cable, with a known signal played into the other end.
 *
 *   prog-alsa info CAPDEV
 *   prog-alsa signal CAPDEV PLAYDEV FORMAT SECONDS
 *   prog-alsa drift CAPDEV SECONDS EXPECT_PPM TOLERANCE_PPM
 *   prog-alsa xrun CAPDEV PLAYDEV FORMAT STALL_MS
 *   prog-alsa lead CAPDEV PLAYDEV BEFORE_MS
 *   prog-alsa refuse CAPDEV PLAYDEV
 *
 * FORMAT: auto, s16, s24, s32. The signal is a counter: sample n of channel c holds n x 2 +
 * c + 1 (cut to the format's width), played by a thread from the moment capture starts.
 * signal: captures SECONDS after align(now) and checks that the sample index at the last clock
 * pair matches the monotonic time elapsed since t0 (within 10 ms at the measured drift), that
 * delivered samples follow it, and that every sample from the first non-silent one on is the
 * counter at one fixed offset. drift: the least-squares slope of the status clock pairs
 * (sample index against CLOCK_MONOTONIC) in ppm against EXPECT_PPM. xrun: reads 3 s, stops
 * reading for STALL_MS (longer than the device buffer), reads 3 s more, and checks one lost
 * stretch of the size the stall cost (within one period), silence exactly there, and the
 * counter at the same offset on both sides of it. lead: align() to BEFORE_MS before start():
 * that much silence (and the start's latency) before the first sample, time still matching.
 * refuse: with the playback end set up first (S16_LE, 2 channels, 48000 Hz), a capture asking
 * for another rate, format or channel count fails with -EINVAL and names what is offered.
 * Prints figures and PASS:/FAIL:/SKIP: lines; exit status 0, 1, or 77 (format refused).
 */
#include "cap-internal.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define CHANNELS 2
#define MAX_PAIRS 20000

static int failures;

static void pass(const char *name, const char *fig)
{
	printf("PASS: %s (%s)\n", name, fig);
	fflush(stdout);
}

static void fail(const char *name, const char *why)
{
	printf("FAIL: %s: %s\n", name, why);
	fflush(stdout);
	failures++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct player {
	snd_pcm_t *pcm;
	snd_pcm_format_t fmt;
	pthread_t thread;
	atomic_bool stop;
	uint64_t written;
	int err;
};

static uint32_t counter(uint64_t n, unsigned c)
{
	return (uint32_t)(n * CHANNELS + c + 1);
}

static void *play_loop(void *arg)
{
	struct player *p = arg;
	unsigned width = snd_pcm_format_physical_width(p->fmt) / 8;
	uint8_t buf[480 * CHANNELS * 4];

	while (!atomic_load(&p->stop)) {
		for (unsigned i = 0; i < 480; i++)
			for (unsigned c = 0; c < CHANNELS; c++) {
				uint32_t v = counter(p->written + i, c);

				if (p->fmt == SND_PCM_FORMAT_S32_LE)
					v <<= 8; /* 24 bits of counter in the top bytes */
				memcpy(buf + (i * CHANNELS + c) * width, &v, width);
			}
		snd_pcm_sframes_t n = snd_pcm_writei(p->pcm, buf, 480);
		if (n < 0) {
			p->err = (int)n;
			if (snd_pcm_recover(p->pcm, (int)n, 1) < 0)
				break;
			continue;
		}
		p->written += n;
	}
	return NULL;
}

/* Set dev up to play native at RATE (aloop wants both ends of a cable alike). */
static int player_open(struct player *p, const char *dev, const char *native)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_uframes_t period = 480, buffer = RATE / 2;
	int ret;

	memset(p, 0, sizeof(*p));
	p->fmt = snd_pcm_format_value(native);
	ret = snd_pcm_open(&p->pcm, dev, SND_PCM_STREAM_PLAYBACK, 0);
	if (ret < 0)
		return ret;
	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_hw_params_any(p->pcm, hw);
	snd_pcm_hw_params_set_access(p->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED);
	snd_pcm_hw_params_set_format(p->pcm, hw, p->fmt);
	snd_pcm_hw_params_set_channels(p->pcm, hw, CHANNELS);
	snd_pcm_hw_params_set_rate(p->pcm, hw, RATE, 0);
	snd_pcm_hw_params_set_period_size_near(p->pcm, hw, &period, NULL);
	snd_pcm_hw_params_set_buffer_size_near(p->pcm, hw, &buffer);
	ret = snd_pcm_hw_params(p->pcm, hw);
	if (ret < 0) {
		snd_pcm_close(p->pcm);
		return ret;
	}
	snd_pcm_hw_params_get_buffer_size(hw, &buffer);
	printf("player: %s %s, period %lu, buffer %lu\n", dev, native, period, buffer);
	return 0;
}

/* Play the counter into dev in the capture's native format. */
static int player_start(struct player *p, const char *dev, const char *native)
{
	int ret = player_open(p, dev, native);

	if (ret < 0)
		return ret;
	ret = pthread_create(&p->thread, NULL, play_loop, p);
	if (ret) {
		snd_pcm_close(p->pcm);
		return -ret;
	}
	return 0;
}

static void player_stop(struct player *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	snd_pcm_drop(p->pcm);
	snd_pcm_close(p->pcm);
	printf("player: %llu samples written, last error %s\n", (unsigned long long)p->written,
	       p->err ? snd_strerror(p->err) : "none");
}

struct run {
	struct cap_audio *src;
	struct cap_audio_accepted acc;
	uint64_t t0, pos;
	uint8_t *data; /* every sample read */
	uint64_t cap;
	uint64_t *pair_pos, *pair_ns;
	unsigned npairs;
};

static int run_open(struct run *r, const char *dev, const char *format, double seconds)
{
	struct cap_audio_config cfg = { .device = dev, .rate = RATE };
	struct cap_why why = { .what = "" };
	int ret;

	memset(r, 0, sizeof(*r));
	cfg.format = !strcmp(format, "s16")   ? CAP_AUDIO_S16
		     : !strcmp(format, "s24") ? CAP_AUDIO_S24
		     : !strcmp(format, "s32") ? CAP_AUDIO_S32
					      : CAP_AUDIO_AUTO;
	ret = cap_alsa_ops.open(&cfg, &why, &r->src);
	if (ret < 0) {
		printf("open %s %s: %s (%s)\n", dev, format, why.what, why.hint);
		return ret;
	}
	cap_alsa_ops.describe(r->src, &r->acc);
	printf("capture: %s card \"%s\", %u ch, %u Hz, stored s%u, native %s, %u bytes/sample, "
	       "period %u, buffer %u\n",
	       r->acc.device, r->acc.card, r->acc.channels, r->acc.rate, (unsigned)r->acc.format,
	       r->acc.native, r->acc.sample_bytes, r->acc.period, r->acc.buffer);
	r->cap = (uint64_t)((seconds + 1) * RATE);
	r->data = calloc(r->cap, r->acc.sample_bytes);
	r->pair_pos = calloc(MAX_PAIRS, sizeof(uint64_t));
	r->pair_ns = calloc(MAX_PAIRS, sizeof(uint64_t));
	if (!r->data || !r->pair_pos || !r->pair_ns)
		return -ENOMEM;
	return 0;
}

static int run_start(struct run *r)
{
	int ret = cap_alsa_ops.start(r->src);

	if (ret < 0)
		return ret;
	usleep(200000); /* some history before t0, as a recording has */
	cap_alsa_ops.read(r->src, 0, NULL, 0, 0);
	r->t0 = now_ns();
	return cap_alsa_ops.align(r->src, r->t0);
}

/* Read until seconds after t0; note every new clock pair. */
static int run_read(struct run *r, double seconds)
{
	struct cap_audio_status st;
	uint64_t end = r->t0 + (uint64_t)(seconds * 1e9);

	while (now_ns() < end && r->pos < r->cap) {
		uint32_t n = r->cap - r->pos < 4800 ? r->cap - r->pos : 4800;
		int got = cap_alsa_ops.read(r->src, r->pos, r->data + r->pos * r->acc.sample_bytes,
					    n, 100);

		if (got < 0)
			return got;
		r->pos += got;
		cap_alsa_ops.status(r->src, &st);
		if (st.clock_ns && r->npairs < MAX_PAIRS &&
		    (!r->npairs || r->pair_ns[r->npairs - 1] != st.clock_ns)) {
			r->pair_pos[r->npairs] = st.clock_pos;
			r->pair_ns[r->npairs++] = st.clock_ns;
		}
	}
	return 0;
}

/* Least squares of sample index against time: the drift in ppm of the nominal rate. */
static double drift_ppm(const struct run *r, unsigned from, double *ret_rms_ms)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = r->npairs - from, slope, b, rms = 0;

	for (unsigned i = from; i < r->npairs; i++) {
		double x = (r->pair_ns[i] - r->pair_ns[from]) / 1e9,
		       y = (double)r->pair_pos[i] - (double)r->pair_pos[from];

		sx += x, sy += y, sxx += x * x, sxy += x * y;
	}
	slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	b = (sy - slope * sx) / n;
	for (unsigned i = from; i < r->npairs; i++) {
		double x = (r->pair_ns[i] - r->pair_ns[from]) / 1e9,
		       y = (double)r->pair_pos[i] - (double)r->pair_pos[from];

		rms += (y - slope * x - b) * (y - slope * x - b);
	}
	*ret_rms_ms = sqrt(rms / n) * 1000 / RATE;
	return (slope / RATE - 1) * 1e6;
}

/* Channel c of sample i as the counter's low bits (S32: its top 24 bits). */
static uint32_t sample_at(const struct run *r, uint64_t i, unsigned c)
{
	unsigned w = r->acc.format / 8;
	uint32_t v = 0;

	memcpy(&v, r->data + i * r->acc.sample_bytes + c * w, w);
	return r->acc.format == CAP_AUDIO_S32 ? v >> 8 : v;
}

static uint32_t mask(const struct run *r)
{
	return r->acc.format == CAP_AUDIO_S16 ? 0xffff : 0xffffff;
}

/* Every sample from the first non-silent one on is the counter at one offset, except
 * [gap, gap + gap_n), which is silence. The counter index of sample 0 in *ret_off. */
static bool check_signal(const struct run *r, uint64_t gap, uint64_t gap_n, int64_t *ret_off,
			 char *why, size_t len)
{
	uint64_t first = 0, bad = 0, first_bad = 0, gap_bad = 0;
	uint32_t m = mask(r), v0;

	while (first < r->pos && !sample_at(r, first, 0) && !sample_at(r, first, 1))
		first++;
	if (first >= r->pos) {
		snprintf(why, len, "only silence in %llu samples", (unsigned long long)r->pos);
		return false;
	}
	v0 = sample_at(r, first, 0);			     /* counter n x 2 + 1 */
	*ret_off = (int64_t)first - (int64_t)((v0 - 1) / 2); /* exact unless the width wrapped */
	for (uint64_t i = first; i < r->pos; i++) {
		bool in_gap = i >= gap && i < gap + gap_n;

		for (unsigned c = 0; c < CHANNELS; c++) {
			uint32_t want =
			    in_gap ? 0 : (v0 + (uint32_t)((i - first) * CHANNELS) + c) & m;

			if (sample_at(r, i, c) != want) {
				if (!bad++)
					first_bad = i;
				gap_bad += in_gap;
			}
		}
	}
	snprintf(
	    why, len,
	    "first signal at sample %llu, counter offset %lld; %llu of %llu samples checked, %llu wrong (%llu in the gap)%s%llu",
	    (unsigned long long)first, (long long)*ret_off, (unsigned long long)(r->pos - first),
	    (unsigned long long)r->pos, (unsigned long long)bad, (unsigned long long)gap_bad,
	    bad ? ", first at " : "", (unsigned long long)(bad ? first_bad : 0));
	return !bad;
}

static void run_close(struct run *r)
{
	cap_alsa_ops.stop(r->src);
	cap_alsa_ops.close(r->src);
	free(r->data);
	free(r->pair_pos);
	free(r->pair_ns);
}

static int cmd_info(const char *dev)
{
	const char *fmts[] = { "auto", "s16", "s24", "s32" };
	struct run r;

	for (unsigned i = 0; i < 4; i++) {
		printf("%s: ", fmts[i]);
		if (run_open(&r, dev, fmts[i], 0) == 0)
			cap_alsa_ops.close(r.src);
		free(r.data), free(r.pair_pos), free(r.pair_ns);
	}
	return 0;
}

/* The last clock pair against the time since t0, and delivered against it. */
static void check_time(const struct run *r, const char *name, double ppm)
{
	struct cap_audio_status st;
	char fig[300];
	double want, off_ms;

	cap_alsa_ops.status(r->src, &st);
	want = (st.clock_ns - r->t0) / 1e9 * RATE * (1 + ppm / 1e6);
	off_ms = ((double)st.clock_pos - want) * 1000 / RATE;
	snprintf(
	    fig, sizeof(fig),
	    "sample %llu at t0 + %.6f s, expected %.1f: %+.2f ms; delivered %llu, lead silence %llu, xruns %llu",
	    (unsigned long long)st.clock_pos, (st.clock_ns - r->t0) / 1e9, want, off_ms,
	    (unsigned long long)st.delivered, (unsigned long long)st.lead_silence,
	    (unsigned long long)st.xruns);
	if (fabs(off_ms) > 10)
		fail(name, fig);
	else if (st.delivered > st.clock_pos + r->acc.period ||
		 st.delivered + RATE / 2 < st.clock_pos)
		fail(name, fig);
	else
		pass(name, fig);
}

static int cmd_signal(const char *cap, const char *play, const char *format, double seconds)
{
	struct player p;
	struct run r;
	char name[64], fig[400];
	double ppm, rms;
	int64_t off;
	int ret;

	ret = run_open(&r, cap, format, seconds);
	if (ret < 0)
		return ret == -EINVAL ? 77 : 1;
	ret = player_start(&p, play, r.acc.native);
	if (ret < 0) {
		printf("player %s: %s\n", play, snd_strerror(ret));
		return 1;
	}
	ret = run_start(&r);
	if (ret >= 0)
		ret = run_read(&r, seconds);
	player_stop(&p);
	if (ret < 0) {
		snprintf(fig, sizeof(fig), "capture: %s", strerror(-ret));
		fail(format, fig);
		return 1;
	}
	ppm = drift_ppm(&r, 0, &rms);
	printf(
	    "%s: %llu samples in %.3f s, %u clock pairs, drift %+.1f ppm (rms residual %.3f ms)\n",
	    format, (unsigned long long)r.pos, (now_ns() - r.t0) / 1e9, r.npairs, ppm, rms);
	snprintf(name, sizeof(name), "%s-%s-time", format, r.acc.native);
	check_time(&r, name, ppm);
	snprintf(name, sizeof(name), "%s-%s-samples", format, r.acc.native);
	if (check_signal(&r, 0, 0, &off, fig, sizeof(fig)))
		pass(name, fig);
	else
		fail(name, fig);
	run_close(&r);
	return failures ? 1 : 0;
}

static int cmd_drift(const char *cap, double seconds, double expect, double tol)
{
	struct run r;
	char fig[200];
	double ppm, rms;
	int ret;

	ret = run_open(&r, cap, "auto", seconds);
	if (ret < 0)
		return 1;
	ret = run_start(&r);
	if (ret >= 0)
		ret = run_read(&r, seconds);
	if (ret < 0 || r.npairs < 10) {
		printf("FAIL: drift: capture: %s, %u clock pairs\n", strerror(-ret), r.npairs);
		return 1;
	}
	ppm = drift_ppm(&r, r.npairs / 10, &rms); /* past the first second's settling */
	snprintf(
	    fig, sizeof(fig),
	    "%+.1f ppm from %u clock pairs over %.1f s, rms residual %.3f ms; expected %+.0f +- %.0f",
	    ppm, r.npairs - r.npairs / 10,
	    (r.pair_ns[r.npairs - 1] - r.pair_ns[r.npairs / 10]) / 1e9, rms, expect, tol);
	if (fabs(ppm - expect) <= tol)
		pass("drift", fig);
	else
		fail("drift", fig);
	check_time(&r, "drift-time", ppm);
	run_close(&r);
	return failures ? 1 : 0;
}

static int cmd_xrun(const char *cap, const char *play, const char *format, unsigned stall_ms)
{
	struct cap_audio_status a, b, st;
	struct player p;
	struct run r;
	char fig[400];
	int64_t off, want;
	int ret;

	ret = run_open(&r, cap, format, 6 + stall_ms / 1000.0);
	if (ret < 0)
		return ret == -EINVAL ? 77 : 1;
	ret = player_start(&p, play, r.acc.native);
	if (ret < 0) {
		printf("player %s: %s\n", play, snd_strerror(ret));
		return 1;
	}
	ret = run_start(&r);
	if (ret >= 0)
		ret = run_read(&r, 3);
	cap_alsa_ops.status(r.src, &a);
	usleep(stall_ms * 1000);
	/* one read: its status holds the clock pair at the moment the loss was counted */
	if (ret >= 0)
		ret = cap_alsa_ops.read(r.src, r.pos, r.data + r.pos * r.acc.sample_bytes, 1, 100);
	if (ret > 0)
		r.pos += ret;
	cap_alsa_ops.status(r.src, &b);
	if (ret >= 0)
		ret = run_read(&r, 6 + stall_ms / 1000.0);
	player_stop(&p);
	if (ret < 0) {
		snprintf(fig, sizeof(fig), "capture: %s", strerror(-ret));
		fail("xrun", fig);
		return 1;
	}
	cap_alsa_ops.status(r.src, &st);
	/* the stall cost everything the hardware captured since the last read before it beyond
	 * what the buffer holds (the source keeps one period short of full) */
	want = (int64_t)(b.clock_pos - a.clock_pos) - (r.acc.buffer - r.acc.period);
	snprintf(
	    fig, sizeof(fig),
	    "stall %u ms: %llu xruns, %llu samples lost at %llu, expected %lld from the clock pairs (%llu -> %llu), %.0f from the stall time",
	    stall_ms, (unsigned long long)st.xruns, (unsigned long long)st.xrun_samples,
	    (unsigned long long)st.last_xrun_at, (long long)want, (unsigned long long)a.clock_pos,
	    (unsigned long long)b.clock_pos,
	    stall_ms / 1000.0 * RATE - (r.acc.buffer - r.acc.period));
	if (st.xruns != 1 || llabs((int64_t)st.xrun_samples - want) > r.acc.period)
		fail("xrun-count", fig);
	else
		pass("xrun-count", fig);
	if (check_signal(&r, st.last_xrun_at, st.xrun_samples, &off, fig, sizeof(fig)))
		pass("xrun-samples-after", fig);
	else
		fail("xrun-samples-after", fig);
	check_time(&r, "xrun-time", 0);
	run_close(&r);
	return failures ? 1 : 0;
}

/* align() to a time before start(): silence stands in for the samples before the first. */
static int cmd_lead(const char *cap, const char *play, unsigned before_ms)
{
	struct cap_audio_status st;
	struct player p;
	struct run r;
	char fig[400];
	int64_t off;
	uint64_t first;
	int ret;

	ret = run_open(&r, cap, "auto", 4);
	if (ret < 0)
		return 1;
	ret = player_start(&p, play, r.acc.native);
	if (ret < 0) {
		printf("player %s: %s\n", play, snd_strerror(ret));
		return 1;
	}
	r.t0 = now_ns();
	usleep(before_ms * 1000);
	ret = cap_alsa_ops.start(r.src);
	if (ret >= 0)
		ret = cap_alsa_ops.align(r.src, r.t0);
	if (ret >= 0)
		ret = run_read(&r, 3);
	player_stop(&p);
	if (ret < 0) {
		snprintf(fig, sizeof(fig), "capture: %s", strerror(-ret));
		fail("lead", fig);
		return 1;
	}
	cap_alsa_ops.status(r.src, &st);
	check_signal(&r, 0, 0, &off, fig, sizeof(fig));
	for (first = 0; first < r.pos && !sample_at(&r, first, 0) && !sample_at(&r, first, 1);)
		first++;
	printf("lead: %s\n", fig);
	snprintf(
	    fig, sizeof(fig),
	    "aligned %u ms before start: lead silence %llu samples (%.2f ms), first non-silent sample %llu",
	    before_ms, (unsigned long long)st.lead_silence, st.lead_silence * 1000.0 / RATE,
	    (unsigned long long)first);
	/* within 10 ms below: aloop moves its position a jiffy (4 ms at HZ=250) at a time, and the
	 * first one may come early; above: the start's own latency */
	if (st.lead_silence + RATE / 100 < (uint64_t)before_ms * RATE / 1000 ||
	    st.lead_silence > (uint64_t)(before_ms + 100) * RATE / 1000 || first < st.lead_silence)
		fail("lead", fig);
	else
		pass("lead", fig);
	check_time(&r, "lead-time", 0);
	run_close(&r);
	return failures ? 1 : 0;
}

/* With the playback end set to S16_LE, 2 channels, 48000 Hz, aloop's capture end offers only
 * that: a different rate, format or channel count is refused, naming what it offers. */
static void refuse(const char *cap, const char *name, struct cap_audio_config cfg, const char *want)
{
	struct cap_why why = { .what = "" };
	struct cap_audio *src = NULL;
	char fig[1000];
	int ret;

	cfg.device = cap;
	ret = cap_alsa_ops.open(&cfg, &why, &src);
	snprintf(fig, sizeof(fig), "%s: %s (%s)", ret < 0 ? strerror(-ret) : "accepted", why.what,
		 why.hint);
	if (ret != -EINVAL || (!strstr(why.what, want) && !strstr(why.hint, want)))
		fail(name, fig);
	else
		pass(name, fig);
	cap_alsa_ops.close(ret < 0 ? NULL : src);
}

static int cmd_refuse(const char *cap, const char *play)
{
	struct player p;
	int ret = player_open(&p, play, "S16_LE");

	if (ret < 0) {
		printf("player %s: %s\n", play, snd_strerror(ret));
		return 1;
	}
	refuse(cap, "refuse-rate", (struct cap_audio_config){ .rate = 44100 }, "48000 to 48000 Hz");
	refuse(cap, "refuse-format", (struct cap_audio_config){ .format = CAP_AUDIO_S32 },
	       "offers S16_LE");
	refuse(cap, "refuse-channels", (struct cap_audio_config){ .channels = 4 }, "takes 2 to 2");
	snd_pcm_close(p.pcm);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "signal"))
		return cmd_signal(argv[2], argv[3], argv[4], atof(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "drift"))
		return cmd_drift(argv[2], atof(argv[3]), atof(argv[4]), atof(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "refuse"))
		return cmd_refuse(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "lead"))
		return cmd_lead(argv[2], argv[3], atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "xrun"))
		return cmd_xrun(argv[2], argv[3], argv[4], atoi(argv[5]));
	fprintf(
	    stderr,
	    "usage: prog-alsa info CAPDEV | signal CAPDEV PLAYDEV FORMAT SECONDS |\n"
	    "       drift CAPDEV SECONDS EXPECT_PPM TOL_PPM | xrun CAPDEV PLAYDEV FORMAT STALL_MS\n");
	return 2;
}
