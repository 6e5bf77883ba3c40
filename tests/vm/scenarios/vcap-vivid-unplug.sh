#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=240
# The capture device goes away mid-capture (vivid unbound from its driver through sysfs, as
# when a USB capture device is pulled): vcap stops, says so in one line, exits 1, and the
# file is finished with every frame captured before (it decodes, its packets are the log's
# frames, the log has its end line); nothing hangs.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/policy-lib.sh
. "$VM_REPO/tests/vm/policy-lib.sh"
policy_disk

drv=/sys/bus/platform/drivers/vivid
timeout 120 "$VCAP" "${SD[@]}" -n 300 --batch 4 --json -q -o u.mov >u.json 2>u.err &
pid=$!
check "streaming" wait_frames u.mov.vcj 8
check "unbind" sh -c "echo vivid.0 >$drv/unbind"
wait $pid
rc=$?
cat u.err
expect_eq "unplug-exit" "$rc" 1
expect_eq "unplug-one-line" "$(grep -c 'stopped the recording' u.err)" 1
expect_eq "unplug-names-device" "$(grep -c "^vcap: losing the capture device stopped the recording of u.mov after [0-9]* frames: No such device ($DEV was unplugged or its driver unbound" u.err)" 1
read -r frames _ _ _ code stopped _ _ _ _ logged _ <<<"$(facts u.json u.mov.vcj)"
expect_eq "unplug-json" "$stopped $code" "error 1"
expect_eq "unplug-packets" "$(packets u.mov)" "$frames"
expect_eq "unplug-log-frames" "$logged" "$frames"
expect_eq "unplug-log-end" "$(tail -n 1 u.mov.vcj | cut -d' ' -f1-2)" "end frames=$frames"
if decodes u.mov; then pass "unplug-decodes"; else fail "unplug-decodes" "ffmpeg errors"; fi
policy_cleanup
vm_done
