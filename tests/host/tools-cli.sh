#!/usr/bin/env bash
# What every tool does the same way on its command line and in its summaries: getopt's
# complaints as one line "tool: ... (see tool --help)", exit 2, also in a cluster (-qx) and
# after a vmov command; a wrong argument count or value as "tool: what (fix)"; -h and --help
# (vmov's also after its command); with --json, a failure before the summary is one JSON
# object {"error", "exit", "meaning"} too, and a JSON summary is one line; counts agree in
# number ("1 frame", "2 frames"); vbench on a directory measures a temporary file in it and
# leaves the directory as it was.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
for t in vcap vplay vmov vbench; do
	[[ -x $BIN/$t ]] || skip_all "build first: $BIN/$t missing"
done
FAILED=0
cd "$TMP" || exit 1

# usage NAME WANT CMD...: exit 2, nothing on stdout, exactly the line WANT on stderr
usage() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >out.txt 2>err.txt
	rc=$?
	check "$name: exit" 2 "$rc"
	check "$name: stdout" "" "$(cat out.txt)"
	check "$name: one line" "$want" "$(cat err.txt)"
}

# ---- getopt's complaints: one line, the tool's name (not argv[0]'s path), the hint ----
for t in vcap vplay vmov vbench; do
	usage "$t --bogus" "$t: unrecognized option '--bogus' (see $t --help)" "$BIN/$t" --bogus
	usage "$t -x" "$t: invalid option '-x' (see $t --help)" "$BIN/$t" -x
	usage "$t --json=1" "$t: option '--json' takes no argument (see $t --help)" "$BIN/$t" --json=1
done
usage "vcap -o" "vcap: option '-o' requires an argument (see vcap --help)" "$BIN/vcap" -q -o
usage "vcap --output" "vcap: option '--output' requires an argument (see vcap --help)" \
	"$BIN/vcap" --output
usage "vcap --fi" "vcap: option '--fi' is ambiguous (see vcap --help)" "$BIN/vcap" --fi x
usage "vplay -n" "vplay: option '-n' requires an argument (see vplay --help)" "$BIN/vplay" a.mov -n
usage "vmov --md5" "vmov: option '--md5' requires an argument (see vmov --help)" \
	"$BIN/vmov" verify a.mov --md5
usage "vbench --bytes" "vbench: option '--bytes' requires an argument (see vbench --help)" \
	"$BIN/vbench" --bytes

usage "vcap -qx" "vcap: invalid option '-x' (see vcap --help)" "$BIN/vcap" -qx
usage "vplay -qx" "vplay: invalid option '-x' (see vplay --help)" "$BIN/vplay" -qx
usage "vplay --loop" "vplay: option '--loop' requires an argument (see vplay --help)" \
	"$BIN/vplay" a.mov --loop
usage "vmov --journal" "vmov: option '--journal' requires an argument (see vmov --help)" \
	"$BIN/vmov" recover a.mov --journal
usage "vmov info --bogus" "vmov: unrecognized option '--bogus' (see vmov --help)" \
	"$BIN/vmov" info a.mov --bogus
usage "vbench --batch" "vbench: option '--batch' requires an argument (see vbench --help)" \
	"$BIN/vbench" --size 64x64 --batch

# ---- the arguments after the options: what is wrong, then the fix ----
usage "vmov, no command" "vmov: missing command (give a command and one FILE, e.g. vmov info a.mov)" \
	"$BIN/vmov"
usage "vmov info, no FILE" "vmov: missing FILE (give a command and one FILE, e.g. vmov info a.mov)" \
	"$BIN/vmov" info
usage "vmov info A B" \
	"vmov: too many arguments (give a command and one FILE, e.g. vmov info a.mov)" \
	"$BIN/vmov" info a.mov b.mov
usage "vmov bogus" "vmov: unknown command 'bogus' (the commands are info, verify, recover and report)" \
	"$BIN/vmov" bogus a.mov
usage "vmov --align 0" "vmov: invalid --align '0' (a byte count above 0, e.g. 4096 or 192K)" \
	"$BIN/vmov" verify a.mov --align 0
usage "vbench, no PATH" \
	"vbench: missing PATH (give exactly one PATH, a file to create or a directory, e.g. /mnt/raid)" \
	"$BIN/vbench" --size 64x64
usage "vbench A B" \
	"vbench: too many arguments (give exactly one PATH, a file to create or a directory, e.g. /mnt/raid)" \
	"$BIN/vbench" a b
usage "vbench --write-only --read-only" \
	"vbench: --write-only and --read-only exclude each other (choose one)" \
	"$BIN/vbench" --write-only --read-only x

# ---- values the fuzz target tests/fuzz/fuzz-options.c found taken wrongly: exit 2 ----
usage "vcap --aspect -4294967295:3" \
	"vcap: invalid --aspect '-4294967295:3' (W:H, e.g. 4:3 or 16:9)" \
	"$BIN/vcap" --aspect -4294967295:3 -o a.mov
