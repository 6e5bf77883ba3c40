/* diskio: slab layout, writer and reader on a real file (the build directory's filesystem),
 * in each I/O mode. Geometry is set by hand here; probing has its own test. */
#include "dio.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 8];
};

static void fixture_init(struct fixture *f, const char *base)
{
	snprintf(f->dir, sizeof(f->dir), "%s/test-dio.XXXXXX", base);
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->path, sizeof(f->path), "%s/f.dat", f->dir);
}

static void fixture_done(struct fixture *f)
{
	unlink(f->path);
	rmdir(f->dir);
}

static struct dio_geom geom4k(void)
{
	return (struct dio_geom){ .align = 4096, .direct_ok = true, .fs_block = 4096 };
}

/* Fill slot i with bytes derived from (frame, position) so misplacement shows. */
static void fill(struct dio_slab *s, unsigned slot, unsigned frame)
{
	unsigned char *p = dio_slab_slot(s, slot);

	for (size_t i = 0; i < dio_slab_frame_size(s); i++)
		p[i] = (unsigned char)(frame * 131 + i * 7 + (i >> 12));
}

static bool frame_ok(const unsigned char *p, size_t n, unsigned frame)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(frame * 131 + i * 7 + (i >> 12)))
			return false;
	return true;
}

static void slab_layout_page(struct t_state *t)
{
	struct dio_slab *s;

	T_EQ(t, dio_slab_new(4147200, 8, 4096, &s), 0);
	T_EQ(t, dio_slab_slot_size(s), 4149248); /* 1013 pages */
	T_EQ(t, dio_slab_frame_size(s), 4147200);
	T_EQ(t, dio_slab_bytes(s), 8 * 4149248 + 4096);
	for (unsigned i = 0; i < 8; i++) {
		T_EQ(t, (uintptr_t)dio_slab_slot(s, i) % 4096, 0);
		T_EQ(t, (char *)dio_slab_slot(s, i) - (char *)dio_slab_base(s), (size_t)i * 4149248);
	}
	T_ASSERT(t, dio_slab_slot(s, 8) == NULL);
	dio_slab_free(s);
}

static void slab_layout_stripe(struct t_state *t)
{
	struct dio_slab *s;

	/* a 3 x 64 KiB stripe is not a power of two; slots are whole stripes */
	T_EQ(t, dio_slab_new(4147200, 4, 196608, &s), 0);
	T_EQ(t, dio_slab_slot_size(s), 22 * 196608);
	T_EQ(t, dio_slab_bytes(s), 4 * 22 * 196608 + 196608);
	dio_slab_free(s);
	T_EQ(t, dio_slab_new(699840, 2, 393216, &s), 0); /* SD 720x486 UYVY, raid5 4 x 128K */
	T_EQ(t, dio_slab_slot_size(s), 786432);
	dio_slab_free(s);
}

static void slab_sealed(struct t_state *t)
{
	struct dio_slab *s;
	int seals;

	T_EQ(t, dio_slab_new(10000, 2, 0, &s), 0);
	seals = fcntl(dio_slab_memfd(s), F_GET_SEALS);
	T_ASSERT(t, (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) == (F_SEAL_SHRINK | F_SEAL_GROW));
	T_ASSERT(t, !(seals & F_SEAL_WRITE)); /* udmabuf refuses write-sealed memfds */
	T_ASSERT(t, ftruncate(dio_slab_memfd(s), 4096) < 0 && errno == EPERM);
	dio_slab_free(s);
}

static void slab_invalid(struct t_state *t)
{
	struct dio_slab *s = NULL;

	T_EQ(t, dio_slab_new(10000, 2, 1000, &s), -EINVAL);
	T_EQ(t, dio_slab_new(10000, 0, 0, &s), -EINVAL);
	T_EQ(t, dio_slab_new(0, 2, 0, &s), -EINVAL);
	T_ASSERT(t, s == NULL);
	dio_slab_free(NULL);
}

static void slab_dmabuf(struct t_state *t)
{
	struct dio_slab *s;
	int fd;

	T_EQ(t, dio_slab_new(10000, 2, 0, &s), 0);
	fd = dio_slab_dmabuf(s, 1);
	if (fd == -ENODEV) {
		dio_slab_free(s);
		T_SKIP(t, "no /dev/udmabuf on this kernel (the VM rig covers it)");
	}
	T_ASSERT(t, fd >= 0);
	T_EQ(t, dio_slab_dmabuf(s, 1), fd); /* created once, owned by the slab */
	T_EQ(t, dio_slab_dmabuf(s, 2), -EINVAL);
	dio_slab_free(s);
}

