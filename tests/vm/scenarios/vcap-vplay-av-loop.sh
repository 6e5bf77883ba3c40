#!/bin/bash
# vm: modules=snd-aloop vivid="n_devs=1 node_types=0x101" timeout=420 needs=vplay,vcap
# The round trip with sound: vcap writes a 100-frame PAL clip from its pattern source with the
# pattern tone (a full-scale marker at every frame's first sample, labelled with the frame's
# number); vplay plays it in a loop to vivid's S-Video output and its sound to snd-aloop's
# playback side; vcap records 75 frames back from vivid's S-Video input (looped to that
# output) with the sound from aloop's capture side. Each recorded frame is known by its md5
# (vplay --md5 lists the clip's), each marker by its label: the marker of the clip frame a
# recorded frame shows must lie within one frame period of that frame's first sample.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

cap=/dev/video0 out=/dev/video1
for _ in {1..50}; do [[ -c $out && -e /proc/asound/Loopback ]] && break; sleep 0.1; done
grep -q Loopback /proc/asound/cards || { fail "aloop" "no Loopback card"; vm_done; }
cd /tmp || exit 1

check "make-clip" "$VM_BUILD/vcap" -q --source pattern --size 720x576 --format UYVY \
	--field interlaced-tb --rate 25 --rate max -n 100 --audio pattern --audio-format s24 -o src.mov
check "capture-input" v4l2-ctl -d $cap -i 2
check "loop-on" v4l2-ctl -d $cap -c s_video_000_0_is_connected_to=2 -c osd_text_mode=2

echo "+ vplay src.mov -o $out --loop 0 --audio-out hw:CARD=Loopback,DEV=0,SUBDEV=0 --md5 play.md5 &"
"$VM_BUILD/vplay" -q src.mov -o $out --loop 0 --audio-out hw:CARD=Loopback,DEV=0,SUBDEV=0 \
	--md5 play.md5 --json >play.json 2>play.err &
ppid=$!
for _ in {1..600}; do grep -q '^0,' play.md5 2>/dev/null && break; sleep 0.1; done
sleep 1
echo "+ vcap --device $cap --input 2 --std pal ... --audio hw:CARD=Loopback,DEV=1,SUBDEV=0 -n 75"
"$VM_BUILD/vcap" -q --device $cap --input 2 --std pal --size 720x576 --format UYVY \
	--field interlaced-tb -n 75 --audio hw:CARD=Loopback,DEV=1,SUBDEV=0 --md5 cap.md5 \
	--json -o cap.mov >cap.json 2>cap.err
crc=$?
kill -INT $ppid
wait $ppid
cat play.err cap.err
# for a failure's reading: how each side kept time (a late start or underruns on the output
# shift pictures against their sound; repeats are the capture's timer running ahead)
echo "vplay: underruns $(json_get play.json underruns), late $(json_get play.json late)," \
	"fill $(json_get play.json fill_seconds) s, audio offset $(json_get play.json audio.offset_ms) ms," \
	"dropped $(json_get play.json audio.dropped), repeated $(json_get play.json audio.repeated)"
echo "vcap: drops $(json_get cap.json drops), audio drift $(json_get cap.json audio.drift_ppm) ppm," \
	"xruns $(json_get cap.json audio.xruns)"
expect_eq "vcap-exit" "$crc" 0
expect_eq "vcap-audio-samples" "$(json_get cap.json audio.samples)" \
	"$(( ($(awk '/^[0-9]/ { p = $4 } END { print p + 1 }' cap.mov.vcj)) * 1920 ))"

# Which clip frame each recorded frame shows (md5), and where each labelled marker is.
ffmpeg -nostdin -v error -y -i cap.mov -map 0:a -c:a pcm_s24le -f s24le cap.raw </dev/null
/usr/bin/python3 - play.md5 cap.mov.vcj cap.raw <<'PY'
import sys
clip = {}
for line in open(sys.argv[1]):
    if line.startswith("0,"):
        f = [x.strip() for x in line.split(",")]
        clip.setdefault(f[5], int(f[1]) // 512)  # pts in 1/12800 -> frame at 25 fps
frames = []
for line in open(sys.argv[2]):
    if line[:1].isdigit():
        f = line.split()
        frames.append((int(f[3]), f[9]))  # pts (frame periods), md5
d = open(sys.argv[3], "rb").read()
marks = {}
for i in range(len(d) // 6 - 1):
    if int.from_bytes(d[i * 6:i * 6 + 3], "little", signed=True) > 1 << 22:
        lab = int.from_bytes(d[(i + 1) * 6:(i + 1) * 6 + 3], "little", signed=True)
        marks.setdefault(lab, []).append(i)
n = len(d) // 6
known = ok = edge = 0
worst = 0
offs = []
prev = None
repeats = 0
for pts, md5 in frames:
    if md5 not in clip:
        continue
    if md5 == prev:
        # vivid's capture timer ran ahead of its output's and took the same picture twice
        # (printed, not judged, as in vplay-vivid-loop): its sound is the next frame's
        repeats += 1
        print(f"frame pts {pts} repeats clip frame {clip[md5]}")
        continue
    prev = md5
    known += 1
    want = pts * 1920
    near = [m - want for m in marks.get(clip[md5], [])]
    off = min(near, key=abs) if near else None
    if off is None or abs(off) > 1920:
        # a marker that would lie before the first sample or after the last is cut off,
        # not late: the frames at the file's two ends may have theirs outside it
        if want < 1920 or want + 2 * 1920 > n:
            edge += 1
            continue
        print(f"frame pts {pts} (clip frame {clip[md5]}): nearest marker {off}")
        continue
    offs.append(off)
    worst = max(worst, abs(off))
    ok += 1
print(f"frames known by md5 {known} of {len(frames)} ({repeats} repeated), markers within a frame {ok}, at the "
      f"file's ends {edge}; offsets {min(offs)} to {max(offs)} samples, largest "
      f"{worst} ({worst / 48:.1f} ms)")
print("PASS: markers-within-a-frame" if known >= len(frames) // 2 and ok + edge == known
      and edge <= 2 else f"FAIL: markers-within-a-frame: {ok} of {known} frames")
PY
vm_done
