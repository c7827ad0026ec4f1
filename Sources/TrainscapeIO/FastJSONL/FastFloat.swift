import Foundation

/// Correctly rounded decimal -> binary64 conversion for JSON number tokens.
///
/// The fast paths, in order: an integer of up to 18 digits (exact in Int64, one rounding to
/// Double); Clinger's exact path (a mantissa below 2^53 times an exact power of ten up to
/// 10^22); the Eisel-Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per Second",
/// 2021; the fast_float library's formulation) with its 128-bit table of powers of five.
/// The rare tokens those cannot decide (more than 19 significant digits, or an Eisel-Lemire
/// product too close to a rounding boundary) go to the C library's `strtod`, which is
/// correctly rounded too. Results are bit-exact with Python's `float()` (tested on a million
/// random and adversarial literals, subnormals and exponent limits included).
enum FastFloat {
  /// The result of scanning a JSON number at `p[i]`.
  struct Scanned {
    var value: Double
    /// The exact integer when the token is an integer literal that fits Int64.
    var integer: Int64?
    /// The index just past the token.
    var end: Int
  }

  private static let exactPowers: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// Scans a JSON number (RFC 8259 grammar, no NaN/Infinity) starting at `start`; nil when
  /// the bytes there are not a valid number (the caller reports the error).
  @inline(__always)
  static func scan(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Scanned? {
    var i = start
    var negative = false
    if i < n && p[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    guard i < n, p[i] &- 0x30 < 10 else { return nil }
    var mantissa: UInt64 = 0
    let intStart = i
    if p[i] == UInt8(ascii: "0") {
      i += 1
    } else {
      while n - i >= 8, let eight = eightDigits(p + i) {
        mantissa = mantissa &* 100_000_000 &+ eight
        i += 8
      }
      while i < n, p[i] &- 0x30 < 10 {
        mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
        i += 1
      }
    }
    let intDigits = i - intStart
    var fracDigits = 0
    var integral = true
    if i < n && p[i] == UInt8(ascii: ".") {
      integral = false
      i += 1
      let fs = i
      while n - i >= 8, let eight = eightDigits(p + i) {
        mantissa = mantissa &* 100_000_000 &+ eight
        i += 8
      }
      while i < n, p[i] &- 0x30 < 10 {
        mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
        i += 1
      }
      fracDigits = i - fs
      if fracDigits == 0 { return nil }
    }
    var exp10 = 0
    if i < n && (p[i] | 0x20) == UInt8(ascii: "e") {
      integral = false
      i += 1
      var eneg = false
      if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) {
        eneg = p[i] == UInt8(ascii: "-")
        i += 1
      }
      guard i < n, p[i] &- 0x30 < 10 else { return nil }
      var e = 0
      while i < n, p[i] &- 0x30 < 10 {
        if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
        i += 1
      }
      exp10 = eneg ? -e : e
    }
    if integral && intDigits <= 18 {
      let v = Int64(mantissa)
      if v == 0 && negative { return Scanned(value: -0.0, integer: 0, end: i) }
      let s = negative ? -v : v
      return Scanned(value: Double(s), integer: s, end: i)
    }
    // Significant digits: leading zeros (0.000123) do not count.
    var digits = intDigits + fracDigits
    if digits > 19 {
      var k = start + (negative ? 1 : 0)
      while k < i, p[k] == UInt8(ascii: "0") || p[k] == UInt8(ascii: ".") {
        if p[k] == UInt8(ascii: "0") { digits -= 1 }
        k += 1
      }
    }
    if digits <= 19 && !integral {
      if let d = decimalToDouble(mantissa, exp10 - fracDigits, negative: negative) {
        return Scanned(value: d, integer: nil, end: i)
      }
    }
    // Rare: more than 19 significant digits, an integer of 19 or more digits, or a product
    // too close to call.
    let d = slow(p + start, i - start)
    var integer: Int64? = nil
    if integral {
      let text = String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)
      integer = Int64(text)
    }
    return Scanned(value: d, integer: integer, end: i)
  }

