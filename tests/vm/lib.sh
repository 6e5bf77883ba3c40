# shellcheck shell=bash
# Helpers for scenario scripts (sourced inside the guest: `. "$VM_LIB"`).
#
# A scenario prints one line per sub-check: "PASS: check", "FAIL: check: why",
# "SKIP: check: why", and exits 0 (done; it fails if any FAIL line was printed), 77 (the whole
# scenario skipped) or anything else (failed). tests/vm/run turns this into the one line per
# scenario that tests/run counts.
#
# Environment from the rig: VM_DISKS ("/dev/vda /dev/vdb ..."), VM_BUILD (absolute build dir),
# VM_REPO, VM_NAME.

vm_failed=0

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	vm_failed=1
}
skip() { echo "SKIP: $1: $2"; }

# check NAME CMD...: run CMD quietly; PASS, or FAIL with the last line of its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$* -> $(printf '%s\n' "$out" | tail -n 1)"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	fi
}

# Finish: exit status from the FAIL lines printed so far.
vm_done() { exit $vm_failed; }

# Print a shell command and run it (for the log).
run() {
	echo "+ $*"
	"$@"
}

# json_get FILE KEY.PATH: one value from a JSON object (python3 from the host root).
json_get() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k] if isinstance(v, dict) else v[int(k)]
print(v if not isinstance(v, bool) else str(v).lower())
EOF
}

# Sectors read so far on the given block devices (field 6 of /proc/diskstats), summed.
sectors_read() {
	local names=" ${*##*/} "
	awk -v names="$names" 'index(names, " " $3 " ") { s += $6 } END { print s + 0 }' /proc/diskstats
}

# Wait until md resync/recovery on $1 (md0) is finished.
md_wait_idle() {
	local a=/sys/block/$1/md/sync_action t
	[[ -e $a ]] || return 0 # raid0 has no resync
	for ((t = 0; t < 600; t++)); do
		[[ $(cat "$a" 2>/dev/null) == idle ]] && return 0
		sleep 1
	done
	return 1
}

# md_create LEVEL CHUNK_KIB DISK...: /dev/md0 from the disks, no initial resync, idle.
md_create() {
	local level=$1 chunk=$2
	shift 2
	mdadm --create /dev/md0 --run --quiet --assume-clean --metadata=1.2 --level="$level" \
		--chunk="$chunk" --raid-devices=$# "$@" || return 1
	md_wait_idle md0
}

# vbench_json OUT ARG...: run build/vbench with --json, its JSON in OUT, its stderr shown.
vbench_json() {
	local out=$1
	shift
	echo "+ vbench $*"
	"$VM_BUILD/vbench" --json "$@" >"$out"
	local rc=$?
	cat "$out"
	echo
	return $rc
}

# expect_eq NAME GOT WANT: PASS when equal, else FAIL with both.
expect_eq() {
	if [[ $2 == "$3" ]]; then pass "$1 ($2)"; else fail "$1" "got '$2', expected '$3'"; fi
}

# check_alignment JSON UNIT [PLACEMENT]: the unit vbench chose, and every batch on it; every
# extent too, unless PLACEMENT is "report" (then the FIEMAP count is shown as a SKIP line).
check_alignment() {
	local j=$1 unit=$2 placement=${3:-require} batches mapped aligned
	expect_eq "align-unit" "$(json_get "$j" align.unit)" "$unit"
	expect_eq "align-source" "$(json_get "$j" align.source)" md
	echo "why: $(json_get "$j" align.why)"
	batches=$(json_get "$j" batches)
	expect_eq "batch-offsets-aligned" "$(json_get "$j" batch_offsets_aligned)" "$batches"
	mapped=$(json_get "$j" fiemap.mapped)
	if [[ ${mapped:-0} -gt 0 ]]; then
		pass "fiemap-reported ($mapped of $batches batches mapped)"
	else
		fail "fiemap-reported" "no batch mapped by FIEMAP"
	fi
	aligned=$(json_get "$j" fiemap.aligned)
	if [[ $placement == report && $aligned != "$mapped" ]]; then
		skip "fiemap-aligned" "$aligned of $mapped batches start stripe-aligned on the device (reported, not required here)"
	else
		expect_eq "fiemap-aligned" "$aligned" "$mapped"
	fi
}
