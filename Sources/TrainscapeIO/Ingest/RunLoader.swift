import Foundation
import TrainscapeCore

/// The metrics file formats `RunLoader` reads.
public enum RunFormat: String, CaseIterable, Sendable {
  case jsonl
  case csv
  case trainerState = "trainer-state"
  case tensorboard
  case wandb
  /// Per-step tables printed through loguru or `logging` (`TableLogChunkDecoder`).
  case tableLog = "table-log"
}

public struct IngestOptions: Sendable {
  /// The format of every file read; nil detects it per file from its
  /// content and name.
  public var format: RunFormat?
  /// Skip corrupt records (counted in `IngestResult.skipped` and described
  /// in its warnings) instead of failing on the first one.
  public var skipBad: Bool
  /// Keep at most this many rows per run (the last ones), or every row when
  /// nil. The rows are dropped WHILE reading, so memory is bounded by the
  /// capacity plus one read chunk, not by the file. The kept rows are those
  /// an unbounded read would end with: for JSONL and W&B the last
  /// `capacity` rows in file order; for TensorBoard, CSV and
  /// trainer_state.json (sorted by step, equal steps merged) the
  /// `capacity` highest steps, merged. A row written out of step order
  /// whose step is older than every kept step is ignored (see `RowWindow`).
  /// What was left out is said in `IngestResult.notes` ("kept the last N of
  /// M rows") and counted in `IngestResult.dropped`. Must be >= 1.
  public var capacity: Int?
  /// What one record or document may take (`--max-memory`): a JSONL line or CSV record may be
  /// a quarter of it; a whole JSON document (trainer_state.json) is checked against it.
  public var budget: MemoryBudget

  public init(format: RunFormat? = nil, skipBad: Bool = false, capacity: Int? = nil, budget: MemoryBudget = .default) {
    self.format = format
    self.skipBad = skipBad
    self.capacity = capacity
    self.budget = budget
  }

  var lineLimit: Int { JSONLChunkDecoder.lineLimit(budget: budget) }
}

public struct IngestResult: Sendable {
  public var runs: [Run]
  /// The format each run was read from, parallel to `runs`.
  public var formats: [RunFormat]
  /// Problems that did not stop the read ("FILE:LINE: ..." or
  /// "FILE: at byte N: ..."): truncated tails, skipped records, notes.
  public var warnings: [String]
  /// Corrupt records skipped because of `IngestOptions.skipBad`.
  public var skipped: Int
  /// Rows left out because of `IngestOptions.capacity`, over all runs (for
  /// step-sorted formats: distinct steps pushed out, plus rows written out
  /// of step order that were older than the kept window).
  public var dropped: Int
  /// One line per run that `IngestOptions.capacity` cut: "FILE: kept the
  /// last N of M rows".
  public var notes: [String]
  /// `.log`/`.txt` files in a directory that are not table logs (skipped, and said).
  var notTableLogs: [IngestError] = []
  /// Files or directories that hold no metric rows (and no histograms), left out of `runs`:
  /// one message each, naming the file and what it does hold (W&B media, with the figure files
  /// beside it and `trainscape render figure`). When nothing else was read, `RunLoader.load`
  /// throws with these instead.
  public var runsWithoutRows: [String] = []

  public init(
    runs: [Run], formats: [RunFormat], warnings: [String], skipped: Int, dropped: Int = 0, notes: [String] = []
  ) {
    self.runs = runs
    self.formats = formats
    self.warnings = warnings
    self.skipped = skipped
    self.dropped = dropped
    self.notes = notes
  }
}

/// Reads training runs from any supported file or directory.
///
/// - A file (JSONL, CSV, `trainer_state.json`, a TensorBoard event file, a
///   W&B `.wandb` log, a table log) is one run; a W&B panel CSV export with several runs
///   is several runs.
/// - A directory holding TensorBoard event files is one run (all its event
///   files, in name order, merged by step); a W&B run folder (`run-*` with a
///   `.wandb` file) is one run; a folder with `trainer_state.json` or
///   Lightning's `metrics.csv` is one run.
/// - Any other directory (a log directory with one sub-directory per run, a
///   `wandb/` directory of `run-*/` folders, a folder of JSONL files) gives one
///   run per run directory or metrics file found in it, up to 4 levels deep,
///   named by their path relative to it. `latest-run` links, hidden entries
///   and unrecognised files are skipped; `.log`, `.txt` and `.out` files that
///   are not table logs are skipped with a warning each.
///
/// Format detection (when `IngestOptions.format` is nil): ":W&B" header ->
/// wandb; a Git LFS pointer -> rejected; "tfevents" in the name or a first
/// TFRecord header whose checksum holds -> tensorboard; a JSON object with
/// `log_history` -> trainer-state; `.csv`/`.tsv` -> csv; a table (a header
/// line with a step column and a row that fits it) in the first 256 KiB ->
/// table-log; a `.log`, `.txt` or `.out` name without one -> rejected, with
/// why; a first line with commas and no `{` -> csv; else jsonl.
///
/// Does not: read `.npy` arrays, decompress files, or read W&B summaries
/// into rows (history only).
public enum RunLoader {
  public static func load(path: String, options: IngestOptions = IngestOptions()) throws
    -> IngestResult
  {
    if let c = options.capacity, c < 1 {
      throw IngestError(file: path, message: "capacity must be at least 1 row, got \(c)")
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError(file: path, message: "no such file or directory")
    }
    var result = IngestResult(runs: [], formats: [], warnings: [], skipped: 0)
    if isDirectory.boolValue {
      try loadDirectory(path, name: defaultName(directory: path), depth: 0, options: options, into: &result)
      if result.runs.isEmpty {
        if !result.runsWithoutRows.isEmpty {
          throw IngestError(file: path, message: "no run with metric rows: " + result.runsWithoutRows.joined(separator: "; "))
        }
        if let first = result.notTableLogs.first {
          let n = result.notTableLogs.count
          throw IngestError(
            file: path,
            message: "no runs found: \(n == 1 ? "the only log file is" : "\(n) log files are") not a table log (\(first)\(n > 1 ? "; ..." : ""))")
        }
        throw IngestError(
          file: path,
          message: "no runs found (looked for JSONL, CSV, trainer_state.json, TensorBoard event files, W&B run-*.wandb files and table logs)")
      }
    } else {
      try loadFile(path, name: nil, options: options, into: &result)
      if result.runs.isEmpty, let why = result.runsWithoutRows.first {
        throw IngestError(file: path, message: why.hasPrefix(path + ": ") ? String(why.dropFirst(path.count + 2)) : why)
      }
    }
    return result
  }

  /// Why a file read as `format` gave no run, and what it holds instead: for a W&B run, its
  /// media items and the figure files (`.plotly.json`, `.pts.json`) under `files/media` beside
  /// it, which `trainscape render figure` draws.
  static func withoutRows(_ path: String, format: RunFormat, mediaKeys: Set<String>) -> String {
    var text = "\(path): no metric rows (read as \(format.rawValue))"
    guard format == .wandb else { return text }
    let media = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("files/media")
    let figures = figureFiles(under: media)
    if !mediaKeys.isEmpty {
      let keys = mediaKeys.sorted()
      text += ": the run logs media only (\(keys.prefix(5).joined(separator: ", "))\(keys.count > 5 ? ", ..." : ""))"
    }
    // A Plotly figure first: it is what the example shows best.
    if let first = figures.first(where: { $0.lowercased().hasSuffix(".plotly.json") }) ?? figures.first {
      text += "; draw its \(figures.count) figure file(s) under \(media) with `trainscape render figure FILE`, e.g. `trainscape render figure \(first)`"
    } else if !mediaKeys.isEmpty {
      text += "; its Plotly (.plotly.json) and Object3D (.pts.json) media files, where they were synced, are drawn by `trainscape render figure FILE`"
    }
    return text
  }

  /// The `.plotly.json` and `.pts.json` files under `dir` (4 levels at most), sorted.
  static func figureFiles(under dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let rel = e.nextObject() as? String {
      if e.level > 4 { e.skipDescendants() }
      let l = rel.lowercased()
      if l.hasSuffix(".plotly.json") || l.hasSuffix(".pts.json") { out.append((dir as NSString).appendingPathComponent(rel)) }
    }
    return out.sorted()
  }

  /// Detects the format of one file from its first bytes and its name.
  public static func detectFormat(path: String) throws -> RunFormat {
    let head = FileAccess.head(path, 4096)
    let name = (path as NSString).lastPathComponent.lowercased()
    if head.starts(with: WandbChunkDecoder.header.prefix(4)) { return .wandb }
    if GridReader.isHDF5(path: path) {
      throw IngestError(
        file: path,
        message: "is an HDF5 file (such as a loss-landscape grid), not a metrics file: `trainscape info \(path)` lists its datasets; `trainscape render loss-landscape \(path)` draws a grid (--dataset NAME)")
    }
    if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
      throw IngestError(
        file: path,
        message: "is a NumPy .npy array, not a metrics file: draw it with `trainscape render loss-landscape` (a 2-D grid), `render attention` or `render embedding`")
    }
    if head.starts(with: Array("version https://git-lfs".utf8)) {
      throw IngestError(file: path, message: "is a Git LFS pointer file, not a metrics file; fetch the real file with `git lfs pull`")
    }
    if name.contains("tfevents") || TFRecordChunkDecoder.looksLikeTFRecord(head) { return .tensorboard }
    if name.hasSuffix(".wandb") { return .wandb }
    try rejectBinary(path: path, head: head, as: nil)
    var text = head
    if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
    let firstNonSpace = text.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    if name == "trainer_state.json" { return .trainerState }
    if firstNonSpace == UInt8(ascii: "{") {
      // A whole JSON document with log_history (pretty-printed, so the
      // first line is a lone "{"), or JSONL.
      let firstLine = text.prefix { $0 != 0x0A }
      if name.hasSuffix(".json"),
        firstLine.filter({ $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) == [UInt8(ascii: "{")]
          || String(decoding: text, as: UTF8.self).contains("\"log_history\"")
      {
        return .trainerState
      }
      return .jsonl
    }
    if name.hasSuffix(".csv") || name.hasSuffix(".tsv") { return .csv }
    let sniff = TableLogChunkDecoder.sniff(path: path)
    if sniff.isTable { return .tableLog }
    if isLogFileName(name) {
      throw IngestError.notATableLog(
        file: path,
        reason: sniff.reason
          + " in the first \(TableLogChunkDecoder.sniffBytes >> 10) KiB; if the table starts later or is not written yet, give --input-format table-log")
    }
    let firstLine = text.prefix { $0 != 0x0A }
    if firstLine.contains(UInt8(ascii: ",")) { return .csv }
    return .jsonl
  }

  /// Throws when `head` (a file's first bytes) is binary: a text format was asked for (or
  /// detected) and the file is an array, an archive or other binary data.
  static func rejectBinary(path: String, head: [UInt8], as format: RunFormat?) throws {
    guard let what = BinarySniffer.describe(head) else { return }
    var hint = ""
    if what.contains(".npy") || what.contains("HDF5") {
      hint = "; arrays are read by `render loss-landscape` (grids), `render attention` and `render embedding`"
    }
    let expected = format.map { "a \($0.rawValue) metrics file" } ?? "a metrics file (JSONL, CSV, trainer_state.json, TensorBoard, W&B)"
    throw IngestError(file: path, message: "is \(what), not \(expected)\(hint)")
  }

  /// Reads one file as one run (or, for a W&B panel CSV, several).
  static func loadFile(_ path: String, name: String?, options: IngestOptions, into result: inout IngestResult) throws {
    let format = try options.format ?? detectFormat(path: path)
    if [.jsonl, .csv, .trainerState].contains(format), options.format != nil {
      try rejectBinary(path: path, head: FileAccess.head(path, 4096), as: format)
    }
    let skipBad = options.skipBad
    let capacity = options.capacity
    var sink: IngestSink
    var rows: [MetricRow]
    var extraRuns: [Run] = []
    switch format {
    case .jsonl:
      if let capacity {
        // --last N: the file's tail, window by window on all cores, in O(N) memory.
        if let tail = try ColumnarJSONL.readLast(path: path, skipBad: skipBad, capacity: capacity, lineLimit: options.lineLimit) {
          sink = tail.sink
          rows = []
          let kept = sink.table?.rowCount ?? 0
          if let note = RowWindow.note(file: path, kept: kept, dropped: tail.dropped) { result.notes.append(note) }
          result.dropped += tail.dropped
        } else {
          // Not mappable (a pipe, /proc): the streaming reader.
          sink = try FileAccess.decodeWhole(
            path: path, decoder: JSONLChunkDecoder(file: path, lineLimit: options.lineLimit), skipBad: skipBad,
            capacity: capacity, order: .file)
          rows = sink.finalRows(byStep: false)
        }
      } else {
        // Whole file: memory-mapped, parsed on all cores straight into columns.
        sink = try ColumnarJSONL.read(path: path, skipBad: skipBad, lineLimit: options.lineLimit)
        rows = []
      }
    case .tensorboard:
      if capacity == nil, let columns = ColumnarTFRecord.read(paths: [path]) {
        // Whole file: memory-mapped, records decoded on all cores straight into columns.
        sink = columns
        rows = []
      } else {
        sink = try FileAccess.decodeWhole(
          path: path, decoder: TFRecordChunkDecoder(file: path), skipBad: skipBad, capacity: capacity, order: .step)
        rows = sink.finalRows(byStep: true)
      }
    case .wandb:
      sink = try FileAccess.decodeWhole(
        path: path, decoder: WandbChunkDecoder(file: path), skipBad: skipBad, capacity: capacity, order: .file)
      rows = sink.finalRows(byStep: false)
    case .trainerState:
      sink = try TrainerStateReader.read(path: path, skipBad: skipBad, capacity: capacity, budget: options.budget)
      rows = sink.finalRows(byStep: true)
    case .tableLog:
      let fd = try FileAccess.open(path)
      defer { close(fd) }
      var stream = FileStream(decoder: TableLogChunkDecoder(file: path))
      sink = IngestSink(skipBad: skipBad, capacity: capacity, order: .file)
      try stream.readAvailable(fd: fd, into: &sink)
      try stream.finish(into: &sink)
      if stream.decoder.rowCount == 0 {
        throw IngestError.notATableLog(file: path, reason: stream.decoder.notATableReason)
      }
      rows = sink.finalRows(byStep: false)
    case .csv:
      let fd = try FileAccess.open(path)
      defer { close(fd) }
      var stream = FileStream(decoder: CSVChunkDecoder(file: path, capacity: capacity, recordLimit: options.lineLimit))
      sink = IngestSink(skipBad: skipBad)
      try stream.readAvailable(fd: fd, into: &sink)
      try stream.finish(into: &sink)
      var csv = stream.decoder
      rows = []
      if csv.runNames.count > 1 {
        for r in csv.runNames {
          let runRows = csv.finalRows(r)
          if !runRows.isEmpty { extraRuns.append(Run(name: r, source: path, rows: runRows)) }
          if let note = csv.note(r) { result.notes.append(note) }
          result.dropped += csv.dropped(r)
        }
      } else {
        let key = csv.runNames.first ?? ""
        rows = csv.finalRows(key)
        if let note = csv.note(key) { result.notes.append(note) }
        result.dropped += csv.dropped(key)
        if let r = csv.runNames.first, name == nil { sink.runName = r }
      }
      sink.overwrites.add(csv.overwrites)
    }
    if let window = sink.window {
      if let note = window.note(file: path) { result.notes.append(note) }
      result.dropped += window.dropped + window.late
    }
    result.warnings += sink.warnings + sink.overwrites.warnings(file: path)
    result.skipped += sink.skipped
    if !extraRuns.isEmpty {
      result.runs += extraRuns
      result.formats += extraRuns.map { _ in format }
      return
    }
    if rows.isEmpty && (sink.table?.isEmpty ?? true) && sink.histograms.isEmpty {
      result.runsWithoutRows.append(withoutRows(path, format: format, mediaKeys: sink.mediaKeys))
      return
    }
    let runName = name ?? sink.runName ?? defaultName(file: path, format: format)
    result.runs.append(
      Run(
        name: runName, source: path, table: sink.table ?? MetricsTable(rows: rows), config: sink.config,
        histograms: sink.histograms.sortedBySteps()))
    result.formats.append(format)
  }

  /// A file's run name: the name without known extensions; `run-<id>.wandb`
  /// gives `<id>`; `trainer_state.json` and `metrics.csv` are named after
  /// their folder.
  public static func defaultName(file path: String, format: RunFormat) -> String {
    let last = (path as NSString).lastPathComponent
    if last == "trainer_state.json" || last == "metrics.csv" || last.hasPrefix("events.out.tfevents") {
      let parent = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
      if !parent.isEmpty && parent != "." { return parent }
    }
    if format == .wandb, last.hasPrefix("run-"), last.hasSuffix(".wandb") {
      return String(last.dropFirst(4).dropLast(6))
    }
    var name = last
    for ext in [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".wandb", ".log", ".txt", ".out"] where name.lowercased().hasSuffix(ext) && name.count > ext.count {
      name = String(name.dropLast(ext.count))
      break
    }
    return name
  }
}

extension Dictionary where Key == String, Value == [HistogramSample] {
  /// Each tag's samples in step order (stable: equal steps keep the order read).
  func sortedBySteps() -> [String: [HistogramSample]] {
    mapValues { samples in
      samples.enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(\.element)
    }
  }
}
