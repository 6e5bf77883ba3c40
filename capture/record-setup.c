/* The recording's setup: the source opened and its format negotiated before anything is created (a
 * refusal leaves nothing behind), the slots sized to the rate, the file, its MOV index and the
 * capture log created, streaming started; and --realtime.
 */
#include "preview-internal.h"
#include "record-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <libavutil/md5.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pasp, once per recording, into st with what decided it (for the summary and --json):
 * --aspect, the device's pixel aspect, the frame size. */
static void choose_aspect(const struct cap_record_config *c, struct cap_record_stats *st)
{
	const struct cap_accepted *a = &st->acc;
	struct mov_aspect_in in = { .width = a->width, .height = a->height,
				    .ask_num = c->aspect_num, .ask_den = c->aspect_den,
				    .device_num = a->aspect_x, .device_den = a->aspect_y };

	if (mov_aspect_choose(&in, &st->sar_num, &st->sar_den, &st->aspect_source) < 0)
		st->sar_num = st->sar_den = 0; /* no size: mov_params_check refuses it anyway */
}

enum mov_field cap_rec_mov_field(const struct cap_record *v)
{
	const struct cap_accepted *a = &v->st->acc;
	static const enum mov_field fiel[] = {
		[CAP_FIELD_NONE] = MOV_FIELD_PROGRESSIVE, [CAP_FIELD_INTERLACED_TB] = MOV_FIELD_TFF,
		[CAP_FIELD_INTERLACED_BT] = MOV_FIELD_BFF, [CAP_FIELD_SEQ_TB] = MOV_FIELD_SEP_TB,
		[CAP_FIELD_SEQ_BT] = MOV_FIELD_SEP_BT, [CAP_FIELD_ALTERNATE] = MOV_FIELD_SEP_TB,
	};
	enum mov_field field = fiel[a->field];

	/* ALTERNATE fields are stored one after the other in the order they were paired */
	if (a->field == CAP_FIELD_ALTERNATE && a->start_field == V4L2_FIELD_BOTTOM)
		field = MOV_FIELD_SEP_BT;
	return field;
}

static struct mov_params mov_params_of(const struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	const struct cap_record_stats *st = v->st;
	const struct cap_accepted *a = &st->acc;

	return (struct mov_params){
		.format = a->format, .width = a->width, .height = a->height,
		.rate_num = a->rate_num, .rate_den = a->rate_den,
		.field = cap_rec_mov_field(v), .colour = c->colour, .timecode = c->timecode,
		.sar_num = st->sar_num, .sar_den = st->sar_den,
		.audio = v->au.mov,
	};
}

/* Start the MOV index; tc (may be NULL) starts the tmcd track. The header must fit before the
 * first frame, in the unit the disk writer kept for it. */