/* Write 5 batches of 3 frames through the writer, then check every byte with pread. */
static void roundtrip(struct t_state *t, const char *base, struct dio_opts o, uint64_t align,
		      enum dio_mode want)
{
	struct dio_geom g = geom4k();
	struct fixture f;
	struct dio_slab *s;
	struct dio_writer *w;
	struct dio_done d[16];
	uint64_t off[5];
	unsigned seen = 0;
	size_t slot;
	unsigned char *buf;
	int n, fd;

	g.align = align;
	fixture_init(&f, base);
	T_EQ(t, dio_slab_new(100000, 6, align, &s), 0);
	slot = dio_slab_slot_size(s);
	T_EQ(t, dio_writer_open(f.path, &g, s, &o, &w), 0);
	if (want != DIO_MODE_BUFFERED)
		T_EQ(t, dio_writer_mode(w), want);
	for (unsigned b = 0; b < 5; b++) {
		for (unsigned k = 0; k < 3; k++)
			fill(s, (b % 2) * 3 + k, b * 3 + k);
		T_EQ(t, dio_writer_submit(w, (b % 2) * 3, 3, b, &off[b]), 0);
		T_EQ(t, off[b] % align, 0);
		T_ASSERT(t, b == 0 || off[b] == off[b - 1] + 3 * slot);
		/* the slots of batch b are reused by b + 2: wait for everything in flight */
		while ((n = dio_writer_reap(w, dio_writer_inflight(w), d, 16)) > 0)
			for (int i = 0; i < n; i++) {
				T_EQ(t, d[i].res, 0);
				T_EQ(t, d[i].len, 3 * slot);
				seen |= 1u << d[i].tag;
			}
		T_ASSERT(t, n >= 0);
	}
	T_EQ(t, seen, 0x1f);
	T_EQ(t, dio_writer_finish(w, 0), 0);
	T_EQ(t, dio_writer_end(w) % align, 0);
	dio_writer_free(w);
	buf = malloc(100000);
	fd = open(f.path, O_RDONLY);
	for (unsigned fr = 0; fr < 15; fr++) {
		T_EQ(t, pread(fd, buf, 100000, off[fr / 3] + (fr % 3) * slot), 100000);
		T_ASSERT(t, frame_ok(buf, 100000, fr));
	}
	close(fd);
	free(buf);
	dio_slab_free(s);
	fixture_done(&f);
}

static const char *build_dir(void)
{
	const char *b = getenv("VCAP_BIN");

	return b && *b ? b : ".";
}

static void writer_uring_fixed(struct t_state *t)
{
	roundtrip(t, build_dir(), (struct dio_opts){ .depth = 4 }, 4096, DIO_MODE_URING_FIXED);
}

static void writer_stripe_unit(struct t_state *t)
{
	/* a 3 x 64 KiB stripe: slots of 196608, every frame starts on a stripe */
	roundtrip(t, build_dir(), (struct dio_opts){ .depth = 2 }, 196608, DIO_MODE_URING_FIXED);
}

static void writer_refuses_partial_stripes(struct t_state *t)
{
	struct dio_geom g = geom4k();
	struct fixture f;
	struct dio_slab *s;
	struct dio_writer *w = NULL;

	g.align = 196608;
	fixture_init(&f, build_dir());
	T_EQ(t, dio_slab_new(100000, 2, 4096, &s), 0); /* slots of 102400 */
	T_EQ(t, dio_writer_open(f.path, &g, s, NULL, &w), -EINVAL);
	T_ASSERT(t, w == NULL);
	T_EQ(t, access(f.path, F_OK), -1); /* nothing left behind */
	dio_slab_free(s);
	fixture_done(&f);
}

/* At depth 1 with a write in flight the writer is busy, and a sync still goes out beside the
 * write instead of waiting for it (a paced loop must never wait for the disk to take one). */
