#!/bin/bash
# vm: modules=snd-aloop vivid="n_devs=1 node_types=0x101" timeout=360 needs=vplay display="bochs-display,xres=720,yres=576"
# vplay plays a MOV's sound to snd-aloop's playback side while arecord captures the other
# side: a 4 s PAL clip from ffmpeg (interlaced, top first) whose stereo 16-bit sound is
# silence with a 10 ms 1 kHz burst at 0.5, 1.5, 2.5 and 3.5 s. Played to vivid's S-Video output
# (a device clock of its own: the drift is measured and reported), to the null output and to
# a qemu bochs-display through KMS (the pictures follow the sound's clock), the capture must hold the four bursts exactly
# 48000 samples apart (every sample arrived, none dropped or doubled), and vplay must report
# every sample played. Then the refusals on a real card: a device that does not exist. The
# drift and the offsets are printed, not judged: vivid's and aloop's timers both run on the
# guest's clock, and TCG makes both jitter.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

out=/dev/video1
for _ in {1..50}; do [[ -c $out && -e /proc/asound/Loopback ]] && break; sleep 0.1; done
cd /tmp || exit 1
command -v arecord >/dev/null || { echo "arecord missing (alsa-utils)"; exit 77; }
grep -q Loopback /proc/asound/cards || { fail "aloop" "no Loopback card: $(cat /proc/asound/cards)"; vm_done; }

burst='if(lt(mod(t-0.5\,1)\,0.01)*gte(t\,0.5)\,0.8*sin(2*PI*1000*t)\,0)'
check "make-clip" ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=720x576:rate=25 \
	-f lavfi -i "aevalsrc=$burst|$burst:s=48000" -t 4 -c:v rawvideo -pix_fmt uyvy422 \
	-field_order tb -c:a pcm_s16le clip.mov

# bursts WAV: the sample where each burst starts (silence before it)
bursts() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = b.find(b"data")
d = b[i + 8:]
s = struct.unpack("<%dh" % (len(d) // 2), d[:len(d) // 2 * 2])[0::2]
print(" ".join(str(k) for k in range(1, len(s))
               if abs(s[k]) > 1000 and all(abs(x) < 100 for x in s[max(0, k - 480):k])))
PY
}

# play NAME ARGS...: arecord on the capture side, vplay ARGS to the playback side.
play() {
	local name=$1
	shift
	arecord -q -D hw:CARD=Loopback,DEV=1 -f S16_LE -c 2 -r 48000 -d 14 "$name.wav" &
	local rec=$!
	sleep 1
	echo "+ vplay clip.mov $* --audio-out hw:CARD=Loopback,DEV=0 --json"
	"$VM_BUILD/vplay" clip.mov "$@" --audio-out hw:CARD=Loopback,DEV=0 --json >"$name.json" \
		2>"$name.err"
	expect_eq "$name-exit" $? 0
	cat "$name.err"
	wait $rec
	local b
	# the first four: once the playback side stops, aloop leaves the capture buffer as it
	# was, and arecord reads its last 500 ms again (the last burst once more)
	b=$(bursts "$name.wav" | cut -d' ' -f1-4)
	echo "$name: bursts at samples $b"
	expect_eq "$name-samples-played" "$(json_get "$name.json" audio.samples)" 192000
	echo "$name: underruns $(json_get "$name.json" audio.underruns), drift $(json_get "$name.json" audio.drift_ppm) ppm, offset $(json_get "$name.json" audio.offset_ms) ms, video late $(json_get "$name.json" late)"
	# four bursts, 48000 samples apart: every sample arrived in order (give or take the
	# samples --audio-sync correct dropped or repeated)
	local tol=$(($(json_get "$name.json" audio.dropped) + $(json_get "$name.json" audio.repeated)))
	if /usr/bin/python3 -c 'import sys; t=int(sys.argv[1]); b=[int(x) for x in sys.argv[2:]]; sys.exit(not (len(b) == 4 and all(abs(y - x - 48000) <= t for x, y in zip(b, b[1:]))))' $tol $b; then
		pass "$name-markers (4 bursts 48000 samples apart, $tol corrections)"
	else
		fail "$name-markers" "bursts at '$b'"
	fi
}

play v4l2 -o $out
expect_eq "v4l2-clock" "$(json_get v4l2.json audio.clock)" true
expect_eq "v4l2-not-following" "$(json_get v4l2.json audio.video_follows)" false
play null -o null
expect_eq "null-follows-sound" "$(json_get null.json audio.video_follows)" true
if modprobe -d "$VM_KMOD" bochs && [[ -c /dev/dri/card0 ]]; then
	play kms -o kms --mode 720x576
	expect_eq "kms-follows-sound" "$(json_get kms.json audio.video_follows)" true
else
	skip "kms" "no bochs-drm display"
fi
play corrected -o $out --audio-sync correct
# sound that lasts longer than the pictures (1 s of frames, 4 s of sound): played to its end
check "make-tail-clip" ffmpeg -nostdin -v error -y -f lavfi \
	-i testsrc=size=720x576:rate=25:duration=1 -f lavfi -i "aevalsrc=$burst|$burst:s=48000:d=4" \
	-c:v rawvideo -pix_fmt uyvy422 -field_order tb -c:a pcm_s16le tail.mov
mv clip.mov clip-full.mov && cp tail.mov clip.mov
play tail -o null
expect_eq "tail-frames" "$(json_get tail.json frames)" 25
mv clip-full.mov clip.mov
echo "corrected: dropped $(json_get corrected.json audio.dropped), repeated $(json_get corrected.json audio.repeated)"

"$VM_BUILD/vplay" clip.mov --audio-out hw:CARD=NoSuchCard,DEV=0 -q 2>err.txt
expect_eq "unknown-card-exit" $? 3
cat err.txt
expect_eq "unknown-card-one-line" "$(wc -l <err.txt)" 1
vm_done
