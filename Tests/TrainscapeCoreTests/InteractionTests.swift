import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// A 3 x 4 surface: x = 10 * col, y = 100 * row, z = `z(row, col)`.
private func gridScene(z: (Int, Int) -> Double = { _, _ in 5 }, camera: Camera = Camera(eye: Vec3(1.5, -1.5, 1.2))) -> Scene {
  let rows = 3, cols = 4
  var xs: [Double] = [], ys: [Double] = [], zs: [Double] = []
  for r in 0..<rows {
    for c in 0..<cols {
      xs.append(Double(10 * c)); ys.append(Double(100 * r)); zs.append(z(r, c))
    }
  }
  let s = SurfaceTrace(
    name: "grad_norm", rows: rows, cols: cols, x: xs, y: ys, z: zs, colormap: .viridis,
    colorRange: 0...10)
  return Scene(
    title: "t", traces: [.surface(s)],
    x: AxisSpec(title: "step", range: 0...30, integer: true),
    y: AxisSpec(title: "layer", range: 0...200, integer: true),
    z: AxisSpec(title: "value", range: 0...10), camera: camera)
}

private func close(_ a: Vec3, _ b: Vec3, _ tol: Double = 1e-9) -> Bool { (a - b).length <= tol }

@Suite(.tiered) struct InteractionTests {
  @Test func inverseTimesMatrixIsIdentity() throws {
    let m = Camera(eye: Vec3(1.5, -1.5, 1.2)).projectionMatrix(aspect: 1.6) * Camera(eye: Vec3(1.5, -1.5, 1.2)).viewMatrix
    let inv = try #require(m.inverse)
    let id = m * inv
    for r in 0..<4 { for c in 0..<4 { #expect(abs(id[r, c] - (r == c ? 1 : 0)) < 1e-9) } }
    #expect(Mat4(columnMajor: [Double](repeating: 0, count: 16)).inverse == nil)
  }

  @Test func mollerTrumboreHitsInsideAndMissesOutside() throws {
    let a = Vec3(0, 0, 0), b = Vec3(1, 0, 0), c = Vec3(0, 1, 0)
    let down = Ray(origin: Vec3(0.25, 0.25, 2), direction: Vec3(0, 0, -1))
    let h = try #require(Picker.intersect(down, a, b, c))
    #expect(abs(h.t - 2) < 1e-12)
    #expect(abs(h.u - 0.25) < 1e-12 && abs(h.v - 0.25) < 1e-12)
    #expect(Picker.intersect(Ray(origin: Vec3(0.8, 0.8, 2), direction: Vec3(0, 0, -1)), a, b, c) == nil)
    // Behind the origin: no hit.
    #expect(Picker.intersect(Ray(origin: Vec3(0.25, 0.25, 2), direction: Vec3(0, 0, 1)), a, b, c) == nil)
  }

  @Test func rayThroughAKnownPointOfAFlatSurfaceReturnsItsValues() throws {
    let scene = gridScene()
    let layout = FigureLayoutBuilder.layout(scene, width: 800, height: 600)
    let picker = Picker(scene: scene)
    for (r, c) in [(1, 2), (0, 0), (2, 3), (1, 1)] {
      let p = scene.normalized(Double(10 * c), Double(100 * r), 5)
      let pixel = try #require(layout.project(p))
      let hit = try #require(picker.pick(at: pixel, layout: layout, runName: "nanochat_d12"))
      #expect(hit.kind == .surface)
      #expect(hit.row == r && hit.col == c)
      #expect(hit.x == Double(10 * c) && hit.y == Double(100 * r) && hit.z == 5)
      #expect(close(hit.position, p, 1e-6))
      #expect(hit.lines.contains("step \(10 * c)"))
      #expect(hit.lines.contains("layer \(100 * r)"))
      #expect(hit.lines.contains("value 5"))
      #expect(hit.lines.contains("run nanochat_d12"))
    }
    // After turning the camera the same points are still found.
    var orbit = OrbitController(camera: scene.camera)
    orbit.rotate(dx: 60, dy: 10)
    var turned = scene
    turned.camera = orbit.camera
    let l2 = FigureLayoutBuilder.layout(turned, width: 800, height: 600)
    for (r, c) in [(1, 2), (1, 1)] {
      let p = scene.normalized(Double(10 * c), Double(100 * r), 5)
      let px = try #require(l2.project(p))
      let hit = try #require(picker.pick(at: px, layout: l2))
      #expect(hit.row == r && hit.col == c)
    }
    // Off the surface (a corner of the image): nothing.
    #expect(picker.pick(at: PixelPoint(2, 2), layout: layout) == nil)
  }

  @Test func pickingFindsTheNearerOfTwoLayersAndTheNearestMarker() throws {
    var scene = gridScene(z: { r, c in Double(r + c) })
    let marker = ScatterTrace(
      name: "run", x: [10], y: [100], z: [9], colors: .solid(.black), mode: .markers,
      text: ["step 1200"])
    scene.traces.append(.scatter(marker))
    let layout = FigureLayoutBuilder.layout(scene, width: 800, height: 600)
    let picker = Picker(scene: scene)
    let mp = try #require(layout.project(scene.normalized(10, 100, 9)))
    let hit = try #require(picker.pick(at: PixelPoint(mp.x + 3, mp.y - 2), layout: layout))
    #expect(hit.kind == .marker && hit.traceName == "run" && hit.index == 0)
    #expect(hit.lines.contains("step 1200"))
    // A sloped surface: the sample (2, 1) has z = 3.
    let sp = try #require(layout.project(scene.normalized(10, 200, 3)))
    let s = try #require(picker.pick(at: sp, layout: layout, markerRadius: 1))
    #expect(s.kind == .surface && s.row == 2 && s.col == 1 && s.z == 3)
  }

  @Test func orbitBy360DegreesReturnsToTheStart() {
    let cam = Camera(eye: Vec3(1.5, -1.5, 1.2))
    var o = OrbitController(camera: cam)
    o.rotate(dx: 800, dy: 0)  // 800 px * pi/400 = 2 pi
    #expect(close(o.camera.eye, cam.eye, 1e-9))
    // In steps, with an elevation change undone.
    for _ in 0..<16 { o.rotate(dx: 50, dy: 0) }
    o.rotate(dx: 0, dy: 30)
    #expect(!close(o.camera.eye, cam.eye, 1e-3))
    o.rotate(dx: 0, dy: -30)
    #expect(close(o.camera.eye, cam.eye, 1e-9))
    // Distance to the centre is kept; elevation is clamped short of the pole.
    o.rotate(dx: 0, dy: 10_000)
    let d = o.camera.eye - o.camera.center
    #expect(abs(d.length - (cam.eye - cam.center).length) < 1e-9)
    #expect(atan2(d.z, (d.x * d.x + d.y * d.y).squareRoot()) <= 85 * Double.pi / 180 + 1e-12)
    o.reset()
    #expect(o.camera == cam)
  }

  @Test func zoomTowardsTheCursorKeepsThePointUnderTheCursorFixed() throws {
    let scene = gridScene(z: { r, c in Double(r * 2 + c) })
    var style = FigureStyle()
    let layout0 = FigureLayoutBuilder.layout(scene, width: 800, height: 600, style: style)
    // Freeze the framing, as the viewer does on the first zoom.
    style.fixedFit = layout0.fit(for: scene.camera)
    let refit = FigureLayoutBuilder.layout(scene, width: 800, height: 600, style: style)
    #expect(zip(refit.projection.m, layout0.projection.m).allSatisfy { abs($0 - $1) < 1e-9 })

    let picker = Picker(scene: scene)
    let cursor = try #require(layout0.project(scene.normalized(20, 100, 4)))
    let hit = try #require(picker.pick(at: cursor, layout: layout0))
    var orbit = OrbitController(camera: scene.camera)
    var layout = layout0
    for steps in [3.0, 2.0, -4.0] {
      orbit.zoom(steps: steps, towards: cursor, layout: layout, depth: hit.distance)
      var s = scene
      s.camera = orbit.camera
      layout = FigureLayoutBuilder.layout(s, width: 800, height: 600, style: style)
      let now = try #require(layout.project(hit.position))
      #expect(abs(now.x - cursor.x) < 1e-6 && abs(now.y - cursor.y) < 1e-6)
      // And a point off the cursor did move (it is a zoom, not a no-op).
      let other = try #require(layout.project(scene.normalized(0, 0, 0)))
      let before = try #require(layout0.project(scene.normalized(0, 0, 0)))
      #expect(abs(other.x - before.x) + abs(other.y - before.y) > 1)
    }
    #expect(orbit.hasZoomedOrPanned)
    // Zooming in moved the eye closer to the hit point.
    var z = OrbitController(camera: scene.camera)
    z.zoom(steps: 5, towards: cursor, layout: layout0)
    #expect((z.camera.eye - hit.position).length < (scene.camera.eye - hit.position).length)
  }

  @Test func panKeepsTheViewDirectionAndFollowsTheCursor() throws {
    let scene = gridScene()
    var style = FigureStyle()
    let layout = FigureLayoutBuilder.layout(scene, width: 800, height: 600, style: style)
    style.fixedFit = layout.fit(for: scene.camera)
    var orbit = OrbitController(camera: scene.camera)
    let from = PixelPoint(400, 300), to = PixelPoint(460, 280)
    let centerBefore = try #require(layout.project(scene.camera.center))
    orbit.pan(from: from, to: to, layout: layout)
    let dir0 = (scene.camera.center - scene.camera.eye).normalized
    let dir1 = (orbit.camera.center - orbit.camera.eye).normalized
    #expect(close(dir0, dir1, 1e-12))
    #expect(abs((orbit.camera.eye - orbit.camera.center).length - (scene.camera.eye - scene.camera.center).length) < 1e-12)
    var s = scene
    s.camera = orbit.camera
    let after = FigureLayoutBuilder.layout(s, width: 800, height: 600, style: style)
    // The old centre (a scene point) moved with the cursor.
    let moved = try #require(after.project(scene.camera.center))
    #expect(abs(moved.x - (centerBefore.x + 60)) < 1e-6 && abs(moved.y - (centerBefore.y - 20)) < 1e-6)
  }

  @Test func eyeArgumentIsRelativeToTheCentre() {
    var o = OrbitController(camera: Camera(eye: Vec3(1.5, -1.5, 1.2)))
    #expect(o.eyeArgument == "--camera-eye 1.5,-1.5,1.2")
    o.rotate(dx: 200, dy: 0)  // a quarter turn
    let parts = o.eyeArgument.dropFirst("--camera-eye ".count).split(separator: ",").compactMap { Double($0) }
    #expect(parts.count == 3)
    let v = Camera.parseVector(String(o.eyeArgument.dropFirst("--camera-eye ".count)))
    #expect(v != nil && close(v!, o.camera.eye - o.camera.center, 1e-3))
  }

  @Test func readoutAddsDarkGlyphsBesideTheCursor() {
    let scene = gridScene()
    let layout = FigureLayoutBuilder.layout(scene, width: 800, height: 600)
    let out = layout.addingReadout(["step 1200", "layer 7"], at: PixelPoint(400, 300))
    #expect(out.glyphs.count > layout.glyphs.count + 10)
    let added = out.glyphs[layout.glyphs.count...]
    #expect(added.allSatisfy { g in g.corners.allSatisfy { $0.x > 400 && $0.y > 300 && $0.x < 600 && $0.y < 400 } })
    // Near the right edge it flips to the left of the cursor.
    let flipped = layout.addingReadout(["step 1200"], at: PixelPoint(795, 300))
    #expect(flipped.glyphs[layout.glyphs.count...].allSatisfy { $0.corners[0].x < 795 })
  }
}
