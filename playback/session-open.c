/* Setting a play session up: the input and its index, the frames to play, the read-ahead, the
 * sink and the md5 sidecar. Each refusal is one error event whose words name what the user
 * gave (the file, the start, the output) and what to do about it. */

#include "play-internal.h"

#include <ctype.h>
#include <errno.h>
#include <libavutil/md5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR PLAY_EVENT_ERROR

/* A file the player cannot read that vmov recover can rebuild: it has a capture log. */
#define RECOVER_HINT "it has a capture log: if its recording was killed, run vmov recover"

static const char *frames_word(uint64_t n)
{
	return n == 1 ? "frame" : "frames";
}

static int open_input(struct play_session *s)
{
	const char *in = s->c->in;
	struct mov_info *info = &s->st.info;
	char why[160], tag[5];
	int ret = mov_reader_open(in, &s->mr, why, sizeof(why));

	if ((ret == -EINVAL || ret == -ENODATA) && mov_journal_exists(in))
		play_session_say(s, ERR, 0, RECOVER_HINT, "%s: %s", in, why);
	else if (ret < 0 && why[0])
		play_session_say(s, ERR, 0, NULL, "%s: %s", in, why);
	else if (ret < 0)
		play_session_say(s, ERR, ret, NULL, "%s", in);
	if (ret < 0)
		return ret;
	mov_reader_info(s->mr, info);
	if (!info->format) {
		play_session_say(s, ERR, 0,
				 "vplay plays uncompressed video such as UYVY, v210, RGB",
				 "%s: sample format '%s' (%s) is not one vplay can play", in,
				 mov_fourcc_str(info->tag, tag), info->codec);
		return -ENOTSUP;
	}
	return 0;
}

/* The file's first and last labels, and its breaks: what a refused start can choose from. */
static void tc_range(struct play_session *s, char *buf, size_t len)
{
	char last[16] = "";
	uint64_t n = mov_reader_count(s->mr);

	mov_reader_timecode(s->mr, n - 1, last, sizeof(last));
	snprintf(buf, len, "its timecode runs %s to %s%s", s->st.info.timecode, last,
		 s->st.info.timecode_breaks ? ", with breaks: vmov info counts them" : "");
}

/* The start as a timecode: the first frame the timecode track labels so. */
static int start_from_tc(struct play_session *s, const char *tc, uint64_t *ret)
{
	const struct mov_info *in = &s->st.info;
	bool drop = play_timecode_is_drop(in->timecode);
	const char *why = "HH:MM:SS:FF";
	char range[96];
	int err = mov_reader_find_timecode(s->mr, tc, ret);

	if (err == 0)
		return 0;
	if (err == -ENOENT) {
		play_session_say(s, ERR, 0, "give --start as a frame number",
				 "--start %s: %s has no timecode track", tc, s->c->in);
	} else if (err == -EDOM) {
		play_session_say(s, ERR, 0, drop ? "write it HH:MM:SS;FF" : "write it HH:MM:SS:FF",
				 "--start %s: the file's timecode %s is %sdrop-frame", tc,
				 in->timecode, drop ? "" : "non-");
	} else if (err == -ESRCH) {
		tc_range(s, range, sizeof(range));
		play_session_say(s, ERR, 0, range, "--start %s: no frame of %s has that timecode",
				 tc, s->c->in);
	} else {
		mov_timecode_check(tc, in->rate_num, in->rate_den, &why);
		play_session_say(s, ERR, 0, NULL,
				 "invalid --start '%s' at %u/%u frames per second: %s", tc,
				 in->rate_num, in->rate_den, why);
	}
	return -EDOM;
}

/* The start as a frame number: digits, up to 4000000000. */
static int start_from_number(struct play_session *s, const char *arg, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)*arg) ? strtoull(arg, &end, 10) : ULLONG_MAX;
	if (v == ULLONG_MAX || errno || *end || v > 4000000000u) {
		play_session_say(s, ERR, 0, "a frame number from 0, or a timecode HH:MM:SS:FF",
				 "invalid --start '%s'", arg);
		return -EDOM;
	}
	*ret = v;
	return 0;
}

