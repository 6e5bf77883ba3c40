#!/usr/bin/env bash
# vcap's exit codes follow one rule (vcap --help, README "Exit codes"): 2 when the command
# line alone is wrong, found before any file or device is touched; 3 when the command line is
# fine but this machine refuses it (a file exists or is not a regular file, no such device,
# the source does not offer what was asked). Either way nothing is created. A table: one
# refusal per line, its exact code.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
VCAP=$BIN/vcap
[[ -x $VCAP ]] || skip_all "build first: $VCAP missing"
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
mkdir -p "$D/exit-codes" && cd "$D/exit-codes" || exit 1
FAILED=0
P=(--source pattern --size 320x240 --rate 25 -n 5 -q)
NODEV=/nonexistent/video9 # a device path that is not there: its refusal is 3

# What exists before each case (the cases that refuse an existing output need these).
mkdir dir.mov
touch taken.mov taken-log.mov.vcj taken.md5

# expect CODE NAME VCAP-ARGS...: exit CODE, and nothing created here or next to /dev/null.
expect() {
	local code=$1 name=$2
	shift 2
	run_listed "$VCAP" "$@"
	if [[ $RC == "$code" && -z $CHANGED ]]; then
		pass "exit $code: $name ($(head -n 1 err.txt))"
	else
		fail "exit $code: $name" "exit $RC, $(head -n 1 err.txt); files changed: $(echo $CHANGED)"
	fi
}

# 2: the command line alone is wrong.
expect 2 "unknown option" "${P[@]}" --no-such-option -o a.mov
expect 2 "--format not in the table" "${P[@]}" --format NV12 -o a.mov
expect 2 "--timecode past 23:59:59" "${P[@]}" --timecode 25:00:00:00 -o a.mov
expect 2 "drop-frame label that does not exist" --source pattern --size 320x240 \
	--rate 30000/1001 -n 5 -q --timecode '00:01:00;00' -o a.mov
expect 2 "';' (drop-frame) at 25 fps" "${P[@]}" --timecode '01:00:00;00' -o a.mov
expect 2 "UYVY at an odd width" "${P[@]}" --format UYVY --size 721x4 -o a.mov
expect 2 "RGB24 at an odd width" "${P[@]}" --format RGB24 --size 721x4 -o a.mov
expect 2 "-n with -t" "${P[@]}" -t 2 -o a.mov
expect 2 "--md5 names the output" "${P[@]}" --md5 a.mov -o a.mov
# ... also when the source is a device: its rate is not needed to know these
expect 2 "device: --timecode no rate has" --device $NODEV --timecode 25:00:00:00 -n 5 -o a.mov
expect 2 "device: drop-frame label no rate has" --device $NODEV --timecode '00:01:00;00' -n 5 -o a.mov
expect 2 "device: --timecode frame 25 at --rate 25" --device $NODEV --rate 25 \
	--timecode 01:00:00:25 -n 5 -o a.mov
expect 2 "device: --start-timecode past 23:59:59" --device $NODEV --start-timecode 24:00:00:00 \
	-n 5 -o a.mov
expect 2 "device: --fields with --field none" --device $NODEV --field none --fields 4 -o a.mov

# 3: the command line is fine; this machine refuses it.
expect 3 "output exists" "${P[@]}" -o taken.mov
expect 3 "capture log exists" "${P[@]}" -o taken-log.mov
expect 3 "--md5 sidecar exists" "${P[@]}" --md5 taken.md5 -o a.mov
expect 3 "-o - (stdout is not a regular file)" "${P[@]}" -o -
expect 3 "-o /dev/null, even with --force" "${P[@]}" --force -o /dev/null
expect 3 "-o a directory" "${P[@]}" -o dir.mov
expect 3 "no such device" --device $NODEV -n 5 -o a.mov
expect 3 "no such device, as -d (v4l2-ctl's name)" -d $NODEV -n 5 -o a.mov
"$VCAP" --device $NODEV -n 5 -o a.mov 2>long.err
"$VCAP" -d $NODEV -n 5 -o a.mov 2>short.err
check "-d DEVICE says what --device DEVICE says" "$(cat long.err)" "$(cat short.err)"
rm -f long.err short.err
expect 3 "no such device, with a timecode some rate has" --device $NODEV \
	--timecode 01:00:00:29 -n 5 -o a.mov
expect 3 "the pattern source has no --std" "${P[@]}" --std pal -o a.mov
expect 3 "interlaced-tb cannot start on a bottom field" "${P[@]}" --field interlaced-tb \
	--start-field bottom -o a.mov
exit $FAILED
