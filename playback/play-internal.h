/* Shared inside playback/: every sink's state begins with struct play_sink. */
#ifndef VCAP_PLAY_INTERNAL_H
#define VCAP_PLAY_INTERNAL_H

#include "play.h"

#include <stddef.h>

struct play_sink {
	const struct play_sink_ops *ops;
};

#define play_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

extern const struct play_sink_ops play_null_ops;
extern const struct play_sink_ops play_file_ops;
extern const struct play_sink_ops play_v4l2_ops;
extern const struct play_sink_ops play_kms_ops;

/* The clock of the sinks without a device (null, file): frames queued in a FIFO go out one per
 * frame period on a virtual vblank, or at once when not paced. A frame queued after its vblank
 * waits for the next one, as a device would: the vblanks it missed are repeats (underruns) and
 * the frame is late. */
struct play_clock;

int play_clock_new(const struct play_config *cfg, unsigned cap, struct play_clock **ret_clock);
/* -ENOBUFS when cap frames are queued already. */
int play_clock_push(struct play_clock *c, const struct play_frame *f);
/* The oldest queued frame, once it went out: -EAGAIN when nothing is queued or its vblank is
 * more than timeout_ms away (-1: wait as long as needed). */
int play_clock_pop(struct play_clock *c, int timeout_ms, struct play_done *ret_done);
void play_clock_start(struct play_clock *c);
void play_clock_counts(const struct play_clock *c, uint64_t *ret_late, uint64_t *ret_underruns);
void play_clock_free(struct play_clock *c);

#endif
