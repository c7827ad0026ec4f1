#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ColumnarTFRecord {
  /// Byte keys interned by hash (FNV-1a), each with its string.
  struct Interner {
    private var bytes: [UInt8] = []
    private var ends: [Int] = [0]
    private(set) var names: [String] = []
    private var slots = [Int32](repeating: -1, count: 64)

    /// The id of `p[0..<n]`, nil when the bytes are not valid UTF-8 (a new key only).
    mutating func id(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      for k in 0..<n { h = (h ^ UInt64(p[k])) &* 0x100_0000_01b3 }
      let mask = slots.count - 1
      var s = Int(truncatingIfNeeded: h) & mask
      while true {
        let e = Int(slots[s])
        if e < 0 { break }
        let lo = ends[e], len = ends[e + 1] - lo
        if len == n && (n == 0 || bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + lo, p, n) == 0 }) { return e }
        s = (s + 1) & mask
      }
      let buffer = UnsafeBufferPointer(start: p, count: n)
      guard let name = String(validating: buffer, as: UTF8.self) else { return nil }
      let e = names.count
      names.append(name)
      bytes.append(contentsOf: buffer)
      ends.append(bytes.count)
      slots[s] = Int32(e)
      if names.count * 2 > slots.count { rehash() }
      return e
    }

    /// Whether key `e` is the bytes `p[0..<n]`.
    @inline(__always)
    func matches(_ e: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
      let lo = ends[e]
      return ends[e + 1] - lo == n && (n == 0 || bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + lo, p, n) == 0 })
    }

    private mutating func rehash() {
      slots = [Int32](repeating: -1, count: slots.count * 2)
      let mask = slots.count - 1
      for e in names.indices {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in ends[e]..<ends[e + 1] { h = (h ^ UInt64(bytes[k])) &* 0x100_0000_01b3 }
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(e)
      }
    }
  }
}

/// Reads protobuf wire format from a byte range: tags, varints, fixed fields and
/// length-delimited ranges (relative to the start), each nil when malformed or past the end.
struct WireReader {
  private let p: UnsafePointer<UInt8>
  private let n: Int
  private var i = 0

  init(_ p: UnsafePointer<UInt8>, _ n: Int) {
    self.p = p
    self.n = n
  }

  var atEnd: Bool { i >= n }

  @inline(__always)
  mutating func varint() -> UInt64? {
    var v: UInt64 = 0
    var shift: UInt64 = 0
    while i < n && shift < 64 {
      let b = p[i]
      i += 1
      v |= UInt64(b & 0x7F) << shift
      if b < 0x80 { return v }
      shift += 7
    }
    return nil
  }

  /// Where the next read starts.
  var offset: Int { i }

  /// The next tag as it is: field number and wire type, unchecked; nil when its varint is
  /// malformed.
  @inline(__always)
  mutating func rawTag() -> (field: UInt64, wire: Int)? {
    guard let t = varint() else { return nil }
    return (t >> 3, Int(t & 7))
  }

  /// The next field number and wire type; nil for field 0, a group or a malformed tag.
  @inline(__always)
  mutating func tag() -> (Int, Int)? {
    guard let (field, wire) = rawTag(), field > 0, field < (1 << 29) else { return nil }
    guard wire == 0 || wire == 1 || wire == 2 || wire == 5 else { return nil }
    return (Int(field), wire)
  }

  mutating func fixed32() -> UInt32? {
    guard n - i >= 4 else { return nil }
    defer { i += 4 }
    return UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self).littleEndian
  }

  mutating func lengthDelimited() -> Range<Int>? {
    guard let l = varint(), l <= UInt64(n - i) else { return nil }
    let r = i..<(i + Int(l))
    i += Int(l)
    return r
  }

  mutating func skip(wire: Int) -> Bool {
    switch wire {
    case 0: return varint() != nil
    case 1:
      guard n - i >= 8 else { return false }
      i += 8
      return true
    case 2: return lengthDelimited() != nil
    case 5: return fixed32() != nil
    default: return false
    }
  }
}
