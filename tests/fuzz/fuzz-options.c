/* Fuzz target: the option values the tools parse (tools/parse.c and the library's name
 * parsers they call), then what vcap makes of them together (cap_record_check: the
 * recording's configuration checked before anything is touched).
 *
 * Input: lines "OPTION VALUE" (e.g. "--rate 29.97", "-t 00:00:10:00"), as vcap, vplay, vmov and
 * vbench take them; an option none of them has is tried with every parser. Each value is
 * parsed as the tool parses it; what is accepted must be in the option's range and print
 * back to a value that parses the same (sizes, rates, counts); seconds are finite. Then the
 * vcap options, as a command line of the pattern source, go through cap_record_check, whose
 * frame count from -t must be sane. */
#include "cap.h"
#include "mov.h"
#include "play.h"
#include "tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-options: '%s': %s:%d: %s\n", v, __FILE__, __LINE__,  \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A value accepted as an integer field is made of digits and the given separators only: no
 * sign, no space, no exponent for sscanf or strtod to read as some other number. */
static int only(const char *v, const char *seps)
{
	for (; *v; v++)
		if (!(*v >= '0' && *v <= '9') && !strchr(seps, *v))
			return 0;
	return 1;
}

static void size_value(const char *v)
{
	unsigned w, h, w2, h2;
	char s[48];

	if (tool_parse_size(v, &w, &h))
		return;
	CHECK(w >= 1 && w <= 16384 && h >= 1 && h <= 16384);
	snprintf(s, sizeof(s), "%ux%u", w, h);
	CHECK(tool_parse_size(s, &w2, &h2) == 0 && w2 == w && h2 == h);
}

static void rate_value(const char *v)
{
	unsigned n, d, n2, d2;
	char s[48];

	if (tool_parse_rate(v, &n, &d))
		return;
	CHECK(n >= 1 && n <= 1000000 && d >= 1 && d <= 1000000);
	snprintf(s, sizeof(s), "%u/%u", n, d);
	CHECK(tool_parse_rate(s, &n2, &d2) == 0 && n2 == n && d2 == d);
}

static void bytes_value(const char *v)
{
	uint64_t b, b2;
	char s[48];

	if (tool_parse_bytes(v, &b))
		return;
	snprintf(s, sizeof(s), "%llu", (unsigned long long)b);
	CHECK(tool_parse_bytes(s, &b2) == 0 && b2 == b);
}

static void uint_value(const char *v, unsigned min, unsigned max, unsigned *ret)
{
	unsigned n, n2;
	char s[24];

	if (tool_parse_uint(v, min, max, &n))
		return;
	CHECK(n >= min && n <= max && only(v, ""));
	snprintf(s, sizeof(s), "%u", n);
	CHECK(tool_parse_uint(s, min, max, &n2) == 0 && n2 == n);
	if (ret)
		*ret = n;
}

static void seconds_value(const char *v, double *ret)
{
	double sec;

	if (tool_parse_seconds(v, &sec))
		return;
	CHECK(isfinite(sec) && sec > 0);
	if (ret)
		*ret = sec;
}

static void aspect_value(const char *v, struct cap_record_config *rec)
{
	unsigned n, d;

	if (tool_parse_aspect(v, &n, &d))
		return;
	CHECK(n >= 1 && n <= 1000 && d >= 1 && d <= 1000 && only(v, ":"));
	rec->aspect_num = n;
	rec->aspect_den = d;
}

static void mode_value(const char *v)
{
	if (tool_parse_mode(v) == 0)
		CHECK(only(v, "x@"));
}

static void names_value(const char *v, struct cap_record_config *rec)
{
	const struct mov_format *f = mov_format_find(v);
	enum mov_field mf;
	enum mov_colour mc;
	enum mov_audio_tracks at;
	enum cap_field cf;
	enum cap_audio_format af;
	enum cap_on_drop od;
	unsigned ppm;

	if (f)
		CHECK(mov_format_find(mov_format_name(f)) == f);
	if (mov_field_parse(v, &mf) == 0)
		CHECK(mf < MOV_FIELD_UNKNOWN);
	if (mov_colour_parse(v, &mc) == 0)
		CHECK(mov_colour_parse(mov_colour_name(mc), &mc) == 0);
	if (mov_audio_tracks_parse(v, &at) == 0)
		CHECK(!strcmp(mov_audio_tracks_name(at), v));
	if (cap_field_parse(v, &cf) == 0)
		CHECK(cap_field_parse(cap_field_name(cf), &cf) == 0);
	cap_audio_format_parse(v, &af);
	cap_source_find(v);
	if (tool_parse_on_drop(v, &od) == 0)
		rec->on_drop = od;
	if (tool_parse_drift(v, &ppm) == 0)
		CHECK(ppm <= 1000000);
}

