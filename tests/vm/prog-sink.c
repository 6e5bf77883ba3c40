/* Runs inside the VM rig: drive a playback sink (v4l2, kms) through its ops table with frames
 * of a known pattern, the way the player does, and report what the sink said.
 *
 *   prog-sink [--skew N] [--zero-copy] [--mode M] [--slots N] [--raw FILE] [--stall-at K] \
 *             SINK TARGET FORMAT WxH RATE FIELD FRAMES
 *
 * Every frame differs (its index is in the pattern), values stay inside the video range so a
 * device that clips would show it. --raw writes the frames as played, back to back, for md5
 * comparison with what a capture device got. --stall-at K sleeps 300 ms before queueing frame K,
 * starving the device on purpose. Prints "open: ..." and one "result: ..." line of
 * key=value pairs (frames, dequeued, copies, underruns, late, repeats, order, mode). Exit
 * status: 0 done; 3 open failed (the line names the errno); 1 anything else.
 */
#include "dio.h"
#include "mov.h"
#include "play.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	struct play_config cfg;
	unsigned skew, slots, frames, stall_at;
	const char *raw, *sink;
};

struct run {
	const struct play_sink_ops *ops;
	struct play_sink *sink;
	struct dio_slab *slab;
	size_t frame;
	uint8_t *pattern;
	FILE *raw;
	uint64_t queued, dequeued, repeats, next_done;
	double t_start, t_end; /* start() and the last frame given back, CLOCK_MONOTONIC */
	bool in_order;
};

static int usage(void)
{
	fprintf(stderr, "usage: prog-sink [--skew N] [--zero-copy] [--mode M] [--slots N] "
			"[--raw FILE] SINK TARGET FORMAT WxH RATE FIELD FRAMES\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "skew", required_argument, NULL, 's' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "mode", required_argument, NULL, 'm' },
		{ "slots", required_argument, NULL, 'n' },
		{ "raw", required_argument, NULL, 'r' },
		{ "stall-at", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->slots = 4;
	o->cfg.paced = true;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			o->skew = strtoul(optarg, NULL, 0);
			break;
		case 'z':
			o->cfg.zero_copy = true;
			break;
		case 'm':
			o->cfg.mode = optarg;
			break;
		case 'n':
			o->slots = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->raw = optarg;
			break;
		case 'S':
			o->stall_at = strtoul(optarg, NULL, 0);
			break;
		default:
			return -EINVAL;
		}
	}
	if (argc - optind != 7)
		return -EINVAL;
	o->sink = argv[optind];
	o->cfg.target = argv[optind + 1];
	o->cfg.format = mov_format_find(argv[optind + 2]);
	if (!o->cfg.format ||
	    sscanf(argv[optind + 3], "%ux%u", &o->cfg.width, &o->cfg.height) != 2 ||
	    sscanf(argv[optind + 4], "%u/%u", &o->cfg.rate_num, &o->cfg.rate_den) != 2 ||
	    mov_field_parse(argv[optind + 5], &o->cfg.field) < 0)
		return -EINVAL;
	o->frames = strtoul(argv[optind + 6], NULL, 0);
	o->cfg.skewed = o->skew != 0;
	o->cfg.preroll = o->slots > 2 ? o->slots - 1 : 1;
	return 0;
}

#define PATTERN_SPAN 65536

/* A ramp, bytes kept in 16..235, longer than a frame by PATTERN_SPAN: frame k is a window into
 * it at an offset that moves with k (a multiple of 4, so pixels stay pixels), cheap enough to
 * make at real rate under emulation. */
static uint8_t *pattern_new(size_t n)
{
	uint8_t *p = malloc(n + PATTERN_SPAN);

	for (size_t i = 0; p && i < n + PATTERN_SPAN; i++)
		p[i] = 16 + (uint8_t)((i / 2 * 3 + (i & 1) * 101 + i / 1440 * 5 + i / 7919) % 220);
	return p;
}

