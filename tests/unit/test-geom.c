/* Stripe geometry: md level arithmetic, the sysfs walk over fake trees built under a temporary
 * directory, ext4's stripe= option, the probe on real files, and FIEMAP placement checks. */
#include "dio.h"
#include "geom-internal.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- fake sysfs trees ---- */

struct tree {
	char root[256];
};

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int ret = mkdir(path, 0755);
		*p = '/';
		if (ret && errno != EEXIST)
			return -errno;
	}
	return 0;
}

/* Write root/rel (making its directories) with content and a newline, as sysfs shows it. */
static int put(const struct tree *t, const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (mkdir_p(path))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", content);
	return fclose(f);
}

static int put_u64(const struct tree *t, const char *rel, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	return put(t, rel, buf);
}

static int link_to(const struct tree *t, const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (mkdir_p(path))
		return -1;
	return symlink(target, path);
}

/* Under the build directory when run by tests/run: real files there sit on a disk-backed
 * filesystem, which /tmp need not be. */
static int tree_new(struct tree *t)
{
	const char *base = getenv("VCAP_BIN");

	snprintf(t->root, sizeof(t->root), "%s/vcap-test-geom.XXXXXX", base ? base : "/var/tmp");
	return mkdtemp(t->root) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb, (void)type, (void)ftw;
	return remove(path);
}

static void tree_free(struct tree *t)
{
	if (t->root[0])
		nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* block/<name> as an md array with the usual queue limits (chunk, stripe). */
static int fake_md(const struct tree *t, const char *name, const char *level, unsigned disks,
		   unsigned long long chunk)
{
	char rel[128];
	int ret = 0;

	snprintf(rel, sizeof(rel), "block/%s/md/level", name);
	ret |= put(t, rel, level);
	snprintf(rel, sizeof(rel), "block/%s/md/raid_disks", name);
	ret |= put_u64(t, rel, disks);
	snprintf(rel, sizeof(rel), "block/%s/md/chunk_size", name);
	ret |= put_u64(t, rel, chunk);
	snprintf(rel, sizeof(rel), "block/%s/queue/minimum_io_size", name);
	ret |= put_u64(t, rel, chunk);
	snprintf(rel, sizeof(rel), "block/%s/queue/optimal_io_size", name);
	ret |= put_u64(t, rel, chunk * disks);
	return ret;
}

/* block/<name> as a plain disk with the given queue limits. */
static int fake_disk(const struct tree *t, const char *name, unsigned long long io_min,
		     unsigned long long io_opt)
{
	char rel[128];
	int ret = 0;

	snprintf(rel, sizeof(rel), "block/%s/queue/minimum_io_size", name);
	ret |= put_u64(t, rel, io_min);
	snprintf(rel, sizeof(rel), "block/%s/queue/optimal_io_size", name);
	ret |= put_u64(t, rel, io_opt);
	return ret;
}

/* dev/block/MAJ:MIN -> ../../block/<rel>, as /sys/dev/block links into /sys/devices. */
static int fake_devnum(const struct tree *t, unsigned maj, unsigned min, const char *rel)
{
	char link[64], target[128];

	snprintf(link, sizeof(link), "dev/block/%u:%u", maj, min);
	snprintf(target, sizeof(target), "../../block/%s", rel);
	return link_to(t, link, target);
}

/* Walk the fake tree from MAJ:MIN; the test checks g and note. */
static int walk(const struct tree *t, unsigned maj, unsigned min, struct dio_geom *g, char *note,
		size_t len)
{
	memset(g, 0, sizeof(*g));
	return dio_geom_sysfs(t->root, maj, min, g, note, len);
}

/* A case that gets a fresh fake tree, removed however the case ends. */
#define TREE_CASE(name)                                                                            \
	static void name##_body(struct t_state *st, struct tree *t);                               \
	static void name(struct t_state *st)                                                       \
	{                                                                                          \
		struct tree t = { "" };                                                            \
		if (tree_new(&t))                                                                  \
			T_SKIP(st, "cannot make a temporary directory");                           \
		name##_body(st, &t);                                                               \
		tree_free(&t);                                                                     \
	}                                                                                          \
	static void name##_body(struct t_state *st, struct tree *t)

/* ---- md level arithmetic ---- */

static void test_md_data_disks_levels(struct t_state *st)
{
	T_EQ(st, dio_md_data_disks("raid0", 3), 3);
	T_EQ(st, dio_md_data_disks("raid4", 4), 3);
	T_EQ(st, dio_md_data_disks("raid5", 4), 3);
	T_EQ(st, dio_md_data_disks("raid5", 2), 1);
	T_EQ(st, dio_md_data_disks("raid6", 6), 4);
	T_EQ(st, dio_md_data_disks("raid10", 4), 2);
	T_EQ(st, dio_md_data_disks("raid1", 2), 1);
}

static void test_md_data_disks_invalid(struct t_state *st)
{
	T_EQ(st, dio_md_data_disks("linear", 3), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid5", 1), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid6", 2), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid0", 0), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid1", 0), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid10", 3), -EINVAL);
	T_EQ(st, dio_md_data_disks("raid7", 8), -EINVAL);
	T_EQ(st, dio_md_data_disks(NULL, 3), -EINVAL);
}

