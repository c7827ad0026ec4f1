#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of TrainscapeIO (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh                 every target for 20 s each
#   scripts/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER OPTIONS...]
#   scripts/fuzz.sh all SECONDS     every target for SECONDS each
#   scripts/fuzz.sh list            the target names
#
# Targets are the entries of Sources/TrainscapeIO/Fuzzing/ParserEntryPoints.swift. Seeds come
# from Fuzz/corpus/TARGET (committed) and the corpus grows in .build-fuzz/corpus/TARGET (not
# committed). A crash (or a differential entry's difference: whole vs. split decode) stops the
# run, exits 1 and leaves the input in .build-fuzz/crashes/TARGET/; commit it to
# Fuzz/regressions/TARGET/ with the fix (FuzzRegressionTests runs every file there through its
# entry). See docs/fuzzing.md.
#
# Built in its own scratch path (.build-fuzz): Swift 6.3's -sanitize=fuzzer does not link an
# executable under SwiftPM (SwiftPM renames main), so the harness is built with coverage
# instrumentation and linked against libFuzzer's no-main runtime; its main.swift calls
# LLVMFuzzerRunDriver.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(jsonl-line jsonl-stream csv trainer-state tfrecord tfrecord-crc wandb wandb-crc npy hdf5-grid plotly object3d csv-grid table-log)
target="${1:-all}"
seconds="${2:-20}"
shift $(( $# > 2 ? 2 : $# ))
[[ "${1:-}" == "--" ]] && shift
extra=("$@")

if [[ "$target" == "list" ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
if [[ "$target" != "all" ]] && ! printf '%s\n' "${targets[@]}" | grep -qx -- "$target"; then
  echo "fuzz.sh: unknown target '$target' (scripts/fuzz.sh list names them)" >&2
  exit 2
fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }

swift_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib"
runtime="$(ls "$swift_lib"/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)"
if [[ -z "$runtime" ]]; then
  echo "fuzz.sh: libclang_rt.fuzzer_no_main-x86_64.a not found under $swift_lib/clang (a Swift toolchain for Linux ships it)" >&2
  exit 2
fi

echo "== building the fuzz harness (.build-fuzz, AddressSanitizer + coverage)"
mkdir -p .build-fuzz
if ! TRAINSCAPE_FUZZ=1 swift build --scratch-path .build-fuzz --product TrainscapeFuzz \
  -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$runtime" -Xlinker -lstdc++ >.build-fuzz/build.log 2>&1; then
  grep -E 'error|warning' .build-fuzz/build.log | head -40 >&2 || tail -40 .build-fuzz/build.log >&2
  echo "fuzz.sh: the harness did not build (.build-fuzz/build.log)" >&2
  exit 1
fi
binary="$(TRAINSCAPE_FUZZ=1 swift build --scratch-path .build-fuzz --show-bin-path)/TrainscapeFuzz"
[[ -x "$binary" ]] || { echo "fuzz.sh: the harness did not build" >&2; exit 1; }

# Swift's crash handler would trip AddressSanitizer on the first finding; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
# HDF5 is read in a child process (HDF5File): one stuck in a damaged file stops well before
# libFuzzer's -timeout.
export TRAINSCAPE_HDF5_CPU_SECONDS="${TRAINSCAPE_HDF5_CPU_SECONDS:-5}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"

run_one() {
  local t="$1"
  local corpus=".build-fuzz/corpus/$t" crashes=".build-fuzz/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  local seeds=()
  [[ -d "Fuzz/corpus/$t" ]] && seeds+=("Fuzz/corpus/$t")
  [[ -d "Fuzz/regressions/$t" ]] && seeds+=("Fuzz/regressions/$t")
  echo "== $t: ${seconds} s"
  local log=".build-fuzz/$t.log"
  if TRAINSCAPE_FUZZ_TARGET="$t" "$binary" "$corpus" "${seeds[@]}" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|^#[0-9]+ *DONE' "$log" | tr '\n' ' '
    echo "corpus $(ls "$corpus" | wc -l) files"
  else
    tail -40 "$log" >&2
    echo "fuzz.sh: $t FOUND A CRASH: $(ls -t "$crashes" | head -1 | sed "s|^|$crashes/|") (log: $log)" >&2
    return 1
  fi
}

failed=0
if [[ "$target" == "all" ]]; then
  for t in "${targets[@]}"; do run_one "$t" || failed=1; done
else
  run_one "$target" || failed=1
fi
exit "$failed"
