/* The ALSA audio source's negotiation and call rules without a sound card: alsa-lib's "null"
 * PCM accepts every format, rate and channel count but has no timing, so only open, describe,
 * the errors and the order of calls are checked here (timing, overruns and the samples
 * themselves are checked on snd-aloop in the VM rig: tests/vm/scenarios/alsa-aloop.sh). */
#include "cap-internal.h"
#include "t.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool have_null(void)
{
	snd_pcm_t *pcm;

	if (snd_pcm_open(&pcm, "null", SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) < 0)
		return false;
	snd_pcm_close(pcm);
	return true;
}

static int open_null(struct cap_audio_config *cfg, struct cap_audio_accepted *acc,
		     struct cap_audio **ret)
{
	struct cap_why why = { .what = "" };
	int r;

	cfg->device = "null";
	r = cap_alsa_ops.open(cfg, &why, ret);
	if (r == 0)
		cap_alsa_ops.describe(*ret, acc);
	else
		printf("  open: %s (%s)\n", why.what, why.hint);
	return r;
}

static void test_auto_prefers_24_bit(struct t_state *st)
{
	struct cap_audio_config cfg = { .format = CAP_AUDIO_AUTO };
	struct cap_audio_accepted acc;
	struct cap_audio *a;

	if (!have_null())
		T_SKIP(st, "alsa-lib has no null PCM here (libasound2-data missing?)");
	T_EQ(st, open_null(&cfg, &acc, &a), 0);
	T_EQ(st, acc.format, CAP_AUDIO_S24);
	T_STREQ(st, acc.native, "S24_3LE");
	T_EQ(st, acc.channels, 2);
	T_EQ(st, acc.rate, 48000);
	T_EQ(st, acc.sample_bytes, 6);
	T_STREQ(st, acc.device, "null");
	T_EQ(st, acc.period, 480);
	T_ASSERT(st, acc.buffer >= 4 * acc.period && acc.buffer <= 96000);
	cap_alsa_ops.close(a);
}

static void test_explicit_formats_rate_channels(struct t_state *st)
{
	static const struct {
		enum cap_audio_format f;
		const char *native;
		unsigned bytes;
	} want[] = { { CAP_AUDIO_S16, "S16_LE", 2 },
		     { CAP_AUDIO_S24, "S24_3LE", 3 },
		     { CAP_AUDIO_S32, "S32_LE", 4 } };
	struct cap_audio_accepted acc;
	struct cap_audio *a;

	if (!have_null())
		T_SKIP(st, "alsa-lib has no null PCM here");
	for (unsigned i = 0; i < 3; i++) {
		struct cap_audio_config cfg = { .format = want[i].f, .channels = 8, .rate = 96000 };

		T_EQ(st, open_null(&cfg, &acc, &a), 0);
		T_EQ(st, acc.format, want[i].f);
		T_STREQ(st, acc.native, want[i].native);
		T_EQ(st, acc.channels, 8);
		T_EQ(st, acc.rate, 96000);
		T_EQ(st, acc.sample_bytes, 8 * want[i].bytes);
		cap_alsa_ops.close(a);
	}
}

/* Open name with stderr in a file: the error, its why, and nothing printed. */
static int open_quietly(const char *name, struct cap_why *why, long *ret_printed)
{
	struct cap_audio_config cfg = { .device = name };
	struct cap_audio *a = NULL;
	char path[] = "/tmp/vcap-alsa-stderr.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), r;
	struct stat sb;

	fflush(stderr);
	dup2(fd, 2);
	r = cap_alsa_ops.open(&cfg, why, &a);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fstat(fd, &sb);
	*ret_printed = sb.st_size;
	close(fd);
	unlink(path);
	if (r == 0)
		cap_alsa_ops.close(a);
	return r;
}

static void test_unknown_device_says_why_silently(struct t_state *st)
{
	struct cap_why why = { .what = "" };
	long printed;

	T_EQ(st, open_quietly("vcap-no-such-pcm", &why, &printed), -ENOENT);
	T_STREQ(st, why.what, "ALSA device vcap-no-such-pcm: no such device");
	T_STREQ(st, why.hint, "list capture devices with arecord -L");
	T_EQ(st, printed, 0);
	T_EQ(st, open_quietly("hw:CARD=VcapNoSuchCard,DEV=0", &why, &printed), -ENODEV);
	T_STREQ(st, why.what, "ALSA device hw:CARD=VcapNoSuchCard,DEV=0: no such card");
	T_EQ(st, printed, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void test_call_order(struct t_state *st)
{
	struct cap_audio_config cfg = { .format = CAP_AUDIO_S16 };
	struct cap_audio_accepted acc;
	struct cap_audio_status s;
	struct cap_audio *a;
	uint8_t buf[4 * 100];
	int got;

	if (!have_null())
		T_SKIP(st, "alsa-lib has no null PCM here");
	cap_alsa_ops.close(NULL);
	T_EQ(st, open_null(&cfg, &acc, &a), 0);
	T_EQ(st, cap_alsa_ops.align(a, now_ns()), -EINVAL); /* not started */
	T_EQ(st, cap_alsa_ops.read(a, 0, buf, 100, 0), 0);
	T_EQ(st, cap_alsa_ops.start(a), 0);
	T_EQ(st, cap_alsa_ops.read(a, 0, buf, 100, 0), 0); /* before align: nothing yet */
	cap_alsa_ops.status(a, &s);
	T_EQ(st, s.clock_ns, 0);
	T_EQ(st, s.delivered, 0);
	T_EQ(st, cap_alsa_ops.align(a, now_ns()), 0);
	T_EQ(st, cap_alsa_ops.align(a, now_ns()), -EINVAL); /* once */
	got = cap_alsa_ops.read(a, 0, buf, 100, 100);
	T_ASSERT(st, got > 0 && got <= 100);
	T_EQ(st, cap_alsa_ops.read(a, got - 1, buf, 100, 0), -EINVAL);	  /* going back */
	T_ASSERT(st, cap_alsa_ops.read(a, got + 50, buf, 100, 100) >= 0); /* skipping ahead */
	cap_alsa_ops.status(a, &s);
	T_ASSERT(st, s.delivered >= (uint64_t)got);
	T_EQ(st, cap_alsa_ops.stop(a), 0);
	cap_alsa_ops.close(a);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_auto_prefers_24_bit);
	T_RUN(&st, test_explicit_formats_rate_channels);
	T_RUN(&st, test_unknown_device_says_why_silently);
	T_RUN(&st, test_call_order);
	return T_EXIT(&st);
}
