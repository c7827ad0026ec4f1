import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// The columnar JSONL reader against the streaming reader it replaces for whole files
/// (`JSONLChunkDecoder` through `FileAccess.decodeWhole`): the same rows (every NaN, every
/// missing key, every duplicate step), the same warnings and the same errors, whatever the
/// chunking; and its float parser against Python's `float()`.
@Suite(.tiered) struct ColumnarJSONLTests {
  /// What a read gave: rows, warnings, skipped count, or the error text.
  struct Outcome: CustomStringConvertible {
    var rows: [MetricRow] = []
    var warnings: [String] = []
    var skipped = 0
    var error: String? = nil

    var description: String { error ?? "\(rows.count) rows, \(warnings.count) warnings, \(skipped) skipped" }

    func same(as o: Outcome) -> String? {
      if error != o.error { return "error \(error ?? "none") != \(o.error ?? "none")" }
      if warnings != o.warnings { return "warnings \(warnings) != \(o.warnings)" }
      if skipped != o.skipped { return "skipped \(skipped) != \(o.skipped)" }
      if rows.count != o.rows.count { return "\(rows.count) rows != \(o.rows.count)" }
      for (i, (a, b)) in zip(rows, o.rows).enumerated() {
        if let d = ColumnarJSONLTests.rowDifference(a, b) { return "row \(i): \(d)" }
      }
      return nil
    }
  }

  /// nil when equal (NaN equals NaN, -0.0 differs from 0.0).
  static func rowDifference(_ a: MetricRow, _ b: MetricRow) -> String? {
    if a.step != b.step { return "step \(a.step) != \(b.step)" }
    if Set(a.values.keys) != Set(b.values.keys) {
      return "keys \(a.values.keys.sorted()) != \(b.values.keys.sorted())"
    }
    for (k, v) in a.values {
      let w = b.values[k]!
      if !(v.bitPattern == w.bitPattern || (v.isNaN && w.isNaN)) { return "\(k): \(v) != \(w)" }
    }
    return nil
  }

  static func reference(_ bytes: [UInt8], skipBad: Bool) -> Outcome {
    var out = Outcome()
    do {
      var sink = IngestSink(skipBad: skipBad)
      var stream = FileStream(decoder: JSONLChunkDecoder(file: "f.jsonl"))
      // Fed in small pieces, as the streaming reader sees a file.
      var k = 0
      while k < bytes.count {
        let hi = min(bytes.count, k + 7)
        try bytes[k..<hi].withUnsafeBytes { try stream.feed($0, atEOF: false, into: &sink) }
        k = hi
      }
      try stream.finish(into: &sink)
      out.rows = sink.rows
      out.warnings = sink.warnings
      out.skipped = sink.skipped
    } catch {
      out.error = "\(error)"
    }
    return out
  }

  static func columnar(_ bytes: [UInt8], skipBad: Bool, chunks: Int, window: Int = 64 << 20) -> Outcome {
    var out = Outcome()
    do {
      var sink = IngestSink(skipBad: skipBad)
      try bytes.withUnsafeBufferPointer { try ColumnarJSONL.parse($0, file: "f.jsonl", chunks: chunks, windowBytes: window, into: &sink) }
      out.rows = sink.table?.rows ?? []
      out.warnings = sink.warnings
      out.skipped = sink.skipped
    } catch {
      out.error = "\(error)"
    }
    return out
  }

  /// Checks one file with both readers, with and without --skip-bad, at many chunkings.
  static func check(_ text: [UInt8], chunkCounts: [Int], label: String) {
    for skipBad in [false, true] {
      let want = reference(text, skipBad: skipBad)
      // Chunks of one window, and windows (the streaming read) of a few bytes upwards.
      for (c, w) in chunkCounts.map({ ($0, 64 << 20) }) + [(1, 1), (2, 37), (3, 300)] {
        let got = columnar(text, skipBad: skipBad, chunks: c, window: w)
        if let d = got.same(as: want) {
          Issue.record("\(label) skipBad=\(skipBad) chunks=\(c) window=\(w): \(d)")
          return
        }
      }
    }
  }

