import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

enum IngestFixtures {
  static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/ingest")
  static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  static func tempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }

  static func write(_ bytes: [UInt8], _ name: String, in dir: URL) -> String {
    let p = dir.appendingPathComponent(name).path
    precondition(FileManager.default.createFile(atPath: p, contents: Data(bytes)), "cannot write \(p)")
    return p
  }

  /// Byte offsets of the TFRecords in an event file.
  static func tfrecordOffsets(_ b: [UInt8]) -> [Int] {
    var out: [Int] = []
    var p = 0
    while p + 12 <= b.count {
      out.append(p)
      let len = b[p..<(p + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
      p += 16 + len
    }
    return out
  }
}

@Suite(.tiered) struct IngestCRCTests {
  @Test func knownVectors() {
    let check = Array("123456789".utf8)
    #expect(CRC32C.checksum(check) == 0xE306_9283)
    #expect(CRC32.checksum(check) == 0xCBF4_3926)
    #expect(CRC32C.checksum([UInt8]()) == 0)
    #expect(CRC32.checksum([UInt8]()) == 0)
    // RFC 3720 B.4: 32 zero bytes, 32 0xFF bytes, 0...31 ascending.
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
  }

  @Test func slicingMatchesBytewise() {
    #if arch(x86_64)
      // Every x86-64 CPU this runs on has SSE 4.2: the instruction path is the one tested.
      #expect(CRC32C.hardware)
    #endif
    var rng = SystemRandomNumberGenerator()
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 4099] {
      let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
      // Byte-at-a-time reference.
      func ref(_ poly: UInt32) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
          c ^= UInt32(b)
          for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ poly : c >> 1 }
        }
        return ~c
      }
      // The instruction where this CPU has it, and the tables that other CPUs use.
      #expect(CRC32C.checksum(bytes) == ref(0x82F6_3B78))
      #expect(bytes.withUnsafeBytes { CRC32C.tableChecksum($0) } == ref(0x82F6_3B78))
      #expect(CRC32.checksum(bytes) == ref(0xEDB8_8320))
    }
  }

  @Test func tfrecordMask() {
    // masked(c) = rotr(c, 15) + 0xA282EAD8
    #expect(CRC32C.mask(0) == 0xA282_EAD8)
    #expect(CRC32C.mask(0x8000) == 0xA282_EAD9)
  }
}

@Suite(.tiered) struct IngestCSVTests {
  func split(_ s: String, atEOF: Bool = true) -> [[String]] {
    let b = Array(s.utf8)
    var out: [[String]] = []
    b.withUnsafeBufferPointer { p in
      var i = 0
      while i < p.count, case .record(let f, let next, _) = CSVSplitter.next(p, from: i, atEOF: atEOF) {
        out.append(f)
        i = next
      }
    }
    return out
  }

  @Test func rfc4180() {
    #expect(split("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
    #expect(split("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
    #expect(split("\"x, y\",\"he said \"\"hi\"\"\"\n") == [["x, y", "he said \"hi\""]])
    #expect(split("\"multi\nline\",2\n") == [["multi\nline", "2"]])
    #expect(split("a,,c\n,\n") == [["a", "", "c"], ["", ""]])
    // An unterminated last row is not a record (the CSV decoder warns and drops it).
    #expect(split("last,row") == [])
    #expect(split("last,row", atEOF: false) == [])
    #expect(split("\"open,quote\n", atEOF: true) == [])
    #expect(split("a\"b,c\n") == [["a\"b", "c"]])
  }

  @Test func lightningMetricsMergesRowsOfAStep() throws {
    let r = try RunLoader.load(path: IngestFixtures.path("lightning_metrics.csv"))
    #expect(r.formats == [.csv])
    let run = try #require(r.runs.first)
    #expect(run.name == "lightning_metrics")
    #expect(run.rows.map(\.step) == Array(0..<10))
    let s4 = run.rows[4].values
    #expect(s4["train_loss_step"] == 1.6)
    #expect(s4["val_loss"] == 1.5)
    #expect(s4["val_acc"] == 0.5)
    #expect(s4["train_loss_epoch"] == 1.8)
    #expect(s4["epoch"] == 0)
    #expect(run.rows[3].values.keys.sorted() == ["epoch", "train_loss_step"])
  }

