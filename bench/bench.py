#!/usr/bin/env python3
"""Disk benchmarks for vcap/vplay: vbench against fio, dd and ffmpeg.

Every writer stores the same amount of uncompressed frames on the same filesystem; the
readers read back what was written with a cold page cache. Results go to a table on stdout
and to a CSV file (default bench/out/results.csv).

How each run is measured (the same for every tool):
  bytes     frame payload: frames x frame bytes, the same for every tool (fio and dd move
            4 KiB-rounded slots on disk; their padding is not counted)
  seconds   wall clock from starting the command to its exit (for ffmpeg and vcap the
            time of a following `sync FILE` is included: it is their durability point;
            dd runs with conv=fsync, fio with end_fsync=1, vbench fsyncs itself)
  MB/s      bytes / seconds, 10^6 bytes per second
  CPU-s/GB  user+sys CPU time of the process and everything it waited for
            (getrusage(RUSAGE_CHILDREN) before and after, as /usr/bin/time does), per
            10^9 bytes
  own MB/s  the tool's own figure for its data phase, where it reports one (vbench, fio);
            it leaves out start-up and tear-down (fio spends ~0.3 s starting up)
Ratios are always "vbench / peer": for MB/s > 1 means vbench is faster, for CPU-s/GB < 1
means vbench uses less CPU. When the peer reports its own figure (fio) the ratio
compares own figures with own figures; otherwise (dd, ffmpeg, vcap) wall clock and rusage
for both. The "basis" column says which.
"""

import argparse
import csv
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PAGE = 4096

# vbench/vcap format name -> (ffmpeg input options, ffmpeg options to make such raw
# frames, bytes per frame as f(w, h)). Formats missing here run without ffmpeg.
def _raw(pix, bpp):
    return (["-f", "rawvideo", "-pix_fmt", pix], ["-pix_fmt", pix, "-f", "rawvideo"],
            lambda w, h: w * h * bpp)


FORMATS = {
    "UYVY": _raw("uyvy422", 2),
    "YUYV": _raw("yuyv422", 2),
    "V210": (["-f", "v210"], ["-c:v", "v210", "-f", "rawvideo"],
             lambda w, h: (w + 47) // 48 * 128 * h),
    "RGB24": _raw("rgb24", 3),
    "BGR24": _raw("bgr24", 3),
    "ARGB32": _raw("argb", 4),
    "ABGR32": _raw("bgra", 4),   # bytes B,G,R,A
    "BGRA32": _raw("abgr", 4),   # bytes A,B,G,R
    "RGBA32": _raw("rgba", 4),
    "XRGB32": _raw("0rgb", 4),
    "XBGR32": _raw("bgr0", 4),
    "BGRX32": _raw("0bgr", 4),
    "RGBX32": _raw("rgb0", 4),
    "RGB32": _raw("0rgb", 4),
    "BGR32": _raw("bgr0", 4),
}


def die(msg, code=2):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(code)


def note(msg):
    print(f"bench: note: {msg}", file=sys.stderr, flush=True)


def parse_bytes(s):
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B)?\s*", s, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad byte count '{s}' (e.g. 512M, 2G, 65536)")
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]
    return int(m.group(1)) * mult


def parse_size(s):
    m = re.fullmatch(r"(\d+)x(\d+)", s)
    if not m or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        raise argparse.ArgumentTypeError(f"bad size '{s}' (e.g. 1920x1080)")
    return int(m.group(1)), int(m.group(2))


def positive(s):
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"'{s}' must be >= 1")
    return v


def round_up(n, a):
    return (n + a - 1) // a * a


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class Interrupted(Exception):
    pass


