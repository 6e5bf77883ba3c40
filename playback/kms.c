/* The kms sink: frames on a display through DRM/KMS (legacy SetCrtc + PageFlip).
 *
 * Target: "" or NULL (first card with a connected connector), a connector name ("HDMI-A-1",
 * "Virtual-1"), a card ("/dev/dri/card0"), or both ("/dev/dri/card0:Virtual-1"). The mode has
 * the frame's size (no scaling): cfg.mode picks among the connector's modes of that size, by
 * rate too when given ("720x576@60"); none of that size is -EINVAL.
 *
 * Zero copy: each slot's udmabuf is imported with drmPrimeFDToHandle and wrapped by
 * drmModeAddFB2 in the DRM fourcc of the file's format, and flips show the slot itself. When
 * the import fails (drivers with VRAM-only buffers such as bochs), frames sit at a skew, a SEP
 * field layout needs weaving, or the primary plane lacks the format (4:2:2 on an XRGB-only
 * plane is converted), frames are copied into three dumb buffers instead, counted, and
 * stats.mode says why; cfg.zero_copy makes that -EOPNOTSUPP.
 *
 * Pacing: a flip is issued when its frame is due by CLOCK_MONOTONIC (file rate) and lands on
 * the next vblank; the flip event's time is when it was shown. A frame shown a period or more
 * after its due time was late, and the previous frame stayed up for the periods in between
 * (repeats: the display had nothing new). Interlaced material is shown as whole frames.
 *
 * Errors from open: -ENOENT no DRM card (or no such connector), -ENODEV no connected
 * connector or no CRTC for it, -EINVAL the format or size cannot be shown.
 */
#include "dio.h"
#include "play-internal.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define NDUMB 3

struct kms_dumb {
	uint32_t handle, fb, pitch;
	uint64_t size;
	void *map;
};

struct kms_slot {
	uint32_t handle, fb; /* PRIME: the slot's own framebuffer */
	uint32_t skew;
	uint64_t due_ns;
	struct play_done done; /* filled when shown, handed back when replaced */
};

struct kms_sink {
	struct play_sink base;
	int fd;
	struct dio_slab *slab;
	uint32_t conn_id, crtc_id, fourcc;
	drmModeModeInfo mode;
	drmModeCrtc *saved; /* what the CRTC showed before, restored at close */
	bool prime, paced, crtc_set, flip_pending, started;
	struct kms_copy copy;
	struct kms_dumb dumb[NDUMB];
	unsigned next_dumb;
	struct kms_slot *slots;
	unsigned nslots;
	unsigned *fifo, fifo_head, fifo_count; /* queued, not yet flipped */
	int onscreen, flipping;		       /* slots, -1: none */
	uint32_t onscreen_fb, flipping_fb;
	unsigned *released, rel_head, rel_count;
	uint64_t period_ns, t0_ns, i0;
	bool have_t0;
	struct play_sink_stats st;
};

static struct kms_sink *to_kms(struct play_sink *sink)
{
	return play_container_of(sink, struct kms_sink, base);
}

static void connector_name(const drmModeConnector *c, char *buf, size_t len)
{
	const char *type = drmModeGetConnectorTypeName(c->connector_type);

	snprintf(buf, len, "%s-%u", type ? type : "Unknown", c->connector_type_id);
}

/* Split target into a card path and a connector name (either may be empty). */
static void split_target(const char *target, char *card, size_t clen, char *conn, size_t nlen)
{
	const char *colon;

	card[0] = conn[0] = 0;
	if (!target || !target[0])
		return;
	if (target[0] != '/') {
		snprintf(conn, nlen, "%s", target);
		return;
	}
	colon = strchr(target, ':');
	snprintf(card, clen, "%.*s", colon ? (int)(colon - target) : (int)strlen(target), target);
	if (colon)
		snprintf(conn, nlen, "%s", colon + 1);
}

