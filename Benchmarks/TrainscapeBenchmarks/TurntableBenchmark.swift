import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// `TrainscapeBenchmarks turntable [--frames N] [--json PATH] [--cases a,b,...]`: renders
/// 1280x720 turntables of analytic loss surfaces and one frame of a 512x512 attention point
/// cloud, with axes and colour bar, PNG level 1 + UP filter, frames written to a temp dir.
/// Each case runs in its own process (so peak RSS, from getrusage, is per case) and prints
/// seconds per frame, the total and peak RSS. The results go to a JSON file (default
/// /tmp/trainscape_turntable.json) that `scripts/bench_turntable.py` reads for the ratios
/// against matplotlib and PyVista. Frame 0 of each case is kept as /tmp/trainscape_<case>.png.
enum TurntableBenchmark {
  struct BenchError: Error { var message: String }
  struct Case {
    var name: String
    var grid: Int  // surface n x n; 0 = point cloud
    var frames: Int
    var quality: RenderQuality
    /// Triangle budget; nil = the quality's default (`RenderQuality.triangleBudget`).
    var budget: Int?
    var encodeQueueDepth = 1
  }

  static let width = 1280, height = 720

  static func cases(frames: Int) -> [Case] {
    [
      Case(name: "surface200_final", grid: 200, frames: frames, quality: .final),
      Case(name: "surface500_final", grid: 500, frames: frames, quality: .final),
      Case(name: "surface500_draft", grid: 500, frames: frames, quality: .draft),
      Case(name: "surface500_full", grid: 500, frames: frames, quality: .full),
      // Knobs: smaller triangle budgets, with and without MSAA.
      Case(name: "surface500_final_b60k", grid: 500, frames: frames, quality: .final, budget: 60_000),
      Case(name: "surface500_final_b20k", grid: 500, frames: frames, quality: .final, budget: 20_000),
      Case(name: "surface500_draft_b20k", grid: 500, frames: frames, quality: .draft, budget: 20_000),
      Case(name: "surface500_final_b60k_serial", grid: 500, frames: frames, quality: .final, budget: 60_000, encodeQueueDepth: 0),
      Case(name: "surface500_final_depth2", grid: 500, frames: frames, quality: .final, encodeQueueDepth: 2),
      Case(name: "points512_final", grid: 0, frames: 1, quality: .final),
    ]
  }

