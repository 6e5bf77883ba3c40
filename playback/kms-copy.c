/* KMS helpers without a device: the DRM fourcc of a file's format, and the copy into a dumb
 * buffer (plain, fields woven, or 4:2:2 converted to XRGB8888 for planes without YUV).
 */
#include "play-internal.h"

#include <drm_fourcc.h>
#include <linux/videodev2.h>
#include <string.h>

static const struct {
	uint32_t v4l2, drm;
} fourccs[] = {
	/* V4L2 names bytes in memory order, DRM names a little-endian word from the top. */
	{ V4L2_PIX_FMT_UYVY, DRM_FORMAT_UYVY },	      { V4L2_PIX_FMT_YUYV, DRM_FORMAT_YUYV },
	{ V4L2_PIX_FMT_RGB24, DRM_FORMAT_BGR888 },    { V4L2_PIX_FMT_BGR24, DRM_FORMAT_RGB888 },
	{ V4L2_PIX_FMT_ARGB32, DRM_FORMAT_BGRA8888 }, { V4L2_PIX_FMT_ABGR32, DRM_FORMAT_ARGB8888 },
	{ V4L2_PIX_FMT_BGRA32, DRM_FORMAT_RGBA8888 }, { V4L2_PIX_FMT_RGBA32, DRM_FORMAT_ABGR8888 },
	{ V4L2_PIX_FMT_XRGB32, DRM_FORMAT_BGRX8888 }, { V4L2_PIX_FMT_XBGR32, DRM_FORMAT_XRGB8888 },
	{ V4L2_PIX_FMT_BGRX32, DRM_FORMAT_RGBX8888 }, { V4L2_PIX_FMT_RGBX32, DRM_FORMAT_XBGR8888 },
	{ V4L2_PIX_FMT_RGB32, DRM_FORMAT_BGRX8888 },  { V4L2_PIX_FMT_BGR32, DRM_FORMAT_XRGB8888 },
};

uint32_t kms_drm_fourcc(const struct mov_format *f)
{
	uint32_t v = mov_format_v4l2(f);

	for (unsigned i = 0; i < sizeof(fourccs) / sizeof(fourccs[0]); i++)
		if (fourccs[i].v4l2 == v)
			return fourccs[i].drm;
	return 0;
}

/* The source row that holds picture row y: SEP frames keep one field after the other, the
 * picture interleaves them (top field on even rows). */
static unsigned src_row(unsigned y, unsigned h, enum mov_field layout)
{
	unsigned top_rows = (h + 1) / 2;
	bool top = !(y & 1);

	if (layout == MOV_FIELD_SEP_TB)
		return top ? y / 2 : top_rows + y / 2;
	if (layout == MOV_FIELD_SEP_BT)
		return top ? (h - top_rows) + y / 2 : y / 2;
	return y;
}

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* One row of 8-bit 4:2:2 (BT.601, limited range) to XRGB8888. */
static void row_422_to_xrgb(uint32_t *dst, const uint8_t *src, unsigned w, bool uyvy)
{
	for (unsigned x = 0; x < w; x += 2, src += 4) {
		int u = (uyvy ? src[0] : src[1]) - 128, v = (uyvy ? src[2] : src[3]) - 128;
		int ys[2] = { uyvy ? src[1] : src[0], uyvy ? src[3] : src[2] };

		for (unsigned k = 0; k < 2 && x + k < w; k++) {
			int c = 298 * (ys[k] - 16);
			uint8_t r = clamp8((c + 409 * v + 128) >> 8);
			uint8_t g = clamp8((c - 100 * u - 208 * v + 128) >> 8);
			uint8_t b = clamp8((c + 516 * u + 128) >> 8);

			dst[x + k] = 0xff000000u | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
		}
	}
}

void kms_copy_frame(const struct kms_copy *c, void *dst, const void *src)
{
	for (unsigned y = 0; y < c->height; y++) {
		const uint8_t *s =
		    (const uint8_t *)src + (size_t)src_row(y, c->height, c->layout) * c->src_stride;
		uint8_t *d = (uint8_t *)dst + (size_t)y * c->dst_pitch;

		if (c->convert == KMS_CONVERT_NONE)
			memcpy(d, s, c->src_stride);
		else
			row_422_to_xrgb((uint32_t *)d, s, c->width,
					c->convert == KMS_CONVERT_UYVY_XRGB);
	}
}
