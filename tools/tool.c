#include "tool.h"
#include "mov.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

void tool_err(struct tool *t, int err, const char *hint, const char *fmt, ...)
{
	size_t len = sizeof(t->err), n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, len, fmt, ap);
	va_end(ap);
	n = strlen(t->err);
	if (err)
		n += snprintf(t->err + n, len - n, ": %s", strerror(err < 0 ? -err : err));
	if (hint && *hint && n < len)
		snprintf(t->err + n, len - n, " (%s)", hint);
	fprintf(stderr, "%s: %s\n", t->name, t->err);
}

const char *tool_exit_meaning(int code)
{
	switch (code) {
	case EXIT_OK:
		return "done";
	case EXIT_FAILURE_RUN:
		return "failed while running";
	case EXIT_USAGE:
		return "bad command line or option value";
	case EXIT_SETUP:
		return "setup failed; nothing is left behind";
	case EXIT_DROPS:
		return "--on-drop fail: frames were dropped; --on-underrun fail: an underrun";
	case EXIT_NOSPACE:
		return "the disk filled up";
	case EXIT_INTERRUPTED:
		return "stopped by SIGINT or SIGTERM before the end";
	}
	return "";
}

int tool_exit(struct tool *t, int code)
{
	FILE *f = t->json_stderr ? stderr : stdout;

	if (!t->json || !code || !t->err[0])
		return code;
	fprintf(f, "{\"error\": ");
	tool_json_str(f, t->err);
	fprintf(f, ", \"exit\": %d, \"meaning\": ", code);
	tool_json_str(f, tool_exit_meaning(code));
	fprintf(f, "}\n");
	return code;
}

void tool_note(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: note: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tool_note_io(const char *prog, enum dio_mode mode, const char *why)
{
	if (mode == DIO_MODE_URING_FIXED && !why[0])
		return;
	if (why[0])
		tool_note(prog, "disk I/O: %s (%s)", dio_mode_name(mode), why);
	else
		tool_note(prog, "disk I/O: %s", dio_mode_name(mode));
}

double tool_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int tool_signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP); /* the terminal went away: stop as cleanly as for SIGTERM */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int tool_signal_taken(int fd)
{
	struct signalfd_siginfo si;

	return read(fd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : 0;
}

int tool_bad_value(struct tool *t, const char *opt, const char *val, const char *hint)
{
	tool_err(t, 0, hint, "invalid %s '%s'", opt, val);
	return -EINVAL;
}

/* The long option arg ("--name" or "--name=value") names, as getopt_long matches it: the exact
 * name, else a prefix of one, or of several that are the same option (--colour, --color).
 * NULL when none is; *ret_ambiguous when several different ones are. */
static const struct option *long_option(const char *arg, const struct option *options,
					bool *ret_ambiguous)
{
	size_t len = strcspn(arg + 2, "=");
	const struct option *o, *found = NULL;

	*ret_ambiguous = false;
	for (o = options; o->name; o++) {
		if (strncmp(o->name, arg + 2, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		if (found && (found->has_arg != o->has_arg || found->flag != o->flag ||
			      found->val != o->val))
			*ret_ambiguous = true;
		if (!found)
			found = o;
	}
	return *ret_ambiguous ? NULL : found;
}

int tool_bad_option(struct tool *t, int opt, char *const argv[], const struct option *options)
{
	/* getopt leaves optind past a long option, but not always past a short one ("-xq"):
	 * the short option is optopt, the long one is argv[optind - 1], when that names the
	 * option getopt complained about (optopt is its val, or 0 when it names none) */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const struct option *o = NULL;
	bool ambiguous = false;
	char hint[64];

	if (!strncmp(arg, "--", 2) && arg[2])
		o = long_option(arg, options, &ambiguous);
	if (o && (o->flag || o->val != optopt))
		o = NULL;
	snprintf(hint, sizeof(hint), "see %s --help", t->name);
	if (opt == ':' && o)
		tool_err(t, 0, hint, "option '--%s' requires an argument", o->name);
	else if (opt == ':')
		tool_err(t, 0, hint, "option '-%c' requires an argument", optopt);
	else if (o)
		tool_err(t, 0, hint, "option '--%s' takes no argument", o->name);
	else if (optopt)
		tool_err(t, 0, hint, "invalid option '-%c'", optopt);
	else if (ambiguous)
		tool_err(t, 0, hint, "option '%.*s' is ambiguous", (int)strcspn(arg, "="), arg);
	else
		tool_err(t, 0, hint, "unrecognized option '%s'", arg);
	return -EINVAL;
}

const char *tool_format_list(char *buf, unsigned len, unsigned indent)
{
	const struct mov_format *f;
	unsigned n = 0;

	buf[0] = 0;
	for (unsigned i = 0; (f = mov_format_at(i)) && n + indent + 100 < len; i++)
		n += snprintf(buf + n, len - n, "%*s%-7s %s\n", indent, "", mov_format_name(f),
			      mov_format_desc(f));
	return buf;
}

const char *tool_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void tool_json_str(void *file, const char *s)
{
	FILE *f = file;

	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
