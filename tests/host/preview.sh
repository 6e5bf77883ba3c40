#!/usr/bin/env bash
# vcap --preview - (raw frames on standard output) with the pattern source at its real rate:
# a reader that keeps up sees every frame recorded, byte for byte (ffmpeg's framemd5 of the
# pipe equals the --md5 sidecar); a reader that never reads (a stalled pipe) costs the
# recording nothing: every frame recorded, no drop, the same buffer fill as without the
# preview, the frames it could not show counted as skipped, and vcap ends on time; a reader
# that goes away ends the preview with one warning and the recording goes on (exit 0). Bad
# requests: an unknown preview and "--preview - --json" (exit 2), a terminal for "-" and a
# display where there is none (exit 3, nothing created). The VM's vcap-preview-kms shows the display side.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg python3
VCAP=$BIN/vcap
[[ -x $VCAP ]] || skip_all "build first: $VCAP missing"
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
PAL=(--source pattern --size 720x576 --format UYVY --rate 25)

# summary_val FILE REGEX: the first group of REGEX in vcap's summary lines.
summary_val() { sed -nE "s/.*$2.*/\1/p" "$1" | head -n 1; }

# A reader that keeps up: what it got is what was recorded.
"$VCAP" "${PAL[@]}" -n 100 --preview - --md5 keep.md5 -o keep.mov 2>keep.err |
	ffmpeg -nostdin -v error -f rawvideo -pixel_format uyvy422 -video_size 720x576 \
		-framerate 25 -i - -f framemd5 - >shown.md5
rc=("${PIPESTATUS[@]}")
check "keeps-up: exit" "0 0" "${rc[*]}"
shown=$(summary_val keep.err 'preview: ([0-9]+) of [0-9]+ frames shown')
check "keeps-up: every frame shown" 100 "$shown"
if diff <(grep -v '^#' shown.md5 | cut -d, -f6) <(grep '^0,' keep.md5 | cut -d, -f6) >/dev/null
then
	pass "keeps-up: the pipe's frames are the file's (framemd5 of the pipe = --md5 sidecar)"
else
	fail "keeps-up: frames" "the pipe's framemd5 differs from keep.md5"
fi

# The same recording without a preview, and with one nobody reads.
"$VCAP" "${PAL[@]}" -n 150 -o plain.mov 2>plain.err
start=$(date +%s.%N)
{
	"$VCAP" "${PAL[@]}" -n 150 --preview - -o stalled.mov 2>stalled.err
	echo $? >stalled.rc
	date +%s.%N >stalled.end
} | sleep 9
took=$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f}')" \
	"$(cat stalled.end)" "$start")
check "stalled: exit" 0 "$(cat stalled.rc)"
check "stalled: every frame recorded, none dropped" "150 0" \
	"$(summary_val stalled.err 'stalled.mov: ([0-9]+) frames') $(summary_val stalled.err '\(([0-9]+) dropped')"
if python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 7.5)" "$took"; then
	pass "stalled: vcap ended ${took} s after it started (150 frames at 25 fps: 6 s), not held by the reader (9 s)"
else
	fail "stalled: ended" "vcap took ${took} s for 6 s of frames"
fi
skipped=$(summary_val stalled.err 'frames shown, ([0-9]+) skipped')
if [[ -n $skipped && $skipped -ge 140 ]]; then
	pass "stalled: $skipped of 150 frames skipped by the preview, counted apart from drops"
else
	fail "stalled: skipped" "expected at least 140 skipped, got '$skipped'"
fi
fill_plain=$(summary_val plain.err 'max buffer fill ([0-9]+)%')
fill_stalled=$(summary_val stalled.err 'max buffer fill ([0-9]+)%')
check "stalled: buffer fill as without the preview (${fill_plain}%)" "$fill_plain" "$fill_stalled"
if cmp -s <(ffmpeg -nostdin -v error -i plain.mov -map 0:v -f framemd5 - | grep -v '^#') \
	<(ffmpeg -nostdin -v error -i stalled.mov -map 0:v -f framemd5 - | grep -v '^#'); then
	pass "stalled: the file is the one recorded without the preview (framemd5)"
else
	fail "stalled: file" "stalled.mov's frames differ from plain.mov's"
fi

# A reader that goes away after two frames' bytes.
"$VCAP" "${PAL[@]}" -n 75 --preview - -o gone.mov 2>gone.err | head -c 1700000 >/dev/null
rc=("${PIPESTATUS[@]}")
check "reader-gone: exit" "0 0" "${rc[*]}"
if grep -q '^vcap: the preview (-) stopped after [0-9]* frames: Broken pipe (recording on without it)$' gone.err; then
	pass "reader-gone: one warning"
else
	fail "reader-gone: warning" "$(cat gone.err)"
fi
check "reader-gone: the recording went on" 75 \
	"$(summary_val gone.err 'gone.mov: ([0-9]+) frames')"

# Bad requests: one line each, nothing created.
run_listed "$VCAP" "${PAL[@]}" -n 10 --preview foo -o bad.mov
check "unknown-preview: exit" 2 "$RC"
check "unknown-preview: one line" "vcap: --preview foo: no such preview (use kms, kms:CONNECTOR (e.g. kms:HDMI-A-1) or - (raw frames on standard output))" "$(cat err.txt)"
check "unknown-preview: nothing created" "" "$CHANGED"
run_listed "$VCAP" "${PAL[@]}" -n 10 --preview - --json -o bad.mov
check "preview-and-json: exit" 2 "$RC"
grep -q 'both write standard output' err.txt && pass "preview-and-json: says why" ||
	fail "preview-and-json: says why" "$(cat err.txt)"
# standard output a terminal (script(1) gives it one): refused with the viewer's whole command
if command -v script >/dev/null; then
	out=$(script -qec "$VCAP ${PAL[*]} -n 10 --preview - -o tty.mov" /dev/null)
	rc=$?
	out=${out//$'\r'/}
	check "terminal: exit" 3 "$rc"
	check "terminal: one line naming the viewer's command" \
		"vcap: --preview -: standard output is a terminal, not a viewer (pipe it to one: ... | ffplay -f rawvideo -pixel_format uyvy422 -video_size 720x576 -framerate 25/1 -)" \
		"$out"
	check "terminal: nothing created" "" "$(ls tty.mov* 2>/dev/null)"
fi
if ! compgen -G '/dev/dri/card*' >/dev/null; then
	run_listed "$VCAP" "${PAL[@]}" -n 10 --preview kms -o bad.mov
	check "no-display: exit" 3 "$RC"
	check "no-display: one line" 1 "$(wc -l <err.txt)"
	grep -q 'no DRM card here' err.txt && pass "no-display: says why" ||
		fail "no-display: says why" "$(cat err.txt)"
	check "no-display: nothing created" "" "$CHANGED"
fi
exit $FAILED
