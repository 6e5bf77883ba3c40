/* The capture report (mov_report_open) on small files made here: a MOV written by the
 * writer with a capture log written by the journal (frame notes, flags, batch lines), read
 * back as events, batches and statistics; a log without batch lines, a log of another
 * recording, a file without a log. */
#include "mov.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#define W 64
#define H 48
#define N 10
#define SLOT 8192 /* >= the UYVY frame, 6144 bytes */

static char dir[64];

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* What each frame's log line says. */
static const char *note_of(unsigned i)
{
	return i == 4	? "lost=2,lost-fields=4,starved"
	       : i == 6 ? "tc-break"
	       : i == 8 ? "fill"
			: NULL;
}

/* A file of N grey UYVY frames (Y = 100 + i, chroma 128), pts skipping 2 before frame 4, and
 * (with log) its capture log: batches of 4 frames. */
static int make(const char *path, bool log)
{
	struct mov_params p = { .format = mov_format_find("UYVY"),
				.width = W,
				.height = H,
				.rate_num = 25,
				.rate_den = 1 };
	struct mov_writer *w = NULL;
	struct mov_journal *j = NULL;
	uint8_t frame[W * H * 2];
	char jpath[128];
	uint64_t ds, size;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	ret = mov_writer_open(fd, &p, &w);
	ds = ret >= 0 ? (mov_writer_data_start(w) + SLOT - 1) / SLOT * SLOT : 0;
	snprintf(jpath, sizeof(jpath), "%s.vcj", path);
	if (ret >= 0 && log)
		ret = mov_journal_open(jpath, &p, ds, true, &j);
	for (unsigned i = 0; ret >= 0 && i < N; i++) {
		uint64_t off = ds + (uint64_t)i * SLOT;
		int64_t pts = i < 4 ? i : i + 2;

		for (unsigned k = 0; k < sizeof(frame); k += 2) {
			frame[k] = 128;
			frame[k + 1] = (uint8_t)(100 + i);
		}
		if (pwrite(fd, frame, sizeof(frame), (off_t)off) != (ssize_t)sizeof(frame))
			ret = -EIO;
		if (ret >= 0)
			ret = mov_writer_add(w, off, frame, sizeof(frame), pts);
		if (ret >= 0 && j)
			ret = mov_journal_append(
			    j, &(struct mov_journal_frame){ .offset = off,
							    .size = sizeof(frame),
							    .pts = pts,
							    .sequence = (uint32_t)pts + 7,
							    .flags = i == 7 ? 0x40 : 0,
							    .timestamp_ns =
								1000000000ull + pts * 40000000ull,
							    .note = note_of(i) });
		if (ret >= 0 && j && (i % 4 == 3 || i == N - 1))
			ret = mov_journal_append_batch(
			    j, &(struct mov_journal_batch){ .latency_ns = 2500000,
							    .held = 4 + i,
							    .slots = 20,
							    .done_ns = 1000000000ull +
								       (pts + 1) * 40000000ull });
	}
	if (ret >= 0)
		ret = mov_writer_finish(w, 0, &size);
	if (ret >= 0 && ftruncate(fd, (off_t)size) < 0)
		ret = -errno;
	if (j && ret >= 0)
		ret = mov_journal_close(j, N, size);
	else
		mov_journal_free(j);
	mov_writer_free(w);
	close(fd);
	return ret;
}

static void test_log_events_and_batches(struct t_state *st)
{
	const struct mov_report_opts o = { .no_stats = true };
	struct mov_report *r;
	char path[128], why[160];

	tmp_path(path, sizeof(path), "a.mov");
	T_EQ(st, make(path, true), 0);
	T_EQ(st, mov_report_open(path, &o, &r, why, sizeof(why)), 0);
	T_ASSERT(st, r->has_log && r->log_complete && !r->log_recovered);
	T_EQ(st, r->frames, N);
	T_EQ(st, r->log_frames, N);
	T_EQ(st, r->events, 4);
	T_EQ(st, r->event[0].kind, MOV_EVENT_DROP);
	T_EQ(st, r->event[0].frame, 4);
	T_EQ(st, r->event[0].count, 2);
	T_EQ(st, r->event[0].fields, 4);
	T_EQ(st, r->event[0].sequence, 11); /* the first lost: frame 4 is sequence 13, 2 lost */
	T_ASSERT(st, r->event[0].starved);
	T_EQ(st, r->event[1].kind, MOV_EVENT_TC_BREAK);
	T_EQ(st, r->event[1].frame, 6);
	T_EQ(st, r->event[2].kind, MOV_EVENT_FLAGGED);
	T_EQ(st, r->event[2].frame, 7);
	T_EQ(st, r->event[3].kind, MOV_EVENT_FILL);
	T_EQ(st, r->event[3].frame, 8);
	T_EQ(st, r->batches, 3);
	T_EQ(st, r->batch[1].first, 4);
	T_EQ(st, r->batch[2].frames, 2);
	T_EQ(st, r->batch[1].held, 11);
	T_EQ(st, r->batch[1].slots, 20);
	T_ASSERT(st, fabs(r->batch[0].latency_ms - 2.5) < 1e-9);
	/* done after frame 3 (pts 3) from frame 0's capture: 4 frame periods */
	T_ASSERT(st, fabs(r->batch[0].t - 0.16) < 1e-6);
	T_ASSERT(st, !r->batch[0].drift_known && !r->drift_known);
	T_ASSERT(st, fabs(r->frame[4].t - 0.24) < 1e-6); /* pts 6 at 25 fps */
	T_EQ(st, r->frame[4].sequence, 13);
	T_ASSERT(st, !r->log_md5); /* logged without md5s: nothing to check */
	mov_report_free(r);
}

