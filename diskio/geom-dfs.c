/* The stripe of a distributed filesystem, from the file's (or its directory's) own layout
 * rather than from a block device: CephFS's ceph.file.layout xattrs, Lustre's lustre.lov
 * xattr (lov_user_md v1/v3), BeeGFS's stripe-info ioctl, NFS's wsize. Each decoder works on
 * the bytes the filesystem hands out, so the unit tests run them on images of those
 * structures without a cluster.
 *
 * Sources: Ceph's doc/cephfs/file-layouts.rst (the xattr names and the "key=value" text of
 * ceph.file.layout); Lustre's lustre/include/uapi/linux/lustre/lustre_user.h (struct
 * lov_user_md_v1/v3, packed, little-endian; LOV_USER_MAGIC_V1 0x0BD10BD0, _V3 0x0BD30BD0,
 * _SPECIFIC 0x0BD50BD0, composite _COMP_V1 0x0BD60BD0; a stripe count of 0xffff means every
 * OST, 0 the filesystem default); BeeGFS's client_module/include/uapi/beegfs_client.h
 * (BEEGFS_IOC_GET_STRIPEINFO = _IOR('f', 25, struct BeegfsIoctl_GetStripeInfo_Arg:
 * outPatternType, outChunkSize, outNumTargets); nfs(5) for wsize. */
#include "geom-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>

#define LOV_MAGIC_V1 0x0BD10BD0u
#define LOV_MAGIC_V3 0x0BD30BD0u
#define LOV_MAGIC_SPECIFIC 0x0BD50BD0u
#define LOV_MAGIC_COMP_V1 0x0BD60BD0u
#define LOV_PATTERN_RAID0 0x001u
#define LOV_PATTERN_MDT 0x100u /* data on the metadata target: no OST stripe */
#define LOV_ALL_STRIPES 0xffffu

/* struct BeegfsIoctl_GetStripeInfo_Arg, as the client module defines it. */
struct dio_beegfs_stripe_info {
	unsigned pattern; /* BEEGFS_STRIPEPATTERN_*: 1 raid0, 2 raid10, 3 buddy mirror */
	unsigned chunk;
	uint16_t targets;
};
#define DIO_BEEGFS_IOC_GET_STRIPEINFO _IOR('f', 25, struct dio_beegfs_stripe_info)

/* A stripe unit the layouts themselves refuse (Ceph: 64 KiB multiples; Lustre: 64 KiB
 * multiples; BeeGFS: powers of two from 64 KiB) is not a layout to follow. */
static bool unit_sane(uint64_t su)
{
	return su >= 4096 && su % 4096 == 0 && su <= (256ull << 20);
}

static int ceph_field(const char *text, const char *key, uint64_t *ret)
{
	size_t n = strlen(key);
	const char *s;
	char *end;

	for (s = text; (s = strstr(s, key)); s += n)
		if ((s == text || s[-1] == ' ') && s[n] == '=')
			break;
	if (!s)
		return -ENODATA;
	errno = 0;
	*ret = strtoull(s + n + 1, &end, 10);
	if (errno || end == s + n + 1 || (*end && *end != ' '))
		return -EINVAL;
	return 0;
}

