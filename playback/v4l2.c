/* The v4l2 sink: frames to a V4L2 output device.
 *
 * Zero copy: a slot of the slab is handed over as its udmabuf with V4L2_MEMORY_DMABUF, so the
 * device reads the very pages the disk reads landed in. The driver may grant fewer buffers
 * than the slab has slots: frames then wait in the sink's backlog (in order) until a buffer
 * comes back; buffer u takes slot u when it can, so each keeps its dmabuf attached. When that
 * cannot work (no /dev/udmabuf, a driver that refuses the dmabuf, frames at a skew in the file,
 * ALTERNATE output which needs each field in its own buffer) the sink uses MMAP buffers and
 * copies each frame once, counts the copies and says why in stats.mode; with cfg.zero_copy
 * that is -EOPNOTSUPP at open instead.
 *
 * Pacing is the device's: dequeue() waits for DQBUF. The driver's sequence counts the frame
 * periods it output; a gap before a returned buffer means the device spent extra periods on
 * it or before it. When that frame or the one after it was queued with at most one frame ahead
 * (the one on air), the device had had nothing new and output a frame again: the gap counts as
 * repeats (underruns). Which of the two depends on the driver: vivid numbers a buffer when it
 * lets it go, so a frame held on air through a stall carries the gap itself. A gap while
 * frames were waiting is the device's own lateness (late, not an underrun).
 *
 * Errors from open: -ENOENT no such device node, -ENODEV not a video output device, -EINVAL
 * the device cannot take the file's format, size, field mode or rate.
 */
#include "dio.h"
#include "play-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_MS 5000

struct out_buf {
	void *map; /* MMAP buffers only */
	size_t len;
	bool queued;
};

struct v4l2_sink {
	struct play_sink base;
	int fd;
	struct dio_slab *slab;
	enum mov_field layout; /* how fields sit in the file's frames */
	uint32_t memory;       /* V4L2_MEMORY_DMABUF or _MMAP */
	uint32_t field;	       /* V4L2 field of the format */
	bool alternate;	       /* two buffers (fields) per frame */
	struct v4l2_pix_format pix;
	unsigned nslots, nbufs, queued;
	unsigned per_frame;	    /* buffers per frame: 2 when alternate */
	struct out_buf *bufs;	    /* nbufs; frame unit u is buffers [u * per_frame, +per_frame) */
	int *unit_slot;		    /* per unit: the slot it carries, -1 free */
	struct play_frame *backlog; /* frames queued to the sink, waiting for a buffer */
	unsigned bl_head, bl_count;
	uint64_t *index; /* per slot: the frame it holds */
	bool *starved;	 /* per slot: queued with at most one frame ahead of it */
	int *next;	 /* per slot: the slot queued after it, -1 none yet */
	int last_slot;	 /* the slot queued last, -1 none */
	uint64_t period_ns;
	bool streaming, have_seq;
	uint32_t last_seq;
	struct play_done *done; /* drained, not yet dequeued: ring of nslots */
	unsigned done_head, done_count;
	struct play_sink_stats st;
};

static struct v4l2_sink *to_v4l2(struct play_sink *sink)
{
	return play_container_of(sink, struct v4l2_sink, base);
}

static int open_device(const char *path, int *ret_fd)
{
	struct v4l2_capability cap = { 0 };
	uint32_t caps;
	int fd, ret;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = play_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap);
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (ret < 0 || !(caps & V4L2_CAP_VIDEO_OUTPUT) || !(caps & V4L2_CAP_STREAMING)) {
		close(fd);
		return -ENODEV;
	}
	*ret_fd = fd;
	return 0;
}

/* REQBUFS for up to s->nbufs buffers; the driver may grant fewer (never fewer than two
 * frames' worth, or -ENOBUFS), and s->nbufs becomes what it granted. count 0 frees them. */
static int request(struct v4l2_sink *s, uint32_t memory, unsigned count)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = memory,
	};
	int ret = play_v4l2_ioctl(s->fd, VIDIOC_REQBUFS, &rb);

	if (ret < 0 || !count)
		return ret;
	if (rb.count > count)
		rb.count = count;
	rb.count -= rb.count % s->per_frame;
	if (rb.count < 2 * s->per_frame) {
		request(s, memory, 0);
		return -ENOBUFS;
	}
	s->nbufs = rb.count;
	return 0;
}

