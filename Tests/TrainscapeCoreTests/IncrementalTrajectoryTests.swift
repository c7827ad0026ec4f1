import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// The follow path's incremental trajectory must draw exactly what a full build draws.
@Suite(.tiered) struct IncrementalTrajectoryTests {

  /// Rows with loss, gradient norm and (sometimes) reward, sometimes split over two rows with
  /// the same step, sometimes missing a value or NaN.
  static func rows(count: Int, seed: UInt64, reward: Bool = false) -> [MetricRow] {
    var g = SplitMix64(seed: seed)
    var out: [MetricRow] = []
    var step: Int64 = 0
    for i in 0..<count {
      step += Int64(1 + g.int(3))
      var loss = 3 * exp(-Double(i) / 300) + 0.5 + 0.1 * g.nextDouble()
      if g.nextDouble() < 0.03 { loss = .nan }
      var v: [String: Double] = ["loss": loss, "grad_norm": 0.5 + g.nextDouble()]
      if reward { v["reward"] = Double(i) / 100 + g.nextDouble() }
      let r = g.nextDouble()
      if r < 0.15 {
        out.append(MetricRow(step: step, values: ["loss": loss]))
        v["loss"] = nil
        out.append(MetricRow(step: step, values: v))
      } else if r < 0.2 {
        out.append(MetricRow(step: step, values: ["loss": loss]))
      } else {
        out.append(MetricRow(step: step, values: v))
      }
    }
    return out
  }

  /// `render trajectory RUN` without the CLI.
  static func fullScene(_ c: IncrementalTrajectory.Configuration, _ rows: ArraySlice<MetricRow>) throws -> Scene {
    var buffer = MetricsBuffer(capacity: nil)
    buffer.append(contentsOf: rows)
    if let r = c.stepRange { buffer = buffer.selecting(r) }
    var s = TrajectoryBuilder.RunSeries(name: c.runName, steps: [], loss: [], gradNorm: [], reward: [])
    for row in buffer.rows {
      guard let l = row.values[c.lossKey], let g = row.values[c.gradNormKey] else { continue }
      if let rk = c.rewardKey {
        guard let r = row.values[rk] else { continue }
        s.reward.append(r)
      }
      s.steps.append(row.step); s.loss.append(l); s.gradNorm.append(g)
    }
    func smooth(_ v: [Double]) -> [Double] {
      guard let span = c.emaSpan, span > 1 else { return v }
      return SeriesOps.ema(v, span: span)
    }
    s.loss = smooth(s.loss)
    s.gradNorm = smooth(s.gradNorm)
    if !s.reward.isEmpty { s.reward = smooth(s.reward) }
    if s.steps.count > c.maxPoints {
      let keep = SeriesOps.alignedMinMaxIndices(s.loss, maxPoints: c.maxPoints)
      s.steps = keep.map { s.steps[$0] }
      s.loss = keep.map { s.loss[$0] }
      s.gradNorm = keep.map { s.gradNorm[$0] }
      if !s.reward.isEmpty { s.reward = keep.map { s.reward[$0] } }
    }
    return try TrajectoryBuilder.scene([s], options: c.options)
  }

  /// Scene equality with NaN equal to NaN.
  func assertSame(_ a: Scene, _ b: Scene, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var a0 = a, b0 = b
    a0.traces = []
    b0.traces = []
    #expect(a0 == b0, "\(message)", sourceLocation: sourceLocation)
    try #require(a.traces.count == 1 && b.traces.count == 1, "not one trace: \(message)", sourceLocation: sourceLocation)
    let s = try #require(a.traces[0].scatter, "not a scatter trace: \(message)", sourceLocation: sourceLocation)
    let t = try #require(b.traces[0].scatter, "not a scatter trace: \(message)", sourceLocation: sourceLocation)
    let same = IncrementalGradientFlowTests.same
    #expect(same(s.x, t.x) && same(s.y, t.y) && same(s.z, t.z), "x, y, z: \(message)", sourceLocation: sourceLocation)
    #expect(s.text == t.text, "\(message)", sourceLocation: sourceLocation)
    #expect(s.steps == t.steps, "steps: \(message)", sourceLocation: sourceLocation)
    guard case .scalar(let u, let m, let r, let sc) = s.colors, case .scalar(let v, let m2, let r2, let sc2) = t.colors else {
      Issue.record("not coloured by value: \(message)", sourceLocation: sourceLocation)
      return
    }
    #expect(same(u, v) && m == m2 && r == r2 && sc == sc2, "colours: \(message)", sourceLocation: sourceLocation)
    #expect(s.name == t.name && s.mode == t.mode && s.markerSize == t.markerSize && s.lineWidth == t.lineWidth)
  }