int cap_rec_open_index(struct cap_record *v, const char *tc)
{
	struct mov_params p = mov_params_of(v);
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

static int open_memory(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
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

/* The recording lock (mov_lock_take): refused while another recording or a recovery holds
 * c->out, before anything is truncated; taken on a file that exists (--force), else right
 * after the file is created. A filesystem without OFD locks records unlocked. */
static int take_lock(struct cap_record *v)
{
	int holder = 0, ret;

	if (v->lock || access(v->c->out, F_OK) < 0)
		return 0;
	ret = mov_lock_take(v->c->out, &v->lock, &holder);
	if (ret == -EBUSY) {
		if (holder)
			cap_rec_error(v, 0, "wait for it to finish, or record to another name",
				 "%s: being recorded by vcap pid %d", v->c->out, holder);
		else
			cap_rec_error(v, 0, "wait for it to finish, or record to another name",
				 "%s: locked by another recording or a vmov recover", v->c->out);
		return ret;
	}
	return 0; /* not lockable here (-ENOLCK, -EINVAL...): the open that follows says why */
}

/* The --md5 sidecar is created first, before the file (never replaced unless --force, never
 * written through a link: dio_create), so that a sidecar that cannot be written stops the
 * recording before it starts; its lines are written at the end. With --force an existing file
 * is kept until then; a link is replaced by the new, empty sidecar at once. */
static int open_sidecar(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	struct stat sb;
	int ret;

	if (!c->md5_path)
		return 0;
	ret = v->md5_fd = dio_create(c->md5_path, O_WRONLY, false);
	if (ret >= 0)
		v->md5_created = true;
	else if (ret == -EEXIST && c->force) {
		/* a link replaced is a sidecar made here: removed again if nothing is recorded */
		v->md5_created = lstat(c->md5_path, &sb) == 0 && S_ISLNK(sb.st_mode);
		ret = v->md5_fd = dio_create(c->md5_path, O_WRONLY, true);
	}
	if (ret >= 0)
		return 0;
	v->md5_fd = -1;
	v->md5_created = false;
	cap_rec_error(v, ret, ret == -EEXIST ? "use --force to replace it, or another name" : NULL,
		 "creating the md5 sidecar %s", c->md5_path);
	return ret;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static bool is_sidecar(const struct cap_record *v, const char *path)
{
	return v->md5_fd >= 0 && same_file(v->md5_fd, path);
}

/* --md5 naming the file or its log by another path (./a.mov for a.mov, a hard link): the
 * sidecar written at the end would overwrite the recording. Without --force it shows as
 * the file or log existing once the sidecar is created; with it, as the same file. */
static int check_sidecar_apart(const struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	const char *other = is_sidecar(v, c->out) ? c->out : v->st->journal;

	if (!is_sidecar(v, other))
		return 0;
	cap_rec_error(v, 0, "give the sidecar its own name, e.g. take1.md5",
		 "--md5 %s: the same file as %s", c->md5_path, other);
	return -EINVAL;
}

static const char *file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR:
		return "directory";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "special file";
}

/* What is at one output path (name says which: "-o a.mov"). vcap writes only regular files:
 * its batches go through O_DIRECT at aligned offsets and the index is written by seeking
 * back, and opening a fifo would block. A symbolic link is never written through
 * (dio_create): without --force it is refused as an existing file is, with it the link itself
 * is replaced by the new file, and what it names (a file, a device, nothing) is left alone. */
static int check_target(const struct cap_record *v, const char *name, const char *path, const char *opt)
{
	char hint[300];
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return 0; /* nothing there; creating it says why not, if it cannot be */
	if (S_ISLNK(sb.st_mode) && !v->c->force) {
		cap_rec_error(v, 0,
			 "use --force to replace the link itself, not what it names, or another name",
			 "%s: a symbolic link", name);
		return -EEXIST;
	}
	if (S_ISLNK(sb.st_mode) || S_ISREG(sb.st_mode))
		return 0;
	if (!opt)
		snprintf(hint, sizeof(hint), "remove it, or record to another name");
	else if (S_ISDIR(sb.st_mode))
		snprintf(hint, sizeof(hint), "%s takes a file path, e.g. %s/take1.%s", opt, path,
			 strcmp(opt, "--md5") ? "mov" : "md5");
	else
		snprintf(hint, sizeof(hint), "%s takes a file path; vcap creates the file", opt);
	cap_rec_error(v, 0, hint, "%s: a %s%s", name, file_type(sb.st_mode),
		 S_ISDIR(sb.st_mode) ? "" : ", not a regular file");
	return S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
}

static const char not_a_pipe[] =
    "O_DIRECT and a seekable MOV index need a regular file; record to a file and read it with vplay -o -";

/* Every output before the source is opened or anything is created, so that a refusal
 * leaves nothing behind and nothing is found out only after the recording. The lock comes
 * before "exists": a file being recorded is named as such. */
static int check_outputs(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	char name[3][4200];
	const char *path[3] = { c->out, v->st->journal, c->md5_path };
	const char *opt[3] = { "-o", NULL, "--md5" }; /* the log is not named by an option */
	int ret;

	if (!strcmp(c->out, "-")) {
		cap_rec_error(v, 0, not_a_pipe, "-o -: vcap writes a file, not a pipe");
		return -EINVAL;
	}
	if (c->md5_path && !strcmp(c->md5_path, "-")) {
		cap_rec_error(v, 0, "give it a file name, e.g. --md5 take1.md5",
			 "--md5 -: vcap writes the sidecar to a file, not to stdout");
		return -EINVAL;
	}
	ret = mov_journal_path(c->out, v->st->journal, sizeof(v->st->journal));
	if (ret < 0) {
		cap_rec_error(v, ret, NULL, "-o %s", c->out);
		return ret;
	}
	snprintf(name[0], sizeof(name[0]), "-o %s", c->out);
	snprintf(name[1], sizeof(name[1]), "the capture log %s", v->st->journal);
	snprintf(name[2], sizeof(name[2]), "--md5 %s", c->md5_path ? c->md5_path : "");
	for (unsigned i = 0; i < 3 && ret >= 0; i++)
		if (path[i])
			ret = check_target(v, name[i], path[i], opt[i]);
	if (ret >= 0)
		ret = take_lock(v);
	for (unsigned i = 0; i < 3 && ret >= 0 && !c->force; i++) {
		if (path[i] && access(path[i], F_OK) == 0) {
			cap_rec_error(v, -EEXIST, "use --force to replace it, or another name", "%s",
				 name[i]);
			ret = -EEXIST;
		}
	}
	return ret;
}

/* Create the sidecar, the file, start the index and the journal. Says what failed. */
static int open_outputs(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	struct dio_opts o = { .depth = c->depth, .data_start = 1, .force = c->force,
			      .expected_bytes = c->frames * v->st->slot_bytes };
	struct mov_params p;
	int ret;

	choose_aspect(c, v->st); /* before the first mov_params_of: the index and the log */
	p = mov_params_of(v);
	ret = open_sidecar(v);
	if (ret < 0)
		return ret;
	/* The log before the file: a kill at any moment from here on leaves either no file or a
	 * log that vmov recover completes the file from (with no frame yet: an empty MOV). */
	v->st->data_start = dio_writer_first_offset(&v->st->geom, o.data_start);
	ret = mov_journal_open(v->st->journal, &p, v->st->data_start, c->force, &v->jn);
	if (ret >= 0 && c->md5_path)
		ret = mov_journal_set_sidecar(v->jn, c->md5_path); /* for vmov recover */
	if (ret >= 0)
		ret = mov_journal_flush(v->jn);
	if (ret == -EEXIST && is_sidecar(v, v->st->journal))
		return check_sidecar_apart(v);
	if (ret < 0) {
		cap_rec_error(v, ret, ret == -EEXIST ? "use --force to replace it" : NULL,
			 "creating the capture log %s", v->st->journal);
		return ret;
	}
	ret = dio_writer_open(c->out, &v->st->geom, v->slab, &o, &v->dw);
	if (ret == -EEXIST && is_sidecar(v, c->out))
		return check_sidecar_apart(v);
	if (ret < 0) {
		cap_rec_error(v, ret, ret == -EEXIST ? "use --force to replace it" : NULL,
			 "creating %s", c->out);
		return ret;
	}
	ret = take_lock(v);
	if (ret < 0)
		return ret;
	v->st->mode = dio_writer_mode(v->dw);
	snprintf(v->st->mode_why, sizeof(v->st->mode_why), "%s", dio_writer_mode_why(v->dw));
	if (dio_writer_end(v->dw) != v->st->data_start)
		return cap_rec_error(v, -EPROTO, NULL, "placing the first frame of %s", c->out),
		       -EPROTO;
	/* tells this log from another recording's, for vmov recover */
	ret = mov_journal_stamp(v->jn, dio_writer_plain_fd(v->dw), v->st->data_start,
				v->st->slot_bytes);
	if (ret >= 0) /* both names (one directory), before a durability point counts on them */
		ret = dio_sync_parent(c->out);
	if (ret < 0) {
		cap_rec_error(v, ret, NULL, "starting %s", c->out);
		return ret;
	}
	/* without --timecode the index waits for the first frame and its device timecode */
	ret = c->timecode ? cap_rec_open_index(v, c->timecode) : 0;
	if (ret < 0) {
		cap_rec_error(v, ret, ret == -EOVERFLOW ? "use a larger --align" : NULL,
			 "starting the MOV index of %s", c->out);
		return ret;
	}
	return check_sidecar_apart(v);
}

/* Open the source and negotiate: before anything is created, so a refusal leaves nothing. */
static int open_source(struct cap_record *v)
{
	const struct cap_source_ops *ops = v->c->source;
	struct cap_why why = { "", "" };
	int ret;

	ret = ops->open(&v->c->cap, &why, &v->src);
	if (ret < 0) {
		if (why.what[0])
			cap_rec_error(v, ret == -EINVAL ? 0 : ret, why.hint, "%s", why.what);
		else
			cap_rec_error(v, ret, NULL, "opening the %s source", ops->name);
		return ret;
	}
	ops->describe(v->src, &v->st->acc);
	return 0;
}

/* Hand the slab to the source (before the file is created: a refused --zero-copy leaves
 * nothing behind). */
static int start_source_buffers(struct cap_record *v)
{
	const struct cap_source_ops *ops = v->c->source;
	struct cap_why why = { "", "" };
	int ret;

	ret = ops->attach(v->src, v->slab, &why);
	if (ret < 0) {
		if (why.what[0])
			cap_rec_error(v, ret, why.hint, "%s", why.what);
		else
			cap_rec_error(v, ret, NULL, "setting up the %s source's buffers",
				 ops->name);
		return ret;
	}
	ops->describe(v->src, &v->st->acc);
	if (v->st->acc.mode != CAP_BUF_IN_PLACE)
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO }, "buffers: %s, %u driver buffers for %u slots%s%s",
			  cap_buf_mode_name(v->st->acc.mode), v->st->acc.device_buffers, v->nslots,
			  v->st->acc.mode_why[0] ? ": " : "", v->st->acc.mode_why);
	return 0;
}

