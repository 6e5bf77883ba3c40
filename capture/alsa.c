/* The ALSA audio source, through alsa-lib, on the device's own clock: no plug conversion, no
 * resampling. Samples are read in the device's native format (S24_LE is repacked to 3 bytes
 * while it is copied into the ring: that copy is audio only, never pixels).
 *
 * The device runs free: stop_threshold is the boundary, so an overrun does not stop the PCM.
 * Instead the hardware position tells exactly how many samples were overwritten before they
 * were read; they are skipped with snd_pcm_forward() and delivered as that many samples of
 * silence in their place, so every later sample keeps its index (and its time).
 *
 * Numbering: a device index counts samples since start() (read, skipped or stood in for);
 * align() picks the device index d0 captured at t0, and the aligned index read() takes is
 * device index - d0. Samples wait in a ring of RING_SECONDS (the last seconds before align(),
 * those not yet read after it).
 */
#include "cap-internal.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_SECONDS 3
#define PRE_GAPS 8 /* lost stretches remembered before align() */

struct gap {
	uint64_t start, count; /* device indexes */
};

struct alsa_src {
	struct cap_audio base;
	snd_pcm_t *pcm;
	snd_pcm_status_t *st;
	struct cap_audio_accepted acc;
	unsigned native_bytes; /* bytes per sample as read from the device */
	bool repack;	       /* S24_LE in 4 bytes -> 3 bytes */
	uint8_t *tmp;	       /* repack: one period as read */
	uint8_t *ring;	       /* device samples [lo, dev) in the stored format, slot d % cap */
	uint64_t cap;	       /* ring size in samples */
	uint64_t lo, dev;
	uint64_t pend; /* lost samples not yet in the ring as silence (from dev on) */
	bool started, aligned;
	int64_t d0;    /* device index of aligned sample 0 */
	uint64_t lead; /* aligned samples [0, lead) are silence (before the first kept one) */
	uint64_t next; /* aligned index after the last one handed out */
	uint64_t hw_pos, hw_ns; /* device index hw_pos was captured at hw_ns (CLOCK_MONOTONIC) */
	uint64_t gap_end;	/* end of the last counted stretch, to merge adjacent ones */
	struct gap pre[PRE_GAPS];
	unsigned npre;
	struct cap_audio_status stat;
};

static inline struct alsa_src *to_alsa(const struct cap_audio *a)
{
	return cap_container_of(a, struct alsa_src, base);
}

static int alsa_open(const struct cap_audio_config *cfg, struct cap_why *why,
		     struct cap_audio **ret_src)
{
	struct alsa_src *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->base.ops = &cap_alsa_ops;
	ret = cap_alsa_setup(cfg, why, &s->pcm, &s->acc, &s->repack);
	if (ret < 0)
		goto out_free;
	s->native_bytes = snd_pcm_frames_to_bytes(s->pcm, 1);
	s->cap = (uint64_t)s->acc.rate * RING_SECONDS;
	if (s->acc.buffer + s->acc.period > s->cap)
		s->cap = s->acc.buffer + s->acc.period;
	ret = snd_pcm_status_malloc(&s->st);
	s->ring = calloc(s->cap, s->acc.sample_bytes);
	s->tmp = s->repack ? malloc((size_t)s->acc.period * s->native_bytes) : NULL;
	if (ret < 0 || !s->ring || (s->repack && !s->tmp)) {
		snprintf(why->what, sizeof(why->what),
			 "ALSA device %s: no memory for %u s of samples", s->acc.device,
			 RING_SECONDS);
		why->hint[0] = 0;
		ret = -ENOMEM;
		goto out_free;
	}
	*ret_src = &s->base;
	return 0;

out_free:
	cap_alsa_ops.close(&s->base);
	return ret;
}

static void alsa_describe(const struct cap_audio *a, struct cap_audio_accepted *ret)
{
	*ret = to_alsa(a)->acc;
}

static uint64_t ts_ns(const snd_htimestamp_t *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + t->tv_nsec;
}

