/* Sound: the frame-to-sample cadence, how channels split into tracks and chunks, the pattern
 * tone's markers, and the writer's rules for chunks of sound. */
#include "cap.h"
#include "mov.h"
#include "t.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* 48 kHz with 525-line video: 1602, 1601, 1602, 1601, 1602, 8008 per 5 frames (SMPTE ST
 * 299-1); 1920 per frame at 25; 800.8 per frame at 59.94. */
static void test_cadence(struct t_state *st)
{
	static const uint64_t ntsc[] = { 0, 1602, 3203, 4805, 6406, 8008 };

	for (unsigned k = 0; k < 6; k++)
		T_EQ(st, cap_audio_samples_at(k, 48000, 30000, 1001), ntsc[k]);
	T_EQ(st, cap_audio_samples_at(300, 48000, 30000, 1001), 480480);
	T_EQ(st, cap_audio_samples_at(5 * 1000003, 48000, 30000, 1001), 8008ull * 1000003);
	T_EQ(st, cap_audio_samples_at(100, 48000, 25, 1), 192000);
	T_EQ(st, cap_audio_samples_at(5, 48000, 60000, 1001), 4004);
	/* ten hours at 192 kHz and 60000/1001 without overflow */
	T_EQ(st, cap_audio_samples_at(2157840, 192000, 60000, 1001), 6911993088ull);
}

static void test_tracks(struct t_state *st)
{
	struct mov_audio a = { .channels = 3, .rate = 48000, .bits = 24, .tracks = MOV_AUDIO_PAIRS };
	uint64_t off[MOV_AUDIO_MAX_TRACKS];

	T_EQ(st, mov_audio_track_count(&a), 2);
	T_EQ(st, mov_audio_track_channels(&a, 0), 2);
	T_EQ(st, mov_audio_track_channels(&a, 1), 1);
	T_EQ(st, mov_audio_track_channels(&a, 2), 0);
	/* 1000 samples: 6000 bytes, then the mono part on the next 4096-byte boundary */
	T_EQ(st, mov_audio_chunk_layout(&a, 1000, off), 8192 + 3000);
	T_EQ(st, off[0], 0);
	T_EQ(st, off[1], 8192);
	a.tracks = MOV_AUDIO_ONE;
	T_EQ(st, mov_audio_track_count(&a), 1);
	T_EQ(st, mov_audio_chunk_layout(&a, 1000, NULL), 9000);
	a.tracks = MOV_AUDIO_MONO;
	a.channels = 8;
	T_EQ(st, mov_audio_track_count(&a), 8);
	a.channels = 0;
	T_EQ(st, mov_audio_track_count(&a), 0);
}

static void test_check(struct t_state *st)
{
	const char *why = NULL;

	T_EQ(st, mov_audio_check(&(struct mov_audio){ 2, 48000, 20, 0 }, &why), -EINVAL);
	T_ASSERT(st, why != NULL);
	T_EQ(st, mov_audio_check(&(struct mov_audio){ 17, 48000, 24, 0 }, NULL), -EINVAL);
	T_EQ(st, mov_audio_check(&(struct mov_audio){ 2, 4000, 24, 0 }, NULL), -EINVAL);
	T_EQ(st, mov_audio_check(&(struct mov_audio){ 2, 96000, 32, MOV_AUDIO_MONO }, NULL), 0);
	T_EQ(st, mov_audio_check(&(struct mov_audio){ 0 }, NULL), 0);
}

/* The pattern tone: a full-scale sample exactly at every frame's first sample, nowhere else;
 * reads by absolute index, never backwards. */
static void test_pattern_markers(struct t_state *st)
{
	const struct cap_audio_ops *ops = cap_audio_find("pattern");
	struct cap_audio_config cfg = { .device = "pattern", .channels = 2,
					.format = CAP_AUDIO_S16, .rate_num = 30000, .rate_den = 1001 };
	struct cap_why why = { "", "" };
	struct cap_audio_accepted acc;
	struct cap_audio *a;
	static int16_t buf[2 * 9000];
	unsigned marks = 0, k = 0;

	T_ASSERT(st, ops != NULL);
	T_EQ(st, ops->open(&cfg, &why, &a), 0);
	ops->describe(a, &acc);
	T_EQ(st, acc.sample_bytes, 4);
	T_EQ(st, ops->read(a, 0, buf, 100, 0), 0); /* not aligned yet */
	T_EQ(st, ops->align(a, 1000000000ull), 0);
	T_EQ(st, ops->read(a, 0, buf, 9000, 0), 9000);
	for (unsigned i = 0; i < 9000; i++) {
		if (buf[2 * i] > 16384) {
			T_EQ(st, i, cap_audio_samples_at(k, 48000, 30000, 1001));
			T_EQ(st, buf[2 * i + 1], 32767);
			marks++, k++;
		}
	}
	T_EQ(st, marks, 6); /* frames 0..5 start below 9000 (8008 is frame 5) */
	T_EQ(st, ops->read(a, 10, buf, 1, 0), -EINVAL);
	ops->close(a);
}

/* Chunks must follow each other without a gap and after the frames they come with. */
static void test_writer_chunks(struct t_state *st)
{
	struct mov_params p = { .format = mov_format_find("UYVY"), .width = 64, .height = 2,
				.rate_num = 25, .rate_den = 1,
				.audio = { .channels = 2, .rate = 48000, .bits = 16 } };
	int fd = memfd_create("t", 0);
	uint64_t size = 0;
	struct mov_writer *w;

	T_ASSERT(st, fd >= 0);
	T_EQ(st, mov_writer_open(fd, &p, &w), 0);
	T_EQ(st, mov_writer_add(w, 4096, NULL, 256, 0), 0);
	T_EQ(st, mov_writer_add_audio(w, 4096, NULL, 1920, 0), -EINVAL); /* over the frame */
	T_EQ(st, mov_writer_add_audio(w, 8192, NULL, 1920, 5), -EINVAL); /* a gap */
	T_EQ(st, mov_writer_add_audio(w, 8192, NULL, 0, 0), -EINVAL);
	T_EQ(st, mov_writer_add_audio(w, 8192, NULL, 1920, 0), 0); /* 7680 bytes */
	T_EQ(st, mov_writer_add(w, 12288, NULL, 256, 1), -EINVAL); /* inside the chunk */
	T_EQ(st, mov_writer_add(w, 16384, NULL, 256, 1), 0);
	T_EQ(st, mov_writer_add_audio(w, 20480, NULL, 1920, 1920), 0);
	T_EQ(st, mov_writer_audio_count(w), 3840);
	T_EQ(st, mov_writer_finish(w, 0, &size), 0);
	T_ASSERT(st, size > 20480 + 1920 * 4);
	mov_writer_free(w);
	close(fd);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_cadence);
	T_RUN(&st, test_tracks);
	T_RUN(&st, test_check);
	T_RUN(&st, test_pattern_markers);
	T_RUN(&st, test_writer_chunks);
	return T_EXIT(&st);
}
