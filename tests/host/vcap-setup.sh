#!/usr/bin/env bash
# vcap's setup refusals that need no device: RLIMIT_MEMLOCK too low for the slots (checked
# before anything is created, with the size needed and how to raise the limit), V4L2
# options given to the pattern source, and --start-field against the field mode, refused by
# the pattern source exactly as by a device (the VM rig checks the device).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/host/lib.sh
command -v setpriv >/dev/null || skip_all "setpriv missing (util-linux)"
cd "$TMP" || exit 1

# Without CAP_IPC_LOCK and with a 1 MiB limit: 56 slots of 1080p UYVY cannot be locked.
setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- bash -c \
	"ulimit -l 1024 && exec '$BIN/vcap' --rate max -n 3 --size 1920x1080 -q -o m.mov" 2>err.txt
check memlock-exit 3 $?
check memlock-one-line 1 "$(wc -l <err.txt)"
if grep -q "need .* of locked memory, RLIMIT_MEMLOCK allows 1 MiB (raise it: 'ulimit -l [0-9]*'" err.txt; then
	pass memlock-message
else
	fail memlock-message "$(cat err.txt)"
fi
check memlock-nothing-left "" "$(ls m.mov* 2>/dev/null)"

# A small --buffers fits the same limit? 2 x 4 slots of 64x64 do.
setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- bash -c \
	"ulimit -l 1024 && exec '$BIN/vcap' --rate max -n 3 --size 64x64 --batch 4 --buffers 8 -q -o s.mov" 2>err.txt
check memlock-small-fits 0 $?

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
