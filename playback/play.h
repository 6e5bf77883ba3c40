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

#include "dio.h"
#include "mov.h"

#pragma GCC visibility push(default)

struct dio_slab;

struct play_config {
	const struct mov_format *format;
	unsigned width, height;
	uint32_t stride; /* bytes per row as stored (mov_info.stride); 0: the format's */
	unsigned rate_num, rate_den; /* frames per second */
	enum mov_field field;	     /* from the file's fiel atom */
	const char *target;	     /* device node, connector name, or file path ("-": stdout) */
	const char *mode;	     /* kms: "1920x1080" or "1920x1080@60"; NULL: pick */
	unsigned preroll;	     /* frames queued before start (device sinks) */
	bool paced;		     /* false: as fast as the sink takes them (--rate max) */
	bool zero_copy;		     /* a fallback that copies is an error (-EOPNOTSUPP) */
	bool force;		     /* file sink: replace an existing file, or a symbolic link
				      * itself (dio_create(): never written through) */
	bool skewed;		     /* frames will come at a skew != 0 (a file from another tool):
				      * a sink that needs frames at the start of a slot's dmabuf
				      * picks its copy path at open */
};

/* Bytes per row of cfg's frames: cfg->stride, or the format's rows when it is 0; a frame is
 * play_config_stride() * height bytes. */
uint64_t play_config_stride(const struct play_config *cfg);

/* One filled slot handed to the sink. */
struct play_frame {
	unsigned slot;
	uint32_t skew;	/* the frame's first byte is at dio_slab_slot(slot) + skew */
	uint64_t index; /* frames handed out so far, from 0 (loops keep counting) */
	int64_t pts;	/* in frame periods, from the file */
};

/* A slot the sink is done with, and what happened to its frame. */
struct play_done {
	unsigned slot;
	uint64_t index;
	uint64_t shown_ns; /* CLOCK_MONOTONIC when it went out (0: unknown) */
	uint32_t repeats;  /* frames the device showed/output again before it: underruns */
	bool late;	   /* went out after its due time */
};

/* Counters a sink keeps, for the summary and --json. */
struct play_sink_stats {
	uint64_t copies;    /* frames the sink copied (fallback or skewed frames) */
	uint64_t underruns; /* times the device had nothing new to show */
	uint64_t late;
	char mode[160]; /* e.g. "dmabuf (zero copy)", "mmap + copy (why)" */
};

struct play_sink;

struct play_sink_ops {
	const char *name;
	const char *desc; /* one line for --help */
	/* Set the device up for frames of cfg (format, size, field, timings), with buffers in the
	 * slots of slab. A format, size or field the device cannot take is -EINVAL (a mismatch),
	 * a missing device -ENOENT; kms: no display mode of the frame's size (or of cfg->mode)
	 * -ERANGE. */
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
	/* Optional (NULL: the sink keeps its device's time): follow another clock, by which the
	 * frame index (play_frame.index) is due at due_ns (CLOCK_MONOTONIC). */
	void (*retime)(struct play_sink *sink, uint64_t index, uint64_t due_ns);
};

/* The sink named name ("v4l2", "kms", "null", "file"), NULL if there is none. */
const struct play_sink_ops *play_sink_find(const char *name);
/* i-th sink for listings, NULL past the end. */
const struct play_sink_ops *play_sink_at(unsigned i);

/* ---- audio outputs: the file's sound beside the frames ----
 *
 * Samples are interleaved little-endian PCM of the file's width (mov_audio_reader's). The
 * player writes them ahead of time; an output with a device clock says through delay() which
 * sample is being heard, and that is what the pictures follow (or are measured against).
 * Backends: "alsa" (a PCM device by its ALSA name) and "wav" (a file, through libavformat's
 * wav muxer: WAVE_FORMAT_PCM for up to 2 channels of 16 bits, WAVE_FORMAT_EXTENSIBLE with a
 * channel mask otherwise, as ffmpeg writes it).
 */

