#!/usr/bin/env bash
# No output is ever written through a symbolic link (dio_create, dio_open_nofollow): vcap's
# file, its capture log and its --md5 sidecar, vplay's -o FILE, --md5 and --audio-file,
# vbench's file, and what vmov recover rewrites (the file, its log) or writes (the sidecar).
# For each: a link to a victim file is refused without --force (exit 3, one line naming the
# path and the fix) and the victim keeps its bytes; with --force the victim still keeps them
# and the link's own path is now a regular file holding the output; a dangling link with
# --force creates nothing where it pointed; the files made under umask 027 are mode 0640.
# vmov recover refuses a file or log that is a link, even with --force, changing nothing.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg ffprobe md5sum
VCAP=$BIN/vcap VPLAY=$BIN/vplay VMOV=$BIN/vmov VBENCH=$BIN/vbench
for t in "$VCAP" "$VPLAY" "$VMOV" "$VBENCH"; do
	[[ -x $t ]] || skip_all "build first: $t missing"
done
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
FAILED=0
S=(--source pattern --size 320x240 --rate 25 -n 5 -q)

frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }
framemd5() { ffmpeg -nostdin -v error -i "$1" -map 0:v -c copy -f framemd5 - ; }

# The victim: a file a link points at, which no tool may open for writing.
new_victim() {
	rm -f victim
	echo "victim $RANDOM: never written through a link" >victim
	VICTIM=$(md5sum <victim)
}
victim_ok() { check "$1: the link's target unchanged" "$VICTIM" "$(md5sum <victim 2>/dev/null)"; }
is_regular() {
	if [[ -f $2 && ! -L $2 ]]; then pass "$1: $2 is a regular file"; else fail "$1: $2 is a regular file" "$(ls -l "$2" 2>&1)"; fi
}
still_link() {
	if [[ -L $2 ]]; then pass "$1: $2 is still the link"; else fail "$1: $2 is still the link" "$(ls -l "$2" 2>&1)"; fi
}
not_made() {
	if [[ ! -e $2 ]]; then pass "$1: nothing made at $2"; else fail "$1: nothing made at $2" "$(ls -l "$2")"; fi
}
same() { # NAME A B: the two files hold the same bytes
	if cmp -s "$2" "$3"; then pass "$1: holds the output"; else fail "$1: holds the output" "$2 differs from $3"; fi
}
mode_is() { check "$1: mode of $3" "$2" "$(stat -c %a "$3" 2>&1)"; }

# refused NAME TEXT CMD...: exit 3 and one line on stderr holding TEXT.
refused() {
	local name=$1 text=$2
	shift 2
	timeout 60 "$@" >/dev/null 2>err.txt
	check "$name: exit" 3 $?
	check "$name: one line" 1 "$(wc -l <err.txt)"
	if grep -qF -- "$text" err.txt; then pass "$name: says $text"; else fail "$name: says $text" "$(cat err.txt)"; fi
}
# ran NAME CMD...: exit 0.
ran() {
	local name=$1
	shift
	timeout 60 "$@" >/dev/null 2>err.txt
	check "$name: exit" 0 "$?"
	[[ -s err.txt ]] && echo "  stderr: $(cat err.txt)"
	return 0
}

LINKTEXT="a symbolic link (use --force to replace the link itself, not what it names"

# ---- 1. vcap -o ----
new_victim
ln -s victim a.mov
refused vcap-o "-o a.mov: $LINKTEXT" "$VCAP" "${S[@]}" -o a.mov
victim_ok vcap-o
still_link vcap-o a.mov
not_made vcap-o a.mov.vcj
ran vcap-o-force "$VCAP" "${S[@]}" --force -o a.mov
victim_ok vcap-o-force
is_regular vcap-o-force a.mov
check "vcap-o-force: a.mov holds the recording" 5 "$(frames a.mov)"
ln -s nowhere.mov d.mov
ran vcap-o-dangling-force "$VCAP" "${S[@]}" --force -o d.mov
not_made vcap-o-dangling-force nowhere.mov
is_regular vcap-o-dangling-force d.mov
check "vcap-o-dangling-force: d.mov holds the recording" 5 "$(frames d.mov)"
rm -f a.mov a.mov.vcj d.mov d.mov.vcj

