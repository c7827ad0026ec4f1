import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// The follow path's incremental single-run loss landscape must draw exactly what a full build
/// draws.
@Suite(.tiered) struct IncrementalLossLandscapeTests {

  /// Rows of a run: loss and learning rate per step, sometimes in two rows with the same step,
  /// sometimes a row with only one of them, a NaN loss or (with `nonPositive`) losses <= 0.
  static func rows(count: Int, seed: UInt64, nonPositive: Bool = false) -> [MetricRow] {
    var g = SplitMix64(seed: seed)
    var out: [MetricRow] = []
    var step: Int64 = 0
    for i in 0..<count {
      step += Int64(1 + g.int(3))
      let lr = 1e-3 * (1 + Double(i % 10)) * (0.5 + g.nextDouble())
      var loss = 3 / (1 + Double(i) * 0.01) + 0.2 * g.nextDouble()
      if g.nextDouble() < 0.03 { loss = .nan }
      if nonPositive && g.nextDouble() < 0.02 { loss = -g.nextDouble() }
      // A run of losses <= 0 that smoothing does not lift above 0.
      if nonPositive && i % 60 >= 50 && i % 60 < 56 { loss = -2 }
      let r = g.nextDouble()
      if r < 0.15 {
        out.append(MetricRow(step: step, values: ["loss": loss]))
        out.append(MetricRow(step: step, values: ["lr": lr]))
      } else if r < 0.2 {
        out.append(MetricRow(step: step, values: ["loss": loss]))
      } else {
        out.append(MetricRow(step: step, values: ["loss": loss, "lr": lr]))
      }
    }
    return out
  }

  /// `render loss-landscape RUN` without the CLI: buffer, step range, samples, EMA, scene.
  static func fullScene(_ c: IncrementalLossLandscape.Configuration, _ rows: ArraySlice<MetricRow>) throws -> Scene {
    var buffer = MetricsBuffer(capacity: nil)
    buffer.append(contentsOf: rows)
    if let r = c.stepRange { buffer = buffer.selecting(r) }
    var steps: [Int64] = [], losses: [Double] = [], lrs: [Double] = []
    for row in buffer.rows {
      guard let l = row.values[c.lossKey], let lr = row.values[c.learningRateKey] else { continue }
      steps.append(row.step)
      losses.append(l)
      lrs.append(lr)
    }
    if let span = c.emaSpan, span > 1 { losses = SeriesOps.ema(losses, span: span) }
    return try LossLandscapeBuilder.slidingWindowScene(
      steps: steps, losses: losses, learningRates: lrs, runName: c.runName, options: c.options)
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
    let same = IncrementalGradientFlowTests.same
    #expect(same(s.x, t.x), "x: \(message)", sourceLocation: sourceLocation)
    #expect(same(s.y, t.y), "y: \(message)", sourceLocation: sourceLocation)
    #expect(same(s.z, t.z), "z: \(message)", sourceLocation: sourceLocation)
    #expect(same(s.color, t.color), "color: \(message)", sourceLocation: sourceLocation)
  }

  /// Builds from a prefix, appends the rest in random batches, and compares with a full build
  /// after every batch. Returns the appends and the rebuilds.
  func checkRandomSplits(
    _ c: IncrementalLossLandscape.Configuration, rows: [MetricRow], seed: UInt64, start: Int = 40
  ) throws -> (appends: Int, rebuilds: Int) {
    var g = SplitMix64(seed: seed)
    var appends = 0, rebuilds = 0
    var blockers = Set<String>()
    defer { if !blockers.isEmpty { print("rebuilt because: \(blockers.sorted())") } }
    for trial in 0..<5 {
      var n = start + g.int(20)
      // nil while a full build throws (fewer than 2 windows).
      var state = try? IncrementalLossLandscape(configuration: c, rows: rows[..<n])
      while n < rows.count {
        let k = min(rows.count - n, 1 + g.int(trial < 3 ? 4 : 60))
        let batch = rows[n..<(n + k)]
        n += k
        guard let full = try? Self.fullScene(c, rows[..<n]) else {
          #expect(state?.append(batch) == nil, "trial \(trial), \(n) rows: no full build")
          state = nil
          continue
        }
        let before = state?.rows ?? 0
        if let delta = state?.append(batch), let s = state {
          appends += 1
          try assertSameScene(s.scene, full, "trial \(trial), \(n) rows")
          #expect(delta.surfaces == [])
          #expect(delta.surfaceRows == [SurfaceRowGrowth(trace: 0, previousRows: before, unchangedRows: before)])
        } else {
          if let s = state { blockers.insert(s.appendBlocker ?? "none") }
          rebuilds += 1
          state = try IncrementalLossLandscape(configuration: c, rows: rows[..<n])
          try assertSameScene(state!.scene, full, "rebuilt: trial \(trial), \(n) rows")
        }
      }
    }
    return (appends, rebuilds)
  }

  func configuration(window: Int = 12) -> IncrementalLossLandscape.Configuration {
    var o = LossLandscapeBuilder.Options()
    o.window = window
    return IncrementalLossLandscape.Configuration(runName: "run", lossKey: "loss", learningRateKey: "lr", options: o)
  }

