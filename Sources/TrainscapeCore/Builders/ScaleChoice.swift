/// `--log-z auto|on|off` and friends.
public enum ScaleChoice: String, Sendable, CaseIterable {
  case auto, on, off

  /// Log when asked, or (auto) when every finite value is positive and they span at least
  /// `decades` powers of ten.
  public func resolve<C: Collection>(_ values: C, decades: Double = 2) -> AxisScale
  where C.Element == Double {
    switch self {
    case .on: return .log
    case .off: return .linear
    case .auto:
      var lo = Double.infinity, hi = -Double.infinity
      for v in values where v.isFinite {
        if v <= 0 { return .linear }
        lo = Swift.min(lo, v)
        hi = Swift.max(hi, v)
      }
      guard lo.isFinite, hi > lo else { return .linear }
      return hi / lo >= pow10(decades) ? .log : .linear
    }
  }

  private func pow10(_ d: Double) -> Double {
    var r = 1.0
    for _ in 0..<Int(d) { r *= 10 }
    return r
  }
}

/// The finite range of values as they will be drawn on an axis of `scale` (positive only on a
/// log axis), or nil when there is none.
public func finiteRange<C: Collection>(_ values: C, scale: AxisScale) -> ClosedRange<Double>?
where C.Element == Double {
  var lo = Double.infinity, hi = -Double.infinity
  for v in values where v.isFinite && (scale == .linear || v > 0) {
    lo = Swift.min(lo, v)
    hi = Swift.max(hi, v)
  }
  return lo <= hi ? lo...hi : nil
}

/// Errors a builder reports about its input.
public struct BuilderError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