struct play_audio_config {
	const char *target; /* alsa: the PCM ("default", "hw:CARD=Loopback,DEV=0", "null");
			     * wav: the path */
	unsigned rate, channels, bits;
	unsigned buffer_ms; /* alsa: the device buffer (how far sound is written ahead); 0: 200 */
	bool force;	    /* wav: replace an existing file, or a symbolic link itself (never
			     * what it names) */
};

struct play_audio_stats {
	uint64_t written;   /* samples the output took */
	uint64_t underruns; /* times the device ran dry (ALSA xruns) */
	char mode[160];	    /* e.g. "ALSA hw:0 S24_3LE 2 ch 48000 Hz, buffer 9600" */
};

struct play_audio;

struct play_audio_ops {
	const char *name;
	const char *desc; /* one line for --help */
	/* -ENOENT no such device (alsa) or directory (wav); -EBUSY a device in use; -EINVAL a
	 * format the device cannot take; wav: -EEXIST anything at the path without force (a
	 * symbolic link too), -EISDIR a directory (dio_create()). */
	int (*open)(const struct play_audio_config *cfg, struct play_audio **ret_audio);
	/* Take up to n samples without blocking: how many it took (0: the device buffer is
	 * full). */
	int64_t (*write)(struct play_audio *a, const void *buf, uint64_t n);
	/* Begin playing what was written (a device starts only when told). */
	int (*start)(struct play_audio *a);
	/* Samples written and not yet heard, now: -ENOTSUP when the output has no clock (a file,
	 * ALSA's null device). */
	int (*delay)(struct play_audio *a, int64_t *ret_samples);
	/* The end: drain lets what was written be heard (blocks), else it is dropped; a file is
	 * finished either way (its header gets the sizes). */
	int (*finish)(struct play_audio *a, bool drain);
	void (*stats)(const struct play_audio *a, struct play_audio_stats *ret_stats);
	/* Free; accepts NULL. A file never finished is left as it is (the session removes
	 * what it created when it fails before playing). */
	void (*close)(struct play_audio *a);
};

/* The audio output named name ("alsa", "wav"), NULL if there is none. */
const struct play_audio_ops *play_audio_find(const char *name);

/* ---- read-ahead: frames of a MOV read into slab slots, in play order ----
 *
 * The frames to play are a range of the file's samples, played loops times. Reads go through
 * the diskio reader (O_DIRECT, io_uring, several in flight) into slots taken in ring order.
 * Frames that sit one slot apart at aligned offsets (files from vcap) are read V at a time,
 * one read per run of consecutive slots, each frame at the start of its slot. Frames at any
 * other place (files from other tools, back to back) are read one aligned superset each into
 * a slot large enough to hold frame and skew, and reach the sink at slot + skew: no copy.
 */

struct play_range {
	uint64_t first; /* first sample played */
	uint64_t count; /* samples per pass, >= 1 */
	uint64_t loops; /* passes; 0: until stopped */
};

/* One planned read: count frames into slots [slot, slot + count), the first frame's byte at
 * dio_slab_slot(slot) + skew, frame k's at slot + k + skew. */
struct play_read {
	uint64_t offset; /* file offset of the first frame */
	uint32_t len;	 /* bytes from offset to the end of the last frame */
	unsigned slot, count;
	uint32_t skew;
};

/* Plan the read for play position pos (sample first + pos % count) into the free slots
 * [slot, slot + room): the frames that follow pos in play order join while each sits exactly
 * one slot after the one before in the file, at most max frames and never past end_pos. The
 * superset of every frame must end inside its own slot (slot_size large enough for
 * skew + size rounded up to unit), else -EINVAL. Returns the frame count (>= 1). */
int play_plan_read(const struct mov_sample *samples, uint64_t nsamples, const struct play_range *rg,
		   uint64_t pos, uint64_t end_pos, unsigned slot, unsigned room, size_t slot_size,
		   uint32_t unit, unsigned max, struct play_read *ret_read);

/* How the slab must be cut for these samples: *ret_batched is true when every sample in the
 * range sits at a multiple of unit (then slots are *ret_slot_align-aligned, equal to the
 * file's frame stride when it has one, and reads take V frames), false when frames must be
 * read one superset each (then *ret_slab_frame is frame_size + unit). Pass ret_slab_frame and
 * ret_slot_align to dio_slab_new(). -EINVAL for an empty range or one past the samples. */
