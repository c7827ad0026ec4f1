import TrainscapeCore

/// The per-step tables that training scripts print through loguru or `logging`:
///
///     2025-03-02 14:21:07.512 | INFO     | __main__:main:88 - argv: train.py arm=vanilla seed=3 --lr=1e-5
///     2025-03-02 14:21:09.001 | INFO     | __main__:train:140 -  step   loss↓  hack_s?   gt_s  cos_pre_t
///     2025-03-02 14:21:31.220 | INFO     | __main__:train:155 -     0  2.4113     0/28  0.143     0.0121
///     2025-03-02 14:21:52.946 | INFO     | __main__:train:155 -    10  2.3570     1/28      -        nan
///
/// One file is one run. Each line's message is what follows a logging prefix: loguru's
/// `TIME | LEVEL | module:function:line - `, `... | LEVEL | ` (a `logging` format such as
/// `%(asctime)s | %(levelname)s | %(message)s`), or `LEVEL:logger:` (`logging.basicConfig`);
/// a line without a prefix (`print`) is its own message. ANSI colour codes are removed first.
/// Messages are split into tokens at spaces, tabs and `|`.
///
/// - **Header**: two or more tokens that are all column names, one of them a step column
///   (`step`, `global_step`, `_step`, `it`, `iter`, `iteration`, else `epoch`). A name is the
///   token without leading and trailing decorations (anything but letters, digits and `_`:
///   `loss↓` -> `loss`, `hack_s?` -> `hack_s`, `acc(%)` -> `acc`). A header takes effect when
///   a row with its number of cells follows it, so a line of prose that happens to look
///   like a header ("Resuming from the last step") never breaks the table. A later header
///   replaces the earlier one: columns are matched by name, not position, so a header with
///   extra columns halfway through the file (or in one run but not another) just works.
/// - **Row**: as many tokens as the header has columns, the step column an integer (or
///   `n/d`, whose `n` is the step). Cells are signed floats (`-0.12`, `1e-4`, `inf`),
///   fractions `n/d` (`7/28` -> 0.25; `0/0` is missing), or missing marks (`T`, `F`, `True`,
///   `False`, `-`, `nan`, `None`, `null`, `n/a`): a missing cell leaves the key out of that
///   row. A cell that is none of these is missing too, and said on stderr. A line of cells
///   whose count fits no header is skipped and said.
/// - **Config**: `key=value` and `--flag=value` tokens (also `--flag value`, a bare `--flag`
///   = true, Hydra's `+key=value`, argparse's `Namespace(key='value', ...)`) on argv and
///   preset lines: a message that starts with `argv`, `args`, `cmd`, `command`, `preset`,
///   `config`, `cfg`, `hparams`, `params`, `overrides` or `settings` (a `:` may follow), that
///   names a `.py` script, or that is a `Namespace(...)`; and, before the first table row, any
///   line whose tokens are mostly `key=value`. Values are read by `ConfigValue.parse`
///   (`seed=3` a number, `arm=vanilla` a string, `arm='static erasure'` one string with its
///   space); `--learning-rate` is keyed
///   `learning_rate`, as argparse names it. A config line after table rows that changes a
///   value is said on stderr (one run per file: split a log that holds several runs).
///
/// Everything else (other log messages) is not part of a table and is passed over.
struct TableLogChunkDecoder: ChunkDecoder {
  let file: String
  /// The 1-based number of the next line.
  private(set) var line = 1
  /// The header rows are read with.
  private(set) var header: TableHeader? = nil
  /// A header line not yet confirmed by a row.
  private(set) var pending: TableHeader? = nil
  /// The first header-like line, for the "not a table log" diagnosis.
  private(set) var firstHeader: TableHeader? = nil
  private(set) var rowCount = 0
  private var warned: [TableLogWarning: Int] = [:]
  static let warningsPerKind = 3

