#!/usr/bin/env python3
"""Real-world MOV cases for the reader: each is a few frames made by ffmpeg, some with a few
bytes of the moov patched the way other tools write them.

Usage: mov-cases.py CASE OUT.mov     (mov-cases.py --list prints the cases)

Patches rewrite only the moov (which ffmpeg puts after the mdat, so no chunk offset moves); a
patch that needs sample data appends it after the moov in a 'free' box. Box layout: ISO/IEC
14496-12 and Apple's QuickTime File Format (stsd, stsc, elst, tmcd)."""
import os
import struct
import subprocess
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


class Box:
    def __init__(self, kind, body=b"", children=None):
        self.kind, self.body, self.children = kind, body, children

    def find(self, kind):
        return [c for c in self.children if c.kind == kind]

    def one(self, path):
        b = self
        for k in path.split("/"):
            b = b.find(k.encode())[0]
        return b

    def pack(self):
        data = b"".join(c.pack() for c in self.children) if self.children is not None else self.body
        return struct.pack(">I4s", len(data) + 8, self.kind) + data


def parse(data):
    out, off = [], 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            size, hdr = struct.unpack(">Q", data[off + 8:off + 16])[0], 16
        elif size == 0:
            size = len(data) - off
        body = data[off + hdr:off + size]
        out.append(Box(kind, children=parse(body)) if kind in CONTAINERS else Box(kind, body))
        off += size
    return out


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def lavfi(size, rate, frames):
    return ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}", "-frames:v", str(frames)]


UYVY = ["-c:v", "rawvideo", "-pix_fmt", "uyvy422", "-tag:v", "2vuy"]


def load(path):
    """The file split at its moov: (bytes before, moov box, bytes after)."""
    data = open(path, "rb").read()
    off = 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        if kind == b"moov":
            return data[:off], Box(b"moov", children=parse(data[off + 8:off + size])), data[off + size:]
        off += size
    sys.exit(f"{path}: no moov")


def store(path, head, moov, tail=b""):
    with open(path, "wb") as f:
        f.write(head + moov.pack() + tail)


def track(moov, handler):
    for t in moov.find(b"trak"):
        if t.one("mdia/hdlr").body[8:12] == handler:
            return t
    sys.exit(f"no {handler} track")


def u32(b, off):
    return struct.unpack(">I", b[off:off + 4])[0]


def set32(b, off, v):
    return b[:off] + struct.pack(">I", v) + b[off + 4:]


def video_delta(t):
    return u32(t.one("mdia/minf/stbl/stts").body, 12)  # first stts entry's delta


def set_elst(out, media_frames, keep_frames, frames):
    """An edit that starts media_frames in and lasts keep_frames (movie timescale)."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", 25, frames), *UYVY, src)
    head, moov, tail = load(src)
    os.unlink(src)
    movie_ts = u32(moov.one("mvhd").body, 12)
    t = track(moov, b"vide")
    delta = video_delta(t)
    media_ts = u32(t.one("mdia/mdhd").body, 12)
    elst = t.one("edts/elst")
    dur = keep_frames * delta * movie_ts // media_ts
    elst.body = elst.body[:8] + struct.pack(">IiI", dur, media_frames * delta, 0x10000)
    store(out, head, moov, tail)


def case_frag(out):
    ffmpeg(*lavfi("64x32", 25, 12), *UYVY, "-frag_duration", "200000", out)


def case_frag_empty_moov(out):
    ffmpeg(*lavfi("64x32", 25, 12), *UYVY, "-movflags", "frag_keyframe+empty_moov", out)


def case_rgb24_odd(out):
    ffmpeg(*lavfi("321x8", 25, 5), "-c:v", "rawvideo", "-pix_fmt", "rgb24", out)


def case_v210_pad64(out):
    """v210 640x4 whose rows are padded to 64 bytes (1728) instead of 128 (1792): written as
    YUYV rows of the same bytes, then the sample entry says v210 at 640 wide."""
    raw = out + ".v210"
    ffmpeg(*lavfi("640x4", 25, 5), "-c:v", "v210", "-f", "rawvideo", raw)
    data = open(raw, "rb").read()
    os.unlink(raw)
    rows = [data[i:i + 1728] for i in range(0, len(data), 1792)]
    with open(raw, "wb") as f:
        f.write(b"".join(rows))
    src = out + ".src.mov"
    ffmpeg("-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "864x4", "-r", "25", "-i", raw,
           "-c:v", "rawvideo", "-pix_fmt", "yuyv422", "-tag:v", "yuvs", src)
    os.unlink(raw)
    head, moov, tail = load(src)
    os.unlink(src)
    stsd = track(moov, b"vide").one("mdia/minf/stbl/stsd")
    e = bytearray(stsd.body)
    e[12:16] = b"v210"
    e[8 + 32:8 + 34] = struct.pack(">H", 640)
    stsd.body = bytes(e)
    store(out, head, moov, tail)


def case_elst_start(out):
    set_elst(out, 2, 8, 10)  # the media starts 2 frames in: 8 frames play


def case_elst_trim(out):
    set_elst(out, 0, 6, 10)  # the edit ends after 6 of 10 frames


def case_stsd2(out):
    """Two sample descriptions (2vuy, yuvs); the second chunk uses the second."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", 25, 10), *UYVY, src)
    head, moov, tail = load(src)
    os.unlink(src)
    stbl = track(moov, b"vide").one("mdia/minf/stbl")
    stsd, stsc = stbl.one("stsd"), stbl.one("stsc")
    entry = stsd.body[8:]
    second = entry[:4] + b"yuvs" + entry[8:]
    stsd.body = stsd.body[:4] + struct.pack(">I", 2) + entry + second
    n = u32(stsc.body, 4)
    if n < 2:
        sys.exit("stsd2: the source has one stsc entry; need two chunks")
    stsc.body = set32(stsc.body, 8 + 12 * (n - 1) + 8, 2)
    store(out, head, moov, tail)


