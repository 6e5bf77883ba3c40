/* Sound with the picture: one chunk of sound per batch, in the batch's write.
 *
 * Frame k owns samples [S(k), S(k + 1)) (cap_audio_samples_at), counted from the instant of
 * frame 0 (the audio source aligns its sample 0 there). When a batch closes, its chunk takes
 * every sample from where the previous chunk ended up to the end of its last frame, so the
 * sound of a frame the device lost is kept (in the next batch's chunk) and the track has no
 * gap. The chunk sits after the batch's frames in the same O_DIRECT write (diskio's tail),
 * padded to the unit; once the write has completed it is indexed through libavformat and
 * logged in the journal, as the frames are.
 *
 * The drift of the audio clock against the video clock comes from two least-squares lines:
 * frames against their V4L2 timestamps, and samples against the times the audio device
 * captured them.
 */
#include "record-internal.h"

#include <errno.h>
#include <libavutil/md5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LATE_MS 1000	    /* the last chunk waits this long for its sound at most */
#define DRIFT_MIN_S 5.0	    /* both clocks seen for this long before a drift is told */

static void line_add(struct rec_line *l, double t, double n)
{
	double dt;

	if (!l->n)
		l->t0 = t;
	t -= l->t0;
	l->n++;
	dt = t - l->mt;
	l->mt += dt / l->n;
	l->mn += (n - l->mn) / l->n;
	l->ctt += dt * (t - l->mt);
	l->ctn += dt * (n - l->mn);
}

/* Counts per second, 0 until the line spans DRIFT_MIN_S. */
static double line_rate(const struct rec_line *l)
{
	if (l->n < 10 || l->ctt <= 0 || l->mt * 2 < DRIFT_MIN_S)
		return 0;
	return l->ctn / l->ctt;
}

int cap_rec_audio_open(struct cap_record *v)
{
	const struct cap_record_config *c = v->c;
	struct rec_audio *au = &v->au;
	struct cap_audio_config cfg = c->audio;
	struct cap_audio_accepted *a = &v->st->audio.acc;
	struct cap_why why = { "", "" };
	const char *bad;
	int ret;

	if (!c->audio.device)
		return 0;
	au->ops = cap_audio_find(c->audio.device);
	if (!au->ops) {
		cap_rec_error(v, 0, "e.g. --audio hw:CARD=X,DEV=0, --audio default or --audio pattern",
			      "--audio with an empty device name");
		return -EINVAL;
	}
	if (!v->st->acc.rate_num || !v->st->acc.rate_den) {
		cap_rec_error(v, 0, "give the frame rate with --rate N/D",
			      "--audio: the video device does not say its frame rate, and each "
			      "frame's share of the sound follows from it");
		return -EINVAL;
	}
	cfg.rate_num = v->st->acc.rate_num;
	cfg.rate_den = v->st->acc.rate_den;
	ret = au->ops->open(&cfg, &why, &au->src);
	if (ret < 0) {
		if (why.what[0])
			cap_rec_error(v, ret == -EINVAL ? 0 : ret, why.hint[0] ? why.hint : NULL,
				      "%s", why.what);
		else
			cap_rec_error(v, ret, NULL, "opening the audio device %s", c->audio.device);
		return ret;
	}
	au->ops->describe(au->src, a);
	au->mov = (struct mov_audio){ .channels = a->channels, .rate = a->rate, .bits = a->format,
				      .tracks = c->audio_tracks };
	if (mov_audio_check(&au->mov, &bad) < 0) {
		cap_rec_error(v, 0, "choose another --audio-channels, --audio-rate or --audio-format",
			      "audio from %s: %s", a->device, bad);
		return -EINVAL;
	}
	if (c->audio_tracks == MOV_AUDIO_ONE && a->channels > 2)
		cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_WARNING },
			     "one track of %u channels: FFmpeg's muxer describes it with a version 1 "
			     "sound description, which Apple's QuickTime File Format allows for 1 "
			     "or 2 channels only (the 'chan' atom: more need version 2); ffmpeg, "
			     "ffprobe and mediainfo read it, QuickTime players may not "
			     "(--audio-tracks pairs or mono keep to the rule)",
			     a->channels);
	v->st->audio.on = true;
	v->st->audio.tracks = mov_audio_track_count(&au->mov);
	cap_rec_emit(v, (struct cap_event){ .kind = CAP_EVENT_INFO },
		     "audio: %s%s%s%s, %u channels at %u Hz, %s (device format %s), %u track%s (%s)",
		     a->device, a->card[0] ? " (" : "", a->card, a->card[0] ? ")" : "", a->channels,
		     a->rate, cap_audio_format_name(a->format), a->native, v->st->audio.tracks,
		     v->st->audio.tracks == 1 ? "" : "s", mov_audio_tracks_name(c->audio_tracks));
	return 0;
}

