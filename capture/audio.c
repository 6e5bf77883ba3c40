/* The table of audio sources, the sample format names, and the frame-to-sample cadence. */
#include "cap-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct cap_audio_ops *cap_audio_find(const char *device)
{
	if (!device || !*device)
		return NULL;
	return !strcmp(device, "pattern") ? &cap_audio_pattern_ops : &cap_alsa_ops;
}

const char *cap_audio_format_name(enum cap_audio_format f)
{
	switch (f) {
	case CAP_AUDIO_AUTO:
		return "auto";
	case CAP_AUDIO_S16:
		return "s16";
	case CAP_AUDIO_S24:
		return "s24";
	case CAP_AUDIO_S32:
		return "s32";
	}
	return "?";
}

int cap_audio_format_parse(const char *s, enum cap_audio_format *ret)
{
	static const struct {
		const char *name;
		enum cap_audio_format f;
	} names[] = { { "auto", CAP_AUDIO_AUTO }, { "s16", CAP_AUDIO_S16 }, { "16", CAP_AUDIO_S16 },
		      { "s24", CAP_AUDIO_S24 },	  { "24", CAP_AUDIO_S24 },  { "s32", CAP_AUDIO_S32 },
		      { "32", CAP_AUDIO_S32 } };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*ret = names[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

uint64_t cap_audio_samples_at(uint64_t k, unsigned rate, unsigned rate_num, unsigned rate_den)
{
	/* round(k * rate * den / num), halves up; 128-bit so hours of 192 kHz cannot overflow */
	unsigned __int128 x = (unsigned __int128)k * rate * rate_den * 2 + rate_num;

	return (uint64_t)(x / ((unsigned __int128)rate_num * 2));
}
