/* Distributed filesystems' layouts decoded into the alignment unit (diskio/geom-dfs.c), on
 * images of what each filesystem hands out: CephFS's ceph.file.layout text, Lustre's
 * lustre.lov bytes (built here from the packed structs of lustre_user.h), BeeGFS's
 * stripe-info ioctl argument, and an NFS mount's wsize in a mountinfo file. */
#include "dio.h"
#include "geom-internal.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* lustre/include/uapi/linux/lustre/lustre_user.h, little-endian on disk and on x86 */
struct lov_user_md_v1 {
	uint32_t lmm_magic;
	uint32_t lmm_pattern;
	uint64_t lmm_oi[2];
	uint32_t lmm_stripe_size;
	uint16_t lmm_stripe_count;
	uint16_t lmm_stripe_offset;
} __attribute__((packed));

struct lov_user_md_v3 {
	struct lov_user_md_v1 v1;
	char lmm_pool_name[16];
} __attribute__((packed));

_Static_assert(sizeof(struct lov_user_md_v1) == 32, "lov_user_md_v1 is 32 bytes");
_Static_assert(sizeof(struct lov_user_md_v3) == 48, "lov_user_md_v3 is 48 bytes");

static void test_ceph_default_layout(struct t_state *st)
{
	struct dio_dfs_layout l;
	struct dio_geom g = { 0 };
	char note[160];

	T_EQ(st,
	     dio_geom_ceph_layout("stripe_unit=4194304 stripe_count=1 object_size=4194304 "
				  "pool=cephfs_data",
				  &l),
	     0);
	T_EQ(st, l.stripe_unit, 4194304);
	T_EQ(st, l.stripe_count, 1);
	T_EQ(st, l.object_size, 4194304);
	T_STREQ(st, l.pool, "cephfs_data");
	dio_geom_dfs_apply(&l, &g, note, sizeof(note));
	T_EQ(st, g.stripe, 4194304);
	T_STREQ(st, g.source, "CephFS");
	T_STREQ(st, note, "CephFS object size, stripe unit 4 MiB x 1, pool cephfs_data");
}

static void test_ceph_striped_layout(struct t_state *st)
{
	struct dio_dfs_layout l;
	struct dio_geom g = { 0 };
	char note[160];

	/* fields in any order, as setfattr accepts them */
	T_EQ(st,
	     dio_geom_ceph_layout("pool=fast object_size=8388608 stripe_count=4 "
				  "stripe_unit=1048576",
				  &l),
	     0);
	dio_geom_dfs_apply(&l, &g, note, sizeof(note));
	T_EQ(st, g.chunk, 1048576);
	T_EQ(st, g.data_disks, 4);
	T_EQ(st, g.stripe, 4 << 20);
	T_STREQ(st, note, "CephFS stripe unit 1 MiB x 4 (objects of 8 MiB), pool fast");
}

static void test_ceph_refused(struct t_state *st)
{
	struct dio_dfs_layout l;

	T_EQ(st, dio_geom_ceph_layout("stripe_unit=4194304 stripe_count=1", &l), -EINVAL);
	T_EQ(st, dio_geom_ceph_layout("stripe_unit=0 stripe_count=1 object_size=4194304", &l),
	     -EINVAL);
	/* an object must hold whole stripe units */
	T_EQ(st, dio_geom_ceph_layout("stripe_unit=3145728 stripe_count=1 object_size=4194304", &l),
	     -EINVAL);
	T_EQ(st, dio_geom_ceph_layout("stripe_unit=4x stripe_count=1 object_size=4194304", &l),
	     -EINVAL);
	/* a key inside another's name is not that key */
	T_EQ(st, dio_geom_ceph_layout("xstripe_unit=4096 stripe_count=1 object_size=4096", &l),
	     -EINVAL);
}

static void test_lustre_v1(struct t_state *st)
{
	struct lov_user_md_v1 m = { .lmm_magic = 0x0BD10BD0,
				    .lmm_pattern = 1,
				    .lmm_stripe_size = 1 << 20,
				    .lmm_stripe_count = 8,
				    .lmm_stripe_offset = 3 };
	struct dio_dfs_layout l;
	struct dio_geom g = { 0 };
	char note[160];

	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), 0);
	T_EQ(st, l.stripe_unit, 1 << 20);
	T_EQ(st, l.stripe_count, 8);
	dio_geom_dfs_apply(&l, &g, note, sizeof(note));
	T_EQ(st, g.stripe, 8 << 20);
	T_STREQ(st, g.source, "Lustre");
	T_STREQ(st, note, "Lustre stripe size 1 MiB x 8");
	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m) - 1, &l), -EINVAL);
}

