/* vmov: inspect, verify, recover and report on the MOV files vcap writes (and any uncompressed
 * MOV). */

#include "mov.h"
#include "tool.h"
#include "vmov.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/log.h>

static const char *const prog = "vmov";

enum opt {
	OPT_JSON = 256,
	OPT_SAMPLES,
	OPT_MD5,
	OPT_ALIGN,
	OPT_FORCE,
	OPT_JOURNAL,
	OPT_THUMB_EVERY,
	OPT_NO_STATS,
};

static const struct option options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "samples", no_argument, NULL, OPT_SAMPLES },
	{ "md5", required_argument, NULL, OPT_MD5 },
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "output", required_argument, NULL, 'o' },
	{ "thumb-every", required_argument, NULL, OPT_THUMB_EVERY },
	{ "no-stats", no_argument, NULL, OPT_NO_STATS },
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct tool *tool; /* main's: every error line goes through it */
	const char *cmd;
	const char *file;
	bool json;
	bool samples;
	const char *md5;
	uint64_t align;
	bool force;
	const char *journal;
	const char *out;    /* report: -o */
	double thumb_every; /* report: --thumb-every */
	bool no_stats;	    /* report: --no-stats */
};

static void usage(FILE *f)
{
	const struct mov_format *fmt;
	char cc[5];
	unsigned i;

	fprintf(f,
		"Usage: vmov info FILE [--json] [--samples]\n"
		"       vmov verify FILE [--md5 SIDE.md5] [--align N]\n"
		"       vmov recover FILE [--force] [--journal PATH]\n"
		"       vmov report FILE [-o OUT] [--json] [--force] [--no-stats] [--thumb-every S]\n"
		"\n"
		"Inspect, verify, repair and report on QuickTime (MOV) files of uncompressed video, as\n"
		"written by vcap (frames at aligned offsets) or by anyone else (frames back to back).\n"
		"\n"
		"Commands:\n"
		"  info      Print the video stream's description: pixel format (MOV tag mapped back\n"
		"            to the format table), size, rate, field order, colour, pixel aspect,\n"
		"            start timecode, sample count, duration, and how many samples start at\n"
		"            a multiple of 4096. Only the index is read, never the payload.\n"
		"  verify    Check the structure: every sample inside the file, in order, without\n"
		"            overlap, of the format's frame size; count the samples aligned to 4096\n"
		"            (and to --align N). With --md5, also read every frame and compare it with\n"
		"            a framemd5 sidecar. Prints one line per check and \"OK\" or \"FAILED\".\n"
		"  recover   Rebuild the index of a file whose capture was killed before it\n"
		"            wrote its moov, from the journal FILE.vcj that vcap keeps next to\n"
		"            it: every journaled frame whose payload is inside the file is\n"
		"            indexed, the moov is written after the last one and the file is\n"
		"            truncated there. The journal gets an end line; it is kept as the\n"
		"            capture log. Refused while vcap still records the file (it holds\n"
		"            a lock on it; the message names its pid). Before anything changes,\n"
		"            the journal must belong to the file: the recording id vcap stamps\n"
		"            in both, the frame size, and, when the journal has md5s (vcap\n"
		"            --md5), the md5 of every frame; else it is refused and the file is\n"
		"            left as it was. The --md5 sidecar the recording never wrote is\n"
		"            written from the journal's md5s (vcap leaves it empty until the\n"
		"            end; one with lines in it is kept unless --force). A file whose\n"
		"            journal has its end line is complete: recover says so and exits 0.\n"
		"            After a power cut, frames logged after the last durability point\n"
		"            (vcap --sync-interval) are kept only while they are on disk (FIEMAP,\n"
		"            md5). Without a usable journal (missing, or not a capture log), a\n"
		"            recording without sound is rebuilt from the file alone: vcap\n"
		"            describes the recording in the file before its first frame, and\n"
		"            every frame the filesystem says was written is indexed in file order\n"
		"            (drops and timestamps unknown: recover says so).\n"
		"            FILE and its journal are rewritten in place, so neither is opened\n"
		"            through a symbolic link: a link is refused, naming it, before\n"
		"            anything changes (give the file's own path). A sidecar that is a\n"
		"            link is kept, or with --force the link itself is replaced.\n"
		"  report    What happened in a recording, for a person (one HTML page, FILE.html\n"
		"            unless -o) or a script (--json, on stdout unless -o): the header\n"
		"            (format, fiel, colour, aspect, timecode, md5 status), and plotted over\n"
		"            the recording's time, with drops, fills, flagged frames, timecode\n"
		"            breaks, xruns and md5 mismatches marked on every plot: the interval\n"
		"            between frames; from the capture log (FILE.vcj) the buffer fill at\n"
		"            submit and the write latency of every batch and the audio drift;\n"
		"            for every frame the signal statistics of libavfilter's signalstats\n"
		"            (YMIN, YLOW, YAVG, YHIGH, YMAX, SATMIN, SATAVG, SATMAX, HUEAVG,\n"
		"            BRNG, TOUT, VREP, YDIF, the values ffmpeg -vf signalstats prints) and\n"
		"            the two fields' mean squared error (MSEfY, as QCTools computes it);\n"
		"            a strip of thumbnails; a list of the events. Every frame is read and\n"
		"            its md5 compared with the log's, when the log has them. The page is\n"
		"            self-contained (the data, the dygraphs library and the thumbnails are\n"
		"            inlined): it opens offline and fetches nothing. A file without a log\n"
		"            (from another tool, or its log lost) gets the rest: no capture panels.\n"
		"            Never replaces an existing output without --force, never writes\n"
		"            through a symbolic link (--force replaces the link itself).\n"
		"\n"
		"Options:\n"
		"  --json           info, report: print one JSON object instead of text. Any\n"
		"                   command: a failure is one JSON object too: {\"error\": the\n"
		"                   error line, \"exit\", \"meaning\"}.\n"
		"  --samples        info: also list every sample (offset, size, pts); in JSON as\n"
		"                   \"samples\": [[offset, size, pts], ...].\n"
		"  --md5 SIDE.md5   verify: a sidecar in FFmpeg's framemd5 format, as printed by\n"
		"                   \"ffmpeg -i FILE -c copy -f framemd5 SIDE.md5\": lines starting\n"
		"                   with # are ignored, then \"stream, dts, pts, duration, size, md5\"\n"
		"                   per frame; lines of stream 0 are compared, in order, by size and\n"
		"                   md5 of the sample's bytes; lines of streams 1, 2, ... (the audio\n"
		"                   tracks, as vcap --md5 and ffmpeg -map 0:v -map 0:a list them) with\n"
		"                   the packets libavformat's demuxer cuts each track into, by dts.\n"
		"  --align N        verify: also require every sample to start at a multiple of N\n"
		"                   bytes (K, M, G suffixes allowed; need not be a power of two, e.g.\n"
		"                   a RAID stripe of 3 x 64K = 192K).\n"
		"  --force          recover: rebuild even when the journal says the capture\n"
		"                   finished cleanly or was recovered (its end line), e.g. after\n"
		"                   the moov was damaged; and replace an existing md5 sidecar (a\n"
		"                   symbolic link is replaced itself, never followed).\n"
		"  --journal PATH   recover, report: the journal, instead of FILE.vcj.\n"
		"  -o, --output F   report: write the page (or with --json the JSON) to F, \"-\" for\n"
		"                   stdout; default FILE.html (--json: stdout). With --force an\n"
		"                   existing F is replaced (a symbolic link itself).\n"
		"  --thumb-every S  report: a thumbnail every S seconds (default: about 24 over the\n"
		"                   file, whole seconds when longer than 24 s).\n"
		"  --no-stats       report: read no frame: no signal statistics, thumbnails or md5\n"
		"                   check, only what the index and the capture log say (quick).\n"
		"  -h, --help       This text.\n"
		"\n"
		"Pixel formats known to the table (name, V4L2 fourcc, MOV tag):\n");
	for (i = 0; (fmt = mov_format_at(i)); i++) {
		fprintf(f, "  %-7s %-5s", mov_format_name(fmt),
			mov_format_v4l2(fmt) ? mov_fourcc_str(mov_format_v4l2(fmt), cc) : "-");
		fprintf(f, " '%s'  %s\n", mov_fourcc_str(mov_format_tag(fmt), cc),
			mov_format_desc(fmt));
	}
	fprintf(f,
		"\n"
		"Examples:\n"
		"  vmov info a.mov --samples\n"
		"  vmov verify a.mov --md5 a.md5 --align 4096\n"
		"  vmov recover a.mov       # after a crash; on a complete file it says so\n"
		"  vmov report a.mov -o a.html\n"
		"  vmov report a.mov --json -o a.json\n"
		"\n"
		"Exit status:\n"
		"  %d  success (verify: every check passed; recover: the file is complete, also\n"
		"     when it already was)\n"
		"  %d  verify found a problem, or recovery failed while rewriting the index\n"
		"  %d  the command line alone is wrong (an unknown command or option, a value\n"
		"     that does not parse)\n"
		"  %d  the command line is fine but the file or journal cannot be opened or\n"
		"     parsed, or recover was refused (the file is being recorded, the journal\n"
		"     is another recording's, no frame survived, the file or the journal is a\n"
		"     symbolic link, a complete file whose index cannot be read, without\n"
		"     --force); the file is left as it was\n",
		EXIT_OK, EXIT_FAILURE_RUN, EXIT_USAGE, EXIT_SETUP);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int c;

	opterr = 0; /* tool_bad_option says it, in one line */
	while ((c = getopt_long(argc, argv, ":ho:", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_SAMPLES:
			a->samples = true;
			break;
		case OPT_MD5:
			a->md5 = optarg;
			break;
		case OPT_ALIGN:
			if (tool_parse_bytes(optarg, &a->align) < 0 || !a->align)
				return tool_bad_value(a->tool, "--align", optarg,
						      "a byte count above 0, e.g. 4096 or 192K");
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_JOURNAL:
			a->journal = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_NO_STATS:
			a->no_stats = true;
			break;
		case OPT_THUMB_EVERY:
			if (tool_parse_seconds(optarg, &a->thumb_every) < 0)
				return tool_bad_value(a->tool, "--thumb-every", optarg,
						      "seconds above 0, e.g. 10 or 0.5");
			break;
		default:
			return tool_bad_option(a->tool, c, argv, options);
		}
	}
	if (argc - optind != 2) {
		/* what is wrong, then the fix: the line vbench gives for its PATH */
		tool_err(a->tool, 0, "give a command and one FILE, e.g. vmov info a.mov", "%s",
			 argc - optind > 2 ? "too many arguments" :
			 argc == optind	   ? "missing command" : "missing FILE");
		return -EINVAL;
	}
	a->cmd = argv[optind];
	a->file = argv[optind + 1];
	return 0;
}

static int open_reader(const struct args *a, struct mov_reader **ret)
{
	const char *file = a->file;
	char why[160];
	int ret_open = mov_reader_open(file, ret, why, sizeof(why));

	if (ret_open == -EINVAL && mov_journal_exists(file))
		tool_err(a->tool, 0,
			 "it has a capture log: if its recording was killed, run vmov recover",
			 "%s: %s", file, why);
	else if (ret_open < 0 && why[0])
		tool_err(a->tool, 0, NULL, "%s: %s", file, why);
	else if (ret_open < 0)
		tool_err(a->tool, ret_open, NULL, "opening %s", file);
	return ret_open;
}

static void fmt_rate(const struct mov_info *in, char *buf, size_t len)
{
	if (!in->rate_den)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%u/%u (%.3f fps)", in->rate_num, in->rate_den,
			 (double)in->rate_num / in->rate_den);
}

