import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeGL

/// The append-or-reload decision, without a GL context.
@Suite(.tiered) struct UploadPlanTests {
  static func surface(rows: Int, cols: Int, scale: AxisScale = .linear) -> SurfaceTrace {
    let n = rows * cols
    return SurfaceTrace(
      name: "s", rows: rows, cols: cols, x: (0..<n).map { Double($0 % cols) }, y: (0..<n).map { Double($0 / cols) },
      z: (0..<n).map { Double($0) + 1 }, colormap: .viridis, colorRange: 1...Double(n), colorScale: scale)
  }

  static func points(_ n: Int, size: Double = 6) -> ScatterTrace {
    ScatterTrace(
      name: "p", x: (0..<n).map(Double.init), y: (0..<n).map(Double.init), z: (0..<n).map(Double.init),
      colors: .solid(.black), markerSize: size)
  }

  static func scene(_ traces: [Trace], xMax: Double = 10) -> Scene {
    Scene(
      title: "", traces: traces, x: AxisSpec(title: "x", range: 0...xMax), y: AxisSpec(title: "y", range: 0...10),
      z: AxisSpec(title: "z", range: 0...100))
  }

  static let mesh = MeshTrace(name: "m", x: [0, 1, 0], y: [0, 0, 1], z: [0, 0, 1], i: [0], j: [1], k: [2], colors: .solid(.black))

  @Test func grownSurfacesAndPointsAppendTheRestTakeUniforms() throws {
    let before = Self.scene([.surface(Self.surface(rows: 3, cols: 4)), .scatter(Self.points(5)), .mesh(Self.mesh)])
    let loaded = LoadedScene(before, rowMajor: false)
    #expect(loaded.traces[0] == .surface(rows: 3, cols: 4, transposed: false, colorScale: .linear))
    let after = Self.scene(
      [.surface(Self.surface(rows: 3, cols: 6)), .scatter(Self.points(8)), .mesh(Self.mesh)], xMax: 20)
    let delta = SceneDelta(
      surfaces: [.init(trace: 0, previousColumns: 4, unchangedColumns: 3)],
      scatters: [.init(trace: 1, previousCount: 5, unchangedCount: 4)])
    let plan = try #require(UploadPlan(loaded: loaded, scene: after, delta: delta))
    // The x axis grew: the mesh, normalized to the box, is uploaded again.
    #expect(plan.steps == [.surface(appendFrom: 3), .scatter(appendFrom: 4), .mesh(reload: true)])
    // Nothing grew and the axes stayed: uniforms only.
    let same = try #require(UploadPlan(loaded: loaded, scene: before, delta: SceneDelta(surfaces: [])))
    #expect(same.steps == [.surface(appendFrom: nil), .scatter(appendFrom: nil), .mesh(reload: false)])
  }

  @Test func rowMajorSurfacesAppendRows() throws {
    let before = Self.scene([.surface(Self.surface(rows: 4, cols: 3))])
    let loaded = LoadedScene(before, rowMajor: true)
    #expect(loaded.traces[0] == .surface(rows: 3, cols: 4, transposed: true, colorScale: .linear))
    let after = Self.scene([.surface(Self.surface(rows: 6, cols: 3))])
    let rows = SceneDelta(surfaces: [], surfaceRows: [.init(trace: 0, previousRows: 4, unchangedRows: 4)])
    #expect(UploadPlan(loaded: loaded, scene: after, delta: rows)?.steps == [.surface(appendFrom: 4)])
    // Columns grown on a row-major upload, or rows on a column-major one: reload.
    let columns = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 4, unchangedColumns: 4)])
    #expect(UploadPlan(loaded: loaded, scene: after, delta: columns) == nil)
    #expect(UploadPlan(loaded: LoadedScene(before, rowMajor: false), scene: after, delta: rows) == nil)
  }

  @Test func whatDoesNotFitReloads() {
    let before = Self.scene([.surface(Self.surface(rows: 3, cols: 4)), .scatter(Self.points(5))])
    let loaded = LoadedScene(before, rowMajor: false)
    let grown = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 4, unchangedColumns: 4)])
    let wider = Self.scene([.surface(Self.surface(rows: 3, cols: 5)), .scatter(Self.points(5))])
    // The wrong previous count, a trace that does not exist, a shape that grew unannounced.
    #expect(UploadPlan(loaded: loaded, scene: wider, delta: SceneDelta(surfaces: [.init(trace: 0, previousColumns: 3, unchangedColumns: 3)])) == nil)
    #expect(UploadPlan(loaded: loaded, scene: wider, delta: SceneDelta(surfaces: [.init(trace: 7, previousColumns: 4, unchangedColumns: 4)])) == nil)
    #expect(UploadPlan(loaded: loaded, scene: wider, delta: SceneDelta(surfaces: [])) == nil)
    #expect(UploadPlan(loaded: loaded, scene: wider, delta: grown) != nil)
    // Another colour scale, another axis scale, other traces, another marker size.
    var log = wider
    log.traces[0] = .surface(Self.surface(rows: 3, cols: 5, scale: .log))
    #expect(UploadPlan(loaded: loaded, scene: log, delta: grown) == nil)
    var logAxis = wider
    logAxis.y = AxisSpec(title: "y", scale: .log, range: 1...10)
    #expect(UploadPlan(loaded: loaded, scene: logAxis, delta: grown) == nil)
    #expect(UploadPlan(loaded: loaded, scene: Self.scene([.surface(Self.surface(rows: 3, cols: 5))]), delta: grown) == nil)
    let bigger = Self.scene([.surface(Self.surface(rows: 3, cols: 4)), .scatter(Self.points(5, size: 9))])
    #expect(UploadPlan(loaded: loaded, scene: bigger, delta: SceneDelta(surfaces: [])) == nil)
  }
}