usage "vplay --mode ' 720x576'" \
	"vplay: invalid --mode ' 720x576' (WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. 720x576@50)" \
	"$BIN/vplay" a.mov --mode ' 720x576'
usage "vcap --rate 1.e999" "vcap: invalid --rate '1.e999' (use N/D, e.g. 30000/1001, max or auto)" \
	"$BIN/vcap" --rate 1.e999 -o a.mov
usage "vcap -t inf" "vcap: invalid --duration 'inf' (seconds, e.g. 10 or 2.5, or HH:MM:SS:FF)" \
	"$BIN/vcap" -t inf -o a.mov
usage "vcap -t 1e30" \
	"vcap: --duration 1e+30 s: more frames than that at 30000/1001 fps (-n and -t count 4000000000 frames at most)" \
	"$BIN/vcap" -t 1e30 -o a.mov
usage "vcap drop-frame at 510000/1001" \
	"vcap: invalid --timecode '01:00:00;00': drop-frame timecode (';') is only defined for 30000/1001-type rates (29.97, 59.94); use ':' for non-drop (e.g. 01:00:00:00, or 01:00:00;00 for drop-frame at 29.97)" \
	"$BIN/vcap" --rate 510000/1001 --timecode '01:00:00;00' -o a.mov

for t in vcap vplay vmov vbench; do
	for h in -h --help; do
		"$BIN/$t" $h >out.txt 2>err.txt
		check "$t $h: exit, usage on stdout, nothing on stderr" "0 Usage: $t" \
			"$? $(head -n 1 out.txt | cut -d' ' -f1,2)$(cat err.txt)"
	done
done

# a subcommand's -h and --help are vmov's, wherever they stand
for cmd in info verify recover; do
	for h in -h --help; do
		"$BIN/vmov" $cmd $h >out.txt 2>err.txt
		check "vmov $cmd $h: exit, usage on stdout, nothing on stderr" "0 Usage: vmov" \
			"$? $(head -n 1 out.txt | cut -d' ' -f1,2)$(cat err.txt)"
	done
done
"$BIN/vmov" info a.mov -h >out.txt 2>err.txt
check "vmov info FILE -h: usage, nothing on stderr" "0 Usage: vmov" \
	"$? $(head -n 1 out.txt | cut -d' ' -f1,2)$(cat err.txt)"

# ---- --json: a failure before the summary is one JSON object too, the error line's words ----
# json_err NAME EXIT CMD...: exits EXIT; stderr is one line "tool: MSG"; stdout is one line,
# {"error": MSG, "exit": EXIT, "meaning": ...}
json_err() {
	local name=$1 want=$2 tool=${3##*/} rc
	shift 2
	"$@" >out.txt 2>err.txt
	rc=$?
	check "$name: exit" "$want" "$rc"
	check "$name: one line on stderr, one on stdout" "1 1" "$(wc -l <err.txt) $(wc -l <out.txt)"
	check "$name: the object" ok "$(python3 -c '
import json, sys
tool, want = sys.argv[1], int(sys.argv[2])
line = open("err.txt").read().rstrip("\n")
try:
    j = json.loads(open("out.txt").read())
except ValueError as e:
    sys.exit(print("stdout is no JSON object: %s" % e))
if tool + ": " + j.get("error", "") != line:
    sys.exit(print("error %r, stderr %r" % (j.get("error"), line)))
if j.get("exit") != want or not j.get("meaning"):
    sys.exit(print("exit %r meaning %r" % (j.get("exit"), j.get("meaning"))))
print("ok")' "$tool" "$want")"
}

: >exists.mov
json_err "vcap --json, output exists" 3 "$BIN/vcap" --size 64x64 -n 1 --json -o exists.mov
json_err "vcap --json, no output" 2 "$BIN/vcap" --size 64x64 -n 1 --json
json_err "vplay --json, no such file" 3 "$BIN/vplay" missing.mov --json
json_err "vbench --json, no such directory" 3 "$BIN/vbench" --bytes 1M --json nodir/x
json_err "vmov info --json, no such file" 3 "$BIN/vmov" info missing.mov --json
json_err "vmov verify --json, no such file" 3 "$BIN/vmov" verify missing.mov --json
"$BIN/vplay" missing.mov -o - --json >out.txt 2>err.txt
check "vplay -o - --json: the object on stderr, after the line" "0 3" \
	"$(wc -l <out.txt) $(tail -n 1 err.txt | python3 -c 'import json,sys; print(json.load(sys.stdin)["exit"])' 2>&1 | tail -n 1)"

# every JSON summary is one line (vplay's was 34)
"$BIN/vcap" --size 64x64 -n 2 -q -o two.mov
"$BIN/vplay" two.mov --json -q >out.txt
check "vplay --json: one line" "1 2" "$(wc -l <out.txt) $(json out.txt 'j["frames"]')"

# ---- counts agree in number: "1 frame", "0 frames", "2 frames" ----
# has NAME FILE LINE: FILE has the line LINE
has() {
	if grep -qxF -- "$3" "$2"; then pass "$1"; else fail "$1" "no line '$3' in: $(cat "$2")"; fi
}
"$BIN/vcap" --size 64x64 --rate max -n 1 --md5 one.md5 -o one.mov 2>err.txt
has "vcap: 1 frame" err.txt "vcap: one.mov: 1 frame (0 dropped in 0 gaps, 0 filled, 0 flagged), $(
	sed -n 's/^vcap: one.mov: 1 frames\{0,1\} ([^)]*), //p' err.txt)"
