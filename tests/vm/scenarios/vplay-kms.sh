#!/bin/bash
# vm: modules=vgem timeout=240 needs=vmprogs/prog-sink display="bochs-display,xres=720,yres=576"
# The kms sink on a qemu bochs-display (bochs-drm, loaded here after the no-display check) whose
# preferred mode is 720x576, so SD material plays at its own size; 640x480 for the RGB cases:
# frames go out by page flips, one per frame, paced at the file rate; bochs keeps its
# framebuffers in VRAM and cannot import the slab's udmabuf, so the sink falls back to dumb
# buffers and says so; 4:2:2 is converted for its XRGB-only plane; SEP fields are woven. vgem
# (a DRM device with no display) shows what happens without a connector. Errors: no DRM card,
# no connector, a size without a mode, --zero-copy where import fails.
# Not covered here: a successful PRIME import (no display driver in this rig imports a udmabuf).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/sink-lib.sh
. "$VM_REPO/tests/vm/sink-lib.sh"

# vgem alone: a card with no connectors.
cards=(/dev/dri/card*)
if [[ -c ${cards[0]} ]]; then
	pass "vgem-card (${cards[0]})"
else
	fail "vgem-card" "vgem made no /dev/dri/card*"
fi
sink_expect_error "no-display" 3 "No such device" kms "" XBGR32 640x480 25/1 progressive 3
rmmod vgem
sink_expect_error "no-drm-card" 3 "No such file or directory" kms "" XBGR32 640x480 25/1 progressive 3

check "modprobe-bochs" modprobe -d "$VM_KMOD" bochs
for _ in {1..50}; do [[ -c /dev/dri/card0 ]] && break; sleep 0.1; done
conns=(/sys/class/drm/card0-*)
sysconn=${conns[0]}
conn=${sysconn##*/card0-}
echo "connector: $conn $(cat "$sysconn"/status), modes: $(paste -sd ' ' "$sysconn"/modes)"

# kms_play NAME FRAMES MODE_PATTERN ARG...: every frame flipped and given back in order.
kms_play() {
	local name=$1 frames=$2 pattern=$3 o=/tmp/$1.out
	shift 3
	if ! sink_run "$o" "$@"; then
		fail "$name" "prog-sink failed: $(tail -n 1 "$o")"
		return 1
	fi
	expect_eq "$name-shown" "$(sink_val "$o" dequeued)" "$frames"
	expect_eq "$name-order" "$(sink_val "$o" order)" ok
	expect_eq "$name-copies" "$(sink_val "$o" copies)" "$frames"
	sink_expect_mode "$name-mode" "$o" "$pattern"
	echo "$name: underruns=$(sink_val "$o" underruns) late=$(sink_val "$o" late) (under TCG)"
}

kms_play xrgb 25 'dumb + copy (PRIME import of the udmabuf failed), .*640x480' kms "" XBGR32 640x480 25/1 progressive 25
# 25 frames at 25 fps: 24 periods from the first flip to the last at least (paced, not as
# fast as flips complete), and the display mode runs at 60 Hz.
secs=$(sink_val /tmp/xrgb.out elapsed)
if awk -v s="$secs" 'BEGIN { exit !(s >= 0.92) }'; then pass "paced ($secs s for 25 frames)"; else fail "paced" "25 frames in $secs s"; fi
kms_play uyvy-convert 10 'dumb + copy (the plane has no 4:2:2: converted to XRGB8888)' kms "$conn" UYVY 640x480 25/1 tff 10
kms_play sep-woven 5 'dumb + copy' kms /dev/dri/card0 XBGR32 640x480 25/1 sep-tb 5

sink_expect_error "no-such-connector" 3 "No such file or directory" kms "HDMI-A-9" XBGR32 640x480 25/1 progressive 3
sink_expect_error "size-without-mode" 3 "Numerical result out of range" kms "" XBGR32 1000x700 25/1 progressive 3
sink_expect_error "zero-copy-without-import" 3 "Operation not supported" kms "" XBGR32 640x480 25/1 progressive 3 --zero-copy

# The same through vplay: a file from vcap to the screen, with --connector and --mode.
"$VM_BUILD/vcap" --size 640x480 --format XBGR32 --rate 25 -n 12 -q -o /tmp/k.mov
"$VM_BUILD/vplay" /tmp/k.mov --connector "$conn" --mode 640x480 --json >/tmp/k.json 2>/tmp/k.err
expect_eq "vplay-kms-exit" "$?" 0
expect_eq "vplay-kms-frames" "$(json_get /tmp/k.json frames)" 12
if grep -q 'dumb + copy' /tmp/k.json; then pass "vplay-kms-mode"; else fail "vplay-kms-mode" "$(cat /tmp/k.json /tmp/k.err)"; fi
# SD interlaced 4:2:2 at its own size: converted for the XRGB plane, shown as frames, paced.
"$VM_BUILD/vcap" --size 720x576 --format UYVY --rate 25 --field interlaced-tb -n 25 -q \
	--md5 /tmp/sd.md5 -o /tmp/sd.mov
"$VM_BUILD/vplay" /tmp/sd.mov -o "kms:$conn" --mode 720x576 --md5 /tmp/sdp.md5 --json \
	>/tmp/sd.json 2>/tmp/sd.err
expect_eq "vplay-kms-sd-exit" "$?" 0
expect_eq "vplay-kms-sd-frames" "$(json_get /tmp/sd.json frames)" 25
if cmp -s /tmp/sd.md5 /tmp/sdp.md5; then pass "vplay-kms-sd-md5 (frames out = frames recorded)"; else fail "vplay-kms-sd-md5" "differs"; fi
secs=$(json_get /tmp/sd.json seconds)
if awk -v s="$secs" 'BEGIN { exit !(s >= 0.9) }'; then pass "vplay-kms-sd-paced ($secs s for 25 frames at 25 fps)"; else fail "vplay-kms-sd-paced" "$secs s"; fi
if grep -q 'converted to XRGB8888' /tmp/sd.json; then pass "vplay-kms-sd-mode"; else fail "vplay-kms-sd-mode" "$(cat /tmp/sd.json /tmp/sd.err)"; fi
echo "vplay-kms-sd: underruns=$(json_get /tmp/sd.json underruns) late=$(json_get /tmp/sd.json late) (under TCG)"
"$VM_BUILD/vplay" /tmp/k.mov --connector "$conn" --mode 720x576 >/dev/null 2>/tmp/k.err
expect_eq "vplay-kms-bad-mode-exit" "$?" 3
expect_eq "vplay-kms-bad-mode-one-line" "$(wc -l </tmp/k.err)" 1
if grep -q 'no display mode 640x480 matching --mode 720x576' /tmp/k.err; then pass "vplay-kms-bad-mode-says"; else fail "vplay-kms-bad-mode-says" "$(cat /tmp/k.err)"; fi
vm_done
