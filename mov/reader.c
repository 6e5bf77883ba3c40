/* The reader: the index of any MOV (or MP4) from its boxes, read with a few preads: the
 * top-level box headers, the moov, and the first timecode sample. Nothing of libavformat is
 * used here on purpose: the index is all a player needs, and not loading FFmpeg's codec
 * libraries saves a player about 0.3 s of start-up on a cold page cache. What it reads is
 * checked against ffprobe in tests/host/mov-reader.sh. */
#include "mov-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libavutil/mathematics.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOV_MAX_MOOV (1ull << 30) /* a moov this big is damaged, not long */

struct mov_reader {
	struct mov_info info;
	struct mov_sample *samples;
};

/* What one trak says, pointing into the moov buffer. */
struct track {
	uint32_t handler; /* 'vide', 'tmcd', ... */
	uint32_t timescale;
	uint64_t duration;
	struct mov_box stsd;
	struct mov_stbl stbl;
};

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL; /* the file ends inside a box: truncated */
		buf = (uint8_t *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Walk the top-level boxes (ftyp, wide, mdat, moov, free... in any order) to the moov. */
static int find_moov(int fd, uint64_t size, uint64_t *ret_off, uint64_t *ret_len)
{
	uint64_t off = 0, len, hdr;
	uint8_t h[16];
	int ret;

	while (size - off >= 8) {
		ret = pread_full(fd, h, size - off >= 16 ? 16 : 8, off);
		if (ret < 0)
			return ret;
		len = mov_rb32(h);
		hdr = 8;
		if (len == 1) {
			if (size - off < 16)
				return -EINVAL;
			len = mov_rb64(h + 8);
			hdr = 16;
		} else if (len == 0) {
			len = size - off;
		}
		if (len < hdr || len > size - off)
			return -EINVAL;
		if (mov_rl32(h + 4) == MOV_TAG('m', 'o', 'o', 'v')) {
			*ret_off = off + hdr;
			*ret_len = len - hdr;
			return 0;
		}
		off += len;
	}
	return -EINVAL;
}

static int read_moov(int fd, uint64_t size, uint8_t **ret_buf, struct mov_cur *ret_cur)
{
	uint64_t off, len;
	uint8_t *buf;
	int ret;

	ret = find_moov(fd, size, &off, &len);
	if (ret < 0)
		return ret;
	if (len > MOV_MAX_MOOV)
		return -EFBIG;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ret = pread_full(fd, buf, len, off);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*ret_buf = buf;
	ret_cur->p = buf;
	ret_cur->end = buf + len;
	return 0;
}

/* Child type of parent, required: -EINVAL when missing. */
static int need(const struct mov_cur *parent, uint32_t type, struct mov_box *ret_box)
{
	int ret = mov_box_find(parent, type, ret_box);

	return ret < 0 ? ret : ret == 0 ? -EINVAL : 0;
}

static int parse_mdhd(const struct mov_box *b, struct track *t)
{
	const uint8_t *p = b->body.p;
	size_t len = (size_t)(b->body.end - p);

	if (len >= 32 && p[0] == 1) {
		t->timescale = mov_rb32(p + 20);
		t->duration = mov_rb64(p + 24);
	} else if (len >= 20 && p[0] == 0) {
		t->timescale = mov_rb32(p + 12);
		t->duration = mov_rb32(p + 16);
		if (t->duration == UINT32_MAX)
			t->duration = 0;
	} else {
		return -EINVAL;
	}
	return t->timescale ? 0 : -EINVAL;
}

/* The edit list as one shift of the media times: leading empty edits delay the track (in
 * movie time units), the first real edit starts at its media time. */
static void parse_elst(const struct mov_cur *trak, uint32_t movie_ts, struct track *t)
{
	struct mov_box edts, elst;
	const uint8_t *p, *end;
	int64_t delay = 0;
	size_t esize;

	if (mov_box_find(trak, MOV_TAG('e', 'd', 't', 's'), &edts) <= 0 ||
	    mov_box_find(&edts.body, MOV_TAG('e', 'l', 's', 't'), &elst) <= 0 ||
	    elst.body.end - elst.body.p < 8)
		return;
	p = elst.body.p;
	esize = p[0] == 1 ? 20 : 12;
	end = elst.body.end;
	for (p += 8; end - p >= (ptrdiff_t)esize; p += esize) {
		int64_t dur = esize == 20 ? (int64_t)mov_rb64(p) : mov_rb32(p);
		int64_t media = esize == 20 ? (int64_t)mov_rb64(p + 8) : (int32_t)mov_rb32(p + 4);

		if (media == -1) {
			delay += dur;
			continue;
		}
		if (movie_ts && delay >= 0 && delay < INT64_MAX / t->timescale)
			t->stbl.shift = delay * t->timescale / movie_ts;
		t->stbl.shift -= media;
		return;
	}
}

static int parse_stbl(const struct mov_cur *stbl, struct track *t)
{
	int ret;

	ret = need(stbl, MOV_TAG('s', 't', 's', 'd'), &t->stsd);
	if (ret == 0)
		ret = need(stbl, MOV_TAG('s', 't', 't', 's'), &t->stbl.stts);
	if (ret == 0)
		ret = need(stbl, MOV_TAG('s', 't', 's', 'c'), &t->stbl.stsc);
	if (ret == 0)
		ret = need(stbl, MOV_TAG('s', 't', 's', 'z'), &t->stbl.stsz);
	if (ret < 0)
		return ret;
	ret = mov_box_find(stbl, MOV_TAG('c', 'o', '6', '4'), &t->stbl.stco);
	t->stbl.co64 = ret > 0;
	if (ret == 0)
		ret = need(stbl, MOV_TAG('s', 't', 'c', 'o'), &t->stbl.stco);
	return ret < 0 ? ret : 0;
}

static int parse_trak(const struct mov_cur *trak, uint32_t movie_ts, struct track *t)
{
	struct mov_box mdia, hdlr, mdhd, minf, stbl;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = need(trak, MOV_TAG('m', 'd', 'i', 'a'), &mdia);
	if (ret == 0)
		ret = need(&mdia.body, MOV_TAG('h', 'd', 'l', 'r'), &hdlr);
	if (ret < 0)
		return ret;
	if (hdlr.body.end - hdlr.body.p < 12)
		return -EINVAL;
	t->handler = mov_rl32(hdlr.body.p + 8);
	ret = need(&mdia.body, MOV_TAG('m', 'd', 'h', 'd'), &mdhd);
	if (ret == 0)
		ret = parse_mdhd(&mdhd, t);
	if (ret == 0)
		ret = need(&mdia.body, MOV_TAG('m', 'i', 'n', 'f'), &minf);
	if (ret == 0)
		ret = need(&minf.body, MOV_TAG('s', 't', 'b', 'l'), &stbl);
	if (ret == 0)
		ret = parse_stbl(&stbl.body, t);
	if (ret == 0)
		parse_elst(trak, movie_ts, t);
	return ret;
}

/* The first sample entry of stsd, at least min bytes long. */
static int first_entry(const struct track *t, size_t min, const uint8_t **ret_e,
		       size_t *ret_len)
{
	const uint8_t *p = t->stsd.body.p;
	size_t left = (size_t)(t->stsd.body.end - p), len;

	if (left < 16 || mov_rb32(p + 4) == 0)
		return -EINVAL;
	len = mov_rb32(p + 8);
	if (len < min || len > left - 8)
		return -EINVAL;
	*ret_e = p + 8;
	*ret_len = len;
	return 0;
}

static void colour(const struct mov_box *b, struct mov_info *in)
{
	const uint8_t *p = b->body.p;
	uint32_t kind;

	if (b->body.end - p < 10)
		return;
	kind = mov_rl32(p);
	if (kind != MOV_TAG('n', 'c', 'l', 'c') && kind != MOV_TAG('n', 'c', 'l', 'x'))
		return;
	in->primaries = mov_rb16(p + 4);
	in->transfer = mov_rb16(p + 6);
	in->matrix = mov_rb16(p + 8);
}

/* fiel, colr, pasp after the 86 bytes of a video sample entry. */
static void video_extensions(struct mov_cur c, struct mov_info *in)
{
	struct mov_box b;

	while (mov_box_next(&c, &b) > 0) {
		size_t len = (size_t)(b.body.end - b.body.p);

		if (b.type == MOV_TAG('f', 'i', 'e', 'l') && len >= 2)
			in->field = mov_field_from_fiel(mov_rb16(b.body.p));
		else if (b.type == MOV_TAG('c', 'o', 'l', 'r'))
			colour(&b, in);
		else if (b.type == MOV_TAG('p', 'a', 's', 'p') && len >= 8 &&
			 mov_rb32(b.body.p) && mov_rb32(b.body.p + 4)) {
			in->sar_num = mov_rb32(b.body.p);
			in->sar_den = mov_rb32(b.body.p + 4);
		}
	}
}

static int video_entry(const struct track *t, struct mov_info *in)
{
	const uint8_t *e;
	size_t len;
	unsigned ctab;
	int ret = first_entry(t, 86, &e, &len);

	if (ret < 0)
		return ret;
	in->tag = mov_rl32(e + 4);
	in->width = mov_rb16(e + 32);
	in->height = mov_rb16(e + 34);
	in->depth = mov_rb16(e + 82);
	ctab = mov_rb16(e + 84);
	in->format = mov_format_from_tag(in->tag, in->depth);
	snprintf(in->codec, sizeof(in->codec), "%s",
		 in->format ? mov_format_codec_name(in->format) : "unknown");
	in->field = MOV_FIELD_UNKNOWN;
	in->primaries = in->transfer = in->matrix = 2;
	/* a palette inline after the entry would be read as boxes: palettes are not ours */
	if ((in->depth & 0x1f) > 8 || ctab != 0)
		video_extensions((struct mov_cur){ e + 86, e + len }, in);
	return 0;
}

static void timing(const struct track *t, struct mov_info *in)
{
	uint64_t total;
	uint32_t delta = mov_stbl_delta(&t->stbl, &total);

	in->tb_num = 1;
	in->tb_den = t->timescale;
	if (delta) {
		unsigned g = (unsigned)av_gcd(t->timescale, delta);

		in->rate_num = t->timescale / g;
		in->rate_den = delta / g;
	}
	in->duration = (double)(t->duration ? t->duration : total) / t->timescale;
}

/* The first tmcd sample is a frame count; its label follows the entry's rate and drop flag. */
static void timecode(int fd, const struct track *t, struct mov_info *in)
{
	struct mov_sample *s = NULL;
	const uint8_t *e;
	uint64_t n;
	size_t len;
	uint32_t flags, scale, dur;
	uint8_t v[4];
	struct mov_timecode tc = { 0 };

	if (first_entry(t, 34, &e, &len) < 0 || mov_rl32(e + 4) != MOV_TAG('t', 'm', 'c', 'd'))
		return;
	flags = mov_rb32(e + 20);
	scale = mov_rb32(e + 24);
	dur = mov_rb32(e + 28);
	tc.fps = dur ? (scale + dur / 2) / dur : e[32];
	if (!tc.fps || mov_stbl_samples(&t->stbl, &s, &n) < 0)
		return;
	if (n && s[0].size >= 4 && pread_full(fd, v, 4, s[0].offset) == 0) {
		tc.start = mov_rb32(v);
		tc.drop = flags & 1 ? mov_timecode_drop_labels(tc.fps) : 0;
		mov_timecode_string(&tc, 0, in->timecode, sizeof(in->timecode));
	}
	free(s);
}

/* The first video track's info and samples, the first timecode track's start. */
static int parse_moov(int fd, const struct mov_cur *moov, struct mov_reader *r)
{
	struct mov_cur c = *moov;
	struct mov_box b, mvhd;
	struct track t, video = { 0 }, tmcd = { 0 };
	uint32_t movie_ts = 0;
	int ret;

	if (mov_box_find(moov, MOV_TAG('m', 'v', 'h', 'd'), &mvhd) > 0 &&
	    mvhd.body.end - mvhd.body.p >= 24)
		movie_ts = mov_rb32(mvhd.body.p + (mvhd.body.p[0] == 1 ? 20 : 12));
	while ((ret = mov_box_next(&c, &b)) > 0) {
		if (b.type != MOV_TAG('t', 'r', 'a', 'k'))
			continue;
		ret = parse_trak(&b.body, movie_ts, &t);
		if (!video.handler && t.handler == MOV_TAG('v', 'i', 'd', 'e') && ret < 0)
			return ret; /* the video track is damaged */
		if (ret < 0)
			continue; /* another track is: not ours to read */
		if (!video.handler && t.handler == MOV_TAG('v', 'i', 'd', 'e'))
			video = t;
		else if (!tmcd.handler && t.handler == MOV_TAG('t', 'm', 'c', 'd'))
			tmcd = t;
	}
	if (ret < 0)
		return ret;
	if (!video.handler)
		return -ENOMEDIUM;
	ret = video_entry(&video, &r->info);
	if (ret == 0)
		ret = mov_stbl_samples(&video.stbl, &r->samples, &r->info.samples);
	if (ret < 0)
		return ret;
	timing(&video, &r->info);
	if (tmcd.handler)
		timecode(fd, &tmcd, &r->info);
	return 0;
}

int mov_reader_open(const char *path, struct mov_reader **ret_reader)
{
	struct mov_reader *r;
	struct mov_cur moov;
	struct stat st;
	uint8_t *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		goto out_close;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_free;
	}
	r->info.file_size = (uint64_t)st.st_size;
	ret = read_moov(fd, r->info.file_size, &buf, &moov);
	if (ret == 0)
		ret = parse_moov(fd, &moov, r);
	free(buf);
	if (ret < 0)
		goto out_free;
	close(fd);
	*ret_reader = r;
	return 0;

out_free:
	mov_reader_free(r);
out_close:
	close(fd);
	return ret;
}

void mov_reader_info(const struct mov_reader *r, struct mov_info *ret_info)
{
	*ret_info = r->info;
}

uint64_t mov_reader_count(const struct mov_reader *r)
{
	return r->info.samples;
}

int mov_reader_sample(const struct mov_reader *r, uint64_t i, struct mov_sample *ret_sample)
{
	if (i >= r->info.samples)
		return -ERANGE;
	*ret_sample = r->samples[i];
	return 0;
}

const struct mov_sample *mov_reader_samples(const struct mov_reader *r)
{
	return r->samples;
}

void mov_reader_free(struct mov_reader *r)
{
	if (!r)
		return;
	free(r->samples);
	free(r);
}
