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
	MOV_FMT_EVEN_WIDTH = 1 << 0, /* width must be even: see the row's odd_width */
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
	const char *odd_width;      /* with MOV_FMT_EVEN_WIDTH: why, and whose rule */
};

/* Each audio track's part of a chunk starts on this boundary (mov_audio_chunk_layout). */
#define MOV_AUDIO_PART_ALIGN 4096

/* The recording id stamp (journal.c, recover.c): MOV_STAMP_SIZE bytes that end where the
 * first frame begins, in the unused mdat bytes between the header and the first frame:
 * MOV_STAMP_PREFIX, 32 hex digits, a newline, zeros. */
#define MOV_STAMP_SIZE 64
#define MOV_STAMP_PREFIX "vcj recording "

/* The self description (journal.c, recover.c): MOV_SELF_SIZE bytes that end where the stamp
 * begins: MOV_SELF_PREFIX, "slot BYTES", then the capture log's header lines, zeros. What
 * recovery needs when the log is lost: the format and where each frame is. */
#define MOV_SELF_SIZE 1024
#define MOV_SELF_PREFIX "vcj self\n"
/* Bytes kept free before the self description for the MOV header (ftyp, wide, mdat). */
#define MOV_STAMP_ROOM 960

/* verify-audio.c: the sidecar's lines of the sound against the file's audio packets (called
 * by mov_verify_md5 after the frames). */
int mov_verify_audio_md5(const char *mov_path, const char *md5_path,
			 struct mov_verify_result *res);

/* The MD5 of size bytes at pos in fd, read through *buf in chunks of MOV_MD5_CHUNK at most
 * (*buf grown to *cap as needed; the caller frees it), so that no size an index gives sets
 * an allocation: the frames and the sound's packets, for framemd5 sidecars and their check.
 * -ENODATA past the end of the file (or for a negative pos or size), -errno from pread. */
#define MOV_MD5_CHUNK (1u << 20)
int mov_bytes_md5(int fd, int64_t pos, int64_t size, uint8_t **buf, size_t *cap,
		  uint8_t md5[16]);

/* params.c */
enum AVFieldOrder mov_field_to_av(enum mov_field field);
/* From the 'fiel' box (count << 8 | detail); MOV_FIELD_UNKNOWN for other values. */
enum mov_field mov_field_from_fiel(uint16_t fiel);
void mov_colour_to_av(enum mov_colour colour, AVCodecParameters *par);
bool mov_format_is_rgb(const struct mov_format *f);

/* A start timecode as a frame count, for per-frame labels in the journal. */
struct mov_timecode {
	int64_t start;  /* frames since 00:00:00:00 */
	unsigned fps;   /* rounded rate */
	unsigned drop;  /* labels dropped per minute (0, 2 or 4) */
};
/* Labels per second of a timecode at rate_num/rate_den frames/s: the rate rounded to the
 * nearest whole (29.97 -> 30), computed in 64 bits. 0 when there is none to label with: a
 * zero term, a rounded rate of 0, or one above MOV_TIMECODE_MAX_FPS (the ceiling
 * mov_params_check and the tmcd reader put on a frame rate; above it the label arithmetic
 * of mov_timecode_string would overflow 32 bits). */
#define MOV_TIMECODE_MAX_FPS 1000
unsigned mov_timecode_fps(unsigned rate_num, unsigned rate_den);
/* Labels skipped each minute (but every tenth) by drop-frame timecode at a rounded rate: 2
 * at 30, 4 at 60; 0 at rates that are not a multiple of 30 (no drop-frame there). */
unsigned mov_timecode_drop_labels(unsigned fps);
int mov_timecode_parse(const char *tc, unsigned rate_num, unsigned rate_den,
		       struct mov_timecode *ret_tc);
/* The label offset frames after the start. */
void mov_timecode_string(const struct mov_timecode *tc, int64_t offset, char *buf, size_t len);

/* box.c: boxes of a moov read into memory. Types are in MOV_TAG order, like sample tags. */
static inline uint32_t mov_rb32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t mov_rb64(const uint8_t *p)
{
	return (uint64_t)mov_rb32(p) << 32 | mov_rb32(p + 4);
}

static inline uint16_t mov_rb16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mov_rl32(const uint8_t *p)
{
	return MOV_TAG(p[0], p[1], p[2], p[3]);
}

/* The sample-entry tags (MOV_TAG order) of the track whose tkhd track_ID is id, from the
 * file's moov (fd, size bytes): up to max in tags, their number in *ret_count. -ENOENT no such
 * track, -EINVAL damaged boxes, -EFBIG a moov over 1 GiB, -errno from pread. */
int mov_stsd_tags(int fd, uint64_t size, unsigned id, uint32_t *tags, unsigned max,
		  unsigned *ret_count);

/* format.c: the FFmpeg codec name of a table row ("rawvideo", "v210", ...). */
const char *mov_format_codec_name(const struct mov_format *f);

/* report-log.c: what the capture log at path says of the file rd has open, into r (frames'
 * log columns, batches, the log's events). 0, or -errno when the log is missing, not a
 * capture log (-EBADMSG) or another recording's (-ESTALE): r keeps none of it then. */
struct mov_reader;
int mov_report_read_log(struct mov_report *r, const char *path, const struct mov_reader *rd);
/* report-log.c: add an event, keeping r->event sorted by frame then kind. */
int mov_report_add_event(struct mov_report *r, const struct mov_report_event *ev);
/* report-av.c: read and decode every frame of path through libavformat and libavcodec, its
 * statistics through libavfilter (signalstats, and the fields' MSE), thumbnails every
 * thumb_every seconds (< 0: none) thumb_width wide as PNG, md5s against r->log_md5. */
int mov_report_decode(struct mov_report *r, const char *path, double thumb_every,
		      unsigned thumb_width);

/* writer.c: an AVERROR as -errno (FFmpeg's own tags become -EPROTO, EOF -ENODATA). */
int mov_av_err(int averr);

/* reader.c: avformat_open_input(fc, path, fmt, options) as every reader in mov/ opens a file:
 * with the mov demuxer's ignore_chapters set. Chapter tracks are not what anything here reads,
 * and reading them at open leaks in FFmpeg 5.1 (libavformat/mov.c mov_read_chapters() calls
 * ff_add_attached_pic() for each 'chap' reference, and a track referenced twice loses its
 * first picture; found by fuzz-reader). fmt NULL probes. Returns 0 or an AVERROR; *fc is
 * NULL after a failure, as avformat_open_input() leaves it. */
struct AVInputFormat;
struct AVFormatContext;
int mov_av_open(struct AVFormatContext **fc, const char *path, const struct AVInputFormat *fmt);

#endif
