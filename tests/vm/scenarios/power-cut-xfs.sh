#!/bin/bash
# vm: disks=5 size=512M modules=md-mod,raid0,xfs,dm-mod,dm-log-writes,dm-snapshot,loop needs=vcap,vmov timeout=900
# Power cuts on xfs on md RAID0, replayed from a dm-log-writes log (tests/vm/powercut-lib.sh):
# at every durability point vcap announced, and at flush points between them, the state a
# power cut would leave must recover, with vmov recover, to a file holding every frame and
# sample acknowledged by then, each frame the one logged.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/powercut-lib.sh
. "$VM_REPO/tests/vm/powercut-lib.sh"

pc_setup xfs mkfs.xfs -f -q -K
pc_record -n 150 --rate 25 --size 320x240 --audio pattern --sync-interval 0.2
expect_eq "xfs-vcap-exit" "$PC_RC" 0
expect_eq "xfs-vcap-frames" "$PC_FRAMES" 150
pc_run xfs 6
mdadm --stop /dev/md0 /dev/md1 >/dev/null 2>&1
vm_done
