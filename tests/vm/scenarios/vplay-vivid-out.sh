#!/bin/bash
# vm: vivid="n_devs=1 node_types=0x101" timeout=240 needs=vmprogs/prog-sink
# The v4l2 sink on vivid's output node (tests/vm/prog-sink drives the sink's ops as the player
# does): PAL and NTSC interlaced through the S-Video output with its standard, 720p60 through
# the HDMI output with DV timings; zero copy through udmabuf, MMAP + one counted copy for
# frames at a skew; underruns counted when the player stalls on purpose; and the errors: a format the device cannot take, a missing device, a node
# that is not an output, --zero-copy with skewed frames.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/sink-lib.sh
. "$VM_REPO/tests/vm/sink-lib.sh"

for _ in {1..50}; do [[ -c /dev/video1 ]] && break; sleep 0.1; done
out=/dev/video1
v4l2-ctl -d $out --info | grep -q 'Video Output' || { fail "output-node" "$out is not vivid's output"; vm_done; }

# sink_play NAME FRAMES MODE_PATTERN ARG...: plays, every frame comes back in order.
sink_play() {
	local name=$1 frames=$2 pattern=$3 o=/tmp/$1.out
	shift 3
	if ! sink_run "$o" "$@"; then
		fail "$name" "prog-sink failed: $(tail -n 1 "$o")"
		return 1
	fi
	expect_eq "$name-dequeued" "$(sink_val "$o" dequeued)" "$frames"
	expect_eq "$name-order" "$(sink_val "$o" order)" ok
	sink_expect_mode "$name-mode" "$o" "$pattern"
}

sink_play pal-tff 20 'dmabuf (zero copy), output 0 .S-Video.*PAL' v4l2 $out UYVY 720x576 25/1 tff 20
expect_eq "pal-tff-copies" "$(sink_val /tmp/pal-tff.out copies)" 0
echo "underruns at PAL: $(sink_val /tmp/pal-tff.out underruns)"
sink_play stalled 20 'dmabuf' v4l2 $out UYVY 720x576 25/1 tff 20 --stall-at 10
if [[ $(sink_val /tmp/stalled.out underruns) -ge 2 ]]; then
	pass "stall-counted-as-underruns ($(sink_val /tmp/stalled.out underruns) repeated frames after a 300 ms stall)"
else
	fail "stall-counted-as-underruns" "underruns=$(sink_val /tmp/stalled.out underruns) after a 300 ms stall"
fi
sink_play ntsc-bff 10 'dmabuf (zero copy), output 0 .S-Video.*NTSC' v4l2 $out UYVY 720x480 30000/1001 bff 10
sink_play skewed 10 'mmap + copy (frames sit at a skew' v4l2 $out UYVY 720x576 25/1 tff 10 --skew 64
expect_eq "skewed-copies" "$(sink_val /tmp/skewed.out copies)" 10
sink_play hdmi-720p 10 'output 1 .HDMI.*DV 1280x720p60' v4l2 $out UYVY 1280x720 60/1 progressive 10
if v4l2-ctl -d $out --get-fmt-video-out | grep -q 'Progressive\|None'; then
	pass "hdmi-720p-field-none"
else
	fail "hdmi-720p-field-none" "$(v4l2-ctl -d $out --get-fmt-video-out | grep Field)"
fi

sink_expect_error "progressive-on-sdtv" 3 "Invalid argument" v4l2 $out UYVY 720x576 25/1 progressive 5
sink_expect_error "size-without-timing" 3 "Invalid argument" v4l2 $out UYVY 1000x700 25/1 progressive 5
sink_expect_error "missing-device" 3 "No such file or directory" v4l2 /dev/video9 UYVY 720x576 25/1 tff 5
sink_expect_error "not-an-output" 3 "No such device" v4l2 /dev/video0 UYVY 720x576 25/1 tff 5
sink_expect_error "zero-copy-skewed" 3 "Operation not supported" v4l2 $out UYVY 720x576 25/1 tff 5 --skew 64 --zero-copy
vm_done
