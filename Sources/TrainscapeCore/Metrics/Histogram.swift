/// One histogram of a tag at a step: bucket edges and counts, as TensorBoard's histogram
/// summaries and W&B's `wandb.Histogram` store them.
public struct HistogramSample: Sendable, Equatable {
  public var step: Int64
  /// Bucket edges, ascending: `counts.count + 1` values (bucket i is `edges[i]...edges[i+1]`).
  public var edges: [Double]
  public var counts: [Double]
  /// The exact sum of the squares of the values, when the writer recorded it (TensorBoard's
  /// `HistogramProto.sum_squares`); nil otherwise.
  public var sumSquares: Double?

  public init(step: Int64, edges: [Double], counts: [Double], sumSquares: Double? = nil) {
    precondition(edges.count == counts.count + 1, "a histogram needs one more edge than counts")
    self.step = step
    self.edges = edges
    self.counts = counts
    self.sumSquares = sumSquares
  }

  public var total: Double { counts.reduce(0, +) }

  /// The L2 norm of the values (sqrt of the sum of squares): exact from `sumSquares` when
  /// present; otherwise estimated from the bins with each value at its bucket's centre, with
  /// the bounds a value anywhere in its bucket allows (its square between the smaller and the
  /// larger square of the edges, 0 for a bucket that spans 0).
  public func l2Norm() -> (value: Double, lower: Double, upper: Double, exact: Bool) {
    if let s = sumSquares, s >= 0 {
      let v = s.squareRoot()
      return (v, v, v, true)
    }
    var est = 0.0, lo = 0.0, hi = 0.0
    for i in counts.indices where counts[i] > 0 {
      let a = edges[i], b = edges[i + 1], c = counts[i]
      let m = (a + b) / 2
      est += c * m * m
      lo += c * ((a <= 0 && b >= 0) ? 0 : Swift.min(a * a, b * b))
      hi += c * Swift.max(a * a, b * b)
    }
    return (est.squareRoot(), lo.squareRoot(), hi.squareRoot(), false)
  }

  /// The counts redistributed onto `grid` (ascending edges), each bucket's count spread
  /// uniformly over its width; a zero-width bucket goes to the grid bucket holding it. Counts
  /// outside the grid are dropped.
  public func rebinned(onto grid: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: Swift.max(0, grid.count - 1))
    guard grid.count >= 2 else { return out }
    for i in counts.indices where counts[i] > 0 {
      let a = edges[i], b = edges[i + 1], c = counts[i]
      if !(b > a) {
        if let j = Self.bucket(of: a, in: grid) { out[j] += c }
        continue
      }
      // The grid buckets overlapping [a, b].
      var j = Self.bucket(of: Swift.max(a, grid[0]), in: grid) ?? 0
      while j < out.count, grid[j] < b {
        let overlap = Swift.min(b, grid[j + 1]) - Swift.max(a, grid[j])
        if overlap > 0 { out[j] += c * overlap / (b - a) }
        j += 1
      }
    }
    return out
  }

  /// The index of the grid bucket holding `v` (the last bucket includes its upper edge).
  static func bucket(of v: Double, in grid: [Double]) -> Int? {
    guard let first = grid.first, let last = grid.last, v >= first, v <= last else { return nil }
    var lo = 0, hi = grid.count - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if grid[mid] <= v { lo = mid } else { hi = mid }
    }
    return Swift.min(lo, grid.count - 2)
  }

  /// The edges of the buckets with a count: (left edge of the first, right edge of the last).
  public var support: (Double, Double)? {
    guard let f = counts.firstIndex(where: { $0 > 0 }), let l = counts.lastIndex(where: { $0 > 0 }) else { return nil }
    return (edges[f], edges[l + 1])
  }
}
