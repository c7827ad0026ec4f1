import Foundation
import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

@Suite(.tiered) struct TrajectoryBuilderTests {
  let steps: [Int64] = [0, 1, 2, 3, 4]
  @Test func withoutRewardsStepLossGradColouredByLoss() throws {
    let run = TrajectoryBuilder.RunSeries(name: "a", steps: steps, loss: [5, 4, 3, 2.5, 2], gradNorm: [1, 0.8, 0.7, 0.6, 0.5])
    let scene = try TrajectoryBuilder.scene([run])
    let t = try #require(scene.traces[0].scatter)
    #expect(t.x == [0, 1, 2, 3, 4] && t.y == [5, 4, 3, 2.5, 2] && t.z == [1, 0.8, 0.7, 0.6, 0.5])
    #expect(t.mode == .linesAndMarkers)
    #expect(scene.colorBar?.title == "Loss" && scene.colorBar?.colormap == .viridis)
    #expect(scene.x.title == "Training step" && scene.x.integer)
    #expect(!scene.showLegend)
  }

  @Test func withRewardsLossGradRewardColouredByStepTurbo() throws {
    let run = TrajectoryBuilder.RunSeries(name: "a", steps: steps, loss: [5, 4, 3, 2.5, 2], gradNorm: [1, 0.8, 0.7, 0.6, 0.5], reward: [0, 0.1, 0.3, 0.2, 0.6])
    let scene = try TrajectoryBuilder.scene([run])
    let t = try #require(scene.traces[0].scatter)
    #expect(t.x == run.loss && t.y == run.gradNorm && t.z == run.reward)
    #expect(scene.colorBar?.title == "Step" && scene.colorBar?.colormap == .turbo)
    #expect(scene.colorBar?.range == 0...4)
  }

  @Test func severalRunsGetDistinctColoursAndALegend() throws {
    let a = TrajectoryBuilder.RunSeries(name: "a", steps: steps, loss: [5, 4, 3, 2, 1], gradNorm: [1, 1, 1, 1, 1])
    let b = TrajectoryBuilder.RunSeries(name: "b", steps: steps, loss: [6, 5, 4, 3, 2], gradNorm: [2, 2, 2, 2, 2])
    let scene = try TrajectoryBuilder.scene([a, b])
    #expect(scene.showLegend && scene.colorBar == nil)
    let ta = try #require(scene.traces[0].scatter)
    let tb = try #require(scene.traces[1].scatter)
    #expect(ta.colors != tb.colors)
    #expect(scene.y.range == 1...6)
  }
}

@Suite(.tiered) struct AttentionBuilderTests {
  /// A softmax-like 64 x 64 matrix: weights above the threshold become points.
  @Test func keepsExactlyTheWeightsAboveTheThreshold() throws {
    let n = 64
    var m = [Double](repeating: 0, count: n * n)
    for r in 0..<n {
      var sum = 0.0
      for c in 0...r { m[r * n + c] = exp(-Double(r - c) / 3); sum += m[r * n + c] }
      for c in 0...r { m[r * n + c] /= sum }
    }
    let expected = m.filter { $0 > 0.01 }.count
    let scene = try AttentionBuilder.scene(
      heads: [.init(name: "head 0", rows: n, cols: n)],
      rowsOf: { _, body in m.withUnsafeBufferPointer { p in for r in 0..<n { body(r, UnsafeBufferPointer(rebasing: p[(r * n)..<((r + 1) * n)])) } } },
      label: "test")
    let t = try #require(scene.traces[0].scatter)
    #expect(t.count == expected)
    #expect(t.mode == .markers)
    // Every point is on or below the diagonal (causal) and carries its weight.
    for i in 0..<t.count {
      #expect(t.y[i] <= t.x[i])
      #expect(abs(t.z[i] - m[Int(t.x[i]) * n + Int(t.y[i])]) < 1e-6)
    }
    #expect(scene.notes.isEmpty)
  }

