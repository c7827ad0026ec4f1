#!/usr/bin/env python3
"""Ingest benchmark peers: writes 1,000,000 rows x 20 metrics as JSONL and as a
TensorBoard event file (one Event per step, 20 simple_value scalars) into /tmp,
then times pandas.read_json(lines=True) and TensorBoard's EventAccumulator
(size_guidance 0 = keep every scalar) on them, and runs
`TrainscapeBenchmarks ingest` on the same files for the ratios. The Swift side
reads each file whole and with capacity 1000 (the last 1000 rows kept while
reading), each read in its own process, and reports seconds and peak RSS of both.

  .venv/bin/python scripts/bench_ingest.py [ROWS] [--skip-python]
pandas is only needed here: `.venv/bin/pip install pandas` (not a project requirement).
"""
import json, math, os, random, resource, subprocess, sys, time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
METRICS = 20
DIR = "/tmp/trainscape-bench-ingest"
JSONL = os.path.join(DIR, f"bench_{ROWS}.jsonl")
EVENTS = os.path.join(DIR, f"tb_{ROWS}", "events.out.tfevents.bench")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")


def keys():
    return ["loss", "lr", "grad_norm"] + [f"grad_norm/layer_{i}" for i in range(METRICS - 3)]


def write_files():
    os.makedirs(os.path.dirname(EVENTS), exist_ok=True)
    ks = keys()
    if not os.path.exists(JSONL):
        rng = random.Random(1)
        with open(JSONL, "w") as f:
            for s in range(ROWS):
                f.write(json.dumps({"step": s, **{k: rng.random() for k in ks}}) + "\n")
    if not os.path.exists(EVENTS):
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.record_writer import RecordWriter
        rng = random.Random(1)
        with open(EVENTS + ".tmp", "wb") as f:
            w = RecordWriter(f)
            w.write(Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString())
            for s in range(ROWS):
                e = Event(wall_time=1.7e9 + s, step=s)
                e.summary.value.extend(Summary.Value(tag=k, simple_value=rng.random()) for k in ks)
                w.write(e.SerializeToString())
        os.replace(EVENTS + ".tmp", EVENTS)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_py(code):
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t, out.strip()


def main():
    t = time.perf_counter()
    write_files()
    print(f"files ready in {time.perf_counter() - t:.1f} s: {JSONL} ({os.path.getsize(JSONL) >> 20} MiB), "
          f"{EVENTS} ({os.path.getsize(EVENTS) >> 20} MiB)")
    swift = subprocess.run(
        ([os.environ["TRAINSCAPE_BENCH_BIN"], "ingest", JSONL, EVENTS] if os.environ.get("TRAINSCAPE_BENCH_BIN") else
         ["swift", "run", "-c", "release", "--scratch-path", os.path.join(ROOT, ".build-ingest-release"),
          "TrainscapeBenchmarks", "ingest", JSONL, EVENTS]),
        cwd=ROOT, capture_output=True, text=True)
    print(swift.stdout.strip() or swift.stderr[-2000:])
    secs, rss = {}, {}
    for line in swift.stdout.splitlines():
        if line.startswith("RESULT "):
            parts = line.split()
            secs[parts[1]] = float(parts[2])
            if len(parts) > 3:
                rss[parts[1]] = int(parts[3])
    for key in ["jsonl", "tensorboard"]:
        bounded = [k for k in rss if k.startswith(key + "-last")]
        if key in rss and bounded:
            b = bounded[0]
            print(f"{key:12s} whole: {secs[key]:6.2f} s, peak RSS {rss[key]:5d} MiB; "
                  f"{b.split('-', 1)[1]}: {secs[b]:6.2f} s, peak RSS {rss[b]:5d} MiB")
    if "--skip-python" in sys.argv:
        return
    code_pd = ("import pandas as pd, time, resource\nt=time.perf_counter()\n"
               f"df=pd.read_json({JSONL!r}, lines=True)\n"
               "print(time.perf_counter()-t, df.shape, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss//1024)")
    code_tb = ("import time, resource\n"
               "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
               f"t=time.perf_counter()\nacc=EventAccumulator({os.path.dirname(EVENTS)!r}, size_guidance={{'scalars': 0}})\n"
               "acc.Reload()\nn=sum(len(acc.Scalars(k)) for k in acc.Tags()['scalars'])\n"
               "print(time.perf_counter()-t, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss//1024)")
    for name, code, key in [("pandas.read_json(lines=True)", code_pd, "jsonl"),
                            ("EventAccumulator(scalars=0)", code_tb, "tensorboard")]:
        try:
            _, out = run_py(code)
        except subprocess.CalledProcessError as e:
            print(f"{name}: failed: {e.stderr.strip().splitlines()[-1]}")
            continue
        s = float(out.split()[0])
        ratio = f"; Trainscape is {s / secs[key]:.1f}x faster" if key in secs else ""
        print(f"{name:32s} {s:8.2f} s  ({out.split(' ', 1)[1]}; last number = peak RSS MiB){ratio}")


if __name__ == "__main__":
    main()
