/* Read planning: which frames one O_DIRECT read can bring in, and how the slab must be cut
 * for a file's layout. Pure arithmetic on the sample table, tested without a disk. */
#include "play.h"

#include <errno.h>

static const struct mov_sample *at(const struct mov_sample *s, const struct play_range *rg,
				   uint64_t pos)
{
	return &s[rg->first + pos % rg->count];
}

/* Does a frame at offset, size land inside slot k of a read that starts at base? */
static bool fits(uint64_t base, uint64_t offset, uint32_t size, unsigned k, size_t slot_size,
		 uint32_t unit)
{
	uint64_t start = dio_align_down(base, unit);
	uint64_t end = dio_align_up(offset + size, unit) - start; /* superset end, in the read */

	return offset - start >= (uint64_t)k * slot_size && end <= (uint64_t)(k + 1) * slot_size;
}

int play_plan_read(const struct mov_sample *samples, uint64_t nsamples, const struct play_range *rg,
		   uint64_t pos, uint64_t end_pos, unsigned slot, unsigned room, size_t slot_size,
		   uint32_t unit, unsigned max, struct play_read *ret_read)
{
	const struct mov_sample *f;
	unsigned k;

	if (!rg->count || rg->first + rg->count > nsamples || pos >= end_pos || !room || !max ||
	    !unit)
		return -EINVAL;
	f = at(samples, rg, pos);
	if (!fits(f->offset, f->offset, f->size, 0, slot_size, unit))
		return -EINVAL;
	for (k = 1; k < room && k < max && pos + k < end_pos; k++) {
		const struct mov_sample *n = at(samples, rg, pos + k);

		if (n->offset != f->offset + (uint64_t)k * slot_size ||
		    !fits(f->offset, n->offset, n->size, k, slot_size, unit))
			break;
	}
	*ret_read = (struct play_read){
		.offset = f->offset,
		.len =
		    (uint32_t)((uint64_t)(k - 1) * slot_size + at(samples, rg, pos + k - 1)->size),
		.slot = slot,
		.count = k,
		.skew = f->offset % unit,
	};
	return k;
}

/* The distance between consecutive frames when it is a usable slot size, else 0. */
static uint64_t stride_of(const struct mov_sample *s, const struct play_range *rg,
			  uint32_t frame_size, uint32_t unit)
{
	for (uint64_t i = rg->first; i + 1 < rg->first + rg->count; i++) {
		uint64_t d = s[i + 1].offset - s[i].offset;

		if (s[i + 1].offset <= s[i].offset)
			continue; /* a repeated frame (filled drop): look further */
		if (d % DIO_PAGE || d % unit || d < frame_size ||
		    d > 2ull * frame_size + (1u << 20))
			return 0;
		return d;
	}
	return 0;
}

int play_plan_layout(const struct mov_sample *samples, uint64_t nsamples,
		     const struct play_range *rg, uint32_t frame_size, uint32_t unit,
		     size_t *ret_slab_frame, uint64_t *ret_slot_align, bool *ret_batched)
{
	bool aligned = true;
	uint64_t stride;

	if (!rg->count || rg->first + rg->count > nsamples || !unit || !frame_size)
		return -EINVAL;
	for (uint64_t i = rg->first; i < rg->first + rg->count && aligned; i++)
		aligned = samples[i].offset % unit == 0 && samples[i].size <= frame_size;
	if (!aligned) {
		*ret_slab_frame = (size_t)frame_size + unit;
		*ret_slot_align = unit;
		*ret_batched = false;
		return 0;
	}
	stride = stride_of(samples, rg, frame_size, unit);
	*ret_slab_frame = frame_size;
	*ret_slot_align = stride ? stride : unit;
	*ret_batched = true;
	return 0;
}