int cap_rec_audio_memory(struct cap_record *v)
{
	struct rec_audio *au = &v->au;
	uint64_t unit = v->st->geom.align ? v->st->geom.align : DIO_PAGE;
	const struct cap_accepted *acc = &v->st->acc;
	uint64_t per_batch;

	if (!au->src)
		return 0;
	/* twice a batch's share and a second more: room for the sound of frames the device
	 * lost, and for a chunk catching up after one that was cut short */
	per_batch = cap_audio_samples_at(2 * (uint64_t)v->c->batch, au->mov.rate, acc->rate_num,
					 acc->rate_den);
	au->chunk_max = per_batch + au->mov.rate;
	au->chunk_cap = dio_align_up(mov_audio_chunk_layout(&au->mov, au->chunk_max, NULL), unit);
	/* one per group, and one for the sound after the last frames (cap_rec_audio_finish) */
	if (posix_memalign((void **)&au->chunks, DIO_PAGE, au->chunk_cap * (v->ngroups + 1)))
		return -ENOMEM;
	memset(au->chunks, 0, au->chunk_cap * (v->ngroups + 1));
	if (mov_audio_track_count(&au->mov) > 1 &&
	    !(au->scratch = malloc(au->chunk_max * v->st->audio.acc.sample_bytes)))
		return -ENOMEM;
	return 0;
}

int cap_rec_audio_start(struct cap_record *v)
{
	struct rec_audio *au = &v->au;
	int ret;

	if (!au->src)
		return 0;
	ret = au->ops->start(au->src);
	if (ret < 0)
		cap_rec_error(v, ret, NULL, "starting the audio device %s", v->c->audio.device);
	return ret;
}

void cap_rec_audio_align(struct cap_record *v, const struct cap_frame *f)
{
	struct rec_audio *au = &v->au;
	int ret;

	if (!au->src || au->aligned)
		return;
	ret = au->ops->align(au->src, f->timestamp_ns);
	if (ret < 0) {
		cap_rec_error(v, ret, NULL, "aligning the sound to the first frame");
		cap_rec_fail(v, "the audio device", ret);
		return;
	}
	au->aligned = true;
}

static void account_clock(struct cap_record *v, const struct cap_audio_status *s);

/* Let the device report where it is (a read of nothing pulls what it has into the source's
 * ring) and take the clock point: the more points, the less a late timer shows in the
 * drift. */
static void clock_point(struct cap_record *v)
{
	struct rec_audio *au = &v->au;
	struct cap_audio_status s;

	if (au->ops->read(au->src, au->next, NULL, 0, 0) < 0)
		return; /* said by the next batch's read */
	au->ops->status(au->src, &s);
	account_clock(v, &s);
}

void cap_rec_audio_step(struct cap_record *v, const struct cap_frame *f)
{
	struct rec_audio *au = &v->au;

	if (!au->src)
		return;
	if (!au->aligned) {
		au->ops->read(au->src, 0, NULL, 0, 0); /* keeps the device from overrunning */
		return;
	}
	if (f)
		line_add(&au->video, f->timestamp_ns / 1e9, (double)(f->sequence - v->seq0));
	else
		clock_point(v); /* a point of the audio clock every step, not only every batch */
}

/* Up to n samples from pos into dst: what the device has now, and with wait_ms, what comes
 * within that time. Returns the samples that came. */
static uint64_t read_some(struct cap_record *v, uint8_t *dst, uint64_t pos, uint64_t n,
			  unsigned wait_ms)
{
	struct rec_audio *au = &v->au;
	unsigned sb = v->st->audio.acc.sample_bytes;
	double give_up = cap_rec_now_s() + wait_ms / 1000.0;
	uint64_t got = 0;

	while (got < n) {
		uint64_t want = n - got > INT32_MAX ? INT32_MAX : n - got;
		int r = au->ops->read(au->src, pos + got, dst + got * sb, want, wait_ms ? 20 : 0);

		if (r < 0) {
			cap_rec_error(v, r, NULL, "reading sound from %s", v->c->audio.device);
			cap_rec_fail(v, "the audio device", r);
			break;
		}
		got += r;
		if (!r && cap_rec_now_s() >= give_up)
			break;
	}
	return got;
}

