/* vcap's recording loop.
 *
 * Slots go round a ring in batches: the source fills V consecutive slots, one O_DIRECT write
 * puts them on disk, and once that write has completed (batches are committed in file order
 * even though completions arrive out of order) the frames are indexed, logged in the journal,
 * hashed if asked, and the slots go back to the source.
 */
#include "framemd5.h"
#include "tool.h"
#include "vcap.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <libavutil/mem.h>
#include <libavutil/md5.h>
#include <sched.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

struct vc_batch {
	bool submitted, done;
	int res;
	uint64_t offset;
	unsigned first, count;
};

/* What the policies learnt about the frame in a slot, for its capture-log line. */
struct vc_mark {
	uint64_t lost; /* frames lost just before it */
	uint64_t fill; /* of which to fill with repeats of the previous frame */
	uint32_t lost_fields;
	bool starved, tc_break;
	bool seq_fixed;       /* the device's sequence did not advance: */
	uint64_t device_seq;  /* what it said */
};

/* The last frame indexed: what a fill repeats. */
struct vc_last {
	bool valid;
	uint64_t offset;
	int64_t pts;
	uint64_t sequence;
	struct cap_frame f;
};

struct vc {
	const struct vc_conf *c; /* &own */
	struct vc_conf own;      /* the configuration, completed from what the source took */
	struct vc_stats *st;
	struct dio_slab *slab;
	struct dio_writer *dw;
	struct mov_writer *mw;
	struct mov_journal *jn;
	struct cap_source *src;
	struct cap_frame *meta;  /* per slot */
	struct vc_mark *mark;	 /* per slot */
	struct vc_batch *batch;  /* per group of c->batch slots */
	unsigned nslots, ngroups;
	unsigned fill;   /* next slot the source fills (ring order) */
	unsigned commit; /* next group to commit */
	unsigned held;   /* slots not queued at the source */
	unsigned group_first, pending; /* the open group: its first slot, frames in it */
	bool full;		       /* every slot was held since the last frame came */
	bool recording;		       /* past --start-timecode (or from the start without it) */
	uint64_t captured;
	uint64_t counted; /* samples the file will hold: captured + fills */
	uint64_t next_seq;
	uint64_t seq0;	 /* sequence at pts 0 */
	int64_t tc_prev; /* device timecode of the previous frame, in frames; -1: none */
	uint64_t tc_prev_seq;
	int64_t tc_start, tc_stop; /* --start/--stop-timecode in frames, -1: not given */
	int64_t tc_day;		   /* frames in 24 hours of labels */
	struct vc_last last;
	uint8_t (*md5)[16];
	uint64_t md5_cap;
	struct AVMD5 *hash;
	int sigfd;
	bool stop;
	bool disk_failed; /* a write failed: frames not yet written stay out */
	double t0;
};

static void fail(struct vc *v, const char *what, int err)
{
	if (!v->st->err) {
		v->st->err = err;
		v->st->err_what = what;
		v->st->stop_reason = "error";
	}
	v->stop = true;
}

static void check_signal(struct vc *v)
{
	int sig = tool_signal_taken(v->sigfd);

	if (sig) {
		v->stop = true;
		if (!v->st->stop_reason)
			v->st->stop_reason = sig == SIGINT ? "SIGINT" : "SIGTERM";
	}
}

static struct mov_params mov_params_of(const struct vc_conf *c, const struct cap_accepted *a)
{
	static const enum mov_field fiel[] = {
		[CAP_FIELD_NONE] = MOV_FIELD_PROGRESSIVE, [CAP_FIELD_INTERLACED_TB] = MOV_FIELD_TFF,
		[CAP_FIELD_INTERLACED_BT] = MOV_FIELD_BFF, [CAP_FIELD_SEQ_TB] = MOV_FIELD_SEP_TB,
		[CAP_FIELD_SEQ_BT] = MOV_FIELD_SEP_BT, [CAP_FIELD_ALTERNATE] = MOV_FIELD_SEP_TB,
	};
	enum mov_field field = fiel[a->field];

	/* ALTERNATE fields are stored one after the other in the order they were paired */
	if (a->field == CAP_FIELD_ALTERNATE && a->start_field == V4L2_FIELD_BOTTOM)
		field = MOV_FIELD_SEP_BT;
	return (struct mov_params){
		.format = a->format, .width = a->width, .height = a->height,
		.rate_num = a->rate_num, .rate_den = a->rate_den,
		.field = field, .colour = c->colour, .timecode = c->timecode,
	};
}

