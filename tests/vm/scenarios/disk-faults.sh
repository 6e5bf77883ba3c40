#!/bin/bash
# vm: disks=1 size=1G modules=xfs,dm-mod,dm-delay needs=vcap,vmov timeout=600
# Disk faults under a recording (the pattern source, 320x240 at 25 fps, onto XFS on a
# device-mapper device whose table is swapped mid-capture):
# 1. EIO: the blocks of two batches a few batches ahead turn into a dm "error" target (found
#    with FIEMAP in the preallocated file): vcap exits 1 with one line saying what failed, and
#    the file is finished with every frame before the batch that failed, complete and verified.
# 2. A slow disk: dm-delay holds every I/O 1.5 s, so buffers fill: the drops are reported as
#    "starved" (every slot held by the disk side), --on-drop fail exits 4, the file is
#    complete, and nothing hangs.
# 3. A disk slower than the recording for a while (every I/O 0.4 s late, --depth 1, 8 frames
#    a write at 25 fps, 4 s, 160 buffers): the loop keeps taking frames while the write is in
#    flight, so the backlog sits in the buffers (more slots held than depth + 1 batches),
#    nothing is lost, and the stop writes it out; a loop that waited for the disk to take
#    each write held at most 16 slots, leaving the frames to the source's queue.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
export DM_DISABLE_UDEV=1
VCAP=$VM_BUILD/vcap
VMOV=$VM_BUILD/vmov
disk=${VM_DISKS%% *}
N=$(blockdev --getsz "$disk")
S=(--rate 25 --size 320x240 --batch 8 -q --json)

packets() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }
table() { # swap the table of d: suspend (in-flight I/O completes), load, resume
	dmsetup suspend d && dmsetup load d --table "$1" && dmsetup resume d
}

check "dm-linear" dmsetup create d --table "0 $N linear $disk 0"
check "mkfs.xfs" mkfs.xfs -f -q /dev/mapper/d
mkdir -p /tmp/mnt
check "mount" mount -t xfs /dev/mapper/d /tmp/mnt
cd /tmp/mnt || vm_done

# 1. EIO on one batch
timeout 300 "$VCAP" "${S[@]}" -n 400 --md5 e.md5 -o e.mov >e.json 2>e.err &
pid=$!
for _ in {1..600}; do
	[[ -s e.mov.vcj ]] && (($(grep -c '^[0-9]' e.mov.vcj) >= 24)) && break
	sleep 0.1
done
logged=$(grep -c '^[0-9]' e.mov.vcj)
read -r off0 off1 <<<"$(awk '/^[0-9]/ { o[$1] = $2 } END { print o[0], o[1] }' e.mov.vcj)"
slot=$((off1 - off0))
k=$(((logged + 48) / 8 * 8)) # a batch start, six batches past what is logged
bad=$((off0 + k * slot))
# the batch's place on the device: FIEMAP of the preallocated file, in 512-byte sectors
phys=$(filefrag -b512 -v e.mov | awk -v at=$((bad / 512)) -F'[ :.]+' \
	'$2 ~ /^[0-9]+$/ && at >= $3 && at <= $4 { print $5 + (at - $3); exit }')
# two batches: the first may already be in flight when the table changes (suspend lets it
# finish), and then the second is the first write that fails
len=$((16 * slot / 512))
echo "frames logged $logged, failing the batches of frames $k-$((k + 15)): file offset $bad, sectors $phys+$len"
if [[ -z $phys ]]; then
	fail "eio-place" "no extent holds file offset $bad"
else
	check "eio-table" table "0 $phys linear $disk 0
