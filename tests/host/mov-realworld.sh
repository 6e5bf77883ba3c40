#!/usr/bin/env bash
# Real-world MOVs (built by tests/host/mov-cases.py: ffmpeg plus byte patches) and the rule of
# vplay and vmov: what ffmpeg plays, vplay plays frame for frame (its --md5 lists the sizes and
# md5s of `ffmpeg -i F -map 0:v:0 -c copy -f framemd5 -`), and what it cannot play right it
# refuses with exit 3 and one line naming the feature; `vmov verify` says OK only for the
# frames ffmpeg plays. Timecodes: a break (a second tmcd sample), a counter at half the label
# rate (59.94 counted at 30), a recording across midnight, and labels the file does not hold.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg ffprobe python3
CASES=$PWD/tests/host/mov-cases.py
VPLAY=$BIN/vplay VMOV=$BIN/vmov VCAP=$BIN/vcap
[[ -x $VPLAY && -x $VMOV && -x $VCAP ]] || skip_all "build first: $BIN/vplay, vmov or vcap missing"
cd "$TMP" || exit 1
FAILED=0

# the size and md5 columns of a framemd5 listing
sums() { grep -v '^#' | awk -F', *' '{print $5, $6}'; }

# refused CASE: the one line vplay and vmov must print instead of playing
declare -A refused=([stsd2]="2 sample descriptions (2vuy, yuvs) in one track"
	[sizes2]="frames of different sizes (frame 3 is 153598 bytes, frame 0 153600)"
	[tmcd-slow]="its timecode track cannot be read")

for c in $("$CASES" --list); do
	"$CASES" "$c" "$c.mov" >/dev/null 2>gen.txt || { fail "$c: building" "$(cat gen.txt)"; continue; }
	rm -f "$c.md5"
	"$VPLAY" "$c.mov" -o null --md5 "$c.md5" -q 2>err.txt
	rc=$?
	"$VMOV" verify "$c.mov" >verify.txt 2>verr.txt
	vrc=$?
	if [[ -n ${refused[$c]:-} ]]; then
		check "$c: vplay refuses (exit)" 3 "$rc"
		check "$c: vplay names the feature" "vplay: $c.mov: ${refused[$c]}" "$(cat err.txt)"
		check "$c: vmov verify refuses (exit)" 3 "$vrc"
		check "$c: no md5 sidecar" no "$([[ -e $c.md5 ]] && echo yes || echo no)"
		continue
	fi
	ffmpeg -nostdin -v error -i "$c.mov" -map 0:v:0 -c copy -f framemd5 - 2>/dev/null | sums >ff.txt
	rm -f vp.txt; [[ -e $c.md5 ]] && sums <"$c.md5" >vp.txt; touch vp.txt
	check "$c: vplay exit" 0 "$rc"
	if [[ -s ff.txt ]] && cmp -s ff.txt vp.txt; then
		pass "$c: vplay --md5 equals ffmpeg's framemd5 ($(wc -l <ff.txt) frames)"
	else
		fail "$c: vplay --md5" "$(wc -l <vp.txt) frames vs ffmpeg's $(wc -l <ff.txt): $(diff ff.txt vp.txt | head -3 | tr '\n' ' ')"
	fi
	check "$c: vmov verify" "0 OK $(wc -l <ff.txt)" \
		"$vrc $(tail -1 verify.txt) $(sed -n 's/.*, \([0-9]*\) samples$/\1/p' verify.txt)"
done

# padded rows through a pipe: vplay -o - writes rows as the format packs them, so a reader of
# raw frames decodes what ffmpeg decodes from the file (the stored padding made them shear)
decoded() { grep -v '^#' | awk -F', *' '{print $6}'; }
for c in "rgb24-odd rawvideo -pix_fmt rgb24 -s 321x8" "v210-pad64 v210 -s 640x4"; do
	read -r name demux args <<<"$c"
	"$VPLAY" "$name.mov" -o - -q 2>err.txt |
		ffmpeg -nostdin -v error -f "$demux" $args -r 25 -i - -f framemd5 - 2>&1 | decoded >pipe.txt
	ffmpeg -nostdin -v error -i "$name.mov" -f framemd5 - | decoded >file.txt
	if [[ -s file.txt ]] && cmp -s pipe.txt file.txt; then
		pass "$name: vplay -o - | ffmpeg -f $demux decodes as ffmpeg decodes the file ($(wc -l <file.txt) frames)"
	else
		fail "$name: piped frames" "$(cat err.txt) $(diff file.txt pipe.txt | head -3 | tr '\n' ' ')"
	fi
done

# a break: 10:00:00:00 for frames 0-4, 10:00:40:00 from frame 5
"$VPLAY" tmcd-break.mov -o null --start 10:00:40:02 --md5 b.md5 -q 2>err.txt
check "tmcd-break: --start after the break plays frames 7-9" "0 3" "$? $(grep -vc "^#" b.md5 2>/dev/null)"
ffmpeg -nostdin -v error -i tmcd-break.mov -map 0:v:0 -c copy -f framemd5 - | sums | tail -3 >ff.txt
sums <b.md5 >vp.txt 2>/dev/null
check "tmcd-break: those are the file's last 3 frames" same "$(cmp -s ff.txt vp.txt && echo same)"
"$VPLAY" tmcd-break.mov -o null --start 10:00:20:00 -q 2>err.txt
rc=$?
check "tmcd-break: a label inside the gap is refused" "2 1" "$rc $(grep -c 'no frame of tmcd-break.mov has that timecode' err.txt)"
check "tmcd-break: vmov info counts the break" 1 \
	"$("$VMOV" info tmcd-break.mov --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["timecode_breaks"])')"

# the counter at 30 per second for 59.94 labels: ffprobe's label
want=$(ffprobe -v error -select_streams v:0 -show_entries stream_tags=timecode -of csv=p=0 tmcd-counter.mov)
check "tmcd-counter: vmov info's timecode is ffprobe's" "timecode:    $want" \
	"$("$VMOV" info tmcd-counter.mov | grep '^timecode:')"

# a drop-frame track described as 2997/100: the labels vmov info gives are found by --start
first=$("$VMOV" info tmcd-2997.mov | sed -n 's/^timecode: *//p')
"$VPLAY" tmcd-2997.mov -o null --start '01:00:00;00' --md5 d.md5 -q 2>err.txt
check "tmcd-2997: first label $first, --start 01:00:00;00 plays frames 2-9" "00:59:59;28 0 8" \
	"$first $? $(grep -vc "^#" d.md5 2>/dev/null)"

# across midnight: 23:59:59:20 + 20 frames at 25 fps; 00:00:00:05 is frame 10
"$VCAP" --source pattern --size 320x240 --rate 25 --timecode 23:59:59:20 -n 20 -q -o mid.mov 2>err.txt ||
	fail "midnight: recording" "$(cat err.txt)"
"$VPLAY" mid.mov -o null --start 00:00:00:05 --md5 m.md5 -q 2>err.txt
check "midnight: --start 00:00:00:05 plays frames 10-19" "0 10" "$? $(grep -vc "^#" m.md5 2>/dev/null)"
"$VPLAY" mid.mov -o null --start 00:00:01:05 -q 2>err.txt
check "midnight: a label past the end is refused, naming the range" "2 1" \
	"$? $(grep -c 'runs 23:59:59:20 to 00:00:00:14' err.txt)"
exit $FAILED
