/* The file sink: raw frames, back to back, to a file or to stdout ("-"), to pipe into ffmpeg
 * or another tool. Frames wait on the clock like the null sink's; each is written in one go
 * (from slot + skew, no copy) when its vblank comes, so a pipe gets frames at the play rate
 * and what was written is what playback counts (and --md5 lists) when a signal stops it. A
 * write that blocks past the next vblank (a slow reader on the pipe) makes the next frame
 * late, as a device starved of frames would repeat one.
 *
 * Rows go out as the format packs them (mov_format_stride), which is what a reader of raw
 * frames (ffmpeg -f rawvideo -s WxH) expects, also from files whose rows are stored padded
 * (ffmpeg's 'raw ' rows of an even byte count, v210 on 64 bytes): those are written row by
 * row with writev, each row's bytes from the slot and any padding the format wants from a
 * zero row, still without a copy. */
#include "play-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define ROWS_PER_WRITEV 256 /* two iovecs a row, well under IOV_MAX (1024) */

struct file_sink {
	struct play_sink base;
	struct play_clock *clock;
	struct dio_slab *slab;
	size_t frame_size; /* bytes of a frame as written */
	size_t in_row, out_row; /* bytes of a row as stored, as written */
	unsigned rows;
	uint8_t *zeros; /* out_row - in_row bytes of padding, when the stored rows are shorter */
	int fd;
	bool own_fd;
	bool is_stdout;
	bool draining; /* sync once the last frame is written */
};

static struct file_sink *to_file(struct play_sink *s)
{
	return play_container_of(s, struct file_sink, base);
}

static void file_close(struct play_sink *sink)
{
	struct file_sink *f;

	if (!sink)
		return;
	f = to_file(sink);
	if (f->own_fd && f->fd >= 0)
		close(f->fd);
	play_clock_free(f->clock);
	free(f->zeros);
	free(f);
}

static int open_target(struct file_sink *f, const struct play_config *cfg)
{
	if (!strcmp(cfg->target, "-")) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = true;
		return isatty(f->fd) ? -ENOTTY : 0; /* raw video on a terminal helps nobody */
	}
	/* never through a symbolic link; force replaces a file's content or a link itself */
	f->fd = dio_create(cfg->target, O_WRONLY | (cfg->force ? O_TRUNC : 0), cfg->force);
	if (f->fd < 0)
		return f->fd;
	f->own_fd = true;
	return 0;
}

static int file_open(const struct play_config *cfg, struct dio_slab *slab,
		     struct play_sink **ret_sink)
{
	struct file_sink *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->base.ops = &play_file_ops;
	f->fd = -1;
	f->slab = slab;
	f->in_row = play_config_stride(cfg);
	f->out_row = mov_format_stride(cfg->format, cfg->width);
	f->rows = cfg->height;
	f->frame_size = f->out_row * f->rows;
	ret = play_clock_new(cfg, dio_slab_nslots(slab), &f->clock);
	if (ret >= 0 && f->out_row > f->in_row && !(f->zeros = calloc(1, f->out_row - f->in_row)))
		ret = -ENOMEM;
	if (ret >= 0)
		ret = open_target(f, cfg);
	if (ret < 0) {
		file_close(&f->base);
		return ret;
	}
	*ret_sink = &f->base;
	return 0;
}

/* writev all of iov (cnt entries), after short writes too; iov is consumed. */
static int writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t w = writev(fd, iov, cnt);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		for (; cnt && (size_t)w >= iov->iov_len; iov++, cnt--)
			w -= (ssize_t)iov->iov_len;
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* A frame whose stored rows differ from the format's: each row trimmed or padded. */
static int write_rows(const struct file_sink *f, const char *frame)
{
	struct iovec iov[2 * ROWS_PER_WRITEV];
	size_t take = f->in_row < f->out_row ? f->in_row : f->out_row;
	unsigned r = 0;
	int ret = 0;

	while (r < f->rows && ret == 0) {
		int n = 0;

		for (; r < f->rows && n < 2 * ROWS_PER_WRITEV; r++) {
			iov[n++] = (struct iovec){ (void *)(frame + (size_t)r * f->in_row), take };
			if (f->zeros)
				iov[n++] = (struct iovec){ f->zeros, f->out_row - f->in_row };
		}
		ret = writev_all(f->fd, iov, n);
	}
	return ret;
}

static int file_queue(struct play_sink *sink, const struct play_frame *fr)
{
	struct file_sink *f = to_file(sink);

	if (!dio_slab_slot(f->slab, fr->slot))
		return -EINVAL;
	return play_clock_push(f->clock, fr);
}

static int file_start(struct play_sink *sink)
{
	play_clock_start(to_file(sink)->clock);
	return 0;
}

/* A regular file is complete on disk when playback says so; a pipe has no such point. */
static int sync_out(const struct file_sink *f)
{
	if (f->is_stdout || fdatasync(f->fd) == 0 || errno == EINVAL)
		return 0;
	return -errno;
}

static int file_dequeue(struct play_sink *sink, int timeout_ms, struct play_done *ret_done)
{
	struct file_sink *f = to_file(sink);
	struct play_frame fr;
	const char *frame;
	int ret = play_clock_pop(f->clock, timeout_ms, ret_done, &fr);

	if (ret < 0)
		return ret;
	frame = (const char *)dio_slab_slot(f->slab, fr.slot) + fr.skew;
	if (f->in_row == f->out_row) {
		struct iovec whole = { (void *)frame, f->frame_size };

		ret = writev_all(f->fd, &whole, 1);
	} else {
		ret = write_rows(f, frame);
	}
	if (ret < 0)
		return ret;
	play_clock_busy_until(f->clock, play_now_ns());
	return f->draining && !play_clock_queued(f->clock) ? sync_out(f) : 0;
}

static int file_drain(struct play_sink *sink)
{
	struct file_sink *f = to_file(sink);

	/* the frames still queued are written as their vblanks come; the last one syncs */
	f->draining = true;
	return play_clock_queued(f->clock) ? 0 : sync_out(f);
}

static void file_stats(const struct play_sink *sink, struct play_sink_stats *ret_stats)
{
	const struct file_sink *f = play_container_of(sink, const struct file_sink, base);

	*ret_stats = (struct play_sink_stats){ 0 };
	play_clock_counts(f->clock, &ret_stats->late, &ret_stats->underruns);
	snprintf(ret_stats->mode, sizeof(ret_stats->mode), "%s from the slot%s",
		 f->in_row == f->out_row ? "writev() of the frame"
					 : "writev() of each row, as the format packs it,",
		 f->is_stdout ? " to stdout" : "");
}

static void file_retime(struct play_sink *sink, uint64_t index, uint64_t due_ns)
{
	play_clock_retime(to_file(sink)->clock, index, due_ns);
}

const struct play_sink_ops play_file_ops = {
	.name = "file",
	.desc = "raw frames back to back to a file, or to stdout with -",
	.open = file_open,
	.queue = file_queue,
	.start = file_start,
	.dequeue = file_dequeue,
	.drain = file_drain,
	.stats = file_stats,
	.close = file_close,
	.retime = file_retime,
};
