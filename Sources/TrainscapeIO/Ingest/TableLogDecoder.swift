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

/// One cell of a table row.
enum TableCell: Equatable {
  case value(Double)
  case missing
  case invalid
}

/// The pieces of a table-log line.
enum TableLogLine {
  static let levels: Set<String> = [
    "TRACE", "DEBUG", "INFO", "SUCCESS", "NOTICE", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL",
  ]

  /// The line without ANSI escape sequences (loguru colours its output on a terminal, and
  /// `tee` keeps the codes).
  static func strippingANSI(_ s: String) -> String {
    guard s.contains("\u{1B}") else { return s }
    var out = String.UnicodeScalarView()
    var it = s.unicodeScalars.makeIterator()
    while let u = it.next() {
      guard u == "\u{1B}" else {
        out.append(u)
        continue
      }
      guard let next = it.next() else { break }
      guard next == "[" else { continue }  // a two-character escape
      while let c = it.next(), !(0x40...0x7E).contains(c.value) {}
    }
    return String(out)
  }

  /// The message of a log line: after `| LEVEL |` (and loguru's `module:function:line - `),
  /// after a leading `LEVEL:logger:`, or the whole line.
  static func message(of line: String) -> Substring {
    let s = Substring(line)
    // "... | LEVEL | rest"
    var searchFrom = s.startIndex
    while let bar = s[searchFrom...].firstIndex(of: "|") {
      let afterBar = s.index(after: bar)
      guard let next = s[afterBar...].firstIndex(of: "|") else { break }
      if levels.contains(s[afterBar..<next].trimmingSpaces) {
        return droppingLocation(s[s.index(after: next)...])
      }
      searchFrom = afterBar
    }
    // "LEVEL:logger:message"
    if let c = s.firstIndex(of: ":"), levels.contains(String(s[..<c])) {
      let rest = s[s.index(after: c)...]
      if let c2 = rest.firstIndex(of: ":"), !rest[..<c2].contains(" ") { return rest[rest.index(after: c2)...] }
      return rest
    }
    return s
  }

  /// Loguru's `module:function:line - ` at the start of a message, removed.
  static func droppingLocation(_ s: Substring) -> Substring {
    let t = s.drop { $0 == " " }
    guard let dash = t.range(of: " - ") else { return s }
    let location = t[..<dash.lowerBound]
    let parts = location.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count >= 3, !location.contains(" "), let last = parts.last, !last.isEmpty,
      last.allSatisfy(\.isASCIIDigit)
    else { return s }
    return t[dash.upperBound...]
  }

