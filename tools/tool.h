/* Shared by the command-line tools: the one way they print errors, and parsing helpers.
 * Only tools/ print. */
#ifndef VCAP_TOOL_H
#define VCAP_TOOL_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes shared by every tool (documented in each --help and in README.md). */
enum tool_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_RUN = 1, /* the job failed while running (I/O error, device error) */
	EXIT_USAGE = 2,       /* the command line alone is wrong: found before any file or
			       * device is touched */
	EXIT_SETUP = 3,       /* the command line is fine, but the device, a file or the
			       * system refuses it */
	EXIT_DROPS = 4,       /* finished, but frames were dropped and --on-drop fail was set
			       * (vplay: the output underran and --on-underrun fail was set) */
	EXIT_NOSPACE = 5,     /* the disk filled up; everything before it is kept */
	EXIT_INTERRUPTED = 130, /* stopped by a second SIGINT before finishing cleanly */
};

/* "prog: what: strerror(err) (hint)" on stderr; err is a positive or negative errno, 0 for
 * none; hint may be NULL. */
void tool_err(const char *prog, int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "prog: note: ..." on stderr, for fallbacks and warnings that are announced once. */
void tool_note(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "prog: invalid OPT 'VAL' (hint)" on stderr; returns -EINVAL for the option parser. */
int tool_bad_value(const char *prog, const char *opt, const char *val, const char *hint);

/* The pixel formats, one "  NAME  description" line each with the given indent, into buf
 * (for --help). Returns buf. */
const char *tool_format_list(char *buf, unsigned len, unsigned indent);

/* Parse "1920x1080". */
int tool_parse_size(const char *s, unsigned *ret_w, unsigned *ret_h);
/* Parse "30000/1001", "25", "29.97" into a fraction. */
int tool_parse_rate(const char *s, unsigned *ret_num, unsigned *ret_den);
/* Parse a byte count with optional K/M/G/T (binary) suffix: "192K", "4G", "65536". */
int tool_parse_bytes(const char *s, uint64_t *ret);
/* Parse an unsigned integer in [min, max]. */
int tool_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Parse seconds, "12.5". */
int tool_parse_seconds(const char *s, double *ret);

/* CLOCK_MONOTONIC in seconds. */
double tool_now_s(void);

/* Block SIGINT and SIGTERM and return a non-blocking signalfd that receives them, so the
 * tools' loops poll for a stop request instead of sharing state with a handler. */
int tool_signals_open(void);
/* The signal waiting on fd (SIGINT or SIGTERM), or 0 when none is. */
int tool_signal_taken(int fd);

/* Format a byte count for humans: "192 KiB", "3.9 GiB". Returns buf. */
const char *tool_human_bytes(uint64_t n, char *buf, unsigned len);

/* Write s to f as a JSON string literal with quotes. */
void tool_json_str(void *file, const char *s);

#endif
