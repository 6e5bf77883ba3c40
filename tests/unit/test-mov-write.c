/* The MOV writer, reader, journal and recovery on real files.
 *
 * Without arguments: self-checks (PASS/FAIL lines). With --write: a helper for the host tests
 * that writes a file the way the capture tool does (payload with pwrite at aligned offsets,
 * header and moov through mov_writer) and the expected md5 of every frame, one per line. */
#include "mov.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <libavutil/md5.h>

struct job {
	const char *path;
	struct mov_params p;
	unsigned frames;
	uint64_t align;
	unsigned sparse;     /* only every sparse-th frame has data; others are holes (zeros) */
	uint64_t skip_bytes; /* extra gap before frame 1 (tests co64 with few real bytes) */
	const char *md5_path;
	bool journal;
	unsigned kill_after; /* journal this many frames, write a batch more, then SIGKILL */
	unsigned batch;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Distinct content per frame: each row a different byte, shifted by the frame number. */
static void fill(uint8_t *buf, uint64_t size, uint64_t stride, unsigned i)
{
	uint64_t off;
	unsigned row = 0;

	for (off = 0; off < size; off += stride, row++)
		memset(buf + off, (uint8_t)(i * 7 + row + 1), size - off < stride ? size - off : stride);
}

static void md5_hex(const uint8_t *buf, uint64_t size, char out[33])
{
	uint8_t d[16];
	unsigned i;

	av_md5_sum(d, buf, size);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static uint64_t frame_offset(const struct job *jb, uint64_t data_start, unsigned i)
{
	uint64_t slot = align_up(mov_format_frame_size(jb->p.format, jb->p.width, jb->p.height),
				 jb->align);
	uint64_t off = align_up(data_start, jb->align) + (uint64_t)i * slot;

	return i ? off + jb->skip_bytes : off;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0)
			return -errno;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

static bool has_data(const struct job *jb, unsigned i)
{
	return !jb->sparse || i % jb->sparse == 0;
}

/* Journal frames [from, to) whose "batch" has completed. */
static int journal_batch(struct mov_journal *j, const struct job *jb, uint64_t ds, unsigned from,
			 unsigned to, uint64_t size)
{
	unsigned i;
	int ret;

	for (i = from; i < to; i++) {
		struct mov_journal_frame fr = {
			.offset = frame_offset(jb, ds, i), .size = size, .pts = i, .sequence = i,
			.field = 1, .timestamp_ns = 1000000000ull + i * 40000000ull,
		};

		ret = mov_journal_append(j, &fr);
		if (ret < 0)
			return ret;
	}
	return mov_journal_flush(j);
}

static int write_frames(const struct job *jb, int fd, struct mov_writer *w, struct mov_journal *j,
			FILE *md5)
{
	uint64_t size = mov_format_frame_size(jb->p.format, jb->p.width, jb->p.height);
	uint64_t stride = mov_format_stride(jb->p.format, jb->p.width);
	uint64_t ds = mov_writer_data_start(w);
	uint8_t *buf = malloc(size), *zero = calloc(1, size);
	char hex[33], zhex[33];
	unsigned i, done = 0;
	int ret = buf && zero ? 0 : -ENOMEM;

	if (ret == 0)
		md5_hex(zero, size, zhex);
	for (i = 0; ret >= 0 && i < jb->frames; i++) {
		const uint8_t *data = zero;

		if (has_data(jb, i)) {
			fill(buf, size, stride, i);
			ret = pwrite_all(fd, buf, size, frame_offset(jb, ds, i));
			data = buf;
			md5_hex(buf, size, hex);
		}
		if (ret >= 0 && md5)
			fprintf(md5, "%s\n", has_data(jb, i) ? hex : zhex);
		if (ret >= 0 && !jb->kill_after)
			ret = mov_writer_add(w, frame_offset(jb, ds, i), data, size, i);
		if (ret >= 0 && j && (i + 1) % jb->batch == 0 && i + 1 <= jb->kill_after) {
			ret = journal_batch(j, jb, ds, done, i + 1, size);
			done = i + 1;
		}
		if (jb->kill_after && i + 1 == jb->kill_after + jb->batch) {
			if (md5)
				fflush(md5);
			raise(SIGKILL); /* a batch on disk but not journaled, no moov */
		}
	}
	if (ret >= 0 && j && done < jb->frames)
		ret = journal_batch(j, jb, ds, done, jb->frames, size);
	free(buf);
	free(zero);
	return ret;
}

static int run_job(const struct job *jb)
{
	struct mov_journal *j = NULL;
	struct mov_writer *w = NULL;
	uint64_t size = 0;
	char jpath[4096];
	FILE *md5 = NULL;
	int fd, ret;

	fd = open(jb->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	ret = mov_writer_open(fd, &jb->p, &w);
	if (ret >= 0 && jb->journal) {
		mov_journal_path(jb->path, jpath, sizeof(jpath));
		ret = mov_journal_open(jpath, &jb->p, mov_writer_data_start(w), true, &j);
	}
	if (ret >= 0 && jb->md5_path && !(md5 = fopen(jb->md5_path, "w")))
		ret = -errno;
	if (ret >= 0)
		ret = write_frames(jb, fd, w, j, md5);
	if (ret >= 0)
		ret = mov_writer_finish(w, 0, &size);
	if (ret >= 0 && ftruncate(fd, size) < 0)
		ret = -errno;
	if (j)
		ret = ret >= 0 ? mov_journal_close(j, jb->frames, size) : (mov_journal_free(j), ret);
	if (md5)
		fclose(md5);
	mov_writer_free(w);
	close(fd);
	return ret;
}

static int helper(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "write", required_argument, NULL, 'w' },   { "format", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },    { "rate", required_argument, NULL, 'r' },
		{ "frames", required_argument, NULL, 'n' },  { "field", required_argument, NULL, 'F' },
		{ "colour", required_argument, NULL, 'c' },  { "sar", required_argument, NULL, 'a' },
		{ "timecode", required_argument, NULL, 't' }, { "align", required_argument, NULL, 'A' },
		{ "sparse", required_argument, NULL, 'S' },  { "md5", required_argument, NULL, 'm' },
		{ "journal", no_argument, NULL, 'j' },       { "kill-after", required_argument, NULL, 'k' },
		{ "skip", required_argument, NULL, 'K' },    { NULL, 0, NULL, 0 },
	};
	struct job jb = { .p = { .rate_num = 25, .rate_den = 1 }, .frames = 10, .align = 4096,
			  .batch = 4 };
	const char *why = "";
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': jb.path = optarg; break;
		case 'f': jb.p.format = mov_format_find(optarg); break;
		case 's': sscanf(optarg, "%ux%u", &jb.p.width, &jb.p.height); break;
		case 'r': if (sscanf(optarg, "%u/%u", &jb.p.rate_num, &jb.p.rate_den) != 2) jb.p.rate_den = 1; break;
		case 'n': jb.frames = strtoul(optarg, NULL, 0); break;
		case 'F': mov_field_parse(optarg, &jb.p.field); break;
		case 'c': mov_colour_parse(optarg, &jb.p.colour); break;
		case 'a': sscanf(optarg, "%u/%u", &jb.p.sar_num, &jb.p.sar_den); break;
		case 't': jb.p.timecode = optarg; break;
		case 'A': jb.align = strtoull(optarg, NULL, 0); break;
		case 'S': jb.sparse = strtoul(optarg, NULL, 0); break;
		case 'm': jb.md5_path = optarg; break;
		case 'j': jb.journal = true; break;
		case 'k': jb.kill_after = strtoul(optarg, NULL, 0); jb.journal = true; break;
		case 'K': jb.skip_bytes = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (!jb.path || !jb.align || (ret = mov_params_check(&jb.p, &why)) < 0) {
		fprintf(stderr, "test-mov-write: bad job: %s\n", why);
		return 2;
	}
	ret = run_job(&jb);
	if (ret < 0)
		fprintf(stderr, "test-mov-write: %s: %s\n", jb.path, strerror(-ret));
	return ret < 0 ? 1 : 0;
}

/* ---- self-checks ---- */

static char dir[64];

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static struct job small_job(const char *path)
{
	struct job jb = {
		.path = path, .frames = 6, .align = 4096, .batch = 2,
		.p = { .format = mov_format_find("UYVY"), .width = 64, .height = 32,
		       .rate_num = 30000, .rate_den = 1001, .field = MOV_FIELD_TFF,
		       .timecode = "01:00:00;00" },
	};
	return jb;
}

/* Top-level boxes must tile the file exactly: ftyp, wide?, mdat, moov. */
static int box_walk(const char *path, char *types, size_t len)
{
	uint64_t off = 0, size;
	uint8_t h[16];
	struct stat sb;
	int fd = open(path, O_RDONLY);

	types[0] = '\0';
	if (fd < 0 || fstat(fd, &sb) < 0)
		return -errno;
	while (off < (uint64_t)sb.st_size) {
		if (pread(fd, h, 16, off) < 8)
			break;
		size = (uint64_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
		if (size == 1) {
			size = 0;
			for (int i = 8; i < 16; i++)
				size = size << 8 | h[i];
		}
		if (size < 8)
			break;
		snprintf(types + strlen(types), len - strlen(types), "%.4s ", (char *)h + 4);
		off += size;
	}
	close(fd);
	return off == (uint64_t)sb.st_size ? 0 : -EBADMSG;
}

static void test_write_read_aligned(struct t_state *st)
{
	char path[128], types[128];
	struct job jb;
	struct mov_reader *r;
	struct mov_info in;
	struct mov_sample s;
	unsigned i;

	tmp_path(path, sizeof(path), "a.mov");
	jb = small_job(path);
	T_EQ(st, run_job(&jb), 0);
	T_EQ(st, box_walk(path, types, sizeof(types)), 0);
	T_STREQ(st, types, "ftyp wide mdat moov ");
	T_EQ(st, mov_reader_open(path, &r, NULL, 0), 0);
	mov_reader_info(r, &in);
	T_EQ(st, mov_reader_count(r), 6);
	for (i = 0; i < 6; i++) {
		T_EQ(st, mov_reader_sample(r, i, &s), 0);
		T_EQ(st, s.offset, 4096 + i * 4096);
		T_EQ(st, s.size, 64 * 2 * 32);
	}
	T_EQ(st, mov_reader_sample(r, 6, &s), -ERANGE);
	mov_reader_free(r);
	T_STREQ(st, mov_format_name(in.format), "UYVY");
	T_EQ(st, in.field, MOV_FIELD_TFF);
	T_STREQ(st, in.timecode, "01:00:00;00");
	T_EQ(st, in.primaries, 6);
	T_EQ(st, in.rate_num * 1001ull, in.rate_den * 30000ull);
}

static void test_writer_rejects_bad_frames(struct t_state *st)
{
	struct job jb = small_job("unused");
	struct mov_writer *w;
	uint8_t buf[4096] = { 0 };
	int fd = memfd_create("t", 0);

	T_ASSERT(st, fd >= 0);
	T_EQ(st, mov_writer_open(fd, &jb.p, &w), 0);
	T_EQ(st, mov_writer_add(w, 0, buf, 4096, 0), -EINVAL);       /* over the header */
	T_EQ(st, mov_writer_add(w, 8192, buf, 4095, 0), -EINVAL);    /* wrong size */
	T_EQ(st, mov_writer_add(w, 8192, buf, 4096, 0), 0);
	T_EQ(st, mov_writer_add(w, 8192 + 4095, buf, 4096, 1), -EINVAL); /* overlaps */
	T_EQ(st, mov_writer_add(w, 16384, buf, 4096, 0), -EINVAL);   /* pts not increasing */
	T_EQ(st, mov_writer_add(w, 16384, buf, 4096, 3), 0);         /* gap: dropped frames */
	T_EQ(st, mov_writer_finish(w, 100, NULL), -EINVAL);          /* moov over a frame */
	T_EQ(st, mov_writer_count(w), 2);
	mov_writer_free(w);
	close(fd);
}

/* A repeat of the previous frame (a filled drop) is indexed at the same offset. */
static void test_writer_repeat(struct t_state *st)
{
	struct job jb = small_job("unused");
	struct mov_writer *w;
	struct mov_reader *r;
	struct mov_sample s;
	uint8_t buf[4096] = { 0 };
	char path[] = "/tmp/vcap-repeat-XXXXXX";
	uint64_t size;
	int fd = mkstemp(path);

	T_ASSERT(st, fd >= 0);
	T_EQ(st, mov_writer_open(fd, &jb.p, &w), 0);
	T_EQ(st, mov_writer_add(w, 8192, buf, 4096, 0), 0);
	T_EQ(st, mov_writer_add(w, 8192, NULL, 4096, 1), 0);	   /* the repeat */
	T_EQ(st, mov_writer_add(w, 8192, NULL, 4096, 1), -EINVAL); /* pts must still grow */
	T_EQ(st, mov_writer_add(w, 12288, buf, 4096, 2), 0);
	T_EQ(st, mov_writer_add(w, 8192, NULL, 4096, 3), -EINVAL); /* not the last frame */
	T_EQ(st, mov_writer_finish(w, 0, &size), 0);
	mov_writer_free(w);
	T_EQ(st, ftruncate(fd, size), 0);
	close(fd);
	T_EQ(st, mov_reader_open(path, &r, NULL, 0), 0);
	unlink(path);
	T_EQ(st, mov_reader_count(r), 3);
	T_EQ(st, mov_reader_sample(r, 1, &s), 0);
	T_EQ(st, s.offset, 8192);
	T_EQ(st, mov_reader_sample(r, 2, &s), 0);
	T_EQ(st, s.offset, 12288);
	mov_reader_free(r);
}

static void test_bad_params_refused(struct t_state *st)
{
	struct job jb = small_job("unused");
	struct mov_writer *w = NULL;
	const char *why = NULL;

	jb.p.rate_num = 25;
	jb.p.rate_den = 1; /* drop-frame timecode at 25 fps */
	T_EQ(st, mov_params_check(&jb.p, &why), -EINVAL);
	T_ASSERT(st, why && strstr(why, "drop-frame"));
	T_EQ(st, mov_writer_open(0, &jb.p, &w), -EINVAL);
	T_ASSERT(st, w == NULL);
}

/* A frame past 4 GiB: co64 and a 64-bit mdat header, with a sparse file. */
static void test_over_4gib(struct t_state *st)
{
	char path[128], types[128];
	struct job jb;
	struct mov_reader *r;
	struct mov_sample s;

	tmp_path(path, sizeof(path), "big.mov");
	jb = small_job(path);
	jb.frames = 3;
	jb.skip_bytes = 5ull << 30;
	if (run_job(&jb) == -EFBIG)
		T_SKIP(st, "filesystem of $TMPDIR cannot hold a 5 GiB sparse file");
	T_EQ(st, box_walk(path, types, sizeof(types)), 0);
	T_STREQ(st, types, "ftyp mdat moov "); /* wide became the 64-bit mdat header */
	T_EQ(st, mov_reader_open(path, &r, NULL, 0), 0);
	T_EQ(st, mov_reader_count(r), 3);
	T_EQ(st, mov_reader_sample(r, 2, &s), 0);
	T_EQ(st, s.offset, 4096 + 2 * 4096 + (5ull << 30));
	mov_reader_free(r);
	unlink(path);
}

static void test_recover_after_kill(struct t_state *st)
{
	char path[128], jpath[160];
	struct mov_recover_result res;
	struct mov_reader *r;
	struct mov_sample s;
	struct job jb;
	pid_t pid;
	int status;

	tmp_path(path, sizeof(path), "k.mov");
	jb = small_job(path);
	jb.frames = 20;
	jb.kill_after = 8; /* 8 journaled, 2 more on disk only */
	jb.journal = true;
	pid = fork();
	T_ASSERT(st, pid >= 0);
	if (pid == 0)
		_exit(run_job(&jb) < 0 ? 1 : 0);
	T_EQ(st, waitpid(pid, &status, 0), pid);
	T_ASSERT(st, WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	T_ASSERT(st, mov_reader_open(path, &r, NULL, 0) < 0); /* no moov */
	T_EQ(st, mov_recover(path, NULL, false, &res), 0);
	T_EQ(st, res.frames, 8);
	T_EQ(st, res.was_complete, 0);
	free(res.md5);
	T_EQ(st, mov_reader_open(path, &r, NULL, 0), 0);
	T_EQ(st, mov_reader_count(r), 8);
	T_EQ(st, mov_reader_sample(r, 7, &s), 0);
	T_EQ(st, s.offset, 4096 + 7 * 4096);
	mov_reader_free(r);
	/* second time: the journal says it is complete */
	T_EQ(st, mov_recover(path, NULL, false, &res), -EEXIST);
	T_EQ(st, res.was_recovered, 1);
	T_EQ(st, mov_recover(path, NULL, true, &res), 0);
	T_EQ(st, res.frames, 8);
	free(res.md5);
	mov_journal_path(path, jpath, sizeof(jpath));
	unlink(jpath);
	/* without its log the file is judged alone: its index is whole */
	T_EQ(st, mov_recover(path, NULL, false, &res), -EEXIST);
	T_EQ(st, res.log_err, -ENOENT);
	T_EQ(st, res.was_complete, 1);
}

static void test_reader_refuses_non_mov(struct t_state *st)
{
	char path[128];
	struct mov_reader *r;
	FILE *f;

	tmp_path(path, sizeof(path), "junk.mov");
	f = fopen(path, "w");
	T_ASSERT(st, f);
	fputs("this is not a quicktime file at all, not even close\n", f);
	fclose(f);
	T_ASSERT(st, mov_reader_open(path, &r, NULL, 0) < 0);
	T_EQ(st, mov_reader_open("/nonexistent/x.mov", &r, NULL, 0), -ENOENT);
}

static void rm_dir(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	struct t_state st = { 0 };
	const char *tmp = getenv("TMPDIR");

	av_log_set_level(AV_LOG_ERROR);
	if (argc > 1)
		return helper(argc, argv);
	av_log_set_level(AV_LOG_QUIET); /* the checks provoke parse errors on purpose */
	snprintf(dir, sizeof(dir), "%s/test-mov-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("cannot make a temporary directory\n");
		return 77;
	}
	T_RUN(&st, test_write_read_aligned);
	T_RUN(&st, test_writer_rejects_bad_frames);
	T_RUN(&st, test_writer_repeat);
	T_RUN(&st, test_bad_params_refused);
	T_RUN(&st, test_over_4gib);
	T_RUN(&st, test_recover_after_kill);
	T_RUN(&st, test_reader_refuses_non_mov);
	rm_dir();
	return T_EXIT(&st);
}
