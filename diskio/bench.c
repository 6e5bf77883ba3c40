/* The benchmark: frames written as a recording writes them (dio_writer), read back as a player
 * reads them (dio_reader), and where they landed on the device (FIEMAP). Says what it has to
 * say through the caller's event function; prints nothing. */
#include "dio.h"
#include "dio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_NS 500000000ull /* at most two progress events a second */

struct bench {
	const struct dio_bench_config *c;
	struct dio_bench_result *r;
	dio_bench_event_fn event;
	void *user;
	struct dio_slab *slab;
	unsigned groups; /* slot groups of one batch each: depth in flight + one being filled */
	uint64_t *busy;	 /* per group: batch number + 1 in flight there, 0 when free */
	uint64_t *batch_off; /* file offset of every batch written, for FIEMAP and the read-back */
	unsigned cap;	     /* capacity of batch_off */
	uint64_t t_progress; /* when the last progress event went, 0: none in this phase */
};

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru); /* io_uring's io-wq workers are threads of this process */
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double since_s(uint64_t t0_ns)
{
	return (dio_now_ns() - t0_ns) / 1e9;
}

static void say(struct bench *s, int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct bench *s, int err, const char *hint, const char *fmt, ...)
{
	struct dio_bench_event ev = { .kind = DIO_BENCH_ERROR, .err = err, .hint = hint };
	char text[1024];
	va_list ap;

	if (!s->event)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ev.text = text;
	s->event(&ev, s->user);
}

static bool interrupted(struct bench *s)
{
	if (!s->r->interrupted && s->c->should_stop && s->c->should_stop(s->user))
		s->r->interrupted = true;
	return s->r->interrupted;
}

static void progress(struct bench *s, const char *what, const struct dio_bench_phase *ph,
		     uint64_t t0)
{
	struct dio_bench_event ev = { .kind = DIO_BENCH_PROGRESS, .bytes = ph->bytes };
	uint64_t t = dio_now_ns();
	char text[96];

	if (!s->event || (s->t_progress && t - s->t_progress < PROGRESS_NS))
		return;
	s->t_progress = t;
	ev.seconds = (t - t0) / 1e9;
	snprintf(text, sizeof(text), "%s %.2f GB, %.0f MB/s", what, ph->bytes / 1e9,
		 ev.seconds > 0 ? ph->bytes / 1e6 / ev.seconds : 0);
	ev.text = text;
	s->event(&ev, s->user);
}

static void progress_end(struct bench *s)
{
	struct dio_bench_event ev = { .kind = DIO_BENCH_PROGRESS_END, .text = "" };

	if (s->event && s->t_progress)
		s->event(&ev, s->user);
	s->t_progress = 0;
}

/* Every page of a frame starts with its frame number: every frame differs, and the read-back
 * can tell a misplaced or stale frame from the right one. */
static void stamp(struct bench *s, unsigned slot, uint64_t frame)
{
	char *p = dio_slab_slot(s->slab, slot);
	size_t n = s->r->frame_bytes;

	for (size_t off = 0; off + sizeof(frame) <= n; off += DIO_PAGE)
		memcpy(p + off, &frame, sizeof(frame));
}

static bool stamp_ok(const struct bench *s, const char *p, uint64_t frame)
{
	size_t n = s->r->frame_bytes;
	uint64_t v;

	for (size_t off = 0; off + sizeof(v) <= n; off += DIO_PAGE) {
		memcpy(&v, p + off, sizeof(v));
		if (v != frame)
			return false;
	}
	return true;
}