  init(file: String) { self.file = file }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let b = bytes.bindMemory(to: UInt8.self)
    let n = b.count
    var start = 0
    if base == 0 {
      if n < 3 && !atEOF { return 0 }
      if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { start = 3 }
    }
    while start < n {
      var end = start
      while end < n, b[end] != 0x0A { end += 1 }
      if end == n && !atEOF {
        if n - start > maxRecordBytes {
          throw IngestError(
            file: file, line: line,
            message: "line longer than \(maxRecordBytes >> 20) MiB without a newline (not a table log?)")
        }
        return start
      }
      let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
      consume(line: text, into: &sink)
      line += 1
      start = end < n ? end + 1 : end
    }
    if atEOF { summarize(into: &sink) }
    return start
  }

  /// Reads one line (without its newline).
  mutating func consume(line text: String, into sink: inout IngestSink) {
    let message = TableLogLine.message(of: TableLogLine.strippingANSI(text))
    let tokens = TableLogLine.tokens(message)
    if tokens.isEmpty { return }
    if let h = TableHeader(tokens: tokens, line: line) {
      pending = h
      if firstHeader == nil { firstHeader = h }
      return
    }
    let cells = tokens.map(TableLogLine.cell)
    switch rowHeader(tokens, cells: cells) {
    case .row(let h):
      read(row: cells, tokens: tokens, header: h, into: &sink)
      return
    case .noStep(let h):
      warn(
        .badStep,
        "\(file):\(line): a row whose \(h.stepName) cell '\(String(tokens[h.stepIndex]).escapingControlCharacters)' is not an integer step; skipped",
        into: &sink)
      return
    case .none:
      break
    }
    if tokens.count >= 2, cells.allSatisfy({ $0 != .invalid }) {
      if let h = header ?? pending {
        warn(
          .cellCount, "\(file):\(line): a row of \(tokens.count) cells, but the header at line \(h.line) has \(h.names.count) columns (\(h.listed)); row skipped",
          into: &sink)
      } else {
        warn(.beforeHeader, "\(file):\(line): a row of \(tokens.count) numbers before any header line; skipped", into: &sink)
      }
      return
    }
    if let config = TableLogLine.config(message: message, tokens: tokens, beforeRows: rowCount == 0) {
      for (k, v) in config {
        if rowCount > 0, let old = sink.config[k], old.text != v.text {
          warn(
            .configChanged,
            "\(file):\(line): \(k)=\(v.text.escapingControlCharacters) after table rows (was \(old.text.escapingControlCharacters)); a table log is one run, so the later value is kept for the whole file",
            into: &sink)
        }
        sink.config[k] = v
      }
    }
  }

  enum RowMatch {
    case row(TableHeader)
    /// Cells that fit a header, but the step cell is not an integer.
    case noStep(TableHeader)
    case none
  }

  /// The header a line is a row of: a pending header it confirms, else the current one.
  /// A row has as many tokens as the header has columns, mostly cells (so a message that
  /// merely has as many words as the header is not taken for one), and an integer step.
  mutating func rowHeader(_ tokens: [Substring], cells: [TableCell]) -> RowMatch {
    let count = tokens.count
    let good = cells.filter { $0 != .invalid }.count
    guard good * 2 > count else { return .none }
    for candidate in [pending, header] {
      guard let h = candidate, h.names.count == count else { continue }
      guard TableLogLine.step(tokens[h.stepIndex]) != nil else {
        if cells.allSatisfy({ $0 != .invalid }) || cells[h.stepIndex] != .invalid { return .noStep(h) }
        continue
      }
      if candidate == pending {
        header = h
        pending = nil
      }
      return .row(h)
    }
    return .none
  }

  mutating func read(row cells: [TableCell], tokens: [Substring], header h: TableHeader, into sink: inout IngestSink) {
    guard let step = TableLogLine.step(tokens[h.stepIndex]) else { return }
    var values: [String: Double] = [:]
    for (i, cell) in cells.enumerated() where i != h.stepIndex {
      guard let name = h.names[i] else { continue }
      switch cell {
      case .value(let v): values[name] = v
      case .missing: break
      case .invalid:
        warn(
          .badCell(name),
          "\(file):\(line): '\(String(tokens[i]).escapingControlCharacters)' in column \(name) is not a number, a fraction n/d or a missing mark (T, F, -, nan); read as missing",
          into: &sink)
      }
    }
    rowCount += 1
    sink.append(MetricRow(step: step, values: values))
  }

  mutating func warn(_ kind: TableLogWarning, _ message: String, into sink: inout IngestSink) {
    let n = warned[kind, default: 0] + 1
    warned[kind] = n
    if n <= Self.warningsPerKind { sink.warnings.append(message) }
  }

  /// The count of warnings left out per kind, at the end of the file.
  mutating func summarize(into sink: inout IngestSink) {
    for (kind, n) in warned.sorted(by: { $0.key.order < $1.key.order }) where n > Self.warningsPerKind {
      sink.warnings.append("\(file): \(n - Self.warningsPerKind) more \(kind.plural) (\(n) in all)")
    }
    warned = [:]
  }

  /// How much of a file format detection reads.
  static let sniffBytes = 256 << 10

  /// Whether the start of a file holds a table (a header and a row that fits it), and if not,
  /// why not.
  static func sniff(path: String) -> (isTable: Bool, reason: String) {
    let head = FileAccess.head(path, sniffBytes)
    var decoder = TableLogChunkDecoder(file: path)
    var sink = IngestSink(skipBad: true)
    // Whole lines only: the last, cut one is left for a read that has all of it.
    _ = try? head.withUnsafeBytes { try decoder.decode($0, base: 0, atEOF: head.count < sniffBytes, into: &sink) }
    return (decoder.rowCount > 0, decoder.notATableReason)
  }

  /// Why a file that gave no rows is not a table log, in a few words.
  var notATableReason: String {
    if let h = firstHeader {
      return "the header at line \(h.line) (\(h.listed)) is followed by no row of \(h.names.count) cells with an integer \(h.stepName)"
    }
    return "no header line naming a step column (step, iter, iteration, global_step, epoch) followed by rows of numbers"
  }
}

