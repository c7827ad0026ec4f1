#!/usr/bin/env bash
# Measures `trainscape batch` per-job seconds against its peer: the same jobs as one
# `trainscape render/export/turntable` process each (what a shell loop over a sweep does).
#
#   scripts/bench_batch.sh [RUNS] [STEPS]          # default 40 runs of 400 steps x 12 layers (as docs/scale.md)
#   TRAINSCAPE=/path/to/trainscape scripts/bench_batch.sh
#
# Jobs per run, at the default 1280x720: gradient-flow PNG, loss-landscape PNG, trajectory
# Plotly JSON; and one 72-frame gradient-flow turntable GIF for the first run. Prints one line
# per kind with the mean seconds per job (from the merged manifest) and the totals of both.
# Uses the release build (swift build -c release) unless TRAINSCAPE is set.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=${1:-40}
steps=${2:-400}
bin=${TRAINSCAPE:-$root/.build/release/trainscape}
[ -x "$bin" ] || { echo "bench_batch: no $bin; run: swift build -c release" >&2; exit 1; }
py=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$root/scripts/make_sweep_runs.py" "$work/runs" --runs "$runs" --steps "$steps" --layers 12 >/dev/null
cat >"$work/plan.toml" <<PLAN
sources = ["runs/*.jsonl"]
[kinds.gradient-flow]
outputs = ["png"]
[kinds.loss-landscape]
outputs = ["png"]
[kinds.trajectory]
outputs = ["plotly.json"]
grad-key = "grad_norm/total"
PLAN
cat >"$work/turntable.toml" <<PLAN
sources = ["runs/run_000_*.jsonl"]
[kinds.gradient-flow]
outputs = ["gif"]
PLAN
echo "machine: $(nproc) CPUs, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); $("$bin" doctor 2>&1 | grep -m1 -i 'renderer' || true)"
jobs=$(( runs * 3 ))

t0=$(date +%s.%N)
"$bin" batch "$work/plan.toml" -o "$work/batch" --quiet >/dev/null 2>&1
t1=$(date +%s.%N)
"$bin" batch "$work/turntable.toml" -o "$work/batch-tt" --quiet >/dev/null 2>&1
t2=$(date +%s.%N)
"$bin" batch --merge "$work/batch" >/dev/null 2>&1 || true
"$bin" batch --merge "$work/batch-tt" >/dev/null 2>&1 || true

# The peer: one process per job.
mkdir -p "$work/peer"
t3=$(date +%s.%N)
for f in "$work"/runs/*.jsonl; do
  n=$(basename "$f" .jsonl)
  "$bin" render gradient-flow "$f" -o "$work/peer/$n-flow.png" >/dev/null 2>&1
  "$bin" render loss-landscape "$f" -o "$work/peer/$n-loss.png" >/dev/null 2>&1
  "$bin" export trajectory "$f" --grad-key grad_norm/total -o "$work/peer/$n-traj.plotly.json" >/dev/null 2>&1
done
t4=$(date +%s.%N)
"$bin" turntable gradient-flow "$work"/runs/run_000_*.jsonl -o "$work/peer-tt" --animate gif --quiet >/dev/null 2>&1
t5=$(date +%s.%N)

"$py" - "$work/batch/manifest.json" "$work/batch-tt/manifest.json" <<'PY'
import json, sys, collections
jobs = [j for path in sys.argv[1:] for j in json.load(open(path))["jobs"]]
by = collections.defaultdict(list)
for j in jobs:
    if j["status"] == "done" and j.get("seconds") is not None:
        by[(j["kind"], j["format"])].append(j["seconds"])
for (k, f), s in sorted(by.items()):
    print(f"batch  {k:15s} {f:12s} {len(s):4d} jobs  mean {sum(s)/len(s):7.3f} s/job  (min {min(s):.3f}, max {max(s):.3f})")
PY
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v f="$t5" -v n="$jobs" 'BEGIN {
  printf "batch, one process:    %d jobs in %.1f s = %.3f s/job; 72-frame turntable GIF %.1f s\n", n, b - a, (b - a) / n, c - b
  printf "peer, process per job: %d jobs in %.1f s = %.3f s/job; 72-frame turntable GIF %.1f s\n", n, e - d, (e - d) / n, f - e
  printf "ratio peer / batch: %.2fx (jobs), %.2fx (turntable)\n", (e - d) / (b - a), (f - e) / (c - b)
}'
