/* The V4L2 source, through libv4l2 (v4l2_fd_open with conversion disabled, so libv4l plugins
 * apply but libv4l never converts or copies pixels).
 *
 * open() negotiates input, standard or DV timings, format, size, field and rate, and reads
 * back what the driver accepted (see v4l2-setup.c). attach() then sets up the buffers:
 * - DMABUF: every slab slot is exported as a udmabuf and queued as V4L2_MEMORY_DMABUF, so the
 *   device writes straight into the memory the disk writes come from (no copy);
 * - MMAP + copy: when there is no udmabuf or the driver rejects those buffers (contiguous-
 *   memory drivers), driver buffers are mmapped and each frame is copied once into its slot;
 * - ALTERNATE: one buffer is one field, but a MOV sample is one frame in contiguous bytes, so
 *   fields are paired (fields.c) and copied into the two halves of a slot.
 * The copy counter counts every memcpy of pixels.
 */
#include "cap-internal.h"
#include "dio.h"
#include "mov.h"

#include <errno.h>
#include <libv4l2.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct v4l2src {
	struct cap_source base;
	struct cap_v4l2_dev dev; /* fd, what was asked and accepted */
	struct dio_slab *slab;
	unsigned nslots;
	unsigned *q; /* slots handed to us, oldest first (ring of nslots) */
	unsigned qhead, qcount;
	unsigned at_dev; /* DMABUF: how many of q (from the head) are queued at the device */
	unsigned nbuf;	 /* driver buffers */
	int *idx_slot;	 /* DMABUF: slot held by each driver buffer, -1 if free */
	void **map;	 /* MMAP: each driver buffer's mapping */
	size_t *map_len;
	uint64_t dev_bytes; /* bytes in one driver buffer the frame (or field) must fill */
	struct cap_fields fields;
	struct cap_frame pending; /* ALTERNATE: the first field's metadata */
	unsigned unpaired;        /* ALTERNATE: fields since the last whole frame */
	uint64_t seq0, next_seq;
	bool have_seq0, streaming;
	struct cap_source_stats stats;
};

static int v4l2src_open(const struct cap_config *cfg, struct cap_why *why,
			struct cap_source **ret_src)
{
	struct v4l2src *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->base.ops = &cap_v4l2_ops;
	ret = cap_v4l2_negotiate(cfg, why, &s->dev);
	if (ret < 0) {
		free(s);
		return ret;
	}
	*ret_src = &s->base;
	return 0;
}

static void v4l2src_describe(const struct cap_source *src, struct cap_accepted *ret)
{
	const struct v4l2src *s = cap_container_of(src, const struct v4l2src, base);

	*ret = s->dev.acc;
}

static void v4l2src_stats(const struct cap_source *src, struct cap_source_stats *ret)
{
	const struct v4l2src *s = cap_container_of(src, const struct v4l2src, base);

	*ret = s->stats;
}

static int reqbufs(struct v4l2src *s, unsigned count, uint32_t memory)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};
	int ret = cap_v4l2_ioctl(s->dev.fd, VIDIOC_REQBUFS, &rb);

	if (ret < 0)
		return ret;
	if (count && !rb.count)
		return -ENOMEM;
	s->nbuf = rb.count;
	return 0;
}

static int qbuf_dmabuf(struct v4l2src *s, unsigned index, unsigned slot)
{
	int fd = dio_slab_dmabuf(s->slab, slot);
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.index = index,
		.length = (uint32_t)dio_slab_slot_size(s->slab),
	};

	if (fd < 0)
		return fd;
	b.m.fd = fd;
	return cap_v4l2_ioctl(s->dev.fd, VIDIOC_QBUF, &b);
}

static int qbuf_mmap(struct v4l2src *s, unsigned index)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = index,
	};

	return cap_v4l2_ioctl(s->dev.fd, VIDIOC_QBUF, &b);
}

/* Export every slot and check that the driver takes one as a DMABUF buffer. 0 with the
 * buffers allocated (nothing queued), or -errno and mode_why saying why not. */
