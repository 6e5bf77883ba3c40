#!/usr/bin/env bash
# The real tools on hostile MOVs (tests/host/mov-hostile.py: an ffmpeg file with its sample
# tables or box sizes patched): what ffmpeg cannot play, or a player of whole frames must not,
# vplay -o null and vmov info/verify refuse with one line and exit 3 (README "Exit codes": a
# damaged input); what ffmpeg plays (it skips entries it finds impossible), vplay plays frame
# for frame as ffmpeg does; vmov verify says FAILED (exit 1, its --help) for samples past the
# end or overlapping, naming them. Then vmov recover with a capture log that cannot be
# replayed: refused with one line, the file and its log unchanged.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg python3
GEN=$PWD/tests/host/mov-hostile.py
VPLAY=$BIN/vplay VMOV=$BIN/vmov
[[ -x $VPLAY && -x $VMOV ]] || skip_all "build first: $VPLAY or $VMOV missing"
cd "$TMP" || exit 1
FAILED=0

sums() { grep -v '^#' | awk -F', *' '{print $5, $6}'; }

# one_line NAME FILE PATTERN: FILE is exactly one line, and it has PATTERN
one_line() {
	if [[ $(wc -l <"$2") -eq 1 ]] && grep -q -- "$3" "$2"; then
		pass "$1: one line ($(cat "$2"))"
	else
		fail "$1: one line with '$3'" "$(head -c 300 "$2" | tr '\n' '|')"
	fi
}

