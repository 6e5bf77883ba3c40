/* vbench's measurement: the write phase (as vcap records) and the read phase (as vplay plays). */
#include "dio.h"
#include "mov.h"
#include "tool.h"
#include "vbench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct vb_state {
	const struct vb_conf *c;
	struct vb_result *r;
	struct dio_slab *slab;
	unsigned groups;   /* slot groups of one batch each: depth in flight + one being filled */
	uint64_t *busy;    /* per group: batch number + 1 in flight there, 0 when free */
	unsigned cap;      /* capacity of r->batch_off */
	int sigfd;
	bool tty;
	double t_progress;
};

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru); /* io_uring's io-wq workers are threads of this process */
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static bool interrupted(struct vb_state *s)
{
	if (!s->r->interrupted && tool_signal_taken(s->sigfd))
		s->r->interrupted = true;
	return s->r->interrupted;
}

/* Every page of a frame starts with its frame number: every frame differs, and the read-back
 * can tell a misplaced or stale frame from the right one. */
static void stamp(struct vb_state *s, unsigned slot, uint64_t frame)
{
	char *p = dio_slab_slot(s->slab, slot);
	size_t n = s->r->frame_bytes;

	for (size_t off = 0; off + sizeof(frame) <= n; off += DIO_PAGE)
		memcpy(p + off, &frame, sizeof(frame));
}

static bool stamp_ok(const struct vb_state *s, const char *p, uint64_t frame)
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

static void progress(struct vb_state *s, const char *what, const struct vb_phase *ph, double t0)
{
	double t = tool_now_s();

	if (!s->tty || t - s->t_progress < 0.5)
		return;
	s->t_progress = t;
	fprintf(stderr, "\rvbench: %s %.2f GB, %.0f MB/s   ", what, ph->bytes / 1e9,
		ph->bytes / 1e6 / (t - t0));
}

static void progress_end(struct vb_state *s)
{
	if (s->tty && s->t_progress > 0)
		fprintf(stderr, "\r\033[K");
	s->t_progress = 0;
}