  @Test func wandbPanelExportSplitsRunsAndKeepsMinMax() throws {
    let r = try RunLoader.load(path: IngestFixtures.path("wandb_panel_export.csv"))
    #expect(r.runs.map(\.name) == ["bright-sun-1", "calm-wave-2"])
    let a = r.runs[0], b = r.runs[1]
    #expect(a.metricKeys == ["train/loss", "train/loss__MAX", "train/loss__MIN"])
    #expect(a.rows.map(\.step) == [0, 10, 20, 30, 40])
    #expect(b.rows.map(\.step) == [0, 10, 30, 40])  // empty cells at step 20
    #expect(a.rows[1].values["train/loss"] == 3.0 / 11)
    #expect(a.rows[1].values["train/loss__MIN"] == 3.0 / 11 - 0.125)
    #expect(b.rows[0].values["train/loss"] == 4.0)
  }

  @Test func wideCSVWithQuotesAndStepColumn() throws {
    let r = try RunLoader.load(path: IngestFixtures.path("wide.csv"))
    let run = try #require(r.runs.first)
    #expect(run.rows.map(\.step) == [0, 1, 2, 3])
    #expect(run.rows[0].values == ["loss": 2.5, "lr, scheduled": 0.001])
    #expect(run.rows[2].values["loss"]!.isNaN)
    #expect(run.rows[3].values["loss"] == .infinity)
    #expect(run.metricKeys == ["loss", "lr, scheduled"])
  }

  @Test func badStepIsAnErrorWithTheLineOrSkipped() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(Array("step,loss\n1,0.5\nx,0.4\n3,0.3\n".utf8), "bad.csv", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in
      "\(e)".hasSuffix("bad.csv:3: expected an integer step in column 'step', found 'x'")
    }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.skipped == 1)
    #expect(r.runs[0].rows.map(\.step) == [1, 3])
    #expect(r.warnings.contains { $0.contains("bad.csv:3") })
  }

  @Test func chunkBoundariesDoNotChangeTheResult() throws {
    // Feed a CSV with quoted newlines and "" escapes one byte at a time.
    let text = "\u{FEFF}step,a,\"b\"\"q\"\r\n1,\"1\n\",2\r\n2,3,\"4\"\r\n3,5,6"
    let bytes = Array(text.utf8)
    var stream = FileStream(decoder: CSVChunkDecoder(file: "f.csv"))
    var sink = IngestSink(skipBad: false)
    for b in bytes { try [b].withUnsafeBytes { try stream.feed($0, atEOF: false, into: &sink) } }
    try stream.finish(into: &sink)
    let rows = stream.decoder.rowsByRun[""] ?? []
    // The last row has no line end: it may be cut short, so it is dropped with a warning.
    #expect(rows.map(\.step) == [1, 2])
    #expect(sink.warnings.contains { $0.contains("f.csv:5: ignoring the last row") }, "\(sink.warnings)")
    #expect(rows[1].values == ["a": 3, "b\"q": 4])
    #expect(stream.decoder.header == ["step", "a", "b\"q"])
  }
}

@Suite(.tiered) struct IngestTrainerStateTests {
  @Test func mergesTrainEvalAndSummaryEntries() throws {
    let r = try RunLoader.load(path: IngestFixtures.path("trainer_state.json"))
    #expect(r.formats == [.trainerState])
    let run = r.runs[0]
    #expect(run.name == "ingest")  // named after its folder
    #expect(run.rows.map(\.step) == [10, 20, 30])
    let s20 = run.rows[1].values
    #expect(s20["loss"] == 2.0 - 0.2)
    #expect(s20["eval_loss"] == 1.9 - 0.2)
    #expect(s20["reward"] == 20.0 / 30)
    #expect(s20["rewards/accuracy/mean"] == 20.0 / 60)
    #expect(s20["kl"] == 0.02)
    #expect(run.rows[0].values["grad_norm"]!.isNaN)
    #expect(run.rows[2].values["train_loss"] == 1.8)
    #expect(run.config["train_batch_size"] == 8)
    #expect(run.config["max_steps"] == 30)
    #expect(run.config["best_metric"] == 1.7)
  }

