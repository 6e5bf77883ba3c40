/* vbench: can this disk record (and play back) this video format? It writes synthetic frames
 * with the very engine vcap records with, reads them back, and says how many times real time
 * the disk sustains.
 */
#include "dio.h"
#include "mov.h"
#include "tool.h"
#include "vbench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
"Usage: vbench [OPTION]... PATH\n"
"Measure whether the disk holding PATH can record and play back uncompressed video in real\n"
"time. vbench writes synthetic frames to PATH with the same engine vcap records with (pinned,\n"
"page-aligned buffers; batches of frames in one O_DIRECT write through io_uring, each batch\n"
"at a stripe-aligned offset of a preallocated file), reads them back and checks them, and\n"
"reports throughput, CPU cost, worst write latency and the real-time headroom. PATH is a file\n"
"to create (it must not exist unless --force), or a directory to create a temporary file in\n"
"(vbench.XXXXXX, named in the report); the file is removed afterwards, also after SIGINT or\n"
"SIGTERM, unless --keep.\n"
"\n"
"Format (what one frame is):\n"
"  --size WxH         frame size (default 1920x1080)\n"
"  --format FOURCC    pixel format (default UYVY); one of:\n"
"%s"
"  --rate N/D         frame rate: 30000/1001, 25, 29.97, 50 (default 30000/1001)\n"
"  --field MODE       progressive, interlaced-tb, interlaced-bt, seq-tb, seq-bt or alternate\n"
"                     (default interlaced-tb); alternate writes fields of half height at\n"
"                     twice the rate, as V4L2 delivers them\n"
"\n"
"Engine:\n"
"  --batch V          frames per write (default 8)\n"
"  --depth Q          writes in flight (default 4)\n"
"  --align auto|BYTES alignment unit (default auto: the RAID stripe found from md, XFS or\n"
"                     ext4 geometry, else the direct-I/O block); BYTES with K/M suffix\n"
"  --no-uring         use synchronous pwritev/preadv instead of io_uring\n"
"  --no-direct        use the page cache instead of O_DIRECT\n"
"\n"
"Amount:\n"
"  --seconds S        write for S seconds (default 10)\n"
"  --bytes N          write N bytes (K/M/G suffixes), rounded up to whole batches\n"
"  --write-only       skip the read-back\n"
"  --read-only        only read PATH, an existing file written by an earlier --keep run (for\n"
"                     a directory, the file its report named)\n"
"\n"
"Output:\n"
"  --keep             keep the file afterwards\n"
"  --force            replace PATH if it exists (a symbolic link is replaced itself, never\n"
"                     followed: what it names is left alone)\n"
"  --json             print one JSON object with every figure on stdout; a failure before\n"
"                     the figures is one object too: {\"error\": the error line, \"exit\",\n"
"                     \"meaning\"}\n"
"  -h, --help         this text\n"
"\n"
"The report gives: the alignment unit and why it was chosen; write and read MB/s (10^6\n"
"bytes/s); CPU-seconds (user+system, io_uring workers included) per GB; the worst batch\n"
"latency; how many batches start at a unit-aligned file offset and, from FIEMAP, how many\n"
"also start stripe-aligned on the device; and the headroom, e.g. \"records 6.3 x 1920x1080\n"
"UYVY 29.97i\" and \"plays 7.1 x\" the same. When the I/O is not io_uring with registered\n"
"buffers (e.g. RLIMIT_MEMLOCK below the buffers' size), a note on stderr says which mode it\n"
"was and why, once.\n"
"\n"
"Exit status:\n"
"  0  measured;\n"
"  1  an I/O error during the run;\n"
"  2  the command line alone is wrong (a value that does not parse, a size the format\n"
"     table refuses), found before PATH is touched;\n"
"  3  the command line is fine but PATH or its filesystem cannot be used (exists, no such\n"
"     directory, ...);\n"
"  5  the disk filled up (what was measured until then is still reported);\n"
"  130  interrupted by SIGINT/SIGTERM (partial figures are reported).\n";

