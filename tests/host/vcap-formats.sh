#!/usr/bin/env bash
# Every format of `vcap --help` at odd, even and unusual widths (and heights): a size vcap
# accepts makes a file ffmpeg decodes without a word at warning level (a decoder that "continues
# anyway" is a refusal we missed), and a size it refuses exits 2 with one line naming the rule,
# before anything is created. The rules live in one table (mov/format.c).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg
VCAP=$BIN/vcap
[[ -x $VCAP ]] || skip_all "build first: $VCAP missing"
cd "$TMP" || exit 1
FAILED=0

formats=$("$VCAP" --help | sed -n '/^  --format/,/^  --rate/p' | awk 'NF > 1 && $1 ~ /^[A-Za-z0-9]+$/ && $1 != "device'"'"'s" {print $1}')
[[ $(wc -w <<<"$formats") -ge 17 ]] || fail "formats listed by --help" "$(echo $formats)"
accepted=0 refused=0
for f in $formats; do
	for size in 1x4 2x4 3x4 7x2 47x4 48x4 49x4 64x2 65x3 127x2 721x4 722x4 1920x3; do
		out=$f-$size.mov
		"$VCAP" --source pattern --format "$f" --size "$size" --rate 25 -n 2 -q -o "$out" 2>err.txt
		rc=$?
		if [[ $rc -eq 0 ]]; then
			accepted=$((accepted + 1))
			msg=$(ffmpeg -nostdin -v warning -i "$out" -map 0:v:0 -f null - 2>&1)
			[[ $? -eq 0 && -z $msg ]] || fail "$f $size: accepted, but ffmpeg" "$(head -1 <<<"$msg")"
			rm -f "$out" "$out.vcj"
		elif [[ $rc -eq 2 ]]; then
			refused=$((refused + 1))
			[[ $(wc -l <err.txt) -eq 1 ]] || fail "$f $size: refused in one line" "$(cat err.txt)"
			grep -q "^vcap: $f at $size: " err.txt || fail "$f $size: the line names format and size" "$(cat err.txt)"
			[[ ! -e $out && ! -e $out.vcj ]] || fail "$f $size: refused" "but left $(ls "$out"*)"
		else
			fail "$f $size" "exit $rc: $(cat err.txt)"
		fi
	done
done
pass "$accepted format/size pairs accepted, each decoded by ffmpeg without a warning"
pass "$refused refused with exit 2, one line and nothing created"
# the rules that exist, each once (a regression that accepts all would pass the loop above)
"$VCAP" --source pattern --format v410 --size 721x4 -n 1 -q -o v.mov 2>err.txt
check "v410 721x4 refused (ffmpeg's decoder needs an even width)" "2 0" "$? $(ls v.mov* 2>/dev/null | wc -l)"
"$VCAP" --source pattern --format UYVY --size 721x4 -n 1 -q -o u.mov 2>err.txt
check "UYVY 721x4 refused (4:2:2)" 2 $?
"$VCAP" --source pattern --format RGB24 --size 721x4 -n 1 -q -o r.mov 2>err.txt
check "RGB24 721x4 refused (the muxer would pad its rows)" 2 $?
"$VCAP" --source pattern --format r210 --size 721x4 -n 1 -q -o r.mov 2>err.txt
check "r210 721x4 accepted (rows padded to 64 pixels by the format)" 0 $?
# the pattern source's own rule, said as such
"$VCAP" --source pattern --size 64x1 -n 1 -q -o h.mov 2>err.txt
check "pattern 64x1: refused naming the source's 2-line minimum" "3 1" \
	"$? $(grep -c '^vcap: --size 64x1: the pattern source paints frames of 2 lines or more (e.g. --size 64x2)$' err.txt)"
exit $FAILED
