#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=240
# vivid's timecode (V4L2_BUF_FLAG_TIMECODE on SDTV inputs) into the tmcd track: ffprobe shows
# the first frame's device timecode; every frame's is in the log, counting on with sequence;
# --start-timecode/--stop-timecode record exactly the frames from one to the other (stop
# inclusive); a device without timecode is refused with exit 3 and nothing left behind.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/policy-lib.sh
. "$VM_REPO/tests/vm/policy-lib.sh"
policy_disk

"$VCAP" "${SD[@]}" -n 6 --json -q -o t.mov >t.json
expect_eq "tc-exit" "$?" 0
first=$(awk '/^0 / { print $9 }' t.mov.vcj)
if [[ $first =~ ^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$ ]]; then pass "tc-device ($first)"; else fail "tc-device" "first frame's timecode '$first'"; fi
expect_eq "tc-tmcd-is-first-frame" "$(tmcd t.mov)" "$first"
expect_eq "tc-json" "$(json_get t.json timecode) $(json_get t.json device_timecode.breaks)" "$first 0"

"$VCAP" "${SD[@]}" --start-timecode 00:00:00:15 --stop-timecode 00:00:00:22 --json -q -o s.mov >s.json
expect_eq "start-stop-exit" "$?" 0
expect_eq "start-stop-tmcd" "$(tmcd s.mov)" 00:00:00:15
read -r frames _ drops _ _ stopped _ _ _ _ _ _ tc0 tc1 <<<"$(facts s.json s.mov.vcj)"
# 15 to 22 is 8 frame periods: the frames recorded and any vivid lost (a loaded TCG guest
# drops now and then) make them up exactly
expect_eq "start-stop-frames" "$(packets s.mov) $((frames + drops)) $stopped" "$frames 8 stop-timecode"
expect_eq "start-stop-log" "$tc0 $tc1" "00:00:00:15 00:00:00:22"

# --fields: exact; the webcam input sends no timecode
"$VCAP" "${SD[@]}" --fields 10 --json -q -o f.mov >f.json
expect_eq "fields-exact" "$(packets f.mov) $(json_get f.json fields)" "5 10"
"$VCAP" --device $DEV --input 0 --start-timecode 00:00:01:00 -q -o n.mov 2>n.err
rc=$?
cat n.err
expect_eq "no-timecode-exit" "$rc" 3
if [[ ! -e n.mov && ! -e n.mov.vcj ]]; then pass "no-timecode-nothing-left"; else fail "no-timecode-nothing-left" "$(ls n.mov*)"; fi
policy_cleanup
vm_done