  @Test func randomBatchesEqualFullBuilds() throws {
    let rows = Self.rows(count: 600, seed: 1)
    let r = try checkRandomSplits(configuration(), rows: rows, seed: 2)
    #expect(r.rebuilds == 0)
    #expect(r.appends > 300)
  }

  @Test func defaultWindowGrowsThenAppends() throws {
    // Fewer samples than the window of 50: the window is count / 2 and every update rebuilds;
    // from 50 samples on, updates append.
    let rows = Self.rows(count: 500, seed: 3)
    let r = try checkRandomSplits(configuration(window: 50), rows: rows, seed: 4, start: 20)
    #expect(r.appends > 100)
    #expect(r.rebuilds > 0)
  }

  @Test func emaStepRangeAndLogAxes() throws {
    var c = configuration(window: 16)
    c.emaSpan = 7
    c.stepRange = StepRange(lower: 30, upper: nil)
    c.options.logZ = .on
    c.options.logLR = .on
    let rows = Self.rows(count: 500, seed: 5, nonPositive: true)
    let r = try checkRandomSplits(c, rows: rows, seed: 6, start: 60)
    #expect(r.appends > 100)
    // The scene hides the losses <= 0 on the log axis and says so.
    let full = try Self.fullScene(c, rows[...])
    #expect(full.notes.contains { $0.contains("loss value(s) <= 0") })
  }

  @Test func declines() throws {
    let rows = Self.rows(count: 200, seed: 7)
    let c = configuration()
    var a = try IncrementalLossLandscape(configuration: c, rows: rows)
    #expect(a.append([MetricRow(step: 1, values: ["loss": 1, "lr": 1e-3])]) == nil)
    #expect(a.appendBlocker != nil)
    var b = try IncrementalLossLandscape(configuration: c, rows: rows)
    #expect(b.append([MetricRow(step: 10_000, values: ["loss": 1, "lr": 1e-3, "val_loss": 2])]) == nil)
    var d = try IncrementalLossLandscape(configuration: c, rows: rows)
    // A huge loss makes --log-z auto choose a log axis: every drawn value changes.
    var tail: [MetricRow] = []
    for i in 0..<20 { tail.append(MetricRow(step: 10_000 + Int64(i), values: ["loss": 1e6, "lr": 1e-3])) }
    #expect(d.append(tail) == nil)
    #expect(try Self.fullScene(c, (rows + tail)[...]).z.scale == .log)
  }

  @Test func deltasCompose() {
    let a = SceneDelta(surfaces: [], surfaceRows: [.init(trace: 0, previousRows: 10, unchangedRows: 10)])
    let b = SceneDelta(surfaces: [], surfaceRows: [.init(trace: 0, previousRows: 12, unchangedRows: 12)])
    #expect(a.followed(by: b) == a)
  }

  /// The row-major (transposed) layout holds the same vertices and triangles as the
  /// column-major one.
  @Test func transposedGeometryMatches() throws {
    let rows = Self.rows(count: 120, seed: 9)
    let scene = try IncrementalLossLandscape(configuration: configuration(), rows: rows).scene
    let s = try #require(scene.traces[0].surface)
    let a = SurfaceAxisGeometry(surface: s, in: scene)
    let b = SurfaceAxisGeometry(surface: s, in: scene, transposed: true)
    #expect(b.rows == s.cols)
    #expect(b.cols == s.rows)
    let va = a.vertices(columns: 0..<a.cols), vb = b.vertices(columns: 0..<b.cols)
    let f = SurfaceAxisGeometry.floatsPerVertex
    for r in 0..<s.rows {
      for c in 0..<s.cols {
        let i = a.vertexIndex(row: r, col: c) * f, j = b.vertexIndex(row: c, col: r) * f
        for k in [0, 1, 2, 6] { #expect(va[i + k] == vb[j + k]) }
        let n = Vec3(Double(va[i + 3]), Double(va[i + 4]), Double(va[i + 5]))
        let m = Vec3(Double(vb[j + 3]), Double(vb[j + 4]), Double(vb[j + 5]))
        #expect(abs((n.dot(m)) - (1)) <= 1e-5, "normal at \(r), \(c)")
      }
    }
    // The same triangles, as sets of trace samples.
    func key(_ idx: [UInt32], _ toCell: (Int) -> (Int, Int)) -> Set<Set<[Int]>> {
      Set(Swift.stride(from: 0, to: idx.count, by: 3).map { j in
        Set((0..<3).map { let (r, c) = toCell(Int(idx[j + $0])); return [r, c] })
      })
    }
    let ta = a.triangles(cellColumns: 0..<(a.cols - 1)).indices
    let tb = b.triangles(cellColumns: 0..<(b.cols - 1)).indices
    #expect(ta.count == tb.count)
    #expect(key(ta) { ($0 % s.rows, $0 / s.rows) } == key(tb) { ($0 / s.cols, $0 % s.cols) })
  }
}
