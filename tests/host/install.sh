#!/usr/bin/env bash
# make install into a scratch DESTDIR with PREFIX=/usr: every file in its place; the man pages
# render without warnings and document every option of their tool's --help; the installed
# libvcap.so.0 has its SONAME, exports only public-prefixed symbols that an installed header
# declares, and builds and runs a program out of tree through pkg-config; no installed binary
# carries a search path; the bash completion completes options and values; make uninstall
# leaves nothing behind.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools make pkg-config nm readelf man groff cc
command -v help2man >/dev/null || skip_all "help2man missing (make deps)"
FAILED=0
BUILD=${BUILD:-build}
ROOT=$TMP/root
MULTIARCH=$(cc -print-multiarch 2>/dev/null)
LIBDIR=/usr/lib${MULTIARCH:+/$MULTIARCH}
TOOLS=(vcap vplay vmov vbench)
HEADERS=(dio.h mov.h cap.h play.h)

if ! make --no-print-directory BUILD="$BUILD" install DESTDIR="$ROOT" PREFIX=/usr \
	LIBDIR="$LIBDIR" >"$TMP/install.log" 2>&1; then
	tail -n 20 "$TMP/install.log"
	fail "make install" "exit status $?"
	exit 1
fi
pass "make install DESTDIR PREFIX=/usr LIBDIR=$LIBDIR"

# ---- every file, and nothing outside the prefix ----
want=()
for t in "${TOOLS[@]}"; do
	want+=("usr/bin/$t" "usr/share/man/man1/$t.1" "usr/share/bash-completion/completions/$t")
done
for h in "${HEADERS[@]}"; do
	want+=("usr/include/vcap/$h")
done
want+=("${LIBDIR#/}/libvcap.so.0" "${LIBDIR#/}/libvcap.so" "${LIBDIR#/}/pkgconfig/libvcap.pc")
missing=()
for f in "${want[@]}"; do
	[[ -e $ROOT/$f ]] || missing+=("$f")
done
check "installed files present" "" "${missing[*]}"
check "libvcap.so.0 is a link to the real file" "libvcap.so.0.1.0" \
	"$(readlink "$ROOT$LIBDIR/libvcap.so.0")"
check "libvcap.so (dev link) points at the SONAME" "libvcap.so.0" \
	"$(readlink "$ROOT$LIBDIR/libvcap.so")"
check "nothing outside /usr" "usr" "$(ls "$ROOT")"

# ---- man pages ----
for t in "${TOOLS[@]}"; do
	page=$ROOT/usr/share/man/man1/$t.1
	check "man -l $t.1: no warnings" "" "$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)"
	check "groff -ww $t.1: no warnings" "" "$(groff -ww -z -man "$page" 2>&1)"
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null)
	check "$t.1: NAME names $t" 1 "$(grep -A1 '^NAME' <<<"$text" | grep -c "^ *$t - ")"
	# the page is the --help: every option the tool lists is in it
	undocumented=()
	for o in $("$BIN/$t" --help | grep -oE '^ {1,4}(-[A-Za-z0-9], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+'); do
		grep -q -- "$o" <<<"$text" || undocumented+=("$o")
	done
	check "$t.1: every --help option" "" "${undocumented[*]}"
done
# lists inside an option's text keep a line per entry (help2man would fill them into one
# paragraph, or make each entry an option of its own)
man_text() { MANWIDTH=200 man -l "$ROOT/usr/share/man/man1/$1.1" 2>/dev/null; }
check "vcap.1: one line per source" 2 \
	"$(man_text vcap | grep -cE '^ {8,}(pattern +built-in colour bars|v4l2 +a V4L2 capture device)')"
check "vcap.1: one line per format, in the --format text" "$(mov_formats=$("$BIN/vcap" --help |
	grep -cE '^ {23}[A-Za-z0-9]+ {2,}[0-9]+-bit|^ {23}[A-Za-z0-9]+ {2,}deprecated'); echo "$mov_formats")" \
	"$(man_text vcap | grep -cE '^ {14}[A-Za-z0-9]+ {2,}([0-9]+-bit|deprecated)')"
check "vplay.1: one line per output kind and per output of the build" 9 \
	"$(man_text vplay | grep -cE '^ {14}(null|/dev/videoN|kms\[:CONN\]|-|FILE|file|v4l2|kms) {2,}[a-zA-Z]')"
check "vmov.1: one line per example" 5 \
	"$(man_text vmov | sed -n '/^EXAMPLES/,/Exit status/p' | grep -cE '^ +vmov (info|verify|recover|report) ')"
check "vmov.1: one synopsis line per command" 4 \
	"$(MANWIDTH=200 man -l "$ROOT/usr/share/man/man1/vmov.1" 2>/dev/null |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep -cE '^ +vmov (info|verify|recover|report) FILE')"

