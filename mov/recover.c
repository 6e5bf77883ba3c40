/* Recovery: rebuild the index of a file whose capture never wrote its moov, by replaying the
 * journal into a fresh muxer with the payload skipped (it is already in the file). The
 * journal is checked against the file first (frame size, and the md5 of each payload when it
 * has them), so that a log of another recording cannot index garbage. */
#include "dio.h"
#include "mov-internal.h"
#include "dio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/md5.h>

struct jframe {
	bool audio; /* a chunk of sound: first, samples; size is its bytes */
	uint64_t first, samples;
	uint64_t offset;
	uint32_t size;
	int64_t pts;
	bool has_md5;
	bool skip; /* past the end of the file */
	uint8_t md5[16];
};

struct jdata {
	struct mov_params p;
	char timecode[32];
	uint64_t data_start;
	char id[40]; /* the recording id, "" when the journal has none */
	bool complete, recovered;
	uint64_t synced_frames, synced_chunks; /* the last "synced" line: what was durable */
	uint64_t empty_end; /* a log without frames: where the empty index's moov goes */
	uint64_t whole;	    /* bytes of whole lines: a last line cut short by a crash comes after */
	struct jframe *frames;
	size_t n, cap;
};

static int parse_key(struct jdata *d, const char *line)
{
	char word[32];

	if (sscanf(line, "format %31s", word) == 1)
		return (d->p.format = mov_format_find(word)) ? 0 : -EBADMSG;
	if (sscanf(line, "size %ux%u", &d->p.width, &d->p.height) == 2)
		return 0;
	if (sscanf(line, "rate %u/%u", &d->p.rate_num, &d->p.rate_den) == 2)
		return 0;
	if (sscanf(line, "field %31s", word) == 1)
		return mov_field_parse(word, &d->p.field) < 0 ? -EBADMSG : 0;
	if (sscanf(line, "colour %31s", word) == 1)
		return mov_colour_parse(word, &d->p.colour) < 0 ? -EBADMSG : 0;
	if (sscanf(line, "sar %u/%u", &d->p.sar_num, &d->p.sar_den) == 2)
		return 0;
	if (sscanf(line, "timecode %31s", d->timecode) == 1) {
		d->p.timecode = strcmp(d->timecode, "-") ? d->timecode : NULL;
		return 0;
	}
	if (sscanf(line, "audio %u %u %u %31s", &d->p.audio.rate, &d->p.audio.channels,
		   &d->p.audio.bits, word) == 4)
		return mov_audio_tracks_parse(word, &d->p.audio.tracks) < 0 ? -EBADMSG : 0;
	if (sscanf(line, "data_start %" SCNu64, &d->data_start) == 1)
		return 0;
	if (sscanf(line, "recording %39s", d->id) == 1)
		return 0;
	if (sscanf(line, "synced %" SCNu64 " %" SCNu64, &d->synced_frames, &d->synced_chunks) == 2)
		return 0;
	if (!strncmp(line, "end ", 4)) {
		d->complete = true;
		d->recovered = strstr(line, " recovered") != NULL;
		return 0;
	}
	return 0; /* "columns" and unknown keys: ignored, for later versions */
}

static bool parse_md5(const char *hex, uint8_t md5[16])
{
	unsigned i, b;

	if (strlen(hex) != 32)
		return false;
	for (i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		md5[i] = b;
	}
	return true;
}

static int push_entry(struct jdata *d, const struct jframe *f)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct jframe *nf = realloc(d->frames, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		d->frames = nf;
		d->cap = cap;
	}
	d->frames[d->n++] = *f;
	return 0;
}

/* "frame offset size pts sequence field flags timestamp timecode md5 note" (mov.h) */
static int parse_frame(struct jdata *d, const char *line)
{
	struct jframe f = { 0 };
	char hex[40] = "-";
	uint64_t index;

	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNd64 " %*s %*s %*s %*s %*s %39s",
		   &index, &f.offset, &f.size, &f.pts, hex) < 4)
		return -EBADMSG;
	f.has_md5 = parse_md5(hex, f.md5);
	return push_entry(d, &f);
}

