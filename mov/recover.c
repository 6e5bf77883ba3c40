/* Recovery: rebuild the index of a file whose capture never wrote its moov, by replaying the
 * journal into a fresh muxer with the payload skipped (it is already in the file). */
#include "mov-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct jframe {
	uint64_t offset;
	uint32_t size;
	int64_t pts;
};

struct jdata {
	struct mov_params p;
	char timecode[32];
	uint64_t data_start;
	bool complete;
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
	if (sscanf(line, "data_start %" SCNu64, &d->data_start) == 1)
		return 0;
	if (!strncmp(line, "end ", 4)) {
		d->complete = true;
		return 0;
	}
	return 0; /* "columns" and unknown keys: ignored, for later versions */
}

static int parse_frame(struct jdata *d, const char *line)
{
	struct jframe f;
	uint64_t index;

	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNd64, &index, &f.offset, &f.size,
		   &f.pts) != 4)
		return -EBADMSG;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct jframe *nf = realloc(d->frames, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		d->frames = nf;
		d->cap = cap;
	}
	d->frames[d->n++] = f;
	return 0;
}

static int read_journal(const char *path, struct jdata *d)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	bool first = true;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* cut short by a crash */
		line[len - 1] = '\0';
		if (first)
			ret = strcmp(line, "vcj 1") ? -EBADMSG : 0;
		else if (line[0] >= '0' && line[0] <= '9')
			ret = parse_frame(d, line);
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

/* The header size these parameters give, measured on a scratch memfd so that a header
 * longer than the original can never land on the first frame. */
static int header_size(const struct mov_params *p, uint64_t *ret_size)
{
	struct mov_writer *w;
	int fd, ret;

	fd = memfd_create("vcap-mov-header", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = mov_writer_open(fd, p, &w);
	if (ret >= 0) {
		*ret_size = mov_writer_data_start(w);
		mov_writer_free(w);
	}
	close(fd);
	return ret;
}

static int replay(int fd, const struct jdata *d, uint64_t file_size,
		  struct mov_recover_result *res)
{
	struct mov_writer *w;
	uint64_t hdr = 0;
	size_t i;
	int ret;

	ret = header_size(&d->p, &hdr);
	if (ret < 0)
		return ret;
	if (hdr > d->frames[0].offset)
		return -EPROTO;
	ret = mov_writer_open(fd, &d->p, &w);
	if (ret < 0)
		return ret;
	for (i = 0; i < d->n; i++) {
		const struct jframe *f = &d->frames[i];

		if (f->offset + f->size > file_size) {
			res->dropped++;
			continue;
		}
		ret = mov_writer_add(w, f->offset, NULL, f->size, f->pts);
		if (ret < 0)
			goto out_free;
	}
	res->frames = mov_writer_count(w);
	ret = res->frames ? mov_writer_finish(w, 0, &res->size) : -ENODATA;
out_free:
	mov_writer_free(w);
	return ret;
}

static int mark_recovered(const char *jpath, const struct mov_recover_result *res)
{
	FILE *f = fopen(jpath, "ae");
	int ret;

	if (!f)
		return -errno;
	fprintf(f, "end frames=%" PRIu64 " size=%" PRIu64 " recovered\n", res->frames, res->size);
	ret = fflush(f) ? -errno : 0;
	if (fclose(f) && ret >= 0)
		ret = -errno;
	return ret;
}

int mov_recover(const char *path, const char *journal_path, bool force,
		struct mov_recover_result *ret_result)
{
	struct mov_recover_result res = { 0 };
	struct jdata d = { 0 };
	char jbuf[4096];
	struct stat sb;
	int fd, ret;

	if (!journal_path) {
		ret = mov_journal_path(path, jbuf, sizeof(jbuf));
		if (ret < 0)
			return ret;
		journal_path = jbuf;
	}
	ret = read_journal(journal_path, &d);
	if (ret < 0)
		goto out_free;
	res.was_complete = d.complete;
	ret = d.complete && !force ? -EEXIST : d.n ? 0 : -ENODATA;
	if (ret < 0)
		goto out_free;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = fstat(fd, &sb) < 0 ? -errno : replay(fd, &d, sb.st_size, &res);
	if (ret >= 0 && ftruncate(fd, res.size) < 0)
		ret = -errno;
	if (ret >= 0 && fdatasync(fd) < 0)
		ret = -errno;
	close(fd);
	if (ret >= 0)
		ret = mark_recovered(journal_path, &res);
	if (ret >= 0 && ret_result)
		*ret_result = res;
out_free:
	free(d.frames);
	return ret;
}
