#!/usr/bin/env bash
# vcap's recording policies against the pattern source made to behave like a device
# (--pattern): drops reported live and in --json equal to the sequence gaps in the capture
# log, --on-drop stop/fail, --fill-drops (ffmpeg reads the repeats, vmov recover rebuilds
# them), flagged frames, a fatal source error, device timecode into tmcd,
# --start/--stop-timecode, exact -n/--fields/-t counts, buffers-full drops, --realtime, and
# what -q leaves out (the progress line and the summary) and keeps (errors and warnings).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe ffmpeg python3
D=${VCAP_TEST_DIR:-$TMP}   # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
SD=(--size 720x576 --format UYVY)

packets() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }
md5_same() { ffmpeg -nostdin -v error -i "$1" -c copy -f framemd5 - | cmp -s - "$2"; }
# log_gaps LOG: "gaps frames" from the sequence column (frames lost before the first too)
log_gaps() {
	awk '/^[0-9]/ { s = $5; if (n++ == 0) { if (s > 0) { g++; f += s } } else if (s > p + 1) { g++; f += s - p - 1 } p = s }
	     END { print g + 0, f + 0 }' "$1"
}
tc_of() { ffprobe -v error -show_entries stream_tags=timecode -of csv=p=0 "$1" </dev/null | grep -m1 .; }

# Drops: one line each on stderr (with --json too), the JSON list equals the log's gaps.
"$BIN/vcap" "${SD[@]}" --rate 50 --field interlaced-tb -n 60 --pattern drop-every=7,error-every=25 \
	--json -o d.mov >d.json 2>d.err
check drops-exit 0 $?
check drops-live-lines 9 "$(grep -c 'drop: 1 frame (2 fields) lost before frame' d.err)"
check drops-json-equals-log "$(log_gaps d.mov.vcj)" "$(json d.json '"%d %d" % (j["gaps"], sum(d["count"] for d in j["drop_list"]))')"
check drops-json-total 9 "$(json d.json 'j["drops"]')"
check drops-fields 18 "$(json d.json 'j["lost_fields"]')"
check drops-noted-in-log 9 "$(grep -c ' lost=1,lost-fields=2$' d.mov.vcj)"
# the first gap is before frame 6: the log's frame 6 carries the note
check drops-position "6 lost=1,lost-fields=2" "$(json d.json 'j["drop_list"][0]["before_frame"]') $(awk '$1 == 6 { print $NF }' d.mov.vcj)"
check flagged-json "[24, 49]" "$(json d.json 'j["flagged_frames"]')"
check flagged-live 2 "$(grep -c 'flagged V4L2_BUF_FLAG_ERROR' d.err)"
check flagged-in-log "24 49" "$(python3 -c 'import sys; print(*[l.split()[0] for l in open(sys.argv[1]) if l[0].isdigit() and int(l.split()[6], 16) & 0x40])' d.mov.vcj)"
check drops-packets 60 "$(packets d.mov)"

# A sequence number that does not advance (vivid does that while dropping): the frame takes
# the next period, the file stays whole, the drop counts stay equal to the log's gaps.
"$BIN/vcap" "${SD[@]}" --rate 50 -n 40 --pattern seq-repeat-every=6,drop-every=9 --md5 r.md5 -o r.mov --json >r.json 2>r.err
check seq-repeat-exit 0 $?
check seq-repeat-live 6 "$(grep -c 'numbered frame .* again' r.err)"
check seq-repeat-noted 6 "$(grep -c 'device-sequence=' r.mov.vcj)"
check seq-repeat-drops-equal-log "$(log_gaps r.mov.vcj)" "$(json r.json '"%d %d" % (j["gaps"], j["drops"])')"
check seq-repeat-packets 40 "$(packets r.mov)"
if md5_same r.mov r.md5; then pass seq-repeat-framemd5; else fail seq-repeat-framemd5 "sidecar differs from ffmpeg's"; fi

# --on-drop fail: the file is finished and plays, the exit code is 4.
"$BIN/vcap" "${SD[@]}" --rate 50 -n 30 --on-drop fail --pattern drop-every=10 -o f.mov -q --json >f.json 2>/dev/null
check on-drop-fail-exit 4 $?
check on-drop-fail-json "4 30" "$(json f.json '"%d %d" % (j["exit_code"], j["frames"])')"
if decode_errors f.mov >/dev/null; then pass on-drop-fail-decodes; else fail on-drop-fail-decodes "ffmpeg errors"; fi
check on-drop-fail-log-complete "end frames=30" "$(tail -n 1 f.mov.vcj | cut -d' ' -f1-2)"
"$BIN/vcap" "${SD[@]}" --rate 50 -n 30 --on-drop stop --pattern drop-every=10 -o s.mov -q --json >s.json 2>/dev/null
check on-drop-stop "0 drop 10" "$? $(json s.json '"%s %d" % (j["stopped_by"], j["frames"])')"

