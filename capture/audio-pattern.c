/* The pattern audio source: a test tone whose samples mark where every frame starts, so that
 * sync can be checked without hardware.
 *
 * Channel c carries a sine of 1000 x (c + 1) Hz at a quarter of full scale; the first sample
 * of every frame k (sample cap_audio_samples_at(k)) is full scale positive instead, the only
 * samples above half scale, and the sample after it is k's label: k modulo a quarter of full
 * scale (k & 0x1fff at 16 bits). A checker finds the markers in the decoded sound and
 * compares their indexes with the cadence; after a trip through other devices, the label
 * says which frame a marker belongs to. Its clock is the nominal rate from frame 0's time: it has
 * no drift of its own.
 */
#include "cap-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pattern_audio {
	struct cap_audio base;
	struct cap_audio_accepted acc;
	unsigned rate_num, rate_den; /* the picture's frame rate */
	bool aligned;
	uint64_t t0_ns;
	uint64_t next; /* the next sample index read() hands out */
};

static int pa_open(const struct cap_audio_config *cfg, struct cap_why *why,
		   struct cap_audio **ret_src)
{
	struct pattern_audio *p;

	if (!cfg->rate_num || !cfg->rate_den) {
		snprintf(why->what, sizeof(why->what), "pattern audio: no frame rate for its markers");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base.ops = &cap_audio_pattern_ops;
	p->acc.channels = cfg->channels ? cfg->channels : 2;
	p->acc.rate = cfg->rate ? cfg->rate : 48000;
	p->acc.format = cfg->format ? cfg->format : CAP_AUDIO_S24;
	p->acc.sample_bytes = p->acc.channels * (p->acc.format / 8);
	snprintf(p->acc.device, sizeof(p->acc.device), "pattern");
	snprintf(p->acc.card, sizeof(p->acc.card), "test tone with frame markers");
	snprintf(p->acc.native, sizeof(p->acc.native), "%s",
		 p->acc.format == CAP_AUDIO_S16 ? "S16_LE" :
		 p->acc.format == CAP_AUDIO_S24 ? "S24_3LE" : "S32_LE");
	p->rate_num = cfg->rate_num;
	p->rate_den = cfg->rate_den;
	*ret_src = &p->base;
	return 0;
}

static struct pattern_audio *pa(const struct cap_audio *src)
{
	return cap_container_of(src, struct pattern_audio, base);
}

static void pa_describe(const struct cap_audio *src, struct cap_audio_accepted *ret)
{
	*ret = pa(src)->acc;
}

static int pa_start(struct cap_audio *src)
{
	(void)src;
	return 0;
}

static int pa_align(struct cap_audio *src, uint64_t t0_ns)
{
	struct pattern_audio *p = pa(src);

	p->aligned = true;
	p->t0_ns = t0_ns;
	return 0;
}

/* 1 when sample n is the first of a frame, 2 when it is the one after (its label); *ret_k
 * is that frame. */
static int frame_mark(const struct pattern_audio *p, uint64_t n, uint64_t *ret_k)
{
	uint64_t k = (uint64_t)((unsigned __int128)n * p->rate_num / ((uint64_t)p->acc.rate *
								      p->rate_den));

	for (uint64_t j = k ? k - 1 : 0; j <= k + 1; j++) {
		uint64_t s = cap_audio_samples_at(j, p->acc.rate, p->rate_num, p->rate_den);

		if (s == n || s + 1 == n) {
			*ret_k = j;
			return s == n ? 1 : 2;
		}
	}
	return 0;
}

static void put(uint8_t *d, unsigned bytes, int64_t v)
{
	for (unsigned b = 0; b < bytes; b++)
		d[b] = (uint8_t)((uint64_t)v >> (8 * b));
}

static int pa_read(struct cap_audio *src, uint64_t pos, void *buf, uint32_t n, int timeout_ms)
{
	struct pattern_audio *p = pa(src);
	unsigned bytes = p->acc.format / 8, ch = p->acc.channels;
	int64_t full = (INT64_C(1) << (p->acc.format - 1)) - 1;
	uint8_t *d = buf;

	(void)timeout_ms;
	if (!p->aligned)
		return 0;
	if (pos < p->next)
		return -EINVAL;
	if (n > INT32_MAX)
		n = INT32_MAX;
	for (uint64_t s = pos; s < pos + n; s++) {
		uint64_t k = 0;
		int mark = frame_mark(p, s, &k);

		for (unsigned c = 0; c < ch; c++, d += bytes) {
			double ph = 2 * M_PI * 1000.0 * (c + 1) * (double)(s % p->acc.rate) /
				    p->acc.rate;

			if (mark == 1)
				put(d, bytes, full);
			else if (mark == 2) /* the frame's number, below the tone's peak */
				put(d, bytes, (int64_t)(k & (full >> 2)));
			else
				put(d, bytes, (int64_t)lround(sin(ph) * full / 4));
		}
	}
	p->next = pos + n;
	return (int)n;
}

static void pa_status(const struct cap_audio *src, struct cap_audio_status *ret)
{
	const struct pattern_audio *p = pa(src);

	*ret = (struct cap_audio_status){ .delivered = p->next };
	if (p->aligned && p->next) {
		ret->clock_pos = p->next;
		ret->clock_ns = p->t0_ns +
				(uint64_t)((unsigned __int128)p->next * 1000000000u / p->acc.rate);
	}
}

static int pa_stop(struct cap_audio *src)
{
	(void)src;
	return 0;
}

static void pa_close(struct cap_audio *src)
{
	if (src)
		free(pa(src));
}

const struct cap_audio_ops cap_audio_pattern_ops = {
	.name = "pattern",
	.desc = "a tone per channel with a full-scale marker at the first sample of every frame",
	.open = pa_open,
	.describe = pa_describe,
	.start = pa_start,
	.align = pa_align,
	.read = pa_read,
	.status = pa_status,
	.stop = pa_stop,
	.close = pa_close,
};