/* Give the source every slot and start it. */
/* --preview: its output and thread; says what it shows and how. */
static int open_preview(struct cap_record *v)
{
	const struct cap_accepted *a = &v->st->acc;
	struct cap_preview_config pc = {
		.spec = v->c->preview, .format = a->format, .width = a->width,
		.height = a->height, .rate_num = a->rate_num, .rate_den = a->rate_den,
		.field = cap_rec_mov_field(v), .frame_bytes = a->frame_bytes,
		.out_fd = v->c->preview_fd,
	};
	struct cap_why why = { "", "" };
	int ret;

	if (!v->c->preview)
		return 0;
	ret = cap_preview_open(&pc, &why, &v->pv);
	if (ret < 0) {
		if (!why.what[0])
			snprintf(why.what, sizeof(why.what), "--preview %s", v->c->preview);
		/* a terminal: the reason is in what, not in ENOTTY's "Inappropriate ioctl" */
		cap_rec_error(v, ret == -ENOTTY ? 0 : ret, why.hint[0] ? why.hint : NULL, "%s",
			      why.what);
		return ret;
	}
	cap_preview_stats(v->pv, &v->st->preview);
	cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO }, "preview: %s",
		     v->st->preview.mode);
	return 0;
}

static int start_streaming(struct cap_record *v)
{
	const struct cap_source_ops *ops = v->c->source;
	int ret = 0;

	for (unsigned i = 0; i < v->nslots && ret >= 0; i++)
		ret = ops->requeue(v->src, i);
	if (ret >= 0)
		ret = ops->start(v->src);
	if (ret < 0)
		cap_rec_error(v, ret, NULL, "starting the %s source", ops->name);
	return ret;
}

