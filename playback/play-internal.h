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

#endif