enum {
	OPT_SIZE = 256,
	OPT_FORMAT,
	OPT_RATE,
	OPT_FIELD,
	OPT_BATCH,
	OPT_DEPTH,
	OPT_ALIGN,
	OPT_NO_URING,
	OPT_NO_DIRECT,
	OPT_SECONDS,
	OPT_BYTES,
	OPT_WRITE_ONLY,
	OPT_READ_ONLY,
	OPT_KEEP,
	OPT_FORCE,
	OPT_JSON,
};

static const struct option options[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "no-uring", no_argument, NULL, OPT_NO_URING },
	{ "no-direct", no_argument, NULL, OPT_NO_DIRECT },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ "write-only", no_argument, NULL, OPT_WRITE_ONLY },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_usage(FILE *f)
{
	char list[2048];

	fprintf(f, usage, tool_format_list(list, sizeof(list), 23));
}

static int bad(const struct vb_conf *c, const char *opt, const char *val, const char *hint)
{
	return tool_bad_value(c->tool, opt, val, hint);
}

static int parse_opt(struct vb_conf *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_SIZE:
		return tool_parse_size(arg, &c->w, &c->h) ? bad(c, "--size", arg, "use WxH, e.g. 1920x1080") : 0;
	case OPT_FORMAT:
		c->fmt = mov_format_find(arg);
		return c->fmt ? 0 : bad(c, "--format", arg, "see --help for the list, e.g. UYVY");
	case OPT_RATE:
		return tool_parse_rate(arg, &c->rate_num, &c->rate_den) ? bad(c, "--rate", arg, "use N/D, e.g. 30000/1001") : 0;
	case OPT_FIELD:
		return cap_field_parse(arg, &c->field) ? bad(c, "--field", arg, "progressive, interlaced-tb, interlaced-bt, seq-tb, seq-bt or alternate") : 0;
	case OPT_BATCH:
		return tool_parse_uint(arg, 1, 512, &c->bench.batch) ? bad(c, "--batch", arg, "1 to 512 frames") : 0;
	case OPT_DEPTH:
		return tool_parse_uint(arg, 1, 64, &c->bench.depth) ? bad(c, "--depth", arg, "1 to 64")
							      : 0;
	case OPT_ALIGN:
		if (!strcmp(arg, "auto"))
			return c->bench.align = 0;
		if (tool_parse_bytes(arg, &c->bench.align) || !c->bench.align || c->bench.align % 4096)
			return bad(c, "--align", arg, "auto, or a multiple of 4096 such as 196608 or 192K");
		return 0;
	case OPT_SECONDS:
		c->bench.bytes = 0;
		return tool_parse_seconds(arg, &c->bench.seconds) ? bad(c, "--seconds", arg, "a positive number") : 0;
	case OPT_BYTES:
		c->bench.seconds = 0;
		return tool_parse_bytes(arg, &c->bench.bytes) || !c->bench.bytes ? bad(c, "--bytes", arg, "e.g. 2G or 512M") : 0;
	case OPT_NO_URING:
		return c->bench.no_uring = true, 0;
	case OPT_NO_DIRECT:
		return c->bench.no_direct = true, 0;
	case OPT_WRITE_ONLY:
		return c->bench.write_only = true, 0;
	case OPT_READ_ONLY:
		return c->bench.read_only = true, 0;
	case OPT_KEEP:
		return c->bench.keep = true, 0;
	case OPT_FORCE:
		return c->bench.force = true, 0;
	case OPT_JSON:
		return c->json = true, 0;
	}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct vb_conf *c)
{
	int opt;

	opterr = 0; /* tool_bad_option says it, in one line */
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'h') {
			print_usage(stdout);
			exit(EXIT_OK);
		}
		if (opt == '?' || opt == ':')
			return tool_bad_option(c->tool, opt, argv, options);
		if (parse_opt(c, opt, optarg) < 0)
			return -EINVAL;
	}
	if (optind != argc - 1) {
		tool_err(c->tool, 0,
			 "give exactly one PATH, a file to create or a directory, e.g. /mnt/raid",
			 "%s", optind < argc ? "too many arguments" : "missing PATH");
		return -EINVAL;
	}
	if (c->bench.write_only && c->bench.read_only) {
		tool_err(c->tool, 0, "choose one", "--write-only and --read-only exclude each other");
		return -EINVAL;
	}
	c->bench.path = argv[optind];
	return 0;
}