# --fill-drops: one sample per frame period; ffmpeg reads the repeated payload; vmov verify
# accepts the repeats; the duration is true.
"$BIN/vcap" "${SD[@]}" --rate 50 -n 60 --fill-drops --pattern drop-every=7 --md5 fl.md5 -o fl.mov -q --json >fl.json 2>/dev/null
check fill-exit 0 $?
check fill-packets 60 "$(packets fl.mov)"
check fill-duration 1.200000 "$(ffprobe -v error -show_entries format=duration -of csv=p=0 fl.mov)"
check fill-json "8 8" "$(json fl.json '"%d %d" % (j["fills"], j["drops"])')"
check fill-marked "8" "$(grep -c ' fill$' fl.mov.vcj)"
if md5_same fl.mov fl.md5; then pass fill-framemd5-identical; else fail fill-framemd5-identical "sidecar differs from ffmpeg's"; fi
# frame 6 was lost: sample 6 repeats sample 5
check fill-repeats-previous "$(sed -n '6p' <(grep -v '^#' fl.md5) | awk -F', ' '{ print $NF }')" \
	"$(sed -n '7p' <(grep -v '^#' fl.md5) | awk -F', ' '{ print $NF }')"
if "$BIN/vmov" verify fl.mov --md5 fl.md5 >v.txt; then pass fill-vmov-verify; else fail fill-vmov-verify "$(tail -n 3 v.txt)"; fi
# without --fill-drops the timestamps keep the gaps and the sidecar still matches ffmpeg's
"$BIN/vcap" "${SD[@]}" --rate 50 -n 30 --pattern drop-every=7 --md5 g.md5 -o g.mov -q 2>/dev/null
if md5_same g.mov g.md5; then pass gaps-framemd5-identical; else fail gaps-framemd5-identical "sidecar differs from ffmpeg's"; fi
# the device lost its first buffers (vivid under load, a lone field before --start-field): the
# file starts at the first frame that came, pts 0, so ffmpeg's framemd5 equals the sidecar
# (an empty edit at the start made them differ); the loss is a drop before frame 0, not filled
for fd in "" --fill-drops; do
	rm -f lf.*
	"$BIN/vcap" "${SD[@]}" --rate 30000/1001 -n 8 $fd --pattern lose-first=3,drop-every=4 --md5 lf.md5 \
		-o lf.mov -q --json >lf.json 2>lf.err
	if md5_same lf.mov lf.md5; then pass "lose-first${fd}: framemd5 identical"
	else fail "lose-first${fd}: framemd5" "$(diff <(ffmpeg -v error -i lf.mov -c copy -f framemd5 -) lf.md5 | head -4 | tr '\n' ' ')"; fi
	check "lose-first${fd}: first pts 0" 0 "$(grep -v '^#' lf.md5 | head -1 | awk -F', *' '{ print $3 }')"
	check "lose-first${fd}: a drop before frame 0" "0 0 4" \
		"$(json lf.json '"%d %d %d" % (j["drop_list"][0]["before_frame"], j["drop_list"][0]["sequence"], j["drop_list"][0]["count"])')"
	check "lose-first${fd}: nothing filled before frame 0" 0 "$(grep -c 'before frame 0 .*filled' lf.err)"
done

# kill -9 with fills: vmov recover rebuilds them from the log.
"$BIN/vcap" "${SD[@]}" --rate 50 -n 3000 --fill-drops --pattern drop-every=5 --md5 k.md5 -o k.mov -q 2>/dev/null &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
logged=$(grep -c '^[0-9]' k.mov.vcj)
"$BIN/vmov" recover k.mov >/dev/null 2>&1
check fill-recover "0 $logged" "$? $(packets k.mov)"
check fill-recover-has-fills True "$([[ $(grep -c ' fill$' k.mov.vcj) -gt 3 ]] && echo True || echo False)"
grep '^[0-9]' k.mov.vcj | awk '{ print $10 }' >journal.md5
ffmpeg -nostdin -v error -i k.mov -c copy -f framemd5 - | grep -v '^#' | awk -F', ' '{ print $NF }' >ffmpeg.md5
if [[ -s journal.md5 ]] && cmp -s journal.md5 ffmpeg.md5; then pass fill-recover-md5s; else fail fill-recover-md5s "journal and ffmpeg md5s differ"; fi

