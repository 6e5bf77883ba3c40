/* Shared inside capture/: every backend's state begins with struct cap_source. */
#ifndef VCAP_CAP_INTERNAL_H
#define VCAP_CAP_INTERNAL_H

#include "cap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_source {
	const struct cap_source_ops *ops;
};

#define cap_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

extern const struct cap_source_ops cap_pattern_ops;
extern const struct cap_source_ops cap_v4l2_ops;

/* Audio backends (cap.h "Audio sources"): every backend's state begins with struct
 * cap_audio. */
struct cap_audio {
	const struct cap_audio_ops *ops;
};
extern const struct cap_audio_ops cap_audio_pattern_ops;
extern const struct cap_audio_ops cap_alsa_ops;

/* ---- ALSA device setup (alsa-setup.c), used by the ALSA source (alsa.c) ---- */

struct _snd_pcm; /* alsa-lib's snd_pcm_t */
/* Open cfg->device for capture (non-blocking) and set it up: interleaved reads, cfg's rate
 * exactly (never resampled), cfg's channels (0: the device's smallest count from 2 up), a
 * format it gives natively (cfg->format, or AUTO: S24_3LE, S32_LE, S24_LE, S16_LE in that
 * order), a period of about 10 ms and a buffer of up to 2 s; monotonic timestamps, never
 * stopped by an overrun (stop_threshold = boundary), started only by snd_pcm_start().
 * *ret_repack: the device gives S24_LE (4 bytes) and the stored format is 3 bytes.
 * 0 with *ret_pcm (the caller's, closed with snd_pcm_close) and *ret_acc; -errno with *why. */
int cap_alsa_setup(const struct cap_audio_config *cfg, struct cap_why *why,
		   struct _snd_pcm **ret_pcm, struct cap_audio_accepted *ret_acc, bool *ret_repack);

/* ---- V4L2 device negotiation (v4l2-setup.c), used by the V4L2 source (v4l2.c) ---- */

struct cap_v4l2_dev {
	int fd;                  /* through libv4l2 (v4l2_fd_open) */
	struct cap_config cfg;   /* as asked; strings borrowed */
	struct cap_accepted acc; /* as read back */
	uint32_t seq_first;      /* ALTERNATE: parity sent first within a sequence */
};

/* Open cfg->device and negotiate everything cfg asks; -errno with *why filled on failure
 * (nothing left open). */
int cap_v4l2_negotiate(const struct cap_config *cfg, struct cap_why *why,
		       struct cap_v4l2_dev *ret_dev);
/* Close the device; accepts a dev whose fd is already -1. */
void cap_v4l2_release(struct cap_v4l2_dev *dev);
/* v4l2_ioctl, retried on EINTR: the result, or -errno. */
int cap_v4l2_ioctl(int fd, unsigned long req, void *arg);

/* ---- field parity (fields.c) ---- */

/* The parity (V4L2_FIELD_TOP/BOTTOM) each frame of mode f starts with, given --start-field
 * asked (0: not given) and, for ALTERNATE, seq_first, the parity sent first in a sequence.
 * interlaced-tb and seq-tb start top, -bt bottom: asking the other parity is refused, and so
 * is any parity for progressive frames; ALTERNATE starts on asked, else on seq_first. Every
 * source applies it, so the pattern source refuses what a device would. 0 and *ret_start, or
 * -EINVAL with *why filled. */
int cap_field_start(enum cap_field f, uint32_t asked, uint32_t seq_first, struct cap_why *why,
		    uint32_t *ret_start);

/* ---- ALTERNATE: fields paired into frames by (sequence, field) (fields.c) ----
 *
 * V4L2 gives both fields of a frame the same sequence; which comes first in time follows the
 * standard (top for 625/50, bottom for 525/60). Fields are numbered in time order, 2 * sequence
 * + (second of its sequence ? 1 : 0). The first field of the start parity becomes field 0 of
 * frame 0; frame k is then fields base + 2k and base + 2k + 1, so starting on the other parity
 * pairs the second field of one sequence with the first of the next.
 */
struct cap_fields {
	uint32_t start;     /* V4L2_FIELD_TOP or V4L2_FIELD_BOTTOM */
	uint32_t seq_first; /* parity sent first within a sequence */
	bool started;
	uint64_t base; /* field number of frame 0's first field */
	bool open;     /* a first field is waiting for its partner */
	uint64_t open_frame;
	uint64_t next_frame; /* frame after the last one completed */
};

enum cap_fields_act {
	CAP_FIELDS_DISCARD, /* before the start parity, too late, or a second field whose first
			     * was lost */
	CAP_FIELDS_FIRST,   /* put it in the first half of the current slot (replaces a lone one) */
	CAP_FIELDS_SECOND,  /* put it in the second half: the frame is complete */
};

struct cap_fields_step {
	enum cap_fields_act act;
	uint64_t frame;	      /* frame number from 0 (gaps are dropped frames) */
	uint32_t lost_fields; /* SECOND: fields lost since the previous frame, lone ones included */
	bool replaced_lone;   /* FIRST: the slot held a lone first field, now discarded */
};

void cap_fields_init(struct cap_fields *p, uint32_t start_parity, uint32_t seq_first_parity);
/* Place one delivered field. -EINVAL if field is neither TOP nor BOTTOM. A field older than
 * the frame being built is discarded; a repeated first field replaces the one before. */
int cap_fields_push(struct cap_fields *p, uint64_t sequence, uint32_t field,
		    struct cap_fields_step *ret);

#endif
