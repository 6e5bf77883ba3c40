/* The I/O engine: io_uring with the slab registered (one WRITE_FIXED/READ_FIXED per batch),
 * else io_uring writev/readv, else synchronous pwritev/preadv. Completions come back out of
 * order; each carries the caller's tag.
 */
#include "dio-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define REG_MAX (1ull << 30) /* the kernel's limit per registered buffer */

uint64_t dio_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *dio_mode_name(enum dio_mode mode)
{
	switch (mode) {
	case DIO_MODE_URING_FIXED:
		return "io_uring, registered buffers, O_DIRECT";
	case DIO_MODE_URING_VEC:
		return "io_uring without registered buffers, O_DIRECT";
	case DIO_MODE_SYNC_DIRECT:
		return "synchronous pwritev/preadv, O_DIRECT";
	case DIO_MODE_BUFFERED:
		return "buffered (page cache), synchronous";
	}
	return "?";
}

/* Append "what[: strerror(err)][ (hint)]" to the reasons, "; "-separated. */
static void add_why(struct dio_engine *e, const char *what, int err, const char *hint)
{
	size_t n = strlen(e->why);

	snprintf(e->why + n, sizeof(e->why) - n, "%s%s%s%s%s%s%s", n ? "; " : "", what,
		 err ? ": " : "", err ? strerror(err) : "", hint ? " (" : "", hint ? hint : "",
		 hint ? ")" : "");
}

static int ring_setup(struct dio_engine *e)
{
	/* SINGLE_ISSUER|COOP_TASKRUN cut task-work interrupts; older kernels say EINVAL. */
	unsigned flags[] = { (1u << 12) /* IORING_SETUP_SINGLE_ISSUER */ | IORING_SETUP_COOP_TASKRUN,
			     IORING_SETUP_COOP_TASKRUN, 0 };
	int ret = -EINVAL;

	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		ret = io_uring_queue_init((e->depth + 1) * 2, &e->ring, flags[i]);
		if (ret != -EINVAL)
			break;
	}
	if (ret < 0)
		return ret;
	e->ring_ok = true;
	return 0;
}

/* Register the slab in <= 1 GiB ranges cut at slot boundaries. */
static int ring_register(struct dio_engine *e, struct dio_slab *slab)
{
	size_t slot = dio_slab_slot_size(slab), total = dio_slab_bytes(slab);
	size_t per = slot > REG_MAX ? 0 : REG_MAX / slot * slot;
	char *base = dio_slab_base(slab);
	int ret;

	if (!per)
		return -E2BIG;
	e->nreg = (total + per - 1) / per;
	e->reg = calloc(e->nreg, sizeof(*e->reg));
	if (!e->reg)
		return -ENOMEM;
	for (unsigned i = 0; i < e->nreg; i++) {
		size_t off = (size_t)i * per;

		e->reg[i].iov_base = base + off;
		e->reg[i].iov_len = total - off < per ? total - off : per;
	}
	ret = io_uring_register_buffers(&e->ring, e->reg, e->nreg);
	if (ret < 0) {
		free(e->reg);
		e->reg = NULL;
		e->nreg = 0;
	}
	return ret;
}

