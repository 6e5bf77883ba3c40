#!/usr/bin/env python3
"""Make the seed corpus of the fuzz targets in tests/fuzz/corpus/TARGET/seed-*: small MOVs
made by ffmpeg (UYVY, YUYV, v210, RGB, PCM sound, tmcd, field orders, fragments, moov first)
and by vcap's pattern source (aligned frames, sound, timecode, filled drops), the real-world
cases of tests/host/mov-cases.py and the hostile ones of tests/host/mov-hostile.py at a
small frame size; capture logs of vcap recordings cut as a kill leaves them (journal, NUL,
MOV) for fuzz-recover; timecode labels and option lines. The files are committed; run this
again (with ffmpeg and a built vcap) only to remake them. Regression seeds (regress-*) are
kept by hand and never touched here.

Usage: tests/fuzz/make-corpus.py [--vcap build/vcap]"""
import hashlib
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from fractions import Fraction

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
CORPUS = os.path.join(ROOT, "tests/fuzz/corpus")
VCAP = os.path.join(ROOT, "build/vcap")
if sys.argv[1:2] == ["--vcap"]:
    VCAP = os.path.abspath(sys.argv[2])


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def vcap(*args):
    subprocess.run([VCAP, "-q", "--rate", "max", *args], check=True, stdin=subprocess.DEVNULL)


def clear(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    return d


def put(d, name, data):
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def video(size="16x8", rate="25", frames=3):
    seconds = (frames - 0.5) / float(Fraction(rate))  # frames, not a half more
    return ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds:.4f}"]


def sound(channels=1):
    return ["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=8000:duration=0.12",
            "-ac", str(channels)]


UYVY = ["-c:v", "rawvideo", "-pix_fmt", "uyvy422", "-tag:v", "2vuy"]
AV = ["-map", "0:v", "-map", "1:a"]

FFMPEG_FILES = {
    "ff-uyvy": video() + UYVY,
    "ff-yuyv": video() + ["-c:v", "rawvideo", "-pix_fmt", "yuyv422", "-tag:v", "yuvs"],
    "ff-v210": video("48x2") + ["-c:v", "v210"],
    "ff-rgb24-odd": video("15x4") + ["-c:v", "rawvideo", "-pix_fmt", "rgb24"],
    "ff-argb": video("8x4") + ["-c:v", "rawvideo", "-pix_fmt", "argb"],
    "ff-tmcd": video() + UYVY + ["-timecode", "01:00:00:00"],
    "ff-tmcd-drop": video(rate="30000/1001") + UYVY + ["-timecode", "00:59:59;29"],
    "ff-field-tt": video() + UYVY + ["-field_order", "tt"],
    "ff-field-bt": video() + UYVY + ["-field_order", "bt"],
    "ff-pcm16": video() + ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=0.12"] + AV +
    UYVY + ["-c:a", "pcm_s16le"],
    "ff-pcm24-stereo": video() + ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=0.12"] +
    AV + UYVY + ["-c:a", "pcm_s24le", "-ac", "2"],
    "ff-pcm16be": video() + ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=0.12"] + AV +
    UYVY + ["-c:a", "pcm_s16be"],
    "ff-pcm32-2tracks": video() + ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=0.12"] +
    ["-map", "0:v", "-map", "1:a", "-map", "1:a"] + UYVY + ["-c:a", "pcm_s32le"],
    "ff-frag": video(frames=4) + UYVY + ["-movflags", "frag_keyframe+empty_moov"],
    "ff-faststart": video() + UYVY + ["-movflags", "+faststart"],
    "ff-aspect-colour": video() + UYVY + ["-aspect", "4:3", "-color_primaries", "bt709",
                                          "-color_trc", "bt709", "-colorspace", "bt709"],
}

VCAP_FILES = {
    "vcap-tff": ["--size", "16x8", "-n", "2", "--field", "interlaced-tb"],
    "vcap-v210-tc": ["--size", "48x2", "--format", "v210", "-n", "2", "--rate", "25",
                     "--timecode", "23:59:59:24"],
    "vcap-tc-drop": ["--size", "16x8", "-n", "2", "--rate", "30000/1001",
                     "--timecode", "00:00:59;29"],
    "vcap-fill": ["--size", "16x8", "-n", "3", "--pattern", "drop-every=2", "--fill-drops"],
    "vcap-tc-break": ["--size", "16x8", "-n", "3", "--rate", "25",
                      "--pattern", "timecode=10:00:00:00,tc-jump-every=2"],
    "vcap-audio": ["--size", "16x8", "-n", "2", "--rate", "25", "--audio", "pattern",
                   "--audio-rate", "8000", "--audio-channels", "1", "--audio-format", "s16"],
    "vcap-audio-pairs": ["--size", "16x8", "-n", "2", "--rate", "25", "--audio", "pattern",
                         "--audio-rate", "8000", "--audio-channels", "3", "--audio-format", "s24",
                         "--audio-tracks", "pairs"],
}


def top_boxes(data):
    off = 0
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
        elif size == 0:
            size = len(data) - off
        yield off, size, kind
        off += size


