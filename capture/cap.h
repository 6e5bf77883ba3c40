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

#include "dio.h"
#include "mov.h"

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
	char what[512];
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


/* ---- Audio sources: sound recorded with the picture (audio-pattern.c, alsa.c) ----
 *
 * The life of an audio source: open() negotiates rate, channels and sample format (describe()
 * tells), start() runs it (after the video source's start(): some drivers only run audio while
 * video streams), align() names the CLOCK_MONOTONIC time of the recording's frame 0, and
 * read() then hands out the samples from that instant on, by absolute sample index, so the
 * recording can give every frame exactly its share (cap_audio_samples_at()). Samples are
 * interleaved, little-endian: S16_LE (2 bytes), S24_3LE (3 bytes), S32_LE (4 bytes) per
 * channel; "a sample" counts one instant of all channels (ALSA's "frame"). Nothing is ever
 * resampled: a sample the device lost (an ALSA overrun, XRUN) is delivered as silence in its
 * place, so sample indexes stay on the device's clock, and counted in the status.
 */

/* Sample formats as stored (MOV: sowt, in24 + enda, in32 + enda). */
enum cap_audio_format {
	CAP_AUDIO_AUTO = 0, /* open: what the device gives natively, 24 or 32 bits before 16 */
	CAP_AUDIO_S16 = 16, /* S16_LE */
	CAP_AUDIO_S24 = 24, /* S24_3LE: 24 bits packed in 3 bytes */
	CAP_AUDIO_S32 = 32, /* S32_LE */
};
/* "s16", "s24", "s32" ("auto" for AUTO); parse takes the same (and 16, 24, 32). */
const char *cap_audio_format_name(enum cap_audio_format f);
int cap_audio_format_parse(const char *s, enum cap_audio_format *ret);

struct cap_audio_config {
	const char *device;	      /* "pattern", or an ALSA PCM name ("hw:CARD=X,DEV=0") */
	unsigned channels;	      /* 0: the device's (pattern: 2) */
	unsigned rate;		      /* samples per second; 0: 48000 */
	enum cap_audio_format format; /* AUTO: the device's native format */
	/* the video frame rate, for the pattern source's per-frame markers */
	unsigned rate_num, rate_den;
};

/* What the device accepted (a plain value). */
struct cap_audio_accepted {
	unsigned channels, rate;
	enum cap_audio_format format;
	unsigned sample_bytes; /* bytes per sample of all channels: channels x format / 8 */
	char device[64];       /* the PCM name */
	char card[80];	       /* the card's name, "" when unknown */
	char native[24];       /* the format as the device names it ("S24_3LE") */
	unsigned period, buffer; /* ALSA period and buffer size in samples (0: pattern) */
};

/* What an audio source has seen so far (status()). */
struct cap_audio_status {
	uint64_t delivered;    /* samples handed out by read(), silence for XRUNs included */
	uint64_t xruns;	       /* overrun events */
	uint64_t xrun_samples; /* samples lost to them, delivered as silence */
	uint64_t last_xrun_at; /* sample index where the last lost stretch starts */
	uint64_t lead_silence; /* samples of silence before the first captured one (the device
				* started after frame 0) */
	/* The device clock: sample index clock_pos was captured at clock_ns (CLOCK_MONOTONIC);
	 * clock_ns 0 when not known yet. Drift comes from a series of these. */
	uint64_t clock_pos, clock_ns;
};

struct cap_audio;

