import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// A smooth n x n test surface (the viewer benchmark's).
func smoothSurfaceScene(size n: Int) -> Scene {
  var x = [Double](repeating: 0, count: n * n), y = x, z = x
  for r in 0..<n {
    for c in 0..<n {
      let i = r * n + c
      let u = Double(c) / Double(n - 1), v = Double(r) / Double(n - 1)
      x[i] = Double(c); y[i] = Double(r)
      z[i] = sin(6 * u) * cos(5 * v) + 0.3 * sin(23 * u * v)
    }
  }
  let s = SurfaceTrace(name: "s", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: -1.3...1.3)
  return Scene(
    title: "", traces: [.surface(s)], x: AxisSpec(title: "x", range: 0...Double(n - 1)),
    y: AxisSpec(title: "y", range: 0...Double(n - 1)), z: AxisSpec(title: "z", range: -1.3...1.3))
}

@Suite(.tiered) struct TraceSubsetTests {
  @Test func scatterSubsetKeepsColoursAndText() {
    let t = ScatterTrace(
      name: "a", x: [0, 1, 2, 3], y: [4, 5, 6, 7], z: [8, 9, 10, 11],
      colors: .scalar([0.1, 0.2, 0.3, 0.4], colormap: .plasma, range: 0...1, scale: .linear),
      text: ["a", "b", "c", "d"])
    let s = t.subset([3, 1])
    #expect(s.x == [3, 1] && s.y == [7, 5] && s.z == [11, 9] && s.text == ["d", "b"])
    #expect(s.colors == .scalar([0.4, 0.2], colormap: .plasma, range: 0...1, scale: .linear))
    #expect(t.prefix(2).x == [0, 1] && t.prefix(9) == t && t.prefix(0).count == 0)
    #expect(PointColors.perPoint([.black, .white]).subset([1]) == .perPoint([.white]))
    #expect(PointColors.solid(.black).subset([]) == .solid(.black))
  }

  @Test func subgridTakesRowsAndColumns() {
    let s = SurfaceTrace(
      name: "g", rows: 2, cols: 3, x: [0, 1, 2, 0, 1, 2], y: [0, 0, 0, 1, 1, 1], z: [1, 2, 3, 4, 5, 6],
      colormap: .viridis, colorRange: 1...6)
    let g = s.subgrid(rows: [1], cols: [0, 2])
    #expect(g.rows == 1 && g.cols == 2 && g.z == [4, 6] && g.x == [0, 2] && g.y == [1, 1] && g.color == [4, 6])
  }

  @Test func subsamplingKeepsTheEnds() {
    #expect(Subsampling.strided(10, by: 4) == [0, 4, 8, 9])
    #expect(Subsampling.strided(9, by: 4) == [0, 4, 8])
    #expect(Subsampling.strided(5, by: 1) == [0, 1, 2, 3, 4])
    #expect(Subsampling.evenlySpaced(11, keeping: 3) == [0, 5, 10])
    #expect(Subsampling.evenlySpaced(3, keeping: 5) == [0, 1, 2])
  }

  @Test func interactiveLevelOfDetailStridesLargeSurfacesToAboutTheBudget() throws {
    let lod = try #require(smoothSurfaceScene(size: 1000).interactiveLevelOfDetail(maxTriangles: 125_000))
    let s = try #require(lod.traces[0].surface)
    let tris = 2 * (s.rows - 1) * (s.cols - 1)
    #expect(tris <= 125_000 && tris >= 60_000, "\(tris) triangles")
    // The last row and column are kept, so the surface spans the same range.
    #expect(s.x.last == 999 && s.y.last == 999)
    #expect(smoothSurfaceScene(size: 100).interactiveLevelOfDetail(maxTriangles: 125_000) == nil)
  }

  @Test func interactiveLevelOfDetailThinsLargePointClouds() throws {
    let n = 1000
    let t = ScatterTrace(
      name: "p", x: (0..<n).map(Double.init), y: (0..<n).map(Double.init), z: (0..<n).map(Double.init),
      colors: .solid(.black), mode: .markers)
    let scene = Scene(
      title: "", traces: [.scatter(t)], x: AxisSpec(title: "", range: 0...999), y: AxisSpec(title: "", range: 0...999),
      z: AxisSpec(title: "", range: 0...999))
    let lod = try #require(scene.interactiveLevelOfDetail(maxTriangles: 10, maxPoints: 300))
    let p = try #require(lod.traces[0].scatter)
    #expect(p.count == 250 && p.x[1] == 4)
    #expect(scene.interactiveLevelOfDetail(maxTriangles: 10, maxPoints: 1000) == nil)
  }

  @Test func decorationHidesRecoloursAndScales() throws {
    var scene = smoothSurfaceScene(size: 4)
    scene.traces.append(.scatter(ScatterTrace(
      name: "run", x: [1, 2], y: [1, 2], z: [0, 1],
      colors: .scalar([0, 1], colormap: .viridis, range: 0...1, scale: .linear), markerSize: 4)))
    scene.colorBar = ColorBar(title: "z", colormap: .viridis, range: -1...1, scale: .linear)
    var d = SceneDecoration()
    #expect(d.apply(to: scene) == scene)
    d.hidden = [0]
    d.colormap = .magma
    d.markerScale = 1.5
    let s = d.apply(to: scene)
    let hidden = try #require(s.traces[0].surface)
    #expect(hidden.rows == 1 && hidden.z[0].isNaN && hidden.colormap == .magma)
    let points = try #require(s.traces[1].scatter)
    #expect(points.markerSize == 6 && points.count == 2)
    #expect(points.colors == .scalar([0, 1], colormap: .magma, range: 0...1, scale: .linear))
    #expect(s.colorBar?.colormap == .magma && s.traces.count == 2)
    #expect(SceneDecoration.colormap(after: "viridis")?.name == "plasma")
    #expect(SceneDecoration.colormap(after: "Greys")?.name == "viridis")
  }

  @Test func smoothNormalsWeighTrianglesByArea() {
    // Two triangles sharing an edge: a big one in z = 0 and a small one tilted up.
    let p = [Vec3(0, 0, 0), Vec3(4, 0, 0), Vec3(0, 4, 0), Vec3(0, -1, 1)]
    let n = VertexNormals.smooth(positions: p + [Vec3(9, 9, 9)], triangles: [0, 1, 2, 0, 3, 1])
    #expect(n[2] == Vec3(0, 0, 1))
    #expect(n[4] == Vec3(0, 0, 1), "a vertex on no triangle")
    // Vertex 0: (0, 0, 16) + (0, 4, 4) normalized.
    let want = Vec3(0, 4, 20).normalized
    #expect((n[0] - want).length < 1e-12)
    let m = MeshTrace(
      name: "m", x: [0, 1, 0, .nan], y: [0, 0, 1, 0], z: [0, 0, 0, 0], i: [0, 0, 5], j: [1, 1, 1], k: [2, 3, 2],
      colors: .solid(.black))
    let t = m.triangles { m.x[$0].isFinite }
    #expect(t.indices == [0, 1, 2] && t.dropped == 2)
  }
}
