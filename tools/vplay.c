/* vplay: play uncompressed MOV files to a device, a file, a pipe or nowhere, reading frames
 * ahead with O_DIRECT. */
#include "tool.h"
#include "vplay.h"

#include <errno.h>
#include <alsa/asoundlib.h>
#include <getopt.h>
#include <libavutil/log.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
"Usage: vplay [OPTION]... FILE.mov [-o OUTPUT]\n"
"Play the video of an uncompressed QuickTime (MOV) file, from vcap or any other tool, to a\n"
"video output device, the screen, a file, a pipe, or nowhere. Frames are read ahead of the\n"
"output with O_DIRECT, V frames per read when they sit on aligned offsets (files from vcap),\n"
"one aligned superset per frame otherwise (files from ffmpeg); no frame is copied on the way\n"
"to a file, a pipe or the null output.\n"
"\n"
"Output (-o, default null):\n"
"  -o, --output OUT   null          consume frames (benchmarks, checks with --md5)\n"
"                     /dev/videoN   a V4L2 output device (paced by the device)\n"
"                     kms[:CONN]    the screen through DRM/KMS, on connector CONN (e.g.\n"
"                                   kms:HDMI-A-1, or kms:/dev/dri/card1:HDMI-A-1; default\n"
"                                   the first connected one), paced by vblank\n"
"                     -             raw frames back to back on stdout, to pipe into ffmpeg:\n"
"                                   vplay a.mov -o - | ffmpeg -f rawvideo -pix_fmt uyvy422\n"
"                                   -s 1920x1080 -r 30000/1001 -i - ...\n"
"                     FILE          raw frames back to back into FILE (never replaced\n"
"                                   unless --force; never written through a symbolic\n"
"                                   link)\n"
"                     Raw frames have their rows as the format packs them, also from\n"
"                     files that store them padded (vmov info shows the stored rows)\n"
"                     This build's outputs:\n"
"%s"
"  -d, --device PATH  the same as -o PATH for a V4L2 output device, as v4l2-ctl takes -d;\n"
"                     any path (a udev link such as /dev/v4l/by-path/...) is a device here,\n"
"                     never a file to create\n"
"  --connector CONN   the same as -o kms:CONN\n"
"  --mode WxH[@HZ]    kms: the display mode to set; it must be the file's frame size (no\n"
"                     scaling); default the connector's mode of that size, preferred first\n"
"\n"
"What to play:\n"
"  --start FRAME|TC   begin at frame FRAME (0 is the first) or at timecode HH:MM:SS:FF\n"
"                     (HH:MM:SS;FF drop-frame): the first frame the file's timecode track\n"
"                     labels so (a label no frame carries is refused)\n"
"  -n, --frames N     play N frames from the start point (fewer if the file ends first)\n"
"  --loop N           play the range N times (default 1); 0 repeats it until SIGINT/SIGTERM\n"
"\n"
"Sound (the file's PCM tracks: 16, 24 or 32-bit, one track or several, whose channels are\n"
"played together in track order; from the sample under the first frame, looped with the\n"
"frames; -o - stays pictures only):\n"
"  --audio-out DEV    play the sound to the ALSA playback device DEV (default, hw:CARD=X,\n"
"                     DEV=N, plughw:..., null; aplay -L lists them), started with the first\n"
"                     frame. With the null, file and kms outputs the pictures follow the\n"
"                     device's clock; a V4L2 output keeps its own, and the drift between the\n"
"                     two is measured (ppm, in the summary and --json). ALSA's null device\n"
"                     has no clock: then the pictures keep theirs\n"
"  --audio-file FILE  write the sound played into FILE as WAV (16-bit stereo or mono:\n"
"                     WAVE_FORMAT_PCM; otherwise WAVE_FORMAT_EXTENSIBLE with a channel mask,\n"
"                     as ffmpeg writes it); never replaced unless --force, never written\n"
"                     through a symbolic link\n"
"  --audio-sync measure|correct  measure (default): report the drift between a V4L2\n"
"                     output and the sound device; correct: also keep them together by\n"
"                     dropping or repeating whole samples sent to the device (never\n"
"                     resampled; --audio-file keeps every sample)\n"
"  --audio-buffer MS  how far ahead sound is written to the device (default 200)\n"
"\n"
"Timing:\n"
"  --rate realtime|max  realtime: one frame per frame period of the file; a device output is\n"
"                     paced by the device (DQBUF, vblank), null and files by the clock.\n"
"                     max: as fast as the disk and the output go. Default realtime, except\n"
"                     for files and stdout (max)\n"
"  --preroll N        frames queued at the output before it starts (default 3). A paced\n"
"                     output starts once every buffer holds a frame read (--latency)\n"
"  --on-underrun P    continue (default) or fail: exit 4 at the end when the output ran out\n"
"                     of frames at least once\n"
"\n"
"Reading:\n"
"  --latency MS       how far ahead to read, as time at the file's rate (default 500): the\n"
"                     longest disk stall playback rides out\n"
"  --buffers N        frames held in memory (read ahead plus at the output); overrides\n"
"                     --latency. Default max(latency x rate + preroll, batch x (depth + 1)),\n"
"                     rounded up to whole batches\n"
"  --batch V          frames per read at most (default 8)\n"
"  --depth Q          reads in flight (default 4)\n"
"\n"
"Checks and reports:\n"
"  --md5 FILE         write a framemd5 of the frames as they go out. Playing a whole file\n"
"                     once gives a file identical to 'ffmpeg -i FILE.mov -c copy -f\n"
"                     framemd5 -'; with --start, -n or --loop each line is ffmpeg's line for\n"
"                     that frame, in play order. A frame is listed once the output is done\n"
"                     with it: frames still queued when a signal stops playback are not\n"
"  --zero-copy        fail (exit 3) instead of copying frames into device buffers\n"
"  --force            replace an existing output file, md5 file or audio file. A symbolic\n"
"                     link there is replaced, never followed: the new file takes the link's\n"
"                     place and what it names is left alone\n"
"  --json             print a JSON summary on stdout at the end (on stderr with -o -):\n"
"                     frames, loops, underruns, late, copies, read mode, MB/s, output mode;\n"
"                     \"audio\" (null without sound): samples played, device underruns, the\n"
"                     clock followed or the drift in ppm, samples dropped and repeated.\n"
"                     A failure before that is one object too: {\"error\": the error line,\n"
"                     \"exit\", \"meaning\"}\n"
"  -q, --quiet        no progress line and no summary (errors and warnings are still printed)\n"
"  -h, --help         this text\n"
"\n"
"On a terminal, a progress line shows the frame, the loop, read MB/s, frames buffered (read\n"
"and not yet shown), late frames and underruns. Underruns are times the output had no new\n"
"frame to show (it showed one again); late frames are frames that went out after their\n"
"time. SIGINT or SIGTERM stops playback at once. At the end two lines on stderr sum up what\n"
"went out (frames, time, underruns, late frames, why it stopped) and how (read mode and\n"
"MB/s, output mode, frames copied).\n"
"\n"
"Examples:\n"
"  vplay a.mov -o null --rate max --md5 play.md5     # read and checksum every frame\n"
"  vplay a.mov -o - | ffmpeg -f rawvideo -pix_fmt uyvy422 -s 1920x1080 -r 30000/1001 \\\n"
"      -i - -f framemd5 pipe.md5\n"
"  vplay a.mov -o kms --loop 0                       # on the screen until Ctrl-C\n"
"  vplay av.mov -o kms --audio-out default          # with sound, the pictures on its clock\n"
"\n"
"Exit status:\n"
"  0    played everything asked (with --loop 0: until SIGINT/SIGTERM)\n"
"  1    failed while playing (read error, output error, a reader that closed the pipe\n"
"       by itself: after SIGINT/SIGTERM a closed pipe is the signal's stop)\n"
"  2    the command line alone is wrong (an unknown option, a value that does not parse or\n"
"       is out of range), or --start/-n outside the file\n"
"  3    the command line is fine but this machine refuses it: FILE missing, not a MOV, its\n"
"       index damaged or pointing past the end of a truncated file, a format vplay cannot\n"
"       play, an output the device cannot take, no such device, the output file, md5\n"
"       sidecar or audio file exists (a symbolic link too) without --force, is a\n"
"       directory, or is the file being played (or another output) even with --force;\n"
"       --audio-out or --audio-file for a file without sound, no such sound device, a\n"
"       sound it cannot take; nothing is created or replaced then\n"
"  4    --on-underrun fail, and the output ran out of frames\n"
"  130  stopped by SIGINT or SIGTERM before the end\n";

