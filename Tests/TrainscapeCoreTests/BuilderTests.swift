import Foundation
import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

@Suite(.tiered) struct GradientFlowBuilderTests {
  let steps: [Int64] = [0, 10, 20, 30]
  let layers = [0, 1, 2]

  @Test func surfaceHasOneRowPerLayerAndOneColumnPerStep() throws {
    let values = (0..<12).map { Double($0 + 1) }
    let scene = try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "grad_norm", runName: "r")
    let s = try #require(scene.traces[0].surface)
    #expect(s.rows == 3 && s.cols == 4)
    #expect(s.x[5] == 10 && s.y[5] == 1 && s.z[5] == 6)
    #expect(scene.x.range == 0...30 && scene.y.range == 0...2)
    #expect(scene.z.range == 1...12)  // the data's own range
    #expect(scene.z.scale == .linear)  // 1..12 spans barely one decade
    #expect(scene.colorBar?.range == 1...12)
    #expect(scene.title.contains("grad_norm") && scene.title.contains("r"))
  }

  @Test func autoLogWhenValuesSpanDecades() throws {
    let values = (0..<12).map { pow(10.0, Double($0) / 3 - 2) }
    let scene = try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "g", runName: "r")
    #expect(scene.z.scale == .log)
    var opts = GradientFlowBuilder.Options()
    opts.logZ = .off
    #expect(try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "g", runName: "r", options: opts).z.scale == .linear)
  }

  @Test func nonPositiveValuesOnALogAxisBecomeHolesWithANote() throws {
    var values = (0..<12).map { Double($0 + 1) }
    values[3] = 0
    var opts = GradientFlowBuilder.Options()
    opts.logZ = .on
    let scene = try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "g", runName: "r", options: opts)
    let s = try #require(scene.traces[0].surface)
    #expect(s.z[3].isNaN)
    #expect(scene.notes.contains { $0.contains("1 value(s) <= 0") })
  }

  @Test func perLayerNormalisationDividesByEachLayersMaximum() throws {
    let values: [Double] = [1, 2, 4, 2, 10, 20, 40, 20, 3, .nan, 6, 3]
    var opts = GradientFlowBuilder.Options()
    opts.normalizePerLayer = true
    let scene = try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "g", runName: "r", options: opts)
    let s = try #require(scene.traces[0].surface)
    #expect(Array(s.z[0..<4]) == [0.25, 0.5, 1, 0.5])
    #expect(Array(s.z[4..<8]) == [0.25, 0.5, 1, 0.5])
    #expect(s.z[8] == 0.5 && s.z[9].isNaN && s.z[10] == 1)
  }

  @Test func tooLittleDataIsAClearError() {
    #expect(throws: BuilderError.self) {
      try GradientFlowBuilder.scene(steps: [0], layers: [0, 1], values: [1, 2], family: "g", runName: "r")
    }
    #expect(throws: BuilderError.self) {
      try GradientFlowBuilder.scene(steps: [0, 1], layers: [0, 1], values: [.nan, .nan, .nan, .nan], family: "g", runName: "r")
    }
  }
}

@Suite(.tiered) struct LossLandscapeBuilderTests {
  @Test func windowsFollowTheOriginalScript() {
    // range(0, n - window, max(1, window // 4))
    #expect(LossLandscapeBuilder.windows(count: 100, window: 50).starts == [0, 12, 24, 36, 48])
    #expect(LossLandscapeBuilder.windows(count: 51, window: 50).starts == [0])
    #expect(LossLandscapeBuilder.windows(count: 50, window: 50).starts == [])
    // Fewer samples than the window: the window becomes n // 2.
    let w = LossLandscapeBuilder.windows(count: 30, window: 50)
    #expect(w.window == 15 && w.starts == [0, 3, 6, 9, 12])
  }

  /// The surface equals what nanochat's create_3d_loss_landscape feeds go.Surface, computed
  /// by numpy in the venv.
  @Test(.tags(.python)) func surfaceMatchesANumpyReimplementationOfTheOriginal() throws {
    let n = 237
    var rng = SystemRandomNumberGenerator()
    let steps = (0..<n).map { Int64($0 * 3) }
    let losses = (0..<n).map { _ in Double.random(in: 1...5, using: &rng) }
    let lrs = (0..<n).map { i in 3e-4 * (1 + cos(Double(i) / Double(n) * .pi)) / 2 + 1e-6 }
    var opts = LossLandscapeBuilder.Options()
    opts.window = 40
    opts.logLR = .off
    opts.logZ = .off
    let scene = try LossLandscapeBuilder.slidingWindowScene(steps: steps, losses: losses, learningRates: lrs, runName: "r", options: opts)
    let s = try #require(scene.traces[0].surface)
    let input = try String(decoding: JSONSerialization.data(withJSONObject: ["steps": steps.map { Int($0) }, "losses": losses, "lrs": lrs]), as: UTF8.self)
    let out = try PythonReference.run("""
      import json, sys
      import numpy as np
      d = json.load(sys.stdin)
      steps, losses, lrs = np.array(d["steps"]), np.array(d["losses"]), np.array(d["lrs"])
      window_size = 40
      if len(steps) < window_size:
          window_size = len(steps) // 2
      X, Y, Z = [], [], []
      for i in range(0, len(steps) - window_size, max(1, window_size // 4)):
          X.append(steps[i:i+window_size]); Y.append(lrs[i:i+window_size]); Z.append(losses[i:i+window_size])
      X, Y, Z = np.array(X), np.array(Y), np.array(Z)
      print(json.dumps({"shape": list(Z.shape), "x": X.ravel().tolist(), "y": Y.ravel().tolist(), "z": Z.ravel().tolist()}))
      """, stdin: input)
    let ref = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    let shape = ref["shape"] as! [Int]
    #expect([s.rows, s.cols] == shape)
    // JSON carries the numbers through text: equal up to the last bit or two.
    func mismatches(_ a: [Double], _ key: String) -> Int {
      let b = (ref[key] as! [NSNumber]).map(\.doubleValue)
      guard a.count == b.count else { return -1 }
      return zip(a, b).filter { abs($0 - $1) > 1e-12 * Swift.max(abs($0), abs($1)) }.count
    }
    #expect(mismatches(s.x, "x") == 0)
    #expect(mismatches(s.y, "y") == 0)
    #expect(mismatches(s.z, "z") == 0)
  }

  @Test func learningRateAxisGoesLogWhenItSpansDecades() throws {
    let n = 200
    let steps = (0..<n).map { Int64($0) }
    let losses = (0..<n).map { 5 - Double($0) / 100 }
    let lrs = (0..<n).map { 1e-3 * pow(0.97, Double($0)) }  // ~ 2.6 decades
    let scene = try LossLandscapeBuilder.slidingWindowScene(steps: steps, losses: losses, learningRates: lrs, runName: "r")
    #expect(scene.y.scale == .log)
    #expect(scene.z.scale == .linear)
    #expect(scene.notes.contains { $0.contains("sliding windows") })
  }

  @Test func tooFewSamplesIsAClearError() {
    #expect(throws: BuilderError.self) {
      try LossLandscapeBuilder.slidingWindowScene(steps: [0, 1, 2], losses: [1, 2, 3], learningRates: [1, 1, 1], runName: "r")
    }
  }
}
