/* vcap internals, shared by its parts (tools/vcap*.c). */
#ifndef VCAP_VCAP_H
#define VCAP_VCAP_H

#include "cap.h"
#include "dio.h"
#include "mov.h"

#include <stdbool.h>
#include <stdint.h>

enum vc_on_drop { VC_DROP_CONTINUE, VC_DROP_STOP, VC_DROP_FAIL };

struct vc_conf {
	const char *out;
	const struct cap_source_ops *source;
	bool source_given; /* else --device picks v4l2 */
	struct cap_config cap;
	uint64_t frames; /* 0: until -t or a signal */
	double seconds;
	unsigned batch, depth, buffers; /* buffers 0: from the rate (see vcap --help) */
	uint64_t align; /* 0: auto */
	const char *timecode;
	enum mov_colour colour;
	const char *md5_path;
	enum vc_on_drop on_drop;
	bool json, force, quiet;
	bool progress; /* live line: on a terminal and not --quiet */
};

/* What happened, for the summary, --json and the exit code. */
struct vc_stats {
	uint64_t frames;   /* indexed in the file */
	uint64_t drops;    /* frames missing from the sequence */
	uint64_t flagged;  /* frames delivered with V4L2_BUF_FLAG_ERROR */
	uint64_t bytes;    /* payload bytes on disk */
	uint64_t file_size;
	double seconds;
	double max_fill;   /* highest share of slots held (filled or being written) */
	uint64_t max_lat_ns;
	uint64_t data_start;
	struct dio_geom geom;
	size_t slot_bytes;
	unsigned nslots;
	enum dio_mode mode;
	char mode_why[240];
	const char *stop_reason; /* "frames", "duration", "SIGINT", "SIGTERM", "drop", "error" */
	int err;                 /* first error (-errno), 0 if none */
	const char *err_what;    /* what failed: "writing", "indexing", ... */
	char journal[4096];
	struct cap_accepted acc; /* what the source took: the file's format, size, rate, field */
	struct cap_source_stats src; /* the source's copy counter and discarded fields */
};

int vc_run(const struct vc_conf *c, struct vc_stats *st);
void vc_progress(const struct vc_conf *c, const struct vc_stats *st, unsigned held, bool final);
void vc_report(const struct vc_conf *c, const struct vc_stats *st);

#endif
