/* Shared by the reader's files only (reader.c, reader-tc.c). */
#ifndef VCAP_MOV_READER_H
#define VCAP_MOV_READER_H

#include "mov-internal.h"

#include <libavformat/avformat.h>

/* A timecode track as segments: from the video pts of each tmcd sample on, labels count up
 * one per label period from that sample's value. */
struct mov_tc_seg {
	int64_t pts;   /* video time base */
	int64_t label; /* labels since 00:00:00:00 */
};

struct mov_tc_map {
	struct mov_tc_seg *seg; /* n, by pts; NULL when the file has no timecode track */
	size_t n;
	unsigned fps;	   /* labels per second, rounded (30 at 29.97, 60 at 59.94) */
	unsigned drop;	   /* drop-frame labels skipped per minute: 0, 2 or 4 */
	AVRational period; /* one label, in seconds (frameDuration / timeScale) */
	AVRational tb;	   /* the video time base */
};

struct mov_reader {
	struct mov_info info;
	struct mov_sample *samples;
	struct mov_tc_map tc;
};

/* Read the first tmcd stream of fc (its sample description in extradata and every sample's
 * 32-bit frame number, by pread on fd) into m, for the video stream st with its n samples.
 * 0 also when there is no timecode track (m->n == 0); -EBADMSG for a damaged description,
 * -ENOMEM, -errno from pread. */
int mov_tc_map_read(struct mov_tc_map *m, AVFormatContext *fc, int fd, const AVStream *st,
		    const struct mov_sample *s, uint64_t n);

#endif