static void print_info_text(const char *file, const struct mov_reader *r, bool samples)
{
	const struct mov_sample *s = mov_reader_samples(r);
	struct mov_info in;
	char cc[5], rate[48], hb[32];
	uint64_t i, n;

	mov_reader_info(r, &in);
	fmt_rate(&in, rate, sizeof(rate));
	printf("file:        %s\n", file);
	printf("size:        %" PRIu64 " bytes (%s)\n", in.file_size,
	       dio_human_bytes(in.file_size, hb, sizeof(hb)));
	printf("format:      %s (tag '%s', depth %u, codec %s)\n",
	       in.format ? mov_format_name(in.format) : "not in the table",
	       mov_fourcc_str(in.tag, cc), in.depth, in.codec);
	printf("dimensions:  %ux%u\n", in.width, in.height);
	printf("rate:        %s\n", rate);
	printf("field:       %s (fiel 0x%04x)\n", mov_field_name(in.field), mov_field_fiel(in.field));
	printf("colour:      primaries %d, transfer %d, matrix %d\n", in.primaries, in.transfer,
	       in.matrix);
	if (in.sar_den)
		printf("pixel aspect: %u:%u\n", in.sar_num, in.sar_den);
	printf("timecode:    %s", in.timecode[0] ? in.timecode : "none");
	if (in.timecode_breaks)
		printf(" (%u %s in the timecode track)", in.timecode_breaks,
		       tool_plural(in.timecode_breaks, "break", "breaks"));
	printf("\n");
	if (in.samples)
		printf("frame size:  %" PRIu32 " bytes, rows of %" PRIu32 " bytes\n", in.frame_size,
		       in.stride);
	printf("samples:     %" PRIu64 "\n", in.samples);
	printf("duration:    %.3f s\n", in.duration);
	if (in.audio_tracks)
		printf("sound:       %u %s, %u %s in all, %s at %u Hz, %" PRIu64
		       " samples (%.3f s)\n",
		       in.audio_tracks, tool_plural(in.audio_tracks, "track", "tracks"),
		       in.audio_channels, tool_plural(in.audio_channels, "channel", "channels"),
		       in.audio_codec, in.audio_rate, in.audio_samples,
		       in.audio_rate ? (double)in.audio_samples / in.audio_rate : 0);
	if (in.samples)
		printf("first frame: offset %" PRIu64 ", %" PRIu32 " bytes\n", s[0].offset,
		       s[0].size);
	n = mov_count_aligned(r, 4096);
	printf("aligned:     %" PRIu64 " of %" PRIu64 " %s %s at a multiple of 4096\n", n,
	       in.samples, tool_plural(in.samples, "sample", "samples"),
	       tool_plural(n, "starts", "start"));
	for (i = 0; samples && i < in.samples; i++)
		printf("sample %" PRIu64 ": offset %" PRIu64 " size %" PRIu32 " pts %" PRId64 "\n", i,
		       s[i].offset, s[i].size, s[i].pts);
}

