# shellcheck shell=bash
# Helpers for the vcap-vivid-{drops,fatal,timecode} scenarios (sourced after lib.sh inside the
# guest): XFS on the first disk to record onto, vivid's S-Video input at PAL, and readers for
# the JSON summary and the capture log.

# shellcheck disable=SC2034 # used by the scenarios that source this
VCAP=$VM_BUILD/vcap
DEV=/dev/video0
# vivid's S-Video input (2) at PAL: SDTV, so vivid sets V4L2_BUF_FLAG_TIMECODE
# shellcheck disable=SC2034
SD=(--device "$DEV" --input 2 --std pal --size 720x576 --format UYVY --field interlaced-tb)

# XFS on the first disk at /tmp/mnt; cd there.
policy_disk() {
	local disk=${VM_DISKS%% *}
	for _ in {1..50}; do [[ -c $DEV ]] && break; sleep 0.1; done
	[[ -c $DEV ]] || { fail "video0" "$DEV missing"; vm_done; }
	check "mkfs.xfs" mkfs.xfs -f -q "$disk"
	mkdir -p /tmp/mnt
	check "mount" mount -t xfs "$disk" /tmp/mnt
	cd /tmp/mnt || vm_done
}

policy_cleanup() { cd / && umount /tmp/mnt; }

packets() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null; }
decodes() { [[ -z $(ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f null - 2>&1) ]]; }
tmcd() { ffprobe -v error -show_entries stream_tags=timecode -of csv=p=0 "$1" </dev/null | grep -m1 .; }

# wait_frames LOG N: until the capture log holds N frame lines (streaming is on), 60 s at most
wait_frames() {
	for _ in {1..600}; do
		[[ -e $1 && $(grep -c '^[0-9]' "$1") -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}

# facts JSON LOG: one python3 run (slow under TCG) that prints, space-separated: frames, gaps,
# drops, the sum of the drop list, exit code, stopped_by, flagged, the first flagged frame's
# state in the log ("error" when its flags have V4L2_BUF_FLAG_ERROR, else "clean", "-" when
# none), the log's gap count and lost frames (from the sequence column), its frame lines,
# "ok" when every listed drop position is a log line noted lost=, and the log's first and
# last timecode.
facts() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
rows = [l.split() for l in open(sys.argv[2]) if l[:1].isdigit()]
by = {int(r[0]): r for r in rows}
seqs = [int(r[4]) for r in rows]
g = [b - a - 1 for a, b in zip(seqs, seqs[1:]) if b > a + 1]
ff = j["flagged_frames"]
state = "-" if not ff else ("error" if int(by[ff[0]][6], 16) & 0x40 else "clean")
pos = all("lost=" in by[d["before_frame"]][-1] for d in j["drop_list"])
print(j["frames"], j["gaps"], j["drops"], sum(d["count"] for d in j["drop_list"]),
      j["exit_code"], j["stopped_by"], j["flagged"], state, len(g), sum(g), len(rows),
      "ok" if pos else "bad", rows[0][8] if rows else "-", rows[-1][8] if rows else "-")
PY
}
