import Foundation
import TrainscapeCore
import TrainscapeIO
import TrainscapeViewer

/// `viewer [--frames N] [--size WxH] [--follow RUN.jsonl]`: the interactive window on a display
/// (Xvfb on a server; release build).
///
/// - Orbit: frames per second turning the camera around a 1000 x 1000 surface (2 M triangles),
///   N frames each at full detail (4x MSAA, per-pixel lighting: the still frame and
///   screenshots) and at the level of detail drawn while dragging (MSAA off, about 125k
///   triangles lit per vertex), and the time to upload the surface.
/// - Follow latency (with --follow): a gradient-flow view following a copy of RUN; five times a
///   copy of its last row with the next step is appended, and the time from the append to the
///   frame that shows it is measured (the session polls every 100 ms), with its phases: update
///   built and taken by the window, applied, frame drawn.
enum ViewerBenchmark {
  static func run(_ args: [String]) throws {
    var frames = 10, width = 1280, height = 720
    var followPath: String?
    var i = 0
    while i < args.count {
      let value = i + 1 < args.count ? args[i + 1] : ""
      switch args[i] {
      case "--frames": frames = Int(value) ?? frames
      case "--size":
        let p = value.split(separator: "x").compactMap { Int($0) }
        if p.count == 2 { (width, height) = (p[0], p[1]) }
      case "--follow": followPath = value
      default:
        printLine("usage: TrainscapeBenchmarks viewer [--frames N] [--size WxH] [--follow RUN.jsonl]")
        return
      }
      i += 2
    }
    var options = ViewerOptions()
    options.width = width
    options.height = height
    let frameCount = frames
    try MainActor.assumeIsolated {
      try orbit(frames: frameCount, options: options)
      if let followPath { try followLatency(run: followPath, options: options) }
    }
  }

