/* Shared by the command-line tools: the one way they print errors, and parsing helpers.
 * Only tools/ print. */
#ifndef VCAP_TOOL_H
#define VCAP_TOOL_H

#include "cap.h"
#include "dio.h"

#include <stdbool.h>
#include <stddef.h>
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

/* The tool that prints: its name starts every line, and the last error line is kept for
 * tool_exit(). Each tool's main owns one; the tool's configuration points to it, so a copy of
 * the configuration reaches the same one. */
struct tool {
	const char *name;
	bool json;	  /* --json was given: tool_exit() prints a failure as JSON too */
	bool json_stderr; /* ... on stderr, as stdout carries frames (vplay -o -) */
	char err[1024];	  /* the last line tool_err() printed, without "name: " */
};

/* "name: what: strerror(err) (hint)" on stderr; err is a positive or negative errno, 0 for
 * none; hint may be NULL. */
void tool_err(struct tool *t, int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* What an exit status means, one phrase (the table of README.md). */
const char *tool_exit_meaning(int code);

/* Returns code. With --json, a failure (code not 0) that tool_err() said is also one JSON
 * object, {"error": the line without "name: ", "exit": code, "meaning": ...}, so a script
 * gets an object also when the tool stops before its own JSON summary: call it on those
 * exits only. */
int tool_exit(struct tool *t, int code);

/* "prog: note: ..." on stderr, for fallbacks and warnings that are announced once. */
void tool_note(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The disk engine's fallback, the same note in every tool: "prog: note: disk I/O: io_uring
 * without registered buffers, O_DIRECT (RLIMIT_MEMLOCK 64 KiB < 221.6 MiB; raise it with
 * ulimit -l N for registered buffers)". Nothing when it ran as asked: io_uring with
 * registered buffers. */
void tool_note_io(const char *prog, enum dio_mode mode, const char *why);

/* "name: invalid OPT 'VAL' (hint)" on stderr; returns -EINVAL for the option parser. */
int tool_bad_value(struct tool *t, const char *opt, const char *val, const char *hint);

struct option;

/* What getopt_long's '?' or ':' (opt) means, as one line: "name: unrecognized option
 * '--bogus' (see name --help)", or invalid option '-x', option '--md5' requires an argument,
 * takes no argument, is ambiguous. For getopt_long called with opterr = 0 and an optstring
 * that starts with ':' (so that it prints nothing and tells a missing argument by ':'), right
 * after it returned. Returns -EINVAL for the option parser. */
int tool_bad_option(struct tool *t, int opt, char *const argv[], const struct option *options);

/* The pixel formats, one "  NAME  description" line each with the given indent, into buf
 * (for --help). Returns buf. */
const char *tool_format_list(char *buf, unsigned len, unsigned indent);

/* ---- option values (parse.c): 0 or -EINVAL (the syntax), -ERANGE (out of range); the
 * ret_ values are written only on success; nothing is printed ---- */

/* Parse "1920x1080". */
int tool_parse_size(const char *s, unsigned *ret_w, unsigned *ret_h);
/* Parse "30000/1001", "25", "29.97" into a fraction. */
int tool_parse_rate(const char *s, unsigned *ret_num, unsigned *ret_den);
/* Parse a byte count with optional K/M/G/T (binary) suffix: "192K", "4G", "65536". */
int tool_parse_bytes(const char *s, uint64_t *ret);
/* Parse an unsigned integer in [min, max]. */
int tool_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Parse seconds, "12.5": finite and above 0. */
int tool_parse_seconds(const char *s, double *ret);
/* vcap --aspect W:H, each term 1 to 1000, digits only. */
int tool_parse_aspect(const char *s, unsigned *ret_num, unsigned *ret_den);
/* vcap --on-drop continue|stop|fail. */
int tool_parse_on_drop(const char *s, enum cap_on_drop *ret);
/* vcap --pattern timecode=TC,drop-every=N,...: the keys given set k->pattern (a timecode is
 * copied into tc, tc_len bytes, which k->pattern.timecode then points to: the caller's
 * storage). On -EINVAL bad (bad_len bytes) holds the text to name: the item without '=', or
 * all of s; items before the bad one may have been set. */
int tool_parse_pattern(const char *s, struct cap_config *k, char *tc, size_t tc_len, char *bad,
		       size_t bad_len);
/* vcap --audio-drift report|fail=PPM: *ret_ppm 0 for report. */
int tool_parse_drift(const char *s, unsigned *ret_ppm);
/* vplay --mode WIDTHxHEIGHT or WIDTHxHEIGHT@HZ (sizes 1 to 16384, HZ 1 to 1000, digits only):
 * only checked, the sink reads it again. */
int tool_parse_mode(const char *s);

/* CLOCK_MONOTONIC in seconds. */
double tool_now_s(void);

/* Block SIGINT, SIGTERM and SIGHUP and return a non-blocking signalfd that receives them, so the
 * tools' loops poll for a stop request instead of sharing state with a handler. */
int tool_signals_open(void);
/* The signal waiting on fd (SIGINT or SIGTERM), or 0 when none is. */
int tool_signal_taken(int fd);

/* The word for n things, one or many: "1 frame", "0 frames", "2 frames" in summaries. */
const char *tool_plural(uint64_t n, const char *one, const char *many);

/* Write s to f as a JSON string literal with quotes. */
void tool_json_str(void *file, const char *s);

#endif
