import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Histograms written by the real writers (tensorboardX, torch's SummaryWriter, tensorboard's
/// tensor form, wandb.watch and wandb.Histogram) read back exactly, used by gradient flow, and
/// drawn by the histogram kind. Needs torch, tensorboardX and wandb in `.venv`.
@Suite(.serialized, .tags(.python), .tiered) struct HistogramWriterTests {
  /// TensorBoard's own reading of every histogram: "tag<TAB>step<TAB>limits<TAB>counts<TAB>sum_squares"
  /// (hex floats, comma-separated), histo protos and tensor-form histograms alike.
  static let tbReference = #"""
    import sys
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util
    acc = EventAccumulator(sys.argv[1], size_guidance={"histograms": 0, "tensors": 0})
    acc.Reload()
    h = lambda xs: ",".join(float(x).hex() for x in xs)
    for tag in acc.Tags()["histograms"]:
        for e in acc.Histograms(tag):
            v = e.histogram_value
            print("%s\t%d\t%s\t%s\t%s" % (tag, e.step, h(v.bucket_limit), h(v.bucket), float(v.sum_squares).hex()))
    for tag in acc.Tags()["tensors"]:
        for e in acc.Tensors(tag):
            a = tensor_util.make_ndarray(e.tensor_proto)
            print("%s\t%d\t%s\t%s\t-" % (tag, e.step, h(list(a[:1, 0]) + list(a[:, 1])), h(a[:, 2])))
    """#

  static func doubles(_ s: Substring) -> [Double] { s.split(separator: ",").compactMap { Double(String($0)) } }

  @Test func tensorBoardHistogramsReadExactly() throws {
    let dir = try NamingWriterTests.write("tb-hist")
    defer { try? FileManager.default.removeItem(at: dir) }
    for writer in ["tensorboardx", "torch", "tensor"] {
      let path = dir.appendingPathComponent(writer).path
      let run = try #require(try RunLoader.load(path: path).runs.first)
      #expect(run.histograms.count == 6, "\(writer): \(run.histograms.keys.sorted())")
      let ref = try Python.run(Self.tbReference, args: [path])
      var compared = 0
      for line in ref.split(separator: "\n") {
        let f = line.split(separator: "\t", omittingEmptySubsequences: false)
        let tag = String(f[0]), step = Int64(f[1])!
        let got = try #require(run.histograms[tag]?.first { $0.step == step }, "\(writer) \(tag) \(step)")
        #expect(got.counts == Self.doubles(f[3]), "\(writer) \(tag) \(step)")
        if f[4] == "-" {
          #expect(got.edges == Self.doubles(f[2]), "\(writer) \(tag) \(step)")
        } else {
          // histo proto: the right edges are the bucket limits; the sum of squares is exact.
          #expect(Array(got.edges.dropFirst()) == Self.doubles(f[2]), "\(writer) \(tag) \(step)")
          #expect(got.sumSquares == Double(String(f[4])), "\(writer) \(tag) \(step)")
        }
        compared += 1
      }
      #expect(compared == 36, "\(writer)")
    }
    // Gradient flow from the histo protos: each parameter's norm is sqrt(sum_squares), a layer's
    // the l2 of its parameters' (numpy, same order).
    let run = try #require(try RunLoader.load(path: dir.appendingPathComponent("tensorboardx").path).runs.first)
    let out = try GradientFlowRecipe.scene(run: run, options: .init())
    #expect(out.scene.title.contains("(from histograms)"))
    #expect(out.notes.contains { $0.contains("exact sums of squares") })
    guard case .surface(let s) = out.scene.traces.first else {
      Issue.record("no surface")
      return
    }
    #expect(s.rows == 3 && s.cols == 6)
    for r in 0..<3 {
      for c in 0..<6 {
        let ss = ["bias", "weight"].map { run.histograms["grad/layers.\(r).\($0)"]![c].sumSquares! }
        let script = "import numpy as np, sys; a = np.array([float.fromhex(x) for x in sys.argv[1:]]); print(float(np.sqrt(np.cumsum(np.square(np.sqrt(a)))[-1])).hex())"
        let want = Double(try Python.run(script, args: ss.map { $0.hexString }).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(s.z[r * 6 + c] == want, "layer \(r) step \(c)")
      }
    }
  }

  @Test func wandbWatchHistogramsEstimateNormsWithinTheirBound() throws {
    let dir = try NamingWriterTests.write("wandb-hist")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try #require(try RunLoader.load(path: dir.appendingPathComponent("wandb").path).runs.first)
    let tags = run.histograms.keys.sorted()
    #expect(tags == ["gradients/layers.0.bias", "gradients/layers.0.weight", "gradients/layers.1.bias",
      "gradients/layers.1.weight", "gradients/layers.2.bias", "gradients/layers.2.weight", "weights_direct"])
    // A user metric named step is kept beside _step.
    #expect(run.rows.map { $0.values["step"] } == (0..<6).map { Double($0 * 10) })
    for tag in tags where tag.hasPrefix("gradients/") {
      let name = String(tag.dropFirst("gradients/".count))
      let samples = try #require(run.histograms[tag])
      #expect(samples.count == 5)
      for h in samples {
        #expect(h.total == (name.hasSuffix("weight") ? 64 : 8))
        let n = h.l2Norm()
        // wandb.watch's gradient hook commits into the row still open when it fires: with
        // wandb.log(step=s) after backward, the gradients of step s+1 land in row s (and the
        // last step's never do), as the file holds them.
        let truth = try #require(run.rows.first { $0.step == h.step + 1 }?.values["true_norm/\(name)"])
        #expect(!n.exact && n.lower <= truth * (1 + 1e-6) && truth <= n.upper * (1 + 1e-6), "\(tag) \(h.step): \(n) vs \(truth)")
      }
    }
    #expect(run.histograms["weights_direct"]?.map(\.total) == Array(repeating: 500, count: 6))
    // Gradient flow falls back to the histograms and says so.
    let keys = run.metricKeys.filter { !$0.hasPrefix("true_norm/") }
    let noTruth = Run(name: run.name, source: run.source, rows: run.rows.map { MetricRow(step: $0.step, values: $0.values.filter { keys.contains($0.key) }) }, histograms: run.histograms)
    let flow = try GradientFlowRecipe.scene(run: noTruth, options: .init())
    #expect(flow.scene.title.contains("(estimated from histograms)"))
    #expect(flow.notes.contains { $0.contains("error bound from the bin widths") })
    // The histogram kind: the gradients family by default; each step's density integrates to 1.
    let hist = try HistogramRecipe.scene(run: run, options: .init())
    #expect(hist.keysLine.contains("6 tag(s)"))
    var o = HistogramRecipe.Options()
    o.tag = "weights_direct"
    let one = try HistogramRecipe.scene(run: run, options: o)
    guard case .surface(let s) = one.scene.traces.first else {
      Issue.record("no surface")
      return
    }
    let width = (one.scene.y.range.upperBound - one.scene.y.range.lowerBound) / Double(s.rows)
    for c in 0..<s.cols {
      let integral = (0..<s.rows).map { s.z[$0 * s.cols + c] }.reduce(0, +) * width
      #expect(abs(integral - 1) < 1e-9, "step column \(c): \(integral)")
    }
    // The mean of N(step, 1) moves with the step: the density's peak row rises.
    let peaks = (0..<s.cols).map { c in (0..<s.rows).max { s.z[$0 * s.cols + c] < s.z[$1 * s.cols + c] }! }
    #expect(peaks == peaks.sorted() && peaks.first! < peaks.last!)
  }

  @Test func rebinningKeepsCountsAndNormBounds() {
    let h = HistogramSample(step: 0, edges: [-1, 0, 1, 3], counts: [2, 4, 6])
    #expect(h.rebinned(onto: [-1, 1, 3]) == [6, 6])
    #expect(h.rebinned(onto: [-2, -1, 0, 0.5, 1, 2, 3, 4]) == [0, 2, 2, 2, 3, 3, 0])
    let n = h.l2Norm()
    // centres -0.5, 0.5, 2 -> sqrt(2*0.25 + 4*0.25 + 6*4); bounds [0, 4*0 + 6*1] and [2*1 + 4*1 + 6*9]
    #expect(n.value == (0.5 + 1 + 24.0).squareRoot())
    #expect(n.lower == 6.0.squareRoot() && n.upper == 60.0.squareRoot())
  }
}

extension Double {
  /// Python's float.hex() form, which `float.fromhex` reads back exactly.
  var hexString: String { String(format: "%a", self) }

  /// `view --follow` reads histograms as they are written: a follower fed an event file (and a
  /// .wandb file) in arbitrary chunks ends with exactly the histograms (and rows, with the user's
  /// `step` metric) a whole read gives.
  @Test(.tags(.slow)) func aFollowerCarriesHistogramsAndRows() throws {
    let dir = try NamingWriterTests.write("npt,wandb-hist")
    defer { try? FileManager.default.removeItem(at: dir) }
    let event = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("npt").path)
      .first { $0.contains("tfevents") })
    let wandbRun = try #require(FileManager.default.enumerator(atPath: dir.appendingPathComponent("wandb-hist").path)?
      .compactMap { $0 as? String }.first { $0.hasSuffix(".wandb") })
    for (source, format) in [("npt/" + event, RunFormat.tensorboard), ("wandb-hist/" + wandbRun, .wandb)] {
      let path = dir.appendingPathComponent(source).path
      let whole = try #require(try RunLoader.load(path: path).runs.first)
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      let live = dir.appendingPathComponent("live-\(format.rawValue)").path
      #expect(FileManager.default.createFile(atPath: live, contents: nil))
      let follower = try RunFollower(path: live, format: format)
      var rows: [MetricRow] = []
      var generator = SystemRandomNumberGenerator()
      var at = 0
      let h = try #require(FileHandle(forWritingAtPath: live))
      var sawHistogramsEarly = false
      while at < bytes.count {
        let n = min(bytes.count - at, Int.random(in: 1...max(1, bytes.count / 5), using: &generator))
        try h.write(contentsOf: Data(bytes[at..<at + n]))
        at += n
        rows += try follower.poll()
        if at < bytes.count && !follower.histogramsRead.isEmpty { sawHistogramsEarly = true }
      }
      try h.close()
      rows += try follower.poll()
      rows += try follower.finish()  // the newest step, held back in case it comes in pieces
      #expect(sawHistogramsEarly, "\(format): no histogram before the end of the file")
      #expect(follower.histograms == whole.histograms, "\(format)")
      var merged = MetricsBuffer()
      merged.append(contentsOf: rows)
      var wholeBuffer = MetricsBuffer()
      wholeBuffer.append(contentsOf: whole.rows)
      #expect(merged.rows == wholeBuffer.rows, "\(format)")
      if format == .wandb {
        #expect(merged.rows.map { $0.values["step"] } == (0..<6).map { Double($0 * 10) })
      }
    }
  }
}