static int plan_range(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	uint64_t n = mov_reader_count(s->mr), first = 0;
	int ret = 0;

	if (c->start && strpbrk(c->start, ":;."))
		ret = start_from_tc(s, c->start, &first);
	else if (c->start)
		ret = start_from_number(s, c->start, &first);
	if (ret < 0)
		return ret;
	if (first >= n) {
		play_session_say(s, ERR, 0, NULL, "--start %s: %s has %llu %s (0 to %llu)",
				 c->start, c->in, (unsigned long long)n, frames_word(n),
				 (unsigned long long)n - 1);
		return -EDOM;
	}
	s->st.range = (struct play_range){ .first = first, .count = n - first, .loops = c->loops };
	if (c->frames && c->frames < n - first)
		s->st.range.count = c->frames;
	else if (c->frames && c->frames > n - first)
		play_session_say(s, PLAY_EVENT_NOTE, 0, NULL,
				 "-n %llu: only %llu %s from frame %llu to the end",
				 (unsigned long long)c->frames, (unsigned long long)(n - first),
				 frames_word(n - first), (unsigned long long)first);
	s->st.total = c->loops ? s->st.range.count * c->loops : 0;
	return 0;
}

/* Frames held: batch x (depth + 1), or enough for latency_ms at the file's rate plus the
 * preroll, in whole batches; buffers overrides both. */
static unsigned slots_for(const struct play_session_config *c, const struct mov_info *in)
{
	uint64_t n = (uint64_t)c->batch * (c->depth + 1);

	if (c->buffers)
		n = c->buffers;
	else if (in->rate_num && in->rate_den) {
		uint64_t ahead = ((uint64_t)c->latency_ms * in->rate_num + 999ull * in->rate_den) /
				 (1000ull * in->rate_den);

		if (ahead + c->preroll > n)
			n = ahead + c->preroll;
	}
	if (!c->buffers)
		n = (n + c->batch - 1) / c->batch * c->batch;
	return n > 65536 ? 65536 : (unsigned)n;
}

static int open_ahead(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	const struct mov_info *in = &s->st.info;
	struct play_ahead_opts o = {
		.frame_size = in->frame_size,
		.nslots = slots_for(c, in),
		.batch = c->batch,
		.depth = c->depth,
		.tb_num = in->tb_num,
		.tb_den = in->tb_den,
		.rate_num = in->rate_num,
		.rate_den = in->rate_den,
	};
	int ret;

	ret = play_ahead_open(c->in, mov_reader_samples(s->mr), mov_reader_count(s->mr),
			      &s->st.range, &o, &s->ahead);
	if (ret == -ENODATA)
		play_session_say(s, ERR, 0,
				 mov_journal_exists(c->in) ? RECOVER_HINT : "a truncated file",
				 "%s: the index points past the end of the file", c->in);
	else if (ret < 0)
		play_session_say(s, ERR, ret,
				 ret == -ENOMEM ? "lower --buffers or --latency" : NULL,
				 "reading %s with %u frame buffers", c->in, o.nslots);
	s->st.nslots = o.nslots;
	return ret;
}

static const char *sink_hint(const struct play_session_config *c, int err)
{
	if (err == -EEXIST)
		return "use --force to replace it, or another name";
	if (err == -ENOTTY)
		return "pipe it into a program, e.g. | ffmpeg -f rawvideo ... -i -";
	if (err == -ENOENT && !strcmp(c->sink, "kms"))
		return "no DRM card under /dev/dri with that connector: the connectors are "
		       "/sys/class/drm/card*-*; is a DRM driver loaded?";
	if (err == -ENOENT && strcmp(c->sink, "file"))
		return "check the device name";
	if (err == -EOPNOTSUPP)
		return "drop --zero-copy to let the output copy frames";
	return NULL;
}

