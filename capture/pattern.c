/* The pattern source: colour bars painted once into every slot, then per frame only a stamp
 * (frame number and field parity on the first line of each field), so every frame differs and
 * the source costs almost nothing next to the disk.
 *
 * Paced, it behaves like a device: frame k is due at start + k periods, and if no slot was
 * queued by then the frame is dropped (a gap in sequence), exactly as V4L2 reports drops.
 * cap_config.pattern adds what a capture card does on a bad day: device timecode, lost
 * frames, error-flagged frames, a fatal streaming error.
 */
#include "cap-internal.h"
#include "dio.h"
#include "mov.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pattern {
	struct cap_source base;
	struct cap_config cfg;
	struct dio_slab *slab;
	unsigned lines;  /* lines in one buffer (half the frame for ALTERNATE) */
	uint64_t stride; /* bytes per line */
	uint32_t start_field; /* parity each frame starts with (cap_field_start) */
	unsigned *queue; /* FIFO of queued slots */
	uint64_t *queued_at;
	unsigned head, count, cap;
	uint64_t t0, period_ns;
	uint64_t next; /* sequence of the next frame (ALTERNATE: of the next field) */
	uint64_t delivered;
	bool started;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* 75% colour bars: BT.601 Y, Cb, Cr and R, G, B. */
static const uint8_t bars_yuv[8][3] = {
	{ 180, 128, 128 }, { 162, 44, 142 }, { 131, 156, 44 }, { 112, 72, 58 },
	{ 84, 184, 198 },  { 65, 100, 212 }, { 35, 212, 114 }, { 16, 128, 128 },
};
static const uint8_t bars_rgb[8][3] = {
	{ 191, 191, 191 }, { 191, 191, 0 }, { 0, 191, 191 }, { 0, 191, 0 },
	{ 191, 0, 191 },   { 191, 0, 0 },   { 0, 0, 191 },   { 0, 0, 0 },
};

static void paint_422(uint8_t *row, unsigned w, bool uyvy)
{
	for (unsigned x = 0; x + 1 < w; x += 2) {
		const uint8_t *c = bars_yuv[x * 8 / w];
		uint8_t *p = row + x * 2;

		if (uyvy) {
			p[0] = c[1], p[1] = c[0], p[2] = c[2], p[3] = c[0];
		} else {
			p[0] = c[0], p[1] = c[1], p[2] = c[0], p[3] = c[2];
		}
	}
}

static void paint_v210(uint8_t *row, unsigned w)
{
	for (unsigned x = 0; x < w; x += 6) {
		const uint8_t *c = bars_yuv[x * 8 / w];
		uint32_t y = c[0] << 2, cb = c[1] << 2, cr = c[2] << 2;
		uint32_t word[4] = { cb | y << 10 | cr << 20, y | cb << 10 | y << 20,
				     cr | y << 10 | cb << 20, y | cr << 10 | y << 20 };

		memcpy(row + x / 6 * 16, word, sizeof(word)); /* little-endian words */
	}
}

/* Packed RGB in the byte order the name spells ("ARGB32", "BGR24", "XRGB32"). */
static bool paint_rgb(uint8_t *row, unsigned w, const char *name, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		if (!strchr("RGBAX", name[i]))
			return false;
	for (unsigned x = 0; x < w; x++) {
		const uint8_t *c = bars_rgb[x * 8 / w];

		for (unsigned i = 0; i < bytes; i++)
			row[x * bytes + i] = name[i] == 'R' ? c[0] : name[i] == 'G' ? c[1] :
					     name[i] == 'B' ? c[2] : 0xff;
	}
	return true;
}

static void paint_row(const struct pattern *p, uint8_t *row)
{
	const char *name = mov_format_name(p->cfg.format);
	unsigned w = p->cfg.width, bits = mov_format_bits(p->cfg.format);

	if (!strcmp(name, "UYVY") || !strcmp(name, "YUYV"))
		paint_422(row, w, name[0] == 'U');
	else if (!strcmp(name, "v210"))
		paint_v210(row, w);
	else if ((bits == 24 || bits == 32) && strlen(name) == 2 + bits / 8 &&
		 paint_rgb(row, w, name, bits / 8))
		;
	else /* other formats: a ramp is still a legal picture */
		for (uint64_t i = 0; i < p->stride; i++)
			row[i] = (uint8_t)(i * 255 / p->stride);
}

static void paint_slots(struct pattern *p)
{
	unsigned n = dio_slab_nslots(p->slab);
	uint8_t *first = dio_slab_slot(p->slab, 0);

	paint_row(p, first);
	for (unsigned y = 1; y < p->lines; y++)
		memcpy(first + y * p->stride, first, p->stride);
	for (unsigned i = 1; i < n; i++)
		memcpy(dio_slab_slot(p->slab, i), first, p->stride * p->lines);
}

