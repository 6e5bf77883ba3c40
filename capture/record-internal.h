/* Shared by the recording session's parts inside capture/: the loop and the commit
 * (record.c), its setup (record-setup.c), its policies (record-policy.c) and the checks of a
 * configuration (record-check.c). Front ends see only cap.h. */
#ifndef VCAP_RECORD_INTERNAL_H
#define VCAP_RECORD_INTERNAL_H

#include "cap.h"

#include <stdbool.h>
#include <stdint.h>

struct AVMD5;

/* One write: a group of consecutive slots, committed in file order once it is on disk. */
struct rec_batch {
	bool ready;	 /* closed, its write not yet queued (the writer was busy) */
	bool submitted, done;
	int res;
	uint64_t offset;
	unsigned first, count;
	/* its chunk of sound: samples [a_first, a_first + a_count) in the group's chunk buffer,
	 * written after the frames (a_bytes, padded to the unit) */
	uint64_t a_first, a_count;
	uint32_t a_bytes;
	void *a_tail;		  /* that chunk (a_bytes of it), or NULL: the write's tail */
	uint64_t a_xrun, a_late;  /* samples of it that are silence standing in */
	unsigned held;		  /* slots held when it was submitted: the buffer fill */
	uint64_t lat_ns, done_ns; /* submit to completion; CLOCK_MONOTONIC at completion */
};

/* A least-squares line through (t, n) points: count n against CLOCK_MONOTONIC seconds t.
 * Welford's updates keep it exact over hours (no sums of squares of large numbers). */
struct rec_line {
	uint64_t n;
	double t0;	 /* the first point's time; t is taken from it */
	double mt, mn;	 /* means */
	double ctt, ctn; /* co-moments */
};

/* The sound of a recording (record-audio.c). */
struct rec_audio {
	const struct cap_audio_ops *ops;
	struct cap_audio *src;
	struct mov_audio mov; /* as the index describes it */
	bool aligned;
	uint8_t *chunks; /* one chunk buffer per group of slots, chunk_cap bytes each */
	size_t chunk_cap;
	uint64_t chunk_max;  /* samples a chunk holds */
	uint8_t *scratch;    /* interleaved samples before they are split into tracks */
	uint64_t next;	     /* the next sample index to go into a chunk */
	uint64_t xruns_seen; /* the source's xrun count at the last look */
	uint64_t xrun_samples_seen;
	struct rec_line video, audio; /* the two clocks, for the drift */
	uint64_t last_clock_ns;
	uint8_t md5[16];
};

/* What the policies learnt about the frame in a slot, for its capture-log line. */
struct rec_mark {
	uint64_t lost; /* frames lost just before it */
	uint64_t fill; /* of which to fill with repeats of the previous frame */
	uint32_t lost_fields;
	bool starved, tc_break;
	bool seq_fixed;	     /* the device's sequence did not advance: */
	uint64_t device_seq; /* what it said */
};

/* The last frame indexed: what a fill repeats. */
struct rec_last {
	bool valid;
	uint64_t offset;
	int64_t pts;
	uint64_t sequence;
	struct cap_frame f;
};

/* The durability point in progress (record-sync.c). */
enum rec_sync_state {
	REC_SYNC_IDLE, /* none: the next starts at next */
	REC_SYNC_DATA, /* the file's fdatasync is in flight */
	REC_SYNC_LOG,  /* the "synced" line is written, the log's fdatasync is in flight */
};

struct rec_sync {
	enum rec_sync_state state;
	double next;		/* CLOCK_MONOTONIC seconds */
	uint64_t lines, chunks; /* the log's frame and chunk lines the point covers */
	uint64_t frames;	/* frames in the file it covers (stats' count) */
	uint64_t samples;	/* samples of sound it covers */
};

