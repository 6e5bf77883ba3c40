/* Walking QuickTime boxes held in memory, and the sample table (stts, stsc, stsz, stco/co64)
 * turned into one entry per sample. Everything read from the file is checked against the
 * bounds of the box it came from: a damaged index gives -EINVAL, never a read out of bounds,
 * and counts claimed by a box never size an allocation beyond what the box can hold. */
#include "mov-internal.h"

#include <errno.h>
#include <stdlib.h>

int mov_box_next(struct mov_cur *c, struct mov_box *ret_box)
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

int mov_box_find(const struct mov_cur *parent, uint32_t type, struct mov_box *ret_box)
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

/* A full box's entry table: version/flags, then (skip) more bytes, then a 32-bit count of
 * entries of esize bytes each, which must all be inside the box. */
static int table(const struct mov_box *b, size_t skip, size_t esize, const uint8_t **ret_p,
		 uint64_t *ret_n)
{
	uint64_t len = (uint64_t)(b->body.end - b->body.p), n;

	if (len < 8 + skip)
		return -EINVAL;
	n = mov_rb32(b->body.p + 4 + skip);
	if (n > (len - 8 - skip) / esize)
		return -EINVAL;
	*ret_p = b->body.p + 8 + skip;
	*ret_n = n;
	return 0;
}

/* Sizes: one per sample, or one for all (stsz sample_size != 0). */
struct sizes {
	uint32_t fixed;
	const uint8_t *v;
	uint64_t n;
};

static int read_sizes(const struct mov_stbl *t, struct sizes *s)
{
	uint64_t len = (uint64_t)(t->stsz.body.end - t->stsz.body.p);

	if (len < 12)
		return -EINVAL;
	s->fixed = mov_rb32(t->stsz.body.p + 4);
	if (s->fixed) {
		s->n = mov_rb32(t->stsz.body.p + 8);
		s->v = NULL;
		return 0;
	}
	return table(&t->stsz, 4, 4, &s->v, &s->n);
}

/* Offsets and sample counts of the chunks; stsc runs must start at increasing chunks. */
struct chunks {
	const uint8_t *off, *runs;
	uint64_t n, nruns;
	size_t osize;
};

static int read_chunks(const struct mov_stbl *t, struct chunks *k)
{
	uint64_t i, prev = 0;
	int ret;

	k->osize = t->co64 ? 8 : 4;
	ret = table(&t->stco, 0, k->osize, &k->off, &k->n);
	if (ret < 0)
		return ret;
	ret = table(&t->stsc, 0, 12, &k->runs, &k->nruns);
	if (ret < 0)
		return ret;
	for (i = 0; i < k->nruns; i++) {
		uint32_t first = mov_rb32(k->runs + 12 * i);

		if (first <= prev)
			return -EINVAL;
		prev = first;
	}
	return 0;
}

static uint64_t chunk_offset(const struct chunks *k, uint64_t i)
{
	return k->osize == 8 ? mov_rb64(k->off + 8 * i) : mov_rb32(k->off + 4 * i);
}

/* Samples in chunk i (0-based), advancing *run through stsc. */
static uint32_t chunk_samples(const struct chunks *k, uint64_t i, uint64_t *run)
{
	while (*run + 1 < k->nruns && mov_rb32(k->runs + 12 * (*run + 1)) <= i + 1)
		(*run)++;
	return k->nruns ? mov_rb32(k->runs + 12 * *run + 4) : 0;
}

/* How many samples the chunks hold, at most cap. */
static uint64_t count_samples(const struct chunks *k, uint64_t cap)
{
	uint64_t i, run = 0, n = 0;

	for (i = 0; i < k->n && n < cap; i++)
		n += chunk_samples(k, i, &run);
	return n < cap ? n : cap;
}

/* Decode times from stts (the last delta repeats if stts is short), shifted by the edit. */
static void fill_pts(const struct mov_stbl *t, struct mov_sample *s, uint64_t n)
{
	const uint8_t *e;
	uint64_t ne, i, k = 0, left = 0;
	uint32_t delta = 0;
	int64_t dts = 0;

	if (table(&t->stts, 0, 8, &e, &ne) < 0)
		ne = 0;
	for (i = 0; i < n; i++) {
		while (!left && k < ne) {
			left = mov_rb32(e + 8 * k);
			delta = mov_rb32(e + 8 * k + 4);
			k++;
		}
		s[i].pts = dts + t->shift;
		dts += delta;
		if (left)
			left--;
	}
}

int mov_stbl_samples(const struct mov_stbl *t, struct mov_sample **ret_samples,
		     uint64_t *ret_n)
{
	uint64_t i, s = 0, run = 0, n;
	struct sizes sz;
	struct chunks k;
	struct mov_sample *v;
	int ret;

	ret = read_sizes(t, &sz);
	if (ret < 0)
		return ret;
	ret = read_chunks(t, &k);
	if (ret < 0)
		return ret;
	/* a fixed size claims any count: the chunks bound it, and a cap keeps a damaged
	 * stsc from asking for gigabytes of table (2^27 frames: 51 days at 30 fps) */
	n = count_samples(&k, sz.n);
	if (n > MOV_MAX_SAMPLES)
		return -EFBIG;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < k.n && s < n; i++) {
		uint64_t off = chunk_offset(&k, i);
		uint32_t j, in = chunk_samples(&k, i, &run);

		for (j = 0; j < in && s < n; j++, s++) {
			v[s].offset = off;
			v[s].size = sz.fixed ? sz.fixed : mov_rb32(sz.v + 4 * s);
			off += v[s].size;
		}
	}
	fill_pts(t, v, n);
	*ret_samples = v;
	*ret_n = n;
	return 0;
}

uint32_t mov_stbl_delta(const struct mov_stbl *t, uint64_t *ret_total)
{
	const uint8_t *e;
	uint64_t ne, i, best = 0, total = 0;
	uint32_t delta = 0;

	if (table(&t->stts, 0, 8, &e, &ne) < 0)
		ne = 0;
	for (i = 0; i < ne; i++) {
		uint64_t cnt = mov_rb32(e + 8 * i);

		total += cnt * mov_rb32(e + 8 * i + 4);
		if (cnt > best) {
			best = cnt;
			delta = mov_rb32(e + 8 * i + 4);
		}
	}
	*ret_total = total;
	return delta;
}