static void writer_sync_beside_depth(struct t_state *t)
{
	struct dio_geom g = geom4k();
	struct fixture f;
	struct dio_slab *s;
	struct dio_writer *w;
	struct dio_done d[4];
	uint64_t off;
	unsigned got = 0;
	int n;

	fixture_init(&f, build_dir());
	T_EQ(t, dio_slab_new(100000, 4, 4096, &s), 0);
	T_EQ(t, dio_writer_open(f.path, &g, s, &(struct dio_opts){ .depth = 1 }, &w), 0);
	T_ASSERT(t, !dio_writer_busy(w));
	T_EQ(t, dio_writer_submit(w, 0, 2, 1, &off), 0);
	T_ASSERT(t, dio_writer_busy(w));
	T_EQ(t, dio_writer_submit_sync(w, -1, 2), 0);
	if (dio_writer_mode(w) == DIO_MODE_URING_FIXED || dio_writer_mode(w) == DIO_MODE_URING_VEC)
		T_EQ(t, dio_writer_inflight(w), 2); /* both out: the sync did not wait */
	while (dio_writer_inflight(w) && (n = dio_writer_reap(w, 1, d, 4)) > 0)
		for (int i = 0; i < n; i++) {
			T_EQ(t, d[i].res, 0);
			got |= 1u << d[i].tag;
		}
	T_EQ(t, got, 6);
	T_ASSERT(t, !dio_writer_busy(w));
	T_EQ(t, dio_writer_finish(w, 0), 0);
	dio_writer_free(w);
	dio_slab_free(s);
	fixture_done(&f);
}

static void writer_sync_direct(struct t_state *t)
{
	roundtrip(t, build_dir(), (struct dio_opts){ .depth = 4, .no_uring = true }, 4096,
		  DIO_MODE_SYNC_DIRECT);
}

static void writer_buffered(struct t_state *t)
{
	roundtrip(t, build_dir(), (struct dio_opts){ .depth = 4, .no_direct = true }, 4096,
		  DIO_MODE_BUFFERED);
}

static void writer_tmpfs(struct t_state *t)
{
	if (access("/dev/shm", W_OK))
		T_SKIP(t, "no writable /dev/shm");
	roundtrip(t, "/dev/shm", (struct dio_opts){ .depth = 4 }, 4096, DIO_MODE_BUFFERED);
}

static void writer_never_overwrites(struct t_state *t)
{
	struct dio_geom g = geom4k();
	struct fixture f;
	struct dio_slab *s;
	struct dio_writer *w = NULL;
	struct stat st;
	int fd;

	fixture_init(&f, build_dir());
	fd = open(f.path, O_CREAT | O_WRONLY, 0644);
	T_EQ(t, write(fd, "keep", 4), 4);
	close(fd);
	T_EQ(t, dio_slab_new(8192, 2, 4096, &s), 0);
	T_EQ(t, dio_writer_open(f.path, &g, s, NULL, &w), -EEXIST);
	T_ASSERT(t, w == NULL);
	T_EQ(t, stat(f.path, &st), 0);
	T_EQ(t, st.st_size, 4); /* untouched */
	T_EQ(t, dio_writer_open(f.path, &g, s, &(struct dio_opts){ .force = true }, &w), 0);
	T_EQ(t, dio_writer_finish(w, 0), 0);
	dio_writer_free(w);
	T_EQ(t, stat(f.path, &st), 0);
	T_EQ(t, st.st_size, 0);
	dio_slab_free(s);
	fixture_done(&f);
}

static void writer_finish_size(struct t_state *t)
{
	struct dio_geom g = geom4k();
	struct fixture f;
	struct dio_slab *s;
	struct dio_writer *w;
	struct stat st;

	fixture_init(&f, build_dir());
	T_EQ(t, dio_slab_new(8192, 2, 4096, &s), 0);
	T_EQ(t, dio_writer_open(f.path, &g, s, &(struct dio_opts){ .data_start = 1,
			.expected_bytes = 1 << 20 }, &w), 0);
	T_EQ(t, stat(f.path, &st), 0);
	T_ASSERT(t, st.st_size >= (1 << 20)); /* preallocated up front */
	T_EQ(t, dio_writer_submit(w, 0, 2, 0, NULL), 0);
	T_EQ(t, dio_writer_end(w), 4096 + 16384); /* data_start rounded up to the unit */
	T_EQ(t, dio_writer_finish(w, 12345), 0);
	dio_writer_free(w);
	T_EQ(t, stat(f.path, &st), 0);
	T_EQ(t, st.st_size, 12345); /* cut to the true size */
	dio_slab_free(s);
	fixture_done(&f);
}

