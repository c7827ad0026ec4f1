import Foundation
import TrainscapeCore
import TrainscapeIO

/// `TrainscapeBenchmarks export [N] [REPEATS]`: times PlotlyExporter on an N x N surface
/// (default 1000 x 1000), plain and typed arrays, best of REPEATS (default 5).
/// `scripts/bench_export.py` times plotly.py's `to_json` on the same data for comparison.
/// Data: x = step (integers), y = learning rate (1e-4 * 10^(2r/N)), z = a loss-like surface.
enum ExportBenchmark {
  static func run(_ args: [String]) throws {
    let n = args.count > 0 ? Int(args[0]) ?? 1000 : 1000
    let repeats = args.count > 1 ? Int(args[1]) ?? 5 : 5
    let (x, y, z) = data(n)
    let surface = SurfaceTrace(
      name: "loss", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis,
      colorRange: z.min()!...z.max()!)
    let scene = Scene(
      title: "benchmark", traces: [.surface(surface)],
      x: AxisSpec(title: "step", range: 0...Double(n - 1)), y: AxisSpec(title: "lr", scale: .log, range: y.min()!...y.max()!),
      z: AxisSpec(title: "loss", range: z.min()!...z.max()!))
    print("export: \(n)x\(n) surface (\(n * n * 3) numbers), best of \(repeats)")
    for typed in [false, true] {
      var best = Double.infinity
      var size = 0
      for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = PlotlyExporter.figure(scene, options: .init(typedArrays: typed))
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        size = out.json.count
      }
      print("  \(typed ? "typed arrays" : "plain arrays")  " + String(format: "%.4f s  %d bytes  %.0f MB/s", best, size, Double(size) / best / 1e6))
    }
  }

  /// The same deterministic data as scripts/bench_export.py.
  static func data(_ n: Int) -> ([Double], [Double], [Double]) {
    var x = [Double](repeating: 0, count: n * n), y = x, z = x
    for r in 0..<n {
      let lr = 1e-4 * pow(10, 2 * Double(r) / Double(n))
      for c in 0..<n {
        let i = r * n + c
        x[i] = Double(c)
        y[i] = lr
        z[i] = 2 + exp(-Double(c) / 200) * (1 + 0.3 * sin(Double(r) * 0.05)) + 0.01 * cos(Double(i) * 0.7)
      }
    }
    return (x, y, z)
  }
}
