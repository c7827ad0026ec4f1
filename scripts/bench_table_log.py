#!/usr/bin/env python3
"""Table-log benchmark: writes a loguru-format table log of ROWS rows (step plus 8 columns:
signed floats, k/28 fractions, '-' and 'nan' cells, a header reprinted every 25 rows and other
log lines between them, like Assets/examples/dynamics) into /tmp, then times Trainscape's
reader (`TrainscapeBenchmarks ingest --one table-log PATH -`, a process of its own) and, as the
peer, the loop people write in Python for such logs (split the message off at ' - ', split at
whitespace, float() or n/d per cell, columns by the last header), on the same file.

  .venv/bin/python scripts/bench_table_log.py [ROWS]
Set TRAINSCAPE_BENCH_BIN to a release TrainscapeBenchmarks (scripts/bench.sh does).
"""
import os, random, subprocess, sys, time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
DIR = "/tmp/trainscape-bench-tablelog"
PATH = os.path.join(DIR, f"table_{ROWS}.log")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
COLS = ["step", "loss↓", "hack_s?", "hacks", "gt_s", "cos_pre_t", "cos_pre_s", "kl", "entropy"]


def prefix(i):
    return "2025-03-02 14:%02d:%02d.%03d | INFO     | __main__:train:113 - " % (i // 60 % 60, i % 60, i % 1000)


def write():
    if os.path.exists(PATH):
        return
    os.makedirs(DIR, exist_ok=True)
    rng = random.Random(1)
    with open(PATH + ".tmp", "w", encoding="utf-8") as f:
        f.write(prefix(0) + "argv: train.py arm=vanilla seed=0 --lr=1e-05\n")
        for i in range(ROWS):
            if i % 25 == 0:
                f.write(prefix(i) + " ".join(c.rjust(9) for c in COLS) + "\n")
            cells = [str(i * 10), "%.4f" % rng.random(), "%.3f" % rng.random(), "%d/28" % rng.randrange(29),
                     "-" if i % 5 else "%.3f" % rng.random(), "%+.4e" % rng.gauss(0, 1), "nan" if i < 10 else "%.4f" % rng.random(),
                     "%.5f" % rng.random(), "%.4f" % rng.random()]
            f.write(prefix(i) + " ".join(c.rjust(9) for c in cells) + "\n")
            if i % 250 == 0:
                f.write(prefix(i) + "saved checkpoint to ckpt/step_%06d.pt\n" % i)
    os.replace(PATH + ".tmp", PATH)


PEER = r'''
import sys, time, resource
t = time.perf_counter()
names = None; rows = []
def cell(s):
    if s in ("-", "T", "F", "nan"): return None
    if "/" in s:
        n, d = s.split("/"); return int(n) / int(d) if int(d) else None
    return float(s)
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        msg = line.split(" - ", 1)[-1]
        toks = msg.split()
        if toks and toks[0] == "step":
            names = [t.strip("↓?") for t in toks]; continue
        if names is None or len(toks) != len(names): continue
        try:
            vals = [cell(t) for t in toks]
        except ValueError:
            continue
        rows.append({n: v for n, v in zip(names, vals) if v is not None})
print(time.perf_counter() - t, len(rows), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
'''


def main():
    write()
    print(f"{PATH}: {os.path.getsize(PATH) >> 20} MiB, {ROWS} rows")
    binary = os.environ.get("TRAINSCAPE_BENCH_BIN")
    cmd = ([binary] if binary else ["swift", "run", "-c", "release", "--scratch-path",
                                    os.path.join(ROOT, ".build-bench"), "TrainscapeBenchmarks"])
    swift = subprocess.run(cmd + ["ingest", "--one", "table-log", PATH, "-"], cwd=ROOT, capture_output=True, text=True)
    print(swift.stdout.strip() or swift.stderr[-2000:])
    secs = None
    for line in swift.stdout.splitlines():
        if line.startswith("RESULT "):
            secs = float(line.split()[2])
    out = subprocess.run([sys.executable, "-c", PEER, PATH], capture_output=True, text=True, check=True).stdout.split()
    s = float(out[0])
    ratio = f"; Trainscape is {s / secs:.1f}x faster" if secs else ""
    print(f"{'Python split/float loop':32s} {s:8.2f} s  ({out[1]} rows, peak RSS {out[2]} MiB){ratio}")


if __name__ == "__main__":
    main()
