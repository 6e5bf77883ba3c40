#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,ext4 needs=vbench timeout=300
# ext4 on a RAID0 of 3 disks with 64 KiB chunks, made with the stripe geometry spelled out
# (stride 16 x 4 KiB blocks, stripe_width 48): vbench must find the same 192 KiB unit as on XFS
# and put every batch at a file offset on it. Where ext4 places the extents is reported, not
# required: mballoc aligns the start of each allocation to the stripe, but an allocation that
# runs into the next block group continues at that group's first free block, off the stripe.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

read -ra disks <<<"$VM_DISKS"
check "mdadm-create" md_create 0 64 "${disks[@]}"
check "mkfs.ext4" mkfs.ext4 -F -q -b 4096 -E stride=16,stripe_width=48 /dev/md0
dumpe2fs -h /dev/md0 2>/dev/null | grep -iE 'RAID (stride|stripe width)'
mkdir -p /tmp/mnt
check "mount" mount -t ext4 /dev/md0 /tmp/mnt
grep ' /tmp/mnt ' /proc/mounts

if vbench_json /tmp/vb.json --size 720x576 --format UYVY --field progressive --rate 25 \
	--bytes 64M /tmp/mnt/vb.dat; then
	pass "vbench"
	check_alignment /tmp/vb.json 196608 report
	echo "write $(json_get /tmp/vb.json write.mbps) MB/s, read $(json_get /tmp/vb.json read.mbps) MB/s ($(json_get /tmp/vb.json mode))"
else
	fail "vbench" "exit status $?"
fi
umount /tmp/mnt
mdadm --stop /dev/md0 >/dev/null 2>&1
vm_done