/* "chunk offset first samples md5 note" (mov.h) */
static int parse_chunk(struct jdata *d, const char *line)
{
	struct jframe f = { .audio = true };
	char hex[40] = "-";
	uint64_t bytes;

	if (!d->p.audio.channels ||
	    sscanf(line, "chunk %" SCNu64 " %" SCNu64 " %" SCNu64 " %39s", &f.offset, &f.first,
		   &f.samples, hex) < 3 ||
	    !f.samples)
		return -EBADMSG;
	bytes = mov_audio_chunk_layout(&d->p.audio, f.samples, NULL);
	if (bytes > UINT32_MAX)
		return -EBADMSG;
	f.size = bytes;
	f.has_md5 = parse_md5(hex, f.md5);
	return push_entry(d, &f);
}

static int read_journal(const char *path, struct jdata *d)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	bool first = true;
	FILE *f;
	int fd;

	/* not through a link: recovery appends to it (mark_recovered), and says so up front */
	fd = dio_open_nofollow(path, O_RDONLY);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "re");
	if (!f) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* cut short by a crash */
		d->whole += (uint64_t)len;
		line[len - 1] = '\0';
		if (first)
			ret = strcmp(line, "vcj 1") ? -EBADMSG : 0;
		else if (line[0] >= '0' && line[0] <= '9')
			ret = parse_frame(d, line);
		else if (!strncmp(line, "chunk ", 6))
			ret = parse_chunk(d, line);
		else
			ret = parse_key(d, line);
		if (ret < 0)
			break;
		first = false;
	}
	free(line);
	fclose(f);
	if (ret >= 0 && (first || mov_params_check(&d->p, NULL) < 0))
		ret = -EBADMSG;
	return ret;
}