static void print_info_json(const char *file, const struct mov_reader *r, bool samples)
{
	const struct mov_sample *s = mov_reader_samples(r);
	struct mov_info in;
	char cc[5];
	uint64_t i;

	mov_reader_info(r, &in);
	printf("{\"file\": ");
	tool_json_str(stdout, file);
	printf(", \"size\": %" PRIu64 ", \"format\": ", in.file_size);
	tool_json_str(stdout, in.format ? mov_format_name(in.format) : "");
	printf(", \"tag\": ");
	tool_json_str(stdout, mov_fourcc_str(in.tag, cc));
	printf(", \"depth\": %u, \"codec\": ", in.depth);
	tool_json_str(stdout, in.codec);
	printf(", \"width\": %u, \"height\": %u, \"rate_num\": %u, \"rate_den\": %u", in.width,
	       in.height, in.rate_num, in.rate_den);
	printf(", \"field\": \"%s\", \"primaries\": %d, \"transfer\": %d, \"matrix\": %d",
	       mov_field_name(in.field), in.primaries, in.transfer, in.matrix);
	printf(", \"sar_num\": %u, \"sar_den\": %u, \"timecode\": ", in.sar_num, in.sar_den);
	tool_json_str(stdout, in.timecode);
	printf(", \"timecode_breaks\": %u, \"frame_size\": %" PRIu32 ", \"stride\": %" PRIu32,
	       in.timecode_breaks, in.frame_size, in.stride);
	printf(", \"samples_count\": %" PRIu64 ", \"duration\": %.6f, \"aligned_4096\": %" PRIu64,
	       in.samples, in.duration, mov_count_aligned(r, 4096));
	if (samples) {
		printf(", \"samples\": [");
		for (i = 0; i < in.samples; i++)
			printf("%s[%" PRIu64 ", %" PRIu32 ", %" PRId64 "]", i ? ", " : "",
			       s[i].offset, s[i].size, s[i].pts);
		printf("]");
	}
	printf("}\n");
}

