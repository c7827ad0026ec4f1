/// One logged step: the step number and the metric values recorded at it.
///
/// Values are plain `Double`s; NaN and infinities are kept as logged.
public struct MetricRow: Sendable, Equatable {
  public var step: Int64
  public var values: [String: Double]

  public init(step: Int64, values: [String: Double]) {
    self.step = step
    self.values = values
  }
}

/// A whole training run: rows in the order they were read, plus the run's
/// configuration (hyperparameters and labels such as `arm=vanilla`, `seed=3`).
public struct Run: Sendable {
  public var name: String
  /// Where the run came from (a file path, a directory, a URL).
  public var source: String
  public var rows: [MetricRow]
  public var config: [String: ConfigValue]
  /// Histograms by tag (TensorBoard histogram summaries, W&B `wandb.Histogram`s such as
  /// `wandb.watch`'s `gradients/<param>`), each in step order.
  public var histograms: [String: [HistogramSample]]

  public init(
    name: String, source: String, rows: [MetricRow],
    config: [String: ConfigValue] = [:], histograms: [String: [HistogramSample]] = [:]
  ) {
    self.name = name
    self.source = source
    self.rows = rows
    self.config = config
    self.histograms = histograms
  }

  /// The sorted union of the metric keys of all rows.
  public var metricKeys: [String] {
    var keys = Set<String>()
    for row in rows { keys.formUnion(row.values.keys) }
    return keys.sorted()
  }

  /// The smallest and largest step of the run, or nil when it has no rows.
  public var stepRange: ClosedRange<Int64>? {
    guard var lo = rows.first?.step else { return nil }
    var hi = lo
    for row in rows {
      lo = Swift.min(lo, row.step)
      hi = Swift.max(hi, row.step)
    }
    return lo...hi
  }
}