# ---- 2. vcap's capture log FILE.vcj ----
new_victim
ln -s victim j.mov.vcj
refused vcap-log "the capture log j.mov.vcj: $LINKTEXT" "$VCAP" "${S[@]}" -o j.mov
victim_ok vcap-log
still_link vcap-log j.mov.vcj
not_made vcap-log j.mov
ran vcap-log-force "$VCAP" "${S[@]}" --force -o j.mov
victim_ok vcap-log-force
is_regular vcap-log-force j.mov.vcj
check "vcap-log-force: j.mov.vcj holds the log" "vcj 1|end frames=5" \
	"$(head -n 1 j.mov.vcj)|$(tail -n 1 j.mov.vcj | cut -d' ' -f1-2)"
ln -s nowhere.vcj dj.mov.vcj
ran vcap-log-dangling-force "$VCAP" "${S[@]}" --force -o dj.mov
not_made vcap-log-dangling-force nowhere.vcj
is_regular vcap-log-dangling-force dj.mov.vcj
rm -f j.mov j.mov.vcj dj.mov dj.mov.vcj

# ---- 3. vcap --md5 ----
new_victim
ln -s victim m.md5
refused vcap-md5 "--md5 m.md5: $LINKTEXT" "$VCAP" "${S[@]}" --md5 m.md5 -o m.mov
victim_ok vcap-md5
still_link vcap-md5 m.md5
not_made vcap-md5 m.mov
ran vcap-md5-force "$VCAP" "${S[@]}" --force --md5 m.md5 -o m.mov
victim_ok vcap-md5-force
is_regular vcap-md5-force m.md5
framemd5 m.mov >m.want
same vcap-md5-force m.md5 m.want
ln -s nowhere.md5 dm.md5
ran vcap-md5-dangling-force "$VCAP" "${S[@]}" --force --md5 dm.md5 -o dm.mov
not_made vcap-md5-dangling-force nowhere.md5
is_regular vcap-md5-dangling-force dm.md5
rm -f m.mov m.mov.vcj m.md5 m.want dm.mov dm.mov.vcj dm.md5

# ---- 4. vcap under umask 027, a link replaced included ----
ln -s victim ul.mov
(umask 027 && "$VCAP" "${S[@]}" --md5 u.md5 -o u.mov && "$VCAP" "${S[@]}" --force -o ul.mov) 2>err.txt
check "vcap-umask: exit" 0 $?
for f in u.mov u.mov.vcj u.md5 ul.mov ul.mov.vcj; do mode_is vcap-umask 640 "$f"; done
victim_ok vcap-umask
rm -f u.mov u.mov.vcj u.md5 ul.mov ul.mov.vcj

# ---- 5. vplay -o FILE, --md5, --audio-file ----
"$VCAP" "${S[@]}" --audio pattern -o in.mov 2>err.txt || fail "vplay input" "$(cat err.txt)"
ffmpeg -nostdin -v error -i in.mov -map 0:v -c copy -f rawvideo - >raw.want
framemd5 in.mov >md5.want
P=(in.mov -q --rate max)
new_victim
ln -s victim o.raw
refused vplay-o "-o o.raw: $LINKTEXT" "$VPLAY" "${P[@]}" -o o.raw
victim_ok vplay-o
still_link vplay-o o.raw
ran vplay-o-force "$VPLAY" "${P[@]}" --force -o o.raw
victim_ok vplay-o-force
is_regular vplay-o-force o.raw
same vplay-o-force o.raw raw.want
ln -s nowhere.raw do.raw
ran vplay-o-dangling-force "$VPLAY" "${P[@]}" --force -o do.raw
not_made vplay-o-dangling-force nowhere.raw
is_regular vplay-o-dangling-force do.raw

new_victim
ln -s victim p.md5
refused vplay-md5 "--md5 p.md5: $LINKTEXT" "$VPLAY" "${P[@]}" -o null --md5 p.md5
victim_ok vplay-md5
still_link vplay-md5 p.md5
ran vplay-md5-force "$VPLAY" "${P[@]}" -o null --force --md5 p.md5
victim_ok vplay-md5-force
is_regular vplay-md5-force p.md5
same vplay-md5-force p.md5 md5.want
ln -s nowhere.md5 dp.md5
ran vplay-md5-dangling-force "$VPLAY" "${P[@]}" -o null --force --md5 dp.md5
not_made vplay-md5-dangling-force nowhere.md5
is_regular vplay-md5-dangling-force dp.md5