static int cmd_info(const struct args *a)
{
	struct mov_reader *r;

	if (open_reader(a, &r) < 0)
		return EXIT_SETUP;
	if (a->json)
		print_info_json(a->file, r, a->samples);
	else
		print_info_text(a->file, r, a->samples);
	mov_reader_free(r);
	return EXIT_OK;
}

/* ---- verify ---- */

/* The sound's part of the sidecar check. */
static void verify_audio_says(const struct mov_verify_result *res)
{
	uint64_t good = res->sidecar_audio - res->audio_mismatches;

	if (res->sidecar_audio != res->audio_packets)
		printf("md5: the sidecar has %" PRIu64 " audio packets, the file %" PRIu64 "\n",
		       res->sidecar_audio, res->audio_packets);
	if (res->audio_mismatches)
		printf("md5: audio track %u: the packet at sample %" PRId64 " differs (%" PRIu64
		       " %s in all)\n",
		       res->audio_first_bad_stream, res->audio_first_bad_dts,
		       res->audio_mismatches,
		       tool_plural(res->audio_mismatches, "packet differs", "packets differ"));
	printf("md5: %" PRIu64 " of %" PRIu64 " audio %s %s\n", good, res->audio_packets,
	       tool_plural(res->audio_packets, "packet", "packets"),
	       tool_plural(good, "matches", "match"));
}