/* ---- dio_geom_md on fake trees ---- */

TREE_CASE(test_md_raid0_3x64k_stripe_not_power_of_two)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "raid0", 3, 65536));
	T_EQ(st, dio_geom_md(t->root, "md0", &g), 0);
	T_EQ(st, g.chunk, 65536);
	T_EQ(st, g.data_disks, 3);
	T_EQ(st, g.stripe, 196608);
}

TREE_CASE(test_md_raid0_4x256k)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md1", "raid0", 4, 262144));
	T_EQ(st, dio_geom_md(t->root, "md1", &g), 0);
	T_EQ(st, g.stripe, 1048576);
}

TREE_CASE(test_md_raid5_4x128k)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "raid5", 4, 131072));
	T_EQ(st, dio_geom_md(t->root, "md0", &g), 0);
	T_EQ(st, g.data_disks, 3);
	T_EQ(st, g.stripe, 393216);
}

TREE_CASE(test_md_raid6_6_disks)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "raid6", 6, 524288));
	T_EQ(st, dio_geom_md(t->root, "md0", &g), 0);
	T_EQ(st, g.data_disks, 4);
	T_EQ(st, g.stripe, 2097152);
}

TREE_CASE(test_md_raid10_near2_default)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "raid10", 4, 524288));
	T_ASSERT(st, !put(t, "block/md0/md/layout", "258")); /* near=2 far=1 */
	T_EQ(st, dio_geom_md(t->root, "md0", &g), 0);
	T_EQ(st, g.data_disks, 2);
	T_EQ(st, g.stripe, 1048576);
}

/* near=3 keeps three copies: six disks carry two chunks of data per stripe. */
TREE_CASE(test_md_raid10_near3_layout)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "raid10", 6, 65536));
	T_ASSERT(st, !put(t, "block/md0/md/layout", "259"));
	T_EQ(st, dio_geom_md(t->root, "md0", &g), 0);
	T_EQ(st, g.data_disks, 2);
	T_EQ(st, g.stripe, 131072);
}

TREE_CASE(test_md_linear_is_einval)
{
	struct dio_geom g = { 0 };

	T_ASSERT(st, !fake_md(t, "md0", "linear", 3, 0));
	T_EQ(st, dio_geom_md(t->root, "md0", &g), -EINVAL);
	T_ASSERT(st, !fake_md(t, "md1", "raid5", 1, 65536));
	T_EQ(st, dio_geom_md(t->root, "md1", &g), -EINVAL);
}

TREE_CASE(test_md_not_md_is_enoent)
{
	struct dio_geom g = { 0 };

	T_EQ(st, dio_geom_md(t->root, "md9", &g), -ENOENT);
	T_ASSERT(st, !fake_disk(t, "sda", 512, 0));
	T_EQ(st, dio_geom_md(t->root, "sda", &g), -ENOENT);
}

/* ---- the sysfs walk ---- */

TREE_CASE(test_walk_md_whole_device)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid0", 3, 65536));
	T_ASSERT(st, !fake_devnum(t, 9, 0, "md0"));
	T_EQ(st, walk(t, 9, 0, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.dev, "md0");
	T_STREQ(st, g.source, "md");
	T_EQ(st, g.stripe, 196608);
	T_EQ(st, g.part_start, 0);
	T_STREQ(st, note, "md0 raid0 3 data disks x 64 KiB chunk");
}

