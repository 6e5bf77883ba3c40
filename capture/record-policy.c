/* The recording's policies: what each frame the source delivers means for the recording. Gaps in
 * the sequence are counted, reported and filled (--fill-drops) or stop it (--on-drop stop); flagged
 * frames and device timecode breaks are counted and reported; --start-timecode,
 * --stop-timecode and -t decide which frames are recorded.
 */
#include "record-internal.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned cap_rec_fields_per_frame(const struct cap_record *v)
{
	return v->c->cap.field == CAP_FIELD_NONE ? 1 : 2;
}

bool cap_rec_tc_valid(const struct cap_record *v, const char *tc)
{
	return tc[0] && mov_timecode_check(tc, v->c->cap.rate_num, v->c->cap.rate_den, NULL) == 0;
}

static int64_t tc_frames(const struct cap_record *v, const char *tc)
{
	int64_t n = -1;

	mov_timecode_frames(tc, v->c->cap.rate_num, v->c->cap.rate_den, &n);
	return n;
}

/* One event per gap, always: the live drop report; filled: samples that repeat the frame
 * before (none before frame 0, which has no frame before it). */
static void report_drop(struct cap_record *v, const struct cap_record_drop *d, uint64_t filled)
{
	char seq[64];

	if (d->count > 1)
		snprintf(seq, sizeof(seq), "sequence %llu-%llu", (unsigned long long)d->sequence,
			 (unsigned long long)(d->sequence + d->count - 1));
	else
		snprintf(seq, sizeof(seq), "sequence %llu", (unsigned long long)d->sequence);
	cap_rec_emit(v,
		     (struct cap_event){ .kind = CAP_EVENT_NOTE,
					 .type = CAP_EVENT_DROP,
					 .drop = d,
					 .frame = d->before_frame },
		     "drop: %llu %s (%llu %s) lost before frame %llu (%s)%s%s",
		     (unsigned long long)d->count, d->count == 1 ? "frame" : "frames",
		     (unsigned long long)d->fields, d->fields == 1 ? "field" : "fields",
		     (unsigned long long)d->before_frame, seq,
		     d->starved ? "; buffers full: the disk is too slow" : "",
		     filled ? "; filled with the frame before" : "");
}

/* Gaps in sequence and fields the source lost: counted, listed, reported, and the policy. */
void cap_rec_account_drops(struct cap_record *v, const struct cap_frame *f, struct rec_mark *m)
{
	struct cap_record_stats *st = v->st;
	struct cap_record_drop d;
	uint64_t fields;

	m->lost = f->sequence > v->next_seq ? f->sequence - v->next_seq : 0;
	v->next_seq = f->sequence + 1;
	fields = m->lost * cap_rec_fields_per_frame(v);
	if (f->lost_fields > fields)
		fields = f->lost_fields;
	if (!m->lost && !fields)
		return;
	m->lost_fields = fields;
	m->starved = v->full;
	d = (struct cap_record_drop){ .before_frame = v->counted + m->fill,
				      .sequence = f->sequence - m->lost,
				      .count = m->lost,
				      .fields = fields,
				      .starved = m->starved };
	if (st->gaps < CAP_RECORD_LIST_MAX)
		st->drop[st->gaps] = d;
	st->gaps++;
	st->drops += m->lost;
	st->lost_fields += fields;
	report_drop(v, &d, m->fill);
	if (v->c->on_drop == CAP_DROP_STOP) {
		v->stop = true;
		v->st->stop_reason = "drop";
	}
}

void cap_rec_account_flags(struct cap_record *v, const struct cap_frame *f, uint64_t index)
{
	if (!(f->flags & V4L2_BUF_FLAG_ERROR))
		return;
	if (v->st->flagged < CAP_RECORD_LIST_MAX)
		v->st->flagged_at[v->st->flagged] = index;
	v->st->flagged++;
	cap_rec_emit(
	    v,
	    (struct cap_event){ .kind = CAP_EVENT_NOTE, .type = CAP_EVENT_FLAGGED, .frame = index },
	    "frame %llu (sequence %llu) flagged V4L2_BUF_FLAG_ERROR: its data may be "
	    "corrupt; kept",
	    (unsigned long long)index, (unsigned long long)f->sequence);
}