/* The sidecar against each sample; -errno (said) when it could not be checked. */
static int64_t verify_md5(const struct args *a, const struct mov_reader *r)
{
	struct mov_verify_result res;
	uint64_t count = mov_reader_count(r), good;
	int ret = mov_verify_md5(r, a->file, a->md5, &res);

	if (ret < 0 && res.failed == MOV_VERIFY_FAILED_SIDECAR)
		tool_err(a->tool, ret, ret == -EBADMSG ? "expected ffmpeg -f framemd5 output" : NULL,
			 "reading %s", a->md5);
	else if (ret < 0 && res.failed == MOV_VERIFY_FAILED_OPEN)
		tool_err(a->tool, ret, NULL, "opening %s", a->file);
	else if (ret < 0)
		tool_err(a->tool, ret, NULL, "reading frame %" PRIu64 " of %s", res.failed_frame,
			 a->file);
	if (ret < 0)
		return ret;
	if (res.sidecar_frames != count)
		printf("md5: the sidecar has %" PRIu64 " %s, the file %" PRIu64 "\n",
		       res.sidecar_frames, tool_plural(res.sidecar_frames, "frame", "frames"), count);
	for (uint64_t i = 0; i < res.mismatches && i < MOV_VERIFY_LIST; i++) {
		const struct mov_verify_sample *m = &res.list[i];

		printf("md5: frame %" PRIu64 " differs: %s, sidecar %s (%" PRIu32
		       " bytes, sidecar %" PRIu32 ")\n",
		       m->sample, m->md5, m->want_md5, m->size, m->want_size);
	}
	good = (res.sidecar_frames < count ? res.sidecar_frames : count) - res.mismatches;
	printf("md5: %" PRIu64 " of %" PRIu64 " %s %s\n", good, count,
	       tool_plural(count, "frame", "frames"), tool_plural(good, "matches", "match"));
	if (res.sidecar_audio || res.audio_packets)
		verify_audio_says(&res);
	return (int64_t)res.bad;
}

/* Structure: samples inside the file, ordered, not overlapping, of the format's size. */
static uint64_t verify_structure(const struct mov_reader *r)
{
	struct mov_verify_result res;

	mov_verify_structure(r, &res);
	for (uint64_t i = 0; i < res.bad && i < MOV_VERIFY_LIST; i++)
		printf("structure: sample %" PRIu64 " (offset %" PRIu64 ", %" PRIu32 " bytes) %s\n",
		       res.list[i].sample, res.list[i].offset, res.list[i].size, res.list[i].why);
	return res.bad;
}