enum {
	OPT_START = 256,
	OPT_LOOP,
	OPT_RATE,
	OPT_PREROLL,
	OPT_ON_UNDERRUN,
	OPT_LATENCY,
	OPT_BUFFERS,
	OPT_BATCH,
	OPT_DEPTH,
	OPT_MD5,
	OPT_ZERO_COPY,
	OPT_FORCE,
	OPT_JSON,
	OPT_CONNECTOR,
	OPT_MODE,
	OPT_AUDIO_OUT,
	OPT_AUDIO_FILE,
	OPT_AUDIO_SYNC,
	OPT_AUDIO_BUFFER,
};

static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "device", required_argument, NULL, 'd' },
	{ "start", required_argument, NULL, OPT_START },
	{ "frames", required_argument, NULL, 'n' },
	{ "loop", required_argument, NULL, OPT_LOOP },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "preroll", required_argument, NULL, OPT_PREROLL },
	{ "on-underrun", required_argument, NULL, OPT_ON_UNDERRUN },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "buffers", required_argument, NULL, OPT_BUFFERS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "md5", required_argument, NULL, OPT_MD5 },
	{ "zero-copy", no_argument, NULL, OPT_ZERO_COPY },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "connector", required_argument, NULL, OPT_CONNECTOR },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "audio-out", required_argument, NULL, OPT_AUDIO_OUT },
	{ "audio-file", required_argument, NULL, OPT_AUDIO_FILE },
	{ "audio-sync", required_argument, NULL, OPT_AUDIO_SYNC },
	{ "audio-buffer", required_argument, NULL, OPT_AUDIO_BUFFER },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_usage(void)
{
	const struct play_sink_ops *s;
	char list[1024] = "";
	size_t n = 0;

	for (unsigned i = 0; (s = play_sink_at(i)) && n < sizeof(list) - 120; i++)
		n += snprintf(list + n, sizeof(list) - n, "                       %-6s %s\n",
			      s->name, s->desc);
	printf(usage, list);
}

