import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// A bumpy surface on an n x n grid with optional NaN holes.
func bumpySurfaceScene(n: Int, holes: [(Int, Int)] = []) -> Scene {
  var x = [Double](repeating: 0, count: n * n), y = x, z = x
  for r in 0..<n {
    for c in 0..<n {
      let u = Double(c) / Double(n - 1) * 4 - 2, v = Double(r) / Double(n - 1) * 4 - 2
      let i = r * n + c
      x[i] = u; y[i] = v
      z[i] = 0.5 * (u * u + v * v) / 4 + 0.3 * sin(3 * u) * cos(2 * v)
    }
  }
  for (r, c) in holes { z[r * n + c] = .nan }
  let zr = finiteRange(z, scale: .linear)!
  let s = SurfaceTrace(name: "loss", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: zr)
  return Scene(
    title: "Loss landscape", traces: [.surface(s)],
    x: AxisSpec(title: "a", range: -2...2), y: AxisSpec(title: "b", range: -2...2),
    z: AxisSpec(title: "Loss", range: zr), camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
    colorBar: ColorBar(title: "Loss", colormap: .viridis, range: zr, scale: .linear))
}

final class FrameCollector: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var order: [Int] = []
  private(set) var pngs: [Int: [UInt8]] = [:]
  func add(_ i: Int, _ png: [UInt8]) {
    lock.lock(); defer { lock.unlock() }
    order.append(i)
    pngs[i] = png
  }
}

struct FramesSinkError: Error {}

@Suite(.tiered) struct FramesCameraTests {
  @Test func turntableCoversTheCircleWithoutRepeatingAFrame() {
    let base = Camera(eye: Vec3(1.5, -1.5, 1.2), center: Vec3(0.1, 0, 0))
    let n = 72
    let cams = FramePipeline.turntableCameras(base: base, frames: n, elevation: nil)
    #expect(cams.count == n)
    func azimuth(_ c: Camera) -> Double {
      let d = c.eye - c.center
      return atan2(d.y, d.x) * 180 / .pi
    }
    func wrap(_ a: Double) -> Double { (a.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) }
    // Starts at the base eye; the last frame is one step short of a full turn.
    #expect(abs(wrap(azimuth(cams[0]) - azimuth(base))) < 1e-9)
    #expect(abs(wrap(azimuth(cams[0]) - azimuth(cams[n - 1])) - 360.0 / Double(n)) < 1e-9)
    for k in 1..<n {
      #expect(abs(wrap(azimuth(cams[k]) - azimuth(cams[k - 1])) - 5) < 1e-9)
      #expect(abs(cams[k].eye.z - base.eye.z) < 1e-12, "height kept")
      #expect(abs((cams[k].eye - cams[k].center).length - (base.eye - base.center).length) < 1e-12)
    }
  }

  @Test func explicitElevationKeepsTheDistance() {
    let base = Camera(eye: Vec3(2, 0, 0))
    let cams = FramePipeline.turntableCameras(base: base, frames: 8, elevation: 30)
    for c in cams {
      let d = c.eye - c.center
      #expect(abs(d.length - 2) < 1e-12)
      let elevation = asin(d.z / d.length) * 180 / .pi
      #expect(abs(elevation - 30) < 1e-9)
    }
  }
}

@Suite(.tiered) struct FramesLevelOfDetailTests {
  @Test func reducesAMillionSamplesToTheBudgetAndKeepsHoles() throws {
    let n = 1000
    let holes = [(500, 500), (123, 877), (999, 0)]
    let scene = bumpySurfaceScene(n: n, holes: holes)
    #expect(scene.surfaceTriangleCount == 999 * 999 * 2)
    let budget = Scene.triangleBudget(width: 640, height: 360)
    #expect(budget == 640 * 360 / 2)
    let (lod, reduced) = scene.levelOfDetail(maxTriangles: budget)
    #expect(reduced)
    #expect(lod.surfaceTriangleCount <= budget)
    #expect(lod.surfaceTriangleCount > budget * 8 / 10, "uses most of the budget: \(lod.surfaceTriangleCount)")
    let s = try #require(lod.traces[0].surface)
    let full = try #require(scene.traces[0].surface)
    // Extent kept: the first and last rows and columns are the original ones.
    #expect(s.x.first == full.x.first && s.x.last == full.x.last)
    #expect(s.y.first == full.y.first && s.y.last == full.y.last)
    // Each hole punches at least one coarse vertex near it.
    for (r, c) in holes {
      let cr = Int((Double(r) / Double(n - 1) * Double(s.rows - 1)).rounded())
      let cc = Int((Double(c) / Double(n - 1) * Double(s.cols - 1)).rounded())
      var found = false
      for dr in -1...1 {
        for dc in -1...1 {
          let rr = cr + dr, c2 = cc + dc
          if rr >= 0, rr < s.rows, c2 >= 0, c2 < s.cols, s.z[rr * s.cols + c2].isNaN { found = true }
        }
      }
      #expect(found, "hole at \(r),\(c) lost")
    }
    #expect(s.z.filter(\.isNaN).count <= holes.count)
    // Values are real samples (strided, not averaged): corners and a kept middle sample.
    #expect(s.z[0] == full.z[0] && s.z[s.cols - 1] == full.z[n - 1])
    let mr = s.rows / 2, mc = s.cols / 2
    let fr = Int((Double(mr) * Double(n - 1) / Double(s.rows - 1)).rounded())
    let fc = Int((Double(mc) * Double(n - 1) / Double(s.cols - 1)).rounded())
    #expect(s.z[mr * s.cols + mc] == full.z[fr * n + fc] || s.z[mr * s.cols + mc].isNaN)
    #expect(lod.notes.contains { $0.contains("level of detail") })
    // The original is untouched (exports keep full resolution).
    #expect(full.rows == n && full.z.count == n * n)
  }