static int qbuf(struct v4l2_sink *s, unsigned i, unsigned slot, uint32_t field, int64_t pts)
{
	struct v4l2_buffer b = {
		.index = i,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = s->memory,
		.bytesused = s->pix.sizeimage,
		.field = field,
	};
	uint64_t t = pts > 0 ? (uint64_t)pts * s->period_ns / 1000 : 0;
	int ret;

	/* Drivers that copy output timestamps pass the file's presentation time on. */
	b.timestamp.tv_sec = t / 1000000;
	b.timestamp.tv_usec = t % 1000000;
	if (s->memory == V4L2_MEMORY_DMABUF) {
		int fd = dio_slab_dmabuf(s->slab, slot);

		if (fd < 0)
			return fd;
		b.m.fd = fd;
		b.length = dio_slab_slot_size(s->slab);
	}
	ret = play_v4l2_ioctl(s->fd, VIDIOC_QBUF, &b);
	if (ret < 0)
		return ret;
	s->bufs[i].queued = true;
	s->queued++;
	return 0;
}

/* Try the zero-copy path: REQBUFS DMABUF, and one QBUF to see the driver take a udmabuf (a
 * driver needing contiguous memory refuses it there); STREAMOFF returns the probe buffer. */
static int try_dmabuf(struct v4l2_sink *s, const char **ret_why)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	int ret;

	if (dio_slab_slot_size(s->slab) < s->pix.sizeimage) {
		*ret_why = "the driver's buffers are larger than a slot";
		return -EINVAL;
	}
	ret = dio_slab_dmabuf(s->slab, 0);
	if (ret < 0) {
		*ret_why = ret == -ENODEV ? "no /dev/udmabuf" : "udmabuf refused the slab";
		return ret;
	}
	s->memory = V4L2_MEMORY_DMABUF;
	ret = request(s, V4L2_MEMORY_DMABUF, s->nbufs);
	if (ret < 0) {
		*ret_why = "the driver has no DMABUF output";
		return ret;
	}
	ret = qbuf(s, 0, 0, s->field, 0);
	if (ret < 0) {
		*ret_why = "the driver refused the slab's udmabuf";
		request(s, V4L2_MEMORY_DMABUF, 0);
		return ret;
	}
	play_v4l2_ioctl(s->fd, VIDIOC_STREAMOFF, &type);
	s->bufs[0].queued = false;
	s->queued = 0;
	return 0;
}

static int map_buffers(struct v4l2_sink *s)
{
	int ret = request(s, V4L2_MEMORY_MMAP, s->nbufs);

	if (ret < 0)
		return ret;
	s->memory = V4L2_MEMORY_MMAP;
	for (unsigned i = 0; i < s->nbufs; i++) {
		struct v4l2_buffer b = {
			.index = i,
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP,
		};
		void *p;

		ret = play_v4l2_ioctl(s->fd, VIDIOC_QUERYBUF, &b);
		if (ret < 0)
			return ret;
		if (b.length < s->pix.sizeimage)
			return -EINVAL;
		p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, b.m.offset);
		if (p == MAP_FAILED)
			return -errno;
		s->bufs[i].map = p;
		s->bufs[i].len = b.length;
	}
	return 0;
}

static int setup_buffers(struct v4l2_sink *s, const struct play_config *cfg, const char *where)
{
	const char *why = NULL;
	int ret;

	if (s->alternate)
		why = "ALTERNATE output: each field in its own buffer";
	else if (cfg->skewed)
		why = "frames sit at a skew in the file";
	else if (try_dmabuf(s, &why) == 0) {
		snprintf(s->st.mode, sizeof(s->st.mode), "dmabuf (zero copy), %.90s", where);
		return 0;
	}
	if (cfg->zero_copy)
		return -EOPNOTSUPP;
	ret = map_buffers(s);
	if (ret < 0)
		return ret;
	snprintf(s->st.mode, sizeof(s->st.mode), "mmap + copy (%.50s), %.90s", why, where);
	return 0;
}

static void v4l2_close(struct play_sink *sink)
{
	struct v4l2_sink *s;

	if (!sink)
		return;
	s = to_v4l2(sink);
	if (s->fd >= 0) {
		enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

		play_v4l2_ioctl(s->fd, VIDIOC_STREAMOFF, &type);
	}
	for (unsigned i = 0; s->bufs && i < s->nbufs; i++)
		if (s->bufs[i].map)
			munmap(s->bufs[i].map, s->bufs[i].len);
	if (s->fd >= 0) {
		request(s, s->memory, 0);
		close(s->fd);
	}
	free(s->bufs);
	free(s->unit_slot);
	free(s->backlog);
	free(s->index);
	free(s->starved);
	free(s->next);
	free(s->done);
	free(s);
}

