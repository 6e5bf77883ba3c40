/* diskio: page-aligned pinned frame buffers moved to and from disk with O_DIRECT through
 * io_uring, every batch aligned to the RAID stripe.
 *
 * Return convention everywhere: >= 0 on success, -errno on failure. Output parameters named
 * ret_* are written only on success. Nothing here prints.
 */
#ifndef VCAP_DIO_H
#define VCAP_DIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)

#define DIO_PAGE 4096u

static inline uint64_t dio_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a; /* a need not be a power of two: stripes of 3 disks */
}

static inline uint64_t dio_align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

/* ---- geometry: what alignment does this path want, and why ---- */

/* A plain value, filled by dio_geom_probe(). All sizes in bytes; 0 means unknown. */
struct dio_geom {
	uint32_t mem_align;    /* STATX_DIOALIGN stx_dio_mem_align (buffer address) */
	uint32_t offset_align; /* STATX_DIOALIGN stx_dio_offset_align (file offset/length) */
	uint32_t fs_block;     /* st_blksize of the filesystem */
	bool direct_ok;        /* O_DIRECT possible on this path */
	uint64_t chunk;        /* RAID chunk (md chunk_size, XFS sunit, ext4 stride) */
	uint32_t data_disks;   /* disks carrying data in one stripe */
	uint64_t stripe;       /* full stripe width = chunk x data_disks (not always 2^n) */
	uint64_t io_min;       /* queue/minimum_io_size (BLKIOMIN) */
	uint64_t io_opt;       /* queue/optimal_io_size (BLKIOOPT) */
	uint64_t part_start;   /* byte offset of the filesystem's device within the array */
	uint64_t align;        /* the chosen unit: max(offset_align, fs_block, stripe, 4096) */
	char dev[32];          /* block device behind the file, e.g. "md0", "loop3", "vda1" */
	char source[48];       /* where the stripe came from: "md", "xfs", "ext4", "io_opt", ... */
	char why[200];         /* one sentence: the unit chosen and the reason */
};

/* Probe the geometry for a file (existing, or to be created) at path; a symbolic link there
 * is not opened but taken as a file to be made in its directory. sysfs_root is normally
 * "/sys"; tests pass a fake tree. align_override, when non-zero, forces the unit (it must be a
 * multiple of 4096 and of the direct-I/O offset alignment, else -EINVAL). */
int dio_geom_probe(const char *path, const char *sysfs_root, uint64_t align_override,
		   struct dio_geom *ret_geom);

/* The md part alone, for tests: read sysfs_root/block/<mddev>/md/{level,raid_disks,chunk_size}
 * and fill chunk, data_disks and stripe. -ENOENT if mddev is not md; -EINVAL for levels
 * without a fixed data-disk count (linear, raid1 stripe = chunk). */
int dio_geom_md(const char *sysfs_root, const char *mddev, struct dio_geom *geom);

/* Data disks for an md level and member count: raid0 n, raid4/5 n-1, raid6 n-2, raid10 n/2
 * (near layout), raid1 1. -EINVAL when the combination is impossible. */
int dio_md_data_disks(const char *level, unsigned raid_disks);

/* Check where the file's extents landed: for each of n file offsets (each a batch start), is
 * the device address (FIEMAP physical + part_start) a multiple of stripe? Returns the count of
 * aligned ones; ret_mapped (may be NULL) gets how many offsets were mapped at all. */
int dio_fiemap_aligned(int fd, const uint64_t *offsets, unsigned n, uint64_t stripe,
		       uint64_t part_start, unsigned *ret_mapped);

/* How far written data runs from byte from on (FS_IOC_FIEMAP): *ret_end is the end of the
 * extents that cover [from, *ret_end) without a hole or an unwritten (preallocated, never
 * written, or written but not made durable before a power cut) extent; *ret_end == from
 * when from itself is in one. Delayed allocations are flushed first (FIEMAP_FLAG_SYNC).
 * -EOPNOTSUPP when the filesystem has no FIEMAP (tmpfs, NFS): unknown, not "unwritten". */
int dio_fiemap_written_end(int fd, uint64_t from, uint64_t *ret_end);

/* ---- slab: one sealed memfd, mapped once, split into page-aligned frame slots ---- */

struct dio_slab;