static int bad(const struct vp_conf *c, const char *opt, const char *val, const char *hint)
{
	return tool_bad_value(c->tool, opt, val, hint);
}

/* -o: a sink name and what it opens. */
static void parse_output(struct vp_conf *c, const char *arg)
{
	c->s.output = arg;
	c->s.target = arg;
	if (!strcmp(arg, "null")) {
		c->s.sink = "null";
	} else if (!strcmp(arg, "kms") || !strncmp(arg, "kms:", 4)) {
		c->s.sink = "kms";
		c->s.target = arg[3] ? arg + 4 : NULL;
	} else if (!strncmp(arg, "/dev/video", 10)) {
		c->s.sink = "v4l2";
	} else {
		c->s.sink = "file"; /* "-" is stdout */
	}
}

static int parse_opt(struct vp_conf *c, int opt, const char *arg)
{
	unsigned n;

	switch (opt) {
	case 'o':
		return parse_output(c, arg), 0;
	case 'd': /* a device whatever its path: -o takes only /dev/video* for one */
		parse_output(c, arg);
		c->s.sink = "v4l2";
		return 0;
	case OPT_START:
		return c->s.start = arg, 0;
	case 'n':
		if (tool_parse_uint(arg, 1, 4000000000u, &n))
			return bad(c, "--frames", arg, "a positive number of frames");
		return c->s.frames = n, 0;
	case OPT_LOOP:
		if (tool_parse_uint(arg, 0, 4000000000u, &n))
			return bad(c, "--loop", arg, "a number of passes, 0 for until stopped");
		return c->s.loops = n, 0;
	case OPT_RATE:
		if (strcmp(arg, "realtime") && strcmp(arg, "max"))
			return bad(c, "--rate", arg, "realtime or max");
		return c->s.paced = !strcmp(arg, "realtime"), 0;
	case OPT_PREROLL:
		return tool_parse_uint(arg, 0, 1024, &c->s.preroll)
			   ? bad(c, "--preroll", arg, "0 to 1024 frames")
			   : 0;
	case OPT_ON_UNDERRUN:
		if (strcmp(arg, "continue") && strcmp(arg, "fail"))
			return bad(c, "--on-underrun", arg, "continue or fail");
		return c->on_underrun =
			   strcmp(arg, "fail") ? VP_UNDERRUN_CONTINUE : VP_UNDERRUN_FAIL,
		       0;
	case OPT_LATENCY:
		return tool_parse_uint(arg, 1, 600000, &c->s.latency_ms)
			   ? bad(c, "--latency", arg, "milliseconds, e.g. 500")
			   : 0;
	case OPT_BUFFERS:
		return tool_parse_uint(arg, 2, 65536, &c->s.buffers)
			   ? bad(c, "--buffers", arg, "2 to 65536 frames")
			   : 0;
	case OPT_BATCH:
		return tool_parse_uint(arg, 1, 256, &c->s.batch)
			   ? bad(c, "--batch", arg, "1 to 256 frames")
			   : 0;
	case OPT_DEPTH:
		return tool_parse_uint(arg, 1, 64, &c->s.depth) ? bad(c, "--depth", arg, "1 to 64")
							      : 0;
	case OPT_MD5:
		return c->s.md5_path = arg, 0;
	case OPT_ZERO_COPY:
		return c->s.zero_copy = true, 0;
	case OPT_FORCE:
		return c->s.force = true, 0;
	case OPT_JSON:
		return c->json = true, 0;
	case OPT_CONNECTOR: /* the same as -o kms:NAME */
		parse_output(c, "kms");
		c->s.target = arg;
		return 0;
	case OPT_MODE:
		if (tool_parse_mode(arg))
			return bad(c, "--mode", arg, "WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. 720x576@50");
		return c->s.mode = arg, 0;
	case OPT_AUDIO_OUT:
		return c->s.audio_out = arg, 0;
	case OPT_AUDIO_FILE:
		return c->s.audio_file = arg, 0;
	case OPT_AUDIO_SYNC:
		if (strcmp(arg, "measure") && strcmp(arg, "correct"))
			return bad(c, "--audio-sync", arg, "measure or correct");
		return c->s.audio_sync = strcmp(arg, "correct") ? PLAY_AUDIO_SYNC_MEASURE
							       : PLAY_AUDIO_SYNC_CORRECT,
		       0;
	case OPT_AUDIO_BUFFER:
		return tool_parse_uint(arg, 20, 10000, &c->s.audio_buffer_ms)
			   ? bad(c, "--audio-buffer", arg, "20 to 10000 milliseconds")
			   : 0;
	case 'q':
		return c->quiet = true, 0;
	}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct vp_conf *c)
{
	int opt;

	opterr = 0; /* tool_bad_option says it, in one line */
	while ((opt = getopt_long(argc, argv, ":o:d:n:qh", options, NULL)) != -1) {
		if (opt == 'h') {
			print_usage();
			exit(EXIT_OK);
		}
		if (opt == '?' || opt == ':')
			return tool_bad_option(c->tool, opt, argv, options);
		if (parse_opt(c, opt, optarg) < 0)
			return -EINVAL;
	}
	if (optind == argc) {
		tool_err(c->tool, 0, "e.g. vplay a.mov -o null", "no input file");
		return -EINVAL;
	}
	if (optind + 1 < argc) {
		tool_err(c->tool, 0, "one input file; the output goes after -o",
			 "unexpected argument '%s'", argv[optind + 1]);
		return -EINVAL;
	}
	c->s.in = argv[optind];
	return 0;
}

