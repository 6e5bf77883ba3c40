/* V4L2 output setup: which output of the device, which standard or DV timings, which format.
 * Everything is taken from the file (size, rate, fiel, tag); when the device cannot take it the
 * answer is -EINVAL and nothing is bent to fit, because frames played in another geometry or
 * field order are not the file's frames.
 */
#include "play-internal.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

int play_v4l2_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

uint32_t play_v4l2_field(enum mov_field field)
{
	switch (field) {
	case MOV_FIELD_TFF:
		return V4L2_FIELD_INTERLACED_TB;
	case MOV_FIELD_BFF:
		return V4L2_FIELD_INTERLACED_BT;
	case MOV_FIELD_SEP_TB:
		return V4L2_FIELD_SEQ_TB;
	case MOV_FIELD_SEP_BT:
		return V4L2_FIELD_SEQ_BT;
	default: /* progressive, or no fiel box: take the frames as whole pictures */
		return V4L2_FIELD_NONE;
	}
}

/* The analogue standard for SD sizes at their rate; 0 when the file is not SD video. */
static v4l2_std_id std_for(const struct play_config *cfg)
{
	uint64_t n = cfg->rate_num, d = cfg->rate_den;

	if (cfg->width != 720 || !d)
		return 0;
	if (cfg->height == 576 && n == 25 * d)
		return V4L2_STD_PAL;
	if ((cfg->height == 480 || cfg->height == 486) && n * 1001 == d * 30000)
		return V4L2_STD_NTSC_M;
	return 0;
}

/* Frames per second of a DV timing, times 1000. */
static uint64_t dv_mfps(const struct v4l2_bt_timings *bt)
{
	uint64_t w = V4L2_DV_BT_FRAME_WIDTH(bt), h = V4L2_DV_BT_FRAME_HEIGHT(bt);

	return w && h ? bt->pixelclock * 1000 / (w * h) : 0;
}

static bool dv_matches(const struct v4l2_bt_timings *bt, const struct play_config *cfg)
{
	bool interlaced = cfg->field != MOV_FIELD_PROGRESSIVE && cfg->field != MOV_FIELD_UNKNOWN;
	uint64_t want = cfg->rate_den ? (uint64_t)cfg->rate_num * 1000 / cfg->rate_den : 0;
	uint64_t got = dv_mfps(bt);

	if (bt->width != cfg->width || bt->height != cfg->height || !!bt->interlaced != interlaced)
		return false;
	/* 0.2% apart covers 60 vs 60000/1001 rounding in pixel clocks but not 50 vs 60. */
	return got * 1000 >= want * 998 && got * 1000 <= want * 1002;
}

static int set_dv_timings(int fd, const struct play_config *cfg, char *what, size_t len)
{
	for (unsigned i = 0;; i++) {
		struct v4l2_enum_dv_timings e = { .index = i };
		int ret = play_v4l2_ioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &e);

		if (ret < 0)
			return ret == -EINVAL ? -EINVAL : ret; /* end of the list: no match */
		if (e.timings.type != V4L2_DV_BT_656_1120 || !dv_matches(&e.timings.bt, cfg))
			continue;
		ret = play_v4l2_ioctl(fd, VIDIOC_S_DV_TIMINGS, &e.timings);
		if (ret < 0)
			return ret;
		snprintf(what, len, "DV %ux%u%c%.2f", e.timings.bt.width, e.timings.bt.height,
			 e.timings.bt.interlaced ? 'i' : 'p', dv_mfps(&e.timings.bt) / 1000.0);
		return 0;
	}
}

/* The output that can carry the file: SD wants one with standards, other sizes one with DV
 * timings; an output with neither takes whatever S_FMT accepts. The current output is kept
 * when it fits. */
static int choose_output(int fd, bool sd, struct v4l2_output *ret_out)
{
	uint32_t want = sd ? V4L2_OUT_CAP_STD : V4L2_OUT_CAP_DV_TIMINGS;
	struct v4l2_output o = { 0 };
	int cur = 0, ret;

	if (play_v4l2_ioctl(fd, VIDIOC_G_OUTPUT, &cur) < 0) {
		memset(ret_out, 0, sizeof(*ret_out)); /* no outputs to choose from */
		ret_out->index = UINT32_MAX;
		return 0;
	}
	o.index = cur;
	ret = play_v4l2_ioctl(fd, VIDIOC_ENUMOUTPUT, &o);
	if (ret < 0)
		return ret;
	if ((o.capabilities & want) ||
	    !(o.capabilities & (V4L2_OUT_CAP_STD | V4L2_OUT_CAP_DV_TIMINGS)))
		goto out;
	for (unsigned i = 0;; i++) {
		o = (struct v4l2_output){ .index = i };
		if (play_v4l2_ioctl(fd, VIDIOC_ENUMOUTPUT, &o) < 0)
			return -EINVAL; /* no output can carry this material */
		if (o.capabilities & want)
			break;
	}
	cur = o.index;
	ret = play_v4l2_ioctl(fd, VIDIOC_S_OUTPUT, &cur);
	if (ret < 0)
		return ret;
out:
	*ret_out = o;
	return 0;
}

int play_v4l2_set_output(int fd, const struct play_config *cfg, char *what, size_t len)
{
	v4l2_std_id std = std_for(cfg);
	struct v4l2_output o;
	char timing[64] = "";
	int ret;

	ret = choose_output(fd, std != 0, &o);
	if (ret < 0)
		return ret;
	if (o.capabilities & V4L2_OUT_CAP_STD) {
		if (!std || !(o.std & std))
			return -EINVAL;
		ret = play_v4l2_ioctl(fd, VIDIOC_S_STD, &std);
		if (ret < 0)
			return ret;
		snprintf(timing, sizeof(timing), "%s", std == V4L2_STD_PAL ? "PAL" : "NTSC-M");
	} else if (o.capabilities & V4L2_OUT_CAP_DV_TIMINGS) {
		ret = set_dv_timings(fd, cfg, timing, sizeof(timing));
		if (ret < 0)
			return ret;
	}
	if (o.index == UINT32_MAX)
		snprintf(what, len, "the device's only output");
	else
		snprintf(what, len, "output %u '%.32s'%s%s", o.index, (const char *)o.name,
			 timing[0] ? ", " : "", timing);
	return 0;
}

/* S_FMT for the file's frames; ALTERNATE is taken only when the device insists on it for
 * interlaced material (then the height is a field's). */
int play_v4l2_set_format(int fd, const struct play_config *cfg, struct v4l2_pix_format *ret_pix)
{
	uint32_t field = play_v4l2_field(cfg->field);
	uint32_t fourcc = mov_format_v4l2(cfg->format);
	uint64_t stride = play_config_stride(cfg);
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	struct v4l2_pix_format *p = &f.fmt.pix;
	int ret;

	if (!fourcc)
		return -EINVAL; /* V4L2 has no name for this format */
	p->width = cfg->width;
	p->height = cfg->height;
	p->pixelformat = fourcc;
	p->field = field;
	p->bytesperline = stride;
	ret = play_v4l2_ioctl(fd, VIDIOC_S_FMT, &f);
	if (ret < 0)
		return ret;
	if (p->pixelformat != fourcc || p->width != cfg->width || p->bytesperline != stride)
		return -EINVAL;
	if (p->field == V4L2_FIELD_ALTERNATE && field != V4L2_FIELD_NONE) {
		if (p->height * 2 != cfg->height)
			return -EINVAL;
	} else if (p->field != field || p->height != cfg->height) {
		return -EINVAL;
	}
	*ret_pix = *p;
	return 0;
}