/* Room for one more md5 at index st->frames. */
static int md5_room(struct vc *v)
{
	if (v->st->frames == v->md5_cap) {
		uint64_t cap = v->md5_cap ? v->md5_cap * 2 : 4096;
		void *n = realloc(v->md5, cap * 16);

		if (!n)
			return -ENOMEM;
		v->md5 = n;
		v->md5_cap = cap;
	}
	return 0;
}

static int keep_md5(struct vc *v, const void *data, size_t size)
{
	int ret = md5_room(v);

	if (ret < 0)
		return ret;
	av_md5_init(v->hash);
	av_md5_update(v->hash, data, size);
	av_md5_final(v->hash, v->md5[v->st->frames]);
	return 0;
}

static unsigned fields_per_frame(const struct vc *v)
{
	return v->c->cap.field == CAP_FIELD_NONE ? 1 : 2;
}

static bool tc_valid(const struct vc *v, const char *tc)
{
	return tc[0] && mov_timecode_check(tc, v->c->cap.rate_num, v->c->cap.rate_den, NULL) == 0;
}

static int64_t tc_frames(const struct vc *v, const char *tc)
{
	int64_t n = -1;

	mov_timecode_frames(tc, v->c->cap.rate_num, v->c->cap.rate_den, &n);
	return n;
}

/* Start the MOV index; tc (may be NULL) starts the tmcd track. The header must fit before the
 * first frame, in the unit the disk writer kept for it. */
static int open_index(struct vc *v, const char *tc)
{
	struct mov_params p = mov_params_of(v->c, &v->st->acc);
	int ret;

	p.timecode = tc;
	ret = mov_writer_open(dio_writer_plain_fd(v->dw), &p, &v->mw);
	if (ret < 0)
		return ret;
	if (mov_writer_data_start(v->mw) > v->st->data_start)
		return -EOVERFLOW;
	snprintf(v->st->tmcd, sizeof(v->st->tmcd), "%s", tc ? tc : "");
	return 0;
}

/* The index opens with the first frame: without --timecode, the device's timecode of that
 * frame (if it sends one) starts the tmcd track. */
static int start_index(struct vc *v, const struct cap_frame *f)
{
	const char *tc = v->c->timecode;
	int ret;

	if (!tc && tc_valid(v, f->timecode)) {
		tc = f->timecode;
		ret = mov_journal_set_timecode(v->jn, tc, v->c->cap.rate_num, v->c->cap.rate_den);
		if (ret < 0)
			return ret;
	}
	return open_index(v, tc);
}

static void note_of(const struct vc *v, const struct vc_mark *m, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (m->lost)
		n += snprintf(buf + n, len - n, ",lost=%llu", (unsigned long long)m->lost);
	if (m->lost_fields && n < len)
		n += snprintf(buf + n, len - n, ",lost-fields=%u", m->lost_fields);
	if (m->starved && n < len)
		n += snprintf(buf + n, len - n, ",starved");
	if (m->tc_break && n < len)
		n += snprintf(buf + n, len - n, ",tc-break");
	if (m->seq_fixed && n < len)
		n += snprintf(buf + n, len - n, ",device-sequence=%llu",
			      (unsigned long long)m->device_seq);
	(void)v;
	if (buf[0])
		memmove(buf, buf + 1, strlen(buf));
}

/* Index the previous frame once more for the k-th lost frame after it (--fill-drops). */
static int commit_fill(struct vc *v, uint64_t k)
{
	const struct vc_last *l = &v->last;
	size_t size = dio_slab_frame_size(v->slab);
	uint64_t period = 1000000000ull * v->c->cap.rate_den / v->c->cap.rate_num;
	char tc[16] = "";
	int ret;

	if (v->hash) {
		ret = md5_room(v);
		if (ret < 0)
			return ret;
		memcpy(v->md5[v->st->frames], v->md5[v->st->frames - 1], 16);
	}
	ret = mov_writer_add(v->mw, l->offset, NULL, size, l->pts + k);
	if (ret < 0)
		return ret;
	if (tc_valid(v, l->f.timecode))
		mov_timecode_add(l->f.timecode, k, v->c->cap.rate_num, v->c->cap.rate_den, tc,
				 sizeof(tc));
	ret = mov_journal_append(
	    v->jn, &(struct mov_journal_frame){ .offset = l->offset,
						.size = size,
						.pts = l->pts + k,
						.sequence = l->sequence + k,
						.field = l->f.field,
						.flags = l->f.flags,
						.timestamp_ns = l->f.timestamp_ns + k * period,
						.timecode = tc[0] ? tc : NULL,
						.md5 = v->hash ? v->md5[v->st->frames] : NULL,
						.note = "fill" });
	if (ret < 0)
		return ret;
	v->st->frames++;
	v->st->fills++;
	v->st->fields += fields_per_frame(v);
	return 0;
}

/* Index and log one frame whose batch is on disk (after the fills standing in for the frames
 * lost before it). */
