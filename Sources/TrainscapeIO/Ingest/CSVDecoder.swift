import TrainscapeCore

/// A streaming RFC 4180 record splitter: fields separated by ',', records
/// by LF or CRLF (a lone CR inside quotes is kept), fields optionally in
/// double quotes with `""` for a quote. A leading UTF-8 BOM is dropped.
/// Lenient where real exports are: a quote inside an unquoted field is
/// kept as a character, and text after a closing quote is appended.
struct CSVSplitter {
  enum Result {
    /// A complete record and the index just after its line end.
    case record([String], next: Int, lines: Int)
    /// The last record of the file, without a line end: perhaps cut short by a writer that
    /// has not finished it (`0.06` of `0.0625`).
    case unterminated([String], lines: Int)
    /// The bytes from `start` hold no complete record yet.
    case incomplete
  }

  /// Splits the record at `start`. At the end of the input (`atEOF`) a last
  /// record without a line end is complete unless a quoted field is open.
  static func next(_ b: UnsafeBufferPointer<UInt8>, from start: Int, atEOF: Bool) -> Result {
    var fields: [String] = []
    var field: [UInt8] = []
    var i = start
    var inQuotes = false
    var lines = 1
    let n = b.count
    while i < n {
      let c = b[i]
      if inQuotes {
        if c == 0x22 {
          if i + 1 < n, b[i + 1] == 0x22 {
            field.append(0x22)
            i += 2
            continue
          }
          if i + 1 == n && !atEOF { return .incomplete }  // might be a "" split across reads
          inQuotes = false
        } else {
          if c == 0x0A { lines += 1 }
          field.append(c)
        }
        i += 1
        continue
      }
      switch c {
      case 0x22 where field.isEmpty:
        inQuotes = true
      case 0x2C:
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
      case 0x0A:
        if field.last == 0x0D { field.removeLast() }
        fields.append(String(decoding: field, as: UTF8.self))
        return .record(fields, next: i + 1, lines: lines)
      default:
        field.append(c)
      }
      i += 1
    }
    guard atEOF, !inQuotes, i > start else { return .incomplete }
    if field.last == 0x0D { field.removeLast() }
    fields.append(String(decoding: field, as: UTF8.self))
    return .unterminated(fields, lines: lines)
  }
}

/// CSV metrics: W&B history and panel exports, Lightning `metrics.csv`, and
/// plain wide tables (one column per metric).
///
/// - Step column: the first header named `_step`, `Step`, `step`,
///   `global_step`, `trainer/global_step` or `iteration`, else the first
///   column. Its cells must be integers (`12`, `12.0`); a row with an empty
///   step cell is skipped with a warning.
/// - Other cells: numbers (also `nan`, `inf`, `-inf`, `NaN`, `Infinity`,
///   `True`/`False` as 1/0) are metric values; empty and non-numeric cells
///   are skipped.
/// - W&B panel exports name columns `"<run> - <metric>"`; the run prefix is
///   removed and each distinct run becomes its own run (`runColumns`).
///   Their `__MIN` / `__MAX` columns (the range of a bucketed point) are
///   KEPT as the metrics `<metric>__MIN` / `<metric>__MAX` next to the main
///   series `<metric>`, so nothing in the export is lost.
/// - Rows with the same step are merged (Lightning writes train and
///   validation rows separately); the final run is sorted by step.
/// - With a `capacity`, each run keeps only its last `capacity` steps while
///   reading (a `RowWindow` in step order per run), never every row.
struct CSVChunkDecoder: ChunkDecoder {
  let file: String
  private(set) var line = 1
  private(set) var header: [String]? = nil
  private var stepColumn = 0
  /// Per column: the run (nil for a single run) and the metric key; nil to ignore.
  private(set) var columns: [(run: String?, key: String)?] = []
  private(set) var runNames: [String] = []
  /// Rows per run name ("" for the single run), when there is no capacity.
  var rowsByRun: [String: [MetricRow]] = [:]
  /// The kept rows per run name, when there is a capacity.
  private(set) var windowsByRun: [String: RowWindow] = [:]
  let capacity: Int?
  let recordLimit: Int
  /// Values a later one replaced: two columns of one name in a row, rows of one step merged.
  private(set) var overwrites = Overwrites()

  static let stepNames = ["_step", "Step", "step", "global_step", "trainer/global_step", "iteration"]

  init(file: String, capacity: Int? = nil, recordLimit: Int = JSONLChunkDecoder.defaultLineLimit) {
    self.file = file
    self.capacity = capacity
    self.recordLimit = recordLimit
  }

  /// The run's rows sorted by step with equal steps merged ("" for the single run).
  mutating func finalRows(_ run: String) -> [MetricRow] {
    if capacity != nil { return windowsByRun[run].map { Array($0.rows) } ?? [] }
    return (rowsByRun[run] ?? []).mergedByStep(overwrites: &overwrites)
  }

  /// What the capacity left out of the run, if anything.
  func note(_ run: String) -> String? {
    windowsByRun[run]?.note(file: run.isEmpty ? file : "\(file) (run \(run))")
  }

