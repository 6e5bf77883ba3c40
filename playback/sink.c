/* The sinks, looked up by name. Device sinks join this table in their own files. */
#include "play-internal.h"

#include <string.h>

static const struct play_sink_ops *const sinks[] = {
	&play_null_ops,
	&play_file_ops,
	&play_v4l2_ops,
	&play_kms_ops,
};

const struct play_sink_ops *play_sink_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (!strcmp(sinks[i]->name, name))
			return sinks[i];
	return NULL;
}

const struct play_sink_ops *play_sink_at(unsigned i)
{
	return i < sizeof(sinks) / sizeof(sinks[0]) ? sinks[i] : NULL;
}

uint64_t play_config_stride(const struct play_config *cfg)
{
	return cfg->stride ? cfg->stride : mov_format_stride(cfg->format, cfg->width);
}

static const struct play_audio_ops *const audio_outs[] = {
	&play_alsa_ops,
	&play_wav_ops,
};

const struct play_audio_ops *play_audio_find(const char *name)
{
	for (unsigned i = 0; i < sizeof(audio_outs) / sizeof(audio_outs[0]); i++)
		if (!strcmp(audio_outs[i]->name, name))
			return audio_outs[i];
	return NULL;
}