static int md5_at(int fd, const struct jframe *f, uint8_t *buf, uint8_t md5[16])
{
	size_t got = 0;

	while (got < f->size) {
		ssize_t n = pread(fd, buf + got, f->size - got, f->offset + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		got += n;
	}
	av_md5_sum(md5, buf, f->size);
	return 0;
}

/* The recording id stamped in the file (mov_journal_stamp) against the journal's. */
static int check_stamp(int fd, const struct jdata *d)
{
	char stamp[MOV_STAMP_SIZE + 1] = { 0 };
	const size_t plen = strlen(MOV_STAMP_PREFIX);
	ssize_t n;

	if (!d->id[0] || d->data_start < MOV_STAMP_SIZE)
		return 0;
	n = pread(fd, stamp, MOV_STAMP_SIZE, d->data_start - MOV_STAMP_SIZE);
	if (n < 0)
		return -errno;
	if (n != MOV_STAMP_SIZE || strncmp(stamp, MOV_STAMP_PREFIX, plen))
		return 0; /* not stamped (an older recording): the frames' md5s decide */
	return strncmp(stamp + plen, d->id, strlen(d->id)) || stamp[plen + strlen(d->id)] != '\n'
		   ? -ESTALE
		   : 0;
}

/* Where the entries after the last durability point stop being on disk. */
struct tail_scan {
	bool started, known, lost;
	uint64_t written_end; /* FIEMAP: written data runs up to here */
};

/* An entry the log never said was durable: is its payload on disk? After a power cut the
 * writes since the last "synced" line may be missing: past the end of the file, in extents
 * still unwritten, or (without FIEMAP) seen only as an md5 that does not match. 1 yes, 0 no,
 * -EILSEQ when its data is on disk and is not what the log says (another recording's log). */
static int tail_on_disk(int fd, const struct jframe *f, struct tail_scan *t, uint64_t file_size,
			uint8_t *buf)
{
	uint8_t md5[16];
	int ret;

	if (!t->started) {
		t->started = true;
		t->known = dio_fiemap_written_end(fd, f->offset, &t->written_end) == 0;
	}
	if (f->offset + f->size > file_size || (t->known && f->offset + f->size > t->written_end))
		return 0;
	if (!f->has_md5)
		return 1;
	ret = md5_at(fd, f, buf, md5);
	if (ret < 0)
		return ret;
	if (!memcmp(md5, f->md5, 16))
		return 1;
	return t->known ? -EILSEQ : 0;
}

/* A durable entry whose payload differs from the log's md5: the filesystem lost it (it lies
 * in an unwritten extent or a hole: -EUCLEAN), else the log is another recording's. */
static int lost_or_foreign(int fd, const struct jframe *f)
{
	uint64_t end;

	if (dio_fiemap_written_end(fd, f->offset, &end) == 0 && end < f->offset + f->size)
		return -EUCLEAN;
	return -EILSEQ;
}

/* Is entry i covered by the log's last durability point (or a clean end)? */
static bool covered(const struct jdata *d, const struct jframe *f, uint64_t nframes,
		    uint64_t nchunks)
{
	return d->complete || (f->audio ? nchunks < d->synced_chunks : nframes < d->synced_frames);
}

static void leave_out(struct jframe *f, struct mov_recover_result *res, bool not_durable)
{
	f->skip = true;
	if (f->audio)
		res->audio_dropped += f->samples;
	else if (not_durable)
		res->not_durable++;
	else
		res->dropped++;
}

static int grow(uint8_t **buf, size_t *bufsize, size_t size)
{
	if (size <= *bufsize)
		return 0;
	free(*buf);
	*bufsize = size;
	*buf = malloc(size);
	return *buf ? 0 : -ENOMEM;
}

/* What the index writer will take (mov_writer_add, mov_writer_add_audio), followed through
 * the journal before the file is touched, so that replay() cannot fail halfway on the
 * journal's account: frames and chunks in file order without overlap (a frame may repeat the
 * frame before: a filled drop), pts rising from 0, offsets an off_t holds. A chunk that does
 * not follow the sound before it is left out by replay(), and so here. */
struct order {
	uint64_t next_off, last_off, audio_next, frames;
	int64_t last_pts;
};

static bool in_order(struct order *o, const struct jframe *f)
{
	if (f->offset > (uint64_t)INT64_MAX - f->size)
		return false;
	if (f->audio && f->first != o->audio_next)
		return true;
	if (f->audio) {
		if (f->offset < o->next_off || f->size > INT32_MAX)
			return false;
		o->audio_next = f->first + f->samples;
	} else {
		if ((f->offset < o->next_off && !(o->frames && f->offset == o->last_off)) ||
		    f->pts <= o->last_pts)
			return false;
		o->last_off = f->offset;
		o->last_pts = f->pts;
		o->frames++;
	}
	o->next_off = f->offset + f->size;
	return true;
}

/* Does the journal belong to the file, and can it be replayed? Marks the entries to leave out
 * (past the end of the file, or after the last durability point and not on disk); changes
 * nothing. -ENODATA when a log with entries leaves no frame. */
static int check_frames(int fd, struct jdata *d, uint64_t file_size, struct mov_recover_result *res)
{
	uint64_t want = mov_format_frame_size(d->p.format, d->p.width, d->p.height);
	uint64_t nframes = 0, nchunks = 0;
	struct tail_scan tail = { 0 };
	struct order o = { .last_pts = -1 };
	uint8_t *buf = NULL, md5[16];
	size_t i, bufsize = 0;
	int ret = 0;

	for (i = 0; i < d->n && ret >= 0; i++) {
		struct jframe *f = &d->frames[i];
		bool in = covered(d, f, nframes, nchunks);
		bool past_end = f->offset > file_size || f->size > file_size - f->offset;

		nframes += !f->audio;
		nchunks += f->audio;
		res->bad_frame = i;
		res->durable += in && !f->audio;
		if ((!f->audio && f->size != want) || f->offset < d->data_start)
			ret = -EMEDIUMTYPE;
		else if (!in && (tail.lost || past_end))
			tail.lost = true, leave_out(f, res, true);
		else if (past_end)
			leave_out(f, res, false);
		else if (!in_order(&o, f))
			ret = -EBADMSG;
		else if ((ret = grow(&buf, &bufsize, f->size)) < 0)
			break;
		else if (!in && (ret = tail_on_disk(fd, f, &tail, file_size, buf)) == 0)
			tail.lost = true, leave_out(f, res, true);
		if (ret < 0 || f->skip || !f->has_md5)
			continue;
		if (in && (ret = md5_at(fd, f, buf, md5)) < 0)
			break;
		if (in && memcmp(md5, f->md5, 16))
			ret = lost_or_foreign(fd, f);
		res->checked += !f->audio;
	}
	free(buf);
	return ret < 0 ? ret : o.frames || !d->n ? 0 : -ENODATA;
}

/* The journal's md5 of each frame that will be indexed, or NULL when one has none. */
static int keep_md5s(const struct jdata *d, struct mov_recover_result *res)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if (!d->frames[i].skip && !d->frames[i].audio && !d->frames[i].has_md5)
			return 0;
	res->md5 = malloc((d->n ? d->n : 1) * sizeof(*res->md5));
	if (!res->md5)
		return -ENOMEM;
	for (i = 0; i < d->n; i++)
		if (!d->frames[i].skip && !d->frames[i].audio)
			memcpy(res->md5[n++], d->frames[i].md5, 16);
	return 0;
}