enum dio_pin {
	DIO_PIN_NONE = 0, /* neither mlock nor registration succeeded (reported, not fatal) */
	DIO_PIN_MLOCK = 1,
};

/* Make a slab of nslots slots, each frame_size rounded up to max(4096, align) bytes, followed
 * by a tail of max(4096, align) bytes (room for the reader's aligned supersets). The memfd is
 * sealed against shrink/grow and mapped MAP_SHARED|MAP_POPULATE; mlock is attempted. */
int dio_slab_new(size_t frame_size, unsigned nslots, uint64_t align, struct dio_slab **ret_slab);
void dio_slab_free(struct dio_slab *slab);

void *dio_slab_slot(const struct dio_slab *slab, unsigned i);
size_t dio_slab_slot_size(const struct dio_slab *slab);
size_t dio_slab_frame_size(const struct dio_slab *slab);
unsigned dio_slab_nslots(const struct dio_slab *slab);
void *dio_slab_base(const struct dio_slab *slab);
size_t dio_slab_bytes(const struct dio_slab *slab); /* whole mapping, tail included */
int dio_slab_memfd(const struct dio_slab *slab);
enum dio_pin dio_slab_pin(const struct dio_slab *slab);

/* A dmabuf (udmabuf) fd covering slot i, created on first use and owned by the slab. -ENODEV
 * when /dev/udmabuf is absent; other -errno from UDMABUF_CREATE. */
int dio_slab_dmabuf(struct dio_slab *slab, unsigned i);

/* ---- the I/O engine, shared by writer and reader ---- */

enum dio_mode {
	DIO_MODE_URING_FIXED,  /* io_uring, registered slab, one WRITE_FIXED/READ_FIXED per batch */
	DIO_MODE_URING_VEC,    /* io_uring, writev/readv of the slots (registration failed, e.g.
				* RLIMIT_MEMLOCK: the kernel pins each I/O's pages instead) */
	DIO_MODE_SYNC_DIRECT,  /* pwritev/preadv with O_DIRECT (io_uring unavailable) */
	DIO_MODE_BUFFERED,     /* no O_DIRECT on this filesystem: page cache, fdatasync at close */
};

/* Human name of a mode, e.g. "io_uring fixed buffers, O_DIRECT". */
const char *dio_mode_name(enum dio_mode mode);

/* A byte count for humans, in binary units: "192 KiB", "221.6 MiB", "3.9 GiB", into buf (len
 * bytes; 32 is enough). Returns buf. Also the tools' unit, so a note and a report agree. */
const char *dio_human_bytes(uint64_t n, char *buf, size_t len);

/* One finished batch, from dio_writer_reap()/dio_reader_reap(). */
struct dio_done {
	uint64_t tag;      /* the caller's tag from submit */
	uint64_t offset;   /* file offset of the batch */
	uint32_t len;      /* payload bytes requested */
	int res;           /* 0 or -errno (-ENOSPC, -EIO, ...) */
	uint64_t lat_ns;   /* submit-to-completion time */
};

struct dio_opts {
	unsigned depth;          /* batches in flight (default 4) */
	uint64_t data_start;     /* first batch offset, rounded up to the unit (default 0) */
	uint64_t expected_bytes; /* preallocate this much up front when known (0: in steps) */
	bool force;              /* writer: replace an existing file (or link) instead of -EEXIST */
	bool no_uring;           /* skip io_uring (tests, old kernels) */
	bool no_direct;          /* skip O_DIRECT (tests) */
};

/* ---- outputs: created and rewritten without following a symbolic link ---- */

/* Create path for writing, never through a symbolic link in its last component: what a link
 * there names (dangling or not) is never opened, created or changed. flags is O_WRONLY or
 * O_RDWR, with O_APPEND or O_TRUNC as the caller needs; O_CREAT, O_EXCL, O_NOFOLLOW,
 * O_NOCTTY and O_CLOEXEC are added. A new file is a regular file of mode 0644
 * less the umask (nothing here changes it afterwards).
 * Without force, anything at path, a symbolic link included, is -EEXIST and left as it is.
 * With force, a symbolic link at path is removed (the link itself) and a new regular file
 * made in its place, again O_EXCL, retried when another process changes the path between the
 * steps; what else is there is opened as it is, without following a link: a regular file
 * (cut to 0 when flags has O_TRUNC, else kept until the caller writes), a device or a fifo
 * (callers that take regular files only check first; a fifo blocks until it has a reader).
 * Returns the descriptor, which the caller owns and closes, or -errno: -EEXIST (without
 * force), -EISDIR (a directory), -EAGAIN (the path kept changing under 8 tries), -EACCES or
 * -EPERM (the directory refuses the new file or the link's removal: a sticky /tmp), -ENOENT
 * (no such directory), -ELOOP (a loop of links in the directories above), others of open(2)
 * and unlink(2). */
