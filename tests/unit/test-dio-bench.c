/* diskio's benchmark on a real file (the build directory's filesystem): what it measures, what
 * it leaves behind, what it says through its events, and how a caller stops it. */
#include "dio.h"
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the events said, for the checks. */
struct said {
	unsigned errors, progress_ends;
	int err;
	char text[256], hint[256];
	unsigned stop_after; /* should_stop's answer turns true on this poll (0: never) */
	unsigned polls;
};

static void on_event(const struct dio_bench_event *ev, void *user)
{
	struct said *s = user;

	if (ev->kind == DIO_BENCH_PROGRESS_END)
		s->progress_ends++;
	if (ev->kind != DIO_BENCH_ERROR)
		return;
	s->errors++;
	s->err = ev->err;
	snprintf(s->text, sizeof(s->text), "%s", ev->text);
	snprintf(s->hint, sizeof(s->hint), "%s", ev->hint ? ev->hint : "");
}

static bool stop_now(void *user)
{
	struct said *s = user;

	return s->stop_after && ++s->polls >= s->stop_after;
}

static const char *build_dir(void)
{
	const char *b = getenv("VCAP_BIN");

	return b && *b ? b : ".";
}

static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s/test-dio-bench.XXXXXX", build_dir());
	if (!mkdtemp(dir))
		abort();
}

static unsigned entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static struct dio_bench_config config(const char *path)
{
	return (struct dio_bench_config){ .path = path, .temp_prefix = "t", .frame_bytes = 10000,
					  .batch = 2, .depth = 2, .bytes = 8 * 20000,
					  .should_stop = stop_now };
}

/* A directory: a temporary file in it, every frame written and read back right, then gone. */
static void bench_measures(struct t_state *t)
{
	struct dio_bench_config c;
	struct dio_bench_result r;
	struct said s = { 0 };
	char dir[PATH_MAX];

	make_dir(dir, sizeof(dir));
	c = config(dir);
	T_EQ(t, dio_bench_run(&c, on_event, &s, &r), 0);
	T_EQ(t, s.errors, 0);
	T_ASSERT(t, r.temporary && !strncmp(r.path, dir, strlen(dir)));
	T_EQ(t, r.slot_bytes, 12288);
	T_EQ(t, r.batch_bytes, 2 * 12288);
	T_EQ(t, r.nbatches, 8);
	T_EQ(t, r.batches_aligned, 8);
	T_ASSERT(t, r.write.done && r.read.done && !r.interrupted);
	T_EQ(t, r.write.frames, 16);
	T_EQ(t, r.write.bytes, 16 * 10000);
	T_EQ(t, r.read.frames, 16);
	T_EQ(t, r.read.bad_frames, 0);
	T_EQ(t, r.write.err | r.read.err, 0);
	T_EQ(t, entries(dir), 0); /* the temporary file went */
	rmdir(dir);
}

/* An existing file without force: -EEXIST, said once with the fix, the file untouched. */
static void bench_refuses_existing(struct t_state *t)
{
	struct dio_bench_config c;
	struct dio_bench_result r;
	struct said s = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct stat st;
	int fd;

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f.dat", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	T_EQ(t, write(fd, "keep", 4), 4);
	close(fd);
	c = config(path);
	T_EQ(t, dio_bench_run(&c, on_event, &s, &r), -EEXIST);
	T_EQ(t, s.errors, 1);
	T_EQ(t, s.err, -EEXIST);
	T_STREQ(t, s.text, path);
	T_STREQ(t, s.hint, "use --force to replace it, or another PATH");
	T_EQ(t, stat(path, &st), 0);
	T_EQ(t, st.st_size, 4);
	unlink(path);
	rmdir(dir);
}

/* should_stop ends the write early: figures so far, no read-back, the file gone. */
static void bench_stops(struct t_state *t)
{
	struct dio_bench_config c;
	struct dio_bench_result r;
	struct said s = { .stop_after = 3 };
	char dir[PATH_MAX];

	make_dir(dir, sizeof(dir));
	c = config(dir);
	c.bytes = 0;
	c.seconds = 60;
	T_EQ(t, dio_bench_run(&c, on_event, &s, &r), 0);
	T_ASSERT(t, r.interrupted && r.write.done && !r.read.done);
	T_EQ(t, r.nbatches, 2); /* two polls said go on */
	T_EQ(t, r.write.frames, 4);
	T_EQ(t, s.errors, 0);
	T_EQ(t, entries(dir), 0);
	rmdir(dir);
}

/* read_only names the file an earlier run kept, never a directory. */
static void bench_read_only_dir(struct t_state *t)
{
	struct dio_bench_config c;
	struct dio_bench_result r;
	struct said s = { 0 };
	char dir[PATH_MAX];

	make_dir(dir, sizeof(dir));
	c = config(dir);
	c.read_only = true;
	T_EQ(t, dio_bench_run(&c, on_event, &s, &r), -EISDIR);
	T_EQ(t, s.errors, 1);
	T_STREQ(t, s.text, dir);
	T_EQ(t, entries(dir), 0);
	rmdir(dir);
}

int main(void)
{
	struct t_state t = { 0 };

	T_RUN(&t, bench_measures);
	T_RUN(&t, bench_refuses_existing);
	T_RUN(&t, bench_stops);
	T_RUN(&t, bench_read_only_dir);
	return T_EXIT(&t);
}
