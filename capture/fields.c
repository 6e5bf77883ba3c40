/* Field parity, pure logic, no device: which parity a frame of each mode starts with (the
 * --start-field rule every source applies), and ALTERNATE field pairing, which half of which
 * frame a delivered field belongs to (the V4L2 source feeds it and copies the field where it
 * says). */
#include "cap-internal.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>

static uint32_t parity(uint32_t f)
{
	return f == V4L2_FIELD_BOTTOM ? V4L2_FIELD_BOTTOM : V4L2_FIELD_TOP;
}

/* The rule: an interleaved or sequential frame starts with the parity its mode names (-tb
 * top, -bt bottom), so another --start-field is a contradiction, not a choice; progressive
 * frames have no parity at all; only ALTERNATE, whose fields come one per buffer, can pair
 * them starting from either. */
int cap_field_start(enum cap_field f, uint32_t asked, uint32_t seq_first, struct cap_why *why,
		    uint32_t *ret_start)
{
	bool bt = f == CAP_FIELD_INTERLACED_BT || f == CAP_FIELD_SEQ_BT;
	uint32_t own = bt ? V4L2_FIELD_BOTTOM : V4L2_FIELD_TOP;
	const char *name = asked == V4L2_FIELD_BOTTOM ? "bottom" : "top";

	if (f == CAP_FIELD_ALTERNATE) {
		*ret_start = asked ? parity(asked) : parity(seq_first);
		return 0;
	}
	if (!asked || (asked == own && f != CAP_FIELD_NONE)) {
		*ret_start = own;
		return 0;
	}
	if (f == CAP_FIELD_NONE) {
		snprintf(why->what, sizeof(why->what),
			 "--start-field %s: progressive frames have no field parity", name);
		snprintf(why->hint, sizeof(why->hint),
			 "leave --start-field out, or give an interlaced --field");
		return -EINVAL;
	}
	snprintf(why->what, sizeof(why->what), "--start-field %s: %s frames start with a %s field",
		 name, cap_field_name(f), bt ? "bottom" : "top");
	snprintf(why->hint, sizeof(why->hint),
		 "use --field %s; a device's alternate mode pairs fields from either parity",
		 bt ? "interlaced-tb or seq-tb" : "interlaced-bt or seq-bt");
	return -EINVAL;
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