  /// Rows (distinct steps) left out of the run because of the capacity.
  func dropped(_ run: String) -> Int {
    windowsByRun[run].map { $0.dropped + $0.late } ?? 0
  }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let b = bytes.bindMemory(to: UInt8.self)
    var start = 0
    if base == 0 {
      if b.count < 3 && !atEOF { return 0 }
      if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { start = 3 }
    }
    while start < b.count {
      switch CSVSplitter.next(b, from: start, atEOF: atEOF) {
      case .incomplete:
        if atEOF {
          sink.warnings.append("\(file):\(line): ignoring incomplete last record (open quoted field; file still being written?)")
          return b.count
        }
        if b.count - start > recordLimit {
          throw IngestError(
            file: file, line: line,
            message: "a record longer than \(MemoryBudget.format(recordLimit)) (unbalanced quotes?)")
        }
        return start
      case .record(let fields, let next, let lines):
        try handle(fields, into: &sink)
        line += lines
        start = next
      case .unterminated(let fields, _):
        // As JSONL's last line: a row without its line end may be cut short; a blank one or
        // a header alone is taken as it is.
        if header == nil || (fields.count == 1 && fields[0].allSatisfy({ $0 == " " || $0 == "\t" })) {
          try handle(fields, into: &sink)
        } else {
          sink.warnings.append(
            "\(file):\(line): ignoring the last row: it has no line end, so it may be cut short (file still being written?)")
        }
        return b.count
      }
    }
    return start
  }

  private mutating func handle(_ fields: [String], into sink: inout IngestSink) throws {
    if fields.count == 1 && fields[0].allSatisfy({ $0 == " " || $0 == "\t" }) { return }  // blank line
    guard header != nil else {
      setHeader(fields)
      return
    }
    if fields.count > columns.count {
      try sink.bad(
        IngestError(file: file, line: line, message: "expected at most \(columns.count) cells as in the header, found \(fields.count)"))
      return
    }
    let stepName = Escape.quoted(header![stepColumn])
    let stepText = stepColumn < fields.count ? fields[stepColumn].trimmingSpaces : ""
    if stepText.isEmpty {
      sink.warnings.append("\(file):\(line): skipping a row with an empty \(stepName.isEmpty ? "step" : stepName) cell")
      return
    }
    guard let d = Double(stepText), d == d.rounded(), abs(d) < 9.2e18 else {
      try sink.bad(
        IngestError(
          file: file, line: line,
          message: "expected an integer step in column '\(stepName)', found '\(Escape.quoted(String(stepText.prefix(40))))'"))
      return
    }
    let step = Int64(d)
    var perRun: [String: [String: Double]] = [:]
    for (k, cell) in fields.enumerated() where k != stepColumn {
      guard let col = columns[k], let v = Self.number(cell) else { continue }
      if let old = perRun[col.run ?? "", default: [:]].updateValue(v, forKey: col.key), Overwrites.differ(old, v) {
        overwrites.add(.sameRecord, example: "line \(line), '\(col.key)'")
      }
    }
    for (run, values) in perRun where !values.isEmpty {
      let row = MetricRow(step: step, values: values)
      if let capacity {
        windowsByRun[run, default: RowWindow(capacity: capacity, order: .step)].append(row, overwrites: &overwrites)
      } else {
        rowsByRun[run, default: []].append(row)
      }
    }
  }

  private mutating func setHeader(_ fields: [String]) {
    header = fields
    stepColumn = Self.stepNames.lazy.compactMap { fields.firstIndex(of: $0) }.first ?? 0
    // W&B panel export: every metric column "<run> - <metric>".
    var split: [(String, String)?] = []
    for (k, f) in fields.enumerated() where k != stepColumn {
      if let r = f.range(of: " - ") {
        split.append((String(f[..<r.lowerBound]), String(f[r.upperBound...])))
      } else {
        split.append(nil)
      }
    }
    let isPanel = !split.isEmpty && split.allSatisfy { $0 != nil }
    var names: [String] = []
    var j = 0
    columns = fields.enumerated().map { (k, f) in
      if k == stepColumn { return nil }
      defer { j += 1 }
      if isPanel, let (run, key) = split[j] {
        if !names.contains(run) { names.append(run) }
        return (run, key)
      }
      return (nil, f)
    }
    runNames = isPanel ? names : []
  }

  static func number(_ cell: String) -> Double? {
    let s = cell.trimmingSpaces
    guard let c = s.utf8.first else { return nil }
    if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || (c >= 0x30 && c <= 0x39) {
      if let d = Double(s) { return d }
    }
    switch s.lowercased() {
    case "nan", "+nan", "-nan": return .nan
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "true": return 1
    case "false": return 0
    default: return nil
    }
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}

extension Array where Element == MetricRow {
  /// Stable-sorts by step and merges rows with equal steps (later values win).
  func mergedByStep() -> [MetricRow] {
    var ignored = Overwrites()
    return mergedByStep(overwrites: &ignored)
  }

  /// `mergedByStep()`, counting the values a later row of the same step replaced.
  func mergedByStep(overwrites: inout Overwrites) -> [MetricRow] {
    var sorted = self
    var isSorted = true
    for i in sorted.indices.dropFirst() where sorted[i - 1].step > sorted[i].step {
      isSorted = false
      break
    }
    if !isSorted {
      sorted = enumerated().sorted { $0.element.step != $1.element.step ? $0.element.step < $1.element.step : $0.offset < $1.offset }.map(\.element)
    }
    var out: [MetricRow] = []
    out.reserveCapacity(sorted.count)
    for row in sorted {
      if let last = out.last, last.step == row.step {
        overwrites.merge(row, into: &out[out.count - 1])
      } else {
        out.append(row)
      }
    }
    return out
  }
}
