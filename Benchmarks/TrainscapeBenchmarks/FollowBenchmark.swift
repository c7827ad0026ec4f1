import Foundation
import TrainscapeCore
import TrainscapeHeadless

/// `follow [LAYERS STEPS APPEND]`: one `view gradient-flow --follow` update of a long run
/// (default 48 layers x 20,000 steps, then APPEND = 10 new steps), the incremental path
/// (`IncrementalGradientFlow.append` + `SceneRenderer.apply`) against a full rebuild from all
/// rows (rows -> layer x step matrix -> downsampling -> `GradientFlowBuilder.scene` -> upload
/// every vertex), measured in the same run on the same renderer; prints the medians
/// and the ratio, twice: with `--max-steps` unlimited (every step a column) and with the
/// default `--max-steps 2000` (20,000 steps in buckets of 32). Also the first append after a
/// load, with and without the buffer room the viewer reserves for followed scenes. Then the
/// same for a single-run loss landscape and a single run's trajectory of 5 x STEPS samples
/// (`lossLandscape`, `trajectory`).
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
    let rows = (0..<(steps + append * (repeats + 2))).map(row)
    let renderer = try HeadlessRenderer(gpu: .auto)
    defer { renderer.destroy() }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    func ms(_ t: Double) -> Double { t * 1000 }

    for maxColumns in [Int.max, 2000] {
      var config = IncrementalGradientFlow.Configuration(family: family, runName: "bench", maxColumns: maxColumns)
      config.options.logZ = .auto
      var fullTimes: [Double] = [], fullBuild: [Double] = [], incTimes: [Double] = [], incBuild: [Double] = []
      var fullBytes = 0, incBytes = 0
      for k in 0..<repeats {
        let n = steps + append * (k + 1)
        // Full rebuild from all rows read so far.
        let t0 = Date()
        var buffer = MetricsBuffer()
        buffer.append(contentsOf: rows[..<n])
        let matrix = buffer.layerStepMatrix(for: family).downsampled(maxColumns: maxColumns)
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
      var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<steps])
      guard case .surface(let surface) = state.scene.traces[0] else { return }
      // The first append after a load, once into buffers loaded to size (they grow: a copy on
      // the GPU) and once with the room the viewer reserves (`ViewerOptions.followColumnLimit`).
      var probe = state
      renderer.apply(probe.scene, delta: nil)
      renderer.finish()
      var t0 = Date()
      guard let probeDelta = probe.append(rows[steps..<(steps + append)]) else {
        print("follow: the incremental path refused the append"); return
      }
      renderer.apply(probe.scene, delta: probeDelta)
      renderer.finish()
      let firstGrowing = Date().timeIntervalSince(t0)
      let reserve = min(maxColumns, max(2 * surface.cols, surface.cols + 256))
      renderer.apply(state.scene, delta: nil, reserveColumns: reserve)
      renderer.finish()
      var firstAppend = 0.0
      for k in 0..<(repeats + 1) {
        let n = steps + append * (k + 1)
        t0 = Date()
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
      let cols = surface.cols
      let limit = maxColumns == Int.max ? "unlimited" : "\(maxColumns) (buckets of \(state.bucketWidth ?? 0) steps)"
      print("follow: gradient flow \(layers) layers x \(steps) steps, --max-steps \(limit): \(cols) columns drawn, +\(append) steps per update, median of \(repeats) (\(renderer.context.glRenderer))")
      print(String(format: "follow:   first append after a load: %.1f ms into buffers loaded to size, %.1f ms with %d columns reserved",
        ms(firstGrowing), ms(firstAppend), reserve))
      print(String(format: "follow:   full rebuild  %8.1f ms (scene %.1f ms, upload %.1f ms, %.1f MB)", ms(median(fullTimes)),
        ms(median(fullBuild)), ms(median(fullTimes) - median(fullBuild)), Double(fullBytes) / 1e6))
      print(String(format: "follow:   incremental  %8.2f ms (scene %.2f ms, upload %.2f ms, %.1f KB)", ms(median(incTimes)),
        ms(median(incBuild)), ms(median(incTimes) - median(incBuild)), Double(incBytes) / 1e3))
      print(String(format: "follow:   incremental is %.0fx faster", median(fullTimes) / median(incTimes)))
    }
    try lossLandscape(renderer: renderer, samples: 5 * steps, append: append, repeats: repeats)
    for maxPoints in [Int.max, 2000] {
      try trajectory(renderer: renderer, samples: 5 * steps, maxPoints: maxPoints, append: append, repeats: repeats)
    }
  }

  /// One `view trajectory RUN --follow` update of a long run (`samples` rows with loss and
  /// gradient norm): `IncrementalTrajectory.append` + `SceneRenderer.apply` against the full
  /// rebuild (rows -> buffer -> samples -> aligned downsampling -> `TrajectoryBuilder.scene` ->
  /// upload every point).
  static func trajectory(renderer: HeadlessRenderer, samples: Int, maxPoints: Int, append: Int, repeats: Int) throws {
    func row(_ i: Int) -> MetricRow {
      MetricRow(step: Int64(i), values: [
        "loss": 3 * exp(-Double(i) / 20_000) + 0.5 + 0.05 * sin(Double(i) * 0.37),
        "grad_norm": 0.3 + exp(-Double(i) / 8000) + 0.1 * cos(Double(i) * 0.11),
      ])
    }
    let rows = (0..<(samples + append * (repeats + 2))).map(row)
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    func ms(_ t: Double) -> Double { t * 1000 }
    let config = IncrementalTrajectory.Configuration(
      runName: "bench", lossKey: "loss", gradNormKey: "grad_norm", maxPoints: maxPoints)
    var fullTimes: [Double] = [], fullBuild: [Double] = [], incTimes: [Double] = [], incBuild: [Double] = []
    var fullBytes = 0, incBytes = 0
    for k in 0..<repeats {
      let n = samples + append * (k + 1)
      let t0 = Date()
      var buffer = MetricsBuffer()
      buffer.append(contentsOf: rows[..<n])
      var s = TrajectoryBuilder.RunSeries(name: "bench", steps: [], loss: [], gradNorm: [])
      for r in buffer.rows {
        guard let l = r.values["loss"], let g = r.values["grad_norm"] else { continue }
        s.steps.append(r.step); s.loss.append(l); s.gradNorm.append(g)
      }
      if s.steps.count > maxPoints {
        let keep = SeriesOps.alignedMinMaxIndices(s.loss, maxPoints: maxPoints)
        s.steps = keep.map { s.steps[$0] }
        s.loss = keep.map { s.loss[$0] }
        s.gradNorm = keep.map { s.gradNorm[$0] }
      }
      let full = try TrajectoryBuilder.scene([s], options: config.options)
      let built = Date().timeIntervalSince(t0)
      renderer.apply(full, delta: nil)
      renderer.finish()
      fullTimes.append(Date().timeIntervalSince(t0))
      fullBuild.append(built)
      fullBytes = renderer.uploads.lastBytes
    }
    var state = try IncrementalTrajectory(configuration: config, rows: rows[..<samples])
    guard case .scatter(let trace) = state.scene.traces[0] else { return }
    renderer.apply(state.scene, delta: nil)
    renderer.finish()
    var growthsBefore = 0
    for k in 0..<(repeats + 1) {
      if k == 1 { growthsBefore = renderer.uploads.bufferGrowths }
      let n = samples + append * (k + 1)
      let t0 = Date()
      guard let delta = state.append(rows[(n - append)..<n]) else {
        print("follow: the incremental trajectory refused the append"); return
      }
      let built = Date().timeIntervalSince(t0)
      guard renderer.apply(state.scene, delta: delta) else { print("follow: the renderer reloaded"); return }
      renderer.finish()
      let total = Date().timeIntervalSince(t0)
      if k == 0 { continue }  // the first append may grow the buffers
      incTimes.append(total)
      incBuild.append(built)
      incBytes = renderer.uploads.lastBytes
    }
    let limit = maxPoints == Int.max ? "unlimited" : "\(maxPoints) (buckets of \(state.bucketWidth) steps)"
    print("follow: trajectory \(samples) samples, --max-steps \(limit): \(trace.count) points drawn, +\(append) samples per update, median of \(repeats) (\(renderer.context.glRenderer)); buffer growths after the first append: \(renderer.uploads.bufferGrowths - growthsBefore)")
    print(String(format: "follow:   full rebuild  %8.1f ms (scene %.1f ms, upload %.1f ms, %.1f MB)", ms(median(fullTimes)),
      ms(median(fullBuild)), ms(median(fullTimes) - median(fullBuild)), Double(fullBytes) / 1e6))
    print(String(format: "follow:   incremental  %8.2f ms (scene %.2f ms, upload %.2f ms, %.1f KB)", ms(median(incTimes)),
      ms(median(incBuild)), ms(median(incTimes) - median(incBuild)), Double(incBytes) / 1e3))
    print(String(format: "follow:   incremental is %.0fx faster", median(fullTimes) / median(incTimes)))
  }

  /// One `view loss-landscape RUN --follow` update of a long run (`samples` rows with loss and
  /// learning rate, windows of 50, stride 12): `IncrementalLossLandscape.append` +
  /// `SceneRenderer.apply` (row-major upload with the rows the viewer reserves) against the
  /// full rebuild (rows -> buffer -> samples -> `slidingWindowScene` -> upload every vertex).
  static func lossLandscape(renderer: HeadlessRenderer, samples: Int, append: Int, repeats: Int) throws {
    func row(_ i: Int) -> MetricRow {
      let lr = 3e-4 * min(1, Double(i + 1) / 2000) * (1 - 0.9 * Double(i) / Double(samples))
      return MetricRow(step: Int64(i), values: ["loss": 3 * exp(-Double(i) / 20_000) + 0.5 + 0.05 * sin(Double(i) * 0.37), "lr": lr])
    }
    let rows = (0..<(samples + append * (repeats + 2))).map(row)
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    func ms(_ t: Double) -> Double { t * 1000 }
    let config = IncrementalLossLandscape.Configuration(runName: "bench", lossKey: "loss", learningRateKey: "lr")
    var fullTimes: [Double] = [], fullBuild: [Double] = [], incTimes: [Double] = [], incBuild: [Double] = []
    var fullBytes = 0, incBytes = 0
    for k in 0..<repeats {
      let n = samples + append * (k + 1)
      let t0 = Date()
      var buffer = MetricsBuffer()
      buffer.append(contentsOf: rows[..<n])
      var steps: [Int64] = [], losses: [Double] = [], lrs: [Double] = []
      for r in buffer.rows {
        guard let l = r.values["loss"], let lr = r.values["lr"] else { continue }
        steps.append(r.step)
        losses.append(l)
        lrs.append(lr)
      }
      let full = try LossLandscapeBuilder.slidingWindowScene(
        steps: steps, losses: losses, learningRates: lrs, runName: "bench", options: config.options)
      let built = Date().timeIntervalSince(t0)
      renderer.apply(full, delta: nil)
      renderer.finish()
      fullTimes.append(Date().timeIntervalSince(t0))
      fullBuild.append(built)
      fullBytes = renderer.uploads.lastBytes
    }
    var state = try IncrementalLossLandscape(configuration: config, rows: rows[..<samples])
    let windows = state.rows
    renderer.apply(state.scene, delta: nil, reserveRows: max(2 * windows, windows + 256))
    renderer.finish()
    for k in 0..<(repeats + 1) {
      let n = samples + append * (k + 1)
      let t0 = Date()
      guard let delta = state.append(rows[(n - append)..<n]) else {
        print("follow: the incremental loss landscape refused the append"); return
      }
      let built = Date().timeIntervalSince(t0)
      guard renderer.apply(state.scene, delta: delta) else { print("follow: the renderer reloaded"); return }
      renderer.finish()
      let total = Date().timeIntervalSince(t0)
      if k == 0 { continue }
      incTimes.append(total)
      incBuild.append(built)
      incBytes = renderer.uploads.lastBytes
    }
    print("follow: loss landscape \(samples) samples: \(windows) windows of 50 drawn, +\(append) samples per update, median of \(repeats) (\(renderer.context.glRenderer))")
    print(String(format: "follow:   full rebuild  %8.1f ms (scene %.1f ms, upload %.1f ms, %.1f MB)", ms(median(fullTimes)),
      ms(median(fullBuild)), ms(median(fullTimes) - median(fullBuild)), Double(fullBytes) / 1e6))
    print(String(format: "follow:   incremental  %8.2f ms (scene %.2f ms, upload %.2f ms, %.1f KB)", ms(median(incTimes)),
      ms(median(incBuild)), ms(median(incTimes) - median(incBuild)), Double(incBytes) / 1e3))
    print(String(format: "follow:   incremental is %.0fx faster", median(fullTimes) / median(incTimes)))
  }
}
