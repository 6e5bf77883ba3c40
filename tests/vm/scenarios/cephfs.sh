#!/bin/bash
# vm: disks=1 size=10G modules=libcrc32c,netfs,libceph,ceph,dns_resolver,gcm,ghash-generic,crypto_null needs=vcap,vmov,vbench timeout=900
# A single-node CephFS (tests/vm/cephfs-lib.sh) and the disk side on it:
# 1. the cluster comes up and the kernel client mounts it (the time is printed);
# 2. vbench on the mount names the layout it found ("CephFS object size ...") and writes on
#    object boundaries (4 MiB);
# 3. vcap records onto CephFS at a rate the guest holds: 0 drops, every frame on an object
#    boundary, the md5 sidecar equal to ffmpeg's framemd5;
#    and in a directory whose layout was set to 1 MiB objects, every frame on 1 MiB;
# 4. vcap killed (-9) mid-capture, then `vmov recover` run from another client (a second
#    kernel mount with noshare, as a second station would be): every frame the capture log
#    acknowledged is back, each the one logged.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/cephfs-lib.sh
. "$VM_REPO/tests/vm/cephfs-lib.sh"
VCAP=$VM_BUILD/vcap
VMOV=$VM_BUILD/vmov
VBENCH=$VM_BUILD/vbench
M=/tmp/ceph # the root is the host's, read-only; /tmp is the guest's
M2=/tmp/ceph2

packets() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }

# 1. bring-up
if ! ceph_up "${VM_DISKS%% *}" "$M"; then
	fail "cephfs-mounted" "the single-node cluster did not come up (see above)"
	ceph_down
	vm_done
fi
pass "cephfs-mounted (in $CEPH_UP_S s)"
echo "cephfs: mounted at $M in $CEPH_UP_S s from the first ceph command"
touch "$M/probe"
echo "cephfs: a new file's layout: $(getfattr --absolute-names --only-values -n ceph.file.layout "$M/probe" 2>&1)"
rm -f "$M/probe"

# 2. vbench: the layout, and where the batches land
"$VBENCH" --write-only --size 720x576 --rate 25 --field interlaced-tb --bytes 160M "$M" >vb.out 2>&1
rc=$?
sed 's/^/  vbench: /' vb.out
expect_eq "vbench-exit" "$rc" 0
expect_eq "vbench-says-object-size" "$(grep -c '^alignment *4 MiB.*CephFS object size' vb.out)" 1
expect_eq "vbench-batches-on-objects" \
	"$(grep -cE '^placement +([0-9]+) batches, \1 at file offsets that are multiples of 4 MiB' vb.out)" 1

# 3. a recording at a rate the guest holds (one frame a 4 MiB object: 5 fps is 21 MB/s)
"$VCAP" --source pattern --size 360x288 --rate 5 -n 40 --md5 "$M/r.md5" --json -q \
	-o "$M/r.mov" >r.json 2>r.err
rc=$?
echo "record: exit $rc, $(json_get r.json frames) frames, $(json_get r.json drops) dropped, align $(json_get r.json align.unit) ($(json_get r.json align.why)), $(json_get r.json mbps) MB/s, file $(json_get r.json file_size) bytes, slowest write $(json_get r.json max_write_latency_ms) ms"
head -n 3 r.err
expect_eq "record-exit" "$rc" 0
expect_eq "record-no-drops" "$(json_get r.json drops)" 0
expect_eq "record-align-4mib" "$(json_get r.json align.unit)" 4194304
expect_eq "record-frames-on-objects" \
	"$(awk '/^[0-9]/ && $2 % 4194304 { n++ } END { print n + 0 }' "$M/r.mov.vcj")" 0
ffmpeg -v error -i "$M/r.mov" -map 0:v -f framemd5 - 2>/dev/null | grep -v '^#' |
	awk -F, '{ gsub(/ /, "", $6); print $6 }' >ff.md5
expect_eq "record-md5-as-ffmpeg" "$(grep -v '^#' "$M/r.md5" | awk -F, '{ gsub(/ /, "", $6); print $6 }' | cmp - ff.md5 && echo same)" same
expect_eq "record-plays" "$(packets "$M/r.mov")" 40

# 3b. a directory given smaller objects (ceph.dir.layout, what README "Shared storage" says to
#     set for SD): its new files take that layout, and vcap takes its unit from it
mkdir "$M/sd"
check "dir-layout" setfattr -n ceph.dir.layout -v "stripe_unit=1048576 stripe_count=1 object_size=1048576" "$M/sd"
"$VCAP" --source pattern --size 360x288 --rate 5 -n 40 --json -q -o "$M/sd/s.mov" >s.json 2>s.err
rc=$?
echo "record in sd/: exit $rc, $(json_get s.json frames) frames, $(json_get s.json drops) dropped, align $(json_get s.json align.unit) ($(json_get s.json align.why)), file $(json_get s.json file_size) bytes"
expect_eq "dir-layout-record-exit" "$rc" 0
expect_eq "dir-layout-align-1mib" "$(json_get s.json align.unit)" 1048576
expect_eq "dir-layout-file-layout" "$(getfattr --absolute-names --only-values -n ceph.file.layout.object_size "$M/sd/s.mov")" 1048576

# 4. kill -9 mid-capture; recover from another client
check "second-client" ceph_mount "$M2" noshare
"$VCAP" --source pattern --size 360x288 --rate 5 -n 1000 --json -q -o "$M/k.mov" >k.json 2>k.err &
pid=$!
for _ in {1..600}; do
	(($(grep -c '^[0-9]' "$M/k.mov.vcj" 2>/dev/null || echo 0) >= 24)) && break
	sleep 0.1
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
logged=$(grep -c '^[0-9]' "$M2/k.mov.vcj")
"$VMOV" recover "$M2/k.mov" >rec.out 2>&1
rc=$?
cat rec.out | sed 's/^/  recover: /'
got=$(packets "$M2/k.mov")
echo "kill: $logged frames in the capture log, $got in the recovered file (read through the second client)"
expect_eq "recover-exit" "$rc" 0
expect_eq "recover-every-logged-frame" "$got" "$logged"
expect_eq "recover-verify" "$("$VMOV" verify "$M2/k.mov" | tail -n 1)" OK

ceph_down
vm_done