static int commit_frame(struct vc *v, unsigned slot, uint64_t offset)
{
	const struct cap_frame *f = &v->meta[slot];
	const struct vc_mark *m = &v->mark[slot];
	size_t size = dio_slab_frame_size(v->slab);
	const void *data = dio_slab_slot(v->slab, slot);
	int64_t pts = f->sequence - v->seq0; /* sequences count on through drops */
	char note[96];
	int ret = v->mw ? 0 : start_index(v, f);

	for (uint64_t k = 1; k <= m->fill && ret >= 0 && v->last.valid; k++)
		ret = commit_fill(v, k);
	if (ret >= 0 && v->hash)
		ret = keep_md5(v, data, size);
	if (ret < 0)
		return ret;
	ret = mov_writer_add(v->mw, offset, data, size, pts);
	if (ret < 0)
		return ret;
	note_of(v, m, note, sizeof(note));
	ret = mov_journal_append(
	    v->jn, &(struct mov_journal_frame){ .offset = offset,
						.size = size,
						.pts = pts,
						.sequence = f->sequence,
						.field = f->field,
						.flags = f->flags,
						.timestamp_ns = f->timestamp_ns,
						.timecode = f->timecode[0] ? f->timecode : NULL,
						.md5 = v->hash ? v->md5[v->st->frames] : NULL,
						.note = note });
	if (ret < 0)
		return ret;
	v->st->frames++;
	v->st->fields += fields_per_frame(v);
	v->st->bytes += size;
	v->last = (struct vc_last){
		.valid = true, .offset = offset, .pts = pts, .sequence = f->sequence, .f = *f
	};
	return 0;
}

static void commit_batch(struct vc *v, struct vc_batch *b)
{
	size_t slot = dio_slab_slot_size(v->slab);
	int ret = 0;

	if (b->res < 0) { /* its frames are lost; the file stays valid without them */
		v->disk_failed = true;
		fail(v, "writing", b->res);
		return;
	}
	for (unsigned k = 0; k < b->count && ret == 0; k++)
		ret = commit_frame(v, b->first + k, b->offset + k * slot);
	if (ret < 0)
		fail(v, "indexing", ret);
	else if ((ret = mov_journal_flush(v->jn)) < 0)
		fail(v, "writing the capture log", ret);
}

/* Commit completed batches in file order and give their slots back to the source. */
static void commit_ready(struct vc *v)
{
	while (v->batch[v->commit].done) {
		struct vc_batch *b = &v->batch[v->commit];

		commit_batch(v, b);
		for (unsigned k = 0; k < b->count && !v->stop; k++) {
			int ret = v->c->source->requeue(v->src, b->first + k);

			if (ret < 0)
				fail(v, "requeueing a buffer", ret);
		}
		v->held -= b->count;
		*b = (struct vc_batch){ 0 };
		v->commit = (v->commit + 1) % v->ngroups;
	}
}

static int reap(struct vc *v, unsigned min)
{
	struct dio_done d[16];
	int n = dio_writer_reap(v->dw, min, d, 16);

	if (n < 0) {
		v->disk_failed = true;
		fail(v, "waiting for the disk", n);
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct vc_batch *b = &v->batch[d[i].tag];

		b->done = true;
		b->res = d[i].res;
		if (d[i].lat_ns > v->st->max_lat_ns)
			v->st->max_lat_ns = d[i].lat_ns;
	}
	commit_ready(v);
	return n;
}

/* Write the open group: its frames from slot group_first on. */
static void submit(struct vc *v)
{
	unsigned group = v->group_first / v->c->batch, count = v->pending;
	struct vc_batch *b = &v->batch[group];
	int ret = dio_writer_submit(v->dw, v->group_first, count, group, &b->offset);

	v->pending = 0;
	if (ret < 0) {
		/* never queued: these frames are lost, everything before them is kept */
		v->disk_failed = true;
		fail(v, "writing", ret);
		v->held -= count;
		return;
	}
	b->submitted = true;
	b->first = v->group_first;
	b->count = count;
}

/* One line per gap on stderr, always: the live drop report. */
static void report_drop(struct vc *v, const struct vc_drop *d)
{
	char seq[64];

	if (d->count > 1)
		snprintf(seq, sizeof(seq), "sequence %llu-%llu", (unsigned long long)d->sequence,
			 (unsigned long long)(d->sequence + d->count - 1));
	else
		snprintf(seq, sizeof(seq), "sequence %llu", (unsigned long long)d->sequence);
	if (v->c->progress)
		fprintf(stderr, "\r\033[K");
	tool_note("vcap", "drop: %llu frame%s (%llu field%s) lost before frame %llu (%s)%s%s",
		  (unsigned long long)d->count, d->count == 1 ? "" : "s",
		  (unsigned long long)d->fields, d->fields == 1 ? "" : "s",
		  (unsigned long long)d->before_frame, seq,
		  d->starved ? "; buffers full: the disk is too slow" : "",
		  v->c->fill_drops && d->count ? "; filled with the frame before" : "");
}

