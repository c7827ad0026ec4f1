import Foundation
import TrainscapeCore

/// `TrainscapeBenchmarks series [POINTS] [REPEATS]`: times EMA, resampling, LTTB and min/max
/// downsampling on POINTS points (default 10,000,000), best of REPEATS (default 3).
/// `scripts/bench_series.py` times numpy versions of the same operations for comparison.
enum SeriesBenchmark {
  static func run(_ args: [String]) throws {
    let n = args.count > 0 ? Int(args[0]) ?? 10_000_000 : 10_000_000
    let repeats = args.count > 1 ? Int(args[1]) ?? 3 : 3
    // A deterministic random walk with irregular integer steps and a few NaN holes.
    var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
    func next() -> Double { rng.nextDouble() }
    var steps = [Int64](repeating: 0, count: n)
    var values = [Double](repeating: 0, count: n)
    var s: Int64 = 0
    var v = 0.0
    for i in 0..<n {
      s += 1 + Int64(next() * 3)
      v += next() - 0.5
      steps[i] = s
      values[i] = next() < 0.001 ? .nan : v
    }
    let x = steps.map(Double.init)
    let lo = Double(steps.first ?? 0), hi = Double(steps.last ?? 0)
    let grid = (0..<n).map { lo + (hi - lo) * Double($0) / Double(max(n - 1, 1)) }

    print("series: \(n) points, best of \(repeats)")
    func time(_ name: String, _ body: () -> Double) {
      var best = Double.infinity
      var check = 0.0
      for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        check = body()
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        best = min(best, ms)
      }
      let rate = Double(n) / (best / 1000) / 1e6
      let label = name.padding(toLength: 30, withPad: " ", startingAt: 0)
      print("  \(label)" + String(format: "%9.2f ms  %8.1f Mpoints/s  (check %.6g)", best, rate, check))
    }
    time("ema span=100") { SeriesOps.ema(values, span: 100).last ?? 0 }
    time("resample onto \(n) points") {
      SeriesOps.resample(steps: steps, values: values, onto: grid)[n / 2]
    }
    time("lttb threshold=2000") { Double(SeriesOps.lttbIndices(x: x, y: values, threshold: 2000).count) }
    time("minMax maxPoints=2000") { Double(SeriesOps.minMaxIndices(values, maxPoints: 2000).count) }
  }
}
