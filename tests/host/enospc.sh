#!/usr/bin/env bash
# Filling a small filesystem: the writer stops with ENOSPC, vbench says so in one line and exits
# with the documented code 5, and every frame acknowledged before that is on disk and reads back
# intact.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_loop

for fs in ext4 xfs; do
	MNT=
	case $fs in
	ext4) mkfs_loop 96M mkfs.ext4 -q -F ;;
	xfs) mkfs_loop 320M mkfs.xfs -f ;;
	esac
	mnt=$MNT
	[[ -n $mnt ]] || { fail "$fs-setup" "mkfs/mount failed"; continue; }
	"$BIN/vbench" --size 720x486 --bytes 1G --keep --json "$mnt/full.dat" >"$TMP/w.json" 2>"$TMP/err"
	rc=$?
	check "$fs-enospc-exit-code" 5 "$rc"
	if [[ $(wc -l <"$TMP/err") -eq 1 ]] && grep -q 'No space left on device (free space' "$TMP/err"; then
		pass "$fs-enospc-one-line-error"
	else
		fail "$fs-enospc-one-line-error" "$(head -c 400 "$TMP/err")"
	fi
	check "$fs-enospc-json-error" "No space left on device" "$(json "$TMP/w.json" "j['write']['error']")"
	written=$(json "$TMP/w.json" "j['write']['frames']")
	check "$fs-enospc-wrote-something" True "$(json "$TMP/w.json" "j['write']['frames'] > 0")"
	# Everything acknowledged is there: the kept file reads back frame by frame.
	"$BIN/vbench" --size 720x486 --read-only --json "$mnt/full.dat" >"$TMP/r.json" 2>"$TMP/err"
	check "$fs-readback-exit" 0 $?
	check "$fs-readback-frames" "$written" "$(json "$TMP/r.json" "j['read']['frames']")"
	check "$fs-readback-intact" 0 "$(json "$TMP/r.json" "j['read']['bad_frames']")"
	rm -f "$mnt/full.dat"
	# vcap -n asking for more than fits: the up-front preallocation fails, and what a failed
	# fallocate kept must be given back, else the disk is full before the first frame. The
	# recording fills the disk, finishes a playable file and its sidecar, and exits 5. With
	# --timecode the MOV header is on disk before the first frame: giving space back must
	# keep it.
	for tc in "" 01:00:00:00; do
		t=$fs-vcap${tc:+-tc}
		"$BIN/vcap" --size 720x486 --format UYVY --rate max -n 1000 ${tc:+--timecode $tc} \
			--json --md5 "$mnt/c.md5" -o "$mnt/c.mov" >"$TMP/c.json" 2>"$TMP/err"
		check "$t-enospc-exit" 5 $?
		frames=$(json "$TMP/c.json" "j['frames']")
		# at least 3/4 of the space went to frames (696 KiB each)
		check "$t-enospc-filled" True "$(df -k --output=size "$mnt" | tail -1 |
			awk -v f="$frames" '{ print (f * 696 >= $1 * 3 / 4) ? "True" : "False" }')"
		check "$t-enospc-playable" "$frames" "$(ffprobe -v error -select_streams v:0 -count_packets \
			-show_entries stream=nb_read_packets -of csv=p=0 "$mnt/c.mov" </dev/null)"
		decode_errors "$mnt/c.mov" >/dev/null && pass "$t-enospc-decodes" ||
			fail "$t-enospc-decodes" "ffmpeg errors"
		ffmpeg -nostdin -v error -i "$mnt/c.mov" -c copy -f framemd5 - | cmp -s - "$mnt/c.md5" &&
			pass "$t-enospc-sidecar" || fail "$t-enospc-sidecar" "differs from ffmpeg's"
		rm -f "$mnt"/c.*
	done
done
exit 0