int play_plan_layout(const struct mov_sample *samples, uint64_t nsamples,
		     const struct play_range *rg, uint32_t frame_size, uint32_t unit,
		     size_t *ret_slab_frame, uint64_t *ret_slot_align, bool *ret_batched);

struct play_ahead;

struct play_ahead_opts {
	uint32_t frame_size;	     /* bytes of one frame (every sample must have it) */
	unsigned nslots;	     /* frames held in memory: read ahead plus at the sink */
	unsigned batch;		     /* V: frames per read at most */
	unsigned depth;		     /* reads in flight */
	unsigned tb_num, tb_den;     /* the stream time base, for play_frame.pts */
	unsigned rate_num, rate_den; /* frame rate; 0: pts is the sample number */
	bool no_direct, no_uring;    /* tests */
};

/* Open path for reading the frames of rg from samples (the file's whole table, borrowed: it
 * must outlive the read-ahead), and make the slab they are read into (owned, freed with it).
 * -ENODATA when a sample of the range lies past the end of the file (a truncated file). */
int play_ahead_open(const char *path, const struct mov_sample *samples, uint64_t nsamples,
		    const struct play_range *rg, const struct play_ahead_opts *opts,
		    struct play_ahead **ret_ahead);
struct dio_slab *play_ahead_slab(const struct play_ahead *a);

/* Submit reads into free slots and collect finished ones. wait: block until the next frame
 * in play order is ready (or nothing is in flight). Returns 0, or the first read error. */
int play_ahead_pump(struct play_ahead *a, bool wait);
/* One step toward the steady state a paced output starts from: submit what the free slots
 * take, then wait for one read in flight to finish. Returns 1 once the read-ahead is full
 * (no read in flight and every slot holds a frame read or handed out, or every frame of the
 * range is read: reading on from there keeps latency's worth of frames ahead of the output),
 * 0 before, or the first read error (-errno). The time from the first call to the first 1 and
 * the bytes read meanwhile are in the stats (fill_ns, fill_bytes): the disk's measured rate. */
int play_ahead_settle(struct play_ahead *a);
/* The next frame in play order if its read has finished: 1 and *ret_frame, 0 if not yet. */
int play_ahead_next(struct play_ahead *a, struct play_frame *ret_frame);
/* The first byte of the frame in a slot handed out and not yet released (slot + skew), NULL
 * for any other slot. */
const uint8_t *play_ahead_frame(const struct play_ahead *a, unsigned slot);
/* Give a slot back once the sink returned it. */
void play_ahead_release(struct play_ahead *a, unsigned slot);
/* Every frame of the range (all loops) was handed out. */
bool play_ahead_done(const struct play_ahead *a);
/* Frames read and not yet handed out. */
unsigned play_ahead_ready(const struct play_ahead *a);

struct play_ahead_stats {
	uint64_t reads;	     /* read requests submitted */
	uint64_t frames;     /* frames whose read completed */
	uint64_t bytes;	     /* frame bytes read (payload, not the supersets) */
	uint64_t disk_bytes; /* bytes moved from disk (aligned supersets) */
	uint64_t max_lat_ns; /* slowest read */
	uint64_t fill_ns;    /* play_ahead_settle: from its first call until the slots were full */
	uint64_t fill_bytes; /* bytes moved from disk (aligned supersets) meanwhile */
	bool batched;	     /* V frames per read (aligned file) or one superset per frame */
	size_t slot_size;
	unsigned nslots;
	enum dio_mode mode;
	char mode_why[240];
};
void play_ahead_stats(const struct play_ahead *a, struct play_ahead_stats *ret_stats);
/* Free; accepts NULL. Waits for reads in flight. */
void play_ahead_free(struct play_ahead *a);

/* ---- play session: a MOV played to a sink, start to end ----
 *
 * What vplay does, for any program: open reads the file's index, works out the frames to play
 * (a start frame or timecode, a count, loops), checks the output, and sets up the read-ahead,
 * the sink and an optional framemd5 sidecar; each step then moves frames from disk to the sink
 * and back, paced by the sink; the last step lets what is queued go out and closes the
 * sidecar. Nothing here prints or touches signals: what a tool would print comes to an event
 * callback, what happened is in the stats, and a stop request (a signal the caller took) is
 * play_session_stop(). One thread at a time per session.
 */