/* Interleaved samples to each track's part of the chunk (pairs, mono). */
static void split_tracks(const struct rec_audio *au, const uint8_t *in, uint8_t *chunk,
			 uint64_t n)
{
	uint64_t off[MOV_AUDIO_MAX_TRACKS];
	unsigned bytes = au->mov.bits / 8, tracks = mov_audio_track_count(&au->mov);
	size_t in_stride = (size_t)au->mov.channels * bytes;
	unsigned ch0 = 0;

	mov_audio_chunk_layout(&au->mov, n, off);
	for (unsigned t = 0; t < tracks; t++) {
		size_t w = (size_t)mov_audio_track_channels(&au->mov, t) * bytes;
		uint8_t *d = chunk + off[t];

		for (uint64_t s = 0; s < n; s++, d += w)
			memcpy(d, in + s * in_stride + ch0 * bytes, w);
		ch0 += w / bytes;
	}
}

/* New overruns since the last look: counted, told, and subject to --on-drop. */
static void account_xruns(struct cap_record *v, struct rec_batch *b,
			  const struct cap_audio_status *s)
{
	struct rec_audio *au = &v->au;
	const struct cap_accepted *acc = &v->st->acc;
	uint64_t lost = s->xrun_samples - au->xrun_samples_seen, frame;

	if (s->xruns == au->xruns_seen)
		return;
	frame = (uint64_t)((unsigned __int128)s->last_xrun_at * acc->rate_num /
			   ((uint64_t)v->st->audio.acc.rate * acc->rate_den));
	v->st->audio.xruns += s->xruns - au->xruns_seen;
	v->st->audio.xrun_samples += lost;
	b->a_xrun += lost;
	au->xruns_seen = s->xruns;
	au->xrun_samples_seen = s->xrun_samples;
	cap_rec_emit(v,
		     (struct cap_event){ .kind = CAP_EVENT_NOTE, .type = CAP_EVENT_XRUN,
					 .frame = frame },
		     "audio overrun: %llu samples lost at sample %llu (frame %llu), filled with "
		     "silence",
		     (unsigned long long)lost, (unsigned long long)s->last_xrun_at,
		     (unsigned long long)frame);
	if (v->c->on_drop == CAP_DROP_STOP) {
		v->stop = true;
		v->st->stop_reason = "drop";
	}
}

/* The audio clock's new point, and the drift against the video clock. */
static void account_clock(struct cap_record *v, const struct cap_audio_status *s)
{
	struct rec_audio *au = &v->au;
	const struct cap_accepted *acc = &v->st->acc;
	double ra, rv;

	if (!s->clock_ns || s->clock_ns == au->last_clock_ns)
		return;
	au->last_clock_ns = s->clock_ns;
	line_add(&au->audio, s->clock_ns / 1e9, (double)s->clock_pos);
	ra = line_rate(&au->audio);
	rv = line_rate(&au->video);
	if (!ra || !rv)
		return;
	v->st->audio.drift_ppm =
	    ((ra / au->mov.rate) / (rv * acc->rate_den / acc->rate_num) - 1) * 1e6;
	v->st->audio.drift_known = true;
	if (v->c->audio_drift_fail > 0 && fabs(v->st->audio.drift_ppm) > v->c->audio_drift_fail &&
	    !v->st->err) {
		cap_rec_error(v, 0, "check the audio device's clock source, or record with "
				    "--audio-drift report",
			      "the audio clock drifts %+.0f ppm against the video clock, more "
			      "than --audio-drift fail=%g",
			      v->st->audio.drift_ppm, v->c->audio_drift_fail);
		cap_rec_fail(v, "the audio clock", -ERANGE);
	}
}

