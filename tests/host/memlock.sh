#!/usr/bin/env bash
# RLIMIT_MEMLOCK below what registering the frame buffers with io_uring takes, without
# CAP_IPC_LOCK: vcap, vplay and vbench all do the same. They run with io_uring without
# registered buffers (the O_DIRECT vectored path; the kernel pins the pages of each I/O), say
# so once, as one note on stderr with the limit, the size and the ulimit -l that would do,
# and in --json. A recording made so is complete.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools prlimit setpriv python3
for t in vcap vplay vmov vbench; do
	[[ -x $BIN/$t ]] || skip_all "build first: $BIN/$t missing"
done
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1

low() { prlimit --memlock=65536 setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- "$@"; }
MODE="io_uring without registered buffers, O_DIRECT"
# note TOOL FILE: FILE is exactly the one note line of TOOL
note() {
	local re="^$1: note: disk I/O: $MODE \\(RLIMIT_MEMLOCK 64 KiB < [0-9.]+ MiB; raise it with ulimit -l [0-9]+ for registered buffers\\)$"
	if [[ $(wc -l <"$2") -eq 1 ]] && grep -qE "$re" "$2"; then
		pass "$1: one note line"
	else
		fail "$1: one note line" "$(cat "$2")"
	fi
}

# vcap: 56 slots of 1080p UYVY (222 MiB) cannot be registered under 64 KiB; it records anyway
low "$BIN/vcap" --rate max -n 3 --size 1920x1080 -q --md5 m.md5 --json -o m.mov >m.json 2>err.txt
check "vcap: exit" 0 $?
note vcap err.txt
check "vcap: --json mode and why" "$MODE True" \
	"$(json m.json '"%s %s" % (j["mode"], "RLIMIT_MEMLOCK 64 KiB" in j["mode_why"])' 2>&1 | tail -n 1)"
"$BIN/vmov" verify m.mov --md5 m.md5 >out.txt 2>&1
check "vcap: the file is complete" "0 OK" "$? $(tail -n 1 out.txt)"

# a slab that fits the limit (4 slots of 4 KiB and the tail) is registered: no note
low "$BIN/vcap" --rate max -n 3 --size 64x32 --batch 2 --buffers 4 -q --json -o s.mov >s.json 2>err.txt
check "vcap: small slab registered, no note" "0 io_uring, registered buffers, O_DIRECT " \
	"$? $(json s.json 'j["mode"]' 2>&1 | tail -n 1) $(cat err.txt)"

# vplay: the same note, once, also with -q; in --json as read_mode and read_mode_why
"$BIN/vcap" --rate max -n 3 --size 1920x1080 -q -o p.mov || fail "vplay: a file to play" "vcap failed"
low "$BIN/vplay" p.mov --rate max -q --json >p.json 2>err.txt
check "vplay: exit" 0 $?
note vplay err.txt
check "vplay: --json mode and why" "$MODE True" \
	"$(json p.json '"%s %s" % (j["read_mode"], "RLIMIT_MEMLOCK 64 KiB" in j["read_mode_why"])' 2>&1 | tail -n 1)"

# vbench: the write and the read phase fall back alike: one note, not one per phase
low "$BIN/vbench" --size 1920x1080 --bytes 64M vb.dat >out.txt 2>err.txt
check "vbench: exit" 0 $?
note vbench err.txt
check "vbench: the reason once" 1 "$(cat out.txt err.txt | grep -c RLIMIT_MEMLOCK)"
low "$BIN/vbench" --size 1920x1080 --bytes 64M --json vb.dat >out.txt 2>err.txt
check "vbench --json: mode and why of both phases" "$MODE True $MODE True" \
	"$(json out.txt '" ".join("%s %s" % (j[p]["mode"], "RLIMIT_MEMLOCK 64 KiB" in j[p]["mode_why"]) for p in ("write", "read"))')"
exit $FAILED
