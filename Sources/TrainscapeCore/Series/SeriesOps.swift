/// Operations on metric series shared by the builders (loss landscape,
/// gradient flow, trajectories): smoothing, resampling onto a common step
/// grid, and downsampling that keeps extremes.
///
/// Values are plain `Double`s; a NaN marks a missing value. Steps are
/// converted to `Double` where they meet a grid (exact below 2^53).
public enum SeriesOps {
  // MARK: - Smoothing

  /// Causal exponential moving average with span `N` (`span >= 1`):
  ///
  ///     alpha = 2 / (N + 1)
  ///     s_0   = the first finite x (outputs before it are NaN)
  ///     s_t   = alpha * x_t + (1 - alpha) * s_{t-1}   when x_t is finite
  ///     s_t   = s_{t-1}                               when x_t is NaN or ±infinity
  ///
  /// So leading non-finite values stay NaN and later ones hold the previous
  /// smoothed value (gaps do not decay the average). On inputs whose
  /// non-finite values are all NaN this is pandas'
  /// `Series.ewm(span=N, adjust=False, ignore_na=True).mean()` (pandas
  /// divides by `(1 - alpha) + alpha`, so the two may differ in the last
  /// bit); pandas would let an infinity through, this holds it out.
  /// `span == 1` (alpha = 1) returns finite inputs unchanged.
  /// Samples are weighted by position, not by step distance.
  public static func ema(_ values: [Double], span: Int) -> [Double] {
    precondition(span >= 1, "EMA span must be >= 1")
    let alpha = 2.0 / (Double(span) + 1.0)
    let beta = 1.0 - alpha
    var out = [Double](repeating: .nan, count: values.count)
    values.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { o in
        var i = 0
        // Leading non-finite values stay NaN.
        while i < x.count, !x[i].isFinite { i += 1 }
        guard i < x.count else { return }
        var s = x[i]
        o[i] = s
        i += 1
        while i < x.count {
          let v = x[i]
          if v.isFinite { s = alpha * v + beta * s }
          o[i] = s
          i += 1
        }
      }
    }
    return out
  }

  // MARK: - Resampling

  /// Linear interpolation of the samples `(steps[i], values[i])` at the
  /// points of `grid` (any order).
  ///
  /// Non-finite samples are dropped first; of the remaining samples with
  /// the same step, the last one (in input order) wins. Steps need not be
  /// sorted. A grid point outside `[first step, last step]` of the remaining
  /// samples, or a NaN grid point, gives NaN (no extrapolation); with no
  /// remaining samples everything is NaN. This equals
  /// `numpy.interp(grid, xs, ys, left=nan, right=nan)` on the sorted,
  /// deduplicated finite samples `(xs, ys)`, bit for bit (same slope
  /// formula, exact values at sample steps), except that numpy returns
  /// `ys[0]` for a NaN grid point when there is a single sample.
  public static func resample(steps: [Int64], values: [Double], onto grid: [Double]) -> [Double] {
    precondition(steps.count == values.count, "resample: steps and values differ in length")
    // Finite samples; sort by step only when needed, stably.
    var xs: [Double] = []
    var ys: [Double] = []
    xs.reserveCapacity(steps.count)
    ys.reserveCapacity(steps.count)
    var sorted = true
    var prev = Int64.min
    for i in steps.indices where values[i].isFinite {
      if steps[i] < prev { sorted = false }
      prev = steps[i]
      xs.append(Double(steps[i]))
      ys.append(values[i])
    }
    if !sorted {
      let order = xs.indices.sorted { (xs[$0], $0) < (xs[$1], $1) }
      xs = order.map { xs[$0] }
      ys = order.map { ys[$0] }
    }
    // Duplicates: keep the last of each run of equal steps.
    var n = 0
    for i in xs.indices {
      if n > 0, xs[n - 1] == xs[i] {
        ys[n - 1] = ys[i]
      } else {
        xs[n] = xs[i]
        ys[n] = ys[i]
        n += 1
      }
    }
    xs.removeLast(xs.count - n)
    ys.removeLast(ys.count - n)

    var out = [Double](repeating: .nan, count: grid.count)
    guard n > 0 else { return out }
    xs.withUnsafeBufferPointer { dx in
      ys.withUnsafeBufferPointer { dy in
        grid.withUnsafeBufferPointer { g in
          out.withUnsafeMutableBufferPointer { o in
            let first = dx[0], last = dx[n - 1]
            var j = 0  // dx[j] <= the previous grid point
            for i in 0..<g.count {
              let v = g[i]
              guard v >= first, v <= last else { continue }  // also NaN
              if v == last {
                o[i] = dy[n - 1]
                continue
              }
              // Find j with dx[j] <= v < dx[j + 1]: walk a few steps
              // forward (sorted grids), else binary search.
              if v < dx[j] {
                j = 0
              }
              var walked = 0
              while walked < 8, dx[j + 1] <= v {
                j += 1
                walked += 1
              }
              if dx[j + 1] <= v {
                var lo = j + 1, hi = n - 1  // dx[lo] <= v < dx[hi]
                while hi - lo > 1 {
                  let mid = (lo + hi) / 2
                  if dx[mid] <= v { lo = mid } else { hi = mid }
                }
                j = lo
              }
              if dx[j] == v {
                o[i] = dy[j]
              } else {
                let slope = (dy[j + 1] - dy[j]) / (dx[j + 1] - dx[j])
                var r = slope * (v - dx[j]) + dy[j]
                if r.isNaN {  // numpy's fallbacks for overflowing slopes
                  r = slope * (v - dx[j + 1]) + dy[j + 1]
                  if r.isNaN, dy[j] == dy[j + 1] { r = dy[j] }
                }
                o[i] = r
              }
            }
          }
        }
      }
    }
    return out
  }

  /// A common step grid for several runs: `count` evenly spaced points
  /// from the largest first step to the smallest last step of `ranges`
  /// (their intersection), or from the smallest first step to the largest
  /// last step with `union: true`; rounded to integers (half to even) and
  /// deduplicated, so the result is strictly increasing and may hold fewer
  /// than `count` points. That is
  /// `numpy.unique(numpy.rint(numpy.linspace(lo, hi, count)))`.
  /// Empty when `ranges` is empty, `count < 1`, or the intersection is
  /// empty; `[lo]` when `count == 1` or `lo == hi`.
  public static func commonGrid(_ ranges: [ClosedRange<Int64>], count: Int, union: Bool = false) -> [Double] {
    guard count >= 1, let first = ranges.first else { return [] }
    var lo = first.lowerBound, hi = first.upperBound
    for r in ranges.dropFirst() {
      if union {
        lo = Swift.min(lo, r.lowerBound)
        hi = Swift.max(hi, r.upperBound)
      } else {
        lo = Swift.max(lo, r.lowerBound)
        hi = Swift.min(hi, r.upperBound)
      }
    }
    guard lo <= hi else { return [] }
    let a = Double(lo), b = Double(hi)
    if count == 1 || lo == hi { return [a] }
    let step = (b - a) / Double(count - 1)
    var out: [Double] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      let v = (i == count - 1 ? b : Double(i) * step + a).rounded(.toNearestOrEven)
      if out.last != v { out.append(v) }
    }
    return out
  }

  // MARK: - Downsampling

  /// At most `maxPoints` indices (`maxPoints >= 2`) of `values` in aligned power-of-two
  /// buckets, so that a series that grows keeps its earlier picks: all indices when
  /// `count <= maxPoints`; else the indices are cut into buckets of `w` consecutive ones (bucket
  /// b holding `b*w ..< min((b+1)*w, count)`), `w = LayerStepMatrix.bucketWidth(columns:
  /// count, maxColumns: maxPoints)` as gradient flow's columns, and each bucket keeps the index
  /// of its minimum and of its maximum (NaN skipped; the first on ties), in order; one index
  /// when they are the same (a single value, a constant bucket), its first when it has no
  /// value. Appending values changes only the last bucket's picks and adds buckets, until the
  /// width doubles (`view trajectory --follow` rebuilds then, O(log count) times).
  public static func alignedMinMaxIndices(_ values: [Double], maxPoints: Int) -> [Int] {
    let n = values.count
    if n <= maxPoints { return Array(0..<n) }
    let w = LayerStepMatrix.bucketWidth(columns: n, maxColumns: maxPoints)
    var out: [Int] = []
    out.reserveCapacity(LayerStepMatrix.bucketedColumns(n, width: w))
    for start in Swift.stride(from: 0, to: n, by: w) {
      appendMinMax(values, start..<Swift.min(start + w, n), to: &out)
    }
    return out
  }

  /// The picks of one bucket of `alignedMinMaxIndices`.
  public static func appendMinMax(_ values: [Double], _ bucket: Range<Int>, to out: inout [Int]) {
    var lo = -1, hi = -1
    for k in bucket {
      let x = values[k]
      if x.isNaN { continue }
      if lo < 0 {
        lo = k; hi = k
      } else if x < values[lo] {
        lo = k
      } else if x > values[hi] {
        hi = k
      }
    }
    if lo < 0 {
      out.append(bucket.lowerBound)
    } else if lo == hi {
      out.append(lo)
    } else {
      out.append(Swift.min(lo, hi))
      out.append(Swift.max(lo, hi))
    }
  }

  /// Min/max-per-bucket downsampling to at most `maxPoints` indices
  /// (`maxPoints >= 0`), ascending.
  ///
  /// When `values.count <= maxPoints` every index is returned. Otherwise the
  /// first and last points are always kept (only the first when
  /// `maxPoints == 1`, none when it is 0), and the interior points
  /// `1 ..< n-1` (m = n - 2 of them) are split into `B = (maxPoints - 2) / 2`
  /// buckets, bucket b holding indices `1 + b*m/B ..< 1 + (b+1)*m/B`
  /// (integer division). Each bucket keeps the index of its minimum and of its
  /// maximum (first occurrence on ties, NaN skipped, ±infinity compared
  /// normally), in index order, once if they coincide; a bucket holding only
  /// NaN keeps its first index, so holes survive.
  public static func minMaxIndices(_ values: [Double], maxPoints: Int) -> [Int] {
    precondition(maxPoints >= 0, "maxPoints must be >= 0")
    let n = values.count
    if n <= maxPoints { return Array(0..<n) }
    if maxPoints == 0 { return [] }
    if maxPoints == 1 { return [0] }
    let buckets = (maxPoints - 2) / 2
    let m = n - 2
    var out = [0]
    out.reserveCapacity(2 + 2 * buckets)
    values.withUnsafeBufferPointer { v in
      for b in 0..<buckets {
        let start = 1 + b * m / buckets, end = 1 + (b + 1) * m / buckets
        var lo = -1, hi = -1
        var vlo = 0.0, vhi = 0.0
        for k in start..<end {
          let x = v[k]
          if x.isNaN { continue }
          if lo < 0 {
            lo = k; hi = k; vlo = x; vhi = x
          } else if x < vlo {
            lo = k; vlo = x
          } else if x > vhi {
            hi = k; vhi = x
          }
        }
        if lo < 0 {
          out.append(start)
        } else if lo == hi {
          out.append(lo)
        } else {
          out.append(Swift.min(lo, hi))
          out.append(Swift.max(lo, hi))
        }
      }
    }
    out.append(n - 1)
    return out
  }

  /// Largest-Triangle-Three-Buckets (Steinarsson 2013, "Downsampling Time
  /// Series for Visual Representation", section 4.2) on the points
  /// `(x[i], y[i])`: at most `threshold` indices, ascending, always with the
  /// first and last (so a `threshold` below 3 gives `[0, n-1]`); every index
  /// when `threshold >= n`.
  ///
  /// With `every = (n-2) / (threshold-2)`, bucket i (0-based, i < threshold-2)
  /// is `floor(i*every)+1 ..< floor((i+1)*every)+1`; its point maximising the
  /// triangle area with the previously selected point and the mean of the
  /// next bucket (`floor((i+1)*every)+1 ..< min(floor((i+2)*every)+1, n)`)
  /// is selected (first on ties), as in the reference implementation.
  ///
  /// `x` must be finite. Points with a non-finite y take no part: they are
  /// left out of the next-bucket means and never selected, except that a
  /// bucket with no finite y selects its first index (holes survive); the
  /// "previously selected point" is the last selected one with a finite y.
  /// Where there is no such point yet or the next bucket has no finite y,
  /// all areas count as 0 and the bucket's first finite point is selected.
  /// On all-finite data this is exactly the reference algorithm.
  public static func lttbIndices(x: [Double], y: [Double], threshold: Int) -> [Int] {
    precondition(x.count == y.count, "lttbIndices: x and y differ in length")
    let n = y.count
    if threshold >= n || n <= 2 { return Array(0..<n) }
    if threshold < 3 { return [0, n - 1] }
    let every = Double(n - 2) / Double(threshold - 2)
    var out = [0]
    out.reserveCapacity(threshold)
    x.withUnsafeBufferPointer { x in
      y.withUnsafeBufferPointer { y in
        var a: Int? = y[0].isFinite ? 0 : nil
        func floorIndex(_ i: Int) -> Int { Int((Double(i) * every).rounded(.down)) + 1 }
        for i in 0..<(threshold - 2) {
          let avgStart = floorIndex(i + 1)
          let avgEnd = Swift.min(floorIndex(i + 2), n)
          var sx = 0.0, sy = 0.0, c = 0
          for k in avgStart..<avgEnd where y[k].isFinite {
            sx += x[k]
            sy += y[k]
            c += 1
          }
          let rangeOffs = floorIndex(i)
          let rangeTo = floorIndex(i + 1)
          var best = -1
          var maxArea = -1.0
          if let a, c > 0 {
            let avgX = sx / Double(c), avgY = sy / Double(c)
            let ax = x[a], ay = y[a]
            for k in rangeOffs..<rangeTo where y[k].isFinite {
              let area = abs((ax - avgX) * (y[k] - ay) - (ax - x[k]) * (avgY - ay)) * 0.5
              if area > maxArea {
                maxArea = area
                best = k
              }
            }
          } else {
            best = (rangeOffs..<rangeTo).first { y[$0].isFinite } ?? -1
          }
          if best < 0 {
            out.append(rangeOffs)
          } else {
            out.append(best)
            a = best
          }
        }
      }
    }
    out.append(n - 1)
    return out
  }
}
