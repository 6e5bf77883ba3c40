#!/bin/bash
# vm: disks=1 size=1G modules=xfs vivid="n_devs=1 node_types=0x1" display="bochs-display,xres=720,yres=576" needs=vcap timeout=480
# vcap --preview while recording vivid's S-Video input at PAL 720x576 UYVY: on the bochs
# display (bochs-drm, whose preferred mode is 720x576; it keeps framebuffers in VRAM, so the
# preview's copies go up through dumb buffers, converted to XRGB) frames flipped are counted,
# and the recording is the same in kind as one without the preview: no drop, 100 frames, an
# md5 sidecar equal to ffmpeg's framemd5 of the file. Then a stalled pipe (--preview - into a
# reader that never reads) costs the recording nothing: no drop, the frames it could not take
# counted as skipped. A connector that does not exist stops vcap before it records (exit 3).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/policy-lib.sh
. "$VM_REPO/tests/vm/policy-lib.sh"
policy_disk

check "modprobe-bochs" modprobe -d "$VM_KMOD" bochs
for _ in {1..50}; do [[ -c /dev/dri/card0 ]] && break; sleep 0.1; done
conns=(/sys/class/drm/card0-*)
conn=${conns[0]##*/card0-}
echo "connector: $conn $(cat "${conns[0]}"/status), modes: $(paste -sd ' ' "${conns[0]}"/modes)"

# sidecar_ok NAME: the --md5 sidecar has every frame, and is what ffmpeg computes from the file
sidecar_ok() {
	local n=$1
	expect_eq "$n-sidecar-frames" "$(grep -c '^0,' "$n.md5")" 100
	# (no /dev/fd in the guest for a process substitution: files)
	grep '^0,' "$n.md5" | cut -d, -f6 >"$n.side"
	ffmpeg -nostdin -v error -i "$n.mov" -map 0:v -c copy -f framemd5 - | grep '^0,' |
		cut -d, -f6 >"$n.ff"
	if [[ -s $n.ff ]] && cmp -s "$n.side" "$n.ff"; then
		pass "$n-sidecar-is-framemd5"
	else
		fail "$n-sidecar-is-framemd5" "$n.md5 differs from ffmpeg's framemd5 of $n.mov"
	fi
}

# summary NAME: the figures a reader compares, for the log
summary() {
	echo "$1: exit $2, frames $(json_get "$1.json" frames), drops $(json_get "$1.json" drops)," \
		"max buffer fill $(json_get "$1.json" max_buffer_fill)"
}

echo "+ $VCAP ${SD[*]} -n 100 --md5 plain.md5 --json -o plain.mov"
"$VCAP" "${SD[@]}" -n 100 --md5 plain.md5 --json -o plain.mov >plain.json 2>plain.err
rc=$?
summary plain $rc
expect_eq "plain-exit" "$rc" 0
sidecar_ok plain

echo "+ $VCAP ${SD[*]} -n 100 --preview kms:$conn --md5 kms.md5 --json -o kms.mov"
"$VCAP" "${SD[@]}" -n 100 --preview "kms:$conn" --md5 kms.md5 --json -o kms.mov >kms.json 2>kms.err
rc=$?
cat kms.err
summary kms $rc
expect_eq "kms-exit" "$rc" 0
expect_eq "kms-frames-and-drops" "$(json_get kms.json frames) $(json_get kms.json drops)" \
	"100 $(json_get plain.json drops)"
sidecar_ok kms
shown=$(json_get kms.json preview.shown)
skipped=$(json_get kms.json preview.skipped)
offered=$(json_get kms.json preview.offered)
echo "preview: $shown flipped, $skipped skipped, $offered offered; $(json_get kms.json preview.mode)"
if [[ $shown -gt 0 && $offered -eq 100 && $((shown + skipped)) -le 100 ]]; then
	pass "kms-flips-counted ($shown of 100 frames flipped, $skipped skipped)"
else
	fail "kms-flips-counted" "shown $shown, skipped $skipped, offered $offered"
fi
if json_get kms.json preview.mode | grep -q 'to the screen: dumb + copy'; then
	pass "kms-mode-says-dumb-copy"
else
	fail "kms-mode-says-dumb-copy" "$(json_get kms.json preview.mode)"
fi

# a preview nobody reads: vcap is done in 4 s, the reader sleeps on
echo "+ $VCAP ${SD[*]} -n 100 --preview - -o stalled.mov | sleep 30"
{
	"$VCAP" "${SD[@]}" -n 100 --preview - --md5 stalled.md5 -o stalled.mov 2>stalled.err
	echo $? >stalled.rc
	pkill -x sleep || true
} | sleep 30
cat stalled.err
expect_eq "stalled-exit" "$(cat stalled.rc)" 0
expect_eq "stalled-frames-and-drops" \
	"$(sed -nE 's/.*stalled.mov: ([0-9]+) frames \(([0-9]+) dropped.*/\1 \2/p' stalled.err)" \
	"100 $(json_get plain.json drops)"
skipped=$(sed -nE 's/.*frames shown, ([0-9]+) skipped.*/\1/p' stalled.err)
if [[ -n $skipped && $skipped -ge 95 ]]; then
	pass "stalled-skips-counted ($skipped of 100)"
else
	fail "stalled-skips-counted" "'$skipped' skipped"
fi
sidecar_ok stalled

run "$VCAP" "${SD[@]}" -n 10 --preview kms:NOPE-1 -o nope.mov 2>nope.err
rc=$?
cat nope.err
expect_eq "no-such-connector-exit" "$rc" 3
expect_eq "no-such-connector-nothing-created" "$(ls nope.mov* 2>/dev/null)" ""
policy_cleanup
vm_done