/* The stamp: line 0 of each field carries (frame * 2 + parity) repeated as 64-bit words. */
static void stamp_line(uint8_t *line, uint64_t stride, uint64_t value)
{
	for (uint64_t off = 0; off + 8 <= stride; off += 8)
		memcpy(line + off, &value, 8);
}

static void stamp(struct pattern *p, uint8_t *buf, uint64_t seq, uint32_t field)
{
	uint64_t s = p->stride;

	switch (p->cfg.field) {
	case CAP_FIELD_ALTERNATE:
		stamp_line(buf, s, seq * 2 + (field == V4L2_FIELD_BOTTOM));
		break;
	case CAP_FIELD_SEQ_TB:
	case CAP_FIELD_SEQ_BT:
		stamp_line(buf, s, seq * 2 + (p->cfg.field == CAP_FIELD_SEQ_BT));
		stamp_line(buf + p->lines / 2 * s, s, seq * 2 + (p->cfg.field == CAP_FIELD_SEQ_TB));
		break;
	default: /* interleaved or progressive: line 0 is the top field, line 1 the bottom */
		stamp_line(buf, s, seq * 2);
		stamp_line(buf + s, s, seq * 2 + 1);
		break;
	}
}

/* Auto values take the defaults: 1920x1080 UYVY at 30000/1001, progressive. */
static int pattern_open(const struct cap_config *cfg, struct cap_why *why,
			struct cap_source **ret_src)
{
	struct pattern *p;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base.ops = &cap_pattern_ops;
	p->cfg = *cfg;
	if (!p->cfg.format)
		p->cfg.format = mov_format_find("UYVY");
	if (!p->cfg.width || !p->cfg.height)
		p->cfg.width = 1920, p->cfg.height = 1080;
	if (!p->cfg.rate_num || !p->cfg.rate_den)
		p->cfg.rate_num = 30000, p->cfg.rate_den = 1001;
	if (p->cfg.field_auto)
		p->cfg.field = CAP_FIELD_NONE;
	if (p->cfg.height < 2) { /* its stamp and its two field parities need two lines */
		snprintf(why->what, sizeof(why->what),
			 "--size %ux%u: the pattern source paints frames of 2 lines or more",
			 p->cfg.width, p->cfg.height);
		snprintf(why->hint, sizeof(why->hint), "e.g. --size %ux2", p->cfg.width);
		free(p);
		return -EINVAL;
	}
	if ((cfg->device && cfg->device[0]) || cfg->input || cfg->std || cfg->dv_timings) {
		snprintf(why->what, sizeof(why->what), "the pattern source");
		snprintf(why->hint, sizeof(why->hint),
			 "--device, --input, --std and --dv-timings need --source v4l2");
		free(p);
		return -EINVAL;
	}
	ret = cap_field_start(p->cfg.field, cfg->start_field, V4L2_FIELD_TOP, why, &p->start_field);
	if (ret < 0) {
		free(p);
		return ret;
	}
	p->lines = p->cfg.field == CAP_FIELD_ALTERNATE ? p->cfg.height / 2 : p->cfg.height;
	p->stride = mov_format_stride(p->cfg.format, p->cfg.width);
	/* ALTERNATE buffers are fields: twice as many per second */
	p->period_ns = 1000000000ull * p->cfg.rate_den / p->cfg.rate_num /
		       (p->cfg.field == CAP_FIELD_ALTERNATE ? 2 : 1);
	*ret_src = &p->base;
	return 0;
}

static void pattern_describe(const struct cap_source *src, struct cap_accepted *ret)
{
	const struct pattern *p = cap_container_of(src, const struct pattern, base);

	*ret = (struct cap_accepted){
		.format = p->cfg.format,
		.width = p->cfg.width,
		.height = p->cfg.height,
		.rate_num = p->cfg.rate_num,
		.rate_den = p->cfg.rate_den,
		.field = p->cfg.field,
		.start_field = p->start_field,
		.bytesperline = (uint32_t)p->stride,
		.sizeimage = (uint32_t)(p->stride * p->lines),
		.frame_bytes = mov_format_frame_size(p->cfg.format, p->cfg.width, p->cfg.height),
		.mode = CAP_BUF_IN_PLACE,
		.device_buffers = p->cap,
	};
	snprintf(ret->device, sizeof(ret->device), "pattern");
}

static int pattern_attach(struct cap_source *src, struct dio_slab *slab, struct cap_why *why)
{
	struct pattern *p = cap_container_of(src, struct pattern, base);

	(void)why;
	if (p->slab || p->stride * p->lines > dio_slab_frame_size(slab))
		return -EINVAL;
	p->cap = dio_slab_nslots(slab);
	p->queue = calloc(p->cap, sizeof(*p->queue));
	p->queued_at = calloc(p->cap, sizeof(*p->queued_at));
	if (!p->queue || !p->queued_at)
		return -ENOMEM; /* freed by close */
	p->slab = slab;
	paint_slots(p);
	return 0;
}

