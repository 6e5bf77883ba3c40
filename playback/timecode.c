/* SMPTE timecode labels: which style a --start label is written in. */
#include "play.h"

#include <string.h>

bool play_timecode_is_drop(const char *tc)
{
	return strchr(tc, ';') || strchr(tc, '.');
}