/// What a table-log warning is about, so that each kind is said a few times, then counted.
enum TableLogWarning: Hashable {
  case cellCount, beforeHeader, configChanged, badStep, badCell(String)

  var order: String {
    switch self {
    case .cellCount: return "0"
    case .beforeHeader: return "1"
    case .configChanged: return "2"
    case .badStep: return "3"
    case .badCell(let c): return "4" + c
    }
  }

  var plural: String {
    switch self {
    case .cellCount: return "rows skipped because their cell count fits no header"
    case .beforeHeader: return "rows of numbers before any header skipped"
    case .configChanged: return "config values changed after table rows"
    case .badStep: return "rows without an integer step skipped"
    case .badCell(let c): return "cells of column \(c) read as missing"
    }
  }
}

/// A table's header line: its column names (nil for a repeated name, whose column is not
/// read) and which column is the step.
struct TableHeader: Equatable {
  var names: [String?]
  var stepIndex: Int
  var line: Int

  var stepName: String { names[stepIndex] ?? "step" }
  var listed: String {
    let n = names.map { $0 ?? "(repeated)" }
    return n.prefix(8).joined(separator: ", ") + (n.count > 8 ? ", ..." : "")
  }

  static let stepColumns = ["step", "global_step", "_step", "globalstep", "steps", "it", "iter", "iters", "iteration"]

  /// A header from a line's tokens, or nil when they are not all column names or name no
  /// step column.
  init?(tokens: [Substring], line: Int) {
    guard tokens.count >= 2 else { return nil }
    var names: [String?] = []
    for t in tokens {
      guard let name = TableLogLine.columnName(t) else { return nil }
      names.append(names.contains(name) ? nil : name)
    }
    let lower = names.map { $0?.lowercased() }
    guard
      let step = Self.stepColumns.lazy.compactMap({ lower.firstIndex(of: $0) }).first ?? lower.firstIndex(of: "epoch")
    else { return nil }
    self.names = names
    self.stepIndex = step
    self.line = line
  }
}
