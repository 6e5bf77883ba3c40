/* V4L2 device setup for the V4L2 source: input, analog standard or DV timings, format, size,
 * field and rate. Everything asked is set, then read back; an explicit request the driver did
 * not take exactly is an error naming what it offers instead, so a recording never silently
 * differs from what the command line says. Nothing here prints: failures fill struct cap_why.
 */
#include "cap-internal.h"
#include "mov.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libavutil/mathematics.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int cap_v4l2_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = v4l2_ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

__attribute__((format(printf, 3, 4))) static int say(struct cap_why *why, int err, const char *fmt,
						     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->what, sizeof(why->what), fmt, ap);
	va_end(ap);
	why->hint[0] = 0;
	return err;
}

/* Append ", item" (or "item" first) to the hint, with "..." once it is full. */
static void offer(struct cap_why *why, const char *item)
{
	size_t n = strlen(why->hint), room = sizeof(why->hint) - 64; /* 64: for a prefix */

	if (n + strlen(item) + 8 >= room) {
		if (!strstr(why->hint, "..."))
			strcat(why->hint, ", ...");
		return;
	}
	snprintf(why->hint + n, sizeof(why->hint) - n, "%s%s", n ? ", " : "", item);
}

/* Put pre before the list offer() built. */
static void prefix_hint(struct cap_why *why, const char *pre)
{
	size_t n = strlen(pre), len = strlen(why->hint);

	if (n + len >= sizeof(why->hint))
		len = sizeof(why->hint) - n - 1;
	memmove(why->hint + n, why->hint, len);
	memcpy(why->hint, pre, n);
	why->hint[n + len] = 0;
}

static int open_device(const char *path, struct cap_why *why, int *ret_fd)
{
	struct v4l2_capability cap = { 0 };
	glob_t g;
	int fd, vfd, ret;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		say(why, ret, "--device %s", path);
		if (glob("/dev/video*", 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				offer(why, g.gl_pathv[i]);
			globfree(&g);
			prefix_hint(why, "video devices here: ");
		} else {
			snprintf(why->hint, sizeof(why->hint), "no /dev/video* devices here");
		}
		return ret;
	}
	/* libv4l2 for its plugins, but never its format conversion (that would copy) */
	vfd = v4l2_fd_open(fd, V4L2_DISABLE_CONVERSION);
	if (vfd < 0) {
		ret = -errno;
		close(fd);
		return say(why, ret, "--device %s: libv4l2 cannot open it", path);
	}
	ret = cap_v4l2_ioctl(vfd, VIDIOC_QUERYCAP, &cap);
	if (ret < 0 || !(cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) ||
	    !(cap.device_caps & V4L2_CAP_STREAMING)) {
		v4l2_close(vfd);
		say(why, -ENODEV, "--device %s: not a single-planar streaming capture device",
		    path);
		snprintf(why->hint, sizeof(why->hint), "see v4l2-ctl --list-devices");
		return -ENODEV;
	}
	*ret_fd = vfd;
	return 0;
}

static int set_input(struct cap_v4l2_dev *d, struct cap_why *why)
{
	struct v4l2_input in = { 0 };
	char *end;
	int idx = -1, ret;

	if (d->cfg.input) {
		long n = strtol(d->cfg.input, &end, 10);

		if (*d->cfg.input && !*end)
			idx = (int)n;
		for (in.index = 0; idx < 0 && cap_v4l2_ioctl(d->fd, VIDIOC_ENUMINPUT, &in) == 0;
		     in.index++)
			if (!strcasecmp((const char *)in.name, d->cfg.input))
				idx = (int)in.index;
		if (idx < 0 || cap_v4l2_ioctl(d->fd, VIDIOC_S_INPUT, &idx) < 0) {
			say(why, -EINVAL, "--input %s: %s has no such input", d->cfg.input,
			    d->acc.device);
			for (in.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUMINPUT, &in) == 0;
			     in.index++) {
				char item[48];

				snprintf(item, sizeof(item), "%u '%s'", in.index, in.name);
				offer(why, item);
			}
			prefix_hint(why, "it has ");
			return -EINVAL;
		}
	}
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_G_INPUT, &idx);
	if (ret < 0)
		return say(why, ret, "VIDIOC_G_INPUT on %s", d->acc.device);
	in = (struct v4l2_input){ .index = (uint32_t)idx };
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_ENUMINPUT, &in);
	if (ret < 0)
		return say(why, ret, "VIDIOC_ENUMINPUT on %s", d->acc.device);
	snprintf(d->acc.input, sizeof(d->acc.input), "%d '%s'", idx, in.name);
	return (int)in.capabilities;
}