/* A partition's whole device is its parent directory; start is in 512-byte sectors. */
TREE_CASE(test_walk_partition_on_md)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid5", 4, 131072));
	T_ASSERT(st, !put(t, "block/md0/md0p1/partition", "1"));
	T_ASSERT(st, !put(t, "block/md0/md0p1/start", "2048"));
	T_ASSERT(st, !fake_devnum(t, 259, 1, "md0/md0p1"));
	T_EQ(st, walk(t, 259, 1, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.dev, "md0p1");
	T_EQ(st, g.part_start, 1048576);
	T_STREQ(st, g.source, "md");
	T_EQ(st, g.data_disks, 3);
	T_EQ(st, g.stripe, 393216);
	T_EQ(st, g.io_opt, 524288); /* the array's queue: partitions have none of their own */
}

TREE_CASE(test_walk_dm_single_slave_to_md)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid6", 6, 65536));
	T_ASSERT(st, !put(t, "block/dm-0/dm/name", "vg-video"));
	T_ASSERT(st, !fake_disk(t, "dm-0", 65536, 262144));
	T_ASSERT(st, !link_to(t, "block/dm-0/slaves/md0", "../../md0"));
	T_ASSERT(st, !fake_devnum(t, 253, 0, "dm-0"));
	T_EQ(st, walk(t, 253, 0, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.dev, "dm-0");
	T_STREQ(st, g.source, "md");
	T_EQ(st, g.data_disks, 4);
	T_EQ(st, g.stripe, 262144);
}

TREE_CASE(test_walk_dm_over_partition_on_md)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid0", 4, 262144));
	T_ASSERT(st, !put(t, "block/md0/md0p2/partition", "2"));
	T_ASSERT(st, !put(t, "block/md0/md0p2/start", "4096"));
	T_ASSERT(st, !put(t, "block/dm-1/dm/name", "crypt"));
	T_ASSERT(st, !link_to(t, "block/dm-1/slaves/md0p2", "../../md0/md0p2"));
	T_ASSERT(st, !fake_devnum(t, 253, 1, "dm-1"));
	T_EQ(st, walk(t, 253, 1, &g, note, sizeof(note)), 0);
	T_EQ(st, g.part_start, 2097152);
	T_EQ(st, g.stripe, 1048576);
}

/* A dm target over several devices (striped LV) has only its own queue limits to offer. */
TREE_CASE(test_walk_dm_several_slaves_uses_its_io_opt)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid0", 2, 65536));
	T_ASSERT(st, !fake_disk(t, "sdc", 512, 0));
	T_ASSERT(st, !put(t, "block/dm-2/dm/name", "vg-striped"));
	T_ASSERT(st, !fake_disk(t, "dm-2", 131072, 393216));
	T_ASSERT(st, !link_to(t, "block/dm-2/slaves/md0", "../../md0"));
	T_ASSERT(st, !link_to(t, "block/dm-2/slaves/sdc", "../../sdc"));
	T_ASSERT(st, !fake_devnum(t, 253, 2, "dm-2"));
	T_EQ(st, walk(t, 253, 2, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.source, "io_opt");
	T_EQ(st, g.stripe, 393216);
}

TREE_CASE(test_walk_dm_several_slaves_no_io_opt)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_disk(t, "sdb", 512, 0));
	T_ASSERT(st, !fake_disk(t, "sdc", 512, 0));
	T_ASSERT(st, !put(t, "block/dm-3/dm/name", "vg-span"));
	T_ASSERT(st, !fake_disk(t, "dm-3", 512, 0));
	T_ASSERT(st, !link_to(t, "block/dm-3/slaves/sdb", "../../sdb"));
	T_ASSERT(st, !link_to(t, "block/dm-3/slaves/sdc", "../../sdc"));
	T_ASSERT(st, !fake_devnum(t, 253, 3, "dm-3"));
	T_EQ(st, walk(t, 253, 3, &g, note, sizeof(note)), 0);
	T_EQ(st, g.stripe, 0);
	T_STREQ(st, g.source, "");
	T_STREQ(st, note, "dm-3 spans several devices");
}

TREE_CASE(test_walk_io_opt_fallback)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_disk(t, "sdb", 262144, 1048576));
	T_ASSERT(st, !fake_devnum(t, 8, 16, "sdb"));
	T_EQ(st, walk(t, 8, 16, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.source, "io_opt");
	T_EQ(st, g.stripe, 1048576);
	T_EQ(st, g.chunk, 262144);
	T_EQ(st, g.data_disks, 4);
}