/* Gaps in sequence and fields the source lost: counted, listed, reported, and the policy. */
static void account_drops(struct vc *v, const struct cap_frame *f, struct vc_mark *m)
{
	struct vc_stats *st = v->st;
	struct vc_drop d;
	uint64_t fields;

	m->lost = f->sequence > v->next_seq ? f->sequence - v->next_seq : 0;
	v->next_seq = f->sequence + 1;
	fields = m->lost * fields_per_frame(v);
	if (f->lost_fields > fields)
		fields = f->lost_fields;
	if (!m->lost && !fields)
		return;
	m->lost_fields = fields;
	m->starved = v->full;
	d = (struct vc_drop){ .before_frame = v->counted + m->fill,
			      .sequence = f->sequence - m->lost,
			      .count = m->lost,
			      .fields = fields,
			      .starved = m->starved };
	if (st->gaps < VC_LIST_MAX)
		st->drop[st->gaps] = d;
	st->gaps++;
	st->drops += m->lost;
	st->lost_fields += fields;
	report_drop(v, &d);
	if (v->c->on_drop == VC_DROP_STOP) {
		v->stop = true;
		v->st->stop_reason = "drop";
	}
}

static void account_flags(struct vc *v, const struct cap_frame *f, uint64_t index)
{
	if (!(f->flags & V4L2_BUF_FLAG_ERROR))
		return;
	if (v->st->flagged < VC_LIST_MAX)
		v->st->flagged_at[v->st->flagged] = index;
	v->st->flagged++;
	if (v->c->progress)
		fprintf(stderr, "\r\033[K");
	tool_note("vcap",
		  "frame %llu (sequence %llu) flagged V4L2_BUF_FLAG_ERROR: its data may be "
		  "corrupt; kept",
		  (unsigned long long)index, (unsigned long long)f->sequence);
}

/* Device timecode: first and last, and a break wherever it does not count on with sequence. */
static void account_timecode(struct vc *v, const struct cap_frame *f, struct vc_mark *m,
			     uint64_t index)
{
	int64_t tc, want;

	if (!tc_valid(v, f->timecode))
		return;
	tc = tc_frames(v, f->timecode);
	if (!v->st->tc_first[0])
		snprintf(v->st->tc_first, sizeof(v->st->tc_first), "%s", f->timecode);
	want = (v->tc_prev + (int64_t)(f->sequence - v->tc_prev_seq)) % v->tc_day;
	if (v->tc_prev >= 0 && tc != want) {
		m->tc_break = true;
		if (v->st->tc_breaks < VC_LIST_MAX)
			v->st->tc_break_at[v->st->tc_breaks] = index;
		v->st->tc_breaks++;
		if (v->c->progress)
			fprintf(stderr, "\r\033[K");
		tool_note("vcap", "timecode break before frame %llu: %s follows %s (sequence %llu)",
			  (unsigned long long)index, f->timecode, v->st->tc_last,
			  (unsigned long long)v->tc_prev_seq);
	}
	snprintf(v->st->tc_last, sizeof(v->st->tc_last), "%s", f->timecode);
	v->tc_prev = tc;
	v->tc_prev_seq = f->sequence;
}

/* How far past a timecode the frame is, in frames within the day; -1 without timecode. */
static int64_t tc_past(const struct vc *v, const struct cap_frame *f, int64_t mark)
{
	if (!tc_valid(v, f->timecode))
		return -1;
	return ((tc_frames(v, f->timecode) - mark) % v->tc_day + v->tc_day) % v->tc_day;
}

static unsigned fps_rounded(const struct vc *v)
{
	return (v->c->cap.rate_num + v->c->cap.rate_den / 2) / v->c->cap.rate_den;
}

/* Before --start-timecode: true once f is the start frame (or the first one within a second
 * after it, if the start frame itself was lost); other frames go straight back. */
static bool preroll_done(struct vc *v, const struct cap_frame *f)
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
		fail(v, "requeueing a buffer", ret);
	v->fill = (v->fill + 1) % v->nslots;
	return false;
}