const char *dio_human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned i = 0;
	double v = n;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (v == (uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, unit[i]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

/* Registration pins the whole slab, counted against RLIMIT_MEMLOCK unless CAP_IPC_LOCK: a
 * limit below the slab is the usual reason, said with the figures and the ulimit -l (KiB)
 * that would do. The I/O goes on unregistered, the kernel pinning each one's pages. */
static void explain_register(struct dio_engine *e, struct dio_slab *slab, int err)
{
	uint64_t need = dio_slab_bytes(slab);
	char limit[32], size[32];
	struct rlimit rl;

	if (err != -ENOMEM || getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need) {
		add_why(e, "registering the slab with io_uring failed", -err, NULL);
		return;
	}
	snprintf(e->why + strlen(e->why), sizeof(e->why) - strlen(e->why),
		 "%sRLIMIT_MEMLOCK %s < %s; raise it with ulimit -l %llu for registered buffers",
		 e->why[0] ? "; " : "", dio_human_bytes(rl.rlim_cur, limit, sizeof(limit)),
		 dio_human_bytes(need, size, sizeof(size)), (unsigned long long)(need + 1023) / 1024);
}

static int alloc_reqs(struct dio_engine *e, struct dio_slab *slab)
{
	size_t slot = dio_slab_slot_size(slab);

	/* one iovec per slot of the largest I/O the slab can hold, plus one for a reader's skew
	 * or a writer's tail */
	e->seg = slot;
	e->max_iov = dio_slab_bytes(slab) / slot + 2; /* + a reader's skew, + a writer's tail */
	if (e->max_iov > IOV_MAX)
		e->max_iov = IOV_MAX;
	e->nreq = e->depth + 1; /* + a sync's own place: it never waits behind the writes */
	e->req = calloc(e->nreq, sizeof(*e->req));
	e->ready_cap = e->nreq * 2;
	e->ready = calloc(e->ready_cap, sizeof(*e->ready));
	if (!e->req || !e->ready)
		return -ENOMEM;
	for (unsigned i = 0; i < e->nreq; i++) {
		e->req[i].iov = calloc(e->max_iov, sizeof(struct iovec));
		if (!e->req[i].iov)
			return -ENOMEM;
	}
	return 0;
}

int dio_engine_init(struct dio_engine *e, const struct dio_engine_cfg *cfg)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = cfg->fd;
	e->write = cfg->write;
	e->depth = cfg->depth ? cfg->depth : 4;
	if (cfg->why)
		snprintf(e->why, sizeof(e->why), "%s", cfg->why);
	ret = alloc_reqs(e, cfg->slab);
	if (ret < 0)
		return ret;
	if (!cfg->direct) {
		e->mode = DIO_MODE_BUFFERED;
		return 0;
	}
	e->mode = DIO_MODE_SYNC_DIRECT;
	if (cfg->no_uring) {
		add_why(e, "io_uring not used (asked)", 0, NULL);
		return 0;
	}
	ret = ring_setup(e);
	if (ret < 0) {
		add_why(e, "io_uring unavailable", -ret, "kernel.io_uring_disabled?");
		return 0;
	}
	e->mode = DIO_MODE_URING_VEC;
	ret = ring_register(e, cfg->slab);
	if (ret < 0) {
		explain_register(e, cfg->slab, ret);
		return 0;
	}
	e->mode = DIO_MODE_URING_FIXED;
	return 0;
}

void dio_engine_exit(struct dio_engine *e)
{
	if (e->ring_ok)
		io_uring_queue_exit(&e->ring);
	e->ring_ok = false;
	for (unsigned i = 0; e->req && i < e->nreq; i++)
		free(e->req[i].iov);
	free(e->req);
	free(e->ready);
	free(e->reg);
	e->req = NULL;
	e->ready = NULL;
	e->reg = NULL;
}

static int push_ready(struct dio_engine *e, const struct dio_req *r, int res)
{
	struct dio_done *d;

	if (e->nready == e->ready_cap) {
		unsigned cap = e->ready_cap * 2;
		struct dio_done *n = realloc(e->ready, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		e->ready = n;
		e->ready_cap = cap;
	}
	d = &e->ready[e->nready++];
	d->tag = r->tag;
	d->offset = r->offset;
	d->len = r->payload;
	d->res = res;
	d->lat_ns = dio_now_ns() - r->t0;
	if (res < 0 && !e->err)
		e->err = res;
	return 0;
}

/* Split [buf, buf+len) into slot-sized iovecs: the vectored write of V frames, and the tail
 * (a chunk of sound) as the last one. */
static unsigned fill_iov(struct dio_engine *e, struct dio_req *r)
{
	uint32_t off = 0, body = r->len - r->tail_len;
	unsigned n = 0, room = e->max_iov - (r->tail_len ? 1 : 0);

	while (off < body && n < room) {
		uint32_t l = body - off < e->seg ? body - off : e->seg;

		if (n == room - 1)
			l = body - off;
		r->iov[n].iov_base = (char *)r->buf + off;
		r->iov[n].iov_len = l;
		off += l;
		n++;
	}
	if (r->tail_len) {
		r->iov[n].iov_base = r->tail;
		r->iov[n].iov_len = r->tail_len;
		n++;
	}
	return n;
}

/* Byte at of the request's data: in buf, or in the tail past the body. */
static char *req_at(const struct dio_req *r, uint32_t at, uint32_t *ret_left)
{
	uint32_t body = r->len - r->tail_len;

	if (at < body) {
		*ret_left = body - at;
		return (char *)r->buf + at;
	}
	*ret_left = r->len - at;
	return (char *)r->tail + (at - body);
}

/* A short transfer: finish it synchronously; a second short answer is ENOSPC (writes) or
 * end of file (reads). */
static int finish_short(struct dio_engine *e, struct dio_req *r, int done)
{
	while ((uint32_t)done < r->need) {
		uint32_t left;
		char *p = req_at(r, done, &left);
		ssize_t n = e->write ? pwrite(e->fd, p, left, r->offset + done)
				     : pread(e->fd, p, left, r->offset + done);

		if (n < 0)
			return -errno;
		if (n == 0)
			return e->write ? -ENOSPC : -ENODATA;
		done += n;
	}
	return 0;
}

static int complete(struct dio_engine *e, unsigned idx, int res)
{
	struct dio_req *r = &e->req[idx];
	int ret = res;

	if (res >= 0)
		ret = (uint32_t)res >= r->need ? 0 : finish_short(e, r, res);
	r->busy = false;
	e->inflight--;
	if (r->sync_fd >= 0)
		e->syncs--;
	return push_ready(e, r, ret);
}

static int sync_io(struct dio_engine *e, unsigned idx)
{
	struct dio_req *r = &e->req[idx];
	unsigned n;
	ssize_t ret;

	if (r->sync_fd >= 0)
		return complete(e, idx, fdatasync(r->sync_fd) < 0 ? -errno : 0);
	n = fill_iov(e, r);
	ret = e->write ? pwritev(e->fd, r->iov, n, r->offset) : preadv(e->fd, r->iov, n, r->offset);
	return complete(e, idx, ret < 0 ? -errno : (int)ret);
}

/* Which registered range holds [buf, buf+len)? -1 if none (it straddles two). */
static int reg_index(const struct dio_engine *e, const void *buf, uint32_t len)
{
	for (unsigned i = 0; i < e->nreg; i++) {
		const char *b = e->reg[i].iov_base;

		if ((const char *)buf >= b && (const char *)buf + len <= b + e->reg[i].iov_len)
			return i;
	}
	return -1;
}

static int take_cqe(struct dio_engine *e, struct io_uring_cqe *cqe)
{
	int ret = complete(e, (unsigned)cqe->user_data, cqe->res);

	io_uring_cqe_seen(&e->ring, cqe);
	return ret;
}

static int wait_one(struct dio_engine *e)
{
	struct io_uring_cqe *cqe;
	int ret;

	do
		ret = io_uring_wait_cqe(&e->ring, &cqe);
	while (ret == -EINTR);
	return ret < 0 ? ret : take_cqe(e, cqe);
}

static int ring_io(struct dio_engine *e, unsigned idx)
{
	struct dio_req *r = &e->req[idx];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);
	/* WRITE_FIXED takes one buffer: a write with a tail goes vectored */
	int bi = e->mode == DIO_MODE_URING_FIXED && !r->tail_len ? reg_index(e, r->buf, r->len)
								  : -1;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (r->sync_fd >= 0)
		io_uring_prep_fsync(sqe, r->sync_fd, IORING_FSYNC_DATASYNC);
	else if (bi >= 0 && e->write)
		io_uring_prep_write_fixed(sqe, e->fd, r->buf, r->len, r->offset, bi);
	else if (bi >= 0)
		io_uring_prep_read_fixed(sqe, e->fd, r->buf, r->len, r->offset, bi);
	else if (e->write)
		io_uring_prep_writev(sqe, e->fd, r->iov, fill_iov(e, r), r->offset);
	else
		io_uring_prep_readv(sqe, e->fd, r->iov, fill_iov(e, r), r->offset);
	/* Straight to an io-wq worker: issued inline, a write can block io_uring_enter for
	 * hundreds of ms when the disk is saturated (waiting for request tags or ext4's extent
	 * conversion despite IOCB_NOWAIT), and the caller is a paced loop that must be back for
	 * the next frame. IOSQE_ASYNC: io_uring_enter(2), liburing io_uring_sqe_set_flags(3). */
	io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	io_uring_sqe_set_data64(sqe, idx);
	ret = io_uring_submit(&e->ring);
	return ret < 0 ? ret : 0;
}

static int submit_req(struct dio_engine *e, const struct dio_req *req)
{
	struct iovec *iov;
	unsigned idx;
	int ret;

	while (req->sync_fd >= 0 ? e->syncs > 0 : dio_engine_full(e)) {
		ret = wait_one(e);
		if (ret < 0)
			return ret;
	}
	for (idx = 0; e->req[idx].busy; idx++)
		;
	iov = e->req[idx].iov; /* the slot's own array, allocated at init */
	e->req[idx] = *req;
	e->req[idx].busy = true;
	e->req[idx].t0 = dio_now_ns();
	e->req[idx].iov = iov;
	e->inflight++;
	e->syncs += req->sync_fd >= 0;
	if (e->mode == DIO_MODE_URING_FIXED || e->mode == DIO_MODE_URING_VEC) {
		ret = ring_io(e, idx);
		if (ret < 0) {
			e->req[idx].busy = false;
			e->inflight--;
			e->syncs -= req->sync_fd >= 0;
		}
		return ret;
	}
	return sync_io(e, idx);
}

int dio_engine_submit(struct dio_engine *e, void *buf, uint32_t len, uint32_t need,
		      uint32_t payload, uint64_t offset, uint64_t tag)
{
	return submit_req(e, &(struct dio_req){ .tag = tag, .offset = offset, .len = len,
						.need = need, .payload = payload, .buf = buf,
						.sync_fd = -1 });
}

int dio_engine_submit_sync(struct dio_engine *e, int fd, uint64_t tag)
{
	return submit_req(e, &(struct dio_req){ .tag = tag, .sync_fd = fd });
}

int dio_engine_submit_tail(struct dio_engine *e, void *buf, void *tail, uint32_t tail_len,
			   uint32_t len, uint64_t offset, uint64_t tag)
{
	return submit_req(e, &(struct dio_req){ .tag = tag, .offset = offset, .len = len,
						.need = len, .payload = len, .buf = buf,
						.tail = tail, .tail_len = tail_len, .sync_fd = -1 });
}

int dio_engine_reap(struct dio_engine *e, unsigned min, struct dio_done *out, unsigned max)
{
	struct io_uring_cqe *cqe;
	unsigned n;
	int ret;

	/* take whatever the kernel finished without blocking, then block only as needed */
	while (e->ring_ok && e->inflight && io_uring_peek_cqe(&e->ring, &cqe) == 0) {
		ret = take_cqe(e, cqe);
		if (ret < 0)
			return ret;
	}
	while (e->nready < min && e->inflight) {
		ret = wait_one(e);
		if (ret < 0)
			return ret;
	}
	n = e->nready < max ? e->nready : max;
	memcpy(out, e->ready, n * sizeof(*out));
	memmove(e->ready, e->ready + n, (e->nready - n) * sizeof(*out));
	e->nready -= n;
	return n;
}

int dio_engine_drain(struct dio_engine *e)
{
	int ret;

	while (e->inflight) {
		ret = wait_one(e);
		if (ret < 0)
			return ret;
	}
	return e->err;
}
