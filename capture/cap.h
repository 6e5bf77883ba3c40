/* capture: frame sources behind one ops table (pattern now, V4L2 next), filling the slots of a
 * diskio slab.
 *
 * The contract: the capture loop owns the order. It hands slots to the source with requeue()
 * in ring order, and the source returns them filled, in the same order, from dequeue(). So V
 * consecutive frames sit in V consecutive slots, and one write puts them on disk.
 *
 * Return convention: >= 0 on success, -errno on failure; ret_* written only on success.
 * Nothing here prints.
 */
#ifndef VCAP_CAP_H
#define VCAP_CAP_H

#include <stdbool.h>
#include <stdint.h>

struct dio_slab;
struct mov_format;

/* Field modes, as V4L2 names them (enum v4l2_field values are kept in cap_frame.field). */
enum cap_field {
	CAP_FIELD_NONE,          /* progressive */
	CAP_FIELD_INTERLACED_TB, /* interleaved lines, top field first in time */
	CAP_FIELD_INTERLACED_BT, /* interleaved lines, bottom field first */
	CAP_FIELD_SEQ_TB,        /* whole top field, then whole bottom field */
	CAP_FIELD_SEQ_BT,
	CAP_FIELD_ALTERNATE,     /* one field per buffer, parity in cap_frame.field */
};

/* "none", "interlaced-tb", ...; parse accepts "progressive" and "interlaced" (= -tb) too. */
const char *cap_field_name(enum cap_field f);
int cap_field_parse(const char *s, enum cap_field *ret);
/* The V4L2 field value (V4L2_FIELD_*) a frame of this mode carries. */
uint32_t cap_field_v4l2(enum cap_field f);

struct cap_config {
	const struct mov_format *format;
	unsigned width, height;
	unsigned rate_num, rate_den; /* frames per second */
	bool paced;                  /* false: as fast as slots come back (pattern --rate max) */
	enum cap_field field;
	/* The pattern source behaves like a device with these (others ignore them), so the
	 * drop, error and timecode policies can be rehearsed without hardware. */
	struct {
		const char *timecode; /* device timecode of frame 0, counting with sequence */
		unsigned drop_every;  /* lose every Nth frame (a sequence gap); 0: none */
		unsigned error_every; /* flag every Nth frame V4L2_BUF_FLAG_ERROR; 0: none */
		unsigned fail_after;  /* dequeue() fails with -EIO after N frames; 0: never */
	} pattern;
};

/* One delivered frame. */
struct cap_frame {
	unsigned slot;
	uint64_t sequence;     /* counts frames since start, gaps are drops (V4L2 semantics) */
	uint32_t field;        /* V4L2_FIELD_* of this buffer */
	uint32_t flags;        /* V4L2_BUF_FLAG_* */
	uint64_t timestamp_ns; /* CLOCK_MONOTONIC */
	char timecode[16];     /* "HH:MM:SS:FF" from the device, or "" */
	uint32_t lost_fields;  /* fields lost just before this frame (ALTERNATE counts each
				* field, a lone field whose partner was lost included) */
};

struct cap_source;

struct cap_source_ops {
	const char *name;
	const char *desc; /* one line for --help */
	/* Make a source filling slots of slab with frames of cfg. */
	int (*open)(const struct cap_config *cfg, struct dio_slab *slab,
		    struct cap_source **ret_src);
	int (*start)(struct cap_source *src);
	/* The next filled slot, in the order slots were requeued. Blocks up to timeout_ms
	 * (-1: forever); -EAGAIN when nothing is ready then, or when no slot is queued. */
	int (*dequeue)(struct cap_source *src, int timeout_ms, struct cap_frame *ret_frame);
	/* Give a slot (back) to the source to fill. */
	int (*requeue)(struct cap_source *src, unsigned slot);
	int (*stop)(struct cap_source *src);
	/* Free; accepts NULL. */
	void (*close)(struct cap_source *src);
};

/* The source named name ("pattern", "v4l2"), NULL if there is none. */
const struct cap_source_ops *cap_source_find(const char *name);
/* i-th source for listings, NULL past the end. */
const struct cap_source_ops *cap_source_at(unsigned i);

#endif
