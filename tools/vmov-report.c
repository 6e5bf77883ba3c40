/* vmov report: a recording's capture report (mov_report_open) written as one self-contained
 * HTML page, or as JSON for scripts. The page holds everything it shows: the data as a JSON
 * object, the plotting library (dygraphs, Debian's libjs-dygraphs, read at report time and
 * inlined), the thumbnails as data: URIs; it fetches nothing, so it opens offline. */
#include "mov.h"
#include "tool.h"
#include "vmov.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/base64.h>

/* Debian's libjs-dygraphs; VMOV_DYGRAPHS names another copy of dygraph.min.js */
#define DYGRAPHS_JS "/usr/share/javascript/dygraphs/dygraph.min.js"
#define DYGRAPHS_CSS "/usr/share/javascript/dygraphs/dygraph.min.css"
/* its extra that zooms every plot together (optional: without it each zooms alone) */
#define DYGRAPHS_SYNC "/usr/share/javascript/dygraphs/extras/synchronizer.js"

/* A JSON string that is also safe inside an HTML <script>: <, > and & as \u escapes. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number, or null for NaN (JSON has no NaN); %g is how signalstats writes its values. */
static void jnum(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%g", v);
}

static void json_info(FILE *f, const struct mov_report *r)
{
	const struct mov_info *in = &r->info;
	char cc[5];

	fprintf(f, "\"info\": {\"format\": ");
	jstr(f, in->format ? mov_format_name(in->format) : "");
	fprintf(f, ", \"tag\": ");
	jstr(f, mov_fourcc_str(in->tag, cc));
	fprintf(f, ", \"codec\": ");
	jstr(f, in->codec);
	fprintf(f,
		", \"width\": %u, \"height\": %u, \"rate_num\": %u, \"rate_den\": %u, "
		"\"field\": \"%s\", \"fiel\": \"0x%04x\", \"primaries\": %d, \"transfer\": %d, "
		"\"matrix\": %d, \"sar_num\": %u, \"sar_den\": %u, \"timecode\": ",
		in->width, in->height, in->rate_num, in->rate_den, mov_field_name(in->field),
		mov_field_fiel(in->field), in->primaries, in->transfer, in->matrix, in->sar_num,
		in->sar_den);
	jstr(f, in->timecode);
	fprintf(f,
		", \"frames\": %" PRIu64 ", \"duration\": %.6f, \"file_size\": %" PRIu64
		", \"audio_tracks\": %u, \"audio_channels\": %u, \"audio_rate\": %u, "
		"\"audio_codec\": ",
		in->samples, in->duration, in->file_size, in->audio_tracks, in->audio_channels,
		in->audio_rate);
	jstr(f, in->audio_codec);
	fputc('}', f);
}

static void json_log(FILE *f, const struct mov_report *r)
{
	fprintf(f, "\"log\": {\"path\": ");
	jstr(f, r->log_path);
	fprintf(f, ", \"present\": %s, \"error\": ", r->has_log ? "true" : "false");
	jstr(f, r->has_log		 ? ""
		: r->log_err == -ESTALE	 ? "not this file's capture log"
		: r->log_err == -EBADMSG ? "not a capture log"
		: r->log_err == -ENOENT	 ? "no capture log"
					 : strerror(-r->log_err));
	fprintf(f, ", \"complete\": %s, \"recovered\": %s, \"recording\": ",
		r->log_complete ? "true" : "false", r->log_recovered ? "true" : "false");
	jstr(f, r->recording);
	fprintf(f, ", \"sidecar\": ");
	jstr(f, r->sidecar);
	fprintf(f, ", \"frames\": %" PRIu64 ", \"synced\": %" PRIu64 ", \"audio_rate\": %u}",
		r->log_frames, r->log_synced, r->audio_rate);
	fprintf(f,
		", \"md5\": {\"source\": \"%s\", \"checked\": %" PRIu64 ", \"mismatches\": %" PRIu64
		"}",
		r->log_md5 ? "log" : "none", r->md5_checked, r->md5_mismatches);
}

