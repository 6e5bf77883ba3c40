#!/bin/bash
# vm: modules=snd-aloop needs=vmprogs/prog-alsa timeout=600
# The ALSA audio source (capture/alsa.c) on snd-aloop's loopback cable: a counter played into
# hw:Loopback,0,0 and captured from hw:Loopback,1,0 (tests/vm/prog-alsa.c): sample indexes
# against CLOCK_MONOTONIC and every sample against the counter in each stored format, an
# overrun counted and stood in for exactly, silence before a device that started after t0,
# rates, formats and channel counts refused with what the device offers, and the drift measured
# from the clock pairs with the capture side's "PCM Rate Shift 100000" control at 100100 (its
# clock then runs 1000 ppm slow: aloop advances it by 100000/100100 of the nominal rate).
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"

cap=hw:CARD=Loopback,DEV=1,SUBDEV=0
play=hw:CARD=Loopback,DEV=0,SUBDEV=0
prog=$VM_BUILD/vmprogs/prog-alsa

# prog NAME ARG...: run prog-alsa; exit 77 (format refused) is a SKIP, other failures FAIL.
prog() {
	local name=$1 rc
	shift
	echo "+ prog-alsa $*"
	"$prog" "$@"
	rc=$?
	case $rc in
	0 | 1) ;; # its own PASS/FAIL lines
	77) skip "$name" "the device refuses it (see above)" ;;
	*) fail "$name" "prog-alsa exited with status $rc" ;;
	esac
}

# The capture side's rate shift: the control for device 1, subdevice 0.
rate_shift_numid() {
	amixer -c Loopback controls | grep "name='PCM Rate Shift 100000'" | grep ',device=1' |
		grep -v 'subdevice=[1-9]' | sed -n 's/^numid=\([0-9]*\),.*/\1/p' | head -n 1
}

[[ -e /dev/snd/controlC0 ]] && pass "aloop-card" || { fail "aloop-card" "no /dev/snd/controlC0"; vm_done; }
arecord -l
amixer -c Loopback controls | grep -i shift
prog info info "$cap"
prog refuse refuse "$cap" "$play"

prog signal-auto signal "$cap" "$play" auto 10
prog signal-s16 signal "$cap" "$play" s16 5
prog signal-s24 signal "$cap" "$play" s24 5
prog signal-s32 signal "$cap" "$play" s32 5
prog xrun xrun "$cap" "$play" auto 2500
prog lead lead "$cap" "$play" 100
# S24_LE (24 bits in 4 bytes) is stored packed in 3: a capture PCM that offers only that one
# (the hw plugin's format restriction, from an .asoundrc under a private HOME)
mkdir -p /tmp/alsahome
echo 'pcm.cap_s24le { type hw card Loopback device 1 subdevice 0 format S24_LE }' >/tmp/alsahome/.asoundrc
HOME=/tmp/alsahome prog signal-s24le signal cap_s24le "$play" s24 5

prog drift-nominal drift "$cap" 15 0 50
numid=$(rate_shift_numid)
if [[ -z $numid ]]; then
	fail "rate-shift" "no 'PCM Rate Shift 100000' control for device 1"
else
	run amixer -c Loopback cset numid="$numid" 100100
	prog drift-shifted drift "$cap" 20 -999 50
	run amixer -c Loopback cset numid="$numid" 100000
fi
vm_done
