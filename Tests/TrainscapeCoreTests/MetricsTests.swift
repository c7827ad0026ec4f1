import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

private func row(_ step: Int64, _ values: [String: Double]) -> MetricRow {
  MetricRow(step: step, values: values)
}

@Suite(.tiered) struct RunTests {
  @Test func metricKeysAndStepRange() {
    let run = Run(
      name: "r", source: "mem",
      rows: [row(5, ["loss": 1, "lr": 0.1]), row(2, ["acc": 0.5]), row(9, ["loss": 0.5])],
      config: ["batch": 32])
    #expect(run.metricKeys == ["acc", "loss", "lr"])
    #expect(run.stepRange == 2...9)
    #expect(Run(name: "e", source: "", rows: [], config: [:]).stepRange == nil)
  }
}

@Suite(.tiered) struct MetricsBufferTests {
  @Test func boundedDropsOldest() {
    var b = MetricsBuffer(capacity: 3)
    for s in 0..<5 { b.append(row(Int64(s), ["loss": Double(s)])) }
    #expect(b.count == 3)
    #expect(b.rows.map(\.step) == [2, 3, 4])
    #expect(b.droppedCount == 2)
    #expect(b.capacity == 3)
  }

  @Test func wholeRunKeepsEverything() {
    var b = MetricsBuffer()
    b.append(contentsOf: (0..<2500).map { row(Int64($0), ["x": 1]) })
    #expect(b.count == 2500)
    #expect(b.droppedCount == 0)
    #expect(b.capacity == nil)
  }

  @Test func defaults() {
    #expect(MetricsBuffer.defaultMetricsCapacity == 1000)
    #expect(MetricsBuffer.defaultGradientFlowCapacity == 100)
    var b = MetricsBuffer(capacity: MetricsBuffer.defaultGradientFlowCapacity)
    b.append(contentsOf: (0..<150).map { row(Int64($0), ["g": 1]) })
    #expect(b.count == 100 && b.droppedCount == 50 && b.rows.first?.step == 50)
  }

  @Test func equalStepMergesLaterKeysWin() {
    var b = MetricsBuffer(capacity: 2)
    b.append(row(1, ["loss": 1, "lr": 0.1]))
    b.append(row(1, ["loss": 2, "acc": 0.9]))
    #expect(b.count == 1)
    #expect(b.rows[0] == row(1, ["loss": 2, "lr": 0.1, "acc": 0.9]))
    // Only the last row merges: a repeated older step is a new row.
    b.append(row(2, ["loss": 3]))
    b.append(row(1, ["loss": 4]))
    #expect(b.rows.map(\.step) == [2, 1])
    #expect(b.droppedCount == 1)
  }

  @Test func loweringCapacityTrims() {
    var b = MetricsBuffer()
    b.append(contentsOf: (0..<10).map { row(Int64($0), ["x": 1]) })
    b.capacity = 4
    #expect(b.rows.map(\.step) == [6, 7, 8, 9])
    #expect(b.droppedCount == 6)
  }

  @Test func seriesKeepsOrderAndNaN() {
    var b = MetricsBuffer()
    b.append(row(0, ["loss": 3]))
    b.append(row(1, ["acc": 1]))
    b.append(row(2, ["loss": .nan]))
    b.append(row(3, ["loss": 1]))
    let s = b.series("loss")
    #expect(s.steps == [0, 2, 3])
    #expect(s.values.count == 3 && s.values[0] == 3 && s.values[1].isNaN && s.values[2] == 1)
    #expect(s.isIdentical(to: Series(steps: [0, 2, 3], values: [3, .nan, 1])))
    #expect(b.series("missing") == Series(steps: [], values: []))
  }
}

@Suite(.tiered) struct MetricFamiliesTests {
  @Test func allSpellings() {
    let keys = [
      "a/layer_0", "a/layer_1", "b/layer0", "b/layer1", "c/0", "c/1", "d.0", "d.1",
      "e.layer_0", "e.layer_1", "f_0", "f_1", "g_layer_0", "g_layer_1", "loss",
    ]
    let fams = MetricFamilies.detect(in: keys)
    #expect(fams.map(\.prefix) == ["a", "b", "c", "d", "e", "f", "g"])
    #expect(fams.allSatisfy { $0.layers == [0, 1] })
    #expect(fams[0].members == [.init(layer: 0, key: "a/layer_0"), .init(layer: 1, key: "a/layer_1")])
  }

  @Test func numericLayerOrder() {
    let keys = (0..<12).map { "grad_norm/layer_\($0)" }.shuffled()
    let fam = try! #require(MetricFamilies.detect(in: keys).first)
    #expect(fam.prefix == "grad_norm")
    #expect(fam.layers == Array(0..<12))
    #expect(fam.members[10].key == "grad_norm/layer_10")
  }

  @Test func singleLayerIsNotAFamily() {
    #expect(MetricFamilies.detect(in: ["x/layer_3", "loss", "acc"]).isEmpty)
    #expect(MetricFamilies.family(named: "x", in: ["x/layer_3"])?.layers == [3])
    #expect(MetricFamilies.family(named: "nope", in: ["x/layer_3"]) == nil)
  }

  @Test func conflictsGoToTheLongestPrefix() {
    // enc_layer_N would be enc + N, which collides with enc_N.
    let keys = ["enc_0", "enc_1", "enc_layer_0", "enc_layer_1"]
    let fams = MetricFamilies.detect(in: keys)
    #expect(fams.map(\.prefix) == ["enc", "enc_layer"])
    #expect(fams[0].members.map(\.key) == ["enc_0", "enc_1"])
    #expect(fams[1].members.map(\.key) == ["enc_layer_0", "enc_layer_1"])
  }

  @Test func nonMatchingKeys() {
    #expect(MetricFamilies.detect(in: ["loss", "layer_1", "/1", "a-1", "a-2", "x1", "x2"]).isEmpty)
  }
}

@Suite(.tiered) struct LayerStepMatrixTests {
  @Test func gridWithGaps() throws {
    var b = MetricsBuffer()
    b.append(row(0, ["g/layer_0": 1, "g/layer_1": 2, "loss": 9]))
    b.append(row(5, ["loss": 8]))
    b.append(row(10, ["g/layer_1": 3]))
    b.append(row(20, ["g/layer_0": 4, "g/layer_10": 5]))
    let fam = try #require(MetricFamilies.family(named: "g", in: ["g/layer_0", "g/layer_1", "g/layer_10"]))
    let m = b.layerStepMatrix(for: fam)
    #expect(m.family == "g")
    #expect(m.layers == [0, 1, 10])
    #expect(m.steps == [0, 10, 20])
    #expect(m.values.count == 9)
    #expect(m[layer: 0, step: 0] == 1)
    #expect(m[layer: 0, step: 1].isNaN)
    #expect(m[layer: 0, step: 2] == 4)
    #expect(m[layer: 1, step: 0] == 2)
    #expect(m[layer: 1, step: 1] == 3)
    #expect(m[layer: 1, step: 2].isNaN)
    #expect(m[layer: 2, step: 2] == 5)
  }

  @Test func stepsAreSorted() {
    var b = MetricsBuffer()
    b.append(row(7, ["p_0": 1, "p_1": 1]))
    b.append(row(3, ["p_0": 2]))
    let fam = MetricFamilies.detect(in: ["p_0", "p_1"])[0]
    let m = b.layerStepMatrix(for: fam)
    #expect(m.steps == [3, 7])
    #expect(m[layer: 0, step: 0] == 2 && m[layer: 1, step: 1] == 1 && m[layer: 1, step: 0].isNaN)
  }
}
