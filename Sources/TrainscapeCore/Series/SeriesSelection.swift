extension MetricsBuffer {
  /// A whole-run buffer (`capacity == nil`, `droppedCount == 0`) holding the
  /// rows whose step lies in `range`, in buffer order. Rows are re-appended,
  /// so two kept rows with the same step that were separated only by
  /// dropped rows merge into one (later keys win), as appending does.
  public func selecting(_ range: StepRange) -> MetricsBuffer {
    var out = MetricsBuffer(capacity: nil)
    for row in storedRows where range.contains(row.step) { out.append(row) }
    return out
  }
}

extension Series {
  /// The samples whose step lies in `range`, in order.
  public func selecting(_ range: StepRange) -> Series {
    var out = Series()
    for (s, v) in zip(steps, values) where range.contains(s) {
      out.steps.append(s)
      out.values.append(v)
    }
    return out
  }
}

extension LayerStepMatrix {
  /// At most `maxColumns` step columns (`maxColumns >= 2`), keeping every
  /// layer's extremes: an envelope per bucket of columns.
  ///
  /// Unchanged when `steps.count <= maxColumns`. Otherwise the n columns are
  /// cut into buckets of `w` consecutive columns, bucket b holding columns
  /// `b*w ..< min((b+1)*w, n)`, where `w = bucketWidth(columns: n,
  /// maxColumns:)` is a power of two (at least 4). See `bucketed(width:)` for
  /// what a bucket becomes. Because the buckets are aligned to multiples of a
  /// power of two, columns appended later only change the last bucket or add
  /// buckets, and when the width doubles, pairs of buckets merge: a followed
  /// run (`IncrementalGradientFlow`) extends this picture in place and
  /// rebuilds only when the width doubles, O(log n) times over a run.
  public func downsampled(maxColumns: Int) -> LayerStepMatrix {
    precondition(maxColumns >= 2, "maxColumns must be >= 2")
    guard steps.count > maxColumns else { return self }
    return bucketed(width: Self.bucketWidth(columns: steps.count, maxColumns: maxColumns))
  }

  /// The bucket width `downsampled(maxColumns:)` uses for `n` columns: 1 (no
  /// downsampling) when `n <= maxColumns`, else the smallest power of two whose
  /// buckets give at most `maxColumns` columns (`bucketedColumns`). Never
  /// decreases as `n` grows.
  public static func bucketWidth(columns n: Int, maxColumns: Int) -> Int {
    precondition(maxColumns >= 2, "maxColumns must be >= 2")
    if n <= maxColumns { return 1 }
    var w = 2
    while bucketedColumns(n, width: w) > maxColumns { w *= 2 }
    return w
  }

  /// How many columns `n` columns become in buckets of `width`: all of them for
  /// width 1; else two per bucket of two or more columns, one for a last bucket
  /// of one column.
  public static func bucketedColumns(_ n: Int, width: Int) -> Int {
    precondition(width >= 1, "width must be >= 1")
    if width == 1 { return n }
    return 2 * (n / width) + Swift.min(n % width, 2)
  }

  /// The columns cut into buckets of `width` consecutive columns (bucket b
  /// holding columns `b*width ..< min((b+1)*width, n)`). A bucket of one column
  /// keeps it as it is. A bucket of two or more columns becomes two columns at
  /// the bucket's first and last step; for each layer, those two columns hold
  /// the layer's minimum and maximum over the bucket (NaN skipped), in the
  /// order they occur: the earlier of the two at the first step, the later at
  /// the last step (both the same value when the layer has one finite value or
  /// is constant there; both NaN when it has none). So every layer's
  /// per-bucket min and max, and hence its overall min and max, survive
  /// exactly, each moved by less than one bucket along the step axis; the first
  /// and last steps are kept.
  public func bucketed(width: Int) -> LayerStepMatrix {
    precondition(width >= 1, "width must be >= 1")
    let n = steps.count
    guard width > 1, n > 0 else { return self }
    let cols = Self.bucketedColumns(n, width: width)
    var newSteps: [Int64] = []
    newSteps.reserveCapacity(cols)
    var out = [Double](repeating: .nan, count: layers.count * cols)
    var c = 0
    for start in stride(from: 0, to: n, by: width) {
      let end = Swift.min(start + width, n)
      if end - start == 1 {
        newSteps.append(steps[start])
        for li in layers.indices { out[li * cols + c] = values[li * n + start] }
        c += 1
        continue
      }
      newSteps.append(steps[start])
      newSteps.append(steps[end - 1])
      for li in layers.indices {
        let row = li * n
        var lo = -1, hi = -1
        for k in start..<end {
          let v = values[row + k]
          if v.isNaN { continue }
          if lo < 0 {
            lo = k; hi = k
          } else if v < values[row + lo] {
            lo = k
          } else if v > values[row + hi] {
            hi = k
          }
        }
        guard lo >= 0 else { continue }
        out[li * cols + c] = values[row + Swift.min(lo, hi)]
        out[li * cols + c + 1] = values[row + Swift.max(lo, hi)]
      }
      c += 2
    }
    return LayerStepMatrix(family: family, layers: layers, steps: newSteps, values: out)
  }

  /// Each layer smoothed along the steps with `SeriesOps.ema(_:span:)`
  /// (per column, not per step distance; NaN holds the previous value).
  public func smoothed(span: Int) -> LayerStepMatrix {
    let n = steps.count
    var out = values
    for li in layers.indices {
      let row = Array(values[(li * n)..<((li + 1) * n)])
      out.replaceSubrange((li * n)..<((li + 1) * n), with: SeriesOps.ema(row, span: span))
    }
    return LayerStepMatrix(family: family, layers: layers, steps: steps, values: out)
  }
}
