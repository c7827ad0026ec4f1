import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

/// `IngestOptions.capacity`: a bounded read keeps, while reading, exactly the
/// rows an unbounded read ends with.
@Suite(.tiered) struct IngestBoundedTests {
  /// Row lists equal, NaN equal to NaN.
  static func same(_ a: [MetricRow], _ b: [MetricRow]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy { x, y in
        x.step == y.step && x.values.count == y.values.count
          && x.values.allSatisfy { k, v in
            guard let w = y.values[k] else { return false }
            return v == w || (v.isNaN && w.isNaN)
          }
      }
  }

  /// For every capacity, each run of the bounded read is the tail of the
  /// same run read whole; the notes and `dropped` say what was left out.
  /// `stepsOverlap`: the input re-logs steps already pushed out of the window
  /// (a restarted run), which `dropped` counts again as late rows.
  func checkTails(
    _ path: String, format: RunFormat? = nil, stepsOverlap: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let whole = try RunLoader.load(path: path, options: IngestOptions(format: format))
    #expect(whole.notes.isEmpty && whole.dropped == 0, sourceLocation: sourceLocation)
    let longest = whole.runs.map(\.rows.count).max() ?? 0
    #expect(longest >= 3, "fixture too small to test", sourceLocation: sourceLocation)
    for k in [1, 2, longest / 2, longest - 1, longest, longest + 1, 1000] where k >= 1 {
      let bounded = try RunLoader.load(path: path, options: IngestOptions(format: format, capacity: k))
      #expect(bounded.runs.map(\.name) == whole.runs.map(\.name), sourceLocation: sourceLocation)
      #expect(bounded.formats == whole.formats, sourceLocation: sourceLocation)
      #expect(bounded.warnings == whole.warnings, sourceLocation: sourceLocation)
      var dropped = 0
      for (b, w) in zip(bounded.runs, whole.runs) {
        #expect(Self.same(b.rows, Array(w.rows.suffix(k))), "k=\(k) run \(w.name)", sourceLocation: sourceLocation)
        #expect(b.config == w.config, sourceLocation: sourceLocation)
        dropped += max(0, w.rows.count - k)
      }
      if stepsOverlap {
        #expect(bounded.dropped >= dropped, "k=\(k)", sourceLocation: sourceLocation)
      } else {
        #expect(bounded.dropped == dropped, "k=\(k)", sourceLocation: sourceLocation)
      }
      #expect(bounded.notes.count == whole.runs.filter { $0.rows.count > k }.count, "k=\(k)", sourceLocation: sourceLocation)
      if k >= longest {
        // Larger than every run: the whole run, nothing said.
        #expect(bounded.notes.isEmpty, sourceLocation: sourceLocation)
        for (b, w) in zip(bounded.runs, whole.runs) {
          #expect(Self.same(b.rows, w.rows), sourceLocation: sourceLocation)
        }
      }
    }
  }

  @Test func jsonlKeepsTheLastRows() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Steps in file order, one step logged on two adjacent lines (kept apart,
    // as the unbounded read keeps them), a NaN, and a key only on some rows.
    var text = ""
    for s in 0..<40 {
      text += "{\"step\": \(s), \"loss\": \(Double(100 - s) / 7), \"lr\": \(s % 5 == 0 ? "NaN" : "0.001")}\n"
      if s == 37 { text += "{\"step\": 37, \"eval/loss\": 1.5}\n" }
    }
    let p = IngestFixtures.write(Array(text.utf8), "bounded.jsonl", in: dir)
    try checkTails(p)
    let r = try RunLoader.load(path: p, options: IngestOptions(capacity: 5))
    #expect(r.runs[0].rows.map(\.step) == [36, 37, 37, 38, 39])
    #expect(r.notes == ["\(p): kept the last 5 of 41 rows"])
    #expect(r.dropped == 36)
  }

  @Test func csvKeepsTheLastSteps() throws {
    // Lightning: train and validation rows of a step written apart, merged.
    try checkTails(IngestFixtures.path("lightning_metrics.csv"))
    // A W&B panel export: several runs, each bounded on its own.
    try checkTails(IngestFixtures.path("wandb_panel_export.csv"))
    try checkTails(IngestFixtures.path("wide.csv"))
  }

