#!/usr/bin/env bash
# vmov recover and the recording lock: a file being recorded cannot be recovered or recorded
# over; a capture log of another recording is refused and changes nothing; the md5 sidecar of
# a killed recording is written from its log; what a second run and a missing log say; the
# recover hint of vmov info only for a file with a log.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP or $VMOV missing"
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
S=(--size 720x576 -q)

framemd5() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -c copy -f framemd5 - ; }

# 1. A running recording holds the lock: recover and a second vcap --force refuse, name it.
"$VCAP" --rate 25 -n 500 "${S[@]}" --md5 live.md5 -o live.mov &
pid=$!
for _ in $(seq 50); do [[ -s live.mov.vcj ]] && grep -q '^[0-9]' live.mov.vcj && break; sleep 0.1; done
"$VMOV" recover live.mov >out 2>err
rc=$?
check lock-recover-refused 3 $rc
check lock-recover-names-holder 1 "$(grep -c "live.mov: being recorded by vcap pid $pid" err)"
"$VMOV" recover --force live.mov >/dev/null 2>&1
check lock-recover-force-refused 3 $?
"$VCAP" --rate 25 -n 5 "${S[@]}" --force -o live.mov 2>err
check lock-vcap-force-refused 3 $?
check lock-vcap-names-holder 1 "$(grep -c "live.mov: being recorded by vcap pid $pid" err)"
kill -INT $pid
wait $pid
check lock-recording-finished 0 $?
check lock-file-intact OK "$("$VMOV" verify live.mov --md5 live.md5 | tail -n 1)"
check lock-log-intact 1 "$(grep -c '^end ' live.mov.vcj)"

# a killed recording: its lock went with it
"$VCAP" --rate 50 -n 200 "${S[@]}" --md5 k.md5 -o k.mov &
pid=$!
# some frames in (however slow the machine), then the kill
for _ in $(seq 100); do [[ -s k.mov.vcj ]] && (($(grep -c '^[0-9]' k.mov.vcj) >= 20)) && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null
sleep 1 # the dead process's io_uring writes and syncs still in flight land (ring teardown is async)
cp k.mov k.orig
logged=$(grep -c '^[0-9]' k.mov.vcj)

# 2. A log of another recording (same format, other frames: drops shift the pattern) is
# refused, and neither the file nor the log change.
"$VCAP" --rate max -n 40 "${S[@]}" --pattern drop-every=3 --md5 other.md5 -o other.mov 2>/dev/null
cp k.mov.vcj k.vcj.orig
"$VMOV" recover k.mov --force --journal other.mov.vcj >out 2>err
check stale-log-refused 3 $?
check stale-log-one-line 1 "$(wc -l <err)"
check stale-log-says-why 1 "$(grep -c 'other.mov.vcj is not the log of k.mov: ' err)"
if cmp -s k.mov k.orig; then pass stale-log-file-unchanged; else fail stale-log-file-unchanged "k.mov changed"; fi
# without the recording id (a file from before it was stamped), the frames' md5s decide
ds=$(awk '$1 == "data_start" { print $2 }' k.mov.vcj)
cp k.orig nostamp.mov
dd if=/dev/zero of=nostamp.mov bs=1 seek=$((ds - 64)) count=64 conv=notrunc status=none
cp nostamp.mov nostamp.orig
"$VMOV" recover nostamp.mov --force --journal other.mov.vcj >out 2>err
check stale-md5-refused 3 $?
check stale-md5-says-why 1 "$(grep -c 'other.mov.vcj is not the log of nostamp.mov: frame [0-9]* in the file differs from the log.s md5' err)"
if cmp -s nostamp.mov nostamp.orig; then pass stale-md5-file-unchanged; else fail stale-md5-file-unchanged "changed"; fi
"$VCAP" --rate max -n 10 --size 640x480 -q -o small.mov
"$VMOV" recover k.mov --force --journal small.mov.vcj >out 2>err
check other-size-log-refused 3 $?
if cmp -s k.mov k.orig; then pass other-size-file-unchanged; else fail other-size-file-unchanged "k.mov changed"; fi