/* Whether f belongs in the recording; false (and stop) when it lies past the end. */
static bool admit(struct vc *v, const struct cap_frame *f)
{
	const struct vc_conf *c = v->c;
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
static void check_timecode_wait(struct vc *v, const struct cap_frame *f)
{
	if (!v->c->start_tc && !v->c->stop_tc)
		return;
	if ((f && tc_valid(v, f->timecode)) || v->tc_prev >= 0)
		return;
	if (tool_now_s() - v->t0 > 5 && !v->st->err) {
		fail(v,
		     "waiting for the device timecode (--start-timecode and --stop-timecode "
		     "need a source that sends one)",
		     -ENODATA);
	}
}

/* Plan the fills for the gap before f: -n counts samples, so the last gap is filled only up
 * to the count, leaving room for f itself. */
static uint64_t plan_fills(const struct vc *v, const struct cap_frame *f)
{
	const struct vc_conf *c = v->c;
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
static bool fix_order(struct vc *v, struct cap_frame *f)
{
	uint64_t dev = f->sequence;

	if (!v->captured || f->sequence >= v->next_seq)
		return false;
	f->sequence = v->next_seq;
	if (v->c->progress)
		fprintf(stderr, "\r\033[K");
	tool_note("vcap", "the device numbered frame %llu sequence %llu again: counted as %llu",
		  (unsigned long long)v->counted, (unsigned long long)dev,
		  (unsigned long long)f->sequence);
	return true;
}

/* Take one frame from the source: 1 if one came, 0 if none was ready. */
static int take_frame(struct vc *v)
{
	struct cap_frame f;
	struct vc_mark *m;
	uint64_t device_seq;
	bool fixed;
	int ret = v->c->source->dequeue(v->src, 100, &f);

	if (ret == -EAGAIN) {
		check_timecode_wait(v, NULL);
		return 0;
	}
	if (ret < 0) {
		fail(v, "the source", ret); /* e.g. a fatal streaming error: -EIO */
		return ret;
	}
	if (f.slot != v->fill) { /* the ring depends on in-order delivery */
		fail(v, "capturing", -EPROTO);
		return -EPROTO;
	}
	check_timecode_wait(v, &f);
	device_seq = f.sequence;
	fixed = v->recording && fix_order(v, &f);
	if ((!v->recording && !preroll_done(v, &f)) || !admit(v, &f))
		return 1;
	m = &v->mark[f.slot];
	*m = (struct vc_mark){ .fill = plan_fills(v, &f), .seq_fixed = fixed,
			       .device_seq = device_seq };
	account_drops(v, &f, m);
	account_timecode(v, &f, m, v->counted + m->fill);
	account_flags(v, &f, v->counted + m->fill);
	v->full = false;
	v->meta[f.slot] = f;
	v->held++;
	v->captured++;
	v->counted += m->fill + 1;
	if (v->held == v->nslots)
		v->full = true;
	if (v->held > v->st->max_fill * v->nslots)
		v->st->max_fill = (double)v->held / v->nslots;
	if (v->c->by_duration && f.sequence - v->seq0 + 1 >= v->c->frames) {
		v->stop = true;
		v->st->stop_reason = "duration";
	}
	v->fill = (v->fill + 1) % v->nslots;
	if (!v->pending++)
		v->group_first = f.slot;
	if (v->captured == 1)
		v->commit = f.slot / v->c->batch;
	if ((f.slot + 1) % v->c->batch == 0) /* the slot closes its group: one write for all */
		submit(v);
	return 1;
}

static void record(struct vc *v)
{
	const struct vc_conf *c = v->c;
	double shown = 0;

	while (!v->stop) {
		check_signal(v);
		if (v->stop || (c->frames && !c->by_duration && v->counted >= c->frames))
			break;
		reap(v, 0);
		if (take_frame(v) == 0 && v->held == v->nslots) {
			v->full = true;
			reap(v, 1); /* every slot is ours: only the disk can free one */
		}
		if (c->progress && tool_now_s() - shown >= 0.5) {
			shown = tool_now_s();
			v->st->seconds = shown - v->t0;
			vc_progress(c, v->st, v->held, false);
		}
	}
	if (!v->st->stop_reason)
		v->st->stop_reason = c->fields ? "fields" : c->by_duration ? "duration" : "frames";
	if (v->pending && !v->disk_failed) /* the last, partial batch: good frames, even after
					    * a device error */
		submit(v);
	while (dio_writer_inflight(v->dw) && reap(v, 1) >= 0)
		;
	reap(v, 0);
}

static int open_memory(struct vc *v)
{
	const struct vc_conf *c = v->c;
	int ret;

	v->ngroups = v->nslots / c->batch;
	ret = dio_slab_new(v->st->acc.frame_bytes, v->nslots, v->st->geom.align, &v->slab);
	if (ret < 0)
		return ret;
	v->meta = calloc(v->nslots, sizeof(*v->meta));
	v->batch = calloc(v->ngroups, sizeof(*v->batch));
	if (!v->meta || !v->batch)
		return -ENOMEM;
	if (c->md5_path && !(v->hash = av_md5_alloc()))
		return -ENOMEM;
	v->st->slot_bytes = dio_slab_slot_size(v->slab);
	v->st->nslots = v->nslots;
	return 0;
}

/* Create the file, start the index and the journal. Says what failed. */
static int open_outputs(struct vc *v)
{
	const struct vc_conf *c = v->c;
	struct mov_params p = mov_params_of(c, &v->st->acc);
	struct dio_opts o = { .depth = c->depth, .data_start = 1, .force = c->force,
			      .expected_bytes = c->frames * v->st->slot_bytes };
	int ret;

	ret = dio_writer_open(c->out, &v->st->geom, v->slab, &o, &v->dw);
	if (ret < 0) {
		tool_err("vcap", ret, ret == -EEXIST ? "use --force to replace it" : NULL,
			 "creating %s", c->out);
		return ret;
	}
	v->st->mode = dio_writer_mode(v->dw);
	snprintf(v->st->mode_why, sizeof(v->st->mode_why), "%s", dio_writer_mode_why(v->dw));
	v->st->data_start = dio_writer_end(v->dw);
	/* without --timecode the index waits for the first frame and its device timecode */
	ret = c->timecode ? open_index(v, c->timecode) : 0;
	if (ret < 0) {
		tool_err("vcap", ret, ret == -EOVERFLOW ? "use a larger --align" : NULL,
			 "starting the MOV index of %s", c->out);
		return ret;
	}
	ret = mov_journal_path(c->out, v->st->journal, sizeof(v->st->journal));
	if (ret >= 0)
		ret = mov_journal_open(v->st->journal, &p, v->st->data_start, c->force, &v->jn);
	if (ret < 0)
		tool_err("vcap", ret, ret == -EEXIST ? "use --force to replace it" : NULL,
			 "creating the capture log %s", v->st->journal);
	return ret;
}

/* Open the source and negotiate: before anything is created, so a refusal leaves nothing. */
static int open_source(struct vc *v)
{
	const struct cap_source_ops *ops = v->c->source;
	struct cap_why why = { "", "" };
	int ret;

	ret = ops->open(&v->c->cap, &why, &v->src);
	if (ret < 0) {
		if (why.what[0])
			tool_err("vcap", ret == -EINVAL ? 0 : ret, why.hint, "%s", why.what);
		else
		tool_err("vcap", ret, NULL, "opening the %s source", ops->name);
		return ret;
	}
	ops->describe(v->src, &v->st->acc);
	return 0;
}

/* Hand the slab to the source (before the file is created: a refused --zero-copy leaves
 * nothing behind). */
static int start_source_buffers(struct vc *v)
{
	const struct cap_source_ops *ops = v->c->source;
	struct cap_why why = { "", "" };
	int ret;

	ret = ops->attach(v->src, v->slab, &why);
	if (ret < 0) {
		if (why.what[0])
			tool_err("vcap", ret, why.hint, "%s", why.what);
		else
			tool_err("vcap", ret, NULL, "setting up the %s source's buffers", ops->name);
		return ret;
	}
	ops->describe(v->src, &v->st->acc);
	if (!v->c->quiet && v->st->acc.mode != CAP_BUF_IN_PLACE)
		tool_note("vcap", "buffers: %s, %u driver buffers for %u slots%s%s",
			  cap_buf_mode_name(v->st->acc.mode), v->st->acc.device_buffers, v->nslots,
			  v->st->acc.mode_why[0] ? ": " : "", v->st->acc.mode_why);
	return 0;
}

/* Give the source every slot and start it. */
static int start_streaming(struct vc *v)
{
	const struct cap_source_ops *ops = v->c->source;
	int ret = 0;

	for (unsigned i = 0; i < v->nslots && ret >= 0; i++)
		ret = ops->requeue(v->src, i);
	if (ret >= 0)
		ret = ops->start(v->src);
	if (ret < 0)
		tool_err("vcap", ret, NULL, "starting the %s source", ops->name);
	return ret;
}

/* What the device took, for the log: the file records the same values. */
static void say_accepted(const struct vc *v)
{
	const struct cap_accepted *a = &v->st->acc;

	if (v->c->quiet || v->c->source != cap_source_find("v4l2"))
		return;
	tool_note("vcap", "%s (%s): input %s%s%s, %s %ux%u %s at %u/%u fps, %u-byte lines",
		  a->device, a->card, a->input, a->std[0] ? ", " : "", a->std,
		  mov_format_name(a->format), a->width, a->height, cap_field_name(a->field),
		  a->rate_num, a->rate_den, a->bytesperline);
}

/* Slots: --buffers, else depth + 1 batches in flight plus half a second of frames (the
 * latency a slow write may take before frames are lost), in whole batches. */
static unsigned slot_count(const struct vc_conf *c, const struct cap_accepted *a)
{
	uint64_t n = c->buffers;

	if (!n)
		n = (uint64_t)c->batch * (c->depth + 1) +
		    (a->rate_num * (uint64_t)1 + 2 * a->rate_den - 1) / (2 * a->rate_den);
	n = dio_align_up(n, c->batch);
	if (n < 2 * (uint64_t)c->batch)
		n = 2 * (uint64_t)c->batch;
	return n > 65536 ? 65536 : (unsigned)n;
}

/* Bit 14 (CAP_IPC_LOCK) of the effective capabilities: mlock beyond the limit is allowed. */
static bool may_lock_any(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ull << 14);
}

/* The slab is locked in memory (mlock, io_uring registration): check the limit up front. */
static int check_memlock(const struct vc *v)
{
	uint64_t slot = dio_align_up(v->st->acc.frame_bytes,
				     v->st->geom.align > DIO_PAGE ? v->st->geom.align : DIO_PAGE);
	uint64_t need = slot * (v->nslots + 1);
	struct rlimit rl;
	char n[32], l[32];

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur || may_lock_any())
		return 0;
	tool_human_bytes(need, n, sizeof(n));
	tool_human_bytes(rl.rlim_cur, l, sizeof(l));
	tool_err("vcap", 0, NULL,
		 "%u frame buffers need %s of locked memory, RLIMIT_MEMLOCK allows %s (raise it: "
		 "'ulimit -l %llu' (KiB) as root or in limits.conf, LimitMEMLOCK= for a service; "
		 "or lower --buffers)", v->nslots, n, l, (unsigned long long)(need + 1023) / 1024);
	return -ENOMEM;
}