  static func tokens(_ message: Substring) -> [Substring] {
    message.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "|" || $0 == "\r" })
  }

  static let missingMarks: Set<String> = ["T", "F", "True", "False", "-", "None", "null", "\u{2014}"]

  static func cell(_ t: Substring) -> TableCell {
    if missingMarks.contains(String(t)) { return .missing }
    let lower = t.lowercased()
    if lower == "nan" || lower == "+nan" || lower == "-nan" || lower == "n/a" { return .missing }
    if let d = number(t) { return .value(d) }
    if let slash = t.firstIndex(of: "/"), let n = integer(t[..<slash]), let d = digits(t[t.index(after: slash)...]) {
      return d == 0 ? .missing : .value(n / d)
    }
    return .invalid
  }

  /// A signed decimal or exponent number, or `inf`/`infinity` with an optional sign.
  static func number(_ t: Substring) -> Double? {
    var s = t
    var sign = 1.0
    if let c = s.first, c == "+" || c == "-" {
      if c == "-" { sign = -1 }
      s = s.dropFirst()
    }
    let lower = s.lowercased()
    if lower == "inf" || lower == "infinity" { return sign * .infinity }
    // digits [. digits] | . digits, then [e [sign] digits]
    var i = s.startIndex
    var mantissaDigits = 0
    while i < s.endIndex, s[i].isASCIIDigit {
      i = s.index(after: i)
      mantissaDigits += 1
    }
    if i < s.endIndex, s[i] == "." {
      i = s.index(after: i)
      while i < s.endIndex, s[i].isASCIIDigit {
        i = s.index(after: i)
        mantissaDigits += 1
      }
    }
    guard mantissaDigits > 0 else { return nil }
    if i < s.endIndex, s[i] == "e" || s[i] == "E" {
      i = s.index(after: i)
      if i < s.endIndex, s[i] == "+" || s[i] == "-" { i = s.index(after: i) }
      var expDigits = 0
      while i < s.endIndex, s[i].isASCIIDigit {
        i = s.index(after: i)
        expDigits += 1
      }
      guard expDigits > 0 else { return nil }
    }
    guard i == s.endIndex, let d = Double(s) else { return nil }
    return sign * d
  }

  static func integer(_ t: Substring) -> Double? {
    var s = t
    var sign = 1.0
    if let c = s.first, c == "+" || c == "-" {
      if c == "-" { sign = -1 }
      s = s.dropFirst()
    }
    // + 0.0: "-0" is the integer 0, not -0.0.
    return digits(s).map { sign * $0 + 0.0 }
  }

  static func digits(_ s: Substring) -> Double? {
    guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit) else { return nil }
    return Double(s)
  }

  /// A row's step from its step cell: an integer (`100`, `100.0`, `1e3`), or the `n` of
  /// `n/d` (`12/500`: step 12 of 500).
  static func step(_ t: Substring) -> Int64? {
    var v: Double
    if let slash = t.firstIndex(of: "/"), let n = integer(t[..<slash]), digits(t[t.index(after: slash)...]) != nil {
      v = n
    } else if let d = number(t) {
      v = d
    } else {
      return nil
    }
    guard v.isFinite, v == v.rounded(), abs(v) < 9.2e18 else { return nil }
    return Int64(v)
  }

  /// A token as a column name: without leading and trailing decorations; nil when what is
  /// left does not start with a letter or `_`, holds `=` or `,`, or is a missing mark.
  static func columnName(_ t: Substring) -> String? {
    let isWord = { (c: Character) in c.isLetter || c.isNumber || c == "_" }
    guard let first = t.firstIndex(where: isWord), let last = t.lastIndex(where: isWord) else { return nil }
    let name = t[first...last]
    guard let c = name.first, c.isLetter || c == "_", !name.contains("="), !name.contains(","),
      name.allSatisfy({ !$0.isWhitespace }), missingMarks.contains(String(name)) == false,
      name.lowercased() != "nan"
    else { return nil }
    return String(name)
  }

  static let configLabels: Set<String> = [
    "argv", "args", "arguments", "cmd", "command", "cmdline", "preset", "presets", "config", "cfg", "hparams",
    "hyperparameters", "params", "overrides", "settings",
  ]

  /// A token of an argv or preset line without the punctuation of Python's reprs around it:
  /// `Namespace(`, `[`, trailing `,`, `)` and `]`, and quotes around the whole token
  /// (`'--arm=vanilla'` from a printed `sys.argv`).
  static func cleanToken(_ token: Substring) -> Substring {
    var t = token
    if t.hasPrefix("Namespace(") { t = t.dropFirst("Namespace(".count) }
    while let c = t.first, c == "[" || c == "(" { t = t.dropFirst() }
    while let c = t.last, c == "," || c == ")" || c == "]" { t = t.dropLast() }
    if t.count >= 2, let q = t.first, q == "'" || q == "\"", t.last == q { t = t.dropFirst().dropLast() }
    return t
  }

  /// Tokens as `tokens` splits them, except that a quote (`'` or `"`) runs to the same quote
  /// (or the end of the message) with its spaces: `arm='static erasure'` is one token.
  static func quotedTokens(_ message: Substring) -> [Substring] {
    var out: [Substring] = []
    var start: Substring.Index? = nil
    var quote: Character? = nil
    var i = message.startIndex
    while i < message.endIndex {
      let c = message[i]
      if let q = quote {
        if c == q { quote = nil }
      } else if c == "'" || c == "\"" {
        quote = c
        if start == nil { start = i }
      } else if c == " " || c == "\t" || c == "|" || c == "\r" {
        if let s = start { out.append(message[s..<i]) }
        start = nil
      } else if start == nil {
        start = i
      }
      i = message.index(after: i)
    }
    if let s = start { out.append(message[s...]) }
    return out
  }

  /// The config of an argv or preset line, or nil when the line is neither.
  static func config(message: Substring, tokens _: [Substring], beforeRows: Bool) -> [(String, ConfigValue)]? {
    let raw = quotedTokens(message)
    guard let first = raw.first else { return nil }
    let tokens = raw.map(cleanToken)
    let label = first.lowercased().trimmingCharacters(in: [":", "="])
    let argvLike =
      configLabels.contains(label) || tokens.contains { $0.hasSuffix(".py") } || first.hasPrefix("Namespace(")
    var out: [(String, ConfigValue)] = []
    var kvTokens = 0
    var i = 0
    while i < tokens.count {
      let t = tokens[i]
      i += 1
      if let eq = t.firstIndex(of: "=") {
        guard let key = configKey(t[..<eq]) else { continue }
        out.append((key, ConfigValue.parse(t[t.index(after: eq)...])))
        kvTokens += 1
      } else if argvLike, t.hasPrefix("--"), let key = configKey(t) {
        // --flag value, or a bare --flag (true)
        if i < tokens.count, !tokens[i].hasPrefix("--"), !tokens[i].contains("=") {
          out.append((key, ConfigValue.parse(tokens[i])))
          i += 1
        } else {
          out.append((key, .bool(true)))
        }
      }
    }
    guard !out.isEmpty else { return nil }
    if argvLike { return out }
    // An unlabelled line before the table: mostly key=value tokens.
    if beforeRows, kvTokens * 2 >= tokens.count { return out }
    return nil
  }

  /// `--learning-rate` -> `learning_rate`, `+model.lr` -> `model.lr`, `seed` -> `seed`;
  /// nil when what is left does not start with a letter or `_`.
  static func configKey(_ raw: Substring) -> String? {
    var k = raw
    var flag = false
    while let c = k.first, c == "-" || c == "+" || c == "~" {
      if c == "-" { flag = true }
      k = k.dropFirst()
    }
    guard let c = k.first, c.isLetter || c == "_",
      k.allSatisfy({ $0.isLetter || $0.isNumber || "_.-/".contains($0) })
    else { return nil }
    return flag ? k.replacingOccurrences(of: "-", with: "_") : String(k)
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Substring {
  fileprivate var trimmingSpaces: String {
    var s = self
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}
