import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// The follow path's incremental gradient flow must draw exactly what a full build draws.
@Suite(.tiered) struct IncrementalGradientFlowTests {
  static let layers = 5
  static let family = MetricFamily(
    prefix: "grad_norm", members: (0..<layers).map { .init(layer: $0, key: "grad_norm/layer_\($0)") })

  /// Rows of a run: a loss row and a gradient row per step (sometimes the same step logged
  /// twice, sometimes a layer missing or NaN, sometimes a value <= 0; with `positive`, values
  /// over several decades, a decade lower per layer).
  static func rows(count: Int, seed: UInt64, positive: Bool = false) -> [MetricRow] {
    var g = SplitMix64(seed: seed)
    var out: [MetricRow] = []
    var step: Int64 = 0
    for _ in 0..<count {
      step += Int64(1 + g.int(3))
      out.append(MetricRow(step: step, values: ["loss": 3 - g.nextDouble()]))
      var v: [String: Double] = [:]
      for l in 0..<layers where g.nextDouble() > 0.05 {
        let x = g.nextDouble()
        v["grad_norm/layer_\(l)"] = g.nextDouble() < 0.03 ? .nan : (positive ? (1e-3 + x * x * 10) * pow(10, -Double(l)) : x - 0.1)
      }
      if g.nextDouble() < 0.2 {
        // Half of the layers now, the rest in a second row with the same step.
        let keys = v.keys.sorted()
        let first = Dictionary(uniqueKeysWithValues: keys.prefix(keys.count / 2).map { ($0, v[$0]!) })
        let second = Dictionary(uniqueKeysWithValues: keys.dropFirst(keys.count / 2).map { ($0, v[$0]!) })
        out.append(MetricRow(step: step, values: first))
        out.append(MetricRow(step: step, values: second))
      } else {
        out.append(MetricRow(step: step, values: v))
      }
    }
    return out
  }

  static func same(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
  }

  func assertSameScene(_ a: Scene, _ b: Scene, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(a.title == b.title, "\(message)", sourceLocation: sourceLocation)
    #expect(a.x == b.x, "\(message)", sourceLocation: sourceLocation)
    #expect(a.y == b.y, "\(message)", sourceLocation: sourceLocation)
    #expect(a.z == b.z, "\(message)", sourceLocation: sourceLocation)
    #expect(a.colorBar == b.colorBar, "\(message)", sourceLocation: sourceLocation)
    #expect(a.notes == b.notes, "\(message)", sourceLocation: sourceLocation)
    #expect(a.traces.count == b.traces.count, "\(message)", sourceLocation: sourceLocation)
    let s = try #require(a.traces.first?.surface, "not a surface: \(message)", sourceLocation: sourceLocation)
    let t = try #require(b.traces.first?.surface, "not a surface: \(message)", sourceLocation: sourceLocation)
    #expect(s.rows == t.rows, "\(message)", sourceLocation: sourceLocation)
    #expect(s.cols == t.cols, "\(message)", sourceLocation: sourceLocation)
    #expect(s.colorRange == t.colorRange, "\(message)", sourceLocation: sourceLocation)
    #expect(s.colorScale == t.colorScale, "\(message)", sourceLocation: sourceLocation)
    #expect(Self.same(s.x, t.x), "x: \(message)", sourceLocation: sourceLocation)
    #expect(Self.same(s.y, t.y), "y: \(message)", sourceLocation: sourceLocation)
    #expect(Self.same(s.z, t.z), "z: \(message)", sourceLocation: sourceLocation)
    #expect(Self.same(s.color, t.color), "color: \(message)", sourceLocation: sourceLocation)
  }

