/// Reads and checks a `.npy` header: the magic string, the version, the
/// header length and the Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
enum NPYHeaderParser {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
  /// Longest header accepted (numpy writes a few hundred bytes at most for
  /// the dtypes read here).
  static let maxHeaderLength = 1 << 20

  static func read(_ file: RawFile) throws -> (NPYHeader, NPYDType) {
    let path = file.path
    func fail(_ offset: Int, _ message: String) -> ArrayFileError {
      ArrayFileError(file: path, offset: offset, message: message)
    }
    let prefix = try file.bytes(at: 0, count: min(file.size, 12))
    for (i, m) in magic.enumerated() {
      guard i < prefix.count else {
        throw fail(prefix.count, "file ended inside the magic string; expected \\x93NUMPY (not a .npy file?)")
      }
      guard prefix[i] == m else {
        throw fail(
          i, "expected the magic string \\x93NUMPY of a .npy file, found byte 0x\(String(prefix[i], radix: 16))")
      }
    }
    guard prefix.count >= 8 else { throw fail(prefix.count, "file ended before the format version") }
    let major = Int(prefix[6]), minor = Int(prefix[7])
    let lengthSize: Int
    switch major {
    case 1: lengthSize = 2
    case 2, 3: lengthSize = 4
    default:
      throw fail(6, "unsupported .npy format version \(major).\(minor); expected 1.0, 2.0 or 3.0")
    }
    let headerStart = 8 + lengthSize
    guard prefix.count >= headerStart else {
      throw fail(prefix.count, "file ended inside the header length (expected \(lengthSize) bytes at byte 8)")
    }
    var headerLength = 0
    for i in (0..<lengthSize).reversed() { headerLength = headerLength << 8 | Int(prefix[8 + i]) }
    guard headerLength <= maxHeaderLength else {
      throw fail(8, "header length \(headerLength) is implausible; expected at most \(maxHeaderLength) bytes")
    }
    guard headerStart + headerLength <= file.size else {
      throw fail(
        file.size,
        "truncated header: expected \(headerLength) header bytes from byte \(headerStart), file ends at byte \(file.size)")
    }
    let text = try file.bytes(at: headerStart, count: headerLength)
    var parser = DictParser(bytes: text, base: headerStart, path: path)
    let dict = try parser.parseHeader()

    func entry(_ key: String) throws -> (PyValue, Int) {
      guard let v = dict[key] else {
        throw fail(headerStart, "header dict has no '\(key)' key; expected 'descr', 'fortran_order' and 'shape'")
      }
      return v
    }
    let (descrValue, descrOffset) = try entry("descr")
    let descr: String
    switch descrValue {
    case .string(let s): descr = s
    case .list:
      throw fail(descrOffset, "unsupported dtype: structured (record) arrays; expected a numeric dtype such as '<f4'")
    default: throw fail(descrOffset, "expected 'descr' to be a type string such as '<f4'")
    }
    let dtype: NPYDType
    switch NPYDType.parse(descr) {
    case .success(let d): dtype = d
    case .failure(let u):
      throw fail(
        descrOffset,
        "unsupported dtype '\(u.descr)' (\(u.what)); expected float16/32/64, int8/16/32/64, uint8/16/32/64 or bool")
    }
    let (orderValue, orderOffset) = try entry("fortran_order")
    guard case .bool(let fortranOrder) = orderValue else {
      throw fail(orderOffset, "expected 'fortran_order' to be True or False")
    }
    let (shapeValue, shapeOffset) = try entry("shape")
    guard case .tuple(let items) = shapeValue else {
      throw fail(shapeOffset, "expected 'shape' to be a tuple of non-negative integers")
    }
    var shape: [Int] = []
    var count = 1
    for item in items {
      guard case .int(let n) = item, n >= 0 else {
        throw fail(shapeOffset, "expected 'shape' to be a tuple of non-negative integers")
      }
      shape.append(n)
      let (c, overflow) = count.multipliedReportingOverflow(by: n)
      guard !overflow else { throw fail(shapeOffset, "shape \(NPYFile.describe(shape)) has too many elements") }
      count = c
    }
    let dataOffset = headerStart + headerLength
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
    guard !overflow, bytes <= file.size - dataOffset else {
      throw fail(
        file.size,
        "truncated data: shape \(NPYFile.describe(shape)) of '\(descr)' needs \(overflow ? "more than \(Int.max)" : "\(bytes)") bytes from byte \(dataOffset), but the file ends at byte \(file.size)"
      )
    }
    let header = NPYHeader(
      shape: shape, descr: descr, fortranOrder: fortranOrder, dataOffset: dataOffset,
      itemSize: dtype.itemSize)
    return (header, dtype)
  }

