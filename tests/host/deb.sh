#!/usr/bin/env bash
# The Debian packages: dpkg-buildpackage builds vcap, libvcap0 and libvcap-dev from a copy of
# the tree (it writes ../*.deb, and its clean must not touch the build/ the other tests use);
# lintian reports no error; the three install into a scratch root (its own dpkg database,
# the host's untouched) and the installed vcap records 10 frames from the pattern source
# that ffprobe reads as written.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools dpkg-buildpackage dh lintian help2man ffprobe fakeroot
FAILED=0
BUILD=${BUILD:-build}
SRC=$TMP/src/vcap
ROOT=$TMP/root

mkdir -p "$SRC"
tar --exclude=./build --exclude=./build-san --exclude="./$BUILD" --exclude=./.git \
	--exclude=./bench/out -cf - . | tar -C "$SRC" -xf -
# -b: binary packages only; -us -uc: nothing to sign. Outside make's variables: a make
# SANITIZE=1 check that runs this test passes SANITIZE=1 down in MAKEFLAGS, where
# debian/rules' unexport does not reach, and the package was built into build-san.
(cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
rc=$?
if [[ $rc -eq 0 ]]; then
	pass "dpkg-buildpackage -us -uc -b"
else
	tail -n 30 "$TMP/build.log"
	fail "dpkg-buildpackage" "exit status $rc"
	exit 1
fi
cd "$TMP/src" || exit 1
changes=$(ls vcap_*.changes)
debs=()
for p in vcap libvcap0 libvcap-dev; do
	d=$(ls "${p}"_*.deb 2>/dev/null)
	if [[ -n $d ]]; then
		pass "package $p built ($d)"
		debs+=("$d")
	else
		fail "package $p" "no ${p}_*.deb"
	fi
done
[[ ${#debs[@]} -eq 3 ]] || exit 1

# ---- what each package holds ----
has() { # name deb path...: each path is in the package
	local name=$1 deb=$2 list p miss=()
	shift 2
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
	for p in "$@"; do
		grep -qx "\./$p" <<<"$list" || miss+=("$p")
	done
	check "$name" "" "${miss[*]}"
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has "vcap: tools, man pages, completion" "${debs[0]}" usr/bin/vcap usr/bin/vplay usr/bin/vmov \
	usr/bin/vbench usr/share/man/man1/vcap.1.gz usr/share/man/man1/vbench.1.gz \
	usr/share/bash-completion/completions/vcap usr/share/bash-completion/completions/vplay
has "libvcap0: the shared library" "${debs[1]}" "usr/lib/$ma/libvcap.so.0" \
	"usr/lib/$ma/libvcap.so.0.1.0"
has "libvcap-dev: headers, .so link, .pc" "${debs[2]}" usr/include/vcap/cap.h \
	usr/include/vcap/play.h "usr/lib/$ma/libvcap.so" "usr/lib/$ma/pkgconfig/libvcap.pc"
check "vcap depends on libvcap0" 1 "$(dpkg-deb -f "${debs[0]}" Depends | grep -c 'libvcap0 (>= ')"
check "libvcap0 has a symbols file" 1 \
	"$(dpkg-deb --ctrl-tarfile "${debs[1]}" | tar -t | grep -cx './symbols')"

# ---- lintian: no errors; the rest is listed ----
lintian -I --pedantic "$changes" >"$TMP/lintian.txt" 2>"$TMP/lintian.err"
lrc=$?
for s in E W I P; do
	printf '%s: %s  ' "$s" "$(grep -c "^$s: " "$TMP/lintian.txt")"
done
echo "(lintian tags: E errors, W warnings, I info, P pedantic; status $lrc)"
grep -E '^[EWIP]: ' "$TMP/lintian.txt" | sed 's/^/  /'
check "lintian: no errors" "" "$(grep '^E: ' "$TMP/lintian.txt")"
[[ $lrc -le 1 ]] && pass "lintian ran" || fail "lintian ran" "status $lrc: $(head -n 3 "$TMP/lintian.err")"

# ---- install into a scratch root ----
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"
# its own database: the host's libraries (libc, FFmpeg) are not in it, hence --force-depends
if dpkg --root="$ROOT" --force-not-root --force-depends --force-script-chrootless \
	-i "${debs[@]}" >"$TMP/dpkg.log" 2>&1; then
	pass "dpkg --root -i (scratch database)"
	check "dpkg --root: three packages installed" 3 \
		"$(dpkg --root="$ROOT" -l 2>/dev/null | grep -cE '^ii +(vcap|libvcap0|libvcap-dev)[: ]')"
else
	echo "dpkg --root failed, unpacking with dpkg -x instead:"
	tail -n 5 "$TMP/dpkg.log"
	for d in "${debs[@]}"; do dpkg -x "$d" "$ROOT"; done
	pass "dpkg -x into the scratch root"
fi
libdir=$ROOT/usr/lib/$ma
check "installed vcap finds the installed libvcap.so.0" "$libdir/libvcap.so.0" \
	"$(LD_LIBRARY_PATH=$libdir ldd "$ROOT/usr/bin/vcap" | awk '$1 == "libvcap.so.0" { print $3 }')"
check "no RPATH in the packaged vcap" "" "$(readelf -d "$ROOT/usr/bin/vcap" | grep -E 'R(UN)?PATH')"
LD_LIBRARY_PATH=$libdir "$ROOT/usr/bin/vcap" -q --source pattern --size 720x576 --rate 25 \
	-n 10 -o "$TMP/x.mov" 2>"$TMP/vcap.err"
check "installed vcap records 10 frames" 0 "$?"
check "ffprobe reads them" "2vuy,720,576,25/1,10" \
	"$(ffprobe -v error -select_streams v:0 -show_entries \
		stream=codec_tag_string,width,height,r_frame_rate,nb_frames -of csv=p=0 "$TMP/x.mov")"
check "installed man page renders" "" \
	"$(MANWIDTH=80 man -l "$ROOT/usr/share/man/man1/vcap.1.gz" 2>&1 >/dev/null)"

exit "$FAILED"
