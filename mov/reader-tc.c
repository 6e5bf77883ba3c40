/* A timecode track read whole: every tmcd sample, so that a break (a second sample) and a
 * label after midnight map to the right frames. libavformat gives only the first sample as
 * metadata; the arithmetic is FFmpeg's libavformat/mov.c (mov_read_timecode_track): the
 * sample is a frame number counted at the description's numberOfFrames per second (the
 * counter flag assumed, as FFmpeg does), rescaled to the label rate; flags bit 0 is
 * drop-frame (QuickTime File Format, "Timecode Sample Description"). */
#include "reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMCD_DROP 0x1

static AVStream *tmcd_stream(AVFormatContext *fc)
{
	for (unsigned i = 0; i < fc->nb_streams; i++)
		if (fc->streams[i]->codecpar->codec_tag == MKTAG('t', 'm', 'c', 'd'))
			return fc->streams[i];
	return NULL;
}

static int read_be32(int fd, int64_t pos, uint32_t *ret)
{
	uint8_t b[4];
	ssize_t n = pread(fd, b, 4, (off_t)pos);

	if (n < 0)
		return -errno;
	if (n != 4)
		return -EBADMSG;
	*ret = mov_rb32(b);
	return 0;
}

/* The description: flags @4, timeScale @8, frameDuration @12, numberOfFrames @16 of the
 * extradata libavformat keeps (mov.c, mov_parse_stsd_data). */
static int description(struct mov_tc_map *m, const AVCodecParameters *par, unsigned *ret_nb)
{
	const uint8_t *x = par->extradata;
	uint32_t scale, dur;

	if (!x || par->extradata_size < 17)
		return -EBADMSG;
	scale = mov_rb32(x + 8);
	dur = mov_rb32(x + 12);
	/* under half a label a second rounds to 0 labels: the day would have none */
	if (scale > INT32_MAX || dur > INT32_MAX || !mov_timecode_fps(scale, dur))
		return -EBADMSG;
	m->fps = mov_timecode_fps(scale, dur);
	m->drop = mov_rb32(x + 4) & TMCD_DROP ? mov_timecode_drop_labels(m->fps) : 0;
	m->period = (AVRational){ (int)dur, (int)scale };
	*ret_nb = x[16];
	/* files whose numberOfFrames is the rate rounded down (FFmpeg ticket #5978) */
	if (!*ret_nb || *ret_nb == scale / dur)
		*ret_nb = m->fps;
	return 0;
}

static int64_t day_labels(const struct mov_tc_map *m)
{
	return (int64_t)m->fps * 86400 - (int64_t)m->drop * 24 * 54;
}

int mov_tc_map_read(struct mov_tc_map *m, AVFormatContext *fc, int fd, const AVStream *st,
		    const struct mov_sample *s, uint64_t n)
{
	AVStream *tc = tmcd_stream(fc);
	int count = tc ? avformat_index_get_entries_count(tc) : 0;
	int64_t shift;
	unsigned nb;
	int ret;

	memset(m, 0, sizeof(*m));
	if (count <= 0 || !n)
		return 0;
	ret = description(m, tc->codecpar, &nb);
	if (ret < 0)
		return ret;
	m->tb = st->time_base;
	m->seg = calloc((size_t)count, sizeof(*m->seg));
	if (!m->seg)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		const AVIndexEntry *e = avformat_index_get_entry(tc, i);
		uint32_t v = 0;

		if (!e || e->size < 4)
			return -EBADMSG;
		ret = read_be32(fd, e->pos, &v);
		if (ret < 0)
			return ret;
		m->seg[i].pts = av_rescale_q(e->timestamp, tc->time_base, st->time_base);
		m->seg[i].label = av_rescale(v, m->fps, nb) % day_labels(m);
	}
	m->n = (size_t)count;
	/* The first label is the first frame's, as ffmpeg reads it (mov.c puts the first tmcd
	 * sample on the video stream as its "timecode"), whatever edit delays or trims either
	 * track: the whole timecode track moves with it, so a break keeps its distance. */
	shift = s[0].pts - m->seg[0].pts;
	for (size_t k = 0; k < m->n; k++)
		m->seg[k].pts += shift;
	return 0;
}

static int64_t label_at(const struct mov_tc_map *m, int64_t pts)
{
	size_t k = 0;
	int64_t at;

	while (k + 1 < m->n && m->seg[k + 1].pts <= pts)
		k++;
	at = m->seg[k].label + av_rescale_q_rnd(pts - m->seg[k].pts, m->tb, m->period,
						AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
	return (at % day_labels(m) + day_labels(m)) % day_labels(m);
}

int mov_reader_timecode(const struct mov_reader *r, uint64_t i, char *buf, size_t len)
{
	struct mov_timecode t;

	if (!r->tc.n)
		return -ENOENT;
	if (i >= r->info.samples)
		return -ERANGE;
	t = (struct mov_timecode){ .start = label_at(&r->tc, r->samples[i].pts),
				   .fps = r->tc.fps,
				   .drop = r->tc.drop };
	mov_timecode_string(&t, 0, buf, len);
	return 0;
}

int mov_reader_find_timecode(const struct mov_reader *r, const char *label, uint64_t *ret_i)
{
	const struct mov_tc_map *m = &r->tc;
	bool drop = strchr(label, ';') || strchr(label, '.');
	struct mov_timecode t;
	int ret;

	if (!m->n)
		return -ENOENT;
	/* Read at the track's own counting, fps labels a second (drop-frame: fps x 1000/1001,
	 * the rate mov_timecode_parse takes it at), not at the description's timeScale /
	 * frameDuration: a drop-frame track of 2997/100 counts 30 a second as 30000/1001 does,
	 * and labels mov_reader_timecode() gave must be found. */
	ret = mov_timecode_parse(label, drop ? m->fps * 1000 : m->fps, drop ? 1001 : 1, &t);
	if (ret < 0)
		return ret;
	if (!t.drop != !m->drop)
		return -EDOM;
	for (uint64_t i = 0; i < r->info.samples; i++) {
		if (label_at(m, r->samples[i].pts) == t.start) {
			*ret_i = i;
			return 0;
		}
	}
	return -ESRCH;
}
