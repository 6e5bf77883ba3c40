/* The play session on a small MOV in a temporary directory, to the null sink: what it plays,
 * how it stops, and what it says instead of printing. */
#include "play.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavutil/log.h>

#define NFRAMES 6

struct heard {
	unsigned errors, notes;
	int err;
	char text[256];
};

static void hear(void *user, const struct play_event *ev)
{
	struct heard *h = user;

	if (ev->kind == PLAY_EVENT_ERROR)
		h->errors++, h->err = ev->err;
	if (ev->kind == PLAY_EVENT_NOTE)
		h->notes++;
	snprintf(h->text, sizeof(h->text), "%s", ev->text);
}

static char dir[64], path[128];

/* NFRAMES frames of 64x32 UYVY at aligned offsets, as vcap lays them out. */
static int write_mov(void)
{
	struct mov_params p = { .format = mov_format_find("UYVY"), .width = 64, .height = 32,
				.rate_num = 25, .rate_den = 1, .timecode = "10:00:00:00" };
	uint8_t frame[64 * 2 * 32];
	struct mov_writer *w = NULL;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), ret;

	if (fd < 0)
		return -errno;
	ret = mov_writer_open(fd, &p, &w);
	for (unsigned i = 0; ret >= 0 && i < NFRAMES; i++) {
		memset(frame, i, sizeof(frame));
		ret = pwrite(fd, frame, sizeof(frame), 4096 * (i + 1)) == sizeof(frame) ? 0 : -EIO;
		if (ret >= 0)
			ret = mov_writer_add(w, 4096 * (i + 1), frame, sizeof(frame), i);
	}
	if (ret >= 0)
		ret = mov_writer_finish(w, 0, NULL);
	mov_writer_free(w);
	close(fd);
	return ret;
}

static struct play_session_config config(void)
{
	return (struct play_session_config){
		.in = path, .sink = "null", .output = "null", .loops = 1, .paced = 0,
		.preroll = 3, .batch = 2, .depth = 2, .latency_ms = 100,
	};
}

static void plays_every_frame(struct t_state *st)
{
	struct play_session_config c = config();
	const struct play_session_stats *s;
	struct play_session *ps;
	struct heard h = { 0 };

	c.loops = 2;
	T_EQ(st, play_session_open(&c, hear, &h, &ps), 0);
	T_EQ(st, play_session_run(ps), 0);
	s = play_session_stats(ps);
	T_EQ(st, s->frames, 2 * NFRAMES);
	T_EQ(st, s->total, 2 * NFRAMES);
	T_STREQ(st, s->stop_reason, "end");
	T_EQ(st, s->err, 0);
	T_EQ(st, play_session_step(ps), 0); /* finished stays finished */
	play_session_close(ps);
	T_EQ(st, h.errors, 0);
}

static void starts_at_timecode(struct t_state *st)
{
	struct play_session_config c = config();
	struct play_session *ps;

	c.start = "10:00:00:04";
	T_EQ(st, play_session_open(&c, NULL, NULL, &ps), 0);
	T_EQ(st, play_session_run(ps), 0);
	T_EQ(st, play_session_stats(ps)->range.first, 4);
	T_EQ(st, play_session_stats(ps)->frames, 2);
	play_session_close(ps);
}

static void stop_ends_endless_play(struct t_state *st)
{
	struct play_session_config c = config();
	struct play_session *ps;

	c.loops = 0;
	T_EQ(st, play_session_open(&c, NULL, NULL, &ps), 0);
	for (unsigned i = 0; i < 50; i++)
		T_EQ(st, play_session_step(ps), 1);
	play_session_stop(ps, "asked");
	play_session_stop(ps, "again"); /* the first reason stays */
	T_EQ(st, play_session_run(ps), 0);
	T_STREQ(st, play_session_stats(ps)->stop_reason, "asked");
	play_session_close(ps);
}

/* Paced, the output starts from a full read-ahead: when the first frame goes to the sink,
 * every slot holds a frame read, and the fill was timed. */
static void paced_output_starts_full(struct t_state *st)
{
	struct play_session_config c = config();
	const struct play_session_stats *s;
	struct play_session *ps;
	unsigned i;

	c.loops = 0;
	c.paced = 1;
	T_EQ(st, play_session_open(&c, NULL, NULL, &ps), 0);
	for (i = 0; i < 1000 && play_session_stats(ps)->queued == 0; i++)
		T_EQ(st, play_session_step(ps), 1);
	s = play_session_stats(ps);
	T_ASSERT(st, s->queued > 0);
	T_EQ(st, s->held, s->nslots);
	T_ASSERT(st, s->ahead.fill_ns > 0);
	T_EQ(st, s->ahead.fill_bytes, (uint64_t)s->nslots * 4096);
	play_session_stop(ps, "asked");
	T_EQ(st, play_session_run(ps), 0);
	play_session_close(ps);
}

static void start_outside_is_one_error(struct t_state *st)
{
	struct play_session_config c = config();
	struct play_session *ps = NULL;
	struct heard h = { 0 };
	char want[200];

	c.start = "6";
	T_EQ(st, play_session_open(&c, hear, &h, &ps), -EDOM);
	T_ASSERT(st, ps == NULL);
	T_EQ(st, h.errors, 1);
	snprintf(want, sizeof(want), "--start 6: %s has 6 frames (0 to 5)", path);
	T_STREQ(st, h.text, want);
}

static void more_frames_than_file_is_a_note(struct t_state *st)
{
	struct play_session_config c = config();
	struct play_session *ps;
	struct heard h = { 0 };

	c.frames = 10;
	T_EQ(st, play_session_open(&c, hear, &h, &ps), 0);
	T_EQ(st, h.notes, 1);
	T_STREQ(st, h.text, "-n 10: only 6 frames from frame 0 to the end");
	play_session_close(ps);
	play_session_close(NULL);
}

static void missing_file_and_sink(struct t_state *st)
{
	struct play_session_config c = config();
	struct play_session *ps;
	struct heard h = { 0 };

	c.sink = "no-such";
	T_EQ(st, play_session_open(&c, hear, &h, &ps), -ENODEV);
	T_EQ(st, h.errors, 1);
	c = config();
	c.in = "/nonexistent/a.mov";
	T_ASSERT(st, play_session_open(&c, hear, &h, &ps) < 0);
	T_EQ(st, h.errors, 2);
}

int main(void)
{
	struct t_state st = { 0 };
	const char *tmp = getenv("TMPDIR");

	av_log_set_level(AV_LOG_QUIET);
	snprintf(dir, sizeof(dir), "%s/test-play-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("cannot make a temporary directory\n");
		return 77;
	}
	snprintf(path, sizeof(path), "%s/a.mov", dir);
	if (write_mov() < 0) {
		printf("FAIL: writing %s\n", path);
		return 1;
	}
	T_RUN(&st, plays_every_frame);
	T_RUN(&st, starts_at_timecode);
	T_RUN(&st, stop_ends_endless_play);
	T_RUN(&st, paced_output_starts_full);
	T_RUN(&st, start_outside_is_one_error);
	T_RUN(&st, more_frames_than_file_is_a_note);
	T_RUN(&st, missing_file_and_sink);
	unlink(path);
	rmdir(dir);
	return T_EXIT(&st);
}
