#!/bin/bash
# vm: vivid="n_devs=1 node_types=0x101" timeout=240 needs=vmprogs/prog-sink
# Round trip through vivid's loop: the v4l2 sink plays 150 interlaced PAL frames (top field
# first) into the S-Video output, the S-Video input is connected to that output, and every
# frame of a 30-frame capture from it must be a played frame byte for byte (md5, so the field
# order is the played one too), in the played order; the sink reports no underruns at real
# time (25 fps). vivid's capture and output run on separate timers, which drift under TCG:
# the capture may see a played frame twice or miss one; those counts are printed, not judged.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/sink-lib.sh
. "$VM_REPO/tests/vm/sink-lib.sh"

cap=/dev/video0 out=/dev/video1 fs=$((720 * 576 * 2))
for _ in {1..50}; do [[ -c $out ]] && break; sleep 0.1; done

# Capture side: S-Video input 2, PAL, the output's format and field order, fed by the output.
check "capture-input" v4l2-ctl -d $cap -i 2
check "capture-std" v4l2-ctl -d $cap -s pal
check "capture-format" v4l2-ctl -d $cap --set-fmt-video=width=720,height=576,pixelformat=UYVY,field=interlaced_tb
check "loop-on" v4l2-ctl -d $cap -c s_video_000_0_is_connected_to=2 -c osd_text_mode=2

# 8 slots, as a player holds some read-ahead: with 4, writing every frame to play.raw as
# well can starve the output under TCG.
echo "+ prog-sink --slots 8 --raw /tmp/play.raw v4l2 $out UYVY 720x576 25/1 tff 150 &"
"$sink_prog" --slots 8 --raw /tmp/play.raw v4l2 $out UYVY 720x576 25/1 tff 150 >/tmp/play.out 2>&1 &
ppid=$!
for _ in {1..100}; do grep -q '^open:' /tmp/play.out && break; sleep 0.1; done
sleep 0.5 # preroll out and streaming
v4l2-ctl -d $cap --stream-mmap --stream-count=30 --stream-to=/tmp/cap.raw 2>&1 | tail -n 2
wait $ppid
prc=$?
sed 's/^/    /' /tmp/play.out
expect_eq "player-exit" "$prc" 0
sink_expect_mode "player-zero-copy" /tmp/play.out 'dmabuf (zero copy)'
expect_eq "player-underruns" "$(sink_val /tmp/play.out underruns)" 0
if v4l2-ctl -d $cap --get-fmt-video | grep -q 'Interlaced Top-Bottom'; then
	pass "capture-field-tb"
else
	fail "capture-field-tb" "$(v4l2-ctl -d $cap --get-fmt-video | grep Field)"
fi

python3 "$VM_REPO/tests/vm/loop-md5.py" /tmp/play.raw /tmp/cap.raw $fs | tee /tmp/cmp.out
summary=$(tail -n 1 /tmp/cmp.out)
val() { sed -n "s/.*\\b$1=\\([0-9-]*\\).*/\\1/p" <<<"$summary"; }
if [[ $(val matched) -ge 25 && $(val matched) == "$(val captured)" ]]; then
	pass "md5-matched ($(val matched) of $(val captured) captured frames equal played frames)"
else
	fail "md5-matched" "only $(val matched) of $(val captured) captured frames equal a played frame"
fi
expect_eq "unmatched-after-start" "$(val unmatched_after_start)" 0
expect_eq "order-kept (no step back)" "$(val backwards)" 0
echo "capture timing: $(val steps) steps of one frame, $(val repeats) frames seen twice, $(val gaps) skips; sink late=$(sink_val /tmp/play.out late)"
vm_done
