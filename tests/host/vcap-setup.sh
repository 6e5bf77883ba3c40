#!/usr/bin/env bash
# vcap's setup refusals that need no device: V4L2 options given to the pattern source. (A
# low RLIMIT_MEMLOCK is no refusal: tests/host/memlock.sh.)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib.sh
cd "$TMP" || exit 1

"$BIN/vcap" --source pattern --std pal -n 3 -q -o p.mov 2>err.txt
check pattern-std-exit 3 $?
if grep -q "need --source v4l2" err.txt; then pass pattern-std-message; else fail pattern-std-message "$(cat err.txt)"; fi
check pattern-std-nothing-left "" "$(ls p.mov* 2>/dev/null)"
exit "${FAILED:-0}"
