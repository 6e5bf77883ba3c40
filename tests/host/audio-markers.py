#!/usr/bin/env python3
"""Check the pattern source's frame markers in decoded sound.

usage: audio-markers.py RAW BITS CHANNELS RATE FPS_NUM FPS_DEN [FRAMES]

RAW is interleaved little-endian signed PCM (ffmpeg -f s16le/s24le/s32le). The pattern
source puts a full-scale positive sample at the first sample of every frame k,
round(k x RATE x FPS_DEN / FPS_NUM), k's label (k modulo a quarter of full scale) in the
sample after it, and a quarter-scale tone everywhere else. Prints the
sample count, the markers found and the first marker that is off its frame; exits 1 when any
marker is missing, misplaced or extra, or when FRAMES is given and the count is not its share.
"""
import sys


def samples_at(k, rate, num, den):
    return (2 * k * rate * den + num) // (2 * num)


def main():
    path, bits, ch, rate, num, den = sys.argv[1], *map(int, sys.argv[2:7])
    frames = int(sys.argv[7]) if len(sys.argv) > 7 else None
    b = bits // 8
    data = open(path, "rb").read()
    n = len(data) // (b * ch)
    half = 1 << (bits - 2)
    bad = []
    found = 0
    expect = {}  # first sample of frame k -> k
    k = 0
    while True:
        s = samples_at(k, rate, num, den)
        if s >= n:
            break
        expect[s] = k
        k += 1
    for c in range(ch):
        for i in range(n):
            off = (i * ch + c) * b
            v = int.from_bytes(data[off:off + b], "little", signed=True)
            if v > half:
                found += c == 0
                if i not in expect:
                    bad.append(f"channel {c}: marker at sample {i} is no frame's first")
                elif i + 1 < n:
                    k = expect[i]
                    o = ((i + 1) * ch + c) * b
                    lab = int.from_bytes(data[o:o + b], "little", signed=True)
                    if lab != k & (((1 << (bits - 1)) - 1) >> 2):
                        bad.append(f"channel {c}: frame {k}'s label is {lab}")
            elif i in expect:
                bad.append(f"channel {c}: no marker at sample {i} (frame start)")
    print(f"samples {n} markers {found} expected {len(expect)}")
    if frames is not None and n != samples_at(frames, rate, num, den):
        bad.append(f"{n} samples, {frames} frames own {samples_at(frames, rate, num, den)}")
    for line in bad[:5]:
        print(line)
    return 1 if bad else 0


sys.exit(main())