/* Frames back to back at odd offsets, as other tools write them. */
static void reader_unaligned(struct t_state *t)
{
	struct fixture f;
	struct dio_slab *s;
	struct dio_reader *r;
	struct dio_done d;
	unsigned char *src = malloc(300000);
	const unsigned char *p;
	int fd;

	fixture_init(&f, build_dir());
	for (unsigned i = 0; i < 300000; i++)
		src[i] = (unsigned char)(i * 13 + (i >> 9));
	fd = open(f.path, O_CREAT | O_WRONLY, 0644);
	T_EQ(t, write(fd, src, 300000), 300000);
	close(fd);
	T_EQ(t, dio_slab_new(100000, 3, 4096, &s), 0);
	T_EQ(t, dio_reader_open(f.path, s, NULL, &r), 0);
	T_EQ(t, dio_reader_size(r), 300000);
	T_EQ(t, dio_reader_submit(r, 1000, 150000, 0, 7), 0); /* spans slot 0 and 1 */
	T_EQ(t, dio_reader_reap(r, 1, &d, 1), 1);
	T_EQ(t, d.res, 0);
	T_EQ(t, d.tag, 7);
	T_EQ(t, dio_reader_skew(r, 1000), 1000);
	p = (unsigned char *)dio_slab_slot(s, 0) + dio_reader_skew(r, 1000);
	T_ASSERT(t, memcmp(p, src + 1000, 150000) == 0);
	/* the last frame ends at EOF: the aligned superset reads short, which is fine */
	T_EQ(t, dio_reader_submit(r, 299000, 1000, 2, 8), 0);
	T_EQ(t, dio_reader_reap(r, 1, &d, 1), 1);
	T_EQ(t, d.res, 0);
	p = (unsigned char *)dio_slab_slot(s, 2) + dio_reader_skew(r, 299000);
	T_ASSERT(t, memcmp(p, src + 299000, 1000) == 0);
	/* an index entry past the end of a truncated file */
	T_EQ(t, dio_reader_submit(r, 299000, 2000, 2, 9), -ENODATA);
	/* more than the slab holds */
	T_EQ(t, dio_reader_submit(r, 0, 300000, 1, 10), -EINVAL);
	dio_reader_free(r);
	dio_slab_free(s);
	free(src);
	fixture_done(&f);
}

/* ---- dio_create, dio_open_nofollow: never through a symbolic link ---- */

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/* path's content (up to 63 bytes), or "" */
static const char *got(const char *path, char buf[64])
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, 63);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

struct links {
	char dir[PATH_MAX];
	char out[PATH_MAX + 16], victim[PATH_MAX + 16], nowhere[PATH_MAX + 16];
};

static void links_init(struct links *l)
{
	snprintf(l->dir, sizeof(l->dir), "%s/test-dio-create.XXXXXX", build_dir());
	if (!mkdtemp(l->dir))
		abort();
	snprintf(l->out, sizeof(l->out), "%s/out", l->dir);
	snprintf(l->victim, sizeof(l->victim), "%s/victim", l->dir);
	snprintf(l->nowhere, sizeof(l->nowhere), "%s/nowhere", l->dir);
	put(l->victim, "victim");
}

static void links_done(struct links *l)
{
	unlink(l->out);
	unlink(l->victim);
	unlink(l->nowhere);
	rmdir(l->dir);
}