struct play_session;

/* What the player does about two clocks. The null, file and KMS outputs (sinks with retime)
 * follow the sound device's clock whenever it has one (the frame for time t goes out when
 * sample t is heard); a V4L2 output keeps its own, and the drift between the two is measured
 * and reported.
 * CORRECT keeps a device output and the sound together by dropping or repeating whole
 * samples of the sound sent to the device (never resampling; a --audio-file keeps every
 * sample). */
enum play_audio_sync {
	PLAY_AUDIO_SYNC_MEASURE = 0,
	PLAY_AUDIO_SYNC_CORRECT,
};

struct play_session_config {
	const char *in;	       /* the MOV file */
	const char *sink;      /* "null", "file", "v4l2", "kms" (play_sink_find) */
	const char *target;    /* what the sink opens: a device, "CONN" (kms), a path, "-" */
	const char *output;    /* the output as the user named it, in messages ("-o OUTPUT") */
	const char *start;     /* frame number from 0 or timecode "HH:MM:SS:FF"; NULL: 0 */
	uint64_t frames;       /* frames per pass; 0: to the end of the file */
	uint64_t loops;	       /* passes; 0: until stopped */
	int paced;	       /* 1: at the file's rate, 0: as fast as it goes, -1: the sink's
				* default (file: 0, the others: 1) */
	unsigned preroll;      /* frames queued before the output starts */
	unsigned batch, depth; /* frames per read at most; reads in flight */
	unsigned buffers;      /* frames held in memory; 0: from latency_ms */
	unsigned latency_ms;   /* how far ahead to read, as time at the file's rate */
	const char *md5_path;  /* framemd5 sidecar (mov_framemd5_*, ffmpeg's lines) of the
				* frames that went out, in play order; NULL: none */
	const char *mode;      /* kms: "WxH" or "WxH@HZ"; NULL: pick */
	bool zero_copy;	       /* a sink that would copy frames fails instead (-EOPNOTSUPP) */
	bool force;	       /* replace an existing output file, md5 sidecar or audio file */
	/* Sound: the file's PCM tracks (all of them, interleaved in track order) from the
	 * sample under the first frame played, started with the first frame, looped with the
	 * frames. NULL: no sound. */
	const char *audio_out;	/* an ALSA playback device ("default", "hw:1,0", "null") */
	const char *audio_file; /* a WAV file of the sound played */
	enum play_audio_sync audio_sync;
	unsigned audio_buffer_ms; /* how far ahead sound is written to the device; 0: 200 */
};

/* What happened, for a progress line, a summary and an exit status. */
struct play_session_stats {
	struct mov_info info;
	struct play_range range; /* the frames played: first, count per pass, loops */
	uint64_t total;		 /* frames to play (0: until stopped) */
	uint64_t queued;	 /* frames handed to the sink */
	uint64_t frames;	 /* frames the sink gave back: played */
	uint64_t underruns, late, copies;
	double seconds; /* since play_session_open() */
	bool paced;
	unsigned nslots; /* frames held in memory */
	unsigned held;	 /* frames read and not yet shown (at the sink or ready to go) */
	struct play_ahead_stats ahead;
	struct play_sink_stats sink;
	struct play_session_audio {
		bool on;		    /* the session plays sound */
		struct mov_audio_info info; /* the file's, as played */
		uint64_t first;		    /* the first sample played (the first frame's) */
		uint64_t per_loop;	    /* samples a pass plays */
		uint64_t samples;	    /* samples every output took */
		uint64_t underruns;	    /* times the sound device ran dry */
		uint64_t dropped, repeated; /* CORRECT: samples dropped / repeated for the device */
		bool clock;		    /* an output has a clock (a sound device, not null) */
		bool follows;		    /* the pictures followed it (null and file outputs) */
		bool drift_known;	    /* two clocks measured over a second or more */
		double drift_ppm;	    /* the sound clock against the pictures', + faster */
		double offset_ms;	    /* sound heard minus picture shown, last measured */
		char out_mode[160], file_mode[160];
	} audio;
	const char *stop_reason; /* NULL while playing, "end", "error" or play_session_stop's */
	int err;		 /* -errno of a failure while playing, 0 */
	const char *err_what;	 /* what failed: "reading", "output", "writing the md5 file"... */
};

