import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `convert` of one JSONL file streams it window by window, and rows of one step that are
/// adjacent are merged across window ends too. Window ends are put anywhere
/// (TRAINSCAPE_JSONL_WINDOW_BYTES); the output must be the same bytes whatever the window, and,
/// read back, must hold the input's rows merged as `MetricsBuffer` merges them.
@Suite(.tiered) struct ConvertStreamingTests {
  @Test func windowEndsAnywhereGiveTheSameRows() throws {
    let dir = try TestPaths.temporaryDirectory("convert-stream")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 0xC0817)
    var text = ""
    var step = 0
    for _ in 0..<400 {
      if rng.next() % 3 != 0 { step += 1 }  // a third of the rows repeat the step before
      var fields = ["\"step\": \(step)", "\"loss\": \(Double(rng.next() % 100_000) / 997)"]
      for k in ["lr", "grad_norm/layer_0", "grad_norm/layer_1"] where rng.next() % 4 != 0 {
        let v: String
        switch rng.next() % 10 {
        case 0: v = "NaN"
        case 1: v = "-Infinity"
        default: v = "\(Double(rng.next() % 100_000) / 997)"
        }
        fields.append("\"\(k)\": \(v)")
      }
      text += "{" + fields.joined(separator: ", ") + "}\n"
    }
    let input = dir.appendingPathComponent("run.jsonl").path
    try text.write(toFile: input, atomically: true, encoding: .utf8)

    var buffer = MetricsBuffer()
    buffer.append(contentsOf: try #require(try RunLoader.load(path: input).runs.first).rows)
    let want = buffer.rows
    #expect(want.count < 400 && want.count > 200, "the input should repeat steps: \(want.count) rows")

    var first: Data? = nil
    for window in [nil, 1, 29, 300, 4096] as [Int?] {
      let out = dir.appendingPathComponent("out-\(window ?? 0).jsonl").path
      let r = try TrainscapeCLI.run(
        ["convert", input, "-o", out], environment: ["TRAINSCAPE_JSONL_WINDOW_BYTES": window.map { String($0) }])
      #expect(r.status == 0, "window \(window ?? 0): \(r.stderr)")
      let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
      if let first {
        #expect(bytes == first, "window \(window ?? 0): the output differs from the one-window output")
      } else {
        first = bytes
      }
      let got = try #require(try RunLoader.load(path: out).runs.first).rows
      #expect(got.count == want.count, "window \(window ?? 0)")
      for (i, (a, b)) in zip(got, want).enumerated() {
        let same =
          a.step == b.step && Set(a.values.keys) == Set(b.values.keys)
          && a.values.allSatisfy { k, v in v.bitPattern == b.values[k]!.bitPattern || (v.isNaN && b.values[k]!.isNaN) }
        #expect(same, "window \(window ?? 0), row \(i): \(a) != \(b)")
        if !same { break }
      }
    }
  }

  /// A W&B-style JSONL file with `_step` and a user `step` metric: the streamed output keeps the
  /// user's step as a metric and writes the row's step as `_step`, so reading it back gives the
  /// same steps and values; a row without the metric keeps the plain `step`.
  @Test func aUserStepMetricSurvivesStreaming() throws {
    let dir = try TestPaths.temporaryDirectory("convert-user-step")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("history.jsonl").path
    let text = (0..<6).map { i in
      i == 5 ? "{\"_step\": \(i), \"loss\": 0.5}\n" : "{\"_step\": \(i), \"step\": \((i + 1) * 100), \"loss\": \(Double(10 - i))}\n"
    }.joined()
    try text.write(toFile: input, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("out.jsonl").path
    let r = try TrainscapeCLI.run(["convert", input, "-o", out])
    #expect(r.status == 0 && !r.stderr.contains("dropped"), "\(r.stderr)")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines.first == #"{"run": "history", "_step": 0, "loss": 10.0, "step": 100.0}"#, "\(lines.first ?? "")")
    #expect(lines.last == #"{"run": "history", "step": 5, "loss": 0.5}"#, "\(lines.last ?? "")")
    let back = try #require(try RunLoader.load(path: out).runs.first).rows
    #expect(back.map(\.step) == Array(0..<6))
    #expect(back.map { $0.values["step"] } == [100, 200, 300, 400, 500, nil])
  }
}
