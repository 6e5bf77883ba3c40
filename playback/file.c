/* The file sink: raw frames, back to back, to a file or to stdout ("-"), to pipe into ffmpeg
 * or another tool. Each frame is written in one go when it is queued (from slot + skew, no
 * copy), then goes out on the clock like the null sink's. */
#include "play-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct file_sink {
	struct play_sink base;
	struct play_clock *clock;
	struct dio_slab *slab;
	size_t frame_size;
	int fd;
	bool own_fd;
	bool is_stdout;
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
	free(f);
}

static int open_target(struct file_sink *f, const struct play_config *cfg)
{
	if (!strcmp(cfg->target, "-")) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = true;
		return isatty(f->fd) ? -ENOTTY : 0; /* raw video on a terminal helps nobody */
	}
	f->fd = open(cfg->target, O_WRONLY | O_CREAT | O_CLOEXEC | (cfg->force ? O_TRUNC : O_EXCL),
		     0644);
	if (f->fd < 0)
		return -errno;
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
	f->frame_size = mov_format_frame_size(cfg->format, cfg->width, cfg->height);
	ret = play_clock_new(cfg, dio_slab_nslots(slab), &f->clock);
	if (ret >= 0)
		ret = open_target(f, cfg);
	if (ret < 0) {
		file_close(&f->base);
		return ret;
	}
	*ret_sink = &f->base;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= w;
	}
	return 0;
}

static int file_queue(struct play_sink *sink, const struct play_frame *fr)
{
	struct file_sink *f = to_file(sink);
	const char *p = dio_slab_slot(f->slab, fr->slot);
	int ret;

	if (!p)
		return -EINVAL;
	ret = write_all(f->fd, p + fr->skew, f->frame_size);
	return ret < 0 ? ret : play_clock_push(f->clock, fr);
}

static int file_start(struct play_sink *sink)
{
	play_clock_start(to_file(sink)->clock);
	return 0;
}

static int file_dequeue(struct play_sink *sink, int timeout_ms, struct play_done *ret_done)
{
	return play_clock_pop(to_file(sink)->clock, timeout_ms, ret_done);
}

static int file_drain(struct play_sink *sink)
{
	struct file_sink *f = to_file(sink);

	/* a regular file is complete on disk when playback says so; a pipe has no such point */
	if (f->is_stdout || fdatasync(f->fd) == 0 || errno == EINVAL)
		return 0;
	return -errno;
}

static void file_stats(const struct play_sink *sink, struct play_sink_stats *ret_stats)
{
	const struct file_sink *f = play_container_of(sink, const struct file_sink, base);

	*ret_stats = (struct play_sink_stats){ 0 };
	play_clock_counts(f->clock, &ret_stats->late, &ret_stats->underruns);
	snprintf(ret_stats->mode, sizeof(ret_stats->mode), "write() from the slot%s",
		 f->is_stdout ? " to stdout" : "");
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
};
