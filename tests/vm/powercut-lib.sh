# shellcheck shell=bash
# Power cuts, replayed (sourced after lib.sh by the power-cut-* scenarios): the xfstests
# method. A recording onto a filesystem on md RAID0, through dm-log-writes, which logs every
# write in the order the disk acknowledged it, and every flush; a mark in the log each time
# vcap says frames are durable (--status-fd "durable N S": the mark lands after the sync that
# made them so). The log is then replayed, entry by entry, onto a second RAID0 of the same
# size; at each chosen point (every durability mark, and flush points between them) the state
# a power cut there would leave is mounted through a dm snapshot (so that mounting, log
# recovery and vmov recover change nothing the replay goes on from), and vmov recover must
# give a file that plays and holds every frame and sample acknowledged by then, each frame's
# md5 equal to the log's.
#
# Disks: vda+vdb the recording's RAID0, vdc+vdd the replay's, vde the write log.

VCAP=$VM_BUILD/vcap
VMOV=$VM_BUILD/vmov
LW=$VM_REPO/tests/vm/log-writes.py
export DM_DISABLE_UDEV=1 # no udev in the guest: dmsetup makes the /dev/mapper nodes itself

# pc_setup FS MKFS...: the two arrays, the log-writes device, the filesystem made through it
# (so the replay rebuilds it from zeroes), mounted at /tmp/mnt.
pc_setup() {
	local fs=$1
	shift
	read -ra PC_DISKS <<<"$VM_DISKS"
	check "$fs-md0" mdadm --create /dev/md0 --run --quiet --assume-clean --metadata=1.2 \
		--level=0 --chunk=64 --raid-devices=2 "${PC_DISKS[0]}" "${PC_DISKS[1]}"
	check "$fs-md1" mdadm --create /dev/md1 --run --quiet --assume-clean --metadata=1.2 \
		--level=0 --chunk=64 --raid-devices=2 "${PC_DISKS[2]}" "${PC_DISKS[3]}"
	PC_SECTORS=$(blockdev --getsz /dev/md0)
	expect_eq "$fs-same-size" "$(blockdev --getsz /dev/md1)" "$PC_SECTORS"
	check "$fs-log-writes" dmsetup create lw --table "0 $PC_SECTORS log-writes /dev/md0 ${PC_DISKS[4]}"
	check "$fs-mkfs" "$@" /dev/mapper/lw
	mkdir -p /tmp/mnt /tmp/chk
	check "$fs-mount" mount -t "$fs" /dev/mapper/lw /tmp/mnt
}

# pc_record ARG...: vcap into /tmp/mnt/f.mov, a log mark "ack-N-S" for each durability line.
pc_record() {
	mkfifo /tmp/status
	(while read -r _ n s; do dmsetup message lw 0 mark "ack-$n-$s"; done) </tmp/status &
	local marker=$! errs
	errs=$(dmesg | grep -c 'log-writes: Error writing log block')
	(cd /tmp/mnt && "$VCAP" -q -o f.mov --md5 f.md5 --status-fd 3 "$@" 3>/tmp/status)
	PC_RC=$?
	# the write log's own disk failing ends the log early: fewer points to replay, for a
	# reason that is the rig's, not recovery's (seen once: I/O errors on the log's virtio disk)
	PC_LOG_ERRORS=$(($(dmesg | grep -c 'log-writes: Error writing log block') - errs))
	((PC_LOG_ERRORS == 0)) || echo "note: dm-log-writes failed to write $PC_LOG_ERRORS log blocks on ${PC_DISKS[4]}: $(dmesg | grep -m1 'I/O error, dev' | sed 's/^\[[^]]*\] //')"
	wait $marker
	PC_FRAMES=$(grep -c '^[0-9]' /tmp/mnt/f.mov.vcj)
	umount /tmp/mnt
	dmsetup remove lw # its last entry: the mark "dm-log-writes-end"
	python3 "$LW" index "${PC_DISKS[4]}" /tmp/idx.json
}

