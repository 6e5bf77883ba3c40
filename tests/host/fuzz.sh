#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/fuzz-*.c: the MOV reader, recovery from a capture log,
# timecode labels, the tools' option values), built by make fuzz-build into build-fuzz/ and
# run FUZZ_TEST_SECONDS (default 60) each from their seeds in tests/fuzz/corpus/, the
# regression seeds of every crash found so far among them: one PASS line per target with its
# execs and coverage, or FAIL with the input that crashed (kept in build-fuzz/crashes/). make
# fuzz runs the same for 600 s each. Skipped only when clang is not installed (make deps).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
command -v "${FUZZ_CC:-clang}" >/dev/null || skip_all "clang missing (make deps): the fuzz targets need it"
if ! make --no-print-directory fuzz-build >"$TMP/build.log" 2>&1; then
	echo "FAIL: fuzz-build: $(grep -m 1 -E 'error|cannot find' "$TMP/build.log" || tail -n 1 "$TMP/build.log")"
	exit 1
fi
FUZZ_SECONDS=${FUZZ_TEST_SECONDS:-60} tests/fuzz/run