int dio_create(const char *path, int flags, bool force);

/* Open the existing file at path to rewrite it in place (flags: O_RDONLY, O_RDWR, O_WRONLY
 * with O_APPEND...; O_NOFOLLOW, O_NOCTTY and O_CLOEXEC are added), never through a symbolic
 * link in its last component. Returns the descriptor (the caller's to close) or -errno:
 * -ELOOP when path is a symbolic link (what it names is not opened), -ENOENT, -EACCES, others
 * of open(2). */
int dio_open_nofollow(const char *path, int flags);

/* ---- writer ---- */

struct dio_writer;

/* Where dio_writer_open() with these geom and opts->data_start puts the first batch: data_start
 * rounded up to the unit (geom->align, else a page), in bytes. Known before the file exists,
 * for a log written first. */
uint64_t dio_writer_first_offset(const struct dio_geom *geom, uint64_t data_start);

/* Create path with dio_create() (never through a symbolic link; with opts->force an existing
 * file is cut to 0 and a link replaced) for writing frames from slab, batches aligned to
 * geom->align; the slab's slot size must be a multiple of it (make the slab with that align),
 * else -EINVAL. The O_DIRECT descriptor is a second open of that very file (/proc/self/fd),
 * never of the path again. -EEXIST without opts->force; others of dio_create(). The fallbacks
 * (registration, io_uring, O_DIRECT) are taken silently here and reported by
 * dio_writer_mode()/dio_writer_mode_why() for the tool to announce once. */
int dio_writer_open(const char *path, const struct dio_geom *geom, struct dio_slab *slab,
		    const struct dio_opts *opts, struct dio_writer **ret_writer);

/* Queue slots [first, first + count) (contiguous, no wrap) as one write at the next offset,
 * which is a multiple of the unit, as is the write's length: no stripe is ever written in
 * part. Frame k of the batch lands at *ret_offset + k * slot_size. Blocks for a completion
 * when depth batches are in flight (those completions are kept for reap). After a failed
 * batch, further submits return that batch's error. */
int dio_writer_submit(struct dio_writer *w, unsigned first, unsigned count, uint64_t tag,
		      uint64_t *ret_offset);

/* The same with a tail: tail_len bytes from tail (page-aligned memory of the caller's, kept
 * until the batch is reaped; tail_len a multiple of the unit, so the write stays whole stripes)
 * go right after the slots, at *ret_offset + count x slot_size, in the same write. It is a
 * vectored write (io_uring writev, or pwritev), since WRITE_FIXED takes one registered
 * buffer. The recording's chunk of sound for the batch travels this way. count may be 0 for
 * a write of the tail alone (the sound after the last frames). -EINVAL for a misaligned
 * tail. tail_len 0 is dio_writer_submit(). */
int dio_writer_submit_tail(struct dio_writer *w, unsigned first, unsigned count, void *tail,
			   uint32_t tail_len, uint64_t tag, uint64_t *ret_offset);

/* Queue an fdatasync of the file (fd < 0) or of fd, a file of the caller's written beside it
 * (a capture log): it makes durable what completed before the call (fdatasync(2): data and
 * the metadata needed to read it back, e.g. unwritten extents converted), not what is in
 * flight. Through io_uring (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC) it does not block;
 * without a ring it runs at once. It has a place of its own beside the depth writes, so it
 * never waits behind them (a second sync waits for the first to complete), and it completes
 * through dio_writer_reap() with tag, len 0 and res 0 or -errno (-EIO: what was written since
 * the last sync may not be on disk; the writer's error becomes sticky). */
int dio_writer_submit_sync(struct dio_writer *w, int fd, uint64_t tag);

