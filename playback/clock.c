/* A virtual output device for the null and file sinks: a FIFO of queued frames drained on a
 * vblank every frame period (or at once, unpaced), counting late frames and repeats the way a
 * device sink does, so --rate realtime means the same thing for every sink. */
#include "play-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct clock_entry {
	struct play_frame f;
	uint64_t queued_ns;
};

struct play_clock {
	bool paced, started;
	uint64_t period_ns;
	uint64_t next_ns; /* the next vblank */
	uint64_t busy_ns; /* the output cannot take a frame before this */
	uint64_t late, underruns;
	unsigned cap, head, n;
	struct clock_entry q[];
};

uint64_t play_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int play_clock_new(const struct play_config *cfg, unsigned cap, struct play_clock **ret_clock)
{
	struct play_clock *c;

	if (!cap || (cfg->paced && (!cfg->rate_num || !cfg->rate_den)))
		return -EINVAL;
	c = calloc(1, sizeof(*c) + cap * sizeof(c->q[0]));
	if (!c)
		return -ENOMEM;
	c->cap = cap;
	c->paced = cfg->paced;
	if (c->paced)
		c->period_ns = (uint64_t)cfg->rate_den * 1000000000ull / cfg->rate_num;
	*ret_clock = c;
	return 0;
}

int play_clock_push(struct play_clock *c, const struct play_frame *f)
{
	if (c->n == c->cap)
		return -ENOBUFS;
	c->q[(c->head + c->n) % c->cap] =
	    (struct clock_entry){ .f = *f, .queued_ns = play_now_ns() };
	c->n++;
	return 0;
}

void play_clock_start(struct play_clock *c)
{
	c->started = true;
	c->next_ns = play_now_ns();
}

/* When the oldest frame goes out: its vblank, moved on past the vblanks it missed. */
static uint64_t due_of(const struct play_clock *c, const struct clock_entry *e,
		       uint32_t *ret_missed)
{
	uint64_t due = c->next_ns;
	uint64_t ready = e->queued_ns > c->busy_ns ? e->queued_ns : c->busy_ns;
	uint32_t missed = 0;

	if (ready > due) {
		missed = (ready - due + c->period_ns - 1) / c->period_ns;
		due += (uint64_t)missed * c->period_ns;
	}
	*ret_missed = missed;
	return due;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int play_clock_pop(struct play_clock *c, int timeout_ms, struct play_done *ret_done,
		   struct play_frame *ret_frame)
{
	struct clock_entry *e = &c->q[c->head];
	uint64_t shown = play_now_ns();
	uint32_t missed = 0;

	if (!c->n || !c->started)
		return -EAGAIN;
	if (c->paced) {
		uint64_t due = due_of(c, e, &missed);

		if (timeout_ms >= 0 && due > shown + (uint64_t)timeout_ms * 1000000ull)
			return -EAGAIN;
		if (due > shown)
			sleep_until(due);
		shown = due;
		c->next_ns = due + c->period_ns;
		c->late += missed > 0;
		c->underruns += missed;
	}
	*ret_done = (struct play_done){ .slot = e->f.slot,
					.index = e->f.index,
					.shown_ns = shown,
					.repeats = missed,
					.late = missed > 0 };
	if (ret_frame)
		*ret_frame = e->f;
	c->head = (c->head + 1) % c->cap;
	c->n--;
	return 0;
}

void play_clock_retime(struct play_clock *c, uint64_t index, uint64_t due_ns)
{
	int64_t ahead, err;
	uint64_t head;

	if (!c->paced || !c->started || !c->n)
		return;
	head = c->q[c->head].f.index;
	ahead = (int64_t)(index - head) * (int64_t)c->period_ns;
	err = (int64_t)(due_ns - ahead - c->next_ns);
	if (err >= (int64_t)c->period_ns || err <= -(int64_t)c->period_ns)
		c->next_ns += err;
	else
		c->next_ns += err / 4;
}

void play_clock_busy_until(struct play_clock *c, uint64_t t)
{
	c->busy_ns = t;
}

unsigned play_clock_queued(const struct play_clock *c)
{
	return c->n;
}

void play_clock_counts(const struct play_clock *c, uint64_t *ret_late, uint64_t *ret_underruns)
{
	*ret_late = c->late;
	*ret_underruns = c->underruns;
}

void play_clock_free(struct play_clock *c)
{
	free(c);
}
