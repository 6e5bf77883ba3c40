/* Fuzz target: vmov recover, the capture log against the file it rebuilds (mov/recover.c,
 * mov/journal.c: mov_recover, mov_recover_sidecar, mov_journal_key, mov_lock_take).
 *
 * Input: the journal's text, a NUL, then the MOV's bytes (as kill -9 leaves a recording: no
 * moov); without a NUL, the journal against a fixed MOV made once at start (16x8 UYVY frames
 * at 4096, 8192, ... after a header, from the writer vcap uses). Both are written to a private
 * directory (mkdtemp under TMPDIR); a journal's "sidecar" line is pointed into it, so that
 * nothing outside can be written. What must hold: a refusal leaves the file and its journal
 * byte for byte as they were; a recovery gives a file the reader opens with the frames it
 * says, sized as it says, complete to a second run; nothing but the file, its journal and
 * the sidecar appears in the directory. */
#include "mov.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-recover: %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FIXED_FRAMES 4

static struct {
	char dir[256], mov[300], log[300], side[300];
	uint8_t *fixed; /* the MOV used when the input has no NUL */
	size_t fixed_len;
} g;

static void cleanup(void)
{
	unlink(g.mov);
	unlink(g.log);
	unlink(g.side);
	rmdir(g.dir);
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)data + done, len - done);

		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		done += (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* The whole file into *ret (malloc'd), its length into *ret_len. */
static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !(buf = malloc(sb.st_size ? sb.st_size : 1))) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, sb.st_size, 0);
	close(fd);
	if (n != sb.st_size) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = sb.st_size;
	return 0;
}

/* A recording killed after FIXED_FRAMES frames, made by the index writer vcap uses. */
static void make_fixed(void)
{
	struct mov_params p = { .format = mov_format_find("UYVY"),
				.width = 16,
				.height = 8,
				.rate_num = 25,
				.rate_den = 1 };
	struct mov_writer *w;
	uint8_t frame[256];
	int fd = open(g.mov, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || mov_writer_open(fd, &p, &w) < 0) {
		fprintf(stderr, "fuzz-recover: making the fixed MOV failed\n");
		exit(1);
	}
	for (unsigned i = 0; i < FIXED_FRAMES; i++) {
		memset(frame, 16 * i + 1, sizeof(frame));
		if (pwrite(fd, frame, sizeof(frame), 4096 * (i + 1)) != sizeof(frame) ||
		    mov_writer_add(w, 4096 * (i + 1), frame, sizeof(frame), i) < 0)
			exit(1);
	}
	mov_writer_free(w); /* never finished: no moov, as after kill -9 */
	close(fd);
	if (read_file(g.mov, &g.fixed, &g.fixed_len) < 0)
		exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	av_log_set_level(AV_LOG_QUIET);
	snprintf(g.dir, sizeof(g.dir), "%s/vcap-fuzz-recover.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g.dir)) {
		perror("fuzz-recover: mkdtemp");
		exit(1);
	}
	snprintf(g.mov, sizeof(g.mov), "%s/x.mov", g.dir);
	snprintf(g.log, sizeof(g.log), "%s/x.mov.vcj", g.dir);
	snprintf(g.side, sizeof(g.side), "%s/side.md5", g.dir);
	atexit(cleanup);
	make_fixed();
	return 0;
}

/* The journal with every "sidecar" line naming g.side: recovery writes where the journal
 * says, and a fuzzed path could be anywhere. */
static char *confine(const uint8_t *text, size_t len, size_t *ret_len)
{
	char *out = malloc(len * 2 + strlen(g.side) * (len / 8 + 1) + 1);
	size_t o = 0, i = 0;

	if (!out)
		return NULL;
	while (i < len) {
		const uint8_t *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) + 1 : len - i;

		if (l >= 8 && !memcmp(text + i, "sidecar ", 8))
			o += (size_t)sprintf(out + o, "sidecar %s%s", g.side, nl ? "\n" : "");
		else
			memcpy(out + o, text + i, l), o += l;
		i += l;
	}
	*ret_len = o;
	return out;
}

