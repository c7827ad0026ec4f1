import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

/// Files written by the real writers (tensorboardX, tensorboard.summary.Writer,
/// wandb offline) read back value for value, and live files followed while a
/// Python process appends to them.
@Suite(.tiered) struct IngestPythonWriterTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func python(_ args: [String]) throws -> String {
    try Python.run(arguments: args, environment: ["WANDB_SILENT": "true", "WANDB_MODE": "offline"])
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  struct PythonMissing: Error, CustomStringConvertible { var description: String }

  static var fixtureScript: String { root.appendingPathComponent("scripts/make_ingest_fixtures.py").path }

  /// Python's reading of an event file (via tensorboard's own reader) as "step\ttag\tfloat.hex" lines.
  static let tbReference = #"""
    import sys
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    import struct
    for tag in acc.Tags()["scalars"]:
        for e in acc.Scalars(tag):
            print("%d\t%s\t%s" % (e.step, tag, float.hex(e.value)))
    from tensorboard.util import tensor_util
    for tag in acc.Tags()["tensors"]:
        for e in acc.Tensors(tag):
            print("%d\t%s\t%s" % (e.step, tag, float.hex(float(tensor_util.make_ndarray(e.tensor_proto)))))
    """#

  func compare(_ run: Run, toReference text: String) -> (compared: Int, mismatches: [String]) {
    var byStep: [Int64: [String: Double]] = [:]
    for r in run.rows { byStep[r.step, default: [:]].merge(r.values) { _, n in n } }
    var n = 0
    var bad: [String] = []
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "\t")
      guard f.count == 3, let step = Int64(f[0]), let want = Double(String(f[2])) else { continue }
      let got = byStep[step]?[String(f[1])]
      n += 1
      if got == nil || !(got! == want || (got!.isNaN && want.isNaN)) {
        bad.append("step \(step) \(f[1]): \(String(describing: got)) != \(want)")
      }
    }
    return (n, bad)
  }

  @Test(.tags(.python)) func tensorboardXSimpleValue() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.python([Self.fixtureScript, "tb-scalar", dir.path])
    let r = try RunLoader.load(path: file)
    let ref = try Self.python(["-c", Self.tbReference, file])
    let (n, bad) = compare(r.runs[0], toReference: ref)
    #expect(n == 150)
    #expect(bad.isEmpty, "\(bad.prefix(5))")
    // float32 rounding: the value logged is sin(...) in double, stored as float.
    let v = try #require(r.runs[0].rows[7].values["loss"])
    #expect(v == Double(Float(sin(7 * 0.37) * 0.1 + 0.7)))
    // The directory reads the same.
    #expect(try RunLoader.load(path: dir.path).runs[0].rows.count == 50)
  }

  @Test(.tags(.python)) func tensorboardWriterTensorForm() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.python([Self.fixtureScript, "tb-tensor", dir.path])
    let r = try RunLoader.load(path: file)
    let ref = try Self.python(["-c", Self.tbReference, file])
    let (n, bad) = compare(r.runs[0], toReference: ref)
    #expect(n == 80)
    #expect(bad.isEmpty, "\(bad.prefix(5))")
    #expect(r.runs[0].metricKeys == ["train/acc", "train/loss"])
  }

  @Test(.tags(.python, .slow)) func wandbOfflineRun() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.python([Self.fixtureScript, "wandb", dir.path])
    let r = try RunLoader.load(path: file)
    let run = r.runs[0]
    #expect(run.rows.map(\.step) == Array(0..<300))
    #expect(run.config == ["lr": 3e-4, "batch_size": 32, "optimizer": "adamw"])
    var mismatches = 0
    for s in 0..<300 {
      let v = run.rows[s].values
      let loss = s == 7 ? Double.nan : 2.0 * exp(-Double(s) / 100) + 0.01 * sin(Double(s))
      if !(v["loss"] == loss || (v["loss"]?.isNaN == true && loss.isNaN)) { mismatches += 1 }
      if v["lr"] != 3e-4 * (1 - Double(s) / 300) { mismatches += 1 }
      if v["nested/x"] != Double(s) { mismatches += 1 }
      if (v["eval/loss"] != nil) != (s % 50 == 0) { mismatches += 1 }
    }
    #expect(mismatches == 0)
    // The wandb/ directory of run folders gives the same run.
    let all = try RunLoader.load(path: dir.appendingPathComponent("wandb").path)
    #expect(all.runs.count == 1 && all.runs[0].rows.count == 300)
  }

  /// Copies SRC to DST in random pieces (split anywhere, even inside a
  /// record), flushing and sleeping between them; "replace" at the end
  /// writes a new file with another inode at the same path.
  static let appender = #"""
    import os, random, sys, time
    src, dst, seed, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rng = random.Random(seed)
    data = open(src, "rb").read()
    with open(dst, "ab", buffering=0) as f:
        pos = 0
        while pos < len(data):
            n = rng.choice([1, 2, 5, 13, 100, 700, 4096, 40000])
            f.write(data[pos:pos + n])
            pos += n
            time.sleep(rng.random() * 0.002)
    if mode == "replace":
        time.sleep(0.3)
        tmp = dst + ".new"
        with open(tmp, "wb") as f:
            f.write(data[: len(data) // 2])
        os.replace(tmp, dst)
    """#

  func follow(format: RunFormat, source: String, replace: Bool = false) throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let dst = dir.appendingPathComponent("live").path
    let expected = try RunLoader.load(path: source, options: IngestOptions(format: format)).runs[0].rows
    let python = Self.root.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      Issue.record("\(python) not found: run scripts/setup.sh to create .venv")
      return
    }
    let follower = try RunFollower(path: dst, format: format)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", Self.appender, source, dst, "\(format.rawValue.count * 7919)", replace ? "replace" : "append"]
    try p.run()
    var got: [MetricRow] = []
    while p.isRunning {
      got += try follower.poll()
      usleep(300)
    }
    #expect(p.terminationStatus == 0)
    got += try follower.poll()
    got += try follower.poll()
    got += try follower.finish()  // the row held back for merging a step flushed in pieces
    var buffer = MetricsBuffer()
    buffer.append(contentsOf: got)
    var want = MetricsBuffer()
    want.append(contentsOf: expected)
    if replace {
      #expect(follower.notes.contains { $0.contains("replaced") })
      // The whole file, then the half file again from its start.
      #expect(buffer.count > want.count)
      #expect(Array(buffer.rows.prefix(want.count)).map(\.step) == want.rows.map(\.step))
    } else {
      #expect(buffer.rows.map(\.step) == want.rows.map(\.step))
      let same = zip(buffer.rows, want.rows).allSatisfy { a, b in
        a.values.count == b.values.count
          && a.values.allSatisfy { k, v in b.values[k].map { $0 == v || ($0.isNaN && v.isNaN) } ?? false }
      }
      #expect(same)
      #expect(follower.notes.isEmpty, "\(follower.notes.prefix(3))")
    }
  }

  @Test(.tags(.python)) func followJSONL() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = ""
    for s in 0..<3000 { text += "{\"step\": \(s), \"loss\": \(1.0 / Double(s + 1)), \"lr\": NaN}\n" }
    let src = IngestFixtures.write(Array(text.utf8), "src.jsonl", in: dir)
    try follow(format: .jsonl, source: src)
  }

  @Test(.tags(.python)) func followEventFile() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.python([Self.fixtureScript, "tb-scalar", dir.path])
    try follow(format: .tensorboard, source: file)
  }

  @Test(.tags(.python, .slow)) func followWandb() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.python([Self.fixtureScript, "wandb", dir.path])
    try follow(format: .wandb, source: file)
  }

  @Test(.tags(.python)) func followReplacedFile() throws {
    try follow(format: .wandb, source: IngestFixtures.path("run-fixture.wandb"), replace: true)
  }

  @Test func followerWaitsOnHalfARecordAndRereadsATruncatedFile() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = dir.appendingPathComponent("live.jsonl").path
    let f = try RunFollower(path: p, format: .jsonl)
    #expect(try f.poll().isEmpty)  // not there yet
    #expect(FileManager.default.createFile(atPath: p, contents: Data("{\"step\": 1, \"a\": 1}\n{\"step\": 2, \"a\"".utf8)))
    #expect(try f.poll().map(\.step) == [1])
    #expect(try f.poll().isEmpty)
    let h = try #require(FileHandle(forWritingAtPath: p))
    h.seekToEndOfFile()
    h.write(Data(": 2}\n".utf8))
    try h.close()
    #expect(try f.poll().map(\.step) == [2])
    try Data("{\"step\": 9, \"a\": 9}\n".utf8).write(to: URL(fileURLWithPath: p))  // same inode? replaced or truncated
    #expect(try f.poll().map(\.step) == [9])
    #expect(f.notes.count == 1)
  }
}