# A fatal source error: exit 1, one error line, the file holds every frame before it.
"$BIN/vcap" "${SD[@]}" --rate 50 -n 100 --pattern fail-after=37 -o e.mov -q --json >e.json 2>e.err
check fatal-exit 1 $?
check fatal-one-line 1 "$(grep -c 'Input/output error' e.err)"
check fatal-json "37 error 1" "$(json e.json '"%d %s %d" % (j["frames"], j["stopped_by"], j["exit_code"])')"
check fatal-packets 37 "$(packets e.mov)"
if decode_errors e.mov >/dev/null; then pass fatal-decodes; else fail fatal-decodes "ffmpeg errors"; fi

# Device timecode: the tmcd track starts at the first frame's; drop-frame labels across a
# minute are not a break; --timecode wins over the device's.
"$BIN/vcap" "${SD[@]}" --rate 25 -n 10 --pattern timecode=10:20:30:05 -o tc.mov -q --json >tc.json
check device-tc-tmcd 10:20:30:05 "$(tc_of tc.mov)"
check device-tc-log "10:20:30:05 10:20:30:14" "$(awk '$1 == 0 { a = $9 } $1 == 9 { b = $9 } END { print a, b }' tc.mov.vcj)"
"$BIN/vcap" --size 720x486 --rate 30000/1001 -n 20 --pattern 'timecode=00:00:59;20' -o df.mov -q --json >df.json
check device-tc-drop-frame "00:00:59;20 0 00:01:00;11" "$(tc_of df.mov) $(json df.json '"%d %s" % (j["device_timecode"]["breaks"], j["device_timecode"]["last"])')"
# a jump in the device timecode (an edit on tape) is a break: live, in the log, in --json
"$BIN/vcap" "${SD[@]}" --rate 25 -n 20 --pattern timecode=01:00:00:00,tc-jump-every=8 -o tj.mov -q --json >tj.json 2>tj.err
check tc-break-json "2 [8, 16]" "$(json tj.json '"%d %s" % (j["device_timecode"]["breaks"], j["device_timecode"]["break_frames"])')"
check tc-break-live 2 "$(grep -c 'timecode break before frame' tj.err)"
# tc-jump-every without timecode=: the device's timecode starts at zero (the jumps did nothing)
"$BIN/vcap" "${SD[@]}" --rate 25 -n 20 --pattern drop-every=5,tc-jump-every=8 -o tz.mov -q --json >tz.json 2>tz.err
check tc-jump-alone-breaks 2 "$(json tz.json 'j["device_timecode"]["breaks"]')"
# the live line names the sequence of the frame whose timecode broke, as the log has it
first=$(sed -nE 's/.*timecode break before frame ([0-9]+) \(sequence ([0-9]+)\).*/\1 \2/p' tz.err | head -n 1)
check tc-break-live-sequence "$(awk -v f="${first% *}" '$1 == f { print $1, $5 }' tz.mov.vcj)" "$first"
check tc-break-log "8 01:00:01:08" "$(awk '$NF == "tc-break" { print $1, $9; exit }' tj.mov.vcj)"
check tc-break-tmcd-from-first 01:00:00:00 "$(tc_of tj.mov)"
"$BIN/vcap" "${SD[@]}" --rate 25 -n 5 --pattern timecode=01:00:00:00 --timecode 02:00:00:00 -o tx.mov -q
check explicit-tc-wins 02:00:00:00 "$(tc_of tx.mov)"

# --start-timecode / --stop-timecode (inclusive).
"$BIN/vcap" "${SD[@]}" --rate 25 --pattern timecode=09:59:59:20 --start-timecode 10:00:00:00 \
	--stop-timecode 10:00:00:24 -o ss.mov -q --json >ss.json
check start-stop-tc "0 25 stop-timecode 10:00:00:00" "$? $(json ss.json '"%d %s" % (j["frames"], j["stopped_by"])') $(tc_of ss.mov)"
check start-stop-log "10:00:00:00 10:00:00:24" "$(awk '/^[0-9]/ { if (!a) a = $9; b = $9 } END { print a, b }' ss.mov.vcj)"
"$BIN/vcap" "${SD[@]}" --rate 25 --start-timecode 10:00:00:00 -o nt.mov -q 2>nt.err
check no-device-tc-exit 3 $?
if grep -q 'no timecode' nt.err && [[ ! -e nt.mov && ! -e nt.mov.vcj ]]; then pass no-device-tc-nothing-left; else fail no-device-tc-nothing-left "$(cat nt.err; ls nt.mov* 2>&1)"; fi

