/* playback: frames read from a MOV into the slots of a diskio slab, handed to a sink (V4L2
 * output, DRM/KMS, null, raw file) behind one ops table.
 *
 * The contract: the player owns the order. It reads frames ahead into slots (O_DIRECT, V frames
 * per read) and hands each filled slot to the sink with queue(), in presentation order. The sink
 * gives slots back from dequeue() once it no longer needs their bytes (V4L2: DQBUF; KMS: the
 * flip that replaced it has completed; null/file: when consumed). A frame's bytes start at
 * slot + play_frame.skew (0 for files whose frames sit on aligned offsets, as vcap writes them;
 * files from other tools land at a skew, and a sink that needs the frame at the start of its
 * dmabuf copies it, counting the copy).
 *
 * Pacing comes from the sink: a device sink's dequeue() blocks on the device (DQBUF, vblank);
 * null paces by the clock when cfg.paced, or not at all.
 *
 * Return convention: >= 0 on success, -errno on failure; ret_* written only on success.
 * Nothing here prints.
 */
#ifndef VCAP_PLAY_H
#define VCAP_PLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "mov.h"

struct dio_slab;

struct play_config {
	const struct mov_format *format;
	unsigned width, height;
	unsigned rate_num, rate_den; /* frames per second */
	enum mov_field field;        /* from the file's fiel atom */
	const char *target;          /* device node, connector name, or file path ("-": stdout) */
	const char *mode;            /* kms: "1920x1080" or "1920x1080@60"; NULL: pick */
	unsigned preroll;            /* frames queued before start (device sinks) */
	bool paced;                  /* false: as fast as the sink takes them (--rate max) */
	bool zero_copy;              /* a fallback that copies is an error (-EOPNOTSUPP) */
	bool force;                  /* file sink: replace an existing file */
	bool skewed;                 /* frames will come at a skew != 0 (a file from another tool):
				      * a sink that needs frames at the start of a slot's dmabuf
				      * picks its copy path at open */
};

/* One filled slot handed to the sink. */
struct play_frame {
	unsigned slot;
	uint32_t skew;   /* the frame's first byte is at dio_slab_slot(slot) + skew */
	uint64_t index;  /* frames handed out so far, from 0 (loops keep counting) */
	int64_t pts;     /* in frame periods, from the file */
};

/* A slot the sink is done with, and what happened to its frame. */
struct play_done {
	unsigned slot;
	uint64_t index;
	uint64_t shown_ns;  /* CLOCK_MONOTONIC when it went out (0: unknown) */
	uint32_t repeats;   /* frames the device showed/output again before it: underruns */
	bool late;          /* went out after its due time */
};

/* Counters a sink keeps, for the summary and --json. */
struct play_sink_stats {
	uint64_t copies;     /* frames the sink copied (fallback or skewed frames) */
	uint64_t underruns;  /* times the device had nothing new to show */
	uint64_t late;
	char mode[160];      /* e.g. "dmabuf (zero copy)", "mmap + copy (why)" */
};

struct play_sink;

struct play_sink_ops {
	const char *name;
	const char *desc; /* one line for --help */
	/* Set the device up for frames of cfg (format, size, field, timings), with buffers in the
	 * slots of slab. A format, size or field the device cannot take is -EINVAL (a mismatch),
	 * a missing device -ENOENT. */
	int (*open)(const struct play_config *cfg, struct dio_slab *slab,
		    struct play_sink **ret_sink);
	/* Hand over a filled slot. Never blocks for long: the player keeps at most as many slots
	 * queued as the slab has. */
	int (*queue)(struct play_sink *sink, const struct play_frame *f);
	/* Begin output (after the preroll frames were queued). */
	int (*start)(struct play_sink *sink);
	/* A slot the sink is done with. Blocks up to timeout_ms (-1: forever); -EAGAIN when
	 * none came back in time or nothing is queued. */
	int (*dequeue)(struct play_sink *sink, int timeout_ms, struct play_done *ret_done);
	/* Let what is queued go out, then stop. */
	int (*drain)(struct play_sink *sink);
	void (*stats)(const struct play_sink *sink, struct play_sink_stats *ret_stats);
	/* Free; accepts NULL. */
	void (*close)(struct play_sink *sink);
};

/* The sink named name ("v4l2", "kms", "null", "file"), NULL if there is none. */
const struct play_sink_ops *play_sink_find(const char *name);
/* i-th sink for listings, NULL past the end. */
const struct play_sink_ops *play_sink_at(unsigned i);

#endif
