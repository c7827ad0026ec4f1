#!/usr/bin/env python3
"""Ingest benchmark (scripts/bench.sh ingest): one run, the same files, Trainscape beside
its peers.

Writes 1,000,000 rows x 20 metrics as JSONL and the same content as a TensorBoard event
file (one Event per step, 20 simple_value scalars) into /tmp (kept between runs), then
measures, each in a process of its own (time and peak RSS of that process alone):

  trainscape info JSONL                      trainscape info EVENTFILE
  trainscape render gradient-flow JSONL      trainscape convert JSONL -o OUT
  trainscape render gradient-flow --last 1000 JSONL (bounded read)
  polars.read_ndjson(JSONL)                  EventAccumulator(scalars=0) and tbparse on EVENTFILE

and prints a Markdown table with the ratios against polars measured in the same run, the
parse throughput in GB/s and the machine's memcpy bandwidth (numpy copy of 1 GiB).

  .venv/bin/python scripts/bench_ingest.py --bin PATH/trainscape [--rows N] [--skip-peers] [--prepare]
"""
import argparse, datetime, json, os, platform, random, subprocess, sys, time

p = argparse.ArgumentParser()
p.add_argument("--bin", required=True, help="the trainscape executable (a release build)")
p.add_argument("--rows", type=int, default=1_000_000)
p.add_argument("--skip-peers", action="store_true")
p.add_argument("--repeat", type=int, default=2, help="runs of each Trainscape command (the best is reported)")
p.add_argument("--prepare", action="store_true", help="only write the input files (kept in /tmp between runs)")
args = p.parse_args()

ROWS, METRICS = args.rows, 20
DIR = "/tmp/trainscape-bench-ingest"
JSONL = os.path.join(DIR, f"bench_{ROWS}.jsonl")
EVENTS = os.path.join(DIR, f"tb_{ROWS}", "events.out.tfevents.bench")


def keys():
    return ["loss", "lr", "grad_norm"] + [f"grad_norm/layer_{i}" for i in range(METRICS - 3)]


def write_files():
    os.makedirs(os.path.dirname(EVENTS), exist_ok=True)
    ks = keys()
    if not os.path.exists(JSONL):
        rng = random.Random(1)
        with open(JSONL + ".tmp", "w") as f:
            for s in range(ROWS):
                f.write(json.dumps({"step": s, **{k: rng.random() for k in ks}}) + "\n")
        os.replace(JSONL + ".tmp", JSONL)
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