/* What vcap's main starts from. */
struct conf {
	struct cap_record_config rec;
	char pattern_tc[16];
	char strings[8][64]; /* timecodes and paths, copied out of the input */
	unsigned nstrings;
};

static const char *keep(struct conf *c, const char *v)
{
	if (c->nstrings == 8)
		return NULL;
	snprintf(c->strings[c->nstrings], sizeof(c->strings[0]), "%s", v);
	return c->strings[c->nstrings++];
}

/* vcap's own options, as its parse_opt takes them. */
static int vcap_option(struct conf *c, const char *o, const char *v)
{
	struct cap_record_config *rec = &c->rec;
	struct cap_config *k = &rec->cap;
	unsigned n;
	char bad[256];

	if (!strcmp(o, "--size"))
		return !strcmp(v, "auto") ? (k->width = k->height = 0)
					  : tool_parse_size(v, &k->width, &k->height);
	if (!strcmp(o, "--format"))
		return (k->format = mov_format_find(v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--rate") && !strcmp(v, "max"))
		return k->paced = false, 0;
	if (!strcmp(o, "--rate"))
		return tool_parse_rate(v, &k->rate_num, &k->rate_den);
	if (!strcmp(o, "--field"))
		return !strcmp(v, "auto") ? (k->field_auto = true, 0)
					  : (k->field_auto = false, cap_field_parse(v, &k->field));
	if (!strcmp(o, "-n") && !tool_parse_uint(v, 1, 4000000000u, &n))
		return rec->frames = n, 0;
	if (!strcmp(o, "-t") && strpbrk(v, ":;"))
		return (rec->duration_tc = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "-t"))
		return tool_parse_seconds(v, &rec->seconds);
	if (!strcmp(o, "--fields") && !tool_parse_uint(v, 1, 4000000000u, &n))
		return rec->fields = n, 0;
	if (!strcmp(o, "--timecode"))
		return (rec->timecode = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--start-timecode"))
		return (rec->start_tc = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--stop-timecode"))
		return (rec->stop_tc = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--pattern"))
		return tool_parse_pattern(v, k, c->pattern_tc, sizeof(c->pattern_tc), bad,
					  sizeof(bad));
	if (!strcmp(o, "--md5"))
		return (rec->md5_path = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "-o"))
		return (rec->out = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--source"))
		return (rec->source = cap_source_find(v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--device"))
		return (k->device = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--colour"))
		return mov_colour_parse(v, &rec->colour);
	if (!strcmp(o, "--align"))
		return tool_parse_bytes(v, &rec->align);
	if (!strcmp(o, "--audio"))
		return (rec->audio.device = keep(c, v)) ? 0 : -EINVAL;
	if (!strcmp(o, "--audio-channels"))
		return tool_parse_uint(v, 1, 16, &rec->audio.channels);
	if (!strcmp(o, "--audio-rate"))
		return tool_parse_uint(v, 8000, 192000, &rec->audio.rate);
	if (!strcmp(o, "--audio-format"))
		return cap_audio_format_parse(v, &rec->audio.format);
	if (!strcmp(o, "--audio-tracks"))
		return mov_audio_tracks_parse(v, &rec->audio_tracks);
	return -ENOENT;
}

/* Every parser on v, with what it must give when it accepts v. */
static void every_parser(struct conf *c, const char *v)
{
	size_value(v);
	rate_value(v);
	bytes_value(v);
	uint_value(v, 0, 4000000000u, NULL);
	uint_value(v, 20, 10000, NULL);
	seconds_value(v, NULL);
	aspect_value(v, &c->rec);
	mode_value(v);
	names_value(v, &c->rec);
}

/* The option's own parser first (the one its tool calls), then all of them. */
static void one_option(struct conf *c, const char *o, const char *v)
{
	vcap_option(c, o, v);
	every_parser(c, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = calloc(1, sizeof(*c));
	char *text = malloc(size + 1), *line, *save = NULL;
	struct cap_why why = { 0 };
	const char *v = "(the options together)";
	int ret;

	if (!c || !text)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	c->rec = (struct cap_record_config){ .source = cap_source_find("pattern"),
					     .cap = { .paced = true, .field_auto = true },
					     .batch = 8,
					     .depth = 4,
					     .out = "x.mov" };
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (sp)
			*sp = '\0';
		one_option(c, line, sp ? sp + 1 : line);
	}
	ret = cap_record_check(&c->rec, &why);
	if (ret < 0)
		CHECK(why.what[0]); /* vcap prints it as its one line */
	else if (!c->rec.policies_deferred && c->rec.source == cap_source_find("pattern"))
		CHECK(c->rec.cap.format && c->rec.cap.rate_num && c->rec.cap.rate_den &&
		      (!c->rec.by_duration || c->rec.frames >= 1));
out:
	free(text);
	free(c);
	return 0;
}
