/// A byte-level JSON parser specialised for one JSONL metrics line.
///
/// It accepts full JSON (RFC 8259) plus the `NaN`, `Infinity` and
/// `-Infinity` tokens that Python's `json` module writes, and reads the
/// line's top-level object straight into a metric row: numbers (and
/// booleans as 1/0) are kept, nested objects are flattened with "/", and
/// strings, nulls and arrays are validated and skipped. Nothing but the
/// metric keys is turned into `String`s.
struct JSONLineParser {
  /// Why a line was rejected; `offset` is a byte offset into the line.
  struct Failure: Error {
    enum Kind { case syntax, content }
    var kind: Kind
    var offset: Int
    var message: String
  }

  /// The keys that can hold the step, by priority: W&B's own row counter `_step` first (a user
  /// metric named `step` beside it stays a metric, as in W&B), then `step`, `global_step`.
  static let stepKeys = ["_step", "step", "global_step"]
  static let ignoredKeys: Set<String> = ["_timestamp", "_runtime"]
  static let maxDepth = 256

  /// The line's bytes and the read position (not private: the string readers in
  /// JSONLineStrings.swift move it).
  let b: UnsafeBufferPointer<UInt8>
  var i = 0
  private var depth = 0
  private var values: [String: Double] = [:]
  /// Keys whose value a later one in the line replaced with a different value (a duplicate
  /// key, or a nested key that flattens onto another): how many, and the first.
  private var overwritten = 0
  private var firstOverwritten: String?
  /// Numeric values seen under the step keys, by priority; offset of each.
  private var stepValues: [(value: StepValue, offset: Int)?] = [nil, nil, nil]

  enum StepValue {
    case integer(Int64)
    case double(Double)

    var double: Double {
      switch self {
      case .integer(let i): return Double(i)
      case .double(let d): return d
      }
    }
  }

  private init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

