/* The capture report's log part: what the capture log (journal.c's format, mov.h) says of
 * each frame and each write. Read on its own terms, not recover.c's: the report wants every
 * column (sequence, flags, timestamp, timecode, note) and the batch lines, and a log that
 * does not parse is only a report without its capture panels. */
#include "mov-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V4L2_FLAG_ERROR 0x00000040 /* V4L2_BUF_FLAG_ERROR (videodev2.h) */

/* What the log says, before it is known to be this file's. */
struct rlog {
	unsigned rate_num, rate_den, audio_rate;
	uint64_t n;   /* frame lines */
	int64_t *pts; /* per frame line, up to the file's frames */
	bool md5_all; /* every frame line of the file's frames had an md5 */
};

int mov_report_add_event(struct mov_report *r, const struct mov_report_event *ev)
{
	/* grows in steps of powers of two: events counts the used ones */
	if (!(r->events & (r->events - 1)) || !r->event) {
		size_t cap = r->events ? r->events * 2 : 16;
		struct mov_report_event *n = realloc(r->event, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->event = n;
	}
	r->event[r->events++] = *ev;
	return 0;
}

static bool parse_md5(const char *hex, uint8_t md5[16])
{
	unsigned b;

	if (strlen(hex) != 32)
		return false;
	for (unsigned i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		md5[i] = (uint8_t)b;
	}
	return true;
}

/* The value of "key=N" among the note's comma-separated words, 0 when absent. */
static uint64_t note_value(const char *note, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = note; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == '=')
			return strtoull(p + k + 1, NULL, 10);
	return 0;
}

static bool note_has(const char *note, const char *word)
{
	size_t k = strlen(word);

	for (const char *p = note; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, word, k) && (p[k] == ',' || p[k] == '\0'))
			return true;
	return false;
}

static int frame_events(struct mov_report *r, uint64_t i, uint32_t flags, uint64_t seq,
			const char *note)
{
	uint64_t lost = note_value(note, "lost"), fields = note_value(note, "lost-fields");
	int ret = 0;

	if (lost || fields)
		ret = mov_report_add_event(
		    r, &(struct mov_report_event){ .kind = MOV_EVENT_DROP,
						   .frame = i,
						   .count = lost,
						   .fields = (uint32_t)fields,
						   .sequence = seq - lost, /* the first lost */
						   .starved = note_has(note, "starved") });
	if (ret >= 0 && note_has(note, "fill"))
		ret = mov_report_add_event(
		    r, &(struct mov_report_event){ .kind = MOV_EVENT_FILL, .frame = i });
	if (ret >= 0 && (flags & V4L2_FLAG_ERROR))
		ret = mov_report_add_event(
		    r, &(struct mov_report_event){ .kind = MOV_EVENT_FLAGGED, .frame = i });
	if (ret >= 0 && note_has(note, "tc-break"))
		ret = mov_report_add_event(
		    r, &(struct mov_report_event){ .kind = MOV_EVENT_TC_BREAK, .frame = i });
	return ret;
}

/* "frame offset size pts sequence field flags timestamp timecode md5 note" */
static int parse_frame(struct mov_report *r, struct rlog *g, const struct mov_sample *s,
		       const char *line)
{
	char tc[32], hex[40], note[256];
	uint64_t index, offset, seq;
	uint32_t size, flags;
	int64_t pts;
	double ts;
	struct mov_report_frame *f;

	if (sscanf(line,
		   "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNd64 " %" SCNu64 " %*s %" SCNx32
		   " %lf %31s %39s %255s",
		   &index, &offset, &size, &pts, &seq, &flags, &ts, tc, hex, note) != 10 ||
	    index != g->n)
		return -EBADMSG;
	if (g->n++ >= r->frames)
		return 0; /* logged, not indexed (a recovery left it out) */
	if (offset != s[index].offset || size != s[index].size)
		return -ESTALE; /* not this file's frame */
	f = &r->frame[index];
	f->sequence = seq;
	f->flags = flags;
	f->timestamp = ts;
	if (strcmp(tc, "-")) /* else the timecode track's, if any */
		snprintf(f->timecode, sizeof(f->timecode), "%.15s", tc);
	g->pts[index] = pts;
	if (!parse_md5(hex, r->log_md5[index]))
		g->md5_all = false;
	return frame_events(r, index, flags, seq, strcmp(note, "-") ? note : "");
}

