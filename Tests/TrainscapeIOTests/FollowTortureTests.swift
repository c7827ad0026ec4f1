import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// `RunFollower` against writers that do everything trainers and their tools do to a file
/// while it is followed, in bounded randomized trials (seeded: a failure names its seed):
///
/// - appends in random pieces, cut anywhere, inside UTF-8 characters and records too;
/// - truncate-and-rewrite in place, with and without the new content growing past the old
///   read position before the next poll;
/// - rename-replace (a new file moved over the old one);
/// - TensorBoard steps flushed in pieces (one event per scalar), polls falling between them.
///
/// The promise: the rows of all polls plus `finish()` are, generation by generation, exactly
/// the rows the non-follow reader reads: for each replaced file, the complete records it held
/// at the last poll that saw it; for the final file, all of `RunLoader`'s rows. Zero rows lost,
/// duplicated or split.
@Suite(.tiered) struct FollowTortureTests {
  /// A file written generation by generation; tracks what each poll could see.
  final class Writer {
    let path: String
    private(set) var fd: Int32
    /// The current generation's full content, and how much of it is in the file.
    private(set) var content: [UInt8]
    private(set) var written = 0
    private(set) var generation = 0
    /// Per generation seen by a poll: its content and the bytes in the file at that poll.
    private(set) var seen: [(generation: Int, content: [UInt8], bytes: Int)] = []

    init(path: String, content: [UInt8]) {
      self.path = path
      self.content = content
      fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }

    deinit { close(fd) }

    var done: Bool { written == content.count }

    /// Appends the next `n` bytes of the content (as one write).
    func append(_ n: Int) {
      let k = min(n, content.count - written)
      if k > 0 {  // nothing left to write: the trial's content is all out
        content[written..<(written + k)].withUnsafeBytes { _ = write(fd, $0.baseAddress!, k) }
        written += k
      }
    }

    /// Notes what a poll made now can see.
    func polled() {
      if let last = seen.last, last.generation == generation {
        seen[seen.count - 1].bytes = written
      } else {
        seen.append((generation, content, written))
      }
    }

    /// Truncates the file and writes `prefix` bytes of `next` in place (same inode).
    func truncateAndRewrite(_ next: [UInt8], prefix: Int) {
      ftruncate(fd, 0)
      lseek(fd, 0, SEEK_SET)
      content = next
      written = 0
      generation += 1
      append(prefix)
    }

    /// Writes `prefix` bytes of `next` to a new file and renames it over the path.
    func renameReplace(_ next: [UInt8], prefix: Int) {
      let tmp = path + ".new"
      let t = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      let k = min(prefix, next.count)
      if k > 0 { next.withUnsafeBytes { _ = write(t, $0.baseAddress!, k) } }
      close(t)
      rename(tmp, path)
      close(fd)
      fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
      content = next
      written = k
      generation += 1
    }
  }

  /// Rows equal with NaN equal to NaN (values bit-for-bit otherwise).
  static func same(_ a: [MetricRow], _ b: [MetricRow]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy { x, y in
        x.step == y.step && x.values.count == y.values.count
          && x.values.allSatisfy { k, v in y.values[k].map { $0.bitPattern == v.bitPattern || ($0.isNaN && v.isNaN) } ?? false }
      }
  }

  /// Where two row sequences first differ, for the failure message.
  static func diff(_ got: [MetricRow], _ want: [MetricRow]) -> String {
    let i = zip(got, want).enumerated().first { !same([$0.element.0], [$0.element.1]) }?.offset ?? min(got.count, want.count)
    let steps = { (r: [MetricRow]) in r.dropFirst(max(0, i - 2)).prefix(5).map { "\($0.step):\($0.values.count)" } }
    return "got \(got.count) rows, want \(want.count); first difference at row \(i): got \(steps(got)), want \(steps(want))"
  }

  // MARK: - JSONL: random pieces, truncate-and-rewrite, rename-replace

  /// A generation's JSONL text: its first line names the generation (so two generations
  /// differ in their first bytes), keys and values with multi-byte UTF-8 characters.
  static func jsonl(generation: Int, rows: Int, rng: inout SplitMix64) -> [UInt8] {
    var text = ""
    for s in 0..<rows {
      var fields = ["\"step\": \(s)"]
      if s == 0 { fields.append("\"gen\": \(generation)") }
      fields.append("\"λoss/ü\": \(rng.nextDouble())")
      for k in 0..<(1 + rng.int(3)) { fields.append("\"grad_norm/layer_\(k)/→\": \(rng.nextDouble() * 10)") }
      if rng.int(4) == 0 { fields.append("\"note\": \"日本語 ✓ \(s)\"") }
      text += "{" + fields.joined(separator: ", ") + "}\n"
    }
    return Array(text.utf8)
  }

