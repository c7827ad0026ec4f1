#!/usr/bin/env bash
# Runs Trainscape's benchmarks beside their Python peers on the same input, in one run, and
# prints the ratios. Speed is measured here, never asserted in tests.
#   scripts/bench.sh                 # all of them (the ingest and t-SNE peers take minutes)
#   scripts/bench.sh interpolation   # one: series, interpolation, embedding, export, turntable, ingest,
#                                    # tablelog, follow, viewer (the window; on an Xvfb of its own without DISPLAY)
# Needs scripts/setup.sh first; the turntable peers need `pip install pyvista` in .venv
# (optional, reported as missing otherwise), the ingest peers
# (polars, tensorboard, tbparse) come with scripts/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-bench
swift build -c release --product TrainscapeBenchmarks --scratch-path "$scratch" >/dev/null
bin="$scratch/release/TrainscapeBenchmarks"
py=.venv/bin/python
run() {
  echo "=== $1"
  case "$1" in
    series) "$bin" series && "$py" scripts/bench_series.py ;;
    interpolation) "$py" scripts/bench_interpolation.py --scratch-path "$scratch" ;;
    embedding) "$bin" embedding ;;
    export)
      out=$("$bin" export | tee /dev/stderr)
      plain=$(echo "$out" | sed -n 's/.*plain[^0-9]*\([0-9.]*\) s.*/\1/p' | head -1)
      typed=$(echo "$out" | sed -n 's/.*typed[^0-9]*\([0-9.]*\) s.*/\1/p' | head -1)
      "$py" scripts/bench_export.py ${plain:+--swift-plain "$plain"} ${typed:+--swift-typed "$typed"} ;;
    turntable) "$bin" turntable && "$py" scripts/bench_turntable.py --swift-bin "$bin" --rounds 3 --frames 3 ;;
    ingest)
      swift build -c release --product trainscape --scratch-path "$scratch" >/dev/null
      "$py" scripts/bench_ingest.py --bin "$scratch/release/trainscape" ;;
    follow) "$bin" follow ;;
    viewer)
      if [ -n "${DISPLAY:-}" ]; then
        "$bin" viewer --frames 10 --follow Assets/examples/nanochat_d12.jsonl
      else
        xvfb-run -a -s "-screen 0 1600x900x24" "$bin" viewer --frames 10 --follow Assets/examples/nanochat_d12.jsonl
      fi ;;
    tablelog) TRAINSCAPE_BENCH_BIN="$bin" "$py" scripts/bench_table_log.py ;;
    *) echo "unknown benchmark $1" >&2; exit 2 ;;
  esac
}
if [ $# -eq 0 ]; then
  for b in series interpolation embedding export turntable ingest tablelog; do run "$b"; done
else
  for b in "$@"; do run "$b"; done
fi