# Exact amounts.
"$BIN/vcap" "${SD[@]}" --rate max --field seq-tb --fields 30 -o fd.mov -q --json >fd.json
check fields-exact "15 30 15" "$(json fd.json '"%d %d" % (j["frames"], j["fields"])') $(packets fd.mov)"
"$BIN/vcap" "${SD[@]}" --rate 25 --field interlaced-tb --fields 21 -o odd.mov -q 2>/dev/null
check fields-odd-refused 2 $?
"$BIN/vcap" "${SD[@]}" --rate 25 --fields 20 -o pr.mov -q 2>/dev/null
check fields-progressive-refused 2 $?
"$BIN/vcap" "${SD[@]}" --rate 25 -t 00:00:01:05 -o t.mov -q
check duration-timecode 30 "$(packets t.mov)"
"$BIN/vcap" "${SD[@]}" --rate 25 -t 1.2 --pattern drop-every=4 -o td.mov -q --json >td.json 2>/dev/null
check duration-counts-drops "30 1.200000" "$(json td.json 'j["frames"] + j["drops"]') $(ffprobe -v error -show_entries format=duration -of csv=p=0 td.mov)"
"$BIN/vcap" "${SD[@]}" --rate 50 -n 40 --fill-drops --pattern drop-every=3 -o nf.mov -q 2>/dev/null
check frames-exact-with-fills 40 "$(packets nf.mov)"

# The disk side holding every buffer: drops say so.
"$BIN/vcap" --size 1920x1080 --rate 400 -n 300 --buffers 16 --batch 4 -o sv.mov -q --json >sv.json 2>sv.err
starved=$(json sv.json 'sum(d["starved"] for d in j["drop_list"])')
if [[ $(json sv.json 'j["gaps"]') -eq 0 ]]; then
	echo "SKIP: starved-drops: this disk kept up with 1080p at 400 fps"
else
	check starved-json-equals-log "$(log_gaps sv.mov.vcj | cut -d' ' -f2)" "$(json sv.json 'j["drops"]')"
	check starved-live "$starved" "$(grep -c 'buffers full: the disk is too slow' sv.err)"
	check starved-some True "$([[ $starved -gt 0 ]] && echo True || echo False)"
fi

# --realtime: what was obtained is reported; never a failure.
"$BIN/vcap" "${SD[@]}" --rate 25 -n 5 --realtime -o rt.mov -q --json >rt.json 2>rt.err
check realtime-exit 0 $?
if [[ $(id -u) -eq 0 ]]; then
	check realtime-root "True True" "$(json rt.json '"%s %s" % (j["realtime"]["sched_fifo"], j["realtime"]["memory_locked"])')"
fi
# -q: no progress line and no summary, as vplay -q; drops (warnings) and errors still said.
# Both --help texts give -q the same words.
"$BIN/vcap" "${SD[@]}" --rate 25 -n 5 -o q0.mov 2>q0.err
check quiet-off-summary "0 2" "$? $(grep -c '^vcap: q0.mov: 5 frames\|^vcap: UYVY 720x576' q0.err)"
"$BIN/vcap" "${SD[@]}" --rate 25 -n 5 -q -o q1.mov 2>q1.err
check quiet-nothing "0 0" "$? $(wc -l <q1.err)"
"$BIN/vcap" "${SD[@]}" --rate 25 -n 10 -q --pattern drop-every=4 -o q2.mov 2>q2.err
check quiet-drops-said "0 3 0" "$? $(grep -c 'drop: 1 frame' q2.err) $(grep -c 'frames (' q2.err)"
"$BIN/vcap" "${SD[@]}" --rate 25 -n 10 -q --pattern fail-after=3 -o q3.mov 2>q3.err
check quiet-error-said "1 1" "$? $(grep -c 'stopped the recording of q3.mov' q3.err)"
quiet_help() { "$BIN/$1" --help | grep -- '-q, --quiet' | sed 's/  */ /g'; }
check quiet-help-vcap " -q, --quiet no progress line and no summary (errors and warnings are still printed)" "$(quiet_help vcap)"
check quiet-help-same "$(quiet_help vplay)" "$(quiet_help vcap)"
exit ${FAILED:-0}