enum play_event_kind {
	PLAY_EVENT_NOTE,     /* a fallback or a remark, said once ("note: ..." in vplay) */
	PLAY_EVENT_ERROR,    /* why play_session_open fails: one per failure, just before it */
	PLAY_EVENT_UNDERRUN, /* the output showed a frame again, count times, before frame */
};

/* The line a tool prints is text, then ": strerror(-err)" when err, then " (hint)" when hint.
 * The strings live until the callback returns. Texts and hints name outputs and remedies in
 * vplay's words (-o OUTPUT, --start, --force, --rate max), the front end this engine was
 * first written for; a program with other controls maps them, or shows them as they are. */
struct play_event {
	enum play_event_kind kind;
	int err;	  /* -errno or 0 */
	const char *text; /* never NULL */
	const char *hint; /* what to do about it; NULL: nothing to add */
	uint64_t frame;	  /* UNDERRUN: the frame (play order, from 0) that came after it */
	uint32_t count;	  /* UNDERRUN: frames shown again */
};

typedef void (*play_event_fn)(void *user, const struct play_event *ev);

/* Open cfg->in and set up playing it (cfg and its strings are borrowed: they must outlive the
 * session). event (may be NULL) is called with user for each note and for the error. A missing
 * sink is -ENODEV; an existing output file or sidecar without force -EEXIST; no frame rate to
 * pace by -EINVAL; a start or frame count outside the file -EDOM (a command line problem, not
 * the file's); not a MOV, a damaged index or a format that is not uncompressed video -EINVAL,
 * -ENODATA or -ENOTSUP; otherwise the -errno of the sink's open (see play_sink_ops.open) or of
 * the read-ahead's. On failure nothing is left behind: an output file or sidecar it created is
 * removed. -ENOMEM when memory runs out. Timecodes: SMPTE ST 12-1 labels, as the file's tmcd track
 * gives them. */
int play_session_open(const struct play_session_config *cfg, play_event_fn event, void *user,
		      struct play_session **ret_session);

/* One turn of the loop: read ahead, hand ready frames to the sink, take back one it is done
 * with (blocking up to 20 ms, or on the disk when nothing is at the sink; the first steps
 * queue the preroll frames and start the output). Returns 1 while playing, 0 once finished
 * (every frame went out, or stopped), or the -errno of a failure while playing, also in
 * stats.err with stats.err_what (a read's -EIO, the sink's -errno, -EPIPE when the reader of
 * a pipe went away, the sidecar's write error); the session is finished then. The step that
 * finishes lets the queued frames go out (at the end, not after a stop: V4L2 STREAMOFF drops
 * them unseen) and closes the md5 sidecar. Steps after that return 0. */
int play_session_step(struct play_session *s);
/* play_session_step() until it returns <= 0; returns that. */
int play_session_run(struct play_session *s);

/* Stop at the next step: reason (e.g. "SIGINT", copied up to 31 bytes) becomes
 * stats.stop_reason unless one is there already. After a failure with -EPIPE it turns the
 * failure into the stop: a Ctrl-C on "vplay | ffmpeg" reaches both, and the reader may close
 * the pipe before the player hears of it. */
void play_session_stop(struct play_session *s, const char *reason);

/* The stats, brought up to date (counters of the sink and the read-ahead, seconds, held).
 * Owned by the session: valid until play_session_close(). */
const struct play_session_stats *play_session_stats(struct play_session *s);

/* Free; accepts NULL. A session closed before it finished closes its sidecar with the lines
 * written so far. */
void play_session_close(struct play_session *s);

/* ---- timecode ---- */

/* Whether tc is a drop-frame label. */
bool play_timecode_is_drop(const char *tc);

#pragma GCC visibility pop
#endif