  static func run(_ args: [String]) throws {
    var frames = 72
    var json = "/tmp/trainscape_turntable.json"
    var only: Set<String>?
    var single: String?
    var profile = false
    var i = 0
    while i < args.count {
      let a = args[i], v = i + 1 < args.count ? args[i + 1] : ""
      switch a {
      case "--frames": frames = Int(v) ?? frames; i += 1
      case "--json": json = v; i += 1
      case "--cases": only = Set(v.split(separator: ",").map(String.init)); i += 1
      case "--case": single = v; i += 1
      case "--profile": profile = true
      default: break
      }
      i += 1
    }
    let all = cases(frames: frames)
    if let single {
      guard let c = all.first(where: { $0.name == single }) else { throw BenchError(message: "no case \(single)") }
      let r = try measure(c, profile: profile)
      let data = try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys])
      print("RESULT " + String(decoding: data, as: UTF8.self))
      return
    }
    print("turntable: \(width)x\(height), PNG level 1 + UP, frames to a temp dir, each case in its own process")
    print(String(repeating: "-", count: 118))
    print(
      "case".padding(toLength: 30, withPad: " ", startingAt: 0)
        + " triangles  AA      frames  setup_s  total_s  s/frame  draw_s/frame  peak_RSS_MB")
    var results: [[String: Any]] = []
    for c in all where only == nil || only!.contains(c.name) {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
      p.arguments = ["turntable", "--case", c.name, "--frames", String(frames)] + (profile ? ["--profile"] : [])
      let pipe = Pipe()
      p.standardOutput = pipe
      try p.run()
      let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }),
        let obj = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any]
      else {
        print("\(c.name): failed (\(p.terminationStatus))\n\(out)")
        continue
      }
      results.append(obj)
      func f(_ k: String, _ digits: Int = 3) -> String {
        String(format: "%.\(digits)f", (obj[k] as? Double) ?? .nan)
      }
      print(
        c.name.padding(toLength: 30, withPad: " ", startingAt: 0)
          + String(format: " %9d %-8@ %6d", obj["triangles"] as? Int ?? 0, (obj["aa"] as? String ?? "?") as NSString, obj["frames"] as? Int ?? 0)
          + "  \(f("setup_s"))    \(f("total_s"))   \(f("seconds_per_frame"))   \(f("draw_seconds_per_frame"))        \(f("peak_rss_mb", 1))")
      if let stages = obj["stages_ms"] as? [String: Double] {
        print("  per frame, ms (glFinish after each stage): " + stages.keys.sorted().map { String(format: "%@ %.1f", $0, stages[$0]!) }.joined(separator: ", "))
      }
    }
    let data = try JSONSerialization.data(
      withJSONObject: ["width": width, "height": height, "cases": results], options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: json))
    print("wrote \(json)")
  }

  /// A smooth bumpy loss surface on an n x n grid.
  static func surfaceScene(n: Int) -> Scene {
    var x = [Double](repeating: 0, count: n * n), y = x, z = x
    for r in 0..<n {
      for c in 0..<n {
        let u = Double(c) / Double(n - 1) * 4 - 2, v = Double(r) / Double(n - 1) * 4 - 2
        let i = r * n + c
        x[i] = u; y[i] = v
        z[i] = 0.25 * (u * u + v * v) + 0.35 * sin(3 * u) * cos(2.5 * v) + 0.15 * exp(-((u - 0.8) * (u - 0.8) + (v + 0.6) * (v + 0.6)) * 4)
      }
    }
    let zr = finiteRange(z, scale: .linear)!
    let s = SurfaceTrace(name: "loss", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: zr)
    return Scene(
      title: "Loss landscape \(n)x\(n)", traces: [.surface(s)],
      x: AxisSpec(title: "direction 1", range: -2...2), y: AxisSpec(title: "direction 2", range: -2...2),
      z: AxisSpec(title: "Loss", range: zr), camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "Loss", colormap: .viridis, range: zr, scale: .linear))
  }

  /// 512 x 512 attention-like weights: a diagonal band, a few "sink" columns, noise; as points.
  static func pointScene(n: Int = 512) -> Scene {
    var x = [Double](repeating: 0, count: n * n), y = x, z = x
    var state: UInt64 = 42
    for q in 0..<n {
      for k in 0..<n {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let noise = Double(state >> 40) / Double(1 << 24)
        let d = Double(q - k)
        let i = q * n + k
        x[i] = Double(k); y[i] = Double(q)
        z[i] = exp(-d * d / 200) + (k < 4 ? 0.6 : 0) + 0.05 * noise
      }
    }
    let zr = finiteRange(z, scale: .linear)!
    let t = ScatterTrace(
      name: "attention", x: x, y: y, z: z,
      colors: .scalar(z, colormap: .viridis, range: zr, scale: .linear), mode: .markers, markerSize: 2)
    return Scene(
      title: "Attention 512x512", traces: [.scatter(t)],
      x: AxisSpec(title: "key", range: 0...Double(n - 1), integer: true),
      y: AxisSpec(title: "query", range: 0...Double(n - 1), integer: true),
      z: AxisSpec(title: "weight", range: zr), camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "weight", colormap: .viridis, range: zr, scale: .linear))
  }

  static func peakRSSMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
  }

  static func threadCPU() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  static func measure(_ c: Case, profile: Bool = false) throws -> [String: Any] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trainscape-turntable-\(c.name)-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let t0 = now()
    let full = c.grid > 0 ? surfaceScene(n: c.grid) : pointScene()
    let budget = c.budget ?? c.quality.triangleBudget(width: width, height: height)
    let scene = full.levelOfDetail(maxTriangles: budget).scene
    let renderer = try HeadlessRenderer(gpu: .surfaceless, quality: c.quality)
    defer { renderer.destroy() }
    // Setup: scene, LOD, context, shaders and the mesh upload with a first (discarded) frame.
    _ = try renderer.render(scene, width: 64, height: 36)
    let t1 = now()
    let cameras = FramePipeline.turntableCameras(base: scene.camera, frames: c.frames, elevation: nil)
    let name = c.name
    var drawSeconds = 0.0
    renderer.profile = profile
    var stages = FrameTimings()
    let encodeClock = EncodeClock()
    let write: @Sendable (RGBAImage, Int, String, String) throws -> Void = { image, i, dir, name in
      try Self.write(image, i, dir: dir, name: name, clock: profile ? encodeClock : nil)
    }
    if c.encodeQueueDepth == 0 {
      // Sequential: draw, encode, write, next.
      for (i, cam) in cameras.enumerated() {
        var s = scene
        s.camera = cam
        let d0 = now()
        let image = try renderer.render(s, width: width, height: height)
        drawSeconds += now() - d0
        stages.add(renderer.lastTimings)
        try write(image, i, dir, name)
      }
    } else {
      FramePipeline.returnLargeBuffersToTheSystem()  // as the CLI does
      let pipeline = FramePipeline(renderer: renderer, width: width, height: height, encodeQueueDepth: c.encodeQueueDepth)
      var last = now()
      try pipeline.render(
        frames: cameras, scene: scene,
        sink: { i, image in try write(image, i, dir, name) },
        progress: { _, _ in
          stages.add(renderer.lastTimings)
          let t = now()
          drawSeconds += t - last
          last = t
        })
    }
    let t2 = now()
    // The CPU part of a frame on its own: FXAA on the CPU (when used) and PNG encoding.
    var cpuFXAA = 0.0, pngEncode = 0.0
    if profile {
      let reps = 5
      // Thread CPU time: robust against other load on the machine.
      var image = try renderer.render(scene, width: width, height: height)
      for _ in 0..<reps {
        let frame = try renderer.renderFrame(scene, width: width, height: height)
        let f0 = threadCPU()
        image = frame.finish()
        cpuFXAA += (threadCPU() - f0) / Double(reps)
      }
      let f1 = threadCPU()
      for _ in 0..<reps { _ = try PNGCodec.encode(image, options: .fast) }
      pngEncode = (threadCPU() - f1) / Double(reps)
    }
    let bytes = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.reduce(0) { total, f in
      total + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? Int) ?? 0)
    } ?? 0
    return [
      "case": c.name, "grid": c.grid, "frames": c.frames, "samples": renderer.samples,
      "aa": renderer.fxaa ? "FXAA" : (renderer.samples > 0 ? "\(renderer.samples)xMSAA" : "none"),
      "triangles": scene.surfaceTriangleCount, "points": c.grid == 0 ? 512 * 512 : 0,
      "setup_s": t1 - t0, "total_s": t2 - t1, "seconds_per_frame": (t2 - t1) / Double(c.frames),
      "draw_seconds_per_frame": drawSeconds / Double(c.frames),
      "peak_rss_mb": peakRSSMB(), "png_bytes_per_frame": bytes / Swift.max(1, c.frames),
      "uploads": renderer.uploadCount,
    ].merging(
      profile
        ? ["stages_ms": [
          "layout": stages.layout, "plot": stages.plot, "fxaa": stages.postProcess,
          "overlay": stages.overlay, "readback": stages.readback,
          "png_encode": encodeClock.encode, "file_write": encodeClock.write,
        ].mapValues { 1000 * $0 / Double(c.frames) }.merging(
          ["cpu_fxaa_thread_cpu": 1000 * cpuFXAA, "png_encode_thread_cpu": 1000 * pngEncode], uniquingKeysWith: { a, _ in a })] : [:],
      uniquingKeysWith: { a, _ in a })
  }

  /// Encode and write seconds, summed on the encoder queue.
  final class EncodeClock: @unchecked Sendable {
    var encode = 0.0
    var write = 0.0
  }

  static func write(_ image: RGBAImage, _ i: Int, dir: String, name: String, clock: EncodeClock? = nil) throws {
    let t0 = now()
    let png = try PNGCodec.encode(image, options: .fast)
    let t1 = now()
    let path = dir + "/frame_" + String(format: "%03d", i) + ".png"
    guard FileManager.default.createFile(atPath: path, contents: Data(png)) else {
      throw BenchError(message: "\(path): cannot write")
    }
    if let clock {
      clock.encode += t1 - t0
      clock.write += now() - t1
    }
    if i == 0 {
      _ = FileManager.default.createFile(atPath: "/tmp/trainscape_\(name).png", contents: Data(png))
    }
  }
}

extension FrameTimings {
  mutating func add(_ t: FrameTimings) {
    layout += t.layout; plot += t.plot; postProcess += t.postProcess
    overlay += t.overlay; readback += t.readback
  }
}
