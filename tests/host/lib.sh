# Shared by the host tests (sourced, not run). Results are PASS:/FAIL:/SKIP: lines.
# shellcheck shell=bash

BIN=${VCAP_BIN:-$PWD/build}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vcap-test.XXXXXX")
LOOPS=()
MOUNTS=()

cleanup() {
	local m l
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; FAILED=1; }
skip_all() { echo "$1"; exit 77; }

# need_tools CMD...: skip the whole test when a command it runs is missing.
need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip_all "$t missing (make deps)"
	done
}

# Tests that make filesystems need root and loop devices.
need_loop() {
	[[ $(id -u) -eq 0 ]] || skip_all "needs root to make loop devices (run make check as root)"
	[[ -e /dev/loop-control ]] || skip_all "no /dev/loop-control: this kernel has no loop devices"
}

# mkfs_loop SIZE MKFS... : make an image, attach it, make a filesystem, mount it at $MNT.
# Not in a subshell: the cleanup lists must survive.
mkfs_loop() {
	local size=$1 img mnt dev
	shift
	img=$(mktemp "$TMP/img.XXXXXX")
	mnt=$(mktemp -d "$TMP/mnt.XXXXXX")
	truncate -s "$size" "$img"
	dev=$(losetup -f --show "$img") || return 1
	LOOPS+=("$dev")
	"$@" "$dev" >/dev/null 2>&1 || return 1
	mount "$dev" "$mnt" || return 1
	MOUNTS=("$mnt" "${MOUNTS[@]}")
	MNT=$mnt
}

# json FILE EXPR : evaluate a Python expression over the JSON object j in FILE.
json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# run_listed CMD...: run CMD (20 s at most) in the current directory, stderr into err.txt; RC
# is its status, CHANGED the names it created or removed here (one a line, "" for none), and
# /dev/null.vcj when it made one there (a log beside a device path), which is removed.
run_listed() {
	local before after
	before=$(ls -A | grep -v '^err\.txt$')
	timeout 20 "$@" 2>err.txt
	RC=$?
	after=$(ls -A | grep -v '^err\.txt$')
	CHANGED=$(comm -3 <(echo "$before") <(echo "$after") | tr -d '\t')
	if [[ -e /dev/null.vcj ]]; then
		CHANGED+=$'\n/dev/null.vcj'
		rm -f /dev/null.vcj
	fi
}

# check NAME EXPECTED ACTUAL
check() {
	if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "expected $2, got $3"; fi
}

# decode_errors FILE: decode FILE's video with ffmpeg and print what it complained about;
# the status is 0 only when ffmpeg succeeded and said nothing.
decode_errors() {
	local out rc
	out=$(ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f null - 2>&1)
	rc=$?
	echo "$out"
	[[ $rc -eq 0 && -z $out ]]
}
