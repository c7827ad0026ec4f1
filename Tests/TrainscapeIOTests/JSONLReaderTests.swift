import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

private func parse(_ text: String, file: String = "m.jsonl") throws -> ReadResult {
  try JSONLReader.parse(data: Array(text.utf8), file: file, runName: "r")
}

private func line(_ text: String) throws -> MetricRow {
  try JSONLReader.parseLine(Array(text.utf8)[...], file: "f", line: 1)
}

/// The JSONLError thrown by `body`, or nil.
private func jsonlError(_ body: () throws -> Void) -> JSONLError? {
  do {
    try body()
    return nil
  } catch let e as JSONLError {
    return e
  } catch {
    return nil
  }
}

@Suite(.tiered) struct JSONLReaderTests {
  @Test func validLines() throws {
    let r = try parse(
      """
      {"step": 0, "loss": 2.5, "lr": 1e-3, "acc": 0}
      {"step": 1, "loss": 2.25, "flag": true, "off": false, "note": "hi", "x": null, "v": [1, 2]}

      {"step": 2, "loss": -0.0, "big": 123456789012, "max": 1.7976931348623157e308}

      """)
    #expect(r.warnings.isEmpty)
    #expect(r.run.name == "r" && r.run.source == "m.jsonl")
    #expect(r.run.rows.map(\.step) == [0, 1, 2])
    #expect(r.run.rows[0].values == ["loss": 2.5, "lr": 1e-3, "acc": 0])
    #expect(r.run.rows[1].values == ["loss": 2.25, "flag": 1, "off": 0])
    let last = r.run.rows[2].values
    #expect(last["loss"]?.bitPattern == (-0.0).bitPattern)
    #expect(last["big"] == 123456789012)
    #expect(last["max"] == .greatestFiniteMagnitude)
    #expect(r.run.metricKeys == ["acc", "big", "flag", "loss", "lr", "max", "off"])
  }

  @Test func numberSpellings() throws {
    let v = try line(
      #"{"step": 3, "a": 1e-5, "b": 1E+2, "c": -12.5e-1, "d": 0.1, "e": 9007199254740993, "f": 5e-324, "g": 1e400}"#
    ).values
    #expect(v["a"] == 1e-5)
    #expect(v["b"] == 100)
    #expect(v["c"] == -1.25)
    #expect(v["d"] == 0.1)
    #expect(v["e"] == 9007199254740992)  // nearest double
    #expect(v["f"] == .leastNonzeroMagnitude)
    #expect(v["g"] == .infinity)
  }

  @Test func nonFiniteTokens() throws {
    let v = try line(#"{"step": 1, "a": NaN, "b": Infinity, "c": -Infinity, "d": [NaN]}"#).values
    #expect(v["a"]?.isNaN == true)
    #expect(v["b"] == .infinity)
    #expect(v["c"] == -.infinity)
    #expect(v["d"] == nil)
  }

  @Test func missingKeysAcrossRows() throws {
    let r = try parse("{\"step\":1,\"loss\":1}\n{\"step\":2,\"eval/loss\":3}\n{\"step\":3,\"loss\":0.5}\n")
    var b = MetricsBuffer()
    b.append(contentsOf: r.run.rows)
    #expect(b.series("loss") == Series(steps: [1, 3], values: [1, 0.5]))
    #expect(b.series("eval/loss") == Series(steps: [2], values: [3]))
  }

  @Test func nestedObjectsFlatten() throws {
    let v = try line(
      #"{"step": 1, "grad_norm": {"layer_0": 1.5, "layer_1": {"w": 2, "b": 3}}, "empty": {}, "_wandb": {"runtime": 4}}"#
    ).values
    #expect(v == ["grad_norm/layer_0": 1.5, "grad_norm/layer_1/w": 2, "grad_norm/layer_1/b": 3, "_wandb/runtime": 4])
  }

  @Test func stepAndBookkeepingKeysAreNotMetrics() throws {
    let r = try line(#"{"_timestamp": 1.7e9, "_runtime": 12.5, "_step": 7, "loss": 1}"#)
    #expect(r.step == 7)
    #expect(r.values == ["loss": 1])
    #expect(try line(#"{"global_step": 42, "x": 1}"#).step == 42)
    #expect(try line(#"{"step": "ten", "_step": 10, "x": 1}"#).step == 10)
    // W&B's _step is the step; a user's step (or a global_step) beside it is a metric.
    let wb = try line(#"{"step": 50, "_step": 5, "global_step": 500, "x": 1}"#)
    #expect(wb.step == 5 && wb.values == ["step": 50, "global_step": 500, "x": 1])
    let hf = try line(#"{"global_step": 70, "step": 7, "x": 1}"#)
    #expect(hf.step == 7 && hf.values == ["global_step": 70, "x": 1])
    #expect(try line(#"{"step": 100.0}"#).step == 100)
    #expect(try line(#"{"step": 9223372036854775807}"#).step == Int64.max)
  }

  @Test func stringEscapes() throws {
    let v = try line(
      #"{"step": 1, "s": "a \"quoted\" } , { \\ / \b\f\n\r\t \u00e9 \ud83d\ude00 \ud800", "k\u00e9y": 1, "t\"ab\tx": 2, "emoji 😀": 3}"#
    ).values
    #expect(v == ["k\u{e9}y": 1, "t\"ab\tx": 2, "emoji 😀": 3])
  }

  @Test func truncatedLastLineIsDroppedWithWarning() throws {
    let r = try parse("{\"step\":1,\"loss\":1}\n{\"step\":2,\"loss\":2}\n{\"step\":3,\"lo")
    #expect(r.run.rows.map(\.step) == [1, 2])
    #expect(r.warnings == ["m.jsonl:3: ignoring incomplete last line (file still being written?)"])
    // A complete last line without a newline is kept.
    let k = try parse("{\"step\":1,\"loss\":1}\n{\"step\":2,\"loss\":2}")
    #expect(k.run.rows.count == 2 && k.warnings.isEmpty)
  }

  @Test func malformedMiddleLineNamesFileLineColumn() {
    let e = jsonlError {
      _ = try parse("{\"step\": 0, \"loss\": 1}\n{\"step\": 1, \"loss\": 2 x}\n{\"step\": 2}\n", file: "runs/a.jsonl")
    }
    #expect(e == JSONLError(file: "runs/a.jsonl", line: 2, column: 23, message: "expected ',' or '}' after object member, found 'x'"))
    #expect(e?.description == "runs/a.jsonl:2:23: expected ',' or '}' after object member, found 'x'")
    // A malformed last line that does end in a newline is an error too.
    let f = jsonlError { _ = try parse("{\"step\":0}\n{\"step\":1,\n") }
    #expect(f?.description == "m.jsonl:2:11: expected '\"' to start an object key, found end of line")
  }

  @Test func syntaxErrorMessages() {
    func msg(_ s: String) -> String? { jsonlError { _ = try line(s) }?.description }
    #expect(msg(#"{"step": 1 "a": 2}"#) == "f:1:12: expected ',' or '}' after object member, found '\"'")
    #expect(msg(#"{"step" 1}"#) == "f:1:9: expected ':' after object key, found '1'")
    #expect(msg(#"{"step": 1, "a": tru}"#) == "f:1:18: expected a JSON value, found 'tru'")
    #expect(msg(#"{"step": 1, "a": 01}"#) == "f:1:19: expected ',' or '}' after object member, found '1'")
    #expect(msg(#"{"step": 1, "a": -}"#) == "f:1:19: expected a digit after '-', found '}'")
    #expect(msg(#"{"step": 1, "a": "x\q"}"#) == "f:1:20: invalid escape '\\q' in string")
    #expect(msg(#"{"step": 1, "a": [1 2]}"#) == "f:1:21: expected ',' or ']' after array element, found '2'")
    #expect(msg(#"{"step": 1} x"#) == "f:1:13: expected end of line after the JSON object, found 'x'")
    #expect(msg("{\"step\": 1, \"a\": \"x\ty\"}") == "f:1:20: unescaped control character in string (byte 0x09)")
  }

  @Test func nonObjectLine() {
    let e = jsonlError { _ = try parse("{\"step\":0}\n[1, 2]\n") }
    #expect(e?.description == "m.jsonl:2:1: expected a JSON object, found an array")
    #expect(jsonlError { _ = try line("  42") }?.description == "f:1:3: expected a JSON object, found a number")
    #expect(jsonlError { _ = try line("hello") }?.message == "expected a JSON object, found 'h'")
  }

  @Test func missingOrBadStep() {
    let e = jsonlError { _ = try parse("{\"step\":0}\n{\"loss\": 1}\n") }
    #expect(e?.description == "m.jsonl:2:1: expected an integer step under one of _step, step, global_step")
    let f = jsonlError { _ = try line(#"{"step": 1.5, "loss": 1}"#) }
    #expect(f?.description == "f:1:10: expected an integer step under step, found 1.5")
    let g = jsonlError { _ = try line(#"{"step": NaN}"#) }
    #expect(g?.line == 1 && g?.message.hasPrefix("expected an integer step") == true)
    // A missing step on an unterminated last line is not "incomplete": it throws.
    #expect(jsonlError { _ = try parse("{\"step\":0}\n{\"loss\": 1}") }?.line == 2)
  }

  @Test func emptyFile() {
    for text in ["", "\n\n  \r\n", "\u{FEFF}"] {
      do {
        _ = try parse(text, file: "e.jsonl")
        Issue.record("no error for \(text.debugDescription)")
      } catch let e as JSONLFileError {
        #expect(e.description == "e.jsonl: no metric rows (expected one JSON object per line)")
      } catch {
        Issue.record("unexpected \(error)")
      }
    }
  }

  @Test func crlfAndBOM() throws {
    let r = try parse("\u{FEFF}{\"step\":1,\"loss\":1}\r\n\r\n{\"step\":2,\"loss\":2}\r\n")
    #expect(r.run.rows == [MetricRow(step: 1, values: ["loss": 1]), MetricRow(step: 2, values: ["loss": 2])])
    let e = jsonlError { _ = try parse("\u{FEFF}{\"step\":1 x}\r\n") }
    #expect(e?.column == 11)
  }

  @Test func readFromDisk() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("my-run.metrics.jsonl").path
    try Data("{\"step\":1,\"loss\":1}\n".utf8).write(to: URL(fileURLWithPath: path))
    let r = try JSONLReader.read(path: path)
    #expect(r.run.name == "my-run.metrics")
    #expect(r.run.source == path)
    #expect(try JSONLReader.read(path: path, runName: "x").run.name == "x")
    let missing = dir.appendingPathComponent("nope.jsonl").path
    do {
      _ = try JSONLReader.read(path: missing)
      Issue.record("no error")
    } catch {
      #expect("\(error)" == "\(missing): no such file")
    }
    do {
      _ = try JSONLReader.read(path: dir.path)
      Issue.record("no error")
    } catch {
      #expect("\(error)".hasPrefix(dir.path + ": "))
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = "{\"step\":1,\"a\":" + String(repeating: "[", count: 10_000) + "}"
    #expect(jsonlError { _ = try line(deep) }?.message == "nesting deeper than 256 levels")
  }

  /// Every row of a long file is read with its values (its speed is measured by
  /// `TrainscapeBenchmarks ingest`, not here).
  @Test func manyRowsAreAllRead() throws {
    var text = ""
    for s in 0..<20_000 {
      text += "{\"step\": \(s), \"loss\": \(Double(s) * 0.001), \"grad\": {\"layer_0\": 1.5, \"layer_1\": NaN}, \"name\": \"run\"}\n"
    }
    let rows = try parse(text).run.rows
    #expect(rows.count == 20_000)
    #expect(rows.map(\.step) == (0..<20_000).map(Int64.init))
    let last = try #require(rows.last)
    #expect(last.values["loss"] == Double(19_999) * 0.001 && last.values["grad/layer_0"] == 1.5)
    #expect(last.values["grad/layer_1"]?.isNaN == true)
  }
}