static int record_offset(struct bench *s, uint64_t off)
{
	struct dio_bench_result *r = s->r;

	if (r->nbatches == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *n = realloc(s->batch_off, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->batch_off = n;
		s->cap = cap;
	}
	s->batch_off[r->nbatches++] = off;
	if (off % r->geom.align == 0)
		r->batches_aligned++;
	return 0;
}

/* Account finished batches; a read batch is checked frame by frame. */
static void account(struct bench *s, struct dio_bench_phase *ph, const struct dio_done *d,
		    unsigned n, bool verify)
{
	unsigned batch = s->c->batch;

	for (unsigned i = 0; i < n; i++) {
		unsigned g = d[i].tag % s->groups;

		s->busy[g] = 0;
		if (d[i].lat_ns > ph->max_lat_ns)
			ph->max_lat_ns = d[i].lat_ns;
		if (d[i].res < 0) {
			if (!ph->err)
				ph->err = d[i].res;
			continue;
		}
		ph->bytes += (uint64_t)batch * s->r->frame_bytes;
		ph->frames += batch;
		for (unsigned k = 0; verify && k < batch; k++)
			if (!stamp_ok(s, dio_slab_slot(s->slab, g * batch + k), d[i].tag * batch + k))
				ph->bad_frames++;
	}
}

typedef int (*reap_fn)(void *io, unsigned min, struct dio_done *out, unsigned max);

static int reap_writer(void *io, unsigned min, struct dio_done *out, unsigned max)
{
	return dio_writer_reap(io, min, out, max);
}

static int reap_reader(void *io, unsigned min, struct dio_done *out, unsigned max)
{
	return dio_reader_reap(io, min, out, max);
}

static int reap(struct bench *s, struct dio_bench_phase *ph, void *io, reap_fn fn, unsigned min,
		bool verify)
{
	struct dio_done d[64];
	int n = fn(io, min, d, 64);

	if (n > 0)
		account(s, ph, d, n, verify);
	return n;
}

static int wait_group(struct bench *s, struct dio_bench_phase *ph, void *io, reap_fn fn,
		      unsigned g, bool verify)
{
	int n = 0;

	while (s->busy[g] && n >= 0)
		n = reap(s, ph, io, fn, 1, verify);
	return n < 0 ? n : 0;
}

static bool more_to_write(struct bench *s, uint64_t b, uint64_t t0)
{
	const struct dio_bench_config *c = s->c;
	uint64_t per = (uint64_t)c->batch * s->r->frame_bytes;

	if (interrupted(s))
		return false;
	if (c->bytes)
		return b * per < c->bytes;
	return since_s(t0) < c->seconds;
}

static int write_loop(struct bench *s, struct dio_writer *w, struct dio_bench_phase *ph,
		      uint64_t t0)
{
	unsigned batch = s->c->batch;
	int ret = 0;

	for (uint64_t b = 0; more_to_write(s, b, t0); b++) {
		unsigned g = b % s->groups;
		uint64_t off;

		ret = wait_group(s, ph, w, reap_writer, g, false);
		if (ret < 0 || ph->err)
			break;
		for (unsigned k = 0; k < batch; k++)
			stamp(s, g * batch + k, b * batch + k);
		ret = dio_writer_submit(w, g * batch, batch, b, &off);
		if (ret < 0)
			break;
		s->busy[g] = b + 1;
		ret = record_offset(s, off);
		if (ret < 0)
			break;
		reap(s, ph, w, reap_writer, 0, false);
		progress(s, "writing", ph, t0);
	}
	return ret;
}

static int write_phase(struct bench *s)
{
	const struct dio_bench_config *c = s->c;
	struct dio_bench_phase *ph = &s->r->write;
	struct dio_opts o = { .depth = c->depth, .force = c->force, .no_uring = c->no_uring,
			      .no_direct = c->no_direct };
	uint64_t per = (uint64_t)c->batch * s->r->frame_bytes, t0;
	struct dio_writer *w;
	double cpu0;
	int ret, fin;

	if (c->bytes)
		o.expected_bytes = (c->bytes + per - 1) / per * s->r->batch_bytes;
	o.force |= s->r->temporary; /* the file made for this run, still empty */
	ret = dio_writer_open(s->r->path, &s->r->geom, s->slab, &o, &w);
	if (ret < 0)
		return ret;
	ph->mode = dio_writer_mode(w);
	snprintf(ph->mode_why, sizeof(ph->mode_why), "%s", dio_writer_mode_why(w));
	t0 = dio_now_ns();
	cpu0 = cpu_s();
	ret = write_loop(s, w, ph, t0);
	while (dio_writer_inflight(w) && reap(s, ph, w, reap_writer, 1, false) > 0)
		;
	reap(s, ph, w, reap_writer, 0, false);
	fin = dio_writer_finish(w, 0); /* the fdatasync is part of what a recording costs */
	ph->seconds = since_s(t0);
	ph->cpu_seconds = cpu_s() - cpu0;
	dio_writer_free(w);
	progress_end(s);
	if (!ph->err)
		ph->err = ret < 0 ? ret : fin;
	ph->done = true;
	return 0;
}

static void read_loop(struct bench *s, struct dio_reader *rd, uint64_t nbatches, uint64_t t0)
{
	const struct dio_bench_config *c = s->c;
	struct dio_bench_phase *ph = &s->r->read;
	uint32_t len = (c->batch - 1) * s->r->slot_bytes + s->r->frame_bytes;
	int ret = 0;

	for (uint64_t b = 0; b < nbatches && !interrupted(s); b++) {
		unsigned g = b % s->groups;
		uint64_t off = c->read_only ? b * s->r->batch_bytes : s->batch_off[b];

		ret = wait_group(s, ph, rd, reap_reader, g, true);
		if (ret < 0 || ph->err)
			break;
		ret = dio_reader_submit(rd, off, len, g * c->batch, b);
		if (ret < 0)
			break;
		s->busy[g] = b + 1;
		reap(s, ph, rd, reap_reader, 0, true);
		progress(s, "reading", ph, t0);
	}
	while (dio_reader_inflight(rd) && reap(s, ph, rd, reap_reader, 1, true) > 0)
		;
	reap(s, ph, rd, reap_reader, 0, true);
	if (!ph->err && ret < 0)
		ph->err = ret;
}

static int read_phase(struct bench *s)
{
	const struct dio_bench_config *c = s->c;
	struct dio_bench_phase *ph = &s->r->read;
	struct dio_opts o = { .depth = c->depth, .no_uring = c->no_uring, .no_direct = c->no_direct };
	uint64_t nbatches = s->r->nbatches, t0;
	struct dio_reader *rd;
	double cpu0;
	int ret;

	ret = dio_reader_open(s->r->path, s->slab, &o, &rd);
	if (ret < 0)
		return ret;
	ph->mode = dio_reader_mode(rd);
	snprintf(ph->mode_why, sizeof(ph->mode_why), "%s", dio_reader_mode_why(rd));
	if (c->read_only) /* an earlier run's file: batches back to back, each a whole unit */
		nbatches = dio_reader_size(rd) / s->r->batch_bytes;
	t0 = dio_now_ns();
	cpu0 = cpu_s();
	read_loop(s, rd, nbatches, t0);
	ph->seconds = since_s(t0);
	ph->cpu_seconds = cpu_s() - cpu0;
	dio_reader_free(rd);
	progress_end(s);
	ph->done = true;
	return 0;
}

/* path as given, or for a directory a new file inside it, "DIR/PREFIX.XXXXXX". A named file,
 * not O_TMPFILE: the writer's O_DIRECT fd, the read-back and FIEMAP open it by name. A caller
 * that stops on signals blocks them before calling, so that a signal ends in dio_bench_run's
 * cleanup, which removes it. */
static int pick_path(struct bench *s)
{
	const struct dio_bench_config *c = s->c;
	const char *prefix = c->temp_prefix ? c->temp_prefix : "dio-bench";
	size_t len = strlen(c->path);
	char tmpl[sizeof(s->r->path)];
	struct stat st;
	int fd;

	if (stat(c->path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (c->read_only)
		return -EISDIR;
	while (len > 1 && c->path[len - 1] == '/')
		len--;
	if (snprintf(tmpl, sizeof(tmpl), "%.*s%s%s.XXXXXX", (int)len, c->path,
		     c->path[len - 1] == '/' ? "" : "/", prefix) >= (int)sizeof(tmpl))
		return -ENAMETOOLONG;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	memcpy(s->r->path, tmpl, sizeof(tmpl));
	s->r->temporary = true;
	return 0;
}

static int setup(struct bench *s)
{
	const struct dio_bench_config *c = s->c;
	struct dio_bench_result *r = s->r;
	int ret;

	if (!c->batch || !c->depth || !c->frame_bytes)
		return -EINVAL;
	r->frame_bytes = c->frame_bytes;
	ret = pick_path(s);
	if (ret < 0)
		return ret;
	ret = dio_geom_probe(r->path, "/sys", c->align, &r->geom);
	if (ret < 0)
		return ret;
	s->groups = c->depth + 1;
	ret = dio_slab_new(r->frame_bytes, s->groups * c->batch, r->geom.align, &s->slab);
	if (ret < 0)
		return ret;
	r->slot_bytes = dio_slab_slot_size(s->slab);
	r->batch_bytes = (uint64_t)c->batch * r->slot_bytes;
	/* a grey picture rather than zeros, so nothing downstream can shortcut zero pages */
	memset(dio_slab_base(s->slab), 0x80, dio_slab_bytes(s->slab));
	s->busy = calloc(s->groups, sizeof(*s->busy));
	return s->busy ? 0 : -ENOMEM;
}

static void check_placement(struct bench *s)
{
	struct dio_bench_result *r = s->r;
	uint64_t stripe = r->geom.stripe ? r->geom.stripe : r->geom.align;
	unsigned mapped = 0;
	int fd, n;

	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = dio_fiemap_aligned(fd, s->batch_off, r->nbatches, stripe, r->geom.part_start, &mapped);
	if (n >= 0) {
		r->fiemap_aligned = n;
		r->fiemap_mapped = mapped;
	}
	close(fd);
}

static void setup_error(struct bench *s, int err)
{
	const struct dio_bench_config *c = s->c;
	const char *path = s->r->path;

	if (err == -EEXIST)
		say(s, err, "use --force to replace it, or another PATH", "%s", path);
	else if (err == -ENOENT)
		say(s, err, "the directory must exist", "%s", path);
	else if (err == -EISDIR && c->read_only)
		say(s, err, "--read-only reads the file an earlier --keep run left", "%s", path);
	else if (err == -ENOMEM)
		say(s, err, "lower --batch or --depth", "allocating the frame slab");
	else
		say(s, err, NULL, "setting up %s", path);
}

static void phase_error(struct bench *s, const char *what, const struct dio_bench_phase *ph)
{
	const char *path = s->r->path;

	if (ph->err == -ENOSPC)
		say(s, ph->err, "free space or pick a smaller --bytes", "%s %s stopped after %.2f GB",
		    what, path, ph->bytes / 1e9);
	else if (ph->err)
		say(s, ph->err, NULL, "%s %s", what, path);
	if (ph->bad_frames)
		say(s, 0, "the disk or a layer under it returned wrong data",
		    "read-back of %s: %llu %s from what was written", path,
		    (unsigned long long)ph->bad_frames,
		    ph->bad_frames == 1 ? "frame differs" : "frames differ");
}

static int measure(struct bench *s)
{
	const struct dio_bench_config *c = s->c;
	struct dio_bench_result *r = s->r;
	int ret;

	if (!c->read_only) {
		ret = write_phase(s);
		if (ret < 0)
			return ret;
		phase_error(s, "writing", &r->write);
		check_placement(s);
	}
	if (!c->write_only && !r->write.err && !r->interrupted) {
		ret = read_phase(s);
		if (ret < 0)
			return ret;
		phase_error(s, "reading", &r->read);
	}
	return 0;
}

int dio_bench_run(const struct dio_bench_config *cfg, dio_bench_event_fn event, void *user,
		  struct dio_bench_result *result)
{
	struct bench s = { .c = cfg, .r = result, .event = event, .user = user };
	int ret;

	*result = (struct dio_bench_result){ .fiemap_mapped = -1, .fiemap_aligned = -1 };
	snprintf(result->path, sizeof(result->path), "%s", cfg->path); /* pick_path may change it */
	ret = setup(&s);
	if (ret >= 0)
		ret = measure(&s);
	if (ret < 0)
		setup_error(&s, ret);
	/* what this run made: the file it wrote, or the temporary one even if nothing was */
	if (!cfg->keep && (result->temporary || (!cfg->read_only && result->write.done)))
		unlink(result->path);
	free(s.busy);
	free(s.batch_off);
	dio_slab_free(s.slab);
	return ret;
}
