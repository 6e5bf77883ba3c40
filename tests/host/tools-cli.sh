#!/usr/bin/env bash
# What every tool does the same way on its command line and in its summaries: getopt's
# complaints as one line "tool: ... (see tool --help)", exit 2; -h and --help.
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

for t in vcap vplay vmov vbench; do
	for h in -h --help; do
		"$BIN/$t" $h >out.txt 2>err.txt
		check "$t $h: exit, usage on stdout, nothing on stderr" "0 Usage: $t" \
			"$? $(head -n 1 out.txt | cut -d' ' -f1,2)$(cat err.txt)"
	done
done

exit $FAILED
