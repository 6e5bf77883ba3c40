/* The recording session's loop.
 *
 * Slots go round a ring in batches: the source fills V consecutive slots, one O_DIRECT write
 * puts them on disk, and once that write has completed (batches are committed in file order
 * even though completions arrive out of order) the frames are indexed, logged in the journal,
 * hashed if asked, and the slots go back to the source.
 *
 * What comes before the loop is in record-setup.c; what each frame means for the recording
 * (drops, fills, flags, timecode, where it starts and stops) in record-policy.c.
 */

#include "preview-internal.h"
#include "record-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <libavutil/mem.h>
#include <libavutil/md5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cap_rec_fail(struct cap_record *v, const char *what, int err)
{
	if (!v->st->err) {
		v->st->err = err;
		v->st->err_what = what;
		v->st->stop_reason = "error";
	}
	v->stop = true;
}

static void emit(const struct cap_record *v, struct cap_event ev, const char *fmt, va_list ap)
{
	char text[1024];

	if (!v->fn)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	ev.text = text;
	ev.err = ev.err > 0 ? -ev.err : ev.err; /* -errno, whichever sign a caller used */
	v->fn(v->user, &ev);
}

void cap_rec_emit(const struct cap_record *v, struct cap_event ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(v, ev, fmt, ap);
	va_end(ap);
}

void cap_rec_error(const struct cap_record *v, int err, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(v, (struct cap_event){ .kind = CAP_EVENT_ERROR, .err = err, .hint = hint }, fmt, ap);
	va_end(ap);
}

double cap_rec_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t cap_rec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Room for one more md5 at index st->frames. */
static int md5_room(struct cap_record *v)
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

static int keep_md5(struct cap_record *v, const void *data, size_t size)
{
	int ret = md5_room(v);

	if (ret < 0)
		return ret;
	av_md5_init(v->hash);
	av_md5_update(v->hash, data, size);
	av_md5_final(v->hash, v->md5[v->st->frames]);
	return 0;
}

/* The index opens with the first frame: without --timecode, the device's timecode of that
 * frame (if it sends one) starts the tmcd track. */
static int start_index(struct cap_record *v, const struct cap_frame *f)
{
	const char *tc = v->c->timecode;
	int ret;

	if (!tc && cap_rec_tc_valid(v, f->timecode)) {
		tc = f->timecode;
		ret = mov_journal_set_timecode(v->jn, tc, v->c->cap.rate_num, v->c->cap.rate_den);
		if (ret < 0)
			return ret;
	}
	return cap_rec_open_index(v, tc);
}

static void note_of(const struct cap_record *v, const struct rec_mark *m, char *buf, size_t len)
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
static int commit_fill(struct cap_record *v, uint64_t k)
{
	const struct rec_last *l = &v->last;
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
	if (cap_rec_tc_valid(v, l->f.timecode))
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
	v->st->fields += cap_rec_fields_per_frame(v);
	return 0;
}

/* Index and log one frame whose batch is on disk (after the fills standing in for the frames
 * lost before it). */
static int commit_frame(struct cap_record *v, unsigned slot, uint64_t offset)
{
	const struct cap_frame *f = &v->meta[slot];
	const struct rec_mark *m = &v->mark[slot];
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
	v->st->fields += cap_rec_fields_per_frame(v);
	v->st->bytes += size;
	v->last = (struct rec_last){
		.valid = true, .offset = offset, .pts = pts, .sequence = f->sequence, .f = *f
	};
	return 0;
}

static void commit_batch(struct cap_record *v, struct rec_batch *b)
{
	size_t slot = dio_slab_slot_size(v->slab);
	int ret = 0;

	if (b->res < 0) { /* its frames are lost; the file stays valid without them */
		v->disk_failed = true;
		cap_rec_fail(v, "writing", b->res);
		return;
	}
	for (unsigned k = 0; k < b->count && ret == 0; k++)
		ret = commit_frame(v, b->first + k, b->offset + k * slot);
	if (ret == 0)
		ret = cap_rec_audio_commit(v, b, b - v->batch);
	if (ret == 0) /* for the capture report: how the disk kept up */
		ret = mov_journal_append_batch(
		    v->jn, &(struct mov_journal_batch){ .latency_ns = b->lat_ns,
							.held = b->held,
							.slots = v->nslots,
							.done_ns = b->done_ns,
							.drift_known = v->st->audio.drift_known,
							.drift_ppm = v->st->audio.drift_ppm });
	if (ret < 0)
		cap_rec_fail(v, "indexing", ret);
	else if ((ret = mov_journal_flush(v->jn)) < 0)
		cap_rec_fail(v, "writing the capture log", ret);
}

