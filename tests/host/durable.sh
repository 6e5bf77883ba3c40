#!/usr/bin/env bash
# What is on disk, and when (README): durability points every --sync-interval, announced on
# --status-fd and in --json, marked "synced F C" in the capture log; and recovery after a
# power cut, simulated here by turning what was written after the last durability point back
# into unwritten extents (fallocate --zero-range: the state a power cut leaves of writes
# whose extent conversion never reached the journal). The VM's dm-log-writes scenario
# (tests/vm/scenarios/power-cut.sh) replays real crash states.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg fallocate
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP or $VMOV missing"
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT, FIEMAP), not tmpfs
cd "$D" || exit 1
S=(--size 720x576 -q)

# 1. Durability points: on --status-fd as they happen, in the log, in --json; the last at the end.
"$VCAP" --rate 25 -n 50 "${S[@]}" --audio pattern --sync-interval 0.2 --status-fd 3 --json \
	-o a.mov 3>status >a.json
check status-exit 0 $?
check status-last "durable 50 96000" "$(tail -n 1 status)"
check status-several 1 "$(($(wc -l <status) >= 4))"
check status-increasing 1 "$(awk '$2 <= f { bad = 1 } { f = $2 } END { print bad ? 0 : 1 }' status)"
check json-durable 50 "$(json a.json 'j["durable_frames"]')"
check json-durable-samples 96000 "$(json a.json 'j["durable_samples"]')"
check json-sync-points "$(wc -l <status)" "$(json a.json 'j["sync_points"]')"
# every synced line covers only lines written before it
check log-synced-covers 1 "$(awk '/^[0-9]/ { f++ } /^chunk / { c++ }
	/^synced / { n++; if ($2 > f || $3 > c) bad = 1 }
	END { print (n >= 2 && !bad) ? 1 : 0 }' a.mov.vcj)"
"$VCAP" --rate 25 -n 40 "${S[@]}" --sync-interval 0 --status-fd 3 -o every.mov 3>every
check sync-every-batch 1 "$(($(wc -l <every) >= 4))"
"$VCAP" -n 5 "${S[@]}" --sync-interval soon -o bad.mov 2>err
check bad-interval-exit 2 $?
check bad-interval-line 1 "$(grep -c "invalid --sync-interval 'soon'" err)"
"$VCAP" -n 5 "${S[@]}" --status-fd 7 -o bad.mov 2>err
check bad-status-fd-exit 2 $?
[[ ! -e bad.mov ]] && pass bad-options-create-nothing || fail bad-options-create-nothing "bad.mov exists"

# 2. A power cut: a killed recording whose writes after a durability point are not on disk.
# power_cut NAME: keep the log's synced lines up to the last one covering <= frames - 8, turn the
# file from frame F+2 on into unwritten extents; prints F.
power_cut() {
	local log=$1.mov.vcj total f off
	total=$(grep -c '^[0-9]' "$log")
	f=$(awk -v max=$((total - 8)) '/^synced / && $2 <= max { f = $2 } END { print f + 0 }' "$log")
	awk -v f="$f" '/^synced / && $2 > f { next } { print }' "$log" >"$log.cut"
	mv "$log.cut" "$log"
	off=$(awk -v k=$((f + 2)) '/^[0-9]/ && $1 == k { print $2 }' "$log")
	fallocate --zero-range -o "$off" -l $(($(stat -c %s "$1.mov") - off)) "$1.mov"
	echo "$f"
}

record_killed() { # NAME ARGS...: 3 s of a 20 s recording, then SIGKILL
	local name=$1
	shift
	"$VCAP" --rate 25 -n 500 "${S[@]}" --sync-interval 0.25 "$@" -o "$name.mov" &
	local pid=$!
	sleep 3
	kill -9 $pid
	wait $pid 2>/dev/null
}

