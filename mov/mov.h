/* mov: uncompressed video in QuickTime (MOV) files, indexed through libavformat's mov muxer
 * without the muxer ever copying or writing frame payload ("zero copy"): the disk engine puts
 * each frame at an aligned offset itself, and this module writes only ftyp/wide/mdat header and
 * the moov index around it.
 *
 * Return convention everywhere: >= 0 on success, -errno on failure; predicates return bool.
 * Output parameters named ret_* are written only on success. Nothing here prints.
 */
#ifndef VCAP_MOV_H
#define VCAP_MOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pixel formats: name / V4L2 fourcc <-> FFmpeg pixel format or codec <-> MOV tag ---- */

/* One entry of a constant table; pointers to it stay valid for the life of the program. */
struct mov_format;

/* Look a format up by (case-insensitively) its name ("UYVY", "ARGB32", "v210"), its V4L2
 * fourcc ("BA24"), its MOV sample-entry tag ("2vuy", "yuvs", "BGRA") or its FFmpeg pixel
 * format name ("uyvy422", "bgra"). Names are tried first, then V4L2 fourccs, then MOV tags,
 * then FFmpeg names, so "BGRA32" is V4L2's BGRA32 (bytes A,B,G,R in memory, MOV 'ABGR') while
 * "BGRA" is the MOV tag (bytes B,G,R,A, V4L2's ABGR32). NULL when unknown. */
const struct mov_format *mov_format_find(const char *name);

/* By V4L2 fourcc value (V4L2_PIX_FMT_*). NULL when the table has no such format. */
const struct mov_format *mov_format_from_v4l2(uint32_t fourcc);

/* By MOV sample-entry tag as the demuxer reports it (MKTAG order: first character in the low
 * byte) and the sample entry's depth (only used to tell 'raw ' 24 from 'raw ' 32). */
const struct mov_format *mov_format_from_tag(uint32_t tag, unsigned depth);

/* Iteration for listings: the i-th format, NULL past the end. */
const struct mov_format *mov_format_at(unsigned i);

const char *mov_format_name(const struct mov_format *f); /* "UYVY", "v210", ... */
const char *mov_format_desc(const struct mov_format *f); /* one line for --help */
uint32_t mov_format_v4l2(const struct mov_format *f);    /* V4L2 fourcc, 0 if V4L2 has none */
uint32_t mov_format_tag(const struct mov_format *f);     /* MOV tag, MKTAG order */

/* Bits per pixel of the pixel data (16 for 4:2:2 8-bit, 20 for v210, 24, 32); row padding
 * of packed formats such as v210 is only in mov_format_stride()/mov_format_frame_size(). */
unsigned mov_format_bits(const struct mov_format *f);

/* Bytes in one row of width w, including the format's own row padding (v210: ((w+47)/48)*128,
 * r210: rows padded to 64 pixels). */
uint64_t mov_format_stride(const struct mov_format *f, unsigned w);

/* Bytes in one frame of w x h: stride(w) * h. This is exactly the sample size in the MOV. */
uint64_t mov_format_frame_size(const struct mov_format *f, unsigned w, unsigned h);

/* Can frames of w x h be stored zero-copy? 0 if yes. -EINVAL when the geometry is impossible
 * for the format (zero size, odd width for 4:2:2); -ENOTSUP when the muxer would rewrite the
 * payload (24-bit RGB rows that are not a multiple of 2 bytes get padded, i.e. copied). With
 * ret_why non-NULL, a constant one-line reason is stored there on failure. */
int mov_format_check(const struct mov_format *f, unsigned w, unsigned h, const char **ret_why);

/* The fourcc as a printable 4-character string in buf (at least 5 bytes); returns buf. */
const char *mov_fourcc_str(uint32_t fourcc, char *buf);

#endif
