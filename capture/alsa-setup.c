/* Opening an ALSA capture device for the ALSA source (alsa.c): the hw and sw parameters.
 *
 * Nothing is converted: the device is asked for its own formats only (no plug resampling, rate
 * exact), a format the recording stores as is (S24_3LE, S32_LE, S16_LE) or S24_LE, which the
 * source repacks to 3 bytes. The sw parameters make it run free (an overrun does not stop it)
 * with CLOCK_MONOTONIC timestamps of the hardware position.
 */
#include "cap-internal.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUFFER_SECONDS 2 /* at most: long enough that a busy capture loop does not overrun */

struct neg {
	snd_pcm_t *pcm;
	struct cap_audio_accepted acc;
	bool repack;
};

__attribute__((format(printf, 4, 5))) static int say(struct cap_why *why, int err, const char *hint,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->what, sizeof(why->what), fmt, ap);
	va_end(ap);
	snprintf(why->hint, sizeof(why->hint), "%s", hint ? hint : "");
	return err;
}

/* alsa-lib's default handler prints to stderr by itself (e.g. "cannot find card" on a mistyped
 * name), and library code does not print: no-op while opening, the why says it instead. */
static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	(void)file, (void)line, (void)function, (void)err, (void)fmt;
}

static const snd_pcm_format_t auto_order[] = { SND_PCM_FORMAT_S24_3LE, SND_PCM_FORMAT_S32_LE,
					       SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S16_LE };

/* The device's formats (at the chosen access, rate and channels) as a hint. */
static void list_formats(snd_pcm_t *pcm, snd_pcm_hw_params_t *hw, struct cap_why *why)
{
	size_t n = snprintf(why->hint, sizeof(why->hint), "the device offers");

	for (int f = 0; f <= SND_PCM_FORMAT_LAST && n < sizeof(why->hint) - 16; f++)
		if (snd_pcm_hw_params_test_format(pcm, hw, (snd_pcm_format_t)f) == 0)
			n += snprintf(why->hint + n, sizeof(why->hint) - n, " %s",
				      snd_pcm_format_name((snd_pcm_format_t)f));
}

static int choose_format(struct neg *s, snd_pcm_hw_params_t *hw, const struct cap_audio_config *cfg,
			 struct cap_why *why)
{
	snd_pcm_format_t want[2] = { SND_PCM_FORMAT_UNKNOWN, SND_PCM_FORMAT_UNKNOWN };
	const snd_pcm_format_t *order = want;
	unsigned n = 1;
	int ret;

	switch (cfg->format) {
	case CAP_AUDIO_AUTO:
		order = auto_order, n = sizeof(auto_order) / sizeof(auto_order[0]);
		break;
	case CAP_AUDIO_S16:
		want[0] = SND_PCM_FORMAT_S16_LE;
		break;
	case CAP_AUDIO_S24:
		want[0] = SND_PCM_FORMAT_S24_3LE, want[1] = SND_PCM_FORMAT_S24_LE, n = 2;
		break;
	case CAP_AUDIO_S32:
		want[0] = SND_PCM_FORMAT_S32_LE;
		break;
	default:
		return say(why, -EINVAL, NULL, "audio format %d is not s16, s24 or s32",
			   cfg->format);
	}
	for (unsigned i = 0; i < n; i++) {
		if (snd_pcm_hw_params_test_format(s->pcm, hw, order[i]) < 0)
			continue;
		ret = snd_pcm_hw_params_set_format(s->pcm, hw, order[i]);
		if (ret < 0)
			return say(why, ret, NULL, "ALSA device %s: setting %s: %s", s->acc.device,
				   snd_pcm_format_name(order[i]), snd_strerror(ret));
		s->acc.format = order[i] == SND_PCM_FORMAT_S16_LE   ? CAP_AUDIO_S16
				: order[i] == SND_PCM_FORMAT_S32_LE ? CAP_AUDIO_S32
								    : CAP_AUDIO_S24;
		s->repack = order[i] == SND_PCM_FORMAT_S24_LE;
		snprintf(s->acc.native, sizeof(s->acc.native), "%s", snd_pcm_format_name(order[i]));
		return 0;
	}
	say(why, -EINVAL, NULL, "ALSA device %s gives no %s samples", s->acc.device,
	    cfg->format == CAP_AUDIO_AUTO  ? "16, 24 or 32-bit signed little-endian"
	    : cfg->format == CAP_AUDIO_S16 ? "S16_LE"
	    : cfg->format == CAP_AUDIO_S24 ? "S24_3LE or S24_LE"
					   : "S32_LE");
	list_formats(s->pcm, hw, why);
	return -EINVAL;
}

/* cfg->channels, or the device's smallest count from 2 up (its only one when it has less). */
static int choose_channels(struct neg *s, snd_pcm_hw_params_t *hw, unsigned want,
			   struct cap_why *why)
{
	unsigned min = 0, max = 0, ch;
	int ret;

	snd_pcm_hw_params_get_channels_min(hw, &min);
	snd_pcm_hw_params_get_channels_max(hw, &max);
	ch = want;
	if (!want) {
		ch = min;
		for (unsigned c = min < 2 ? 2 : min; c <= max && c <= 64; c++)
			if (snd_pcm_hw_params_test_channels(s->pcm, hw, c) == 0) {
				ch = c;
				break;
			}
	}
	ret = snd_pcm_hw_params_set_channels(s->pcm, hw, ch);
	if (ret < 0)
		return say(why, -EINVAL, "leave the channel count to the device",
			   "ALSA device %s: %u channels refused; it takes %u to %u", s->acc.device,
			   ch, min, max);
	s->acc.channels = ch;
	return 0;
}

