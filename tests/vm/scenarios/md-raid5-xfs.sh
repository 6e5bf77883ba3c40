#!/bin/bash
# vm: disks=4 size=1G modules=md-mod,raid456,xfs needs=vbench timeout=420
# RAID5 of 4 disks with 128 KiB chunks (a 384 KiB stripe) with XFS on top. Whole, aligned
# stripes need no read-modify-write: the member disks must read (almost) nothing while vbench
# writes. The same run with a 4 KiB unit and one frame per write splits stripes, and the
# members must then read a lot: that proves the measurement can fail.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

read -ra disks <<<"$VM_DISKS"
check "mdadm-create" md_create 5 128 "${disks[@]}"
expect_eq "md-chunk" "$(cat /sys/block/md0/md/chunk_size)" 131072
echo "sync_action: $(cat /sys/block/md0/md/sync_action), optimal_io_size: $(cat /sys/block/md0/queue/optimal_io_size)"
# md's default stripe cache (256 entries) is too small to gather the whole stripes of large
# writes before it starts reading for parity; 4096 is the usual setting for streaming writes.
check "stripe-cache" sh -c 'echo 4096 >/sys/block/md0/md/stripe_cache_size'
check "mkfs.xfs" mkfs.xfs -f -q /dev/md0
mkdir -p /tmp/mnt
check "mount" mount -t xfs -o swalloc /dev/md0 /tmp/mnt
xfs_info /tmp/mnt | grep -E 'sunit|swidth'

# write_reads NAME JSON VBENCH-ARGS...: vbench --write-only; prints "READ_SECTORS WRITTEN_BYTES".
write_reads() {
	local name=$1 json=$2 before after
	shift 2
	sync
	before=$(sectors_read "${disks[@]}")
	if ! vbench_json "$json" --write-only --size 720x576 --format UYVY --field progressive \
		--rate 25 --bytes 64M "$@" /tmp/mnt/$name.dat >&2; then
		fail "vbench-$name" "exit status $?"
		return 1
	fi
	after=$(sectors_read "${disks[@]}")
	echo "$((after - before)) $(json_get "$json" write.bytes)"
}

if r=$(write_reads aligned /tmp/vb.json); then
	pass "vbench-aligned"
	check_alignment /tmp/vb.json 393216
	read -r sectors written <<<"$r"
	echo "aligned: member disks read $((sectors * 512)) bytes while $written bytes were written"
	if ((sectors * 512 * 100 < written)); then
		pass "no-rmw-reads ($((sectors * 512)) bytes read for $written written)"
	else
		fail "no-rmw-reads" "$((sectors * 512)) bytes read for $written written (>= 1%)"
	fi
fi

# A unit of 4 KiB: 831488-byte slots, one frame per write, one write in flight: most writes
# end inside a stripe, and md must read to compute parity.
if r=$(write_reads misaligned /tmp/vb-mis.json --align 4096 --batch 1 --depth 1); then
	pass "vbench-misaligned"
	read -r sectors written <<<"$r"
	echo "misaligned: member disks read $((sectors * 512)) bytes while $written bytes were written"
	if ((sectors * 512 * 20 >= written)); then
		pass "misaligned-rmw-reads ($((sectors * 512)) bytes read for $written written)"
	else
		fail "misaligned-rmw-reads" "only $((sectors * 512)) bytes read for $written written (< 5%): the check could not tell"
	fi
fi
umount /tmp/mnt
mdadm --stop /dev/md0 >/dev/null 2>&1
vm_done