/* Write the index of the journal's entries into fd: the header at 0, the moov after the
 * last entry. -EPROTO, before any entry, when the header would reach past first (the first
 * byte of data); -EBADMSG when libavformat refuses what the log describes (EINVAL after the
 * open). */
static int replay_to(int fd, const struct jdata *d, uint64_t first,
		     struct mov_recover_result *res)
{
	struct mov_writer *w;
	size_t i;
	int ret;

	ret = mov_writer_open(fd, &d->p, &w);
	if (ret < 0)
		return ret;
	if (mov_writer_data_start(w) > first) {
		ret = -EPROTO;
		goto out_free;
	}
	for (i = 0; i < d->n; i++) {
		const struct jframe *f = &d->frames[i];

		if (f->skip)
			continue;
		if (f->audio) {
			/* sound after a chunk that is not in the file would leave a gap */
			if (f->first != mov_writer_audio_count(w)) {
				res->audio_dropped += f->samples;
				continue;
			}
			ret = mov_writer_add_audio(w, f->offset, NULL, f->samples, f->first);
		} else {
			ret = mov_writer_add(w, f->offset, NULL, f->size, f->pts);
		}
		if (ret < 0)
			goto out_free;
	}
	res->frames = mov_writer_count(w);
	res->audio_samples = mov_writer_audio_count(w);
	/* no entry at all: killed before the first frame; an empty MOV, as vcap leaves then */
	if (!d->n)
		ret = mov_writer_finish(w, d->empty_end, &res->size);
	else
		ret = res->frames ? mov_writer_finish(w, 0, &res->size) : -ENODATA;
out_free:
	mov_writer_free(w);
	return ret == -EINVAL ? -EBADMSG : ret;
}

/* Replay the journal into the file, after a whole rehearsal on a scratch memfd: the writer
 * writes the header at offset 0 when it opens, so a failure it finds later (a header longer
 * than the original, which would land on the first frame; libavformat refusing a parameter or
 * an entry the checks above let through, found by fuzz-recover) must come out before the
 * file's first byte changes. The rehearsal's file is sparse: only the header and the index
 * are written, at the offsets they will have. */
static int replay(int fd, const struct jdata *d, struct mov_recover_result *res)
{
	struct mov_recover_result dry = *res;
	uint64_t first;
	size_t i;
	int scratch, ret;

	for (i = 0; i < d->n && d->frames[i].skip; i++)
		;
	/* check_frames left the first in the file, or a log without frames has data_start */
	first = i < d->n ? d->frames[i].offset : d->data_start;
	scratch = memfd_create("vcap-recover-rehearsal", MFD_CLOEXEC);
	if (scratch < 0)
		return -errno;
	ret = replay_to(scratch, d, first, &dry);
	close(scratch);
	return ret < 0 ? ret : replay_to(fd, d, first, res);
}

/* The end line goes after the last whole line: a line the crash cut short is dropped first
 * (readers ignore it), or the end line would be glued to it and never read as one. */
static int mark_recovered(const char *jpath, uint64_t whole, const struct mov_recover_result *res)
{
	char end[96];
	int fd = dio_open_nofollow(jpath, O_WRONLY), n, ret = 0;
	ssize_t w;

	if (fd < 0)
		return fd;
	n = snprintf(end, sizeof(end), "end frames=%" PRIu64 " size=%" PRIu64 " recovered\n",
		     res->frames, res->size);
	if (ftruncate(fd, (off_t)whole) < 0)
		ret = -errno;
	else if ((w = pwrite(fd, end, n, (off_t)whole)) != n)
		ret = w < 0 ? -errno : -EIO;
	if (close(fd) < 0 && ret >= 0)
		ret = -errno;
	return ret;
}

static int read_self(int fd, struct jdata *d, uint64_t *slot);
static int self_frames(int fd, struct jdata *d, uint64_t slot, struct mov_recover_result *res);

/* A log without a frame: the recording was killed before it logged one. A file with nothing
 * written from data_start on becomes an empty MOV. One that holds writes the log never
 * acknowledged, stamped with this recording's id: a recording without sound gets them as
 * frames from its self description (as without a log); one with sound an empty index whose
 * moov goes after them, so that nothing is cut away. Anything else: -ENODATA, a log of
 * nothing never empties a file that holds something. */
