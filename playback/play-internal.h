/* Shared inside playback/: every sink's state begins with struct play_sink. */
#ifndef VCAP_PLAY_INTERNAL_H
#define VCAP_PLAY_INTERNAL_H

#include "play.h"

#include <stddef.h>

struct play_sink {
	const struct play_sink_ops *ops;
};

/* Every audio output's state begins with struct play_audio. */
struct play_audio {
	const struct play_audio_ops *ops;
};

extern const struct play_audio_ops play_alsa_ops;
extern const struct play_audio_ops play_wav_ops;

#define play_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

extern const struct play_sink_ops play_null_ops;
extern const struct play_sink_ops play_file_ops;
extern const struct play_sink_ops play_v4l2_ops;
extern const struct play_sink_ops play_kms_ops;

/* CLOCK_MONOTONIC in ns: the one time base of pacing, play_done.shown_ns and the clock. */
uint64_t play_now_ns(void);

/* The clock of the sinks without a device (null, file): frames queued in a FIFO go out one per
 * frame period on a virtual vblank, or at once when not paced. A frame queued after its vblank
 * waits for the next one, as a device would: the vblanks it missed are repeats (underruns) and
 * the frame is late. */
struct play_clock;

int play_clock_new(const struct play_config *cfg, unsigned cap, struct play_clock **ret_clock);
/* -ENOBUFS when cap frames are queued already. */
int play_clock_push(struct play_clock *c, const struct play_frame *f);
/* The oldest queued frame, once it went out: -EAGAIN when nothing is queued or its vblank is
 * more than timeout_ms away (-1: wait as long as needed). ret_frame (may be NULL): the frame
 * as it was queued. */
int play_clock_pop(struct play_clock *c, int timeout_ms, struct play_done *ret_done,
		   struct play_frame *ret_frame);
/* The output itself was busy until t (a write into a pipe that blocked): the next frame cannot
 * go out before t, and the vblanks it misses count as for a frame queued late. */
void play_clock_busy_until(struct play_clock *c, uint64_t t);
/* Frames queued and not yet popped. */
unsigned play_clock_queued(const struct play_clock *c);
void play_clock_start(struct play_clock *c);
/* Follow another clock: frame index is due at due_ns. The vblanks move there, at once when
 * they are a frame period or more off, else a quarter of the way each call (a sound device's
 * delay moves in steps of its period). Only when paced and a frame is queued. */
void play_clock_retime(struct play_clock *c, uint64_t index, uint64_t due_ns);
void play_clock_counts(const struct play_clock *c, uint64_t *ret_late, uint64_t *ret_underruns);
void play_clock_free(struct play_clock *c);

/* ---- V4L2 output helpers (v4l2-setup.c), used by the v4l2 sink ---- */

struct v4l2_pix_format;

/* ioctl restarted on EINTR; 0 or -errno. */
int play_v4l2_ioctl(int fd, unsigned long req, void *arg);
/* The V4L2 frame field mode (V4L2_FIELD_*) for a file's field layout. */
uint32_t play_v4l2_field(enum mov_field field);
/* Pick the output, standard or DV timings for cfg; a description into what. -EINVAL when no
 * output, standard or timing of the device matches the file. */
int play_v4l2_set_output(int fd, const struct play_config *cfg, char *what, size_t len);
/* S_FMT for cfg's frames; -EINVAL when the device changes any of it (ALTERNATE for
 * interlaced material excepted: then ret_pix->height is a field's). */
int play_v4l2_set_format(int fd, const struct play_config *cfg, struct v4l2_pix_format *ret_pix);

/* ---- KMS helpers (kms-copy.c), used by the kms sink ---- */

/* The DRM fourcc for a file's pixel format, 0 when DRM has none. */
uint32_t kms_drm_fourcc(const struct mov_format *f);

enum kms_convert {
	KMS_CONVERT_NONE,      /* bytes as they are */
	KMS_CONVERT_UYVY_XRGB, /* 8-bit 4:2:2 to XRGB8888 (BT.601, limited range) */
	KMS_CONVERT_YUYV_XRGB,
};

/* How one frame goes into a dumb buffer: fields of SEP layouts are woven into a picture. */
struct kms_copy {
	unsigned width, height;
	uint64_t src_stride;
	uint32_t dst_pitch;
	enum mov_field layout;
	enum kms_convert convert;
};

void kms_copy_frame(const struct kms_copy *c, void *dst, const void *src);

/* ---- the play session (session-open.c sets it up, session.c plays it) ---- */

struct AVMD5;

enum play_session_state { PLAY_PREROLL, PLAY_PLAYING, PLAY_DONE };

struct play_session {
	const struct play_session_config *c;
	play_event_fn event;
	void *user;
	const struct play_sink_ops *ops;
	struct mov_reader *mr;
	struct play_ahead *ahead;
	struct play_sink *sink;
	struct mov_framemd5 *md5;
	struct AVMD5 *hash;
	struct play_session_stats st;
	enum play_session_state state;
	uint64_t t0_ns;		  /* the first step */
	unsigned at_sink;	  /* frames queued at the sink and not yet back */
	struct play_sound *sound; /* session-audio.c's; NULL without sound */
	bool sound_made;	  /* the audio file was created by this session */
	bool stop;
	bool settled;	 /* paced: the read-ahead filled before the output started */
	char reason[32]; /* play_session_stop's */
	char text[1024]; /* the event being said */
};

/* Say ev's kind of thing to the session's callback, text from fmt. */
void play_session_say(struct play_session *s, enum play_event_kind kind, int err, const char *hint,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Read cfg's input, plan what to play, open the read-ahead, the sink and the sidecar into s
 * (an error event for any failure). */
int play_session_setup(struct play_session *s);

/* A device or a fifo (not a link to one): written as it is, never replaced (needs no
 * --force). */
bool play_special_file(const char *path);
/* The same file: the same inode when both exist, else the same place. */
bool play_same_file(const char *a, const char *b);
/* Refuse an output path opt names (an error event): the file being played, the same file as
 * other (other_opt names it; NULL: none), a directory, an existing file or a symbolic link
 * without force (-EEXIST). */
int play_session_check_output(struct play_session *s, const char *opt, const char *path,
			      const char *other_opt, const char *other);

/* ---- the session's sound (session-audio.c) ---- */

/* Check the audio outputs, open the file's sound and the outputs (an error event for any
 * failure): after the range is planned. 0 also without sound. */
int play_sound_open(struct play_session *s);
/* Write sound ahead: as far as a device with a clock takes it, else up to the frames that
 * went out; all: to the end (blocking), for the end of playing. */
int play_sound_feed(struct play_session *s, bool all);
/* Sound a device is still to be given: the tail after the last frame, played by further steps
 * (so that a signal can stop it) before the end. */
bool play_sound_pending(const struct play_session *s);
/* Start the sound with the first frame. */
int play_sound_start(struct play_session *s);
/* A frame went out: follow the sound's clock (a sink with retime) or measure the drift. */
void play_sound_sync(struct play_session *s, const struct play_done *d);
/* The end: drain (the sound plays out) or drop; files are finished either way. */
int play_sound_finish(struct play_session *s, bool drain);
/* Counters into s->st.audio. */
void play_sound_stats(struct play_session *s);
void play_sound_close(struct play_session *s);

#endif
