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
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct vc_batch {
	bool submitted, done;
	int res;
	uint64_t offset;
	unsigned count;
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
	struct vc_batch *batch;  /* per group of c->batch slots */
	unsigned nslots, ngroups;
	unsigned fill;   /* next slot the source fills (ring order) */
	unsigned commit; /* next group to commit */
	unsigned held;   /* slots not queued at the source */
	uint64_t captured;
	uint64_t next_seq;
	uint8_t (*md5)[16];
	uint64_t md5_cap;
	struct AVMD5 *hash;
	int sigfd;
	bool stop;
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

static int keep_md5(struct vc *v, const void *data, size_t size)
{
	if (v->st->frames == v->md5_cap) {
		uint64_t cap = v->md5_cap ? v->md5_cap * 2 : 4096;
		void *n = realloc(v->md5, cap * 16);

		if (!n)
			return -ENOMEM;
		v->md5 = n;
		v->md5_cap = cap;
	}
	av_md5_init(v->hash);
	av_md5_update(v->hash, data, size);
	av_md5_final(v->hash, v->md5[v->st->frames]);
	return 0;
}

/* Index and log one frame whose batch is on disk. */
static int commit_frame(struct vc *v, unsigned slot, uint64_t offset)
{
	const struct cap_frame *f = &v->meta[slot];
	size_t size = dio_slab_frame_size(v->slab);
	const void *data = dio_slab_slot(v->slab, slot);
	int64_t pts = f->sequence; /* sequences count from 0 at start: gaps are drops */
	int ret;

	if (v->hash) {
		ret = keep_md5(v, data, size);
		if (ret < 0)
			return ret;
	}
	ret = mov_writer_add(v->mw, offset, data, size, pts);
	if (ret < 0)
		return ret;
	ret = mov_journal_append(v->jn, &(struct mov_journal_frame){
		.offset = offset, .size = size, .pts = pts, .sequence = f->sequence,
		.field = f->field, .flags = f->flags, .timestamp_ns = f->timestamp_ns,
		.timecode = f->timecode[0] ? f->timecode : NULL,
		.md5 = v->hash ? v->md5[v->st->frames] : NULL });
	if (ret < 0)
		return ret;
	v->st->frames++;
	v->st->bytes += size;
	return 0;
}

static void commit_batch(struct vc *v, struct vc_batch *b, unsigned first)
{
	size_t slot = dio_slab_slot_size(v->slab);
	int ret = 0;

	if (b->res < 0) { /* its frames are lost; the file stays valid without them */
		fail(v, "writing", b->res);
		return;
	}
	for (unsigned k = 0; k < b->count && ret == 0; k++)
		ret = commit_frame(v, first + k, b->offset + k * slot);
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
		unsigned first = v->commit * v->c->batch;

		commit_batch(v, b, first);
		for (unsigned k = 0; k < b->count && !v->stop; k++) {
			int ret = v->c->source->requeue(v->src, first + k);

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

static void submit(struct vc *v, unsigned group, unsigned count)
{
	struct vc_batch *b = &v->batch[group];
	int ret = dio_writer_submit(v->dw, group * v->c->batch, count, group, &b->offset);

	if (ret < 0) {
		/* never queued: these frames are lost, everything before them is kept */
		fail(v, "writing", ret);
		v->held -= count;
		return;
	}
	b->submitted = true;
	b->count = count;
}

static void account_drops(struct vc *v, const struct cap_frame *f)
{
	if (f->sequence > v->next_seq) {
		uint64_t gap = f->sequence - v->next_seq;

		v->st->drops += gap;
		if (!v->c->json || isatty(2))
			tool_note("vcap", "%llu frame%s dropped before frame %llu (sequence %llu)",
				  (unsigned long long)gap, gap > 1 ? "s" : "",
				  (unsigned long long)v->captured, (unsigned long long)f->sequence);
		if (v->c->on_drop == VC_DROP_STOP) {
			v->stop = true;
			v->st->stop_reason = "drop";
		}
	}
	v->next_seq = f->sequence + 1;
}

/* Take one frame from the source: 1 if one came, 0 if none was ready. */
static int take_frame(struct vc *v)
{
	struct cap_frame f;
	int ret = v->c->source->dequeue(v->src, 100, &f);

	if (ret == -EAGAIN)
		return 0;
	if (ret < 0) {
		fail(v, "capturing", ret);
		return ret;
	}
	if (f.slot != v->fill) { /* the ring depends on in-order delivery */
		fail(v, "capturing", -EPROTO);
		return -EPROTO;
	}
	account_drops(v, &f);
	if (f.flags & V4L2_BUF_FLAG_ERROR)
		v->st->flagged++;
	v->meta[f.slot] = f;
	v->held++;
	v->captured++;
	if (v->held > v->st->max_fill * v->nslots)
		v->st->max_fill = (double)v->held / v->nslots;
	v->fill = (v->fill + 1) % v->nslots;
	if ((f.slot + 1) % v->c->batch == 0) /* the slot closes its group: one write for all */
		submit(v, f.slot / v->c->batch, v->c->batch);
	return 1;
}

static void record(struct vc *v)
{
	const struct vc_conf *c = v->c;
	double shown = 0;

	while (!v->stop) {
		check_signal(v);
		if (v->stop || (c->frames && v->captured == c->frames))
			break;
		reap(v, 0);
		if (take_frame(v) == 0 && v->held == v->nslots)
			reap(v, 1); /* every slot is ours: only the disk can free one */
		if (c->progress && tool_now_s() - shown >= 0.5) {
			shown = tool_now_s();
			v->st->seconds = shown - v->t0;
			vc_progress(c, v->st, v->held, false);
		}
	}
	if (!v->st->stop_reason)
		v->st->stop_reason = c->seconds > 0 ? "duration" : "frames";
	if (v->fill % c->batch && !v->st->err) /* the last, partial batch */
		submit(v, v->fill / c->batch, v->fill % c->batch);
	while (dio_writer_inflight(v->dw) && reap(v, 1) >= 0)
		;
	reap(v, 0);
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
	ret = mov_writer_open(dio_writer_plain_fd(v->dw), &p, &v->mw);
	if (ret < 0) {
		tool_err("vcap", ret, NULL, "starting the MOV index of %s", c->out);
		return ret;
	}
	v->st->data_start = dio_writer_end(v->dw);
	if (mov_writer_data_start(v->mw) > v->st->data_start) {
		tool_err("vcap", EOVERFLOW, "use a larger --align", "the MOV header of %s",
			 c->out);
		return -EOVERFLOW;
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
	int ret;

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
	free(v->batch);
	if (v->sigfd >= 0)
		close(v->sigfd);
}

int vc_run(const struct vc_conf *c, struct vc_stats *st)
{
	struct vc v = { .own = *c, .st = st, .sigfd = -1 };
	int ret;

	v.c = &v.own;
	c = v.c;

	ret = setup(&v);
	if (ret < 0) {
		cleanup(&v, true); /* nothing was recorded: leave nothing behind */
		return ret;
	}
	v.t0 = tool_now_s();
	record(&v);
	c->source->stop(v.src);
	c->source->stats(v.src, &st->src);
	finish(&v);
	st->seconds = tool_now_s() - v.t0;
	if (c->progress)
		vc_progress(c, st, 0, true);
	cleanup(&v, false);
	return 0;
}
