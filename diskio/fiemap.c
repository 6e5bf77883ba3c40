/* dio_fiemap_aligned(): did the filesystem put each batch on a stripe boundary of the device?
 * An aligned file offset is worth little if the extent under it starts mid-stripe. */
#include "dio.h"

#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* Extents fetched per ioctl; files written in small steps can have thousands. */
#define FIEMAP_BATCH 128
#define FIEMAP_BYTES (sizeof(struct fiemap) + FIEMAP_BATCH * sizeof(struct fiemap_extent))

/* Flags under which fe_physical is not a plain device address (or not known yet). */
#define PHYS_UNUSABLE                                                                              \
	(FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |                  \
	 FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |    \
	 FIEMAP_EXTENT_DATA_TAIL)

struct fiemap_scan {
	const uint64_t *off; /* sorted */
	unsigned n;
	unsigned next; /* first offset not yet matched to an extent */
	uint64_t stripe;
	uint64_t part_start;
	unsigned mapped;
	unsigned aligned;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Match the offsets that fall inside extent fe; offsets before it are in a hole. */
static void scan_extent(struct fiemap_scan *s, const struct fiemap_extent *fe)
{
	while (s->next < s->n && s->off[s->next] < fe->fe_logical)
		s->next++;
	for (; s->next < s->n && s->off[s->next] - fe->fe_logical < fe->fe_length; s->next++) {
		uint64_t phys = fe->fe_physical + (s->off[s->next] - fe->fe_logical);

		if (fe->fe_flags & PHYS_UNUSABLE)
			continue;
		s->mapped++; /* unwritten (preallocated) extents count: the blocks are placed */
		if ((phys + s->part_start) % s->stripe == 0)
			s->aligned++;
	}
}

/* One FIEMAP call from start on; returns 1 when the file has no more extents, 0 to go on. */
static int scan_batch(int fd, struct fiemap *fm, uint64_t start, uint32_t flags,
		      struct fiemap_scan *s)
{
	/* the extents too: memcheck counts only the header as written by the ioctl, and the
	 * first call on a fresh buffer would read "uninitialised" extents the kernel filled */
	memset(fm, 0, FIEMAP_BYTES);
	fm->fm_start = start;
	fm->fm_length = FIEMAP_MAX_OFFSET - start;
	fm->fm_flags = flags;
	fm->fm_extent_count = FIEMAP_BATCH;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
		return -errno;
	for (unsigned i = 0; i < fm->fm_mapped_extents; i++)
		scan_extent(s, &fm->fm_extents[i]);
	if (!fm->fm_mapped_extents)
		return 1;
	return !!(fm->fm_extents[fm->fm_mapped_extents - 1].fe_flags & FIEMAP_EXTENT_LAST);
}

static int scan_file(int fd, struct fiemap_scan *s)
{
	const struct fiemap_extent *last;
	uint32_t flags =
	    FIEMAP_FLAG_SYNC; /* once: flush delayed allocation so blocks have places */
	uint64_t start = 0;
	struct fiemap *fm;
	int ret = 0;

	fm = malloc(FIEMAP_BYTES);
	if (!fm)
		return -ENOMEM;
	while (s->next < s->n) {
		/* Skip the extents between here and the next offset still unmatched. */
		if (s->off[s->next] > start)
			start = s->off[s->next];
		ret = scan_batch(fd, fm, start, flags, s);
		if (ret)
			break;
		flags = 0;
		last = &fm->fm_extents[fm->fm_mapped_extents - 1];
		if (last->fe_logical + last->fe_length <= start)
			break; /* a filesystem that does not move forward: stop, do not spin */
		start = last->fe_logical + last->fe_length;
	}
	free(fm);
	return ret < 0 ? ret : 0;
}

int dio_fiemap_aligned(int fd, const uint64_t *offsets, unsigned n, uint64_t stripe,
		       uint64_t part_start, unsigned *ret_mapped)
{
	struct fiemap_scan s = { .n = n, .stripe = stripe, .part_start = part_start };
	uint64_t *sorted;
	int ret;

	if (!stripe || (n && !offsets))
		return -EINVAL;
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (n)
		memcpy(sorted, offsets, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	s.off = sorted;
	ret = scan_file(fd, &s);
	free(sorted);
	if (ret)
		return ret;
	if (ret_mapped)
		*ret_mapped = s.mapped;
	return (int)s.aligned;
}

/* Extents overlapping [start, ...) that continue the written run ending at *end; 1 when the
 * run stopped (a gap, an unwritten extent or the file's last extent), 0 to fetch more. */
static int extend_run(int fd, struct fiemap *fm, uint64_t *end, uint32_t flags)
{
	memset(fm, 0, FIEMAP_BYTES); /* as in scan_batch: for memcheck */
	fm->fm_start = *end;
	fm->fm_length = FIEMAP_MAX_OFFSET - *end;
	fm->fm_flags = flags;
	fm->fm_extent_count = FIEMAP_BATCH;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
		return -errno;
	for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
		const struct fiemap_extent *fe = &fm->fm_extents[i];

		if (fe->fe_logical > *end || (fe->fe_flags & FIEMAP_EXTENT_UNWRITTEN))
			return 1;
		if (fe->fe_logical + fe->fe_length > *end)
			*end = fe->fe_logical + fe->fe_length;
		if (fe->fe_flags & FIEMAP_EXTENT_LAST)
			return 1;
	}
	return !fm->fm_mapped_extents;
}

int dio_fiemap_written_end(int fd, uint64_t from, uint64_t *ret_end)
{
	uint32_t flags = FIEMAP_FLAG_SYNC; /* delayed allocations become extents first */
	struct fiemap *fm;
	uint64_t end = from;
	int ret;

	fm = malloc(FIEMAP_BYTES);
	if (!fm)
		return -ENOMEM;
	do {
		uint64_t before = end;

		ret = extend_run(fd, fm, &end, flags);
		flags = 0;
		if (ret == 0 && end == before)
			ret = 1; /* no progress: stop rather than spin */
	} while (ret == 0);
	free(fm);
	if (ret < 0)
		return ret == -ENOTTY ? -EOPNOTSUPP : ret;
	*ret_end = end;
	return 0;
}
