/* Walking QuickTime boxes held in memory, every read checked against the bounds of the box it
 * came from (a damaged file gives -EINVAL, never a read out of bounds); and the one thing the
 * reader needs that libavformat keeps private: a track's sample description tags. */
#include "mov-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct mov_cur {
	const uint8_t *p, *end;
};

struct mov_box {
	uint32_t type;
	struct mov_cur body; /* after the size/type header */
};

/* The next box in c, advancing c: 1 with *ret_box set, 0 at the end of c, -EINVAL when the
 * size runs past the end (or is below the header). */
static int mov_box_next(struct mov_cur *c, struct mov_box *ret_box)
{
	uint64_t left = (uint64_t)(c->end - c->p), len, hdr = 8;

	if (left == 0)
		return 0;
	if (left < 8)
		return -EINVAL;
	len = mov_rb32(c->p);
	if (len == 1) { /* 64-bit size after the type */
		if (left < 16)
			return -EINVAL;
		len = mov_rb64(c->p + 8);
		hdr = 16;
	} else if (len == 0) { /* to the end of the parent */
		len = left;
	}
	if (len < hdr || len > left)
		return -EINVAL;
	ret_box->type = mov_rl32(c->p + 4);
	ret_box->body.p = c->p + hdr;
	ret_box->body.end = c->p + len;
	c->p += len;
	return 1;
}

/* The first child of type in parent: 1 found, 0 not there, -EINVAL damaged. */
static int mov_box_find(const struct mov_cur *parent, uint32_t type, struct mov_box *ret_box)
{
	struct mov_cur c = *parent;
	struct mov_box b;
	int ret;

	while ((ret = mov_box_next(&c, &b)) > 0) {
		if (b.type == type) {
			*ret_box = b;
			return 1;
		}
	}
	return ret;
}

/* The sample descriptions of one track, from the moov's boxes. libavformat keeps their count
 * private: FFmpeg's mov.c (ff_mov_read_stsd_entries) reads the first and skips any other with
 * "multiple fourcc not supported", while the sample-to-chunk table may still point chunks at
 * the others. A player that cannot switch descriptions mid-track must know, so this reads the
 * few boxes on the way to one stsd (ISO/IEC 14496-12 8.5.2; QuickTime File Format, "Sample
 * Description Atoms"). */
#define MOV_MAX_MOOV (1ull << 30) /* a moov this big is damaged, not long */

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL; /* the file ends inside a box: truncated */
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Walk the top-level boxes (ftyp, wide, mdat, moov, moof... in any order) to the moov. */
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

static unsigned track_id(const struct mov_cur *trak)
{
	struct mov_box tkhd;
	const uint8_t *p;

	if (mov_box_find(trak, MOV_TAG('t', 'k', 'h', 'd'), &tkhd) <= 0)
		return 0;
	p = tkhd.body.p;
	if (tkhd.body.end - p < 24)
		return 0;
	return mov_rb32(p + (p[0] == 1 ? 20 : 12));
}

static int find_stsd(const struct mov_cur *trak, struct mov_box *ret_stsd)
{
	static const uint32_t path[] = { MOV_TAG('m', 'd', 'i', 'a'), MOV_TAG('m', 'i', 'n', 'f'),
					 MOV_TAG('s', 't', 'b', 'l'), MOV_TAG('s', 't', 's', 'd') };
	struct mov_cur c = *trak;
	unsigned i;

	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		if (mov_box_find(&c, path[i], ret_stsd) <= 0)
			return -EINVAL;
		c = ret_stsd->body;
	}
	return 0;
}

static int stsd_tags(const struct mov_box *stsd, uint32_t *tags, unsigned max, unsigned *ret_count)
{
	const uint8_t *p = stsd->body.p, *end = stsd->body.end;
	uint32_t n, i;

	if (end - p < 8)
		return -EINVAL;
	n = mov_rb32(p + 4);
	for (p += 8, i = 0; i < n && i < max; i++) {
		if (end - p < 8 || mov_rb32(p) < 8 || mov_rb32(p) > (uint64_t)(end - p))
			return -EINVAL;
		tags[i] = mov_rl32(p + 4);
		p += mov_rb32(p);
	}
	*ret_count = n;
	return 0;
}

int mov_stsd_tags(int fd, uint64_t size, unsigned id, uint32_t *tags, unsigned max,
		  unsigned *ret_count)
{
	struct mov_box b, stsd;
	struct mov_cur c;
	uint64_t off, len;
	uint8_t *buf;
	bool found = false;
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
	c = (struct mov_cur){ buf, buf + len };
	while (ret == 0 && (ret = mov_box_next(&c, &b)) > 0) {
		ret = 0;
		if (b.type != MOV_TAG('t', 'r', 'a', 'k') || track_id(&b.body) != id)
			continue;
		ret = find_stsd(&b.body, &stsd);
		if (ret == 0)
			ret = stsd_tags(&stsd, tags, max, ret_count);
		found = true;
		break;
	}
	free(buf);
	return ret < 0 ? ret : found ? 0 : -ENOENT;
}
