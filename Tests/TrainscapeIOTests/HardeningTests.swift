import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Regression tests for the defects of issue #11 that the readers own: each failed (or
/// crashed) before its fix.
@Suite(.tiered) struct JSONSurrogateTests {
  /// A high surrogate followed by a `\u` escape that is not a low surrogate trapped (UInt32
  /// overflow) in every whole-document JSON reader: trainer_state.json, Plotly, Object3D.
  @Test func highSurrogateBeforeAnotherEscapeIsReplacementCharacters() throws {
    let cases: [(String, String)] = [
      (#""\uDA24\uDA24""#, "\u{FFFD}\u{FFFD}"),
      (#""\uDA24\u0041""#, "\u{FFFD}A"),
      (#""\uD83D\uDE00""#, "\u{1F600}"),
      (#""\uDE00x""#, "\u{FFFD}x"),
      (#""\uD83D""#, "\u{FFFD}"),
      (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
    ]
    for (json, want) in cases {
      let v = try JSONParser.parse(Array(json.utf8), file: "t.json")
      guard case .string(let s) = v else {
        Issue.record("\(json) did not parse to a string: \(v)")
        continue
      }
      #expect(s == want, "\(json)")
    }
  }

  /// The issue's reproduction: a 13-byte key in a trainer_state.json row.
  @Test func trainerStateWithBrokenSurrogatesLoads() throws {
    let dir = try TestPaths.temporaryDirectory("harden")
    defer { try? FileManager.default.removeItem(at: dir) }
    let sub = dir.appendingPathComponent("d")
    try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
    try Data(#"{"log_history":[{"step":1,"loss":1,"\uDA24\uDA24":2}]}"#.utf8)
      .write(to: sub.appendingPathComponent("trainer_state.json"))
    let result = try RunLoader.load(path: sub.path)
    let row = try #require(result.runs.first?.rows.first)
    #expect(row.values["loss"] == 1)
    #expect(row.values["\u{FFFD}\u{FFFD}"] == 2)
  }
}