  @Test func truncatedFileNamesTheOffset() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: IngestFixtures.path("trainer_state.json"))))
    let p = IngestFixtures.write(Array(whole.prefix(400)), "trainer_state.json", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in
      "\(e)".contains("trainer_state.json: line ") && "\(e)".contains("truncated")
    }
  }
}

@Suite(.tiered) struct IngestTensorBoardTests {
  func bytes(_ name: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: IngestFixtures.path(name))))
  }

  @Test func readsSimpleValueAndTensorScalars() throws {
    let a = try RunLoader.load(path: IngestFixtures.path("events.out.tfevents.scalar"))
    #expect(a.formats == [.tensorboard])
    #expect(a.runs[0].rows.count == 20)
    #expect(a.runs[0].metricKeys == ["grad_norm/layer_0", "loss", "lr"])
    let b = try RunLoader.load(path: IngestFixtures.path("events.out.tfevents.tensor"))
    #expect(b.runs[0].rows.count == 10)
    #expect(b.runs[0].rows[3].values["train/loss"] == Double(Float(0.25)))
  }

  @Test func rejectsGitLFSPointerAndNonEventFiles() throws {
    #expect {
      _ = try RunLoader.load(path: IngestFixtures.path("events.out.tfevents.lfs"))
    } throws: { e in "\(e)".contains("Git LFS pointer") && "\(e)".contains("git lfs pull") }
    #expect {
      _ = try RunLoader.load(path: IngestFixtures.path("wide.csv"), options: IngestOptions(format: .tensorboard))
    } throws: { e in "\(e)".contains("wide.csv: at byte 0: not a TensorBoard event file") }
  }

  @Test func corruptDataIsAnErrorAtItsOffsetOrSkipped() throws {
    var b = try bytes("events.out.tfevents.scalar")
    let offsets = IngestFixtures.tfrecordOffsets(b)
    #expect(offsets.count == 61)  // file_version + 20 steps x 3 tags
    let bad = offsets[10]
    b[bad + 14] ^= 0xFF
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(b, "events.out.tfevents.bad", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in "\(e)" == "\(p): at byte \(bad): bad record data checksum (expected masked CRC-32C of the \(b.count > 0 ? IngestFixtures.tfrecordLength(b, bad) : 0) data bytes)" }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.skipped == 1)
    let values = r.runs[0].rows.reduce(0) { $0 + $1.values.count }
    #expect(values == 59)
  }

  @Test func badLengthResynchronises() throws {
    var b = try bytes("events.out.tfevents.scalar")
    let offsets = IngestFixtures.tfrecordOffsets(b)
    let bad = offsets[30]
    b[bad + 2] ^= 0x40  // length bytes: its CRC no longer matches
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(b, "events.out.tfevents.badlen", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in "\(e)".contains(": at byte \(bad): bad record length checksum") }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.skipped == 1)
    #expect(r.runs[0].rows.reduce(0) { $0 + $1.values.count } == 59)
    #expect(r.warnings.contains { $0.contains("to the next good record at byte \(offsets[31])") })
  }

  @Test func hugeLengthIsNeverAllocated() throws {
    var b = try bytes("events.out.tfevents.scalar")
    let offsets = IngestFixtures.tfrecordOffsets(b)
    let at = offsets[5]
    // A length of 2^40 with a valid masked CRC.
    var len = [UInt8](repeating: 0, count: 8)
    len[5] = 1
    let crc = len.withUnsafeBytes { CRC32C.maskedChecksum($0) }
    b.replaceSubrange(at..<(at + 8), with: len)
    b.replaceSubrange((at + 8)..<(at + 12), with: withUnsafeBytes(of: crc.littleEndian, Array.init))
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(b, "events.out.tfevents.huge", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in "\(e)".contains(": at byte \(at): record length 1099511627776 is over the 64 MiB limit") }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.runs[0].rows.reduce(0) { $0 + $1.values.count } == 59)
  }

  @Test func truncatedTailIsAWarning() throws {
    let b = try bytes("events.out.tfevents.scalar")
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let offsets = IngestFixtures.tfrecordOffsets(b)
    for cut in [offsets[60] + 5, offsets[60] + 20, b.count - 1] {
      let p = IngestFixtures.write(Array(b.prefix(cut)), "events.out.tfevents.cut", in: dir)
      let r = try RunLoader.load(path: p)
      #expect(r.runs[0].rows.reduce(0) { $0 + $1.values.count } == 59)
      #expect(r.warnings.count == 1 && r.warnings[0].contains("truncated last record"))
    }
  }

  @Test func runDirectoryAndLogDirectory() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    for run in ["run_a", "run_b"] {
      try fm.createDirectory(at: dir.appendingPathComponent(run), withIntermediateDirectories: true)
      try fm.copyItem(atPath: IngestFixtures.path("events.out.tfevents.scalar"), toPath: dir.appendingPathComponent("\(run)/events.out.tfevents.1.host").path)
    }
    try fm.copyItem(atPath: IngestFixtures.path("events.out.tfevents.tensor"), toPath: dir.appendingPathComponent("run_b/events.out.tfevents.2.host").path)
    let r = try RunLoader.load(path: dir.path)
    #expect(r.runs.map(\.name) == ["run_a", "run_b"])
    #expect(r.runs[1].metricKeys == ["grad_norm/layer_0", "loss", "lr", "train/acc", "train/loss"])
    #expect(r.runs[1].rows.count == 20)
    let one = try RunLoader.load(path: dir.appendingPathComponent("run_b").path)
    #expect(one.runs.count == 1 && one.runs[0].name == "run_b")
  }
}

