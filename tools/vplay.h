/* vplay internals, shared by its parts (tools/vplay*.c). */
#ifndef VCAP_VPLAY_H
#define VCAP_VPLAY_H

#include "mov.h"
#include "play.h"

#include <stdbool.h>
#include <stdint.h>

enum vp_on_underrun { VP_UNDERRUN_CONTINUE, VP_UNDERRUN_FAIL };

struct tool;

struct vp_conf {
	struct tool *tool;		  /* main's: every error line goes through it */
	const char *in;
	const char *out;		  /* -o as given */
	const struct play_sink_ops *sink; /* NULL: the build has no such sink */
	const char *sink_name;		  /* "null", "file", "v4l2", "kms" */
	const char *target;		  /* what the sink opens */
	const char *start;		  /* --start as given: frame number or timecode */
	uint64_t frames;		  /* -n; 0: to the end of the file */
	uint64_t loops;			  /* --loop; 0: until a signal */
	int paced;			  /* -1: the sink's default (file: max, others: realtime) */
	unsigned preroll;
	unsigned batch, depth, buffers;
	unsigned latency_ms;
	const char *md5_path;
	const char *mode; /* kms: --mode WxH[@HZ] */
	enum vp_on_underrun on_underrun;
	bool json, zero_copy, force, quiet;
	bool progress; /* live line: stderr is a terminal and not --quiet */
};

/* What happened, for the progress line, the summary, --json and the exit code. */
struct vp_stats {
	struct mov_info info;
	struct play_range range;
	uint64_t total;	 /* frames to play (0: until stopped) */
	uint64_t queued; /* frames handed to the sink */
	uint64_t frames; /* frames the sink gave back: played */
	uint64_t underruns, late, copies;
	double seconds;
	bool paced;
	unsigned nslots, preroll;
	struct play_ahead_stats ahead;
	struct play_sink_stats sink;
	const char *stop_reason; /* "end", "SIGINT", "SIGTERM", "error" */
	int err;
	const char *err_what;
};

/* Open, play, close. Setup failures are reported here (one line) and return -errno; failures
 * while playing are in st->err. */
int vp_run(const struct vp_conf *c, struct vp_stats *st);
/* held: frames read and not yet shown (queued at the output or ready to go). */
void vp_progress(const struct vp_conf *c, const struct vp_stats *st, unsigned held, bool final);
void vp_report(const struct vp_conf *c, const struct vp_stats *st);

#endif