/* The standard named s (case-insensitive, as VIDIOC_ENUMSTD names them: PAL, NTSC, PAL-BG,
 * NTSC-M-JP, SECAM, ...) or, for "auto", the one VIDIOC_QUERYSTD detects. */
static int find_std(struct cap_v4l2_dev *d, const char *s, struct v4l2_standard *ret)
{
	struct v4l2_standard st = { 0 };
	v4l2_std_id id = 0;

	if (!strcasecmp(s, "auto") && cap_v4l2_ioctl(d->fd, VIDIOC_QUERYSTD, &id) < 0)
		return -ENOLINK;
	for (st.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUMSTD, &st) == 0; st.index++) {
		if (id ? (st.id & id) == id || (st.id & id) == st.id
		       : !strcasecmp((const char *)st.name, s)) {
			*ret = st;
			return 0;
		}
	}
	return -EINVAL;
}

static void std_offers(struct cap_v4l2_dev *d, struct cap_why *why)
{
	struct v4l2_standard st = { 0 };

	why->hint[0] = 0;
	for (st.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUMSTD, &st) == 0; st.index++)
		offer(why, (const char *)st.name);
	prefix_hint(why, "it offers ");
}

static int set_std(struct cap_v4l2_dev *d, struct cap_why *why, unsigned in_caps)
{
	struct v4l2_standard st = { 0 };
	v4l2_std_id id;
	int ret;

	if (!(in_caps & V4L2_IN_CAP_STD)) {
		if (!d->cfg.std)
			return 0;
		say(why, -EINVAL, "--std %s: input %s has no analog standards", d->cfg.std,
		    d->acc.input);
		snprintf(why->hint, sizeof(why->hint), "%s",
			 in_caps & V4L2_IN_CAP_DV_TIMINGS ? "it takes --dv-timings"
							  : "pick an SDTV input with --input");
		return -EINVAL;
	}
	if (d->cfg.std) {
		ret = find_std(d, d->cfg.std, &st);
		if (ret == -ENOLINK)
			return say(why, -EINVAL, "--std auto: no signal standard detected on %s",
				   d->acc.device);
		if (ret < 0) {
			say(why, -EINVAL, "--std %s: %s does not offer it", d->cfg.std,
			    d->acc.device);
			std_offers(d, why);
			return -EINVAL;
		}
		ret = cap_v4l2_ioctl(d->fd, VIDIOC_S_STD, &st.id);
		if (ret < 0)
			return say(why, ret, "VIDIOC_S_STD %s on %s", st.name, d->acc.device);
	}
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_G_STD, &id);
	if (ret < 0)
		return say(why, ret, "VIDIOC_G_STD on %s", d->acc.device);
	for (st.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUMSTD, &st) == 0; st.index++) {
		if ((st.id & id) == id || st.id == id) {
			snprintf(d->acc.std, sizeof(d->acc.std), "%s", st.name);
			/* the frame size and period of the standard: 720x576 at 1/25, ... */
			d->acc.width = 720;
			d->acc.height = id & V4L2_STD_525_60 ? 480 : 576;
			d->acc.rate_num = st.frameperiod.denominator;
			d->acc.rate_den = st.frameperiod.numerator;
			break;
		}
	}
	return 0;
}

