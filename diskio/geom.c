/* dio_geom_probe(): which unit a file's batches should be aligned to, and why.
 *
 * Layers, most trusted first: md's own description of the array (sysfs), the filesystem's
 * stripe (XFS sunit/swidth, ext4 stripe=), the device's optimal_io_size. The unit is then the
 * least common multiple of that stripe, the page size and the direct-I/O offset alignment. */
#include "geom-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define XFS_SUPER_MAGIC_ 0x58465342
#define EXT4_SUPER_MAGIC_ 0xEF53
#define TMPFS_MAGIC_ 0x01021994
#define BTRFS_SUPER_MAGIC_ 0x9123683E

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))

/* A unit beyond this means the inputs were nonsense, not a real array. */
#define ALIGN_MAX (256ull << 20)

/* struct xfs_fsop_geom_v1 from the kernel's fs/xfs/libxfs/xfs_fs.h, so that xfslibs-dev is not
 * a build dependency. V1 is the smallest of the three versions and every kernel answers it. */
struct dio_xfs_geom_v1 {
	uint32_t blocksize;
	uint32_t rtextsize;
	uint32_t agblocks;
	uint32_t agcount;
	uint32_t logblocks;
	uint32_t sectsize;
	uint32_t inodesize;
	uint32_t imaxpct;
	uint64_t datablocks;
	uint64_t rtblocks;
	uint64_t rtextents;
	uint64_t logstart;
	unsigned char uuid[16];
	uint32_t sunit;	 /* stripe unit, filesystem blocks */
	uint32_t swidth; /* stripe width, filesystem blocks */
	int32_t version;
	uint32_t flags;
	uint32_t logsectsize;
	uint32_t rtsectsize;
	uint32_t dirblocksize;
};
_Static_assert(sizeof(struct dio_xfs_geom_v1) == 112, "the ioctl number encodes this size");
#define DIO_XFS_IOC_FSGEOMETRY_V1 _IOR('X', 100, struct dio_xfs_geom_v1)

/* What one probe learned about the filesystem the file lives (or will live) on. */
struct probe {
	int fd; /* the file, a temporary file beside it, or its directory */
	struct statx stx;
	struct statfs sfs;
};

/* The stripe the filesystem itself was made with. */
struct fs_stripe {
	uint64_t chunk;
	uint64_t stripe;
	uint32_t data_disks;
	char note[96];
};

void dio_geom_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
	else if (bytes && bytes % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
}