  @Test func maxPointsKeepsTheLargestAndSaysSo() throws {
    let n = 100
    let m = (0..<(n * n)).map { Double($0) / Double(n * n) }
    var opts = AttentionBuilder.Options()
    opts.maxPoints = 50
    opts.threshold = 0
    let scene = try AttentionBuilder.scene(
      heads: [.init(name: "h", rows: n, cols: n)],
      rowsOf: { _, body in m.withUnsafeBufferPointer { p in for r in 0..<n { body(r, UnsafeBufferPointer(rebasing: p[(r * n)..<((r + 1) * n)])) } } },
      label: "x", options: opts)
    let t = try #require(scene.traces[0].scatter)
    #expect(t.count == 50)
    #expect(t.z.min()! >= Double(n * n - 50) / Double(n * n) - 1e-7)
    #expect(scene.notes.contains { $0.contains("kept the 50 largest") })
  }

  @Test func nothingAboveTheThresholdIsAClearError() {
    #expect(throws: BuilderError.self) {
      try AttentionBuilder.scene(heads: [.init(name: "h", rows: 1, cols: 2)], rowsOf: { _, body in [0.001, 0.002].withUnsafeBufferPointer { body(0, $0) } }, label: "x")
    }
  }
}

@Suite(.tiered) struct LossGridBuilderTests {
  @Test func gridBecomesASurfaceWithHolesAndClipping() throws {
    let x = [-1.0, 0, 1], y = [-1.0, 1]
    let values = [3.0, .nan, 9, 1, 2, 100]
    var opts = LossLandscapeBuilder.GridOptions()
    opts.zMax = 10
    opts.logZ = .off
    let scene = try LossLandscapeBuilder.gridScene(x: x, y: y, values: values, name: "train_loss", pendingCells: 1, options: opts)
    let s = try #require(scene.traces[0].surface)
    #expect(s.rows == 2 && s.cols == 3)
    #expect(s.z[5] == 10 && s.z[1].isNaN)
    #expect(s.x[4] == 0 && s.y[4] == 1)
    #expect(scene.z.range == 1...10)
    #expect(scene.notes.contains { $0.contains("1 of 6 cells are not computed") })
    #expect(scene.notes.contains { $0.contains("clipped") })
  }
}

@Suite(.tiered) struct RewardLandscapeBuilderTests {
  @Test func surfaceOverTheTrajectoryWithHolesOutsideTheHull() throws {
    let n = 60
    let steps = (0..<n).map { Int64($0 * 5) }
    let loss = (0..<n).map { 2 - Double($0) / 40 + 0.2 * sin(Double($0)) }
    let reward = (0..<n).map { Double($0) / Double(n) + 0.1 * cos(Double($0) / 3) }
    let scene = try RewardLandscapeBuilder.scene(steps: steps, loss: loss, reward: reward, runName: "rl")
    #expect(scene.traces.count == 2)
    let s = try #require(scene.traces[0].surface)
    let t = try #require(scene.traces[1].scatter)
    #expect(s.rows == 30 && s.cols == 30 && s.opacity == 0.6 && s.colormap == .rdylgn)
    #expect(s.z.contains { $0.isNaN } && s.z.contains { $0.isFinite })
    #expect(t.mode == .linesAndMarkers && t.count == n)
    #expect(scene.colorBar?.colormap == .turbo && scene.colorBar?.title == "Step")
    // Grid corners span the trajectory's step and loss ranges.
    #expect(s.x[0] == 0 && s.x[29] == 295 && s.y[0] == loss.min()! && s.y[29 * 30] == loss.max()!)
  }

  @Test func collinearInputGivesTheTrajectoryAloneWithANote() throws {
    let steps: [Int64] = [0, 1, 2, 3]
    let scene = try RewardLandscapeBuilder.scene(steps: steps, loss: [1, 2, 3, 4], reward: [0, 0.1, 0.2, 0.3], runName: "rl")
    #expect(scene.traces.count == 1)
    #expect(scene.notes.contains { $0.contains("collinear") && $0.contains("trajectory alone") })
  }

  @Test func tooFewPointsIsAClearError() {
    #expect(throws: BuilderError.self) {
      try RewardLandscapeBuilder.scene(steps: [0], loss: [1], reward: [1], runName: "rl")
    }
  }
}