  func checkRandomSplits(_ c: IncrementalTrajectory.Configuration, rows: [MetricRow], seed: UInt64) throws -> (appends: Int, rebuilds: Int) {
    var g = SplitMix64(seed: seed)
    var appends = 0, rebuilds = 0
    var blockers = Set<String>()
    defer { if !blockers.isEmpty { print("rebuilt because: \(blockers.sorted())") } }
    for trial in 0..<5 {
      var n = 20 + g.int(20)
      var state = try IncrementalTrajectory(configuration: c, rows: rows[..<n])
      while n < rows.count {
        let k = min(rows.count - n, 1 + g.int(trial < 3 ? 4 : 60))
        let batch = rows[n..<(n + k)]
        n += k
        let full = try Self.fullScene(c, rows[..<n])
        let before = state.scene
        if let delta = state.append(batch) {
          appends += 1
          try assertSame(state.scene, full, "trial \(trial), \(n) rows")
          let old = try #require(before.traces[0].scatter)
          let new = try #require(state.scene.traces[0].scatter)
          let d = try #require(delta.scatters.first)
          #expect(d.previousCount == old.count)
          // Points before `unchangedCount` did not move.
          #expect(Array(old.x[..<d.unchangedCount]) == Array(new.x[..<d.unchangedCount]))
          #expect(d.unchangedCount >= old.count - 2)
        } else {
          blockers.insert(state.appendBlocker ?? "none")
          rebuilds += 1
          state = try IncrementalTrajectory(configuration: c, rows: rows[..<n])
          try assertSame(state.scene, full, "rebuilt: trial \(trial), \(n) rows")
        }
      }
    }
    return (appends, rebuilds)
  }

  @Test func randomBatchesEqualFullBuilds() throws {
    let c = IncrementalTrajectory.Configuration(runName: "run", lossKey: "loss", gradNormKey: "grad_norm")
    let r = try checkRandomSplits(c, rows: Self.rows(count: 500, seed: 1), seed: 2)
    #expect(r.rebuilds == 0)
    #expect(r.appends > 200)
  }

  @Test func downsampledWithRewardsEMAAndStepRange() throws {
    var c = IncrementalTrajectory.Configuration(
      runName: "run", lossKey: "loss", gradNormKey: "grad_norm", rewardKey: "reward", maxPoints: 64)
    c.emaSpan = 5
    c.stepRange = StepRange(lower: 20, upper: nil)
    let r = try checkRandomSplits(c, rows: Self.rows(count: 1500, seed: 3, reward: true), seed: 4)
    #expect(r.appends > 300)
    // Buckets widen a few times per trial (64 points: widths 2, 4, ... 64).
    #expect(r.rebuilds <= 5 * 7)
  }

  @Test func forcedLogAxes() throws {
    var c = IncrementalTrajectory.Configuration(runName: "run", lossKey: "loss", gradNormKey: "grad_norm", maxPoints: 100)
    c.options.logLoss = .on
    c.options.logGradNorm = .on
    let r = try checkRandomSplits(c, rows: Self.rows(count: 800, seed: 5), seed: 6)
    #expect(r.appends > 200)
  }

  @Test func declines() throws {
    let rows = Self.rows(count: 100, seed: 7)
    let c = IncrementalTrajectory.Configuration(runName: "run", lossKey: "loss", gradNormKey: "grad_norm")
    var a = try IncrementalTrajectory(configuration: c, rows: rows)
    #expect(a.append([MetricRow(step: 1, values: ["loss": 1, "grad_norm": 1])]) == nil)
    var b = try IncrementalTrajectory(configuration: c, rows: rows)
    #expect(b.append([MetricRow(step: 100_000, values: ["loss": 1, "grad_norm": 1, "lr": 1])]) == nil)
    var d = try IncrementalTrajectory(configuration: c, rows: rows)
    // Gradient norms spanning two decades switch --log-grad auto to log.
    #expect(d.append([MetricRow(step: 100_000, values: ["loss": 1, "grad_norm": 500])]) == nil)
  }
}
