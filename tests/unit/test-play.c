/* playback without a disk: the read planner over sample tables laid out as vcap and ffmpeg
 * write them, the slab layout it asks for, timecode arithmetic, and the null sink's clock. */
#include "play.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define FRAME 699840u  /* 720x486 UYVY */
#define SLOT 700416u   /* FRAME rounded up to 4 KiB: vcap's stride at --align 4096 */

static void vcap_layout(struct mov_sample *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		s[i] = (struct mov_sample){ .offset = 4096 + (uint64_t)i * SLOT, .size = FRAME,
					    .pts = i };
}

static void ffmpeg_layout(struct mov_sample *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) /* back to back after a 48-byte header */
		s[i] = (struct mov_sample){ .offset = 48 + (uint64_t)i * FRAME, .size = FRAME,
					    .pts = i };
}

static void plan_aligned_batches(struct t_state *t)
{
	struct mov_sample s[20];
	struct play_range rg = { .first = 0, .count = 20, .loops = 1 };
	struct play_read r;

	vcap_layout(s, 20);
	T_EQ(t, play_plan_read(s, 20, &rg, 0, 20, 0, 16, SLOT, 4096, 8, &r), 8);
	T_EQ(t, r.offset, 4096);
	T_EQ(t, r.len, 7 * SLOT + FRAME);
	T_EQ(t, r.skew, 0);
	/* the end of the range cuts the batch */
	T_EQ(t, play_plan_read(s, 20, &rg, 16, 20, 0, 16, SLOT, 4096, 8, &r), 4);
	/* so does the room left before the ring's end */
	T_EQ(t, play_plan_read(s, 20, &rg, 0, 20, 13, 3, SLOT, 4096, 8, &r), 3);
	T_EQ(t, r.slot, 13);
}

static void plan_loop_breaks_batch(struct t_state *t)
{
	struct mov_sample s[20];
	struct play_range rg = { .first = 5, .count = 3, .loops = 2 };
	struct play_read r;

	vcap_layout(s, 20);
	/* positions 0..2 are samples 5..7; position 3 is sample 5 again: not contiguous */
	T_EQ(t, play_plan_read(s, 20, &rg, 0, 6, 0, 16, SLOT, 4096, 8, &r), 3);
	T_EQ(t, r.offset, 4096 + 5ull * SLOT);
	T_EQ(t, play_plan_read(s, 20, &rg, 3, 6, 3, 13, SLOT, 4096, 8, &r), 3);
	T_EQ(t, r.offset, 4096 + 5ull * SLOT);
}

static void plan_repeated_offset(struct t_state *t)
{
	struct mov_sample s[6];
	struct play_range rg = { .first = 0, .count = 6, .loops = 1 };
	struct play_read r;

	vcap_layout(s, 6);
	s[3] = s[2]; /* a filled drop: the index repeats a frame */
	s[3].pts = 3;
	T_EQ(t, play_plan_read(s, 6, &rg, 0, 6, 0, 8, SLOT, 4096, 8, &r), 3);
	T_EQ(t, play_plan_read(s, 6, &rg, 3, 6, 3, 5, SLOT, 4096, 8, &r), 1);
	T_EQ(t, r.offset, s[2].offset);
	T_EQ(t, play_plan_read(s, 6, &rg, 4, 6, 4, 4, SLOT, 4096, 8, &r), 2);
}

static void plan_unaligned_one_per_read(struct t_state *t)
{
	struct mov_sample s[10];
	struct play_range rg = { .first = 0, .count = 10, .loops = 1 };
	size_t slab_frame;
	uint64_t align;
	bool batched;
	struct play_read r;
	size_t slot;

	ffmpeg_layout(s, 10);
	T_EQ(t, play_plan_layout(s, 10, &rg, FRAME, 4096, &slab_frame, &align, &batched), 0);
	T_ASSERT(t, !batched);
	T_EQ(t, slab_frame, FRAME + 4096);
	slot = dio_align_up(slab_frame, align);
	for (unsigned i = 0; i < 10; i++) {
		T_EQ(t, play_plan_read(s, 10, &rg, i, 10, i, 10 - i, slot, 4096, 8, &r), 1);
		T_EQ(t, r.skew, s[i].offset % 4096);
		T_ASSERT(t, dio_align_up(r.skew + FRAME, 4096) <= slot);
	}
	/* a slot too small for skew + frame is refused, not overrun */
	T_EQ(t, play_plan_read(s, 10, &rg, 1, 10, 0, 8, SLOT, 4096, 8, &r), -EINVAL);
}

