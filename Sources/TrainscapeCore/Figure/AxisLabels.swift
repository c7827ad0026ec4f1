import Foundation

/// What the numbers of an axis stand for when they are not plain numbers: Plotly's category
/// and date axes. A category axis places category i at the value i; a date axis holds
/// milliseconds since 1970-01-01 UTC (as plotly.js keeps dates internally).
public enum AxisLabels: Sendable, Equatable {
  case categories([String])
  case dates

  /// The text of the value `v`: its category, or its date and time as precisely as `step`
  /// (the tick spacing in ms, or 0 for a single value) needs.
  public func text(_ v: Double, step: Double = 0) -> String {
    switch self {
    case .categories(let names):
      let i = v.rounded()
      guard v.isFinite, abs(v - i) < 1e-9, i >= 0, i < Double(names.count) else { return Picker.format(v, integer: false) }
      return names[Int(i)]
    case .dates:
      guard v.isFinite, abs(v) < 1e15 else { return Picker.format(v, integer: false) }
      let d = Date(timeIntervalSince1970: v / 1000)
      let f = DateFormatter()
      f.locale = Locale(identifier: "en_US_POSIX")
      f.timeZone = TimeZone(identifier: "UTC")
      let day = 86_400_000.0
      if step >= 365 * day { f.dateFormat = "yyyy" } else if step >= 28 * day { f.dateFormat = "MMM yyyy" } else if step >= day {
        f.dateFormat = "MMM d, yyyy"
      } else if step >= 60_000 || step == 0 {
        f.dateFormat = step == 0 ? "yyyy-MM-dd HH:mm:ss" : "MMM d HH:mm"
      } else if step >= 1000 {
        f.dateFormat = "HH:mm:ss"
      } else {
        f.dateFormat = "HH:mm:ss.SSS"
      }
      return f.string(from: d)
    }
  }

  /// Ticks over `lo...hi`: every category that fits (about `target`), or dates at round
  /// seconds, minutes, hours, days, months or years.
  public func ticks(lo: Double, hi: Double, target: Int) -> [Tick] {
    guard lo.isFinite, hi.isFinite, lo <= hi else { return [] }
    switch self {
    case .categories(let names):
      guard !names.isEmpty else { return [] }
      let a = Swift.max(0, lo.rounded(.up)), b = Swift.min(Double(names.count - 1), hi.rounded(.down))
      guard a <= b else { return [] }
      return TickGenerator.integerTicks(min: a, max: b, target: Swift.max(target, 1)).map { Tick(value: $0.value, label: text($0.value)) }
    case .dates:
      return Self.dateTicks(lo: lo, hi: hi, target: Swift.max(target, 2)).map { Tick(value: $0.value, label: text($0.value, step: $0.step)) }
    }
  }

  /// Round date ticks in ms: the smallest step of 1, 2, 5, 10, 15, 30 s; 1, 2, 5, 10, 15, 30
  /// min; 1, 2, 3, 6, 12 h; 1, 2, 7, 14 days; 1, 2, 3, 6 months; 1, 2, 5, 10, ... years that
  /// gives at most `target` ticks.
  static func dateTicks(lo: Double, hi: Double, target: Int) -> [(value: Double, step: Double)] {
    let s = 1000.0, m = 60 * s, h = 60 * m, d = 24 * h
    let fixed: [Double] = [1, 2, 5, 10, 15, 30].map { $0 * s } + [1, 2, 5, 10, 15, 30].map { $0 * m }
      + [1, 2, 3, 6, 12].map { $0 * h } + [1, 2, 7, 14].map { $0 * d }
    let span = hi - lo
    if let step = fixed.first(where: { span / $0 <= Double(target) }) {
      var out: [(Double, Double)] = []
      var v = (lo / step).rounded(.up) * step
      if step >= 7 * d { v = (lo / d).rounded(.up) * d }  // weeks start on a day boundary
      while v <= hi && out.count < 1000 {
        out.append((v, step))
        v += step
      }
      return out
    }
    // Months and years: walk the calendar in UTC.
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    let months = [1, 2, 3, 6]
    let monthStep = months.first { span / (Double($0) * 30.44 * d) <= Double(target) }
    var yearStep = 1
    if monthStep == nil {
      let years = span / (365.25 * d)
      var base = 1.0
      while true {
        if let k = [1.0, 2, 5].first(where: { years / ($0 * base) <= Double(target) }) {
          yearStep = Int(k * base)
          break
        }
        base *= 10
        if base > 1e6 { return [] }
      }
    }
    let start = Date(timeIntervalSince1970: lo / 1000)
    var comps = cal.dateComponents([.year, .month], from: start)
    comps.day = 1
    if monthStep == nil {
      comps.month = 1
      comps.year = ((comps.year ?? 1970) / yearStep) * yearStep
    } else if let ms = monthStep {
      comps.month = (((comps.month ?? 1) - 1) / ms) * ms + 1
    }
    guard var date = cal.date(from: comps) else { return [] }
    var out: [(Double, Double)] = []
    let stepMs = monthStep.map { Double($0) * 30.44 * d } ?? Double(yearStep) * 365.25 * d
    while out.count < 1000 {
      let v = date.timeIntervalSince1970 * 1000
      if v > hi { break }
      if v >= lo { out.append((v, stepMs)) }
      guard let next = cal.date(byAdding: monthStep.map { DateComponents(month: $0) } ?? DateComponents(year: yearStep), to: date) else { break }
      date = next
    }
    return out
  }

  /// Milliseconds since 1970 UTC of a Plotly date string ("2024-03-05", "2024-03-05 14:30",
  /// "2024-03-05T14:30:15.250Z", "2024-03"); nil when it is not one.
  public static func parseDate(_ text: String) -> Double? {
    var t = text.trimmingCharacters(in: .whitespaces)
    if t.hasSuffix("Z") { t.removeLast() }
    t = t.replacingOccurrences(of: "T", with: " ")
    let parts = t.split(separator: " ", omittingEmptySubsequences: true)
    guard (1...2).contains(parts.count) else { return nil }
    let ymd = parts[0].split(separator: "-", omittingEmptySubsequences: false)
    guard (1...3).contains(ymd.count), ymd[0].count == 4, let y = Int(ymd[0]) else { return nil }
    let mo = ymd.count > 1 ? Int(ymd[1]) : 1, dd = ymd.count > 2 ? Int(ymd[2]) : 1
    guard let mo, let dd, (1...12).contains(mo), (1...31).contains(dd) else { return nil }
    var hh = 0, mi = 0, sec = 0.0
    if parts.count == 2 {
      let hms = parts[1].split(separator: ":", omittingEmptySubsequences: false)
      guard (1...3).contains(hms.count), let h = Int(hms[0]), (0...23).contains(h) else { return nil }
      hh = h
      if hms.count > 1 { guard let m = Int(hms[1]), (0...59).contains(m) else { return nil }; mi = m }
      if hms.count > 2 { guard let s = Double(hms[2]), s >= 0, s < 61 else { return nil }; sec = s }
    }
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    guard let date = cal.date(from: DateComponents(year: y, month: mo, day: dd, hour: hh, minute: mi)),
      cal.component(.day, from: date) == dd
    else { return nil }
    return (date.timeIntervalSince1970 + sec) * 1000
  }
}
