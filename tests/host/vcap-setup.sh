#!/usr/bin/env bash
# vcap's setup refusals that need no device: V4L2 options given to the pattern source, and
# --start-field against the field mode, refused by the pattern source exactly as by a device
# (the VM rig checks the device). A low RLIMIT_MEMLOCK is no refusal: tests/host/memlock.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib.sh
cd "$TMP" || exit 1

"$BIN/vcap" --source pattern --std pal -n 3 -q -o p.mov 2>err.txt
check pattern-std-exit 3 $?
if grep -q "need --source v4l2" err.txt; then pass pattern-std-message; else fail pattern-std-message "$(cat err.txt)"; fi
check pattern-std-nothing-left "" "$(ls p.mov* 2>/dev/null)"

# --start-field names the parity each frame starts with: an interleaved or sequential mode
# has one (-tb top, -bt bottom), progressive frames none. The same words as from a device.
for c in "interlaced-tb bottom top" "interlaced-bt top bottom" "seq-tb bottom top" \
	"seq-bt top bottom" "none top -" "none bottom -"; do
	read -r mode asked own <<<"$c"
	rm -f sf.mov sf.mov.vcj
	"$BIN/vcap" --source pattern --size 64x64 --rate 25 --field "$mode" --start-field "$asked" \
		-n 2 -q -o sf.mov 2>err.txt
	check "start-field $mode $asked: exit" 3 $?
	if [[ $own == - ]]; then
		want="vcap: --start-field $asked: progressive frames have no field parity"
	else
		want="vcap: --start-field $asked: $mode frames start with a $own field"
	fi
	if [[ $(wc -l <err.txt) -eq 1 ]] && grep -qF "$want (" err.txt; then
		pass "start-field $mode $asked: says so"
	else
		fail "start-field $mode $asked: says so" "$(cat err.txt)"
	fi
	check "start-field $mode $asked: nothing left" "" "$(ls sf.mov* 2>/dev/null)"
	[[ $own == - ]] && continue
	rm -f sf.mov sf.mov.vcj
	"$BIN/vcap" --source pattern --size 64x64 --rate 25 --field "$mode" --start-field "$own" \
		-n 2 -q --json -o sf.mov >sf.json 2>err.txt
	check "start-field $mode $own: recorded, starting $own" "0 $own" "$? $(json sf.json 'j["start_field"]' 2>/dev/null)"
	rm -f sf.mov sf.mov.vcj sf.json
done
exit "${FAILED:-0}"