  // MARK: - Python literal subset

  indirect enum PyValue {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyValue])
    case list([PyValue])
    case dict
  }

  /// Parses the header's dict literal; values are strings, ints (an old
  /// Python 2 trailing `L` is accepted), True/False/None, tuples, lists and
  /// nested dicts (kept only as `.dict`, for structured dtypes' metadata).
  struct DictParser {
    let bytes: [UInt8]
    let base: Int
    let path: String
    var i = 0

    init(bytes: [UInt8], base: Int, path: String) {
      self.bytes = bytes
      self.base = base
      self.path = path
    }

    func fail(_ message: String) -> ArrayFileError {
      ArrayFileError(file: path, offset: base + i, message: message)
    }

    func found() -> String {
      guard i < bytes.count else { return "end of header" }
      let b = bytes[i]
      return b >= 0x20 && b < 0x7F ? "'\(Character(UnicodeScalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    mutating func skipSpace() {
      while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D {
        i += 1
      }
    }

    mutating func expect(_ c: UInt8, _ what: String) throws {
      skipSpace()
      guard i < bytes.count, bytes[i] == c else { throw fail("expected \(what) in the header dict, found \(found())") }
      i += 1
    }

    mutating func parseHeader() throws -> [String: (PyValue, Int)] {
      try expect(UInt8(ascii: "{"), "'{'")
      var out: [String: (PyValue, Int)] = [:]
      while true {
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          break
        }
        guard case .string(let key) = try value() else {
          throw fail("expected a string key in the header dict")
        }
        try expect(UInt8(ascii: ":"), "':'")
        skipSpace()
        let at = base + i
        out[key] = (try value(), at)
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: ",") {
          i += 1
        } else if !(i < bytes.count && bytes[i] == UInt8(ascii: "}")) {
          throw fail("expected ',' or '}' in the header dict, found \(found())")
        }
      }
      return out
    }

    mutating func value(depth: Int = 0) throws -> PyValue {
      skipSpace()
      guard depth < 32 else { throw fail("header nested too deeply") }
      guard i < bytes.count else { throw fail("expected a value in the header dict, found end of header") }
      let c = bytes[i]
      switch c {
      case UInt8(ascii: "'"), UInt8(ascii: "\""):
        i += 1
        var s: [UInt8] = []
        while i < bytes.count, bytes[i] != c {
          if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count { i += 1 }
          s.append(bytes[i])
          i += 1
        }
        guard i < bytes.count else { throw fail("unterminated string in the header dict") }
        i += 1
        return .string(String(decoding: s, as: UTF8.self))
      case UInt8(ascii: "("), UInt8(ascii: "["):
        let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
        i += 1
        var items: [PyValue] = []
        while true {
          skipSpace()
          if i < bytes.count, bytes[i] == close {
            i += 1
            break
          }
          items.append(try value(depth: depth + 1))
          skipSpace()
          if i < bytes.count, bytes[i] == UInt8(ascii: ",") {
            i += 1
          } else if !(i < bytes.count && bytes[i] == close) {
            throw fail("expected ',' or '\(Character(UnicodeScalar(close)))' in the header, found \(found())")
          }
        }
        return c == UInt8(ascii: "(") ? .tuple(items) : .list(items)
      case UInt8(ascii: "{"):
        // Nested dicts only appear in structured dtypes' metadata: skip.
        var level = 0
        repeat {
          if bytes[i] == UInt8(ascii: "{") { level += 1 }
          if bytes[i] == UInt8(ascii: "}") { level -= 1 }
          i += 1
        } while i < bytes.count && level > 0
        guard level == 0 else { throw fail("unterminated dict in the header") }
        return .dict
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
        let start = i
        i += 1
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        let digits = String(decoding: bytes[start..<i], as: UTF8.self)
        if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }
        guard let n = Int(digits) else {
          i = start
          throw fail("expected an integer that fits in 64 bits, found '\(digits)'")
        }
        return .int(n)
      default:
        let start = i
        while i < bytes.count, (bytes[i] | 0x20) >= UInt8(ascii: "a"), (bytes[i] | 0x20) <= UInt8(ascii: "z") {
          i += 1
        }
        switch String(decoding: bytes[start..<i], as: UTF8.self) {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
          i = start
          throw fail("expected a Python literal in the header dict, found \(found())")
        }
      }
    }
  }
}
