#!/bin/bash
# vm: vivid="n_devs=1 node_types=0x1" timeout=240
# The rig itself: vivid loads, v4l2-ctl sees it, and it streams in every field mode we
# record (progressive, alternate, interlaced, sequential) from an SDTV input with PAL.
# ALTERNATE runs last: after S_FMT 720x288 alternate, vivid keeps a 288-line compose rectangle
# and later interlaced buffers carry half the sizeimage it reports.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

dev=/dev/video0
for t in {1..50}; do [[ -c $dev ]] && break; sleep 0.1; done
if [[ -c $dev ]]; then pass "video0-exists"; else fail "video0-exists" "$dev missing"; vm_done; fi

check "v4l2-ctl-all" v4l2-ctl -d $dev --all
v4l2-ctl -d $dev --list-inputs

# The first S-Video input (else TV): SDTV inputs offer the field modes, the webcam does not.
input=$(v4l2-ctl -d $dev --list-inputs | awk '/^[[:space:]]*Input/ { i = $3 } /Name.*S-Video/ { print i; exit }')
[[ -n $input ]] || input=$(v4l2-ctl -d $dev --list-inputs | awk '/^[[:space:]]*Input/ { i = $3 } /Name.*TV/ { print i; exit }')
if [[ -z $input ]]; then
	fail "sdtv-input" "no S-Video or TV input listed"
	vm_done
fi
check "select-input-$input" v4l2-ctl -d $dev -i "$input"
check "set-std-pal" v4l2-ctl -d $dev --set-standard=pal

for field in none interlaced seq_tb alternate; do
	out=/tmp/frames-$field.raw
	# Progressive comes from the webcam input (0); SDTV is always interlaced in some way.
	if [[ $field == none ]]; then
		v4l2-ctl -d $dev -i 0 >/dev/null && size=640x480
	else
		v4l2-ctl -d $dev -i "$input" >/dev/null && v4l2-ctl -d $dev --set-standard=pal >/dev/null
		size=720x576
		# ALTERNATE: one field per buffer, and the format's height is a field's.
		[[ $field == alternate ]] && size=720x288
	fi
	if ! v4l2-ctl -d $dev --set-fmt-video=width=${size%x*},height=${size#*x},pixelformat=UYVY,field=$field; then
		fail "field-$field" "S_FMT refused"
		continue
	fi
	fmt=$(v4l2-ctl -d $dev --get-fmt-video)
	got=$(sed -n 's/.*Field *: *//p' <<<"$fmt")
	size=$(sed -n 's/.*Size Image *: *//p' <<<"$fmt")
	echo "$fmt"
	if ! v4l2-ctl -d $dev --stream-mmap --stream-count=5 --stream-to=$out; then
		fail "field-$field" "streaming failed"
		continue
	fi
	bytes=$(stat -c %s $out)
	case $field in
	none) want=None ;;
	alternate) want=Alternating ;;
	interlaced) want=Interlaced ;;
	seq_tb) want="Sequential Top-Bottom" ;;
	esac
	if [[ $got != "$want" ]]; then
		fail "field-$field" "driver chose field '$got'"
	elif [[ $bytes -ne $((5 * size)) ]]; then
		fail "field-$field" "got $bytes bytes, expected 5 x $size (field reported as '$got')"
	elif [[ $(od -An -tx1 -N 65536 -j $((size / 2)) $out | tr -d ' \n' | tr -d 0 | wc -c) -eq 0 ]]; then
		fail "field-$field" "frames are all zero"
	else
		pass "field-$field ($got, 5 x $size bytes)"
	fi
	rm -f $out
done
vm_done
