/* capture: frame sources behind one ops table (pattern, V4L2), filling the slots of a diskio
 * slab.
 *
 * The life of a source: open() negotiates with the device and reads back what it accepted
 * (describe() tells; the caller sizes the slab from cap_accepted.frame_bytes), attach() hands
 * over the slab and sets up buffers (how: cap_accepted.mode), requeue() every slot, start(),
 * then dequeue()/requeue() in a loop, stop(), stats() (the copy counter), close().
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

#pragma GCC visibility push(default)

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

/* What the caller asks for. Zero/NULL means "auto": take what the device (or, for the pattern
 * source, the built-in default) has; anything else the device must accept exactly, or open
 * fails. */
struct cap_config {
	const struct mov_format *format; /* NULL: auto */
	unsigned width, height;		 /* frame size; 0x0: auto */
	unsigned rate_num, rate_den;	 /* frames per second; 0/0: auto */
	bool paced;                  /* false: as fast as slots come back (pattern --rate max) */
	enum cap_field field;
	bool field_auto; /* take the device's field mode, ignore field */
	/* V4L2 only */
	const char *device;	/* "/dev/video0" */
	const char *input;	/* index or name; NULL: keep the current input */
	const char *std;	/* "pal", "ntsc", "pal-b", ..., "auto" (query); NULL: keep */
	const char *dv_timings; /* "query", or "1280x720p60", "1920x1080p30", ...; NULL: keep */
	uint32_t start_field;	/* V4L2_FIELD_TOP/BOTTOM: first field's parity; 0: any */
	enum cap_buffers {
		CAP_BUFFERS_AUTO, /* DMABUF into the slab, else MMAP + one copy */
		CAP_BUFFERS_DMABUF,
		CAP_BUFFERS_MMAP, /* force the copying fallback (tests, drivers that misbehave) */
	} buffers;
	bool zero_copy; /* any copy of pixels is an error at setup */
	/* The pattern source behaves like a device with these (others ignore them), so the
	 * drop, error and timecode policies can be rehearsed without hardware. */
	struct {
		const char *timecode; /* device timecode of frame 0, counting with sequence */
		unsigned drop_every;  /* lose every Nth frame (a sequence gap); 0: none */
		unsigned lose_first;  /* the first N frames after STREAMON never arrive */
		unsigned error_every; /* flag every Nth frame V4L2_BUF_FLAG_ERROR; 0: none */
		unsigned fail_after;  /* dequeue() fails with -EIO after N frames; 0: never */
		unsigned tc_jump_every; /* every Nth frame the timecode jumps a second ahead, as
					 * at an edit on tape; 0: never */
		unsigned seq_repeat_every; /* every Nth frame repeats the sequence number before
					    * it, as vivid does at times while dropping; 0: never */
	} pattern;
};

/* How frames reach the slab. */
enum cap_buf_mode {
	CAP_BUF_IN_PLACE,    /* the source writes the slot itself (pattern) */
	CAP_BUF_DMABUF,	     /* the device DMAs into the slab's udmabufs: zero copy */
	CAP_BUF_MMAP_COPY,   /* driver buffers (MMAP), one memcpy each into the slab */
	CAP_BUF_FIELDS_COPY, /* ALTERNATE: fields paired into frames by one memcpy each */
};
/* "in place", "dmabuf (zero copy)", "mmap + copy", "alternate fields paired by copy". */
const char *cap_buf_mode_name(enum cap_buf_mode m);

/* What the device accepted, read back after negotiation (a plain value). */
struct cap_accepted {
	const struct mov_format *format;
	unsigned width, height;	     /* frame size (ALTERNATE: both fields) */
	unsigned rate_num, rate_den; /* 0/0 when the device does not say */
	enum cap_field field;
	uint32_t start_field;  /* parity of the first field of each frame (V4L2_FIELD_*) */
	uint32_t bytesperline; /* as the driver reports them */
	uint32_t sizeimage;    /* bytes per device buffer (ALTERNATE: one field) */
	uint64_t frame_bytes;  /* bytes per frame in the slab and the file */
	unsigned aspect_x, aspect_y; /* the driver's pixel aspect (VIDIOC_CROPCAP pixelaspect is
				      * y/x); 0/0: no device (the pattern source) */
	char device[64], card[32], input[40], std[40]; /* std: "PAL", "1280x720p60", or "" */
	enum cap_buf_mode mode;			       /* valid after attach() */
	unsigned device_buffers; /* buffers the driver allocated, after attach() */
	char mode_why[200];	 /* why a fallback was taken, or "" */
};

/* Counters a source keeps while it runs. */
struct cap_source_stats {
	uint64_t copies; /* memcpy calls of pixel data (0 when zero copy) */
	uint64_t copied_bytes;
	uint64_t discarded_fields; /* fields skipped to reach --start-field, lone fields */
};

/* Why open() or attach() failed, for the tool to print as "vcap: what (hint)"; a source fills
 * both (hint may be empty) whenever it returns an error it can explain. */
struct cap_why {
	char what[200];
	char hint[400];
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
	/* Open and negotiate cfg with the device (or the built-in defaults); read back what was
	 * accepted. A mismatch with an explicit (non-auto) request fails with -EINVAL and *why
	 * naming what is offered instead. No buffers yet. */
	int (*open)(const struct cap_config *cfg, struct cap_why *why, struct cap_source **ret_src);
	/* What the device accepted (and, after attach, how buffers are handled). */
	void (*describe)(const struct cap_source *src, struct cap_accepted *ret);
	/* Fill the slots of slab from now on; the slab's frame size must be the accepted
	 * frame_bytes. Sets up the device's buffers (DMABUF, else MMAP + copy, per cfg). */
	int (*attach)(struct cap_source *src, struct dio_slab *slab, struct cap_why *why);
	int (*start)(struct cap_source *src);
	/* The next filled slot, in the order slots were requeued. Blocks up to timeout_ms
	 * (-1: forever); -EAGAIN when nothing is ready then, or when no slot is queued. */
	int (*dequeue)(struct cap_source *src, int timeout_ms, struct cap_frame *ret_frame);
	/* Give a slot (back) to the source to fill. */
	int (*requeue)(struct cap_source *src, unsigned slot);
	int (*stop)(struct cap_source *src);
	void (*stats)(const struct cap_source *src, struct cap_source_stats *ret);
	/* Free; accepts NULL. */
	void (*close)(struct cap_source *src);
};

/* The source named name ("pattern", "v4l2"), NULL if there is none. */
const struct cap_source_ops *cap_source_find(const char *name);
/* i-th source for listings, NULL past the end. */
const struct cap_source_ops *cap_source_at(unsigned i);

#pragma GCC visibility pop
#endif
