/* Durability points. Every sync_interval seconds, what the disk has acknowledged is made
 * durable, without the loop ever waiting: an fdatasync of the file through the ring (it
 * covers the batches completed before it: their data, and the extents they converted from
 * unwritten), then a "synced F C" line in the capture log and an fdatasync of the log. When
 * that completes, those frames are durable: a power cut from then on loses none of them, and
 * mov_recover() finds them all (README, "What is on disk, and when"). */
#include "record-internal.h"

/* Completion tags of the two syncs: batches use their group index, far below these. */
#define TAG_SYNC_DATA (UINT64_MAX - 1)
#define TAG_SYNC_LOG UINT64_MAX

/* The default interval: at most half a second of recording is lost to a power cut. */
#define DEFAULT_INTERVAL_S 0.5

static double interval_s(const struct cap_record *v)
{
	return v->c->sync_interval > 0 ? v->c->sync_interval : DEFAULT_INTERVAL_S;
}

static void failed(struct cap_record *v, const char *what, int err)
{
	v->disk_failed = true;
	v->sync.state = REC_SYNC_IDLE;
	cap_rec_fail(v, what, err);
}

void cap_rec_sync_step(struct cap_record *v)
{
	struct rec_sync *s = &v->sync;
	double now;
	int ret;

	if (s->state != REC_SYNC_IDLE || v->disk_failed || v->stop || !v->jn)
		return;
	now = cap_rec_now_s();
	if (now < s->next)
		return;
	s->next = now + interval_s(v);
	if (v->st->frames == v->st->durable_frames &&
	    v->st->audio.samples == v->st->durable_samples)
		return; /* nothing new since the last point */
	mov_journal_counts(v->jn, &s->lines, &s->chunks);
	s->frames = v->st->frames;
	s->samples = v->st->audio.samples;
	ret = dio_writer_submit_sync(v->dw, -1, TAG_SYNC_DATA);
	if (ret < 0) /* the writer's sticky error: a batch failed, or the ring did */
		return failed(v, "writing", ret);
	s->state = REC_SYNC_DATA;
}

/* The file's sync is done: say so in the log, then sync the log. */
static void data_synced(struct cap_record *v)
{
	struct rec_sync *s = &v->sync;
	int ret = mov_journal_synced(v->jn, s->lines, s->chunks);

	if (ret < 0)
		return failed(v, "writing the capture log", ret);
	ret = dio_writer_submit_sync(v->dw, mov_journal_fd(v->jn), TAG_SYNC_LOG);
	if (ret < 0) /* the writer's sticky error: a batch failed, or the ring did */
		return failed(v, "writing", ret);
	s->state = REC_SYNC_LOG;
}

static void durable(struct cap_record *v, uint64_t frames, uint64_t samples)
{
	v->st->durable_frames = frames;
	v->st->durable_samples = samples;
	v->st->sync_points++;
	cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO, .type = CAP_EVENT_DURABLE,
					    .frame = frames, .samples = samples },
		     "durable: %llu frames, %llu samples", (unsigned long long)frames,
		     (unsigned long long)samples);
}

static void log_synced(struct cap_record *v)
{
	v->sync.state = REC_SYNC_IDLE;
	durable(v, v->sync.frames, v->sync.samples);
}

void cap_rec_sync_final(struct cap_record *v)
{
	durable(v, v->st->frames, v->st->audio.samples);
}

bool cap_rec_sync_done(struct cap_record *v, const struct dio_done *d)
{
	if (d->tag != TAG_SYNC_DATA && d->tag != TAG_SYNC_LOG)
		return false;
	if (d->res < 0)
		failed(v, d->tag == TAG_SYNC_DATA ? "making the recording durable (fdatasync)"
						  : "making the capture log durable (fdatasync)",
		       d->res);
	else if (!v->jn || v->disk_failed)
		v->sync.state = REC_SYNC_IDLE; /* the recording is ending: finish() syncs */
	else if (d->tag == TAG_SYNC_DATA)
		data_synced(v);
	else
		log_synced(v);
	return true;
}