static void layout_stride(struct t_state *t)
{
	struct mov_sample s[4];
	struct play_range rg = { .first = 0, .count = 4, .loops = 1 };
	size_t slab_frame;
	uint64_t align;
	bool batched;

	for (unsigned i = 0; i < 4; i++) /* vcap on a 3 x 64 KiB stripe: 4 x 196608 per frame */
		s[i] = (struct mov_sample){ .offset = 196608 + i * 786432ull, .size = FRAME };
	T_EQ(t, play_plan_layout(s, 4, &rg, FRAME, 4096, &slab_frame, &align, &batched), 0);
	T_ASSERT(t, batched);
	T_EQ(t, slab_frame, FRAME);
	T_EQ(t, align, 786432);
	T_EQ(t, play_plan_layout(s, 4, &(struct play_range){ .first = 3, .count = 2 }, FRAME,
				 4096, &slab_frame, &align, &batched), -EINVAL);
}

static void timecode_style(struct t_state *t)
{
	T_ASSERT(t, play_timecode_is_drop("01:00:00;00"));
	T_ASSERT(t, !play_timecode_is_drop("01:00:00:00"));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void null_sink_paces(struct t_state *t)
{
	const struct play_sink_ops *ops = play_sink_find("null");
	struct play_config cfg = { .rate_num = 100, .rate_den = 1, .paced = true };
	struct dio_slab *slab;
	struct play_sink *sink;
	struct play_done d;
	uint64_t t0;

	T_ASSERT(t, ops);
	T_EQ(t, dio_slab_new(4096, 4, 4096, &slab), 0);
	T_EQ(t, ops->open(&cfg, slab, &sink), 0);
	for (unsigned i = 0; i < 3; i++)
		T_EQ(t, ops->queue(sink, &(struct play_frame){ .slot = i, .index = i }), 0);
	T_EQ(t, ops->dequeue(sink, 0, &d), -EAGAIN); /* not started */
	T_EQ(t, ops->start(sink), 0);
	t0 = now_ns();
	for (unsigned i = 0; i < 3; i++) {
		T_EQ(t, ops->dequeue(sink, -1, &d), 0);
		T_EQ(t, d.slot, i);
		T_ASSERT(t, !d.late);
	}
	/* three vblanks 10 ms apart: the third goes out 20 ms after the first */
	T_ASSERT(t, now_ns() - t0 >= 19000000);
	/* a frame queued 35 ms (or, on a busy machine, a little more) after its vblank missed
	 * 4 of them */
	while (now_ns() - t0 < 65000000)
		;
	T_EQ(t, ops->queue(sink, &(struct play_frame){ .slot = 3, .index = 3 }), 0);
	T_EQ(t, ops->dequeue(sink, -1, &d), 0);
	T_ASSERT(t, d.late);
	T_ASSERT(t, d.repeats >= 4 && d.repeats <= 8);
	ops->close(sink);
	dio_slab_free(slab);
}

/* ---- the read-ahead stage on a real file (the build directory's filesystem) ---- */

#define SMALL 20000u /* a frame that is not a page multiple */
#define NFR 12u

static unsigned char byte_of(unsigned frame, unsigned i)
{
	return (unsigned char)(frame * 37 + i * 11 + (i >> 8));
}

/* Write NFR frames at the sample offsets, each filled with its own pattern. */
static int write_frames(const char *path, const struct mov_sample *s)
{
	unsigned char *buf = malloc(SMALL);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644), ret = 0;

	if (!buf || fd < 0)
		ret = -1;
	for (unsigned f = 0; f < NFR && !ret; f++) {
		for (unsigned i = 0; i < SMALL; i++)
			buf[i] = byte_of(f, i);
		if (pwrite(fd, buf, SMALL, s[f].offset) != SMALL)
			ret = -1;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

static bool frame_is(const unsigned char *p, unsigned frame)
{
	for (unsigned i = 0; i < SMALL; i++)
		if (p[i] != byte_of(frame, i))
			return false;
	return true;
}

/* Play samples 3..9 three times, the sink holding two frames at a time; every frame must
 * arrive whole, in order. Returns the read count through ret_reads. */
static void play_file(struct t_state *t, const struct mov_sample *s, struct play_ahead_opts o,
		      bool want_batched, uint64_t *ret_reads)
{
	const char *b = getenv("VCAP_BIN");
	struct play_range rg = { .first = 3, .count = 7, .loops = 3 };
	char path[PATH_MAX];
	struct play_ahead *a;
	struct play_ahead_stats st;
	struct play_frame f, held[2];
	unsigned nheld = 0, n = 0;

	snprintf(path, sizeof(path), "%s/test-play.%d.dat", b && *b ? b : ".", (int)getpid());
	T_EQ(t, write_frames(path, s), 0);
	o.frame_size = SMALL;
	T_EQ(t, play_ahead_open(path, s, NFR, &rg, &o, &a), 0);
	unlink(path);
	while (!play_ahead_done(a)) {
		T_EQ(t, play_ahead_pump(a, true), 0);
		if (play_ahead_next(a, &f) != 1)
			continue;
		T_EQ(t, f.index, n);
		T_ASSERT(t, frame_is((unsigned char *)dio_slab_slot(play_ahead_slab(a), f.slot) +
					     f.skew, 3 + n % 7));
		n++;
		if (nheld == 2) { /* the sink gives back its oldest frame */
			play_ahead_release(a, held[0].slot);
			held[0] = held[1];
			nheld--;
		}
		held[nheld++] = f;
	}
	T_EQ(t, n, 21);
	play_ahead_stats(a, &st);
	T_EQ(t, st.batched, want_batched);
	T_EQ(t, st.frames, 21);
	T_EQ(t, st.bytes, 21ull * SMALL);
	*ret_reads = st.reads;
	play_ahead_free(a);
}

static void vcap_small(struct mov_sample *s)
{
	for (unsigned i = 0; i < NFR; i++)
		s[i] = (struct mov_sample){ .offset = 4096 + i * 20480ull, .size = SMALL, .pts = i };
}

static void ffmpeg_small(struct mov_sample *s)
{
	for (unsigned i = 0; i < NFR; i++)
		s[i] = (struct mov_sample){ .offset = 37 + (uint64_t)i * SMALL, .size = SMALL, .pts = i };
}

static void ahead_aligned_batches(struct t_state *t)
{
	struct mov_sample s[NFR];
	uint64_t reads = 0;

	vcap_small(s);
	play_file(t, s, (struct play_ahead_opts){ .nslots = 8, .batch = 4, .depth = 2 }, true,
		  &reads);
	T_ASSERT(t, reads > 0 && reads < 21);
}

static void ahead_unaligned_supersets(struct t_state *t)
{
	struct mov_sample s[NFR];
	uint64_t reads = 0;

	ffmpeg_small(s);
	play_file(t, s, (struct play_ahead_opts){ .nslots = 5, .batch = 4, .depth = 3 }, false,
		  &reads);
	T_EQ(t, reads, 21);
}

static void ahead_fallback_modes(struct t_state *t)
{
	struct mov_sample s[NFR];
	uint64_t reads = 0;

	vcap_small(s);
	play_file(t, s, (struct play_ahead_opts){ .nslots = 8, .batch = 4, .depth = 2,
						  .no_uring = true }, true, &reads);
	ffmpeg_small(s);
	play_file(t, s, (struct play_ahead_opts){ .nslots = 3, .batch = 2, .depth = 1,
						  .no_direct = true }, false, &reads);
}

static void ahead_truncated(struct t_state *t)
{
	const char *b = getenv("VCAP_BIN");
	struct play_range rg = { .first = 0, .count = NFR, .loops = 1 };
	struct mov_sample s[NFR];
	char path[PATH_MAX];
	struct play_ahead *a;

	vcap_small(s);
	snprintf(path, sizeof(path), "%s/test-play-t.%d.dat", b && *b ? b : ".", (int)getpid());
	T_EQ(t, write_frames(path, s), 0);
	T_EQ(t, truncate(path, s[NFR - 1].offset + 100), 0);
	T_EQ(t, play_ahead_open(path, s, NFR, &rg, &(struct play_ahead_opts){
			.frame_size = SMALL, .nslots = 4, .batch = 2, .depth = 2 }, &a), -ENODATA);
	/* the frames before the cut still play */
	rg.count = NFR - 1;
	T_EQ(t, play_ahead_open(path, s, NFR, &rg, &(struct play_ahead_opts){
			.frame_size = SMALL, .nslots = 4, .batch = 2, .depth = 2 }, &a), 0);
	play_ahead_free(a);
	unlink(path);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, plan_aligned_batches);
	T_RUN(&st, plan_loop_breaks_batch);
	T_RUN(&st, plan_repeated_offset);
	T_RUN(&st, plan_unaligned_one_per_read);
	T_RUN(&st, layout_stride);
	T_RUN(&st, timecode_style);
	T_RUN(&st, null_sink_paces);
	T_RUN(&st, ahead_aligned_batches);
	T_RUN(&st, ahead_unaligned_supersets);
	T_RUN(&st, ahead_fallback_modes);
	T_RUN(&st, ahead_truncated);
	return T_EXIT(&st);
}
