import Foundation
import TrainscapeCore

/// The metrics file formats `RunLoader` reads.
public enum RunFormat: String, CaseIterable, Sendable {
  case jsonl
  case csv
  case trainerState = "trainer-state"
  case tensorboard
  case wandb
}

public struct IngestOptions: Sendable {
  /// The format of every file read; nil detects it per file from its
  /// content and name.
  public var format: RunFormat?
  /// Skip corrupt records (counted in `IngestResult.skipped` and described
  /// in its warnings) instead of failing on the first one.
  public var skipBad: Bool

  public init(format: RunFormat? = nil, skipBad: Bool = false) {
    self.format = format
    self.skipBad = skipBad
  }
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

  public init(runs: [Run], formats: [RunFormat], warnings: [String], skipped: Int) {
    self.runs = runs
    self.formats = formats
    self.warnings = warnings
    self.skipped = skipped
  }
}

/// Reads training runs from any supported file or directory.
///
/// - A file (JSONL, CSV, `trainer_state.json`, a TensorBoard event file, a
///   W&B `.wandb` log) is one run; a W&B panel CSV export with several runs
///   is several runs.
/// - A directory holding TensorBoard event files is one run (all its event
///   files, in name order, merged by step); a W&B run folder (`run-*` with a
///   `.wandb` file) is one run; a folder with `trainer_state.json` or
///   Lightning's `metrics.csv` is one run.
/// - Any other directory (a log directory with one sub-directory per run, a
///   `wandb/` directory of `run-*/` folders, a folder of JSONL files) gives one
///   run per run directory or metrics file found in it, up to 4 levels deep,
///   named by their path relative to it. `latest-run` links, hidden entries
///   and unrecognised files are skipped.
///
/// Format detection (when `IngestOptions.format` is nil): ":W&B" header ->
/// wandb; a Git LFS pointer -> rejected; "tfevents" in the name or a first
/// TFRecord header whose checksum holds -> tensorboard; a JSON object with
/// `log_history` -> trainer-state; `.csv`/`.tsv` or a first line with commas
/// and no `{` -> csv; else jsonl.
///
/// Does not: read `.npy` arrays, decompress files, or read W&B summaries
/// into rows (history only).
public enum RunLoader {
  public static func load(path: String, options: IngestOptions = IngestOptions()) throws
    -> IngestResult
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError(file: path, message: "no such file or directory")
    }
    var result = IngestResult(runs: [], formats: [], warnings: [], skipped: 0)
    if isDirectory.boolValue {
      try loadDirectory(path, name: defaultName(directory: path), depth: 0, options: options, into: &result)
      if result.runs.isEmpty {
        throw IngestError(
          file: path,
          message: "no runs found (looked for JSONL, CSV, trainer_state.json, TensorBoard event files and W&B run-*.wandb files)")
      }
    } else {
      try loadFile(path, name: nil, options: options, into: &result)
    }
    return result
  }

  /// Detects the format of one file from its first bytes and its name.
  public static func detectFormat(path: String) throws -> RunFormat {
    let head = FileAccess.head(path, 4096)
    let name = (path as NSString).lastPathComponent.lowercased()
    if head.starts(with: WandbChunkDecoder.header.prefix(4)) { return .wandb }
    if head.starts(with: Array("version https://git-lfs".utf8)) {
      throw IngestError(file: path, message: "is a Git LFS pointer file, not a metrics file; fetch the real file with `git lfs pull`")
    }
    if name.contains("tfevents") || TFRecordChunkDecoder.looksLikeTFRecord(head) { return .tensorboard }
    if name.hasSuffix(".wandb") { return .wandb }
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
    let firstLine = text.prefix { $0 != 0x0A }
    if firstLine.contains(UInt8(ascii: ",")) { return .csv }
    return .jsonl
  }

  /// Reads one file as one run (or, for a W&B panel CSV, several).
  static func loadFile(_ path: String, name: String?, options: IngestOptions, into result: inout IngestResult) throws {
    let format = try options.format ?? detectFormat(path: path)
    let skipBad = options.skipBad
    var sink: IngestSink
    var extraRuns: [Run] = []
    switch format {
    case .jsonl:
      sink = try FileAccess.decodeWhole(path: path, decoder: JSONLChunkDecoder(file: path), skipBad: skipBad)
    case .tensorboard:
      sink = try FileAccess.decodeWhole(path: path, decoder: TFRecordChunkDecoder(file: path), skipBad: skipBad)
      sink.rows = sink.rows.mergedByStep()
    case .wandb:
      sink = try FileAccess.decodeWhole(path: path, decoder: WandbChunkDecoder(file: path), skipBad: skipBad)
    case .trainerState:
      sink = try TrainerStateReader.read(path: path, skipBad: skipBad)
    case .csv:
      let fd = try FileAccess.open(path)
      defer { close(fd) }
      var stream = FileStream(decoder: CSVChunkDecoder(file: path))
      sink = IngestSink(skipBad: skipBad)
      try stream.readAvailable(fd: fd, into: &sink)
      try stream.finish(into: &sink)
      let csv = stream.decoder
      if csv.runNames.count > 1 {
        for r in csv.runNames {
          let rows = (csv.rowsByRun[r] ?? []).mergedByStep()
          if !rows.isEmpty { extraRuns.append(Run(name: r, source: path, rows: rows)) }
        }
      } else {
        sink.rows = csv.rowsByRun.values.first.map { $0.mergedByStep() } ?? []
        if let r = csv.runNames.first, name == nil { sink.runName = r }
      }
    }
    result.warnings += sink.warnings
    result.skipped += sink.skipped
    if !extraRuns.isEmpty {
      result.runs += extraRuns
      result.formats += extraRuns.map { _ in format }
      return
    }
    if sink.rows.isEmpty {
      throw IngestError(file: path, message: "no metric rows found (read as \(format.rawValue))")
    }
    let runName = name ?? sink.runName ?? defaultName(file: path, format: format)
    result.runs.append(Run(name: runName, source: path, rows: sink.rows, config: sink.config))
    result.formats.append(format)
  }

  /// Event files directly inside a directory, in name order.
  static func eventFiles(in dir: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.contains("tfevents") && !$0.hasPrefix(".") }.sorted()
      .map { (dir as NSString).appendingPathComponent($0) }
      .filter { isRegularFile($0) }
  }

  static func isRegularFile(_ p: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: p, isDirectory: &d) && !d.boolValue
  }

  static func loadDirectory(_ dir: String, name: String, depth: Int, options: IngestOptions, into result: inout IngestResult) throws {
    let fm = FileManager.default
    let entries = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    let join = { (n: String) in (dir as NSString).appendingPathComponent(n) }

    // A TensorBoard run directory.
    let events = eventFiles(in: dir)
    if !events.isEmpty, options.format == nil || options.format == .tensorboard {
      var rows: [MetricRow] = []
      for f in events {
        var sink: IngestSink
        do {
          sink = try FileAccess.decodeWhole(path: f, decoder: TFRecordChunkDecoder(file: f), skipBad: options.skipBad)
        } catch let e as IngestError where options.skipBad {
          result.warnings.append("skipping \(e)")
          continue
        }
        rows += sink.rows
        result.warnings += sink.warnings
        result.skipped += sink.skipped
      }
      if !rows.isEmpty {
        result.runs.append(Run(name: name, source: dir, rows: rows.mergedByStep()))
        result.formats.append(.tensorboard)
      } else {
        result.warnings.append("\(dir): event files hold no scalar summaries")
      }
    }
    // A W&B run folder.
    if let w = entries.first(where: { $0.hasSuffix(".wandb") && isRegularFile(join($0)) }) {
      try loadFile(join(w), name: nil, options: options, into: &result)
      return
    }
    // A Hugging Face output/checkpoint folder or a Lightning version folder.
    for special in ["trainer_state.json", "metrics.csv"] where entries.contains(special) && events.isEmpty {
      try loadFile(join(special), name: name, options: options, into: &result)
      return
    }
    guard depth < 4 else { return }
    for e in entries where e != "latest-run" {
      let p = join(e)
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: p, isDirectory: &isDir) else { continue }
      let childName = depth == 0 ? e : "\(name)/\(e)"
      if isDir.boolValue {
        try loadDirectory(p, name: childName, depth: depth + 1, options: options, into: &result)
      } else if !events.isEmpty {
        continue
      } else if isMetricsFileName(e) {
        try loadFile(p, name: nil, options: options, into: &result)
      }
    }
  }

  static func isMetricsFileName(_ name: String) -> Bool {
    let n = name.lowercased()
    return [".jsonl", ".ndjson", ".csv", ".wandb"].contains { n.hasSuffix($0) } || n == "trainer_state.json"
  }

  static func defaultName(directory: String) -> String {
    (directory as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? directory
  }

  /// A file's run name: the name without known extensions; `run-<id>.wandb`
  /// gives `<id>`; `trainer_state.json` and `metrics.csv` are named after
  /// their folder.
  static func defaultName(file path: String, format: RunFormat) -> String {
    let last = (path as NSString).lastPathComponent
    if last == "trainer_state.json" || last == "metrics.csv" || last.hasPrefix("events.out.tfevents") {
      let parent = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
      if !parent.isEmpty && parent != "." { return parent }
    }
    if format == .wandb, last.hasPrefix("run-"), last.hasSuffix(".wandb") {
      return String(last.dropFirst(4).dropLast(6))
    }
    var name = last
    for ext in [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".wandb", ".log", ".txt"] where name.lowercased().hasSuffix(ext) && name.count > ext.count {
      name = String(name.dropLast(ext.count))
      break
    }
    return name
  }
}
