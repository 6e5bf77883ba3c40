#!/usr/bin/env bash
# vcap's outputs (-o FILE, its capture log FILE.vcj, the --md5 sidecar) are checked before the
# source is opened or anything is created: an existing one is refused without --force (exit 3,
# one line naming it and the fix), with nothing created and the existing one untouched; a
# path that is not a regular file (-o -, a device, a directory, a fifo) is refused even with
# --force, naming what it is; a symbolic link is never written through: refused without
# --force, replaced itself with it (tests/host/symlinks.sh has every output of every tool).
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
VCAP=$BIN/vcap
[[ -x $VCAP ]] || skip_all "build first: $VCAP missing"
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
FAILED=0
S=(--source pattern --size 320x240 --rate 25 -n 5)

# refused NAME TEXT VCAP-ARGS...: exit 3, one line on stderr holding TEXT, nothing new in the
# directory and nothing created next to /dev/null.
refused() {
	local name=$1 text=$2
	shift 2
	run_listed "$VCAP" "$@"
	check "$name: exit" 3 "$RC"
	check "$name: one line" 1 "$(wc -l <err.txt)"
	if grep -qF -- "$text" err.txt; then pass "$name: says $text"; else fail "$name: says $text" "$(cat err.txt)"; fi
	check "$name: nothing created" "" "$CHANGED"
}

# 1. An existing --md5 sidecar: refused before the first frame, kept as it was.
echo old >x.md5
refused md5-exists "--md5 x.md5: File exists (use --force to replace it, or another name)" \
	"${S[@]}" --md5 x.md5 -o new.mov
check md5-exists-untouched old "$(cat x.md5)"
# --force replaces it with the recording's sidecar, byte for byte what ffmpeg prints
"$VCAP" "${S[@]}" --force --md5 x.md5 -o new.mov -q 2>err.txt
check md5-force-exit 0 $?
if ffmpeg -nostdin -v error -i new.mov -c copy -f framemd5 - | cmp -s - x.md5; then
	pass md5-force-replaced
else
	fail md5-force-replaced "$(head -c 200 x.md5)"
fi
rm -f new.mov new.mov.vcj x.md5

# A sidecar is not left behind when the recording never starts: here no timecode comes for
# --start-timecode (vcap waits 5 s for it); one that existed is left alone by a --force run
# refused in setup.
refused md5-no-start "no timecode from the pattern source" "${S[@]}" --start-timecode 01:00:00:00 \
	--md5 c.md5 -o c.mov
echo old >c.md5
refused md5-force-no-start "no timecode from the pattern source" "${S[@]}" --force \
	--start-timecode 01:00:00:00 --md5 c.md5 -o c.mov
check md5-force-no-start-untouched old "$(cat c.md5)"
rm -f c.md5

# An existing capture log is refused before the file is created.
touch e.mov.vcj
refused log-exists "the capture log e.mov.vcj: File exists (use --force to replace it, or another name)" \
	"${S[@]}" -o e.mov
rm -f e.mov.vcj

# The sidecar must not be the recording: by the same name (the command line alone: exit 2),
# or by another path to it (./s.mov: found once both are open), where it would overwrite the
# file at the end.
"$VCAP" "${S[@]}" --md5 s.mov -o s.mov 2>err.txt
check md5-is-output "2 0" "$? $(ls s.mov* 2>/dev/null | wc -l)"
"$VCAP" "${S[@]}" --md5 s.mov.vcj -o s.mov 2>err.txt
check md5-is-log "2 0" "$? $(ls s.mov* 2>/dev/null | wc -l)"
refused md5-is-output-aliased "--md5 ./s.mov: the same file as s.mov" "${S[@]}" --md5 ./s.mov -o s.mov
refused md5-is-output-aliased-force "--md5 ./s.mov: the same file as s.mov" "${S[@]}" --force --md5 ./s.mov -o s.mov
refused md5-is-log-aliased "--md5 ./s.mov.vcj: the same file as s.mov.vcj" "${S[@]}" --md5 ./s.mov.vcj -o s.mov

# A capture log path that is a directory: refused before the sidecar is touched.
echo old >c.md5
mkdir c.mov.vcj
refused md5-force-log-dir "the capture log c.mov.vcj: a directory" "${S[@]}" --force --md5 c.md5 -o c.mov
check md5-force-log-dir-untouched old "$(cat c.md5)"
rmdir c.mov.vcj
rm -f c.md5

# 2. Not a regular file: refused naming what it is, with or without --force.
refused stdout "-o -: vcap writes a file, not a pipe" "${S[@]}" -o -
refused stdout-force "-o -: vcap writes a file, not a pipe" "${S[@]}" --force -o -
refused md5-stdout "--md5 -: " "${S[@]}" --md5 - -o m.mov
refused devnull "-o /dev/null: a character device" "${S[@]}" -o /dev/null
refused devnull-force "-o /dev/null: a character device" "${S[@]}" --force -o /dev/null
refused md5-devnull-force "--md5 /dev/null: a character device" "${S[@]}" --force --md5 /dev/null -o m.mov
mkdir dir.mov
refused dir "-o dir.mov: a directory (-o takes a file path" "${S[@]}" -o dir.mov
refused dir-force "-o dir.mov: a directory (-o takes a file path" "${S[@]}" --force -o dir.mov
rmdir dir.mov
mkfifo fifo.mov
refused fifo "-o fifo.mov: a fifo" "${S[@]}" -o fifo.mov
refused fifo-force "-o fifo.mov: a fifo" "${S[@]}" --force -o fifo.mov
rm -f fifo.mov

# Symbolic links: never written through, dangling ones included; refused without --force,
# replaced themselves with it (what they name is left alone, or left uncreated).
echo target >t.mov
ln -s t.mov l.mov
ln -s nowhere.mov dl.mov
ln -s t.mov l.md5
refused symlink "-o l.mov: a symbolic link (use --force to replace the link itself" "${S[@]}" -o l.mov
refused symlink-dangling "-o dl.mov: a symbolic link" "${S[@]}" -o dl.mov
refused md5-symlink "--md5 l.md5: a symbolic link" "${S[@]}" --md5 l.md5 -o m.mov
check symlink-target-untouched target "$(cat t.mov)"
[[ ! -e nowhere.mov ]] && pass symlink-dangling-not-created || fail symlink-dangling-not-created "nowhere.mov"
"$VCAP" "${S[@]}" --force -q -o dl.mov 2>err.txt
check symlink-dangling-force "0 5 none" "$? $(ffprobe -v error -count_packets -show_entries stream=nb_read_packets -of csv=p=0 dl.mov 2>/dev/null) $([[ -e nowhere.mov ]] || echo none)"
"$VCAP" "${S[@]}" --force -q -o l.mov 2>err.txt
check symlink-force "0 5 file target" "$? $(ffprobe -v error -count_packets -show_entries stream=nb_read_packets -of csv=p=0 l.mov 2>/dev/null) $([[ -f l.mov && ! -L l.mov ]] && echo file) $(cat t.mov)"
rm -f t.mov l.mov dl.mov l.md5 nowhere.mov dl.mov.vcj l.mov.vcj
exit $FAILED
