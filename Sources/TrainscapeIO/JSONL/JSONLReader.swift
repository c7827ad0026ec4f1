import Foundation
import TrainscapeCore

/// A run read from a file, with the problems that did not stop the read.
public struct ReadResult: Sendable {
  public var run: Run
  /// "FILE:LINE: message" lines, e.g. for a dropped incomplete last line.
  public var warnings: [String]

  public init(run: Run, warnings: [String]) {
    self.run = run
    self.warnings = warnings
  }
}

/// Reads JSONL metric logs: one JSON object per line, one row per line.
///
/// Per line, the step is the first of `_step`, `step`, `global_step` that
/// holds a number (it must be integral); the step keys after it are metrics
/// (a user's `step` beside W&B's `_step`, a `global_step` beside `step`). Every other numeric value is a
/// metric, NaN and +-Infinity included (Python's `json` tokens); `true` and
/// `false` are 1 and 0; nested objects are flattened with "/"; strings,
/// nulls and arrays are skipped, and so are `_timestamp` and `_runtime`.
/// Blank lines are skipped, a leading UTF-8 byte-order mark and CRLF line
/// ends are accepted.
///
/// A final line without a newline that is not valid JSON is taken to be a
/// line still being written: it is dropped with a warning. Any other bad
/// line throws a `JSONLError` naming file, line and column.
///
/// Does not: decompress `.gz` files, merge rows that share a step (rows are
/// kept in file order; `MetricsBuffer` merges adjacent equal steps), or
/// read configs (`Run.config` is empty).
public enum JSONLReader {
  /// Reads the file at `path`. The run name defaults to the file name
  /// without its extensions (`.jsonl`, `.ndjson`, `.json`, `.log`, `.txt`).
  public static func read(path: String, runName: String? = nil) throws -> ReadResult {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw JSONLFileError(file: path, message: "no such file")
    }
    if isDirectory.boolValue {
      throw JSONLFileError(file: path, message: "is a directory, expected a JSONL file")
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw JSONLFileError(file: path, message: "cannot read file (\(error.localizedDescription))")
    }
    return try parse(data: [UInt8](data), file: path, runName: runName ?? defaultRunName(path))
  }

  /// Parses a whole file's bytes. `file` is used in messages and as the
  /// run's source.
  public static func parse(data: [UInt8], file: String, runName: String) throws -> ReadResult {
    var rows: [MetricRow] = []
    var warnings: [String] = []
    try data.withUnsafeBufferPointer { all in
      let n = all.count
      var start = 0
      if n >= 3, all[0] == 0xEF, all[1] == 0xBB, all[2] == 0xBF { start = 3 }
      var lineNumber = 1
      while start < n {
        var end = start
        while end < n, all[end] != 0x0A { end += 1 }
        let hasNewline = end < n
        let line = UnsafeBufferPointer(rebasing: all[start..<end])
        if !isBlank(line) {
          do {
            let (step, values) = try JSONLineParser.parseRow(line)
            rows.append(MetricRow(step: step, values: values))
          } catch let failure as JSONLineParser.Failure {
            if !hasNewline && failure.kind == .syntax {
              warnings.append(
                "\(file):\(lineNumber): ignoring incomplete last line (file still being written?)")
            } else {
              throw JSONLError(
                file: file, line: lineNumber, column: failure.offset + 1, message: failure.message)
            }
          }
        }
        start = end + 1
        lineNumber += 1
      }
    }
    if rows.isEmpty {
      throw JSONLFileError(file: file, message: "no metric rows (expected one JSON object per line)")
    }
    let run = Run(name: runName, source: file, rows: rows, config: [:])
    return ReadResult(run: run, warnings: warnings)
  }

  /// Parses one line (without its newline). `line` is 1-based and only used
  /// in errors.
  public static func parseLine(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws
    -> MetricRow
  {
    do {
      let (step, values) = try bytes.withUnsafeBufferPointer { p throws(JSONLineParser.Failure) in
        try JSONLineParser.parseRow(p)
      }
      return MetricRow(step: step, values: values)
    } catch {
      throw JSONLError(file: file, line: line, column: error.offset + 1, message: error.message)
    }
  }

  private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
  }

  private static let knownExtensions: Set<String> = ["jsonl", "ndjson", "json", "log", "txt"]

  /// "runs/a.metrics.jsonl" -> "a.metrics"; a name that would be empty
  /// stays whole.
  static func defaultRunName(_ path: String) -> String {
    var name = URL(fileURLWithPath: path).lastPathComponent
    while let dot = name.lastIndex(of: "."), dot != name.startIndex,
      knownExtensions.contains(name[name.index(after: dot)...].lowercased())
    {
      name = String(name[..<dot])
    }
    return name
  }
}
