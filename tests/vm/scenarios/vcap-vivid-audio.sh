#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,xfs,snd-aloop vivid="n_devs=1 node_types=0x1" needs=vcap timeout=900
# Picture and sound together: vivid's S-Video input at PAL and snd-aloop's capture side, with
# a marker signal (one full-scale sample every 1920 samples, 25 per second) played into the
# cable's other side by aplay. vcap records both onto md RAID0 + XFS:
#  - 20 s: the sound is exactly the frames' share (1920 per frame period), nothing late, the
#    drift against vivid's clock small, the markers on one fixed place in every frame;
#  - the capture side's "PCM Rate Shift 100000" at 100100 (aloop then runs that side 1000 ppm
#    slow), 30 s: vcap reports -1000 +- 100 ppm (the guest's timers jitter under TCG, and
#    more when the host is busy: runs measured -885 to -1038);
#  - an overrun (vcap stopped with SIGSTOP for longer than the ALSA buffer): reported with its
#    exact sample count, marked in the log, and the markers after it still on their place.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/vivid-lib.sh
. "$VM_REPO/tests/vm/vivid-lib.sh"
vivid_raid0_xfs
cap=hw:CARD=Loopback,DEV=1,SUBDEV=0
play=hw:CARD=Loopback,DEV=0,SUBDEV=0
sd=(--device $DEV --input 2 --std pal --size 720x576 --format UYVY --field interlaced-tb)
[[ -e /dev/snd/controlC0 ]] || { fail "aloop-card" "no /dev/snd/controlC0"; vm_done; }

# 90 s of markers, 24-bit stereo (the capture side's native S24_3LE: aloop's two ends must
# agree on the format)
/usr/bin/python3 - <<'PY'
import struct, wave
w = wave.open("/tmp/marks.wav", "wb")
w.setnchannels(2); w.setsampwidth(3); w.setframerate(48000)
one = bytearray(1920 * 6)
one[0:6] = (0x7fffff).to_bytes(3, "little") * 2
w.writeframes(bytes(one) * (90 * 25))
w.close()
PY
aplay -q -D "$play" /tmp/marks.wav &
player=$!
sleep 1