def case_sizes2(out):
    """One frame 2 bytes short in a per-sample stsz, as a tool that cuts a damaged frame writes
    it: ffmpeg passes the short packet on; a player of whole frames must not."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", 25, 10), *UYVY, src)
    head, moov, tail = load(src)
    os.unlink(src)
    stsz = track(moov, b"vide").one("mdia/minf/stbl/stsz")
    size, n = u32(stsz.body, 4), u32(stsz.body, 8)
    sizes = [size] * n
    sizes[3] -= 2
    stsz.body = struct.pack(">III", 0, 0, n) + b"".join(struct.pack(">I", v) for v in sizes)
    store(out, head, moov, tail)


def case_tmcd_slow(out):
    """A damaged timecode description: frameDuration three times the timeScale, a third of a
    label a second (no label rate at all once rounded)."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", 25, 5), *UYVY, "-timecode", "10:00:00:00", src)
    head, moov, tail = load(src)
    os.unlink(src)
    stsd = track(moov, b"tmcd").one("mdia/minf/stbl/stsd")
    e = bytearray(stsd.body)
    scale = u32(e, 8 + 24)  # the entry: size, 'tmcd', 8 reserved, 4 reserved, flags, timeScale
    e[8 + 28:8 + 32] = struct.pack(">I", 3 * scale)  # frameDuration
    stsd.body = bytes(e)
    store(out, head, moov, tail)


def case_tmcd_break(out):
    """A timecode track with two samples: 10:00:00:00 for frames 0-4, then 10:00:40:00."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", 25, 10), *UYVY, "-timecode", "10:00:00:00", src)
    head, moov, tail = load(src)
    os.unlink(src)
    t = track(moov, b"tmcd")
    stbl = t.one("mdia/minf/stbl")
    tmcd_ts = u32(t.one("mdia/mdhd").body, 12)
    frame = tmcd_ts // 25
    stbl.one("stts").body = struct.pack(">II", 0, 2) + struct.pack(">IIII", 1, 5 * frame, 1, 5 * frame)
    stbl.one("stsz").body = struct.pack(">III", 0, 4, 2)
    first = u32(stbl.one("stco").body, 8)
    stco = stbl.one("stco")
    stco.body = struct.pack(">IIII", 0, 2, first, 0)  # sized first: the moov's length is final
    at = len(head) + len(moov.pack()) + 8
    stco.body = struct.pack(">IIII", 0, 2, first, at)
    label = (10 * 3600 + 40) * 25
    store(out, head, moov, struct.pack(">I4sI", 12, b"free", label) + tail)


def case_tmcd_counter(out):
    """59.94 fps whose timecode counts 30 a second (numberOfFrames 30, the counter flag), as
    some cameras write it; the sample holds half the 60-rate frame count."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", "60000/1001", 10), *UYVY, "-timecode", "01:00:00;00", src)
    head, moov, tail = load(src)
    os.unlink(src)
    t = track(moov, b"tmcd")
    stsd = t.one("mdia/minf/stbl/stsd")
    e = bytearray(stsd.body)
    flags = u32(e, 8 + 20) | 0x0008  # the entry: size, 'tmcd', 8 reserved, 4 reserved, flags
    e[8 + 20:8 + 24] = struct.pack(">I", flags)
    e[8 + 32] = 30  # numberOfFrames, after timescale and frameDuration
    stsd.body = bytes(e)
    off = u32(t.one("mdia/minf/stbl/stco").body, 8)
    head = bytearray(head)
    head[off:off + 4] = struct.pack(">I", u32(head, off) // 2)
    store(out, bytes(head), moov, tail)


def case_tmcd_2997(out):
    """29.97 drop-frame timecode described as timeScale 2997, frameDuration 100 (as some Apple
    tools write it) instead of FFmpeg's 30000/1001: the same 30 labels a second."""
    src = out + ".src.mov"
    ffmpeg(*lavfi("320x240", "30000/1001", 10), *UYVY, "-timecode", "00:59:59;28", src)
    head, moov, tail = load(src)
    os.unlink(src)
    stsd = track(moov, b"tmcd").one("mdia/minf/stbl/stsd")
    e = bytearray(stsd.body)
    e[8 + 24:8 + 32] = struct.pack(">II", 2997, 100)  # timeScale, frameDuration
    stsd.body = bytes(e)
    store(out, head, moov, tail)


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
    elif len(sys.argv) == 3 and sys.argv[1] in CASES:
        CASES[sys.argv[1]](sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} CASE OUT.mov | --list ({', '.join(CASES)})")
