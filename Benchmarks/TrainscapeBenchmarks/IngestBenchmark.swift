import Foundation
import TrainscapeCore
import TrainscapeIO

/// `TrainscapeBenchmarks ingest JSONL EVENTFILE [CAPACITY]`: times `RunLoader.load`
/// on a JSONL file and on a TensorBoard event file (scripts/bench_ingest.py
/// writes 1,000,000 rows x 20 metrics of each into /tmp and times pandas and
/// TensorBoard's EventAccumulator on the same files), each read whole and
/// bounded (`IngestOptions.capacity`, default 1000: the last rows kept while
/// reading). Prints seconds, rows, values and peak RSS per read.
///
/// Peak RSS (getrusage ru_maxrss) only ever grows within a process, so each
/// read runs in a child process of its own (`ingest --one NAME PATH CAPACITY|-`):
/// the bounded read's peak is its own, not the unbounded read's before it.
enum IngestBenchmark {
  static func run(_ args: [String]) throws {
    if args.first == "--one", args.count == 4 {
      try one(name: args[1], path: args[2], capacity: Int(args[3]))
      return
    }
    guard args.count >= 2 else {
      printLine("usage: TrainscapeBenchmarks ingest JSONL EVENTFILE [CAPACITY] (see scripts/bench_ingest.py)")
      return
    }
    let capacity = args.count > 2 ? Int(args[2]) ?? 1000 : 1000
    let exe = Bundle.main.executablePath ?? CommandLine.arguments[0]
    for (name, path) in [("jsonl", args[0]), ("tensorboard", args[1])] {
      for cap in [nil, capacity] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["ingest", "--one", name, path, cap.map(String.init) ?? "-"]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { printLine("\(name): child exited with \(p.terminationStatus)") }
      }
    }
  }

  /// One read in this process: prints a readable line and
  /// `RESULT NAME SECONDS PEAK_RSS_MIB` (NAME gets `-lastN` when bounded).
  static func one(name: String, path: String, capacity: Int?) throws {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try RunLoader.load(path: path, options: IngestOptions(capacity: capacity))
    let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let rows = result.runs.reduce(0) { $0 + $1.rows.count }
    let values = result.runs.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.values.count } }
    let label = capacity.map { "\(name)-last\($0)" } ?? name
    let rowsRead = rows + result.dropped
    printLine(String(format: "RunLoader %-22@ %8.2f s  %d rows read, %d kept, %d values kept, %.2f Mrows/s, peak RSS %d MiB",
      label as NSString, secs, rowsRead, rows, values, Double(rowsRead) / secs / 1e6, peakRSSMiB()))
    printLine("RESULT \(label) \(secs) \(peakRSSMiB())")
  }

  static func peakRSSMiB() -> Int {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Int(u.ru_maxrss) / 1024
  }
}
