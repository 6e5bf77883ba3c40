#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" needs=vmprogs/prog-dmabuf timeout=240
# Capture from vivid straight into a diskio slab through udmabuf (V4L2_MEMORY_DMABUF), then
# write the slots with O_DIRECT from the memfd mapping to XFS on a virtio disk and read them
# back byte for byte (tests/vm/prog-dmabuf.c).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

disk=${VM_DISKS%% *}
[[ -c /dev/udmabuf ]] && pass "udmabuf-present" || fail "udmabuf-present" "/dev/udmabuf missing"
check "mkfs.xfs" mkfs.xfs -f -q "$disk"
mkdir -p /tmp/mnt
check "mount" mount -t xfs "$disk" /tmp/mnt
"$VM_BUILD/vmprogs/prog-dmabuf" /dev/video0 /tmp/mnt/frames.raw 6
rc=$?
umount /tmp/mnt
[[ $rc -eq 0 || $rc -eq 1 ]] || fail "prog-dmabuf" "exit status $rc"
vm_done