  /// The rows of the complete lines in `bytes` (as the non-follow reader reads them).
  static func completeRows(_ bytes: [UInt8], atEnd: Bool) throws -> [MetricRow] {
    let upTo = atEnd ? bytes.count : (bytes.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
    let dir = try TestPaths.temporaryDirectory("torture-oracle")
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = dir.appendingPathComponent("g.jsonl").path
    try Data(bytes.prefix(upTo)).write(to: URL(fileURLWithPath: p))
    guard upTo > 0 else { return [] }
    do {
      return try RunLoader.load(path: p, options: IngestOptions(format: .jsonl)).runs.flatMap(\.rows)
    } catch let e as IngestError where e.message.contains("no metric rows") {
      return []
    }
  }

  @Test func jsonlPiecesTruncationsAndReplacements() throws {
    let dir = try TestPaths.temporaryDirectory("torture")
    defer { try? FileManager.default.removeItem(at: dir) }
    var failures: [String] = []
    var restarts = 0, growthsPastOffset = 0, renames = 0, truncations = 0
    for trial in 0..<60 {
      let seed = UInt64(0x11_0000 + trial)
      var rng = SplitMix64(seed: seed)
      let path = dir.appendingPathComponent("live-\(trial).jsonl").path
      let writer = Writer(path: path, content: Self.jsonl(generation: 0, rows: 20 + rng.int(40), rng: &rng))
      let follower = try RunFollower(path: path, format: .jsonl)
      var got: [MetricRow] = []
      var lastPollOffset = 0
      var replacements = 0
      let planned = rng.int(4)
      while !(writer.done && replacements == planned) {
        switch rng.int(20) {
        case 0..<11:
          // A piece of any size: often inside a line, sometimes inside a UTF-8 character.
          writer.append(1 + rng.int(rng.int(4) == 0 ? 400 : 40))
        case 11..<18:
          got += try follower.poll()
          writer.polled()
          lastPollOffset = writer.written
        default:
          guard replacements < planned else { continue }
          replacements += 1
          let next = Self.jsonl(generation: replacements, rows: 10 + rng.int(40), rng: &rng)
          // Half the time the new content grows past the old read position before the
          // next poll (the case that lost rows when replacement was told by size alone).
          let grow = rng.int(2) == 0
          let prefix = grow ? min(next.count, lastPollOffset + 1 + rng.int(200)) : rng.int(max(1, min(lastPollOffset, next.count)))
          if grow && prefix > lastPollOffset { growthsPastOffset += 1 }
          if rng.int(2) == 0 {
            writer.truncateAndRewrite(next, prefix: prefix)
            truncations += 1
          } else {
            writer.renameReplace(next, prefix: prefix)
            renames += 1
          }
        }
      }
      writer.append(Int.max)
      got += try follower.poll()
      writer.polled()
      got += try follower.finish()
      restarts += follower.restarts
      var want: [MetricRow] = []
      for (k, g) in writer.seen.enumerated() {
        let last = k == writer.seen.count - 1
        want += try Self.completeRows(Array(g.content.prefix(g.bytes)), atEnd: last)
      }
      if !Self.same(got, want) {
        failures.append("seed \(seed): \(Self.diff(got, want)); notes: \(follower.notes.prefix(3))")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) of 60 trials lost, duplicated or split rows:\n\(failures.prefix(5).joined(separator: "\n"))")
    // The trials did what they are for.
    #expect(truncations > 10 && renames > 10 && growthsPastOffset > 10 && restarts > 20)
  }

  /// A rewrite that leaves the bytes read as they were (the same first lines written again)
  /// is the same file: following goes on, and nothing is read twice.
  @Test func rewriteWithTheSameBytesContinues() throws {
    let dir = try TestPaths.temporaryDirectory("torture")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("same.jsonl").path
    var rng = SplitMix64(seed: 7)
    let content = Self.jsonl(generation: 0, rows: 30, rng: &rng)
    let half = content.prefix(content.count / 2).lastIndex(of: 0x0A)! + 1
    let writer = Writer(path: path, content: content)
    let follower = try RunFollower(path: path, format: .jsonl)
    writer.append(half)
    let first = try follower.poll()
    writer.truncateAndRewrite(content, prefix: content.count)
    let rest = try follower.poll() + follower.finish()
    #expect(follower.restarts == 0)
    #expect(Self.same(first + rest, try Self.completeRows(content, atEnd: true)))
  }

  // MARK: - TensorBoard: steps flushed in pieces

  static func tfrecord(_ payload: [UInt8]) -> [UInt8] {
    let len = withUnsafeBytes(of: UInt64(payload.count).littleEndian) { Array($0) }
    let lenCRC = len.withUnsafeBytes { CRC32C.maskedChecksum($0) }
    let dataCRC = payload.withUnsafeBytes { CRC32C.maskedChecksum($0) }
    return len + withUnsafeBytes(of: lenCRC.littleEndian) { Array($0) } + payload
      + withUnsafeBytes(of: dataCRC.littleEndian) { Array($0) }
  }

  /// An event file as SummaryWriter writes it: one event per scalar, so each step is several
  /// records; returns the records (to write them in pieces).
  static func eventFile(steps: Int, rng: inout SplitMix64) throws -> [[UInt8]] {
    var records: [[UInt8]] = []
    for s in 0..<steps {
      for tag in ["loss", "lr", "grad_norm/layer_0", "grad_norm/layer_1"].prefix(2 + rng.int(3)) {
        var v = Trainscape_Tensorboard_Summary.Value()
        v.tag = tag
        v.simpleValue = Float(rng.nextDouble())
        var summary = Trainscape_Tensorboard_Summary()
        summary.value = [v]
        var e = Trainscape_Tensorboard_Event()
        e.step = Int64(s * 10)
        e.wallTime = 1_700_000_000 + Double(s)
        e.summary = summary
        records.append(Self.tfrecord(try e.serializedBytes()))
      }
    }
    return records
  }

  @Test func tensorBoardStepsFlushedInPieces() throws {
    let dir = try TestPaths.temporaryDirectory("torture")
    defer { try? FileManager.default.removeItem(at: dir) }
    var failures: [String] = []
    var polls = 0
    for trial in 0..<60 {
      let seed = UInt64(0x7B_0000 + trial)
      var rng = SplitMix64(seed: seed)
      let records = try Self.eventFile(steps: 5 + rng.int(30), rng: &rng)
      let path = dir.appendingPathComponent("run-\(trial)/events.out.tfevents.\(trial)").path
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      let writer = Writer(path: path, content: records.flatMap { $0 })
      let follower = try RunFollower(path: path, format: .tensorboard)
      var got: [MetricRow] = []
      // Flush whole records (a step's events one at a time) or any cut; poll in between.
      let ends = records.map(\.count).reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1) }
      var b = 0
      while !writer.done {
        if rng.int(3) == 0 {
          writer.append(1 + rng.int(60))
        } else {
          while b < ends.count && ends[b] <= writer.written { b += 1 }
          if b < ends.count { writer.append(ends[b] - writer.written) }
        }
        if rng.int(2) == 0 {
          got += try follower.poll()
          polls += 1
        }
      }
      got += try follower.poll()
      got += try follower.finish()
      let loaded = try RunLoader.load(path: path).runs[0]
      let want = loaded.rows
      if follower.displayName != loaded.name { failures.append("seed \(seed): run name \(follower.displayName), not \(loaded.name)") }
      if !Self.same(got, want) {
        failures.append("seed \(seed): \(Self.diff(got, want))")
      }
      let steps = got.map(\.step)
      if Set(steps).count != steps.count { failures.append("seed \(seed): a step came as two rows: \(steps)") }
    }
    #expect(failures.isEmpty, "\(failures.count) of 60 trials:\n\(failures.prefix(5).joined(separator: "\n"))")
    #expect(polls > 500)
  }

