import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Follows a metrics file that is still being written (JSONL and table logs line by line,
/// TensorBoard event files record by record, W&B `.wandb` logs block by
/// block): each `poll()` returns the rows completed since the last poll, and keeps the
/// histograms read (`histograms`).
///
/// - An incomplete last record (half a line, half a TFRecord, half a chunk)
///   stays buffered until the rest arrives: it is never an error and never
///   lost.
/// - A file that was replaced (another inode) or truncated (smaller than
///   what was read) is read again from the start, with a note in `notes`;
///   the rows of the new file follow.
/// - Event files log one event per tag, so the row of the newest step is
///   held back until an event of another step arrives or a poll finds no
///   new bytes (the writer paused); a step whose events straddle such a
///   pause arrives as two rows of the same step, which `MetricsBuffer`
///   merges.
/// - Corrupt records throw (see `RunLoader`), unless `skipBad` is set.
///
/// Not thread-safe: poll from one thread.
public final class RunFollower {
  public let path: String
  public let format: RunFormat
  public let skipBad: Bool
  /// Notes about re-reads after truncation or replacement, and warnings
  /// from skipped records, oldest first.
  public private(set) var notes: [String] = []
  /// The config seen so far (W&B logs, table logs' argv and preset lines).
  public private(set) var config: [String: ConfigValue] = [:]
  public private(set) var skipped = 0
  /// How many times the file was read again from the start (replaced or truncated).
  public private(set) var restarts = 0
  /// Histogram samples read so far, by tag, in the order read (TensorBoard histogram
  /// summaries, W&B `wandb.Histogram`s): a re-read from the start clears them.
  public private(set) var histogramsRead: [String: [HistogramSample]] = [:]
  /// The run name found inside the file so far (a W&B display name), as `RunLoader` names it.
  public private(set) var runName: String?
  /// How many histogram samples the last poll added.
  public private(set) var newHistogramSamples = 0

  /// `histogramsRead`, each tag in step order (as `RunLoader` keeps them).
  public var histograms: [String: [HistogramSample]] { histogramsRead.sortedBySteps() }

  private var fd: Int32 = -1
  private var identity: (inode: UInt64, device: UInt64)?
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
  public init(path: String, format: RunFormat, skipBad: Bool = false) throws {
    self.path = path
    self.format = format
    self.skipBad = skipBad
    guard let s = Self.freshState(format, path) else {
      throw IngestError(
        file: path,
        message: "cannot follow \(format.rawValue) files; following works for jsonl, tensorboard, wandb and table-log")
    }
    state = s
  }

  deinit {
    if fd >= 0 { close(fd) }
  }

  private static func freshState(_ format: RunFormat, _ path: String) -> State? {
    switch format {
    case .jsonl: return .jsonl(FileStream(decoder: JSONLChunkDecoder(file: path)))
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

  /// The rows completed since the last poll, in file order.
  public func poll() throws -> [MetricRow] {
    var prefix: [MetricRow] = []
    guard let now = FileAccess.identity(path: path) else {
      // Not there (yet, or during a replace): nothing new.
      return flushHeldBack()
    }
    if let id = identity, id.inode != now.inode || id.device != now.device {
      prefix = restart(because: "was replaced (new inode)")
    } else if fd >= 0, now.size < readOffset {
      prefix = restart(because: "shrank from \(readOffset) to \(now.size) bytes (truncated)")
    }
    if fd < 0 {
      fd = try FileAccess.open(path)
      guard let id = FileAccess.identity(fd) else { throw IngestError(file: path, message: "cannot stat file") }
      identity = (id.inode, id.device)
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
    notes += sink.warnings
    skipped += sink.skipped
    config.merge(sink.config) { _, new in new }
    if let name = sink.runName { runName = name }
    newHistogramSamples = 0
    for (tag, samples) in sink.histograms {
      histogramsRead[tag, default: []] += samples
      newHistogramSamples += samples.count
    }
    var rows = sink.rows
    if format == .tensorboard {
      if let h = heldBack {
        rows.insert(h, at: 0)
        heldBack = nil
      }
      rows = Self.mergeAdjacent(rows)
      if read > 0, let last = rows.popLast() { heldBack = last }
    }
    return prefix + rows
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
    state = Self.freshState(format, path)!
    return pending
  }

  static func mergeAdjacent(_ rows: [MetricRow]) -> [MetricRow] {
    var out: [MetricRow] = []
    out.reserveCapacity(rows.count)
    for r in rows {
      if let last = out.last, last.step == r.step {
        out[out.count - 1].values.merge(r.values) { _, new in new }
      } else {
        out.append(r)
      }
    }
    return out
  }
}
