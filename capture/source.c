/* The table of sources, looked up by name, and the field-mode names. */
#include "cap-internal.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <string.h>

static const struct cap_source_ops *const sources[] = {
	&cap_pattern_ops,
	&cap_v4l2_ops,
};

const struct cap_source_ops *cap_source_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (!strcmp(sources[i]->name, name))
			return sources[i];
	return NULL;
}

const struct cap_source_ops *cap_source_at(unsigned i)
{
	return i < sizeof(sources) / sizeof(sources[0]) ? sources[i] : NULL;
}

static const struct {
	const char *name;
	uint32_t v4l2;
} fields[] = {
	[CAP_FIELD_NONE] = { "none", V4L2_FIELD_NONE },
	[CAP_FIELD_INTERLACED_TB] = { "interlaced-tb", V4L2_FIELD_INTERLACED_TB },
	[CAP_FIELD_INTERLACED_BT] = { "interlaced-bt", V4L2_FIELD_INTERLACED_BT },
	[CAP_FIELD_SEQ_TB] = { "seq-tb", V4L2_FIELD_SEQ_TB },
	[CAP_FIELD_SEQ_BT] = { "seq-bt", V4L2_FIELD_SEQ_BT },
	[CAP_FIELD_ALTERNATE] = { "alternate", V4L2_FIELD_ALTERNATE },
};

const char *cap_field_name(enum cap_field f)
{
	return (unsigned)f < sizeof(fields) / sizeof(fields[0]) ? fields[f].name : "?";
}

uint32_t cap_field_v4l2(enum cap_field f)
{
	return (unsigned)f < sizeof(fields) / sizeof(fields[0]) ? fields[f].v4l2 : 0;
}

int cap_field_parse(const char *s, enum cap_field *ret)
{
	if (!strcmp(s, "progressive")) {
		*ret = CAP_FIELD_NONE;
		return 0;
	}
	if (!strcmp(s, "interlaced")) {
		*ret = CAP_FIELD_INTERLACED_TB;
		return 0;
	}
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!strcmp(s, fields[i].name)) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cap_buf_mode_name(enum cap_buf_mode m)
{
	static const char *const names[] = {
		[CAP_BUF_IN_PLACE] = "in place",
		[CAP_BUF_DMABUF] = "dmabuf (zero copy)",
		[CAP_BUF_MMAP_COPY] = "mmap + copy",
		[CAP_BUF_FIELDS_COPY] = "alternate fields paired by copy",
	};

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}