/* Give committed slots back to the source, in ring order, up to one the preview is still
 * copying from (never waited for here: the rest follow at a later step). wait: every slot
 * is held and no write is in flight, so nothing else can happen until the copy ends. */
static void give_back(struct cap_record *v, bool wait)
{
	while (v->to_give) {
		unsigned slot = v->give_next;
		int ret;

		if (!v->stop) {
			if (wait)
				cap_preview_release(v->pv, slot);
			else if (cap_preview_busy(v->pv, slot))
				return;
			ret = v->c->source->requeue(v->src, slot);
			if (ret < 0)
				cap_rec_fail(v, "requeueing a buffer", ret);
		}
		v->give_next = (slot + 1) % v->nslots;
		v->to_give--;
		v->held--;
	}
}

/* Commit completed batches in file order and give their slots back to the source. */
static void commit_ready(struct cap_record *v)
{
	while (v->batch[v->commit].done) {
		struct rec_batch *b = &v->batch[v->commit];

		commit_batch(v, b);
		v->to_give += b->count;
		*b = (struct rec_batch){ 0 };
		v->commit = (v->commit + 1) % v->ngroups;
	}
	give_back(v, false);
}

static void submit_ready(struct cap_record *v);

/* Take completed writes (at least min, waiting for them), commit those in order, and queue
 * the writes that were waiting for room. */
static int reap(struct cap_record *v, unsigned min)
{
	struct dio_done d[16];
	int n = dio_writer_reap(v->dw, min, d, 16);

	if (n < 0) {
		v->disk_failed = true;
		cap_rec_fail(v, "waiting for the disk", n);
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct rec_batch *b;

		if (cap_rec_sync_done(v, &d[i]))
			continue;
		b = &v->batch[d[i].tag];
		b->done = true;
		b->res = d[i].res;
		b->lat_ns = d[i].lat_ns;
		b->done_ns = cap_rec_now_ns();
		if (d[i].lat_ns > v->st->max_lat_ns)
			v->st->max_lat_ns = d[i].lat_ns;
	}
	commit_ready(v);
	submit_ready(v);
	return n;
}

/* Queue the write of closed group b (its chunk of sound after its frames). */
static void submit_batch(struct cap_record *v, struct rec_batch *b, unsigned group)
{
	int ret = dio_writer_submit_tail(v->dw, b->first, b->count, b->a_tail, b->a_bytes, group,
					 &b->offset);

	b->ready = false;
	if (ret < 0) {
		/* never queued: these frames are lost, everything before them is kept */
		v->disk_failed = true;
		cap_rec_fail(v, "writing", ret);
		v->held -= b->count;
		return;
	}
	b->submitted = true;
	b->held = v->held;
}

/* Queue the closed groups' writes in file order, while the writer has room: the loop never
 * waits for the disk to take a write (a closed group keeps its slots until it can go; only
 * the slots bound how far the disk may fall behind, as on a device's queue). */
static void submit_ready(struct cap_record *v)
{
	while (!v->disk_failed && v->batch[v->next_submit].ready && !dio_writer_busy(v->dw)) {
		submit_batch(v, &v->batch[v->next_submit], v->next_submit);
		v->next_submit = (v->next_submit + 1) % v->ngroups;
	}
}

/* Close the open group: its frames from slot group_first on (last: the recording's last).
 * Its chunk of sound is taken now, when its frames are, however long the write then waits
 * for room: the sound source's ring need only cover a batch, not the buffers. */
static void close_group(struct cap_record *v, bool last)
{
	unsigned group = v->group_first / v->c->batch;
	struct rec_batch *b = &v->batch[group];
	const struct cap_frame *lastf = &v->meta[v->group_first + v->pending - 1];

	cap_rec_audio_fill(v, b, group, lastf->sequence - v->seq0, last, &b->a_tail);
	b->ready = true;
	b->first = v->group_first;
	b->count = v->pending;
	v->pending = 0;
	submit_ready(v);
}

/* The frame in slot to the preview, if it is free to take it; its failure said once (the
 * recording goes on without it). */
static void offer_preview(struct cap_record *v, unsigned slot)
{
	struct cap_record_preview *p = &v->st->preview;

	if (!v->pv)
		return;
	cap_preview_offer(v->pv, slot, dio_slab_slot(v->slab, slot));
	cap_preview_stats(v->pv, p);
	if (p->err && !v->pv_warned) {
		v->pv_warned = true;
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_WARNING, .err = p->err,
						    .hint = "recording on without it" },
			     "the preview (%s) stopped after %" PRIu64 " frames", v->c->preview,
			     p->shown);
	}
}