struct cap_audio_ops {
	const char *name;
	const char *desc; /* one line for --help */
	/* Open and negotiate; an explicit channel count, rate or format the device refuses
	 * fails with -EINVAL and *why naming what it offers. */
	int (*open)(const struct cap_audio_config *cfg, struct cap_why *why,
		    struct cap_audio **ret_src);
	void (*describe)(const struct cap_audio *src, struct cap_audio_accepted *ret);
	/* Start capturing; samples before align() are kept only as long as an align() to a
	 * recent time needs them (a few seconds). */
	int (*start)(struct cap_audio *src);
	/* Sample 0 is the one captured at t0_ns (CLOCK_MONOTONIC): earlier samples are
	 * dropped; when the device started after t0_ns, silence stands in (lead_silence). */
	int (*align)(struct cap_audio *src, uint64_t t0_ns);
	/* Up to n samples from index pos into buf (n x sample_bytes bytes): how many were
	 * written, 0 when none came within timeout_ms (0: do not wait). pos may skip ahead of
	 * what was read (the skipped samples are dropped); going back is -EINVAL. Before
	 * align(): 0. -EIO (or the device's -errno) when the device failed. */
	int (*read)(struct cap_audio *src, uint64_t pos, void *buf, uint32_t n, int timeout_ms);
	void (*status)(const struct cap_audio *src, struct cap_audio_status *ret);
	int (*stop)(struct cap_audio *src);
	/* Free; accepts NULL. */
	void (*close)(struct cap_audio *src);
};

/* The audio source for a device name: "pattern" is the test tone, anything else ALSA. */
const struct cap_audio_ops *cap_audio_find(const char *device);

/* Samples before frame k at rate_num/rate_den frames per second and rate samples per second:
 * round(k x rate x rate_den / rate_num), halves up, so frame k owns [S(k), S(k + 1)): 1920
 * each at 25 fps and 48 kHz, 1602, 1601, 1602, 1601, 1602 (8008 per 5 frames) at 30000/1001
 * (SMPTE ST 299-1's cadence for 48 kHz with 525-line video). */
uint64_t cap_audio_samples_at(uint64_t k, unsigned rate, unsigned rate_num, unsigned rate_den);

/* ---- The recording session: a source's frames to a MOV on disk (record*.c) ----
 *
 * The life of a recording: cap_record_check() completes and checks a configuration (what the
 * command line alone decides); cap_record_open() opens the source, negotiates, sizes the slots,
 * creates the file, its capture log (FILE.mov.vcj) and the md5 sidecar, and starts streaming;
 * cap_record_step() (or cap_record_run()) records until the amount is reached, a policy or an
 * error stops it, or cap_record_stop() is called; cap_record_finish() writes the last batch
 * and the MOV index, cuts the file to size, makes it durable and closes the log;
 * cap_record_close() frees. Frames travel source -> slab slot -> one O_DIRECT write per batch
 * of V frames (diskio) -> the index through libavformat and the capture log (mov), never
 * copied on the way.
 *
 * Nothing here prints: what a front end shows (errors with their hint, drops, flagged frames,
 * timecode breaks, fallbacks) comes as events through the callback given to open. */

/* --on-drop: what a lost frame does to the recording. */
enum cap_on_drop {
	CAP_DROP_CONTINUE, /* record on; every gap is an event and in the stats */
	CAP_DROP_STOP,	   /* finish the file at the first gap */
	CAP_DROP_FAIL,	   /* record on; the front end fails at the end (vcap: exit 4) */
};