/* "1280x720p60", "1920x1080i59.94": the name DV timings are matched and reported by. */
static void dv_name(const struct v4l2_bt_timings *bt, char *buf, size_t len)
{
	uint64_t total = (uint64_t)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);
	double fps = total ? (double)bt->pixelclock / total : 0;

	if (bt->interlaced)
		fps *= 2; /* named by field rate, as CEA-861 does */
	snprintf(buf, len, "%ux%u%c%.4g", bt->width, bt->height, bt->interlaced ? 'i' : 'p',
		 (double)(long)(fps * 100 + 0.5) / 100);
}

static void dv_offers(struct cap_v4l2_dev *d, struct cap_why *why)
{
	struct v4l2_enum_dv_timings e = { 0 };
	char name[40];

	why->hint[0] = 0;
	for (e.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUM_DV_TIMINGS, &e) == 0; e.index++) {
		dv_name(&e.timings.bt, name, sizeof(name));
		offer(why, name);
	}
	prefix_hint(why, "it offers ");
}

static int find_dv(struct cap_v4l2_dev *d, struct v4l2_dv_timings *ret)
{
	struct v4l2_enum_dv_timings e = { 0 };
	char name[40];

	if (!strcasecmp(d->cfg.dv_timings, "query"))
		return cap_v4l2_ioctl(d->fd, VIDIOC_QUERY_DV_TIMINGS, ret) < 0 ? -ENOLINK : 0;
	for (e.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUM_DV_TIMINGS, &e) == 0; e.index++) {
		dv_name(&e.timings.bt, name, sizeof(name));
		if (!strcasecmp(name, d->cfg.dv_timings)) {
			*ret = e.timings;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_dv(struct cap_v4l2_dev *d, struct cap_why *why, unsigned in_caps)
{
	struct v4l2_dv_timings t = { 0 };
	const struct v4l2_bt_timings *bt = &t.bt;
	uint64_t total;
	int ret;

	if (!(in_caps & V4L2_IN_CAP_DV_TIMINGS)) {
		if (!d->cfg.dv_timings)
			return 0;
		say(why, -EINVAL, "--dv-timings %s: input %s has no DV timings", d->cfg.dv_timings,
		    d->acc.input);
		snprintf(why->hint, sizeof(why->hint), "%s",
			 in_caps & V4L2_IN_CAP_STD ? "it takes --std"
						   : "pick an HDMI or SDI input with --input");
		return -EINVAL;
	}
	if (d->cfg.dv_timings) {
		ret = find_dv(d, &t);
		if (ret == -ENOLINK)
			return say(why, -EINVAL, "--dv-timings query: no signal detected on %s",
				   d->acc.device);
		if (ret < 0) {
			say(why, ret, "--dv-timings %s: %s does not offer it", d->cfg.dv_timings,
			    d->acc.device);
			dv_offers(d, why);
			return ret;
		}
		ret = cap_v4l2_ioctl(d->fd, VIDIOC_S_DV_TIMINGS, &t);
		if (ret < 0)
			return say(why, ret, "VIDIOC_S_DV_TIMINGS %s on %s", d->cfg.dv_timings,
				   d->acc.device);
	}
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_G_DV_TIMINGS, &t);
	if (ret < 0)
		return say(why, ret, "VIDIOC_G_DV_TIMINGS on %s", d->acc.device);
	dv_name(bt, d->acc.std, sizeof(d->acc.std));
	d->acc.width = bt->width;
	d->acc.height = bt->height; /* the frame, both fields of interlaced timings */
	total = (uint64_t)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);
	if (total && bt->pixelclock <= UINT32_MAX && total <= UINT32_MAX) {
		d->acc.rate_num = (unsigned)bt->pixelclock;
		d->acc.rate_den = (unsigned)total;
	}
	return 0;
}

static void format_offers(struct cap_v4l2_dev *d, struct cap_why *why)
{
	struct v4l2_fmtdesc fd = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	char cc[8];

	why->hint[0] = 0;
	for (fd.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++) {
		const struct mov_format *m = mov_format_from_v4l2(fd.pixelformat);

		if (m) /* only what a MOV can hold */
			offer(why, mov_format_name(m));
	}
	if (why->hint[0]) {
		prefix_hint(why, "it offers ");
		return;
	}
	for (fd.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++)
		offer(why, mov_fourcc_str(fd.pixelformat, cc));
	prefix_hint(why, "it offers only formats a MOV cannot hold uncompressed: ");
}

