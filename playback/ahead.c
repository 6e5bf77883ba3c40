/* The read-ahead stage: keeps the slots filled with the frames that come next in play order.
 *
 * Slots are taken in ring order, so the frame to hand out next is always in the slot after
 * the last one handed out. A read takes a run of free slots from the fill point (never across
 * the ring's end: the slab's tail only has room for one superset's spill), and the planner
 * decides how many frames one read can bring in.
 */
#include "play-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libavutil/mathematics.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum slot_state { SLOT_FREE, SLOT_READING, SLOT_READY, SLOT_OUT };

struct ahead_slot {
	enum slot_state state;
	uint64_t pos; /* play position of its frame */
	uint32_t skew;
};

struct play_ahead {
	struct play_ahead_opts o;
	const struct mov_sample *s;
	uint64_t nsamples;
	struct play_range rg;
	uint64_t end;	   /* play positions in all: count x loops (UINT64_MAX: forever) */
	uint64_t read_pos; /* next position to read */
	uint64_t out_pos;  /* next position to hand out */
	unsigned fill;	   /* next slot to read into */
	unsigned out;	   /* slot of out_pos */
	uint32_t unit;
	struct dio_slab *slab;
	struct dio_reader *rd;
	struct ahead_slot *slots;
	struct play_read *reads; /* by tag: one per slot, indexed by the read's first slot */
	struct play_ahead_stats st;
	uint64_t fill_t0_ns, fill_b0; /* play_ahead_settle's first call: time, disk_bytes */
	int err;
};

/* The reader's alignment unit, known before the slab (which the reader needs) exists. */
static uint32_t read_unit(const char *path, uint64_t *ret_size)
{
	struct statx stx;
	uint32_t unit = DIO_PAGE;

	if (statx(AT_FDCWD, path, 0, STATX_DIOALIGN | STATX_SIZE, &stx) < 0)
		return 0;
	if ((stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align > DIO_PAGE)
		unit = stx.stx_dio_offset_align;
	*ret_size = stx.stx_size;
	return unit;
}

/* The first sample of the range that lies past the end of the file, or -1. */
static int64_t past_end(const struct play_ahead *a, uint64_t size)
{
	for (uint64_t i = a->rg.first; i < a->rg.first + a->rg.count; i++)
		if (a->s[i].offset + a->s[i].size > size)
			return (int64_t)i;
	return -1;
}

static int make_slab(struct play_ahead *a)
{
	size_t slab_frame;
	uint64_t align;
	bool batched;
	int ret;

	ret = play_plan_layout(a->s, a->nsamples, &a->rg, a->o.frame_size, a->unit, &slab_frame,
			       &align, &batched);
	if (ret < 0)
		return ret;
	ret = dio_slab_new(slab_frame, a->o.nslots, align, &a->slab);
	if (ret < 0)
		return ret;
	a->st.batched = batched;
	a->st.slot_size = dio_slab_slot_size(a->slab);
	a->st.nslots = a->o.nslots;
	return 0;
}

int play_ahead_open(const char *path, const struct mov_sample *samples, uint64_t nsamples,
		    const struct play_range *rg, const struct play_ahead_opts *opts,
		    struct play_ahead **ret_ahead)
{
	struct play_ahead *a;
	uint64_t size = 0;
	int ret;

	if (!opts->nslots || !opts->batch || !opts->frame_size || !rg->count ||
	    rg->first + rg->count > nsamples)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct play_ahead){ .o = *opts, .s = samples, .nsamples = nsamples, .rg = *rg };
	a->o.batch = opts->batch < opts->nslots ? opts->batch : opts->nslots;
	a->end =
	    rg->loops && rg->count <= UINT64_MAX / rg->loops ? rg->count * rg->loops : UINT64_MAX;
	a->unit = read_unit(path, &size);
	ret = -errno;
	if (!a->unit)
		goto out_free;
	ret = -ENODATA;
	if (past_end(a, size) >= 0)
		goto out_free;
	a->slots = calloc(opts->nslots, sizeof(*a->slots));
	a->reads = calloc(opts->nslots, sizeof(*a->reads));
	ret = -ENOMEM;
	if (!a->slots || !a->reads)
		goto out_free;
	ret = make_slab(a);
	if (ret < 0)
		goto out_free;
	ret = dio_reader_open(path, a->slab,
			      &(struct dio_opts){ .depth = opts->depth,
						  .no_direct = opts->no_direct,
						  .no_uring = opts->no_uring },
			      &a->rd);
	if (ret < 0)
		goto out_free;
	ret = -EINVAL;
	if (dio_reader_unit(a->rd) != a->unit)
		goto out_free;
	a->st.mode = dio_reader_mode(a->rd);
	strncpy(a->st.mode_why, dio_reader_mode_why(a->rd), sizeof(a->st.mode_why) - 1);
	*ret_ahead = a;
	return 0;

out_free:
	play_ahead_free(a);
	return ret;
}

