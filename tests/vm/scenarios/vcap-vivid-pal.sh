#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=600
# vcap from vivid's S-Video input at PAL 720x576 UYVY onto md RAID0 + XFS, in every field mode
# (progressive from the webcam input), each file checked with ffprobe/ffmpeg: frame count,
# field order, tag, framemd5, decode, buffer mode and copy counter. --start-field bottom where
# the mode allows it, refused where it does not. ALTERNATE runs last: vivid keeps a field-high
# compose rectangle after it.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/vivid-lib.sh
. "$VM_REPO/tests/vm/vivid-lib.sh"
vivid_raid0_xfs
sd=(--input 2 --std pal --size 720x576 --format UYVY)

vcap_ok pal-none 6 progressive yuvs "dmabuf (zero copy)" --input 0 --size 640x360 --format YUYV --field none
vcap_ok pal-itb 8 tb 2vuy "dmabuf (zero copy)" "${sd[@]}" --field interlaced-tb
# the driver's BT.601 pixel aspect (VIDIOC_CROPCAP) decides pasp: 4:3 over the whole frame
expect_eq "pal-itb-aspect-from-driver" "$(json_get pal-itb.json aspect.from) $(json_get pal-itb.json aspect.display)" "the device 4:3"
expect_eq "pal-itb-ffprobe-dar" "$(ffprobe -v error -select_streams v:0 -show_entries stream=display_aspect_ratio -of csv=p=0 pal-itb.mov </dev/null)" "4:3"
vcap_ok pal-ibt 8 bt 2vuy "dmabuf (zero copy)" "${sd[@]}" --field interlaced-bt --start-field bottom
vcap_ok pal-stb 8 tt 2vuy "dmabuf (zero copy)" "${sd[@]}" --field seq-tb
vcap_ok pal-sbt 8 bb 2vuy "mmap + copy" "${sd[@]}" --field seq-bt --start-field bottom --buffers-mode mmap
vcap_refused pal-itb-bottom "interlaced-tb frames start with a top field" --device $DEV "${sd[@]}" --field interlaced-tb --start-field bottom
vcap_refused pal-none-sdtv "gives interlaced" --device $DEV "${sd[@]}" --field none
vcap_refused pal-alt-zero-copy "zero-copy" --device $DEV "${sd[@]}" --field alternate --zero-copy
vcap_ok pal-alt 8 tt 2vuy "alternate fields paired by copy" "${sd[@]}" --field alternate
expect_eq "pal-alt-first-field" "$(awk '/^0 / { print $6 }' pal-alt.mov.vcj)" seq-tb
vcap_ok pal-alt-bottom 8 bb 2vuy "alternate fields paired by copy" "${sd[@]}" --field alternate --start-field bottom
expect_eq "pal-alt-bottom-start" "$(json_get pal-alt-bottom.json start_field)" bottom
expect_eq "pal-alt-bottom-first-field" "$(awk '/^0 / { print $6 }' pal-alt-bottom.mov.vcj)" seq-bt
vivid_cleanup
vm_done
