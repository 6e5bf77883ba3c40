#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,xfs needs=vbench timeout=300
# RAID0 of 3 disks with 64 KiB chunks (a 192 KiB stripe, not a power of two) with XFS on top:
# vbench must take the unit from md and put every batch, and every extent, on a stripe.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

read -ra disks <<<"$VM_DISKS"
check "mdadm-create" md_create 0 64 "${disks[@]}"
expect_eq "md-chunk" "$(cat /sys/block/md0/md/chunk_size)" 65536
echo "optimal_io_size: $(cat /sys/block/md0/queue/optimal_io_size)"
check "mkfs.xfs" mkfs.xfs -f -q /dev/md0
xfs_info /dev/md0 2>/dev/null | grep -E 'sunit|swidth' || true
mkdir -p /tmp/mnt
# swalloc: XFS rounds large allocations to the stripe width, not only the stripe unit.
check "mount" mount -t xfs -o swalloc /dev/md0 /tmp/mnt
xfs_info /tmp/mnt | grep -E 'sunit|swidth'

if vbench_json /tmp/vb.json --size 720x576 --format UYVY --field progressive --rate 25 \
	--bytes 64M /tmp/mnt/vb.dat; then
	pass "vbench"
	check_alignment /tmp/vb.json 196608
	echo "write $(json_get /tmp/vb.json write.mbps) MB/s, read $(json_get /tmp/vb.json read.mbps) MB/s ($(json_get /tmp/vb.json mode))"
else
	fail "vbench" "exit status $?"
fi
umount /tmp/mnt
mdadm --stop /dev/md0 >/dev/null 2>&1
vm_done
