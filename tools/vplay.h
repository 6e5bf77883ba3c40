/* vplay internals, shared by its parts (tools/vplay*.c). */
#ifndef VCAP_VPLAY_H
#define VCAP_VPLAY_H

#include "mov.h"
#include "play.h"

#include <stdbool.h>
#include <stdint.h>

enum vp_on_underrun { VP_UNDERRUN_CONTINUE, VP_UNDERRUN_FAIL };

struct tool;

struct vp_conf {
	struct tool *tool; /* main's: every error line goes through it */
	struct play_session_config s;
	enum vp_on_underrun on_underrun;
	bool json, quiet;
	bool progress; /* live line: stderr is a terminal and not --quiet */
};

void vp_progress(const struct vp_conf *c, const struct play_session_stats *st, bool final);
void vp_report(const struct vp_conf *c, const struct play_session_stats *st);

#endif
