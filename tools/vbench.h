/* vbench internals, shared by its parts (tools/vbench*.c). */
#ifndef VCAP_VBENCH_H
#define VCAP_VBENCH_H

#include "cap.h"
#include "dio.h"

#include <stdbool.h>
#include <stdint.h>

struct tool;

struct vb_conf {
	struct tool *tool; /* main's: every error line goes through it */
	const char *path;
	const struct mov_format *fmt;
	unsigned w, h, rate_num, rate_den;
	enum cap_field field;
	unsigned batch, depth;
	uint64_t align; /* 0: auto */
	double seconds; /* 0: use bytes */
	uint64_t bytes;
	bool no_uring, no_direct, write_only, read_only, keep, force, json;
};

/* Figures of one phase (write or read). */
struct vb_phase {
	bool done;
	uint64_t bytes; /* payload bytes moved (frames, not padding) */
	uint64_t frames;
	double seconds;
	double cpu_seconds;
	uint64_t max_lat_ns;
	enum dio_mode mode;
	char mode_why[240];
	int err; /* 0 or -errno that ended the phase */
	uint64_t bad_frames; /* read-back: frames whose stamp did not match */
};

struct vb_result {
	char path[4096]; /* the file measured: PATH, or a temporary file in it */
	bool temporary;	 /* PATH is a directory: the file was made in it, and goes unless --keep */
	struct dio_geom geom;
	size_t frame_bytes, slot_bytes;
	uint64_t batch_bytes; /* one batch on disk: slots are whole units, so batch x slot */
	double need_mbps; /* what the format needs in real time */
	uint64_t *batch_off;
	unsigned nbatches, batches_aligned;
	int fiemap_mapped, fiemap_aligned; /* -1: not measured */
	struct vb_phase write, read;
	bool interrupted;
};

int vb_run(const struct vb_conf *c);
/* The I/O mode, when not io_uring with registered buffers: a note on stderr, once. */
void vb_report_io(const struct vb_result *r);
void vb_report_text(const struct vb_conf *c, const struct vb_result *r);
void vb_report_json(const struct vb_conf *c, const struct vb_result *r);

#endif
