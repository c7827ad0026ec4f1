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

/// A whole training run: its metrics as columns (rows in the order they were read), plus
/// the run's configuration (hyperparameters and labels such as `arm=vanilla`, `seed=3`).
public struct Run: Sendable {
  public var name: String
  /// Where the run came from (a file path, a directory, a URL).
  public var source: String
  /// The metrics, one row per logged row, as columns (`table.column("loss")`).
  public var table: MetricsTable
  public var config: [String: ConfigValue]
  /// Histograms by tag (TensorBoard histogram summaries, W&B `wandb.Histogram`s such as
  /// `wandb.watch`'s `gradients/<param>`), each in step order.
  public var histograms: [String: [HistogramSample]]

  public init(
    name: String, source: String, table: MetricsTable,
    config: [String: ConfigValue] = [:], histograms: [String: [HistogramSample]] = [:]
  ) {
    self.name = name
    self.source = source
    var t = table
    t.seal()
    self.table = t
    self.config = config
    self.histograms = histograms
  }

  public init(
    name: String, source: String, rows: [MetricRow],
    config: [String: ConfigValue] = [:], histograms: [String: [HistogramSample]] = [:]
  ) {
    self.init(name: name, source: source, table: MetricsTable(rows: rows), config: config, histograms: histograms)
  }

  /// The rows as `MetricRow`s, materialised from the columns (O(rows x keys): code on a hot
  /// path reads `table` instead). Setting it replaces the table.
  public var rows: [MetricRow] {
    get { table.rows }
    set { table = MetricsTable(rows: newValue) }
  }

  /// The number of rows.
  public var rowCount: Int { table.rowCount }

  /// The sorted metric keys (every key some row logged).
  public var metricKeys: [String] { table.keys.sorted() }

  /// The smallest and largest step of the run, or nil when it has no rows.
  public var stepRange: ClosedRange<Int64>? { table.stepRange }
}
