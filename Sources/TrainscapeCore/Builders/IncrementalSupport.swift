/// Finite-value statistics the incremental builders keep of what they have drawn, so that an
/// append can tell whether the axis ranges and the automatic log/linear choices still hold
/// without looking at the earlier values again.
struct RunningStats: Sendable, Equatable {
  var lo = Double.infinity, hi = -Double.infinity
  var positiveLo = Double.infinity, positiveHi = -Double.infinity
  var nonFinite = 0
  var nonPositive = 0

  mutating func add(_ v: Double) {
    guard v.isFinite else {
      nonFinite += 1
      return
    }
    lo = Swift.min(lo, v)
    hi = Swift.max(hi, v)
    if v > 0 {
      positiveLo = Swift.min(positiveLo, v)
      positiveHi = Swift.max(positiveHi, v)
    } else {
      nonPositive += 1
    }
  }

  func merged(_ o: RunningStats) -> RunningStats {
    RunningStats(
      lo: Swift.min(lo, o.lo), hi: Swift.max(hi, o.hi),
      positiveLo: Swift.min(positiveLo, o.positiveLo), positiveHi: Swift.max(positiveHi, o.positiveHi),
      nonFinite: nonFinite + o.nonFinite, nonPositive: nonPositive + o.nonPositive)
  }

  /// `finiteRange` over these values on `scale`.
  func range(_ scale: AxisScale) -> ClosedRange<Double>? {
    scale == .linear ? (lo <= hi ? lo...hi : nil) : (positiveLo <= positiveHi ? positiveLo...positiveHi : nil)
  }

  /// `ScaleChoice.resolve(values, decades:)` over these values: auto is log when every value
  /// is positive and they span at least `decades` decades.
  func resolve(_ choice: ScaleChoice, decades: Int = 2) -> AxisScale {
    switch choice {
    case .on: return .log
    case .off: return .linear
    case .auto:
      if nonPositive > 0 { return .linear }
      guard lo.isFinite, hi > lo else { return .linear }
      var p = 1.0
      for _ in 0..<decades { p *= 10 }
      return hi / lo >= p ? .log : .linear
    }
  }
}

/// The checks every incremental builder makes before appending rows.
enum IncrementalRows {
  /// Why `rows` cannot be appended after a run whose last step is `lastStep` and whose rows
  /// carried `knownKeys`; nil when they can (steps never go back, no new metric key).
  static func blocker(
    _ rows: some Sequence<MetricRow>, after lastStep: Int64?, knownKeys: Set<String>
  ) -> String? {
    var last = lastStep
    for row in rows {
      if let l = last, row.step < l { return "a row has step \(row.step), before the last step \(l)" }
      if !row.values.keys.allSatisfy(knownKeys.contains) { return "a row brings a new metric key" }
      last = row.step
    }
    return nil
  }
}