/* 0xffff sectors, a value real USB bridges report: not a multiple of io_min or of a page. */
TREE_CASE(test_walk_nonsense_io_opt_ignored)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_disk(t, "sdb", 4096, 33553920));
	T_ASSERT(st, !fake_devnum(t, 8, 16, "sdb"));
	T_EQ(st, walk(t, 8, 16, &g, note, sizeof(note)), 0);
	T_EQ(st, g.io_opt, 33553920);
	T_EQ(st, g.stripe, 0);
	T_STREQ(st, g.source, "");
}

TREE_CASE(test_walk_io_opt_not_multiple_of_io_min_ignored)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_disk(t, "sdb", 196608, 262144));
	T_ASSERT(st, !fake_devnum(t, 8, 16, "sdb"));
	T_EQ(st, walk(t, 8, 16, &g, note, sizeof(note)), 0);
	T_EQ(st, g.stripe, 0);
}

/* md's own description wins over a queue limit that says something else. */
TREE_CASE(test_walk_md_preferred_over_io_opt)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid5", 5, 65536));
	T_ASSERT(st, !put(t, "block/md0/queue/optimal_io_size", "1048576"));
	T_ASSERT(st, !fake_devnum(t, 9, 0, "md0"));
	T_EQ(st, walk(t, 9, 0, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.source, "md");
	T_EQ(st, g.stripe, 262144);
	T_EQ(st, g.io_opt, 1048576);
}

/* raid1 has no stripe; its io_opt is not taken instead either. */
TREE_CASE(test_walk_md_raid1_no_stripe)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st, !fake_md(t, "md0", "raid1", 2, 0));
	T_ASSERT(st, !put(t, "block/md0/queue/minimum_io_size", "4096"));
	T_ASSERT(st, !put(t, "block/md0/queue/optimal_io_size", "8192"));
	T_ASSERT(st, !fake_devnum(t, 9, 0, "md0"));
	T_EQ(st, walk(t, 9, 0, &g, note, sizeof(note)), 0);
	T_EQ(st, g.stripe, 0);
	T_STREQ(st, g.source, "");
	T_STREQ(st, note, "md0 raid1 has no stripe");
}

TREE_CASE(test_walk_device_not_in_sysfs)
{
	struct dio_geom g;
	char note[160];

	T_EQ(st, walk(t, 0, 27, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.dev, "");
	T_EQ(st, g.stripe, 0);
}

/* dev/block/MAJ:MIN may be a plain directory in a fake tree: the name comes from uevent. */
TREE_CASE(test_walk_directory_entry_named_by_uevent)
{
	struct dio_geom g;
	char note[160];

	T_ASSERT(st,
		 !put(t, "dev/block/7:3/uevent", "MAJOR=7\nMINOR=3\nDEVNAME=loop3\nDEVTYPE=disk"));
	T_ASSERT(st, !put(t, "dev/block/7:3/queue/minimum_io_size", "512"));
	T_ASSERT(st, !put(t, "dev/block/7:3/queue/optimal_io_size", "0"));
	T_EQ(st, walk(t, 7, 3, &g, note, sizeof(note)), 0);
	T_STREQ(st, g.dev, "loop3");
	T_EQ(st, g.io_min, 512);
	T_EQ(st, g.stripe, 0);
}

/* ---- ext4 stripe= from mountinfo ---- */

TREE_CASE(test_ext4_stripe_from_mountinfo)
{
	char path[512];
	uint64_t blocks = 0;

	T_ASSERT(st,
		 !put(t, "mountinfo",
		      "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
		      "40 22 9:1 / /srv/a rw - xfs /dev/md1 rw,sunit=128,swidth=384\n"
		      "42 22 7:0 / /mnt/my\\040disk rw,relatime - ext4 /dev/loop0 rw,stripe=48"));
	snprintf(path, sizeof(path), "%s/mountinfo", t->root);
	T_EQ(st, dio_geom_ext4_stripe(path, 7, 0, &blocks), 0);
	T_EQ(st, blocks, 48);
	T_EQ(st, dio_geom_ext4_stripe(path, 254, 0, &blocks), -ENOENT);
	T_EQ(st, dio_geom_ext4_stripe(path, 9, 1, &blocks), -ENOENT);
	T_EQ(st, dio_geom_ext4_stripe(path, 8, 1, &blocks), -ENOENT);
}

/* ---- the probe, on real files ---- */

/* A real, empty file in the tree; its st_dev in ret_dev. */
static int real_file(const struct tree *t, const char *name, char *path, size_t len, dev_t *ret_dev)
{
	struct stat sb;
	int fd;

	snprintf(path, len, "%s/%s", t->root, name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &sb))
		return -1;
	close(fd);
	if (ret_dev)
		*ret_dev = sb.st_dev;
	return 0;
}