"$BIN/vcap" --size 64x64 --rate 25 -n 6 --pattern drop-every=5 -o gap.mov 2>err.txt
has "vcap: 1 gap" err.txt "vcap: gap.mov: 6 frames (1 dropped in 1 gap, 0 filled, 0 flagged), $(
	sed -n 's/^vcap: gap.mov: 6 frames ([^)]*), //p' err.txt)"
"$BIN/vplay" one.mov 2>err.txt
check "vplay: 1 frame" 1 "$(grep -c '^vplay: one.mov: 1 frame to null in .* (1 loop), 0 underruns, 0 late' err.txt)"
"$BIN/vmov" verify one.mov --md5 one.md5 >out.txt
has "vmov verify: 1 sample" out.txt "format: UYVY ('2vuy') 64x64, 1 sample"
has "vmov verify: 1 of 1 sample well placed" out.txt "structure: 1 of 1 sample well placed"
has "vmov verify: 1 of 1 sample aligned" out.txt "aligned: 1 of 1 sample at a multiple of 4096"
has "vmov verify: 1 of 1 frame matches" out.txt "md5: 1 of 1 frame matches"
# a sidecar that cannot be read: said first, before any check prints that it passed
"$BIN/vmov" verify one.mov --md5 no-such.md5 >out.txt 2>err.txt
check "vmov verify --md5 missing: exit 3, nothing on stdout" "3 " "$? $(cat out.txt)"
has "vmov verify --md5 missing: the line" err.txt "vmov: reading no-such.md5: No such file or directory"
"$BIN/vmov" verify two.mov >out.txt
has "vmov verify: 2 samples unchanged" out.txt "structure: 2 of 2 samples well placed"
"$BIN/vmov" info one.mov >out.txt
has "vmov info: 1 of 1 sample starts" out.txt "aligned:     1 of 1 sample starts at a multiple of 4096"
"$BIN/vmov" recover --force one.mov >out.txt
check "vmov recover: 1 frame" "recovered 1 frame" "$(head -n 1 out.txt | cut -d';' -f1)"
has "vmov recover: checked 1 frame" out.txt "checked 1 frame against the log's md5s"
"$BIN/vbench" --size 64x64 --bytes 8K --batch 1 vb.dat >out.txt
check "vbench: 1 batch" 1 "$(grep -c '^placement 1 batch, 1 at file offsets that are multiples of 4 KiB' out.txt)"

# ---- vbench DIR: a temporary file inside, named in the report, gone afterwards ----
mkdir -p vbdir && : >vbdir/keep.txt
before=$(ls -A vbdir)
"$BIN/vbench" --size 64x64 --bytes 1M vbdir >out.txt 2>err.txt
check "vbench DIR: exit" "0 " "$? $(cat err.txt)"
check "vbench DIR: the report names the file" 1 \
	"$(grep -c '^path      vbdir/vbench\.[A-Za-z0-9]\{6\} (a temporary file in vbdir, removed at the end)$' out.txt)"
check "vbench DIR: the directory as it was" "$before" "$(ls -A vbdir)"
"$BIN/vbench" --size 64x64 --bytes 1M --json vbdir >out.txt
check "vbench DIR --json: the file, temporary" "True True" \
	"$(json out.txt '"%s %s" % (j["path"].startswith("vbdir/vbench."), j["temporary"])')"
check "vbench DIR --json: the directory as it was" "$before" "$(ls -A vbdir)"
"$BIN/vbench" --size 64x64 --seconds 30 vbdir >out.txt 2>err.txt &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check "vbench DIR, SIGINT: exit 130, the directory as it was" "130 $before" "$? $(ls -A vbdir)"
"$BIN/vbench" --size 64x64 --bytes 1M --keep vbdir >out.txt
kept=$(sed -n 's/^path      \(vbdir\/vbench\.[A-Za-z0-9]*\) (a temporary file in vbdir, kept)$/\1/p' out.txt)
check "vbench DIR --keep: the file named is kept" "True" "$([[ -n $kept && -s $kept ]] && echo True || cat out.txt)"
rm -f "$kept"
"$BIN/vbench" --size 64x64 --bytes 1M vbdir/keep.txt >out.txt 2>err.txt
check "vbench FILE that exists: still refused" "3 1" "$? $(grep -c 'keep.txt: File exists (use --force' err.txt)"

exit $FAILED