static bool offers_format(struct cap_v4l2_dev *d, uint32_t fourcc)
{
	struct v4l2_fmtdesc fd = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

	for (fd.index = 0; cap_v4l2_ioctl(d->fd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++)
		if (fd.pixelformat == fourcc)
			return true;
	return false;
}

static const uint32_t v4l2_fields[] = {
	[CAP_FIELD_NONE] = V4L2_FIELD_NONE,
	[CAP_FIELD_INTERLACED_TB] = V4L2_FIELD_INTERLACED_TB,
	[CAP_FIELD_INTERLACED_BT] = V4L2_FIELD_INTERLACED_BT,
	[CAP_FIELD_SEQ_TB] = V4L2_FIELD_SEQ_TB,
	[CAP_FIELD_SEQ_BT] = V4L2_FIELD_SEQ_BT,
	[CAP_FIELD_ALTERNATE] = V4L2_FIELD_ALTERNATE,
};

/* The driver's field as a mode; INTERLACED's order follows the standard (525-line systems
 * send the bottom field first). -1 for modes that cannot be recorded (TOP, BOTTOM alone). */
static int field_of(struct cap_v4l2_dev *d, uint32_t f)
{
	v4l2_std_id id = 0;

	if (f == V4L2_FIELD_INTERLACED) {
		cap_v4l2_ioctl(d->fd, VIDIOC_G_STD, &id);
		return id && !(id & ~V4L2_STD_525_60) ? CAP_FIELD_INTERLACED_BT
						      : CAP_FIELD_INTERLACED_TB;
	}
	for (unsigned i = 0; i < sizeof(v4l2_fields) / sizeof(v4l2_fields[0]); i++)
		if (v4l2_fields[i] == f)
			return (int)i;
	return -1;
}

static int set_format(struct cap_v4l2_dev *d, struct cap_why *why)
{
	const struct cap_config *c = &d->cfg;
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_pix_format *p = &f.fmt.pix;
	unsigned frame_h;
	bool alt;
	int ret;

	ret = cap_v4l2_ioctl(d->fd, VIDIOC_G_FMT, &f);
	if (ret < 0)
		return say(why, ret, "VIDIOC_G_FMT on %s", d->acc.device);
	if (c->format) {
		uint32_t cc = mov_format_v4l2(c->format);

		if (!cc || !offers_format(d, cc)) {
			say(why, -EINVAL, "--format %s: %s does not offer it",
			    mov_format_name(c->format), d->acc.device);
			format_offers(d, why);
			return -EINVAL;
		}
		p->pixelformat = cc;
	}
	frame_h = p->field == V4L2_FIELD_ALTERNATE ? p->height * 2 : p->height;
	if (!c->width && d->acc.width) { /* auto: what the standard or timings carry */
		p->width = d->acc.width;
		frame_h = d->acc.height;
	}
	if (c->width) {
		p->width = c->width;
		frame_h = c->height;
	}
	if (!c->field_auto)
		p->field = v4l2_fields[c->field];
	alt = p->field == V4L2_FIELD_ALTERNATE;
	p->height = alt ? frame_h / 2 : frame_h; /* ALTERNATE formats give a field's height */
	p->bytesperline = 0;
	p->sizeimage = 0;
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_S_FMT, &f);
	if (ret < 0)
		return say(why, ret, "VIDIOC_S_FMT on %s", d->acc.device);
	ret = cap_v4l2_ioctl(d->fd, VIDIOC_G_FMT, &f);
	if (ret < 0)
		return say(why, ret, "VIDIOC_G_FMT on %s", d->acc.device);
	d->acc.format = mov_format_from_v4l2(p->pixelformat);
	if (!d->acc.format) {
		say(why, -EINVAL, "%s delivers a format a MOV cannot hold uncompressed",
		    d->acc.device);
		format_offers(d, why);
		return -EINVAL;
	}
	d->acc.width = p->width;
	d->acc.height = p->field == V4L2_FIELD_ALTERNATE ? p->height * 2 : p->height;
	d->acc.bytesperline = p->bytesperline;
	d->acc.sizeimage = p->sizeimage;
	ret = field_of(d, p->field);
	if (ret < 0)
		return say(why, -EINVAL, "%s delivers single fields (field %u), not frames",
			   d->acc.device, p->field);
	d->acc.field = (enum cap_field)ret;
	return 0;
}

