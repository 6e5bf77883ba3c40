#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=300
# vcap against vivid losing frames (percentage_of_dropped_buffers=10): every gap reported live
# on stderr (one line each) and in --json, the counts equal to the sequence gaps in the capture
# log; --on-drop fail finishes a playable file and exits 4; inject_v4l2_buf_flag_error shows
# up as a flagged frame (live, in --json and in the log's flags).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/policy-lib.sh
. "$VM_REPO/tests/vm/policy-lib.sh"
policy_disk

check "set-drops-10" v4l2-ctl -d $DEV -c percentage_of_dropped_buffers=10
expect_eq "drops-control" "$(v4l2-ctl -d $DEV -C percentage_of_dropped_buffers | awk '{ print $NF }')" 10

# continue (the default): the drop map
"$VCAP" "${SD[@]}" -n 40 --json -o d.mov >d.json 2>d.err
rc=$?
cat d.err
expect_eq "drops-exit" "$rc" 0
read -r frames gaps drops listed _ _ _ _ lgaps ldrops _ positions _ <<<"$(facts d.json d.mov.vcj)"
if [[ $gaps -gt 0 ]]; then pass "drops-seen ($gaps gaps)"; else fail "drops-seen" "no drop in 40 frames at 10%"; fi
expect_eq "drops-json-equals-log" "$gaps $drops" "$lgaps $ldrops"
expect_eq "drops-list-equals-total" "$listed" "$drops"
expect_eq "drops-live-one-line-each" "$(grep -c 'drop: .* lost before frame' d.err)" "$gaps"
expect_eq "drops-noted-in-log" "$(grep -c ' lost=[0-9]' d.mov.vcj)" "$gaps"
expect_eq "drops-positions" "$positions" ok
expect_eq "drops-frames" "$frames" 40

# --on-drop fail: the file is finished and plays, exit 4
"$VCAP" "${SD[@]}" -n 40 --on-drop fail --json -q -o f.mov >f.json 2>f.err
rc=$?
read -r frames _ drops _ code _ <<<"$(facts f.json f.mov.vcj)"
if [[ $drops -gt 0 ]]; then
	expect_eq "on-drop-fail-exit" "$rc $code $frames" "4 4 40"
else
	fail "on-drop-fail" "no drop in 40 frames at 10% (exit $rc)"
fi
expect_eq "on-drop-fail-log-end" "$(tail -n 1 f.mov.vcj | cut -d' ' -f1-2)" "end frames=40"
expect_eq "on-drop-fail-packets" "$(packets f.mov)" 40
if decodes f.mov; then pass "on-drop-fail-decodes"; else fail "on-drop-fail-decodes" "ffmpeg errors"; fi

# a flagged frame
check "set-drops-0" v4l2-ctl -d $DEV -c percentage_of_dropped_buffers=0
"$VCAP" "${SD[@]}" -n 30 --batch 4 --json -o e.mov >e.json 2>e.err &
pid=$!
check "streaming" wait_frames e.mov.vcj 4
check "inject-buf-flag-error" v4l2-ctl -d $DEV -c inject_v4l2_buf_flag_error=1
wait $pid
rc=$?
cat e.err
expect_eq "flagged-exit" "$rc" 0
read -r frames _ _ _ _ _ flagged state _ <<<"$(facts e.json e.mov.vcj)"
if [[ $flagged -ge 1 ]]; then pass "flagged-json ($flagged)"; else fail "flagged-json" "no flagged frame"; fi
expect_eq "flagged-live" "$(grep -c 'flagged V4L2_BUF_FLAG_ERROR' e.err)" "$flagged"
expect_eq "flagged-in-log" "$state" error
expect_eq "flagged-frames" "$frames" 30
policy_cleanup
vm_done