static bool has_text(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

TREE_CASE(test_probe_existing_file_direct)
{
	struct dio_geom g;
	char path[512];

	T_ASSERT(st, !real_file(t, "a.mov", path, sizeof(path), NULL));
	T_EQ(st, dio_geom_probe(path, "/sys", 0, &g), 0);
	if (!g.direct_ok)
		T_SKIP(st, "the build directory's filesystem has no O_DIRECT");
	T_ASSERT(st, g.align >= 4096);
	T_EQ(st, g.align % 4096, 0);
	T_ASSERT(st, g.fs_block > 0);
	T_ASSERT(st, !g.offset_align || g.align % g.offset_align == 0);
	T_ASSERT(st, g.why[0] != '\0');
}

/* A file about to be created is probed through its directory (and a temporary file there,
 * which must not be left behind). */
TREE_CASE(test_probe_new_file_via_directory)
{
	struct dio_geom g, existing;
	char path[512];

	T_ASSERT(st, !real_file(t, "a.mov", path, sizeof(path), NULL));
	T_EQ(st, dio_geom_probe(path, "/sys", 0, &existing), 0);
	T_ASSERT(st, !unlink(path));
	T_EQ(st, dio_geom_probe(path, "/sys", 0, &g), 0);
	T_EQ(st, g.direct_ok, existing.direct_ok);
	T_EQ(st, g.offset_align, existing.offset_align);
	T_EQ(st, g.align, existing.align);
	T_ASSERT(st, access(path, F_OK) != 0);
	T_EQ(st, rmdir(t->root), 0); /* empty: no probe file left */
	T_ASSERT(st, !mkdir(t->root, 0755));
}

TREE_CASE(test_probe_missing_directory)
{
	struct dio_geom g;
	char path[512];

	snprintf(path, sizeof(path), "%s/no/such/dir/a.mov", t->root);
	T_EQ(st, dio_geom_probe(path, "/sys", 0, &g), -ENOENT);
	T_EQ(st, dio_geom_probe(t->root, "/sys", 0, &g), -EISDIR);
}

/* The real file's st_dev leads, in a fake tree, to md0. */
static int fake_md_under(const struct tree *t, char *path, size_t len, unsigned long long chunk)
{
	dev_t dev;

	if (real_file(t, "a.mov", path, len, &dev) || fake_md(t, "md0", "raid0", 3, chunk))
		return -1;
	return fake_devnum(t, major(dev), minor(dev), "md0");
}

TREE_CASE(test_probe_md_stripe_for_real_file)
{
	struct dio_geom g;
	char path[512];

	T_ASSERT(st, !fake_md_under(t, path, sizeof(path), 65536));
	T_EQ(st, dio_geom_probe(path, t->root, 0, &g), 0);
	T_STREQ(st, g.dev, "md0");
	T_STREQ(st, g.source, "md");
	T_EQ(st, g.stripe, 196608);
	T_EQ(st, g.align, 196608);
	T_STREQ(st, g.why, "192 KiB = md0 raid0 3 data disks x 64 KiB chunk");
}

/* 3 x 1536 bytes: a unit of one stripe would break page alignment, so take the lcm. */
TREE_CASE(test_probe_odd_stripe_takes_lcm)
{
	struct dio_geom g;
	char path[512];

	T_ASSERT(st, !fake_md_under(t, path, sizeof(path), 1536));
	T_EQ(st, dio_geom_probe(path, t->root, 0, &g), 0);
	T_EQ(st, g.stripe, 4608);
	if (g.direct_ok && g.fs_block != 4096)
		T_SKIP(st, "filesystem block is not 4096 here");
	T_EQ(st, g.align, 36864);
	T_ASSERT(st, has_text(g.why, "36 KiB = lcm of 4 KiB and the 4608 bytes stripe"));
}

TREE_CASE(test_probe_partition_off_stripe_is_mentioned)
{
	struct dio_geom g;
	char path[512];
	dev_t dev;

	T_ASSERT(st, !real_file(t, "a.mov", path, sizeof(path), &dev));
	T_ASSERT(st, !fake_md(t, "md0", "raid0", 3, 65536));
	T_ASSERT(st, !put(t, "block/md0/md0p1/partition", "1"));
	T_ASSERT(st, !put(t, "block/md0/md0p1/start", "2048"));
	T_ASSERT(st, !fake_devnum(t, major(dev), minor(dev), "md0/md0p1"));
	T_EQ(st, dio_geom_probe(path, t->root, 0, &g), 0);
	T_EQ(st, g.part_start, 1048576);
	T_EQ(st, g.align, 196608);
	T_ASSERT(st, has_text(g.why, "md0p1 starts 1 MiB in, off the stripe"));
}

TREE_CASE(test_probe_override_accepted)
{
	struct dio_geom g;
	char path[512];

	T_ASSERT(st, !fake_md_under(t, path, sizeof(path), 65536));
	T_EQ(st, dio_geom_probe(path, t->root, 4096, &g), 0);
	T_EQ(st, g.align, 4096);
	T_STREQ(st, g.source, "override");
	T_EQ(st, g.stripe, 196608); /* still reported */
	T_ASSERT(st, has_text(g.why, "override 4 KiB (--align), not a multiple of the stripe"));
}

TREE_CASE(test_probe_override_rejected)
{
	struct dio_geom g = { .align = 12345 };
	char path[512];

	T_ASSERT(st, !real_file(t, "a.mov", path, sizeof(path), NULL));
	T_EQ(st, dio_geom_probe(path, "/sys", 6144, &g), -EINVAL);
	T_EQ(st, dio_geom_probe(path, "/sys", 2048, &g), -EINVAL);
	T_EQ(st, g.align, 12345); /* ret_geom untouched on failure */
	T_EQ(st, dio_geom_probe(path, "/sys", 3 * 65536, &g), 0);
	T_EQ(st, g.align, 196608);
}

/* ---- FIEMAP placement ---- */

/* A file of size bytes in the tree, allocated where alloc says (every block when NULL). */
static int alloc_file(const struct tree *t, uint64_t size, bool (*alloc)(uint64_t block))
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/f.mov", t->root);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size))
		goto out_close;
	for (uint64_t b = 0; alloc && b < size / 4096; b++)
		if (alloc(b) && fallocate(fd, 0, (off_t)(b * 4096), 4096))
			goto out_close;
	if (!alloc && fallocate(fd, 0, 0, (off_t)size))
		goto out_close;
	return fd;
out_close:
	close(fd);
	return -errno;
}