extension IngestFixtures {
  static func tfrecordLength(_ b: [UInt8], _ p: Int) -> Int {
    b[p..<(p + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  }
}

@Suite(.tiered) struct IngestWandbTests {
  @Test func readsHistoryAndConfig() throws {
    let r = try RunLoader.load(path: IngestFixtures.path("run-fixture.wandb"))
    #expect(r.formats == [.wandb])
    let run = r.runs[0]
    #expect(run.rows.map(\.step) == Array(0..<60))
    #expect(run.metricKeys == ["eval/loss", "loss", "lr", "nested/x"])
    #expect(run.rows[7].values["loss"]!.isNaN)
    #expect(run.rows[5].values["loss"] == 2.0 * exp(-5.0 / 100) + 0.01 * sin(5.0))
    #expect(run.rows[50].values["eval/loss"] == 1.0 + 1.0 / 51)
    #expect(run.config == ["lr": 3e-4, "batch_size": 32, "optimizer": "adamw"])
    #expect(r.warnings.isEmpty)
  }

  @Test func corruptChunkSkipsToTheNextBlock() throws {
    var b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: IngestFixtures.path("run-fixture.wandb"))))
    #expect(b.count > 32768 / 2)
    let at = 9000
    b[at] ^= 0x01
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(b, "run-bad.wandb", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in "\(e)".contains("run-bad.wandb: at byte ") && "\(e)".contains("bad chunk checksum") }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.skipped == 1)
    let steps = r.runs[0].rows.map(\.step)
    #expect(steps.first == 0 && steps.count < 60 && steps.count > 0)
    #expect(steps == steps.sorted())
  }

  @Test func truncatedAndBadHeader() throws {
    let b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: IngestFixtures.path("run-fixture.wandb"))))
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(Array(b.prefix(b.count - 10)), "run-cut.wandb", in: dir)
    let r = try RunLoader.load(path: p)
    #expect(r.runs[0].rows.count >= 59)
    #expect(r.warnings.count == 1 && r.warnings[0].contains("truncated last chunk"))
    let q = IngestFixtures.write(Array("not wandb".utf8), "run-x.wandb", in: dir)
    #expect {
      _ = try RunLoader.load(path: q)
    } throws: { e in "\(e)".contains("run-x.wandb: at byte 0: not a W&B run log") }
  }
}

