#!/usr/bin/env bash
# vplay against files from vcap (several formats, field modes, a stripe-sized stride) and from
# ffmpeg (frames back to back, unaligned): framemd5 equal to vcap's sidecar and to ffmpeg's,
# frames piped into ffmpeg, --start/-n/--loop proved frame-exact by md5 lists, pacing,
# underruns and --on-underrun fail, SIGINT, and the refusals (truncated, corrupt, missing,
# not uncompressed, existing output, no such device) with their exit codes and one line each.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe ffmpeg python3
[[ -x $BIN/vplay && -x $BIN/vcap ]] || skip_all "build first: $BIN/vplay or $BIN/vcap missing"
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
FAILED=0
VP=$BIN/vplay

hashes() { grep -v '^#' "$1" | awk -F', *' '{print $NF}'; }
lines() { grep -v '^#' "$1"; }
ff_md5() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -c copy -f framemd5 -; }
one_line() { # NAME FILE: the error output is exactly one line
	check "$1: one line" 1 "$(wc -l <"$2")"
}

# ---- files from vcap: vplay's md5 equals vcap's sidecar and ffmpeg's -c copy framemd5 ----
vcap_case() { # NAME FORMAT SIZE RATE FIELD ALIGN [TIMECODE]
	local name=$1 tc=()
	[[ -n ${7:-} ]] && tc=(--timecode "$7")
	if ! "$BIN/vcap" --rate max --format "$2" --size "$3" --rate "$4" --field "$5" \
		--align "$6" -n 24 "${tc[@]}" --md5 "$name.vcap.md5" -o "$name.mov" -q 2>err.txt; then
		fail "$name: vcap" "$(cat err.txt)"
		return
	fi
	"$VP" "$name.mov" -o null --rate max --md5 "$name.play.md5" --json >"$name.json" 2>err.txt
	check "$name: exit" 0 $?
	if cmp -s "$name.vcap.md5" "$name.play.md5"; then pass "$name: md5 equals vcap's sidecar"
	else fail "$name: md5 vs vcap" "$(diff "$name.vcap.md5" "$name.play.md5" | head -3)"; fi
	if ff_md5 "$name.mov" | cmp -s - "$name.play.md5"; then pass "$name: md5 equals ffmpeg's"
	else fail "$name: md5 vs ffmpeg" "differs"; fi
	check "$name: batched reads" True "$(json "$name.json" '"batched" in j["read_layout"] and j["reads"] < j["frames"]')"
	check "$name: no copies" 0 "$(json "$name.json" 'j["copies"]')"
}
vcap_case uyvy-hd-tff UYVY 1920x1080 30000/1001 interlaced-tb 4096 "01:00:00;00"
vcap_case v210-sd-bff v210 720x486 30000/1001 interlaced-bt 4096
vcap_case yuyv-pal-seq YUYV 720x576 25 seq-tb 4096 "10:00:00:00"
vcap_case rgb24-stripe RGB24 720x576 25 none 196608
vcap_case argb-720p ARGB32 1280x720 50 none 4096

# ---- files from ffmpeg: frames back to back at unaligned offsets ----
ffmpeg -nostdin -v error -f lavfi -i testsrc=size=720x486:rate=30000/1001 -frames:v 30 \
	-c:v rawvideo -pix_fmt uyvy422 -tag:v 2vuy ff.mov
ffmpeg -nostdin -v error -f lavfi -i testsrc=size=1280x720:rate=25 -frames:v 12 \
	-c:v v210 ffv210.mov
for f in ff ffv210; do
	"$VP" $f.mov -o null --rate max --md5 $f.play.md5 --json >$f.json 2>err.txt
	check "$f: exit" 0 $?
	if ff_md5 $f.mov | cmp -s - $f.play.md5; then pass "$f: md5 equals ffmpeg's"
	else fail "$f: md5 vs ffmpeg" "$(ff_md5 $f.mov | diff - $f.play.md5 | head -3)"; fi
	check "$f: one superset per frame" True "$(json $f.json '"superset" in j["read_layout"] and j["reads"] == j["frames"]')"
done