class Bench:
    def __init__(self, args):
        self.a = args
        self.build = args.build
        self.created = []  # paths this run made, removed at the end (files and dirs)
        self.child = None
        self.runs = []  # one dict per measured run
        self.can_drop = True

    # ---- housekeeping -------------------------------------------------------------
    def track(self, path):
        self.created.append(path)
        return path

    def remove(self, path):
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            note(f"could not remove {path}: {e}")

    def cleanup(self):
        for p in reversed(self.created):
            self.remove(p)
        self.created = []

    def drop_caches(self):
        os.sync()
        if not self.can_drop:
            return
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
        except OSError as e:
            self.can_drop = False
            note(f"cannot drop the page cache ({e.strerror}; needs root): read runs may "
                 "be served partly from memory, and write runs may be slowed by writeback "
                 "of earlier runs")

    def settle(self):
        """Between runs: flush everything, empty the page cache."""
        self.drop_caches()

    # ---- running ------------------------------------------------------------------
    def timed(self, cmds):
        """Run argv lists one after another, stop at the first failure. Returns wall
        seconds, user+sys CPU seconds of them (and their waited-for children), the exit
        code, the stdout of the first command and the stderr of the failing or last one."""
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        out0 = None
        err = b""
        rc = 0
        for argv in cmds:
            try:
                self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as e:
                rc, err = 127, f"{argv[0]}: {e.strerror}".encode()
                break
            out, err = self.child.communicate()
            rc = self.child.returncode
            self.child = None
            if out0 is None:
                out0 = out
            if rc != 0:
                break
        t1 = time.monotonic()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        return t1 - t0, cpu, rc, (out0 or b"").decode(errors="replace"), err.decode(errors="replace")

    def record(self, tool, op, cmds, payload, raw=None, parse=None, path=None,
               label=None):
        """Measure one run that moves `payload` bytes of frames (frames x frame bytes).
        raw: the bytes it moves on disk, slot padding included, when parse reports raw
        bytes. path: a file that must hold at least payload bytes after a write.
        parse(stdout) -> dict with any of: bytes (payload, as vbench counts), raw_bytes,
        own_seconds, own_cpu_s, max_lat_ms."""
        if self.a.verbose:
            for c in cmds:
                print("  $ " + " ".join(c), file=sys.stderr, flush=True)
        secs, cpu, rc, out, err = self.timed(cmds)
        r = {"tool": tool, "op": op, "label": label or tool, "rc": rc, "seconds": secs,
             "cpu_s": cpu, "bytes": payload, "own_mbps": None, "own_cpu_s_per_gb": None,
             "max_lat_ms": None, "error": None}
        extra = {}
        if rc != 0:
            tail = " | ".join(l for l in err.strip().splitlines()[-3:])
            r["error"] = f"exit {rc}: {tail}" if tail else f"exit {rc}"
        elif parse:
            try:
                extra = parse(out)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                r["error"] = f"cannot parse its output ({e}): {out[:200]!r}"
        if r["error"] is None:
            if extra.get("bytes") is not None:
                r["bytes"] = extra["bytes"]
            elif extra.get("raw_bytes") is not None and raw:
                if extra["raw_bytes"] != raw:
                    note(f"{tool} {op} moved {extra['raw_bytes']} bytes, not {raw}")
                r["bytes"] = payload * extra["raw_bytes"] // raw
            if op == "write" and path and os.path.exists(path) and os.path.getsize(path) < payload:
                r["error"] = (f"wrote a {os.path.getsize(path)}-byte file, less than the "
                              f"{payload} bytes of frames")
            elif not r["bytes"]:
                r["error"] = "moved no bytes"
        if r["error"] is None:
            gb = r["bytes"] / 1e9
            r["mbps"] = r["bytes"] / secs / 1e6
            r["cpu_s_per_gb"] = cpu / gb
            if extra.get("own_seconds"):
                r["own_mbps"] = r["bytes"] / extra["own_seconds"] / 1e6
                # what the user waits for outside the data phase: set-up, start, tear-down
                r["startup_s"] = secs - extra["own_seconds"]
            if extra.get("own_cpu_s") is not None:
                r["own_cpu_s_per_gb"] = extra["own_cpu_s"] / gb
            r["max_lat_ms"] = extra.get("max_lat_ms")
            r["json"] = extra.get("json")
            own = f", own {r['own_mbps']:.0f} MB/s" if r["own_mbps"] else ""
            print(f"  {r['label']:<18} {op:<5} {r['bytes'] / 1e6:7.0f} MB {secs:7.2f} s "
                  f"{r['mbps']:7.0f} MB/s {r['cpu_s_per_gb']:6.3f} CPU-s/GB{own}", flush=True)
        else:
            r["mbps"] = r["cpu_s_per_gb"] = None
            note(f"{tool} {op} failed: {r['error']}")
        self.runs.append(r)
        return r

    def skip(self, tool, op, why, label=None):
        self.runs.append({"tool": tool, "op": op, "label": label or tool, "skipped": why})


# ---- output parsers -------------------------------------------------------------------
def first_json(out):
    i = out.find("{")
    if i < 0:
        raise ValueError("no JSON object")
    return json.JSONDecoder().raw_decode(out[i:])[0]


def parse_vbench(which):
    def p(out):
        j = first_json(out)
        w = j[which]
        if w.get("error"):
            raise ValueError(f"vbench reports: {w['error']}")
        if w.get("bad_frames"):
            raise ValueError(f"vbench read back {w['bad_frames']} bad frames")
        nbytes = int(w["bytes"])  # frame payload
        if w.get("cpu_seconds") is not None:
            cpu = float(w["cpu_seconds"])
        elif w.get("cpu_s_per_gb") is not None:
            cpu = float(w["cpu_s_per_gb"]) * nbytes / 1e9
        else:
            cpu = None
        return {"bytes": nbytes, "own_seconds": float(w["seconds"]), "own_cpu_s": cpu,
                "max_lat_ms": float(w["max_lat_ms"]) if "max_lat_ms" in w else None,
                "json": j}
    return p


def parse_fio(which):
    def p(out):
        j = first_json(out)
        job = j["jobs"][0]
        if job.get("error"):
            raise ValueError(f"fio job error {job['error']}")
        d = job[which]
        nbytes = int(d["io_bytes"])
        # bw_bytes is io_bytes over the I/O phase; usr_cpu/sys_cpu are percent of one CPU
        # over the job's runtime
        secs = nbytes / float(d["bw_bytes"]) if d.get("bw_bytes") else None
        runtime = (job.get("job_runtime") or d["runtime"]) / 1000.0
        cpu = (float(job["usr_cpu"]) + float(job["sys_cpu"])) / 100.0 * runtime
        lat = d.get("clat_ns", {}).get("max")
        return {"raw_bytes": nbytes, "own_seconds": secs, "own_cpu_s": cpu,
                "max_lat_ms": lat / 1e6 if lat else None}
    return p