# CASE VPLAY VMOV-INFO VMOV-VERIFY WHY: exits, and the line a refusal gives (or, for verify's
# exit 1, the finding on stdout)
while read -r c vp info verify why; do
	"$GEN" "$c" "$c.mov" 2>gen.txt || { fail "$c: building" "$(cat gen.txt)"; continue; }
	rm -f "$c.md5"
	timeout 30 "$VPLAY" "$c.mov" -o null -q --md5 "$c.md5" 2>vp.txt
	check "$c: vplay -o null exit" "$vp" $?
	timeout 30 "$VMOV" info "$c.mov" >info.txt 2>info.err
	check "$c: vmov info exit" "$info" $?
	timeout 30 "$VMOV" verify "$c.mov" >verify.txt 2>verify.err
	check "$c: vmov verify exit" "$verify" $?
	why=${why//_/ }
	if [[ $vp == 3 ]]; then
		one_line "$c: vplay" vp.txt "^vplay: $c.mov: .*$why"
		check "$c: vplay left no md5 sidecar" no "$([[ -e $c.md5 ]] && echo yes || echo no)"
	else
		ffmpeg -nostdin -v quiet -i "$c.mov" -map 0:v:0 -c copy -f framemd5 - | sums >ff.txt
		sums <"$c.md5" >vp-sums.txt 2>/dev/null
		if [[ -s ff.txt ]] && cmp -s ff.txt vp-sums.txt; then
			pass "$c: vplay plays what ffmpeg plays ($(wc -l <ff.txt) frames)"
		else
			fail "$c: vplay as ffmpeg" "$(diff ff.txt vp-sums.txt | head -3 | tr '\n' ' ')"
		fi
	fi
	[[ $info == 3 ]] && one_line "$c: vmov info" info.err "^vmov: .*$c.mov"
	if [[ $verify == 3 ]]; then
		one_line "$c: vmov verify" verify.err "^vmov: .*$c.mov: .*$why"
	elif [[ $verify == 1 ]]; then
		check "$c: vmov verify says FAILED, nothing on stderr" "FAILED 0" \
			"$(tail -n 1 verify.txt) $(wc -c <verify.err)"
		if grep -q "^structure: sample [0-9]* .*$why" verify.txt; then
			pass "$c: vmov verify names the sample ($(grep -m 1 '^structure: sample' verify.txt))"
		else
			fail "$c: vmov verify finding" "$(head -c 300 verify.txt | tr '\n' '|')"
		fi
	fi
done <<'LIST'
stco-past-eof    3 0 1 past_the_end
co64-huge        0 0 0 -
co64-negative    0 0 1 overlaps
stsz-huge        3 3 3 no_frames_in_the_index
stsz-30bit       0 0 0 -
stsz-zero        3 3 3 frames_are_0_bytes
stsz-count-huge  3 3 3 no_frames_in_the_index
stsz-table-short 3 3 3 not_a_readable_MOV
stsc-huge        0 0 0 -
stco-count-huge  3 3 3 Cannot_allocate_memory
overlap          0 0 1 overlaps
overlap-half     0 0 1 overlaps
mdat-size-huge   3 3 3 not_a_readable_MOV
mdat-size64      3 3 3 not_a_readable_MOV
mdat-size-zero   3 3 3 not_a_readable_MOV
moov-size-short  3 3 3 no_video_track
trun-count-huge  3 3 3 frames_in_the_index_of_a_file_of
tfhd-size-negative 3 3 3 has_a_size_of_-
tfdt-huge        3 3 3 has_a_pts_of
LIST

# Capture logs that cannot be replayed into the file: refused before anything is written.
"$BIN/vcap" --source pattern --size 64x8 --rate 25 -n 4 -q -o rec.mov 2>/dev/null ||
	fail "recover: recording" "vcap failed"
moov=$(grep -obUaP 'moov' rec.mov | tail -n 1 | cut -d: -f1)
head -c $((moov - 4)) rec.mov >killed.mov # as kill -9 leaves it: no moov
grep -v '^end ' rec.mov.vcj >killed.vcj
recover_refused() { # NAME LOG PATTERN
	cp killed.mov k.mov
	cp "$2" k.mov.vcj
	cp "$2" log.orig
	timeout 30 "$VMOV" recover k.mov >out.txt 2>err.txt
	check "$1: vmov recover exit" 3 $?
	one_line "$1: vmov recover" err.txt "$3"
	if cmp -s k.mov killed.mov && cmp -s k.mov.vcj log.orig; then
		pass "$1: the file and its log unchanged"
	else
		fail "$1: unchanged" "the file or its log changed"
	fi
}
awk '/^[0-9]/ { $2 = $2 + 1073741824 } { print }' killed.vcj >past.vcj
recover_refused "log past the end" past.vcj "no journaled frame is inside k.mov"
python3 -c 'import sys
lines = open("killed.vcj").readlines()
f = [i for i, l in enumerate(lines) if l[0].isdigit()]
lines[f[1]], lines[f[2]] = lines[f[2]], lines[f[1]]
open("order.vcj", "w").writelines(lines)'
recover_refused "log out of order" order.vcj "not a valid journal"
# killed before its first frame, the log's data_start 400 TB out: no empty index out there
awk '/^data_start / { $2 = 409600000000000 } !/^[0-9]/ { print }' killed.vcj >far.vcj
recover_refused "frameless log, data_start far out" far.vcj "not a valid journal"
cp killed.mov k.mov
cp killed.vcj k.mov.vcj
timeout 30 "$VMOV" recover k.mov >out.txt 2>err.txt
check "its own log still recovers it" "0 recovered 4 frames" "$? $(cut -d';' -f1 out.txt)"
# a log whose last line the kill cut short: the end line starts a line of its own, so a
# second run finds the file complete
cp killed.mov k.mov
{ cat killed.vcj; printf '4 20480 1024 4'; } >k.mov.vcj
timeout 30 "$VMOV" recover k.mov >out.txt 2>err.txt
check "torn last line: recovered" "0 recovered 4 frames" "$? $(cut -d';' -f1 out.txt)"
check "torn last line: the end line is a line" "end frames=4" "$(tail -n 1 k.mov.vcj | cut -d' ' -f1-2)"
timeout 30 "$VMOV" recover k.mov >out.txt 2>err.txt
check "torn last line: a second run finds it complete" "0 1" "$? $(grep -c 'is complete' out.txt)"
exit $FAILED