# ---- frames piped into ffmpeg ----
pipe_case() { # NAME FILE PIX_FMT SIZE RATE
	local got
	got=$("$VP" "$2" -o - 2>err.txt | ffmpeg -nostdin -v error -f rawvideo -pix_fmt "$3" \
		-s "$4" -r "$5" -i - -c copy -f framemd5 - | grep -v '^#' | awk -F', *' '{print $NF}')
	if [[ -n $got && $got == "$(ff_md5 "$2" | grep -v '^#' | awk -F', *' '{print $NF}')" ]]; then
		pass "$1: piped frames equal ffmpeg reading the MOV"
	else
		fail "$1: pipe" "md5s differ ($(wc -l <<<"$got") frames; $(cat err.txt))"
	fi
}
pipe_case pipe-vcap uyvy-hd-tff.mov uyvy422 1920x1080 30000/1001
pipe_case pipe-ffmpeg ff.mov uyvy422 720x486 30000/1001

# ---- raw file output ----
"$VP" ff.mov -o out.raw 2>err.txt
check raw-file-exit 0 $?
check raw-file-bytes "$(ffmpeg -nostdin -v error -i ff.mov -c copy -f rawvideo - | md5sum)" "$(md5sum <out.raw)"
before=$(md5sum <out.raw)
"$VP" uyvy-hd-tff.mov -o out.raw 2>err.txt
check refuse-existing-exit 3 $?
one_line refuse-existing err.txt
check refuse-existing-untouched "$before" "$(md5sum <out.raw)"
if grep -q -- --force err.txt; then pass refuse-existing-hint; else fail refuse-existing-hint "$(cat err.txt)"; fi
"$VP" uyvy-hd-tff.mov -o out.raw --force -n 2 2>err.txt
check replace-with-force "$((2 * 4147200))" "$(stat -c %s out.raw)"

# ---- --start, -n, --loop: the md5 list is ffmpeg's lines for exactly those frames ----
A=uyvy-hd-tff
"$VP" $A.mov --rate max --start 5 -n 7 --loop 3 --md5 range.md5 --json >range.json 2>err.txt
check range-exit 0 $?
if diff <(lines range.md5) <(for i in 1 2 3; do ff_md5 $A.mov | grep -v '^#' | sed -n 6,12p; done) >/dev/null
then pass "start 5 -n 7 --loop 3: frames 5-11 three times"; else fail "range md5" "$(head -12 range.md5)"; fi
check range-json-frames-loops "21 3" "$(json range.json '"%d %d" % (j["frames"], j["loops"])')"
"$VP" $A.mov --rate max --start '01:00:00;20' --md5 tc.md5 2>err.txt
if diff <(lines tc.md5) <(ff_md5 $A.mov | grep -v '^#' | sed -n '21,$p') >/dev/null
then pass "start at timecode 01:00:00;20 is frame 20"; else fail "start tc" "$(head -3 tc.md5)"; fi
"$VP" ff.mov --rate max --start 28 -n 5 --loop 2 --md5 ffr.md5 2>err.txt
if diff <(lines ffr.md5) <(for i in 1 2; do ff_md5 ff.mov | grep -v '^#' | sed -n 29,30p; done) >/dev/null
then pass "ffmpeg file: -n past the end plays to the end, loops exact"; else fail "ffmpeg range" "$(cat ffr.md5 | tail -4)"; fi
"$VP" $A.mov --start 24 2>err.txt
check start-past-end-exit 2 $?
one_line start-past-end err.txt
"$VP" ff.mov --start 00:00:01:00 2>err.txt
check start-tc-without-tmcd-exit 2 $?
one_line start-tc-without-tmcd err.txt