static void test_lustre_v3_pool_and_all_osts(struct t_state *st)
{
	struct lov_user_md_v3 m = { .v1 = { .lmm_magic = 0x0BD30BD0,
					    .lmm_pattern = 1,
					    .lmm_stripe_size = 4 << 20,
					    .lmm_stripe_count = 0xffff },
				    .lmm_pool_name = "flash" };
	struct dio_dfs_layout l;
	struct dio_geom g = { 0 };
	char note[160];

	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), 0);
	T_STREQ(st, l.pool, "flash");
	T_ASSERT(st, l.count_unknown);
	dio_geom_dfs_apply(&l, &g, note, sizeof(note));
	T_EQ(st, g.stripe, 4 << 20); /* one stripe, the count not known */
	T_STREQ(st, note,
		"Lustre stripe size 4 MiB (over every target, or the default count), pool flash");
	T_EQ(st, dio_geom_lustre_lov(&m, 40, &l), -EINVAL); /* v3 cut short */
}

static void test_lustre_refused(struct t_state *st)
{
	struct lov_user_md_v1 m = { .lmm_magic = 0x0BD60BD0,
				    .lmm_pattern = 1,
				    .lmm_stripe_size = 1 << 20,
				    .lmm_stripe_count = 1 };
	struct dio_dfs_layout l;

	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), -EOPNOTSUPP); /* composite (PFL) */
	m.lmm_magic = 0x0BD10BD0;
	m.lmm_pattern = 0x100; /* data on MDT */
	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), -EOPNOTSUPP);
	m.lmm_pattern = 1;
	m.lmm_stripe_size = 1000; /* not a multiple of 4 KiB: not Lustre's */
	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), -EINVAL);
	m.lmm_magic = 0x12345678;
	T_EQ(st, dio_geom_lustre_lov(&m, sizeof(m), &l), -EINVAL);
}

/* struct BeegfsIoctl_GetStripeInfo_Arg */
struct beegfs_arg {
	unsigned pattern, chunk;
	uint16_t targets;
};

static void test_beegfs(struct t_state *st)
{
	struct beegfs_arg a = { .pattern = 1, .chunk = 512 << 10, .targets = 4 };
	struct dio_dfs_layout l;
	struct dio_geom g = { 0 };
	char note[160];

	T_EQ(st, dio_geom_beegfs(&a, sizeof(a), &l), 0);
	dio_geom_dfs_apply(&l, &g, note, sizeof(note));
	T_EQ(st, g.stripe, 2 << 20);
	T_STREQ(st, note, "BeeGFS chunk size 512 KiB x 4");
	a.pattern = 2; /* raid10: every chunk on two targets */
	T_EQ(st, dio_geom_beegfs(&a, sizeof(a), &l), 0);
	T_EQ(st, l.stripe_count, 2);
	a.chunk = 3 << 16; /* not a power of two */
	T_EQ(st, dio_geom_beegfs(&a, sizeof(a), &l), -EINVAL);
	a.chunk = 1 << 16;
	a.pattern = 0;
	T_EQ(st, dio_geom_beegfs(&a, sizeof(a), &l), -EINVAL);
}

static void test_nfs_wsize(struct t_state *st)
{
	char path[] = "/tmp/vcap-mountinfo-XXXXXX";
	int fd = mkstemp(path);
	uint64_t w = 0;
	static const char info[] =
	    "22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
	    "36 22 0:45 / /mnt/nfs rw,relatime - nfs4 srv:/x rw,vers=4.2,rsize=524288,"
	    "wsize=1048576,namlen=255,hard,proto=tcp\n";

	T_ASSERT(st, fd >= 0);
	T_ASSERT(st, write(fd, info, sizeof(info) - 1) == (ssize_t)sizeof(info) - 1);
	close(fd);
	T_EQ(st, dio_geom_nfs_wsize(path, 0, 45, &w), 0);
	T_EQ(st, w, 1048576);
	T_EQ(st, dio_geom_nfs_wsize(path, 254, 1, &w), -ENOENT); /* ext4: no wsize */
	unlink(path);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_ceph_default_layout);
	T_RUN(&st, test_ceph_striped_layout);
	T_RUN(&st, test_ceph_refused);
	T_RUN(&st, test_lustre_v1);
	T_RUN(&st, test_lustre_v3_pool_and_all_osts);
	T_RUN(&st, test_lustre_refused);
	T_RUN(&st, test_beegfs);
	T_RUN(&st, test_nfs_wsize);
	return T_EXIT(&st);
}