void cap_rec_audio_fill(struct cap_record *v, struct rec_batch *b, unsigned group,
			int64_t last_pts, bool last, void **ret_tail)
{
	struct rec_audio *au = &v->au;
	const struct cap_accepted *acc = &v->st->acc;
	uint64_t unit = v->st->geom.align ? v->st->geom.align : DIO_PAGE;
	uint8_t *chunk = au->chunks + (size_t)group * au->chunk_cap;
	uint64_t target, n, got, bytes;
	struct cap_audio_status s;
	uint8_t *dst;

	*ret_tail = NULL;
	b->a_count = b->a_bytes = b->a_xrun = b->a_late = 0;
	if (!au->src || !au->aligned)
		return;
	target = cap_audio_samples_at(last_pts + 1, au->mov.rate, acc->rate_num, acc->rate_den);
	if (target <= au->next)
		return;
	n = target - au->next < au->chunk_max ? target - au->next : au->chunk_max;
	/* What the device has: a clock slower than the video's leaves the sound behind, and
	 * later chunks catch up (never waiting here, which would hold up the frames); only the
	 * recording's last chunk waits for the sound of its last frame, and fills what never
	 * comes with silence (late) */
	dst = au->scratch ? au->scratch : chunk;
	got = read_some(v, dst, au->next, n, last ? LATE_MS : 0);
	if (last)
		memset(dst + got * v->st->audio.acc.sample_bytes, 0,
		       (n - got) * v->st->audio.acc.sample_bytes);
	else
		n = got;
	if (au->scratch && n)
		split_tracks(au, au->scratch, chunk, n);
	bytes = mov_audio_chunk_layout(&au->mov, n, NULL);
	b->a_first = au->next;
	b->a_count = n;
	b->a_bytes = dio_align_up(bytes, unit);
	b->a_late = n - got;
	memset(chunk + bytes, 0, b->a_bytes - bytes); /* the padding: no stale sound on disk */
	au->next += n;
	v->st->audio.late_silence += n - got;
	if (b->a_bytes > v->st->audio.chunk_bytes)
		v->st->audio.chunk_bytes = b->a_bytes;
	au->ops->status(au->src, &s);
	v->st->audio.lead_silence = s.lead_silence;
	account_xruns(v, b, &s);
	account_clock(v, &s);
	*ret_tail = n ? chunk : NULL;
}

int cap_rec_audio_commit(struct cap_record *v, const struct rec_batch *b, unsigned group)
{
	struct rec_audio *au = &v->au;
	const uint8_t *chunk = au->chunks + (size_t)group * au->chunk_cap;
	uint64_t offset = b->offset + (uint64_t)b->count * dio_slab_slot_size(v->slab);
	char note[64] = "";
	size_t k = 0;
	int ret;

	/* after a batch that never reached the disk, the sound would have a gap: it ends */
	if (!b->a_count || b->a_first != mov_writer_audio_count(v->mw))
		return 0;
	ret = mov_writer_add_audio(v->mw, offset, chunk, b->a_count, b->a_first);
	if (ret < 0)
		return ret;
	if (v->hash)
		av_md5_sum(au->md5, chunk, mov_audio_chunk_layout(&au->mov, b->a_count, NULL));
	if (b->a_xrun)
		k = snprintf(note, sizeof(note), "xrun=%llu", (unsigned long long)b->a_xrun);
	if (b->a_late)
		snprintf(note + k, sizeof(note) - k, "%slate=%llu", k ? "," : "",
			 (unsigned long long)b->a_late);
	ret = mov_journal_append_audio(v->jn, &(struct mov_journal_chunk){
						      .offset = offset,
						      .first = b->a_first,
						      .samples = b->a_count,
						      .md5 = v->hash ? au->md5 : NULL,
						      .note = note });
	if (ret < 0)
		return ret;
	v->st->audio.samples += b->a_count;
	return 0;
}

void cap_rec_audio_finish(struct cap_record *v)
{
	struct rec_audio *au = &v->au;
	struct rec_batch b = { 0 };
	struct dio_done d;
	void *tail;
	int ret;

	if (!au->src || !au->aligned || !v->last.valid || !v->mw)
		return;
	cap_rec_audio_fill(v, &b, v->ngroups, v->last.pts, true, &tail);
	if (!tail)
		return;
	ret = dio_writer_submit_tail(v->dw, 0, 0, tail, b.a_bytes, v->ngroups, &b.offset);
	if (ret >= 0)
		ret = dio_writer_reap(v->dw, 1, &d, 1);
	if (ret >= 0)
		ret = d.res;
	if (ret >= 0)
		ret = cap_rec_audio_commit(v, &b, v->ngroups);
	if (ret >= 0)
		ret = mov_journal_flush(v->jn);
	if (ret < 0)
		cap_rec_fail(v, "writing the sound after the last frame", ret);
}

void cap_rec_audio_close(struct cap_record *v)
{
	struct rec_audio *au = &v->au;

	if (au->src) {
		au->ops->stop(au->src);
		au->ops->close(au->src);
	}
	free(au->chunks);
	free(au->scratch);
	au->src = NULL;
	au->chunks = au->scratch = NULL;
}
