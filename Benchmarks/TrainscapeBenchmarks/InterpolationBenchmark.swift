// Linear scattered-data interpolation (Delaunay + barycentric) of 10k and 100k random points onto
// a 500 x 500 grid: the reward-landscape workload. scripts/bench_interpolation.py runs this and
// scipy.interpolate.griddata on the same points and prints the ratios.
//
//   TrainscapeBenchmarks interpolation [--points-dir DIR]
//
// With --points-dir, writes DIR/points_N.f64 (x, y, values as raw little-endian float64, N each)
// and DIR/grid_N.f64 (our 500 x 500 result, row-major) for the comparison script.
import Foundation
import TrainscapeCore

enum InterpolationBenchmark {
  static func run(_ args: [String]) throws {
    var dir: URL?
    if let i = args.firstIndex(of: "--points-dir"), i + 1 < args.count {
      dir = URL(fileURLWithPath: args[i + 1])
    }
    let side = 500
    let grid = (0..<side).map { Double($0) / Double(side - 1) }
    for n in [10_000, 100_000] {
      var rng = SplitMix64(seed: 42)
      var x = [Double](), y = [Double]()
      x.reserveCapacity(n); y.reserveCapacity(n)
      for _ in 0..<n { x.append(rng.nextDouble()); y.append(rng.nextDouble()) }
      let v = zip(x, y).map { sin(6 * $0) * cos(4 * $1) + $0 * $1 }
      var best = Double.infinity, bestTri = Double.infinity
      var result: [Double] = []
      for _ in 0..<3 {
        let t0 = Date()
        let tri = try Delaunay2D(x: x, y: y)
        let t1 = Date()
        result = try ScatteredInterpolator.interpolate(triangulation: tri, values: v, gridX: grid, gridY: grid)
        let t2 = Date()
        best = min(best, t2.timeIntervalSince(t0))
        bestTri = min(bestTri, t1.timeIntervalSince(t0))
      }
      let label = n >= 1000 ? "\(n / 1000)k" : "\(n)"
      print(String(format: "trainscape linear %@: %.4f s (triangulation %.4f s), %d points onto %dx%d, best of 3",
                   label, best, bestTri, n, side, side))
      if let dir {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try raw(x + y + v).write(to: dir.appendingPathComponent("points_\(n).f64"))
        try raw(result).write(to: dir.appendingPathComponent("grid_\(n).f64"))
      }
    }
  }

  static func raw(_ a: [Double]) -> Data {
    a.withUnsafeBufferPointer { Data(buffer: $0) }
  }
}
