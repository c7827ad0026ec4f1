import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Follows a metrics file that is still being written (JSONL and table logs line by line,
/// TensorBoard event files record by record, W&B `.wandb` logs block by
/// block): each `poll()` returns the rows completed since the last poll, keeps the
/// histograms read (`histograms`), and `finish()` returns the rest when following stops.
///
/// What it promises (the follow tests state it; it carries over to any other row model):
///
/// - No row is lost, duplicated or split. The rows of all polls plus `finish()` equal what
///   `RunLoader` reads from the final file: the same rows in the same order, with the same
///   values (for TensorBoard, whose reader sorts by step, when steps are written in order).
/// - An incomplete last record (half a line, half a TFRecord, half a chunk, a cut UTF-8
///   character) stays buffered until the rest arrives: it is never an error and never lost.
/// - TensorBoard logs one event per scalar, so a step's values may be flushed in pieces; the
///   newest step's row is held back until an event of a later step arrives (or the file is
///   replaced, or `finish()`), and pieces of one step are merged, as the reader merges them,
///   however the polls fall (`HoldBack.untilNextStep`). JSONL lines and W&B history records are
///   whole rows: each is returned as soon as it is complete, and two records of one step stay
///   two rows, as `RunLoader` keeps them.
/// - A file that was replaced is read again from the start, with a note: replaced by another
///   file (another inode: a rename over it), truncated (smaller than what was read), or
///   rewritten in place (its first bytes, or the bytes just before the read position, are not
///   the ones read), even when the new content has grown past the old read position. A rewrite
///   that leaves both of those the same is taken as the same file.
/// - Corrupt records throw (see `RunLoader`), unless `skipBad` is set.
///
/// Not thread-safe: poll from one thread.
public final class RunFollower {
  /// When a TensorBoard step's row is returned.
  public enum HoldBack: Sendable {
    /// Once an event of a later step arrives (or the file is replaced, or `finish()`): a step
    /// is never split, at the cost of returning the newest step one step late.
    case untilNextStep
    /// Also when a poll finds no new bytes (the writer paused): the newest step comes at
    /// once, but a step flushed in pieces across a pause comes as two rows of the same step
    /// (which `MetricsBuffer` merges): for a live view.
    case untilQuiet
  }

  /// What one poll found.
  public struct Update: Sendable {
    /// Rows that complete the file as it was before it was replaced (a held-back step).
    public var endOfPrevious: [MetricRow] = []
    /// The file was replaced, truncated or rewritten since the last poll: `rows` are from the
    /// start of the new content, and rows returned before belong to the old one.
    public var restarted = false
    /// The rows completed since the last poll.
    public var rows: [MetricRow] = []
  }

  public let path: String
  public let format: RunFormat
  public let skipBad: Bool
  public let holdBack: HoldBack
  /// Notes about re-reads after truncation or replacement, and warnings
  /// from skipped records, oldest first.
  public private(set) var notes: [String] = []
  /// The config seen so far (W&B logs, table logs' argv and preset lines).
  public private(set) var config: [String: ConfigValue] = [:]
  public private(set) var skipped = 0
  /// How many times the file was read again from the start (replaced or truncated).
  public private(set) var restarts = 0
  /// Values a later value of the same key replaced, counted as `RunLoader` counts them.
  var overwrites = Overwrites()
  /// Histogram samples read so far, by tag, in the order read (TensorBoard histogram
  /// summaries, W&B `wandb.Histogram`s): a re-read from the start clears them.
  public private(set) var histogramsRead: [String: [HistogramSample]] = [:]
  /// The run name found inside the file so far (a W&B display name), as `RunLoader` names it.
  public private(set) var runName: String?
  /// How many histogram samples the last poll added.
  public private(set) var newHistogramSamples = 0

  /// `histogramsRead`, each tag in step order (as `RunLoader` keeps them).
  public var histograms: [String: [HistogramSample]] { histogramsRead.sortedBySteps() }

  private let lineLimit: Int
  private var fd: Int32 = -1
  private var identity: FileIdentity?
  private var state: State
  private var heldBack: MetricRow?

  private enum State {
    case jsonl(FileStream<JSONLChunkDecoder>)
    case tensorboard(FileStream<TFRecordChunkDecoder>)
    case wandb(FileStream<WandbChunkDecoder>)
    case tableLog(FileStream<TableLogChunkDecoder>)
  }

  /// `format` must be jsonl, tensorboard, wandb or table-log. The file need not exist
  /// yet: polls return no rows until it does.
  public init(
    path: String, format: RunFormat, skipBad: Bool = false, holdBack: HoldBack = .untilNextStep,
    budget: MemoryBudget = .default
  ) throws {
    self.path = path
    self.format = format
    self.skipBad = skipBad
    self.holdBack = holdBack
    lineLimit = JSONLChunkDecoder.lineLimit(budget: budget)
    guard let s = Self.freshState(format, path, lineLimit: lineLimit) else {
      throw IngestError(
        file: path,
        message: "cannot follow \(format.rawValue) files; following works for jsonl, tensorboard, wandb and table-log")
    }
    state = s
    InputFiles.register(path)
  }

  deinit {
    if fd >= 0 { close(fd) }
  }

  /// The run's name, as `RunLoader` names the file: a W&B run's display name once read, else
  /// from the file name (a TensorBoard event file's folder).
  public var displayName: String { runName ?? RunLoader.defaultName(file: path, format: format) }

  private static func freshState(_ format: RunFormat, _ path: String, lineLimit: Int) -> State? {
    switch format {
    case .jsonl: return .jsonl(FileStream(decoder: JSONLChunkDecoder(file: path, lineLimit: lineLimit)))
    case .tensorboard: return .tensorboard(FileStream(decoder: TFRecordChunkDecoder(file: path)))
    case .wandb: return .wandb(FileStream(decoder: WandbChunkDecoder(file: path)))
    case .tableLog: return .tableLog(FileStream(decoder: TableLogChunkDecoder(file: path)))
    case .csv, .trainerState: return nil
    }
  }

  private var readOffset: Int64 {
    switch state {
    case .jsonl(let s): return s.readOffset
    case .tensorboard(let s): return s.readOffset
    case .wandb(let s): return s.readOffset
    case .tableLog(let s): return s.readOffset
    }
  }

  private var fingerprint: StreamFingerprint {
    switch state {
    case .jsonl(let s): return s.fingerprint
    case .tensorboard(let s): return s.fingerprint
    case .wandb(let s): return s.fingerprint
    case .tableLog(let s): return s.fingerprint
    }
  }

  /// The rows completed since the last poll, in file order (`Update.endOfPrevious` first).
  public func poll() throws -> [MetricRow] {
    let u = try pollUpdate()
    return u.endOfPrevious + u.rows
  }

  /// What happened since the last poll: rows, and whether the file was replaced.
  public func pollUpdate() throws -> Update {
    var update = Update()
    guard let now = FileAccess.identity(path: path) else {
      // Not there (yet, or in the middle of a replace): nothing new.
      return update
    }
    if fd >= 0, let why = replacement(now: now) {
      update.endOfPrevious = restart(because: why)
      update.restarted = true
    }
    if fd < 0 {
      fd = try FileAccess.open(path)
      identity = FileIdentity(fd: fd)
      guard identity != nil else { throw IngestError(file: path, message: "cannot stat file (\(errnoText()))") }
    }
    var sink = IngestSink(skipBad: skipBad)
    let read: Int64
    switch state {
    case .jsonl(var s):
      read = try s.readAvailable(fd: fd, into: &sink)
      state = .jsonl(s)
    case .tensorboard(var s):
      read = try s.readAvailable(fd: fd, into: &sink)
      state = .tensorboard(s)
    case .wandb(var s):
      read = try s.readAvailable(fd: fd, into: &sink)
      state = .wandb(s)
    case .tableLog(var s):
      read = try s.readAvailable(fd: fd, into: &sink)
      state = .tableLog(s)
    }
    update.rows = take(sink, read: read)
    return update
  }

  /// Ends following: the file's incomplete tail is read as at the end of a file (a valid last
  /// line without its newline is a row; a cut one a warning, as `RunLoader` has them), and the
  /// held-back row is returned.
  public func finish() throws -> [MetricRow] {
    guard fd >= 0 else { return flushHeldBack() }
    var sink = IngestSink(skipBad: skipBad)
    switch state {
    case .jsonl(var s):
      try s.finish(into: &sink)
      state = .jsonl(s)
    case .tensorboard(var s):
      try s.finish(into: &sink)
      state = .tensorboard(s)
    case .wandb(var s):
      try s.finish(into: &sink)
      state = .wandb(s)
    case .tableLog(var s):
      try s.finish(into: &sink)
      state = .tableLog(s)
    }
    return take(sink, read: 0) + flushHeldBack()
  }

  /// The warnings `RunLoader` gives at the end of a read (values replaced by later ones).
  public var endWarnings: [String] { overwrites.warnings(file: path) }

  /// The rows of a read, with TensorBoard's newest step held back and steps merged.
  private func take(_ sink: IngestSink, read: Int64) -> [MetricRow] {
    notes += sink.warnings
    skipped += sink.skipped
    config.merge(sink.config) { _, new in new }
    if let name = sink.runName { runName = name }
    overwrites.add(sink.overwrites)
    newHistogramSamples = 0
    for (tag, samples) in sink.histograms {
      histogramsRead[tag, default: []] += samples
      newHistogramSamples += samples.count
    }
    var rows = sink.rows
    guard format == .tensorboard else {
      overwrites.countAdjacent(rows)
      return rows
    }
    if let h = heldBack {
      rows.insert(h, at: 0)
      heldBack = nil
    }
    rows = mergeAdjacent(rows)
    let quiet = read == 0 && holdBack == .untilQuiet
    if !quiet, let last = rows.popLast() { heldBack = last }
    return rows
  }

  /// Why the open file is no longer the one at `path` with the bytes read, or nil.
  private func replacement(now: (inode: UInt64, device: UInt64, size: Int64)) -> String? {
    if let id = identity, id.inode != now.inode || id.device != now.device {
      return "was replaced (new inode)"
    }
    if now.size < readOffset {
      return "shrank from \(readOffset) to \(now.size) bytes (truncated)"
    }
    let seen = fingerprint
    if !seen.head.isEmpty, FileAccess.bytes(fd, at: 0, count: seen.head.count) != seen.head {
      return "was rewritten (its first bytes changed)"
    }
    if !seen.tail.isEmpty,
      FileAccess.bytes(fd, at: readOffset - Int64(seen.tail.count), count: seen.tail.count) != seen.tail
    {
      return "was rewritten (the bytes before the read position changed)"
    }
    return nil
  }

  private func flushHeldBack() -> [MetricRow] {
    defer { heldBack = nil }
    return heldBack.map { [$0] } ?? []
  }

  private func restart(because why: String) -> [MetricRow] {
    notes.append("\(path): \(why); reading it again from the start")
    restarts += 1
    histogramsRead = [:]
    let pending = flushHeldBack()
    if fd >= 0 { close(fd) }
    fd = -1
    identity = nil
    state = Self.freshState(format, path, lineLimit: lineLimit)!
    return pending
  }

  private func mergeAdjacent(_ rows: [MetricRow]) -> [MetricRow] {
    var out: [MetricRow] = []
    out.reserveCapacity(rows.count)
    for r in rows {
      if let last = out.last, last.step == r.step {
        overwrites.merge(r, into: &out[out.count - 1])
      } else {
        out.append(r)
      }
    }
    return out
  }

  static func mergeAdjacent(_ rows: [MetricRow]) -> [MetricRow] {
    var ignored = Overwrites()
    var out: [MetricRow] = []
    for r in rows {
      if let last = out.last, last.step == r.step {
        ignored.merge(r, into: &out[out.count - 1])
      } else {
        out.append(r)
      }
    }
    return out
  }
}
