/* Fuzz target: a MOV file as vplay and vmov take it, through the public mov_ reader API (and
 * libavformat's mov demuxer under it): open, info, every sample, the timecode of frames and
 * the frame a label finds, vmov verify's structure and md5 checks (which read each sample's
 * bytes), the framemd5 sidecar, the audio reader (open, read, seek), and a play session to the
 * null output, as vplay -o null --rate max plays it.
 *
 * Input: the file's bytes, written to a memfd that every open reaches as /proc/self/fd/N.
 * Sidecars go to a private directory (mkdtemp under TMPDIR), removed at exit. What must hold:
 * a refusal is an -errno with its one line in why; an accepted file has at least one sample,
 * all of one size; a sample past the count is -ERANGE; the label of frame i finds a frame
 * carrying that label, at or before i; audio reads give at most what was asked. */
#include "mov.h"
#include "play.h"

#include <errno.h>
#include <fcntl.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-reader: %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Work that grows with the file's sample count is done for this many samples at most: the
 * rest of a long table is the same code again. */
#define MAX_WALK 4096

static struct {
	int fd;
	char path[64];		  /* /proc/self/fd/N of the memfd */
	char dir[256];		  /* the private directory */
	char md5[300], play[300], wav[300]; /* sidecars in it */
} g = { .fd = -1 };

