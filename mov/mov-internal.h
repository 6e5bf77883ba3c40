/* Shared inside mov/ only. */
#ifndef VCAP_MOV_INTERNAL_H
#define VCAP_MOV_INTERNAL_H

#include "mov.h"

#include <libavcodec/avcodec.h>
#include <libavutil/pixfmt.h>

#define MOV_TAG(a, b, c, d) \
	((uint32_t)(uint8_t)(a) | (uint32_t)(uint8_t)(b) << 8 | (uint32_t)(uint8_t)(c) << 16 | \
	 (uint32_t)(uint8_t)(d) << 24)

enum mov_format_flag {
	MOV_FMT_EVEN_WIDTH = 1 << 0, /* 4:2:2 chroma pairs: width must be even */
	MOV_FMT_EVEN_ROWS = 1 << 1,  /* the muxer pads rows to 2 bytes (copy) when they are odd */
	MOV_FMT_NO_ALPHA = 1 << 2,   /* X byte stored where the MOV format says alpha */
};

struct mov_format {
	const char *name;
	const char *desc;
	const char *aliases; /* extra lookup names, space separated, or NULL */
	uint32_t v4l2;       /* V4L2 fourcc, 0 if none */
	uint32_t tag;        /* MOV sample-entry tag */
	unsigned depth;      /* stsd depth the muxer writes for it (tells 'raw ' apart) */
	enum AVCodecID codec;
	enum AVPixelFormat pix_fmt; /* rawvideo: what the muxer maps to tag; others: decoded */
	unsigned bits;              /* bits per pixel of the data */
	unsigned block_px;          /* a row is whole blocks of block_px pixels ... */
	unsigned block_bytes;       /* ... of block_bytes bytes each */
	unsigned flags;             /* enum mov_format_flag */
};

/* params.c */
enum AVFieldOrder mov_field_to_av(enum mov_field field);
enum mov_field mov_field_from_av(enum AVFieldOrder av);
void mov_colour_to_av(enum mov_colour colour, AVCodecParameters *par);
bool mov_format_is_rgb(const struct mov_format *f);

/* A start timecode as a frame count, for per-frame labels in the journal. */
struct mov_timecode {
	int64_t start;  /* frames since 00:00:00:00 */
	unsigned fps;   /* rounded rate */
	unsigned drop;  /* labels dropped per minute (0, 2 or 4) */
};
int mov_timecode_parse(const char *tc, unsigned rate_num, unsigned rate_den,
		       struct mov_timecode *ret_tc);
/* The label offset frames after the start. */
void mov_timecode_string(const struct mov_timecode *tc, int64_t offset, char *buf, size_t len);

/* writer.c: an AVERROR as -errno (FFmpeg's own tags become -EPROTO, EOF -ENODATA). */
int mov_av_err(int averr);

#endif