/* Where the self description could end: data_start is a multiple of a page, the stripe at
 * most a few MiB. */
#define SELF_SCAN_MAX (64ull << 20)

static int frameless(int fd, struct jdata *d, uint64_t file_size, struct mov_recover_result *res)
{
	struct jdata self = { 0 };
	uint64_t end, slot = 0;

	d->empty_end = d->data_start;
	if (!d->data_start)
		return -ENODATA;
	/* the empty index goes at data_start: one vcap never wrote is a damaged log, not a
	 * place to extend the file to (a data_start of 4e14 made a sparse 400 TB file) */
	if (d->data_start > SELF_SCAN_MAX || d->data_start % 4096)
		return -EBADMSG;
	if (file_size <= d->data_start)
		return 0;
	if (dio_fiemap_written_end(fd, d->data_start, &end) < 0)
		return -ENODATA;
	if (end == d->data_start)
		return 0;
	/* the file's own description must name this log's recording (check_stamp() lets an
	 * unstamped file through; here that is not enough) */
	if (!d->id[0] || read_self(fd, &self, &slot) < 0 || strcmp(self.id, d->id) ||
	    self.data_start != d->data_start)
		return -ENODATA;
	if (!d->p.audio.channels) {
		res->from_file = res->by_extents = true;
		return self_frames(fd, d, slot, res);
	}
	d->empty_end = dio_align_up(end, DIO_PAGE);
	return 0;
}

/* Check, then rewrite: nothing in the file changes before the journal is known to fit it. */
static int rebuild(const char *path, struct jdata *d, struct mov_recover_result *res)
{
	struct stat sb;
	int fd, ret;

	fd = dio_open_nofollow(path, O_RDWR);
	if (fd < 0)
		return fd;
	ret = fstat(fd, &sb) < 0 ? -errno : check_stamp(fd, d);
	if (ret >= 0 && !d->n)
		ret = frameless(fd, d, sb.st_size, res);
	if (ret >= 0)
		ret = check_frames(fd, d, sb.st_size, res);
	if (ret >= 0)
		ret = keep_md5s(d, res);
	if (ret >= 0)
		ret = replay(fd, d, res);
	if (ret >= 0 && ftruncate(fd, res->size) < 0)
		ret = -errno;
	if (ret >= 0 && fdatasync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Parse a self description (mov_journal_stamp) found before data_start at. */
static int parse_self(char *text, uint64_t at, struct jdata *d, uint64_t *slot)
{
	char *line, *save = NULL;
	int ret = 0;

	for (line = strtok_r(text + strlen(MOV_SELF_PREFIX), "\n", &save); line && ret >= 0;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "slot %" SCNu64, slot) == 1 || !strcmp(line, "vcj 1"))
			continue;
		ret = parse_key(d, line);
	}
	if (ret >= 0 && (d->data_start != at || !*slot || mov_params_check(&d->p, NULL) < 0))
		ret = -EBADMSG;
	return ret;
}

/* Find the file's self description: the stamp at a page boundary, the description before. */
static int read_self(int fd, struct jdata *d, uint64_t *slot)
{
	char buf[MOV_SELF_SIZE + MOV_STAMP_SIZE + 1];
	const size_t want = sizeof(buf) - 1, plen = strlen(MOV_STAMP_PREFIX);

	for (uint64_t at = 4096; at <= SELF_SCAN_MAX; at += 4096) {
		ssize_t n = pread(fd, buf, want, at - want);

		if (n < 0)
			return -errno;
		if ((size_t)n < want)
			return -ENOMSG;
		if (strncmp(buf + MOV_SELF_SIZE, MOV_STAMP_PREFIX, plen) ||
		    strncmp(buf, MOV_SELF_PREFIX, strlen(MOV_SELF_PREFIX)))
			continue;
		buf[MOV_SELF_SIZE] = '\0';
		memcpy(d->id, buf + MOV_SELF_SIZE + plen, 32);
		d->id[32] = '\0';
		return parse_self(buf, at, d, slot);
	}
	return -ENOMSG;
}

/* The frames a lost log would have listed: one per slot from data_start, as far as the
 * file's written extents go (FIEMAP; else its size), in file order, a frame period each. */
