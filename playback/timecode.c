/* SMPTE timecode labels to frame counts, for starting playback at a timecode. */
#include "play.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool play_timecode_is_drop(const char *tc)
{
	return strchr(tc, ';') || strchr(tc, '.');
}

int play_timecode_frames(const char *tc, unsigned rate_num, unsigned rate_den, uint64_t *ret_frames)
{
	unsigned hh, mm, ss, ff, fps, drop = 0;
	uint64_t minutes, n;
	char s1, s2, s3;

	if (!rate_num || !rate_den || mov_timecode_check(tc, rate_num, rate_den, NULL) < 0)
		return -EINVAL;
	if (sscanf(tc, "%u%c%u%c%u%c%u", &hh, &s1, &mm, &s2, &ss, &s3, &ff) != 7)
		return -EINVAL;
	fps = (rate_num + rate_den / 2) / rate_den; /* labels count whole frames: 29.97 -> 30 */
	if (play_timecode_is_drop(tc))
		drop = fps / 15; /* 2 labels a minute at 30, 4 at 60 */
	minutes = 60ull * hh + mm;
	n = ((uint64_t)hh * 3600 + mm * 60 + ss) * fps + ff;
	/* drop-frame skips the first labels of every minute but each tenth */
	n -= drop * (minutes - minutes / 10);
	*ret_frames = n;
	return 0;
}