struct cap_record_config {
	const char *out;		      /* the MOV; its log is out + ".vcj" */
	const struct cap_source_ops *source;  /* cap_source_find("pattern"), ("v4l2") */
	struct cap_config cap;		      /* what to ask the source for */
	uint64_t frames;  /* frames in the file (fills count); 0: until cap_record_stop() */
	double seconds;	  /* -t in seconds: frames = ceil(seconds x rate), by sequence span */
	uint64_t fields;  /* stop after this many fields (even; frames = fields / 2), or 0 */
	const char *duration_tc; /* -t as HH:MM:SS:FF: a frame count at the capture rate */
	bool by_duration; /* set by cap_record_check: stop by sequence span, not by count */
	unsigned batch;	  /* V: frames per O_DIRECT write (1..256) */
	unsigned depth;	  /* writes in flight (1..64) */
	unsigned buffers; /* frame slots; 0: batch x (depth + 1) plus half a second */
	uint64_t align;	  /* bytes, a multiple of 4096; 0: the stripe (dio_geom_probe) */
	const char *timecode;	 /* tmcd start "HH:MM:SS:FF"; NULL: the first frame's device TC */
	enum mov_colour colour;	 /* the colr atom */
	unsigned aspect_num, aspect_den; /* display aspect of the frame; 0/0: auto */
	const char *md5_path;	 /* framemd5 sidecar, or NULL */
	enum cap_on_drop on_drop;
	bool fill_drops;	 /* index the previous frame again for each lost one */
	bool realtime;		 /* SCHED_FIFO and mlockall when permitted (warnings if not) */
	const char *start_tc;	 /* record from the device timecode TC on */
	const char *stop_tc;	 /* the frame labelled TC is the last one recorded */
	bool force;		 /* replace FILE, its log and the sidecar (a symbolic link
				  * there: the link itself, never what it names) */
	bool policies_deferred;	 /* set by cap_record_check: rate or field mode come from the
				  * device, so the timecode and amount checks wait for open */
	/* Sound: audio.device NULL for none; its rate_num/rate_den are the picture's. */
	struct cap_audio_config audio;
	enum mov_audio_tracks audio_tracks;
	double audio_drift_fail; /* ppm: stop ("drift") once the measured drift exceeds it;
				  * 0: only report it */
	double sync_interval;	 /* seconds between durability points (an fdatasync of the
				  * file, then of the capture log: a power cut loses at most
				  * this much of what was recorded before it); 0: 0.5 */
	/* Live preview of the frames recorded, never holding the recording up: NULL none;
	 * "kms" or "kms:TARGET" (a display, TARGET as vplay's -o kms:TARGET: connector,
	 * card, or card:connector) whose mode has the frame's size; "-" raw frames as stored
	 * (the file's layout) written to preview_fd, for ffplay -f rawvideo. */
	const char *preview;
	int preview_fd;
};

/* What the live preview did (cap_record_config.preview). Frames it skipped were recorded
 * like any other: a skip is the preview's, never a drop. */
struct cap_record_preview {
	bool on;
	uint64_t offered; /* frames recorded while the preview ran */
	uint64_t shown;	  /* kms: frames put on the screen by a flip; "-": frames written whole */
	uint64_t skipped; /* offered while the output was still busy with an earlier frame */
	uint64_t copies;  /* frames copied out of their slot (one per frame taken) */
	int err;	  /* why the preview stopped early (-EPIPE: the reader went away), or 0 */
	char mode[320];	  /* the output and how frames reach it */
};

/* Lists in the stats keep their first CAP_RECORD_LIST_MAX entries; totals count them all. */
#define CAP_RECORD_LIST_MAX 256

/* One gap: count frames lost just before frame before_frame (an index in the file). */
struct cap_record_drop {
	uint64_t before_frame;
	uint64_t sequence; /* the first lost V4L2 sequence number */
	uint64_t count;	   /* frames */
	uint64_t fields;
	bool starved; /* every slot was held by the disk side when it happened */
};