def measure_rss(cmd):
    """(seconds, peak RSS MiB, stdout, stderr, status) of one child, by wait4."""
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        out = os.open(os.path.join(DIR, "child.out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open(os.path.join(DIR, "child.err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    secs = time.perf_counter() - t
    with open(os.path.join(DIR, "child.out")) as f:
        out = f.read()
    with open(os.path.join(DIR, "child.err")) as f:
        err = f.read()
    return secs, ru.ru_maxrss / 1024, out, err, os.waitstatus_to_exitcode(status)


def best(cmd, repeat):
    runs = []
    for _ in range(repeat):
        s, rss, out, err, code = measure_rss(cmd)
        if code != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err[-2000:]}")
        runs.append((s, rss))
    return min(r[0] for r in runs), max(r[1] for r in runs)


def memcpy_gbs():
    import numpy as np
    a = np.ones(1 << 27)  # 1 GiB of float64
    b = np.empty_like(a)
    np.copyto(b, a)
    t = time.perf_counter()
    for _ in range(3):
        np.copyto(b, a)
    return 3 * a.nbytes / (time.perf_counter() - t) / 1e9


def py_peer(code):
    s, rss, out, err, status = measure_rss([sys.executable, "-c", code])
    if status != 0:
        return None, None, err.strip().splitlines()[-1] if err.strip() else f"exit {status}"
    return float(out.split()[0]), rss, out.split(" ", 1)[1].strip()


def main():
    t = time.perf_counter()
    write_files()
    if args.prepare:
        return
    size = os.path.getsize(JSONL)
    raw_mb = ROWS * (METRICS + 1) * 8 / 2**20
    print(f"files ready in {time.perf_counter() - t:.1f} s: {JSONL} ({size / 1e6:.0f} MB), "
          f"{EVENTS} ({os.path.getsize(EVENTS) / 1e6:.0f} MB); raw data {raw_mb:.0f} MiB", flush=True)
    exe = args.bin
    out_png = os.path.join(DIR, "gf.png")
    out_jsonl = os.path.join(DIR, "converted.jsonl")
    rows = []

    def ours(label, cmd):
        s, rss = best(cmd, args.repeat)
        rows.append((label, s, rss))
        print(f"{label:44s} {s:7.2f} s  peak RSS {rss:7.0f} MiB", flush=True)
        return s, rss

    info_s, info_rss = ours("trainscape info (JSONL)", [exe, "info", JSONL])
    tb_s, _ = ours("trainscape info (event file)", [exe, "info", EVENTS])
    ours("trainscape render gradient-flow (event file)", [exe, "render", "gradient-flow", EVENTS, "-o", out_png, "--force"])
    ours("trainscape render gradient-flow --last 1000 (JSONL)",
         [exe, "render", "gradient-flow", JSONL, "--last", "1000", "-o", out_png, "--force"])
    gf_s, gf_rss = ours("trainscape render gradient-flow (JSONL)", [exe, "render", "gradient-flow", JSONL, "-o", out_png, "--force"])
    cv_s, cv_rss = ours("trainscape convert -o (JSONL)", [exe, "convert", JSONL, "-o", out_jsonl, "--force"])
    peers = {}
    if not args.skip_peers:
        code_pl = ("import polars as pl, time\nt=time.perf_counter()\n"
                   f"df=pl.read_ndjson({JSONL!r})\n"
                   "print(time.perf_counter()-t, df.shape)")
        code_tb = ("import time\n"
                   "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
                   f"t=time.perf_counter()\nacc=EventAccumulator({os.path.dirname(EVENTS)!r}, size_guidance={{'scalars': 0}})\n"
                   "acc.Reload()\nn=sum(len(acc.Scalars(k)) for k in acc.Tags()['scalars'])\n"
                   "print(time.perf_counter()-t, n, 'scalars')")
        code_tbp = ("import time\nfrom tbparse import SummaryReader\nt=time.perf_counter()\n"
                    f"df=SummaryReader({EVENTS!r}).scalars\n"
                    "print(time.perf_counter()-t, df.shape)")
        for name, code in [("polars read_ndjson (JSONL)", code_pl), ("TensorBoard EventAccumulator (event file)", code_tb),
                           ("tbparse SummaryReader (event file)", code_tbp)]:
            s, rss, what = py_peer(code)
            if s is None:
                print(f"{name}: failed: {what}", flush=True)
                continue
            peers[name] = (s, rss)
            rows.append((name, s, rss))
            print(f"{name:44s} {s:7.2f} s  peak RSS {rss:7.0f} MiB  ({what})", flush=True)
    bw = memcpy_gbs()
    polars = peers.get("polars read_ndjson (JSONL)")
    print()
    print(f"## Ingest, {ROWS:,} rows x {METRICS} metrics ({datetime.date.today()}, {platform.node()}, "
          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()})")
    print()
    print("| workload | time (s) | peak RSS (MiB) | vs polars read_ndjson |")
    print("|---|---|---|---|")
    for label, s, rss in rows:
        ratio = f"{s / polars[0]:.2f}x" if polars else "-"
        print(f"| {label} | {s:.2f} | {rss:.0f} | {ratio} |")
    print()
    print(f"JSONL {size / 1e6:.0f} MB: `info` parses at {size / info_s / 1e9:.2f} GB/s (whole process); "
          f"memcpy (numpy copy of 1 GiB) {bw:.1f} GB/s on this machine; raw data {raw_mb:.0f} MiB, "
          f"`info` peak RSS {info_rss / raw_mb:.2f}x of it; `convert` {cv_s / info_s:.2f}x `info` time; "
          f"`info` on the event file {tb_s / info_s:.2f}x `info` on the JSONL.")


if __name__ == "__main__":
    main()