static int alsa_start(struct cap_audio *a)
{
	struct alsa_src *s = to_alsa(a);
	snd_htimestamp_t t;
	int ret;

	ret = snd_pcm_start(s->pcm);
	if (ret < 0)
		return ret;
	s->started = true;
	/* the first clock pair: device index 0 at the trigger */
	if (snd_pcm_status(s->pcm, s->st) == 0) {
		snd_pcm_status_get_trigger_htstamp(s->st, &t);
		s->hw_pos = 0, s->hw_ns = ts_ns(&t);
	}
	return 0;
}

/* n device samples lost from device index start on: counted now when aligned (their part from
 * d0 on), else remembered until align(). Adjacent stretches count as one overrun. */
static void count_gap(struct alsa_src *s, uint64_t start, uint64_t n)
{
	int64_t end = (int64_t)(start + n);

	if (!n)
		return;
	if (!s->aligned) {
		if (s->npre && s->pre[s->npre - 1].start + s->pre[s->npre - 1].count == start) {
			s->pre[s->npre - 1].count += n;
			return;
		}
		if (s->npre == PRE_GAPS)
			memmove(s->pre, s->pre + 1, sizeof(s->pre) - sizeof(s->pre[0])), s->npre--;
		s->pre[s->npre++] = (struct gap){ start, n };
		return;
	}
	if (end <= s->d0)
		return;
	if ((int64_t)start < s->d0)
		start = s->d0;
	if (s->gap_end != start || !s->stat.xruns) {
		s->stat.xruns++;
		s->stat.last_xrun_at = start - s->d0;
	}
	s->stat.xrun_samples += end - start;
	s->gap_end = end;
}

/* n samples from the device into the ring at dev (before align() the oldest give way). */
static void ring_put(struct alsa_src *s, const uint8_t *src, uint64_t n, bool zero)
{
	unsigned sb = s->acc.sample_bytes;

	if (n > s->cap) {
		s->dev += n - s->cap, src += zero ? 0 : (n - s->cap) * sb;
		n = s->cap;
	}
	while (n) {
		uint64_t at = s->dev % s->cap, k = s->cap - at < n ? s->cap - at : n;

		if (zero)
			memset(s->ring + at * sb, 0, k * sb);
		else if (src != s->ring + at * sb)
			memcpy(s->ring + at * sb, src, k * sb), src += k * sb;
		s->dev += k, n -= k;
	}
	if (s->dev - s->lo > s->cap)
		s->lo = s->dev - s->cap;
}

/* Room for new samples: no limit before align() (the oldest give way), else what read() has
 * taken. */
static uint64_t ring_room(const struct alsa_src *s)
{
	return s->aligned ? s->cap - (s->dev - s->lo) : UINT64_MAX;
}

/* Lost samples become silence in the ring as room allows. */
static void put_pending(struct alsa_src *s)
{
	uint64_t k = s->pend < ring_room(s) ? s->pend : ring_room(s);

	ring_put(s, NULL, k, true);
	s->pend -= k;
}

/* Up to n samples from the device into the ring; how many, or -errno. */
static int64_t read_device(struct alsa_src *s, uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t at = s->dev % s->cap, k = n - done;
		void *dst = s->repack ? (void *)s->tmp : s->ring + at * s->acc.sample_bytes;
		snd_pcm_sframes_t got;

		if (k > s->cap - at)
			k = s->cap - at;
		if (s->repack && k > s->acc.period)
			k = s->acc.period;
		got = snd_pcm_readi(s->pcm, dst, k);
		if (got == -EAGAIN || got == 0)
			break;
		if (got < 0)
			return got;
		if (s->repack) /* S24_LE: the low 3 bytes of each 4, in place, front to back */
			for (uint64_t i = 0; i < (uint64_t)got * s->acc.channels; i++)
				memmove(s->tmp + i * 3, s->tmp + i * 4, 3);
		ring_put(s, dst, got, false);
		done += got;
	}
	return done;
}

/* The PCM stopped after all (a driver error, suspend): restart it. The samples lost are
 * estimated from the last clock pair and the restart's trigger timestamp at the nominal rate,
 * not counted from the hardware position as a free-running overrun is. */
