import TrainscapeCore

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