/* One recording: the loop's state, with what its setup opened and what its policies track. */
struct cap_record {
	const struct cap_record_config *c; /* &own */
	struct cap_record_config own; /* the configuration, completed from what the source took */
	struct cap_record_stats *st;  /* &stats */
	struct cap_record_stats stats;
	cap_event_fn fn; /* the front end's, may be NULL */
	void *user;
	struct dio_slab *slab;
	struct dio_writer *dw;
	struct mov_writer *mw;
	struct mov_journal *jn;
	struct mov_lock *lock; /* on c->out, for the whole recording (mov.h) */
	int md5_fd;	       /* the --md5 sidecar, opened in setup and written at the end */
	bool md5_created;      /* by this recording: removed when it is not written */
	struct cap_source *src;
	struct cap_frame *meta;	 /* per slot */
	struct rec_mark *mark;	 /* per slot */
	struct rec_batch *batch; /* per group of c->batch slots */
	unsigned nslots, ngroups;
	unsigned fill;		       /* next slot the source fills (ring order) */
	unsigned commit;	       /* next group to commit */
	unsigned next_submit;	       /* next group to queue a write for (file order) */
	unsigned held;		       /* slots not queued at the source */
	unsigned give_next, to_give;   /* committed slots not yet given back: from give_next on
					* (ring order), held back only by a preview copy */
	unsigned group_first, pending; /* the open group: its first slot, frames in it */
	bool full;	/* since the last frame came, the source had at most one slot: the next
			 * frame filled it and then there was none (a gap then is the buffers') */
	bool recording; /* past --start-timecode (or from the start without it) */
	uint64_t captured;
	uint64_t counted; /* samples the file will hold: captured + fills */
	uint64_t next_seq;
	uint64_t seq0;	 /* sequence at pts 0 */
	int64_t tc_prev; /* device timecode of the previous frame, in frames; -1: none */
	uint64_t tc_prev_seq;
	int64_t tc_start, tc_stop; /* --start/--stop-timecode in frames, -1: not given */
	int64_t tc_day;		   /* frames in 24 hours of labels */
	struct rec_last last;
	uint8_t (*md5)[16];
	uint64_t md5_cap;
	struct AVMD5 *hash;
	struct rec_audio au;
	struct rec_sync sync;
	struct cap_preview *pv; /* --preview, or NULL */
	bool pv_warned;		/* its failure was said */
	bool stop;
	bool finished;
	bool disk_failed; /* a write failed: frames not yet written stay out */
	double t0;
};

/* record.c */