for md5 in with-md5 without-md5; do
	args=()
	[[ $md5 == with-md5 ]] && args=(--md5 "$md5.md5")
	record_killed "$md5" "${args[@]}"
	total=$(grep -c '^[0-9]' "$md5.mov.vcj")
	f=$(power_cut "$md5")
	if ((f < 8)); then
		fail "$md5-setup" "the log has no durability point before frame $((total - 8))"
		continue
	fi
	"$VMOV" recover "$md5.mov" >out 2>err
	check "$md5-recover-exit" 0 $?
	check "$md5-recovered-all-on-disk" "recovered $((f + 2)) frames" "$(grep -o '^recovered [0-9]* frames' out)"
	check "$md5-says-left-out" 1 "$(grep -c "^left out $((total - f - 2)) journaled frames written after the last durability point and not on disk (a power cut); the log promised $f$" out)"
	check "$md5-plays" "$((f + 2))" "$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$md5.mov")"
	# every frame kept is the one recorded: the pattern stamps each with its number
	if [[ $md5 == with-md5 ]]; then
		check "$md5-verify" OK "$("$VMOV" verify "$md5.mov" --md5 "$md5.md5" | tail -n 1)"
	else
		zeros=$(ffmpeg -nostdin -v error -i "$md5.mov" -map 0:v -c copy -f framemd5 - |
			grep -c "$(head -c 829440 /dev/zero | md5sum | cut -d' ' -f1)")
		check "$md5-no-zero-frames" 0 "$zeros"
	fi
done

# 3. A frame the log says was durable is missing: refused, nothing changed.
record_killed lost --md5 lost.md5
f=$(awk '/^synced / { f = $2 } END { print f + 0 }' lost.mov.vcj)
off=$(awk -v k=$((f / 2)) '/^[0-9]/ && $1 == k { print $2 }' lost.mov.vcj)
fallocate --zero-range -o "$off" -l 829440 lost.mov
cp lost.mov lost.orig
"$VMOV" recover lost.mov >out 2>err
check durable-frame-missing-refused 3 $?
check durable-frame-missing-says 1 "$(grep -c "lost.mov: frame $((f / 2)) is not on disk although lost.mov.vcj says it was made durable" err)"
cmp -s lost.mov lost.orig && pass durable-frame-missing-unchanged || fail durable-frame-missing-unchanged "lost.mov changed"

# 4. The log lost or damaged: the file describes itself (vcap stamps it before the first
# frame); a recording without sound is rebuilt from it alone, every frame the one recorded.
for how in lost damaged; do
	record_killed "self-$how" --md5 "self-$how.md5"
	mv "self-$how.mov.vcj" "self-$how.saved"
	[[ $how == damaged ]] && echo "not a log" >"self-$how.mov.vcj"
	"$VMOV" recover "self-$how.mov" >out 2>err
	check "self-$how-exit" 0 $?
	n=$(sed -n 's/^recovered \([0-9]*\) frames.*/\1/p' out)
	check "self-$how-says-how-sure" 1 "$(grep -c '^from the file alone (self-'"$how"'.mov.vcj is \(missing\|not a valid capture log\)): the frames the filesystem says were written (FIEMAP), in file order' out)"
	logged=$(grep -c '^[0-9]' "self-$how.saved")
	# at least what was logged: a write in flight at the kill lands after it
	check "self-$how-all-logged" 1 "$((n >= logged))"
	got=$(ffmpeg -nostdin -v error -i "self-$how.mov" -map 0:v -c copy -f framemd5 - | grep -v '^#' | awk -F', *' '{ print $6 }' | head -n "$logged" | md5sum)
	want=$(awk '/^[0-9]/ { print $10 }' "self-$how.saved" | md5sum)
	check "self-$how-frames-are-the-recorded" "$want" "$got"
	"$VMOV" recover "self-$how.mov" >out 2>err
	check "self-$how-second-run" "0 1" "$? $(grep -c 'is complete .*its index is whole' out)"
done
record_killed self-sound --audio pattern
rm self-sound.mov.vcj
cp self-sound.mov self-sound.orig
"$VMOV" recover self-sound.mov >out 2>err
check self-sound-refused 3 $?
check self-sound-says 1 "$(grep -c 'self-sound.mov: self-sound.mov.vcj is missing, and a recording with sound needs it' err)"
cmp -s self-sound.mov self-sound.orig && pass self-sound-unchanged || fail self-sound-unchanged "changed"
head -c 1M /dev/urandom >random.mov
"$VMOV" recover random.mov >out 2>err
check not-vcap-refused 3 $?
check not-vcap-says 1 "$(grep -c 'random.mov: random.mov.vcj is missing, and the file does not describe itself' err)"

# 5. SIGHUP (the terminal went away) finishes the file like SIGINT and SIGTERM.
"$VCAP" --rate 25 -n 500 "${S[@]}" --json -o hup.mov >hup.json &
pid=$!
sleep 1.5
kill -HUP $pid
wait $pid
check sighup-exit 0 $?
check sighup-stopped-by SIGHUP "$(json hup.json 'j["stopped_by"]')"
check sighup-complete 1 "$(grep -c '^end ' hup.mov.vcj)"

exit $FAILED
