/* The frame slab: one sealed memfd mapped once and cut into page-aligned slots.
 *
 * Why a memfd: O_DIRECT and io_uring registration must pin the pages, which fails on VM_PFNMAP
 * mappings (V4L2 MMAP buffers, DRM dumb buffers, udmabuf's own mmap). A memfd mapped directly is
 * ordinary shmem that pins fine, and udmabuf can still hand the same pages to a device as a
 * dmabuf, so the device DMAs into exactly the memory the disk writes come from.
 */
#include "dio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct dio_slab {
	int memfd;
	int udmabuf_dev; /* /dev/udmabuf, opened on first dio_slab_dmabuf() */
	void *base;
	size_t bytes;     /* mapping: nslots * slot + tail */
	size_t slot;      /* slot stride, a multiple of 4096 and of the alignment unit */
	size_t frame;     /* bytes of payload per slot */
	unsigned nslots;
	enum dio_pin pin;
	int *dmabuf; /* per slot, -1 until created */
};

static int slab_map(struct dio_slab *s)
{
	int ret;

	s->memfd = memfd_create("vcap-slab", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->memfd < 0)
		return -errno;
	if (ftruncate(s->memfd, s->bytes) < 0)
		return -errno;
	/* udmabuf insists on F_SEAL_SHRINK so the pages it hands out cannot vanish; GROW keeps the
	 * layout fixed. No F_SEAL_WRITE: udmabuf refuses it. */
	ret = fcntl(s->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	if (ret < 0)
		return -errno;
	s->base = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->memfd,
		       0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		return -errno;
	}
	/* mlock only keeps the pages resident; a failure (RLIMIT_MEMLOCK) is reported through
	 * dio_slab_pin() and the writer's registration is what really pins. */
	s->pin = mlock(s->base, s->bytes) == 0 ? DIO_PIN_MLOCK : DIO_PIN_NONE;
	return 0;
}

int dio_slab_new(size_t frame_size, unsigned nslots, uint64_t align, struct dio_slab **ret_slab)
{
	struct dio_slab *s;
	uint64_t unit = align > DIO_PAGE ? dio_align_up(align, DIO_PAGE) : DIO_PAGE;
	int ret;

	if (!frame_size || !nslots || (align && align % DIO_PAGE))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->memfd = s->udmabuf_dev = -1;
	s->frame = frame_size;
	s->slot = dio_align_up(frame_size, unit);
	s->nslots = nslots;
	s->bytes = s->slot * nslots + unit;
	s->dmabuf = malloc(sizeof(*s->dmabuf) * nslots);
	if (!s->dmabuf) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (unsigned i = 0; i < nslots; i++)
		s->dmabuf[i] = -1;
	ret = slab_map(s);
	if (ret < 0)
		goto out_free;
	*ret_slab = s;
	return 0;

out_free:
	dio_slab_free(s);
	return ret;
}

void dio_slab_free(struct dio_slab *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->dmabuf && i < s->nslots; i++)
		if (s->dmabuf[i] >= 0)
			close(s->dmabuf[i]);
	free(s->dmabuf);
	if (s->base)
		munmap(s->base, s->bytes);
	if (s->udmabuf_dev >= 0)
		close(s->udmabuf_dev);
	if (s->memfd >= 0)
		close(s->memfd);
	free(s);
}

void *dio_slab_slot(const struct dio_slab *s, unsigned i)
{
	return i < s->nslots ? (char *)s->base + (size_t)i * s->slot : NULL;
}

size_t dio_slab_slot_size(const struct dio_slab *s)
{
	return s->slot;
}

size_t dio_slab_frame_size(const struct dio_slab *s)
{
	return s->frame;
}

unsigned dio_slab_nslots(const struct dio_slab *s)
{
	return s->nslots;
}

void *dio_slab_base(const struct dio_slab *s)
{
	return s->base;
}

size_t dio_slab_bytes(const struct dio_slab *s)
{
	return s->bytes;
}

int dio_slab_memfd(const struct dio_slab *s)
{
	return s->memfd;
}

enum dio_pin dio_slab_pin(const struct dio_slab *s)
{
	return s->pin;
}

int dio_slab_dmabuf(struct dio_slab *s, unsigned i)
{
	struct udmabuf_create create = {
		.memfd = s->memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = (uint64_t)i * s->slot,
		.size = s->slot,
	};
	int fd;

	if (i >= s->nslots)
		return -EINVAL;
	if (s->dmabuf[i] >= 0)
		return s->dmabuf[i];
	if (s->udmabuf_dev < 0) {
		s->udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		if (s->udmabuf_dev < 0)
			return errno == ENOENT ? -ENODEV : -errno;
	}
	fd = ioctl(s->udmabuf_dev, UDMABUF_CREATE, &create);
	if (fd < 0)
		return -errno;
	s->dmabuf[i] = fd;
	return fd;
}