/* What happened, read at any time with cap_record_stats(). */
struct cap_record_stats {
	uint64_t fields; /* pictures in the file: 2 per interlaced frame, 1 per progressive */
	uint64_t fills;	 /* samples that repeat the previous frame (fill_drops) */
	uint64_t lost_fields;
	uint64_t gaps; /* drop events; drop[] holds the first CAP_RECORD_LIST_MAX */
	struct cap_record_drop drop[CAP_RECORD_LIST_MAX];
	uint64_t flagged_at[CAP_RECORD_LIST_MAX]; /* file indexes of the first flagged frames */
	uint64_t tc_breaks;
	uint64_t tc_break_at[CAP_RECORD_LIST_MAX];
	char tc_first[16], tc_last[16]; /* device timecode of the first and last frame */
	char tmcd[16];			/* start of the tmcd track, "" for none */
	unsigned sar_num, sar_den;	/* the pasp written */
	const char *aspect_source;	/* what decided it (mov_aspect_choose), static string */
	bool rt_fifo, rt_locked;	/* what realtime got */
	uint64_t frames;  /* indexed in the file */
	uint64_t durable_frames;  /* of those, made durable with their log lines (fdatasync):
				   * a power cut loses none of them */
	uint64_t durable_samples; /* samples of sound made durable likewise */
	uint64_t sync_points;	  /* durability points completed */
	uint64_t drops;	  /* frames missing from the sequence */
	uint64_t flagged; /* frames delivered with V4L2_BUF_FLAG_ERROR */
	uint64_t bytes;	  /* payload bytes on disk */
	uint64_t file_size;
	double seconds;	  /* since streaming started (CLOCK_MONOTONIC) */
	unsigned held;	  /* slots held now: filled, or being written */
	double max_fill;  /* highest share of slots held */
	uint64_t max_lat_ns; /* slowest write, submit to completion */
	uint64_t data_start; /* file offset of the first frame, bytes */
	struct dio_geom geom;
	size_t slot_bytes;
	unsigned nslots;
	enum dio_mode mode;
	char mode_why[240];
	const char *stop_reason; /* "frames", "fields", "duration", "stop-timecode", the reason
				  * given to cap_record_stop(), "drop", "error"; static strings */
	int err;		 /* first error while recording (-errno), 0 if none */
	const char *err_what;	 /* what failed: "writing", "indexing", ... */
	char journal[4096];	 /* the capture log's path */
	struct cap_accepted acc; /* what the source took: the file's format, size, rate, field */
	struct cap_source_stats src; /* the source's copy counter and discarded fields */
	struct cap_record_audio {
		bool on;			/* recording sound */
		struct cap_audio_accepted acc; /* what the audio device took */
		unsigned tracks;		/* audio tracks in the file */
		uint64_t samples;		/* indexed in the file (silence stand-ins included) */
		uint64_t xruns, xrun_samples;	/* overruns, and samples they lost */
		uint64_t lead_silence;		/* samples before the device's first */
		uint64_t late_silence;		/* samples the device never delivered in time */
		uint64_t chunk_bytes;		/* the largest chunk written, padded */
		double drift_ppm;		/* audio clock against the video clock, parts per
						 * million (positive: audio runs fast) */
		bool drift_known;		/* after a few seconds of both clocks */
	} audio;
	struct cap_record_preview preview;
};

/* How much an event matters to the person recording. */
enum cap_event_kind {
	CAP_EVENT_INFO,	   /* what was negotiated or chosen: a front end may hide it (--quiet) */
	CAP_EVENT_NOTE,	   /* something happened to the recording: always shown */
	CAP_EVENT_WARNING, /* a request not met; the recording goes on */
	CAP_EVENT_ERROR,   /* the recording cannot start, or stops (err, hint) */
};

/* What an event is about. */
enum cap_event_type {
	CAP_EVENT_MESSAGE,    /* text only */
	CAP_EVENT_DROP,	      /* drop: a gap in the sequence */
	CAP_EVENT_FLAGGED,    /* frame: delivered with V4L2_BUF_FLAG_ERROR, kept */
	CAP_EVENT_TC_BREAK,   /* frame: its device timecode does not follow the one before */
	CAP_EVENT_RENUMBERED, /* frame: a sequence number that did not advance, renumbered */
	CAP_EVENT_XRUN,	      /* frame: sound lost (an ALSA overrun) in its period, filled */
	CAP_EVENT_DURABLE,    /* frame: the frames before this index are durable (stats'
			       * durable_frames, durable_samples); kind INFO */
};