/* Events, and each kind's frames alone (what a script compares with vcap's summary). */
static void json_events(FILE *f, const struct mov_report *r)
{
	static const enum mov_report_event_kind kinds[] = {
		MOV_EVENT_DROP, MOV_EVENT_FILL, MOV_EVENT_FLAGGED, MOV_EVENT_TC_BREAK,
		MOV_EVENT_XRUN, MOV_EVENT_LATE, MOV_EVENT_MD5,
	};

	fprintf(f, "\"events\": [");
	for (uint64_t i = 0; i < r->events; i++) {
		const struct mov_report_event *e = &r->event[i];
		const struct mov_report_frame *fr = &r->frame[e->frame];

		fprintf(f,
			"%s{\"kind\": \"%s\", \"frame\": %" PRIu64 ", \"t\": %.6f, \"timecode\": ",
			i ? ", " : "", mov_report_event_name(e->kind), e->frame, fr->t);
		jstr(f, fr->timecode);
		if (e->kind == MOV_EVENT_DROP)
			fprintf(f,
				", \"count\": %" PRIu64 ", \"fields\": %" PRIu32
				", \"sequence\": %" PRIu64 ", \"starved\": %s",
				e->count, e->fields, e->sequence, e->starved ? "true" : "false");
		else if (e->kind == MOV_EVENT_XRUN || e->kind == MOV_EVENT_LATE)
			fprintf(f, ", \"samples\": %" PRIu64, e->count);
		fputc('}', f);
	}
	fprintf(f, "], \"event_frames\": {");
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned n = 0;

		fprintf(f, "%s\"%s\": [", k ? ", " : "", mov_report_event_name(kinds[k]));
		for (uint64_t i = 0; i < r->events; i++)
			if (r->event[i].kind == kinds[k])
				fprintf(f, "%s%" PRIu64, n++ ? ", " : "", r->event[i].frame);
		fputc(']', f);
	}
	fputc('}', f);
}

