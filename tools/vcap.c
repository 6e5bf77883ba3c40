/* vcap: record uncompressed video to MOV with stripe-aligned O_DIRECT writes. */
#include "tool.h"
#include "vcap.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <libavutil/log.h>
#include <linux/videodev2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
"Usage: vcap [OPTION]... -o FILE.mov\n"
"Record uncompressed video to a QuickTime (MOV) file that ffmpeg, ffprobe and QuickTime-family\n"
"tools read. Frames land in pinned, page-aligned memory and go to disk in batches, each one\n"
"O_DIRECT write at an offset aligned to the RAID stripe; libavformat writes only the index.\n"
"A per-frame capture log FILE.mov.vcj is written alongside; if the capture dies,\n"
"'vmov recover FILE.mov' rebuilds the index from it.\n"
"\n"
"Source:\n"
"  --source NAME      where frames come from (default pattern; v4l2 when --device is given):\n"
"%s"
"  --size WxH|auto    frame size (pattern default 1920x1080; v4l2 default auto: what the\n"
"                     input, standard or DV timings give). For --field alternate it is the\n"
"                     whole frame (720x576), not one field\n"
"  --format FOURCC|auto  pixel format (pattern default UYVY; v4l2 default auto: the\n"
"                     device's current one); one of:\n"
"%s"
"  --rate N/D|max|auto  frame rate, e.g. 30000/1001, 25, 29.97 (pattern default 30000/1001;\n"
"                     v4l2 default auto: from the standard, DV timings or VIDIOC_G_PARM).\n"
"                     'max' (pattern source) produces frames as fast as the disk takes them;\n"
"                     the file still carries the rate of another --rate N/D, or the default\n"
"  --field MODE       none (progressive), interlaced-tb, interlaced-bt, seq-tb, seq-bt,\n"
"                     alternate (v4l2: one field per buffer, paired into frames) or auto\n"
"                     (v4l2 default: what the device gives; pattern default none); stored\n"
"                     as the MOV 'fiel' atom (alternate: fields one after the other, in\n"
"                     the order they were paired)\n"
"  --pattern K=V,...  make the pattern source behave like a device: timecode=TC (frames\n"
"                     carry device timecode from TC on, counting with sequence),\n"
"                     drop-every=N (every Nth frame is lost: a sequence gap), lose-first=N\n"
"                     (the first N frames never arrive), error-every=N\n"
"                     (every Nth frame is flagged V4L2_BUF_FLAG_ERROR), fail-after=N (the\n"
"                     source fails with an I/O error after N frames), tc-jump-every=N\n"
"                     (every Nth frame the timecode jumps a second ahead, as at an edit;\n"
"                     without timecode=, the timecode starts at 00:00:00:00),\n"
"                     seq-repeat-every=N (every Nth frame repeats the sequence number of\n"
"                     the one before)\n"
"\n"
"V4L2 device (--source v4l2), through libv4l2 with its format conversion disabled:\n"
"  -d, --device PATH  the capture device (default /dev/video0); -d as v4l2-ctl takes it\n"
"  --input N|NAME     select an input by index or name (default: the current one)\n"
"  --std NAME|auto    analog standard: pal, ntsc, secam, pal-m, ntsc-m-jp, ... as\n"
"                     'v4l2-ctl --list-standards' names them; auto queries the signal\n"
"  --dv-timings NAME|query  digital (HDMI, SDI) timings, e.g. 1280x720p60,\n"
"                     1920x1080p30; query takes what the signal carries\n"
"  --start-field top|bottom  parity of each frame's first field. alternate: fields are\n"
"                     discarded until one of that parity, and a frame is that field and the\n"
"                     next ('fiel' says which is first); the default is the parity the\n"
"                     standard sends first (top for 625/50, bottom for 525/60), so a frame\n"
"                     is the two fields of one V4L2 sequence. Other modes are checked, the\n"
"                     pattern source's too (exit 3): a -tb mode cannot start on a bottom\n"
"                     field, a -bt mode on a top one, progressive frames on either\n"
"  --buffers-mode MODE  auto (default): the slab's slots exported as udmabufs and filled\n"
"                     by the device (V4L2_MEMORY_DMABUF, zero copy), else driver (MMAP)\n"
"                     buffers with one copy into the slab; dmabuf: zero copy or fail;\n"
"                     mmap: always copy (for testing the fallback)\n"
"  --zero-copy        any copy of pixels is an error (no MMAP fallback, no alternate)\n"
"  Everything asked is read back from the driver, printed, and recorded in the file and\n"
"  log; a value the device does not take exactly is an error naming what it offers,\n"
"  unless 'auto' was asked. The summary names the buffer mode and counts pixel copies.\n"
"\n"
"Sound (recorded with the picture, sample-exact: never resampled):\n"
"  --audio DEVICE     record sound from DEVICE: an ALSA PCM (hw:CARD=X,DEV=0, default, as\n"
"                     'arecord -L' lists them), or pattern: a tone per channel (1000 Hz x\n"
"                     channel number) with a full-scale marker at the first sample of every\n"
"                     frame. Streaming starts after the video's; sample 0 is the sample\n"
"                     captured at frame 0's timestamp (CLOCK_MONOTONIC), and frame k owns\n"
"                     samples round(k x rate / fps) up to those of frame k+1 (1920 per frame\n"
"                     at 25 fps and 48 kHz; 1602, 1601, 1602, 1601, 1602 at 29.97)\n"
"  --audio-channels N  1 to 16 (default: the device's; pattern 2)\n"
"  --audio-rate HZ    samples per second (default 48000); the device must give it exactly\n"
"  --audio-format F   s16, s24 or s32 (default auto: the device's native format, 24 or 32\n"
"                     bits before 16); stored as MOV sowt, in24 or in32 (little-endian)\n"
"  --audio-tracks T   one (default: one track with every channel), pairs (stereo tracks\n"
"                     1+2, 3+4, ...) or mono (a track per channel)\n"
"  --audio-drift P    report (default: the audio clock's drift against the video clock, in\n"
"                     ppm, is measured and shown) or fail=PPM (stop the recording, exit 1,\n"
"                     once it exceeds PPM)\n"
"  Each batch's sound is one chunk in the batch's own O_DIRECT write, after its frames.\n"
"  Sound the device lost (an ALSA overrun) is silence of exactly that length, reported\n"
"  like a drop and subject to --on-drop; a frame the video device lost keeps its sound.\n"
"\n"
"Amount (without any, vcap records until SIGINT, SIGTERM or SIGHUP):\n"
"  -n, --frames N     stop after N frames in the file (with --fill-drops, filled ones count)\n"
"  --fields N         stop after N fields: N/2 frames of an interlaced or alternate mode (N\n"
"                     even: a MOV sample is a whole frame; refused for progressive)\n"
"  -t, --duration D   stop after D of video: seconds (S x rate frame periods) or HH:MM:SS:FF\n"
"                     (a frame count at the capture rate); dropped frames count as time\n"
"  --start-timecode TC  discard frames until the device timecode reaches TC (the first\n"
"                     frame at TC, or within a second after it if that one was lost)\n"
"  --stop-timecode TC  the frame labelled TC is the last one recorded (inclusive; if it\n"
"                     was lost, the recording ends before the frame after it). Both need a\n"
"                     device that sends timecode: without any for 5 s vcap gives up\n"
"\n"
"Metadata:\n"
"  --timecode TC      start timecode HH:MM:SS:FF (HH:MM:SS;FF drop-frame, 30000/1001\n"
"                     family only) for a 'tmcd' track; an invalid one is an error. Without\n"
"                     it, the device's timecode of the first frame starts the track (when the\n"
"                     device sends V4L2_BUF_FLAG_TIMECODE); every frame's device timecode\n"
"                     goes in the capture log, and breaks in it are reported\n"
"  --colour NAME      auto (BT.601 for SD, BT.709 for HD), none, bt601-525, bt601-625,\n"
"                     bt709 or bt2020 (default auto); stored as the 'colr' atom\n"
"  --aspect W:H       display aspect of the whole frame, e.g. 4:3 or 16:9, stored as the\n"
"                     'pasp' atom (720x576 at 4:3 is pasp 16:15). Default: from the\n"
"                     device's pixel aspect (VIDIOC_CROPCAP; a BT.601 one such as 59:54 is\n"
"                     read as the 4:3 or 16:9 it stands for), else 4:3 for 720 or 704 by\n"
"                     480, 486, 512, 576 or 608, else square pixels\n"
"\n"
"Disk:\n"
"  --batch V          frames per write (default 8)\n"
"  --depth Q          writes in flight, at most (default 4); a batch filled while Q\n"
"                     are in flight waits in its slots: vcap never waits for the disk\n"
"  --buffers N        frame slots in memory (default batch x (depth + 1) plus half a\n"
"                     second of frames, rounded up to whole batches). They are registered\n"
"                     with io_uring when RLIMIT_MEMLOCK ('ulimit -l') or CAP_IPC_LOCK\n"
"                     allows; else vcap writes them unregistered and a note says why\n"
"  --align auto|BYTES  alignment of every batch and frame (default auto: the RAID stripe\n"
"                     from md, XFS or ext4 geometry, else the direct-I/O block)\n"
"  --sync-interval S  make the recording durable every S seconds (default 0.5; 0: after\n"
"                     every batch): an fdatasync of FILE, then a 'synced' line in its log\n"
"                     and an fdatasync of the log, neither of which the capture waits\n"
"                     for. A power cut loses at most the frames of the last S seconds and\n"
"                     the writes then in flight; vmov recover gets back all the rest\n"
"  --status-fd FD     machine-readable lines on file descriptor FD while recording:\n"
"                     'durable FRAMES SAMPLES' each time the first FRAMES frames (and\n"
"                     SAMPLES samples of sound) became durable, the last at the end\n"
"\n"
"Output:\n"
"  -o, --output FILE  the MOV to write (required); never replaced unless --force. A new name\n"
"                     or a regular file: -, a device or a directory is refused even with\n"
"                     --force (O_DIRECT batches and a seekable index need a file; to pipe a\n"
"                     recording, record it, then vplay FILE -o -). A symbolic link (FILE,\n"
"                     its log or the sidecar) is never written through: it is refused as an\n"
"                     existing file is, and --force replaces the link itself with the new\n"
"                     file, leaving what it names alone\n"
"  --md5 FILE         also write an FFmpeg framemd5 sidecar, identical to what 'ffmpeg -i\n"
"                     FILE.mov -map 0:v -map 0:a? -c copy -f framemd5 -' prints (the frames,\n"
"                     and every audio track's packets as the demuxer cuts them): created empty\n"
"                     before the first frame (never replaced unless --force), filled at the\n"
"                     end; after a crash, vmov recover fills it from the capture log\n"
"  --on-drop POLICY   continue (default), stop (finish the file at the first drop) or fail\n"
"                     (record on, finish the file, then exit 4). Every drop is reported on\n"
"                     stderr as it happens, one line each: frames and fields lost, before\n"
"                     which frame, their sequence numbers, and \"buffers full\" when the disk\n"
"                     side held every buffer. Frames flagged V4L2_BUF_FLAG_ERROR are kept and\n"
"                     reported, and do not count as drops\n"
"  --fill-drops       index the previous frame again for each lost one (no bytes are\n"
"                     copied: the sample points at the same data), so the file has one\n"
"                     sample per frame period; such samples are marked \"fill\" in the log.\n"
"                     Without it, the frame before a gap lasts longer\n"
"  --realtime         run the capture loop SCHED_FIFO and lock memory, when permitted\n"
"                     (warns and records anyway when not)\n"
"  --force            replace FILE, its log and the md5 sidecar if they exist (each is\n"
"                     checked before the first frame: without --force an existing one stops\n"
"                     vcap before it records, with nothing created). A symbolic link is\n"
"                     replaced, never followed: the new file takes the link's place\n"
"  --preview kms[:CONN]|-  watch the frames while they are recorded. kms: on a display\n"
"                     (the first connected one, or CONN as for vplay -o kms:CONN) in a mode\n"
"                     of the frame's size, one flip per frame shown. -: the frames as stored\n"
"                     (raw, the file's rows) on standard output, e.g. | ffplay -f rawvideo\n"
"                     -pixel_format uyvy422 -video_size 720x576 -framerate 25 -. A preview\n"
"                     thread copies each frame it takes out of its buffer; a frame that\n"
"                     comes while it is busy (a slow display or reader, a stalled pipe) is\n"
"                     skipped and counted, never waited for: the recording's buffers, drops\n"
"                     and file are the same with and without it. A display it cannot use\n"
"                     stops vcap before it records (exit 3); a reader that goes away ends\n"
"                     the preview with a warning, and the recording goes on\n"
"  --json             print a JSON summary on stdout at the end: frames, fields, drops (each\n"
"                     gap: before_frame, sequence, count, fields, starved), flagged frames,\n"
"                     fills, timecode and its breaks, mode, alignment, MB/s, buffer fill,\n"
"                     what stopped it, the exit code and its meaning. A failure before that\n"
"                     is one object too: {\"error\": the error line, \"exit\", \"meaning\"}\n"
"  -q, --quiet        no progress line and no summary (errors and warnings are still printed)\n"
"  -h, --help         this text\n"
"\n"
"While recording, a progress line on a terminal shows frames, MB/s, buffer fill, drops and\n"
"the disk time left. SIGINT, SIGTERM or SIGHUP stops the recording and finishes the file\n"
"cleanly. The capture log FILE.mov.vcj has one line per frame: index, offset, size, pts,\n"
"sequence, field, V4L2 flags, timestamp, timecode, md5 (with --md5) and a note (lost=N,\n"
"lost-fields=N, starved, fill, tc-break); with sound, a 'chunk' line per batch after its\n"
"frames: offset, first sample, samples, md5 and a note (xrun=N: N samples of silence for\n"
"lost sound); 'synced F C' at each durability point (--sync-interval).\n"
"\n"
"Exit status (2 and 3: nothing is left behind, and a file held by another is not touched):\n"
"  0  recorded; the file is complete\n"
"  1  an error during the recording (I/O, or the device failed, e.g. a fatal streaming\n"
"     error); the file is finished with every frame captured before it (or, if even that\n"
"     failed, recoverable with vmov recover)\n"
"  2  the command line alone is wrong, found before any file or device is touched: an\n"
"     unknown option; a value that does not parse or is out of range (--format NV12,\n"
"     --timecode 25:00:00:00, a drop-frame label that does not exist such as 00:01:00;00\n"
"     at 30000/1001, ';' at 25 fps, 01:00:00:25 with --rate 25); options that contradict\n"
"     each other (-n with -t, --fields with --field none, --md5 naming FILE); a size the\n"
"     format table refuses (UYVY or RGB24 721 pixels wide)\n"
"  3  the command line is fine but this machine refuses it: FILE, its log or the md5\n"
"     sidecar exists, a symbolic link included (without --force), or is not a regular\n"
"     file (-o -, a device, a directory); another vcap or vmov recover holds FILE; no\n"
"     such device; the source does not offer what was asked (format, size, rate,\n"
"     standard, input, field mode, a --start-field its field mode does not start with,\n"
"     zero copy), and the pattern source refuses as a device does (no --std or --input, 2\n"
"     lines or more); a timecode the device's rate does not have (--rate auto); no device\n"
"     timecode for --start-timecode\n"
"  4  frames were dropped (or sound lost to an overrun) and --on-drop fail was given; the\n"
"     file is complete\n"
"  5  the disk filled up; the file holds everything recorded until then\n";