# 3. Its own log recovers it, and writes the --md5 sidecar the recording never got to.
# (vcap created it empty before the first frame, so that no one else takes the name)
[[ -f k.md5 && ! -s k.md5 ]] && pass killed-sidecar-empty || fail killed-sidecar-empty "$(ls -l k.md5 2>&1)"
"$VMOV" recover k.mov >out 2>err
check killed-recovered 0 $?
check killed-frames "recovered $logged frames" "$(head -n 1 out | cut -d';' -f1)"
if [[ -f k.md5 ]] && cmp -s k.md5 <(framemd5 k.mov); then pass killed-sidecar-as-ffmpeg
else fail killed-sidecar-as-ffmpeg "k.md5 missing or unlike ffmpeg's framemd5"; fi
check killed-verify OK "$("$VMOV" verify k.mov --md5 k.md5 | tail -n 1)"
# an existing sidecar with lines in it is kept and said so; --force replaces it
echo stale >k.md5
cp k.orig k.mov
cp k.vcj.orig k.mov.vcj
"$VMOV" recover k.mov >out 2>err
check sidecar-kept "0 stale" "$? $(cat k.md5)"
check sidecar-kept-said 1 "$(grep -c 'k.md5 exists and was kept' err)"
cp k.orig k.mov
cp k.vcj.orig k.mov.vcj
"$VMOV" recover k.mov --force >out 2>err
if cmp -s k.md5 <(framemd5 k.mov); then pass sidecar-force-replaced; else fail sidecar-force-replaced "k.md5 not replaced"; fi

# 4. A second run says the file is complete (exit 0); --force rebuilds again.
"$VMOV" recover k.mov >out 2>err
check second-run-exit 0 $?
check second-run-says 1 "$(grep -c '^k.mov is complete.*recovered already' out)"
"$VCAP" --rate max -n 5 "${S[@]}" -o clean.mov
"$VMOV" recover clean.mov >out 2>err
check clean-run-says "0 1" "$? $(grep -c 'vcap finished it cleanly' out)"
# without its log a whole file needs nothing; one that does not describe itself (cut before
# its first frame) names the missing log, with what to do
cp clean.mov nolog.mov
"$VMOV" recover nolog.mov >out 2>err
check whole-without-log "0 1" "$? $(grep -c '^nolog.mov is complete (5 frames): its index is whole' out)"
head -c 3000 clean.mov >cut.mov
"$VMOV" recover cut.mov >out 2>err
check missing-log-exit 3 $?
check missing-log-named 1 "$(grep -c '^vmov: cut.mov: cut.mov.vcj is missing, and the file does not describe itself .*--journal' err)"
"$VMOV" recover gone.mov >out 2>err
check missing-file-named "3 1" "$? $(grep -c '^vmov: gone.mov: No such file' err)"
# vmov info suggests recover only for a file with a capture log
ffmpeg -nostdin -v error -f lavfi -i testsrc=s=64x48:d=0.2 -c:v ffv1 x.mkv
"$VMOV" info x.mkv >out 2>err
check info-mkv-no-recover-hint "3 0" "$? $(grep -c recover err)"
head -c 100000 k.orig >cut.mov
cp k.vcj.orig cut.mov.vcj
"$VMOV" info cut.mov >out 2>err
check info-logged-recover-hint "3 1" "$? $(grep -c 'vmov recover' err)"

# its own log recovers the unstamped file, every frame checked (its sidecar exists: kept)
cp k.vcj.orig nostamp.mov.vcj
"$VMOV" recover nostamp.mov >out 2>err
check own-log-md5-checked "0 1" "$? $(grep -c "^checked $logged frames against the log's md5s" out)"

exit $FAILED
