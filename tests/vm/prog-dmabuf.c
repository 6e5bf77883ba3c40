/* Runs inside the VM rig: capture into a diskio slab through udmabuf and write it with
 * O_DIRECT.
 *
 *   prog-dmabuf DEVICE FILE [FRAMES]
 *
 * Makes a slab with dio_slab_new(), hands each slot to vivid as a V4L2_MEMORY_DMABUF buffer
 * (dio_slab_dmabuf), streams FRAMES frames (default 6) of 640x480 YUYV progressive from the
 * webcam input, writes every captured slot from the memfd mapping to FILE with O_DIRECT, reads
 * FILE back and checks that it holds exactly the bytes the driver put in the slots, that they
 * are not all zero and that frames differ. Prints PASS:/FAIL:/SKIP: lines; exit status 0, 1,
 * or 77 when udmabuf is missing.
 */
#include "dio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NSLOTS 4
#define WIDTH 640
#define HEIGHT 480

struct cap {
	int fd;
	struct dio_slab *slab;
	size_t sizeimage;
};

static int failures;

static void pass(const char *name)
{
	printf("PASS: %s\n", name);
	fflush(stdout);
}

static void fail(const char *name, const char *why, int err)
{
	printf("FAIL: %s: %s%s%s\n", name, why, err ? ": " : "", err ? strerror(err) : "");
	fflush(stdout);
	failures++;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

/* Webcam input, 640x480 YUYV progressive; fills c->sizeimage. */
static int set_format(struct cap *c)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int input = 0, ret;

	ret = xioctl(c->fd, VIDIOC_S_INPUT, &input);
	if (ret < 0)
		return ret;
	f.fmt.pix.width = WIDTH;
	f.fmt.pix.height = HEIGHT;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(c->fd, VIDIOC_S_FMT, &f);
	if (ret < 0)
		return ret;
	if (f.fmt.pix.width != WIDTH || f.fmt.pix.height != HEIGHT ||
	    f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV)
		return -EINVAL;
	c->sizeimage = f.fmt.pix.sizeimage;
	return 0;
}

static int queue_slot(struct cap *c, unsigned i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.index = i,
	};
	int fd = dio_slab_dmabuf(c->slab, i);

	if (fd < 0)
		return fd;
	b.m.fd = fd;
	b.length = dio_slab_slot_size(c->slab);
	return xioctl(c->fd, VIDIOC_QBUF, &b);
}

/* CPU access to a slot the device wrote: bracket with DMA_BUF_IOCTL_SYNC on its dmabuf. */
static int sync_slot(struct cap *c, unsigned i, unsigned long flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_READ };

	return xioctl(dio_slab_dmabuf(c->slab, i), DMA_BUF_IOCTL_SYNC, &s);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Stream nframes frames; write each slot at offset k * slot to out, keeping a copy in ref. */
static int capture(struct cap *c, int out, unsigned nframes, unsigned char *ref)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	size_t slot = dio_slab_slot_size(c->slab);
	int ret;

	ret = xioctl(c->fd, VIDIOC_STREAMON, &type);
	if (ret < 0) {
		fail("streamon", "VIDIOC_STREAMON", -ret);
		return ret;
	}
	for (unsigned k = 0; k < nframes; k++) {
		struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_DMABUF };
		const unsigned char *p;

		ret = xioctl(c->fd, VIDIOC_DQBUF, &b);
		if (ret < 0) {
			fail("dqbuf", "VIDIOC_DQBUF", -ret);
			goto out_streamoff;
		}
		if (b.bytesused != c->sizeimage || (b.flags & V4L2_BUF_FLAG_ERROR)) {
			printf("frame %u: bytesused %u of %zu, flags 0x%x\n", k, b.bytesused,
			       c->sizeimage, b.flags);
			fail("dqbuf", "short or erroneous buffer", 0);
			ret = -EIO;
			goto out_streamoff;
		}
		sync_slot(c, b.index, DMA_BUF_SYNC_START);
		p = dio_slab_slot(c->slab, b.index);
		memcpy(ref + k * slot, p, slot);
		ret = pwrite(out, p, slot, (off_t)k * slot);
		sync_slot(c, b.index, DMA_BUF_SYNC_END);
		if (ret != (int)slot) {
			fail("odirect-write", "pwrite of a slot from the memfd mapping",
			     ret < 0 ? errno : EIO);
			ret = -EIO;
			goto out_streamoff;
		}
		printf("frame %u: slot %u seq %u bytesused %u -> offset %zu\n", k, b.index,
		       b.sequence, b.bytesused, k * slot);
		ret = queue_slot(c, b.index);
		if (ret < 0) {
			fail("qbuf", "re-queue", -ret);
			goto out_streamoff;
		}
	}
	ret = 0;