$phys $len error
$((phys + len)) $((N - phys - len)) linear $disk $((phys + len))"
fi
wait $pid
rc=$?
cat e.err
frames=$(json_get e.json frames)
expect_eq "eio-exit" "$rc" 1
expect_eq "eio-one-line" "$(wc -l <e.err)" 1
expect_eq "eio-says-writing" "$(grep -c '^vcap: writing.*Input/output error' e.err)" 1
expect_eq "eio-stopped-at-a-failed-batch" "$((frames == k || frames == k + 8))" 1
expect_eq "eio-file-complete" "$(grep -c '^end ' e.mov.vcj)" 1
expect_eq "eio-plays" "$(packets e.mov)" "$frames"
expect_eq "eio-verify" "$("$VMOV" verify e.mov --md5 e.md5 | tail -n 1)" OK
check "eio-table-back" table "0 $N linear $disk 0"

# 2. A slow disk: every I/O 1.5 s late
check "delay-table" table "0 $N delay $disk 0 1500"
start=$(date +%s)
timeout 300 "$VCAP" "${S[@]}" -n 100 --buffers 16 --on-drop fail -o s.mov >s.json 2>s.err
rc=$?
echo "slow disk: exit $rc after $(($(date +%s) - start)) s; $(grep -c . s.err) lines on stderr"
head -n 3 s.err
expect_eq "slow-exit" "$rc" 4
drops=$(json_get s.json drops)
gaps=$(json_get s.json gaps)
# gaps (count) and frames lost in them, starved or not: a loaded TCG guest also deschedules
# vcap for a frame period or two now and then, a gap with free buffers, rightly not starved
read -r starved starved_lost other_big <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["drop_list"]
print(sum(x["starved"] for x in d), sum(x["count"] for x in d if x["starved"]),
      sum(1 for x in d if not x["starved"] and x["count"] >= 8))' s.json)"
echo "slow disk: $(json_get s.json frames) frames, $drops dropped in $gaps gaps, $starved starved ($starved_lost frames)"
grep -v 'buffers full' s.err | sed 's/^/  not starved: /'
grep -E '^(batch|synced|note|lost)' s.mov.vcj | tail -n 30 | sed 's/^/  log: /'
python3 -c 'import json,sys; [print("  gap:", d) for d in json.load(open(sys.argv[1]))["drop_list"]]' s.json
expect_eq "slow-dropped" "$((drops > 0))" 1
# the disk's gaps are starved: nearly every frame lost, and every gap of a batch or more
expect_eq "slow-starved-hold-the-drops" "$((starved > 0 && starved_lost * 10 >= drops * 9))" 1
expect_eq "slow-big-gaps-starved" "$other_big" 0
expect_eq "slow-says-buffers-full" "$(grep -c 'buffers full' s.err)" "$starved"
expect_eq "slow-file-complete" "$(grep -c '^end ' s.mov.vcj)" 1
expect_eq "slow-plays" "$(packets s.mov)" "$(json_get s.json frames)"
check "delay-table-back" table "0 $N linear $disk 0"

# 3. One write at a time, each 0.4 s or more (XFS converts the extents it filled through its
#    log, on the same slow disk): far fewer frames a second written than the 25 captured
check "delay-table-3" table "0 $N delay $disk 0 400"
timeout 300 "$VCAP" "${S[@]}" -n 100 --depth 1 --buffers 160 -o b.mov >b.json 2>b.err
rc=$?
fill=$(json_get b.json max_buffer_fill)
held=$(awk -v f="$fill" 'BEGIN { printf "%.0f", f * 160 }')
echo "backlog: exit $rc, $(json_get b.json frames) frames, $(json_get b.json drops) dropped, at most $held of 160 slots held, slowest write $(json_get b.json max_write_latency_ms) ms"
expect_eq "backlog-exit" "$rc" 0
expect_eq "backlog-no-drops" "$(json_get b.json drops)" 0
expect_eq "backlog-buffered-beyond-depth" "$((held > 16))" 1
expect_eq "backlog-plays" "$(packets b.mov)" 100
check "delay-table-3-back" table "0 $N linear $disk 0"

cd / && umount /tmp/mnt
dmsetup remove d
vm_done
