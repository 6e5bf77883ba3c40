# shellcheck shell=bash
# Helpers for the vcap-vivid-* scenarios (sourced after lib.sh inside the guest): an md RAID0
# with XFS to record onto, one capture checked end to end, and one refusal checked.

VCAP=$VM_BUILD/vcap
DEV=/dev/video0

# RAID0 of the three disks, 64 KiB chunks, XFS mounted at /tmp/mnt; cd there.
vivid_raid0_xfs() {
	local disks
	read -ra disks <<<"$VM_DISKS"
	for _ in {1..50}; do [[ -c $DEV ]] && break; sleep 0.1; done
	[[ -c $DEV ]] || { fail "video0" "$DEV missing"; vm_done; }
	check "mdadm-create" md_create 0 64 "${disks[@]}"
	check "mkfs.xfs" mkfs.xfs -f -q /dev/md0
	mkdir -p /tmp/mnt
	check "mount" mount -t xfs -o swalloc /dev/md0 /tmp/mnt
	cd /tmp/mnt || vm_done
}

vivid_cleanup() {
	cd / && umount /tmp/mnt
	mdadm --stop /dev/md0 >/dev/null 2>&1
}


# vcap_ok NAME FRAMES FIELD_ORDER TAG MODE VCAP-ARGS...: record NAME.mov and check: exit 0,
# exactly FRAMES packets, ffprobe's field_order and codec tag, the --md5 sidecar equal to
# ffmpeg's framemd5 of the file, a clean decode, the buffer mode, and the copy counter (0 for
# dmabuf, one per frame for mmap, two per frame (+ discarded) for alternate).
vcap_ok() {
	local name=$1 n=$2 order=$3 tag=$4 mode=$5 rc got copies want drops errs
	shift 5
	rm -f "$name".*
	echo "+ vcap $* -n $n -o $name.mov"
	"$VCAP" --device $DEV "$@" -n "$n" --md5 "$name.md5" --json -q -o "$name.mov" >"$name.json"
	rc=$?
	cat "$name.json"
	if [[ $rc -ne 0 ]]; then
		fail "$name" "vcap exit status $rc"
		return 1
	fi
	got=$(ffprobe -v error -select_streams v:0 -count_packets \
		-show_entries stream=nb_read_packets,field_order,codec_tag_string -of csv=p=0 "$name.mov" </dev/null)
	expect_eq "$name-tag-order-frames" "$got" "$tag,$order,$n"
	# one ffmpeg (slow to start under TCG): framemd5 of the packets, and a full decode
	errs=$(ffmpeg -nostdin -v error -i "$name.mov" -map 0:v -c copy -f framemd5 "$name.ff.md5" \
		-map 0:v -f null - 2>&1)
	if [[ -z $errs ]]; then pass "$name-decodes"; else fail "$name-decodes" "$errs"; fi
	drops=$(json_get "$name.json" drops)
	if cmp -s "$name.ff.md5" "$name.md5"; then
		pass "$name-framemd5 (byte for byte; $drops drops)"
	else
		fail "$name-framemd5" "the --md5 sidecar differs from ffmpeg's framemd5 of the file"
		diff "$name.ff.md5" "$name.md5" | head -n 6
	fi
	if [[ $(grep -v '^#' "$name.md5" | awk -F, '{ print $6 }' | sort -u | wc -l) -gt 1 ]]; then
		pass "$name-frames-differ"
	else
		fail "$name-frames-differ" "every frame is the same"
	fi
	expect_eq "$name-buffers-mode" "$(json_get "$name.json" buffers_mode)" "$mode"
	copies=$(json_get "$name.json" copies)
	case $mode in
	dmabuf*) want=0 ;;
	mmap*) want=$n ;;
	*) want=$((2 * n + $(json_get "$name.json" discarded_fields))) ;;
	esac
	# alternate: a lone field discarded after being copied costs one copy more; never fewer
	if [[ $mode == alternate* ]] && [[ $copies -ge $((2 * n)) && $copies -le $want ]]; then
		pass "$name-copies ($copies)"
	else
		expect_eq "$name-copies" "$copies" "$want"
	fi
}

# vcap_refused NAME PATTERN VCAP-ARGS...: exit 3, one line on stderr matching PATTERN, and
# neither the file nor its log left behind.
vcap_refused() {
	local name=$1 pattern=$2 rc err
	shift 2
	rm -f "$name".*
	"$VCAP" "$@" -n 3 -q -o "$name.mov" 2>"$name.err"
	rc=$?
	err=$(cat "$name.err")
	echo "  $err"
	if [[ $rc -eq 3 && $(wc -l <"$name.err") -eq 1 && $err =~ $pattern && ! -e $name.mov && ! -e $name.mov.vcj ]]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr '$err', files: $(find . -maxdepth 1 -name "$name.mov*" | tr '\n' ' ')"
	fi
}
