#!/usr/bin/env bash
# The picture's description in vcap's files, read back by mediainfo and ffprobe: 'colr' after
# Apple's TN2227 (NTSC SD 6-1-6, PAL SD 5-1-6, HD 1-1-1; none for RGB) for every format and
# standard, and 'pasp' so that SD shows 4:3 (or 16:9 with --aspect), HD square pixels, also
# after vmov recover rebuilds the index from the capture log.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe mediainfo python3
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP or $VMOV missing"
cd "$TMP" || exit 1
FAILED=0

# display aspect from ffprobe as a float, and whether it is within 1% of W:H
dar_ok() { # FILE W H
	ffprobe -v error -select_streams v:0 -show_entries stream=width,height,sample_aspect_ratio \
		-of csv=p=0 "$1" | python3 -c '
import sys
w, h, sar = (sys.stdin.read().strip().split(",") + ["", "", ""])[:3]
if ":" not in sar or sar.startswith("0:"):
    sys.exit(print("no (no pasp: %r)" % sar))
n, d = (int(x) for x in sar.split(":"))
dar = int(w) * n / (int(h) * d); want = int(sys.argv[1]) / int(sys.argv[2])
print("yes" if abs(dar / want - 1) <= 0.01 else "no (%.4f)" % dar)' "$2" "$3"
}
mi() { mediainfo --Inform="Video;$2" "$1" | sed 's/ *$//'; }

# standard: size rate field, the colr TN2227 gives Y'CbCr (primaries|transfer|matrix), DAR
declare -A std=(
	[ntsc]="720x486 30000/1001 interlaced-bt|BT.601 NTSC|BT.709|BT.601|4:3"
	[pal]="720x576 25 interlaced-tb|BT.601 PAL|BT.709|BT.601|4:3"
	[720p]="1280x720 50 none|BT.709|BT.709|BT.709|16:9"
	[1080i]="1920x1080 25 interlaced-tb|BT.709|BT.709|BT.709|16:9"
)
formats=$("$VCAP" --help | sed -n '/^  --format/,/^  --rate/p' | awk 'NF > 1 && $1 ~ /^[A-Za-z0-9]+$/ && $1 != "device'"'"'s" {print $1}')
for s in ntsc pal 720p 1080i; do
	IFS='|' read -r geo pri trc mat dar <<<"${std[$s]}"
	read -r size rate field <<<"$geo"
	bad_colr="" bad_dar="" n=0
	for f in $formats; do
		out=$s-$f.mov
		if ! "$VCAP" --source pattern --format "$f" --size "$size" --rate "$rate" --field "$field" \
			-n 1 -q -o "$out" 2>err.txt; then
			fail "$s $f: recording" "$(cat err.txt)"; continue
		fi
		n=$((n + 1))
		case $f in UYVY | YUYV | v210 | v410) want="$pri|$trc|$mat" ;; *) want="||" ;; esac
		got=$(mi "$out" '%colour_primaries%|%transfer_characteristics%|%matrix_coefficients%')
		[[ $got == "$want" ]] || bad_colr+=" $f($got)"
		got=$(mi "$out" '%DisplayAspectRatio/String%')
		[[ $got == "$dar" && $(dar_ok "$out" ${dar/:/ }) == yes ]] || bad_dar+=" $f($got, ffprobe $(dar_ok "$out" ${dar/:/ }))"
		rm -f "$out" "$out.vcj"
	done
	if [[ -z $bad_colr ]]; then pass "$s: colr of $n formats as TN2227 gives ($pri, $trc, $mat for Y'CbCr; none for RGB)"
	else fail "$s: colr (want $pri|$trc|$mat)" "$bad_colr"; fi
	if [[ -z $bad_dar ]]; then pass "$s: $n formats show $dar in mediainfo and ffprobe"
	else fail "$s: display aspect (want $dar)" "$bad_dar"; fi
done

# --aspect 16:9 on SD, and what --json says decided it
for s in ntsc pal; do
	read -r size rate field <<<"${std[$s]%%|*}"
	"$VCAP" --source pattern --size "$size" --rate "$rate" --field "$field" --aspect 16:9 -n 1 -q \
		--json -o w-$s.mov >w.json 2>err.txt || fail "$s --aspect 16:9: recording" "$(cat err.txt)"
	check "$s --aspect 16:9: mediainfo and ffprobe show 16:9" "16:9 yes" \
		"$(mi w-$s.mov '%DisplayAspectRatio/String%') $(dar_ok w-$s.mov 16 9)"
	check "$s --aspect 16:9: --json says so" "16:9 --aspect" \
		"$(json w.json 'j["aspect"]["display"] + " " + j["aspect"]["from"]')"
done
"$VCAP" --source pattern --size 720x576 --rate 25 -n 1 -q --json -o p.mov >p.json 2>/dev/null
check "pal: pasp 16:15 from the BT.601 frame size" "16:15 the BT.601 frame size" \
	"$(json p.json 'j["aspect"]["pasp"] + " " + j["aspect"]["from"]')"
"$VCAP" --source pattern --size 720x576 --aspect 4:0 -n 1 -q -o z.mov 2>err.txt
check "--aspect 4:0 refused as a bad value" "2 0" "$? $(ls z.mov* 2>/dev/null | wc -l)"

# the pasp survives recovery: the capture log carries it
"$VCAP" --source pattern --size 720x486 --rate 30000/1001 --field interlaced-bt --aspect 16:9 \
	--rate max -q -o k.mov 2>/dev/null &
pid=$!
sleep 1.5
kill -9 $pid
wait $pid 2>/dev/null
"$VMOV" recover k.mov >/dev/null 2>err.txt || fail "recover" "$(cat err.txt)"
check "recovered file keeps --aspect 16:9" "16:9 yes" "$(mi k.mov '%DisplayAspectRatio/String%') $(dar_ok k.mov 16 9)"
exit $FAILED