static bool no_blocks(uint64_t block)
{
	(void)block;
	return false;
}

static bool even_blocks(uint64_t block)
{
	return block % 2 == 0;
}

#define SKIP_UNLESS_FIEMAP(st, ret)                                                                \
	do {                                                                                       \
		if ((ret) == -EOPNOTSUPP || (ret) == -ENOTTY)                                      \
			T_SKIP(st, "no fallocate or FIEMAP on the build directory's filesystem");  \
	} while (0)

TREE_CASE(test_fiemap_fallocated_all_mapped)
{
	uint64_t off[8];
	unsigned mapped = 99;
	int fd, ret;

	fd = alloc_file(t, 8u << 20, NULL);
	SKIP_UNLESS_FIEMAP(st, fd);
	T_ASSERT(st, fd >= 0);
	for (unsigned i = 0; i < 8; i++)
		off[i] = (uint64_t)i << 20;
	ret = dio_fiemap_aligned(fd, off, 8, 4096, 0, &mapped);
	close(fd);
	SKIP_UNLESS_FIEMAP(st, ret);
	T_EQ(st, mapped, 8);
	T_EQ(st, ret, 8); /* every block starts on a 4 KiB device address */
}

TREE_CASE(test_fiemap_hole_is_unmapped)
{
	uint64_t off[2] = { 0, 1u << 20 };
	unsigned mapped = 99;
	int fd, ret;

	fd = alloc_file(t, 2u << 20, no_blocks);
	T_ASSERT(st, fd >= 0);
	ret = dio_fiemap_aligned(fd, off, 2, 4096, 0, &mapped);
	close(fd);
	SKIP_UNLESS_FIEMAP(st, ret);
	T_EQ(st, ret, 0);
	T_EQ(st, mapped, 0);
}

