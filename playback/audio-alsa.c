/* The alsa audio output: interleaved samples to a PCM playback device, written without
 * blocking into its buffer ahead of time. The device starts only when told (start_threshold
 * past any fill), so the first sample goes out with the first frame; after an underrun it is
 * prepared and started again at once, and the underrun counted. delay() is the device clock
 * the pictures follow; ALSA's "null" device has none (it takes samples as fast as they come). */
#include "play-internal.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct alsa_out {
	struct play_audio base;
	snd_pcm_t *pcm;
	unsigned sample_bytes;
	bool started, clock;
	uint64_t written, underruns;
	char mode[160];
};

static struct alsa_out *to_alsa(struct play_audio *a)
{
	return play_container_of(a, struct alsa_out, base);
}

static snd_pcm_format_t format_of(unsigned bits)
{
	return bits == 16   ? SND_PCM_FORMAT_S16_LE
	       : bits == 24 ? SND_PCM_FORMAT_S24_3LE
	       : bits == 32 ? SND_PCM_FORMAT_S32_LE
			    : SND_PCM_FORMAT_UNKNOWN;
}

static int set_hw(struct alsa_out *o, const struct play_audio_config *cfg,
		  snd_pcm_uframes_t *ret_buffer)
{
	unsigned buffer_us = (cfg->buffer_ms ? cfg->buffer_ms : 200) * 1000u;
	unsigned period_us = buffer_us / 4;
	snd_pcm_hw_params_t *hw;
	int ret;

	snd_pcm_hw_params_alloca(&hw);
	if ((ret = snd_pcm_hw_params_any(o->pcm, hw)) < 0 ||
	    (ret = snd_pcm_hw_params_set_access(o->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (ret = snd_pcm_hw_params_set_format(o->pcm, hw, format_of(cfg->bits))) < 0 ||
	    (ret = snd_pcm_hw_params_set_channels(o->pcm, hw, cfg->channels)) < 0 ||
	    (ret = snd_pcm_hw_params_set_rate(o->pcm, hw, cfg->rate, 0)) < 0)
		return -EINVAL; /* the device cannot take the file's sound as it is */
	if ((ret = snd_pcm_hw_params_set_buffer_time_near(o->pcm, hw, &buffer_us, NULL)) < 0 ||
	    (ret = snd_pcm_hw_params_set_period_time_near(o->pcm, hw, &period_us, NULL)) < 0 ||
	    (ret = snd_pcm_hw_params(o->pcm, hw)) < 0)
		return ret;
	return snd_pcm_hw_params_get_buffer_size(hw, ret_buffer);
}

/* Start only when told; timestamps on CLOCK_MONOTONIC, the pictures' clock. */
static int set_sw(struct alsa_out *o)
{
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t boundary;
	int ret;

	snd_pcm_sw_params_alloca(&sw);
	if ((ret = snd_pcm_sw_params_current(o->pcm, sw)) < 0 ||
	    (ret = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0 ||
	    (ret = snd_pcm_sw_params_set_start_threshold(o->pcm, sw, boundary)) < 0)
		return ret;
	snd_pcm_sw_params_set_tstamp_mode(o->pcm, sw, SND_PCM_TSTAMP_ENABLE);
	snd_pcm_sw_params_set_tstamp_type(o->pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
	return snd_pcm_sw_params(o->pcm, sw);
}

static void alsa_close(struct play_audio *a)
{
	struct alsa_out *o;

	if (!a)
		return;
	o = to_alsa(a);
	if (o->pcm)
		snd_pcm_close(o->pcm);
	free(o);
}

static int alsa_open(const struct play_audio_config *cfg, struct play_audio **ret_audio)
{
	struct alsa_out *o = calloc(1, sizeof(*o));
	snd_pcm_uframes_t buffer = 0;
	int ret;

	if (!o)
		return -ENOMEM;
	o->base.ops = &play_alsa_ops;
	o->sample_bytes = cfg->channels * cfg->bits / 8;
	if (format_of(cfg->bits) == SND_PCM_FORMAT_UNKNOWN || !cfg->channels) {
		ret = -EINVAL;
		goto out_close;
	}
	ret = snd_pcm_open(&o->pcm, cfg->target, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
	if (ret < 0) {
		o->pcm = NULL;
		goto out_close;
	}
	ret = set_hw(o, cfg, &buffer);
	if (ret >= 0)
		ret = set_sw(o);
	if (ret >= 0)
		ret = snd_pcm_prepare(o->pcm);
	if (ret < 0)
		goto out_close;
	o->clock = snd_pcm_type(o->pcm) != SND_PCM_TYPE_NULL;
	snprintf(o->mode, sizeof(o->mode), "ALSA %s, %s, %u ch, %u Hz, buffer %lu samples%s",
		 cfg->target, snd_pcm_format_name(format_of(cfg->bits)), cfg->channels, cfg->rate,
		 (unsigned long)buffer, o->clock ? "" : ", no device clock");
	*ret_audio = &o->base;
	return 0;

out_close:
	alsa_close(&o->base);
	return ret;
}

/* After an underrun: prepared again, and started again if it was playing. */
static int recover(struct alsa_out *o, int err)
{
	int ret;

	if (err != -EPIPE && err != -ESTRPIPE)
		return err;
	o->underruns++;
	ret = snd_pcm_prepare(o->pcm);
	return ret < 0 ? ret : 0;
}

static int64_t alsa_write(struct play_audio *a, const void *buf, uint64_t n)
{
	struct alsa_out *o = to_alsa(a);
	snd_pcm_sframes_t room = snd_pcm_avail_update(o->pcm), got;
	int ret;

	if (room < 0) {
		if ((ret = recover(o, (int)room)) < 0)
			return ret;
		room = snd_pcm_avail_update(o->pcm);
		if (room < 0)
			return room;
	}
	if ((uint64_t)room < n)
		n = (uint64_t)room;
	if (!n)
		return 0;
	got = snd_pcm_writei(o->pcm, buf, n);
	if (got == -EAGAIN)
		return 0;
	if (got < 0)
		return (ret = recover(o, (int)got)) < 0 ? ret : 0;
	o->written += (uint64_t)got;
	if (o->started && snd_pcm_state(o->pcm) == SND_PCM_STATE_PREPARED &&
	    (ret = snd_pcm_start(o->pcm)) < 0)
		return ret;
	return got;
}

static int alsa_start(struct play_audio *a)
{
	struct alsa_out *o = to_alsa(a);

	o->started = true;
	return snd_pcm_state(o->pcm) == SND_PCM_STATE_PREPARED ? snd_pcm_start(o->pcm) : 0;
}

static int alsa_delay(struct play_audio *a, int64_t *ret_samples)
{
	struct alsa_out *o = to_alsa(a);
	snd_pcm_sframes_t d;
	int ret;

	if (!o->clock)
		return -ENOTSUP;
	ret = snd_pcm_delay(o->pcm, &d);
	if (ret < 0)
		return ret;
	*ret_samples = d;
	return 0;
}

static int alsa_finish(struct play_audio *a, bool drain)
{
	struct alsa_out *o = to_alsa(a);
	int ret;

	if (!drain)
		return snd_pcm_drop(o->pcm);
	snd_pcm_nonblock(o->pcm, 0);
	ret = snd_pcm_drain(o->pcm);
	return ret == -EPIPE ? 0 : ret; /* ran dry at the very end: everything was heard */
}

static void alsa_stats(const struct play_audio *a, struct play_audio_stats *ret_stats)
{
	const struct alsa_out *o = play_container_of(a, const struct alsa_out, base);

	*ret_stats = (struct play_audio_stats){ .written = o->written, .underruns = o->underruns };
	snprintf(ret_stats->mode, sizeof(ret_stats->mode), "%s", o->mode);
}

const struct play_audio_ops play_alsa_ops = {
	.name = "alsa",
	.desc = "an ALSA playback device (default, hw:CARD=X,DEV=N, plughw:..., null)",
	.open = alsa_open,
	.write = alsa_write,
	.start = alsa_start,
	.delay = alsa_delay,
	.finish = alsa_finish,
	.stats = alsa_stats,
	.close = alsa_close,
};
