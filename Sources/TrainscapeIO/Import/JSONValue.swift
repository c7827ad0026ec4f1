import Foundation

/// A parsed JSON document, with object keys kept in file order.
indirect enum JSONValue: Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  var kind: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number: return "a number"
    case .string: return "a string"
    case .array(let a): return "an array of \(a.count)"
    case .object: return "an object"
    }
  }
}

struct JSONObject: Sendable {
  var keys: [String] = []
  var values: [JSONValue] = []
  subscript(_ key: String) -> JSONValue? {
    guard let i = keys.firstIndex(of: key) else { return nil }
    return values[i]
  }
}

/// Why a figure file cannot be read: the file, where in it (a JSON path such as `data[0].z`
/// or `line 3, column 7`), and what was expected.
public struct ImportError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var path: String
  public var message: String
  public init(file: String, path: String, message: String) {
    self.file = file
    self.path = path
    self.message = message
  }
  public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}

/// A strict JSON parser (RFC 8259) into `JSONValue`; also accepts the NaN / Infinity tokens
/// Python's json module writes.
struct JSONParser {
  /// Memory a parsed document may take per byte of JSON text, at most: a number of two bytes
  /// (`1,`) is a boxed enum case (32 bytes) plus its slot in an array (8).
  static let bytesPerByte = 24

  let b: UnsafeBufferPointer<UInt8>
  var i = 0
  let file: String
  var depth = 0

  static func parse(_ bytes: [UInt8], file: String) throws -> JSONValue {
    try bytes.withUnsafeBufferPointer { buf in
      var p = JSONParser(b: buf, file: file)
      p.skipWS()
      let v = try p.value()
      p.skipWS()
      if p.i < buf.count { throw p.error("unexpected \(p.describe()) after the JSON value") }
      return v
    }
  }

  func position() -> String {
    var line = 1, col = 1
    for k in 0..<Swift.min(i, b.count) {
      if b[k] == 0x0A { line += 1; col = 1 } else { col += 1 }
    }
    return "line \(line), column \(col)"
  }

  func describe() -> String {
    guard i < b.count else { return "end of file" }
    let c = b[i]
    if c >= 0x20 && c < 0x7f { return "'\(Character(Unicode.Scalar(c)))'" }
    return String(format: "byte 0x%02x", c)
  }

  func error(_ m: String) -> ImportError {
    ImportError(file: file, path: position(), message: "not valid JSON: \(m)")
  }

  mutating func skipWS() {
    while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
  }

