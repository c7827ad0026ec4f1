import Foundation

// The runtime's shortest round-trip formatter, the one behind `Double.description` (SwiftDtoa).
// Calling it directly writes digits straight into our buffer without making a String per number.
// Output is e.g. "0.1", "1.0", "1e-05", "1.5e+20": all valid JSON numbers.
@_silgen_name("swift_float64ToString")
private func _swiftFloat64ToString(
  _ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt, _ value: Float64, _ debug: Bool
) -> UInt64

/// A byte-level JSON writer: appends tokens to a `[UInt8]` with no intermediate strings.
/// Non-finite numbers are written as `null`, as plotly.py's encoder does for NaN.
struct JSONWriter {
  var bytes: [UInt8] = []
  /// Significant digits for numbers; nil writes the shortest text that reads back exactly.
  var precision: Int?

  init(capacity: Int = 1 << 16, precision: Int? = nil) {
    bytes.reserveCapacity(capacity)
    self.precision = precision
  }

  @inline(__always) mutating func raw(_ s: StaticString) {
    s.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

  mutating func string(_ s: String) {
    bytes.append(UInt8(ascii: "\""))
    for c in s.utf8 {
      switch c {
      case UInt8(ascii: "\""): raw("\\\"")
      case UInt8(ascii: "\\"): raw("\\\\")
      case 0x0A: raw("\\n")
      case 0x0D: raw("\\r")
      case 0x09: raw("\\t")
      case 0..<0x20:
        raw("\\u00")
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        bytes.append(hex[Int(c >> 4)])
        bytes.append(hex[Int(c & 0xf)])
      // "</" inside a <script> element would end it in the HTML page; "<\/" means the same in JSON.
      case UInt8(ascii: "/") where bytes.last == UInt8(ascii: "<"): raw("\\/")
      default: bytes.append(c)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// `"key":`
  mutating func key(_ k: StaticString) {
    bytes.append(UInt8(ascii: "\""))
    raw(k)
    raw("\":")
  }

  mutating func int(_ v: Int) {
    if v < 0 {
      bytes.append(UInt8(ascii: "-"))
      uint(v == Int.min ? UInt64(Int.max) + 1 : UInt64(-v))
    } else {
      uint(UInt64(v))
    }
  }

  @inline(__always) mutating func uint(_ v: UInt64) {
    if v < 10 {
      bytes.append(UInt8(truncatingIfNeeded: v) &+ 48)
      return
    }
    var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
    var n = v
    withUnsafeMutableBytes(of: &tmp) { buf in
      var i = 24
      while n > 0 {
        i -= 1
        buf[i] = UInt8(truncatingIfNeeded: n % 10) &+ 48
        n /= 10
      }
      bytes.append(contentsOf: buf[i..<24])
    }
  }

  /// A number; integers of magnitude below 2^53 are written without a fraction ("3", not "3.0").
  @inline(__always) mutating func number(_ v: Double) {
    guard v.isFinite else {
      raw("null")
      return
    }
    if let p = precision {
      fixedPrecision(v, p)
      return
    }
    if v == v.rounded(.towardZero) && Swift.abs(v) < 9_007_199_254_740_992 {
      if v == 0 && v.sign == .minus {
        raw("-0.0")
        return
      }
      int(Int(v))
      return
    }
    // Pre-filled with ASCII '0': for some 17-digit values below 1 the runtime leaves the leading
    // "0" of "0.xxx" to the caller's buffer (Double.description pre-fills it the same way).
    let zeros: UInt64 = 0x3030_3030_3030_3030
    var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64) = (zeros, zeros, zeros, zeros, zeros)  // 40 bytes
    let ok = withUnsafeMutableBytes(of: &scratch) { buf -> Bool in
      let p = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
      let n = Int(_swiftFloat64ToString(p, 40, v, false))
      guard n > 0 && n < 40 else { return false }
      // Only digits, '.', 'e', '+', '-' may come out; anything else falls back to description.
      for k in 0..<n {
        let c = p[k]
        if !(c &- 48 < 10 || c == 46 || c == 101 || c == 43 || c == 45) { return false }
      }
      bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
      return true
    }
    if !ok { bytes.append(contentsOf: Array(v.description.utf8)) }
  }

  private mutating func fixedPrecision(_ v: Double, _ p: Int) {
    var scratch = [CChar](repeating: 0, count: 48)
    let n = scratch.withUnsafeMutableBufferPointer { buf in
      withVaList([Int32(Swift.max(1, Swift.min(17, p))), v]) { vsnprintf(buf.baseAddress!, 48, "%.*g", $0) }
    }
    var text = scratch[0..<Int(n)].map { UInt8(bitPattern: $0) }
    // C writes "1e-05"; JSON accepts it. A bare "inf" cannot occur (finite checked above).
    if text.first == UInt8(ascii: ".") { text.insert(UInt8(ascii: "0"), at: 0) }
    bytes.append(contentsOf: text)
  }

  mutating func numbers(_ values: some Collection<Double>) {
    bytes.append(UInt8(ascii: "["))
    var first = true
    for v in values {
      if !first { bytes.append(UInt8(ascii: ",")) }
      first = false
      number(v)
    }
    bytes.append(UInt8(ascii: "]"))
  }

  mutating func ints(_ values: [Int32]) {
    bytes.append(UInt8(ascii: "["))
    for (n, v) in values.enumerated() {
      if n > 0 { bytes.append(UInt8(ascii: ",")) }
      int(Int(v))
    }
    bytes.append(UInt8(ascii: "]"))
  }

  mutating func strings(_ values: [String]) {
    bytes.append(UInt8(ascii: "["))
    for (n, v) in values.enumerated() {
      if n > 0 { bytes.append(UInt8(ascii: ",")) }
      string(v)
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Appends the base64 (RFC 4648, padded) of `data`.
  mutating func base64(_ data: UnsafeRawBufferPointer) {
    bytes.append(contentsOf: Base64.encode(data))
  }
}

enum Base64 {
  static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  static func encode(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    let n = data.count
    let outCount = (n + 2) / 3 * 4
    return [UInt8](unsafeUninitializedCapacity: outCount) { out, written in
      alphabet.withUnsafeBufferPointer { a in
        var i = 0, o = 0
        while i + 3 <= n {
          let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
          out[o] = a[Int(v >> 18)]
          out[o + 1] = a[Int((v >> 12) & 63)]
          out[o + 2] = a[Int((v >> 6) & 63)]
          out[o + 3] = a[Int(v & 63)]
          i += 3
          o += 4
        }
        let rest = n - i
        if rest > 0 {
          let v = UInt32(data[i]) << 16 | (rest > 1 ? UInt32(data[i + 1]) << 8 : 0)
          out[o] = a[Int(v >> 18)]
          out[o + 1] = a[Int((v >> 12) & 63)]
          out[o + 2] = rest > 1 ? a[Int((v >> 6) & 63)] : UInt8(ascii: "=")
          out[o + 3] = UInt8(ascii: "=")
          o += 4
        }
        written = o
      }
    }
  }

  /// Decodes standard base64 (whitespace ignored); nil on any other character or bad length.
  static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
    var table = [Int16](repeating: -1, count: 256)
    for (i, c) in alphabet.enumerated() { table[Int(c)] = Int16(i) }
    table[Int(UInt8(ascii: "-"))] = 62  // base64url too
    table[Int(UInt8(ascii: "_"))] = 63
    var out: [UInt8] = []
    out.reserveCapacity(text.count / 4 * 3)
    var acc: UInt32 = 0, bits = 0, pad = 0
    for c in text {
      if c == UInt8(ascii: "=") { pad += 1; continue }
      if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { continue }
      let v = table[Int(c)]
      if v < 0 || pad > 0 { return nil }
      acc = (acc << 6) | UInt32(v)
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
      }
    }
    return out
  }
}