static int try_dmabuf(struct v4l2src *s)
{
	char *why = s->dev.acc.mode_why;
	size_t len = sizeof(s->dev.acc.mode_why);
	int ret;

	for (unsigned i = 0; i < s->nslots; i++) {
		ret = dio_slab_dmabuf(s->slab, i);
		if (ret < 0) {
			snprintf(why, len,
				 ret == -ENODEV ? "no /dev/udmabuf (modprobe udmabuf)"
						: "exporting a slot as a udmabuf: %s",
				 strerror(-ret));
			return ret;
		}
	}
	ret = reqbufs(s, s->nslots, V4L2_MEMORY_DMABUF);
	if (ret < 0) {
		snprintf(why, len, "%s does not import DMABUF buffers: %s", s->dev.acc.device,
			 strerror(-ret));
		return ret;
	}
	/* Some drivers refuse the memory itself (not physically contiguous) only at QBUF. */
	ret = qbuf_dmabuf(s, 0, 0);
	if (ret < 0)
		snprintf(why, len, "%s rejects the slab's udmabufs: %s", s->dev.acc.device,
			 strerror(-ret));
	reqbufs(s, 0, V4L2_MEMORY_DMABUF); /* drop the probe buffer */
	if (ret >= 0)
		ret = reqbufs(s, s->nslots, V4L2_MEMORY_DMABUF);
	if (ret < 0)
		return ret;
	s->idx_slot = malloc(s->nbuf * sizeof(*s->idx_slot));
	if (!s->idx_slot)
		return -ENOMEM;
	for (unsigned i = 0; i < s->nbuf; i++)
		s->idx_slot[i] = -1;
	return 0;
}