/* Device timecode: first and last, and a break wherever it does not count on with sequence. */
void cap_rec_account_timecode(struct cap_record *v, const struct cap_frame *f, struct rec_mark *m,
			      uint64_t index)
{
	int64_t tc, want;

	if (!cap_rec_tc_valid(v, f->timecode))
		return;
	tc = tc_frames(v, f->timecode);
	if (!v->st->tc_first[0])
		snprintf(v->st->tc_first, sizeof(v->st->tc_first), "%s", f->timecode);
	want = (v->tc_prev + (int64_t)(f->sequence - v->tc_prev_seq)) % v->tc_day;
	if (v->tc_prev >= 0 && tc != want) {
		m->tc_break = true;
		if (v->st->tc_breaks < CAP_RECORD_LIST_MAX)
			v->st->tc_break_at[v->st->tc_breaks] = index;
		v->st->tc_breaks++;
		cap_rec_emit(v,
			     (struct cap_event){ .kind = CAP_EVENT_NOTE,
						 .type = CAP_EVENT_TC_BREAK,
						 .frame = index },
			     "timecode break before frame %llu (sequence %llu): %s follows %s",
			     (unsigned long long)index, (unsigned long long)f->sequence,
			     f->timecode, v->st->tc_last);
	}
	snprintf(v->st->tc_last, sizeof(v->st->tc_last), "%s", f->timecode);
	v->tc_prev = tc;
	v->tc_prev_seq = f->sequence;
}

/* How far past a timecode the frame is, in frames within the day; -1 without timecode. */
static int64_t tc_past(const struct cap_record *v, const struct cap_frame *f, int64_t mark)
{
	if (!cap_rec_tc_valid(v, f->timecode))
		return -1;
	return ((tc_frames(v, f->timecode) - mark) % v->tc_day + v->tc_day) % v->tc_day;
}

static unsigned fps_rounded(const struct cap_record *v)
{
	return (v->c->cap.rate_num + v->c->cap.rate_den / 2) / v->c->cap.rate_den;
}

/* Before --start-timecode: true once f is the start frame (or the first one within a second
 * after it, if the start frame itself was lost); other frames go straight back. */
bool cap_rec_preroll_done(struct cap_record *v, const struct cap_frame *f)
{
	int64_t past = v->c->start_tc ? tc_past(v, f, v->tc_start) : 0;
	int ret;

	if (past >= 0 && past < fps_rounded(v)) {
		v->recording = true;
		v->seq0 = f->sequence;
		v->next_seq = f->sequence;
		return true;
	}
	ret = v->c->source->requeue(v->src, f->slot);
	if (ret < 0)
		cap_rec_fail(v, "requeueing a buffer", ret);
	v->fill = (v->fill + 1) % v->nslots;
	return false;
}

/* Whether f belongs in the recording; false (and stop) when it lies past the end. */
bool cap_rec_admit(struct cap_record *v, const struct cap_frame *f)
{
	const struct cap_record_config *c = v->c;
	int64_t past = c->stop_tc ? tc_past(v, f, v->tc_stop) : -1;

	if (c->by_duration && f->sequence - v->seq0 >= c->frames) {
		v->stop = true;
		v->st->stop_reason = "duration";
		return false;
	}
	if (past > 0 && past < fps_rounded(v)) { /* the stop frame was lost: stop before */
		v->stop = true;
		v->st->stop_reason = "stop-timecode";
		return false;
	}
	if (past == 0) {
		v->stop = true;
		v->st->stop_reason = "stop-timecode";
	}
	return true;
}