# ---- pacing, underruns ----
t0=$(date +%s%N)
"$VP" yuyv-pal-seq.mov -o null --json >rt.json 2>err.txt
rc=$? el=$((($(date +%s%N) - t0) / 1000000))
check realtime-exit 0 $rc
if ((el >= 880)); then pass "realtime: 24 frames at 25 fps take ${el} ms (>= 880)"
else fail realtime "24 frames at 25 fps took ${el} ms"; fi
check realtime-no-underruns "0 0" "$(json rt.json '"%d %d" % (j["underruns"], j["late"])')"
# frames reach a pipe at the play rate: frame 12 comes 11 periods (440 ms) after frame 1, not
# within a few ms in a burst with the frames read ahead (frame 0 waits for the reader to start)
"$VP" yuyv-pal-seq.mov -o - --rate realtime -n 13 2>err.txt | python3 -c 'import sys, time
t = []
while sys.stdin.buffer.read(829440): t.append(time.monotonic())
print(len(t), int((t[12] - t[1]) * 1000) if len(t) > 12 else -1)' >arrive.txt
read -r got ms <arrive.txt
if [[ $got == 13 ]] && ((ms >= 300)); then pass "pipe-paced: frame 12 arrived ${ms} ms after frame 1 (>= 300)"
else fail pipe-paced "$got frames, frame 12 after ${ms} ms: $(cat err.txt)"; fi
# a reader that takes 100 ms per 40 ms frame starves the output
"$VP" yuyv-pal-seq.mov -o - --rate realtime -n 10 --on-underrun fail --json 2>slow.json |
	python3 -c 'import sys, time
while sys.stdin.buffer.read(829440): time.sleep(0.1)'
check underrun-fail-exit 4 "${PIPESTATUS[0]}"
check underruns-counted True "$(json slow.json 'j["underruns"] > 0 and j["late"] > 0')"

# ---- signals ----
"$VP" yuyv-pal-seq.mov -o null --loop 0 --md5 sig.md5 --json >sig.json 2>err.txt &
pid=$!
sleep 3 # a 24-frame file at 25 fps: more than one pass even with a slow start
kill -INT $pid
wait $pid
check sigint-loop-forever-exit 0 $?
check sigint-stop-reason "SIGINT True" "$(json sig.json '"%s %s" % (j["stop"], j["frames"] > 24)')"
# --md5 lists the frames that went out, not those still queued when the signal came
check sigint-md5-lines-are-frames-out "$(json sig.json 'j["frames"]')" "$(lines sig.md5 | wc -l)"
want=$(for _ in {1..10}; do hashes yuyv-pal-seq.vcap.md5; done | head -n "$(lines sig.md5 | wc -l)")
check sigint-md5-in-loop-order "$want" "$(hashes sig.md5)"
# to a file, stopped by SIGINT: the file holds exactly the frames counted and listed
"$VP" yuyv-pal-seq.mov -o sig.raw --loop 0 --md5 sigf.md5 --json >sigf.json 2>err.txt &
pid=$!
sleep 2
kill -INT $pid
wait $pid
check sigint-file-exit 0 $?
n=$(json sigf.json 'j["frames"]')
check sigint-file-holds-frames-out "$((n * 829440)) $n" "$(stat -c %s sig.raw) $(lines sigf.md5 | wc -l)"
"$VP" yuyv-pal-seq.mov -o null --loop 5 >/dev/null 2>err.txt &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check sigterm-before-end-exit 130 $?

# ---- refusals ----
refuse() { # NAME EXPECTED_EXIT GREP_PATTERN vplay-args...
	local name=$1 want=$2 pat=$3
	shift 3
	timeout 20 "$VP" "$@" >/dev/null 2>err.txt
	check "$name: exit" "$want" $?
	one_line "$name" err.txt
	if grep -q -- "$pat" err.txt; then pass "$name: says why"; else fail "$name: message" "$(cat err.txt)"; fi
}
cp ff.mov trunc.mov && truncate -s $(($(stat -c %s ff.mov) / 2)) trunc.mov
refuse truncated 3 "not a readable MOV" trunc.mov
check "truncated, no capture log: no recover hint" 0 "$(grep -c 'recover' err.txt)"
ffmpeg -nostdin -v error -f lavfi -i testsrc=size=720x486:rate=25 -frames:v 20 -c:v rawvideo \
	-pix_fmt uyvy422 -tag:v 2vuy -movflags +faststart fs.mov
truncate -s 5000000 fs.mov
refuse truncated-moov-first 3 "past the end" fs.mov
cp ff.mov corrupt.mov
moov=$(grep -obUaP 'moov' corrupt.mov | tail -1 | cut -d: -f1)
dd if=/dev/urandom of=corrupt.mov bs=1 seek=$((moov + 8)) count=400 conv=notrunc status=none
timeout 20 "$VP" corrupt.mov -o null --rate max >/dev/null 2>err.txt
rc=$?
if [[ $rc -eq 3 || $rc -eq 0 ]] && (($(wc -l <err.txt) <= 1)); then
	pass "corrupt moov: exit $rc, $(wc -l <err.txt) line(s), no crash"