static int cmd_verify(const struct args *a)
{
	struct mov_reader *r;
	struct mov_info in;
	uint64_t bad, n;
	int64_t md5_bad = 0;
	char cc[5];

	if (a->md5 && access(a->md5, R_OK) < 0) { /* before any check says it passed */
		tool_err(a->tool, errno, NULL, "reading %s", a->md5);
		return EXIT_SETUP;
	}
	if (open_reader(a, &r) < 0)
		return EXIT_SETUP;
	mov_reader_info(r, &in);
	printf("format: %s ('%s') %ux%u, %" PRIu64 " %s\n",
	       in.format ? mov_format_name(in.format) : "not in the table",
	       mov_fourcc_str(in.tag, cc), in.width, in.height, in.samples,
	       tool_plural(in.samples, "sample", "samples"));
	bad = in.samples ? 0 : 1;
	if (!in.samples)
		printf("structure: no samples\n");
	n = verify_structure(r);
	printf("structure: %" PRIu64 " of %" PRIu64 " %s well placed\n", in.samples - n, in.samples,
	       tool_plural(in.samples, "sample", "samples"));
	bad += n;
	printf("aligned: %" PRIu64 " of %" PRIu64 " %s at a multiple of 4096\n",
	       mov_count_aligned(r, 4096), in.samples, tool_plural(in.samples, "sample", "samples"));
	if (a->align) {
		n = mov_count_aligned(r, a->align);
		printf("aligned: %" PRIu64 " of %" PRIu64 " %s at a multiple of %" PRIu64 "\n", n,
		       in.samples, tool_plural(in.samples, "sample", "samples"), a->align);
		bad += in.samples - n;
	}
	if (a->md5) {
		md5_bad = verify_md5(a, r);
		if (md5_bad < 0) {
			mov_reader_free(r);
			return EXIT_SETUP;
		}
		bad += md5_bad;
	}
	mov_reader_free(r);
	printf("%s\n", bad ? "FAILED" : "OK");
	return bad ? EXIT_FAILURE_RUN : EXIT_OK;
}

/* ---- recover ---- */

/* The sidecar the recording meant to write, from the log's md5s: what was done. */
static void write_sidecar(const struct args *a, const char *journal,
			  const struct mov_recover_result *res)
{
	struct mov_sidecar_result side;
	int ret = mov_recover_sidecar(a->file, journal, res, a->force, &side);

	if (ret < 0)
		tool_err(a->tool, ret, NULL, "writing the md5 sidecar %s", side.path);
	else if (side.status == MOV_SIDECAR_NO_MD5)
		tool_note(prog, "%s not written: the log has no md5 for every frame", side.path);
	else if (side.status == MOV_SIDECAR_KEPT)
		tool_note(prog,
			  "%s exists and was kept; it may be from an earlier recording "
			  "(--force replaces it with the %" PRIu64 " %s recovered)",
			  side.path, res->frames, tool_plural(res->frames, "frame", "frames"));
	else if (side.status == MOV_SIDECAR_WRITTEN)
		printf("wrote %s: the md5 of %s %" PRIu64 " %s, from the log\n", side.path,
		       tool_plural(res->frames, "its", "each of the"), res->frames,
		       tool_plural(res->frames, "frame", "frames"));
}

/* A log with its end line: say whether the file is complete, which is what the user asked. */
static int already_done(const struct args *a, const struct mov_recover_result *res)
{
	struct mov_reader *r;

	if (mov_reader_open(a->file, &r, NULL, 0) < 0) {
		tool_err(a->tool, 0, "use --force to rebuild the index from the log",
			 "%s: its log says it was %s, but its index cannot be read", a->file,
			 res->was_recovered ? "recovered" : "finished cleanly by vcap");
		return EXIT_SETUP;
	}
	printf("%s is complete (%" PRIu64 " %s): %s; nothing to do (--force rebuilds the "
	       "index from the log again)\n",
	       a->file, mov_reader_count(r), tool_plural(mov_reader_count(r), "frame", "frames"),
	       res->from_file || res->log_err ? "its index is whole"
	       : res->was_recovered	       ? "it was recovered already"
					       : "vcap finished it cleanly");
	mov_reader_free(r);
	return EXIT_OK;
}

