#!/usr/bin/env bash
# Signals at random moments, from before setup to after the end: SIGINT, SIGTERM, SIGHUP and
# SIGKILL, SIGNAL_RUNS times each (default 15 in make check; SIGNAL_RUNS=50 makes the 200 runs
# of the full check). Every run must leave either no
# recording at all, a complete file (its log ends with "end", ffprobe reads every frame), or
# a file vmov recover completes (every frame it keeps checked against the log's md5, and
# ffprobe reads them); never a file that neither plays nor recovers.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP or $VMOV missing"
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
RUNS=${SIGNAL_RUNS:-15}

frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }

# one SIG I: record 30 frames at 50 fps (0.6 s) with sound; the signal after 0 to 1.5 s.
# Prints the outcome: none, log-only, complete N, recovered N, or "bad: why".
one() {
	local sig=$1 delay ms pid n want
	rm -f r.mov r.mov.vcj r.md5
	ms=$((RANDOM % 1500))
	delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	"$VCAP" --rate 50 -n 30 --size 320x240 --audio pattern --md5 r.md5 -q -o r.mov 2>/dev/null &
	pid=$!
	sleep "$delay"
	kill -"$sig" $pid 2>/dev/null
	wait $pid 2>/dev/null
	sleep 0.05 # a killed process's io_uring requests finish after it (async ring teardown)
	if [[ ! -e r.mov ]]; then
		[[ -e r.mov.vcj ]] && echo log-only || echo none
		return
	fi
	if grep -q '^end ' r.mov.vcj 2>/dev/null; then
		want=$(sed -n 's/^end frames=\([0-9]*\) .*/\1/p' r.mov.vcj)
		n=$(frames r.mov)
		[[ $n == "$want" || ($want == 0 && -z $n) ]] && echo "complete $want" || echo "bad: complete log of $want frames, ffprobe reads '$n'"
		return
	fi
	if ! "$VMOV" recover r.mov >out 2>err; then
		echo "bad: recover: $(head -n 1 err)"
		return
	fi
	want=$(sed -n 's/^recovered \([0-9]*\) frame.*/\1/p' out)
	n=$(frames r.mov)
	if ((want > 0)) && ! grep -q "^checked $want frames\? against the log's md5s" out; then
		echo "bad: recovered $want frames, not all checked: $(tail -n 1 out)"
	elif [[ $n == "$want" || ($want == 0 && -z $n) ]]; then
		echo "recovered $want"
	else
		echo "bad: recovered $want frames, ffprobe reads '$n'"
	fi
}

for sig in INT TERM HUP KILL; do
	declare -A seen=()
	bad=0
	for ((i = 0; i < RUNS; i++)); do
		r=$(one $sig)
		case $r in
		bad:*)
			bad=$((bad + 1))
			echo "  SIG$sig run $i: $r"
			cp r.mov "bad-$sig-$i.mov" 2>/dev/null
			cp r.mov.vcj "bad-$sig-$i.mov.vcj" 2>/dev/null
			;;
		esac
		k=${r%% *}
		seen[$k]=$((${seen[$k]:-0} + 1))
	done
	summary=$(for k in "${!seen[@]}"; do echo -n "$k=${seen[$k]} "; done)
	echo "SIG$sig: $RUNS runs: $summary"
	check "sig$sig-$RUNS-runs-none-unrecoverable" 0 "$bad"
done

exit $FAILED