/* For the V4L2 source: what only the device's answer allows checking. */
static int check_accepted(const struct vc *v)
{
	const struct cap_accepted *a = &v->st->acc;
	const char *why;

	if (v->c->timecode &&
	    mov_timecode_check(v->c->timecode, a->rate_num, a->rate_den, &why) < 0) {
		tool_err("vcap", 0, "e.g. 01:00:00:00, or 01:00:00;00 for drop-frame at 29.97",
			 "invalid --timecode '%s' at %u/%u fps: %s", v->c->timecode, a->rate_num,
			 a->rate_den, why);
		return -EINVAL;
	}
	return 0;
}

static int setup(struct vc *v)
{
	const struct vc_conf *c = v->c;
	int ret;

	if (!c->force && access(c->out, F_OK) == 0) {
		tool_err("vcap", EEXIST, "use --force to replace it, or another name", "%s", c->out);
		return -EEXIST;
	}
	ret = open_source(v);
	if (ret < 0)
		return ret;
	say_accepted(v);
	if (c->seconds > 0 && v->st->acc.rate_num) { /* -t in frames at the device's rate */
		double n = ceil(c->seconds * v->st->acc.rate_num / v->st->acc.rate_den - 1e-9);

		v->own.frames = n < 1 ? 1 : (uint64_t)n;
	}
	ret = check_accepted(v);
	if (ret < 0)
		return ret;
	ret = dio_geom_probe(c->out, "/sys", c->align, &v->st->geom);
	if (ret < 0) {
		tool_err("vcap", ret, ret == -ENOENT ? "the directory must exist" : NULL,
			 "probing the disk under %s", c->out);
		return ret;
	}
	v->nslots = slot_count(c, &v->st->acc);
	ret = check_memlock(v);
	if (ret < 0)
		return ret;
	ret = open_memory(v);
	if (ret < 0) {
		tool_err("vcap", ret, "lower --buffers, or raise 'ulimit -l'",
			 "allocating %u frame buffers", v->nslots);
		return ret;
	}
	ret = start_source_buffers(v);
	if (ret < 0)
		return ret;
	ret = open_outputs(v);
	if (ret >= 0 && (v->sigfd = tool_signals_open()) < 0)
		ret = v->sigfd;
	if (ret >= 0)
		ret = start_streaming(v);
	return ret;
}