/* Stop the recording; the first error (-errno) and what failed go in the stats. */
void cap_rec_fail(struct cap_record *v, const char *what, int err);
/* An event to the front end: ev's kind, type, err, hint and subject, with the text from fmt. */
void cap_rec_emit(const struct cap_record *v, struct cap_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An ERROR event: "what: strerror(err) (hint)"; err 0 for none, hint may be NULL. */
void cap_rec_error(const struct cap_record *v, int err, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* CLOCK_MONOTONIC in seconds. */
double cap_rec_now_s(void);
/* CLOCK_MONOTONIC in nanoseconds (the clock of the frame timestamps). */
uint64_t cap_rec_now_ns(void);

/* record-sync.c */

/* Start a durability point when one is due and none is in flight: never waits. */
void cap_rec_sync_step(struct cap_record *v);
/* A completion from the writer: true if it was one of the durability point's syncs (then
 * handled: the next step of the point, or the recording failed), false for a batch. */
bool cap_rec_sync_done(struct cap_record *v, const struct dio_done *d);
/* The clean end made everything durable (the file synced, then its log with the end line). */
void cap_rec_sync_final(struct cap_record *v);

/* record-setup.c */

/* How the file stores the two fields of a frame (its fiel), from what the source took. */
enum mov_field cap_rec_mov_field(const struct cap_record *v);

/* Open the source, size and allocate the slots, create the file, its index (with --timecode)
 * and the capture log, start streaming. 0 or -errno; an ERROR event says what failed. */
int cap_rec_setup(struct cap_record *v);
/* Start the MOV index, with a tmcd track from tc (may be NULL). 0 or -errno: -EOVERFLOW when
 * the header does not fit before the first frame. */
int cap_rec_open_index(struct cap_record *v, const char *tc);
/* --realtime: SCHED_FIFO and locked memory, each when permitted; says what it got. */
void cap_rec_go_realtime(struct cap_record *v);

/* record-policy.c */

/* The policies' state, in the rate and field mode the source took. 0 or -errno; says what is
 * wrong. */
int cap_rec_open_policies(struct cap_record *v);
/* Pictures per frame: 2 interlaced, 1 progressive. */
unsigned cap_rec_fields_per_frame(const struct cap_record *v);
/* A device timecode valid at the recording's rate. */
bool cap_rec_tc_valid(const struct cap_record *v, const char *tc);
/* Fails the recording when a timecode was asked for and none came within 5 s (f: NULL when
 * no frame came). */
void cap_rec_check_timecode_wait(struct cap_record *v, const struct cap_frame *f);
/* A sequence that did not advance: renumbered as the next one. true when f was. */
bool cap_rec_fix_order(struct cap_record *v, struct cap_frame *f);
/* Before --start-timecode: true once f starts the recording; else f went back to the source. */
bool cap_rec_preroll_done(struct cap_record *v, const struct cap_frame *f);
/* Whether f belongs in the recording; false (and stop) when it lies past the end. */
bool cap_rec_admit(struct cap_record *v, const struct cap_frame *f);
/* Fills (--fill-drops) for the gap before f. */
uint64_t cap_rec_plan_fills(const struct cap_record *v, const struct cap_frame *f);
/* The drop, flag and timecode accounting of an admitted frame (index: its place in the file);
 * m is its slot's mark. */
void cap_rec_account_drops(struct cap_record *v, const struct cap_frame *f, struct rec_mark *m);
void cap_rec_account_flags(struct cap_record *v, const struct cap_frame *f, uint64_t index);
void cap_rec_account_timecode(struct cap_record *v, const struct cap_frame *f, struct rec_mark *m,
			      uint64_t index);

/* record-audio.c: sound recorded with the frames, one chunk per batch */

/* Open the audio device (c->audio.device; nothing when NULL) once the frame rate is known,
 * before anything is created. 0 or -errno; says what failed. */
int cap_rec_audio_open(struct cap_record *v);
/* The chunk buffers, one per group of slots (after the slab). */
int cap_rec_audio_memory(struct cap_record *v);
/* Start capturing sound, after the video source started. */
int cap_rec_audio_start(struct cap_record *v);
/* Frame 0 of the file arrived: its time is sample 0. */
void cap_rec_audio_align(struct cap_record *v, const struct cap_frame *f);
/* Once per step: keep the device drained before alignment; feed the video clock. */
void cap_rec_audio_step(struct cap_record *v, const struct cap_frame *f);
/* Fill group b's chunk with the sound the device has, up to the end of frame last_pts (the
 * recording's last batch: waiting for it, silence for what never comes); its tail for the
 * write in *ret_tail (NULL when there is no sound). */
void cap_rec_audio_fill(struct cap_record *v, struct rec_batch *b, unsigned group, int64_t last_pts,
			bool last, void **ret_tail);
/* Once every batch is on disk: the sound of the last frames that no batch took (the device
 * delivers it a little after the frames) in a write of its own. */
void cap_rec_audio_finish(struct cap_record *v);
/* Index and log batch b's chunk, after its frames. 0 or -errno. */
int cap_rec_audio_commit(struct cap_record *v, const struct rec_batch *b, unsigned group);
/* Stop and free. */
void cap_rec_audio_close(struct cap_record *v);

/* record-check.c */

/* Timecodes and the amount (-n/--fields/-t as frames) at c->cap's rate and field mode. 0, or
 * -EINVAL with *why filled. */
int cap_rec_check_policies(struct cap_record_config *c, struct cap_why *why);

#endif