else
	fail "corrupt moov" "exit $rc: $(head -3 err.txt)"
fi
refuse missing 3 "No such file" nope.mov
# vmov recover is suggested only where it can help: a file with a capture log
"$BIN/vcap" --source pattern --size 320x240 --rate max -q -o killed.mov 2>/dev/null &
pid=$!
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
refuse killed-recording 3 "it has a capture log: if its recording was killed, run vmov recover" killed.mov
ffmpeg -nostdin -v error -f lavfi -i testsrc=size=320x240:rate=25 -frames:v 5 -c:v mpeg4 m4.mov
refuse compressed 3 "not one vplay can play" m4.mov
refuse no-device 3 "video99" ff.mov -o /dev/video99
refuse no-kms 3 "/sys/class/drm/card\*-\*" ff.mov -o kms:NOPE-1
# -d DEVICE, as v4l2-ctl takes it: the same as -o /dev/videoN, and any path (a udev link such
# as /dev/v4l/by-path/...) is a device, never a file to create
"$VP" ff.mov -o /dev/video99 >/dev/null 2>o.err
orc=$?
"$VP" ff.mov -d /dev/video99 >/dev/null 2>d.err
drc=$?
check "-d /dev/video99: as -o /dev/video99" "$orc $(cat o.err)" "$drc $(cat d.err)"
refuse d-any-path 3 "/nonexistent/video9" ff.mov -d /nonexistent/video9
[[ ! -e /nonexistent/video9 ]] && pass "-d: no file created" || fail "-d: no file created" "/nonexistent/video9"
refuse md5-exists 3 "use --force" ff.mov --md5 out.raw
# an output that is the file being played (by name, by another spelling, through a link),
# or the other output, or a directory: refused even with --force, the input untouched
cp ff.mov self.mov && ln -sf self.mov self-link.mov
sum=$(md5sum <self.mov)
refuse output-is-input 3 "the file being played" self.mov -o self.mov --force
refuse output-is-input-spelt 3 "the file being played" self.mov -o ./self.mov --force
refuse output-is-input-link 3 "the file being played" self.mov -o self-link.mov --force
refuse md5-is-input 3 "the file being played" self.mov --md5 self.mov --force
check "outputs naming the input: input untouched" "$sum" "$(md5sum <self.mov)"
refuse md5-is-output 3 "the same file as --md5" ff.mov -o twice.raw --md5 ./twice.raw --force
[[ ! -e twice.raw ]] && pass "md5-is-output: nothing created" || fail "md5-is-output: nothing created" twice.raw
mkdir -p outdir
refuse output-directory 3 "a directory (-o takes a file path" ff.mov -o outdir
refuse md5-directory 3 "a directory (--md5 takes a file path" ff.mov --md5 outdir
timeout 20 "$VP" ff.mov -q -o /dev/null --md5 /dev/null 2>err.txt
check "-o /dev/null --md5 /dev/null: written as it is, no --force" 0 $?
# a failure after the output opened removes what vplay made, never a device or fifo it wrote
# as it is (as -o /dev/null would be)
mkfifo keep.fifo
(timeout 20 cat keep.fifo >/dev/null &)
refuse output-fifo-kept 3 "creating nodir/x.md5" ff.mov -o keep.fifo --md5 nodir/x.md5
[[ -p keep.fifo ]] && pass "output-fifo-kept: not removed" || fail "output-fifo-kept: not removed" "keep.fifo is gone"
rm -f keep.fifo
refuse bad-rate 2 "realtime or max" ff.mov --rate fast
if command -v script >/dev/null; then # stdout on a terminal: no raw video on it
	script -qec "$VP ff.mov -o - 2>err.txt" /dev/null >/dev/null
	check stdout-terminal-exit 3 $?
	one_line stdout-terminal err.txt
fi

[[ $FAILED -eq 0 ]]
