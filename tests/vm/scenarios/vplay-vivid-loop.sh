#!/bin/bash
# vm: vivid="n_devs=1 node_types=0x101" timeout=300 needs=vplay,vcap
# The round trip with the tools: vcap writes a 100-frame PAL interlaced (top field first) clip
# from its pattern source, vplay plays it in a loop (--loop 0) to vivid's S-Video output, the
# S-Video input is connected to that output, and vcap records 30 frames from it; then vplay is
# stopped with SIGINT. The loop keeps the output going however long vcap takes to start under
# TCG (a single pass once ended before vcap's last frames). Every recorded frame's md5
# (vcap --md5) must be the md5 of a clip frame (vplay --md5), in the clip's order across the
# loop's wrap; the recorded file says top field first; vplay reports zero copy and no underruns
# at real time. vivid's capture and output run on separate timers that drift under TCG: a frame
# seen twice or missed by the capture is printed, not judged. Then vplay's refusals: a missing
# device, a format the device cannot take, --zero-copy with a file whose frames sit off page
# boundaries (ffmpeg's layout; played through the copying path without it), kms without a DRM
# device: one line and exit 3 each.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

cap=/dev/video0 out=/dev/video1
for _ in {1..50}; do [[ -c $out ]] && break; sleep 0.1; done
cd /tmp || exit 1

clip=100
check "make-clip" "$VM_BUILD/vcap" -q --source pattern --size 720x576 --format UYVY \
	--field interlaced-tb --rate 25 --rate max -n $clip -o src.mov
check "capture-input" v4l2-ctl -d $cap -i 2
check "loop-on" v4l2-ctl -d $cap -c s_video_000_0_is_connected_to=2 -c osd_text_mode=2

echo "+ vplay src.mov -o $out --loop 0 --md5 play.md5 --json &"
"$VM_BUILD/vplay" -q src.mov -o $out --loop 0 --md5 play.md5 --json >play.json 2>play.err &
ppid=$!
# Streaming once its first md5 lines reach the file (stdio flushes them a block at a time).
for _ in {1..600}; do grep -q '^0,' play.md5 2>/dev/null && break; sleep 0.1; done
echo "+ vcap --device $cap --input 2 --std pal --size 720x576 --format UYVY --field interlaced-tb -n 30"
"$VM_BUILD/vcap" -q --device $cap --input 2 --std pal --size 720x576 --format UYVY \
	--field interlaced-tb -n 30 --md5 cap.md5 --json -o cap.mov >cap.json 2>cap.err
crc=$?
kill -INT $ppid
wait $ppid
prc=$?
cat play.err cap.err
expect_eq "vplay-exit (--loop 0 stopped by SIGINT)" "$prc" 0
expect_eq "vcap-exit" "$crc" 0
echo "vplay played $(json_get play.json frames) frames in $(json_get play.json loops) loops"
expect_eq "vplay-underruns" "$(json_get play.json underruns)" 0
mode=$(json_get play.json sink_mode)
echo "vplay output mode: $mode; late $(json_get play.json late)"
if [[ $mode == *"dmabuf (zero copy)"* ]]; then
	pass "vplay-zero-copy ($mode)"
else
	fail "vplay-zero-copy" "$mode"
fi
field=$(ffprobe -v error -select_streams v:0 -show_entries stream=field_order -of csv=p=0 cap.mov)
expect_eq "recorded-field-order" "$field" tb

# framemd5 lines: "stream, dts, pts, duration, size, md5"; compare the md5 columns. The first
# $clip played lines are the clip's frames; a recorded frame maps to its place in the clip, and
# consecutive recorded frames step forward modulo the clip (the loop wraps from the last to 0).
awk -F', *' '/^[0-9]/ { print $6 }' play.md5 >play.list
awk -F', *' '/^[0-9]/ { print $6 }' cap.md5 >cap.list
CLIP=$clip python3 - <<'PY' | tee cmp.out
import os
n = int(os.environ["CLIP"])
played = open("/tmp/play.list").read().split()
captured = open("/tmp/cap.list").read().split()
clip = played[:n]
where = {m: i for i, m in enumerate(clip)}
idx = [where.get(m, -1) for m in captured]
print("captured -> clip frame:", " ".join(str(i) if i >= 0 else "-" for i in idx))
m = [i for i in idx if i >= 0]
d = [(b - a) % n for a, b in zip(m, m[1:])]
print(f"matched={len(m)} captured={len(idx)} played={len(played)} distinct={len(where)} "
      f"steps={d.count(1)} repeats={d.count(0)} gaps={sum(1 < x < n // 2 for x in d)} "
      f"backwards={sum(x >= n // 2 for x in d)}")
PY
expect_eq "md5-lists-frames-out" "$(wc -l <play.list)" "$(json_get play.json frames)"
summary=$(tail -n 1 cmp.out)
val() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$summary"; }
expect_eq "clip-frames-distinct" "$(val distinct)" $clip
if [[ $(val captured) -ge 25 && $(val matched) == "$(val captured)" ]]; then
	pass "md5-round-trip (all $(val matched) recorded frames are played frames)"
else
	fail "md5-round-trip" "$(val matched) of $(val captured) recorded frames equal a played frame"
fi
expect_eq "order-kept (no step back)" "$(val backwards)" 0

# vplay_refused NAME TEXT ARG...: exit 3 and one line on stderr that holds TEXT.
vplay_refused() {
	local name=$1 text=$2 rc
	shift 2
	echo "+ vplay $*"
	"$VM_BUILD/vplay" -q "$@" >/dev/null 2>err.txt
	rc=$?
	cat err.txt
	if [[ $rc -ne 3 ]]; then
		fail "$name" "exit status $rc, expected 3"
	elif [[ $(wc -l <err.txt) -ne 1 ]] || ! grep -q -- "$text" err.txt; then
		fail "$name" "expected one line with '$text'"
	else
		pass "$name (exit 3: $(cat err.txt))"
	fi
}
vplay_refused "missing-device" "No such file or directory" src.mov -o /dev/video9 -n 5
check "make-progressive-clip" "$VM_BUILD/vcap" -q --source pattern --size 720x576 --format UYVY \
	--field none --rate 25 --rate max -n 5 -o prog.mov
vplay_refused "format-device-cannot-take" "cannot take this format" prog.mov -o $out
vplay_refused "kms-without-drm" "No such file or directory" src.mov -o kms -n 5
check "make-skewed-clip" ffmpeg -v error -i src.mov -frames:v 10 -c copy -f mov skew.mov
vplay_refused "zero-copy-skewed" "Operation not supported" skew.mov -o $out --zero-copy
echo "+ vplay skew.mov -o $out --json"
"$VM_BUILD/vplay" -q skew.mov -o $out --json >skew.json 2>skew.err
expect_eq "skewed-plays" "$?" 0
mode=$(json_get skew.json sink_mode)
if [[ $mode == "mmap + copy (frames sit at a skew"* ]]; then
	pass "skewed-copies ($mode, $(json_get skew.json copies) copies)"
else
	fail "skewed-copies" "output mode '$mode'"
fi
vm_done