static int set_hw(struct neg *s, const struct cap_audio_config *cfg, struct cap_why *why)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_uframes_t period, buffer;
	unsigned rate = cfg->rate ? cfg->rate : 48000, min = 0, max = 0;
	int ret;

	snd_pcm_hw_params_alloca(&hw);
	ret = snd_pcm_hw_params_any(s->pcm, hw);
	if (ret >= 0)
		ret = snd_pcm_hw_params_set_rate_resample(s->pcm, hw, 0);
	if (ret >= 0)
		ret = snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED);
	if (ret < 0)
		return say(why, ret, "capture from a hw: or plughw: device",
			   "ALSA device %s: no interleaved read access: %s", s->acc.device,
			   snd_strerror(ret));
	if (snd_pcm_hw_params_set_rate(s->pcm, hw, rate, 0) < 0) {
		snd_pcm_hw_params_get_rate_min(hw, &min, NULL);
		snd_pcm_hw_params_get_rate_max(hw, &max, NULL);
		return say(why, -EINVAL, "samples are never resampled: ask for a rate it offers",
			   "ALSA device %s: %u Hz refused; it offers %u to %u Hz", s->acc.device,
			   rate, min, max);
	}
	s->acc.rate = rate;
	ret = choose_channels(s, hw, cfg->channels, why);
	if (ret >= 0)
		ret = choose_format(s, hw, cfg, why);
	if (ret < 0)
		return ret;
	period = rate / 100;
	buffer = (snd_pcm_uframes_t)rate * BUFFER_SECONDS;
	snd_pcm_hw_params_set_period_size_near(s->pcm, hw, &period, NULL);
	snd_pcm_hw_params_set_buffer_size_near(s->pcm, hw, &buffer);
	ret = snd_pcm_hw_params(s->pcm, hw);
	if (ret < 0)
		return say(why, ret, NULL, "ALSA device %s: hw_params: %s", s->acc.device,
			   snd_strerror(ret));
	snd_pcm_hw_params_get_period_size(hw, &period, NULL);
	snd_pcm_hw_params_get_buffer_size(hw, &buffer);
	s->acc.period = period;
	s->acc.buffer = buffer;
	s->acc.sample_bytes = s->acc.channels * s->acc.format / 8;
	return 0;
}

/* Monotonic timestamps of the hardware position; never stop on an overrun. */
static int set_sw(struct neg *s, struct cap_why *why)
{
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t boundary = 0;
	int ret;

	snd_pcm_sw_params_alloca(&sw);
	ret = snd_pcm_sw_params_current(s->pcm, sw);
	if (ret >= 0)
		ret = snd_pcm_sw_params_set_tstamp_mode(s->pcm, sw, SND_PCM_TSTAMP_ENABLE);
	if (ret >= 0)
		ret = snd_pcm_sw_params_set_tstamp_type(s->pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
	if (ret >= 0)
		ret = snd_pcm_sw_params_get_boundary(sw, &boundary);
	if (ret >= 0)
		ret = snd_pcm_sw_params_set_start_threshold(s->pcm, sw, boundary);
	if (ret >= 0)
		ret = snd_pcm_sw_params_set_stop_threshold(s->pcm, sw, boundary);
	if (ret >= 0)
		ret = snd_pcm_sw_params_set_avail_min(s->pcm, sw, s->acc.period);
	if (ret >= 0)
		ret = snd_pcm_sw_params(s->pcm, sw);
	if (ret < 0)
		return say(why, ret,
			   "the device needs monotonic timestamps (alsa-lib 1.0.29 or later)",
			   "ALSA device %s: sw_params: %s", s->acc.device, snd_strerror(ret));
	return 0;
}

static void card_name(struct neg *s)
{
	snd_pcm_info_t *info;
	char *name = NULL;

	snd_pcm_info_alloca(&info);
	if (snd_pcm_info(s->pcm, info) < 0 || snd_pcm_info_get_card(info) < 0)
		return;
	if (snd_card_get_name(snd_pcm_info_get_card(info), &name) == 0 && name)
		snprintf(s->acc.card, sizeof(s->acc.card), "%s", name);
	free(name);
}

static const char *open_hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
		return "list capture devices with arecord -L";
	case -EBUSY:
		return "another program is capturing from it (fuser -v /dev/snd/*)";
	case -EACCES:
	case -EPERM:
		return "join the audio group to use sound devices";
	default:
		return NULL;
	}
}

int cap_alsa_setup(const struct cap_audio_config *cfg, struct cap_why *why,
		   struct _snd_pcm **ret_pcm, struct cap_audio_accepted *ret_acc, bool *ret_repack)
{
	struct neg n = { 0 }, *s = &n;
	snd_lib_error_handler_t prev = snd_lib_error;
	int ret;

	snprintf(s->acc.device, sizeof(s->acc.device), "%s", cfg->device ? cfg->device : "default");
	/* process-wide, but only for the open, which prints on common mistakes (see quiet()) */
	snd_lib_error_set_handler(quiet);
	ret = snd_pcm_open(&s->pcm, s->acc.device, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	snd_lib_error_set_handler(prev);
	if (ret < 0)
		return say(why, ret, open_hint(ret), "ALSA device %s: %s", s->acc.device,
			   ret == -ENODEV   ? "no such card"
			   : ret == -ENOENT ? "no such device"
					    : snd_strerror(ret));
	ret = set_hw(s, cfg, why);
	if (ret >= 0)
		ret = set_sw(s, why);
	if (ret < 0) {
		snd_pcm_close(s->pcm);
		return ret;
	}
	card_name(s);
	*ret_pcm = s->pcm;
	*ret_acc = s->acc;
	*ret_repack = s->repack;
	return 0;
}
