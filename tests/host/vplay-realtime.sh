#!/bin/bash
# vplay's defaults hold real time from a cold cache on a disk barely faster than the stream:
# a 4K59.94 v210 file (1.33 GB/s) read through a blkio throttle of 1.40 GB/s. The output clock
# starts once the read-ahead is full: 0 underruns and 0 late frames in every run. (Started
# after three frames, as it was, the first 22 MB frames came in 177 MB batches at the
# throttled rate, 7 ms inside their play time: an underrun and a late frame in 5 runs of 5.)
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
FAILED=0
RUNS=${REALTIME_RUNS:-3}
RATE=1400000000

[[ $(id -u) -eq 0 ]] || skip_all "needs root (a blkio cgroup and drop_caches)"
need_tools fio findmnt python3
cg=/sys/fs/cgroup/blkio
[[ -d $cg ]] || skip_all "no cgroup v1 blkio controller at $cg: cannot throttle the disk"
cd "$TMP" || exit 1
dev=$(findmnt -no MAJ:MIN -T "$TMP" | tr -d ' ')
parent=$(lsblk -no PKNAME "/dev/block/$dev" 2>/dev/null | head -n 1)
[[ -n $parent ]] && dev=$(lsblk -dno MAJ:MIN "/dev/$parent" | tr -d ' ')
group=$cg/vcap-test-$$
mkdir "$group" || skip_all "cannot make a blkio cgroup"
trap 'echo $$ >$cg/tasks 2>/dev/null; rmdir "$group" 2>/dev/null; cleanup' EXIT

"$BIN/vcap" --source pattern --size 3840x2160 --format v210 --rate 60000/1001 --rate max \
	--field none -n 150 -q -o 4k.mov || { fail "making the file" "vcap failed"; exit 1; }
sync
echo 3 >/proc/sys/vm/drop_caches
# the disk unthrottled must read faster than the throttle, or there is nothing to show
free=$(fio --name=r --filename=4k.mov --rw=read --direct=1 --ioengine=io_uring --bs=32M \
	--iodepth=4 --size=2G --output-format=json 2>/dev/null |
	python3 -c 'import json,sys; print(int(json.load(sys.stdin)["jobs"][0]["read"]["bw_bytes"]))')
((free > RATE * 21 / 20)) || skip_all "this disk reads $((free / 1000000)) MB/s: a 4K59.94 stream needs 1326"
echo "$dev $RATE" >"$group/blkio.throttle.read_bps_device" || skip_all "cannot throttle $dev"

for ((i = 1; i <= RUNS; i++)); do
	sync
	echo 3 >/proc/sys/vm/drop_caches
	(echo $BASHPID >"$group/tasks" && exec "$BIN/vplay" 4k.mov -o null --json -q) >p.json 2>p.err
	rc=$?
	got=$(json p.json '"%d %d" % (j["underruns"], j["late"])' 2>/dev/null)
	echo "run $i: exit $rc, underruns late: $got; filled in $(json p.json 'j.get("fill_seconds")' 2>/dev/null) s at $(json p.json 'j.get("fill_mbps")' 2>/dev/null) MB/s"
	[[ $rc -eq 0 && $got == "0 0" ]] && pass "4k59.94-throttled-run-$i" ||
		fail "4k59.94-throttled-run-$i" "exit $rc, underruns late: $got ($(head -c 200 p.err))"
done
[[ $(json p.json 'j.get("fill_seconds") is not None' 2>/dev/null) == True ]] && pass "fill-reported" ||
	fail "fill-reported" "no fill_seconds in vplay's --json"
exit $FAILED