  /// Builds from a prefix, appends the rest in random batches, and compares with a full build
  /// after every batch.
  func checkRandomSplits(_ config: IncrementalGradientFlow.Configuration, rows: [MetricRow], seed: UInt64) throws -> Int {
    var g = SplitMix64(seed: seed)
    var appended = 0
    for trial in 0..<6 {
      var n = 24 + g.int(10)
      var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<n])
      while n < rows.count {
        let k = min(rows.count - n, 1 + g.int(trial < 3 ? 4 : 40))
        let batch = rows[n..<(n + k)]
        n += k
        let full = try IncrementalGradientFlow(configuration: config, rows: rows[..<n])
        if let delta = state.append(batch) {
          appended += 1
          try assertSameScene(state.scene, full.scene, "trial \(trial), \(n) rows")
          if let d = delta.surfaces.first {
            // Columns before `unchangedColumns` did not move.
            #expect(d.unchangedColumns <= d.previousColumns)
          }
        } else {
          state = full
        }
      }
    }
    return appended
  }

  @Test func appendsEqualFullBuildsLinear() throws {
    let rows = Self.rows(count: 150, seed: 1)
    var config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run")
    config.options.logZ = .off
    #expect(try checkRandomSplits(config, rows: rows, seed: 7) > 50)
  }

  @Test func appendsEqualFullBuildsWithEMAAndLogZ() throws {
    let rows = Self.rows(count: 150, seed: 2, positive: true)
    var config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run", emaSpan: 8)
    config.options.logZ = .auto
    let full = try IncrementalGradientFlow(configuration: config, rows: rows)
    #expect(full.scene.z.scale == .log, "the data should span the decades that choose log z")
    #expect(try checkRandomSplits(config, rows: rows, seed: 8) > 50)
  }

  @Test func appendsEqualFullBuildsForcedLogWithHiddenValuesAndStepRange() throws {
    let rows = Self.rows(count: 150, seed: 3)
    var config = IncrementalGradientFlow.Configuration(
      family: Self.family, runName: "run", emaSpan: 3, stepRange: StepRange(lower: 10, upper: 250))
    config.options.logZ = .on
    #expect(try checkRandomSplits(config, rows: rows, seed: 9) > 20)
  }

  @Test func fallsBackWhereAppendingIsWrong() throws {
    let rows = Self.rows(count: 40, seed: 4)
    var config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run", maxColumns: 50)
    var state = try IncrementalGradientFlow(configuration: config, rows: rows)
    let before = state.scene
    let lastStep = rows.last!.step
    // Out of order.
    #expect(state.append([MetricRow(step: lastStep - 5, values: ["grad_norm/layer_0": 1])]) == nil)
    // A new key (a new layer of the family).
    #expect(state.append([MetricRow(step: lastStep + 1, values: ["grad_norm/layer_9": 1])]) == nil)
    // Beyond --max-steps the steps go into buckets of 4: every column changes.
    let many = (1...20).map { MetricRow(step: lastStep + Int64($0), values: ["grad_norm/layer_0": 0.5]) }
    #expect(state.append(many) == nil)
    #expect(state.scene == before, "a refused append leaves the state as it was")
    // Rows without family values change nothing.
    #expect(state.append([MetricRow(step: lastStep + 1, values: ["loss": 1])]) == SceneDelta(surfaces: []))
    // A row with the last column's step rewrites that column.
    let cols = state.scene.traces.first.flatMap { if case .surface(let s) = $0 { return s.cols }; return nil }!
    let d = state.append([MetricRow(step: lastStep, values: ["grad_norm/layer_1": 0.25])])
    #expect(d == SceneDelta(surfaces: [.init(trace: 0, previousColumns: cols, unchangedColumns: cols - 1)]))
    // Bounded buffers and per-layer normalization never append.
    config.capacity = 100
    var bounded = try IncrementalGradientFlow(configuration: config, rows: rows)
    #expect(bounded.appendBlocker != nil)
    #expect(bounded.append([MetricRow(step: lastStep + 1, values: ["grad_norm/layer_0": 1])]) == nil)
    config.capacity = nil
    config.options.normalizePerLayer = true
    var normalized = try IncrementalGradientFlow(configuration: config, rows: rows)
    #expect(normalized.append([MetricRow(step: lastStep + 1, values: ["grad_norm/layer_0": 1])]) == nil)
  }

  /// Downsampled (more steps than `maxColumns`): appends extend the bucketed surface exactly as
  /// a full build draws it, across several doublings of the bucket width.
  @Test func appendsEqualFullBuildsWhenDownsampled() throws {
    let rows = Self.rows(count: 300, seed: 11)
    var config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run", maxColumns: 12)
    config.options.logZ = .off
    #expect(try checkRandomSplits(config, rows: rows, seed: 12) > 80)
    let full = try IncrementalGradientFlow(configuration: config, rows: rows)
    #expect(full.bucketWidth == 64, "300 steps in at most 12 columns: buckets of 64")
    config.emaSpan = 5
    config.options.logZ = .auto
    #expect(try checkRandomSplits(config, rows: Self.rows(count: 300, seed: 13, positive: true), seed: 14) > 80)
  }

  /// A 100k-step run followed from its first steps in batches of 100 rows: every update but
  /// the bucket width doublings appends, and the result is the full build's.
  @Test(.tags(.slow)) func longFollowRebuildsLogarithmically() throws {
    let family = MetricFamily(prefix: "grad_norm", members: (0..<2).map { .init(layer: $0, key: "grad_norm/layer_\($0)") })
    let total = 100_000
    var g = SplitMix64(seed: 21)
    let rows = (0..<total).map { i in
      MetricRow(step: Int64(i), values: ["grad_norm/layer_0": g.nextDouble() + 1, "grad_norm/layer_1": 1 / (1 + Double(i)) + g.nextDouble()])
    }
    var config = IncrementalGradientFlow.Configuration(family: family, runName: "run", maxColumns: 2000)
    config.options.logZ = .off
    var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<100])
    var rebuilds = 0, appends = 0, widths: [Int] = []
    for n in stride(from: 200, through: total, by: 100) {
      if state.append(rows[(n - 100)..<n]) != nil {
        appends += 1
      } else {
        rebuilds += 1
        state = try IncrementalGradientFlow(configuration: config, rows: rows[..<n])
        widths.append(state.bucketWidth ?? 0)
      }
    }
    // Widths 4, 8, ..., 128: log2(100k / 2000) + 1 rebuilds, each where the width doubled.
    #expect(widths == [4, 8, 16, 32, 64, 128])
    #expect(rebuilds == 6)
    #expect(appends == total / 100 - 1 - rebuilds)
    let full = try IncrementalGradientFlow(configuration: config, rows: rows)
    try assertSameScene(state.scene, full.scene, "after 100k steps")
    let s = try #require(state.scene.traces[0].surface)
    #expect(s.cols <= 2000)
    #expect(s.cols > 1000)
  }

  @Test func deltasCompose() {
    let a = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 10, unchangedColumns: 10)])
    let b = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 12, unchangedColumns: 11)])
    #expect(a.followed(by: b) == SceneDelta(surfaces: [.init(trace: 0, previousColumns: 10, unchangedColumns: 10)]))
    let c = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 10, unchangedColumns: 9)])
    #expect(b.followed(by: c).surfaces.first?.unchangedColumns == 9)
  }

  /// The axis-space vertices, mapped by `SurfaceTransform`, land where `SurfaceMesh` puts them,
  /// with the same normals, colour coordinates and triangles.
  @Test func axisGeometryMatchesSurfaceMesh() throws {
    let rows = Self.rows(count: 30, seed: 5, positive: true)
    var config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run")
    config.options.logZ = .on
    let scene = try IncrementalGradientFlow(configuration: config, rows: rows).scene
    let s = try #require(scene.traces[0].surface)
    let mesh = scene.mesh(for: s)
    // Another origin than the default, as after the ranges grew.
    let g = SurfaceAxisGeometry(surface: s, in: scene, origin: Vec3(3, 1, -2), colorOrigin: -1.5)
    let t = SurfaceTransform(scene: scene, surface: s, origin: g.origin, colorOrigin: g.colorOrigin)
    let v = g.vertices(columns: 0..<s.cols)
    var checked = 0
    for r in 0..<s.rows {
      for c in 0..<s.cols {
        let i = r * s.cols + c, k = g.vertexIndex(row: r, col: c) * SurfaceAxisGeometry.floatsPerVertex
        guard mesh.scalars[i].isFinite else { continue }
        for a in 0..<3 {
          let scale = [t.scale.x, t.scale.y, t.scale.z][a], offset = [t.offset.x, t.offset.y, t.offset.z][a]
          #expect(abs((Double(v[k + a]) * scale + offset) - (Double(mesh.positions[i * 3 + a]))) <= 1e-5)
        }
        let n = Vec3(
          Double(v[k + 3]) * t.normalScale.x, Double(v[k + 4]) * t.normalScale.y,
          Double(v[k + 5]) * t.normalScale.z
        ).normalized
        let m = Vec3(Double(mesh.normals[i * 3]), Double(mesh.normals[i * 3 + 1]), Double(mesh.normals[i * 3 + 2]))
        #expect(abs((n.dot(m)) - (1)) <= 1e-5, "normal at \(r), \(c)")
        let frac = min(1, max(0, Double(v[k + 6]) * t.colorScale + t.colorOffset))
        #expect(abs((frac) - (Double(mesh.scalars[i]))) <= 1e-5)
        checked += 1
      }
    }
    #expect(checked > s.rows * s.cols / 2)
    let tri = g.triangles(cellColumns: 0..<(s.cols - 1))
    #expect(tri.indices.count == mesh.indices.count)
    func key(_ idx: [UInt32], _ toCell: (Int) -> (Int, Int)) -> Set<[Int]> {
      Set(stride(from: 0, to: idx.count, by: 3).map { j in
        (0..<3).flatMap { let (r, c) = toCell(Int(idx[j + $0])); return [r, c] }
      })
    }
    #expect(key(tri.indices) { ($0 % s.rows, $0 / s.rows) } == key(mesh.indices) { ($0 / s.cols, $0 % s.cols) })
  }
}