  /// A smooth n x n test surface.
  static func surfaceScene(size n: Int) -> Scene {
    var x = [Double](repeating: 0, count: n * n), y = x, z = x
    for r in 0..<n {
      for c in 0..<n {
        let i = r * n + c
        let u = Double(c) / Double(n - 1), v = Double(r) / Double(n - 1)
        x[i] = Double(c); y[i] = Double(r)
        z[i] = sin(6 * u) * cos(5 * v) + 0.3 * sin(23 * u * v)
      }
    }
    let s = SurfaceTrace(name: "benchmark", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: -1.3...1.3)
    return Scene(
      title: "Benchmark: \(n) x \(n) surface", traces: [.surface(s)],
      x: AxisSpec(title: "x", range: 0...Double(n - 1), integer: true),
      y: AxisSpec(title: "y", range: 0...Double(n - 1), integer: true),
      z: AxisSpec(title: "z", range: -1.3...1.3), camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "z", colormap: .viridis, range: -1.3...1.3, scale: .linear))
  }

  @MainActor
  static func orbit(frames: Int, options: ViewerOptions) throws {
    let viewer = Viewer(scene: surfaceScene(size: 2), session: nil, supportsLogZ: false, options: options)
    try viewer.drive { d in
      let (w, h) = d.framebufferSize
      let t0 = d.now
      d.load(surfaceScene(size: 1000))
      let upload = d.now - t0
      let tris = d.surfaceTriangles
      @MainActor func fps(levelOfDetail: Bool) -> Double {
        d.drawFrame(levelOfDetail: levelOfDetail)  // warm-up
        let start = d.now
        for _ in 0..<frames {
          d.rotate(dx: 800.0 / Double(frames), dy: 0)  // one full turn over the run
          d.drawFrame(levelOfDetail: levelOfDetail)
        }
        return Double(frames) / (d.now - start)
      }
      let full = fps(levelOfDetail: false), lod = fps(levelOfDetail: true)
      printLine(String(format: "viewer: %dx%d framebuffer, 1000 x 1000 surface (%d triangles; upload %.2f s)", w, h, tris.full, upload))
      printLine(String(format: "viewer: orbit full (%d triangles, %dx MSAA): %.2f fps", tris.full, options.samples, full))
      printLine(String(format: "viewer: orbit LOD  (%d triangles, MSAA off): %.2f fps", tris.levelOfDetail, lod))
    }
  }

  @MainActor
  static func followLatency(run path: String, options base: ViewerOptions) throws {
    let copy = FileManager.default.temporaryDirectory
      .appendingPathComponent("trainscape-viewer-bench-\(ProcessInfo.processInfo.processIdentifier).jsonl").path
    try? FileManager.default.removeItem(atPath: copy)
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    let follower = try RunFollowerSource(path: copy, format: .jsonl, runName: "bench")
    _ = try follower.poll()
    // The gradient flow `view gradient-flow RUN --follow` shows, with its defaults.
    let recipe = FollowRecipe(
      maxSteps: 2000, unitName: "columns",
      scene: { runs, _ in
        guard let b = gradientFlow(runs) else { throw BenchmarkError("\(path): no grad_norm family") }
        return b.scene
      },
      builder: { runs, _ in gradientFlow(runs) })
    var state = FollowState(followers: [follower], recipe: recipe)
    let first = try state.next().scene
    var options = base
    options.follow = true
    options.latestStep = state.latestStep
    options.followColumnLimit = 2000
    let session = FollowSession(state: state)
    let viewer = Viewer(scene: first, session: session, supportsLogZ: false, options: options)
    try viewer.drive { d in
      while d.shownStep == nil { try d.iterate() }
      var latencies: [Double] = [], phases: [String] = []
      for _ in 0..<5 {
        let step = (d.latestStep ?? 0) + 1
        try appendRow(to: copy, step: step)
        let start = d.now  // the row is in the file
        while (d.shownStep ?? .min) < step {
          guard d.now - start < 30 else { throw BenchmarkError("follow: step \(step) not shown after 30 s") }
          try d.iterate()
        }
        latencies.append(d.lastFrameTime - start)
        let t = d.followTimes
        phases.append(String(
          format: "%.0f+%.0f+%.0f", (t.received - start) * 1000, (t.applied - t.received) * 1000,
          (d.lastFrameTime - t.applied) * 1000))
        // Let the rebuild limiter settle so each sample starts alike.
        let pause = d.now
        while d.now - pause < options.minRebuildInterval { try d.iterate() }
      }
      let sorted = latencies.sorted()
      printLine(String(
        format: "viewer: follow latency (append a row -> frame showing it; poll %.0f ms): median %.0f ms, max %.0f ms over %d appends (in order: %@ ms)",
        options.pollInterval * 1000, sorted[sorted.count / 2] * 1000, sorted.last! * 1000, sorted.count,
        latencies.map { String(format: "%.0f", $0 * 1000) }.joined(separator: ", ")))
      printLine("viewer: follow latency by phase (ms: update built and taken + applied + frame drawn): \(phases.joined(separator: ", "))")
    }
  }

  /// The gradient flow of the run's grad_norm family (or its largest family).
  static func gradientFlow(_ runs: [String: Run]) -> IncrementalGradientFlow? {
    guard let run = runs.values.first else { return nil }
    let keys = Set(run.rows.flatMap { $0.values.keys })
    guard let family = MetricFamilies.family(named: "grad_norm", in: keys)
      ?? MetricFamilies.detect(in: keys).max(by: { $0.layers.count < $1.layers.count })
    else { return nil }
    var config = IncrementalGradientFlow.Configuration(family: family, runName: run.name)
    config.options.logZ = .auto
    return try? IncrementalGradientFlow(configuration: config, rows: run.rows)
  }

  /// Appends a copy of the file's last row with its step set to `step` (reading only the
  /// file's last 1 MB: followed files grow large).
  static func appendRow(to path: String, step: Int64) throws {
    guard let r = FileHandle(forReadingAtPath: path) else { throw BenchmarkError("\(path): cannot read") }
    let size = try r.seekToEnd()
    try r.seek(toOffset: size - min(size, 1 << 20))
    let data = try r.readToEnd() ?? Data()
    try? r.close()
    let lines = data.split(separator: 0x0A).filter { !$0.isEmpty }
    guard let last = lines.last,
      var obj = try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any]
    else { throw BenchmarkError("\(path): no JSON row to copy") }
    let key = ["step", "_step", "global_step"].first { obj[$0] != nil } ?? "step"
    obj[key] = step
    var out = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
    out.append(0x0A)
    guard let h = FileHandle(forWritingAtPath: path) else { throw BenchmarkError("\(path): cannot open for appending") }
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: out)
  }
}

struct BenchmarkError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}
