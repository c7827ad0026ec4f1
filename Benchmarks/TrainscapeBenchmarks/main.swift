// Benchmarks: `swift run -c release TrainscapeBenchmarks NAME`, or scripts/bench.sh, which also
// runs the Python peers on the same input and prints the ratios.
import Foundation

let benchmarks: [String: ([String]) throws -> Void] = [
  "series": SeriesBenchmark.run,
  "ingest": IngestBenchmark.run,
]

let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, let run = benchmarks[name] else {
  print("usage: TrainscapeBenchmarks NAME [ARGS]; NAME is one of: \(benchmarks.keys.sorted().joined(separator: ", "))")
  exit(2)
}
try run(Array(args.dropFirst()))