@Suite(.tiered) struct IngestLoaderTests {
  @Test func jsonlThroughTheLoaderMatchesJSONLReader() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = "\u{FEFF}"
    for s in 0..<5000 { text += "{\"step\": \(s), \"loss\": \(1.0 / Double(s + 1)), \"acc\": NaN}\r\n" }
    text += "{\"step\": 5000, \"loss\": 0."
    let p = IngestFixtures.write(Array(text.utf8), "big.jsonl", in: dir)
    let a = try RunLoader.load(path: p)
    let b = try JSONLReader.read(path: p)
    #expect(a.runs[0].rows.count == 5000)
    #expect(a.runs[0].rows.map(\.step) == b.run.rows.map(\.step))
    #expect(a.runs[0].rows.map { $0.values["loss"]! } == b.run.rows.map { $0.values["loss"]! })
    #expect(a.warnings == b.warnings)
    #expect(a.runs[0].name == "big")
  }

  @Test func badJSONLineInTheMiddle() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = IngestFixtures.write(Array("{\"step\":1,\"a\":1}\n{\"step\":2,\"a\":}\n{\"step\":3,\"a\":3}\n".utf8), "m.jsonl", in: dir)
    #expect {
      _ = try RunLoader.load(path: p)
    } throws: { e in "\(e)" == "\(p):2:15: expected a JSON value, found '}'" }
    let r = try RunLoader.load(path: p, options: IngestOptions(skipBad: true))
    #expect(r.runs[0].rows.map(\.step) == [1, 3])
    #expect(r.skipped == 1)
  }

  @Test func detection() throws {
    #expect(try RunLoader.detectFormat(path: IngestFixtures.path("trainer_state.json")) == .trainerState)
    #expect(try RunLoader.detectFormat(path: IngestFixtures.path("wide.csv")) == .csv)
    #expect(try RunLoader.detectFormat(path: IngestFixtures.path("run-fixture.wandb")) == .wandb)
    #expect(try RunLoader.detectFormat(path: IngestFixtures.path("events.out.tfevents.scalar")) == .tensorboard)
  }

  @Test func fixtureDirectoryGivesEveryRun() throws {
    let r = try RunLoader.load(path: IngestFixtures.dir.path, options: IngestOptions(skipBad: true))
    // Event files make the folder a TensorBoard run directory (the LFS
    // pointer is skipped with skipBad); the .wandb file is a W&B run folder's
    // log, named by its run id. CSV and JSON files beside them are not runs.
    #expect(r.runs.map(\.name) == ["ingest", "s39kzcwj"])
    #expect(r.formats == [.tensorboard, .wandb])
    #expect(r.warnings.contains { $0.contains("Git LFS") })
  }
}

@Suite(.tiered) struct RunsWithoutRowsTests {
  /// A file without metric rows in a directory of runs is reported and skipped, never fatal;
  /// alone it is an error naming it.
  @Test func aRunWithoutRowsIsSkippedInADirectoryAndAnErrorAlone() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = IngestFixtures.write(Array("{\"step\": 1, \"loss\": 2}\n".utf8), "good.jsonl", in: dir)
    let empty = IngestFixtures.write(Array("\n".utf8), "empty.jsonl", in: dir)
    let result = try RunLoader.load(path: dir.path)
    #expect(result.runs.map(\.name) == ["good"])
    #expect(result.runsWithoutRows == ["\(empty): no metric rows (read as jsonl)"])
    #expect(throws: IngestError(file: empty, message: "no metric rows (read as jsonl)")) { try RunLoader.load(path: empty) }
  }
}