int dio_geom_ceph_layout(const char *text, struct dio_dfs_layout *ret)
{
	struct dio_dfs_layout l = { .fs = "CephFS" };
	uint64_t count;
	const char *pool;

	if (ceph_field(text, "stripe_unit", &l.stripe_unit) ||
	    ceph_field(text, "stripe_count", &count) ||
	    ceph_field(text, "object_size", &l.object_size))
		return -EINVAL;
	if (!unit_sane(l.stripe_unit) || !count || count > 65536 || !l.object_size ||
	    l.object_size % l.stripe_unit)
		return -EINVAL;
	l.stripe_count = (uint32_t)count;
	pool = strstr(text, "pool=");
	if (pool)
		snprintf(l.pool, sizeof(l.pool), "%.*s", (int)strcspn(pool + 5, " "), pool + 5);
	*ret = l;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int dio_geom_lustre_lov(const void *buf, size_t len, struct dio_dfs_layout *ret)
{
	const uint8_t *b = buf;
	struct dio_dfs_layout l = { .fs = "Lustre" };
	uint32_t magic, pattern;
	uint16_t count;

	if (len < 32)
		return -EINVAL;
	magic = le32(b);
	if (magic == LOV_MAGIC_COMP_V1)
		return -EOPNOTSUPP; /* progressive layouts: the stripe changes along the file */
	if (magic != LOV_MAGIC_V1 && magic != LOV_MAGIC_V3 && magic != LOV_MAGIC_SPECIFIC)
		return -EINVAL;
	if (magic != LOV_MAGIC_V1 && len < 48)
		return -EINVAL;
	pattern = le32(b + 4);
	if (pattern & LOV_PATTERN_MDT || !(pattern & LOV_PATTERN_RAID0))
		return -EOPNOTSUPP;
	l.stripe_unit = le32(b + 24);
	count = (uint16_t)(b[28] | b[29] << 8);
	if (!unit_sane(l.stripe_unit))
		return -EINVAL;
	/* every OST, or the default: the count is not known here, one stripe is */
	l.stripe_count = count == LOV_ALL_STRIPES || !count ? 1 : count;
	l.count_unknown = count == LOV_ALL_STRIPES || !count;
	if (magic != LOV_MAGIC_V1)
		snprintf(l.pool, sizeof(l.pool), "%.16s", (const char *)b + 32);
	*ret = l;
	return 0;
}

int dio_geom_beegfs(const void *buf, size_t len, struct dio_dfs_layout *ret)
{
	struct dio_beegfs_stripe_info s;
	struct dio_dfs_layout l = { .fs = "BeeGFS" };

	if (len < sizeof(s))
		return -EINVAL;
	memcpy(&s, buf, sizeof(s));
	if (!s.pattern || s.pattern > 3 || !unit_sane(s.chunk) || s.chunk & (s.chunk - 1) ||
	    !s.targets)
		return -EINVAL;
	l.stripe_unit = s.chunk;
	/* raid10 and buddy mirrors write each chunk twice: half the targets hold distinct data */
	l.stripe_count = s.pattern == 2 && s.targets > 1 ? s.targets / 2u : s.targets;
	*ret = l;
	return 0;
}

void dio_geom_dfs_apply(const struct dio_dfs_layout *l, struct dio_geom *g, char *note, size_t len)
{
	char su[24], os[24];

	g->chunk = l->stripe_unit;
	g->data_disks = l->stripe_count;
	g->stripe = l->stripe_unit * l->stripe_count;
	snprintf(g->source, sizeof(g->source), "%s", l->fs);
	dio_geom_fmt_size(l->stripe_unit, su, sizeof(su));
	dio_geom_fmt_size(l->object_size, os, sizeof(os));
	if (l->object_size && l->stripe_count == 1 && l->object_size == l->stripe_unit)
		snprintf(note, len, "%s object size, stripe unit %s x 1", l->fs, su);
	else if (l->object_size)
		snprintf(note, len, "%s stripe unit %s x %" PRIu32 " (objects of %s)", l->fs, su,
			 l->stripe_count, os);
	else if (l->count_unknown)
		snprintf(note, len, "%s stripe size %s (over every target, or the default count)",
			 l->fs, su);
	else
		snprintf(note, len, "%s %s %s x %" PRIu32, l->fs,
			 strcmp(l->fs, "BeeGFS") ? "stripe size" : "chunk size", su,
			 l->stripe_count);
	if (l->pool[0])
		snprintf(note + strlen(note), len - strlen(note), ", pool %s", l->pool);
}

/* ceph.file.layout of the file, else ceph.dir.layout of a directory that has one set (a
 * directory without its own answers ENODATA: its files take the filesystem's default). */
static int ceph_probe(int fd, struct dio_dfs_layout *ret)
{
	char text[256];
	ssize_t n = fgetxattr(fd, "ceph.file.layout", text, sizeof(text) - 1);

	if (n < 0)
		n = fgetxattr(fd, "ceph.dir.layout", text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = 0;
	return dio_geom_ceph_layout(text, ret);
}

static int lustre_probe(int fd, struct dio_dfs_layout *ret)
{
	uint8_t buf[4096];
	ssize_t n = fgetxattr(fd, "lustre.lov", buf, sizeof(buf));

	if (n < 0)
		return -errno;
	return dio_geom_lustre_lov(buf, (size_t)n, ret);
}

static int beegfs_probe(int fd, struct dio_dfs_layout *ret)
{
	struct dio_beegfs_stripe_info s = { 0 };

	if (ioctl(fd, DIO_BEEGFS_IOC_GET_STRIPEINFO, &s) < 0)
		return -errno;
	return dio_geom_beegfs(&s, sizeof(s), ret);
}

int dio_geom_dfs_probe(int fd, unsigned long fs_type, struct dio_dfs_layout *ret)
{
	switch (fs_type) {
	case DIO_CEPH_SUPER_MAGIC:
		return ceph_probe(fd, ret);
	case DIO_LUSTRE_SUPER_MAGIC:
		return lustre_probe(fd, ret);
	case DIO_BEEGFS_SUPER_MAGIC:
		return beegfs_probe(fd, ret);
	default:
		return -ENOTSUP;
	}
}

int dio_geom_nfs_wsize(const char *mountinfo_path, unsigned major, unsigned minor,
		       uint64_t *ret_wsize)
{
	static const char *const nfs[] = { "nfs", "nfs4", NULL };

	return dio_geom_mount_opt(mountinfo_path, major, minor, nfs, "wsize", ret_wsize);
}