  @Test func csvOutOfStepOrderGivesTheSortedTail() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Steps shuffled, some repeated far apart (later values win), so the
    // window inserts, merges and ignores rows older than itself.
    var rng = SplitMix64(seed: 7)
    var lines = ["step,loss,acc"]
    for i in 0..<200 {
      let step = Int(rng.next() % 60)
      lines.append(i % 3 == 0 ? "\(step),\(i)," : "\(step),,\(i)")
    }
    let p = IngestFixtures.write(Array((lines.joined(separator: "\n") + "\n").utf8), "shuffled.csv", in: dir)
    let whole = try RunLoader.load(path: p)
    #expect(whole.runs[0].rows.map(\.step) == whole.runs[0].rows.map(\.step).sorted())
    for k in [1, 2, 5, 17, 59, 60, 61] {
      let bounded = try RunLoader.load(path: p, options: IngestOptions(capacity: k))
      #expect(Self.same(bounded.runs[0].rows, Array(whole.runs[0].rows.suffix(k))), "k=\(k)")
    }
  }

  @Test func eventFileKeepsTheLastSteps() throws {
    try checkTails(IngestFixtures.path("events.out.tfevents.scalar"))
    try checkTails(IngestFixtures.path("events.out.tfevents.tensor"))
  }

  @Test func eventDirectoryIsBoundedAcrossItsFiles() throws {
    let dir = try IngestFixtures.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Two event files in one run directory with the same steps (a restart):
    // merged by step; the second file's rows for steps already pushed out
    // are ignored as late rows, said in the note.
    let fm = FileManager.default
    try fm.copyItem(atPath: IngestFixtures.path("events.out.tfevents.scalar"), toPath: dir.appendingPathComponent("events.out.tfevents.1.host").path)
    try fm.copyItem(atPath: IngestFixtures.path("events.out.tfevents.tensor"), toPath: dir.appendingPathComponent("events.out.tfevents.2.host").path)
    try checkTails(dir.path, stepsOverlap: true)
    let r = try RunLoader.load(path: dir.path, options: IngestOptions(capacity: 5))
    #expect(r.notes.count == 1)
    #expect(r.notes.first?.contains("ignored") == true && r.notes.first?.contains("out of step order") == true)
  }

  @Test func wandbKeepsTheLastRows() throws {
    try checkTails(IngestFixtures.path("run-fixture.wandb"))
  }

  @Test func trainerStateKeepsTheLastSteps() throws {
    try checkTails(IngestFixtures.path("trainer_state.json"))
  }

  @Test func capacityBelowOneIsAnError() {
    #expect(throws: IngestError.self) {
      _ = try RunLoader.load(path: IngestFixtures.path("wide.csv"), options: IngestOptions(capacity: 0))
    }
  }

  /// The step-ordered window against sort-then-merge-then-tail, on random
  /// orders with many repeated steps.
  @Test func stepWindowMatchesMergedByStepSuffix() {
    var rng = SplitMix64(seed: 42)
    for trial in 0..<300 {
      let n = Int(rng.next() % 80)
      let span = 1 + rng.next() % 40
      // Mostly increasing with jumps back, like restarted runs.
      var rows: [MetricRow] = []
      var step: Int64 = 0
      for i in 0..<n {
        if rng.next() % 4 == 0 { step = Int64(rng.next() % span) } else { step += Int64(rng.next() % 3) }
        rows.append(MetricRow(step: step, values: ["k\(rng.next() % 3)": Double(i)]))
      }
      let expected = rows.mergedByStep()
      for k in [1, 2, 3, 7, 20, 100] {
        var w = RowWindow(capacity: k, order: .step)
        for r in rows { w.append(r) }
        #expect(Array(w.rows) == Array(expected.suffix(k)), "trial \(trial) k=\(k)")
        #expect(w.rows.count == min(k, expected.count))
      }
    }
  }

  @Test func fileWindowKeepsTheLastRowsUnmerged() {
    let rows = [0, 1, 1, 2, 2, 2, 3].enumerated().map { MetricRow(step: Int64($1), values: ["x": Double($0)]) }
    for k in 1...8 {
      var w = RowWindow(capacity: k, order: .file)
      for r in rows { w.append(r) }
      #expect(Array(w.rows) == Array(rows.suffix(k)))
      #expect(w.dropped == max(0, rows.count - k))
    }
  }
}

