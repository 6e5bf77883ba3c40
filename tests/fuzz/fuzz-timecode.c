/* Fuzz target: the SMPTE timecode labels (mov/params.c: mov_timecode_check, _parse, _frames,
 * _string, _add; playback/timecode.c: play_timecode_is_drop), as vcap's --timecode,
 * --start-timecode, --stop-timecode, -t HH:MM:SS:FF and --pattern timecode=, vplay's --start and
 * a capture log's labels reach them.
 *
 * Input: the label, up to the first NUL; after it, optionally, 8 bytes of a frame offset and 4
 * + 4 bytes of a frame rate (little-endian), tried besides the rates of the table. What holds
 * for every valid label: it parses to a count inside the day, prints back to a label that
 * parses to the same count in the same (drop-frame or not) style, and adding an offset moves
 * the count by that offset round the clock. */
#include "mov-internal.h"
#include "play.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-timecode: '%s' at %u/%u: %s:%d: %s\n", tc, num, den, \
				__FILE__, __LINE__, #cond);                                        \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const unsigned rates[][2] = {
	{ 25, 1 },	  { 30000, 1001 }, { 60000, 1001 }, { 24000, 1001 },  { 24, 1 },
	{ 30, 1 },	  { 50, 1 },	   { 60, 1 },	    { 120000, 1001 }, { 90000, 1001 },
	{ 100, 1 },	  { 1000, 1 },	   { 25000, 1001 }, { 1, 1 },	      { 7, 3 },
	{ 510000, 1001 }, { 0, 1 },	   { 25, 0 },
};

static int64_t day_labels(const struct mov_timecode *t)
{
	return (int64_t)t->fps * 86400 - (int64_t)t->drop * 24 * 54;
}

static void one_rate(const char *tc, unsigned num, unsigned den, int64_t offset)
{
	struct mov_timecode t, back;
	const char *why = NULL;
	char s[32], s2[32];
	int64_t frames, frames2, day, want;
	int valid = mov_timecode_check(tc, num, den, &why) == 0;

	CHECK(valid || why);
	CHECK((mov_timecode_parse(tc, num, den, &t) == 0) == valid);
	CHECK((mov_timecode_frames(tc, num, den, &frames) == 0) == valid);
	if (!valid) {
		CHECK(mov_timecode_add(tc, offset, num, den, s, sizeof(s)) < 0);
		return;
	}
	day = day_labels(&t);
	CHECK(frames == t.start);
	CHECK(t.fps > 0 && day > 0 && t.start >= 0 && t.start < day);
	CHECK(!play_timecode_is_drop(tc) == !t.drop);

	/* the count prints back to a label of the same count and style (two digits of frames:
	 * rates up to 100 labels a second) */
	mov_timecode_string(&t, 0, s, sizeof(s));
	CHECK(mov_timecode_add(tc, offset, num, den, s2, sizeof(s2)) == 0);
	if (t.fps > 100)
		return;
	CHECK(strlen(s) == 11);
	CHECK(mov_timecode_parse(s, num, den, &back) == 0);
	CHECK(back.start == t.start && back.drop == t.drop && back.fps == t.fps);

	/* offset frames later, round the clock */
	want = ((t.start + offset % day) % day + day) % day;
	CHECK(mov_timecode_frames(s2, num, den, &frames2) == 0);
	CHECK(frames2 == want);
	CHECK(!play_timecode_is_drop(s2) == !t.drop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t len = nul ? (size_t)(nul - data) : size, rest = nul ? size - len - 1 : 0;
	const uint8_t *p = nul ? nul + 1 : NULL;
	int64_t offset = 1;
	char *tc;

	if (len > 64)
		return 0;
	tc = malloc(len + 1); /* exactly its bytes: a read past the label is ASan's to see */
	if (!tc)
		return 0;
	memcpy(tc, data, len);
	tc[len] = '\0';
	if (rest >= 8) {
		uint64_t v = 0;

		for (int i = 7; i >= 0; i--)
			v = v << 8 | p[i];
		offset = (int64_t)v;
	}
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		one_rate(tc, rates[i][0], rates[i][1], offset);
	if (rest >= 16) {
		unsigned num = (unsigned)p[8] | (unsigned)p[9] << 8 | (unsigned)p[10] << 16 |
			       (unsigned)p[11] << 24;
		unsigned den = (unsigned)p[12] | (unsigned)p[13] << 8 | (unsigned)p[14] << 16 |
			       (unsigned)p[15] << 24;

		one_rate(tc, num, den, offset);
	}
	free(tc);
	return 0;
}