/* Only the file, its journal and the sidecar are in the directory. */
static void only_our_files(void)
{
	DIR *d = opendir(g.dir);
	struct dirent *e;

	CHECK(d);
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		CHECK(!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "x.mov") ||
		      !strcmp(n, "x.mov.vcj") || !strcmp(n, "side.md5"));
	}
	closedir(d);
}

static void same_as(const char *path, const void *data, size_t len)
{
	uint8_t *now;
	size_t n;

	CHECK(read_file(path, &now, &n) == 0);
	CHECK(n == len && !memcmp(now, data, len));
	free(now);
}

static void keys(void)
{
	static const char *const names[] = { "vcj",	 "format",     "size", "rate",
					     "timecode", "data_start", "pid",  "recording",
					     "sidecar",	 "audio" };
	char buf[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = i % 2 ? 8 : sizeof(buf);
		int ret = mov_journal_key(g.log, names[i], buf, len);

		CHECK(ret == 0 || ret == -ENOENT || ret == -ENAMETOOLONG);
		if (ret == 0)
			CHECK(strlen(buf) < len && !strchr(buf, '\n'));
	}
}

/* A recovered file: readable, of the frames and size said (or empty, from a log without
 * frames), complete to a second run. */
static void recovered(const struct mov_recover_result *res)
{
	struct mov_recover_result again;
	struct mov_sidecar_result side;
	struct mov_reader *r;
	struct stat sb;
	char why[256] = "";
	int ret;

	CHECK(stat(g.mov, &sb) == 0 && (uint64_t)sb.st_size == res->size);
	if (res->frames) {
		CHECK(mov_reader_open(g.mov, &r, why, sizeof(why)) == 0);
		CHECK(mov_reader_count(r) == res->frames);
		mov_reader_free(r);
	} else { /* a log killed before its first frame: the empty MOV vcap leaves then */
		CHECK(!res->from_file && !res->audio_samples);
		ret = mov_reader_open(g.mov, &r, why, sizeof(why));
		CHECK(ret == -ENOMEDIUM || ret == -ENODATA); /* libavformat writes no empty track */
	}
	CHECK(mov_recover_sidecar(g.mov, NULL, res, true, &side) == 0 || side.path[0]);
	CHECK(!side.path[0] || !strcmp(side.path, g.side));
	CHECK(mov_recover(g.mov, NULL, false, &again) == -EEXIST);
	CHECK(again.was_complete && again.was_recovered && !again.md5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul ? (size_t)(nul - data) : size, len;
	const uint8_t *mov = nul ? nul + 1 : g.fixed;
	size_t mov_len = nul ? size - jlen - 1 : g.fixed_len;
	struct mov_recover_result res;
	struct mov_lock *lock = NULL;
	bool force = size % 3 == 0;
	char *journal = confine(data, jlen, &len);
	int ret;

	if (!journal)
		return 0;
	unlink(g.side);
	if (write_file(g.mov, mov, mov_len) < 0 || write_file(g.log, journal, len) < 0)
		goto out;
	keys();
	/* now and then while a recording (this process) holds the file */
	if (size % 7 == 0 && mov_lock_take(g.mov, &lock, NULL) < 0)
		lock = NULL;
	ret = mov_recover(g.mov, NULL, force, &res);
	if (lock)
		CHECK(ret == -EBUSY || ret == -ENOENT);
	if (ret < 0) {
		CHECK(ret > -4096 && !res.md5);
		same_as(g.mov, mov, mov_len);
		same_as(g.log, journal, len);
	} else {
		recovered(&res);
		free(res.md5);
	}
	mov_lock_free(lock);
	only_our_files();
out:
	free(journal);
	return 0;
}