static int check_size(struct cap_v4l2_dev *d, struct cap_why *why)
{
	const struct cap_config *c = &d->cfg;
	struct cap_accepted *a = &d->acc;
	const char *reason;

	if (c->width && (a->width != c->width || a->height != c->height)) {
		say(why, -EINVAL, "--size %ux%u: %s gives %ux%u on input %s%s%s", c->width,
		    c->height, a->device, a->width, a->height, a->input, a->std[0] ? " with " : "",
		    a->std);
		snprintf(why->hint, sizeof(why->hint), "use --size %ux%u or --size auto", a->width,
			 a->height);
		return -EINVAL;
	}
	if (mov_format_check(a->format, a->width, a->height, &reason) < 0)
		return say(why, -EINVAL, "%s at %ux%u from %s: %s", mov_format_name(a->format),
			   a->width, a->height, a->device, reason);
	a->frame_bytes = mov_format_frame_size(a->format, a->width, a->height);
	if (a->bytesperline != mov_format_stride(a->format, a->width)) {
		say(why, -EINVAL, "%s pads %s lines of %u pixels to %u bytes; a MOV row is %llu",
		    a->device, mov_format_name(a->format), a->width, a->bytesperline,
		    (unsigned long long)mov_format_stride(a->format, a->width));
		snprintf(why->hint, sizeof(why->hint), "try another --size");
		return -EINVAL;
	}
	if (a->sizeimage < (a->field == CAP_FIELD_ALTERNATE ? a->frame_bytes / 2 : a->frame_bytes))
		return say(why, -EINVAL, "%s reports %u bytes per buffer, less than a %s frame",
			   a->device, a->sizeimage, mov_format_name(a->format));
	return 0;
}

/* Which field of a sequence comes first in time: bottom for 525-line (60 Hz) standards. */
static uint32_t seq_first_parity(struct cap_v4l2_dev *d)
{
	v4l2_std_id id = 0;

	if (cap_v4l2_ioctl(d->fd, VIDIOC_G_STD, &id) == 0 && id && !(id & ~V4L2_STD_525_60))
		return V4L2_FIELD_BOTTOM;
	return V4L2_FIELD_TOP;
}

static int check_field(struct cap_v4l2_dev *d, struct cap_why *why)
{
	const struct cap_config *c = &d->cfg;
	struct cap_accepted *a = &d->acc;

	if (!c->field_auto && a->field != c->field) {
		say(why, -EINVAL, "--field %s: %s gives %s on input %s%s%s",
		    cap_field_name(c->field), a->device, cap_field_name(a->field), a->input,
		    a->std[0] ? " with " : "", a->std);
		snprintf(why->hint, sizeof(why->hint), "use --field %s or --field auto%s",
			 cap_field_name(a->field),
			 c->field == CAP_FIELD_NONE ? "; progressive needs a progressive input"
						    : "");
		return -EINVAL;
	}
	/* ALTERNATE: a frame is the two fields of one sequence unless another start is asked */
	if (a->field == CAP_FIELD_ALTERNATE)
		d->seq_first = seq_first_parity(d);
	return cap_field_start(a->field, c->start_field, d->seq_first, why, &a->start_field);
}

