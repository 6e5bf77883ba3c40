/* The format table: one row per pixel layout the tools can capture and index zero-copy, with
 * every size rule a format has (mov_format_check reads them from here, nowhere else).
 *
 * V4L2 names are used as the primary names because that is what a capture card reports. Byte
 * orders below are in memory, first byte first (V4L2's ABGR32/BGRA32 names read the other way
 * round; the kernel header comments give the memory order). */
#include "mov-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define V4L2(a, b, c, d) MOV_TAG(a, b, c, d)
#define CHROMA_PAIRS "4:2:2 needs an even width (pixel pairs share chroma)"

static const struct mov_format formats[] = {
	{ "UYVY", "8-bit 4:2:2 packed U Y0 V Y1 (MOV 2vuy)", "2vuy uyvy422 HDYC",
	  V4L2('U', 'Y', 'V', 'Y'), MOV_TAG('2', 'v', 'u', 'y'), 24, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_UYVY422, 16, 2, 4, MOV_FMT_EVEN_WIDTH, CHROMA_PAIRS },
	{ "YUYV", "8-bit 4:2:2 packed Y0 U Y1 V (MOV yuvs)", "yuvs yuyv422 YUY2",
	  V4L2('Y', 'U', 'Y', 'V'), MOV_TAG('y', 'u', 'v', 's'), 24, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_YUYV422, 16, 2, 4, MOV_FMT_EVEN_WIDTH, CHROMA_PAIRS },
	{ "v210", "10-bit 4:2:2, 6 pixels in 16 bytes, rows of ((w+47)/48)*128 bytes", NULL, 0,
	  MOV_TAG('v', '2', '1', '0'), 24, AV_CODEC_ID_V210, AV_PIX_FMT_YUV422P10, 20, 48, 128,
	  MOV_FMT_EVEN_WIDTH, CHROMA_PAIRS },
	{ "RGB24", "8-bit R,G,B (MOV 'raw ' depth 24); width must be even", "rgb24",
	  V4L2('R', 'G', 'B', '3'), MOV_TAG('r', 'a', 'w', ' '), 24, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_RGB24, 24, 1, 3, MOV_FMT_EVEN_ROWS, NULL },
	{ "BGR24", "8-bit B,G,R (MOV 24BG); width must be even", "bgr24", V4L2('B', 'G', 'R', '3'),
	  MOV_TAG('2', '4', 'B', 'G'), 24, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_BGR24, 24, 1, 3,
	  MOV_FMT_EVEN_ROWS, NULL },
	{ "ARGB32", "8-bit A,R,G,B (MOV 'raw ' depth 32)", "argb", V4L2('B', 'A', '2', '4'),
	  MOV_TAG('r', 'a', 'w', ' '), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_ARGB, 32, 1, 4, 0,
	  NULL },
	{ "ABGR32", "8-bit B,G,R,A (MOV BGRA)", "bgra", V4L2('A', 'R', '2', '4'),
	  MOV_TAG('B', 'G', 'R', 'A'), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_BGRA, 32, 1, 4, 0,
	  NULL },
	{ "BGRA32", "8-bit A,B,G,R (MOV ABGR)", "abgr", V4L2('R', 'A', '2', '4'),
	  MOV_TAG('A', 'B', 'G', 'R'), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_ABGR, 32, 1, 4, 0,
	  NULL },
	{ "RGBA32", "8-bit R,G,B,A (MOV RGBA)", "rgba", V4L2('A', 'B', '2', '4'),
	  MOV_TAG('R', 'G', 'B', 'A'), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_RGBA, 32, 1, 4, 0,
	  NULL },
	{ "XRGB32", "8-bit X,R,G,B stored as 'raw ' 32 (alpha byte undefined)", "0rgb",
	  V4L2('B', 'X', '2', '4'), MOV_TAG('r', 'a', 'w', ' '), 32, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_ARGB, 32, 1, 4, MOV_FMT_NO_ALPHA, NULL },
	{ "XBGR32", "8-bit B,G,R,X stored as BGRA (alpha byte undefined)", "bgr0",
	  V4L2('X', 'R', '2', '4'), MOV_TAG('B', 'G', 'R', 'A'), 32, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_BGRA, 32, 1, 4, MOV_FMT_NO_ALPHA, NULL },
	{ "BGRX32", "8-bit X,B,G,R stored as ABGR (alpha byte undefined)", "0bgr",
	  V4L2('R', 'X', '2', '4'), MOV_TAG('A', 'B', 'G', 'R'), 32, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_ABGR, 32, 1, 4, MOV_FMT_NO_ALPHA, NULL },
	{ "RGBX32", "8-bit R,G,B,X stored as RGBA (alpha byte undefined)", "rgb0",
	  V4L2('X', 'B', '2', '4'), MOV_TAG('R', 'G', 'B', 'A'), 32, AV_CODEC_ID_RAWVIDEO,
	  AV_PIX_FMT_RGBA, 32, 1, 4, MOV_FMT_NO_ALPHA, NULL },
	/* Deprecated V4L2 formats, mapped the way FFmpeg's v4l2 input maps them. */
	{ "RGB32", "deprecated V4L2 RGB32 = X,R,G,B, as XRGB32", NULL, V4L2('R', 'G', 'B', '4'),
	  MOV_TAG('r', 'a', 'w', ' '), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_ARGB, 32, 1, 4,
	  MOV_FMT_NO_ALPHA, NULL },
	{ "BGR32", "deprecated V4L2 BGR32 = B,G,R,X, as XBGR32", NULL, V4L2('B', 'G', 'R', '4'),
	  MOV_TAG('B', 'G', 'R', 'A'), 32, AV_CODEC_ID_RAWVIDEO, AV_PIX_FMT_BGRA, 32, 1, 4,
	  MOV_FMT_NO_ALPHA, NULL },
	{ "v410", "10-bit 4:4:4, one 32-bit word per pixel", NULL, 0, MOV_TAG('v', '4', '1', '0'),
	  24, AV_CODEC_ID_V410, AV_PIX_FMT_YUV444P10, 30, 1, 4, MOV_FMT_EVEN_WIDTH,
	  "FFmpeg's v410 decoder needs an even width (libavcodec/v410dec.c)" },
	{ "r210", "10-bit R,G,B in big-endian 32-bit words, rows padded to 64 pixels", NULL, 0,
	  MOV_TAG('r', '2', '1', '0'), 24, AV_CODEC_ID_R210, AV_PIX_FMT_RGB48LE, 30, 64, 256, 0,
	  NULL },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct mov_format *mov_format_at(unsigned i)
{
	return i < NFORMATS ? &formats[i] : NULL;
}

static bool fourcc_eq(uint32_t fourcc, const char *s)
{
	char buf[5];

	return fourcc && strlen(s) == 4 && !strcasecmp(mov_fourcc_str(fourcc, buf), s);
}

static bool alias_eq(const char *aliases, const char *s)
{
	size_t n = strlen(s);

	while (aliases && *aliases) {
		size_t len = strcspn(aliases, " ");

		if (len == n && !strncasecmp(aliases, s, n))
			return true;
		aliases += len;
		aliases += strspn(aliases, " ");
	}
	return false;
}

const struct mov_format *mov_format_find(const char *name)
{
	unsigned i;

	if (!name)
		return NULL;
	for (i = 0; i < NFORMATS; i++)
		if (!strcasecmp(formats[i].name, name))
			return &formats[i];
	for (i = 0; i < NFORMATS; i++)
		if (fourcc_eq(formats[i].v4l2, name))
			return &formats[i];
	/* 'raw ' names two formats: it is not accepted as a name. */
	for (i = 0; i < NFORMATS; i++)
		if (formats[i].tag != MOV_TAG('r', 'a', 'w', ' ') &&
		    fourcc_eq(formats[i].tag, name))
			return &formats[i];
	for (i = 0; i < NFORMATS; i++)
		if (alias_eq(formats[i].aliases, name))
			return &formats[i];
	return NULL;
}

const struct mov_format *mov_format_from_v4l2(uint32_t fourcc)
{
	unsigned i;

	for (i = 0; fourcc && i < NFORMATS; i++)
		if (formats[i].v4l2 == fourcc)
			return &formats[i];
	return NULL;
}

const struct mov_format *mov_format_from_tag(uint32_t tag, unsigned depth)
{
	unsigned i;

	/* The first row with a tag is the one with real alpha: X variants map back to it. */
	for (i = 0; i < NFORMATS; i++) {
		if (formats[i].tag != tag)
			continue;
		if (tag == MOV_TAG('r', 'a', 'w', ' ') && formats[i].depth != depth)
			continue;
		return &formats[i];
	}
	return NULL;
}

const char *mov_format_name(const struct mov_format *f)
{
	return f->name;
}

const char *mov_format_codec_name(const struct mov_format *f)
{
	switch (f->codec) {
	case AV_CODEC_ID_V210:
		return "v210";
	case AV_CODEC_ID_V410:
		return "v410";
	case AV_CODEC_ID_R210:
		return "r210";
	default:
		return "rawvideo";
	}
}

const char *mov_format_desc(const struct mov_format *f)
{
	return f->desc;
}

uint32_t mov_format_v4l2(const struct mov_format *f)
{
	return f->v4l2;
}

uint32_t mov_format_tag(const struct mov_format *f)
{
	return f->tag;
}

unsigned mov_format_bits(const struct mov_format *f)
{
	return f->bits;
}

uint64_t mov_format_stride(const struct mov_format *f, unsigned w)
{
	return ((uint64_t)w + f->block_px - 1) / f->block_px * f->block_bytes;
}

uint64_t mov_format_frame_size(const struct mov_format *f, unsigned w, unsigned h)
{
	return mov_format_stride(f, w) * h;
}

int mov_format_check(const struct mov_format *f, unsigned w, unsigned h, const char **ret_why)
{
	const char *why = NULL;
	int ret = 0;

	if (!w || !h || w > 32768 || h > 32768) {
		why = "width and height must be 1 to 32768";
		ret = -EINVAL;
	} else if ((f->flags & MOV_FMT_EVEN_WIDTH) && (w & 1)) {
		why = f->odd_width;
		ret = -EINVAL;
	} else if ((f->flags & MOV_FMT_EVEN_ROWS) && (mov_format_stride(f, w) & 1)) {
		why = "rows of an odd number of bytes are padded (copied) by the MOV muxer; use an "
		      "even width";
		ret = -ENOTSUP;
	} else if (mov_format_frame_size(f, w, h) > INT32_MAX) {
		why = "frame larger than 2 GiB (libavcodec packet limit)";
		ret = -EFBIG;
	}
	if (ret < 0 && ret_why)
		*ret_why = why;
	return ret;
}

const char *mov_fourcc_str(uint32_t fourcc, char *buf)
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		char c = (char)(fourcc >> (8 * i));

		buf[i] = c >= 32 && c < 127 ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}