def parse_vplay(out):
    j = first_json(out)
    if j.get("error"):
        raise ValueError(f"vplay reports: {j['error']}")
    return {"bytes": int(j["bytes"]), "own_seconds": float(j["seconds"]),
            "max_lat_ms": float(j["max_read_ms"]), "json": j}


def median_or_none(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def main():
    ap = argparse.ArgumentParser(
        prog="bench/run",
        description="Write (and read back) the same uncompressed frames with vbench, fio, "
                    "dd and ffmpeg on one filesystem; print MB/s, CPU-s/GB and vbench/peer "
                    "ratios, and write them as CSV.",
        epilog="Runs need root for dropping the page cache between runs. Every file the "
               "benchmark makes is removed at the end, except the CSV files.")
    ap.add_argument("--dir", help="directory on the filesystem to test (a private "
                    "subdirectory is made inside it and removed); default bench/out/")
    ap.add_argument("--size", type=parse_size, default=(1920, 1080), metavar="WxH")
    ap.add_argument("--format", default="UYVY", metavar="FOURCC")
    ap.add_argument("--rate", default="30000/1001", metavar="N/D",
                    help="frame rate written into the MOV files (default 30000/1001)")
    ap.add_argument("--bytes", type=parse_bytes, default=2 << 30, metavar="N",
                    help="amount to write per run, K/M/G suffixes (default 2G); rounded "
                         "down to whole batches")
    ap.add_argument("--batch", type=positive, default=8, metavar="V",
                    help="frames per write (default 8)")
    ap.add_argument("--depth", type=positive, default=4, metavar="Q",
                    help="writes in flight (default 4)")
    ap.add_argument("--repeat", type=positive, default=1, metavar="N",
                    help="run everything N times, report medians (default 1)")
    ap.add_argument("--only", default="vbench,fio,dd,ffmpeg,vcap,vplay", metavar="LIST",
                    help="comma-separated subset of vbench,fio,dd,ffmpeg,vcap,vplay (vplay "
                         "reads the file vcap wrote, so it needs vcap)")
    ap.add_argument("--no-read", action="store_true", help="skip the read runs")
    ap.add_argument("--dd-source", choices=("frames", "zero"), default="frames",
                    help="what dd copies: the frames file in /dev/shm (default) or "
                         "/dev/zero (an upper bound: no source to read)")
    ap.add_argument("--csv", default=os.path.join(ROOT, "bench", "out", "results.csv"),
                    help="CSV of the results (default bench/out/results.csv); the single "
                         "runs go to the same name with -runs before .csv")
    ap.add_argument("--build", default=os.environ.get("BUILD") or "build",
                    help="build directory with vbench and vcap (default $BUILD or build)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every command")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    fmt_key = a.format.upper()
    if not os.path.isabs(a.build):
        a.build = os.path.join(ROOT, a.build)
    only = set(x.strip() for x in a.only.split(",") if x.strip())
    unknown = only - {"vbench", "fio", "dd", "ffmpeg", "vcap", "vplay"}
    if unknown:
        die(f"--only: unknown tool(s) {','.join(sorted(unknown))}")
    if not re.fullmatch(r"\d+(/\d+)?", a.rate):
        die(f"bad --rate '{a.rate}' (e.g. 30000/1001 or 25)")

    b = Bench(a)

    def on_signal(signum, frame):
        if b.child and b.child.poll() is None:
            b.child.terminate()
        raise Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    try:
        run_all(b, a, fmt_key, only)
    except Interrupted as e:
        note(f"stopped by {e}; removing what the benchmark made")
        b.cleanup()
        return 130
    finally:
        b.cleanup()
    return 0


def run_all(b, a, fmt_key, only):
    w, h = a.size
    vbench = os.path.join(a.build, "vbench")
    vcap = os.path.join(a.build, "vcap")
    vplay = os.path.join(a.build, "vplay")
    have_vbench = os.access(vbench, os.X_OK)
    have_vcap = os.access(vcap, os.X_OK)
    have_vplay = os.access(vplay, os.X_OK)

    # Frame geometry: what vbench reports wins; until it has run, our own arithmetic.
    fmt = FORMATS.get(fmt_key)
    frame_bytes = fmt[2](w, h) if fmt else None
    if frame_bytes is None and not ("vbench" in only and have_vbench):
        die(f"format {a.format} unknown here (known: {', '.join(sorted(FORMATS))}) and "
            "only vbench can say its frame size (build it and keep it in --only)")

    # Where to write.
    base = a.dir or os.path.join(ROOT, "bench", "out")
    if not a.dir:
        os.makedirs(base, exist_ok=True)
    if not os.path.isdir(base):
        die(f"--dir {base}: not a directory")
    work = b.track(tempfile.mkdtemp(prefix="bench.", dir=base))

    print("== bench: vbench vs fio, dd, ffmpeg ==")
    fm = subprocess.run(["findmnt", "-n", "-o", "TARGET,SOURCE,FSTYPE,OPTIONS", "-T", work],
                        capture_output=True, text=True).stdout.strip()
    print(f"directory   {work}")
    print(f"filesystem  {fm or '(findmnt found nothing)'}")
    src_dev = fm.split()[1] if len(fm.split()) > 1 else ""
    if src_dev.startswith("/dev/"):
        lb = subprocess.run(["lsblk", "-d", "-n", "-o", "NAME,SIZE,ROTA,MODEL", src_dev],
                            capture_output=True, text=True).stdout.strip()
        if lb:
            print(f"device      {lb}  (ROTA 1 = rotational)")
    print(f"kernel      {os.uname().release}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    if os.geteuid() != 0:
        note("not root: the page cache cannot be dropped between runs")
        b.can_drop = False

    def geometry(fb, slot, unit=PAGE):
        """Frames per run (whole batches of payload) and the bytes of one batch on disk."""
        nbatches = max(1, a.bytes // (a.batch * fb))
        return nbatches * a.batch, round_up(a.batch * slot, unit)

    slot_bytes = round_up(frame_bytes, PAGE) if frame_bytes else None
    frames, batch_bytes = geometry(frame_bytes, slot_bytes) if slot_bytes else (None, None)

    tools = [t for t in ("vbench", "fio", "dd", "ffmpeg", "vcap") if t in only]
    reads = not a.no_read

    # vbench runs first in the first round: its JSON says the slot size everyone else uses.
    shm_src = None
    loop_src = False

    def vbench_args():
        return [vbench, "--size", f"{w}x{h}", "--format", a.format, "--rate", a.rate,
                "--batch", str(a.batch), "--depth", str(a.depth), "--bytes", str(frames * frame_bytes),
                "--json"]

    def run_vbench():
        path = os.path.join(work, "vbench.dat")
        if not have_vbench:
            b.skip("vbench", "write", f"vbench: not built ({vbench} missing; run make)")
            if reads:
                b.skip("vbench", "read", "vbench: not built")
            return None
        b.settle()
        b.track(path)
        r = b.record("vbench", "write", [vbench_args() + ["--write-only", "--keep", path]],
                     frames * frame_bytes, parse=parse_vbench("write"))
        if reads and r["error"] is None and os.path.exists(path):
            b.settle()
            b.record("vbench", "read", [vbench_args() + ["--read-only", path]],
                     frames * frame_bytes, parse=parse_vbench("read"))
        elif reads:
            b.skip("vbench", "read", "the write run failed")
        b.remove(path)
        return r

    def fio_argv(path, size, *extra):
        """fio with vbench's I/O size and depth, O_DIRECT through io_uring, on path."""
        return ["fio", "--output-format=json", "--name=bench", f"--filename={path}",
                "--ioengine=io_uring", "--direct=1", f"--bs={batch_bytes}",
                f"--iodepth={a.depth}", f"--size={size}", "--numjobs=1", *extra]

    def ffmpeg_read_argv(path):
        """The acceptance command for reading: stream copy to the null muxer."""
        return ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
                "-c", "copy", "-f", "null", "-"]

    def run_fio():
        path = os.path.join(work, "fio.dat")
        size = frames // a.batch * batch_bytes
        payload = frames * frame_bytes
        common = fio_argv(path, size)
        b.settle()
        b.track(path)
        r = b.record("fio", "write", [common + ["--rw=write", "--fallocate=native",
                                                 "--end_fsync=1"]], payload, raw=size,
                     parse=parse_fio("write"))
        if reads and r["error"] is None:
            b.settle()
            b.record("fio", "read", [common + ["--rw=read", "--fallocate=none"]],
                     payload, raw=size, parse=parse_fio("read"))
        elif reads:
            b.skip("fio", "read", "the write run failed")
        b.remove(path)

    def run_dd():
        path = os.path.join(work, "dd.dat")
        count = frames // a.batch
        if a.dd_source == "frames" and shm_src and not loop_src:
            src, label = shm_src, "dd (src /dev/shm)"
            # the frames file holds frame_bytes-sized frames; dd copies batch_bytes blocks
            # of it, so it needs at least count*batch_bytes bytes: made big enough below
        else:
            src, label = "/dev/zero", "dd (/dev/zero)"
        b.settle()
        b.track(path)
        r = b.record("dd", "write", [["dd", f"if={src}", f"of={path}", f"bs={batch_bytes}",
                                      f"count={count}", "iflag=fullblock", "oflag=direct",
                                      "conv=fsync", "status=none"]],
                     frames * frame_bytes, path=path, label=label)
        if reads and r["error"] is None:
            b.settle()
            b.record("dd", "read", [["dd", f"if={path}", "of=/dev/null", f"bs={batch_bytes}",
                                     "iflag=direct", "status=none"]], frames * frame_bytes,
                     label="dd")
        elif reads:
            b.skip("dd", "read", "the write run failed", label="dd")
        b.remove(path)

    def ffmpeg_in():
        return (["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + fmt[0]
                + ["-s", f"{w}x{h}", "-r", a.rate]
                + (["-stream_loop", "-1"] if loop_src else []) + ["-i", shm_src])

    def run_ffmpeg():
        path = os.path.join(work, "ffmpeg.mov")
        if not fmt or not shm_src:
            b.skip("ffmpeg", "write", f"no ffmpeg mapping for {a.format}" if not fmt
                   else "no source frames")
            return
        b.settle()
        b.track(path)
        r = b.record("ffmpeg", "write", [ffmpeg_in() + ["-frames:v", str(frames), "-c", "copy",
                                                        "-f", "mov", path],
                                         ["sync", path]], frames * frame_bytes, path=path)
        if reads and r["error"] is None:
            b.settle()
            b.record("ffmpeg", "read", [ffmpeg_read_argv(path)], frames * frame_bytes)
        elif reads:
            b.skip("ffmpeg", "read", "the write run failed")
        b.remove(path)

    def run_vcap(rep):
        path = os.path.join(work, "vcap.mov")
        if not have_vcap:
            b.skip("vcap", "write", f"vcap not built ({vcap} missing)")
            return
        b.settle()
        b.track(path)
        b.track(path + ".vcj")  # vcap's capture log, written beside the file
        r = b.record("vcap", "write", [[vcap, "--source", "pattern", "--size", f"{w}x{h}",
                                    "--format", a.format, "--rate", "max", "-n", str(frames),
                                    "--batch", str(a.batch), "-o", path, "--force"],
                                   ["sync", path]], frames * frame_bytes, path=path)
        if reads and "vplay" in only:
            read_vcap_file(path, r, rep)
        b.remove(path)
        b.remove(path + ".vcj")
        # the same recording with 8 channels of 24-bit sound riding in every batch's write:
        # what sound costs the disk side (payload counted: the frames only, as above)
        b.settle()
        b.track(path)
        b.track(path + ".vcj")
        b.record("vcap", "write", [[vcap, "--source", "pattern", "--size", f"{w}x{h}",
                                    "--format", a.format, "--rate", "max", "-n", str(frames),
                                    "--batch", str(a.batch), "--audio", "pattern",
                                    "--audio-channels", "8", "--audio-format", "s24",
                                    "-o", path, "--force"],
                                   ["sync", path]], frames * frame_bytes, path=path,
                 label="vcap +audio")
        b.remove(path)
        b.remove(path + ".vcj")

    def read_vcap_file(path, wrote, rep):
        """vplay and its peers on the same file, the one vcap wrote: the same bytes at the
        same places on disk, read one after the other (each from a cold page cache), in an
        order that rotates with the round so no reader always follows another."""
        if not have_vplay:
            b.skip("vplay", "read", f"vplay not built ({vplay} missing)")
            return
        if wrote["error"] is not None or not os.path.exists(path):
            b.skip("vplay", "read", "the vcap write run failed")
            return
        span = frames_span(path)
        readers = [("vplay", lambda: run_vplay(path)),
                   ("fio", lambda: fio_read_frames(path, span)),
                   ("ffmpeg", lambda: ffmpeg_read_mov(path))]
        k = rep % len(readers)
        for _, run in readers[k:] + readers[:k]:
            run()

    def frames_span(path):
        """(offset, bytes) of the frames in vcap's file, from its index: the first frame's
        offset to the end of the last one's 4 KiB slot."""
        out = subprocess.run([os.path.join(a.build, "vmov"), "info", path, "--json",
                              "--samples"], capture_output=True, text=True).stdout
        try:
            smp = first_json(out)["samples"]
            first, last = int(smp[0][0]), int(smp[-1][0]) + int(smp[-1][1])
        except (ValueError, KeyError, IndexError):
            return None
        return first, round_up(last, PAGE) - first

    def run_vplay(path):
        """Play vcap's file to the null output as fast as it reads, cold cache."""
        b.settle()
        b.record("vplay", "read", [[vplay, path, "-o", "null", "--rate", "max", "--batch",
                                    str(a.batch), "--depth", str(a.depth), "--json", "-q"]],
                 frames * frame_bytes, parse=parse_vplay)

    def fio_read_frames(path, where):
        """fio reading the frames of vcap's file: the same span, the same I/O size and depth."""
        label = "fio (vcap file)"
        if where is None or not shutil.which("fio"):
            b.skip("fio", "read", "fio missing or vmov cannot say where frames are",
                   label=label)
            return
        first, span = where
        b.settle()
        b.record("fio", "read", [fio_argv(path, span, f"--offset={first}", "--rw=read",
                                          "--fallocate=none")],
                 frames * frame_bytes, raw=span, parse=parse_fio("read"), label=label)

    def ffmpeg_read_mov(path):
        label = "ffmpeg (vcap file)"
        if not shutil.which("ffmpeg"):
            b.skip("ffmpeg", "read", "ffmpeg missing", label=label)
            return
        b.settle()
        b.record("ffmpeg", "read", [ffmpeg_read_argv(path)], frames * frame_bytes,
                 label=label)

    runners = {"vbench": run_vbench, "fio": run_fio, "dd": run_dd, "ffmpeg": run_ffmpeg}

    def make_source():
        """Frames for ffmpeg (and dd) on tmpfs, so reading them costs no disk I/O."""
        nonlocal shm_src, loop_src
        if not fmt or not ({"ffmpeg", "dd"} & set(tools)):
            return
        if "ffmpeg" not in tools and a.dd_source == "zero":
            return
        need = max(frames * frame_bytes, frames // a.batch * batch_bytes)
        st = os.statvfs("/dev/shm")
        shm_free = st.f_bavail * st.f_frsize
        avail = 0
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
        unit_frames = min(frames, 30)
        nframes = -(-need // frame_bytes)
        if need + (256 << 20) > shm_free or need > avail // 3:
            loop_src = True
            nframes = unit_frames
            note(f"{human(need)} of source frames do not fit in /dev/shm or a third of free "
                 f"memory: ffmpeg loops {unit_frames} frames, dd reads /dev/zero")
        unit = b.track(tempfile.mktemp(prefix="bench-unit.", dir="/dev/shm"))
        t0 = time.monotonic()
        rc = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                             "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={a.rate}",
                             "-frames:v", str(unit_frames)] + fmt[1] + [unit]).returncode
        if rc != 0 or os.path.getsize(unit) != unit_frames * frame_bytes:
            note("could not make source frames with ffmpeg (testsrc2): ffmpeg is skipped")
            b.remove(unit)
            return
        if loop_src:
            shm_src = unit
        else:
            shm_src = b.track(tempfile.mktemp(prefix="bench-frames.", dir="/dev/shm"))
            with open(unit, "rb") as f:
                chunk = f.read()
            with open(shm_src, "wb") as out:
                left = nframes
                while left > 0:
                    n = min(left, unit_frames)
                    out.write(chunk[:n * frame_bytes])
                    left -= n
            b.remove(unit)
        print(f"source      {nframes} frames, {human(os.path.getsize(shm_src))} in "
              f"{shm_src}{' (looped)' if loop_src else ''}, made in "
              f"{time.monotonic() - t0:.1f} s")

    first = True
    for rep in range(a.repeat):
        # Rotate the order each round so no tool always runs on a fresher (or older) disk.
        k = rep % len(tools)
        order = tools[k:] + tools[:k]
        if first and "vbench" in order:
            order.remove("vbench")
            order.insert(0, "vbench")
        for t in order:
            if first and t == "vbench":
                if slot_bytes is None and not have_vbench:
                    die("vbench is not built and the frame size is unknown")
                if slot_bytes is None:
                    # unknown format: one tiny write to ask vbench for its geometry
                    probe = b.track(os.path.join(work, "probe.dat"))
                    out = subprocess.run([vbench, "--size", f"{w}x{h}", "--format", a.format,
                                          "--batch", str(a.batch), "--bytes", "1", "--write-only",
                                          "--json", probe], capture_output=True, text=True).stdout
                    b.remove(probe)
                    j = first_json(out)
                    frame_bytes, slot_bytes = int(j["frame_bytes"]), int(j["slot_bytes"])
                    frames, batch_bytes = geometry(frame_bytes, slot_bytes)
                print_geometry(a, frame_bytes, slot_bytes, frames, batch_bytes)
                r = run_vbench()
                if r is not None and r.get("json"):
                    j = r["json"]
                    fb, sb = j.get("frame_bytes"), j.get("slot_bytes")
                    if fb and int(fb) != frame_bytes:
                        note(f"vbench says a frame is {fb} bytes, this script thought "
                             f"{frame_bytes}")
                    unit = PAGE
                    if isinstance(j.get("align"), dict) and j["align"].get("unit"):
                        unit = int(j["align"]["unit"])
                        print(f"vbench      align unit {unit}: {j['align'].get('why', '')}; "
                              f"{j.get('mode') or j.get('write', {}).get('mode', '')}")
                    if sb and (int(sb) != slot_bytes or round_up(a.batch * int(sb), unit)
                               != batch_bytes):
                        slot_bytes = int(sb)
                        _, batch_bytes = geometry(frame_bytes, slot_bytes, unit)
                        note(f"vbench uses {slot_bytes}-byte slots and {batch_bytes}-byte "
                             "batches on disk: fio and dd follow it")
                    want = frames * frame_bytes
                    if r["bytes"] and r["bytes"] != want:
                        note(f"vbench moved {r['bytes']} bytes of frames, asked for {want}")
                if first:
                    make_source()
                first = False
                continue
            if first:
                print_geometry(a, frame_bytes, slot_bytes, frames, batch_bytes)
                make_source()
                first = False
            if t == "vcap":
                run_vcap(rep)
            else:
                runners[t]()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    report(a, b.runs)


def print_geometry(a, frame_bytes, slot_bytes, frames, batch_bytes):
    w, h = a.size
    print(f"frames      {w}x{h} {a.format}: {frame_bytes} bytes, slot {slot_bytes}; "
          f"{frames} frames = {frames * frame_bytes} bytes of frames "
          f"({human(frames * frame_bytes)}) per run, {frames // a.batch * batch_bytes} on disk "
          "in O_DIRECT slots")
    print(f"I/O         batch {a.batch} frames = {batch_bytes} bytes per write (fio bs, dd bs), "
          f"depth {a.depth}, repeat {a.repeat}")
    print(flush=True)


def summarize(runs):
    """Median per (label, op) over the repeats, in first-seen order."""
    keys, groups = [], {}
    for r in runs:
        k = (r["label"], r["op"])
        if k not in groups:
            keys.append(k)
            groups[k] = []
        groups[k].append(r)
    rows = []
    for k in keys:
        g = groups[k]
        ok = [r for r in g if not r.get("skipped") and r.get("error") is None]
        row = {"tool": g[0]["tool"], "label": k[0], "op": k[1], "n": len(ok)}
        if not ok:
            bad = g[-1]
            row["status"] = bad.get("skipped") or bad.get("error") or "failed"
        else:
            row["status"] = "ok" if len(ok) == len(g) else f"{len(g) - len(ok)} of {len(g)} failed"
            for f in ("bytes", "seconds", "mbps", "cpu_s_per_gb", "own_mbps",
                      "own_cpu_s_per_gb", "max_lat_ms", "startup_s"):
                row[f] = median_or_none([r.get(f) for r in ok])
        rows.append(row)
    return rows


def ratio(x, y):
    return x / y if x is not None and y else None


def report(a, runs):
    rows = summarize(runs)
    ref = {}
    for r in rows:
        if r["tool"] == "vbench" and r.get("mbps") is not None:
            ref[r["op"]] = r
    for r in rows:
        v = ref.get(r["op"]) if r["op"] in ("write", "read") else None
        r["basis"] = r["r_mbps"] = r["r_cpu"] = r["r_wall"] = None
        if r["tool"] == "vbench" or r.get("mbps") is None or v is None:
            continue
        r["r_wall"] = ratio(v["mbps"], r["mbps"])
        own = r.get("own_mbps") is not None and v.get("own_mbps") is not None
        r["basis"] = "own" if own else "wall"
        r["r_mbps"] = ratio(v["own_mbps"], r["own_mbps"]) if own else ratio(v["mbps"], r["mbps"])
        own_cpu = r.get("own_cpu_s_per_gb") is not None and v.get("own_cpu_s_per_gb") is not None
        r["r_cpu"] = (ratio(v["own_cpu_s_per_gb"], r["own_cpu_s_per_gb"]) if own_cpu
                      else ratio(v["cpu_s_per_gb"], r["cpu_s_per_gb"]))
        if own and not own_cpu:
            r["basis"] = "own MB/s, rusage CPU"

    def fmt(x, spec):
        return "-" if x is None else format(x, spec)

    hdr = ["run", "op", "MB", "seconds", "start-up s", "MB/s", "CPU-s/GB", "own MB/s", "own CPU-s/GB",
           "max lat ms", "MB/s vbench÷peer", "wall vbench÷peer", "CPU vbench÷peer", "basis"]
    table = []
    for r in rows:
        if r.get("mbps") is None:
            table.append([r["label"], r["op"], r["status"]])
            continue
        table.append([r["label"], r["op"], fmt(r["bytes"] / 1e6, ".0f"), fmt(r["seconds"], ".2f"),
                      fmt(r.get("startup_s"), ".2f"), fmt(r["mbps"], ".0f"), fmt(r["cpu_s_per_gb"], ".3f"),
                      fmt(r.get("own_mbps"), ".0f"), fmt(r.get("own_cpu_s_per_gb"), ".3f"),
                      fmt(r.get("max_lat_ms"), ".1f"), fmt(r["r_mbps"], ".2f"), fmt(r.get("r_wall"), ".2f"),
                      fmt(r["r_cpu"], ".2f"),
                      r["basis"] or ("(reference)" if r["tool"] == "vbench" else "-")])
    widths = [len(h) for h in hdr]
    for t in table:
        if len(t) == len(hdr):
            widths = [max(wd, len(c)) for wd, c in zip(widths, t)]
    print()
    print("MB = 10^6 bytes of frames (slot padding not counted, so every row moves the same MB).")
    print("MB/s = MB / wall-clock seconds of the command (ffmpeg and vcap: plus `sync FILE`).")
    print("CPU-s/GB = user+sys CPU seconds of the process (rusage) per 10^9 bytes of frames.")
    print("own = the tool's own figures for its data phase, start-up left out (vbench, fio, vplay).")
    print("start-up s = seconds - the tool's own data-phase seconds: set-up, start and tear-down,")
    print("what the user waits for besides the data (the median of the runs' differences).")
    print("wall vbench÷peer = the MB/s ratio on wall clock for every row, own figures or not.")
    print("max lat ms = the slowest single batch write or read the tool saw.")
    print("Ratios are vbench ÷ peer: for MB/s > 1 = vbench faster, for CPU < 1 = vbench")
    print("cheaper. basis: own = both tools' own figures, wall = wall clock and rusage for both.")
    if runs and any(r.get("label", "").startswith("dd (/dev/zero)") for r in runs):
        print("dd (/dev/zero) copies zeros: an upper bound, it reads no frames.")
    print()
    line = "  ".join(h.ljust(wd) if i < 2 or i == len(hdr) - 1 else h.rjust(wd)
                     for i, (h, wd) in enumerate(zip(hdr, widths)))
    print(line)
    print("-" * len(line))
    for t in table:
        if len(t) != len(hdr):
            print("  ".join([t[0].ljust(widths[0]), t[1].ljust(widths[1]), t[2]]))
        else:
            print("  ".join(c.ljust(wd) if i < 2 or i == len(t) - 1 else c.rjust(wd)
                            for i, (c, wd) in enumerate(zip(t, widths))).rstrip())
    print()

    # Targets (informational).
    def get(tool, op, label=None):
        for r in rows:
            if (r["tool"] == tool and r["op"] == op and r.get("mbps") is not None
                    and r["label"] == (label or tool)):
                return r
        return None

    def cmp_line(desc, x, y, k, field, basis_own, le=False):
        if x is None or y is None:
            who = "vbench" if x is None else "peer"
            print(f"SKIP  {desc}  ({who} has no result)")
            return
        if basis_own and x.get("own_" + field) is not None and y.get("own_" + field) is not None:
            xv, yv, how = x["own_" + field], y["own_" + field], "own figures"
        else:
            xv, yv, how = x[field], y[field], "wall clock/rusage"
        ok = xv <= k * yv if le else xv >= k * yv
        rel = "<=" if le else ">="
        nf = ".4f" if field == "cpu_s_per_gb" else ".2f" if field == "seconds" else ".0f"
        print(f"{'PASS' if ok else 'FAIL'}  {desc}: {xv:{nf}} {rel} {k} x {yv:{nf}} = "
              f"{k * yv:{nf}} ({how})")

    vw, vr = get("vbench", "write"), get("vbench", "read")
    fw, fr = get("fio", "write"), get("fio", "read")
    mw, mr = get("ffmpeg", "write"), get("ffmpeg", "read")
    cw = get("vcap", "write")
    pr = get("vplay", "read")
    fvr, mvr = get("fio", "read", "fio (vcap file)"), get("ffmpeg", "read", "ffmpeg (vcap file)")
    print("Targets (informational):")
    cmp_line("vbench write MB/s >= 0.95 x fio write", vw, fw, 0.95, "mbps", True)
    cmp_line("vbench write whole-process seconds <= 1.05 x fio's, same bytes", vw, fw, 1.05,
             "seconds", False, le=True)
    cmp_line("vbench write loop MB/s >= fio's own", vw, fw, 1.0, "mbps", True)
    cmp_line("vbench write MB/s >= 3 x ffmpeg write", vw, mw, 3, "mbps", False)
    cmp_line("vbench write CPU-s/GB <= 1.2 x fio's", vw, fw, 1.2, "cpu_s_per_gb", True, le=True)
    if not a.no_read:
        cmp_line("vbench read MB/s >= 0.95 x fio read", vr, fr, 0.95, "mbps", True)
        cmp_line("vbench read MB/s >= 3 x ffmpeg read", vr, mr, 3, "mbps", False)
    if cw is not None or "vcap" in a.only:
        if cw is None:
            print("SKIP  vcap end-to-end rows (vcap not built or failed)")
        else:
            cmp_line("vcap MB/s >= 3 x ffmpeg write", cw, mw, 3, "mbps", False)
            cmp_line("vcap MB/s >= 0.9 x vbench write", cw, vw, 0.9, "mbps", False)
            cmp_line("vcap with 8 channels of sound MB/s >= 0.95 x vcap without",
                     get("vcap", "write", "vcap +audio"), cw, 0.95, "mbps", False)
    if not a.no_read and (pr is not None or "vplay" in a.only):
        if pr is None:
            print("SKIP  vplay read rows (vplay not built, vcap not run, or it failed)")
        else:
            cmp_line("vplay read MB/s >= 0.95 x fio read, same file", pr, fvr, 0.95, "mbps",
                     True)
            cmp_line("vplay read MB/s >= 3 x ffmpeg read, same file", pr, mvr, 3, "mbps",
                     False)

    write_csv(a, rows, runs)


def write_csv(a, rows, runs):
    os.makedirs(os.path.dirname(os.path.abspath(a.csv)), exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    w, h = a.size
    cols = ["when", "size", "format", "batch", "depth", "run", "tool", "op", "n", "status",
            "bytes", "seconds", "mbps", "cpu_s_per_gb", "own_mbps", "own_cpu_s_per_gb",
            "max_lat_ms", "startup_s", "vbench_div_peer_mbps", "vbench_div_peer_wall_mbps",
            "vbench_div_peer_cpu", "basis"]
    with open(a.csv, "w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(cols)
        for r in rows:
            cw.writerow([stamp, f"{w}x{h}", a.format, a.batch, a.depth, r["label"], r["tool"],
                         r["op"], r["n"], r["status"]] +
                        [num(r.get(k)) for k in ("bytes", "seconds", "mbps", "cpu_s_per_gb",
                                                 "own_mbps", "own_cpu_s_per_gb", "max_lat_ms",
                                                 "startup_s", "r_mbps", "r_wall", "r_cpu")] +
                        [r.get("basis") or ""])
    root, ext = os.path.splitext(a.csv)
    runs_csv = f"{root}-runs{ext or '.csv'}"
    with open(runs_csv, "w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(["when", "run", "tool", "op", "status", "bytes", "seconds", "cpu_s",
                     "mbps", "cpu_s_per_gb", "own_mbps", "own_cpu_s_per_gb", "max_lat_ms",
                     "startup_s"])
        for r in runs:
            status = r.get("skipped") or r.get("error") or "ok"
            cw.writerow([stamp, r["label"], r["tool"], r["op"], status] +
                        [num(r.get(k)) for k in ("bytes", "seconds", "cpu_s", "mbps", "cpu_s_per_gb",
                                                 "own_mbps", "own_cpu_s_per_gb", "max_lat_ms",
                                                 "startup_s")])
    print(f"\nCSV: {a.csv} (medians), {runs_csv} (every run)")


def num(x):
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


if __name__ == "__main__":
    sys.exit(main())
