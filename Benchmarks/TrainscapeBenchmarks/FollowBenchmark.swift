import Foundation
import TrainscapeCore
import TrainscapeHeadless

/// `follow [LAYERS STEPS APPEND]`: one `view gradient-flow --follow` update of a long run
/// (default 48 layers x 20,000 steps, then APPEND = 10 new steps), the incremental path
/// (`IncrementalGradientFlow.append` + `SceneRenderer.apply`) against the full rebuild the
/// viewer did before (rows -> layer x step matrix -> `GradientFlowBuilder.scene` -> upload
/// every vertex), measured in the same run on the same renderer; prints the medians and the
/// ratio. `--max-steps` is taken as unlimited (the default 2000 downsamples such a run, and
/// downsampled surfaces always rebuild).
enum FollowBenchmark {
  static func run(_ args: [String]) throws {
    let layers = args.count > 0 ? Int(args[0]) ?? 48 : 48
    let steps = args.count > 1 ? Int(args[1]) ?? 20_000 : 20_000
    let append = args.count > 2 ? Int(args[2]) ?? 10 : 10
    let repeats = 5
    let family = MetricFamily(
      prefix: "grad_norm", members: (0..<layers).map { .init(layer: $0, key: "grad_norm/layer_\($0)") })
    func row(_ i: Int) -> MetricRow {
      var v: [String: Double] = ["loss": 3 * exp(-Double(i) / 5000) + 0.5]
      for l in 0..<layers {
        v["grad_norm/layer_\(l)"] = exp(-Double(l) / 12) * (0.2 + exp(-Double(i) / 3000)) * (1 + 0.1 * sin(Double(i) * 0.37 + Double(l)))
      }
      return MetricRow(step: Int64(i), values: v)
    }
    let rows = (0..<(steps + append * (repeats + 1))).map(row)
    var config = IncrementalGradientFlow.Configuration(family: family, runName: "bench", maxColumns: Int.max)
    config.options.logZ = .auto
    let renderer = try HeadlessRenderer(gpu: .auto)
    defer { renderer.destroy() }

    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    var fullTimes: [Double] = [], fullBuild: [Double] = [], incTimes: [Double] = [], incBuild: [Double] = []
    var fullBytes = 0, incBytes = 0
    var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<steps])
    for k in 0..<repeats {
      let n = steps + append * (k + 1)
      // Full rebuild, as the viewer did it on every update: all rows read so far.
      let t0 = Date()
      var buffer = MetricsBuffer()
      buffer.append(contentsOf: rows[..<n])
      let matrix = buffer.layerStepMatrix(for: family)
      let full = try GradientFlowBuilder.scene(
        steps: matrix.steps, layers: matrix.layers, values: matrix.values, family: family.prefix,
        runName: "bench", options: config.options)
      let built = Date().timeIntervalSince(t0)
      renderer.apply(full, delta: nil)
      renderer.finish()
      fullTimes.append(Date().timeIntervalSince(t0))
      fullBuild.append(built)
      fullBytes = renderer.uploads.lastBytes
    }
    // The incremental updates, one after another from a loaded scene of `steps` steps. The
    // first one grows the GPU buffers (a copy on the GPU, amortized by doubling).
    renderer.apply(state.scene, delta: nil)
    renderer.finish()
    var firstAppend = 0.0
    for k in 0..<(repeats + 1) {
      let n = steps + append * (k + 1)
      let t0 = Date()
      guard let delta = state.append(rows[(n - append)..<n]) else {
        print("follow: the incremental path refused the append"); return
      }
      let built = Date().timeIntervalSince(t0)
      guard renderer.apply(state.scene, delta: delta) else { print("follow: the renderer reloaded"); return }
      renderer.finish()
      let total = Date().timeIntervalSince(t0)
      if k == 0 { firstAppend = total; continue }
      incTimes.append(total)
      incBuild.append(built)
      incBytes = renderer.uploads.lastBytes
    }
    print(String(format: "follow: first append after a load (grows the GPU buffers): %.1f ms", firstAppend * 1000))
    print("follow: gradient flow \(layers) layers x \(steps) steps, +\(append) steps per update, median of \(repeats) (\(renderer.context.glRenderer))")
    print(String(format: "follow: full rebuild  %8.1f ms (scene %.1f ms, upload %.1f ms, %.1f MB)", median(fullTimes) * 1000,
      median(fullBuild) * 1000, (median(fullTimes) - median(fullBuild)) * 1000, Double(fullBytes) / 1e6))
    print(String(format: "follow: incremental  %8.2f ms (scene %.2f ms, upload %.2f ms, %.1f KB)", median(incTimes) * 1000,
      median(incBuild) * 1000, (median(incTimes) - median(incBuild)) * 1000, Double(incBytes) / 1e3))
    print(String(format: "follow: incremental is %.0fx faster", median(fullTimes) / median(incTimes)))
  }
}