static void json_batches(FILE *f, const struct mov_report *r)
{
	const struct mov_report_batch *b = r->batch;
	uint64_t i;

	fprintf(f, "\"batches\": {\"count\": %" PRIu64 ", \"t\": [", r->batches);
	for (i = 0; i < r->batches; i++)
		fprintf(f, "%s%.6f", i ? ", " : "", b[i].t);
	fprintf(f, "], \"first\": [");
	for (i = 0; i < r->batches; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", b[i].first);
	fprintf(f, "], \"frames\": [");
	for (i = 0; i < r->batches; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", b[i].frames);
	fprintf(f, "], \"latency_ms\": [");
	for (i = 0; i < r->batches; i++)
		fprintf(f, "%s%.3f", i ? ", " : "", b[i].latency_ms);
	fprintf(f, "], \"held\": [");
	for (i = 0; i < r->batches; i++)
		fprintf(f, "%s%u", i ? ", " : "", b[i].held);
	fprintf(f, "], \"slots\": %u, \"drift_ppm\": [", r->batches ? b[0].slots : 0);
	for (i = 0; i < r->batches; i++) {
		fputs(i ? ", " : "", f);
		jnum(f, b[i].drift_known ? b[i].drift_ppm : NAN);
	}
	fputs("]}", f);
}

/* Per frame, one array per column. */
static void json_frames(FILE *f, const struct mov_report *r)
{
	const struct mov_report_frame *fr = r->frame;
	uint64_t i;

	fprintf(f, "\"per_frame\": {\"t\": [");
	for (i = 0; i < r->frames; i++)
		fprintf(f, "%s%.6f", i ? ", " : "", fr[i].t);
	fprintf(f, "], \"timecode\": [");
	for (i = 0; i < r->frames; i++) {
		fputs(i ? ", " : "", f);
		jstr(f, fr[i].timecode);
	}
	if (r->has_log) {
		fprintf(f, "], \"sequence\": [");
		for (i = 0; i < r->frames; i++)
			fprintf(f, "%s%" PRIu64, i ? ", " : "", fr[i].sequence);
		fprintf(f, "], \"timestamp\": [");
		for (i = 0; i < r->frames; i++)
			fprintf(f, "%s%.9f", i ? ", " : "", fr[i].timestamp);
	}
	for (unsigned k = 0; r->stats && k < MOV_REPORT_STATS; k++) {
		fprintf(f, "], \"%s\": [", mov_report_stat_name(k));
		for (i = 0; i < r->frames; i++) {
			fputs(i ? ", " : "", f);
			jnum(f, fr[i].has_stats ? fr[i].stat[k] : NAN);
		}
	}
	fputs("]}", f);
}

static void write_json(FILE *f, const struct mov_report *r, const char *file)
{
	fprintf(f, "{\"file\": ");
	jstr(f, file);
	fputs(", ", f);
	json_info(f, r);
	fputs(", ", f);
	json_log(f, r);
	fprintf(f, ", \"stats\": %s, \"stats_filter\": ", r->stats ? "true" : "false");
	jstr(f, r->stats_filter);
	fputs(", \"stat_names\": [", f);
	for (unsigned k = 0; k < MOV_REPORT_STATS; k++)
		fprintf(f, "%s\"%s\"", k ? ", " : "", mov_report_stat_name(k));
	fputs("], ", f);
	json_events(f, r);
	fputs(", ", f);
	json_batches(f, r);
	fputs(", \"drift_ppm\": ", f);
	jnum(f, r->drift_known ? r->drift_ppm : NAN);
	fputs(", \"thumbnails\": [", f);
	for (unsigned i = 0; i < r->thumbs; i++)
		fprintf(f, "%s{\"frame\": %" PRIu64 ", \"t\": %.6f, \"width\": %u, \"height\": %u}",
			i ? ", " : "", r->thumb[i].frame, r->thumb[i].t, r->thumb[i].width,
			r->thumb[i].height);
	fputs("], ", f);
	json_frames(f, r);
	fputs("}\n", f);
}

/* The whole of a file into a malloc'd string (*ret), without its sourceMappingURL comment
 * (the map is not in the page). */
static int slurp(const char *path, char **ret)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL, *map;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	if (!f)
		return -errno;
	n = getdelim(&buf, &cap, '\0', f);
	if (n < 0)
		err = feof(f) ? -ENODATA : -errno;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	map = strstr(buf, "//# sourceMappingURL=");
	if (map)
		*map = '\0';
	if (strstr(buf, "</script") || strstr(buf, "</style")) {
		free(buf);
		return -EBADMSG; /* would end the page's element early */
	}
	*ret = buf;
	return 0;
}

/* A label as HTML text: only what a timecode is made of (a hostile log's label is text). */
static const char *html_tc(const char *tc, char *buf, size_t len)
{
	size_t n = 0;

	for (; *tc && n + 1 < len; tc++)
		if ((*tc >= '0' && *tc <= '9') || *tc == ':' || *tc == ';' || *tc == '.')
			buf[n++] = *tc;
	buf[n] = '\0';
	return buf;
}

static void write_thumbs(FILE *f, const struct mov_report *r)
{
	char tc[16];

	fputs("<div class=\"strip\">\n", f);
	for (unsigned i = 0; i < r->thumbs; i++) {
		const struct mov_report_thumb *t = &r->thumb[i];
		size_t len = AV_BASE64_SIZE(t->size);
		char *b64 = malloc(len);

		if (!b64 || !av_base64_encode(b64, (int)len, t->png, (int)t->size)) {
			free(b64);
			continue;
		}
		fprintf(f,
			"<figure><img width=\"%u\" height=\"%u\" alt=\"frame %" PRIu64
			"\" src=\"data:image/png;base64,%s\"><figcaption>%.2f s, frame %" PRIu64
			"<br>%s</figcaption></figure>\n",
			t->width, t->height, t->frame, b64, t->t, t->frame,
			html_tc(r->frame[t->frame].timecode, tc, sizeof(tc)));
		free(b64);
	}
	fputs("</div>\n", f);
}

#include "vmov-report-page.h"

/* The page's parts that come from the plotting library's files. */
struct lib {
	char *js, *css, *sync;
};

static int write_html(FILE *f, const struct mov_report *r, const char *file, const struct lib *lib)
{
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>");
	fputs("vmov report", f);
	fprintf(f, "</title>\n<style>%s\n%s</style>\n</head><body>\n", lib->css, page_css);
	fputs(page_body, f);
	write_thumbs(f, r);
	fputs(page_after_thumbs, f);
	fprintf(f, "<script>%s</script>\n<script>%s</script>\n<script>const R = ", lib->js,
		lib->sync);
	write_json(f, r, file);
	fprintf(f, ";</script>\n<script>%s</script>\n</body></html>\n", page_js);
	return ferror(f) ? -EIO : 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return b && b[0] && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The output: -o, else FILE.html; never the input or its log (not even with --force), never
 * through a link. */
static int open_out(const struct vm_report_args *a, const char *out, const char *log, FILE **ret)
{
	int fd;

	if (!strcmp(out, "-")) {
		*ret = stdout;
		return 0;
	}
	if (same_file(out, a->file) || same_file(out, log)) {
		tool_err(a->tool, 0, "give another -o", "%s is the %s itself", out,
			 same_file(out, a->file) ? "recording" : "capture log");
		return -EINVAL;
	}
	fd = dio_create(out, O_WRONLY | O_TRUNC, a->force);
	if (fd < 0) {
		tool_err(a->tool, fd,
			 fd == -EEXIST ? "use --force to replace it, or another name" : NULL,
			 "creating %s", out);
		return fd;
	}
	*ret = fdopen(fd, "w");
	if (!*ret) {
		close(fd);
		return -errno;
	}
	return 0;
}

static int load_library(const struct vm_report_args *a, struct lib *lib)
{
	const char *jp = getenv("VMOV_DYGRAPHS") ? getenv("VMOV_DYGRAPHS") : DYGRAPHS_JS;
	int ret = slurp(jp, &lib->js);

	if (ret < 0) {
		tool_err(a->tool, ret, "install libjs-dygraphs (make deps)", "reading %s", jp);
		return ret;
	}
	/* the charts work without these, less neat */
	if (slurp(DYGRAPHS_CSS, &lib->css) < 0)
		lib->css = strdup("");
	if (slurp(DYGRAPHS_SYNC, &lib->sync) < 0)
		lib->sync = strdup("");
	return lib->css && lib->sync ? 0 : -ENOMEM;
}

int vm_report(const struct vm_report_args *a)
{
	struct mov_report_opts o = { .journal = a->journal,
				     .thumb_every = a->thumb_every,
				     .no_stats = a->no_stats };
	struct mov_report *r = NULL;
	char why[200] = "", def[4096];
	struct lib lib = { 0 };
	const char *out = a->out;
	FILE *f = NULL;
	int ret, code = EXIT_SETUP;

	if (!out && !a->json) {
		if (snprintf(def, sizeof(def), "%s.html", a->file) >= (int)sizeof(def)) {
			tool_err(a->tool, ENAMETOOLONG, NULL, "%s", a->file);
			return EXIT_USAGE;
		}
		out = def;
	}
	if (!a->json && load_library(a, &lib) < 0)
		goto out_free;
	ret = mov_report_open(a->file, &o, &r, why, sizeof(why));
	if (ret < 0) {
		tool_err(a->tool, why[0] ? 0 : ret, NULL, "%s%s%s", a->file, why[0] ? ": " : "",
			 why);
		goto out_free;
	}
	if (out ? open_out(a, out, r->log_path, &f) < 0 : (f = stdout, false))
		goto out_free;
	if (a->json)
		write_json(f, r, a->file);
	else
		write_html(f, r, a->file, &lib);
	code = EXIT_OK;
	if (fflush(f) != 0 || ferror(f)) {
		tool_err(a->tool, errno, NULL, "writing %s", out ? out : "stdout");
		code = EXIT_FAILURE_RUN;
	}
	if (f != stdout && fclose(f) != 0 && code == EXIT_OK) {
		tool_err(a->tool, errno, NULL, "writing %s", out);
		code = EXIT_FAILURE_RUN;
	}
	if (code == EXIT_OK && out && strcmp(out, "-") && !a->json)
		fprintf(stderr,
			"vmov: wrote %s: %" PRIu64 " frames, %" PRIu64 " events, %u thumbnails%s\n",
			out, r->frames, r->events, r->thumbs,
			r->has_log ? "" : " (no capture log: no capture panels)");
out_free:
	mov_report_free(r);
	free(lib.js);
	free(lib.css);
	free(lib.sync);
	return code;
}