static bool is_link(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

/* -ELOOP: the file or its log is a symbolic link, which mov_recover refuses before anything
 * is opened for writing; false when neither is (a loop of links above them). */
static bool refused_link(const struct args *a, const char *journal)
{
	const char *hint = "give the file's own path, as readlink -f prints it";
	const char *why = "recover rewrites it in place and never through a link (nothing was "
			  "changed)";

	if (is_link(a->file))
		tool_err(a->tool, 0, hint, "%s is a symbolic link: %s", a->file, why);
	else if (is_link(journal))
		tool_err(a->tool, 0, hint, "the capture log %s is a symbolic link: %s", journal,
			 why);
	else
		return false;
	return true;
}

/* One line for each refusal; the exit status says which kind. */
static int recover_failed(const struct args *a, const char *journal, int ret,
			  const struct mov_recover_result *res)
{
	switch (ret) {
	case -EBUSY:
		if (res->holder)
			tool_err(a->tool, 0, "wait for it to finish",
				 "%s: being recorded by vcap pid %d", a->file, res->holder);
		else
			tool_err(a->tool, 0, "wait for it to finish",
				 "%s: locked by a recording or another vmov recover", a->file);
		return EXIT_SETUP;
	case -EILSEQ:
		tool_err(a->tool, 0, "give this recording's log with --journal PATH",
			 "%s is not the log of %s: frame %" PRIu64 " in the file differs from the "
			 "log's md5 (nothing was changed)",
			 journal, a->file, res->bad_frame);
		return EXIT_SETUP;
	case -EUCLEAN:
		tool_err(a->tool, 0, "check the disk; vmov recover --journal can take an edited log",
			 "%s: frame %" PRIu64 " is not on disk although %s says it was made "
			 "durable: the filesystem lost it (nothing was changed)",
			 a->file, res->bad_frame, journal);
		return EXIT_SETUP;
	case -ESTALE:
		tool_err(
		    a->tool, 0, "give this recording's log with --journal PATH",
		    "%s is not the log of %s: the file carries another recording's id (nothing "
		    "was changed)",
		    journal, a->file);
		return EXIT_SETUP;
	case -EMEDIUMTYPE:
		tool_err(a->tool, 0, "give this recording's log with --journal PATH",
			 "%s is not the log of %s: its frame %" PRIu64
			 " is not of the log's format "
			 "and size (nothing was changed)",
			 journal, a->file, res->bad_frame);
		return EXIT_SETUP;
	case -EBADMSG:
		tool_err(a->tool, 0,
			 "it must start with \"vcj 1\" and list its frames in file order",
			 "%s: not a valid journal (nothing was changed)", journal);
		return EXIT_SETUP;
	case -ENODATA:
		tool_err(a->tool, 0, NULL, "%s: no journaled frame is inside %s", journal, a->file);
		return EXIT_SETUP;
	case -ENOMSG:
		tool_err(a->tool, 0,
			 "recovery needs the capture log vcap writes next to the file; if it is "
			 "elsewhere, give it with --journal PATH",
			 "%s: %s %s, and the file does not describe itself (not from vcap, or "
			 "cut short)", a->file, journal,
			 res->log_err == -EBADMSG ? "is not a valid capture log" : "is missing");
		return EXIT_SETUP;
	case -EOPNOTSUPP:
		tool_err(a->tool, 0, "give the log with --journal PATH",
			 "%s: %s %s, and a recording with sound needs it (its chunks vary in size)",
			 a->file, journal,
			 res->log_err == -EBADMSG ? "is not a valid capture log" : "is missing");
		return EXIT_SETUP;
	case -ELOOP:
		if (refused_link(a, journal))
			return EXIT_SETUP;
		break; /* a loop of links above them: said as it is */
	}
	tool_err(a->tool, ret, NULL, "recovering %s", a->file);
	return ret == -ENOENT || ret == -EACCES || ret == -ELOOP ? EXIT_SETUP : EXIT_FAILURE_RUN;
}

/* Which of the two is missing, named, before anything is tried. */
static int check_inputs(const struct args *a, const char *journal)
{
	if (access(a->file, F_OK) < 0) {
		tool_err(a->tool, errno, NULL, "%s", a->file);
		return -1;
	}
	if (a->journal && access(journal, F_OK) < 0) {
		tool_err(a->tool, errno, NULL, "%s, the capture log of %s", journal, a->file);
		return -1;
	}
	return 0; /* without its log beside it, the file may describe itself */
}

static int cmd_recover(const struct args *a)
{
	struct mov_recover_result res;
	char jpath[4096], hb[32];
	const char *journal = a->journal;
	int ret;

	if (!journal) {
		if (mov_journal_path(a->file, jpath, sizeof(jpath)) < 0) {
			tool_err(a->tool, ENAMETOOLONG, NULL, "%s", a->file);
			return EXIT_USAGE;
		}
		journal = jpath;
	}
	if (check_inputs(a, journal) < 0)
		return EXIT_SETUP;
	ret = mov_recover(a->file, journal, a->force, &res);
	if (ret == -EEXIST)
		return already_done(a, &res);
	if (ret < 0)
		return recover_failed(a, journal, ret, &res);
	printf("recovered %" PRIu64 " %s", res.frames, tool_plural(res.frames, "frame", "frames"));
	if (res.dropped)
		printf(" (%" PRIu64 " journaled %s past the end of the file left out)", res.dropped,
		       tool_plural(res.dropped, "frame", "frames"));
	if (res.audio_samples || res.audio_dropped)
		printf(", %" PRIu64 " samples of sound", res.audio_samples);
	if (res.audio_dropped)
		printf(" (%" PRIu64 " journaled past the end of the file left out)",
		       res.audio_dropped);
	printf("; %s is now %" PRIu64 " bytes (%s)\n", a->file, res.size,
	       dio_human_bytes(res.size, hb, sizeof(hb)));
	if (res.checked)
		printf("checked %" PRIu64 " %s against the log's md5s\n", res.checked,
		       tool_plural(res.checked, "frame", "frames"));
	if (res.from_file)
		printf("from the file alone (%s %s): the frames %s, in file order, one frame period "
		       "each; drops, fills and timestamps are not known and no md5 checked them\n",
		       journal,
		       res.log_err == -EBADMSG ? "is not a valid capture log"
		       : res.log_err	       ? "is missing"
					       : "logs none of the frames written",
		       res.by_extents ? "the filesystem says were written (FIEMAP)"
				      : "the file's size holds (no FIEMAP here: less sure)");
	if (res.not_durable)
		printf("left out %" PRIu64 " journaled %s written after the last durability point "
		       "and not on disk (a power cut); the log promised %" PRIu64 "\n",
		       res.not_durable, tool_plural(res.not_durable, "frame", "frames"),
		       res.durable);
	write_sidecar(a, journal, &res);
	free(res.md5);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct tool t = { .name = prog };
	struct args a = { .tool = &t };
	int ret;

	av_log_set_level(AV_LOG_QUIET); /* errors are reported once, in vmov's own words */
	ret = parse_args(argc, argv, &a);
	t.json = a.json;
	if (ret < 0)
		return tool_exit(&t, EXIT_USAGE);
	/* no JSON summary to say a failure in: tool_exit says the error, if there was one */
	if (!strcmp(a.cmd, "info"))
		return tool_exit(&t, cmd_info(&a));
	if (!strcmp(a.cmd, "verify"))
		return tool_exit(&t, cmd_verify(&a));
	if (!strcmp(a.cmd, "recover"))
		return tool_exit(&t, cmd_recover(&a));
	if (!strcmp(a.cmd, "report"))
		return tool_exit(&t, vm_report(&(struct vm_report_args){ .tool = &t,
									 .file = a.file,
									 .out = a.out,
									 .journal = a.journal,
									 .json = a.json,
									 .force = a.force,
									 .no_stats = a.no_stats,
									 .thumb_every =
									     a.thumb_every }));
	tool_err(&t, 0, "the commands are info, verify, recover and report",
		 "unknown command '%s'", a.cmd);
	return tool_exit(&t, EXIT_USAGE);
}
