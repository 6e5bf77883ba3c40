/* Minimal test harness for unit tests: one behaviour per T_CASE, results as PASS/FAIL/SKIP lines
 * that tests/run counts. A failed T_ASSERT ends the current case. */
#ifndef VCAP_T_H
#define VCAP_T_H

#include <stdio.h>
#include <string.h>

struct t_state {
	int failed;
	int skipped;
	int total_failed;
};

#define T_ASSERT(st, cond)                                                                 \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("  %s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
			(st)->failed = 1;                                                  \
			return;                                                            \
		}                                                                          \
	} while (0)

#define T_EQ(st, a, b)                                                                     \
	do {                                                                               \
		long long _a = (long long)(a), _b = (long long)(b);                        \
		if (_a != _b) {                                                            \
			printf("  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__,     \
			       __LINE__, #a, _a, #b, _b);                                  \
			(st)->failed = 1;                                                  \
			return;                                                            \
		}                                                                          \
	} while (0)

#define T_STREQ(st, a, b)                                                                  \
	do {                                                                               \
		const char *_a = (a), *_b = (b);                                           \
		if (!_a || !_b || strcmp(_a, _b)) {                                        \
			printf("  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,       \
			       __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");      \
			(st)->failed = 1;                                                  \
			return;                                                            \
		}                                                                          \
	} while (0)

/* Mark the current case skipped, with the reason printed on its SKIP line. */
#define T_SKIP(st, why)                                                                    \
	do {                                                                               \
		printf("  skip: %s\n", why);                                               \
		(st)->skipped = 1;                                                         \
		return;                                                                    \
	} while (0)

#define T_RUN(st, fn)                                                                      \
	do {                                                                               \
		(st)->failed = (st)->skipped = 0;                                          \
		fn(st);                                                                    \
		if ((st)->failed) {                                                        \
			printf("FAIL: %s\n", #fn);                                         \
			(st)->total_failed++;                                              \
		} else if ((st)->skipped) {                                                \
			printf("SKIP: %s\n", #fn);                                         \
		} else {                                                                   \
			printf("PASS: %s\n", #fn);                                         \
		}                                                                          \
		fflush(stdout);                                                            \
	} while (0)

#define T_EXIT(st) ((st)->total_failed ? 1 : 0)

#endif