new_victim
ln -s victim w.wav
refused vplay-wav "--audio-file w.wav: $LINKTEXT" "$VPLAY" "${P[@]}" --audio-file w.wav
victim_ok vplay-wav
still_link vplay-wav w.wav
ran vplay-wav-force "$VPLAY" "${P[@]}" --force --audio-file w.wav
victim_ok vplay-wav-force
is_regular vplay-wav-force w.wav
check "vplay-wav-force: w.wav holds the WAV" "RIFF WAVE" "$(head -c 4 w.wav) $(head -c 12 w.wav | tail -c 4)"
ln -s nowhere.wav dw.wav
ran vplay-wav-dangling-force "$VPLAY" "${P[@]}" --force --audio-file dw.wav
not_made vplay-wav-dangling-force nowhere.wav
is_regular vplay-wav-dangling-force dw.wav

(umask 027 && "$VPLAY" "${P[@]}" -o u.raw --md5 u.md5 --audio-file u.wav) 2>err.txt
check "vplay-umask: exit" 0 $?
for f in u.raw u.md5 u.wav; do mode_is vplay-umask 640 "$f"; done
rm -f o.raw do.raw p.md5 dp.md5 w.wav dw.wav u.raw u.md5 u.wav raw.want md5.want in.mov in.mov.vcj

# ---- 6. vbench's file ----
new_victim
B=(--size 320x240 --format UYVY --rate 25 --bytes 1M --write-only)
ln -s victim b.dat
refused vbench "b.dat: File exists (use --force" "$VBENCH" "${B[@]}" b.dat
victim_ok vbench
still_link vbench b.dat
ran vbench-force "$VBENCH" "${B[@]}" --force --keep b.dat
victim_ok vbench-force
is_regular vbench-force b.dat
rm -f b.dat

# ---- 7. vmov recover: the file and its log (rewritten), the sidecar (written) ----
"$VCAP" --source pattern --size 320x240 --rate 50 -n 500 -q --md5 k.md5 -o k.mov &
pid=$!
for _ in $(seq 50); do grep -q '^[0-9]' k.mov.vcj 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -9 $pid
wait $pid 2>/dev/null
cp k.mov k.orig
cp k.mov.vcj k.vcj.orig
mkdir -p away
# the file a link: refused, even with --force, before anything changes
mv k.mov away/k.mov
ln -s away/k.mov k.mov
refused recover-file "k.mov is a symbolic link: recover rewrites it in place and never through a link (nothing was changed) (give the file's own path" \
	"$VMOV" recover k.mov
refused recover-file-force "k.mov is a symbolic link" "$VMOV" recover --force k.mov
if cmp -s away/k.mov k.orig && cmp -s k.mov.vcj k.vcj.orig; then
	pass "recover-file: the link's target and the log unchanged"
else
	fail "recover-file: the link's target and the log unchanged" "changed"
fi
rm -f k.mov
mv away/k.mov k.mov
# the log a link: refused the same way
mv k.mov.vcj away/k.mov.vcj
ln -s away/k.mov.vcj k.mov.vcj
refused recover-log "the capture log k.mov.vcj is a symbolic link: recover rewrites it in place" \
	"$VMOV" recover k.mov
if cmp -s k.mov k.orig && cmp -s away/k.mov.vcj k.vcj.orig; then
	pass "recover-log: the file and the link's target unchanged"
else
	fail "recover-log: the file and the link's target unchanged" "changed"
fi
rm -f k.mov.vcj
mv away/k.mov.vcj k.mov.vcj
# the sidecar a link: kept without --force (the file is recovered), replaced itself with it
new_victim
rm -f k.md5
ln -s victim k.md5
timeout 60 "$VMOV" recover k.mov >out.txt 2>err.txt
check "recover-sidecar: exit" 0 $?
if grep -q "k.md5 exists and was kept" err.txt; then pass "recover-sidecar: says it was kept"; else fail "recover-sidecar: says it was kept" "$(cat out.txt err.txt)"; fi
victim_ok recover-sidecar
still_link recover-sidecar k.md5
(umask 027 && timeout 60 "$VMOV" recover --force k.mov >out.txt) 2>err.txt
check "recover-sidecar-force: exit" 0 $?
victim_ok recover-sidecar-force
is_regular recover-sidecar-force k.md5
framemd5 k.mov >k.want
same recover-sidecar-force k.md5 k.want
mode_is recover-sidecar-force 640 k.md5
rm -f k.md5
ln -s nowhere.md5 k.md5
ran recover-sidecar-dangling-force "$VMOV" recover --force k.mov
not_made recover-sidecar-dangling-force nowhere.md5
is_regular recover-sidecar-dangling-force k.md5
same recover-sidecar-dangling-force k.md5 k.want
rm -rf away k.mov k.mov.vcj k.md5 k.orig k.vcj.orig k.want out.txt err.txt victim
exit $FAILED
