/* vcap's recording, shared by its three parts: the loop (vcap-run.c), its setup (vcap-setup.c)
 * and its policies (vcap-policy.c). The rest of vcap sees only vc_run() in vcap.h. */
#ifndef VCAP_VCAP_RUN_H
#define VCAP_VCAP_RUN_H

#include "vcap.h"

#include <stdbool.h>
#include <stdint.h>

struct AVMD5;

/* One write: a group of consecutive slots, committed in file order once it is on disk. */
struct vc_batch {
	bool submitted, done;
	int res;
	uint64_t offset;
	unsigned first, count;
};

/* What the policies learnt about the frame in a slot, for its capture-log line. */
struct vc_mark {
	uint64_t lost; /* frames lost just before it */
	uint64_t fill; /* of which to fill with repeats of the previous frame */
	uint32_t lost_fields;
	bool starved, tc_break;
	bool seq_fixed;	     /* the device's sequence did not advance: */
	uint64_t device_seq; /* what it said */
};

/* The last frame indexed: what a fill repeats. */
struct vc_last {
	bool valid;
	uint64_t offset;
	int64_t pts;
	uint64_t sequence;
	struct cap_frame f;
};

/* One recording: the loop's state, with what its setup opened and what its policies track. */
struct vc {
	const struct vc_conf *c; /* &own */
	struct vc_conf own;	 /* the configuration, completed from what the source took */
	struct vc_stats *st;
	struct dio_slab *slab;
	struct dio_writer *dw;
	struct mov_writer *mw;
	struct mov_journal *jn;
	struct mov_lock *lock; /* on c->out, for the whole recording (mov.h) */
	int md5_fd;	       /* the --md5 sidecar, opened in setup and written at the end */
	bool md5_created;      /* by this recording: removed when it is not written */
	struct cap_source *src;
	struct cap_frame *meta; /* per slot */
	struct vc_mark *mark;	/* per slot */
	struct vc_batch *batch; /* per group of c->batch slots */
	unsigned nslots, ngroups;
	unsigned fill;		       /* next slot the source fills (ring order) */
	unsigned commit;	       /* next group to commit */
	unsigned held;		       /* slots not queued at the source */
	unsigned group_first, pending; /* the open group: its first slot, frames in it */
	bool full;		       /* every slot was held since the last frame came */
	bool recording;		       /* past --start-timecode (or from the start without it) */
	uint64_t captured;
	uint64_t counted; /* samples the file will hold: captured + fills */
	uint64_t next_seq;
	uint64_t seq0;	 /* sequence at pts 0 */
	int64_t tc_prev; /* device timecode of the previous frame, in frames; -1: none */
	uint64_t tc_prev_seq;
	int64_t tc_start, tc_stop; /* --start/--stop-timecode in frames, -1: not given */
	int64_t tc_day;		   /* frames in 24 hours of labels */
	struct vc_last last;
	uint8_t (*md5)[16];
	uint64_t md5_cap;
	struct AVMD5 *hash;
	int sigfd;
	bool stop;
	bool disk_failed; /* a write failed: frames not yet written stay out */
	double t0;
};

/* vcap-run.c */

/* Stop the recording; the first error (-errno) and what failed go in the summary. */
void vc_fail(struct vc *v, const char *what, int err);

/* vcap-setup.c */

/* Open the source, size and allocate the slots, create the file, its index (with --timecode)
 * and the capture log, start streaming. 0 or -errno; says what failed. */
int vc_setup(struct vc *v);
/* Start the MOV index, with a tmcd track from tc (may be NULL). 0 or -errno: -EOVERFLOW when
 * the header does not fit before the first frame. */
int vc_open_index(struct vc *v, const char *tc);
/* --realtime: SCHED_FIFO and locked memory, each when permitted; says what it got. */
void vc_go_realtime(struct vc *v);

/* vcap-policy.c */

/* The policies' state, in the rate and field mode the source took. 0 or -errno; says what is
 * wrong. */
int vc_open_policies(struct vc *v);
/* Pictures per frame: 2 interlaced, 1 progressive. */
unsigned vc_fields_per_frame(const struct vc *v);
/* A device timecode valid at the recording's rate. */
bool vc_tc_valid(const struct vc *v, const char *tc);
/* Fails the recording when a timecode was asked for and none came within 5 s (f: NULL when
 * no frame came). */
void vc_check_timecode_wait(struct vc *v, const struct cap_frame *f);
/* A sequence that did not advance: renumbered as the next one. true when f was. */
bool vc_fix_order(struct vc *v, struct cap_frame *f);
/* Before --start-timecode: true once f starts the recording; else f went back to the source. */
bool vc_preroll_done(struct vc *v, const struct cap_frame *f);
/* Whether f belongs in the recording; false (and stop) when it lies past the end. */
bool vc_admit(struct vc *v, const struct cap_frame *f);
/* Fills (--fill-drops) for the gap before f. */
uint64_t vc_plan_fills(const struct vc *v, const struct cap_frame *f);
/* The drop, flag and timecode accounting of an admitted frame (index: its place in the file);
 * m is its slot's mark. */
void vc_account_drops(struct vc *v, const struct cap_frame *f, struct vc_mark *m);
void vc_account_flags(struct vc *v, const struct cap_frame *f, uint64_t index);
void vc_account_timecode(struct vc *v, const struct cap_frame *f, struct vc_mark *m,
			 uint64_t index);

#endif