static int restart(struct alsa_src *s)
{
	snd_htimestamp_t t;
	uint64_t est;
	int ret;

	ret = snd_pcm_prepare(s->pcm);
	if (ret >= 0)
		ret = snd_pcm_start(s->pcm);
	if (ret >= 0)
		ret = snd_pcm_status(s->pcm, s->st);
	if (ret < 0)
		return ret;
	snd_pcm_status_get_trigger_htstamp(s->st, &t);
	est = s->hw_pos;
	if (ts_ns(&t) > s->hw_ns)
		est += (uint64_t)llround((ts_ns(&t) - s->hw_ns) / 1e9 * s->acc.rate);
	if (est > s->dev + s->pend) {
		count_gap(s, s->dev + s->pend, est - s->dev - s->pend);
		s->pend = est - s->dev;
	}
	s->hw_pos = est, s->hw_ns = ts_ns(&t);
	return 0;
}

/* Bring what the device has into the ring, counting what it lost; note the clock pair. */
static int pump(struct alsa_src *s)
{
	snd_pcm_sframes_t avail, late;
	snd_pcm_uframes_t keep =
	    s->acc.buffer - (s->acc.buffer >= 2 * s->acc.period ? s->acc.period : 0);
	snd_htimestamp_t t;
	uint64_t first;
	int64_t got;
	int ret;

	ret = snd_pcm_status(s->pcm, s->st);
	if (ret < 0)
		return ret;
	switch (snd_pcm_status_get_state(s->st)) {
	case SND_PCM_STATE_RUNNING:
		break;
	case SND_PCM_STATE_XRUN:
	case SND_PCM_STATE_SUSPENDED:
		ret = restart(s);
		if (ret < 0)
			return ret;
		break;
	case SND_PCM_STATE_DISCONNECTED:
		return -ENODEV;
	default:
		return -EIO;
	}
	avail = snd_pcm_status_get_avail(s->st);
	snd_pcm_status_get_htstamp(s->st, &t);
	if (ts_ns(&t)) { /* the device's read position is dev + pend */
		s->hw_pos = s->dev + s->pend + snd_pcm_status_get_delay(s->st);
		s->hw_ns = ts_ns(&t);
	}
	put_pending(s);
	if (s->pend)
		return 0; /* the device's samples come after the silence */
	/* Overrun (or about to): everything beyond one period short of the buffer is gone, or
	 * would be overwritten while it is copied: skip it, every sample counted and stood in
	 * for (so up to a period of intact samples is sacrificed with a real loss). */
	if ((snd_pcm_uframes_t)avail > keep) {
		late = snd_pcm_forward(s->pcm, avail - keep);
		if (late < 0)
			return late;
		count_gap(s, s->dev, late);
		s->pend = late;
		avail -= late;
		put_pending(s);
		if (s->pend)
			return 0;
	}
	first = s->dev;
	got = read_device(s, (uint64_t)avail < ring_room(s) ? (uint64_t)avail : ring_room(s));
	if (got < 0)
		return got;
	/* Did the device overwrite any of it while it was being copied? Then silence it. */
	late = snd_pcm_avail(s->pcm);
	if (got > 0 && late > 0 && s->dev + late > first + s->acc.buffer) {
		uint64_t bad = s->dev + late - first - s->acc.buffer, at;

		if (bad > (uint64_t)got)
			bad = got;
		for (uint64_t i = 0; i < bad; i++) {
			at = (first + i) % s->cap;
			memset(s->ring + at * s->acc.sample_bytes, 0, s->acc.sample_bytes);
		}
		count_gap(s, first, bad);
	}
	return 0;
}

static int alsa_align(struct cap_audio *a, uint64_t t0_ns)
{
	struct alsa_src *s = to_alsa(a);
	int64_t dt;
	int ret;

	if (!s->started || s->aligned)
		return -EINVAL;
	ret = pump(s);
	if (ret < 0)
		return ret;
	/* the nominal rate over the seconds between t0 and the clock pair */
	dt = (int64_t)(t0_ns - s->hw_ns);
	s->d0 = (int64_t)s->hw_pos + llround(dt / 1e9 * s->acc.rate);
	s->lead = s->d0 < (int64_t)s->lo ? (uint64_t)((int64_t)s->lo - s->d0) : 0;
	if (s->d0 > (int64_t)s->lo)
		s->lo = (uint64_t)s->d0 < s->dev ? (uint64_t)s->d0 : s->dev;
	s->stat.lead_silence = s->lead;
	s->aligned = true;
	for (unsigned i = 0; i < s->npre; i++)
		count_gap(s, s->pre[i].start, s->pre[i].count);
	s->npre = 0;
	return 0;
}