  // MARK: - W&B: a real run log cut anywhere

  @Test func wandbLogInRandomPieces() throws {
    let source = try [UInt8](Data(contentsOf: URL(fileURLWithPath: IngestFixtures.path("run-fixture.wandb"))))
    let want = try RunLoader.load(path: IngestFixtures.path("run-fixture.wandb")).runs[0].rows
    let dir = try TestPaths.temporaryDirectory("torture")
    defer { try? FileManager.default.removeItem(at: dir) }
    var failures: [String] = []
    for trial in 0..<20 {
      let seed = UInt64(0xB0_0000 + trial)
      var rng = SplitMix64(seed: seed)
      let path = dir.appendingPathComponent("run-\(trial).wandb").path
      let writer = Writer(path: path, content: source)
      let follower = try RunFollower(path: path, format: .wandb)
      var got: [MetricRow] = []
      while !writer.done {
        writer.append(1 + rng.int(rng.int(5) == 0 ? 5000 : 300))
        if rng.int(2) == 0 { got += try follower.poll() }
      }
      got += try follower.poll() + follower.finish()
      if !Self.same(got, want) { failures.append("seed \(seed): \(Self.diff(got, want))") }
      #expect(follower.displayName == (try RunLoader.load(path: path).runs[0].name))
    }
    #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
  }
}