/* Index after the last batch, cut the file to size, make it durable, close the log. */
static void finish(struct vc *v)
{
	struct vc_stats *st = v->st;
	uint64_t size = 0;
	int ret = v->mw ? 0 : open_index(v, v->c->timecode); /* no frame came */

	if (ret >= 0)
		ret = mov_writer_finish(v->mw, dio_writer_end(v->dw), &size);
	if (ret < 0) {
		fail(v, "writing the MOV index (the capture log keeps it recoverable)", ret);
		size = 0; /* keep everything: 'vmov recover' rebuilds the index */
	}
	ret = dio_writer_finish(v->dw, size);
	if (ret < 0 && !st->err)
		fail(v, "flushing the file", ret);
	st->file_size = size ? size : dio_writer_end(v->dw);
	if (size) {
		ret = mov_journal_close(v->jn, st->frames, size);
		v->jn = NULL;
		if (ret < 0)
			fail(v, "closing the capture log", ret);
	}
	if (size && v->c->md5_path) {
		ret = tool_framemd5_write(v->c->md5_path, v->c->out, (const uint8_t(*)[16])v->md5,
					  st->frames, v->c->force);
		if (ret < 0)
			fail(v, "writing the md5 sidecar", ret);
	}
}

static void cleanup(struct vc *v, bool remove_outputs)
{
	if (v->src)
		v->c->source->close(v->src);
	mov_journal_free(v->jn);
	mov_writer_free(v->mw);
	dio_writer_free(v->dw);
	if (remove_outputs && v->dw)
		unlink(v->c->out);
	if (remove_outputs && v->jn)
		unlink(v->st->journal);
	dio_slab_free(v->slab);
	av_free(v->hash);
	free(v->md5);
	free(v->meta);
	free(v->mark);
	free(v->batch);
	if (v->sigfd >= 0)
		close(v->sigfd);
}

