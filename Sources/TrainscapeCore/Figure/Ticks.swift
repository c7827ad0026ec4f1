import Foundation

/// How values map onto an axis.
public enum AxisScale: String, Sendable, Codable, CaseIterable {
  case linear, log
}

/// One labelled position on an axis.
public struct Tick: Sendable, Equatable {
  public var value: Double
  public var label: String

  public init(value: Double, label: String) {
    self.value = value
    self.label = label
  }
}

/// "Nice" axis ticks: 1-2-5 steps on linear axes, powers of ten on log axes.
///
/// Tick values are computed as `k * m * 10^e` (`m` in 1, 2, 5) with one
/// rounding (`k * m / 10^-e` for negative `e`), so `0.6` is `0.6` and not
/// `0.6000000000000001`. Labels come from `format(_:step:)`.
///
/// Limitations: NaN or infinite bounds give no ticks; a log axis needs
/// `min > 0`; at most about 1000 ticks are returned whatever `target` says.
public enum TickGenerator {
  /// Nice ticks inside `[min, max]` (bounds swapped when `min > max`).
  ///
  /// Linear: 1-2-5 x 10^k steps, about `target` ticks. Log: powers of ten
  /// (every 2nd, 5th, 10th... decade when the range spans more than about 8
  /// decades); when fewer than two powers of ten fit, multiples
  /// (1, 2, 5 / 1, 2, 3, 5 / 1...9) x 10^k, and linear ticks as a last resort.
  public static func ticks(
    min: Double, max: Double, scale: AxisScale = .linear, target: Int = 5
  ) -> [Tick] {
    guard min.isFinite, max.isFinite else { return [] }
    let (lo, hi) = min <= max ? (min, max) : (max, min)
    switch scale {
    case .linear: return linearTicks(lo, hi, target: target)
    case .log: return logTicks(lo, hi, target: target)
    }
  }

  /// Integer ticks (step >= 1) for axes such as steps and layer indices.
  ///
  /// Labels are whole numbers ("12000"); from 1e6 on they are shortened to
  /// "1.2M" / "3B", and from 1e12 on written in exponent form.
  public static func integerTicks(min: Double, max: Double, target: Int = 5)
    -> [Tick]
  {
    guard min.isFinite, max.isFinite else { return [] }
    let (a, b) = min <= max ? (min, max) : (max, min)
    let lo = a.rounded(.up), hi = b.rounded(.down)
    guard lo <= hi else { return [] }
    if lo == hi { return [Tick(value: lo + 0, label: integerLabel(lo, step: 1))] }
    var step = niceStep(lo, hi, target: target)
    if step.value < 1 { step = NiceStep(mantissa: 1, exponent: 0) }
    return multiples(of: step, from: lo, to: hi, epsilon: 0).map {
      Tick(value: $0, label: integerLabel($0, step: step.value))
    }
  }