  @Test func aSceneWithinBudgetIsUnchanged() {
    let scene = bumpySurfaceScene(n: 50)
    let (lod, reduced) = scene.levelOfDetail(maxTriangles: 100_000)
    #expect(!reduced)
    #expect(lod == scene)
  }

  @Test func qualityLevels() {
    #expect(RenderQuality.draft.triangleBudget(width: 1280, height: 720) * 2 == RenderQuality.final.triangleBudget(width: 1280, height: 720))
    #expect(RenderQuality.final.triangleBudget(width: 1280, height: 720) == 1280 * 720 / 48)
    #expect(RenderQuality.full.triangleBudget(width: 1280, height: 720) == 1280 * 720 / 2)
    #expect(RenderQuality.draft.samples == 0 && !RenderQuality.draft.fxaa)
    #expect(RenderQuality.final.samples == 0 && RenderQuality.final.fxaa)
    #expect(RenderQuality.full.samples == 4 && !RenderQuality.full.fxaa)
  }
}

@Suite(.serialized, .tiered) struct FramesPipelineTests {
  func run(_ renderer: HeadlessRenderer, cameras: [Camera], scene: Scene) throws -> FrameCollector {
    let pipeline = FramePipeline(renderer: renderer, width: 320, height: 180)
    let collector = FrameCollector()
    var progress: [Int] = []
    try pipeline.render(
      frames: cameras, scene: scene,
      sink: { i, image in collector.add(i, try PNGCodec.encode(image, options: .fast)) },
      progress: { done, total in
        #expect(total == cameras.count)
        progress.append(done)
      })
    #expect(progress == Array(1...cameras.count))
    return collector
  }

  @Test(.tags(.egl)) func rendersFramesInOrderWithOneUploadAndIsReproducible() throws {
    try withRenderer { r in
      let scene = bumpySurfaceScene(n: 60)
      let cams = FramePipeline.turntableCameras(base: scene.camera, frames: 6, elevation: nil)
      let a = try run(r, cameras: cams, scene: scene)
      #expect(a.order == Array(0..<6))
      #expect(r.uploadCount == 1, "only the camera changes: one mesh upload")
      let b = try run(r, cameras: cams, scene: scene)
      #expect(r.uploadCount == 1)
      for i in 0..<6 { #expect(a.pngs[i] == b.pngs[i], "frame \(i) differs between runs") }
      // The frames differ from each other (the camera moved) and match a single render.
      #expect(a.pngs[0] != a.pngs[1])
      var single = scene
      single.camera = cams[3]
      let direct = try PNGCodec.encode(r.render(single, width: 320, height: 180), options: .fast)
      #expect(direct == a.pngs[3])
    }
  }

  @Test(.tags(.egl)) func theFirstSinkErrorIsRethrownAndStopsRendering() throws {
    try withRenderer(samples: RenderQuality.draft.samples) { r in
      let scene = bumpySurfaceScene(n: 20)
      let cams = FramePipeline.turntableCameras(base: scene.camera, frames: 12, elevation: 20)
      let pipeline = FramePipeline(renderer: r, width: 160, height: 90, encodeQueueDepth: 1)
      let collector = FrameCollector()
      var drawn = 0
      #expect(throws: FramesSinkError.self) {
        try pipeline.render(
          frames: cams, scene: scene,
          sink: { i, _ in
            if i == 2 { throw FramesSinkError() }
            collector.add(i, [])
          },
          progress: { done, _ in drawn = done })
      }
      #expect(collector.order == [0, 1])
      #expect(drawn < 12, "rendering stopped early (drew \(drawn))")
    }
  }

  @Test(.tags(.egl)) func lodSceneRendersLikeTheFullOneAtAGlance() throws {
    // A 400x400 surface at 320x180: the LOD copy (budget 28800 triangles) must look the same
    // to within a small mean difference.
    try withRenderer { r in
      let scene = bumpySurfaceScene(n: 400)
      let full = try r.render(scene, width: 320, height: 180)
      let lod = RenderQuality.final.renderScene(scene, width: 320, height: 180)
      #expect(lod.surfaceTriangleCount <= Scene.triangleBudget(width: 320, height: 180))
      let reduced = try r.render(lod, width: 320, height: 180)
      var total = 0
      for i in 0..<(320 * 180) {
        for ch in 0..<3 { total += abs(Int(full.pixels[i * 4 + ch]) - Int(reduced.pixels[i * 4 + ch])) }
      }
      let mean = Double(total) / Double(320 * 180 * 3)
      #expect(mean < 1.5, "mean channel difference \(mean)")
    }
  }
}
