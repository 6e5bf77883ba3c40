#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=600
# vcap from vivid's HDMI input with DV timings 1280x720p60 and 1920x1080p30 onto md RAID0 + XFS
# (zero copy: the device fills the slab's udmabufs, the copy counter stays 0), the MMAP + copy
# fallback counting one copy per frame, --zero-copy refusing a fallback, and the refusals
# (format, standard, size, timings, missing device): one line naming what the device offers,
# exit 3, no file left behind.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/vivid-lib.sh
. "$VM_REPO/tests/vm/vivid-lib.sh"
vivid_raid0_xfs

vcap_ok hd-720p 4 progressive 2vuy "dmabuf (zero copy)" --input 3 --dv-timings 1280x720p60 --format UYVY --field none
expect_eq "hd-720p-rate" "$(json_get hd-720p.json rate)" 60/1
vcap_ok hd-1080p 3 progressive yuvs "dmabuf (zero copy)" --input 3 --dv-timings 1920x1080p30 --format YUYV --field none --zero-copy
expect_eq "hd-1080p-stripe" "$(json_get hd-1080p.json align.unit)" 196608
vcap_ok hd-720p-mmap 4 progressive 2vuy "mmap + copy" --input 3 --dv-timings 1280x720p60 --format UYVY --buffers-mode mmap
expect_eq "hd-720p-mmap-bytes" "$(json_get hd-720p-mmap.json copied_bytes)" $((4 * 1280 * 720 * 2))
vcap_refused hd-zero-copy-mmap "zero-copy" --device $DEV --input 3 --dv-timings 1280x720p60 --buffers-mode mmap --zero-copy

vcap_refused bad-format "--format v210: /dev/video0 does not offer it \(it offers YUYV, UYVY" --device $DEV --input 2 --std pal --format v210
vcap_refused bad-std "--std secam-x: /dev/video0 does not offer it \(it offers NTSC.*PAL" --device $DEV --input 2 --std secam-x
vcap_refused bad-std-hdmi "--std pal: input 3 .* has no analog standards \(it takes --dv-timings\)" --device $DEV --input 3 --std pal
vcap_refused bad-timings "--dv-timings 1280x721p60: /dev/video0 does not offer it \(it offers .*1280x720p60" --device $DEV --input 3 --dv-timings 1280x721p60
vcap_refused bad-input "--input 9: /dev/video0 has no such input \(it has 0 'Webcam" --device $DEV --input 9
vcap_refused missing-device "--device /dev/video9: No such file or directory \(video devices here: /dev/video0" --device /dev/video9
vcap_refused bad-rate "--rate 30/1: /dev/video0 runs at 25/1" --device $DEV --input 2 --std pal --size 720x576 --rate 30
vcap_refused bad-size "--size 9998x9998: /dev/video0 gives" --device $DEV --input 2 --std pal --size 9998x9998
vivid_cleanup
vm_done