/* With a standard or DV timings the rate follows them; elsewhere (webcams) ask S_PARM. */
static int set_rate(struct cap_v4l2_dev *d, struct cap_why *why)
{
	const struct cap_config *c = &d->cfg;
	struct cap_accepted *a = &d->acc;
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_fract *tpf = &parm.parm.capture.timeperframe;
	unsigned g;

	if (!a->rate_num) {
		if (c->rate_num) {
			*tpf = (struct v4l2_fract){ c->rate_den, c->rate_num };
			cap_v4l2_ioctl(d->fd, VIDIOC_S_PARM, &parm);
		}
		if (cap_v4l2_ioctl(d->fd, VIDIOC_G_PARM, &parm) == 0 && tpf->numerator &&
		    tpf->denominator) {
			a->rate_num = tpf->denominator;
			a->rate_den = tpf->numerator;
		}
	}
	if (!a->rate_num) {
		if (!c->rate_num)
			return say(why, -EINVAL, "%s does not say its frame rate", a->device);
		a->rate_num = c->rate_num, a->rate_den = c->rate_den; /* trust the user */
	}
	g = (unsigned)av_gcd(a->rate_num, a->rate_den);
	a->rate_num /= g;
	a->rate_den /= g;
	if (c->rate_num &&
	    (uint64_t)a->rate_num * c->rate_den != (uint64_t)c->rate_num * a->rate_den) {
		say(why, -EINVAL, "--rate %u/%u: %s runs at %u/%u on input %s%s%s", c->rate_num,
		    c->rate_den, a->device, a->rate_num, a->rate_den, a->input,
		    a->std[0] ? " with " : "", a->std);
		snprintf(why->hint, sizeof(why->hint), "leave --rate out to take the device's");
		return -EINVAL;
	}
	return 0;
}

/* The pixel aspect of the negotiated picture (Documentation/userspace-api/media/v4l/
 * vidioc-cropcap.rst: pixelaspect is y/x). A driver without the ioctl leaves 0/0: the
 * recording then takes its aspect from the frame size. */
static void read_pixel_aspect(struct cap_v4l2_dev *d)
{
	struct v4l2_cropcap cc = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

	if (cap_v4l2_ioctl(d->fd, VIDIOC_CROPCAP, &cc) < 0 || !cc.pixelaspect.numerator ||
	    !cc.pixelaspect.denominator)
		return;
	d->acc.aspect_x = cc.pixelaspect.denominator;
	d->acc.aspect_y = cc.pixelaspect.numerator;
}

int cap_v4l2_negotiate(const struct cap_config *cfg, struct cap_why *why,
		       struct cap_v4l2_dev *ret_dev)
{
	struct cap_v4l2_dev d = { .fd = -1, .cfg = *cfg };
	struct v4l2_capability cap = { 0 };
	int ret, in_caps;

	if (!cfg->device)
		d.cfg.device = "/dev/video0";
	snprintf(d.acc.device, sizeof(d.acc.device), "%s", d.cfg.device);
	ret = open_device(d.cfg.device, why, &d.fd);
	if (ret < 0)
		return ret;
	cap_v4l2_ioctl(d.fd, VIDIOC_QUERYCAP, &cap);
	snprintf(d.acc.card, sizeof(d.acc.card), "%s", cap.card);
	in_caps = ret = set_input(&d, why);
	if (ret >= 0)
		ret = set_std(&d, why, (unsigned)in_caps);
	if (ret >= 0)
		ret = set_dv(&d, why, (unsigned)in_caps);
	if (ret >= 0)
		ret = set_format(&d, why);
	if (ret >= 0)
		ret = check_size(&d, why);
	if (ret >= 0)
		ret = check_field(&d, why);
	if (ret >= 0)
		ret = set_rate(&d, why);
	if (ret >= 0)
		read_pixel_aspect(&d);
	if (ret < 0) {
		cap_v4l2_release(&d);
		return ret;
	}
	*ret_dev = d;
	return 0;
}

void cap_v4l2_release(struct cap_v4l2_dev *dev)
{
	if (dev->fd >= 0)
		v4l2_close(dev->fd);
	dev->fd = -1;
}