enum {
	OPT_SOURCE = 256,
	OPT_SIZE,
	OPT_FORMAT,
	OPT_RATE,
	OPT_FIELD,
	OPT_TIMECODE,
	OPT_COLOUR,
	OPT_ASPECT,
	OPT_BATCH,
	OPT_DEPTH,
	OPT_BUFFERS,
	OPT_ALIGN,
	OPT_MD5,
	OPT_ON_DROP,
	OPT_FORCE,
	OPT_JSON,
	OPT_FIELDS,
	OPT_FILL_DROPS,
	OPT_REALTIME,
	OPT_START_TC,
	OPT_STOP_TC,
	OPT_PATTERN,
	OPT_INPUT,
	OPT_STD,
	OPT_DV_TIMINGS,
	OPT_START_FIELD,
	OPT_BUFFERS_MODE,
	OPT_ZERO_COPY,
	OPT_AUDIO,
	OPT_AUDIO_CHANNELS,
	OPT_AUDIO_RATE,
	OPT_AUDIO_FORMAT,
	OPT_AUDIO_TRACKS,
	OPT_AUDIO_DRIFT,
	OPT_SYNC_INTERVAL,
	OPT_STATUS_FD,
	OPT_PREVIEW,
};

static const struct option options[] = {
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "frames", required_argument, NULL, 'n' },
	{ "duration", required_argument, NULL, 't' },
	{ "timecode", required_argument, NULL, OPT_TIMECODE },
	{ "colour", required_argument, NULL, OPT_COLOUR },
	{ "color", required_argument, NULL, OPT_COLOUR },
	{ "aspect", required_argument, NULL, OPT_ASPECT },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "buffers", required_argument, NULL, OPT_BUFFERS },
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "output", required_argument, NULL, 'o' },
	{ "md5", required_argument, NULL, OPT_MD5 },
	{ "on-drop", required_argument, NULL, OPT_ON_DROP },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "fill-drops", no_argument, NULL, OPT_FILL_DROPS },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "start-timecode", required_argument, NULL, OPT_START_TC },
	{ "stop-timecode", required_argument, NULL, OPT_STOP_TC },
	{ "pattern", required_argument, NULL, OPT_PATTERN },
	{ "device", required_argument, NULL, 'd' },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "std", required_argument, NULL, OPT_STD },
	{ "dv-timings", required_argument, NULL, OPT_DV_TIMINGS },
	{ "start-field", required_argument, NULL, OPT_START_FIELD },
	{ "buffers-mode", required_argument, NULL, OPT_BUFFERS_MODE },
	{ "zero-copy", no_argument, NULL, OPT_ZERO_COPY },
	{ "sync-interval", required_argument, NULL, OPT_SYNC_INTERVAL },
	{ "status-fd", required_argument, NULL, OPT_STATUS_FD },
	{ "preview", required_argument, NULL, OPT_PREVIEW },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "audio-channels", required_argument, NULL, OPT_AUDIO_CHANNELS },
	{ "audio-rate", required_argument, NULL, OPT_AUDIO_RATE },
	{ "audio-format", required_argument, NULL, OPT_AUDIO_FORMAT },
	{ "audio-tracks", required_argument, NULL, OPT_AUDIO_TRACKS },
	{ "audio-drift", required_argument, NULL, OPT_AUDIO_DRIFT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_usage(void)
{
	char src[1024] = "", fmt[2048];
	const struct cap_source_ops *s;
	size_t n = 0;

	for (unsigned i = 0; (s = cap_source_at(i)) && n < sizeof(src) - 120; i++)
		n += snprintf(src + n, sizeof(src) - n, "                       %-8s %s\n", s->name,
			      s->desc);
	printf(usage, src, tool_format_list(fmt, sizeof(fmt), 23));
}

static int bad(const struct vc_conf *c, const char *opt, const char *val, const char *hint)
{
	return tool_bad_value(c->tool, opt, val, hint);
}

static int parse_pattern(struct vc_conf *c, const char *arg)
{
	static const char hint[] = "timecode=TC, drop-every=N, lose-first=N, error-every=N, fail-after=N, "
				   "tc-jump-every=N or seq-repeat-every=N, comma-separated";
	char what[256];

	if (tool_parse_pattern(arg, &c->rec.cap, c->pattern_tc, sizeof(c->pattern_tc), what,
			       sizeof(what)) < 0)
		return bad(c, "--pattern", what, hint);
	return 0;
}

/* The long name of an option, for messages. */
static const char *audio_opt_name(int opt)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

static int parse_audio_opt(struct vc_conf *c, int opt, const char *arg)
{
	struct cap_audio_config *a = &c->rec.audio;
	unsigned ppm;

	if (opt != OPT_AUDIO)
		c->audio_opt = audio_opt_name(opt);
	switch (opt) {
	case OPT_AUDIO:
		return a->device = arg, 0;
	case OPT_AUDIO_CHANNELS:
		return tool_parse_uint(arg, 1, 16, &a->channels) ? bad(c, "--audio-channels", arg, "1 to 16") : 0;
	case OPT_AUDIO_RATE:
		return tool_parse_uint(arg, 8000, 192000, &a->rate) ? bad(c, "--audio-rate", arg, "8000 to 192000, e.g. 48000") : 0;
	case OPT_AUDIO_FORMAT:
		return cap_audio_format_parse(arg, &a->format) ? bad(c, "--audio-format", arg, "s16, s24, s32 or auto") : 0;
	case OPT_AUDIO_TRACKS:
		return mov_audio_tracks_parse(arg, &c->rec.audio_tracks) ? bad(c, "--audio-tracks", arg, "one, pairs or mono") : 0;
	case OPT_AUDIO_DRIFT:
		if (tool_parse_drift(arg, &ppm))
			return bad(c, "--audio-drift", arg, "report, or fail=PPM such as fail=100");
		return c->rec.audio_drift_fail = ppm, 0;
	}
	return -EINVAL;
}

static int parse_opt(struct vc_conf *c, int opt, const char *arg)
{
	struct cap_config *k = &c->rec.cap;
	unsigned n;

	switch (opt) {
	case OPT_SOURCE:
		c->rec.source = cap_source_find(arg);
		c->source_given = true;
		return c->rec.source ? 0 : bad(c, "--source", arg, "see --help for the sources, e.g. pattern");
	case OPT_SIZE:
		if (!strcmp(arg, "auto"))
			return k->width = k->height = 0, 0;
		return tool_parse_size(arg, &k->width, &k->height) ? bad(c, "--size", arg, "use WxH, e.g. 1920x1080, or auto") : 0;
	case OPT_FORMAT:
		if (!strcmp(arg, "auto"))
			return k->format = NULL, 0;
		k->format = mov_format_find(arg);
		return k->format ? 0
				 : bad(c, "--format", arg, "see --help for the list, e.g. UYVY");
	case OPT_RATE:
		if (!strcmp(arg, "max"))
			return k->paced = false, 0;
		if (!strcmp(arg, "auto"))
			return k->rate_num = k->rate_den = 0, 0;
		return tool_parse_rate(arg, &k->rate_num, &k->rate_den) ? bad(c, "--rate", arg, "use N/D, e.g. 30000/1001, max or auto") : 0;
	case OPT_FIELD:
		if (!strcmp(arg, "auto"))
			return k->field_auto = true, 0;
		k->field_auto = false;
		return cap_field_parse(arg, &k->field) ? bad(c, "--field", arg, "none, interlaced-tb, interlaced-bt, seq-tb, seq-bt, alternate or auto") : 0;
	case 'd':
		return k->device = arg, 0;
	case OPT_INPUT:
		return k->input = arg, 0;
	case OPT_STD:
		return k->std = arg, 0;
	case OPT_DV_TIMINGS:
		return k->dv_timings = arg, 0;
	case OPT_START_FIELD:
		if (strcmp(arg, "top") && strcmp(arg, "bottom"))
			return bad(c, "--start-field", arg, "top or bottom");
		return k->start_field = arg[0] == 't' ? V4L2_FIELD_TOP : V4L2_FIELD_BOTTOM, 0;
	case OPT_BUFFERS_MODE:
		if (!strcmp(arg, "auto"))
			return k->buffers = CAP_BUFFERS_AUTO, 0;
		if (!strcmp(arg, "dmabuf"))
			return k->buffers = CAP_BUFFERS_DMABUF, 0;
		if (!strcmp(arg, "mmap"))
			return k->buffers = CAP_BUFFERS_MMAP, 0;
		return bad(c, "--buffers-mode", arg, "auto, dmabuf or mmap");
	case OPT_ZERO_COPY:
		return k->zero_copy = true, 0;
	case 'n':
		if (tool_parse_uint(arg, 1, 4000000000u, &n))
			return bad(c, "--frames", arg, "a positive number of frames");
		return c->rec.frames = n, 0;
	case 't':
		if (strpbrk(arg, ":;"))
			return c->rec.duration_tc = arg, 0; /* checked against the rate later */
		return tool_parse_seconds(arg, &c->rec.seconds) ? bad(c, "--duration", arg, "seconds, e.g. 10 or 2.5, or HH:MM:SS:FF") : 0;
	case OPT_FIELDS:
		if (tool_parse_uint(arg, 1, 4000000000u, &n))
			return bad(c, "--fields", arg, "a positive, even number of fields");
		return c->rec.fields = n, 0;
	case OPT_FILL_DROPS:
		return c->rec.fill_drops = true, 0;
	case OPT_REALTIME:
		return c->rec.realtime = true, 0;
	case OPT_PREVIEW:
		c->rec.preview_fd = STDOUT_FILENO;
		return c->rec.preview = arg, 0;
	case OPT_START_TC:
		return c->rec.start_tc = arg, 0;
	case OPT_STOP_TC:
		return c->rec.stop_tc = arg, 0;
	case OPT_PATTERN:
		return parse_pattern(c, arg);
	case OPT_TIMECODE:
		return c->rec.timecode = arg, 0;
	case OPT_COLOUR:
		return mov_colour_parse(arg, &c->rec.colour) ? bad(c, "--colour", arg, "auto, none, bt601-525, bt601-625, bt709 or bt2020") : 0;
	case OPT_ASPECT:
		return tool_parse_aspect(arg, &c->rec.aspect_num, &c->rec.aspect_den) ? bad(c, "--aspect", arg, "W:H, e.g. 4:3 or 16:9") : 0;
	case OPT_BATCH:
		return tool_parse_uint(arg, 1, 256, &c->rec.batch) ? bad(c, "--batch", arg, "1 to 256 frames") : 0;
	case OPT_DEPTH:
		return tool_parse_uint(arg, 1, 64, &c->rec.depth) ? bad(c, "--depth", arg, "1 to 64")
							      : 0;
	case OPT_BUFFERS:
		return tool_parse_uint(arg, 2, 65536, &c->rec.buffers) ? bad(c, "--buffers", arg, "2 to 65536 slots") : 0;
	case OPT_ALIGN:
		if (!strcmp(arg, "auto"))
			return c->rec.align = 0;
		if (tool_parse_bytes(arg, &c->rec.align) || !c->rec.align || c->rec.align % 4096)
			return bad(c, "--align", arg, "auto, or a multiple of 4096 such as 196608 or 192K");
		return 0;
	case 'o':
		return c->rec.out = arg, 0;
	case OPT_MD5:
		return c->rec.md5_path = arg, 0;
	case OPT_ON_DROP:
		return tool_parse_on_drop(arg, &c->rec.on_drop) ? bad(c, "--on-drop", arg, "continue, stop or fail") : 0;
	case OPT_FORCE:
		return c->rec.force = true, 0;
	case OPT_SYNC_INTERVAL:
		if (!strcmp(arg, "0"))
			return c->rec.sync_interval = 1e-9, 0; /* due at every step: each batch */
		if (tool_parse_seconds(arg, &c->rec.sync_interval) || c->rec.sync_interval > 3600)
			return bad(c, "--sync-interval", arg, "seconds from 0 to 3600, e.g. 0.5");
		return 0;
	case OPT_STATUS_FD:
		if (tool_parse_uint(arg, 0, INT_MAX, &n) || fcntl((int)n, F_GETFD) < 0)
			return bad(c, "--status-fd", arg, "an open file descriptor, e.g. 3 with 3>FILE");
		return c->status_fd = (int)n, 0;
	case OPT_JSON:
		return c->json = true, 0;
	case 'q':
		return c->quiet = true, 0;
	}
	return parse_audio_opt(c, opt, arg);
}

/* What the command line alone decides (exit 2): the recording's own checks. */
static int check_conf(struct vc_conf *c)
{
	struct cap_why why = { "", "" };

	if (!c->source_given && c->rec.cap.device)
		c->rec.source = cap_source_find("v4l2");
	if (!c->rec.audio.device && c->audio_opt) {
		tool_err(c->tool, 0, "add --audio DEVICE, e.g. --audio hw:CARD=X,DEV=0 or --audio pattern",
			 "--%s without --audio: there is no sound to record", c->audio_opt);
		return -EINVAL;
	}
	if (c->json && c->rec.preview && !strcmp(c->rec.preview, "-")) {
		tool_err(c->tool, 0, "drop one, or send the preview elsewhere with --preview kms",
			 "--preview - and --json both write standard output");
		return -EINVAL;
	}
	if (cap_record_check(&c->rec, &why) < 0) {
		tool_err(c->tool, 0, why.hint, "%s", why.what);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct vc_conf *c)
{
	int opt;

	opterr = 0; /* tool_bad_option says it, in one line */
	while ((opt = getopt_long(argc, argv, ":d:n:t:o:qh", options, NULL)) != -1) {
		if (opt == 'h') {
			print_usage();
			exit(EXIT_OK);
		}
		if (opt == '?' || opt == ':')
			return tool_bad_option(c->tool, opt, argv, options);
		if (parse_opt(c, opt, optarg) < 0)
			return -EINVAL;
	}
	if (optind < argc) {
		tool_err(c->tool, 0, "the output goes after -o", "unexpected argument '%s'",
			 argv[optind]);
		return -EINVAL;
	}
	return check_conf(c);
}

static int exit_code(const struct vc_conf *c, const struct cap_record_stats *st)
{
	if (st->err == -ENOSPC)
		return EXIT_NOSPACE;
	if (st->err)
		return EXIT_FAILURE_RUN;
	if ((st->drops || st->lost_fields || st->audio.xruns) && c->rec.on_drop == CAP_DROP_FAIL)
		return EXIT_DROPS;
	return EXIT_OK;
}

/* The session's events, as vcap's lines on stderr: a note clears the progress line first. */
static void on_event(void *user, const struct cap_event *ev)
{
	const struct vc_conf *c = user;

	if (ev->type == CAP_EVENT_DURABLE) {
		if (c->status_fd >= 0) /* a reader that went away costs the recording nothing */
			dprintf(c->status_fd, "durable %" PRIu64 " %" PRIu64 "\n", ev->frame,
				ev->samples);
		return;
	}
	if (ev->kind == CAP_EVENT_INFO && c->quiet)
		return;
	if (ev->kind == CAP_EVENT_NOTE && c->progress)
		fprintf(stderr, "\r\033[K");
	if (ev->kind == CAP_EVENT_INFO || ev->kind == CAP_EVENT_NOTE)
		tool_note("vcap", "%s", ev->text);
	else
		tool_err(c->tool, ev->err, ev->hint, "%s", ev->text);
}

/* Record until the amount, a policy, an error or SIGINT/SIGTERM stops it; the progress line
 * twice a second. -errno when the recording did not start (an event said why; nothing is left
 * behind). */
static int record(const struct vc_conf *c, struct cap_record_stats *st)
{
	struct cap_record *r;
	double shown = 0;
	int sigfd = tool_signals_open(), ret;

	if (sigfd < 0) {
		tool_err(c->tool, sigfd, NULL, "setting up SIGINT and SIGTERM");
		return sigfd;
	}
	ret = cap_record_open(&c->rec, on_event, (void *)c, &r);
	while (ret >= 0 && cap_record_step(r) > 0) {
		int sig = tool_signal_taken(sigfd);

		if (sig)
			cap_record_stop(r, sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM");
		if (c->progress && tool_now_s() - shown >= 0.5) {
			shown = tool_now_s();
			vc_progress(c, cap_record_stats(r), false);
		}
	}
	if (ret >= 0)
		ret = cap_record_finish(r);
	if (ret >= 0)
		*st = *cap_record_stats(r);
	if (ret >= 0 && c->progress)
		vc_progress(c, st, true);
	cap_record_close(r);
	close(sigfd);
	return ret;
}

int main(int argc, char **argv)
{
	struct tool t = { .name = "vcap" };
	struct vc_conf c = {
		.tool = &t,
		.rec = {
			.source = cap_source_find("pattern"),
			.cap = { .paced = true, .field_auto = true }, /* auto: defaults per source */
			.batch = 8,
			.depth = 4,
		},
	};
	struct cap_record_stats st = { 0 };
	int code;
	int ret;

	c.status_fd = -1;
	signal(SIGPIPE, SIG_IGN); /* --status-fd's reader may go; the recording goes on */
	ret = parse_args(argc, argv, &c);
	t.json = c.json;
	if (ret < 0)
		return tool_exit(&t, EXIT_USAGE);
	c.progress = !c.quiet && isatty(2);
	av_log_set_level(AV_LOG_QUIET); /* errors are reported once, in vcap's own words */
	ret = record(&c, &st);
	if (ret < 0)
		return tool_exit(&t, EXIT_SETUP); /* an event said what; nothing is left behind */
	code = exit_code(&c, &st);
	vc_report(&c, &st, code);
	return code;
}
