/* ALTERNATE field pairing: which half of which frame a delivered field belongs to. Pure logic,
 * no device: the V4L2 source feeds it and copies the field where it says. */
#include "cap-internal.h"

#include <errno.h>
#include <linux/videodev2.h>

static uint32_t parity(uint32_t f)
{
	return f == V4L2_FIELD_BOTTOM ? V4L2_FIELD_BOTTOM : V4L2_FIELD_TOP;
}

void cap_fields_init(struct cap_fields *p, uint32_t start_parity, uint32_t seq_first_parity)
{
	*p = (struct cap_fields){ .start = parity(start_parity),
				  .seq_first = parity(seq_first_parity) };
}

int cap_fields_push(struct cap_fields *p, uint64_t sequence, uint32_t field,
		    struct cap_fields_step *ret)
{
	struct cap_fields_step s = { .act = CAP_FIELDS_DISCARD };
	uint64_t n, frame;

	if (field != V4L2_FIELD_TOP && field != V4L2_FIELD_BOTTOM)
		return -EINVAL;
	n = sequence * 2 + (field != p->seq_first);
	if (!p->started) {
		if (field != p->start) { /* wait for the parity a frame starts with */
			*ret = s;
			return 0;
		}
		p->started = true;
		p->base = n;
	}
	if (n < p->base + 2 * p->next_frame || (p->open && n < p->base + 2 * p->open_frame)) {
		*ret = s; /* from a frame already done or given up: too late to place */
		return 0;
	}
	frame = (n - p->base) / 2;
	s.frame = frame;
	if ((n - p->base) % 2 == 0) {
		s.act = CAP_FIELDS_FIRST;
		s.replaced_lone = p->open; /* its partner never came */
		p->open = true;
		p->open_frame = frame;
	} else if (p->open && p->open_frame == frame) {
		s.act = CAP_FIELDS_SECOND;
		s.lost_fields = (uint32_t)(2 * (frame - p->next_frame));
		p->open = false;
		p->next_frame = frame + 1;
	} /* else: a second field whose first was lost: discarded, its frame is a drop */
	*ret = s;
	return 0;
}
