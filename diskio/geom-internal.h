/* Shared inside diskio/ by the geometry probe (geom.c) and its sysfs walk (geom-sysfs.c).
 * Declared here rather than static so the unit tests can drive each step on fake inputs. */
#ifndef VCAP_GEOM_INTERNAL_H
#define VCAP_GEOM_INTERNAL_H

#include "dio.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel headers older than 6.1 lack the mask bit; the stx_dio_* fields come with it. */
#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN 0x00002000U
#endif

/* Walk sysfs_root/dev/block/MAJ:MIN down through partitions and single-slave device-mapper
 * devices to the device that knows the geometry. Fills dev, part_start, io_min, io_opt and,
 * from md/ (source "md") or else from a sane optimal_io_size (source "io_opt"), chunk,
 * data_disks and stripe. note gets what the stripe is made of ("md0 raid5 3 data disks x
 * 128 KiB chunk"), or "" when none was found. A device missing from sysfs (tmpfs, overlay) is
 * not an error: 0 with nothing filled. -errno only when the walk itself fails (EMFILE...). */
int dio_geom_sysfs(const char *sysfs_root, unsigned major, unsigned minor, struct dio_geom *geom,
		   char *note, size_t note_len);

/* A numeric super option (KEY=N, N > 0) of a mount of device MAJ:MIN whose filesystem type
 * is one of fstypes (NULL-terminated), from a mountinfo file. -ENOENT when none has it. */
int dio_geom_mount_opt(const char *mountinfo_path, unsigned major, unsigned minor,
		       const char *const *fstypes, const char *key, uint64_t *ret_value);

/* ext4's stripe= super option (in filesystem blocks) for the mount of device MAJ:MIN, read from
 * a mountinfo file (normally /proc/self/mountinfo). -ENOENT when no ext2/3/4 mount of that
 * device shows stripe=. */
int dio_geom_ext4_stripe(const char *mountinfo_path, unsigned major, unsigned minor,
			 uint64_t *ret_blocks);

/* ---- distributed filesystems (geom-dfs.c) ---- */

/* statfs f_type values (linux/magic.h has the first two; the others from their sources). */
#define DIO_CEPH_SUPER_MAGIC 0x00c36400ul
#define DIO_NFS_SUPER_MAGIC 0x6969ul
#define DIO_LUSTRE_SUPER_MAGIC 0x0bd00bd0ul
#define DIO_BEEGFS_SUPER_MAGIC 0x19830326ul
#define DIO_GPFS_SUPER_MAGIC 0x47504653ul

/* A file's layout on a distributed filesystem. Sizes in bytes. */
struct dio_dfs_layout {
	char fs[8];	       /* "CephFS", "Lustre", "BeeGFS" */
	uint64_t stripe_unit;  /* bytes written to one object/target before the next */
	uint32_t stripe_count; /* objects/targets a stripe spans (distinct data) */
	uint64_t object_size;  /* CephFS: bytes of one object (a multiple of stripe_unit); 0 */
	bool count_unknown;    /* Lustre: every OST (-1) or the default (0): counted as 1 */
	char pool[64];	       /* CephFS data pool, Lustre OST pool; "" */
};

/* ceph.file.layout's text ("stripe_unit=4194304 stripe_count=1 object_size=4194304
 * pool=cephfs_data"). -EINVAL when a field is missing or the layout is one CephFS refuses. */
int dio_geom_ceph_layout(const char *text, struct dio_dfs_layout *ret);
/* lustre.lov's bytes (lov_user_md v1, v3 or specific; little-endian). -EINVAL for a short
 * or foreign buffer, -EOPNOTSUPP for layouts without one stripe (composite, data on MDT). */
int dio_geom_lustre_lov(const void *buf, size_t len, struct dio_dfs_layout *ret);
/* BEEGFS_IOC_GET_STRIPEINFO's argument as the ioctl filled it. -EINVAL when implausible. */
int dio_geom_beegfs(const void *buf, size_t len, struct dio_dfs_layout *ret);
/* The layout of the file open at fd on a filesystem of statfs type fs_type: -ENOTSUP for
 * other filesystems, else the decoder's result or the xattr/ioctl's -errno. */
int dio_geom_dfs_probe(int fd, unsigned long fs_type, struct dio_dfs_layout *ret);
/* The layout as the geometry's stripe (chunk = stripe unit, data_disks = stripe count,
 * stripe = their product, source = fs) and the note naming it, e.g. "CephFS object size,
 * stripe unit 4 MiB x 1". */
void dio_geom_dfs_apply(const struct dio_dfs_layout *l, struct dio_geom *g, char *note,
			size_t len);
/* NFS: the wsize= of the mount of MAJ:MIN in a mountinfo file. -ENOENT when none. */
int dio_geom_nfs_wsize(const char *mountinfo_path, unsigned major, unsigned minor,
		       uint64_t *ret_wsize);

/* "192 KiB", "1 MiB", "4608 bytes": exact, never rounded, for the why sentence. */
void dio_geom_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif
