import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeHeadless

/// A followed gradient-flow surface extended in place draws what loading the final scene draws,
/// while uploading only the new columns.
@Suite(.tiered) struct IncrementalRenderTests {
  static let family = MetricFamily(
    prefix: "grad_norm", members: (0..<8).map { .init(layer: $0, key: "grad_norm/layer_\($0)") })

  static func row(_ i: Int) -> MetricRow {
    var v: [String: Double] = [:]
    for l in 0..<8 where !(l == 3 && i == 20) {  // one hole
      v["grad_norm/layer_\(l)"] = 2.0 * exp(-Double(l) / 2.0) * exp(-Double(i) / 20) + 0.002 + 0.001 * sin(Double(i * (l + 1)))
    }
    return MetricRow(step: Int64(i * 20), values: v)
  }

  @Test(.tags(.egl)) func appendedColumnsRenderLikeAFreshLoad() throws {
    let rows = (0..<80).map(Self.row)
    let config = IncrementalGradientFlow.Configuration(family: Self.family, runName: "run")
    var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<40])
    try withRenderer { r in
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

      try withRenderer { fresh in
        let full = try IncrementalGradientFlow(configuration: config, rows: rows).scene
        let expected = try fresh.render(full, width: 400, height: 300)
        let c = ImageDifference(extended, expected, channelTolerance: ImageTolerance().channelTolerance)
        #expect(c.differingFraction <= ImageTolerance().maxDifferingFraction, "\(c.differingFraction)")
        #expect(c.meanDifference <= ImageTolerance().maxMeanDifference, "\(c.meanDifference)")
        // A delta that does not fit (the wrong previous column count) loads instead.
        let bogus = SceneDelta(surfaces: [.init(trace: 0, previousColumns: 3, unchangedColumns: 3)])
        #expect(!r.apply(full, delta: bogus))
        #expect(r.uploads.loads == 2)
      }
    }
  }
}

/// Downsampled follow (more steps than `--max-steps`) on the GPU: loaded with the room the
/// viewer reserves, appends write into the buffers without growing them, and the result draws
/// what a fresh load of the full build draws.
@Suite(.tiered) struct ReservedFollowRenderTests {
  @Test(.tags(.egl)) func downsampledAppendsFitTheReservedBuffersAndRenderLikeAFreshLoad() throws {
    let rows = (0..<500).map(IncrementalRenderTests.row)
    // 400 to 500 steps in at most 64 columns: buckets of 16 steps throughout.
    let config = IncrementalGradientFlow.Configuration(family: IncrementalRenderTests.family, runName: "run", maxColumns: 64)
    var state = try IncrementalGradientFlow(configuration: config, rows: rows[..<400])
    #expect(state.bucketWidth == 16)
    try withRenderer { r in
      try withRenderer { unreserved in
        #expect(!r.apply(state.scene, delta: nil, reserveColumns: 64))
        unreserved.apply(state.scene, delta: nil)
        for batch in [400..<410, 410..<445, 445..<500] {
          let appended = state.append(rows[batch])
          let delta = try #require(appended)
          #expect(r.apply(state.scene, delta: delta))
          #expect(unreserved.apply(state.scene, delta: delta))
        }
        #expect(r.uploads.appends == 3 && r.uploads.bufferGrowths == 0)
        // Without the reserve the same appends outgrow the buffers loaded to size.
        #expect(unreserved.uploads.bufferGrowths > 0)
        let extended = try r.render(state.scene, width: 400, height: 300)
        #expect(r.uploads.loads == 1)

        try withRenderer { fresh in
          let full = try IncrementalGradientFlow(configuration: config, rows: rows)
          #expect(full.scene == state.scene)
          let expected = try fresh.render(full.scene, width: 400, height: 300)
          let c = ImageDifference(extended, expected, channelTolerance: ImageTolerance().channelTolerance)
          #expect(c.differingFraction <= ImageTolerance().maxDifferingFraction, "\(c.differingFraction)")
          #expect(c.meanDifference <= ImageTolerance().maxMeanDifference, "\(c.meanDifference)")
        }
      }
    }
  }
}

/// A followed single-run loss landscape on the GPU: loaded row-major with room for more rows,
/// the windows new rows complete are appended in place (no buffer growth) and the result draws
/// what a fresh (column-major) load of the full build draws.
@Suite(.tiered) struct LossLandscapeFollowRenderTests {
  static func row(_ i: Int) -> MetricRow {
    let lr = 1e-3 * min(1, Double(i + 1) / 40) * (i > 200 ? 0.5 : 1)
    let loss = 3.2 * exp(-Double(i) / 150) + 0.6 + 0.05 * sin(Double(i) * 0.7)
    return MetricRow(step: Int64(i * 10), values: ["loss": loss, "lr": lr])
  }

