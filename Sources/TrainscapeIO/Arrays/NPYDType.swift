/// The element types `.npy` files may hold here, with their byte order.
struct NPYDType: Equatable {
  enum Kind: Equatable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool
  }
  var kind: Kind
  /// True when the stored bytes are in the opposite order from this machine's.
  var swapped: Bool

  var itemSize: Int {
    switch kind {
    case .int8, .uint8, .bool: return 1
    case .float16, .int16, .uint16: return 2
    case .float32, .int32, .uint32: return 4
    case .float64, .int64, .uint64: return 8
    }
  }

  /// Parses a numpy type string such as "<f4", ">i8", "|b1", "|u1"; fails
  /// with a reason (e.g. "complex") for the types this reader does not read.
  static func parse(_ descr: String) -> Result<NPYDType, Unsupported> {
    let chars = Array(descr)
    guard chars.count >= 3 else { return .failure(Unsupported(descr: descr, what: "malformed")) }
    let hostLittle = 1.littleEndian == 1
    let little: Bool?
    switch chars[0] {
    case "<": little = true
    case ">": little = false
    case "|": little = nil
    case "=": little = hostLittle
    default: return .failure(Unsupported(descr: descr, what: "unknown byte order '\(chars[0])'"))
    }
    let code = chars[1]
    guard let size = Int(String(chars[2...])) else {
      return .failure(Unsupported(descr: descr, what: "malformed"))
    }
    let kind: Kind?
    switch (code, size) {
    case ("f", 2): kind = .float16
    case ("f", 4): kind = .float32
    case ("f", 8): kind = .float64
    case ("i", 1): kind = .int8
    case ("i", 2): kind = .int16
    case ("i", 4): kind = .int32
    case ("i", 8): kind = .int64
    case ("u", 1): kind = .uint8
    case ("u", 2): kind = .uint16
    case ("u", 4): kind = .uint32
    case ("u", 8): kind = .uint64
    case ("b", 1), ("?", 1): kind = .bool
    case ("f", _): return .failure(Unsupported(descr: descr, what: "float\(size * 8)"))
    case ("c", _): return .failure(Unsupported(descr: descr, what: "complex"))
    case ("O", _): return .failure(Unsupported(descr: descr, what: "Python objects"))
    case ("U", _), ("S", _), ("a", _): return .failure(Unsupported(descr: descr, what: "strings"))
    case ("V", _): return .failure(Unsupported(descr: descr, what: "raw void records"))
    case ("M", _), ("m", _): return .failure(Unsupported(descr: descr, what: "datetimes"))
    default: kind = nil
    }
    guard let kind else { return .failure(Unsupported(descr: descr, what: "unknown type")) }
    let dtype = NPYDType(kind: kind, swapped: false)
    if dtype.itemSize > 1 {
      guard let little else {
        return .failure(Unsupported(descr: descr, what: "multi-byte type without a byte order"))
      }
      return .success(NPYDType(kind: kind, swapped: little != hostLittle))
    }
    return .success(dtype)
  }

  struct Unsupported: Error {
    var descr: String
    var what: String
  }

  /// Converts `count` elements starting at `source`, `sourceStride` bytes
  /// apart, to doubles written `destinationStride` elements apart.
  func convert(
    _ source: UnsafeRawPointer, sourceStride: Int, count: Int,
    into destination: UnsafeMutablePointer<Double>, destinationStride: Int = 1
  ) {
    @inline(__always)
    func run<T: FixedWidthInteger>(_: T.Type, _ map: (T) -> Double) {
      var s = 0, d = 0
      if swapped {
        for _ in 0..<count {
          destination[d] = map(source.loadUnaligned(fromByteOffset: s, as: T.self).byteSwapped)
          s += sourceStride
          d += destinationStride
        }
      } else {
        for _ in 0..<count {
          destination[d] = map(source.loadUnaligned(fromByteOffset: s, as: T.self))
          s += sourceStride
          d += destinationStride
        }
      }
    }
    switch kind {
    case .float16: run(UInt16.self, NPYDType.halfToDouble)
    case .float32: run(UInt32.self) { Double(Float(bitPattern: $0)) }
    case .float64: run(UInt64.self) { Double(bitPattern: $0) }
    case .int8: run(Int8.self) { Double($0) }
    case .int16: run(Int16.self) { Double($0) }
    case .int32: run(Int32.self) { Double($0) }
    case .int64: run(Int64.self) { Double($0) }
    case .uint8: run(UInt8.self) { Double($0) }
    case .uint16: run(UInt16.self) { Double($0) }
    case .uint32: run(UInt32.self) { Double($0) }
    case .uint64: run(UInt64.self) { Double($0) }
    case .bool: run(UInt8.self) { $0 == 0 ? 0 : 1 }
    }
  }

  /// IEEE 754 binary16 -> Double (exact; NaN stays NaN).
  static func halfToDouble(_ h: UInt16) -> Double {
    let negative = h & 0x8000 != 0
    let exponent = Int((h >> 10) & 0x1F)
    let fraction = Double(h & 0x3FF)
    let magnitude: Double
    switch exponent {
    case 0: magnitude = fraction * 0x1p-24
    case 31: magnitude = fraction == 0 ? .infinity : .nan
    default: magnitude = (1024 + fraction) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
    }
    return negative ? -magnitude : magnitude
  }
}