/* Hand out what the ring has from aligned index pos (silence before the first sample). */
static uint32_t take(struct alsa_src *s, uint64_t pos, uint8_t *out, uint32_t n)
{
	unsigned sb = s->acc.sample_bytes;
	uint32_t got = 0;
	uint64_t d;

	if (pos < s->lead) {
		got = s->lead - pos < n ? s->lead - pos : n;
		memset(out, 0, (size_t)got * sb);
	}
	d = (uint64_t)(s->d0 + (int64_t)(pos + got));
	while (got < n && d < s->dev) {
		uint64_t at = d % s->cap, k = s->dev - d;

		if (k > s->cap - at)
			k = s->cap - at;
		if (k > n - got)
			k = n - got;
		memcpy(out + (size_t)got * sb, s->ring + at * sb, k * sb);
		got += k, d += k;
	}
	if (d > s->lo) /* taken; a d beyond dev is left to skip_to() */
		s->lo = d < s->dev ? d : s->dev;
	s->next = pos + got;
	s->stat.delivered += got;
	return got;
}

/* Samples before aligned index pos are dropped (the caller skipped them). */
static void skip_to(struct alsa_src *s, uint64_t pos)
{
	int64_t d = s->d0 + (int64_t)pos;
	uint64_t k;

	if (pos <= s->lead || d <= (int64_t)s->lo)
		return;
	s->lo = (uint64_t)d < s->dev ? (uint64_t)d : s->dev;
	if ((uint64_t)d > s->dev && s->pend) { /* into silence not yet in the ring */
		k = (uint64_t)d - s->dev < s->pend ? (uint64_t)d - s->dev : s->pend;
		s->dev += k, s->lo = s->dev, s->pend -= k;
	}
}

static int alsa_read(struct cap_audio *a, uint64_t pos, void *buf, uint32_t n, int timeout_ms)
{
	struct alsa_src *s = to_alsa(a);
	uint32_t got;
	int ret;

	if (!s->started)
		return s->aligned ? -EIO : 0;
	if (!s->aligned) { /* keep draining the device, so that it does not overrun */
		ret = pump(s);
		return ret < 0 ? ret : 0;
	}
	if (pos < s->next)
		return -EINVAL;
	skip_to(s, pos);
	ret = pump(s);
	if (ret < 0)
		return ret;
	got = take(s, pos, buf, n);
	if (got || !timeout_ms)
		return got;
	ret = snd_pcm_wait(s->pcm, timeout_ms);
	if (ret < 0 && ret != -EPIPE && ret != -ESTRPIPE)
		return ret;
	ret = pump(s);
	if (ret < 0)
		return ret;
	return take(s, pos, buf, n);
}

static void alsa_status(const struct cap_audio *a, struct cap_audio_status *ret)
{
	const struct alsa_src *s = to_alsa(a);

	*ret = s->stat;
	ret->clock_pos = ret->clock_ns = 0;
	if (s->aligned && s->hw_ns && (int64_t)s->hw_pos >= s->d0) {
		ret->clock_pos = (uint64_t)((int64_t)s->hw_pos - s->d0);
		ret->clock_ns = s->hw_ns;
	}
}

static int alsa_stop(struct cap_audio *a)
{
	struct alsa_src *s = to_alsa(a);

	if (!s->started)
		return 0;
	s->started = false;
	return snd_pcm_drop(s->pcm);
}

static void alsa_close(struct cap_audio *a)
{
	struct alsa_src *s;

	if (!a)
		return;
	s = to_alsa(a);
	if (s->pcm) {
		snd_pcm_drop(s->pcm);
		snd_pcm_close(s->pcm);
	}
	if (s->st)
		snd_pcm_status_free(s->st);
	free(s->ring);
	free(s->tmp);
	free(s);
}

const struct cap_audio_ops cap_alsa_ops = {
	.name = "alsa",
	.desc = "an ALSA capture device (hw:CARD=X,DEV=N), native format, on its own clock",
	.open = alsa_open,
	.describe = alsa_describe,
	.start = alsa_start,
	.align = alsa_align,
	.read = alsa_read,
	.status = alsa_status,
	.stop = alsa_stop,
	.close = alsa_close,
};
