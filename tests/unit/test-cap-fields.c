/* ALTERNATE field pairing (capture/fields.c): frames from (sequence, field), lost and lone
 * fields, the start parity. */
#include "cap-internal.h"
#include "t.h"

#include <errno.h>
#include <linux/videodev2.h>

#define TOP V4L2_FIELD_TOP
#define BOT V4L2_FIELD_BOTTOM

static struct cap_fields_step push(struct cap_fields *p, uint64_t seq, uint32_t field)
{
	struct cap_fields_step s = { .act = 99 };

	if (cap_fields_push(p, seq, field, &s) < 0)
		s.act = 98;
	return s;
}

static void test_top_first_pairs_same_sequence(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, TOP, TOP);
	for (uint64_t k = 0; k < 3; k++) {
		s = push(&p, 7 + k, TOP);
		T_EQ(st, s.act, CAP_FIELDS_FIRST);
		T_EQ(st, s.frame, k);
		s = push(&p, 7 + k, BOT);
		T_EQ(st, s.act, CAP_FIELDS_SECOND);
		T_EQ(st, s.frame, k);
		T_EQ(st, s.lost_fields, 0);
	}
}

static void test_start_bottom_pairs_with_next_top(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, BOT, TOP);
	T_EQ(st, push(&p, 0, TOP).act, CAP_FIELDS_DISCARD); /* a top field cannot start */
	s = push(&p, 0, BOT);
	T_EQ(st, s.act, CAP_FIELDS_FIRST);
	T_EQ(st, s.frame, 0);
	s = push(&p, 1, TOP);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 0);
	T_EQ(st, push(&p, 1, BOT).act, CAP_FIELDS_FIRST);
	s = push(&p, 2, TOP);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 1);
}

static void test_start_top_skips_leading_bottom(struct t_state *st)
{
	struct cap_fields p;

	cap_fields_init(&p, TOP, TOP);
	T_EQ(st, push(&p, 4, BOT).act, CAP_FIELDS_DISCARD);
	T_EQ(st, push(&p, 5, TOP).act, CAP_FIELDS_FIRST);
	T_EQ(st, push(&p, 5, BOT).frame, 0);
}

static void test_lost_second_field_leaves_lone_first(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, TOP, TOP);
	push(&p, 0, TOP);
	push(&p, 0, BOT);
	T_EQ(st, push(&p, 1, TOP).act, CAP_FIELDS_FIRST); /* its bottom is lost */
	s = push(&p, 2, TOP);
	T_EQ(st, s.act, CAP_FIELDS_FIRST);
	T_EQ(st, s.replaced_lone, 1);
	T_EQ(st, s.frame, 2);
	s = push(&p, 2, BOT);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 2);
	T_EQ(st, s.lost_fields, 2); /* the lone top and its lost bottom */
}

static void test_lost_first_field_discards_lone_second(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, TOP, TOP);
	push(&p, 0, TOP);
	push(&p, 0, BOT);
	T_EQ(st, push(&p, 1, BOT).act, CAP_FIELDS_DISCARD); /* its top is lost */
	push(&p, 2, TOP);
	s = push(&p, 2, BOT);
	T_EQ(st, s.frame, 2);
	T_EQ(st, s.lost_fields, 2);
}

static void test_whole_frames_lost(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, TOP, TOP);
	push(&p, 10, TOP);
	push(&p, 10, BOT);
	push(&p, 13, TOP);
	s = push(&p, 13, BOT);
	T_EQ(st, s.frame, 3);
	T_EQ(st, s.lost_fields, 4);
}

static void test_bad_input(struct t_state *st)
{
	struct cap_fields p;

	cap_fields_init(&p, TOP, TOP);
	T_EQ(st, push(&p, 0, V4L2_FIELD_NONE).act, 98);
	push(&p, 5, TOP);
	push(&p, 5, BOT);
	T_EQ(st, push(&p, 4, TOP).act, CAP_FIELDS_DISCARD); /* back in time */
}

static void test_repeated_first_field_replaces(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, TOP, TOP);
	T_EQ(st, push(&p, 0, TOP).act, CAP_FIELDS_FIRST);
	s = push(&p, 0, TOP); /* the driver repeats a sequence number */
	T_EQ(st, s.act, CAP_FIELDS_FIRST);
	T_EQ(st, s.replaced_lone, 1);
	s = push(&p, 0, BOT);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 0);
}

/* 525/60: the bottom field comes first within a sequence */
static void test_bottom_first_sequences(struct t_state *st)
{
	struct cap_fields p;
	struct cap_fields_step s;

	cap_fields_init(&p, BOT, BOT);
	T_EQ(st, push(&p, 0, BOT).act, CAP_FIELDS_FIRST);
	s = push(&p, 0, TOP);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 0);
	cap_fields_init(&p, TOP, BOT); /* top start: top of one sequence, bottom of the next */
	T_EQ(st, push(&p, 0, BOT).act, CAP_FIELDS_DISCARD);
	T_EQ(st, push(&p, 0, TOP).act, CAP_FIELDS_FIRST);
	s = push(&p, 1, BOT);
	T_EQ(st, s.act, CAP_FIELDS_SECOND);
	T_EQ(st, s.frame, 0);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_top_first_pairs_same_sequence);
	T_RUN(&st, test_start_bottom_pairs_with_next_top);
	T_RUN(&st, test_start_top_skips_leading_bottom);
	T_RUN(&st, test_lost_second_field_leaves_lone_first);
	T_RUN(&st, test_lost_first_field_discards_lone_second);
	T_RUN(&st, test_whole_frames_lost);
	T_RUN(&st, test_bad_input);
	T_RUN(&st, test_repeated_first_field_replaces);
	T_RUN(&st, test_bottom_first_sequences);
	return T_EXIT(&st);
}