static int exit_code(const struct vp_conf *c, const struct play_session_stats *st)
{
	if (st->err)
		return EXIT_FAILURE_RUN;
	if (st->stop_reason && strcmp(st->stop_reason, "end") && c->s.loops)
		return EXIT_INTERRUPTED; /* a signal before the end of what was asked */
	if (st->underruns && c->on_underrun == VP_UNDERRUN_FAIL)
		return EXIT_DROPS;
	return EXIT_OK;
}

/* The session's notes and errors, in vplay's words ("vplay: ..."); underruns are counted in
 * the progress line and the summary. */
static void say(void *user, const struct play_event *ev)
{
	struct tool *t = user;

	if (ev->kind == PLAY_EVENT_ERROR)
		tool_err(t, ev->err, ev->hint, "%s", ev->text);
	else if (ev->kind == PLAY_EVENT_NOTE)
		tool_note(t->name, "%s", ev->text);
}

/* Step to the end: SIGINT or SIGTERM stops it, and on a terminal a progress line is redrawn
 * every 0.5 s. */
static void play(const struct vp_conf *c, struct play_session *s, int sigfd)
{
	double shown = 0;
	int ret, sig;

	do {
		ret = play_session_step(s);
		if ((sig = tool_signal_taken(sigfd)))
			play_session_stop(s, sig == SIGINT ? "SIGINT" : "SIGTERM");
		if (ret > 0 && c->progress && tool_now_s() - shown >= 0.5) {
			shown = tool_now_s();
			vp_progress(c, play_session_stats(s), false);
		}
	} while (ret > 0);
	if (c->progress)
		vp_progress(c, play_session_stats(s), true);
}