  static let cases: [String] = [
    "{\"step\": 1, \"loss\": 2.5}\n{\"step\": 2, \"loss\": NaN, \"lr\": Infinity}\n{\"step\": 2, \"lr\": -Infinity}\n",
    "\u{FEFF}{\"step\": 0, \"a\": {\"b\": 1, \"c\": {\"d\": true}}, \"e\": false}\r\n\r\n  \n{\"_step\": 3, \"a/b\": 2}\n",
    "{\"global_step\": 5, \"x\": -0.0, \"y\": -0, \"z\": 1e400, \"w\": -1e-400, \"s\": \"t\\\"x\", \"n\": null, \"arr\": [1, {\"q\": 2}]}\n",
    "{\"step\": 1.0, \"v\": 1}\n{\"step\": 1.5, \"v\": 2}\n{\"step\": 3, \"v\": 3}\n",
    "{\"step\": 1, \"v\": 1}\n{\"v\": 2}\n{\"step\": 3, \"v\": 3}\n",
    "{\"step\": 1, \"v\": 1}\n{\"step\": 2, \"v\": 2,}\n{\"step\": 3, \"v\": 3}\n",
    "{\"step\": 1, \"v\": 1}\n{\"step\": 2, \"v\": 2}\n{\"step\": 3, \"v\":",
    "{\"step\": 1, \"v\": 1}\n{\"step\": 2, \"v\": 2}\n{\"step\": 3, \"v\": 3}",
    "{\"step\": 1, \"v\": 1}\n[1, 2]\n\"x\"\n{\"step\": 9}\n",
    "{\"step\": 1, \"st\\u0065p\": 4, \"k\\u00e9y\": 2, \"\\ud83d\\ude00\": 3, \"\": 5}\n",
    "{\"step\": 1, \"v\": 01}\n{\"step\": 2, \"v\": 1.}\n{\"step\": 3, \"v\": .5}\n{\"step\": 4, \"v\": +1}\n{\"step\": 5, \"v\": Nan}\n",
    "{\"step\": 12345678901234567890, \"v\": 1}\n{\"step\": 9223372036854775807, \"v\": 123456789012345678901234567890}\n",
    "{\"step\": -9223372036854775808, \"v\": 0.1000000000000000055511151231257827021181583404541015625}\n",
    "{\"step\": 1, \"_timestamp\": 17e8, \"_runtime\": {\"x\": 1}, \"v\": 1, \"v\": 2, \"a\": {\"b\": 7}, \"a/b\": 8}\n",
    "{\"step\": NaN, \"v\": 1}\n{\"step\": Infinity, \"_step\": 3, \"v\": 2}\n{\"step\": \"7\", \"_step\": 8}\n{\"step\": true, \"global_step\": 2}\n",
    "{\"step\": 1, \"s\": \"tab\there\"}\n{\"step\": 2, \"s\": \"bad \\x escape\"}\n{\"step\": 3, \"s\": \"ok \\u12G4\"}\n",
    "   \n\n",
    "",
    String(repeating: "[", count: 300) + "\n{\"step\": 1, \"a\": " + String(repeating: "{\"b\": ", count: 255) + "1" + String(repeating: "}", count: 255) + "}\n",
    "{\"step\": 1, \"a\": " + String(repeating: "{\"b\": ", count: 256) + "1" + String(repeating: "}", count: 256) + "}\n",
  ]

  @Test func handWrittenCasesMatchTheStreamingReader() {
    for (i, c) in Self.cases.enumerated() {
      Self.check(Array(c.utf8), chunkCounts: [1, 2, 3, 5, 8, 64], label: "case \(i)")
    }
  }

  @Test func invalidUTF8AndControlBytesMatchTheStreamingReader() {
    var b = Array("{\"step\": 1, \"k".utf8) + [0xFF, 0xC3] + Array("\": 2, \"s\": \"".utf8) + [0xFE] + Array("\"}\n".utf8)
    b += Array("{\"step\": 2, \"k".utf8) + [0x01] + Array("\": 3}\n".utf8)
    b += Array("{\"step\": 3, \"e\\u0301\": 1, \"\u{e9}\": 2}\n".utf8)
    Self.check(b, chunkCounts: [1, 2, 3], label: "bytes")
  }