/* What the engine's callbacks share: the tool that prints, the signalfd that stops the run,
 * whether stderr shows a live line. */
struct vb_run {
	struct tool *tool;
	int sigfd;
	bool tty;
};

static bool should_stop(void *user)
{
	const struct vb_run *run = user;

	return tool_signal_taken(run->sigfd) != 0;
}

static void event(const struct dio_bench_event *ev, void *user)
{
	const struct vb_run *run = user;

	switch (ev->kind) {
	case DIO_BENCH_PROGRESS:
		if (run->tty)
			fprintf(stderr, "\r%s: %s   ", run->tool->name, ev->text);
		break;
	case DIO_BENCH_PROGRESS_END:
		if (run->tty)
			fprintf(stderr, "\r\033[K");
		break;
	case DIO_BENCH_ERROR:
		tool_err(run->tool, ev->err, ev->hint, "%s", ev->text);
		break;
	}
}

static int exit_code(const struct dio_bench_result *r)
{
	int err = r->write.err ? r->write.err : r->read.err;

	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (err == -ENOSPC)
		return EXIT_NOSPACE;
	if (err || r->read.bad_frames)
		return EXIT_FAILURE_RUN;
	return EXIT_OK;
}

static int run(struct vb_conf *c)
{
	struct vb_run run = { .tool = c->tool, .tty = isatty(2) };
	struct dio_bench_result r;
	int ret;

	/* SIGINT and SIGTERM blocked before the engine makes a file: a signal then ends in its
	 * cleanup, which removes the file */
	run.sigfd = tool_signals_open();
	if (run.sigfd < 0) {
		tool_err(c->tool, run.sigfd, NULL, "setting up %s", c->bench.path);
		return tool_exit(c->tool, EXIT_SETUP);
	}
	c->bench.should_stop = should_stop;
	ret = dio_bench_run(&c->bench, event, &run, &r);
	close(run.sigfd);
	if (ret < 0)
		return tool_exit(c->tool, ret == -ENOMEM ? EXIT_FAILURE_RUN : EXIT_SETUP);
	vb_report_io(&r);
	if (c->json)
		vb_report_json(c, &r);
	else
		vb_report_text(c, &r);
	return exit_code(&r);
}

int main(int argc, char **argv)
{
	struct tool t = { .name = "vbench" };
	struct vb_conf c = {
		.tool = &t,
		.w = 1920, .h = 1080, .rate_num = 30000, .rate_den = 1001,
		.field = CAP_FIELD_INTERLACED_TB,
		.bench = { .batch = 8, .depth = 4, .seconds = 10, .temp_prefix = "vbench" },
	};
	const char *why;
	int ret;

	c.fmt = mov_format_find("UYVY");
	ret = parse_args(argc, argv, &c);
	t.json = c.json;
	if (ret < 0)
		return tool_exit(&t, EXIT_USAGE);
	if (mov_format_check(c.fmt, c.w, c.h, &why) < 0) {
		tool_err(c.tool, 0, "pick another size or format", "%s at %ux%u: %s",
			 mov_format_name(c.fmt), c.w, c.h, why);
		return tool_exit(&t, EXIT_USAGE);
	}
	/* ALTERNATE delivers each field in its own buffer: half the lines, twice the rate */
	c.bench.frame_bytes = mov_format_frame_size(c.fmt, c.w,
						    c.field == CAP_FIELD_ALTERNATE ? c.h / 2 : c.h);
	c.need_mbps = mov_format_frame_size(c.fmt, c.w, c.h) * (double)c.rate_num / c.rate_den / 1e6;
	return run(&c);
}
