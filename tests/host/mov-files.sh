#!/usr/bin/env bash
# MOV files written through the zero-copy index writer, checked with the real ffprobe, ffmpeg
# and mediainfo: frame count, tag, field order, colour, timecode, payload md5s (framemd5 of a
# stream copy), full decode, every packet at an aligned offset; a file above 4 GiB (co64 and a
# 64-bit mdat); recovery of a capture killed before its moov; vmov on an ffmpeg-made file.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/host/lib.sh

W=$BIN/tests/test-mov-write
VMOV=$BIN/vmov
[[ -x $W && -x $VMOV ]] || skip_all "build first: $W or $VMOV missing"
need_tools ffprobe ffmpeg
FAILED=0

probe() { # FILE ENTRIES -> key=value lines for the video stream
	ffprobe -v error -select_streams v:0 -count_packets -show_entries "$2" -of default=nw=1 "$1"
}

hashes() { # framemd5 of a stream copy, hash column only
	ffmpeg -v error -i "$1" -map 0:v:0 -c copy -f framemd5 - | grep -v '^#' | awk -F', *' '{print $NF}'
}

# case NAME FORMAT SIZE RATE FIELD TIMECODE ALIGN TAG FIELD_ORDER PRIMARIES SCAN
one_case() {
	local name=$1 fmt=$2 size=$3 rate=$4 field=$5 tc=$6 align=$7 tag=$8 fo=$9 pri=${10} scan=${11}
	local f=$TMP/$name.mov n=8 out tcopt=()
	[[ $tc != - ]] && tcopt=(--timecode "$tc")
	if ! "$W" --write "$f" --format "$fmt" --size "$size" --rate "$rate" --field "$field" \
		--frames $n --align "$align" --md5 "$TMP/$name.want" "${tcopt[@]}" 2>"$TMP/err"; then
		fail "$name: write" "$(cat "$TMP/err")"
		return
	fi
	out=$(probe "$f" stream=codec_tag_string,field_order,color_primaries,nb_read_packets:stream_tags=timecode)
	check "$name: ffprobe frame count" "nb_read_packets=$n" "$(grep nb_read_packets <<<"$out")"
	check "$name: codec tag" "codec_tag_string=$tag" "$(grep codec_tag_string <<<"$out")"
	check "$name: field order" "field_order=$fo" "$(grep field_order <<<"$out")"
	check "$name: colour primaries" "color_primaries=$pri" "$(grep color_primaries <<<"$out")"
	[[ $tc != - ]] && check "$name: timecode" "TAG:timecode=$tc" "$(grep TAG:timecode <<<"$out")"
	if diff <(hashes "$f") "$TMP/$name.want" >/dev/null; then
		pass "$name: framemd5 of a stream copy equals the frames written"
	else
		fail "$name: framemd5" "differs from the frames written"
	fi
	if out=$(decode_errors "$f"); then pass "$name: decodes without error"; else
		fail "$name: decode" "$out"; fi
	out=$(ffprobe -v error -select_streams v:0 -show_entries packet=pos -of csv=p=0 "$f" |
		awk -v a="$align" '$1 % a != 0' | wc -l)
	check "$name: every packet at a multiple of $align" 0 "$out"
	if command -v mediainfo >/dev/null; then
		check "$name: mediainfo scan type/order" "$scan" \
			"$(mediainfo --Inform='Video;%ScanType% %ScanOrder%' "$f" | sed 's/ *$//')"
	fi
	ffmpeg -v error -i "$f" -map 0:v:0 -c copy -f framemd5 "$TMP/$name.fmd5"
	if "$VMOV" verify "$f" --md5 "$TMP/$name.fmd5" --align "$align" >"$TMP/out" 2>&1; then
		pass "$name: vmov verify --md5 --align $align"
	else
		fail "$name: vmov verify" "$(tail -3 "$TMP/out")"
	fi
	rm -f "$f"
}

one_case uyvy-486-bff UYVY 720x486 30000/1001 bff "01:00:00;00" 4096 2vuy bt smpte170m "Interlaced BFF"
one_case yuyv-576-tff YUYV 720x576 25 tff "10:00:00:00" 4096 yuvs tb bt470bg "Interlaced TFF"
one_case uyvy-720p-stripe UYVY 1280x720 50 progressive - 196608 2vuy progressive bt709 "Progressive"
one_case v210-1080-tff v210 1920x1080 25 tff "00:59:59:24" 4096 v210 tb bt709 "Interlaced TFF"
one_case rgb24-sd RGB24 720x576 25 progressive - 4096 "raw " progressive unknown "Progressive"
one_case abgr32-hd ABGR32 1280x720 30 progressive - 4096 BGRA progressive unknown "Progressive"