/* Collect finished batches, in completion order: waits until at least min are available,
 * returns how many (<= max) were stored in out. */
int dio_writer_reap(struct dio_writer *w, unsigned min, struct dio_done *out, unsigned max);

unsigned dio_writer_inflight(const struct dio_writer *w);
/* True when depth writes are in flight: dio_writer_submit() would now wait for one to
 * complete. A caller that must not block (a paced capture loop) keeps the batch until this is
 * false. Syncs in flight do not count. */
bool dio_writer_busy(const struct dio_writer *w);
enum dio_mode dio_writer_mode(const struct dio_writer *w);
const char *dio_writer_mode_why(const struct dio_writer *w); /* why not fixed, or "" */

/* Offset just past the last batch submitted (an aligned offset). */
uint64_t dio_writer_end(const struct dio_writer *w);

/* An ordinary (page-cache) fd on the same file for small unaligned metadata (MOV header,
 * moov), owned by the writer. Never use it on ranges that batches cover. */
int dio_writer_plain_fd(const struct dio_writer *w);

/* Wait for everything in flight, set the file size to size (0: dio_writer_end()), fdatasync.
 * Returns the first error any batch or step met. Does not free. */
int dio_writer_finish(struct dio_writer *w, uint64_t size);

/* fsync the directory holding path (the name is path up to its last '/', else "."): a file
 * just created is found after a power cut only once its directory entry is durable (fsync(2):
 * "an explicit fsync() on a file descriptor for the directory is also needed"). 0 or -errno
 * from open(2)/fsync(2); a filesystem that cannot sync a directory (EINVAL) counts as done. */
int dio_sync_parent(const char *path);

/* Close fds, tear down the ring. Accepts NULL. Does not wait: call finish first. */
void dio_writer_free(struct dio_writer *w);

/* ---- reader ---- */

struct dio_reader;

/* Open path for O_DIRECT reads into slab (falls back like the writer). */
int dio_reader_open(const char *path, struct dio_slab *slab, const struct dio_opts *opts,
		    struct dio_reader **ret_reader);

/* Queue a read of the bytes [offset, offset + len) into slab memory starting at slot first:
 * the aligned superset [align_down(offset), align_up(offset + len)) is read, so the first byte
 * lands at slot(first) + (offset - align_down(offset)); see dio_reader_skew(). The superset must
 * fit in the slots from first to the end of the slab, tail included, else -EINVAL. */
int dio_reader_submit(struct dio_reader *r, uint64_t offset, uint32_t len, unsigned first,
		      uint64_t tag);
int dio_reader_reap(struct dio_reader *r, unsigned min, struct dio_done *out, unsigned max);

/* Where a byte at file offset lands relative to the start of the read that covered it. */
uint32_t dio_reader_skew(const struct dio_reader *r, uint64_t offset);
uint32_t dio_reader_unit(const struct dio_reader *r);
uint64_t dio_reader_size(const struct dio_reader *r); /* file size */
unsigned dio_reader_inflight(const struct dio_reader *r);
enum dio_mode dio_reader_mode(const struct dio_reader *r);
const char *dio_reader_mode_why(const struct dio_reader *r);
void dio_reader_free(struct dio_reader *r);

/* ---- benchmark: can this disk take (and give back) frames of this size at this rate? ---- */

/* What one run measures. All sizes in bytes. The caller converts its video format into
 * frame_bytes (for fields delivered one per buffer, one field) before calling. */
struct dio_bench_config {
	const char *path;     /* a file to create (an existing one only with force), or a
			       * directory to make a temporary file in: "<temp_prefix>.XXXXXX" */
	const char *temp_prefix; /* that file's name before ".XXXXXX"; NULL: "dio-bench" */
	size_t frame_bytes;   /* one buffer's payload; each is written in a slot of its own */
	unsigned batch;       /* frames per write (>= 1) */
	unsigned depth;       /* writes or reads in flight (>= 1) */
	uint64_t align;       /* the unit as for dio_geom_probe(); 0: probe the stripe */
	double seconds;       /* write for this long (wall clock), when bytes is 0 */
	uint64_t bytes;       /* else write this many payload bytes, rounded up to whole batches */
	bool no_uring, no_direct; /* as in struct dio_opts */
	bool write_only;      /* no read-back */
	bool read_only;       /* only read path, a file an earlier run kept: batches back to back */
	bool keep;            /* keep the file afterwards (else it is removed, also on failure) */
	bool force;           /* replace path if it exists (else -EEXIST); a symbolic link
			       * there is replaced itself (dio_create), never followed */
	/* Polled between batches: true stops the run early, keeping the figures so far
	 * (result.interrupted). NULL: never. A signalfd the caller reads is one such source. */
	bool (*should_stop)(void *user);
};

