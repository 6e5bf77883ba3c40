/* The live preview of a recording (preview*.c), used by the recording session (record*.c).
 *
 * The recording offers each frame it takes (cap_preview_offer()); a preview thread of its own
 * copies the frame out of its slot into the output's buffer and shows it (a display through
 * DRM/KMS, or raw frames on a pipe). The loop never waits for the output: a frame offered
 * while the thread is still busy with an earlier one is skipped and counted, never held. The
 * loop does not wait for the copy either: a slot the thread is still copying from stays out
 * of the source (with the slots after it: the ring goes back in order) until a later step
 * finds the copy done (cap_preview_busy()), as if that batch's write had taken a moment
 * longer. Only when every slot is held and no write is in flight does the loop wait for it
 * (cap_preview_release()): nothing else could happen then.
 *
 * Why a copy and not the slot itself on screen: a slot scanned out stays in use until the
 * next flip (a vblank or more), and the source takes slots back strictly in ring order
 * (cap.h), so one slot on screen would hold every slot after it from the device.
 */
#ifndef VCAP_PREVIEW_INTERNAL_H
#define VCAP_PREVIEW_INTERNAL_H

#include "cap.h"

#include <stdbool.h>
#include <stdint.h>

/* What the preview shows: frames as the slab holds them (the file's layout). */
struct cap_preview_config {
	const char *spec; /* "kms", "kms:TARGET" (TARGET as vplay -o kms:TARGET), "-" (stdout) */
	const struct mov_format *format;
	unsigned width, height;
	unsigned rate_num, rate_den;
	enum mov_field field;
	uint64_t frame_bytes; /* bytes of one frame in a slot */
	int out_fd;	      /* "-": where raw frames go (the tool's stdout) */
};

/* ---- outputs: one backend per file (preview-kms.c, preview-pipe.c) ---- */

/* Every output's state begins with this. */
struct cap_preview_out {
	const struct cap_preview_out_ops *ops;
};

struct cap_preview_out_ops {
	const char *name;
	/* Set the output up for frames of cfg; *why says what failed (what, hint). */
	int (*open)(const struct cap_preview_config *cfg, struct cap_why *why,
		    struct cap_preview_out **ret_out);
	/* Where the next frame is to be copied (frame_bytes): always free when show() has
	 * returned. */
	void *(*buffer)(struct cap_preview_out *out);
	/* Show the frame copied into buffer(); returns when the output can take another (a
	 * buffer is free), or as soon as stop_fd is readable. 0, or -errno: the preview ends
	 * (-EPIPE: the reader went away). Frames shown so far go to *ret_shown. */
	int (*show)(struct cap_preview_out *out, int stop_fd, uint64_t *ret_shown);
	/* Let the last frame out when it can without waiting long; free. Accepts NULL. */
	void (*close)(struct cap_preview_out *out, uint64_t *ret_shown);
	/* e.g. "kms Virtual-1: dumb buffers + copy (...)"; set at open. */
	const char *(*mode)(const struct cap_preview_out *out);
};

extern const struct cap_preview_out_ops cap_preview_kms_ops;
extern const struct cap_preview_out_ops cap_preview_pipe_ops;

/* ---- the preview (preview.c) ---- */

struct cap_preview;

/* Open the output cfg->spec names and start the preview thread (at the lowest priority: it
 * must never compete with the loop). -EINVAL for a spec that names no output; else the
 * output's -errno with *why. */
int cap_preview_open(const struct cap_preview_config *cfg, struct cap_why *why,
		     struct cap_preview **ret_pv);
/* Offer the frame in slot (frame_bytes at frame): taken when the thread is idle (true), else
 * skipped (false, counted). Never blocks on the output. */
bool cap_preview_offer(struct cap_preview *pv, unsigned slot, const void *frame);
/* Whether the thread is copying from slot (or is about to): the slot must not go back to
 * the source yet. false for a NULL pv. */
bool cap_preview_busy(struct cap_preview *pv, unsigned slot);
/* Wait while the thread is copying from slot (a memcpy's time, once it runs). */
void cap_preview_release(struct cap_preview *pv, unsigned slot);
/* The preview's counters so far (thread-safe); err is the output's failure, 0 if none. */
void cap_preview_stats(struct cap_preview *pv, struct cap_record_preview *ret);
/* Stop the thread (an output blocked on a stalled reader is abandoned at once), let the last
 * frame out, free; the final counters into *ret (may be NULL). Accepts NULL. */
void cap_preview_close(struct cap_preview *pv, struct cap_record_preview *ret);

#endif