/* alsa-lib prints its own errors to stderr: vplay says each failure once, in its words. */
static void alsa_quiet(const char *file, int line, const char *function, int err,
		       const char *fmt, ...)
{
	(void)file, (void)line, (void)function, (void)err, (void)fmt;
}

/* Open, play, report: the exit status. */
static int run(struct vp_conf *c)
{
	struct play_session *s = NULL;
	int sigfd, ret;

	/* a closed pipe is an error to report (or, after SIGINT/SIGTERM, the stop), not a
	 * silent death */
	signal(SIGPIPE, SIG_IGN);
	sigfd = tool_signals_open();
	if (sigfd < 0) {
		tool_err(c->tool, sigfd, NULL, "blocking SIGINT/SIGTERM");
		return tool_exit(c->tool, EXIT_SETUP);
	}
	ret = play_session_open(&c->s, say, c->tool, &s);
	if (ret < 0) { /* -EDOM: --start/-n do not fit the file */
		ret = tool_exit(c->tool, ret == -EDOM ? EXIT_USAGE : EXIT_SETUP);
	} else {
		play(c, s, sigfd);
		vp_report(c, play_session_stats(s));
		ret = exit_code(c, play_session_stats(s));
	}
	play_session_close(s);
	close(sigfd);
	return ret;
}

int main(int argc, char **argv)
{
	struct tool t = { .name = "vplay" };
	struct vp_conf c = {
		.tool = &t,
		.s = { .loops = 1, .paced = -1, .preroll = 3, .batch = 8, .depth = 4,
		       .latency_ms = 500 },
	};
	int ret;

	av_log_set_level(AV_LOG_QUIET); /* errors are reported once, in vplay's own words */
	snd_lib_error_set_handler(alsa_quiet);
	parse_output(&c, "null");
	/* getopt_long permutes: "vplay a.mov -o null" and "vplay -o null a.mov" both work */
	ret = parse_args(argc, argv, &c);
	t.json = c.json;
	/* stdout carries the frames: the JSON goes to stderr */
	t.json_stderr = !strcmp(c.s.sink, "file") && !strcmp(c.s.target, "-");
	if (ret < 0)
		return tool_exit(&t, EXIT_USAGE);
	c.progress = !c.quiet && isatty(2);
	return run(&c);
}
