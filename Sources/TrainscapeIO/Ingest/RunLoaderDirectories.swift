import Foundation
import TrainscapeCore

/// Run directories for `RunLoader` (RunLoader.swift): which files in a folder are read, and how.
extension RunLoader {
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
      var histograms: [String: [HistogramSample]] = [:]
      var table: MetricsTable? = nil
      if options.capacity == nil, let columns = ColumnarTFRecord.read(paths: events) {
        // Every file memory-mapped and decoded on all cores into one table.
        table = columns.table
        histograms = columns.histograms
        result.warnings += columns.warnings + columns.overwrites.warnings(file: dir)
      } else if let capacity = options.capacity {
        // One window for the whole directory, so memory stays bounded by
        // the capacity; a file that fails (with skipBad) leaves it as it
        // was before that file, as the unbounded path drops its rows.
        var run = IngestSink(skipBad: options.skipBad, capacity: capacity, order: .step)
        for f in events {
          let before = run
          do {
            try FileAccess.decode(path: f, decoder: TFRecordChunkDecoder(file: f), into: &run)
          } catch let e as IngestError where options.skipBad {
            run = before
            result.warnings.append("skipping \(e)")
            continue
          }
        }
        rows = run.finalRows(byStep: true)
        histograms.merge(run.histograms) { $0 + $1 }
        result.warnings += run.warnings + run.overwrites.warnings(file: dir)
        result.skipped += run.skipped
        if let window = run.window {
          if let note = window.note(file: dir) { result.notes.append(note) }
          result.dropped += window.dropped + window.late
        }
      } else {
        var overwrites = Overwrites()
        for f in events {
          var sink: IngestSink
          do {
            sink = try FileAccess.decodeWhole(path: f, decoder: TFRecordChunkDecoder(file: f), skipBad: options.skipBad)
          } catch let e as IngestError where options.skipBad {
            result.warnings.append("skipping \(e)")
            continue
          }
          rows += sink.rows
          histograms.merge(sink.histograms) { $0 + $1 }
          result.warnings += sink.warnings
          result.skipped += sink.skipped
          overwrites.add(sink.overwrites)
        }
        rows = rows.mergedByStep(overwrites: &overwrites)
        result.warnings += overwrites.warnings(file: dir)
      }
      if let table, !table.isEmpty || !histograms.isEmpty {
        result.runs.append(Run(name: name, source: dir, table: table, histograms: histograms.sortedBySteps()))
        result.formats.append(.tensorboard)
      } else if !rows.isEmpty || !histograms.isEmpty {
        result.runs.append(Run(name: name, source: dir, rows: rows, histograms: histograms.sortedBySteps()))
        result.formats.append(.tensorboard)
      } else {
        result.runsWithoutRows.append("\(dir): its event files hold no scalar or histogram summaries")
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
      } else if isLogFileName(e.lowercased()) {
        if isWandbOwnLog(directory: dir, name: e) { continue }  // W&B's own logs, never metrics
        do {
          // A log file in a directory is read only as a table log (never as JSONL or CSV by
          // its first line): anything else is skipped, and said.
          if options.format == nil {
            let sniff = TableLogChunkDecoder.sniff(path: p)
            if !sniff.isTable {
              throw IngestError.notATableLog(
                file: p, reason: sniff.reason + " in the first \(TableLogChunkDecoder.sniffBytes >> 10) KiB")
            }
          }
          try loadFile(p, name: nil, options: options, into: &result)
        } catch let error as IngestError where error.isNotATableLog {
          result.warnings.append("skipping \(error)")
          result.notTableLogs.append(error)
        }
      }
    }
  }

  static func isMetricsFileName(_ name: String) -> Bool {
    let n = name.lowercased()
    return [".jsonl", ".ndjson", ".csv", ".wandb"].contains { n.hasSuffix($0) } || n == "trainer_state.json"
  }

  /// W&B's own log files (`wandb/debug.log`, `wandb/debug-internal.log`, a run's
  /// `logs/debug*.log` and `files/output.log`): W&B's diagnostics and the console, not metrics.
  static func isWandbOwnLog(directory: String, name: String) -> Bool {
    guard ["debug.log", "debug-internal.log", "output.log"].contains(name) else { return false }
    let parts = (directory as NSString).standardizingPath.split(separator: "/")
    guard let last = parts.last else { return false }
    if last == "wandb" { return true }
    guard last == "logs" || last == "files", parts.count >= 2 else { return false }
    let run = parts[parts.count - 2]
    return run.hasPrefix("run-") || run.hasPrefix("offline-run-") || run == "latest-run"
  }

  /// A name that may be a table log (`train.log`, `stdout.txt`, `slurm-123.out`).
  static func isLogFileName(_ lowercasedName: String) -> Bool {
    [".log", ".txt", ".out"].contains { lowercasedName.hasSuffix($0) }
  }

  static func defaultName(directory: String) -> String {
    (directory as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? directory
  }
}
