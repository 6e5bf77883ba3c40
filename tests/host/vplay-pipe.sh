#!/usr/bin/env bash
# vplay -o - into a reader: SIGINT to the whole process group (Ctrl-C on "vplay | ffmpeg")
# is a normal stop even when the reader goes first and the write fails with EPIPE: no error
# line, the signal's exit status, and the summary counts the frames the reader got. A reader
# that stops by itself is an error whose count agrees too. And the pacing a pipe gets by
# default is the one README.md and --help state.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools python3
VCAP=$BIN/vcap VPLAY=$BIN/vplay
[[ -x $VCAP && -x $VPLAY ]] || skip_all "build first: $VCAP or $VPLAY missing"
FAILED=0
README=$PWD/README.md
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1

# 320x240 UYVY: 153600 bytes a frame, more than a pipe holds (64 KiB), so a frame that
# vplay counts as written is one the reader has taken
FS=153600 K=12
"$VCAP" --rate max --size 320x240 -n 60 -q -o a.mov || { fail setup "vcap failed"; exit 1; }

# group LOOPS K: vplay and a reader of K frames in a process group of their own; once the
# reader has its K frames (and vplay is blocked writing the next), SIGINT to the group.
# Prints "vplay-exit reader-frames".
group() {
	python3 - "$VPLAY" "$1" "$2" "$FS" <<'EOF'
import os, signal, subprocess, sys, time
vplay, loops, k, fs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
reader = r"""
import os, signal, sys
signal.signal(signal.SIGINT, lambda *a: os._exit(0))
k, fs, got = int(sys.argv[1]), int(sys.argv[2]), 0
while got < k * fs:
    b = os.read(0, min(1 << 20, k * fs - got))
    if not b: break
    got += len(b)
print(got // fs, flush=True)
signal.pause()
"""
r, w = os.pipe()
vp = subprocess.Popen([vplay, "a.mov", "--loop", loops, "-o", "-"], stdout=w,
                      stderr=open("vp.err", "w"), process_group=0)
rd = subprocess.Popen([sys.executable, "-c", reader, str(k), str(fs)], stdin=r,
                      stdout=subprocess.PIPE, text=True, process_group=vp.pid)
os.close(r); os.close(w)
n = rd.stdout.readline().strip()
time.sleep(0.5)
os.killpg(vp.pid, signal.SIGINT)
print(vp.wait(timeout=20), n)
rd.wait(timeout=20)
EOF
}

summary_frames() { sed -n 's/^vplay: a.mov: \([0-9]*\) frames to - .*/\1/p' vp.err; }

read -r rc got < <(group 0 $K)
check sigint-loop0-exit "0 $K" "$rc $got"
check sigint-no-error-line 0 "$(grep -c -i 'broken pipe\|error' vp.err)"
check sigint-summary-counts-what-was-read "$K" "$(summary_frames)"
check sigint-stopped-by 1 "$(grep -c 'stopped by SIGINT' vp.err)"
read -r rc got < <(group 1 $K)
check sigint-before-end-exit "130 $K" "$rc $got"
check sigint-before-end-counts "$K" "$(summary_frames)"

# a reader that stops by itself: an error (exit 1), counted as what it got
"$VPLAY" a.mov -o - 2>vp.err | head -c $((K * FS)) >/dev/null
check reader-gone-exit 1 "${PIPESTATUS[0]}"
check reader-gone-error-count 1 "$(grep -c "writing to stdout after $K frames: Broken pipe" vp.err)"
check reader-gone-summary-count "$K" "$(summary_frames)"

# pacing: --help and README.md say stdout goes as fast as the reader takes frames unless
# --rate realtime, and the code does that
t0=$(date +%s.%N)
"$VPLAY" a.mov -o - --json -q 2>p.json >/dev/null
t1=$(date +%s.%N)
check pipe-default-not-paced False "$(json p.json 'j["paced"]')"
check pipe-default-fast True "$(python3 -c "print($t1 - $t0 < 1.0)")"
"$VPLAY" a.mov -o - --rate realtime -n 30 --json -q 2>p.json >/dev/null
t2=$(date +%s.%N)
check pipe-realtime-paced "True True" "$(json p.json 'j["paced"]') $(python3 -c "print($t2 - $t1 > 0.9)")"
for doc in README.md help; do
	if [[ $doc == help ]]; then text=$("$VPLAY" --help); else text=$(cat "$README"); fi
	if grep -qiE -- 'files and stdout( default to `?--rate max| \(max\))' <<<"$text" &&
		! grep -q "a pipe gets each frame at its time, not a burst" <<<"$text"; then
		pass "pipe-pacing-stated-in-$doc"
	else
		fail "pipe-pacing-stated-in-$doc" "does not say stdout defaults to --rate max"
	fi
done

exit $FAILED