/* What the device took, for the log: the file records the same values. */
static void say_accepted(const struct cap_record *v)
{
	const struct cap_accepted *a = &v->st->acc;

	if (v->c->source != cap_source_find("v4l2"))
		return;
	cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO }, "%s (%s): input %s%s%s, %s %ux%u %s at %u/%u fps, %u-byte lines",
		  a->device, a->card, a->input, a->std[0] ? ", " : "", a->std,
		  mov_format_name(a->format), a->width, a->height, cap_field_name(a->field),
		  a->rate_num, a->rate_den, a->bytesperline);
}

/* Slots: --buffers, else depth + 1 batches in flight plus half a second of frames (the
 * latency a slow write may take before frames are lost), in whole batches. */
static unsigned slot_count(const struct cap_record_config *c, const struct cap_accepted *a)
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

/* For the V4L2 source: what only the device's answer allows checking. */
static int check_accepted(const struct cap_record *v)
{
	const struct cap_accepted *a = &v->st->acc;
	const char *why;

	if (v->c->timecode &&
	    mov_timecode_check(v->c->timecode, a->rate_num, a->rate_den, &why) < 0) {
		cap_rec_error(v, 0, "e.g. 01:00:00:00, or 01:00:00;00 for drop-frame at 29.97",
			 "invalid --timecode '%s' at %u/%u fps: %s", v->c->timecode, a->rate_num,
			 a->rate_den, why);
		return -EINVAL;
	}
	return 0;
}

