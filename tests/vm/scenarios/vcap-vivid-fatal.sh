#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=240
# vivid's inject_fatal_streaming_error mid-capture: vcap stops, says so in one line, exits 1,
# and the file is finished with every frame before the error (it decodes, its packets are the
# log's frames, the log has its end line).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/policy-lib.sh
. "$VM_REPO/tests/vm/policy-lib.sh"
policy_disk

"$VCAP" "${SD[@]}" -n 300 --batch 4 --json -q -o x.mov >x.json 2>x.err &
pid=$!
check "streaming" wait_frames x.mov.vcj 8
check "inject-fatal" v4l2-ctl -d $DEV -c inject_fatal_streaming_error=1
wait $pid
rc=$?
cat x.err
expect_eq "fatal-exit" "$rc" 1
expect_eq "fatal-one-error-line" "$(grep -c 'stopped the recording' x.err)" 1
read -r frames _ _ _ code stopped _ _ _ _ logged _ <<<"$(facts x.json x.mov.vcj)"
expect_eq "fatal-json" "$stopped $code" "error 1"
expect_eq "fatal-packets" "$(packets x.mov)" "$frames"
expect_eq "fatal-log-frames" "$logged" "$frames"
expect_eq "fatal-log-end" "$(tail -n 1 x.mov.vcj | cut -d' ' -f1-2)" "end frames=$frames"
if decodes x.mov; then pass "fatal-decodes"; else fail "fatal-decodes" "ffmpeg errors"; fi
policy_cleanup
vm_done