struct dio_slab *play_ahead_slab(const struct play_ahead *a)
{
	return a->slab;
}

/* Free slots from the fill point up to the ring's end. */
static unsigned room(const struct play_ahead *a)
{
	unsigned n = 0;

	while (a->fill + n < a->o.nslots && a->slots[a->fill + n].state == SLOT_FREE)
		n++;
	return n;
}

static int submit_one(struct play_ahead *a, unsigned free)
{
	struct play_read rd;
	int ret;

	ret = play_plan_read(a->s, a->nsamples, &a->rg, a->read_pos, a->end, a->fill, free,
			     a->st.slot_size, a->unit, a->o.batch, &rd);
	if (ret < 0)
		return ret;
	ret = dio_reader_submit(a->rd, rd.offset, rd.len, rd.slot, rd.slot);
	if (ret < 0)
		return ret;
	a->reads[rd.slot] = rd;
	for (unsigned k = 0; k < rd.count; k++)
		a->slots[rd.slot + k] = (struct ahead_slot){ .state = SLOT_READING,
							     .pos = a->read_pos + k,
							     .skew = rd.skew };
	a->read_pos += rd.count;
	a->fill = (a->fill + rd.count) % a->o.nslots;
	a->st.reads++;
	a->st.disk_bytes +=
	    dio_align_up(rd.offset + rd.len, a->unit) - dio_align_down(rd.offset, a->unit);
	return 0;
}

/* Submit reads while there are frames to read, free slots and room in the queue. A read
 * waits for a full batch of free slots unless it is the only way to make progress. */
