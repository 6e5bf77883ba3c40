#!/usr/bin/env bash
# vbench and the writer on a real XFS made with a 3 x 64 KiB stripe (not a power of two):
# the stripe is found, every batch starts at a multiple of it, and the device placement is
# reported from FIEMAP with advice when the allocator put extents off the stripe.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_loop
need_tools mkfs.xfs

mkfs_loop 2G mkfs.xfs -f -d su=64k,sw=3 || { echo "FAIL: xfs-setup: mkfs.xfs/mount failed"; exit 1; }
mnt=$MNT
out=$TMP/v.json
"$BIN/vbench" --bytes 256M --json "$mnt/v.dat" >"$out" 2>"$TMP/err"
check xfs-vbench-exit 0 $?
check xfs-stripe-unit 196608 "$(json "$out" "j['align']['unit']")"
check xfs-stripe-source xfs "$(json "$out" "j['align']['source']")"
check xfs-data-disks 3 "$(json "$out" "j['align']['data_disks']")"
check xfs-batches-aligned True "$(json "$out" "j['batches'] > 0 and j['batch_offsets_aligned'] == j['batches']")"
check xfs-fiemap-mapped True "$(json "$out" "j['fiemap']['mapped'] == j['batches'] and 0 <= j['fiemap']['aligned'] <= j['batches']")"
check xfs-readback-clean 0 "$(json "$out" "j['read']['bad_frames']")"
check xfs-file-removed no "$([[ -e $mnt/v.dat ]] && echo yes || echo no)"

# The human report names the unit and why, and says what to do about off-stripe extents.
"$BIN/vbench" --bytes 128M --write-only "$mnt/v.dat" >"$TMP/text" 2>&1
if grep -q '^alignment 192 KiB = xfs' "$TMP/text"; then pass xfs-report-why; else fail xfs-report-why "$(grep alignment "$TMP/text")"; fi
placement=$(grep -o 'on loop[0-9]* [0-9]* of [0-9]* start 192 KiB-aligned (FIEMAP)' "$TMP/text")
read -r _ _ aligned _ mapped _ <<<"$placement"
if [[ -z $placement ]]; then
	fail xfs-report-placement "no FIEMAP placement line: $(grep placement "$TMP/text")"
elif [[ $aligned -lt $mapped ]] && ! grep -q 'swalloc' "$TMP/text"; then
	fail xfs-report-placement "$aligned of $mapped aligned but no advice given"
else
	pass xfs-report-placement
fi

# --align overrides the geometry, and says so.
"$BIN/vbench" --bytes 64M --align 4096 --json --write-only "$mnt/v.dat" >"$out" 2>/dev/null
check xfs-align-override 4096 "$(json "$out" "j['align']['unit']")"
exit 0
