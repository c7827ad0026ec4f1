/// A small JSON value parser for whole documents that are not metric lines
/// (`trainer_state.json`, W&B `value_json` fragments). It accepts Python's
/// `NaN`, `Infinity` and `-Infinity` tokens, which Foundation's
/// `JSONSerialization` rejects on Linux.
enum JSONValue: Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  /// Members in document order.
  case object([(String, JSONValue)])

  static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  subscript(key: String) -> JSONValue? {
    if case .object(let m) = self { return m.first { $0.0 == key }?.1 }
    return nil
  }

  /// A number, or a boolean as 1/0.
  var numeric: Double? {
    switch self {
    case .number(let d): return d
    case .bool(let b): return b ? 1 : 0
    default: return nil
    }
  }

  struct ParseError: Error {
    var offset: Int
    var message: String
  }

  static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
    try bytes.withUnsafeBufferPointer { b throws(ParseError) in
      var p = MiniJSONParser(b: b)
      if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { p.i = 3 }
      p.ws()
      let v = try p.value(depth: 0)
      p.ws()
      if p.i < b.count { throw p.fail("expected end of document, found \(p.describe())") }
      return v
    }
  }

  static func parse(_ text: String) throws(ParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }
}

private struct MiniJSONParser {
  let b: UnsafeBufferPointer<UInt8>
  var i = 0

  func fail(_ m: String) -> JSONValue.ParseError { .init(offset: i, message: m) }

  func describe() -> String {
    guard i < b.count else { return "end of input" }
    let c = b[i]
    return c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte \(c)"
  }

  mutating func ws() {
    while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
  }

  mutating func word(_ w: String) -> Bool {
    let u = Array(w.utf8)
    guard i + u.count <= b.count else { return false }
    for k in 0..<u.count where b[i + k] != u[k] { return false }
    i += u.count
    return true
  }

  mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
    guard depth < 512 else { throw fail("nesting deeper than 512 levels") }
    guard i < b.count else { throw fail("expected a JSON value, found end of input") }
    switch b[i] {
    case UInt8(ascii: "{"):
      i += 1
      ws()
      var members: [(String, JSONValue)] = []
      if i < b.count, b[i] == UInt8(ascii: "}") {
        i += 1
        return .object(members)
      }
      while true {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else {
          throw fail("expected '\"' to start an object key, found \(describe())")
        }
        let k = try string()
        ws()
        guard i < b.count, b[i] == UInt8(ascii: ":") else {
          throw fail("expected ':' after object key, found \(describe())")
        }
        i += 1
        ws()
        members.append((k, try value(depth: depth + 1)))
        ws()
        guard i < b.count else { throw fail("expected ',' or '}', found end of input") }
        if b[i] == UInt8(ascii: ",") {
          i += 1
          ws()
        } else if b[i] == UInt8(ascii: "}") {
          i += 1
          return .object(members)
        } else {
          throw fail("expected ',' or '}' after object member, found \(describe())")
        }
      }
    case UInt8(ascii: "["):
      i += 1
      ws()
      var items: [JSONValue] = []
      if i < b.count, b[i] == UInt8(ascii: "]") {
        i += 1
        return .array(items)
      }
      while true {
        items.append(try value(depth: depth + 1))
        ws()
        guard i < b.count else { throw fail("expected ',' or ']', found end of input") }
        if b[i] == UInt8(ascii: ",") {
          i += 1
          ws()
        } else if b[i] == UInt8(ascii: "]") {
          i += 1
          return .array(items)
        } else {
          throw fail("expected ',' or ']' after array element, found \(describe())")
        }
      }
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      if word("true") { return .bool(true) }
    case UInt8(ascii: "f"):
      if word("false") { return .bool(false) }
    case UInt8(ascii: "n"):
      if word("null") { return .null }
    case UInt8(ascii: "N"):
      if word("NaN") { return .number(.nan) }
    case UInt8(ascii: "I"):
      if word("Infinity") { return .number(.infinity) }
    default:
      if b[i] == UInt8(ascii: "-") || (b[i] >= 0x30 && b[i] <= 0x39) {
        if b[i] == UInt8(ascii: "-"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "I") {
          i += 1
          if word("Infinity") { return .number(-.infinity) }
          i -= 1
          throw fail("expected a JSON value, found '-'")
        }
        return .number(try number())
      }
    }
    throw fail("expected a JSON value, found \(describe())")
  }

  mutating func number() throws(JSONValue.ParseError) -> Double {
    let start = i
    if b[i] == UInt8(ascii: "-") { i += 1 }
    func digits(_ p: inout MiniJSONParser) -> Int {
      let s = p.i
      while p.i < p.b.count, p.b[p.i] >= 0x30, p.b[p.i] <= 0x39 { p.i += 1 }
      return p.i - s
    }
    guard digits(&self) > 0 else { throw fail("expected a digit, found \(describe())") }
    if i < b.count, b[i] == UInt8(ascii: ".") {
      i += 1
      guard digits(&self) > 0 else { throw fail("expected a digit after '.', found \(describe())") }
    }
    if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
      i += 1
      if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
      guard digits(&self) > 0 else { throw fail("expected a digit in the exponent, found \(describe())") }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    guard let d = Double(text) else { throw JSONValue.ParseError(offset: start, message: "invalid number \(text)") }
    return d
  }

  mutating func string() throws(JSONValue.ParseError) -> String {
    i += 1
    var out: [UInt8] = []
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        return String(decoding: out, as: UTF8.self)
      }
      if c < 0x20 { throw fail("unescaped control character in string") }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      i += 1
      guard i < b.count else { break }
      let e = b[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "u"):
        var u: UInt32 = try hex4()
        if u >= 0xD800, u < 0xDC00, i + 1 < b.count, b[i] == UInt8(ascii: "\\"),
          b[i + 1] == UInt8(ascii: "u")
        {
          let save = i
          i += 2
          let lo = try hex4()
          if lo >= 0xDC00, lo < 0xE000 {
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
          } else {
            i = save
          }
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(u) ?? "\u{FFFD}")).utf8))
      default: throw fail("invalid escape in string")
      }
    }
    throw fail("unterminated string, found end of input")
  }

  mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard i < b.count else { throw fail("expected 4 hex digits after '\\u'") }
      let c = b[i]
      let d: UInt32
      switch c {
      case 0x30...0x39: d = UInt32(c - 0x30)
      case 0x41...0x46: d = UInt32(c - 0x41 + 10)
      case 0x61...0x66: d = UInt32(c - 0x61 + 10)
      default: throw fail("expected 4 hex digits after '\\u'")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }
}