static int submit_reads(struct play_ahead *a)
{
	while (a->read_pos < a->end && dio_reader_inflight(a->rd) < a->o.depth) {
		unsigned free = room(a);
		uint64_t left = a->end - a->read_pos;
		unsigned want = left < a->o.batch ? (unsigned)left : a->o.batch;
		bool at_wrap = a->fill + free == a->o.nslots;
		int ret;

		if (!free || (free < want && !at_wrap && dio_reader_inflight(a->rd)))
			break;
		ret = submit_one(a, free);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int reap(struct play_ahead *a, unsigned min)
{
	struct dio_done d[16];
	int n = dio_reader_reap(a->rd, min, d, 16);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const struct play_read *rd = &a->reads[d[i].tag];

		if (d[i].res < 0)
			return d[i].res;
		for (unsigned k = 0; k < rd->count; k++)
			a->slots[rd->slot + k].state = SLOT_READY;
		a->st.frames += rd->count;
		a->st.bytes += (uint64_t)rd->count * a->o.frame_size;
		if (d[i].lat_ns > a->st.max_lat_ns)
			a->st.max_lat_ns = d[i].lat_ns;
	}
	return n;
}

int play_ahead_pump(struct play_ahead *a, bool wait)
{
	int ret;

	if (a->err)
		return a->err;
	ret = submit_reads(a);
	if (ret >= 0)
		ret = reap(a, 0);
	while (ret >= 0 && wait && a->slots[a->out].state == SLOT_READING) {
		ret = reap(a, 1);
		if (ret >= 0)
			ret = submit_reads(a);
	}
	if (ret < 0)
		a->err = ret;
	return ret < 0 ? ret : 0;
}

/* Every slot holds a frame read or handed out (or every frame is read), nothing in flight. */
static bool full(const struct play_ahead *a)
{
	if (dio_reader_inflight(a->rd))
		return false;
	if (a->read_pos >= a->end)
		return true;
	for (unsigned i = 0; i < a->o.nslots; i++)
		if (a->slots[i].state == SLOT_FREE)
			return false;
	return true;
}

int play_ahead_settle(struct play_ahead *a)
{
	int ret;

	if (a->err)
		return a->err;
	if (!a->fill_t0_ns) {
		a->fill_t0_ns = play_now_ns();
		a->fill_b0 = a->st.disk_bytes;
	}
	ret = submit_reads(a);
	if (ret >= 0 && dio_reader_inflight(a->rd))
		ret = reap(a, 1);
	if (ret >= 0)
		ret = submit_reads(a);
	if (ret < 0)
		return a->err = ret;
	if (!full(a))
		return 0;
	if (!a->st.fill_ns) {
		a->st.fill_ns = play_now_ns() - a->fill_t0_ns + 1;
		a->st.fill_bytes = a->st.disk_bytes - a->fill_b0;
	}
	return 1;
}

static int64_t pts_of(const struct play_ahead *a, const struct mov_sample *s)
{
	const struct play_ahead_opts *o = &a->o;

	if (!o->rate_num || !o->rate_den || !o->tb_num || !o->tb_den)
		return s - a->s;
	/* pts x tb / period, rounded; 128 bits inside, as a damaged pts may be anything (the
	 * terms are positive ints, so each product fits an int64_t) */
	return av_rescale_rnd(s->pts, (int64_t)o->tb_num * o->rate_num,
			      (int64_t)o->tb_den * o->rate_den, AV_ROUND_NEAR_INF);
}

int play_ahead_next(struct play_ahead *a, struct play_frame *ret_frame)
{
	struct ahead_slot *sl = &a->slots[a->out];

	if (a->out_pos >= a->end || sl->state != SLOT_READY)
		return 0;
	*ret_frame = (struct play_frame){
		.slot = a->out,
		.skew = sl->skew,
		.index = a->out_pos,
		.pts = pts_of(a, &a->s[a->rg.first + a->out_pos % a->rg.count]),
	};
	sl->state = SLOT_OUT;
	a->out = (a->out + 1) % a->o.nslots;
	a->out_pos++;
	return 1;
}

const uint8_t *play_ahead_frame(const struct play_ahead *a, unsigned slot)
{
	const uint8_t *p;

	if (slot >= a->o.nslots || a->slots[slot].state != SLOT_OUT)
		return NULL;
	p = dio_slab_slot(a->slab, slot);
	return p ? p + a->slots[slot].skew : NULL;
}

void play_ahead_release(struct play_ahead *a, unsigned slot)
{
	if (slot < a->o.nslots && a->slots[slot].state == SLOT_OUT)
		a->slots[slot].state = SLOT_FREE;
}

bool play_ahead_done(const struct play_ahead *a)
{
	return a->out_pos >= a->end;
}

unsigned play_ahead_ready(const struct play_ahead *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->o.nslots; i++)
		n += a->slots[i].state == SLOT_READY;
	return n;
}

void play_ahead_stats(const struct play_ahead *a, struct play_ahead_stats *ret_stats)
{
	*ret_stats = a->st;
}

void play_ahead_free(struct play_ahead *a)
{
	if (!a)
		return;
	if (a->rd) { /* the kernel may still be writing into the slab */
		struct dio_done d[16];

		while (dio_reader_inflight(a->rd) && dio_reader_reap(a->rd, 1, d, 16) >= 0)
			;
		dio_reader_free(a->rd);
	}
	dio_slab_free(a->slab);
	free(a->slots);
	free(a->reads);
	free(a);
}
