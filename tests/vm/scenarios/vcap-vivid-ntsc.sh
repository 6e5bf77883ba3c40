#!/bin/bash
# vm: disks=3 size=1G modules=md-mod,raid0,xfs vivid="n_devs=1 node_types=0x1" needs=vcap timeout=600
# vcap from vivid's S-Video input at NTSC 720x480 YUYV onto md RAID0 + XFS, in every field mode
# (progressive from the webcam input), each file checked with ffprobe/ffmpeg: frame count,
# field order, tag, framemd5, decode, buffer mode and copy counter. --start-field bottom where
# the mode allows it, refused where it does not. ALTERNATE runs last: vivid keeps a field-high
# compose rectangle after it.
# shellcheck source=tests/vm/lib.sh
. "$VM_LIB"
# shellcheck source=tests/vm/vivid-lib.sh
. "$VM_REPO/tests/vm/vivid-lib.sh"
vivid_raid0_xfs
sd=(--input 2 --std ntsc --size 720x480 --format YUYV)

vcap_ok ntsc-none 6 progressive 2vuy "dmabuf (zero copy)" --input 0 --size 640x360 --format UYVY --field none
vcap_ok ntsc-itb 8 tb yuvs "dmabuf (zero copy)" "${sd[@]}" --field interlaced-tb
# the driver's BT.601 pixel aspect (VIDIOC_CROPCAP) decides pasp: 4:3 over the whole frame
expect_eq "ntsc-itb-aspect-from-driver" "$(json_get ntsc-itb.json aspect.from) $(json_get ntsc-itb.json aspect.display)" "the device 4:3"
expect_eq "ntsc-itb-ffprobe-dar" "$(ffprobe -v error -select_streams v:0 -show_entries stream=display_aspect_ratio -of csv=p=0 ntsc-itb.mov </dev/null)" "4:3"
vcap_ok ntsc-ibt 8 bt yuvs "dmabuf (zero copy)" "${sd[@]}" --field interlaced-bt --start-field bottom
vcap_ok ntsc-stb 8 tt yuvs "dmabuf (zero copy)" "${sd[@]}" --field seq-tb
vcap_ok ntsc-sbt 8 bb yuvs "mmap + copy" "${sd[@]}" --field seq-bt --start-field bottom --buffers-mode mmap
vcap_refused ntsc-itb-bottom "interlaced-tb frames start with a top field" --device $DEV "${sd[@]}" --field interlaced-tb --start-field bottom
vcap_refused ntsc-none-sdtv "gives interlaced" --device $DEV "${sd[@]}" --field none
vcap_refused ntsc-alt-zero-copy "zero-copy" --device $DEV "${sd[@]}" --field alternate --zero-copy
# 525/60: within a sequence the bottom field comes first, so a frame starts on the bottom
vcap_ok ntsc-alt 8 bb yuvs "alternate fields paired by copy" "${sd[@]}" --field alternate
expect_eq "ntsc-alt-start" "$(json_get ntsc-alt.json start_field)" bottom
expect_eq "ntsc-alt-first-field" "$(awk '/^0 / { print $6 }' ntsc-alt.mov.vcj)" seq-bt
vcap_ok ntsc-alt-top 8 tt yuvs "alternate fields paired by copy" "${sd[@]}" --field alternate --start-field top
expect_eq "ntsc-alt-top-first-field" "$(awk '/^0 / { print $6 }' ntsc-alt-top.mov.vcj)" seq-tb
vivid_cleanup
vm_done
