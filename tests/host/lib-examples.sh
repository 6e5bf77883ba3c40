#!/usr/bin/env bash
# examples/record.c and examples/play.c, built by make against the library alone: record 30
# frames of the pattern source, play them to the null output with a framemd5, and the md5s
# are ffmpeg's for the same file (ffmpeg -c copy -f framemd5).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg ffprobe
REC=$BIN/examples/record PLAY=$BIN/examples/play
[[ -x $REC && -x $PLAY ]] || skip_all "build first: $REC or $PLAY missing"
FAILED=0
D=${VCAP_TEST_DIR:-/var/tmp} # a real disk (O_DIRECT), not tmpfs
W=$(mktemp -d "$D/vcap-examples.XXXXXX")
trap 'rm -rf "$W"; cleanup' EXIT
cd "$W" || exit 1

if "$REC" take.mov 30 >rec.out 2>rec.err && grep -q '^take.mov: 30 frames' rec.out; then
	pass "record: 30 frames"
else
	fail "record: 30 frames" "$(cat rec.out rec.err)"
fi
n=$(ffprobe -v error -count_packets -show_entries stream=nb_read_packets -of csv=p=0 take.mov)
[[ $n == 30 ]] && pass "record: ffprobe counts 30" || fail "record: ffprobe counts 30" "$n"
"$REC" take.mov 30 >/dev/null 2>again.err
[[ $? -eq 3 ]] && grep -q 'exists' again.err && pass "record: an existing file is refused" ||
	fail "record: an existing file is refused" "$(cat again.err)"

"$REC" none.mov 0 >/dev/null 2>zero.err
[[ $? -eq 2 && ! -e none.mov ]] && pass "record: 0 frames is a usage error, nothing created" ||
	fail "record: 0 frames is a usage error, nothing created" "$(cat zero.err)"
# SIGINT between steps: the recording stops and the file is finished, playable
"$REC" long.mov 100000 >long.out 2>long.err &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
if [[ $rc -eq 0 ]] && grep -q 'stopped by SIGINT' long.out && "$BIN/vmov" verify long.mov >/dev/null; then
	pass "record: SIGINT finishes the file ($(grep -o '[0-9]* frames' long.out))"
else
	fail "record: SIGINT finishes the file" "exit $rc: $(cat long.out long.err)"
fi
rm -f long.mov long.mov.vcj
if "$PLAY" take.mov play.md5 >play.out 2>play.err && grep -q '30 frames' play.out; then
	pass "play: 30 frames to null"
else
	fail "play: 30 frames to null" "$(cat play.out play.err)"
fi
ffmpeg -v error -i take.mov -c copy -f framemd5 ff.md5
if cmp -s play.md5 ff.md5; then
	pass "play: md5s equal ffmpeg's framemd5"
else
	fail "play: md5s equal ffmpeg's framemd5" "$(diff play.md5 ff.md5 | head -5)"
fi
[[ $(grep -vc '^#' play.md5) == 30 ]] && pass "play: 30 md5 lines" ||
	fail "play: 30 md5 lines" "$(grep -vc '^#' play.md5)"
exit $FAILED
