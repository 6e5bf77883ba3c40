#!/usr/bin/env bash
# valgrind memcheck over the tools' main paths: a capture (vcap, pattern source with its
# sound, --md5), a playback (vplay -o null and -o FILE), and a recovery (vmov recover of a
# recording killed with kill -9, then vmov verify --md5). Each must exit as it does without
# valgrind and be memcheck-clean: no invalid read or write, no use of an uninitialised value,
# no definite leak (--error-exitcode, --leak-check=full --errors-for-leak-kinds=definite).
# No suppressions are needed.
#
# io_uring: valgrind 3.19 knows io_uring_setup, io_uring_enter and io_uring_register, so the
# tools run as they do outside it (io_uring, registered buffers, O_DIRECT); memcheck checks
# every access of ours, but not what the kernel reads and writes through the rings (the frame
# payload), which it cannot see. The tools have no switch to the synchronous path (only
# vbench --no-uring), and none is needed here.
#
# libhwy: Debian's libavcodec loads libjxl, which loads libhwy, whose constructor executes
# RDTSCP unconditionally. valgrind decodes RDTSCP only when CPUID lists it, and some virtual
# CPUs (this test's first host among them) run it without listing it: valgrind then stops the
# program with SIGILL before main. On such a host only, the tools run under valgrind with a
# stand-in libhwy.so.1 built here: the symbols libjxl imports from it, each calling abort().
# The tools never decode JPEG XL, so nothing calls them (an abort would show it).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools valgrind cc nm
VCAP=$BIN/vcap VPLAY=$BIN/vplay VMOV=$BIN/vmov
[[ -x $VCAP && -x $VPLAY && -x $VMOV ]] || skip_all "build first: vcap, vplay or vmov missing"
ldd "$VPLAY" | grep -q libasan && skip_all "an ASan build (make SANITIZE=1) does not run under valgrind: the plain build does"
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
mkdir -p "$D/valgrind" && cd "$D/valgrind" || exit 1
FAILED=0
ENV=()

# The stand-in libhwy: every hwy symbol the loaded libraries import, with its version node.
hwy_standin() {
	local dir=$TMP/hwy syms
	syms=$(ldd "$VPLAY" | awk '$3 ~ /^\// { print $3 }' | xargs nm -D --undefined-only 2>/dev/null |
		awk '$2 ~ /^_ZN3hwy/ { print $2 }' | sort -u)
	[[ -n $syms ]] || return 1
	mkdir -p "$dir"
	{
		echo '#include <stdlib.h>'
		sed 's/@.*//; s/.*/void &(void) { abort(); }/' <<<"$syms"
	} >"$dir/hwy.c"
	sed -n 's/.*@\(.*\)/\1 { global: *; };/p' <<<"$syms" | sort -u >"$dir/hwy.map"
	cc -shared -fPIC -o "$dir/libhwy.so.1" -Wl,-soname,libhwy.so.1 \
		-Wl,--version-script,"$dir/hwy.map" "$dir/hwy.c" || return 1
	ENV=(env "LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
}
if ldd "$VPLAY" | grep -q 'libhwy\.so' && ! grep -qw rdtscp /proc/cpuinfo; then
	hwy_standin || skip_all "this CPU runs RDTSCP without listing it (valgrind cannot), and no stand-in libhwy could be built"
	echo "note: CPUID does not list RDTSCP: libhwy replaced by a stand-in under valgrind"
fi

# vg NAME EXPECTED-EXIT CMD...: under memcheck; PASS when it exits as expected and clean
vg() {
	local name=$1 want=$2 log=$TMP/vg-$1.log rc
	shift 2
	timeout 600 "${ENV[@]}" valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file="$log" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	if [[ $rc == "$want" ]] && grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		pass "$name: exit $rc, memcheck clean ($(grep -o 'total heap usage: .*' "$log"))"
	else
		fail "$name" "exit $rc (want $want): $(grep -m 3 -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|.*definitely lost|.*ERROR SUMMARY|Process terminating)' "$log" | tr '\n' ' ') $(head -c 200 "$TMP/$name.err")"
	fi
}

vg capture 0 "$VCAP" --source pattern --size 64x8 --rate 25 -n 10 --audio pattern \
	--audio-rate 48000 --md5 c.md5 -o c.mov -q
vg play-null 0 "$VPLAY" c.mov -o null --rate max --md5 p.md5 -q
check "play-null: the frames as recorded" "$(grep -c '^0,' c.md5)" "$(grep -c '^0,' p.md5 2>/dev/null)"
vg play-file 0 "$VPLAY" c.mov -o c.raw -q
check "play-file: every frame written" $((10 * 64 * 8 * 2)) "$(stat -c %s c.raw 2>/dev/null)"

# a recording killed mid-way (not under valgrind: it must run at its pace), then recovered;
# --sync-interval 60: no durability point before the kill, so recover checks every frame on
# disk itself (FIEMAP, then the md5), the path a power cut takes
"$VCAP" --source pattern --size 64x8 --rate 50 -n 100000 --sync-interval 60 --md5 k.md5 -o k.mov -q 2>/dev/null &
pid=$!
for _ in $(seq 50); do [[ $(grep -c '^[0-9]' k.mov.vcj 2>/dev/null) -ge 20 ]] && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null
logged=$(grep -c '^[0-9]' k.mov.vcj)
vg recover 0 "$VMOV" recover k.mov
check "recover: every logged frame" "recovered $logged frames" "$(head -n 1 "$TMP/recover.out" | cut -d';' -f1)"
vg verify 0 "$VMOV" verify k.mov --md5 k.md5
check "verify: OK" OK "$(tail -n 1 "$TMP/verify.out")"
exit $FAILED