/* The file's frame whose period holds pts (frames in pts order; drops leave gaps). */
static uint64_t frame_at_pts(const struct rlog *g, uint64_t n, int64_t pts)
{
	uint64_t lo = 0, hi = n;

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (g->pts[mid] <= pts)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* "chunk offset first samples md5 note": its xruns and late sound, at the frame it starts. */
static int parse_chunk(struct mov_report *r, const struct rlog *g, const char *line)
{
	uint64_t off, first, n, xrun, late, frame;
	char note[256] = "-";
	int ret = 0;

	if (sscanf(line, "chunk %" SCNu64 " %" SCNu64 " %" SCNu64 " %*s %255s", &off, &first, &n,
		   note) < 3)
		return -EBADMSG;
	xrun = note_value(note, "xrun");
	late = note_value(note, "late");
	if ((!xrun && !late) || !g->audio_rate || !g->rate_den || !r->frames)
		return 0;
	/* the frame period the chunk's first sample falls in */
	frame =
	    frame_at_pts(g, r->frames < g->n ? r->frames : g->n,
			 (int64_t)(first * g->rate_num / ((uint64_t)g->audio_rate * g->rate_den)));
	if (xrun)
		ret = mov_report_add_event(r, &(struct mov_report_event){ .kind = MOV_EVENT_XRUN,
									  .frame = frame,
									  .count = xrun });
	if (ret >= 0 && late)
		ret = mov_report_add_event(r, &(struct mov_report_event){ .kind = MOV_EVENT_LATE,
									  .frame = frame,
									  .count = late });
	return ret;
}

/* "batch first frames latency_us held slots done drift" */
static int parse_batch(struct mov_report *r, const char *line)
{
	struct mov_report_batch b = { 0 };
	uint64_t lat_us;
	char drift[32];
	double done;

	if (sscanf(line, "batch %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %u %lf %31s", &b.first,
		   &b.frames, &lat_us, &b.held, &b.slots, &done, drift) != 7)
		return -EBADMSG;
	b.latency_ms = lat_us / 1000.0;
	b.t = done; /* from the first frame's time once it is known (mov_report_read_log) */
	b.drift_known = strcmp(drift, "-") != 0;
	b.drift_ppm = b.drift_known ? strtod(drift, NULL) : NAN;
	if (!(r->batches & (r->batches - 1)) || !r->batch) {
		size_t cap = r->batches ? r->batches * 2 : 16;
		struct mov_report_batch *n = realloc(r->batch, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->batch = n;
	}
	r->batch[r->batches++] = b;
	if (b.drift_known) {
		r->drift_known = true;
		r->drift_ppm = b.drift_ppm;
	}
	return 0;
}

static int parse_key(struct mov_report *r, struct rlog *g, const char *line)
{
	unsigned ch, bits;

	if (sscanf(line, "rate %u/%u", &g->rate_num, &g->rate_den) == 2)
		return 0;
	if (sscanf(line, "recording %39s", r->recording) == 1)
		return 0;
	if (!strncmp(line, "sidecar ", 8)) {
		snprintf(r->sidecar, sizeof(r->sidecar), "%s", line + 8);
		return 0;
	}
	if (sscanf(line, "audio %u %u %u", &g->audio_rate, &ch, &bits) == 3)
		return 0;
	if (sscanf(line, "synced %" SCNu64, &r->log_synced) == 1)
		return 0;
	if (!strncmp(line, "end ", 4)) {
		r->log_complete = true;
		r->log_recovered = strstr(line, " recovered") != NULL;
	}
	return 0; /* other keys: not needed here */
}

static int parse_line(struct mov_report *r, struct rlog *g, const struct mov_sample *s,
		      const char *line)
{
	if (line[0] >= '0' && line[0] <= '9')
		return parse_frame(r, g, s, line);
	if (!strncmp(line, "chunk ", 6))
		return parse_chunk(r, g, line);
	if (!strncmp(line, "batch ", 6))
		return parse_batch(r, line);
	return parse_key(r, g, line);
}

/* Forget what a log that is not this file's (or not a log) put in r. */
static void drop_log(struct mov_report *r)
{
	for (uint64_t i = 0; i < r->frames; i++) {
		struct mov_report_frame *f = &r->frame[i];

		f->sequence = 0, f->flags = 0, f->timestamp = 0, f->timecode[0] = '\0';
	}
	free(r->event), r->event = NULL, r->events = 0;
	free(r->batch), r->batch = NULL, r->batches = 0;
	free(r->log_md5), r->log_md5 = NULL;
	r->recording[0] = r->sidecar[0] = '\0';
	r->log_complete = r->log_recovered = r->drift_known = false;
	r->log_synced = r->log_frames = 0;
}

static int read_lines(struct mov_report *r, struct rlog *g, const struct mov_sample *s, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool first = true;
	int ret = 0;

	while (ret >= 0 && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* a last line cut short by a crash */
		line[len - 1] = '\0';
		if (first)
			ret = strcmp(line, "vcj 1") ? -EBADMSG : 0;
		else
			ret = parse_line(r, g, s, line);
		first = false;
	}
	free(line);
	return ret < 0 ? ret : first ? -EBADMSG : 0;
}

int mov_report_read_log(struct mov_report *r, const char *path, const struct mov_reader *rd)
{
	struct rlog g = { .md5_all = true };
	FILE *f = fopen(path, "re");
	int ret;

	if (!f)
		return -errno;
	g.pts = calloc(r->frames ? r->frames : 1, sizeof(*g.pts));
	r->log_md5 = calloc(r->frames ? r->frames : 1, sizeof(*r->log_md5));
	ret = g.pts && r->log_md5 ? read_lines(r, &g, mov_reader_samples(rd), f) : -ENOMEM;
	fclose(f);
	if (ret >= 0 && g.n < r->frames)
		ret = -ESTALE; /* the file has frames the log never had */
	if (ret < 0) {
		drop_log(r);
		free(g.pts);
		return ret;
	}
	r->log_frames = g.n;
	if (r->log_complete) /* the end line follows the final sync of the file, then the log */
		r->log_synced = g.n;
	r->audio_rate = g.audio_rate;
	if (!g.md5_all)
		free(r->log_md5), r->log_md5 = NULL;
	/* batches on the recording's time: from the first frame's capture */
	for (uint64_t i = 0; i < r->batches && r->frames; i++)
		r->batch[i].t -= r->frame[0].timestamp;
	free(g.pts);
	return 0;
}
