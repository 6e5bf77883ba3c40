#!/usr/bin/env bash
# The MOV reader (mov/reader.c: libavformat's demuxer; reader-tc.c: the timecode track) against
# ffprobe on files from vcap and from ffmpeg: every sample's offset, size and pts, and the stream's tag, size, field order,
# rate, time base, colour, pixel aspect and timecode must equal what ffprobe reads. The corpus
# covers moov at the end and first (faststart), drop-frame and non-drop timecodes, dropped
# frames (a longer sample before each gap) and filled drops (one payload indexed twice), many
# small frames per chunk, video interleaved with audio, an edit list that delays the track,
# co64 above 4 GiB, and a palette-free 'raw ' entry. Damaged files give an error, never a crash.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe ffmpeg python3
VMOV=$BIN/vmov
W=$BIN/tests/test-mov-write
[[ -x $VMOV && -x $BIN/vcap && -x $W ]] || skip_all "build first: $VMOV, $BIN/vcap or $W missing"
cd "$TMP" || exit 1
FAILED=0

# compare FILE: vmov info --json --samples against ffprobe, one line per difference
compare() {
	"$VMOV" info "$1" --json --samples >r.json 2>err.txt || { echo "vmov info: $(cat err.txt)"; return; }
	ffprobe -v error -select_streams v:0 -show_streams -show_packets -of json "$1" >p.json </dev/null
	python3 - r.json p.json <<'PY'
import json, sys
from fractions import Fraction
r = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
st = p["streams"][0]; pk = p["packets"]
pri = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020"}
trc = {1: "bt709", 2: "unknown", 6: "smpte170m", 7: "smpte240m", 14: "bt2020-10", 16: "smpte2084", 18: "arib-std-b67"}
mat = {0: "gbr", 1: "bt709", 2: "unknown", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc"}
fo = {"progressive": "progressive", "tff": "tb", "bff": "bt", "sep-tb": "tt", "sep-bt": "bb"}
out = []
def eq(what, ours, theirs):
    if str(ours) != str(theirs):
        out.append(f"{what}: ours {ours}, ffprobe {theirs}")
eq("tag", r["tag"], st["codec_tag_string"])
eq("width", r["width"], st["width"]); eq("height", r["height"], st["height"])
eq("field order", fo.get(r["field"], "unknown"), st.get("field_order", "unknown"))
eq("rate", Fraction(r["rate_num"], r["rate_den"]), Fraction(st["r_frame_rate"]))
eq("colour primaries", pri.get(r["primaries"], r["primaries"]), st.get("color_primaries", "unknown"))
eq("colour transfer", trc.get(r["transfer"], r["transfer"]), st.get("color_transfer", "unknown"))
eq("colour matrix", mat.get(r["matrix"], r["matrix"]), st.get("color_space", "unknown"))
sar = st.get("sample_aspect_ratio", "N/A")
eq("pixel aspect", f"{r['sar_num']}:{r['sar_den']}" if r["sar_den"] else "N/A", sar if sar != "0:1" else "N/A")
eq("timecode", r["timecode"] or "-", st.get("tags", {}).get("timecode", "-"))
eq("samples", r["samples_count"], len(pk))
tb = Fraction(st["time_base"])
for i, (s, q) in enumerate(zip(r["samples"], pk)):
    mine = (s[0], s[1], s[2])
    theirs = (int(q["pos"]), int(q["size"]), int(q["pts"]))
    if mine != theirs:
        out.append(f"sample {i}: ours offset/size/pts {mine}, ffprobe {theirs}")
        break
print("\n".join(out))
PY
}

one() { # NAME FILE: the file must exist, then no differences
	if [[ ! -s $2 ]]; then fail "$1: made" "no file"; return; fi
	local d
	d=$(compare "$2")
	if [[ -z $d ]]; then pass "$1: $(json r.json 'j["samples_count"]') samples and the stream equal ffprobe's"
	else fail "$1" "$(head -3 <<<"$d" | tr '\n' ';')"; fi
}

V=("$BIN/vcap" --rate max -q)
"${V[@]}" --format UYVY --size 1920x1080 --rate 30000/1001 --field interlaced-tb -n 12 \
	--timecode "01:00:00;00" -o a.mov 2>/dev/null
one "vcap UYVY 1080 TFF, drop-frame timecode" a.mov
"${V[@]}" --format v210 --size 720x486 --rate 30000/1001 --field interlaced-bt -n 10 -o b.mov 2>/dev/null
one "vcap v210 486 BFF" b.mov
"${V[@]}" --format YUYV --size 720x576 --rate 25 --field seq-tb -n 10 --timecode 10:00:00:00 -o c.mov 2>/dev/null
one "vcap YUYV 576 seq-tb, timecode" c.mov
"${V[@]}" --format ARGB32 --size 1280x720 --rate 50 -n 6 --align 196608 -o d.mov 2>/dev/null
one "vcap ARGB32 720p on 192 KiB slots" d.mov
"${V[@]}" --format UYVY --size 720x576 --rate 50 -n 30 --pattern drop-every=7 -o e.mov 2>/dev/null
one "vcap with dropped frames (longer samples before gaps)" e.mov
"${V[@]}" --format UYVY --size 720x576 --rate 50 -n 30 --fill-drops --pattern drop-every=7 -o f.mov 2>/dev/null
one "vcap with filled drops (one payload indexed twice)" f.mov

FF=(ffmpeg -nostdin -v error -y -f lavfi)
"${FF[@]}" -i testsrc=size=720x486:rate=30000/1001 -frames:v 8 -c:v rawvideo -pix_fmt uyvy422 \
	-tag:v 2vuy -movflags +faststart g.mov
one "ffmpeg UYVY, moov first (faststart)" g.mov
"${FF[@]}" -i testsrc=size=1280x720:rate=25 -frames:v 6 -c:v v210 -timecode 00:59:59:24 h.mov
one "ffmpeg v210 with a timecode" h.mov
"${FF[@]}" -i testsrc=size=32x32:rate=25 -frames:v 300 -c:v rawvideo -pix_fmt uyvy422 -tag:v 2vuy i.mov
one "ffmpeg 32x32 UYVY, many frames per chunk" i.mov
"${FF[@]}" -i testsrc=size=320x240:rate=25 -f lavfi -i sine=r=48000 -t 2 -c:v rawvideo \
	-pix_fmt rgb24 -c:a pcm_s16le -shortest j.mov
one "ffmpeg RGB24 interleaved with PCM audio" j.mov
"${FF[@]}" -i testsrc=size=320x240:rate=30000/1001 -frames:v 10 -c:v rawvideo -pix_fmt uyvy422 \
	-tag:v 2vuy -timecode "00:09:59;28" -output_ts_offset 0.5 k.mov
one "ffmpeg with an edit list that delays the track, drop-frame timecode" k.mov
"${FF[@]}" -i testsrc=size=320x240:rate=25 -frames:v 4 -c:v rawvideo -pix_fmt uyvy422 \
	-tag:v 2vuy -aspect 16:9 l.mov
one "ffmpeg with a pixel aspect (pasp)" l.mov
"$W" --write m.mov --format UYVY --size 1920x1080 --rate 25 --frames 4 --skip $((5 << 30)) 2>/dev/null
one "above 4 GiB (co64, 64-bit mdat)" m.mov
rm -f m.mov

# Damaged: an error, never a crash or a hang; a mangled stsz must not size the table.
cp g.mov t.mov
truncate -s $(($(grep -obUaP 'moov' t.mov | head -1 | cut -d: -f1) + 200)) t.mov
timeout 20 "$VMOV" info t.mov >/dev/null 2>err.txt
check "moov cut short: vmov info exit 3" 3 $?
check "moov cut short: the error names the file" 1 "$(grep -c 't.mov' err.txt)"
cp b.mov u.mov
off=$(grep -obUaP 'stsz' u.mov | tail -1 | cut -d: -f1)
printf '\x00\x00\x10\x00\xff\xff\xff\xff' | dd of=u.mov bs=1 seek=$((off + 8)) conv=notrunc status=none
timeout 20 "$VMOV" info u.mov >/dev/null 2>err.txt
rc=$?
if [[ $rc -eq 3 || $rc -eq 0 ]]; then pass "stsz claiming 2^32 fixed-size samples: exit $rc, no crash"
else fail "stsz claiming 2^32 samples" "exit $rc: $(head -2 err.txt)"; fi
for i in $(seq 1 40); do # random bytes over the moov of each file
	for f in a g j; do
		cp $f.mov z.mov
		moov=$(grep -obUaP 'moov' z.mov | tail -1 | cut -d: -f1)
		len=$(($(stat -c %s z.mov) - moov))
		dd if=/dev/urandom of=z.mov bs=1 seek=$((moov + 8 + RANDOM % (len > 16 ? len - 16 : 1))) \
			count=8 conv=notrunc status=none
		timeout 20 "$VMOV" info z.mov --samples >/dev/null 2>&1
		rc=$?
		if ((rc != 0 && rc != 3)); then fail "damaged moov ($f, round $i)" "exit $rc"; cp z.mov "$OLDPWD/crash-$f-$i.mov"; fi
	done
done
pass "120 moovs with random bytes: every vmov info exited 0 or 3"
exit $FAILED
