/// A problem reading a metrics file in one of the ingest formats.
///
/// `line` (1-based) is set for line-based formats (CSV), `offset` (a byte
/// offset from the start of the file) for framed binary formats
/// (TensorBoard event files, W&B `.wandb` logs) and JSON documents.
public struct IngestError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var line: Int?
  public var offset: Int64?
  /// What was wrong and what was expected.
  public var message: String

  public init(file: String, line: Int? = nil, offset: Int64? = nil, message: String) {
    self.file = file
    self.line = line
    self.offset = offset
    self.message = message
  }

  /// "FILE:LINE: MESSAGE", "FILE: at byte N: MESSAGE" or "FILE: MESSAGE".
  public var description: String {
    if let line { return "\(file):\(line): \(message)" }
    if let offset { return "\(file): at byte \(offset): \(message)" }
    return "\(file): \(message)"
  }
}

extension IngestError {
  static let notATableLogPrefix = "not a table log: "

  /// A file read as a table log (by name or `--input-format table-log`) that holds no table.
  static func notATableLog(file: String, reason: String) -> IngestError {
    IngestError(
      file: file,
      message: notATableLogPrefix + reason
        + " (a table log has a header line such as 'step loss↓ hack_s?' and rows such as '120 2.31 7/28', each after an optional '| INFO |' prefix)")
  }

  var isNotATableLog: Bool { message.hasPrefix(Self.notATableLogPrefix) }
}

/// What a decoder produces while reading a file: rows, plus the problems
/// that did not stop the read.
struct IngestSink {
  /// Every row read, when no capacity bounds the read (`window` is nil).
  var rows: [MetricRow] = []
  /// Every row read as columns, from readers that fill columns directly (JSONL); `rows`
  /// then stays empty.
  var table: MetricsTable? = nil
  /// The kept rows of a bounded read (`IngestOptions.capacity`); `rows`
  /// then stays empty.
  var window: RowWindow? = nil
  var warnings: [String] = []
  var skipped = 0
  var config: [String: ConfigValue] = [:]
  /// Histograms by tag, in the order read (not bounded by the capacity).
  var histograms: [String: [HistogramSample]] = [:]
  /// Keys of W&B media items (`wandb.Plotly`, `wandb.Object3D`, images, tables) seen.
  var mediaKeys: Set<String> = []
  /// A run name found inside the file (W&B display name), if any.
  var runName: String? = nil
  /// Values that replaced another of the same key ("last wins"), said once per file.
  var overwrites = Overwrites()
  let skipBad: Bool

  init(skipBad: Bool) { self.skipBad = skipBad }

  /// A sink that keeps at most `capacity` rows (none when nil) in `order`.
  init(skipBad: Bool, capacity: Int?, order: RowWindow.Order) {
    self.skipBad = skipBad
    if let capacity { window = RowWindow(capacity: capacity, order: order) }
  }

  /// Adds a decoded row: to the bounded window, or to `rows`.
  mutating func append(_ row: MetricRow) {
    if window != nil {
      window!.append(row, overwrites: &overwrites)
    } else {
      rows.append(row)
    }
  }

  /// The run's rows once the file is read: the window's (already sorted and
  /// merged in `.step` order), or all rows, merged by step when `byStep`. Without `byStep`
  /// (JSONL, W&B: rows in file order) adjacent rows of one step are counted where they give a
  /// key different values, since every consumer (`MetricsBuffer`) merges them, the later
  /// value winning.
  mutating func finalRows(byStep: Bool) -> [MetricRow] {
    if let window {
      let kept = Array(window.rows)
      if window.order == .file { overwrites.countAdjacent(kept) }
      return kept
    }
    if byStep { return rows.mergedByStep(overwrites: &overwrites) }
    overwrites.countAdjacent(rows)
    return rows
  }

  /// A corrupt record: thrown, or (with skipBad) counted and reported.
  mutating func bad(_ error: any Error & CustomStringConvertible) throws {
    guard skipBad else { throw error }
    skipped += 1
    warnings.append("skipped bad record: \(error)")
  }
}

import TrainscapeCore

