/* vcap internals, shared by its parts (tools/vcap*.c): the command line and how the
 * recording session's events, progress and summary are shown. The recording itself is
 * capture/'s (cap_record_* in cap.h). */
#ifndef VCAP_VCAP_H
#define VCAP_VCAP_H

#include "cap.h"

#include <stdbool.h>

struct tool;

struct vc_conf {
	struct tool *tool; /* main's: every error line goes through it */
	struct cap_record_config rec;
	bool source_given;   /* else --device picks v4l2 */
	char pattern_tc[16]; /* --pattern timecode=, which rec.cap.pattern.timecode points to */
	bool json, quiet;
	bool progress; /* live line: on a terminal and not --quiet */
	int status_fd; /* --status-fd, or -1 */
	const char *audio_opt; /* the last --audio-* option given (needs --audio), or NULL */
};

/* The live line on stderr (final: the last one, ending the line). */
void vc_progress(const struct vc_conf *c, const struct cap_record_stats *st, bool final);
/* The summary on stderr, or --json on stdout, with the exit code the recording ends with. */
void vc_report(const struct vc_conf *c, const struct cap_record_stats *st, int exit_code);
/* What an exit code means, one phrase, for the summary and --json. */
const char *vc_exit_meaning(int code);

#endif