  /// The label for `value` on an axis whose ticks are `step` apart.
  ///
  /// Shows as many digits as `step` resolves, trims trailing zeros, never
  /// writes "-0", and switches to exponent form ("1e-5", "2.5e6") when the
  /// rounded `|value|` is >= 1e6 or below 1e-3. A `step` that is zero, negative
  /// or not finite means "shortest text that reads back as `value`".
  public static func format(_ value: Double, step: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return "0" }
    var sig: Int
    let valueExp = Int((abs(value)).log10Floor)
    if step.isFinite, step > 0 {
      let stepExp = Int(step.log10Floor)
      sig = valueExp - stepExp + 1
      if sig < 1 {
        // Smaller than the axis resolves: 0, or one digit at the step's place.
        let scaled = (value / pow10(stepExp)).rounded()
        if scaled == 0 { return "0" }
        sig = 1
      }
      sig = Swift.min(sig, 17)
    } else {
      sig = shortestSignificantDigits(value)
    }
    let (digits, exp, negative) = decimalDigits(value, significant: sig)
    return render(digits: digits, exponent: exp, negative: negative)
  }

  // MARK: - Linear

  private static func linearTicks(_ lo: Double, _ hi: Double, target: Int)
    -> [Tick]
  {
    if lo == hi { return [Tick(value: lo + 0, label: format(lo, step: 0))] }
    let step = niceStep(lo, hi, target: target)
    let values = multiples(of: step, from: lo, to: hi, epsilon: 1e-9)
    if values.isEmpty {
      // The step is below what doubles resolve at this magnitude.
      return [lo, hi].map { Tick(value: $0, label: format($0, step: 0)) }
    }
    return values.map { Tick(value: $0, label: format($0, step: step.value)) }
  }

  struct NiceStep {
    var mantissa: Double  // 1, 2 or 5
    var exponent: Int
    var value: Double { exponent >= 0 ? mantissa * pow10(exponent) : mantissa / pow10(-exponent) }
    func times(_ k: Double) -> Double {
      exponent >= 0 ? k * mantissa * pow10(exponent) : k * mantissa / pow10(-exponent)
    }
  }

  /// The 1-2-5 step nearest (on a log scale) to `span / target`.
  static func niceStep(_ lo: Double, _ hi: Double, target: Int) -> NiceStep {
    let t = Double(Swift.max(1, Swift.min(target, 1000)))
    var raw = (hi - lo) / t
    if !raw.isFinite { raw = hi / t - lo / t }  // hi - lo overflowed
    guard raw > 0, raw.isFinite else { return NiceStep(mantissa: 1, exponent: 0) }
    var e = Int(raw.log10Floor)
    let base = e >= 0 ? pow10(e) : 1 / pow10(-e)
    let ratio = raw / base
    var m: Double
    if ratio >= 50.0.squareRoot() {
      m = 1
      e += 1
    } else if ratio >= 10.0.squareRoot() {
      m = 5
    } else if ratio >= 2.0.squareRoot() {
      m = 2
    } else {
      m = 1
    }
    // A step whose value overflows or underflows is no use.
    if e > 307 { e = 307; m = 1 }
    if e < -307 { e = -307; m = 1 }
    return NiceStep(mantissa: m, exponent: e)
  }

  /// The multiples of `step` inside `[lo, hi]` (widened by `epsilon` steps),
  /// with duplicates (steps below double resolution) removed.
  private static func multiples(
    of step: NiceStep, from lo: Double, to hi: Double, epsilon: Double
  ) -> [Double] {
    let s = step.value
    // Widen by `epsilon` steps plus the rounding error of the division.
    let qLo = lo / s, qHi = hi / s
    let kLo = (qLo - epsilon - abs(qLo) * 1e-15).rounded(.up)
    let kHi = (qHi + epsilon + abs(qHi) * 1e-15).rounded(.down)
    // Beyond 2^52 consecutive multiples are no longer distinct doubles.
    guard kLo.isFinite, kHi.isFinite, kLo <= kHi, kHi - kLo <= 1000,
      abs(kLo) < 0x1p52, abs(kHi) < 0x1p52
    else { return [] }
    var out: [Double] = []
    for j in 0...Int(kHi - kLo) {
      let v = step.times(kLo + Double(j)) + 0  // + 0 turns -0.0 into 0.0
      if out.last != v { out.append(v) }
    }
    return out
  }

  // MARK: - Log

  private static func logTicks(_ lo: Double, _ hi: Double, target: Int) -> [Tick] {
    guard lo > 0 else { return [] }
    if lo == hi { return [Tick(value: lo, label: format(lo, step: 0))] }
    let eLo = Int(lo.log10Floor), eHi = Int(hi.log10Floor)
    // Powers of ten inside the range.
    var first = eLo
    if powerOfTen(first) < lo { first += 1 }
    let last = eHi
    let count = last - first + 1
    if count >= 2 {
      // Thin out to at most 9 ticks: every 1st, 2nd, 5th, 10th, 20th... decade.
      var stride = 1
      let strides = [1, 2, 5, 10, 20, 50, 100, 200, 500]
      for s in strides {
        stride = s
        let n = floorDiv(last, s) - ceilDiv(first, s) + 1
        if n <= 9 && n >= 2 { break }
      }
      var out: [Tick] = []
      var k = ceilDiv(first, stride) * stride
      while k <= last {
        out.append(Tick(value: powerOfTen(k), label: logLabel(k)))
        k += stride
      }
      return out
    }
    // Less than two decades: multiples of powers of ten.
    let mantissaSets: [[Int]] = [[1, 2, 5], [1, 2, 3, 5], Array(1...9)]
    for set in mantissaSets {
      var out: [Tick] = []
      for e in (eLo - 1)...(eHi + 1) {
        for m in set {
          let v = Double("\(m)e\(e)")!
          if v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12) {
            out.append(Tick(value: v, label: format(v, step: powerOfTen(e))))
          }
        }
      }
      if out.count >= 2 { return out }
    }
    return linearTicks(lo, hi, target: target)
  }

  /// 10^k correctly rounded (for k from -323 to 308).
  private static func powerOfTen(_ k: Int) -> Double { Double("1e\(k)")! }

  private static func logLabel(_ k: Int) -> String {
    if k >= 0 && k < 4 { return "1" + String(repeating: "0", count: k) }
    if k < 0 && k >= -3 { return "0." + String(repeating: "0", count: -k - 1) + "1" }
    return "1e\(k)"
  }

  private static func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  private static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }

  // MARK: - Labels

  private static func integerLabel(_ value: Double, step: Double) -> String {
    let a = abs(value)
    if a < 1e6 { return String(Int64(value)) }
    if a >= 1e12 { return format(value, step: step) }
    let (unit, suffix) = a >= 1e9 ? (1e9, "B") : (1e6, "M")
    return format(value / unit, step: Swift.max(step / unit, 1e-3)) + suffix
  }

  /// 10^e for |e| <= 308 (exact for |e| <= 22).
  static func pow10(_ e: Int) -> Double {
    if e >= 0 && e <= 22 { return exactPowers[e] }
    return Foundation.pow(10.0, Double(e))
  }

  private static let exactPowers: [Double] = (0...22).map { Double("1e\($0)")! }

  /// The fewest significant digits that read back as `value` (1...17).
  private static func shortestSignificantDigits(_ value: Double) -> Int {
    for p in 1...17 {
      if Double(String(format: "%.\(p - 1)e", value)) == value { return p }
    }
    return 17
  }

  /// `value` rounded to `significant` digits: the digits, the decimal
  /// exponent of the first digit, and the sign.
  private static func decimalDigits(_ value: Double, significant: Int)
    -> (digits: [UInt8], exponent: Int, negative: Bool)
  {
    let text = String(format: "%.\(significant - 1)e", value)
    var digits: [UInt8] = []
    var negative = false
    var exponent = 0
    var utf8 = Array(text.utf8)[...]
    if utf8.first == UInt8(ascii: "-") {
      negative = true
      utf8 = utf8.dropFirst()
    }
    while let c = utf8.first, c != UInt8(ascii: "e") {
      if c != UInt8(ascii: ".") { digits.append(c) }
      utf8 = utf8.dropFirst()
    }
    exponent = Int(String(decoding: utf8.dropFirst(), as: UTF8.self)) ?? 0
    while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
    if digits.allSatisfy({ $0 == UInt8(ascii: "0") }) { negative = false }
    return (digits, exponent, negative)
  }

  /// Fixed notation for 1e-3 <= |x| < 1e6, exponent notation otherwise.
  private static func render(digits: [UInt8], exponent: Int, negative: Bool)
    -> String
  {
    var out = negative ? "-" : ""
    let ds = String(decoding: digits, as: UTF8.self)
    if digits == [UInt8(ascii: "0")] { return "0" }
    if exponent >= 6 || exponent < -3 {
      out += String(ds.prefix(1))
      if digits.count > 1 { out += "." + ds.dropFirst() }
      return out + "e\(exponent)"
    }
    if exponent < 0 {
      return out + "0." + String(repeating: "0", count: -exponent - 1) + ds
    }
    let intCount = exponent + 1
    if digits.count <= intCount {
      return out + ds + String(repeating: "0", count: intCount - digits.count)
    }
    return out + ds.prefix(intCount) + "." + ds.dropFirst(intCount)
  }
}

extension Double {
  /// floor(log10(self)) for positive finite values, corrected for the
  /// rounding of `log10` near powers of ten.
  fileprivate var log10Floor: Double {
    var e = Foundation.log10(self).rounded(.down)
    // log10 can be off by one ulp right at a power of ten.
    if e > -324, e < 309 {
      let p = Double("1e\(Int(e))")!
      if p > self { e -= 1 } else if Double("1e\(Int(e) + 1)")! <= self { e += 1 }
    }
    return e
  }
}
