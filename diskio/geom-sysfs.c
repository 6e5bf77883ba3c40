/* RAID geometry from sysfs: md levels, and the walk from a filesystem's st_dev down through
 * partitions and device-mapper to the device that knows its stripe.
 *
 * Everything is opened relative to directory fds, so symlinks in a fake tree (tests) resolve
 * inside that tree just as the real /sys ones do, and a partition's whole device is simply
 * its physical parent directory, as in /sys/devices/.../block/sda/sda1. */
#include "geom-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Deep enough for dm-crypt on LVM on a partition of md; guards against a looping fake tree. */
#define WALK_MAX_DEPTH 8

struct md_info {
	char level[16];
	unsigned raid_disks;
	unsigned data_disks;
	uint64_t chunk;
};

/* Read a small sysfs attribute into buf without the trailing newline. */
static int read_attr(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static int read_u64(int dirfd, const char *name, uint64_t *ret)
{
	char buf[32], *end;
	unsigned long long v;
	int err;

	err = read_attr(dirfd, name, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || *end || buf[0] == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool has_entry(int dirfd, const char *name)
{
	return faccessat(dirfd, name, F_OK, 0) == 0;
}

static int open_dir_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int dio_md_data_disks(const char *level, unsigned raid_disks)
{
	static const struct {
		const char *level;
		unsigned parity; /* disks that do not carry data */
		unsigned min;	 /* fewest members that make the level possible */
	} levels[] = {
		{ "raid0", 0, 1 }, { "raid1", 0, 1 }, { "raid4", 1, 2 },
		{ "raid5", 1, 2 }, { "raid6", 2, 3 }, { "raid10", 0, 2 },
	};

	if (!level)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(level, levels[i].level))
			continue;
		if (raid_disks < levels[i].min)
			return -EINVAL;
		if (!strcmp(level, "raid1"))
			return 1;
		/* Near-2 raid10 over an odd count staggers copies: no whole-stripe unit. */
		if (!strcmp(level, "raid10"))
			return raid_disks % 2 ? -EINVAL : (int)(raid_disks / 2);
		return (int)(raid_disks - levels[i].parity);
	}
	return -EINVAL; /* linear, multipath, container, unknown: no stripe */
}

/* raid10 keeps near x far copies of each chunk (md/layout: far << 8 | near); the default near-2
 * is what dio_md_data_disks() assumes, so only other layouts need the division here. */
static int md_raid10_data_disks(int mddir, unsigned raid_disks)
{
	uint64_t layout;
	unsigned copies;

	if (read_u64(mddir, "layout", &layout))
		return dio_md_data_disks("raid10", raid_disks);
	copies = (unsigned)(layout & 0xff) * (unsigned)((layout >> 8) & 0xff);
	if (!copies || raid_disks < copies || raid_disks % copies)
		return -EINVAL;
	return (int)(raid_disks / copies);
}

/* Read md/ of the block device directory devfd. */
static int md_read(int devfd, struct md_info *md)
{
	uint64_t disks;
	int mddir, ret;

	mddir = open_dir_at(devfd, "md");
	if (mddir < 0)
		return mddir;
	ret = read_attr(mddir, "level", md->level, sizeof(md->level));
	if (!ret)
		ret = read_u64(mddir, "raid_disks", &disks);
	if (!ret)
		ret = read_u64(mddir, "chunk_size", &md->chunk);
	if (ret)
		goto out_close_md;
	ret = -EINVAL;
	if (disks > 4096 || md->chunk % 512)
		goto out_close_md;
	md->raid_disks = (unsigned)disks;
	if (!strcmp(md->level, "raid10"))
		ret = md_raid10_data_disks(mddir, md->raid_disks);
	else
		ret = dio_md_data_disks(md->level, md->raid_disks);
	if (ret > 0)
		md->data_disks = (unsigned)ret;
out_close_md:
	close(mddir);
	return ret < 0 ? ret : 0;
}

static void md_fill(const struct md_info *md, struct dio_geom *geom)
{
	geom->chunk = md->chunk;
	geom->data_disks = md->data_disks;
	geom->stripe = md->chunk * md->data_disks;
}

int dio_geom_md(const char *sysfs_root, const char *mddev, struct dio_geom *geom)
{
	struct md_info md = { 0 };
	char path[4096];
	int devfd, ret;

	if (snprintf(path, sizeof(path), "%s/block/%s", sysfs_root, mddev) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	devfd = open_dir_at(AT_FDCWD, path);
	if (devfd < 0)
		return devfd;
	ret = md_read(devfd, &md);
	close(devfd);
	if (ret)
		return ret;
	md_fill(&md, geom);
	return 0;
}

/* Copy n bytes of src as a string, cut to fit. */
static void set_name(char *buf, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* The kernel's name for the device: DEVNAME= in uevent, else the directory's own name. */
static void dev_name(int devfd, char *buf, size_t len)
{
	char uevent[512], link[64], path[4096], *p;
	ssize_t n;

	if (!read_attr(devfd, "uevent", uevent, sizeof(uevent)) &&
	    (p = strstr(uevent, "DEVNAME=")) != NULL) {
		p += strlen("DEVNAME=");
		set_name(buf, len, p, strcspn(p, "\n"));
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", devfd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0) {
		set_name(buf, len, "?", 1);
		return;
	}
	path[n] = '\0';
	p = strrchr(path, '/');
	p = p ? p + 1 : path;
	set_name(buf, len, p, strlen(p));
}

/* The one device under a device-mapper target; -ENODEV when there are none or several (a
 * striped or spanning LV: its own queue limits are all there is to go on). */
static int dm_single_slave(int devfd)
{
	char name[256] = "";
	struct dirent *de;
	unsigned count = 0;
	int fd, ret;
	DIR *dir;

	fd = open_dir_at(devfd, "slaves");
	if (fd < 0)
		return -ENODEV;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		count++;
		snprintf(name, sizeof(name), "%s", de->d_name);
	}
	ret = count == 1 ? open_dir_at(dirfd(dir), name) : -ENODEV;
	closedir(dir);
	return ret;
}

/* What the walk saw besides the fields it fills in struct dio_geom. */
struct walk {
	struct md_info md;
	char md_dev[32];    /* the md device met, if any */
	char queue_dev[32]; /* the device whose queue limits were read last */
	bool dm_multi;	    /* stopped at a device-mapper target over several devices */
};

static void read_queue(int devfd, struct dio_geom *geom, struct walk *w)
{
	uint64_t v;

	/* Partitions have no queue/ of their own: their whole device's limits apply. */
	if (!has_entry(devfd, "queue"))
		return;
	geom->io_min = read_u64(devfd, "queue/minimum_io_size", &v) ? 0 : v;
	geom->io_opt = read_u64(devfd, "queue/optimal_io_size", &v) ? 0 : v;
	dev_name(devfd, w->queue_dev, sizeof(w->queue_dev));
}

/* One step down the stack: the fd of the device under devfd, or -ENODEV when devfd is where
 * the geometry comes from (an md array, a disk, a loop device, a dm target over several). */
static int walk_step(int devfd, struct dio_geom *geom, struct walk *w)
{
	uint64_t start;
	int ret;

	read_queue(devfd, geom, w);
	if (has_entry(devfd, "partition")) {
		if (!read_u64(devfd, "start", &start))
			geom->part_start += start * 512; /* sysfs counts 512-byte sectors */
		return open_dir_at(devfd, "..");
	}
	if (has_entry(devfd, "md")) {
		dev_name(devfd, w->md_dev, sizeof(w->md_dev));
		if (md_read(devfd, &w->md) < 0)
			w->md.data_disks = 0;
		return -ENODEV;
	}
	if (!has_entry(devfd, "dm"))
		return -ENODEV;
	ret = dm_single_slave(devfd);
	w->dm_multi = ret == -ENODEV;
	return ret;
}

/* optimal_io_size is only believable as a whole number of pages and of minimum_io_size:
 * member disks reporting odd limits stack into values like 33553920. */
static bool io_opt_sane(uint64_t io_min, uint64_t io_opt)
{
	return io_opt && io_min && io_opt % DIO_PAGE == 0 && io_opt % io_min == 0;
}

static void walk_conclude(const struct walk *w, struct dio_geom *geom, char *note, size_t len)
{
	char a[24], b[24];

	if (w->md_dev[0] && w->md.data_disks && w->md.chunk) {
		md_fill(&w->md, geom);
		snprintf(geom->source, sizeof(geom->source), "md");
		dio_geom_fmt_size(w->md.chunk, a, sizeof(a));
		snprintf(note, len, "%s %s %u data disks x %s chunk", w->md_dev, w->md.level,
			 w->md.data_disks, a);
	} else if (w->md_dev[0]) {
		/* md knows better than io_opt even when it says there is no stripe. */
		snprintf(note, len, "%s %s has no stripe", w->md_dev,
			 w->md.level[0] ? w->md.level : "(unreadable md/)");
	} else if (io_opt_sane(geom->io_min, geom->io_opt)) {
		geom->stripe = geom->io_opt;
		geom->chunk = geom->io_min;
		geom->data_disks = (uint32_t)(geom->io_opt / geom->io_min);
		snprintf(geom->source, sizeof(geom->source), "io_opt");
		dio_geom_fmt_size(geom->io_opt, a, sizeof(a));
		dio_geom_fmt_size(geom->io_min, b, sizeof(b));
		snprintf(note, len, "optimal_io_size %s of %s (minimum_io_size %s)", a,
			 w->queue_dev, b);
	} else if (w->dm_multi) {
		snprintf(note, len, "%s spans several devices", w->queue_dev);
	}
}

int dio_geom_sysfs(const char *sysfs_root, unsigned major, unsigned minor, struct dio_geom *geom,
		   char *note, size_t note_len)
{
	struct walk w = { 0 };
	char path[4096];
	int fd, next = -ENODEV;

	note[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sysfs_root, major, minor) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open_dir_at(AT_FDCWD, path);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	dev_name(fd, geom->dev, sizeof(geom->dev));
	for (int depth = 0; depth < WALK_MAX_DEPTH; depth++) {
		next = walk_step(fd, geom, &w);
		if (next < 0)
			break;
		close(fd);
		fd = next;
	}
	close(fd);
	/* A missing link or attribute ends the walk where it is; running out of fds does not. */
	if (next == -EMFILE || next == -ENFILE || next == -ENOMEM)
		return next;
	walk_conclude(&w, geom, note, note_len);
	return 0;
}