/* Frames away from page boundaries in the file land at a skew in their slots: a device sink
 * that hands slots over as dmabufs must know before it sets its buffers up. */
static bool frames_skewed(const struct play_session *s)
{
	const struct mov_sample *smp = mov_reader_samples(s->mr);
	uint64_t n = mov_reader_count(s->mr);

	for (uint64_t i = 0; i < n; i++)
		if (smp[i].offset % DIO_PAGE)
			return true;
	return false;
}

static void say_sink_error(struct play_session *s, int ret)
{
	const struct play_session_config *c = s->c;
	const struct mov_info *in = &s->st.info;

	if (ret == -ENOTTY && !strcmp(c->target, "-"))
		play_session_say(s, ERR, 0, sink_hint(c, ret), "-o -: stdout is a terminal");
	else if (ret == -EINVAL)
		play_session_say(s, ERR, 0,
				 "the device cannot take this format; convert the file "
				 "or pick another output",
				 "-o %s: %ux%u %s %s", c->output, in->width, in->height,
				 mov_format_name(in->format), mov_field_name(in->field));
	else if (ret == -ERANGE && !strcmp(c->sink, "kms"))
		play_session_say(s, ERR, 0,
				 "frames are shown at their own size: the connector's modes are "
				 "in /sys/class/drm/card*-CONNECTOR/modes",
				 "-o %s: no display mode %ux%u%s%s", c->output, in->width,
				 in->height, c->mode ? " matching --mode " : "",
				 c->mode ? c->mode : "");
	else
		play_session_say(s, ERR, ret, sink_hint(c, ret), "-o %s",
				 !strcmp(c->output, "-") ? "- (stdout)" : c->output);
}

/* A device or a fifo (/dev/null, a named pipe): an output written as it is, by -o or --md5
 * alike, with nothing there to replace, so it needs no --force (check_output). Not a symbolic
 * link to one: a link is never written through (dio_create), whatever it names. */
bool play_special_file(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode) &&
	       !S_ISLNK(sb.st_mode);
}

static int open_sink(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	const struct mov_info *in = &s->st.info;
	struct play_config cfg = {
		.format = in->format,
		.width = in->width,
		.height = in->height,
		.stride = in->stride,
		.rate_num = in->rate_num,
		.rate_den = in->rate_den,
		.field = in->field,
		.target = c->target,
		.mode = c->mode,
		.preroll = c->preroll,
		.paced = s->st.paced,
		.zero_copy = c->zero_copy,
		.force = c->force || (!strcmp(c->sink, "file") && strcmp(c->target, "-") &&
				      play_special_file(c->target)),
		.skewed = frames_skewed(s),
	};
	int ret = s->ops->open(&cfg, play_ahead_slab(s->ahead), &s->sink);

	if (ret < 0)
		say_sink_error(s, ret);
	return ret;
}

/* Where path is or would be: its directory resolved, then its name (for two paths of which
 * neither exists yet). */
static void place_of(const char *path, char *buf, size_t len)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	if (!realpath(dir, real))
		snprintf(real, sizeof(real), "%s", dir);
	snprintf(buf, len, "%s/%s", real, slash ? slash + 1 : path);
}

/* The same file: the same inode when both exist, else the same place. */
bool play_same_file(const char *a, const char *b)
{
	char pa[2 * PATH_MAX], pb[2 * PATH_MAX];
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	place_of(a, pa, sizeof(pa));
	place_of(b, pb, sizeof(pb));
	return !strcmp(pa, pb);
}

/* What an output path names (-o FILE, --md5 FILE), checked before anything is created: never
 * the file being played, nor the other output (both would be truncated before a frame is
 * read), nor a directory; an existing regular file only with force. A device or a fifo
 * (/dev/null, a named pipe) is written as it is: nothing there is replaced. A symbolic link
 * is never written through: refused as an existing file is, and with force the link itself
 * is replaced by the new file (dio_create), what it names left alone. */