static void pattern_stats(const struct cap_source *src, struct cap_source_stats *ret)
{
	(void)src;
	*ret = (struct cap_source_stats){ 0 }; /* painted in place: nothing is copied */
}

static int pattern_start(struct cap_source *src)
{
	struct pattern *p = cap_container_of(src, struct pattern, base);

	p->t0 = now_ns();
	p->started = true;
	return 0;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The configured device behaviour: timecode and error flags on this frame. */
static void device_like(const struct pattern *p, struct cap_frame *f)
{
	const struct cap_config *c = &p->cfg;

	uint64_t jumps = c->pattern.tc_jump_every ? p->delivered / c->pattern.tc_jump_every : 0;
	int64_t second = (c->rate_num + c->rate_den / 2) / c->rate_den;

	if (c->pattern.timecode &&
	    mov_timecode_add(c->pattern.timecode, f->sequence + jumps * second, c->rate_num,
			     c->rate_den, f->timecode, sizeof(f->timecode)) == 0)
		f->flags |= V4L2_BUF_FLAG_TIMECODE;
	if (c->pattern.seq_repeat_every && f->sequence &&
	    p->delivered % c->pattern.seq_repeat_every == c->pattern.seq_repeat_every - 1)
		f->sequence--;
	if (c->pattern.error_every &&
	    p->delivered % c->pattern.error_every == c->pattern.error_every - 1)
		f->flags |= V4L2_BUF_FLAG_ERROR;
}

static int pattern_dequeue(struct cap_source *src, int timeout_ms, struct cap_frame *ret)
{
	struct pattern *p = cap_container_of(src, struct pattern, base);
	uint64_t due, now = now_ns();
	unsigned slot;

	if (!p->started || !p->slab)
		return -EINVAL;
	if (p->cfg.pattern.fail_after && p->delivered >= p->cfg.pattern.fail_after)
		return -EIO; /* as a device that stopped streaming */
	if (!p->count)
		return -EAGAIN; /* nothing queued: a device would be dropping now */
	if (!p->delivered && p->next < p->cfg.pattern.lose_first)
		p->next = p->cfg.pattern.lose_first; /* as a driver that lost its first buffers */
	if (p->cfg.pattern.drop_every &&
	    p->next % p->cfg.pattern.drop_every == p->cfg.pattern.drop_every - 1)
		p->next++; /* lost on the way, as a device's sequence gap */
	due = p->t0 + p->next * p->period_ns;
	if (p->cfg.paced) {
		/* frames that fell due while no slot was queued are lost, as on a device */
		while (p->queued_at[p->head] > due) {
			p->next++;
			due += p->period_ns;
		}
		if (due > now && timeout_ms >= 0 && due - now > (uint64_t)timeout_ms * 1000000)
			return -EAGAIN;
		if (due > now)
			sleep_until(due);
	}
	slot = p->queue[p->head];
	p->head = (p->head + 1) % p->cap;
	p->count--;
	memset(ret, 0, sizeof(*ret));
	ret->slot = slot;
	ret->timestamp_ns = p->cfg.paced ? due : now_ns();
	if (p->cfg.field == CAP_FIELD_ALTERNATE) {
		/* V4L2 numbers frames: both fields of one frame share a sequence number */
		ret->sequence = p->next / 2;
		ret->field = p->next % 2 ? V4L2_FIELD_BOTTOM : V4L2_FIELD_TOP;
	} else {
		ret->sequence = p->next;
		ret->field = cap_field_v4l2(p->cfg.field);
	}
	ret->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	stamp(p, dio_slab_slot(p->slab, slot), ret->sequence, ret->field);
	device_like(p, ret);
	p->next++;
	p->delivered++;
	return 0;
}

static int pattern_requeue(struct cap_source *src, unsigned slot)
{
	struct pattern *p = cap_container_of(src, struct pattern, base);

	if (!p->slab || slot >= dio_slab_nslots(p->slab) || p->count == p->cap)
		return -EINVAL;
	p->queue[(p->head + p->count) % p->cap] = slot;
	p->queued_at[(p->head + p->count) % p->cap] = p->started ? now_ns() : 0;
	p->count++;
	return 0;
}

static int pattern_stop(struct cap_source *src)
{
	struct pattern *p = cap_container_of(src, struct pattern, base);

	p->started = false;
	return 0;
}

static void pattern_close(struct cap_source *src)
{
	struct pattern *p;

	if (!src)
		return;
	p = cap_container_of(src, struct pattern, base);
	free(p->queue);
	free(p->queued_at);
	free(p);
}

const struct cap_source_ops cap_pattern_ops = {
	.name = "pattern",
	.desc = "built-in colour bars, every frame stamped with its number and field parity",
	.open = pattern_open,
	.describe = pattern_describe,
	.attach = pattern_attach,
	.start = pattern_start,
	.dequeue = pattern_dequeue,
	.requeue = pattern_requeue,
	.stop = pattern_stop,
	.stats = pattern_stats,
	.close = pattern_close,
};