# ---- the library's face ----
lib=$ROOT$LIBDIR/libvcap.so.0
check "SONAME" "libvcap.so.0" \
	"$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
# nm -D lists the version node VCAP_0 as an absolute symbol; every other one is code or data
syms=$(nm -D --defined-only "$lib" | awk '!($2 == "A" && $3 == "VCAP_0") { sub(/@.*/, "", $3); print $3 }')
nsyms=$(wc -l <<<"$syms")
echo "libvcap.so.0 exports $nsyms symbols"
[[ $nsyms -ge 50 ]] && pass "exports the public functions ($nsyms)" ||
	fail "exports the public functions" "only $nsyms symbols"
check "every export has a public prefix" "" \
	"$(grep -vE '^(cap|play|dio|mov)_' <<<"$syms" | tr '\n' ' ')"
undeclared=()
for s in $syms; do
	grep -qw -- "$s" "${HEADERS[@]/#/$ROOT/usr/include/vcap/}" || undeclared+=("$s")
done
check "every export is declared in an installed header" "" "${undeclared[*]}"
check "the version node is VCAP_0" "VCAP_0" \
	"$(nm -D --defined-only "$lib" | awk '$2 == "A" { print $3 }' | tr '\n' ' ' | sed 's/ $//')"
# internals stay inside: a function of an internal header is not exported
check "internal symbols hidden (cap_pattern_ops, play_null_ops)" "" \
	"$(grep -xE 'cap_pattern_ops|play_null_ops|cap_v4l2_ops' <<<"$syms")"
check "installed headers include no internal header" "" \
	"$(grep -l 'internal\.h' "$ROOT/usr/include/vcap/"*.h)"

# ---- no search path in anything installed ----
withpath=()
for f in "${TOOLS[@]/#/$ROOT/usr/bin/}" "$lib"; do
	readelf -d "$f" | grep -qE 'RPATH|RUNPATH' && withpath+=("${f#"$ROOT"}")
done
check "no RPATH/RUNPATH in installed binaries" "" "${withpath[*]}"

# ---- pkg-config: build against the installed copy, out of the tree ----
export PKG_CONFIG_PATH=$ROOT$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
export PKG_CONFIG_LIBDIR=$PKG_CONFIG_PATH:/usr/lib/$MULTIARCH/pkgconfig:/usr/share/pkgconfig
check "pkg-config --modversion libvcap" 0.1.0 "$(pkg-config --modversion libvcap 2>&1)"
check "pkg-config --cflags names include/vcap" 1 \
	"$(pkg-config --cflags libvcap | tr ' ' '\n' | grep -cx -- "-I$ROOT/usr/include/vcap")"
check "pkg-config --libs is -L libdir -lvcap" "-L$ROOT$LIBDIR -lvcap" \
	"$(pkg-config --libs libvcap | sed 's/ *$//')"
# the public headers include only libc's: a program needs no other -dev package, and only
# the shared library is installed, so nothing is required privately either
check "pkg-config --cflags is include/vcap alone" "-I$ROOT/usr/include/vcap" \
	"$(pkg-config --cflags libvcap | sed 's/ *$//')"
check "no Requires.private" "" "$(pkg-config --print-requires-private libvcap)"
mkdir -p "$TMP/out" && cd "$TMP/out" || exit 1
cat >probe.c <<'EOF'
#include <stdio.h>

#include "mov.h"

