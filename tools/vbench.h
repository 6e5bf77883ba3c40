/* vbench internals, shared by its parts (tools/vbench*.c). The measuring is diskio's
 * dio_bench_run(); vbench parses the options, says what it reports and prints it. */
#ifndef VCAP_VBENCH_H
#define VCAP_VBENCH_H

#include "cap.h"
#include "dio.h"

#include <stdbool.h>

struct tool;

struct vb_conf {
	struct tool *tool; /* main's: every error line goes through it */
	struct dio_bench_config bench; /* path, engine, amount; frame_bytes from the format */
	const struct mov_format *fmt;
	unsigned w, h, rate_num, rate_den;
	enum cap_field field;
	double need_mbps; /* what the format needs in real time, 10^6 bytes/s */
	bool json;
};

/* The I/O mode, when not io_uring with registered buffers: a note on stderr, once. */
void vb_report_io(const struct dio_bench_result *r);
void vb_report_text(const struct vb_conf *c, const struct dio_bench_result *r);
void vb_report_json(const struct vb_conf *c, const struct dio_bench_result *r);

#endif
