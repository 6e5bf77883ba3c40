#!/usr/bin/env python3
"""Read and replay a dm-log-writes log (the format of drivers/md/dm-log-writes.c, the same
one xfstests' src/log-writes/replay-log reads).

  log-writes.py index LOGDEV INDEX.json
      list every entry: its place in the log, target sector, sector count, flags, mark name
  log-writes.py replay LOGDEV INDEX.json TARGET FIRST LAST
      apply entries FIRST..LAST (inclusive) to TARGET: writes their data, zeroes discards

Layout: sector 0 of the log holds the super (magic, version, nr_entries, sectorsize; little
endian); from byte sectorsize on, each entry is one sector (sector, nr_sectors, flags,
data_len, then a mark's name) followed by nr_sectors sectors of data (none for a discard or a
mark). Sectors are the target's logical block size (the super's sectorsize).
"""
import fcntl
import json
import os
import struct
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK, METADATA = 1, 2, 4, 8, 16
BLKZEROOUT = 0x127F  # _IO(0x12, 127): zero a range of a block device


def read_at(fd, off, n):
    out = bytearray()
    while len(out) < n:
        b = os.pread(fd, n - len(out), off + len(out))
        if not b:
            raise SystemExit("log-writes.py: log ends early at byte %d" % (off + len(out)))
        out += b
    return bytes(out)


def index(logdev, out):
    fd = os.open(logdev, os.O_RDONLY)
    magic, version, nr, ss = struct.unpack("<QQQI", read_at(fd, 0, 28))
    if magic != MAGIC or version != 1:
        raise SystemExit("log-writes.py: %s: not a dm-log-writes log" % logdev)
    entries, pos = [], ss
    for i in range(nr):
        sector, count, flags, dlen = struct.unpack("<QQQQ", read_at(fd, pos, 32))
        mark = ""
        if flags & MARK:
            mark = read_at(fd, pos + 32, dlen).decode(errors="replace")
        data = 0 if flags & (DISCARD | MARK) else count
        entries.append({"i": i, "pos": pos, "sector": sector, "count": count,
                        "flags": flags, "mark": mark})
        pos += ss * (1 + data)
    os.close(fd)
    with open(out, "w") as f:
        json.dump({"sectorsize": ss, "entries": entries}, f)


def replay(logdev, idx, target, first, last):
    with open(idx) as f:
        log = json.load(f)
    ss = log["sectorsize"]
    lfd = os.open(logdev, os.O_RDONLY)
    tfd = os.open(target, os.O_WRONLY)
    for e in log["entries"][first:last + 1]:
        if e["flags"] & MARK or not e["count"]:
            continue
        n, off = e["count"] * ss, e["sector"] * ss
        if e["flags"] & DISCARD:  # what a discard leaves may read as zeroes: the strict case
            fcntl.ioctl(tfd, BLKZEROOUT, struct.pack("QQ", off, n))
        else:
            os.pwrite(tfd, read_at(lfd, e["pos"] + ss, n), off)
    os.fsync(tfd)
    os.close(tfd)
    os.close(lfd)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "index":
        index(a[1], a[2])
    elif len(a) == 6 and a[0] == "replay":
        replay(a[1], a[2], a[3], int(a[4]), int(a[5]))
    else:
        raise SystemExit(__doc__)