/* Figures of one phase (the write as a recording does it, the read-back as a player does). */
struct dio_bench_phase {
	bool done;            /* the phase ran (its figures are meaningful) */
	uint64_t bytes;       /* payload bytes moved (frames, not slot padding) */
	uint64_t frames;
	double seconds;       /* wall clock, the write's closing fdatasync included */
	double cpu_seconds;   /* user + system of this process, io_uring workers included */
	uint64_t max_lat_ns;  /* the slowest batch, submit to completion */
	enum dio_mode mode;
	char mode_why[240];   /* why not DIO_MODE_URING_FIXED, or "" */
	int err;              /* 0, or the -errno that ended the phase (-ENOSPC: disk full) */
	uint64_t bad_frames;  /* read-back: frames that did not hold what was written there */
};

/* A plain value: nothing in it is allocated, so nothing needs freeing. */
struct dio_bench_result {
	char path[4096];      /* the file measured: path, or the temporary file made in it */
	bool temporary;       /* path was a directory and the file was made in it */
	struct dio_geom geom;
	size_t frame_bytes, slot_bytes;
	uint64_t batch_bytes; /* one batch on disk: batch x slot_bytes (slots are whole units) */
	unsigned nbatches;        /* batches written */
	unsigned batches_aligned; /* ... at a file offset that is a multiple of geom.align */
	int fiemap_mapped, fiemap_aligned; /* dio_fiemap_aligned() on the batches; -1: unknown */
	struct dio_bench_phase write, read;
	bool interrupted;     /* should_stop said so */
};

enum dio_bench_event_kind {
	DIO_BENCH_PROGRESS,     /* a phase's figures so far, at most every 0.5 s; text such as
				 * "writing 1.23 GB, 456 MB/s" */
	DIO_BENCH_PROGRESS_END, /* the phase that sent PROGRESS is over (a live line can go) */
	DIO_BENCH_ERROR,        /* one failure, to be said as "text: strerror(-err) (hint)" */
};

/* What the run has to say. text and hint live only for the call; hint may be NULL, err is 0
 * when no errno applies. The hints name the options of vbench, this benchmark's tool. */
struct dio_bench_event {
	enum dio_bench_event_kind kind;
	int err;              /* 0 or -errno */
	const char *text;
	const char *hint;
	uint64_t bytes;       /* PROGRESS: payload bytes of the phase so far */
	double seconds;       /* PROGRESS: since the phase began */
};

typedef void (*dio_bench_event_fn)(const struct dio_bench_event *ev, void *user);

/* Run the benchmark: make the file, write frames as dio_writer does for a recording (every
 * page stamped with its frame number), check where the batches landed (FIEMAP against
 * geom.stripe, else geom.align), read them back as dio_reader does for a player and check the
 * stamps. The file is removed at the end unless keep (a temporary file also on failure).
 * event (may be NULL) gets every progress line and error; user goes to it and to
 * should_stop. Returns 0 when it measured, even when a phase failed (phase.err,
 * read.bad_frames say so, and an event has said it); or -errno when nothing could be
 * measured, after an event: -EEXIST (path exists, no force), -ENOENT (no such directory),
 * -EISDIR (read_only on a directory), -ENOMEM (the frame slab), -EINVAL (batch, depth or
 * frame_bytes 0), -ENAMETOOLONG (the temporary file's name), others from
 * dio_geom_probe(), dio_slab_new(), dio_writer_open(), dio_reader_open(). result is written
 * either way (the figures so far, the path), as the error needs the path; it owns nothing. */
int dio_bench_run(const struct dio_bench_config *cfg, dio_bench_event_fn event, void *user,
		  struct dio_bench_result *result);

#pragma GCC visibility pop
#endif
