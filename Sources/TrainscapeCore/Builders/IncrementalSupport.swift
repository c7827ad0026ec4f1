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

/// A builder that keeps a scene up to date with the rows a run has written so far (`view
/// --follow`): new rows extend the scene where they can (`append` returns what grew) and the
/// result always equals a full build on the same rows.
public protocol IncrementalSceneBuilder: Sendable {
  /// The scene for the rows appended so far.
  var scene: Scene { get }
  /// Why appends are refused outright (a bounded buffer, per-layer normalization), if they are.
  var appendBlocker: String? { get }
  /// Steps per downsampling bucket, where the builder buckets.
  var stepsPerBucket: Int? { get }
  /// Extends the scene by `rows`; nil (and the state unchanged) when they cannot simply be
  /// appended: then build again from all rows.
  mutating func append(_ rows: ArraySlice<MetricRow>) -> SceneDelta?
}

extension IncrementalGradientFlow: IncrementalSceneBuilder {
  public var stepsPerBucket: Int? { bucketWidth }
  public mutating func append(_ rows: ArraySlice<MetricRow>) -> SceneDelta? { append(rows.lazy) }
}

extension IncrementalLossLandscape: IncrementalSceneBuilder {
  public var stepsPerBucket: Int? { nil }
  public mutating func append(_ rows: ArraySlice<MetricRow>) -> SceneDelta? { append(rows.lazy) }
}

extension IncrementalTrajectory: IncrementalSceneBuilder {
  public var stepsPerBucket: Int? { bucketWidth }
  public mutating func append(_ rows: ArraySlice<MetricRow>) -> SceneDelta? { append(rows.lazy) }
}
