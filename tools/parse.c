/* The option values the tools take, parsed: sizes, rates, byte counts, numbers, seconds, and
 * the values of vcap's and vplay's own options. Nothing here prints: each returns 0 or -errno
 * (-EINVAL: not the syntax; -ERANGE: out of range), and the tool says what was wrong. One
 * file for all of them, so that tests/fuzz/fuzz-options.c runs the very parsers the tools
 * call. */
#include "tool.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char *s, char **end, uint64_t *ret)
{
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno)
		return -errno;
	*ret = v;
	return 0;
}

int tool_parse_size(const char *s, unsigned *ret_w, unsigned *ret_h)
{
	uint64_t w, h;
	char *end;

	if (parse_u64(s, &end, &w) || (*end != 'x' && *end != 'X'))
		return -EINVAL;
	if (parse_u64(end + 1, &end, &h) || *end)
		return -EINVAL;
	if (!w || !h || w > 16384 || h > 16384)
		return -ERANGE;
	*ret_w = w;
	*ret_h = h;
	return 0;
}

int tool_parse_rate(const char *s, unsigned *ret_num, unsigned *ret_den)
{
	uint64_t n, d = 1;
	char *end;

	if (parse_u64(s, &end, &n))
		return -EINVAL;
	if (*end == '/') {
		if (parse_u64(end + 1, &end, &d) || *end || !d)
			return -EINVAL;
	} else if (*end == '.') {
		/* 29.97 -> 30000/1001 style: decimals are taken as NTSC-family rates when they
		 * are, else as exact thousandths. */
		double v = strtod(s, &end);

		if (*end || !(v > 0))
			return -EINVAL;
		if (v > 1000000)
			return -ERANGE; /* and v x 1000 below fits a uint64_t */
		for (unsigned base = 24; base <= 120; base++) {
			double ntsc = base * 1000.0 / 1001.0;

			if (ntsc - v < 0.006 && v - ntsc < 0.006) {
				*ret_num = base * 1000;
				*ret_den = 1001;
				return 0;
			}
		}
		n = (uint64_t)(v * 1000 + 0.5);
		d = 1000;
	} else if (*end) {
		return -EINVAL;
	}
	if (!n || n > 1000000 || d > 1000000)
		return -ERANGE;
	*ret_num = n;
	*ret_den = d;
	return 0;
}

int tool_parse_bytes(const char *s, uint64_t *ret)
{
	uint64_t v;
	char *end;
	unsigned shift = 0;

	if (parse_u64(s, &end, &v))
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

int tool_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;
	char *end;

	if (parse_u64(s, &end, &v) || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int tool_parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || isinf(v)) /* strtod takes "inf" and "nan" too */
		return -EINVAL;
	*ret = v;
	return 0;
}

/* --aspect W:H, each term 1 to 1000 ("4:3", "16:9"; "1.85:1" is not a ratio of integers).
 * Digits only: sscanf's %u would take " 4:3", "+4:3" and "-4294967295:3" (as 1:3). */
int tool_parse_aspect(const char *s, unsigned *ret_num, unsigned *ret_den)
{
	uint64_t n, d;
	char *end;

	if (parse_u64(s, &end, &n) || *end != ':' || parse_u64(end + 1, &end, &d) || *end)
		return -EINVAL;
	if (!n || !d || n > 1000 || d > 1000)
		return -EINVAL;
	*ret_num = n;
	*ret_den = d;
	return 0;
}

int tool_parse_on_drop(const char *s, enum cap_on_drop *ret)
{
	static const char *const names[] = { "continue", "stop", "fail" };

	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(s, names[i]))
			return *ret = i, 0;
	return -EINVAL;
}

int tool_parse_pattern(const char *s, struct cap_config *k, char *tc, size_t tc_len, char *bad,
		       size_t bad_len)
{
	char buf[256], *save = NULL, *kv;

	snprintf(bad, bad_len, "%s", s);
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		int ret = -EINVAL;

		if (!v) {
			snprintf(bad, bad_len, "%s", kv);
			return -EINVAL;
		}
		*v++ = '\0';
		if (!strcmp(kv, "timecode") && snprintf(tc, tc_len, "%s", v) < (int)tc_len)
			k->pattern.timecode = tc, ret = 0;
		else if (!strcmp(kv, "drop-every"))
			ret = tool_parse_uint(v, 2, 1000000, &k->pattern.drop_every);
		else if (!strcmp(kv, "lose-first"))
			ret = tool_parse_uint(v, 1, 1000000, &k->pattern.lose_first);
		else if (!strcmp(kv, "error-every"))
			ret = tool_parse_uint(v, 1, 1000000, &k->pattern.error_every);
		else if (!strcmp(kv, "fail-after"))
			ret = tool_parse_uint(v, 1, 4000000000u, &k->pattern.fail_after);
		else if (!strcmp(kv, "tc-jump-every"))
			ret = tool_parse_uint(v, 1, 1000000, &k->pattern.tc_jump_every);
		else if (!strcmp(kv, "seq-repeat-every"))
			ret = tool_parse_uint(v, 2, 1000000, &k->pattern.seq_repeat_every);
		if (ret < 0)
			return -EINVAL;
	}
	return 0;
}

int tool_parse_drift(const char *s, unsigned *ret_ppm)
{
	unsigned ppm;

	if (!strcmp(s, "report"))
		return *ret_ppm = 0, 0;
	if (strncmp(s, "fail=", 5) || tool_parse_uint(s + 5, 1, 1000000, &ppm))
		return -EINVAL;
	*ret_ppm = ppm;
	return 0;
}

/* Digits only, as --size takes them (sscanf's %u would take " 720x576" and "-1x-1"). */
int tool_parse_mode(const char *s)
{
	uint64_t w, h, hz = 1;
	char *end;

	if (parse_u64(s, &end, &w) || *end != 'x' || parse_u64(end + 1, &end, &h))
		return -EINVAL;
	if (*end == '@' && parse_u64(end + 1, &end, &hz))
		return -EINVAL;
	if (*end || !w || !h || w > 16384 || h > 16384 || !hz || hz > 1000)
		return -EINVAL;
	return 0;
}