/* A log from before the batch lines, and the same log cut short mid-line. */
static void test_log_without_batches(struct t_state *st)
{
	const struct mov_report_opts o = { .no_stats = true };
	struct mov_report *r;
	char path[128], cmd[1024];

	tmp_path(path, sizeof(path), "b.mov");
	T_EQ(st, make(path, true), 0);
	snprintf(cmd, sizeof(cmd), "sed -i '/^batch /d; /^end /d' %s.vcj && printf '9 1' >>%s.vcj",
		 path, path);
	T_EQ(st, system(cmd), 0);
	T_EQ(st, mov_report_open(path, &o, &r, NULL, 0), 0);
	T_ASSERT(st, r->has_log && !r->log_complete);
	T_EQ(st, r->batches, 0);
	T_EQ(st, r->events, 4);
	mov_report_free(r);
}

/* Sound lost to an xrun, and sound that never came, are marked at the frame whose period
 * holds the chunk's first sample: sample 9600 at 48 kHz is 0.2 s, pts 5, which the drop
 * before frame 4 (pts 6) leaves inside frame 3's period. */
static void test_xrun_at_frame(struct t_state *st)
{
	const struct mov_report_opts o = { .no_stats = true };
	struct mov_report *r;
	char path[128], cmd[1024];

	tmp_path(path, sizeof(path), "x.mov");
	T_EQ(st, make(path, true), 0);
	snprintf(cmd, sizeof(cmd),
		 "printf 'audio 48000 2 16 one\nchunk 0 9600 1920 - xrun=480,late=2\n' >>%s.vcj",
		 path);
	T_EQ(st, system(cmd), 0);
	T_EQ(st, mov_report_open(path, &o, &r, NULL, 0), 0);
	T_EQ(st, r->audio_rate, 48000);
	T_EQ(st, r->events, 6);
	T_EQ(st, r->event[0].kind, MOV_EVENT_XRUN);
	T_EQ(st, r->event[0].frame, 3);
	T_EQ(st, r->event[0].count, 480);
	T_EQ(st, r->event[1].kind, MOV_EVENT_LATE);
	T_EQ(st, r->event[1].count, 2);
	mov_report_free(r);
}

/* Another recording's log (its frames elsewhere) is not used; no log at all is no error. */
static void test_other_log_and_none(struct t_state *st)
{
	const struct mov_report_opts o = { .no_stats = true };
	struct mov_report *r;
	char path[128], cmd[1024];

	tmp_path(path, sizeof(path), "c.mov");
	T_EQ(st, make(path, true), 0);
	snprintf(cmd, sizeof(cmd),
		 "awk '/^[0-9]/ { $2 = $2 + 4096 } { print }' %s.vcj >%s.x && "
		 "mv %s.x %s.vcj",
		 path, path, path, path);
	T_EQ(st, system(cmd), 0);
	T_EQ(st, mov_report_open(path, &o, &r, NULL, 0), 0);
	T_ASSERT(st, !r->has_log);
	T_EQ(st, r->log_err, -ESTALE);
	T_EQ(st, r->events, 0);
	T_EQ(st, r->batches, 0);
	mov_report_free(r);
	tmp_path(path, sizeof(path), "d.mov");
	T_EQ(st, make(path, false), 0);
	T_EQ(st, mov_report_open(path, &o, &r, NULL, 0), 0);
	T_ASSERT(st, !r->has_log);
	T_EQ(st, r->log_err, -ENOENT);
	T_EQ(st, r->frames, N);
	mov_report_free(r);
}

/* signalstats through libavfilter: a flat grey frame of Y = 100 + i. */
static void test_stats(struct t_state *st)
{
	const struct mov_report_opts o = { .thumb_every = 0.2 };
	struct mov_report *r;
	char path[128], why[160];

	tmp_path(path, sizeof(path), "a.mov");
	T_EQ(st, mov_report_open(path, &o, &r, why, sizeof(why)), 0);
	T_ASSERT(st, r->stats);
	for (unsigned i = 0; i < N; i++) {
		T_ASSERT(st, r->frame[i].has_stats);
		T_EQ(st, r->frame[i].stat[MOV_STAT_YMIN], 100 + i);
		T_EQ(st, r->frame[i].stat[MOV_STAT_YAVG], 100 + i);
		T_EQ(st, r->frame[i].stat[MOV_STAT_YMAX], 100 + i);
		T_EQ(st, r->frame[i].stat[MOV_STAT_SATMAX], 0);
		T_EQ(st, r->frame[i].stat[MOV_STAT_BRNG], 0);
		T_EQ(st, r->frame[i].stat[MOV_STAT_YDIF], i ? 1 : 0);
		T_EQ(st, r->frame[i].stat[MOV_STAT_MSEF_Y], 0); /* the two fields are alike */
	}
	/* a thumbnail at 0, 0.2 and 0.4 s... of frames at 0, 0.04, ... 0.12, 0.24, ... 0.44 s */
	T_EQ(st, r->thumbs, 3);
	T_EQ(st, r->thumb[1].frame, 4);
	T_EQ(st, r->thumb[0].width, 160);
	T_EQ(st, r->thumb[0].height, 120);
	T_ASSERT(st, r->thumb[0].size > 8 && !memcmp(r->thumb[0].png, "\x89PNG", 4));
	mov_report_free(r);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct t_state st = { 0 };
	char cmd[96];

	av_log_set_level(AV_LOG_QUIET);
	snprintf(dir, sizeof(dir), "%s/test-report-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("cannot make a temporary directory\n");
		return 77;
	}
	T_RUN(&st, test_log_events_and_batches);
	T_RUN(&st, test_log_without_batches);
	T_RUN(&st, test_xrun_at_frame);
	T_RUN(&st, test_other_log_and_none);
	T_RUN(&st, test_stats);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return T_EXIT(&st);
}