/* Take one frame from the source: 1 if one came, 0 if none was ready. */
static int take_frame(struct cap_record *v)
{
	struct cap_frame f;
	struct rec_mark *m;
	uint64_t device_seq;
	bool fixed;
	int ret = v->c->source->dequeue(v->src, 100, &f);

	if (ret == -EAGAIN) {
		cap_rec_check_timecode_wait(v, NULL);
		return 0;
	}
	if (ret < 0) {
		/* -EIO: e.g. a fatal streaming error; -ENODEV: the device went away */
		cap_rec_fail(v, ret == -ENODEV ? "losing the capture device" : "the source", ret);
		return ret;
	}
	if (f.slot != v->fill) { /* the ring depends on in-order delivery */
		cap_rec_fail(v, "capturing", -EPROTO);
		return -EPROTO;
	}
	cap_rec_check_timecode_wait(v, &f);
	device_seq = f.sequence;
	fixed = v->recording && cap_rec_fix_order(v, &f);
	/* The file starts at its first frame (pts 0): frames the device lost before it are a
	 * drop before frame 0, not an empty edit whose length the movie timescale rounds. */
	if (v->recording && !v->captured)
		v->seq0 = f.sequence;
	if ((!v->recording && !cap_rec_preroll_done(v, &f)) || !cap_rec_admit(v, &f))
		return 1;
	if (!v->captured)
		cap_rec_audio_align(v, &f); /* frame 0's time is sample 0's */
	cap_rec_audio_step(v, &f);
	m = &v->mark[f.slot];
	*m = (struct rec_mark){ .fill = cap_rec_plan_fills(v, &f),
				.seq_fixed = fixed,
				.device_seq = device_seq };
	cap_rec_account_drops(v, &f, m);
	cap_rec_account_timecode(v, &f, m, v->counted + m->fill);
	cap_rec_account_flags(v, &f, v->counted + m->fill);
	v->full = false;
	v->meta[f.slot] = f;
	offer_preview(v, f.slot);
	v->held++;
	v->captured++;
	v->counted += m->fill + 1;
	/* one slot left at the source: the next frame takes it, and a frame after that finds
	 * none until a write completes, even if the loop is held up elsewhere meanwhile (the
	 * capture log's write on a disk that slow) and frees slots before it takes the next */
	if (v->held + 1 >= v->nslots)
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
	if (v->captured == 1) {
		v->commit = v->next_submit = f.slot / v->c->batch;
		v->give_next = f.slot;
	}
	if ((f.slot + 1) % v->c->batch == 0) /* the slot closes its group: one write for all */
		close_group(v, false);
	return 1;
}

/* Once stopped: the last, partial batch (good frames, even after a device error) goes out
 * and every write completes. */
static void drain(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;

	if (!v->st->stop_reason)
		v->st->stop_reason = c->fields ? "fields" : c->by_duration ? "duration" : "frames";
	if (v->pending && !v->disk_failed)
		close_group(v, true);
	for (;;) { /* the groups still waiting for room go out as earlier writes complete */
		submit_ready(v);
		if (!dio_writer_inflight(v->dw) || reap(v, 1) < 0)
			break;
	}
	reap(v, 0);
	if (!v->disk_failed)
		cap_rec_audio_finish(v);
}

int cap_record_step(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;

	if (v->finished)
		return 0;
	if (v->stop || (c->frames && !c->by_duration && v->counted >= c->frames))
		return 0;
	reap(v, 0);
	give_back(v, false);
	cap_rec_sync_step(v);
	cap_rec_audio_step(v, NULL); /* drains the audio device until frame 0 aligns it */
	if (take_frame(v) == 0 && v->held == v->nslots) {
		v->full = true;
		if (dio_writer_inflight(v->dw))
			reap(v, 1); /* every slot is ours: only the disk can free one */
		else
			give_back(v, true); /* or the preview's copy of the next to go back */
	}
	v->st->held = v->held;
	v->st->seconds = cap_rec_now_s() - v->t0;
	return 1;
}

int cap_record_run(struct cap_record *v)
{
	while (cap_record_step(v) > 0)
		;
	return 0;
}

void cap_record_stop(struct cap_record *v, const char *reason)
{
	v->stop = true;
	if (!v->st->stop_reason)
		v->st->stop_reason = reason;
}

const struct cap_record_stats *cap_record_stats(const struct cap_record *v)
{
	if (v->pv)
		cap_preview_stats(v->pv, &v->st->preview);
	return v->st;
}

