#!/usr/bin/env python3
"""Hostile MOVs: a 5-frame 16x8 UYVY file made by ffmpeg, one frame per chunk, with one count,
offset or size in its sample tables or boxes patched to what no writer should write (a count
of 2^32-1, an offset past the end of the file or near 2^63, a 64-bit size, a zero size,
samples overlapping). The readers must refuse them with one line, or read them without going
outside the file; tests/host/mov-hostile.sh runs the tools on them, and tests/fuzz/make-corpus
keeps them as seeds of fuzz-reader.

Usage: mov-hostile.py CASE OUT.mov     (mov-hostile.py --list prints the cases)

Box layout: ISO/IEC 14496-12 (stsz, stsc, stco, co64) and Apple's QuickTime File Format."""
import os
import struct
import subprocess
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
W, H, FRAMES = 16, 8, 5
FRAME = W * H * 2  # UYVY


class Box:
    def __init__(self, kind, body=b"", children=None):
        self.kind, self.body, self.children = kind, body, children

    def one(self, path):
        b = self
        for k in path.split("/"):
            b = [c for c in b.children if c.kind == k.encode()][0]
        return b

    def pack(self):
        data = b"".join(c.pack() for c in self.children) if self.children is not None else self.body
        return struct.pack(">I4s", len(data) + 8, self.kind) + data


def parse(data):
    out, off = [], 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        size = len(data) - off if size == 0 else size
        body = data[off + 8:off + size]
        out.append(Box(kind, children=parse(body)) if kind in CONTAINERS else Box(kind, body))
        off += size
    return out


def source(out):
    """ffmpeg's file, split: (bytes before the moov, the moov, the offset of frame 0)."""
    src = out + ".src.mov"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={W}x{H}:rate=25", "-frames:v", str(FRAMES), "-c:v", "rawvideo",
                    "-pix_fmt", "uyvy422", "-tag:v", "2vuy", src], check=True)
    data = open(src, "rb").read()
    os.unlink(src)
    off = 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        if kind == b"moov":
            moov = Box(b"moov", children=parse(data[off + 8:off + size]))
            stco = moov.one("trak/mdia/minf/stbl/stco").body
            return data[:off], moov, struct.unpack(">I", stco[8:12])[0]
        off += size
    sys.exit("no moov")


def tables(moov, first, offsets=None, sizes=None, stsc=None, co64=False):
    """Rewrite the video track's stsz, stsc and stco (or co64): one frame per chunk."""
    stbl = moov.one("trak/mdia/minf/stbl")
    offsets = offsets if offsets is not None else [first + i * FRAME for i in range(FRAMES)]
    if sizes is None:
        stsz = struct.pack(">III", 0, FRAME, FRAMES)
    else:
        stsz = struct.pack(">III", 0, 0, len(sizes)) + b"".join(struct.pack(">I", s) for s in sizes)
    stbl.one("stsz").body = stsz
    stbl.one("stsc").body = stsc if stsc is not None else struct.pack(">IIIII", 0, 1, 1, 1, 1)
    co = stbl.one("stco")
    if co64:
        co.kind = b"co64"
        co.body = struct.pack(">II", 0, len(offsets)) + b"".join(struct.pack(">Q", o) for o in offsets)
    else:
        co.body = struct.pack(">II", 0, len(offsets)) + b"".join(struct.pack(">I", o) for o in offsets)


def write(out, head, moov, tail=b""):
    with open(out, "wb") as f:
        f.write(head + moov.pack() + tail)


def frames_at(first, **patch):
    offs = [first + i * FRAME for i in range(FRAMES)]
    for i, o in patch.items():
        offs[int(i[1:])] = o
    return offs


def case_stco_past_eof(out):
    """frame 3 a megabyte past the end of the file"""
    head, moov, first = source(out)
    tables(moov, first, offsets=frames_at(first, f3=len(head) + (1 << 20)))
    write(out, head, moov)


def case_co64_huge(out):
    """64-bit chunk offsets: frame 2 at 2^63 - 256, where offset + size still fits an int64"""
    head, moov, first = source(out)
    tables(moov, first, offsets=frames_at(first, f2=(1 << 63) - 256), co64=True)
    write(out, head, moov)


def case_co64_negative(out):
    """a 64-bit chunk offset of 2^64 - 1: -1 to a signed reader"""
    head, moov, first = source(out)
    tables(moov, first, offsets=frames_at(first, f1=(1 << 64) - 1), co64=True)
    write(out, head, moov)


def case_stsz_huge(out):
    """every frame 2^32 - 16 bytes: a 32-bit size no file of this size holds"""
    head, moov, first = source(out)
    tables(moov, first)
    moov.one("trak/mdia/minf/stbl/stsz").body = struct.pack(">III", 0, 0xFFFFFFF0, FRAMES)
    write(out, head, moov)


def case_stsz_30bit(out):
    """frames of 2^30 + 256 bytes: beyond the 30 bits of an AVIndexEntry's size"""
    head, moov, first = source(out)
    tables(moov, first, sizes=[FRAME, (1 << 30) + FRAME, FRAME, FRAME, FRAME])
    write(out, head, moov)


def case_stsz_zero(out):
    """every frame 0 bytes"""
    head, moov, first = source(out)
    tables(moov, first, sizes=[0] * FRAMES)
    write(out, head, moov)


def case_stsz_count_huge(out):
    """2^32 - 1 frames of constant size in the sample-size box, 5 chunk offsets"""
    head, moov, first = source(out)
    tables(moov, first)
    moov.one("trak/mdia/minf/stbl/stsz").body = struct.pack(">III", 0, FRAME, 0xFFFFFFFF)
    write(out, head, moov)