static bool mode_fits(const drmModeModeInfo *m, const struct play_config *cfg)
{
	unsigned w, h, r = 0;

	if (m->hdisplay != cfg->width || m->vdisplay != cfg->height)
		return false;
	if (!cfg->mode)
		return true;
	if (sscanf(cfg->mode, "%ux%u@%u", &w, &h, &r) < 2 || w != cfg->width || h != cfg->height)
		return false;
	return !r || m->vrefresh == r;
}

/* A CRTC the connector's encoders can drive, the current one first. */
static int find_crtc(int fd, const drmModeRes *res, const drmModeConnector *c, uint32_t *ret)
{
	for (int i = -1; i < c->count_encoders; i++) {
		drmModeEncoder *e = drmModeGetEncoder(fd, i < 0 ? c->encoder_id : c->encoders[i]);

		if (!e)
			continue;
		if (i < 0 && e->crtc_id) {
			*ret = e->crtc_id;
			drmModeFreeEncoder(e);
			return 0;
		}
		for (int k = 0; k < res->count_crtcs; k++) {
			if (e->possible_crtcs & (1u << k)) {
				*ret = res->crtcs[k];
				drmModeFreeEncoder(e);
				return 0;
			}
		}
		drmModeFreeEncoder(e);
	}
	return -ENODEV;
}