# marker_offsets FILE [FROM TO]: the distinct offsets (mod 1920) of the markers in the decoded
# sound between samples FROM and TO, one per line.
marker_offsets() {
	ffmpeg -nostdin -v error -y -i "$1" -map 0:a -c:a pcm_s24le -f s24le /tmp/a.raw </dev/null
	/usr/bin/python3 - /tmp/a.raw "${2:-0}" "${3:-999999999}" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
lo, hi = int(sys.argv[2]), int(sys.argv[3])
offs = {}
for i in range(lo, min(hi, len(d) // 6)):
    if int.from_bytes(d[i * 6:i * 6 + 3], "little", signed=True) > 1 << 22:
        offs[i % 1920] = offs.get(i % 1920, 0) + 1
for o, n in sorted(offs.items()):
    print(o, n)
PY
}

# record NAME SECONDS VCAP-ARGS...
record() {
	local name=$1 secs=$2
	shift 2
	rm -f "$name".*
	echo "+ vcap ${sd[*]} -t $secs --audio $cap $* -o $name.mov"
	"$VCAP" "${sd[@]}" -t "$secs" --audio "$cap" "$@" --json -q -o "$name.mov" >"$name.json"
	local rc=$?
	cat "$name.json"
	expect_eq "$name-exit" "$rc" 0
}

# 1. 20 s at the nominal rate.
record av20 20
span=$(awk '/^[0-9]/ { p = $4 } END { print p + 1 }' av20.mov.vcj)
expect_eq "av20-samples-are-the-frames-share" "$(json_get av20.json audio.samples)" "$((span * 1920))"
expect_eq "av20-audio-track" "$(ffprobe -v error -select_streams a -show_entries stream=codec_name,channels,duration_ts -of csv=p=0 av20.mov </dev/null)" "pcm_s24le,2,$((span * 1920))"
expect_eq "av20-nothing-late" "$(json_get av20.json audio.late_silence)" 0
drift=$(json_get av20.json audio.drift_ppm)
echo "drift at the nominal rate: $drift ppm"
# 100 ppm: under TCG on a loaded host the timestamps of both clocks jitter by milliseconds
# (runs measured -8 to -57 ppm at the nominal rate); the rate-shift check below has the same
if /usr/bin/python3 -c "import sys; sys.exit(abs(float('$drift')) > 100)"; then
	pass "av20-drift-small ($drift ppm)"
else
	fail "av20-drift-small" "$drift ppm"
fi
offs=$(marker_offsets av20.mov 1920)
echo "marker offsets (offset count): $offs"
expect_eq "av20-markers-one-place" "$(echo "$offs" | wc -l)" 1

# 2. The capture side's clock 1000 ppm slow.
numid=$(amixer -c Loopback controls | grep "name='PCM Rate Shift 100000'" | grep ',device=1' |
	grep -v 'subdevice=[1-9]' | sed -n 's/^numid=\([0-9]*\),.*/\1/p' | head -n 1)
if [[ -n $numid ]]; then
	run amixer -q -c Loopback cset numid="$numid" 100100
	kill $player 2>/dev/null; wait $player 2>/dev/null
	aplay -q -D "$play" /tmp/marks.wav &
	player=$!
	sleep 1
	record shift 30
	drift=$(json_get shift.json audio.drift_ppm)
	# -1000 +- 100: runs in this TCG guest measured -885 to -1038 (the guest's timers, which
	# both vivid's and aloop's clocks come from, jitter; more when the host is busy)
	if /usr/bin/python3 -c "import sys; sys.exit(abs(float('$drift') + 1000) > 100)"; then
		pass "shift-drift-reported ($drift ppm, expected -1000 +- 100)"
	else
		fail "shift-drift-reported" "$drift ppm, expected -1000 +- 100"
	fi
	run amixer -q -c Loopback cset numid="$numid" 100000
else
	fail "rate-shift" "no 'PCM Rate Shift 100000' control for device 1"
fi
kill $player 2>/dev/null; wait $player 2>/dev/null
aplay -q -D "$play" /tmp/marks.wav &
player=$!
sleep 1

# 3. An overrun: vcap stopped for 3 s (the ALSA buffer holds 2 s).
rm -f xrun.*
"$VCAP" "${sd[@]}" -t 16 --buffers 200 --audio "$cap" --json -o xrun.mov >xrun.json 2>xrun.err &
pid=$!
sleep 6
kill -STOP $pid
sleep 3
kill -CONT $pid
wait $pid
expect_eq "xrun-exit" "$?" 0
cat xrun.json
grep -i overrun xrun.err
lost=$(json_get xrun.json audio.xrun_samples)
expect_eq "xrun-counted" "$(json_get xrun.json audio.xruns)" 1
expect_eq "xrun-logged" "$(grep -o 'xrun=[0-9]*' xrun.mov.vcj | cut -d= -f2)" "$lost"
expect_eq "xrun-told" "$(grep -c "audio overrun: $lost samples lost" xrun.err)" 1
if ((lost > 48000 && lost < 3 * 48000)); then pass "xrun-size ($lost samples)"; else fail "xrun-size" "$lost samples for a 3 s stop"; fi
at=$(sed -n 's/.*audio overrun: [0-9]* samples lost at sample \([0-9]*\).*/\1/p' xrun.err)
before=$(marker_offsets xrun.mov 1920 "$at")
after=$(marker_offsets xrun.mov "$((at + lost + 1920))")
echo "markers before the overrun: $before; after: $after"
expect_eq "xrun-markers-keep-their-place" "$(echo "$after" | cut -d' ' -f1)" "$(echo "$before" | cut -d' ' -f1)"
kill $player 2>/dev/null
vivid_cleanup
vm_done