  /// Parses one line (without its '\n') into a row.
  static func parseRow(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> (
    step: Int64, values: [String: Double]
  ) {
    let r = try parse(bytes)
    return (r.step, r.values)
  }

  /// A line's row, with the keys given twice in it.
  struct Parsed {
    var step: Int64
    var values: [String: Double]
    /// Values replaced by a later, different value of the same (flattened) key.
    var overwritten: Int
    var firstOverwritten: String?
  }

  static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> Parsed {
    var p = JSONLineParser(bytes)
    let (step, values) = try p.parseTopLevel()
    return Parsed(step: step, values: values, overwritten: p.overwritten, firstOverwritten: p.firstOverwritten)
  }

  // MARK: - Top level

  private mutating func parseTopLevel() throws(Failure) -> (Int64, [String: Double]) {
    skipWhitespace()
    let start = i
    guard i < b.count, b[i] == UInt8(ascii: "{") else {
      // Say what the line holds when it is valid JSON of another kind.
      let found = describe(at: i)
      var what: String? = nil
      if i < b.count {
        do {
          let kind = try skipValue()
          skipWhitespace()
          if i == b.count { what = kind }
        } catch {}
      }
      throw Failure(
        kind: what == nil ? .syntax : .content, offset: start,
        message: "expected a JSON object, found \(what ?? found)")
    }
    try parseObject(prefix: nil)
    skipWhitespace()
    if i < b.count {
      throw syntax("expected end of line after the JSON object, found \(describe(at: i))")
    }
    for (n, entry) in stepValues.enumerated() {
      guard let (value, offset) = entry else { continue }
      // The step keys after the one that gives the step are metrics.
      for later in stepValues.indices where later > n {
        guard let (v, _) = stepValues[later] else { continue }
        switch v {
        case .integer(let s): values[Self.stepKeys[later]] = Double(s)
        case .double(let d): values[Self.stepKeys[later]] = d
        }
      }
      switch value {
      case .integer(let s): return (s, values)
      case .double(let d):
        if d == d.rounded(), d >= -9.223372036854775808e18, d < 9.223372036854775808e18 {
          return (Int64(d), values)
        }
        throw Failure(
          kind: .content, offset: offset,
          message: "expected an integer step under \(Self.stepKeys[n]), found \(d)")
      }
    }
    throw Failure(
      kind: .content, offset: start,
      message: "expected an integer step under one of _step, step, global_step")
  }

  // MARK: - Objects and values

  private mutating func parseObject(prefix: String?) throws(Failure) {
    // At b[i] == '{'
    depth += 1
    if depth > Self.maxDepth { throw syntax("nesting deeper than \(Self.maxDepth) levels") }
    i += 1
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      i += 1
      depth -= 1
      return
    }
    while true {
      guard peek() == UInt8(ascii: "\"") else {
        throw syntax("expected '\"' to start an object key, found \(describe(at: i))")
      }
      let key = try parseString()
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else {
        throw syntax("expected ':' after object key, found \(describe(at: i))")
      }
      i += 1
      skipWhitespace()
      if prefix == nil, let n = Self.stepKeys.firstIndex(of: key) {
        let offset = i
        if let v = try parseStepValue() {
          if let (old, _) = stepValues[n], old.double != v.double { noteOverwrite(key) }
          stepValues[n] = (v, offset)
        }
      } else if prefix == nil, Self.ignoredKeys.contains(key) {
        _ = try skipValue()
      } else {
        try parseValue(path: prefix.map { $0 + "/" + key } ?? key)
      }
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","):
        i += 1
        skipWhitespace()
      case UInt8(ascii: "}"):
        i += 1
        depth -= 1
        return
      default:
        throw syntax("expected ',' or '}' after object member, found \(describe(at: i))")
      }
    }
  }

  /// Reads a metric value at `path`.
  private mutating func parseValue(path: String) throws(Failure) {
    guard let c = peek() else { throw syntax("expected a JSON value, found end of line") }
    switch c {
    case UInt8(ascii: "{"): try parseObject(prefix: path)
    case UInt8(ascii: "t"):
      try literal("true")
      set(path, 1)
    case UInt8(ascii: "f"):
      try literal("false")
      set(path, 0)
    default:
      if let v = try parseNumberIfPresent() {
        set(path, v.double)
      } else {
        _ = try skipValue()
      }
    }
  }

  private mutating func set(_ path: String, _ v: Double) {
    if let old = values.updateValue(v, forKey: path), !(old == v || (old.isNaN && v.isNaN)) {
      noteOverwrite(path)
    }
  }

  private mutating func noteOverwrite(_ key: String) {
    overwritten += 1
    if firstOverwritten == nil { firstOverwritten = key }
  }

  /// A step key's value: a number, or nil for anything else (skipped).
  private mutating func parseStepValue() throws(Failure) -> StepValue? {
    guard let v = try parseNumberIfPresent() else {
      _ = try skipValue()  // not a number: neither a step nor a metric
      return nil
    }
    if let n = v.integer { return .integer(n) }
    return .double(v.double)
  }

  /// Validates and skips any JSON value; returns what kind it was.
  @discardableResult
  private mutating func skipValue() throws(Failure) -> String {
    guard let c = peek() else { throw syntax("expected a JSON value, found end of line") }
    switch c {
    case UInt8(ascii: "{"):
      depth += 1
      if depth > Self.maxDepth { throw syntax("nesting deeper than \(Self.maxDepth) levels") }
      i += 1
      skipWhitespace()
      if peek() == UInt8(ascii: "}") {
        i += 1
        depth -= 1
        return "an object"
      }
      while true {
        guard peek() == UInt8(ascii: "\"") else {
          throw syntax("expected '\"' to start an object key, found \(describe(at: i))")
        }
        try skipString()
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else {
          throw syntax("expected ':' after object key, found \(describe(at: i))")
        }
        i += 1
        skipWhitespace()
        try skipValue()
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
          i += 1
          skipWhitespace()
        case UInt8(ascii: "}"):
          i += 1
          depth -= 1
          return "an object"
        default:
          throw syntax("expected ',' or '}' after object member, found \(describe(at: i))")
        }
      }
    case UInt8(ascii: "["):
      depth += 1
      if depth > Self.maxDepth { throw syntax("nesting deeper than \(Self.maxDepth) levels") }
      i += 1
      skipWhitespace()
      if peek() == UInt8(ascii: "]") {
        i += 1
        depth -= 1
        return "an array"
      }
      while true {
        try skipValue()
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
          i += 1
          skipWhitespace()
        case UInt8(ascii: "]"):
          i += 1
          depth -= 1
          return "an array"
        default:
          throw syntax("expected ',' or ']' after array element, found \(describe(at: i))")
        }
      }
    case UInt8(ascii: "\""):
      try skipString()
      return "a string"
    case UInt8(ascii: "t"):
      try literal("true")
      return "true"
    case UInt8(ascii: "f"):
      try literal("false")
      return "false"
    case UInt8(ascii: "n"):
      try literal("null")
      return "null"
    default:
      if try parseNumberIfPresent() != nil { return "a number" }
      throw syntax("expected a JSON value, found \(describe(at: i))")
    }
  }

  private mutating func literal(_ word: StaticString) throws(Failure) {
    let start = i
    let n = word.utf8CodeUnitCount
    let w = word.utf8Start
    var k = 0
    while k < n {
      guard i < b.count, b[i] == w[k] else {
        i = start
        throw syntax("expected a JSON value, found \(describeToken(at: start))")
      }
      i += 1
      k += 1
    }
  }

  // MARK: - Numbers

  struct Number {
    var double: Double
    /// The exact value when the token is an integer literal that fits Int64.
    var integer: Int64? = nil
  }

  /// Parses a number (or NaN / Infinity / -Infinity) at `i`; nil (and `i`
  /// unchanged) when the next byte cannot start one.
  private mutating func parseNumberIfPresent() throws(Failure) -> Number? {
    guard let c = peek() else { return nil }
    let start = i
    if c == UInt8(ascii: "N") {
      try literal("NaN")
      return Number(double: .nan)
    }
    if c == UInt8(ascii: "I") {
      try literal("Infinity")
      return Number(double: .infinity)
    }
    guard c == UInt8(ascii: "-") || isDigit(c) else { return nil }
    var negative = false
    if c == UInt8(ascii: "-") {
      negative = true
      i += 1
      if peek() == UInt8(ascii: "I") {
        try literal("Infinity")
        return Number(double: -.infinity)
      }
    }
    guard let d0 = peek(), isDigit(d0) else {
      throw syntax("expected a digit after '-', found \(describe(at: i))")
    }
    var mantissa: UInt64 = 0
    var digitCount = 0
    if d0 == UInt8(ascii: "0") {
      i += 1
      digitCount = 1
    } else {
      while let d = peek(), isDigit(d) {
        if digitCount < 19 { mantissa = mantissa &* 10 &+ UInt64(d &- 0x30) }
        digitCount += 1
        i += 1
      }
    }
    var integral = true
    if peek() == UInt8(ascii: ".") {
      integral = false
      i += 1
      guard let d = peek(), isDigit(d) else {
        throw syntax("expected a digit after '.', found \(describe(at: i))")
      }
      while let d = peek(), isDigit(d) { i += 1 }
    }
    if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
      integral = false
      i += 1
      if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
      guard let d = peek(), isDigit(d) else {
        throw syntax("expected a digit in the exponent, found \(describe(at: i))")
      }
      while let d = peek(), isDigit(d) { i += 1 }
    }
    if integral && digitCount <= 18 {
      // Exact: fits Int64, and Double(Int64) rounds correctly.
      let n = negative ? -Int64(mantissa) : Int64(mantissa)
      if n == 0 && negative { return Number(double: -0.0, integer: 0) }
      return Number(double: Double(n), integer: n)
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    // Double(String) is strtod: correctly rounded, overflow gives +-inf.
    guard let v = Double(text) else {
      throw Failure(kind: .syntax, offset: start, message: "invalid number \(text)")
    }
    return Number(double: v, integer: integral ? Int64(text) : nil)
  }

  // MARK: - Helpers (strings are read in JSONLineStrings.swift)

  @inline(__always) func peek() -> UInt8? { i < b.count ? b[i] : nil }

  @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

  @inline(__always) private mutating func skipWhitespace() {
    while i < b.count {
      let c = b[i]
      guard c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A else { return }
      i += 1
    }
  }

  func syntax(_ message: String) -> Failure {
    Failure(kind: .syntax, offset: i, message: message)
  }

  /// "'x'" for a printable ASCII byte, "end of line", or "byte 0xNN".
  func describe(at j: Int) -> String {
    guard j < b.count else { return "end of line" }
    let c = b[j]
    if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
    return "byte 0x\(hex2(c))"
  }

  /// The word at `j` (up to 16 letters), quoted, for bad literals.
  private func describeToken(at j: Int) -> String {
    var k = j
    while k < b.count, k - j < 16, (b[k] | 0x20) >= 0x61, (b[k] | 0x20) <= 0x7A { k += 1 }
    if k == j { return describe(at: j) }
    return "'" + String(decoding: UnsafeBufferPointer(rebasing: b[j..<k]), as: UTF8.self) + "'"
  }

  func describeByte(_ c: UInt8) -> String {
    c >= 0x20 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "x\(hex2(c))"
  }

  func hex2(_ c: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(c >> 4)], digits[Int(c & 15)]])
  }
}
