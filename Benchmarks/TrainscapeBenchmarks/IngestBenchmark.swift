import Foundation
import TrainscapeCore
import TrainscapeIO

/// `TrainscapeBenchmarks ingest JSONL EVENTFILE`: times `RunLoader.load` on a
/// JSONL file and on a TensorBoard event file (scripts/bench_ingest.py writes
/// 1,000,000 rows x 20 metrics of each into /tmp and times pandas and
/// TensorBoard's EventAccumulator on the same files). Prints seconds, rows,
/// values and the process's peak RSS after each read.
enum IngestBenchmark {
  static func run(_ args: [String]) throws {
    guard args.count >= 2 else {
      print("usage: TrainscapeBenchmarks ingest JSONL EVENTFILE (see scripts/bench_ingest.py)")
      return
    }
    for (name, path) in [("jsonl", args[0]), ("tensorboard", args[1])] {
      let start = DispatchTime.now().uptimeNanoseconds
      let result = try RunLoader.load(path: path)
      let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let rows = result.runs.reduce(0) { $0 + $1.rows.count }
      let values = result.runs.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.values.count } }
      print(String(format: "RunLoader %-12@ %8.2f s  %d rows, %d values, %.1f Mvalues/s, peak RSS %d MiB",
        name as NSString, secs, rows, values, Double(values) / secs / 1e6, peakRSSMiB()))
      print("RESULT \(name) \(secs)")
    }
  }

  static func peakRSSMiB() -> Int {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Int(u.ru_maxrss) / 1024
  }
}
