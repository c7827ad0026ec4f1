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
  /// split into `B = maxColumns / 2` buckets, bucket b holding columns
  /// `b*n/B ..< (b+1)*n/B` (integer division, at least 2 columns each), and
  /// each bucket becomes two columns at the bucket's first and last step.
  /// For each layer, those two columns hold the layer's minimum and maximum
  /// over the bucket (NaN skipped), in the order they occur: the earlier of
  /// the two at the first step, the later at the last step (both the same
  /// value when the layer has one finite value or is constant there; both
  /// NaN when it has none). So every layer's per-bucket min and max, and
  /// hence its overall min and max, survive exactly, each moved by less than
  /// one bucket along the step axis; the first and last steps are kept.
  public func downsampled(maxColumns: Int) -> LayerStepMatrix {
    precondition(maxColumns >= 2, "maxColumns must be >= 2")
    let n = steps.count
    guard n > maxColumns else { return self }
    let buckets = maxColumns / 2
    let cols = 2 * buckets
    var newSteps: [Int64] = []
    newSteps.reserveCapacity(cols)
    var out = [Double](repeating: .nan, count: layers.count * cols)
    for b in 0..<buckets {
      let start = b * n / buckets, end = (b + 1) * n / buckets
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
        out[li * cols + 2 * b] = values[row + Swift.min(lo, hi)]
        out[li * cols + 2 * b + 1] = values[row + Swift.max(lo, hi)]
      }
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