static int v4l2_open(const struct play_config *cfg, struct dio_slab *slab,
		     struct play_sink **ret_sink)
{
	struct v4l2_sink *s;
	char where[120];
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &play_v4l2_ops;
	s->slab = slab;
	s->layout = cfg->field;
	s->nslots = dio_slab_nslots(slab);
	s->period_ns = cfg->rate_num ? (uint64_t)cfg->rate_den * 1000000000u / cfg->rate_num : 0;
	ret = open_device(cfg->target, &s->fd);
	if (ret < 0) {
		s->fd = -1;
		goto out_close;
	}
	ret = play_v4l2_set_output(s->fd, cfg, where, sizeof(where));
	if (ret < 0)
		goto out_close;
	ret = play_v4l2_set_format(s->fd, cfg, &s->pix);
	if (ret < 0)
		goto out_close;
	s->field = s->pix.field;
	s->alternate = s->field == V4L2_FIELD_ALTERNATE;
	s->per_frame = s->alternate ? 2 : 1;
	s->nbufs = s->nslots * s->per_frame;
	s->bufs = calloc(s->nbufs, sizeof(*s->bufs));
	s->unit_slot = malloc(s->nslots * sizeof(*s->unit_slot));
	s->backlog = calloc(s->nslots, sizeof(*s->backlog));
	s->index = calloc(s->nslots, sizeof(*s->index));
	s->starved = calloc(s->nslots, sizeof(*s->starved));
	s->next = calloc(s->nslots, sizeof(*s->next));
	s->last_slot = -1;
	s->done = calloc(s->nslots, sizeof(*s->done));
	ret = -ENOMEM;
	if (!s->bufs || !s->unit_slot || !s->backlog || !s->index || !s->starved || !s->next ||
	    !s->done)
		goto out_close;
	for (unsigned u = 0; u < s->nslots; u++)
		s->unit_slot[u] = -1;
	ret = setup_buffers(s, cfg, where);
	if (ret < 0)
		goto out_close;
	*ret_sink = &s->base;
	return 0;

out_close:
	v4l2_close(&s->base);
	return ret;
}

/* Field k (0: first in time) of a frame laid out as layout into dst: a contiguous half for
 * the SEP layouts, every other line for interleaved ones. Returns the V4L2 parity. */
static uint32_t copy_field(void *dst, const uint8_t *src, const struct v4l2_pix_format *pix,
			   enum mov_field layout, unsigned k)
{
	bool top_first = layout == MOV_FIELD_TFF || layout == MOV_FIELD_SEP_TB;
	bool top = top_first == (k == 0);
	size_t stride = pix->bytesperline, field_bytes = stride * pix->height;

	if (layout == MOV_FIELD_SEP_TB || layout == MOV_FIELD_SEP_BT) {
		memcpy(dst, src + k * field_bytes, field_bytes);
	} else {
		for (unsigned y = 0; y < pix->height; y++)
			memcpy((uint8_t *)dst + y * stride, src + (2 * y + !top) * stride, stride);
	}
	return top ? V4L2_FIELD_TOP : V4L2_FIELD_BOTTOM;
}

/* Buffers the driver still holds to output (not done): what stands between the device and
 * starving. Buffers it finished but that were not dequeued yet do not count. */
static unsigned frames_ahead(const struct v4l2_sink *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nbufs; i++) {
		struct v4l2_buffer b = {
			.index = i,
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = s->memory,
		};

		if (s->bufs[i].queued && play_v4l2_ioctl(s->fd, VIDIOC_QUERYBUF, &b) == 0 &&
		    !(b.flags & V4L2_BUF_FLAG_DONE))
			n++;
	}
	return s->alternate ? n / 2 : n;
}

/* A free frame unit for slot: the slot's own when free (its dmabuf stays attached), else the
 * first free one; -1 when every unit is out. */
static int free_unit(const struct v4l2_sink *s, unsigned slot)
{
	unsigned nunits = s->nbufs / s->per_frame;

	if (slot < nunits && s->unit_slot[slot] < 0)
		return slot;
	for (unsigned u = 0; u < nunits; u++)
		if (s->unit_slot[u] < 0)
			return u;
	return -1;
}

