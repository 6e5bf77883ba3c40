/* The null sink: frames are consumed and dropped, on the clock (--rate realtime) or as fast as
 * they come (--rate max), for benchmarks and for checking a file end to end. */
#include "play-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct null_sink {
	struct play_sink base;
	struct play_clock *clock;
	bool paced;
};

static struct null_sink *to_null(struct play_sink *s)
{
	return play_container_of(s, struct null_sink, base);
}

static void null_close(struct play_sink *sink)
{
	struct null_sink *n;

	if (!sink)
		return;
	n = to_null(sink);
	play_clock_free(n->clock);
	free(n);
}

static int null_open(const struct play_config *cfg, struct dio_slab *slab,
		     struct play_sink **ret_sink)
{
	struct null_sink *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	n->base.ops = &play_null_ops;
	n->paced = cfg->paced;
	ret = play_clock_new(cfg, dio_slab_nslots(slab), &n->clock);
	if (ret < 0) {
		free(n);
		return ret;
	}
	*ret_sink = &n->base;
	return 0;
}

static int null_queue(struct play_sink *sink, const struct play_frame *f)
{
	return play_clock_push(to_null(sink)->clock, f);
}

static int null_start(struct play_sink *sink)
{
	play_clock_start(to_null(sink)->clock);
	return 0;
}

static int null_dequeue(struct play_sink *sink, int timeout_ms, struct play_done *ret_done)
{
	return play_clock_pop(to_null(sink)->clock, timeout_ms, ret_done, NULL);
}

static int null_drain(struct play_sink *sink)
{
	(void)sink; /* dequeue lets the rest go out on the clock */
	return 0;
}

static void null_stats(const struct play_sink *sink, struct play_sink_stats *ret_stats)
{
	const struct null_sink *n = play_container_of(sink, const struct null_sink, base);

	*ret_stats = (struct play_sink_stats){ 0 };
	play_clock_counts(n->clock, &ret_stats->late, &ret_stats->underruns);
	snprintf(ret_stats->mode, sizeof(ret_stats->mode), "%s",
		 n->paced ? "discard, paced by the clock" : "discard, unpaced");
}

static void null_retime(struct play_sink *sink, uint64_t index, uint64_t due_ns)
{
	play_clock_retime(to_null(sink)->clock, index, due_ns);
}

const struct play_sink_ops play_null_ops = {
	.name = "null",
	.desc = "consume frames at the file's rate, or at once (--rate max)",
	.open = null_open,
	.queue = null_queue,
	.start = null_start,
	.dequeue = null_dequeue,
	.drain = null_drain,
	.stats = null_stats,
	.close = null_close,
	.retime = null_retime,
};
