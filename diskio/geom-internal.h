/* Shared inside diskio/ by the geometry probe (geom.c) and its sysfs walk (geom-sysfs.c).
 * Declared here rather than static so the unit tests can drive each step on fake inputs. */
#ifndef VCAP_GEOM_INTERNAL_H
#define VCAP_GEOM_INTERNAL_H

#include "dio.h"

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

/* ext4's stripe= super option (in filesystem blocks) for the mount of device MAJ:MIN, read from
 * a mountinfo file (normally /proc/self/mountinfo). -ENOENT when no ext2/3/4 mount of that
 * device shows stripe=. */
int dio_geom_ext4_stripe(const char *mountinfo_path, unsigned major, unsigned minor,
			 uint64_t *ret_blocks);

/* "192 KiB", "1 MiB", "4608 bytes": exact, never rounded, for the why sentence. */
void dio_geom_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif
