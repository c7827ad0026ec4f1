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
      window!.append(row)
    } else {
      rows.append(row)
    }
  }

  /// The run's rows once the file is read: the window's (already sorted and
  /// merged in `.step` order), or all rows, merged by step when `byStep`.
  func finalRows(byStep: Bool) -> [MetricRow] {
    if let window { return Array(window.rows) }
    return byStep ? rows.mergedByStep() : rows
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