/* More extents than one FIEMAP call returns, offsets given in no particular order. */
TREE_CASE(test_fiemap_many_extents_unsorted)
{
	enum { BLOCKS = 800 };
	uint64_t off[BLOCKS];
	unsigned mapped = 0;
	int fd, ret;

	fd = alloc_file(t, BLOCKS * 4096, even_blocks);
	SKIP_UNLESS_FIEMAP(st, fd);
	T_ASSERT(st, fd >= 0);
	for (unsigned i = 0; i < BLOCKS; i++)
		off[i] = (uint64_t)(BLOCKS - 1 - i) * 4096;
	ret = dio_fiemap_aligned(fd, off, BLOCKS, 4096, 0, &mapped);
	close(fd);
	SKIP_UNLESS_FIEMAP(st, ret);
	T_EQ(st, mapped, BLOCKS / 2);
	T_EQ(st, ret, BLOCKS / 2);
}

/* The filesystem's device starting 512 bytes into the array puts every block off a 4 KiB
 * boundary of the array. */
TREE_CASE(test_fiemap_part_start_shifts_addresses)
{
	uint64_t off[4] = { 0, 4096, 65536, 1u << 20 };
	unsigned mapped = 0;
	int fd, ret;

	fd = alloc_file(t, 2u << 20, NULL);
	SKIP_UNLESS_FIEMAP(st, fd);
	T_ASSERT(st, fd >= 0);
	ret = dio_fiemap_aligned(fd, off, 4, 4096, 512, &mapped);
	close(fd);
	SKIP_UNLESS_FIEMAP(st, ret);
	T_EQ(st, mapped, 4);
	T_EQ(st, ret, 0);
}

static void test_fiemap_zero_stripe_is_einval(struct t_state *st)
{
	uint64_t off = 0;

	T_EQ(st, dio_fiemap_aligned(0, &off, 1, 0, 0, NULL), -EINVAL);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_md_data_disks_levels);
	T_RUN(&st, test_md_data_disks_invalid);
	T_RUN(&st, test_md_raid0_3x64k_stripe_not_power_of_two);
	T_RUN(&st, test_md_raid0_4x256k);
	T_RUN(&st, test_md_raid5_4x128k);
	T_RUN(&st, test_md_raid6_6_disks);
	T_RUN(&st, test_md_raid10_near2_default);
	T_RUN(&st, test_md_raid10_near3_layout);
	T_RUN(&st, test_md_linear_is_einval);
	T_RUN(&st, test_md_not_md_is_enoent);
	T_RUN(&st, test_walk_md_whole_device);
	T_RUN(&st, test_walk_partition_on_md);
	T_RUN(&st, test_walk_dm_single_slave_to_md);
	T_RUN(&st, test_walk_dm_over_partition_on_md);
	T_RUN(&st, test_walk_dm_several_slaves_uses_its_io_opt);
	T_RUN(&st, test_walk_dm_several_slaves_no_io_opt);
	T_RUN(&st, test_walk_io_opt_fallback);
	T_RUN(&st, test_walk_nonsense_io_opt_ignored);
	T_RUN(&st, test_walk_io_opt_not_multiple_of_io_min_ignored);
	T_RUN(&st, test_walk_md_preferred_over_io_opt);
	T_RUN(&st, test_walk_md_raid1_no_stripe);
	T_RUN(&st, test_walk_device_not_in_sysfs);
	T_RUN(&st, test_walk_directory_entry_named_by_uevent);
	T_RUN(&st, test_ext4_stripe_from_mountinfo);
	T_RUN(&st, test_probe_existing_file_direct);
	T_RUN(&st, test_probe_new_file_via_directory);
	T_RUN(&st, test_probe_missing_directory);
	T_RUN(&st, test_probe_md_stripe_for_real_file);
	T_RUN(&st, test_probe_odd_stripe_takes_lcm);
	T_RUN(&st, test_probe_partition_off_stripe_is_mentioned);
	T_RUN(&st, test_probe_override_accepted);
	T_RUN(&st, test_probe_override_rejected);
	T_RUN(&st, test_fiemap_fallocated_all_mapped);
	T_RUN(&st, test_fiemap_hole_is_unmapped);
	T_RUN(&st, test_fiemap_many_extents_unsorted);
	T_RUN(&st, test_fiemap_part_start_shifts_addresses);
	T_RUN(&st, test_fiemap_zero_stripe_is_einval);
	return T_EXIT(&st);
}