int cap_rec_setup(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	int ret;

	ret = check_outputs(v);
	if (ret < 0)
		return ret;
	ret = open_source(v);
	if (ret < 0)
		return ret;
	say_accepted(v);
	if (c->seconds > 0 && v->st->acc.rate_num) { /* -t in frames at the device's rate */
		double n = ceil(c->seconds * v->st->acc.rate_num / v->st->acc.rate_den - 1e-9);

		v->own.frames = n < 1 ? 1 : (uint64_t)n;
	}
	ret = check_accepted(v);
	if (ret >= 0)
		ret = cap_rec_audio_open(v); /* the frame rate is known: it sets the cadence */
	if (ret < 0)
		return ret;
	ret = dio_geom_probe(c->out, "/sys", c->align, &v->st->geom);
	if (ret < 0) {
		cap_rec_error(v, ret, ret == -ENOENT ? "the directory must exist" : NULL,
			 "probing the disk under %s", c->out);
		return ret;
	}
	/* no RLIMIT_MEMLOCK check: a slab it cannot register is written unregistered (noted) */
	v->nslots = slot_count(c, &v->st->acc);
	ret = open_memory(v);
	if (ret >= 0)
		ret = cap_rec_audio_memory(v);
	if (ret < 0) {
		cap_rec_error(v, ret, "lower --buffers, or raise 'ulimit -l'",
			 "allocating %u frame buffers", v->nslots);
		return ret;
	}
	ret = start_source_buffers(v);
	if (ret >= 0)
		ret = open_preview(v); /* before any file exists: a display it cannot use fails */
	if (ret < 0)
		return ret;
	ret = open_outputs(v);
	if (ret >= 0)
		ret = start_streaming(v);
	if (ret >= 0) /* after the video: some drivers run audio only while video streams */
		ret = cap_rec_audio_start(v);
	return ret;
}

/* --realtime: SCHED_FIFO and locked memory, each when permitted; says what it got. */
void cap_rec_go_realtime(struct cap_record *v)
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
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_WARNING, .err = fifo,
						    .hint = "run as root, or raise 'ulimit -r'; "
							    "recording anyway" },
			     "--realtime: SCHED_FIFO");
	if (lock)
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_WARNING, .err = lock,
						    .hint = "raise 'ulimit -l'; recording anyway" },
			     "--realtime: locking memory");
	if (!fifo && !lock)
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO }, "realtime: SCHED_FIFO priority %d, memory locked",
			  sp.sched_priority);
}
