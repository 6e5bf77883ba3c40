/* vcap internals, shared by its parts (tools/vcap*.c). */
#ifndef VCAP_VCAP_H
#define VCAP_VCAP_H

#include "cap.h"
#include "dio.h"
#include "mov.h"

#include <stdbool.h>
#include <stdint.h>

enum vc_on_drop { VC_DROP_CONTINUE, VC_DROP_STOP, VC_DROP_FAIL };

struct tool;

struct vc_conf {
	struct tool *tool; /* main's: every error line goes through it */
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
	unsigned aspect_num, aspect_den; /* --aspect: display aspect; 0/0: auto */
	const char *md5_path;
	enum vc_on_drop on_drop;
	uint64_t fields;	 /* --fields N (frames = N / 2), 0 if not given */
	bool by_duration;	 /* frames came from -t: stop by time (sequence span) */
	bool fill_drops;	 /* index the previous frame again for each lost one */
	bool realtime;		 /* SCHED_FIFO and mlockall when permitted */
	const char *start_tc;	 /* record from the device timecode TC on */
	const char *stop_tc;	 /* the frame labelled TC is the last one recorded */
	const char *duration_tc; /* -t HH:MM:SS:FF, made a frame count in check_conf */
	char pattern_tc[16];	 /* --pattern timecode=, which cap.pattern.timecode points to */
	bool policies_deferred;  /* rate or field from the device: vc_check_policies() at setup */
	bool json, force, quiet;
	bool progress; /* live line: on a terminal and not --quiet */
};

/* Lists in the summary keep their first VC_LIST_MAX entries; the totals count them all. */
#define VC_LIST_MAX 256

/* One gap: count frames lost just before frame before_frame (an index in the file). */
struct vc_drop {
	uint64_t before_frame;
	uint64_t sequence; /* the first lost sequence number */
	uint64_t count;	   /* frames */
	uint64_t fields;
	bool starved; /* every buffer was held by the disk side when it happened */
};

/* What happened, for the summary, --json and the exit code. */
struct vc_stats {
	uint64_t fields; /* pictures in the file: 2 per interlaced frame, 1 per progressive */
	uint64_t fills;	 /* samples that repeat the previous frame (--fill-drops) */
	uint64_t lost_fields;
	uint64_t gaps; /* drop events; drop[] holds the first VC_LIST_MAX */
	struct vc_drop drop[VC_LIST_MAX];
	uint64_t flagged_at[VC_LIST_MAX]; /* frame indexes of the first flagged frames */
	uint64_t tc_breaks;
	uint64_t tc_break_at[VC_LIST_MAX];
	char tc_first[16], tc_last[16]; /* device timecode of the first and last frame */
	char tmcd[16];			/* start of the tmcd track, "" for none */
	unsigned sar_num, sar_den;	/* the pasp written */
	const char *aspect_source;	/* what decided it (mov_aspect_choose) */
	bool rt_fifo, rt_locked;
	int exit_code;
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
	const char *stop_reason; /* "frames", "fields", "duration", "stop-timecode", "SIGINT",
				  * "SIGTERM", "drop", "error" */
	int err;                 /* first error (-errno), 0 if none */
	const char *err_what;    /* what failed: "writing", "indexing", ... */
	char journal[4096];
	struct cap_accepted acc; /* what the source took: the file's format, size, rate, field */
	struct cap_source_stats src; /* the source's copy counter and discarded fields */
};

int vc_run(const struct vc_conf *c, struct vc_stats *st);
void vc_progress(const struct vc_conf *c, const struct vc_stats *st, unsigned held, bool final);
void vc_report(const struct vc_conf *c, const struct vc_stats *st);
/* Timecodes and the amount (-n/--fields/-t as frames) at c->cap's rate and field mode; says
 * what is wrong. */
int vc_check_policies(struct vc_conf *c);
/* What an exit code means, one phrase, for the summary and --json. */
const char *vc_exit_meaning(int code);

#endif