static void note_order(struct v4l2_sink *s, unsigned slot)
{
	s->starved[slot] = s->streaming && frames_ahead(s) <= 1;
	s->next[slot] = -1;
	if (s->last_slot >= 0)
		s->next[s->last_slot] = slot;
	s->last_slot = slot;
}

/* Frame f into unit u: its dmabuf, a copy, or its two fields copied apart. */
static int queue_unit(struct v4l2_sink *s, unsigned u, const struct play_frame *f)
{
	const uint8_t *src = (const uint8_t *)dio_slab_slot(s->slab, f->slot) + f->skew;
	unsigned b = u * s->per_frame;
	int ret;

	s->unit_slot[u] = f->slot;
	note_order(s, f->slot);
	if (s->memory == V4L2_MEMORY_DMABUF)
		return qbuf(s, b, f->slot, s->field, f->pts);
	s->st.copies++;
	if (!s->alternate) {
		memcpy(s->bufs[b].map, src, s->pix.sizeimage);
		return qbuf(s, b, f->slot, s->field, f->pts);
	}
	for (unsigned k = 0; k < 2; k++) {
		uint32_t parity = copy_field(s->bufs[b + k].map, src, &s->pix, s->layout, k);

		ret = qbuf(s, b + k, f->slot, parity, f->pts);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Hand the backlog to the driver, in order, while it has free buffers. */
static int feed(struct v4l2_sink *s)
{
	while (s->bl_count) {
		const struct play_frame *f = &s->backlog[s->bl_head];
		int u = free_unit(s, f->slot), ret;

		if (u < 0)
			return 0;
		ret = queue_unit(s, u, f);
		s->bl_head = (s->bl_head + 1) % s->nslots;
		s->bl_count--;
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int v4l2_queue(struct play_sink *sink, const struct play_frame *f)
{
	struct v4l2_sink *s = to_v4l2(sink);

	if (f->slot >= s->nslots || s->bl_count == s->nslots)
		return -EINVAL;
	if (s->memory == V4L2_MEMORY_DMABUF && f->skew)
		return -EOPNOTSUPP; /* open was not told (cfg.skewed) */
	s->index[f->slot] = f->index;
	s->backlog[(s->bl_head + s->bl_count++) % s->nslots] = *f;
	return feed(s);
}

static int v4l2_start(struct play_sink *sink)
{
	struct v4l2_sink *s = to_v4l2(sink);
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	int ret = play_v4l2_ioctl(s->fd, VIDIOC_STREAMON, &type);

	if (ret < 0)
		return ret;
	s->streaming = true;
	return 0;
}

/* The slot of buffer i, once none of its buffers is queued any more; -EAGAIN while the other
 * field of an ALTERNATE frame is still out. */
static int slot_free(struct v4l2_sink *s, unsigned i)
{
	unsigned u = i / s->per_frame;
	int slot = s->unit_slot[u];

	if (s->alternate && (s->bufs[2 * u].queued || s->bufs[2 * u + 1].queued))
		return -EAGAIN;
	s->unit_slot[u] = -1;
	return slot < 0 ? -EIO : slot;
}

static void account(struct v4l2_sink *s, const struct v4l2_buffer *b, struct play_done *d)
{
	int next = s->next[d->slot];
	bool starved = s->starved[d->slot] || (next >= 0 && s->starved[next]);
	uint32_t gap = 0;

	if (s->have_seq && b->sequence > s->last_seq + 1)
		gap = b->sequence - s->last_seq - 1;
	s->last_seq = b->sequence;
	s->have_seq = true;

	d->repeats = starved ? gap : 0;
	d->late = gap > 0;
	d->shown_ns = play_now_ns();
	s->st.underruns += d->repeats;
	s->st.late += d->late;
}

/* DQBUF one frame's buffers, waiting up to timeout_ms for each. */
/* Wait until DQBUF may have something, at most until end_ns. vb2 signals POLLOUT for an
 * output queue as long as one buffer is not queued, done or not: with every buffer queued
 * poll waits for a done one; otherwise poll would return at once, so the wait is a short
 * sleep instead. */
static void wait_done(const struct v4l2_sink *s, uint64_t end_ns)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	uint64_t t = play_now_ns(), left_ms = end_ns > t ? (end_ns - t + 999999) / 1000000 : 0;

	if (s->queued == s->nbufs)
		poll(&p, 1, end_ns == UINT64_MAX ? -1 : (int)left_ms);
	else
		poll(NULL, 0, left_ms < 2 ? (int)left_ms : 2);
}

/* DQBUF one frame's buffers, waiting up to timeout_ms (-1: forever). */
static int reap(struct v4l2_sink *s, int timeout_ms, struct play_done *ret_done)
{
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : play_now_ns() + (uint64_t)timeout_ms * 1000000;

	while ((s->queued || s->bl_count) && s->streaming) {
		struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT, .memory = s->memory };
		int ret = play_v4l2_ioctl(s->fd, VIDIOC_DQBUF, &b);

		if (ret == -EAGAIN) {
			if (play_now_ns() >= end)
				return -EAGAIN;
			wait_done(s, end);
			continue;
		}
		if (ret < 0)
			return ret;
		if (b.index >= s->nbufs)
			return -EIO;
		s->bufs[b.index].queued = false;
		s->queued--;
		ret = slot_free(s, b.index);
		if (ret < 0)
			continue;
		ret_done->slot = ret;
		ret_done->index = s->index[ret];
		account(s, &b, ret_done);
		return feed(s);
	}
	return -EAGAIN;
}

static int v4l2_dequeue(struct play_sink *sink, int timeout_ms, struct play_done *ret_done)
{
	struct v4l2_sink *s = to_v4l2(sink);

	if (s->done_count) {
		*ret_done = s->done[s->done_head];
		s->done_head = (s->done_head + 1) % s->nslots;
		s->done_count--;
		return 0;
	}
	return reap(s, timeout_ms, ret_done);
}

/* The frame still queued after all others came back: output devices such as vivid hold the
 * last buffer, as a display holds the last picture, until another one replaces it. After a
 * couple of periods it has gone out; STREAMOFF takes it back. */
static void drain_last(struct v4l2_sink *s)
{
	for (unsigned u = 0; u < s->nbufs / s->per_frame; u++) {
		int slot = s->unit_slot[u];
		struct play_done *d;

		if (slot < 0)
			continue;
		s->unit_slot[u] = -1;
		d = &s->done[(s->done_head + s->done_count++) % s->nslots];
		*d = (struct play_done){ .slot = slot,
					 .index = s->index[slot],
					 .shown_ns = play_now_ns() };
	}
}

static void stop(struct v4l2_sink *s)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	if (s->streaming)
		play_v4l2_ioctl(s->fd, VIDIOC_STREAMOFF, &type);
	s->streaming = false;
	/* STREAMOFF took back whatever was still queued. */
	for (unsigned i = 0; i < s->nbufs; i++)
		s->bufs[i].queued = false;
	s->queued = 0;
}

static int v4l2_drain(struct play_sink *sink)
{
	struct v4l2_sink *s = to_v4l2(sink);
	unsigned per_frame = s->per_frame;
	int last_ms = (int)(3 * s->period_ns / 1000000) + 200, ret = 0;

	if ((s->queued || s->bl_count) && !s->streaming)
		ret = v4l2_start(sink);
	while (!ret && (s->queued > per_frame || s->bl_count)) {
		ret =
		    reap(s, DRAIN_TIMEOUT_MS, &s->done[(s->done_head + s->done_count) % s->nslots]);
		if (!ret)
			s->done_count++;
		else if (ret == -EAGAIN)
			ret = -ETIMEDOUT; /* the device stopped taking frames */
	}
	if (!ret && s->queued) {
		ret = reap(s, last_ms, &s->done[(s->done_head + s->done_count) % s->nslots]);
		if (!ret)
			s->done_count++;
		else if (ret == -EAGAIN)
			drain_last(s);
		ret = ret == -EAGAIN ? 0 : ret;
	}
	stop(s);
	return ret;
}

static void v4l2_stats(const struct play_sink *sink, struct play_sink_stats *ret_stats)
{
	*ret_stats = play_container_of(sink, const struct v4l2_sink, base)->st;
}

const struct play_sink_ops play_v4l2_ops = {
	.name = "v4l2",
	.desc = "V4L2 output device (-o /dev/videoN): udmabuf zero copy, paced by DQBUF",
	.open = v4l2_open,
	.queue = v4l2_queue,
	.start = v4l2_start,
	.dequeue = v4l2_dequeue,
	.drain = v4l2_drain,
	.stats = v4l2_stats,
	.close = v4l2_close,
};
