/* Shared inside capture/: every backend's state begins with struct cap_source. */
#ifndef VCAP_CAP_INTERNAL_H
#define VCAP_CAP_INTERNAL_H

#include "cap.h"

#include <stddef.h>

struct cap_source {
	const struct cap_source_ops *ops;
};

#define cap_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

extern const struct cap_source_ops cap_pattern_ops;

#endif
