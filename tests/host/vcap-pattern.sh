#!/usr/bin/env bash
# vcap from the pattern source, checked with the real ffprobe, ffmpeg and mediainfo: frame
# counts, tags, field order, colour, timecode, framemd5 identical to ffmpeg's, every frame
# decodes, every packet aligned; a file over 4 GiB; kill -9 then vmov recover; SIGINT; and
# the refusals (existing file, bad timecode) that must leave nothing behind.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe ffmpeg mediainfo
D=${VCAP_TEST_DIR:-$TMP}   # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1

probe() { # file entry...: the video stream's values in the order asked, comma-separated
	local f=$1 e out=()
	shift
	for e in "$@"; do
		out+=("$(ffprobe -v error -select_streams v:0 -show_entries "stream=$e" -of csv=p=0 "$f" </dev/null | sed 's/ *$//')")
	done
	(IFS=,; echo "${out[*]}")
}
frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }
md5_same() { ffmpeg -nostdin -v error -i "$1" -c copy -f framemd5 - | cmp -s - "$2"; }
decodes() { decode_errors "$1" >/dev/null; }
all_aligned() { # file unit
	ffprobe -v error -select_streams v:0 -show_entries packet=pos -of csv=p=0 "$1" </dev/null |
		awk -v u="$2" '$1 % u { bad++ } END { exit !(NR > 0 && bad == 0) }'
}

# The issue's headline case, with a drop-frame timecode.
"$BIN/vcap" --rate max --size 1920x1080 --format UYVY --field interlaced-tb -n 300 \
	--timecode '01:00:00;00' --md5 a.md5 -o a.mov -q 2>err.txt
check hd-exit 0 $?
check hd-frames 300 "$(frames a.mov)"
check hd-tag-field-colour "2vuy,tb,bt709,bt709,bt709" "$(probe a.mov codec_tag_string field_order color_space color_primaries color_transfer)"
check hd-timecode "01:00:00;00" "$(ffprobe -v error -show_entries stream_tags=timecode -of csv=p=0 a.mov | grep -m1 .)"
if md5_same a.mov a.md5; then pass hd-framemd5-identical; else fail hd-framemd5-identical "sidecar differs from ffmpeg's"; fi
if decodes a.mov; then pass hd-decodes; else fail hd-decodes "ffmpeg reported errors"; fi
if all_aligned a.mov 4096; then pass hd-packets-4096; else fail hd-packets-4096 "unaligned packet"; fi
check hd-mediainfo "Interlaced/TFF" "$(mediainfo --Inform='Video;%ScanType%/%ScanOrder%' a.mov)"
check hd-log-complete "end frames=300" "$(tail -n 1 a.mov.vcj | cut -d' ' -f1-2)"

# Refusals leave the existing file alone and create nothing.
before=$(md5sum <a.mov)
"$BIN/vcap" --rate max -n 5 -o a.mov -q 2>err.txt
check refuse-existing-exit 3 $?
check refuse-existing-one-line 1 "$(wc -l <err.txt)"
if grep -q 'use --force' err.txt; then pass refuse-existing-hint; else fail refuse-existing-hint "$(cat err.txt)"; fi
check refuse-existing-untouched "$before" "$(md5sum <a.mov)"
"$BIN/vcap" --rate 25 --timecode '01:00:00;00' -n 5 -o tc.mov -q 2>err.txt
check bad-timecode-exit 2 $?
if grep -q "invalid --timecode" err.txt && [[ ! -e tc.mov && ! -e tc.mov.vcj ]]; then
	pass bad-timecode-nothing-left
else
	fail bad-timecode-nothing-left "$(cat err.txt; ls tc.mov* 2>&1)"
fi
rm -f a.mov a.mov.vcj a.md5

# Stripe alignment: every packet on a 192 KiB boundary.
"$BIN/vcap" --rate max --size 720x486 --format UYVY -n 30 --align 196608 -o s.mov -q
if all_aligned s.mov 196608; then pass align-196608; else fail align-196608 "a packet is off the stripe"; fi
rm -f s.mov s.mov.vcj

# Formats x field modes x sizes.
while read -r fmt size field tag order scan; do
	name=$fmt-$size-$field
	"$BIN/vcap" --rate max --format "$fmt" --size "$size" --field "$field" -n 12 --md5 m.md5 -o m.mov -q </dev/null
	check "$name-tag-order" "$tag,$order" "$(probe m.mov codec_tag_string field_order)"
	check "$name-mediainfo" "$scan" "$(mediainfo --Inform='Video;%ScanType%/%ScanOrder%' m.mov </dev/null)"
	if md5_same m.mov m.md5 && decodes m.mov; then pass "$name-md5-decode"; else fail "$name-md5-decode" "md5 or decode"; fi
	rm -f m.mov m.mov.vcj m.md5
done <<'LIST'
YUYV 720x486 interlaced-bt yuvs bt Interlaced/BFF
UYVY 720x576 seq-bt 2vuy bb Interlaced/BFF
v210 1920x1080 none v210 progressive Progressive/
ARGB32 720x576 seq-tb raw tt Interlaced/TFF
RGB24 1280x720 none raw progressive Progressive/
LIST

# Over 4 GiB: 64-bit chunk offsets, still identical to ffmpeg's framemd5.
"$BIN/vcap" --rate max --size 1920x1080 -n 1100 --md5 big.md5 -o big.mov -q
check big-over-4GiB True "$(python3 -c "import os; print(os.path.getsize('big.mov') > 4 << 30)")"
if md5_same big.mov big.md5; then pass big-framemd5-identical; else fail big-framemd5-identical "differs"; fi
rm -f big.mov big.mov.vcj big.md5

# kill -9 mid-capture: the journal rebuilds a file with every acknowledged frame.
"$BIN/vcap" --rate 60 --size 720x486 -n 100000 --md5 k.md5 -o k.mov -q &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
logged=$(grep -c '^[0-9]' k.mov.vcj)
"$BIN/vmov" recover k.mov >rec.txt 2>&1
check crash-recover-exit 0 $?
check crash-frames-recovered "$logged" "$(frames k.mov)"
check crash-some-frames True "$([[ $logged -gt 20 ]] && echo True || echo "False ($logged)")"
if decodes k.mov; then pass crash-decodes; else fail crash-decodes "ffmpeg errors"; fi
# the md5 of every frame, taken in memory before the crash, matches what ffmpeg reads now
grep '^[0-9]' k.mov.vcj | awk '{ print $10 }' >journal.md5
ffmpeg -nostdin -v error -i k.mov -c copy -f framemd5 - | grep -v '^#' | awk -F', ' '{ print $NF }' >ffmpeg.md5
if [[ -s journal.md5 ]] && cmp -s journal.md5 ffmpeg.md5; then pass crash-md5s-match; else fail crash-md5s-match "journal and ffmpeg md5s differ"; fi
rm -f k.mov k.mov.vcj k.md5 journal.md5 ffmpeg.md5

# SIGINT finishes the file cleanly.
"$BIN/vcap" --rate 30 --size 720x486 -o i.mov -q 2>err.txt &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
check sigint-exit 0 $?
check sigint-log-complete end "$(tail -n 1 i.mov.vcj | cut -d' ' -f1)"
if decodes i.mov; then pass sigint-decodes; else fail sigint-decodes "ffmpeg errors"; fi
rm -f i.mov i.mov.vcj err.txt rec.txt
exit ${FAILED:-0}
