/// JSON strings for `JSONLineParser` (JSONLineParser.swift): parsed into a Swift String for
/// keys, validated and skipped for values, with escapes and surrogate pairs.
extension JSONLineParser {
  /// Parses a string at `i` (at its opening quote) into a Swift String.
  mutating func parseString() throws(Failure) -> String {
    i += 1
    let start = i
    // Fast path: no escapes.
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        i += 1
        return s
      }
      if c == UInt8(ascii: "\\") { break }
      if c < 0x20 { throw syntax("unescaped control character in string (byte 0x\(hex2(c)))") }
      i += 1
    }
    var out = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if c < 0x20 { throw syntax("unescaped control character in string (byte 0x\(hex2(c)))") }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      let scalar = try parseEscape()
      if let scalar {
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      }
    }
    throw syntax("unterminated string, found end of line")
  }

  /// Validates and skips a string at `i` (at its opening quote).
  mutating func skipString() throws(Failure) {
    i += 1
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return
      }
      if c < 0x20 { throw syntax("unescaped control character in string (byte 0x\(hex2(c)))") }
      if c == UInt8(ascii: "\\") {
        _ = try parseEscape()
      } else {
        i += 1
      }
    }
    throw syntax("unterminated string, found end of line")
  }

  /// Parses an escape at `i` (at the backslash). A lone surrogate (which
  /// Python's json accepts) becomes U+FFFD.
  private mutating func parseEscape() throws(Failure) -> Unicode.Scalar? {
    let start = i
    i += 1
    guard let e = peek() else { throw syntax("unterminated string, found end of line") }
    i += 1
    switch e {
    case UInt8(ascii: "\""): return "\""
    case UInt8(ascii: "\\"): return "\\"
    case UInt8(ascii: "/"): return "/"
    case UInt8(ascii: "b"): return "\u{08}"
    case UInt8(ascii: "f"): return "\u{0C}"
    case UInt8(ascii: "n"): return "\n"
    case UInt8(ascii: "r"): return "\r"
    case UInt8(ascii: "t"): return "\t"
    case UInt8(ascii: "u"):
      let u = try hex4()
      if u >= 0xD800 && u < 0xDC00 {
        // High surrogate: a low one must follow for a valid pair.
        if i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
          let save = i
          i += 2
          let lo = try hex4()
          if lo >= 0xDC00 && lo < 0xE000 {
            return Unicode.Scalar(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
          }
          i = save
        }
        return "\u{FFFD}"
      }
      return Unicode.Scalar(u) ?? "\u{FFFD}"
    default:
      i = start
      throw syntax("invalid escape '\\\(describeByte(e))' in string")
    }
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard let c = peek() else {
        throw syntax("expected 4 hex digits after '\\u', found end of line")
      }
      let d: UInt32
      switch c {
      case 0x30...0x39: d = UInt32(c - 0x30)
      case 0x41...0x46: d = UInt32(c - 0x41 + 10)
      case 0x61...0x66: d = UInt32(c - 0x61 + 10)
      default: throw syntax("expected 4 hex digits after '\\u', found \(describe(at: i))")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }
}