# Above 4 GiB: a gap of 5 GiB (a hole) between frame 0 and the others makes the muxer pick
# co64 and the mdat header 64-bit, with only a few real frames to read.
f=$TMP/big.mov
if "$W" --write "$f" --format UYVY --size 1920x1080 --rate 25 --frames 4 --skip $((5 << 30)) \
	--md5 "$TMP/big.want" 2>"$TMP/err"; then
	check "over 4 GiB: ffprobe frame count" "nb_read_packets=4" "$(probe "$f" stream=nb_read_packets)"
	check "over 4 GiB: last packet position" $((4096 + 3 * 4149248 + (5 << 30))) \
		"$(ffprobe -v error -show_entries packet=pos -of csv=p=0 "$f" | tail -1)"
	if diff <(hashes "$f") "$TMP/big.want" >/dev/null; then pass "over 4 GiB: framemd5"; else
		fail "over 4 GiB: framemd5" "differs"; fi
	check "over 4 GiB: vmov verify" OK "$("$VMOV" verify "$f" --align 4096 | tail -1)"
else
	fail "over 4 GiB: write" "$(cat "$TMP/err")"
fi
rm -f "$f"

# Killed before the moov: 8 frames journaled, 2 more on disk only; recovery indexes the 8.
f=$TMP/killed.mov
("$W" --write "$f" --format UYVY --size 720x486 --rate 30000/1001 --field bff \
	--timecode "01:00:00;00" --frames 20 --kill-after 8 --md5 "$TMP/killed.want"; true) 2>/dev/null
if ffprobe -v error "$f" >/dev/null 2>&1; then fail "killed: unreadable before recovery" "ffprobe opened it"
else pass "killed: unreadable before recovery"; fi
out=$("$VMOV" recover "$f" 2>&1)
check "killed: vmov recover" "recovered 8 frames" "$(cut -d';' -f1 <<<"$out")"
check "killed: ffprobe frame count" "nb_read_packets=8" "$(probe "$f" stream=nb_read_packets)"
if diff <(hashes "$f") <(head -n 8 "$TMP/killed.want") >/dev/null; then
	pass "killed: recovered frames have the md5s written"
else
	fail "killed: recovered md5s" "differ"
fi
if out=$(decode_errors "$f"); then pass "killed: recovered file decodes"; else
	fail "killed: recovered file decodes" "$out"; fi
check "killed: timecode kept" "TAG:timecode=01:00:00;00" "$(probe "$f" stream_tags=timecode)"
check "killed: journal lines" 8 "$(grep -c '^[0-9]' "$f.vcj")"
"$VMOV" recover "$f" >/dev/null 2>&1
check "killed: second recover: already complete (exit 0)" 0 $?
"$VMOV" recover "$f" --force >/dev/null 2>&1
check "killed: recover --force" 0 $?

# Journal timecodes follow drop-frame labelling across a minute boundary.
f=$TMP/tc.mov
"$W" --write "$f" --format UYVY --size 64x32 --rate 30000/1001 --timecode "00:00:59;28" \
	--frames 4 --journal
check "journal: drop-frame timecodes per frame" "00:00:59;28 00:00:59;29 00:01:00;02 00:01:00;03 " \
	"$(awk '/^[0-9]/ {printf "%s ", $9}' "$f.vcj")"
check "journal: end line after a clean finish" 1 "$(grep -c '^end frames=4 ' "$f.vcj")"

# A file made by ffmpeg: frames back to back, unaligned.
f=$TMP/ff.mov
ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -frames 10 -c:v rawvideo \
	-pix_fmt uyvy422 -f mov "$f"
"$VMOV" info "$f" --json --samples >"$TMP/ff.json"
check "ffmpeg-made: vmov format" UYVY "$(json "$TMP/ff.json" 'j["format"]')"
check "ffmpeg-made: vmov sample count" 10 "$(json "$TMP/ff.json" 'j["samples_count"]')"
check "ffmpeg-made: vmov offsets equal ffprobe packet positions" \
	"$(ffprobe -v error -show_entries packet=pos -of csv=p=0 "$f" | tr '\n' ' ')" \
	"$(json "$TMP/ff.json" '" ".join(str(s[0]) for s in j["samples"])') "
"$VMOV" verify "$f" --align 4096 >/dev/null
check "ffmpeg-made: verify --align 4096 fails (exit 1)" 1 $?
check "ffmpeg-made: vmov verify" OK "$("$VMOV" verify "$f" | tail -1)"

exit $FAILED