static void fill(uint8_t *p, const uint8_t *pattern, size_t n, uint64_t k)
{
	memcpy(p, pattern + (k * 4 * 1031) % PATTERN_SPAN, n);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int queue_one(struct run *r, const struct opts *o, unsigned slot)
{
	struct play_frame f = {
		.slot = slot, .skew = o->skew, .index = r->queued, .pts = (int64_t)r->queued
	};
	uint8_t *p = (uint8_t *)dio_slab_slot(r->slab, slot) + o->skew;

	if (o->stall_at && r->queued == o->stall_at)
		usleep(300000);
	fill(p, r->pattern, r->frame, r->queued);
	if (r->raw && fwrite(p, r->frame, 1, r->raw) != 1)
		return -EIO;
	r->queued++;
	return r->ops->queue(r->sink, &f);
}

static void took(struct run *r, const struct play_done *d)
{
	if (d->index != r->next_done)
		r->in_order = false;
	r->next_done = d->index + 1;
	r->dequeued++;
	r->repeats += d->repeats;
}

static int play(struct run *r, const struct opts *o)
{
	struct play_done d;
	unsigned slot = 0;
	int ret;

	for (; slot < o->slots && r->queued < o->frames; slot++) {
		ret = queue_one(r, o, slot);
		if (ret < 0)
			return ret;
	}
	ret = r->ops->start(r->sink);
	r->t_start = now_s();
	while (!ret && r->queued < o->frames) {
		ret = r->ops->dequeue(r->sink, 5000, &d);
		if (ret < 0)
			break;
		took(r, &d);
		ret = queue_one(r, o, d.slot);
	}
	if (ret < 0)
		return ret;
	ret = r->ops->drain(r->sink);
	while (r->ops->dequeue(r->sink, 0, &d) == 0)
		took(r, &d);
	r->t_end = now_s();
	return ret;
}

static void report(const struct run *r, int ret)
{
	struct play_sink_stats st;

	r->ops->stats(r->sink, &st);
	printf("result: ret=%d frames=%llu dequeued=%llu copies=%llu underruns=%llu late=%llu "
	       "repeats=%llu elapsed=%.3f order=%s mode=%s\n",
	       ret, (unsigned long long)r->queued, (unsigned long long)r->dequeued,
	       (unsigned long long)st.copies, (unsigned long long)st.underruns,
	       (unsigned long long)st.late, (unsigned long long)r->repeats, r->t_end - r->t_start,
	       r->in_order ? "ok" : "wrong", st.mode);
	if (ret < 0)
		printf("error: %s\n", strerror(-ret));
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct run r = { .in_order = true };
	int ret, status = 1;

	if (parse(argc, argv, &o) < 0)
		return usage();
	r.ops = play_sink_find(o.sink);
	if (!r.ops)
		return usage();
	r.frame = mov_format_frame_size(o.cfg.format, o.cfg.width, o.cfg.height);
	r.pattern = pattern_new(r.frame);
	if (!r.pattern)
		return 1;
	ret = dio_slab_new(r.frame + o.skew, o.slots, 0, &r.slab);
	if (ret < 0) {
		printf("error: slab: %s\n", strerror(-ret));
		free(r.pattern);
		return 1;
	}
	ret = r.ops->open(&o.cfg, r.slab, &r.sink);
	if (ret < 0) {
		printf("open: %s: %s\n", o.cfg.target, strerror(-ret));
		status = 3;
		goto out_slab;
	}
	if (o.raw && !(r.raw = fopen(o.raw, "w"))) {
		printf("error: %s: %s\n", o.raw, strerror(errno));
		goto out_sink;
	}
	printf("open: ok\n");
	fflush(stdout);
	ret = play(&r, &o);
	report(&r, ret);
	status = ret < 0 ? 1 : 0;
	if (r.raw && fclose(r.raw) != 0)
		status = 1;
out_sink:
	r.ops->close(r.sink);
out_slab:
	dio_slab_free(r.slab);
	free(r.pattern);
	return status;
}