def killed(mov, log):
    """The file and its log as kill -9 leaves them: no moov, no end line."""
    data = open(mov, "rb").read()
    for off, size, kind in top_boxes(data):
        if kind == b"moov":
            data = data[:off]
    lines = [l for l in open(log, "rb").read().split(b"\n") if l and not l.startswith(b"end ")]
    return b"\n".join(lines) + b"\n", data


def small_cases(mod, sizes):
    """The module's ffmpeg helpers at a small frame size (the test uses 320x240)."""
    lavfi = mod.lavfi
    mod.lavfi = lambda size, rate, frames: lavfi(sizes.get(size, size), rate, min(frames, 10))
    return mod


def main():
    tmp = tempfile.mkdtemp(prefix="vcap-corpus.")
    os.chdir(tmp)
    reader, recover = clear("reader"), clear("recover")
    for name, args in FFMPEG_FILES.items():
        ffmpeg(*args, name + ".mov")
        put(reader, name, open(name + ".mov", "rb").read())
    for name, args in VCAP_FILES.items():
        side = ["--md5", name + ".md5"] if "tc" in name or "audio" in name else []
        vcap(*args, *side, "-o", name + ".mov")
        put(reader, name, open(name + ".mov", "rb").read())
        journal, cut = killed(name + ".mov", name + ".mov.vcj")
        put(recover, name, journal + b"\0" + cut)
    # journals alone, against fuzz-recover's fixed MOV: 16x8 UYVY frames i = 0..3 of bytes
    # 16 i + 1 at 4096 (i + 1)
    head = ("vcj 1\nformat UYVY\nsize 16x8\nrate 25/1\nfield progressive\ncolour bt601-525\n"
            "sar 0/0\ntimecode {tc}\ndata_start 4096\npid 1\nrecording {rid}\n"
            "columns frame offset size pts sequence field flags timestamp timecode md5 note\n")
    for name, tc, md5, n in (("fixed-md5", "-", True, 4), ("fixed-tc", "01:00:00:00", False, 3),
                             ("fixed-past-end", "-", False, 6)):
        lines = [head.format(tc=tc, rid="0" * 32)]
        for i in range(n):
            h = hashlib.md5(bytes([16 * i + 1]) * 256).hexdigest() if md5 else "-"
            lines.append(f"{i} {4096 * (i + 1)} 256 {i} {i} none 0x00002000 1.000000000 - {h} -\n")
        put(recover, name, "".join(lines).encode())
    cases = small_cases(load("mov_cases", os.path.join(ROOT, "tests/host/mov-cases.py")),
                        {"320x240": "64x8", "64x32": "16x8", "321x8": "15x4"})
    for name, fn in cases.CASES.items():
        try:
            fn(name + ".mov")
        except (SystemExit, subprocess.CalledProcessError) as e:  # needs its own sizes
            print(f"make-corpus: mov-cases {name} left out: {e}", file=sys.stderr)
            continue
        put(reader, "case-" + name, open(name + ".mov", "rb").read())
    hostile = load("mov_hostile", os.path.join(ROOT, "tests/host/mov-hostile.py"))
    for name, fn in hostile.CASES.items():
        fn(name + ".mov")
        put(reader, "hostile-" + name, open(name + ".mov", "rb").read())

    tc = clear("timecode")
    for i, label in enumerate(["01:00:00:00", "00:59:59;29", "23:59:59:24", "00:01:00;02",
                               "10:00:00.00", "00;00;00;00", "12:34:56:59"]):
        put(tc, f"label-{i}", label.encode())
    # with an offset and a rate of its own: 2^40 frames later at 60000/1001
    put(tc, "label-offset-rate", b"00:09:59;28\0" + struct.pack("<qII", 1 << 40, 60000, 1001))

    opts = clear("options")
    for i, text in enumerate([
            "--size 720x576\n--rate 25\n--field interlaced-tb\n--fields 10\n",
            "--rate 29.97\n--timecode 01:00:00;00\n-t 00:00:10;00\n",
            "--rate 30000/1001\n--start-timecode 00:59:59;28\n--stop-timecode 01:00:00;02\n",
            "--format v210\n--size 1920x1080\n-t 2.5\n--aspect 16:9\n--colour bt709\n",
            "--pattern timecode=01:00:00:00,drop-every=5,tc-jump-every=7\n--on-drop fail\n",
            "--audio pattern\n--audio-channels 8\n--audio-rate 48000\n--audio-format s24\n"
            "--audio-tracks pairs\n--audio-drift fail=100\n",
            "--align 192K\n--source v4l2\n--device /dev/video0\n--rate 25\n-n 100\n",
            "--mode 720x576@50\n--loop 0\n--latency 500\n--preroll 4\n--audio-buffer 200\n",
            "--bytes 2G\n--seconds 5\n--batch 8\n--depth 4\n-o a.mov\n--md5 a.mov\n"]):
        put(opts, f"line-{i}", text.encode())
    os.chdir(ROOT)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