# The points to check, "ENTRY FRAMES SAMPLES" a line: each durability mark (what was
# acknowledged), FLUSHES flush entries spread between them (acknowledged: the marks before),
# and the log's end.
pc_points() {
	python3 - "$1" <<'EOF'
import json, sys
flushes = int(sys.argv[1])
e = json.load(open("/tmp/idx.json"))["entries"]
acked, points, flush_at = (0, 0), {}, []
for x in e:
    if x["flags"] & 8 and x["mark"].startswith("ack-"):
        acked = tuple(int(v) for v in x["mark"].split("-")[1:3])
        points[x["i"]] = acked
    elif x["flags"] & 3:
        flush_at.append((x["i"], acked))
step = max(1, len(flush_at) // max(1, flushes))
for i, a in flush_at[::step]:
    points.setdefault(i, a)
points[e[-1]["i"]] = acked
for i in sorted(points):
    print(i, *points[i])
EOF
}

# What vmov recover said: got (frames), s (samples), checked (frames whose payload it hashed
# and found equal to the log's md5); a file vcap had finished: its count, the log's sound.
pc_counts() {
	local j=/tmp/chk/f.mov.vcj
	got=$(sed -n 's/^recovered \([0-9]*\) frame.*/\1/p; s/^f.mov is complete (\([0-9]*\) frame.*/\1/p' /tmp/rec.out)
	s=$(sed -n 's/.*, \([0-9]*\) samples of sound.*/\1/p' /tmp/rec.out)
	[[ -n $s ]] || s=$(awk '/^chunk / { s = $3 + $4 } END { print s + 0 }' "$j")
	checked=$(sed -n 's/^checked \([0-9]*\) frame.*/\1/p' /tmp/rec.out)
}

# pc_plays FRAMES SAMPLES: ffmpeg reads that many frames, each one's md5 the log's, and that
# much sound (slow under TCG: every 4th point, and whenever recover checked no md5s).
pc_plays() {
	local md5s logged dur
	md5s=$(ffmpeg -nostdin -v error -i /tmp/chk/f.mov -map 0:v -c copy -f framemd5 - | grep -v '^#' | awk -F', *' '{ print $6 }')
	logged=$(awk -v n="$1" '/^[0-9]/ && $1 < n { print $10 }' /tmp/chk/f.mov.vcj)
	dur=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts -of csv=p=0 /tmp/chk/f.mov </dev/null)
	[[ $(wc -l <<<"$md5s") == "$1" && $md5s == "$logged" && $dur == "$2" ]]
}

# pc_check FS ENTRY FRAMES SAMPLES: the state after ENTRY, recovered and checked.
pc_check() {
	local fs=$1 at=$2 want=$3 want_s=$4 cow loop got s checked rc
	python3 "$LW" replay "${PC_DISKS[4]}" /tmp/idx.json /dev/md1 $((PC_DONE + 1)) "$at"
	PC_DONE=$at
	cow=$(mktemp /tmp/cow.XXXXXX)
	truncate -s 512M "$cow"
	loop=$(losetup -f --show "$cow")
	dmsetup create snap --table "0 $PC_SECTORS snapshot /dev/md1 $loop N 8"
	if ! mount -t "$fs" /dev/mapper/snap /tmp/chk 2>/tmp/mount.err; then
		if ((want == 0)); then
			pass "$fs-at-$at: nothing acknowledged, nothing to mount"
		else
			fail "$fs-at-$at" "mount failed with $want frames acknowledged: $(tail -n 1 /tmp/mount.err)"
		fi
		PC_TABLE+="$at $want $want_s - - mount-failed"$'\n'
	elif [[ ! -s /tmp/chk/f.mov.vcj ]]; then
		if ((want == 0)); then pass "$fs-at-$at: nothing acknowledged, no log yet"; else fail "$fs-at-$at" "no capture log with $want frames acknowledged"; fi
		PC_TABLE+="$at $want $want_s - - no-log"$'\n'
	else
		(cd /tmp/chk && "$VMOV" recover f.mov >/tmp/rec.out 2>/tmp/rec.err)
		rc=$?
		pc_counts
		if ((want == 0)) && [[ $rc -ne 0 ]]; then
			pass "$fs-at-$at: nothing acknowledged (recover: $(head -n 1 /tmp/rec.err))"
		elif [[ $rc -ne 0 || -z $got ]]; then
			fail "$fs-at-$at" "recover exit $rc with $want frames acknowledged: $(head -n 1 /tmp/rec.err)"
		elif ((got < want || s < want_s)); then
			fail "$fs-at-$at" "recovered $got frames, $s samples; acknowledged $want, $want_s"
		elif [[ $checked != "$got" ]] && ! pc_plays "$got" "$s"; then
			fail "$fs-at-$at" "the $got frames recovered are not the ones logged, or do not play"
		elif ((PC_N % 4 == 0)) && ! pc_plays "$got" "$s"; then
			fail "$fs-at-$at" "ffmpeg does not read the $got frames and $s samples logged"
		else
			pass "$fs-at-$at: $got frames, $s samples recovered; $want, $want_s acknowledged"
		fi
		PC_TABLE+="$at $want $want_s ${got:--} ${s:--} exit-$rc"$'\n'
	fi
	umount /tmp/chk 2>/dev/null
	dmsetup remove snap
	losetup -d "$loop"
	rm -f "$cow"
}

# pc_run FS FLUSHES: check every point; the table at the end.
pc_run() {
	local fs=$1 at f s n=0
	PC_DONE=-1 PC_TABLE=""
	pc_points "$2" >/tmp/points # (no /dev/fd in the guest for a process substitution)
	while read -r at f s; do
		PC_N=$n
		pc_check "$fs" "$at" "$f" "$s"
		n=$((n + 1))
	done </tmp/points
	echo "$fs: $n replay points (entry, acknowledged frames and samples, recovered frames and samples, recover):"
	printf '%s' "$PC_TABLE" | sed 's/^/    /'
	if ((n >= 20)); then
		pass "$fs-points-at-least-20 ($n)"
	elif ((PC_LOG_ERRORS)); then
		fail "$fs-points-at-least-20" "$n: the write log lost $PC_LOG_ERRORS blocks to I/O errors on its disk (see the note above), so it ends early"
	else
		fail "$fs-points-at-least-20" "$n"
	fi
}