  /// Random files: random keys (escapes, unicode, nesting, step keys in odd places), gaps,
  /// NaN / Infinity tokens, duplicates, duplicate steps, bad lines, blank and CRLF lines,
  /// an incomplete last line; read with chunk boundaries falling anywhere.
  @Test func randomFilesMatchTheStreamingReader() {
    var rng = SplitMix64(seed: 0x5EED_C01)
    for file in 0..<150 {
      let text = Self.randomFile(&rng, lines: Int(rng.next() % 60) + 1, allowBad: file % 3 == 0)
      let counts = [1, 2, 3, 4, 7, 16, 61, Int(rng.next() % 40) + 1]
      Self.check(Array(text.utf8), chunkCounts: counts, label: "random file \(file)")
    }
  }

  /// Every JSONL file the project ships (the examples and the sweep), at several chunkings.
  @Test func shippedJSONLFilesMatchTheStreamingReader() throws {
    let root = TestPaths.packageRoot.appendingPathComponent("Assets/examples")
    let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
      .filter { $0.hasSuffix(".jsonl") }.sorted()
    #expect(files.count >= 3, "expected the example JSONL runs under \(root.path), found \(files)")
    for f in files {
      let bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent(f)))
      #expect(Self.reference(bytes, skipBad: false).rows.count > 10, "\(f) holds too few rows to compare")
      Self.check(bytes, chunkCounts: [1, 2, 3, 7, 64], label: f)
    }
  }

  @Test func columnsHoldTheReferenceRowsExactly() throws {
    // The table itself: columns padded with `missing` where a row lacks a key, NaN kept.
    let text = "{\"step\": 1, \"a\": 1, \"b\": NaN}\n{\"step\": 1, \"b\": 2}\n{\"step\": 0, \"c\": -0.0}\n"
    var sink = IngestSink(skipBad: false)
    try Array(text.utf8).withUnsafeBufferPointer { try ColumnarJSONL.parse($0, file: "f", chunks: 2, into: &sink) }
    let t = try #require(sink.table)
    #expect(t.steps == [1, 1, 0])
    let a = try #require(t.column("a")), b = try #require(t.column("b")), c = try #require(t.column("c"))
    #expect(a.count == 3 && a[0] == 1 && MetricsTable.isMissing(a[1]) && MetricsTable.isMissing(a[2]))
    #expect(b[0].isNaN && !MetricsTable.isMissing(b[0]) && b[1] == 2)
    #expect(c[2].bitPattern == (-0.0).bitPattern)
    #expect(t.series("b").steps == [1, 1])
    #expect(t.column("nope") == nil)
  }

  /// `--last N` on JSONL: the columnar tail equals the streaming reader's `.file` window of N
  /// rows (rows, dropped count, warnings, errors), for capacities below, at and above the
  /// window sizes and the row count, with windows of a few bytes upwards.
  @Test func lastRowsMatchTheStreamingWindow() throws {
    let dir = try TestPaths.temporaryDirectory("columnar-last")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 0x1A57)
    for file in 0..<24 {
      let text = Self.randomFile(&rng, lines: Int(rng.next() % 200) + 1, allowBad: file % 4 == 0)
      let path = dir.appendingPathComponent("r\(file).jsonl").path
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      for skipBad in [false, true] {
        for capacity in [1, 2, 3, 17, 64, 150, 1000] {
          var want = Outcome(), wantDropped = 0
          do {
            var s = try FileAccess.decodeWhole(
              path: path, decoder: JSONLChunkDecoder(file: path), skipBad: skipBad, capacity: capacity, order: .file)
            want.rows = s.finalRows(byStep: false)
            want.warnings = s.warnings
            want.skipped = s.skipped
            wantDropped = try #require(s.window).dropped
          } catch {
            want.error = "\(error)"
          }
          for window in [1, 40, 700, 64 << 20] {
            var got = Outcome(), gotDropped = 0
            do {
              let r = try #require(
                try ColumnarJSONL.readLast(path: path, skipBad: skipBad, capacity: capacity, windowBytes: window))
              got.rows = try #require(r.sink.table).rows
              got.warnings = r.sink.warnings
              got.skipped = r.sink.skipped
              gotDropped = r.dropped
            } catch {
              got.error = "\(error)"
            }
            let label = "file \(file) skipBad=\(skipBad) capacity=\(capacity) window=\(window)"
            #expect(got.same(as: want) == nil, "\(label): \(got.same(as: want) ?? "")")
            #expect(gotDropped == wantDropped, "\(label): dropped \(gotDropped) != \(wantDropped)")
            #expect(got.error != nil || got.rows.count <= capacity, "\(label)")
          }
        }
      }
    }
  }

  @Test func wholeFileReadThroughRunLoaderEqualsTheBoundedReadOfEveryRow() throws {
    let dir = try TestPaths.temporaryDirectory("columnar")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 99)
    let path = dir.appendingPathComponent("r.jsonl").path
    try Self.randomFile(&rng, lines: 3000, allowBad: false).write(toFile: path, atomically: true, encoding: .utf8)
    // Random step keys may hold non-integers: those lines are skipped, by both reads alike.
    let whole = try RunLoader.load(path: path, options: IngestOptions(skipBad: true))
    let bounded = try RunLoader.load(path: path, options: IngestOptions(skipBad: true, capacity: 1_000_000))
    let a = try #require(whole.runs.first), b = try #require(bounded.runs.first)
    #expect(a.rowCount == b.rowCount)
    #expect(a.table == b.table)
    #expect(whole.warnings == bounded.warnings)
    #expect(whole.skipped == bounded.skipped && whole.skipped > 0)
  }

  // MARK: - Random files

  static func randomFile(_ rng: inout SplitMix64, lines: Int, allowBad: Bool) -> String {
    let keyPool = [
      "loss", "lr", "train/loss", "grad_norm/layer_0", "grad_norm/layer_1", "a\\\"q", "\\u00e9t\\u00e9", "é",
      "step", "_step", "global_step", "_timestamp", "x y", "", "e\\u0301", "k\\\\",
    ]
    func number(_ rng: inout SplitMix64) -> String {
      switch rng.next() % 12 {
      case 0: return "NaN"
      case 1: return "Infinity"
      case 2: return "-Infinity"
      case 3: return "-0.0"
      case 4: return String(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 60))
      case 5: return "\(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF))"
      case 6: return "1e\(Int(rng.next() % 700) - 350)"
      case 7: return "true"
      case 8: return "false"
      case 9: return "\(Double(rng.next() % 100_000) / 997.0)"
      case 10: return "0.\(rng.next())\(rng.next())e-\(rng.next() % 330)"
      default: return "\(Double(rng.next() % 1000) * 0.001)"
      }
    }
    func value(_ rng: inout SplitMix64, depth: Int) -> String {
      switch rng.next() % 10 {
      case 0 where depth < 3:
        let n = Int(rng.next() % 3)
        return "{" + (0..<n).map { _ in "\"\(keyPool[Int(rng.next() % UInt64(keyPool.count))])\": \(value(&rng, depth: depth + 1))" }.joined(separator: ", ") + "}"
      case 1: return "\"s\\n\\u0041\""
      case 2: return "null"
      case 3: return "[1, {\"a\": [true]}, \"x\"]"
      default: return number(&rng)
      }
    }
    var out = rng.next() % 5 == 0 ? "\u{FEFF}" : ""
    var step = 0
    for l in 0..<lines {
      if rng.next() % 15 == 0 {
        out += rng.next() % 2 == 0 ? "\n" : "  \r\n"
        continue
      }
      if rng.next() % 4 != 0 { step += Int(rng.next() % 3) }
      var members: [String] = []
      let stepKey = ["step", "_step", "global_step"][Int(rng.next() % 3)]
      if rng.next() % 20 != 0 { members.append("\"\(stepKey)\": \(step)") }
      for _ in 0..<Int(rng.next() % 7) {
        members.append("\"\(keyPool[Int(rng.next() % UInt64(keyPool.count))])\": \(value(&rng, depth: 0))")
      }
      members.shuffle(using: &rng)
      var line = "{" + members.joined(separator: rng.next() % 2 == 0 ? ", " : ",") + "}"
      if allowBad && rng.next() % 25 == 0 {
        let cut = Int(rng.next() % UInt64(line.utf8.count))
        line = String(decoding: Array(line.utf8)[..<cut], as: UTF8.self) + (rng.next() % 2 == 0 ? "x" : "")
      }
      out += line
      if l < lines - 1 || rng.next() % 3 != 0 { out += rng.next() % 6 == 0 ? "\r\n" : "\n" }
    }
    return out
  }
}