/* A timecode was asked for and the device sends none. */
void cap_rec_check_timecode_wait(struct cap_record *v, const struct cap_frame *f)
{
	if (!v->c->start_tc && !v->c->stop_tc)
		return;
	if ((f && cap_rec_tc_valid(v, f->timecode)) || v->tc_prev >= 0)
		return;
	if (cap_rec_now_s() - v->t0 > 5 && !v->st->err) {
		cap_rec_fail(
		    v,
		    "waiting for the device timecode (--start-timecode and --stop-timecode "
		    "need a source that sends one)",
		    -ENODATA);
	}
}

/* Plan the fills for the gap before f: -n counts samples, so the last gap is filled only up
 * to the count, leaving room for f itself. */
uint64_t cap_rec_plan_fills(const struct cap_record *v, const struct cap_frame *f)
{
	const struct cap_record_config *c = v->c;
	uint64_t lost = f->sequence > v->next_seq ? f->sequence - v->next_seq : 0;

	if (!c->fill_drops || !v->captured)
		return 0;
	if (c->frames && !c->by_duration && lost > c->frames - v->counted - 1)
		lost = c->frames - v->counted - 1;
	return lost;
}

/* A sequence number that does not advance (vivid repeats one now and then while it drops
 * buffers): the frame still comes after the previous one, so it takes the next frame period;
 * the frames after it keep theirs unless they collide too. true when f was renumbered. */
bool cap_rec_fix_order(struct cap_record *v, struct cap_frame *f)
{
	uint64_t dev = f->sequence;

	if (!v->captured || f->sequence >= v->next_seq)
		return false;
	f->sequence = v->next_seq;
	cap_rec_emit(v,
		     (struct cap_event){ .kind = CAP_EVENT_NOTE,
					 .type = CAP_EVENT_RENUMBERED,
					 .frame = v->counted },
		     "the device numbered frame %llu sequence %llu again: counted as %llu",
		     (unsigned long long)v->counted, (unsigned long long)dev,
		     (unsigned long long)f->sequence);
	return true;
}

/* The policies' state: per-slot marks, timecode bounds. */
int cap_rec_open_policies(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	const struct cap_accepted *a = &v->st->acc;
	unsigned fps;

	/* the policies count in the rate and field mode the source took */
	if (a->rate_num && a->rate_den) {
		v->own.cap.rate_num = a->rate_num;
		v->own.cap.rate_den = a->rate_den;
	}
	v->own.cap.field = a->field;
	if (c->policies_deferred) {
		struct cap_why why = { "", "" };

		if (cap_rec_check_policies(&v->own, &why) < 0) {
			cap_rec_error(v, 0, why.hint, "%s", why.what);
			return -EINVAL;
		}
	}
	if (!c->cap.rate_num || !c->cap.rate_den) {
		if (c->start_tc || c->stop_tc || c->fields || c->duration_tc) {
			cap_rec_error(v, 0, "give --rate",
				      "the %s source does not say its frame rate", c->source->name);
			return -EINVAL;
		}
		v->own.cap.rate_num = 25, v->own.cap.rate_den = 1; /* only labels timecode */
	}
	fps = fps_rounded(v);

	v->mark = calloc(v->nslots, sizeof(*v->mark));
	if (!v->mark) {
		cap_rec_error(v, -ENOMEM, NULL, "allocating the capture state");
		return -ENOMEM;
	}
	v->recording = !c->start_tc;
	v->tc_prev = v->tc_start = v->tc_stop = -1;
	v->tc_day = (int64_t)fps * 86400;
	if (c->start_tc)
		v->tc_start = tc_frames(v, c->start_tc);
	if (c->stop_tc)
		v->tc_stop = tc_frames(v, c->stop_tc);
	if ((c->start_tc && strpbrk(c->start_tc, ";.")) ||
	    (c->stop_tc && strpbrk(c->stop_tc, ";.")))
		v->tc_day -= 1296 * 2 * (fps / 30); /* drop-frame: 2 (4) labels fewer a minute */
	return 0;
}