int play_session_check_output(struct play_session *s, const char *opt, const char *path,
			      const char *other_opt, const char *other)
{
	const struct play_session_config *c = s->c;
	struct stat sb;

	if (play_same_file(path, c->in)) {
		play_session_say(s, ERR, 0, "give the output its own name",
				 "%s %s: the file being played", opt, path);
		return -EINVAL;
	}
	if (play_special_file(path))
		return 0; /* written as it is, also by both outputs */
	if (other && play_same_file(path, other)) {
		play_session_say(s, ERR, 0, "give each output its own name",
				 "%s %s: the same file as %s %s", opt, path, other_opt, other);
		return -EINVAL;
	}
	if (lstat(path, &sb) < 0)
		return 0; /* nothing there */
	if (S_ISLNK(sb.st_mode) && !c->force) {
		play_session_say(s, ERR, 0,
				 "use --force to replace the link itself, not what it names, or "
				 "another name",
				 "%s %s: a symbolic link", opt, path);
		return -EEXIST;
	}
	if (S_ISDIR(sb.st_mode)) {
		play_session_say(s, ERR, 0,
				 !strcmp(opt, "--md5")		 ? "--md5 takes a file path, e.g. DIR/take.md5"
				 : !strcmp(opt, "--audio-file") ? "--audio-file takes a file path, "
								  "e.g. DIR/take.wav"
								: "-o takes a file path, e.g. DIR/take.raw",
				 "%s %s: a directory", opt, path);
		return -EISDIR;
	}
	if (S_ISREG(sb.st_mode) && !c->force) {
		play_session_say(s, ERR, -EEXIST, "use --force to replace it, or another name",
				 "%s", path);
		return -EEXIST;
	}
	return 0;
}

/* Refusals that must come before anything is read or created. */
static int check_outputs(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	bool file = !strcmp(c->sink, "file") && strcmp(c->target, "-");
	int ret = 0;

	if (!s->ops) {
		play_session_say(s, ERR, 0, "outputs in this build are listed by --help",
				 "-o %s: this build has no %s output", c->output, c->sink);
		return -ENODEV;
	}
	if (file)
		ret = play_session_check_output(s, "-o", c->target, "--md5", c->md5_path);
	if (ret >= 0 && c->md5_path)
		ret = play_session_check_output(s, "--md5", c->md5_path, NULL, NULL);
	if (ret < 0)
		return ret;
	s->st.paced = c->paced >= 0 ? c->paced : strcmp(c->sink, "file") != 0;
	if (s->st.paced && (!s->st.info.rate_num || !s->st.info.rate_den)) {
		play_session_say(s, ERR, 0, "use --rate max", "%s has no frame rate to play at",
				 c->in);
		return -EINVAL;
	}
	return 0;
}

static int open_md5(struct play_session *s)
{
	const struct play_session_config *c = s->c;
	int ret;

	if (!c->md5_path)
		return 0;
	s->hash = av_md5_alloc();
	if (!s->hash) {
		play_session_say(s, ERR, -ENOMEM, NULL, "checksumming frames");
		return -ENOMEM;
	}
	ret = mov_framemd5_open(c->md5_path, c->in, c->force || play_special_file(c->md5_path), &s->md5);
	if (ret < 0)
		play_session_say(s, ERR, ret, NULL, "creating %s", c->md5_path);
	return ret;
}

int play_session_setup(struct play_session *s)
{
	int ret;

	s->ops = s->c->sink ? play_sink_find(s->c->sink) : NULL;
	ret = open_input(s);
	if (ret >= 0)
		ret = plan_range(s);
	if (ret >= 0)
		ret = check_outputs(s);
	if (ret >= 0)
		ret = play_sound_open(s);
	if (ret >= 0)
		ret = open_ahead(s);
	if (ret >= 0)
		ret = open_sink(s);
	if (ret >= 0)
		ret = open_md5(s);
	return ret;
}