static int self_frames(int fd, struct jdata *d, uint64_t slot, struct mov_recover_result *res)
{
	uint64_t size = mov_format_frame_size(d->p.format, d->p.width, d->p.height), end;
	struct stat sb;
	int ret = 0;

	if (d->p.audio.channels)
		return -EOPNOTSUPP; /* chunks of sound vary in size: only the log places them */
	if (fstat(fd, &sb) < 0)
		return -errno;
	res->by_extents = dio_fiemap_written_end(fd, d->data_start, &end) == 0;
	if (!res->by_extents || end > (uint64_t)sb.st_size)
		end = sb.st_size;
	for (uint64_t k = 0; d->data_start + k * slot + size <= end && ret >= 0; k++)
		ret = push_entry(
		    d,
		    &(struct jframe){ .offset = d->data_start + k * slot, .size = size, .pts = k });
	return ret;
}

/* No usable log: rebuild from the file's self description, unless its index is whole. */
static int recover_self(const char *path, bool force, struct jdata *d,
			struct mov_recover_result *res)
{
	struct mov_reader *r;
	uint64_t slot = 0;
	int fd, ret;

	if (mov_reader_open(path, &r, NULL, 0) == 0) {
		mov_reader_free(r);
		res->was_complete = true;
		if (!force)
			return -EEXIST;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_self(fd, d, &slot);
	if (ret >= 0)
		ret = self_frames(fd, d, slot, res);
	close(fd);
	if (ret >= 0)
		res->from_file = true;
	return ret < 0 ? ret : rebuild(path, d, res);
}

int mov_recover(const char *path, const char *journal_path, bool force,
		struct mov_recover_result *ret_result)
{
	struct mov_recover_result res = { 0 };
	struct mov_lock *lock = NULL;
	struct jdata d = { 0 };
	char jbuf[4096];
	int ret;

	if (!journal_path) {
		ret = mov_journal_path(path, jbuf, sizeof(jbuf));
		if (ret < 0)
			goto out;
		journal_path = jbuf;
	}
	/* held until the end line is written: no recording may start on the file meanwhile */
	ret = mov_lock_take(path, &lock, &res.holder);
	if (ret < 0 && ret != -EINVAL && ret != -ENOLCK && ret != -EOPNOTSUPP)
		goto out;
	ret = read_journal(journal_path, &d);
	if (ret == -ENOENT || ret == -EBADMSG) { /* lost or damaged: the file describes itself */
		res.log_err = ret;
		free(d.frames);
		d = (struct jdata){ 0 };
		ret = recover_self(path, force, &d, &res);
		goto out;
	}
	if (ret < 0)
		goto out;
	res.was_complete = d.complete;
	res.was_recovered = d.recovered;
	ret = d.complete && !force ? -EEXIST : 0;
	if (ret >= 0)
		ret = rebuild(path, &d, &res);
	if (ret >= 0)
		ret = mark_recovered(journal_path, d.whole, &res);
out:
	if (ret < 0) {
		free(res.md5);
		res.md5 = NULL;
	}
	if (ret_result)
		*ret_result = res;
	mov_lock_free(lock);
	free(d.frames);
	return ret;
}

/* vcap creates its sidecar empty before the first frame and fills it at the end: an empty
 * regular file there is the one the recording never filled, not a sidecar to keep. */
static bool sidecar_unfilled(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0;
}

int mov_recover_sidecar(const char *path, const char *journal_path,
			const struct mov_recover_result *res, bool force,
			struct mov_sidecar_result *ret_side)
{
	struct mov_sidecar_result *o = ret_side;
	char jpath[4096];
	int ret;

	*o = (struct mov_sidecar_result){ .status = MOV_SIDECAR_NONE };
	if (!journal_path) {
		ret = mov_journal_path(path, jpath, sizeof(jpath));
		if (ret < 0)
			return ret;
		journal_path = jpath;
	}
	if (mov_journal_key(journal_path, "sidecar", o->path, sizeof(o->path)) < 0)
		return 0; /* recorded without --md5 */
	if (!res->frames)
		return 0; /* nothing recorded: the sidecar vcap made stays empty */
	if (!res->md5) {
		o->status = MOV_SIDECAR_NO_MD5;
		return 0;
	}
	ret = mov_framemd5_write(o->path, path, (const uint8_t(*)[16])res->md5, res->frames,
				 force || sidecar_unfilled(o->path));
	if (ret == -EEXIST) {
		o->status = MOV_SIDECAR_KEPT;
		return 0;
	}
	if (ret < 0)
		return ret;
	o->status = MOV_SIDECAR_WRITTEN;
	return 0;
}
