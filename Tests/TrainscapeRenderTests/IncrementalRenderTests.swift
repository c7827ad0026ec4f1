import Foundation
import Testing
import TrainscapeCore
import TrainscapeHeadless

/// A followed gradient-flow surface extended in place draws what loading the final scene draws,
/// while uploading only the new columns.
@Suite struct IncrementalRenderTests {
  static let family = MetricFamily(
    prefix: "grad_norm", members: (0..<8).map { .init(layer: $0, key: "grad_norm/layer_\($0)") })

  static func row(_ i: Int) -> MetricRow {
    var v: [String: Double] = [:]
    for l in 0..<8 where !(l == 3 && i == 20) {  // one hole
      v["grad_norm/layer_\(l)"] = 2.0 * exp(-Double(l) / 2.0) * exp(-Double(i) / 20) + 0.002 + 0.001 * sin(Double(i * (l + 1)))
    }
    return MetricRow(step: Int64(i * 20), values: v)
  }

  @Test func appendedColumnsRenderLikeAFreshLoad() throws {
    let rows = (0..<80).map(Self.row)
    let config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run")
    var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<40])
    let r = try HeadlessRenderer(gpu: .surfaceless)
    defer { r.destroy() }
    _ = try r.render(state.scene, width: 400, height: 300)
    let loadBytes = r.uploads.lastBytes
    #expect(r.uploads.loads == 1)
    // Three batches; the axis and colour ranges grow with them (uniforms only).
    for batch in [40..<50, 50..<65, 65..<80] {
      let appended = state.append(rows[batch])
      let delta = try #require(appended)
      #expect(r.apply(state.scene, delta: delta))
      #expect(r.uploads.lastBytes < loadBytes * 3 / 4, "\(r.uploads.lastBytes) bytes for \(batch.count) columns")
    }
    let extended = try r.render(state.scene, width: 400, height: 300)
    #expect(r.uploads.loads == 1 && r.uploads.appends == 3)

    let fresh = try HeadlessRenderer(gpu: .surfaceless)
    defer { fresh.destroy() }
    let full = try IncrementalGradientFlow(configuration: config, rows: rows).scene
    let expected = try fresh.render(full, width: 400, height: 300)
    let c = Goldens.compare(extended, expected, channelTolerance: ImageTolerance().channelTolerance)
    #expect(c.differingFraction <= ImageTolerance().maxDifferingFraction, "\(c.differingFraction)")
    #expect(c.meanDifference <= ImageTolerance().maxMeanDifference, "\(c.meanDifference)")
    // A delta that does not fit (the wrong previous column count) loads instead.
    let bogus = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 3, unchangedColumns: 3)])
    #expect(!r.apply(full, delta: bogus))
    #expect(r.uploads.loads == 2)
  }
}