/* The policies' state: per-slot marks, timecode bounds. */
static int open_policies(struct vc *v)
{
	const struct vc_conf *c = v->c;
	const struct cap_accepted *a = &v->st->acc;
	unsigned fps;

	/* the policies count in the rate and field mode the source took */
	if (a->rate_num && a->rate_den) {
		v->own.cap.rate_num = a->rate_num;
		v->own.cap.rate_den = a->rate_den;
	}
	v->own.cap.field = a->field;
	if (c->policies_deferred && vc_check_policies(&v->own) < 0)
		return -EINVAL;
	if (!c->cap.rate_num || !c->cap.rate_den) {
		if (c->start_tc || c->stop_tc || c->fields || c->duration_tc) {
			tool_err("vcap", 0, "give --rate", "the %s source does not say its frame rate",
				 c->source->name);
			return -EINVAL;
		}
		v->own.cap.rate_num = 25, v->own.cap.rate_den = 1; /* only labels timecode */
	}
	fps = fps_rounded(v);

	v->mark = calloc(v->nslots, sizeof(*v->mark));
	if (!v->mark) {
		tool_err("vcap", ENOMEM, NULL, "allocating the capture state");
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

/* --realtime: SCHED_FIFO and locked memory, each when permitted; says what it got. */
static void go_realtime(struct vc *v)
{
	struct sched_param sp = { .sched_priority = sched_get_priority_min(SCHED_FIFO) + 40 };
	int fifo = 0, lock = 0;

	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		fifo = -errno;
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		lock = -errno;
	v->st->rt_fifo = !fifo;
	v->st->rt_locked = !lock;
	if (fifo)
		tool_err("vcap", fifo, "run as root, or raise 'ulimit -r'; recording anyway",
			 "--realtime: SCHED_FIFO");
	if (lock)
		tool_err("vcap", lock, "raise 'ulimit -l'; recording anyway",
			 "--realtime: locking memory");
	if (!fifo && !lock && !v->c->quiet)
		tool_note("vcap", "realtime: SCHED_FIFO priority %d, memory locked",
			  sp.sched_priority);
}

/* Nothing recorded because the device never sent the timecode asked for: a setup failure. */
static bool nothing_recorded(const struct vc *v)
{
	return v->st->err == -ENODATA && !v->st->frames && (v->c->start_tc || v->c->stop_tc);
}

int vc_run(const struct vc_conf *c, struct vc_stats *st)
{
	struct vc v = { .own = *c, .st = st, .sigfd = -1 };
	int ret;

	v.c = &v.own;
	c = v.c;

	ret = setup(&v);
	if (ret >= 0)
		ret = open_policies(&v); /* says what failed */
	if (ret < 0) {
		cleanup(&v, true); /* nothing was recorded: leave nothing behind */
		return ret;
	}
	if (c->realtime)
		go_realtime(&v);
	v.t0 = tool_now_s();
	record(&v);
	c->source->stop(v.src);
	if (nothing_recorded(&v)) {
		tool_err("vcap", st->err, "check the device sends timecode (v4l2-ctl --all)",
			 "no timecode from the %s source within 5 s", c->source->name);
		cleanup(&v, true);
		return st->err;
	}
	c->source->stats(v.src, &st->src);
	finish(&v);
	st->seconds = tool_now_s() - v.t0;
	if (c->progress)
		vc_progress(c, st, 0, true);
	cleanup(&v, false);
	return 0;
}
