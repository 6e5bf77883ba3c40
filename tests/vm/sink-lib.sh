# shellcheck shell=bash
# Helpers for the playback sink scenarios (sourced after lib.sh): run tests/vm/prog-sink and
# check the key=value pairs of its "result:" line.

sink_prog=$VM_BUILD/vmprogs/prog-sink

# sink_run OUT ARG...: prog-sink ARG... with its output in OUT (shown); its exit status.
sink_run() {
	local out=$1
	shift
	echo "+ prog-sink $*"
	"$sink_prog" "$@" >"$out" 2>&1
	local rc=$?
	sed 's/^/    /' "$out"
	return $rc
}

# sink_val OUT KEY: the value of KEY= on the result line (mode= runs to the end of the line).
sink_val() {
	if [[ $2 == mode ]]; then
		sed -n 's/^result: .* mode=//p' "$1"
	else
		sed -n "s/^result: .*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"
	fi
}

# sink_expect_mode NAME OUT PATTERN: PASS when the sink's mode line matches the grep pattern.
sink_expect_mode() {
	local mode
	mode=$(sink_val "$2" mode)
	if grep -q -- "$3" <<<"$mode"; then pass "$1 ($mode)"; else fail "$1" "mode '$mode', expected /$3/"; fi
}

# sink_expect_error NAME RC_WANT TEXT ARG...: prog-sink fails at open with RC_WANT and TEXT.
sink_expect_error() {
	local name=$1 want=$2 text=$3 rc out=/tmp/sink-err.out
	shift 3
	sink_run $out "$@"
	rc=$?
	if [[ $rc -ne $want ]]; then
		fail "$name" "exit status $rc, expected $want"
	elif ! grep -q "^open: .*$text" $out; then
		fail "$name" "no '$text' on the open line"
	else
		pass "$name (exit $rc: $(grep '^open:' $out))"
	fi
}