out_streamoff:
	xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	return ret;
}

/* Read the file back with O_DIRECT and compare with what the slots held. */
static void verify(const char *path, const unsigned char *ref, unsigned nframes, size_t slot,
		   size_t sizeimage)
{
	unsigned char *back;
	size_t total = nframes * slot;
	unsigned differ = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&back, DIO_PAGE, total)) {
		fail("readback", "open O_DIRECT or allocate", errno);
		if (fd >= 0)
			close(fd);
		return;
	}
	n = pread(fd, back, total, 0);
	if (n != (ssize_t)total)
		fail("readback", "short O_DIRECT read", n < 0 ? errno : EIO);
	else if (memcmp(back, ref, total))
		fail("readback-match", "file differs from the captured slots", 0);
	else
		pass("readback-match");
	for (unsigned k = 0; k < nframes; k++)
		if (all_zero(ref + k * slot, sizeimage)) {
			fail("frames-not-zero", "a captured frame is all zero", 0);
			goto out_free;
		}
	pass("frames-not-zero");
	for (unsigned k = 1; k < nframes; k++)
		differ += memcmp(ref + k * slot, ref + (k - 1) * slot, sizeimage) != 0;
	if (differ == nframes - 1)
		pass("frames-differ");
	else
		fail("frames-differ", "consecutive frames are identical", 0);
out_free:
	free(back);
	close(fd);
}

static int setup_buffers(struct cap *c)
{
	struct v4l2_requestbuffers rb = {
		.count = NSLOTS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int ret;

	ret = dio_slab_new(c->sizeimage, NSLOTS, 0, &c->slab);
	if (ret < 0) {
		fail("slab", "dio_slab_new", -ret);
		return ret;
	}
	for (unsigned i = 0; i < NSLOTS; i++) {
		ret = dio_slab_dmabuf(c->slab, i);
		if (ret < 0) {
			if (ret == -ENODEV)
				printf("SKIP: dmabuf-create: /dev/udmabuf missing\n");
			else
				fail("dmabuf-create", "dio_slab_dmabuf", -ret);
			return ret;
		}
	}
	pass("dmabuf-create");
	ret = xioctl(c->fd, VIDIOC_REQBUFS, &rb);
	if (ret < 0 || rb.count != NSLOTS) {
		fail("reqbufs-dmabuf", "VIDIOC_REQBUFS V4L2_MEMORY_DMABUF", ret < 0 ? -ret : ENOMEM);
		return ret < 0 ? ret : -ENOMEM;
	}
	pass("reqbufs-dmabuf");
	for (unsigned i = 0; i < NSLOTS; i++) {
		ret = queue_slot(c, i);
		if (ret < 0) {
			fail("qbuf-dmabuf", "VIDIOC_QBUF of a slab dmabuf", -ret);
			return ret;
		}
	}
	pass("qbuf-dmabuf");
	return 0;
}

int main(int argc, char **argv)
{
	struct cap c = { .fd = -1 };
	unsigned nframes = argc > 3 ? (unsigned)atoi(argv[3]) : 6;
	unsigned char *ref = NULL;
	int out = -1, ret;

	if (argc < 3 || nframes < 2) {
		fprintf(stderr, "usage: prog-dmabuf DEVICE FILE [FRAMES >= 2]\n");
		return 2;
	}
	c.fd = open(argv[1], O_RDWR);
	if (c.fd < 0) {
		fail("open", argv[1], errno);
		return 1;
	}
	ret = set_format(&c);
	if (ret < 0) {
		fail("format", "webcam input, 640x480 YUYV progressive", -ret);
		goto out_close;
	}
	ret = setup_buffers(&c);
	if (ret < 0)
		goto out_free;
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	ref = malloc(nframes * dio_slab_slot_size(c.slab));
	if (out < 0 || !ref) {
		fail("output", argv[2], errno);
		goto out_free;
	}
	ret = capture(&c, out, nframes, ref);
	if (ret == 0) {
		pass("capture-odirect-write");
		close(out);
		out = -1;
		verify(argv[2], ref, nframes, dio_slab_slot_size(c.slab), c.sizeimage);
	}
out_free:
	free(ref);
	if (out >= 0)
		close(out);
	/* V4L2 buffers hold references to the dmabufs; closing the device drops them. */
	close(c.fd);
	c.fd = -1;
	dio_slab_free(c.slab);
out_close:
	if (c.fd >= 0)
		close(c.fd);
	if (ret == -ENODEV)
		return 77;
	return failures ? 1 : 0;
}
