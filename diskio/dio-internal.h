/* Shared inside diskio/: the I/O engine under both the writer and the reader. */
#ifndef VCAP_DIO_INTERNAL_H
#define VCAP_DIO_INTERNAL_H

#include "dio.h"

#include <liburing.h>
#include <sys/uio.h>

/* One request slot of the engine; user_data of the SQE is its index. */
struct dio_req {
	bool busy;
	uint64_t tag;
	uint64_t offset;
	uint32_t len;  /* bytes of the I/O (reads: the aligned superset) */
	uint32_t need; /* bytes that must complete for success (reads: up to the payload end) */
	uint32_t payload;
	void *buf;
	void *tail;	   /* writes: bytes after buf's (len - tail_len), in the same write */
	uint32_t tail_len;
	uint64_t t0;
	struct iovec *iov; /* per-request iovec array for the vectored modes */
	unsigned niov;
	int sync_fd; /* >= 0: not a transfer but an fdatasync of this fd */
};

struct dio_engine {
	struct io_uring ring;
	bool ring_ok;
	bool write;
	enum dio_mode mode;
	char why[240];
	int fd;
	unsigned depth;	   /* writes or reads in flight, at most */
	unsigned inflight; /* requests in flight: writes or reads, and syncs */
	unsigned syncs;	   /* syncs in flight (0 or 1): they have a place beside depth */
	unsigned nreq;	   /* depth + 1 places */
	unsigned seg;     /* iovec segment size for the vectored modes (the slot size) */
	unsigned max_iov; /* iovecs allocated per request */
	struct dio_req *req;
	struct dio_done *ready; /* completions collected but not yet reaped by the caller */
	unsigned nready, ready_cap;
	/* registered ranges of the slab (each <= 1 GiB, the kernel's per-buffer limit) */
	struct iovec *reg;
	unsigned nreg;
	int err; /* first error seen, by the engine or its user (the writer); sticky */
};

struct dio_engine_cfg {
	int fd;
	bool write;
	bool direct; /* fd has O_DIRECT */
	bool no_uring;
	unsigned depth;
	struct dio_slab *slab;
	const char *why; /* a reason already known (e.g. no O_DIRECT), copied into why */
};

int dio_engine_init(struct dio_engine *e, const struct dio_engine_cfg *cfg);
/* depth writes or reads in flight: the next one would wait (a sync has a place of its own) */
static inline bool dio_engine_full(const struct dio_engine *e)
{
	return e->inflight - e->syncs >= e->depth;
}
/* Queue one I/O of len bytes at offset from buf (slab memory). payload/need as in dio_req.
 * Waits for a completion (kept for reap) when depth requests are in flight (syncs not
 * counted: one sync at a time has a place of its own). */
int dio_engine_submit(struct dio_engine *e, void *buf, uint32_t len, uint32_t need,
		      uint32_t payload, uint64_t offset, uint64_t tag);
/* The same with tail_len more bytes from tail (any page-aligned memory) after buf's len, in
 * one vectored write: len, need and payload count both parts. */
int dio_engine_submit_tail(struct dio_engine *e, void *buf, void *tail, uint32_t tail_len,
			   uint32_t len, uint64_t offset, uint64_t tag);
/* Queue an fdatasync of fd (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC; synchronous without
 * a ring) as a request of its own: it covers the writes completed before it, not those in
 * flight. Its completion has len 0 and res 0 or the -errno of fdatasync(2). */
int dio_engine_submit_sync(struct dio_engine *e, int fd, uint64_t tag);
int dio_engine_reap(struct dio_engine *e, unsigned min, struct dio_done *out, unsigned max);
/* Wait until nothing is in flight (completions stay queued for reap). */
int dio_engine_drain(struct dio_engine *e);
void dio_engine_exit(struct dio_engine *e);

uint64_t dio_now_ns(void);

#endif
