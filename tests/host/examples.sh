#!/usr/bin/env bash
# Every command example in README.md and in each tool's --help runs: in the order they are
# written (README first, then the --help of vcap, vplay, vmov, vbench), in one scratch
# directory, each on the files the ones before it made, with the tools of $BIN first on PATH.
#
# What is an example: in README.md, a line inside a ``` block that starts with a tool's name
# (vcap, vplay, vmov, vbench) or with build/examples/ (the library's examples, run from
# $BIN/examples); in a --help, an indented line of its "Examples:" section (up
# to the next blank line) that starts with one. A line ending in "\" goes on with the next.
# An example exits 0 unless its comment says "# exit N".
#
# The rules for what this machine lacks, and only those:
#   - a V4L2 capture device (vcap --device /dev/videoN) becomes the pattern source:
#     "--source pattern"; --input and --zero-copy are dropped, --std pal|ntsc becomes
#     --rate 25|30000/1001, --dv-timings WxHpR becomes --size WxH --rate R, and an ALSA
#     sound card on the same line (--audio hw:...) becomes the pattern tone.
#   - an output device or the screen (vplay -o /dev/videoN, -o kms[:CONN]) becomes -o null,
#     which keeps the file's rate as a device would.
#   - a path under /mnt/ (a RAID mount) is the same path under the scratch directory, and a
#     file in /var/tmp/ is one in the scratch directory.
#   - a preview on a display (vcap --preview kms[:CONN]) is left out, and a viewer (| ffplay
#     ARGS -) becomes ffmpeg reading the same (| ffmpeg ARGS -i - -f null -).
#   - "..." as the last word of a command (the rest left to the reader) becomes "-f null -".
#   - an example that runs until SIGINT (--loop 0) gets SIGINT after 3 s; it must exit 0.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools python3 ffmpeg
for t in vcap vplay vmov vbench; do
	[[ -x $BIN/$t ]] || skip_all "build first: $BIN/$t missing"
done
FAILED=0
README=$PWD/README.md
D=${VCAP_TEST_DIR:-$TMP}/examples # a real disk (O_DIRECT), not tmpfs
mkdir -p "$D" || exit 1

# One record per example: "SOURCE:LINE<TAB>EXIT<TAB>SIGINT<TAB>COMMAND", rewritten by the rules.
examples() {
	python3 - "$README" "$D" "$BIN" <<'EOF'
import re, shlex, subprocess, sys
readme, scratch, bindir = sys.argv[1:4]
tools = ("vcap", "vplay", "vmov", "vbench")

def joined(lines):
    """(line number, text) with continuations joined."""
    out, cur, start = [], "", 0
    for n, text in lines:
        if not cur:
            start = n
        if text.rstrip().endswith("\\"):
            cur += text.rstrip()[:-1] + " "
            continue
        out.append((start, cur + text))
        cur = ""
    return out

def from_readme():
    lines, inside = [], False
    for n, text in enumerate(open(readme), 1):
        text = text.rstrip("\n")
        if text.startswith("```"):
            inside = not inside
            continue
        if inside:
            lines.append((n, text))
    for n, text in joined(lines):
        if text.split(" ", 1)[0] in tools or text.startswith("build/examples/"):
            yield "README.md:%d" % n, text

def from_help(tool):
    out = subprocess.run([bindir + "/" + tool, "--help"], capture_output=True, text=True).stdout
    lines, inside = [], False
    for n, text in enumerate(out.splitlines(), 1):
        if text.rstrip() == "Examples:":
            inside = True
            continue
        if inside and not text.strip():
            break
        if inside:
            lines.append((n, text.strip()))
    for n, text in joined(lines):
        if text.split(" ", 1)[0] in tools:
            yield "%s --help:%d" % (tool, n), text

def rewrite(cmd):
    code, comment = cmd, ""
    m = re.search(r"\s#\s.*$", cmd)
    if m:
        code, comment = cmd[:m.start()], m.group(0)
    want = re.search(r"#\s*exit (\d+)", comment)
    want = want.group(1) if want else "0"
    # a capture device: the pattern source
    if re.search(r"--device /dev/video\d+", code):
        code = re.sub(r"--device /dev/video\d+", "--source pattern", code)
        code = re.sub(r" --input \S+", "", code)
        code = re.sub(r" --zero-copy\b", "", code)
        code = re.sub(r"--std pal\b", "--rate 25", code)
        code = re.sub(r"--std ntsc\b", "--rate 30000/1001", code)
        code = re.sub(r"--dv-timings (\d+x\d+)[pi](\d+)", r"--size \1 --rate \2", code)
        code = re.sub(r"--audio (?!pattern\b)\S+", "--audio pattern", code)
    # an output device or the screen: the null output
    if code.startswith("vplay "):
        code = re.sub(r"-o (/dev/video\d+|kms(:\S+)?)(?=\s|$)", "-o null", code)
        code = re.sub(r"--audio-out \S+", "--audio-out null", code)
    # no screen: a vcap preview on a display is left out, and a viewer reads without one
    if code.startswith("vcap "):
        code = re.sub(r" --preview kms(:\S+)?(?=\s|$)", "", code)
    code = re.sub(r"\|\s*ffplay (.*) -$", r"| ffmpeg -nostdin -v error \1 -i - -f null -", code)
    code = re.sub(r"(?<=\s)/mnt/", scratch + "/mnt/", code)
    code = re.sub(r"(^|(?<=\s))build/examples/", bindir + "/examples/", code)
    code = re.sub(r"(?<=\s)/var/tmp/", scratch + "/", code)
    code = re.sub(r"\s\.\.\.\s*$", " -f null -", code.rstrip())
    sigint = "1" if re.search(r"--loop 0\b", code) else "0"
    return want, sigint, code

items = list(from_readme())
for t in tools:
    items += list(from_help(t))
for where, cmd in items:
    want, sigint, code = rewrite(cmd)
    print("\t".join((where, want, sigint, code)))
EOF
}

mapfile -t list < <(examples)
[[ ${#list[@]} -ge 10 ]] || fail "examples found" "only ${#list[@]} in README.md and the --help texts"
mkdir -p "$D/mnt/raid"
cd "$D" || exit 1
export PATH=$BIN:$PATH
set -m # each example in its own process group, so SIGINT reaches a whole pipeline
for rec in "${list[@]}"; do
	IFS=$'\t' read -r where want sigint cmd <<<"$rec"
	bash -c "$cmd" </dev/null >out 2>err &
	pid=$!
	if [[ $sigint == 1 ]]; then
		sleep 3
		kill -INT -- -"$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	if [[ $rc == "$want" ]]; then
		pass "$where: $cmd"
	else
		fail "$where: $cmd" "exit $rc, expected $want: $(tail -n 2 err | tr '\n' ' ')"
	fi
done
exit $FAILED