int main(void)
{
	const struct mov_format *f = mov_format_find("UYVY");

	printf("%s\n", f ? "UYVY" : "none");
	return f ? 0 : 1;
}
EOF
# a sanitizer build installs a library that needs its runtime loaded first: its programs too
SAN_FLAGS=
[[ $BUILD == build-san || $BUILD == */build-san ]] && SAN_FLAGS="-fsanitize=address,undefined"
srcs=(probe.c)
examples=("$OLDPWD"/examples/*.c)
[[ -e ${examples[0]} ]] && srcs+=("${examples[@]}")
for src in "${srcs[@]}"; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2046 # pkg-config's words
	if cc -std=gnu17 -Wall -Wextra -Werror $SAN_FLAGS -o "$name" "$src" $(pkg-config --cflags --libs libvcap) \
		2>"$name.err"; then
		pass "out-of-tree build with pkg-config: $name.c"
	else
		fail "out-of-tree build with pkg-config: $name.c" "$(head -n 3 "$name.err")"
	fi
done
check "probe runs against the installed library" "UYVY" \
	"$(LD_LIBRARY_PATH=$ROOT$LIBDIR ./probe 2>&1)"
check "probe loads the installed copy" "$ROOT$LIBDIR/libvcap.so.0" \
	"$(LD_LIBRARY_PATH=$ROOT$LIBDIR ldd ./probe | awk '$1 == "libvcap.so.0" { print $3 }')"
# the examples built out of tree run against the installed copy: record, then play with md5s
if [[ -x record && -x play ]]; then
	W=$(mktemp -d /var/tmp/vcap-install.XXXXXX) # a disk, for O_DIRECT
	check "record loads the installed copy" "$ROOT$LIBDIR/libvcap.so.0" \
		"$(LD_LIBRARY_PATH=$ROOT$LIBDIR ldd ./record | awk '$1 == "libvcap.so.0" { print $3 }')"
	out=$(LD_LIBRARY_PATH=$ROOT$LIBDIR ./record "$W/x.mov" 12 2>&1)
	check "installed-copy record: 12 frames" "$W/x.mov: 12 frames" "${out%% of *}"
	LD_LIBRARY_PATH=$ROOT$LIBDIR ./play "$W/x.mov" "$W/x.md5" >/dev/null 2>&1
	ffmpeg -v error -i "$W/x.mov" -c copy -f framemd5 "$W/ff.md5"
	if cmp -s "$W/x.md5" "$W/ff.md5"; then
		pass "installed-copy play: md5s equal ffmpeg's framemd5"
	else
		fail "installed-copy play: md5s equal ffmpeg's framemd5" "$(diff "$W/x.md5" "$W/ff.md5" | head -3)"
	fi
	rm -rf "$W"
fi
cd "$OLDPWD" || exit 1
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

# ---- bash completion, as bash calls it ----
comp_dir=$ROOT/usr/share/bash-completion/completions
for t in vplay vmov vbench; do
	check "completion link $t -> vcap" vcap "$(readlink "$comp_dir/$t")"
done
mkdir -p "$TMP/drm/card0-HDMI-A-1" "$TMP/drm/card0-DP-2" "$TMP/drm/version"
# comp WORDS...: the candidates for the last word, sorted, one line; COMP_LINE as typed
cat >"$TMP/comp.sh" <<'EOF'
set -uo pipefail
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_vcap
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
EOF
comp() {
	PATH=$ROOT/usr/bin:$PATH LD_LIBRARY_PATH=$ROOT$LIBDIR VCAP_COMPLETION_DRM=$TMP/drm \
		bash "$TMP/comp.sh" "$comp_dir/${1}" "$@"
}
check "complete registers all four" "complete -F _vcap vcap vplay vmov vbench" \
	"$(bash -c ". '$comp_dir/vcap'; complete -p vcap vplay vmov vbench" | awk '{ print $4 }' |
		tr '\n' ' ' | sed 's/^/complete -F _vcap /; s/ $//')"
check "vcap --fo" "--force --format" "$(comp vcap --fo)"
check "vcap --format U" "UYVY" "$(comp vcap --format U)"
check "vcap --format v" "v210 v410" "$(comp vcap --format v)"
check "vcap --format=R (= split or not)" "RGB24 RGB32 RGBA32 RGBX32" "$(comp vcap --format=R)"
check "vcap --field" "alternate auto interlaced-bt interlaced-tb none seq-bt seq-tb" \
	"$(comp vcap --field '')"
check "vcap --source" "pattern v4l2" "$(comp vcap --source '')"
check "vcap --on-drop" "continue fail stop" "$(comp vcap --on-drop '')"
check "vcap -d: /dev/video*" "$(ls -d /dev/video* 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(comp vcap -d /dev/video)"
check "vbench --format lists the table" 17 "$(comp vbench --format '' | wc -w)"
check "vmov: commands" "info recover report verify" "$(comp vmov '')"
check "vmov info --j" "--journal --json" "$(comp vmov info --j)"
check "vplay -o: outputs and connectors" "- kms kms:DP-2 kms:HDMI-A-1 null" \
	"$(comp vplay -o '' | tr ' ' '\n' | grep -vE '^/dev/|/' | grep -E '^(-|kms|null)' | sort |
		tr '\n' ' ' | sed 's/ $//')"
check "vplay -o kms:HD (readline completes after :)" "HDMI-A-1" "$(comp vplay -o kms:HD)"
check "vplay --connector" "DP-2 HDMI-A-1" "$(comp vplay --connector '')"
check "vplay --rate" "max realtime" "$(comp vplay --rate '')"
touch "$TMP/take1.mov" "$TMP/take1.md5"
check "vcap --md5 FILE" "$TMP/take1.md5 $TMP/take1.mov" "$(comp vcap --md5 "$TMP/take1")"
check "vplay FILE" "$TMP/take1.md5 $TMP/take1.mov" "$(comp vplay "$TMP/take")"

# ---- uninstall ----
if make --no-print-directory BUILD="$BUILD" uninstall DESTDIR="$ROOT" PREFIX=/usr \
	LIBDIR="$LIBDIR" >"$TMP/uninstall.log" 2>&1; then
	pass "make uninstall"
else
	fail "make uninstall" "$(tail -n 3 "$TMP/uninstall.log")"
fi
check "make uninstall leaves no files" "" "$(cd "$ROOT" && find . ! -type d | sort | tr '\n' ' ')"

exit "$FAILED"