/* Append to the string s; whatever does not fit is cut off (the why sentence is advisory). */
static PRINTF_LIKE(3, 4) void str_append(char *s, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(s, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(s + used, len - used, fmt, ap);
	va_end(ap);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* 0 when the result would pass ALIGN_MAX (or overflow). */
static uint64_t lcm64(uint64_t a, uint64_t b)
{
	uint64_t q = a / gcd64(a, b);

	if (q > ALIGN_MAX / b)
		return 0;
	return q * b;
}

/* key=N among the comma-separated options opts (which may end in a newline). */
static int opt_u64(const char *opts, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *p = opts;
	char *end;

	while (*p && *p != '\n') {
		size_t len = strcspn(p, ",\n");

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			*ret = strtoull(p + klen + 1, &end, 10);
			return end == p + len && end > p + klen + 1 ? 0 : -EINVAL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return -ENOENT;
}

/* One mountinfo line: "id parent MAJ:MIN root mountpoint opts [tags] - fstype source superopts".
 * The super options are per filesystem, so any mount of the device (bind mounts too) will do.
 * fstypes: the filesystem types to look at, NULL-terminated. */
static int mountinfo_opt(const char *line, unsigned major, unsigned minor,
			 const char *const *fstypes, const char *key, uint64_t *ret)
{
	char fstype[16];
	const char *sep, *opts;
	unsigned ma, mi;

	if (sscanf(line, "%*u %*u %u:%u", &ma, &mi) != 2 || ma != major || mi != minor)
		return -ENOENT;
	sep = strstr(line, " - ");
	if (!sep || sscanf(sep + 3, "%15s", fstype) != 1)
		return -ENOENT;
	while (*fstypes && strcmp(fstype, *fstypes))
		fstypes++;
	if (!*fstypes)
		return -ENOENT;
	opts = strrchr(sep + 3, ' '); /* spaces inside fields are escaped as \040 */
	if (!opts)
		return -ENOENT;
	return opt_u64(opts + 1, key, ret);
}

int dio_geom_mount_opt(const char *mountinfo_path, unsigned major, unsigned minor,
		       const char *const *fstypes, const char *key, uint64_t *ret_value)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t v;
	int ret = -ENOENT;
	FILE *f;

	f = fopen(mountinfo_path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (mountinfo_opt(line, major, minor, fstypes, key, &v) == 0 && v) {
			*ret_value = v;
			ret = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

int dio_geom_ext4_stripe(const char *mountinfo_path, unsigned major, unsigned minor,
			 uint64_t *ret_blocks)
{
	static const char *const ext[] = { "ext4", "ext3", "ext2", NULL };

	return dio_geom_mount_opt(mountinfo_path, major, minor, ext, "stripe", ret_blocks);
}

static int statx_fd(int fd, struct statx *stx)
{
	int ret = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_DIOALIGN, stx);

	return ret < 0 ? -errno : 0;
}

static int dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(buf, len, ".");
	else if (slash == path)
		n = snprintf(buf, len, "/");
	else
		n = snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return n < (int)len ? 0 : -ENAMETOOLONG;
}

/* An invisible file in dir, to ask the filesystem what a new file there would get. */
static int open_tmpfile(const char *dir)
{
	char tmpl[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* Filesystems without O_TMPFILE say EOPNOTSUPP; kernels before 3.11 say EISDIR. */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	if (snprintf(tmpl, sizeof(tmpl), "%s/.vcap-probe-XXXXXX", dir) >= (int)sizeof(tmpl))
		return -ENAMETOOLONG;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	return fd;
}

/* The file is yet to be created: ask its directory, and when the directory has no direct-I/O
 * answer (most filesystems give one for regular files only), a temporary file inside it. */
static int probe_open_dir(const char *path, struct probe *p)
{
	char dir[4096];
	int ret;

	ret = dir_of(path, dir, sizeof(dir));
	if (ret)
		return ret;
	p->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	ret = statx_fd(p->fd, &p->stx);
	if (ret || ((p->stx.stx_mask & STATX_DIOALIGN) && p->stx.stx_dio_offset_align))
		return ret;
	close(p->fd);
	p->fd = open_tmpfile(dir);
	if (p->fd < 0)
		return p->fd;
	return statx_fd(p->fd, &p->stx);
}

/* Fill p for path; on failure p->fd is closed or -1. */
static int probe_open(const char *path, struct probe *p)
{
	int ret;

	/* a symbolic link is not opened: the writer replaces it (dio_create), so what counts is
	 * the directory it sits in, as for a file yet to be made */
	p->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (p->fd < 0 && errno != ENOENT && errno != ELOOP)
		return -errno;
	if (p->fd < 0)
		ret = probe_open_dir(path, p);
	else if (!(ret = statx_fd(p->fd, &p->stx)) && S_ISDIR(p->stx.stx_mode))
		ret = -EISDIR;
	if (!ret && fstatfs(p->fd, &p->sfs) < 0)
		ret = -errno;
	if (ret && p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	return ret;
}

static bool probe_direct(const struct probe *p)
{
	int flags;

	if (p->stx.stx_mask & STATX_DIOALIGN)
		return p->stx.stx_dio_offset_align != 0;
	/* No answer from statx (before 6.1, or a filesystem that does not say): setting O_DIRECT
	 * on an open file runs the same check open(2) does, EINVAL where it is unsupported. */
	flags = fcntl(p->fd, F_GETFL);
	if (flags < 0 || fcntl(p->fd, F_SETFL, flags | O_DIRECT) < 0)
		return false;
	fcntl(p->fd, F_SETFL, flags);
	return true;
}

static const char *fs_name(const struct statfs *sfs)
{
	switch ((unsigned long)sfs->f_type) {
	case XFS_SUPER_MAGIC_:
		return "xfs";
	case EXT4_SUPER_MAGIC_:
		return "ext4";
	case TMPFS_MAGIC_:
		return "tmpfs";
	case BTRFS_SUPER_MAGIC_:
		return "btrfs";
	case DIO_CEPH_SUPER_MAGIC:
		return "CephFS";
	case DIO_NFS_SUPER_MAGIC:
		return "NFS";
	case DIO_LUSTRE_SUPER_MAGIC:
		return "Lustre";
	case DIO_BEEGFS_SUPER_MAGIC:
		return "BeeGFS";
	case DIO_GPFS_SUPER_MAGIC:
		return "GPFS";
	default:
		return "filesystem";
	}
}

static void xfs_stripe(const struct probe *p, const char *dev, struct fs_stripe *fs)
{
	struct dio_xfs_geom_v1 x = { 0 };
	char su[24], sw[24];

	if (ioctl(p->fd, DIO_XFS_IOC_FSGEOMETRY_V1, &x) < 0 || !x.swidth || !x.sunit)
		return;
	fs->chunk = (uint64_t)x.sunit * x.blocksize;
	fs->stripe = (uint64_t)x.swidth * x.blocksize;
	fs->data_disks = x.swidth / x.sunit;
	dio_geom_fmt_size(fs->chunk, su, sizeof(su));
	dio_geom_fmt_size(fs->stripe, sw, sizeof(sw));
	str_append(fs->note, sizeof(fs->note), "xfs on %s, sunit %s x %u (swidth %s)", dev, su,
		   fs->data_disks, sw);
}

/* ext4 keeps only the full stripe (stripe=, from mkfs -E stripe_width) in its mount options;
 * the chunk (stride) stays unknown. */
static void ext4_stripe(const struct probe *p, const char *dev, struct fs_stripe *fs)
{
	uint64_t blocks, bsize = (uint64_t)p->sfs.f_bsize;

	if (dio_geom_ext4_stripe("/proc/self/mountinfo", p->stx.stx_dev_major, p->stx.stx_dev_minor,
				 &blocks))
		return;
	fs->stripe = blocks * bsize;
	str_append(fs->note, sizeof(fs->note), "ext4 on %s, stripe=%" PRIu64 " blocks of %" PRIu64,
		   dev, blocks, bsize);
}

/* Let the filesystem's stripe replace a guess from optimal_io_size, never md's own word. */
static void take_fs_stripe(const struct probe *p, struct dio_geom *g, char *note, size_t len)
{
	struct fs_stripe fs = { 0 };
	const char *dev = g->dev[0] ? g->dev : "this device";
	char a[24];

	if (p->sfs.f_type == XFS_SUPER_MAGIC_)
		xfs_stripe(p, dev, &fs);
	else if (p->sfs.f_type == EXT4_SUPER_MAGIC_)
		ext4_stripe(p, dev, &fs);
	if (!fs.stripe)
		return;
	if (!strcmp(g->source, "md")) {
		dio_geom_fmt_size(fs.stripe, a, sizeof(a));
		if (fs.stripe != g->stripe)
			str_append(note, len, " (but %s stripe is %s)", fs_name(&p->sfs), a);
		return;
	}
	g->chunk = fs.chunk;
	g->stripe = fs.stripe;
	g->data_disks = fs.data_disks;
	snprintf(g->source, sizeof(g->source), "%s", fs_name(&p->sfs));
	snprintf(note, len, "%s", fs.note);
}

/* A distributed filesystem has no block device to ask: its stripe is the file's layout
 * (CephFS, Lustre, BeeGFS), or for NFS the mount's wsize (each O_DIRECT write goes out in
 * RPCs of that size; the server's own stripe is not visible to a client). A layout that
 * cannot be read leaves the unit to the base alignment, and the note says why. */
static void take_dfs_stripe(const struct probe *p, struct dio_geom *g, char *note, size_t len)
{
	struct dio_dfs_layout l;
	unsigned long type = (unsigned long)p->sfs.f_type;
	uint64_t wsize;
	char a[24];
	int ret;

	if (type == DIO_NFS_SUPER_MAGIC) {
		if (dio_geom_nfs_wsize("/proc/self/mountinfo", p->stx.stx_dev_major,
				       p->stx.stx_dev_minor, &wsize) ||
		    wsize % DIO_PAGE)
			return;
		g->stripe = g->chunk = wsize;
		g->data_disks = 1;
		snprintf(g->source, sizeof(g->source), "NFS");
		dio_geom_fmt_size(wsize, a, sizeof(a));
		snprintf(note, len, "NFS wsize %s; the server's stripe is not visible to a client",
			 a);
		return;
	}
	ret = dio_geom_dfs_probe(p->fd, type, &l);
	if (ret == -ENOTSUP)
		return;
	if (ret < 0) {
		snprintf(note, len, "the %s layout could not be read: %s", fs_name(&p->sfs),
			 strerror(-ret));
		return;
	}
	dio_geom_dfs_apply(&l, g, note, len);
}

/* The unit every direct write must respect even without a stripe. */
static uint64_t base_unit(const struct dio_geom *g)
{
	uint64_t base = DIO_PAGE, l;

	if (g->offset_align && (l = lcm64(base, g->offset_align)))
		base = l;
	/* ext4 takes its slow exclusive path for direct I/O that is not fs-block aligned. */
	if (g->direct_ok && g->fs_block && (l = lcm64(base, g->fs_block)))
		base = l;
	return base;
}

/* Pick g->align and write the sentence saying why. */
static void choose_align(struct dio_geom *g, const char *fs, const char *note)
{
	uint64_t base = base_unit(g), unit = g->stripe ? lcm64(base, g->stripe) : 0;
	char a[24], b[24], s[24], p[24];
	const size_t len = sizeof(g->why);

	g->align = unit ? unit : base;
	g->why[0] = '\0';
	dio_geom_fmt_size(g->align, a, sizeof(a));
	dio_geom_fmt_size(base, b, sizeof(b));
	dio_geom_fmt_size(g->stripe, s, sizeof(s));
	if (unit && unit == g->stripe)
		str_append(g->why, len, "%s = %s", a, note);
	else if (unit) /* a stripe like 3 x 1536 bytes: batches must also stay page aligned */
		str_append(g->why, len, "%s = lcm of %s and the %s stripe (%s)", a, b, s, note);
	else if (g->stripe)
		str_append(g->why, len,
			   "%s: the %s stripe is ignored, its lcm with %s passes 256 MiB (%s)", a,
			   s, b, note);
	else
		str_append(g->why, len, "%s: no RAID geometry found on %s (%s, block %u)%s%s", a,
			   g->dev[0] ? g->dev : "a filesystem without a block device", fs,
			   g->fs_block, note[0] ? "; " : "", note);
	if (unit && g->part_start % g->stripe) {
		dio_geom_fmt_size(g->part_start, p, sizeof(p));
		str_append(g->why, len, "; %s starts %s in, off the stripe", g->dev, p);
	}
	if (!g->direct_ok)
		str_append(g->why, len, "; no direct I/O on this %s", fs);
}

static int apply_override(struct dio_geom *g, uint64_t override, const char *note)
{
	char a[24], s[24];
	const size_t len = sizeof(g->why);

	if (override % DIO_PAGE || (g->offset_align && override % g->offset_align))
		return -EINVAL;
	g->align = override;
	g->why[0] = '\0';
	dio_geom_fmt_size(override, a, sizeof(a));
	dio_geom_fmt_size(g->stripe, s, sizeof(s));
	if (!g->stripe)
		str_append(g->why, len, "override %s (--align); no RAID geometry found", a);
	else
		str_append(g->why, len, "override %s (--align)%s; the stripe is %s (%s)", a,
			   override % g->stripe ? ", not a multiple of the stripe" : "", s, note);
	snprintf(g->source, sizeof(g->source), "override");
	return 0;
}

int dio_geom_probe(const char *path, const char *sysfs_root, uint64_t align_override,
		   struct dio_geom *ret_geom)
{
	struct dio_geom g = { 0 };
	struct probe p;
	char note[160];
	int ret;

	if (!path || !*path || !ret_geom)
		return -EINVAL;
	ret = probe_open(path, &p);
	if (ret)
		return ret;
	if (p.stx.stx_mask & STATX_DIOALIGN) {
		g.mem_align = p.stx.stx_dio_mem_align;
		g.offset_align = p.stx.stx_dio_offset_align;
	}
	g.fs_block = p.stx.stx_blksize ? p.stx.stx_blksize : (uint32_t)p.sfs.f_bsize;
	g.direct_ok = probe_direct(&p);
	ret = dio_geom_sysfs(sysfs_root ? sysfs_root : "/sys", p.stx.stx_dev_major,
			     p.stx.stx_dev_minor, &g, note, sizeof(note));
	if (ret)
		goto out_close;
	take_fs_stripe(&p, &g, note, sizeof(note));
	take_dfs_stripe(&p, &g, note, sizeof(note));
	choose_align(&g, fs_name(&p.sfs), note);
	if (align_override)
		ret = apply_override(&g, align_override, note);
	if (!ret)
		*ret_geom = g;
out_close:
	close(p.fd);
	return ret;
}