/* Connector (named, or the first connected one), its mode and CRTC on the open card. */
static int pick_output(struct kms_sink *s, const struct play_config *cfg, const char *want)
{
	drmModeRes *res = drmModeGetResources(s->fd);
	int ret = -ENODEV, found = 0;

	if (!res)
		return -ENODEV; /* a render-only device (vgem): no display */
	for (int i = 0; i < res->count_connectors && ret == -ENODEV; i++) {
		drmModeConnector *c = drmModeGetConnector(s->fd, res->connectors[i]);
		char name[32];

		if (!c)
			continue;
		connector_name(c, name, sizeof(name));
		if ((!want[0] && c->connection == DRM_MODE_CONNECTED) || !strcmp(want, name)) {
			found = 1;
			/* connected, but no mode of the frame's size (and cfg->mode) */
			ret = -ERANGE;
			for (int m = 0; m < c->count_modes; m++) {
				if (mode_fits(&c->modes[m], cfg)) {
					s->mode = c->modes[m];
					s->conn_id = c->connector_id;
					ret = find_crtc(s->fd, res, c, &s->crtc_id);
					break;
				}
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return want[0] && !found ? -ENOENT : ret;
}

static int open_card(struct kms_sink *s, const struct play_config *cfg)
{
	char card[64], conn[32], path[32];
	int ret = -ENOENT;

	split_target(cfg->target, card, sizeof(card), conn, sizeof(conn));
	for (unsigned i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%u", i);
		if (card[0] && i)
			break;
		s->fd = open(card[0] ? card : path, O_RDWR | O_CLOEXEC);
		if (s->fd < 0) {
			if (errno != ENOENT || card[0])
				ret = -errno;
			continue;
		}
		ret = pick_output(s, cfg, conn);
		if (ret == 0)
			return 0;
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

/* Does the CRTC's primary plane take fourcc? Unknown (no plane list) counts as yes. */
static bool plane_takes(int fd, uint32_t crtc_id, uint32_t fourcc)
{
	drmModeRes *res = drmModeGetResources(fd);
	drmModePlaneRes *pr = drmModeGetPlaneResources(fd);
	bool ok = !pr || !res;
	int idx = -1;

	for (int i = 0; res && i < res->count_crtcs; i++)
		if (res->crtcs[i] == crtc_id)
			idx = i;
	for (unsigned i = 0; pr && idx >= 0 && i < pr->count_planes && !ok; i++) {
		drmModePlane *p = drmModeGetPlane(fd, pr->planes[i]);

		for (unsigned k = 0; p && (p->possible_crtcs & (1u << idx)) && k < p->count_formats;
		     k++)
			ok = ok || p->formats[k] == fourcc;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
	drmModeFreeResources(res);
	return ok;
}

static int import_slots(struct kms_sink *s, const struct play_config *cfg)
{
	uint32_t pitches[4] = { play_config_stride(cfg) }, offsets[4] = { 0 };

	for (unsigned i = 0; i < s->nslots; i++) {
		uint32_t handles[4] = { 0 };
		int fd = dio_slab_dmabuf(s->slab, i), ret;

		if (fd < 0)
			return fd;
		ret = drmPrimeFDToHandle(s->fd, fd, &s->slots[i].handle);
		if (ret < 0)
			return -errno;
		handles[0] = s->slots[i].handle;
		ret = drmModeAddFB2(s->fd, cfg->width, cfg->height, s->fourcc, handles, pitches,
				    offsets, &s->slots[i].fb, 0);
		if (ret < 0)
			return -errno;
	}
	return 0;
}

static int make_dumbs(struct kms_sink *s, const struct play_config *cfg, uint32_t fourcc)
{
	unsigned bpp = fourcc == DRM_FORMAT_UYVY || fourcc == DRM_FORMAT_YUYV	    ? 16
		       : fourcc == DRM_FORMAT_RGB888 || fourcc == DRM_FORMAT_BGR888 ? 24
										    : 32;

	for (unsigned i = 0; i < NDUMB; i++) {
		struct kms_dumb *d = &s->dumb[i];
		uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
		uint64_t off;

		if (drmModeCreateDumbBuffer(s->fd, cfg->width, cfg->height, bpp, 0, &d->handle,
					    &d->pitch, &d->size) < 0)
			return -errno;
		handles[0] = d->handle;
		pitches[0] = d->pitch;
		if (drmModeAddFB2(s->fd, cfg->width, cfg->height, fourcc, handles, pitches, offsets,
				  &d->fb, 0) < 0)
			return -errno;
		if (drmModeMapDumbBuffer(s->fd, d->handle, &off) < 0)
			return -errno;
		d->map = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, off);
		if (d->map == MAP_FAILED) {
			d->map = NULL;
			return -errno;
		}
	}
	s->copy.dst_pitch = s->dumb[0].pitch;
	return 0;
}

static void free_buffers(struct kms_sink *s)
{
	for (unsigned i = 0; s->slots && i < s->nslots; i++) {
		if (s->slots[i].fb)
			drmModeRmFB(s->fd, s->slots[i].fb);
		if (s->slots[i].handle)
			drmCloseBufferHandle(s->fd, s->slots[i].handle);
		s->slots[i].fb = s->slots[i].handle = 0;
	}
	for (unsigned i = 0; i < NDUMB; i++) {
		struct kms_dumb *d = &s->dumb[i];

		if (d->map)
			munmap(d->map, d->size);
		if (d->fb)
			drmModeRmFB(s->fd, d->fb);
		if (d->handle)
			drmModeDestroyDumbBuffer(s->fd, d->handle);
		memset(d, 0, sizeof(*d));
	}
}

/* The alpha-less format with the same memory layout, 0 if there is none. */
static uint32_t opaque_of(uint32_t fourcc)
{
	static const uint32_t map[][2] = {
		{ DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888 },
		{ DRM_FORMAT_ABGR8888, DRM_FORMAT_XBGR8888 },
		{ DRM_FORMAT_RGBA8888, DRM_FORMAT_RGBX8888 },
		{ DRM_FORMAT_BGRA8888, DRM_FORMAT_BGRX8888 },
	};

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == fourcc)
			return map[i][1];
	return 0;
}

/* PRIME first; else dumb buffers, converting 4:2:2 when the plane offers XRGB8888 only. */
static int setup_buffers(struct kms_sink *s, const struct play_config *cfg, const char *where)
{
	bool sep = cfg->field == MOV_FIELD_SEP_TB || cfg->field == MOV_FIELD_SEP_BT;
	uint32_t fourcc = s->fourcc;
	const char *why;
	int ret;

	/* a primary plane ignores alpha: the same bytes scan out as the X variant */
	if (!plane_takes(s->fd, s->crtc_id, fourcc) && opaque_of(fourcc) &&
	    plane_takes(s->fd, s->crtc_id, opaque_of(fourcc)))
		s->fourcc = fourcc = opaque_of(fourcc);
	if (!plane_takes(s->fd, s->crtc_id, fourcc)) {
		if ((fourcc != DRM_FORMAT_UYVY && fourcc != DRM_FORMAT_YUYV) ||
		    !plane_takes(s->fd, s->crtc_id, DRM_FORMAT_XRGB8888))
			return -EINVAL;
		s->copy.convert =
		    fourcc == DRM_FORMAT_UYVY ? KMS_CONVERT_UYVY_XRGB : KMS_CONVERT_YUYV_XRGB;
		fourcc = DRM_FORMAT_XRGB8888;
		why = "the plane has no 4:2:2: converted to XRGB8888";
	} else if (sep) {
		why = "fields stored one after the other are woven";
	} else if (cfg->skewed) {
		why = "frames sit at a skew in the file";
	} else {
		ret = import_slots(s, cfg);
		if (ret == 0) {
			s->prime = true;
			snprintf(s->st.mode, sizeof(s->st.mode), "prime (zero copy), %.100s",
				 where);
			return 0;
		}
		free_buffers(s);
		why = ret == -ENODEV ? "no /dev/udmabuf" : "PRIME import of the udmabuf failed";
	}
	if (cfg->zero_copy)
		return -EOPNOTSUPP;
	ret = make_dumbs(s, cfg, fourcc);
	if (ret < 0)
		return ret;
	snprintf(s->st.mode, sizeof(s->st.mode), "dumb + copy (%.50s), %.90s", why, where);
	return 0;
}

static void kms_close(struct play_sink *sink)
{
	struct kms_sink *s;

	if (!sink)
		return;
	s = to_kms(sink);
	if (s->fd >= 0) {
		if (s->saved && s->crtc_set)
			drmModeSetCrtc(s->fd, s->saved->crtc_id, s->saved->buffer_id, s->saved->x,
				       s->saved->y, &s->conn_id, 1, &s->saved->mode);
		free_buffers(s);
		close(s->fd);
	}
	drmModeFreeCrtc(s->saved);
	free(s->slots);
	free(s->fifo);
	free(s->released);
	free(s);
}

static int kms_open(const struct play_config *cfg, struct dio_slab *slab,
		    struct play_sink **ret_sink)
{
	struct kms_sink *s = calloc(1, sizeof(*s));
	char where[100];
	int ret = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->base.ops = &play_kms_ops;
	s->fd = -1;
	s->slab = slab;
	s->paced = cfg->paced;
	s->nslots = dio_slab_nslots(slab);
	s->onscreen = s->flipping = -1;
	s->period_ns = cfg->rate_num ? (uint64_t)cfg->rate_den * 1000000000u / cfg->rate_num : 0;
	s->copy = (struct kms_copy){ .width = cfg->width,
				     .height = cfg->height,
				     .src_stride = play_config_stride(cfg),
				     .layout = cfg->field };
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	s->fifo = calloc(s->nslots, sizeof(*s->fifo));
	s->released = calloc(s->nslots, sizeof(*s->released));
	if (!s->slots || !s->fifo || !s->released)
		goto out_close;
	ret = -EINVAL;
	s->fourcc = kms_drm_fourcc(cfg->format);
	if (!s->fourcc)
		goto out_close;
	ret = open_card(s, cfg);
	if (ret < 0)
		goto out_close;
	drmSetClientCap(s->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	s->saved = drmModeGetCrtc(s->fd, s->crtc_id);
	snprintf(where, sizeof(where), "%s, %ux%u@%u", s->mode.name, s->mode.hdisplay,
		 s->mode.vdisplay, s->mode.vrefresh);
	ret = setup_buffers(s, cfg, where);
	if (ret < 0)
		goto out_close;
	*ret_sink = &s->base;
	return 0;

out_close:
	kms_close(&s->base);
	return ret;
}

static int kms_queue(struct play_sink *sink, const struct play_frame *f)
{
	struct kms_sink *s = to_kms(sink);

	if (f->slot >= s->nslots || s->fifo_count == s->nslots)
		return -EINVAL;
	if (s->prime && f->skew)
		return -EOPNOTSUPP; /* open was not told (cfg.skewed) */
	s->slots[f->slot].skew = f->skew;
	s->slots[f->slot].done = (struct play_done){ .slot = f->slot, .index = f->index };
	if (!s->have_t0) {
		s->t0_ns = play_now_ns();
		s->i0 = f->index;
		s->have_t0 = true;
	}
	s->slots[f->slot].due_ns = s->t0_ns + (f->index - s->i0) * s->period_ns;
	s->fifo[(s->fifo_head + s->fifo_count) % s->nslots] = f->slot;
	s->fifo_count++;
	return 0;
}

static void page_flip_done(int fd, unsigned seq, unsigned sec, unsigned usec, void *data)
{
	struct kms_sink *s = data;
	uint64_t t = (uint64_t)sec * 1000000000u + (uint64_t)usec * 1000;
	struct kms_slot *k = &s->slots[s->flipping];

	(void)fd;
	(void)seq;
	k->done.shown_ns = t;
	if (s->paced && s->period_ns && t >= k->due_ns + s->period_ns) {
		k->done.repeats = (t - k->due_ns) / s->period_ns;
		k->done.late = true;
		s->st.underruns += k->done.repeats;
		s->st.late++;
		/* Later frames are due relative to this one: one stall is counted once. */
		s->t0_ns += (uint64_t)k->done.repeats * s->period_ns;
	}
	if (s->onscreen >= 0)
		s->released[(s->rel_head + s->rel_count++) % s->nslots] = s->onscreen;
	s->onscreen = s->flipping;
	s->onscreen_fb = s->flipping_fb;
	s->flipping = -1;
	s->flip_pending = false;
}

/* Put the head of the queue on the screen: SetCrtc the first time, then a page flip. */
static int flip_next(struct kms_sink *s)
{
	unsigned slot = s->fifo[s->fifo_head];
	struct kms_slot *k = &s->slots[slot];
	uint32_t fb = k->fb;
	int ret;

	if (!s->prime) {
		struct kms_dumb *d = &s->dumb[s->next_dumb];

		kms_copy_frame(&s->copy, d->map, (uint8_t *)dio_slab_slot(s->slab, slot) + k->skew);
		s->next_dumb = (s->next_dumb + 1) % NDUMB;
		s->st.copies++;
		fb = d->fb;
	}
	s->fifo_head = (s->fifo_head + 1) % s->nslots;
	s->fifo_count--;
	s->flipping = slot;
	s->flipping_fb = fb;
	if (!s->crtc_set) {
		ret = drmModeSetCrtc(s->fd, s->crtc_id, fb, 0, 0, &s->conn_id, 1, &s->mode);
		if (ret < 0)
			return -errno;
		s->crtc_set = true;
		page_flip_done(s->fd, 0, 0, 0, s);
		s->slots[slot].done.shown_ns = play_now_ns();
		return 0;
	}
	ret = drmModePageFlip(s->fd, s->crtc_id, fb, DRM_MODE_PAGE_FLIP_EVENT, s);
	if (ret < 0)
		return -errno;
	s->flip_pending = true;
	return 0;
}

/* Due times count from start(): the preroll frames queued before it are all due from then. */
static int kms_start(struct play_sink *sink)
{
	struct kms_sink *s = to_kms(sink);
	uint64_t t = play_now_ns();

	for (unsigned n = 0; n < s->fifo_count; n++) {
		struct kms_slot *k = &s->slots[s->fifo[(s->fifo_head + n) % s->nslots]];

		k->due_ns = t + (k->done.index - s->i0) * s->period_ns;
	}
	s->t0_ns = t;
	s->have_t0 = true;
	s->started = true;
	return 0;
}

static int wait_flip(struct kms_sink *s, int timeout_ms)
{
	drmEventContext ev = { .version = 2, .page_flip_handler = page_flip_done };
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	int ret = poll(&p, 1, timeout_ms);

	if (ret < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (ret == 0)
		return -EAGAIN;
	return drmHandleEvent(s->fd, &ev) < 0 ? -EIO : 0;
}

/* Move the screen on by one step before end: flip the next frame when it is due, else wait
 * for the pending flip or for the due time. 0 after a step, -EAGAIN at end. */
static int step(struct kms_sink *s, uint64_t end)
{
	uint64_t t = play_now_ns(), due, wake;
	int wait_ms;

	if (t >= end)
		return -EAGAIN;
	wait_ms = end == UINT64_MAX ? -1 : (int)((end - t + 999999) / 1000000);
	if (s->flip_pending)
		return wait_flip(s, wait_ms);
	due = s->paced ? s->slots[s->fifo[s->fifo_head]].due_ns : 0;
	/* Flip half a period early: it lands on the vblank nearest the due time. */
	if (due <= t + s->period_ns / 2)
		return flip_next(s);
	wake = due - s->period_ns / 2;
	if (wake > end)
		wake = end;
	poll(NULL, 0, (int)((wake - t + 999999) / 1000000));
	return 0;
}

/* A replaced slot, moving the screen on until one is or the timeout passes. */
static int kms_dequeue(struct play_sink *sink, int timeout_ms, struct play_done *ret_done)
{
	struct kms_sink *s = to_kms(sink);
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : play_now_ns() + (uint64_t)timeout_ms * 1000000;
	int ret;

	while (!s->rel_count) {
		if (!s->started || (!s->flip_pending && !s->fifo_count))
			return -EAGAIN;
		ret = step(s, end);
		if (ret < 0)
			return ret;
	}
	*ret_done = s->slots[s->released[s->rel_head]].done;
	s->rel_head = (s->rel_head + 1) % s->nslots;
	s->rel_count--;
	return 0;
}

/* Show everything queued; the last frame stays up for a period, then its slot comes back
 * too (the screen keeps showing it: from a dumb buffer, or from the slot until close). */
static int kms_drain(struct play_sink *sink)
{
	struct kms_sink *s = to_kms(sink);
	int ret;

	if (!s->started)
		kms_start(sink);
	while (s->fifo_count || s->flip_pending) {
		ret = step(s, play_now_ns() + 5000000000u);
		if (ret == -EAGAIN)
			return -ETIMEDOUT; /* no flip completed: the display stopped */
		if (ret < 0)
			return ret;
	}
	if (s->onscreen >= 0) {
		if (s->paced)
			poll(NULL, 0, (int)(s->period_ns / 1000000));
		s->released[(s->rel_head + s->rel_count++) % s->nslots] = s->onscreen;
		s->onscreen = -1;
	}
	return 0;
}

/* Follow another clock (a sound device's): the due times move so that frame index is due at
 * due_ns, at once when they are a period or more off, else a quarter of the way (as the null
 * sink's clock does); flips still land on vblanks. */
static void kms_retime(struct play_sink *sink, uint64_t index, uint64_t due_ns)
{
	struct kms_sink *s = to_kms(sink);
	int64_t err, period = (int64_t)s->period_ns;

	if (!s->paced || !s->started || !period)
		return;
	err = (int64_t)(due_ns - (s->t0_ns + (index - s->i0) * s->period_ns));
	if (err > -period && err < period)
		err /= 4;
	s->t0_ns += (uint64_t)err;
	for (unsigned n = 0; n < s->fifo_count; n++)
		s->slots[s->fifo[(s->fifo_head + n) % s->nslots]].due_ns += (uint64_t)err;
}

static void kms_stats(const struct play_sink *sink, struct play_sink_stats *ret_stats)
{
	*ret_stats = play_container_of(sink, const struct kms_sink, base)->st;
}

const struct play_sink_ops play_kms_ops = {
	.name = "kms",
	.desc = "display through DRM/KMS (-o kms[:CONN], --mode): PRIME import, "
		"page flips on vblank",
	.open = kms_open,
	.queue = kms_queue,
	.start = kms_start,
	.dequeue = kms_dequeue,
	.drain = kms_drain,
	.stats = kms_stats,
	.close = kms_close,
	.retime = kms_retime,
};