/* Index after the last batch, cut the file to size, make it durable, close the log. */
static void finish(struct cap_record *v)
{
	struct cap_record_stats *st = v->st;
	uint64_t size = 0;
	bool synced;
	int ret = v->mw ? 0 : cap_rec_open_index(v, v->c->timecode); /* no frame came */

	if (ret >= 0)
		ret = mov_writer_finish(v->mw, dio_writer_end(v->dw), &size);
	if (ret < 0) {
		cap_rec_fail(v, "writing the MOV index (the capture log keeps it recoverable)",
			     ret);
		size = 0; /* keep everything: 'vmov recover' rebuilds the index */
	}
	ret = dio_writer_finish(v->dw, size);
	synced = ret >= 0;
	if (ret < 0 && !st->err)
		cap_rec_fail(v, "flushing the file", ret);
	st->file_size = size ? size : dio_writer_end(v->dw);
	if (size) {
		ret = mov_journal_close(v->jn, st->frames, size);
		v->jn = NULL;
		if (ret < 0)
			cap_rec_fail(v, "closing the capture log", ret);
		else if (synced) /* the file, then its log with the end line */
			cap_rec_sync_final(v);
	}
	ret = 0;
	if (size && v->md5_fd >= 0) {
		ret = mov_framemd5_write_fd(v->md5_fd, v->c->out, (const uint8_t(*)[16])v->md5,
					    st->frames);
		if (ret < 0)
			cap_rec_fail(v, "writing the md5 sidecar", ret);
	}
	/* not written, or not whole: no sidecar that disagrees with the file is left (the
	 * log keeps the md5s; vmov recover writes it from them) */
	if ((!size || ret < 0) && v->md5_created) {
		unlink(v->c->md5_path);
		v->md5_created = false;
	}
}

static void cleanup(struct cap_record *v, bool remove_outputs)
{
	cap_preview_close(v->pv, v->pv ? &v->st->preview : NULL); /* before its slab goes */
	v->pv = NULL;
	cap_rec_audio_close(v);
	if (v->src)
		v->c->source->close(v->src);
	mov_journal_free(v->jn);
	mov_writer_free(v->mw);
	dio_writer_free(v->dw);
	if (remove_outputs && v->dw)
		unlink(v->c->out);
	if (remove_outputs && v->jn)
		unlink(v->st->journal);
	if (v->md5_fd >= 0)
		close(v->md5_fd);
	if (remove_outputs && v->md5_created)
		unlink(v->c->md5_path);
	dio_slab_free(v->slab);
	mov_lock_free(v->lock); /* after the unlink: no other recording starts on it before */
	av_free(v->hash);
	free(v->md5);
	free(v->meta);
	free(v->mark);
	free(v->batch);
	v->src = NULL, v->jn = NULL, v->mw = NULL, v->dw = NULL, v->slab = NULL, v->lock = NULL;
	v->hash = NULL, v->md5 = NULL, v->meta = NULL, v->mark = NULL, v->batch = NULL;
	v->md5_fd = -1;
	v->md5_created = false;
}

/* Nothing recorded because the device never sent the timecode asked for: a setup failure. */
static bool nothing_recorded(const struct cap_record *v)
{
	return v->st->err == -ENODATA && !v->st->frames && (v->c->start_tc || v->c->stop_tc);
}

int cap_record_open(const struct cap_record_config *c, cap_event_fn fn, void *user,
		    struct cap_record **ret_rec)
{
	struct cap_record *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->own = *c;
	v->c = &v->own;
	v->st = &v->stats;
	v->fn = fn;
	v->user = user;
	v->md5_fd = -1;
	ret = cap_rec_setup(v);
	if (ret >= 0)
		ret = cap_rec_open_policies(v); /* says what failed */
	if (ret < 0) {
		cleanup(v, true); /* nothing was recorded: leave nothing behind */
		free(v);
		return ret;
	}
	if (v->c->realtime)
		cap_rec_go_realtime(v);
	v->t0 = cap_rec_now_s();
	*ret_rec = v;
	return 0;
}

int cap_record_finish(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;

	if (v->finished)
		return 0;
	drain(v);
	v->finished = true;
	cap_preview_close(v->pv, v->pv ? &v->st->preview : NULL);
	v->pv = NULL;
	c->source->stop(v->src);
	if (nothing_recorded(v)) {
		cap_rec_error(v, v->st->err, "check the device sends timecode (v4l2-ctl --all)",
			      "no timecode from the %s source within 5 s", c->source->name);
		cleanup(v, true);
		return v->st->err;
	}
	c->source->stats(v->src, &v->st->src);
	finish(v);
	v->st->seconds = cap_rec_now_s() - v->t0;
	v->st->held = 0;
	return 0;
}

void cap_record_close(struct cap_record *v)
{
	if (!v)
		return;
	cap_record_finish(v);
	cleanup(v, false);
	free(v);
}