static void create_new_mode(struct t_state *t)
{
	struct links l;
	struct stat st;
	mode_t old = umask(027);
	int fd;

	links_init(&l);
	fd = dio_create(l.out, O_WRONLY, false);
	umask(old);
	T_ASSERT(t, fd >= 0);
	T_EQ(t, fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	T_EQ(t, lstat(l.out, &st), 0);
	T_ASSERT(t, S_ISREG(st.st_mode));
	T_EQ(t, st.st_mode & 07777, 0640); /* 0644 less the umask */
	links_done(&l);
}

static void create_refuses_existing(struct t_state *t)
{
	struct links l;
	char buf[64];

	links_init(&l);
	put(l.out, "old");
	T_EQ(t, dio_create(l.out, O_WRONLY | O_TRUNC, false), -EEXIST);
	T_STREQ(t, got(l.out, buf), "old");
	unlink(l.out);
	T_EQ(t, symlink(l.victim, l.out), 0);
	T_EQ(t, dio_create(l.out, O_WRONLY | O_TRUNC, false), -EEXIST);
	T_STREQ(t, got(l.victim, buf), "victim");
	unlink(l.out);
	T_EQ(t, symlink(l.nowhere, l.out), 0); /* dangling: O_CREAT alone would create nowhere */
	T_EQ(t, dio_create(l.out, O_WRONLY, false), -EEXIST);
	T_EQ(t, access(l.nowhere, F_OK), -1);
	links_done(&l);
}

/* force: the link itself is replaced by a new regular file; what it names is left alone */
static void create_force_replaces_link(struct t_state *t)
{
	struct links l;
	struct stat st;
	char buf[64];
	int fd;

	links_init(&l);
	T_EQ(t, symlink(l.victim, l.out), 0);
	fd = dio_create(l.out, O_WRONLY | O_TRUNC, true);
	T_ASSERT(t, fd >= 0);
	T_EQ(t, write(fd, "new", 3), 3);
	close(fd);
	T_EQ(t, lstat(l.out, &st), 0);
	T_ASSERT(t, S_ISREG(st.st_mode));
	T_STREQ(t, got(l.out, buf), "new");
	T_STREQ(t, got(l.victim, buf), "victim");
	unlink(l.out);
	T_EQ(t, symlink(l.nowhere, l.out), 0);
	fd = dio_create(l.out, O_RDWR, true);
	T_ASSERT(t, fd >= 0);
	close(fd);
	T_EQ(t, access(l.nowhere, F_OK), -1); /* nothing made where the dangling link pointed */
	T_EQ(t, lstat(l.out, &st), 0);
	T_ASSERT(t, S_ISREG(st.st_mode));
	links_done(&l);
}

/* force on a regular file: opened as it is, cut only with O_TRUNC; a directory refused */
static void create_force_regular(struct t_state *t)
{
	struct links l;
	struct stat st;
	char buf[64];
	int fd;

	links_init(&l);
	put(l.out, "kept");
	fd = dio_create(l.out, O_WRONLY, true);
	T_ASSERT(t, fd >= 0);
	close(fd);
	T_STREQ(t, got(l.out, buf), "kept");
	fd = dio_create(l.out, O_WRONLY | O_TRUNC, true);
	T_ASSERT(t, fd >= 0);
	close(fd);
	T_EQ(t, stat(l.out, &st), 0);
	T_EQ(t, st.st_size, 0);
	unlink(l.out);
	T_EQ(t, mkdir(l.out, 0755), 0);
	T_EQ(t, dio_create(l.out, O_WRONLY, true), -EISDIR);
	T_EQ(t, dio_create(l.out, O_WRONLY, false), -EEXIST);
	rmdir(l.out);
	links_done(&l);
}

static void open_nofollow_refuses_link(struct t_state *t)
{
	struct links l;
	char buf[64];
	int fd;

	links_init(&l);
	T_EQ(t, symlink(l.victim, l.out), 0);
	T_EQ(t, dio_open_nofollow(l.out, O_RDWR), -ELOOP);
	T_EQ(t, dio_open_nofollow(l.out, O_WRONLY | O_APPEND), -ELOOP);
	T_STREQ(t, got(l.victim, buf), "victim");
	T_EQ(t, dio_open_nofollow(l.nowhere, O_RDWR), -ENOENT);
	fd = dio_open_nofollow(l.victim, O_WRONLY | O_APPEND);
	T_ASSERT(t, fd >= 0);
	T_EQ(t, write(fd, "!", 1), 1);
	close(fd);
	T_STREQ(t, got(l.victim, buf), "victim!");
	links_done(&l);
}

int main(void)
{
	struct t_state t = { 0 };

	T_RUN(&t, slab_layout_page);
	T_RUN(&t, slab_layout_stripe);
	T_RUN(&t, slab_sealed);
	T_RUN(&t, slab_invalid);
	T_RUN(&t, slab_dmabuf);
	T_RUN(&t, writer_uring_fixed);
	T_RUN(&t, writer_stripe_unit);
	T_RUN(&t, writer_refuses_partial_stripes);
	T_RUN(&t, writer_sync_beside_depth);
	T_RUN(&t, writer_sync_direct);
	T_RUN(&t, writer_buffered);
	T_RUN(&t, writer_tmpfs);
	T_RUN(&t, writer_never_overwrites);
	T_RUN(&t, writer_finish_size);
	T_RUN(&t, reader_unaligned);
	T_RUN(&t, create_new_mode);
	T_RUN(&t, create_refuses_existing);
	T_RUN(&t, create_force_replaces_link);
	T_RUN(&t, create_force_regular);
	T_RUN(&t, open_nofollow_refuses_link);
	return T_EXIT(&t);
}
