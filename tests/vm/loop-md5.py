"""Compare frames captured through vivid's loop with the frames played into it.

usage: loop-md5.py PLAYED.raw CAPTURED.raw FRAME_BYTES

Prints one line per captured frame (the played frame it equals, or '-') and a summary line
"matched=N captured=M first=I last=J steps=S gaps=G repeats=R backwards=B
unmatched_after_start=U": steps counts consecutive captured frames that are consecutive played
frames, gaps those that skip played frames, repeats those that show the same frame again,
backwards those that go back to an earlier frame (order broken).
"""
import hashlib
import sys


def md5s(path, size):
    out = []
    with open(path, "rb") as f:
        while True:
            b = f.read(size)
            if len(b) < size:
                return out
            out.append(hashlib.md5(b).hexdigest())


played = md5s(sys.argv[1], int(sys.argv[3]))
captured = md5s(sys.argv[2], int(sys.argv[3]))
where = {m: i for i, m in enumerate(played)}
idx = [where.get(m, -1) for m in captured]
print("captured -> played:", " ".join(str(i) if i >= 0 else "-" for i in idx))
matched = [i for i in idx if i >= 0]
start = next((k for k, i in enumerate(idx) if i >= 0), len(idx))
unmatched_after = sum(1 for i in idx[start:] if i < 0)
steps = gaps = repeats = backwards = 0
for a, b in zip(matched, matched[1:]):
    if b == a + 1:
        steps += 1
    elif b > a + 1:
        gaps += 1
    elif b == a:
        repeats += 1
    else:
        backwards += 1
print(f"matched={len(matched)} captured={len(idx)} first={matched[0] if matched else -1} "
      f"last={matched[-1] if matched else -1} steps={steps} gaps={gaps} repeats={repeats} "
      f"backwards={backwards} "
      f"unmatched_after_start={unmatched_after}")