  mutating func value() throws -> JSONValue {
    guard i < b.count else { throw error("unexpected end of file") }
    switch b[i] {
    case UInt8(ascii: "{"):
      depth += 1
      if depth > 512 { throw error("nested too deeply") }
      defer { depth -= 1 }
      i += 1
      var obj = JSONObject()
      skipWS()
      if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
      while true {
        skipWS()
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a key string, found \(describe())") }
        let k = try string()
        skipWS()
        guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(k)\", found \(describe())") }
        i += 1
        skipWS()
        let v = try value()
        obj.keys.append(k)
        obj.values.append(v)
        skipWS()
        guard i < b.count else { throw error("unterminated object") }
        if b[i] == UInt8(ascii: ",") { i += 1; continue }
        if b[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
        throw error("expected ',' or '}' in an object, found \(describe())")
      }
    case UInt8(ascii: "["):
      depth += 1
      if depth > 512 { throw error("nested too deeply") }
      defer { depth -= 1 }
      i += 1
      var arr: [JSONValue] = []
      skipWS()
      if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
      while true {
        skipWS()
        arr.append(try value())
        skipWS()
        guard i < b.count else { throw error("unterminated array") }
        if b[i] == UInt8(ascii: ",") { i += 1; continue }
        if b[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
        throw error("expected ',' or ']' in an array, found \(describe())")
      }
    case UInt8(ascii: "\""):
      return .string(try string())
    case UInt8(ascii: "t"):
      try literal("true"); return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false"); return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null"); return .null
    case UInt8(ascii: "N"):
      try literal("NaN"); return .number(.nan)
    case UInt8(ascii: "I"):
      try literal("Infinity"); return .number(.infinity)
    default:
      return .number(try number())
    }
  }

  mutating func literal(_ word: String) throws {
    let w = Array(word.utf8)
    guard i + w.count <= b.count, Array(b[i..<(i + w.count)]) == w else {
      throw error("unexpected \(describe())")
    }
    i += w.count
  }

  mutating func number() throws -> Double {
    let start = i
    if i < b.count, b[i] == UInt8(ascii: "-") {
      i += 1
      if i < b.count, b[i] == UInt8(ascii: "I") { try literal("Infinity"); return -.infinity }
    }
    var digits = 0
    while i < b.count, b[i] &- 48 < 10 { i += 1; digits += 1 }
    guard digits > 0 else { i = start; throw error("unexpected \(describe())") }
    var simple = true
    if i < b.count, b[i] == UInt8(ascii: ".") {
      simple = false
      i += 1
      var f = 0
      while i < b.count, b[i] &- 48 < 10 { i += 1; f += 1 }
      guard f > 0 else { throw error("expected digits after '.'") }
    }
    if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
      simple = false
      i += 1
      if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
      var e = 0
      while i < b.count, b[i] &- 48 < 10 { i += 1; e += 1 }
      guard e > 0 else { throw error("expected digits in the exponent") }
    }
    if simple && digits <= 15 {
      var v: Int64 = 0
      var k = start
      let neg = b[k] == UInt8(ascii: "-")
      if neg { k += 1 }
      while k < i { v = v * 10 + Int64(b[k] - 48); k += 1 }
      return neg ? -Double(v) : Double(v)
    }
    // strtod on a NUL-terminated copy: correctly rounded.
    var tmp = [CChar](repeating: 0, count: i - start + 1)
    for k in start..<i { tmp[k - start] = CChar(bitPattern: b[k]) }
    return strtod(tmp, nil)
  }

  mutating func string() throws -> String {
    i += 1  // opening quote
    var out: [UInt8] = []
    while true {
      guard i < b.count else { throw error("unterminated string") }
      let c = b[i]
      if c == UInt8(ascii: "\"") { i += 1; break }
      if c < 0x20 { throw error("control character in a string") }
      if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
      i += 1
      guard i < b.count else { throw error("unterminated string") }
      let e = b[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var u = try hex4()
        // A high surrogate followed by a low one is one scalar; a lone surrogate (Python's
        // json writes them) is U+FFFD, and a `\u` escape after it that is not a low surrogate
        // is read on its own, as JSONLineParser does.
        if (0xD800..<0xDC00).contains(u), i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
          let save = i
          i += 2
          let lo = try hex4()
          if (0xDC00..<0xE000).contains(lo) {
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
          } else {
            i = save
          }
        }
        let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      default: throw error("bad escape in a string")
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  mutating func hex4() throws -> UInt32 {
    guard i + 4 <= b.count else { throw error("bad \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let c = b[i]
      let d: UInt32
      switch c {
      case 48...57: d = UInt32(c - 48)
      case 65...70: d = UInt32(c - 55)
      case 97...102: d = UInt32(c - 87)
      default: throw error("bad \\u escape")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }
}

/// A JSON value with its path in the document, for error messages like `data[0].z: expected ...`.
struct JSONNode {
  var value: JSONValue
  var path: String
  var file: String

  func fail(_ expected: String) -> ImportError {
    ImportError(file: file, path: path, message: "expected \(expected), found \(value.kind)")
  }

  subscript(_ key: String) -> JSONNode? {
    guard case .object(let o) = value, let v = o[key] else { return nil }
    if case .null = v { return nil }
    return JSONNode(value: v, path: path.isEmpty ? key : "\(path).\(key)", file: file)
  }

  var elements: [JSONNode]? {
    guard case .array(let a) = value else { return nil }
    return a.enumerated().map { JSONNode(value: $1, path: "\(path)[\($0)]", file: file) }
  }

  func array(_ what: String = "an array") throws -> [JSONNode] {
    guard let e = elements else { throw fail(what) }
    return e
  }

  var isObject: Bool { if case .object = value { return true } else { return false } }

  var string: String? { if case .string(let s) = value { return s } else { return nil } }
  var double: Double? { if case .number(let d) = value { return d } else { return nil } }
  /// A number as plotly.js's attributes take one: a JSON number, or a string that is one
  /// ("50", " 1e3 "), as its `isNumeric` accepts.
  var numeric: Double? {
    if let d = double { return d }
    guard let s = string?.trimmingCharacters(in: .whitespaces), !s.isEmpty, let d = Double(s), d.isFinite else { return nil }
    return d
  }
  var bool: Bool? { if case .bool(let v) = value { return v } else { return nil } }

  func number(_ what: String = "a number") throws -> Double {
    guard let d = double else { throw fail(what) }
    return d
  }

  /// Plotly text: a string, or `{"text": string}` (titles).
  /// A Plotly title (a string or {"text": ...}) as plain text: `<br>`, `<sup>`, `<b>`, ... as
  /// `PlotlyText.plain` turns them.
  var text: String? {
    if let s = string { return PlotlyText.plain(s) }
    return self["text"]?.string.map(PlotlyText.plain)
  }
}

// MARK: - Lookups used by the metric readers (trainer_state.json, W&B value_json)

extension JSONValue {
  /// The member `key` of an object (nil for other values or a missing key).
  subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
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
}

extension JSONObject {
  /// Members in document order.
  var members: [(String, JSONValue)] { Array(zip(keys, values)) }
}