static void cleanup(void)
{
	unlink(g.md5);
	unlink(g.play);
	unlink(g.wav);
	rmdir(g.dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	av_log_set_level(AV_LOG_QUIET); /* as the tools do */
	/* libavformat's own allocations (its index above all) at 16 MiB each: a damaged count
	 * in a small file has it build an index of hundreds of MB for seconds before the reader
	 * sees it (ffprobe does the same; tests/host/mov-hostile has such a file), which would
	 * slow fuzzing to a crawl. The reader's own allocations are not limited. */
	av_max_alloc(16 << 20);
	g.fd = memfd_create("fuzz-reader.mov", MFD_CLOEXEC);
	snprintf(g.dir, sizeof(g.dir), "%s/vcap-fuzz-reader.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (g.fd < 0 || !mkdtemp(g.dir)) {
		perror("fuzz-reader: setup");
		exit(1);
	}
	snprintf(g.path, sizeof(g.path), "/proc/self/fd/%d", g.fd);
	snprintf(g.md5, sizeof(g.md5), "%s/side.md5", g.dir);
	snprintf(g.play, sizeof(g.play), "%s/play.md5", g.dir);
	snprintf(g.wav, sizeof(g.wav), "%s/play.wav", g.dir);
	atexit(cleanup);
	return 0;
}

static int put_file(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(g.fd, 0) < 0)
		return -errno;
	while (done < size) {
		ssize_t n = pwrite(g.fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* A refusal: an -errno, and for the file's own faults the line the tools print. */
static void refused(int ret, const char *why)
{
	CHECK(ret < 0 && ret > -4096);
	if (ret == -EINVAL || ret == -ENOMEDIUM || ret == -ENODATA || ret == -ENOTSUP ||
	    ret == -EBADMSG || ret == -EFBIG)
		CHECK(why[0] && !strchr(why, '\n'));
}

static void samples(const struct mov_reader *r, const struct mov_info *in)
{
	const struct mov_sample *all = mov_reader_samples(r);
	uint64_t n = mov_reader_count(r);
	struct mov_sample s;

	CHECK(n == in->samples && n >= 1 && all);
	for (uint64_t i = 0; i < n && i < MAX_WALK; i++) {
		CHECK(mov_reader_sample(r, i, &s) == 0);
		CHECK(s.offset == all[i].offset && s.size == all[i].size && s.pts == all[i].pts);
		if (in->format)
			CHECK(s.size == in->frame_size);
	}
	CHECK(mov_reader_sample(r, n, &s) == -ERANGE);
	CHECK(mov_reader_sample(r, UINT64_MAX, &s) == -ERANGE);
	if (in->format)
		CHECK(in->stride && (uint64_t)in->stride * in->height == in->frame_size);
}

/* The label of frame i finds the first frame so labelled: i, or one before it (a label that
 * comes round again after midnight, or a break that goes back). */
static void timecode_of(const struct mov_reader *r, uint64_t i)
{
	char label[16], again[16];
	uint64_t j = UINT64_MAX;
	int ret = mov_reader_timecode(r, i, label, sizeof(label));

	if (ret == -ENOENT || ret == -ERANGE)
		return;
	CHECK(ret == 0);
	if (strlen(label) != 11)
		return; /* over 100 labels a second: FF of 3 digits, no HH:MM:SS:FF to look for */
	CHECK(mov_reader_find_timecode(r, label, &j) == 0);
	CHECK(j <= i);
	CHECK(mov_reader_timecode(r, j, again, sizeof(again)) == 0 && !strcmp(again, label));
}

static void timecodes(const struct mov_reader *r, const struct mov_info *in)
{
	uint64_t n = in->samples, j;

	if (!in->timecode[0]) {
		CHECK(mov_reader_timecode(r, 0, (char[16]){ 0 }, 16) == -ENOENT);
		CHECK(mov_reader_find_timecode(r, "01:00:00:00", &j) == -ENOENT);
		return;
	}
	for (uint64_t i = 0; i < n && i < 64; i++)
		timecode_of(r, i);
	timecode_of(r, n - 1);
	timecode_of(r, n / 2);
	/* labels that may not be there, in either style */
	mov_reader_find_timecode(r, "00:00:00:00", &j);
	mov_reader_find_timecode(r, "23:59:59;29", &j);
	mov_reader_find_timecode(r, "garbage", &j);
}

/* vmov verify: structure, alignment, and every sample's md5 against a sidecar written from
 * the file itself (zero md5s: every frame a mismatch, every read done). */
static void verify(const struct mov_reader *r, const struct mov_info *in)
{
	struct mov_verify_result res;
	uint8_t(*md5)[16];

	CHECK(mov_verify_structure(r, &res) == 0);
	CHECK(res.bad <= in->samples);
	mov_count_aligned(r, 4096);
	mov_count_aligned(r, 1);
	if (in->samples > MAX_WALK)
		return;
	md5 = calloc(in->samples, sizeof(*md5));
	if (!md5)
		return;
	if (mov_framemd5_write(g.md5, g.path, (const uint8_t(*)[16])md5, in->samples, 1) == 0) {
		int ret = mov_verify_md5(r, g.path, g.md5, &res);

		CHECK(ret <= 0 && ret > -4096);
		if (ret == 0)
			CHECK(res.sidecar_frames == in->samples);
	}
	free(md5);
}

/* What vplay's sound does with the file: every PCM track read, from the start and again from
 * a seek. */
static void audio(void)
{
	struct mov_audio_reader *ar;
	struct mov_audio_info ai;
	char why[256] = "";
	uint8_t *buf;
	unsigned sb;
	int64_t got, total = 0;
	int ret = mov_audio_reader_open(g.path, &ar, why, sizeof(why));

	if (ret < 0) {
		refused(ret, why);
		return;
	}
	mov_audio_reader_info(ar, &ai);
	sb = mov_audio_reader_sample_bytes(ar);
	CHECK(ai.tracks >= 1 && ai.channels >= 1 && ai.rate >= 1);
	CHECK(sb == ai.channels * (ai.bits / 8) && sb > 0);
	buf = malloc((size_t)sb * 1024);
	if (!buf)
		goto out;
	while (total < 65536 && (got = mov_audio_reader_read(ar, buf, 1024)) > 0) {
		CHECK(got <= 1024);
		total += got;
	}
	CHECK(got > -4096);
	CHECK(mov_audio_reader_seek(ar, ai.samples + 1) == -ERANGE);
	if (mov_audio_reader_seek(ar, ai.samples / 2) == 0) {
		got = mov_audio_reader_read(ar, buf, 1024);
		CHECK(got <= 1024 && got > -4096);
	}
	if (mov_audio_reader_seek(ar, 0) == 0) {
		got = mov_audio_reader_read(ar, buf, 1);
		CHECK(got <= 1 && got > -4096);
	}
	free(buf);
out:
	mov_audio_reader_free(ar);
}

/* vplay FILE -o null --rate max --md5 ... -n 16, from the first frame's label when the file
 * has one (--start HH:MM:SS:FF), with --audio-file when it has sound */
static void play(const struct mov_info *in)
{
	struct play_session_config c = {
		.in = g.path,
		.sink = "null",
		.target = "null",
		.output = "null",
		.start = in->timecode[0] ? in->timecode : NULL,
		.frames = 16,
		.loops = 1,
		.paced = 0,
		.batch = 4,
		.depth = 2,
		.buffers = 8,
		.md5_path = g.play,
		.force = true,
		.audio_file = in->audio_tracks ? g.wav : NULL,
	};
	struct play_session *s;

	if (play_session_open(&c, NULL, NULL, &s) < 0)
		return;
	play_session_run(s);
	CHECK(play_session_stats(s)->frames <= 16);
	play_session_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mov_reader *r;
	struct mov_info in;
	char why[256] = "";
	int ret;

	if (put_file(data, size) < 0)
		return 0;
	ret = mov_reader_open(g.path, &r, why, sizeof(why));
	if (ret < 0) {
		refused(ret, why);
	} else {
		mov_reader_info(r, &in);
		samples(r, &in);
		timecodes(r, &in);
		verify(r, &in);
		mov_reader_free(r);
		play(&in);
		audio(); /* vplay opens the sound of a file whose pictures it plays */
	}
	return 0;
}
