/* Preview output "-": the frames as stored (the file's rows, v210's padding included) written
 * to a pipe, one after the other, for a viewer such as
 *   ffplay -f rawvideo -pixel_format uyvy422 -video_size 720x576 -framerate 25 -
 * A reader that stops reading stalls only the preview thread: the write waits in poll() beside
 * the stop eventfd, so closing never waits on it (the frame being written is then cut short:
 * the preview is over anyway). The fd is put in non-blocking mode for that and given back as
 * it was. SIGPIPE is blocked in the preview thread: a reader that went away is -EPIPE, not
 * the end of the recording.
 */
#include "cap-internal.h"
#include "preview-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pipe_out {
	struct cap_preview_out base;
	int fd;
	int flags; /* the fd's status flags before open */
	uint64_t frame_bytes, shown;
	void *buf;
	char mode[120];
};

/* How ffplay reads these frames: the layouts FFmpeg's rawvideo names, v210 by its own demuxer. */
static void viewer_hint(const struct cap_preview_config *cfg, char *buf, size_t len)
{
	static const struct {
		const char *ours, *ffmpeg;
	} names[] = { { "UYVY", "-f rawvideo -pixel_format uyvy422" },
		      { "YUYV", "-f rawvideo -pixel_format yuyv422" },
		      { "RGB24", "-f rawvideo -pixel_format rgb24" },
		      { "BGR24", "-f rawvideo -pixel_format bgr24" },
		      { "v210", "-f v210" } };
	const char *name = mov_format_name(cfg->format), *input = NULL;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].ours))
			input = names[i].ffmpeg;
	if (input)
		snprintf(buf, len,
			 "pipe it to one: ... | ffplay %s -video_size %ux%u -framerate %u/%u -",
			 input, cfg->width, cfg->height, cfg->rate_num, cfg->rate_den);
	else
		snprintf(buf, len,
			 "pipe it to one: ... | ffplay -f rawvideo -pixel_format (%s as "
			 "ffmpeg -pix_fmts names it) -video_size %ux%u -framerate %u/%u -",
			 name, cfg->width, cfg->height, cfg->rate_num, cfg->rate_den);
}

static int pipe_open(const struct cap_preview_config *cfg, struct cap_why *why,
		     struct cap_preview_out **ret_out)
{
	struct pipe_out *p;
	struct stat sb;

	if (cfg->out_fd < 0 || fstat(cfg->out_fd, &sb) < 0) {
		snprintf(why->what, sizeof(why->what), "--preview -: standard output is closed");
		snprintf(why->hint, sizeof(why->hint), "pipe it to a viewer: ... | ffplay ...");
		return -EBADF;
	}
	if (isatty(cfg->out_fd)) {
		snprintf(why->what, sizeof(why->what),
			 "--preview -: standard output is a terminal, not a viewer");
		viewer_hint(cfg, why->hint, sizeof(why->hint));
		return -ENOTTY;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->buf = malloc(cfg->frame_bytes);
	if (!p->buf) {
		free(p);
		return -ENOMEM;
	}
	p->fd = cfg->out_fd;
	p->frame_bytes = cfg->frame_bytes;
	p->flags = fcntl(p->fd, F_GETFL);
	if (p->flags >= 0)
		fcntl(p->fd, F_SETFL, p->flags | O_NONBLOCK);
	snprintf(p->mode, sizeof(p->mode), "raw frames to standard output (%s), one copy each",
		 S_ISFIFO(sb.st_mode)  ? "a pipe"
		 : S_ISREG(sb.st_mode) ? "a file"
				       : "not a pipe");
	p->base.ops = &cap_preview_pipe_ops;
	*ret_out = &p->base;
	return 0;
}

static void *pipe_buffer(struct cap_preview_out *out)
{
	return cap_container_of(out, struct pipe_out, base)->buf;
}

/* The whole frame out, waiting for room (or stop_fd). */
static int pipe_show(struct cap_preview_out *out, int stop_fd, uint64_t *ret_shown)
{
	struct pipe_out *p = cap_container_of(out, struct pipe_out, base);
	const char *b = p->buf;
	uint64_t left = p->frame_bytes;
	sigset_t pipe_sig;

	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
	while (left) {
		struct pollfd pf[2] = { { .fd = p->fd, .events = POLLOUT },
					{ .fd = stop_fd, .events = POLLIN } };
		ssize_t w = write(p->fd, b, left);

		if (w > 0) {
			b += w;
			left -= (uint64_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (pf[1].revents & POLLIN)
			return 0;
		if (pf[0].revents & (POLLERR | POLLHUP) && !(pf[0].revents & POLLOUT))
			return -EPIPE;
	}
	*ret_shown = ++p->shown;
	return 0;
}

static void pipe_close(struct cap_preview_out *out, uint64_t *ret_shown)
{
	struct pipe_out *p;

	if (!out)
		return;
	p = cap_container_of(out, struct pipe_out, base);
	if (p->flags >= 0)
		fcntl(p->fd, F_SETFL, p->flags);
	*ret_shown = p->shown;
	free(p->buf);
	free(p);
}

static const char *pipe_mode(const struct cap_preview_out *out)
{
	return cap_container_of(out, const struct pipe_out, base)->mode;
}

const struct cap_preview_out_ops cap_preview_pipe_ops = {
	.name = "-",
	.open = pipe_open,
	.buffer = pipe_buffer,
	.show = pipe_show,
	.close = pipe_close,
	.mode = pipe_mode,
};