static int record_offset(struct vb_state *s, uint64_t off)
{
	struct vb_result *r = s->r;

	if (r->nbatches == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *n = realloc(r->batch_off, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->batch_off = n;
		s->cap = cap;
	}
	r->batch_off[r->nbatches++] = off;
	if (off % r->geom.align == 0)
		r->batches_aligned++;
	return 0;
}

/* Account finished batches; a read batch is checked frame by frame. */
static void account(struct vb_state *s, struct vb_phase *ph, const struct dio_done *d, unsigned n,
		    bool verify)
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

static int reap(struct vb_state *s, struct vb_phase *ph, void *io, reap_fn fn, unsigned min,
		bool verify)
{
	struct dio_done d[64];
	int n = fn(io, min, d, 64);

	if (n > 0)
		account(s, ph, d, n, verify);
	return n;
}

static int wait_group(struct vb_state *s, struct vb_phase *ph, void *io, reap_fn fn, unsigned g,
		      bool verify)
{
	int n = 0;

	while (s->busy[g] && n >= 0)
		n = reap(s, ph, io, fn, 1, verify);
	return n < 0 ? n : 0;
}

static bool more_to_write(struct vb_state *s, uint64_t b, double t0)
{
	const struct vb_conf *c = s->c;
	uint64_t per = (uint64_t)c->batch * s->r->frame_bytes;

	if (interrupted(s))
		return false;
	if (c->bytes)
		return b * per < c->bytes;
	return tool_now_s() - t0 < c->seconds;
}

static int write_loop(struct vb_state *s, struct dio_writer *w, struct vb_phase *ph, double t0)
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

static int write_phase(struct vb_state *s)
{
	const struct vb_conf *c = s->c;
	struct vb_phase *ph = &s->r->write;
	struct dio_opts o = { .depth = c->depth, .force = c->force, .no_uring = c->no_uring,
			      .no_direct = c->no_direct };
	struct dio_writer *w;
	double t0, cpu0;
	int ret, fin;

	if (c->bytes)
		o.expected_bytes = (c->bytes + (uint64_t)c->batch * s->r->frame_bytes - 1) /
				   ((uint64_t)c->batch * s->r->frame_bytes) * s->r->batch_bytes;
	o.force |= s->r->temporary; /* the file made for this run, still empty */
	ret = dio_writer_open(s->r->path, &s->r->geom, s->slab, &o, &w);
	if (ret < 0)
		return ret;
	ph->mode = dio_writer_mode(w);
	snprintf(ph->mode_why, sizeof(ph->mode_why), "%s", dio_writer_mode_why(w));
	t0 = tool_now_s();
	cpu0 = cpu_s();
	ret = write_loop(s, w, ph, t0);
	while (dio_writer_inflight(w) && reap(s, ph, w, reap_writer, 1, false) > 0)
		;
	reap(s, ph, w, reap_writer, 0, false);
	fin = dio_writer_finish(w, 0); /* the fdatasync is part of what a recording costs */
	ph->seconds = tool_now_s() - t0;
	ph->cpu_seconds = cpu_s() - cpu0;
	dio_writer_free(w);
	progress_end(s);
	if (!ph->err)
		ph->err = ret < 0 ? ret : fin;
	ph->done = true;
	return 0;
}

static int read_phase(struct vb_state *s, uint64_t nbatches)
{
	const struct vb_conf *c = s->c;
	struct vb_phase *ph = &s->r->read;
	struct dio_opts o = { .depth = c->depth, .no_uring = c->no_uring, .no_direct = c->no_direct };
	uint32_t len = (c->batch - 1) * s->r->slot_bytes + s->r->frame_bytes;
	struct dio_reader *rd;
	double t0, cpu0;
	int ret = 0;

	ret = dio_reader_open(s->r->path, s->slab, &o, &rd);
	if (ret < 0)
		return ret;
	ph->mode = dio_reader_mode(rd);
	snprintf(ph->mode_why, sizeof(ph->mode_why), "%s", dio_reader_mode_why(rd));
	if (c->read_only) /* an earlier run's file: batches back to back, each a whole unit */
		nbatches = dio_reader_size(rd) / s->r->batch_bytes;
	t0 = tool_now_s();
	cpu0 = cpu_s();
	for (uint64_t b = 0; b < nbatches && !interrupted(s); b++) {
		unsigned g = b % s->groups;
		uint64_t off = c->read_only ? b * s->r->batch_bytes : s->r->batch_off[b];

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
	ph->seconds = tool_now_s() - t0;
	ph->cpu_seconds = cpu_s() - cpu0;
	dio_reader_free(rd);
	progress_end(s);
	if (!ph->err && ret < 0)
		ph->err = ret;
	ph->done = true;
	return 0;
}

/* PATH as given, or for a directory a new file inside it, "DIR/vbench.XXXXXX". A named file,
 * not O_TMPFILE: the writer's O_DIRECT fd, the read-back and FIEMAP open it by name. Made
 * with SIGINT and SIGTERM already blocked, so that a signal ends in vb_run's cleanup, which
 * removes it. */
static int pick_path(struct vb_state *s)
{
	const struct vb_conf *c = s->c;
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
	if (snprintf(tmpl, sizeof(tmpl), "%.*s%svbench.XXXXXX", (int)len, c->path,
		     c->path[len - 1] == '/' ? "" : "/") >= (int)sizeof(tmpl))
		return -ENAMETOOLONG;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	memcpy(s->r->path, tmpl, sizeof(tmpl));
	s->r->temporary = true;
	return 0;
}

static int setup(struct vb_state *s)
{
	const struct vb_conf *c = s->c;
	struct vb_result *r = s->r;
	bool alt = c->field == CAP_FIELD_ALTERNATE;
	int ret;

	/* ALTERNATE delivers each field in its own buffer: half the lines, twice the rate. */
	r->frame_bytes = mov_format_frame_size(c->fmt, c->w, alt ? c->h / 2 : c->h);
	r->need_mbps = mov_format_frame_size(c->fmt, c->w, c->h) * (double)c->rate_num /
		       c->rate_den / 1e6;
	s->sigfd = tool_signals_open(); /* before pick_path makes a file to remove */
	if (s->sigfd < 0)
		return s->sigfd;
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

static void check_placement(struct vb_state *s)
{
	struct vb_result *r = s->r;
	uint64_t stripe = r->geom.stripe ? r->geom.stripe : r->geom.align;
	unsigned mapped = 0;
	int fd, n;

	r->fiemap_mapped = r->fiemap_aligned = -1;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = dio_fiemap_aligned(fd, r->batch_off, r->nbatches, stripe, r->geom.part_start, &mapped);
	if (n >= 0) {
		r->fiemap_aligned = n;
		r->fiemap_mapped = mapped;
	}
	close(fd);
}

static int exit_code(const struct vb_result *r)
{
	int err = r->write.err ? r->write.err : r->read.err;

	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (err == -ENOSPC)
		return EXIT_NOSPACE;
	if (err || r->read.bad_frames)
		return EXIT_FAILURE_RUN;
	return EXIT_OK;
}

static void explain_setup_error(const struct vb_conf *c, const struct vb_result *r, int err)
{
	if (err == -EEXIST)
		tool_err(c->tool, err, "use --force to replace it, or another PATH", "%s", r->path);
	else if (err == -ENOENT)
		tool_err(c->tool, err, "the directory must exist", "%s", r->path);
	else if (err == -EISDIR && c->read_only)
		tool_err(c->tool, err, "--read-only reads the file an earlier --keep run left",
			 "%s", r->path);
	else if (err == -ENOMEM)
		tool_err(c->tool, err, "lower --batch or --depth", "allocating the frame slab");
	else
		tool_err(c->tool, err, NULL, "setting up %s", r->path);
}

static void phase_error(const char *what, const struct vb_conf *c, const struct vb_result *r,
			const struct vb_phase *ph)
{
	if (ph->err == -ENOSPC)
		tool_err(c->tool, ph->err, "free space or pick a smaller --bytes",
			 "%s %s stopped after %.2f GB", what, r->path, ph->bytes / 1e9);
	else if (ph->err)
		tool_err(c->tool, ph->err, NULL, "%s %s", what, r->path);
	if (ph->bad_frames)
		tool_err(c->tool, 0, "the disk or a layer under it returned wrong data",
			 "read-back of %s: %llu %s from what was written", r->path,
			 (unsigned long long)ph->bad_frames,
			 tool_plural(ph->bad_frames, "frame differs", "frames differ"));
}

int vb_run(const struct vb_conf *c)
{
	struct vb_result r = { .fiemap_mapped = -1, .fiemap_aligned = -1 };
	struct vb_state s = { .c = c, .r = &r, .sigfd = -1, .tty = isatty(2) };
	int ret;

	snprintf(r.path, sizeof(r.path), "%s", c->path); /* pick_path may change it */
	ret = setup(&s);
	if (ret < 0)
		goto out_report_setup;
	if (!c->read_only) {
		ret = write_phase(&s);
		if (ret < 0)
			goto out_report_setup;
		phase_error("writing", c, &r, &r.write);
		check_placement(&s);
	}
	if (!c->write_only && !r.write.err && !r.interrupted) {
		ret = read_phase(&s, r.nbatches);
		if (ret < 0)
			goto out_report_setup;
		phase_error("reading", c, &r, &r.read);
	}
	vb_report_io(&r);
	if (c->json)
		vb_report_json(c, &r);
	else
		vb_report_text(c, &r);
	ret = exit_code(&r);
	goto out_cleanup;

out_report_setup:
	explain_setup_error(c, &r, ret);
	ret = tool_exit(c->tool, ret == -ENOMEM ? EXIT_FAILURE_RUN : EXIT_SETUP);
out_cleanup:
	/* what this run made: the file it wrote, or the temporary one even if nothing was */
	if (!c->keep && (r.temporary || (!c->read_only && r.write.done)))
		unlink(r.path);
	if (s.sigfd >= 0)
		close(s.sigfd);
	free(s.busy);
	free(r.batch_off);
	dio_slab_free(s.slab);
	return ret;
}