/* Valid only during the callback. text is one line without a program name; err (-errno, or 0)
 * and hint (NULL or a short fix) complete it as "what: strerror(-err) (hint)". Texts and
 * hints name outputs and remedies in vcap's words (-o FILE, --force, --md5, --align), the
 * front end this engine was first written for; a program with other controls maps them. The
 * callback runs on the thread that called open, step or finish. */
struct cap_event {
	enum cap_event_kind kind;
	enum cap_event_type type;
	int err;
	const char *text, *hint;
	const struct cap_record_drop *drop; /* CAP_EVENT_DROP */
	uint64_t frame;			    /* index in the file, for frame events */
	uint64_t samples;		    /* CAP_EVENT_DURABLE: samples of sound durable */
};

typedef void (*cap_event_fn)(void *user, const struct cap_event *ev);

struct cap_record;

/* Complete c from what the command line alone decides: the pattern source's defaults for
 * "auto", frames from fields or a duration (when the rate is known), policies_deferred when
 * the device will say the rate or field mode. -EINVAL with *why filled when c contradicts
 * itself (-n with -t, odd --fields, --fields with progressive, a timecode no rate has or the
 * given rate lacks (SMPTE ST 12-1 labels; drop-frame only at 30000/1001 and multiples), a
 * duration of more than 4000000000 frames, --md5 naming the output, a size the format
 * refuses); nothing is touched. */
int cap_record_check(struct cap_record_config *c, struct cap_why *why);

/* Start a recording of c (checked by cap_record_check()): every output is checked before the
 * source is opened (never replaced unless c->force, never written through a symbolic link:
 * with c->force a link is replaced by the new file, what it names left alone), then the
 * source is negotiated, slots allocated (dio_slab), the file, log and sidecar created, and
 * streaming started. fn (may be NULL) receives events until close; user is passed back. On
 * failure an ERROR event says why, nothing is left behind, and the -errno is returned:
 * -EEXIST (an output exists, a symbolic link included, without c->force), -EBUSY (another
 * recording holds c->out), -EINVAL, -EISDIR, -ENOENT, -ENOMEM, the source's and the disk's
 * errors. *ret_rec is the caller's, freed by cap_record_close(). c is copied; its strings are
 * borrowed until close. */
int cap_record_open(const struct cap_record_config *c, cap_event_fn fn, void *user,
		    struct cap_record **ret_rec);

/* One turn of the loop: reap completed writes, commit them in file order (index, log, md5),
 * take at most one frame (waiting up to 100 ms), submit a batch when one is full. 1 while
 * recording; 0 once it has stopped (why: stats stop_reason; an error: stats err). */
int cap_record_step(struct cap_record *r);

/* Step until the recording stops (c->frames reached, a policy, an error: see the stats).
 * Returns 0. A program that must stop on a signal steps itself and calls cap_record_stop(). */
int cap_record_run(struct cap_record *r);

/* Ask the recording to stop at the next step; reason (a static string, e.g. "SIGINT") goes
 * in the stats unless something stopped it first. Not async-signal-safe: call it from the
 * loop (take signals through a signalfd, or sigpending() between steps, as
 * examples/record.c does), not from a signal handler. */
void cap_record_stop(struct cap_record *r, const char *reason);

/* Stop streaming, write the last partial batch, wait for every write, write the MOV index
 * after the last frame, truncate the preallocated file to its size, fsync, close the log and
 * write the md5 sidecar. 0 when the file was finished (errors while recording or here are in
 * the stats: the file then holds every frame before them, or vmov recover rebuilds it);
 * -ENODATA when nothing was recorded because the device never sent the timecode asked for
 * (an ERROR event said so; the outputs were removed). Called by close if not before. */
int cap_record_finish(struct cap_record *r);

/* The figures so far; valid until close. */
const struct cap_record_stats *cap_record_stats(const struct cap_record *r);

/* Finish if not done, close the source, the file and the log, free everything. NULL is
 * fine. */
void cap_record_close(struct cap_record *r);

#pragma GCC visibility pop
#endif