/// Decodes one file format from consecutive byte chunks of a file, so the
/// same code reads whole files in bounded memory and follows growing ones.
protocol ChunkDecoder {
  var file: String { get }
  /// Decodes the complete records at the start of `bytes`, which begins at
  /// file offset `base`, and returns how many bytes were consumed. The rest
  /// is passed again, with more bytes after it, on the next call. When
  /// `atEOF` is true no more bytes will come: an incomplete tail is then
  /// reported as a warning (a file still being written), never an error.
  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int
}

/// The largest record (line, TFRecord, W&B record) a reader accepts; a
/// length field above it is treated as corruption, never allocated.
let maxRecordBytes = 64 << 20

/// How much of a memory-mapped file the columnar readers parse at a time (on all cores) before
/// handing the rows on and releasing its pages: 16 MiB keeps a whole read's peak memory near its
/// columns (docs/ingest.md), while every core still gets several chunks of a window.
public let ingestWindowBytes = 16 << 20

/// Values that a later value of the same key replaced ("last wins"): counted while reading
/// and said in one warning per kind and file, with the first example. A value replaced by an
/// equal one (Lightning's `epoch` in a step's train and validation rows) is not counted.
struct Overwrites: Sendable {
  enum Kind: Int, CaseIterable, Sendable {
    /// One record gives a key twice (a duplicate JSON key, a nested key that flattens onto
    /// another, two CSV columns of one name, a tag twice in one event).
    case sameRecord
    /// Two records of one step give a key different values.
    case sameStep
  }

  private(set) var counts = [0, 0]
  private(set) var examples: [String?] = [nil, nil]

  var total: Int { counts.reduce(0, +) }

  static func differ(_ a: Double, _ b: Double) -> Bool {
    !(a == b || (a.isNaN && b.isNaN))
  }

  mutating func add(_ kind: Kind, _ n: Int = 1, example: @autoclosure () -> String) {
    guard n > 0 else { return }
    if counts[kind.rawValue] == 0 { examples[kind.rawValue] = example() }
    counts[kind.rawValue] += n
  }

  /// Merges `new` into `old` (later values win), counting the values that changed; the
  /// example names the first changed key in sorted order (a row's keys have no order).
  mutating func merge(_ new: MetricRow, into old: inout MetricRow) {
    var changed = 0
    var first: String?
    for (k, v) in new.values {
      if let o = old.values[k], Self.differ(o, v) {
        changed += 1
        if first == nil || k < first! { first = k }
      }
    }
    if changed > 0 { add(.sameStep, changed, example: "step \(new.step), '\(first!)'") }
    old.values.merge(new.values) { _, new in new }
  }

  /// Counts conflicting values of adjacent rows of one step (rows kept apart, merged later).
  mutating func countAdjacent(_ rows: [MetricRow]) {
    for i in rows.indices.dropFirst() where rows[i].step == rows[i - 1].step {
      var merged = rows[i - 1]
      merge(rows[i], into: &merged)
    }
  }

  /// Counts conflicting values of adjacent rows of one step in a table (columnar reads).
  mutating func countAdjacent(_ t: MetricsTable) {
    let steps = t.steps
    var columns: [[Double]]?
    for i in steps.indices.dropFirst() where steps[i] == steps[i - 1] {
      if columns == nil { columns = t.keys.indices.map { t.column(at: $0) } }
      var changed = 0
      var first: String?
      for (k, col) in columns!.enumerated() {
        let a = col[i - 1], b = col[i]
        if !MetricsTable.isMissing(a) && !MetricsTable.isMissing(b) && Self.differ(a, b) {
          changed += 1
          if first == nil { first = t.keys[k] }
        }
      }
      if changed > 0 { add(.sameStep, changed, example: "step \(steps[i]), '\(first!)'") }
    }
  }

  mutating func add(_ other: Overwrites) {
    for k in Kind.allCases where other.counts[k.rawValue] > 0 {
      add(k, other.counts[k.rawValue], example: other.examples[k.rawValue]!)
    }
  }

  /// One line per kind that happened, "FILE: ...".
  func warnings(file: String) -> [String] {
    var out: [String] = []
    if counts[0] > 0 {
      out.append(
        "\(file): \(counts[0]) value(s) replaced an earlier value of the same key in the same record (a duplicate key, or nested keys that flatten to one name; first: \(examples[0]!)); the last one was kept")
    }
    if counts[1] > 0 {
      out.append(
        "\(file): \(counts[1]) value(s) were given again, differently, by a later record of the same step (first: \(examples[1]!)); the later one was kept")
    }
    return out
  }
}
