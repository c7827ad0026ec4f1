import Foundation
import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

@Suite(.tiered) struct SweepTests {
  func run(_ name: String, _ lr: Double, steps: [Int64], f: (Int64) -> Double) -> LossLandscapeBuilder.SweepRun {
    .init(name: name, learningRate: lr, steps: steps, loss: steps.map(f))
  }

  @Test func rowsAreLearningRatesOnALogAxisAndColumnsACommonStepGrid() throws {
    let a = run("a", 1e-3, steps: Array(stride(from: 0, through: 100, by: 10))) { 5 - Double($0) / 50 }
    let b = run("b", 1e-4, steps: Array(stride(from: 5, through: 120, by: 5))) { 6 - Double($0) / 100 }
    var opts = LossLandscapeBuilder.SweepOptions()
    opts.gridPoints = 11
    let scene = try LossLandscapeBuilder.sweepScene([a, b], options: opts)
    let s = try #require(scene.traces[0].surface)
    #expect(s.rows == 2)
    #expect(scene.y.scale == .log && scene.y.range == 1e-4...1e-3)
    // The common grid covers only the steps both runs have: 5...100.
    #expect(s.x.first == 5 && s.x[s.cols - 1] == 100)
    // Row 0 is the smaller learning rate; values are linear interpolations.
    #expect(s.y[0] == 1e-4 && s.y[s.cols] == 1e-3)
    for c in 0..<s.cols {
      #expect(abs(s.z[c] - (6 - s.x[c] / 100)) < 1e-12)
      #expect(abs(s.z[s.cols + c] - (5 - s.x[c] / 50)) < 1e-12)
    }
    #expect(scene.notes.contains { $0.contains("range every run covers") })
  }

  @Test func seedsWithTheSameLearningRateAreAveraged() throws {
    let steps: [Int64] = [0, 10, 20]
    let a = run("s1", 1e-3, steps: steps) { _ in 2 }, b = run("s2", 1e-3, steps: steps) { _ in 4 }
    let c = run("c", 3e-3, steps: steps) { _ in 1 }
    var opts = LossLandscapeBuilder.SweepOptions()
    opts.gridPoints = 3
    let scene = try LossLandscapeBuilder.sweepScene([a, b, c], options: opts)
    let s = try #require(scene.traces[0].surface)
    #expect(s.rows == 2 && Array(s.z[0..<3]) == [3, 3, 3])
    #expect(scene.notes.contains { $0.contains("mean of 2 runs") })
  }

  @Test func clearErrors() {
    let a = run("a", 1e-3, steps: [0, 10]) { _ in 1 }
    #expect(throws: BuilderError.self) { try LossLandscapeBuilder.sweepScene([a]) }
    #expect(throws: BuilderError.self) { try LossLandscapeBuilder.sweepScene([a, run("b", 1e-3, steps: [0, 10]) { _ in 2 }]) }
    #expect(throws: BuilderError.self) { try LossLandscapeBuilder.sweepScene([a, run("c", 1e-2, steps: [20, 30]) { _ in 2 }]) }
    #expect(throws: BuilderError.self) { try LossLandscapeBuilder.sweepScene([a, run("d", 0, steps: [0, 10]) { _ in 2 }]) }
  }

  @Test func learningRateFromRunNames() {
    #expect(LossLandscapeBuilder.learningRate(fromName: "lr_3e-4") == 3e-4)
    #expect(LossLandscapeBuilder.learningRate(fromName: "gpt2-lr=0.001-seed1") == 0.001)
    #expect(LossLandscapeBuilder.learningRate(fromName: "run_lr1e-3") == 1e-3)
    #expect(LossLandscapeBuilder.learningRate(fromName: "learning_rate=5e-4") == 5e-4)
    #expect(LossLandscapeBuilder.learningRate(fromName: "baseline") == nil)
    #expect(LossLandscapeBuilder.learningRate(fromName: "curl0.5") == nil)
  }
}