static int setup_mmap(struct v4l2src *s)
{
	unsigned want = s->nslots < 8 ? s->nslots : 8; /* a few suffice: each is copied out */
	int ret = reqbufs(s, want < 4 ? 4 : want, V4L2_MEMORY_MMAP);

	if (ret < 0)
		return ret;
	s->map = calloc(s->nbuf, sizeof(*s->map));
	s->map_len = calloc(s->nbuf, sizeof(*s->map_len));
	if (!s->map || !s->map_len)
		return -ENOMEM;
	for (unsigned i = 0; i < s->nbuf; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};
		void *p;

		ret = cap_v4l2_ioctl(s->dev.fd, VIDIOC_QUERYBUF, &b);
		if (ret < 0)
			return ret;
		if (b.length < s->dev_bytes)
			return -EMSGSIZE;
		p = v4l2_mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, s->dev.fd,
			      b.m.offset);
		if (p == MAP_FAILED)
			return -errno;
		s->map[i] = p;
		s->map_len[i] = b.length;
		ret = qbuf_mmap(s, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int choose_buffers(struct v4l2src *s, struct cap_why *why)
{
	struct cap_accepted *a = &s->dev.acc;
	const struct cap_config *cfg = &s->dev.cfg;
	int ret;

	if (a->field == CAP_FIELD_ALTERNATE) {
		a->mode = CAP_BUF_FIELDS_COPY;
		snprintf(a->mode_why, sizeof(a->mode_why),
			 "a MOV frame holds both fields in "
			 "contiguous bytes; the device fills one field per buffer");
	} else if (cfg->buffers != CAP_BUFFERS_MMAP && try_dmabuf(s) == 0) {
		a->mode = CAP_BUF_DMABUF;
		return 0;
	} else {
		a->mode = CAP_BUF_MMAP_COPY;
		if (cfg->buffers == CAP_BUFFERS_MMAP)
			snprintf(a->mode_why, sizeof(a->mode_why),
				 "asked for (--buffers-mode mmap)");
	}
	if (cfg->zero_copy || cfg->buffers == CAP_BUFFERS_DMABUF) {
		snprintf(why->what, sizeof(why->what), "--zero-copy on %s: %s", a->device,
			 cap_buf_mode_name(a->mode));
		snprintf(why->hint, sizeof(why->hint), "%s; drop --zero-copy to accept one copy",
			 a->mode_why);
		return -EOPNOTSUPP;
	}
	ret = setup_mmap(s);
	if (ret < 0) {
		snprintf(why->what, sizeof(why->what), "setting up MMAP buffers on %s", a->device);
		why->hint[0] = 0;
	}
	return ret;
}

static int v4l2src_attach(struct cap_source *src, struct dio_slab *slab, struct cap_why *why)
{
	struct v4l2src *s = cap_container_of(src, struct v4l2src, base);
	int ret;

	if (s->slab || dio_slab_frame_size(slab) != s->dev.acc.frame_bytes)
		return -EINVAL;
	s->slab = slab;
	s->nslots = dio_slab_nslots(slab);
	s->dev_bytes = s->dev.acc.field == CAP_FIELD_ALTERNATE ? s->dev.acc.frame_bytes / 2
							       : s->dev.acc.frame_bytes;
	s->q = calloc(s->nslots, sizeof(*s->q));
	if (!s->q)
		return -ENOMEM;
	cap_fields_init(&s->fields, s->dev.acc.start_field, s->dev.seq_first);
	ret = choose_buffers(s, why);
	if (ret < 0)
		return ret;
	s->dev.acc.device_buffers = s->nbuf;
	return 0;
}

/* DMABUF: hand waiting slots to free driver buffers, oldest first. */
static int feed(struct v4l2src *s)
{
	for (unsigned i = 0; i < s->nbuf && s->at_dev < s->qcount; i++) {
		int ret;

		if (s->idx_slot[i] >= 0)
			continue;
		s->idx_slot[i] = (int)s->q[(s->qhead + s->at_dev) % s->nslots];
		ret = qbuf_dmabuf(s, i, (unsigned)s->idx_slot[i]);
		if (ret < 0) {
			s->idx_slot[i] = -1;
			return ret;
		}
		s->at_dev++;
	}
	return 0;
}

static int v4l2src_requeue(struct cap_source *src, unsigned slot)
{
	struct v4l2src *s = cap_container_of(src, struct v4l2src, base);

	if (!s->slab || slot >= s->nslots || s->qcount == s->nslots)
		return -EINVAL;
	s->q[(s->qhead + s->qcount) % s->nslots] = slot;
	s->qcount++;
	return s->dev.acc.mode == CAP_BUF_DMABUF ? feed(s) : 0;
}

static int v4l2src_start(struct cap_source *src)
{
	struct v4l2src *s = cap_container_of(src, struct v4l2src, base);
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int ret;

	if (!s->slab)
		return -EINVAL;
	ret = cap_v4l2_ioctl(s->dev.fd, VIDIOC_STREAMON, &type);
	if (ret >= 0)
		s->streaming = true;
	return ret;
}

static void to_frame(struct v4l2src *s, const struct v4l2_buffer *b, struct cap_frame *f)
{
	const struct v4l2_timecode *tc = &b->timecode;

	memset(f, 0, sizeof(*f));
	if (!s->have_seq0) { /* sequences count from 0 at the first frame */
		s->seq0 = b->sequence;
		s->have_seq0 = true;
	}
	/* Gaps are drops, but a repeated or older number (vivid repeats 0 when it starts
	 * behind) is still a new frame: the next one. */
	f->sequence = b->sequence - s->seq0;
	if (b->sequence < s->seq0 || f->sequence < s->next_seq)
		f->sequence = s->next_seq;
	f->field = b->field;
	f->flags = b->flags;
	f->timestamp_ns =
	    (uint64_t)b->timestamp.tv_sec * 1000000000ull + (uint64_t)b->timestamp.tv_usec * 1000;
	if (b->flags & V4L2_BUF_FLAG_TIMECODE)
		snprintf(f->timecode, sizeof(f->timecode), "%02u:%02u:%02u:%02u", tc->hours % 100,
			 tc->minutes % 100, tc->seconds % 100, tc->frames % 100);
}

static void copy_pixels(struct v4l2src *s, void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	s->stats.copies++;
	s->stats.copied_bytes += n;
}

/* CPU reads of a slot the device wrote (md5, checks) are bracketed by a dma-buf sync. */
static void sync_slot(struct v4l2src *s, unsigned slot, uint64_t flags)
{
	struct dma_buf_sync sy = { .flags = flags | DMA_BUF_SYNC_READ };

	cap_v4l2_ioctl(dio_slab_dmabuf(s->slab, slot), DMA_BUF_IOCTL_SYNC, &sy);
}

static unsigned pop_slot(struct v4l2src *s)
{
	unsigned slot = s->q[s->qhead];

	s->qhead = (s->qhead + 1) % s->nslots;
	s->qcount--;
	return slot;
}

static int got_dmabuf(struct v4l2src *s, const struct v4l2_buffer *b, struct cap_frame *f)
{
	int slot = b->index < s->nbuf ? s->idx_slot[b->index] : -1;

	if (slot < 0 || (unsigned)slot != s->q[s->qhead])
		return -EPROTO; /* the ring depends on in-order delivery */
	s->idx_slot[b->index] = -1;
	s->at_dev--;
	pop_slot(s);
	sync_slot(s, (unsigned)slot, DMA_BUF_SYNC_START);
	sync_slot(s, (unsigned)slot, DMA_BUF_SYNC_END);
	to_frame(s, b, f);
	f->slot = (unsigned)slot;
	return feed(s);
}

static int got_mmap(struct v4l2src *s, const struct v4l2_buffer *b, struct cap_frame *f)
{
	unsigned slot = pop_slot(s);

	copy_pixels(s, dio_slab_slot(s->slab, slot), s->map[b->index], s->dev_bytes);
	to_frame(s, b, f);
	f->slot = slot;
	return qbuf_mmap(s, b->index);
}

/* ALTERNATE: 0 with a whole frame in *f, -EAGAIN when the field only started one. */
static int got_field(struct v4l2src *s, const struct v4l2_buffer *b, struct cap_frame *f)
{
	struct cap_fields_step st;
	uint8_t *slot = dio_slab_slot(s->slab, s->q[s->qhead]);
	bool bt = s->dev.acc.start_field == V4L2_FIELD_BOTTOM;
	int ret;

	ret = cap_fields_push(&s->fields, b->sequence, b->field, &st);
	if (ret < 0) {
		qbuf_mmap(s, b->index);
		return ret;
	}
	if (st.act == CAP_FIELDS_FIRST) {
		copy_pixels(s, slot, s->map[b->index], s->dev_bytes);
		to_frame(s, b, &s->pending);
		s->stats.discarded_fields += st.replaced_lone;
	} else if (st.act == CAP_FIELDS_SECOND) {
		copy_pixels(s, slot + s->dev_bytes, s->map[b->index], s->dev_bytes);
		*f = s->pending;
		f->flags |= b->flags & V4L2_BUF_FLAG_ERROR;
		f->sequence = st.frame;
		f->lost_fields = st.lost_fields;
		f->field = bt ? V4L2_FIELD_SEQ_BT : V4L2_FIELD_SEQ_TB; /* as stored */
		f->slot = pop_slot(s);
	} else {
		s->stats.discarded_fields++;
	}
	s->unpaired = st.act == CAP_FIELDS_SECOND ? 0 : s->unpaired + 1;
	ret = qbuf_mmap(s, b->index);
	if (ret >= 0 && s->unpaired > 16)
		ret = -EPROTO; /* fields that never pair: a driver that breaks the sequence rule */
	if (ret < 0)
		return ret;
	return st.act == CAP_FIELDS_SECOND ? 0 : -EAGAIN;
}

static int v4l2src_dequeue(struct cap_source *src, int timeout_ms, struct cap_frame *ret)
{
	struct v4l2src *s = cap_container_of(src, struct v4l2src, base);
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct pollfd pfd = { .fd = s->dev.fd, .events = POLLIN };
	struct cap_frame f;
	int n;

	if (!s->streaming)
		return -EINVAL;
	if (!s->qcount || (s->dev.acc.mode == CAP_BUF_DMABUF && !s->at_dev))
		return -EAGAIN;
	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : -EAGAIN;
	b.memory = s->dev.acc.mode == CAP_BUF_DMABUF ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	n = cap_v4l2_ioctl(s->dev.fd, VIDIOC_DQBUF, &b);
	if (n < 0)
		return n;
	/* The MOV sample is the whole frame: a driver that delivers less (a stale compose
	 * rectangle, a cut-off buffer) must not go unnoticed. */
	if (b.bytesused && b.bytesused != s->dev_bytes)
		n = -EBADMSG;
	else if (s->dev.acc.mode == CAP_BUF_DMABUF)
		n = got_dmabuf(s, &b, &f);
	else if (s->dev.acc.mode == CAP_BUF_MMAP_COPY)
		n = got_mmap(s, &b, &f);
	else
		n = got_field(s, &b, &f);
	if (n < 0)
		return n;
	/* whole interlaced frames: two fields per frame missing from the sequence */
	if (s->dev.acc.field != CAP_FIELD_ALTERNATE && s->dev.acc.field != CAP_FIELD_NONE &&
	    f.sequence > s->next_seq)
		f.lost_fields = (uint32_t)(2 * (f.sequence - s->next_seq));
	s->next_seq = f.sequence + 1;
	*ret = f;
	return 0;
}

static int v4l2src_stop(struct cap_source *src)
{
	struct v4l2src *s = cap_container_of(src, struct v4l2src, base);
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (!s->streaming)
		return 0;
	s->streaming = false;
	return cap_v4l2_ioctl(s->dev.fd, VIDIOC_STREAMOFF, &type);
}

static void v4l2src_close(struct cap_source *src)
{
	struct v4l2src *s;

	if (!src)
		return;
	s = cap_container_of(src, struct v4l2src, base);
	v4l2src_stop(src);
	for (unsigned i = 0; s->map && i < s->nbuf; i++)
		if (s->map[i])
			v4l2_munmap(s->map[i], s->map_len[i]);
	cap_v4l2_release(&s->dev); /* closing the device drops its references to the dmabufs */
	free(s->map);
	free(s->map_len);
	free(s->idx_slot);
	free(s->q);
	free(s);
}

const struct cap_source_ops cap_v4l2_ops = {
	.name = "v4l2",
	.desc = "a V4L2 capture device (--device), through libv4l2",
	.open = v4l2src_open,
	.describe = v4l2src_describe,
	.attach = v4l2src_attach,
	.start = v4l2src_start,
	.dequeue = v4l2src_dequeue,
	.requeue = v4l2src_requeue,
	.stop = v4l2src_stop,
	.stats = v4l2src_stats,
	.close = v4l2src_close,
};
