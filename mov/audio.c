/* PCM tracks: how a recording's channels split into tracks, and where each track's part of a
 * chunk sits. */
#include "mov-internal.h"

#include <errno.h>
#include <string.h>

static const char *const track_names[] = {
	[MOV_AUDIO_ONE] = "one",
	[MOV_AUDIO_PAIRS] = "pairs",
	[MOV_AUDIO_MONO] = "mono",
};

const char *mov_audio_tracks_name(enum mov_audio_tracks t)
{
	return (unsigned)t < sizeof(track_names) / sizeof(track_names[0]) ? track_names[t] : "?";
}

int mov_audio_tracks_parse(const char *s, enum mov_audio_tracks *ret)
{
	for (unsigned i = 0; i < sizeof(track_names) / sizeof(track_names[0]); i++) {
		if (!strcmp(s, track_names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

unsigned mov_audio_track_count(const struct mov_audio *a)
{
	if (!a->channels)
		return 0;
	switch (a->tracks) {
	case MOV_AUDIO_PAIRS:
		return (a->channels + 1) / 2;
	case MOV_AUDIO_MONO:
		return a->channels;
	default:
		return 1;
	}
}

unsigned mov_audio_track_channels(const struct mov_audio *a, unsigned t)
{
	unsigned n = mov_audio_track_count(a);

	if (t >= n)
		return 0;
	switch (a->tracks) {
	case MOV_AUDIO_PAIRS:
		return t + 1 < n || a->channels % 2 == 0 ? 2 : 1;
	case MOV_AUDIO_MONO:
		return 1;
	default:
		return a->channels;
	}
}

uint64_t mov_audio_chunk_layout(const struct mov_audio *a, uint64_t n,
				uint64_t ret_off[MOV_AUDIO_MAX_TRACKS])
{
	unsigned tracks = mov_audio_track_count(a);
	uint64_t off = 0, end = 0;

	for (unsigned t = 0; t < tracks && t < MOV_AUDIO_MAX_TRACKS; t++) {
		if (ret_off)
			ret_off[t] = off;
		end = off + n * mov_audio_track_channels(a, t) * (a->bits / 8);
		off = (end + MOV_AUDIO_PART_ALIGN - 1) / MOV_AUDIO_PART_ALIGN * MOV_AUDIO_PART_ALIGN;
	}
	return end;
}

int mov_audio_check(const struct mov_audio *a, const char **ret_why)
{
	const char *why = NULL;

	if (!a->channels)
		return 0;
	if (a->channels > MOV_AUDIO_MAX_TRACKS)
		why = "more than 16 audio channels";
	else if (a->bits != 16 && a->bits != 24 && a->bits != 32)
		why = "audio samples must be 16, 24 or 32 bits";
	else if (a->rate < 8000 || a->rate > 192000)
		why = "audio rate outside 8000..192000 Hz";
	else if ((unsigned)a->tracks > MOV_AUDIO_MONO)
		why = "unknown audio track split";
	if (why && ret_why)
		*ret_why = why;
	return why ? -EINVAL : 0;
}
