// Benchmarks: `swift run -c release TrainscapeBenchmarks NAME`. Each scripts/bench_NAME.py runs
// the Python peer on the same input and prints the ratios; scripts/bench.sh runs them all.
import Foundation

let benchmarks: [String: ([String]) throws -> Void] = [
  "series": SeriesBenchmark.run,
  "interpolation": InterpolationBenchmark.run,
  "embedding": EmbeddingBenchmark.run,
  "export": ExportBenchmark.run,
  "turntable": TurntableBenchmark.run,
  "ingest": IngestBenchmark.run,
  "follow": FollowBenchmark.run,
  "viewer": ViewerBenchmark.run,
]

let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, let run = benchmarks[name] else {
  print("usage: TrainscapeBenchmarks NAME [ARGS]; NAME is one of: \(benchmarks.keys.sorted().joined(separator: ", "))")
  exit(2)
}
try run(Array(args.dropFirst()))