  @Test(.tags(.egl)) func appendedRowsRenderLikeAFreshLoad() throws {
    let rows = (0..<300).map(Self.row)
    var options = LossLandscapeBuilder.Options()
    options.window = 20
    let config = IncrementalLossLandscape.Configuration(
      runName: "run", lossKey: "loss", learningRateKey: "lr", options: options)
    var state = try IncrementalLossLandscape(configuration: config, rows: rows[..<120])
    try withRenderer { r in
      #expect(!r.apply(state.scene, delta: nil, reserveRows: 2 * state.rows + 64))
      // What a loaded surface row (window) costs; an append sends the new rows and the row
      // before them (its normals change).
      let bytesPerRow = r.uploads.lastBytes / state.rows
      for batch in [120..<135, 135..<200, 200..<300] {
        let before = state.rows
        let appended = state.append(rows[batch])
        let delta = try #require(appended)
        #expect(delta.surfaceRows.first?.previousRows == before && before < state.rows)
        #expect(r.apply(state.scene, delta: delta))
        #expect(
          r.uploads.lastBytes <= bytesPerRow * (state.rows - before + 1) + 1024,
          "\(r.uploads.lastBytes) bytes for \(state.rows - before) new rows")
      }
      #expect(r.uploads.loads == 1 && r.uploads.appends == 3 && r.uploads.bufferGrowths == 0)
      let extended = try r.render(state.scene, width: 400, height: 300)
      #expect(r.uploads.loads == 1)

      try withRenderer { fresh in
        let full = try IncrementalLossLandscape(configuration: config, rows: rows)
        #expect(full.scene == state.scene)
        let expected = try fresh.render(full.scene, width: 400, height: 300)
        let c = ImageDifference(extended, expected, channelTolerance: ImageTolerance().channelTolerance)
        #expect(c.differingFraction <= ImageTolerance().maxDifferingFraction, "\(c.differingFraction)")
        #expect(c.meanDifference <= ImageTolerance().maxMeanDifference, "\(c.meanDifference)")
        // Rows grown on a surface loaded column-major: a full load instead.
        try withRenderer { columnMajor in
          var again = try IncrementalLossLandscape(configuration: config, rows: rows[..<200])
          _ = try columnMajor.render(again.scene, width: 100, height: 100)
          let later = again.append(rows[200...])
          let delta = try #require(later)
          #expect(!columnMajor.apply(again.scene, delta: delta))
        }
      }
    }
  }
}

/// A followed trajectory on the GPU: points appended in place (the last downsampling bucket's
/// rewritten), the colour range a uniform, and the result draws what a fresh load draws.
@Suite(.tiered) struct TrajectoryFollowRenderTests {
  static func row(_ i: Int) -> MetricRow {
    let loss = 3.2 * exp(-Double(i) / 150) + 0.6 + 0.08 * sin(Double(i) * 0.9)
    let grad = 0.4 + 0.6 * exp(-Double(i) / 80) + 0.1 * cos(Double(i) * 0.5)
    return MetricRow(step: Int64(i * 10), values: ["loss": loss, "grad_norm": grad])
  }

  @Test(.tags(.egl)) func appendedPointsRenderLikeAFreshLoad() throws {
    let rows = (0..<512).map(Self.row)
    // 300 to 512 samples in at most 256 points: buckets of 4 throughout.
    let config = IncrementalTrajectory.Configuration(
      runName: "run", lossKey: "loss", gradNormKey: "grad_norm", maxPoints: 256)
    var state = try IncrementalTrajectory(configuration: config, rows: rows[..<300])
    #expect(state.bucketWidth == 4)
    try withRenderer { r in
      _ = try r.render(state.scene, width: 400, height: 300)
      let loadBytes = r.uploads.lastBytes
      for batch in [300..<310, 310..<400, 400..<512] {
        let appended = state.append(rows[batch])
        let delta = try #require(appended)
        #expect(r.apply(state.scene, delta: delta))
        // About the new points' share of the load (the last bucket's are rewritten too).
        let share = Double(batch.count) / 4 / 75
        #expect(
          Double(r.uploads.lastBytes) < Double(loadBytes) * share + 2048,
          "\(r.uploads.lastBytes) bytes for \(batch.count) samples (load \(loadBytes))")
      }
      #expect(r.uploads.loads == 1 && r.uploads.appends == 3)
      let extended = try r.render(state.scene, width: 400, height: 300)
      #expect(r.uploads.loads == 1)

      try withRenderer { fresh in
        let full = try IncrementalTrajectory(configuration: config, rows: rows)
        let expected = try fresh.render(full.scene, width: 400, height: 300)
        let c = ImageDifference(extended, expected, channelTolerance: ImageTolerance().channelTolerance)
        #expect(c.differingFraction <= ImageTolerance().maxDifferingFraction, "\(c.differingFraction)")
        #expect(c.meanDifference <= ImageTolerance().maxMeanDifference, "\(c.meanDifference)")
        // A delta that does not fit (the wrong previous count) loads instead.
        let bogus = SceneDelta(surfaces: [], scatters: [.init(trace: 0, previousCount: 3, unchangedCount: 3)])
        #expect(!r.apply(full.scene, delta: bogus))
        #expect(r.uploads.loads == 2)
      }
    }
  }
}
