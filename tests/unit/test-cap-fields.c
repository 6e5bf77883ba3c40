/* ALTERNATE field pairing (capture/fields.c): frames from (sequence, field), lost and lone
 * fields, the start parity; and the --start-field rule every source applies. */
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

/* cap_field_start: 0 and the parity, or -EINVAL (then 0 here). */
static uint32_t start(enum cap_field f, uint32_t asked, uint32_t seq_first)
{
	struct cap_why why = { "", "" };
	uint32_t got = 99;

	return cap_field_start(f, asked, seq_first, &why, &got) < 0 ? 0 : got;
}

static void test_start_field_own_parity(struct t_state *st)
{
	T_EQ(st, start(CAP_FIELD_INTERLACED_TB, 0, BOT), TOP);
	T_EQ(st, start(CAP_FIELD_INTERLACED_TB, TOP, BOT), TOP);
	T_EQ(st, start(CAP_FIELD_SEQ_TB, TOP, TOP), TOP);
	T_EQ(st, start(CAP_FIELD_INTERLACED_BT, 0, TOP), BOT);
	T_EQ(st, start(CAP_FIELD_INTERLACED_BT, BOT, TOP), BOT);
	T_EQ(st, start(CAP_FIELD_SEQ_BT, BOT, TOP), BOT);
	T_EQ(st, start(CAP_FIELD_NONE, 0, TOP), TOP); /* nothing asked: nothing to refuse */
}

static void test_start_field_other_parity_refused(struct t_state *st)
{
	struct cap_why why = { "", "" };
	uint32_t got = 99;

	T_EQ(st, cap_field_start(CAP_FIELD_INTERLACED_TB, BOT, TOP, &why, &got), -EINVAL);
	T_EQ(st, got, 99); /* written only on success */
	T_STREQ(st, why.what, "--start-field bottom: interlaced-tb frames start with a top field");
	T_ASSERT(st, strstr(why.hint, "use --field interlaced-bt or seq-bt; "));
	T_EQ(st, start(CAP_FIELD_INTERLACED_BT, TOP, TOP), 0);
	T_EQ(st, start(CAP_FIELD_SEQ_TB, BOT, TOP), 0);
	T_EQ(st, start(CAP_FIELD_SEQ_BT, TOP, TOP), 0);
}

static void test_start_field_progressive_refused(struct t_state *st)
{
	struct cap_why why = { "", "" };
	uint32_t got;

	T_EQ(st, cap_field_start(CAP_FIELD_NONE, TOP, TOP, &why, &got), -EINVAL);
	T_STREQ(st, why.what, "--start-field top: progressive frames have no field parity");
	T_EQ(st, start(CAP_FIELD_NONE, BOT, TOP), 0);
}

static void test_start_field_alternate_either(struct t_state *st)
{
	T_EQ(st, start(CAP_FIELD_ALTERNATE, 0, TOP), TOP);
	T_EQ(st, start(CAP_FIELD_ALTERNATE, 0, BOT), BOT); /* 525/60: bottom comes first */
	T_EQ(st, start(CAP_FIELD_ALTERNATE, BOT, TOP), BOT);
	T_EQ(st, start(CAP_FIELD_ALTERNATE, TOP, BOT), TOP);
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
	T_RUN(&st, test_start_field_own_parity);
	T_RUN(&st, test_start_field_other_parity_refused);
	T_RUN(&st, test_start_field_progressive_refused);
	T_RUN(&st, test_start_field_alternate_either);
	return T_EXIT(&st);
}