  /// The value of 8 ASCII digits at `p`, or nil when any of them is not a digit: one 64-bit
  /// load, checked and converted with three multiplications (SWAR; fast_float's
  /// `parse_eight_digits_unrolled`).
  @inline(__always)
  static func eightDigits(_ p: UnsafePointer<UInt8>) -> UInt64? {
    var v = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self).littleEndian
    guard (v & 0xF0F0_F0F0_F0F0_F0F0) | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4) == 0x3333_3333_3333_3333
    else { return nil }
    v &-= 0x3030_3030_3030_3030
    v = (v &* 10) &+ (v >> 8)
    v = (((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32)))
      &+ (((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32)))) >> 32
    return v
  }

  /// w * 10^q rounded to nearest even, or nil when the fast algorithms cannot decide.
  @inline(__always)
  static func decimalToDouble(_ w: UInt64, _ q: Int, negative: Bool) -> Double? {
    if w == 0 { return negative ? -0.0 : 0.0 }
    // Clinger: both w and 10^|q| exact in binary64.
    if q >= -22 && q <= 22 && w <= 1 << 53 {
      var d = Double(w)
      if q < 0 { d /= exactPowers[-q] } else { d *= exactPowers[q] }
      return negative ? -d : d
    }
    guard let bits = eiselLemire(w, q) else { return nil }
    let d = Double(bitPattern: bits)
    return negative ? -d : d
  }

  /// The Eisel-Lemire algorithm for binary64: the bit pattern of w * 10^q (w != 0), or nil
  /// when the truncated product cannot decide the rounding.
  static func eiselLemire(_ w0: UInt64, _ q: Int) -> UInt64? {
    if q < -342 { return 0 }
    if q > 308 { return 0x7FF0_0000_0000_0000 }
    let lz = w0.leadingZeroBitCount
    let w = w0 << UInt64(lz)
    let index = 2 * (q + 342)
    var (hi, lo) = w.multipliedFullWidth(by: pow5Table128[index])
    let precisionMask: UInt64 = UInt64.max >> 55
    if hi & precisionMask == precisionMask {
      let (hi2, _) = w.multipliedFullWidth(by: pow5Table128[index + 1])
      let (sum, overflow) = lo.addingReportingOverflow(hi2)
      lo = sum
      if overflow { hi &+= 1 }
    }
    // A product whose low word is all ones might still move the rounding: let strtod decide
    // outside the range where the truncation is provably harmless.
    if lo == UInt64.max && (q < -27 || q > 55) { return nil }
    let upperbit = Int(hi >> 63)
    var mantissa = hi >> UInt64(upperbit + 9)
    var power2 = (((152170 + 65536) * q) >> 16) + 63 + upperbit - lz + 1023
    if power2 <= 0 {
      if -power2 + 1 >= 64 { return 0 }
      mantissa >>= UInt64(-power2 + 1)
      mantissa += mantissa & 1
      mantissa >>= 1
      power2 = mantissa < (1 << 52) ? 0 : 1
      return mantissa | (UInt64(power2) << 52)
    }
    if lo <= 1 && q >= -4 && q <= 23 && mantissa & 3 == 1 {
      if mantissa << UInt64(upperbit + 9) == hi { mantissa &= ~1 }
    }
    mantissa += mantissa & 1
    mantissa >>= 1
    if mantissa >= (2 << 52) {
      mantissa = 1 << 52
      power2 += 1
    }
    mantissa &= ~(1 << 52)
    if power2 >= 0x7FF { return 0x7FF0_0000_0000_0000 }
    return mantissa | (UInt64(power2) << 52)
  }

  /// strtod on a copy of the token (correctly rounded; overflow gives +-inf).
  static func slow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
      for k in 0..<n { buf[k] = CChar(bitPattern: p[k]) }
      buf[n] = 0
      return strtod(buf.baseAddress!, nil)
    }
  }

  /// Parses a whole string as a JSON number (for tests and the CLI): nil when it is not one.
  static func parse(_ text: String) -> Double? {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { b -> Double? in
      guard let base = b.baseAddress, let s = scan(base, 0, b.count), s.end == b.count else { return nil }
      return s.value
    }
  }
}