def case_stsz_table_short(out):
    """a per-sample size table that says 2^30 entries and holds 5"""
    head, moov, first = source(out)
    tables(moov, first, sizes=[FRAME] * FRAMES)
    body = moov.one("trak/mdia/minf/stbl/stsz").body
    moov.one("trak/mdia/minf/stbl/stsz").body = body[:8] + struct.pack(">I", 1 << 30) + body[12:]
    write(out, head, moov)


def case_stsc_huge(out):
    """one chunk of 2^32 - 1 samples: the frames run past the 5 the sizes give"""
    head, moov, first = source(out)
    tables(moov, first, offsets=[first], stsc=struct.pack(">IIIII", 0, 1, 1, 0xFFFFFFFF, 1))
    write(out, head, moov)


def case_stco_count_huge(out):
    """a chunk-offset box that says 2^30 entries and holds 5"""
    head, moov, first = source(out)
    tables(moov, first)
    co = moov.one("trak/mdia/minf/stbl/stco")
    co.body = co.body[:4] + struct.pack(">I", 1 << 30) + co.body[8:]
    write(out, head, moov)


def case_overlap(out):
    """frame 3 at frame 1's offset: samples that overlap, out of order"""
    head, moov, first = source(out)
    tables(moov, first, offsets=frames_at(first, f3=first + FRAME))
    write(out, head, moov)


def case_overlap_half(out):
    """frame 2 half a frame into frame 1"""
    head, moov, first = source(out)
    tables(moov, first, offsets=frames_at(first, f2=first + FRAME + FRAME // 2))
    write(out, head, moov)


def mdat_offset(head):
    off = 0
    while off + 8 <= len(head):
        size, kind = struct.unpack(">I4s", head[off:off + 8])
        if kind == b"mdat":
            return off
        off += size
    sys.exit("no mdat")


def case_mdat_size_huge(out):
    """the mdat's 32-bit size runs 4 GiB past the end of the file (the moov after it unseen)"""
    head, moov, first = source(out)
    tables(moov, first)
    at = mdat_offset(head)
    head = head[:at] + struct.pack(">I", 0xFFFFFFF0) + head[at + 4:]
    write(out, head, moov)


def case_mdat_size64(out):
    """a 64-bit mdat size (size 1 over the 'wide' box before it) of 2^64 - 1"""
    head, moov, first = source(out)
    tables(moov, first)
    at = mdat_offset(head)
    if head[at - 8:at] != struct.pack(">I4s", 8, b"wide"):
        sys.exit("no wide box before mdat")
    head = head[:at - 8] + struct.pack(">I4sQ", 1, b"mdat", (1 << 64) - 1) + head[at + 8:]
    write(out, head, moov)


def case_mdat_size_zero(out):
    """an mdat of size 0 (to the end of the file) before the moov"""
    head, moov, first = source(out)
    tables(moov, first)
    at = mdat_offset(head)
    head = head[:at] + struct.pack(">I", 0) + head[at + 4:]
    write(out, head, moov)


def case_moov_size_short(out):
    """a moov whose size ends inside its first track"""
    head, moov, first = source(out)
    tables(moov, first)
    data = bytearray(moov.pack())
    data[0:4] = struct.pack(">I", 64)
    with open(out, "wb") as f:
        f.write(head + bytes(data))


def frag(out):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={W}x{H}:rate=25", "-frames:v", "4", "-c:v", "rawvideo",
                    "-pix_fmt", "uyvy422", "-tag:v", "2vuy", "-movflags",
                    "frag_keyframe+empty_moov", out], check=True)
    return bytearray(open(out, "rb").read())


def case_tfhd_size_negative(out):
    """a fragment whose default sample size is 0xE66A5665: negative in libavformat's signed
    30-bit index entry, 3.8 GB to an unsigned reader"""
    data = frag(out)
    tfhd = data.find(b"tfhd") - 4
    flags = struct.unpack(">I", data[tfhd + 8:tfhd + 12])[0] & 0xFFFFFF
    if flags != 0x39:  # base offset, default duration, size and flags
        sys.exit(f"tfhd flags {flags:#x}, not ffmpeg's 0x39")
    data[tfhd + 28:tfhd + 32] = struct.pack(">I", 0xE66A5665)
    open(out, "wb").write(bytes(data))


def case_trun_count_huge(out):
    """a fragment whose trun counts 2^24 + 1 frames of the default size (no per-frame fields):
    16 million frames in a file of 2 KiB"""
    data = frag(out)
    tfhd = data.find(b"tfhd")
    data[tfhd + 7] &= 0xFE  # no base-data-offset: the moof's start
    trun = data.find(b"trun", data.find(b"trun") + 4)  # the second fragment's
    count = struct.unpack(">I", data[trun + 8:trun + 12])[0]
    data[trun + 8:trun + 12] = struct.pack(">I", count + (1 << 24))
    open(out, "wb").write(bytes(data))


def case_tfdt_huge(out):
    """a fragment whose decode time (tfdt, version 1: 64 bits) is 2^62 + 2^61 ticks: pts whose
    differences overflow int64_t"""
    data = frag(out)
    tfdt = data.find(b"tfdt", data.find(b"tfdt") + 4)  # the second fragment's
    if data[tfdt + 4] != 1:
        sys.exit(f"tfdt version {data[tfdt + 4]}, not ffmpeg's 1")
    data[tfdt + 8:tfdt + 16] = struct.pack(">Q", (1 << 62) + (1 << 61))
    open(out, "wb").write(bytes(data))


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
    elif len(sys.argv) == 3 and sys.argv[1] in CASES:
        CASES[sys.argv[1]](sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} CASE OUT.mov | --list ({', '.join(CASES)})")
