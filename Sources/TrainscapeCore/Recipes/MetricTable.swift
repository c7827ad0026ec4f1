/// A run's metrics as the recipes read them: the keys, how often each occurs, a key's
/// series, and the samples where several keys were logged together.
///
/// Recipes read metrics only through this surface, so that it can be re-pointed at a
/// columnar table later without touching them. Today it wraps a `MetricsBuffer` (rows in
/// file order; adjacent rows of one step merged; `--last N` a bounded buffer).
public struct MetricTable: Sendable {
  public let name: String
  private let buffer: MetricsBuffer
  public let keyCounts: KeyCounts

  /// The run's rows through a bounded buffer of `last` rows (nil: all), then the steps in
  /// `steps`.
  public init(run: Run, last: Int? = nil, steps: StepRange? = nil) {
    var b = MetricsBuffer(capacity: last)
    b.append(contentsOf: run.rows)
    self.init(name: run.name, buffer: b, steps: steps)
  }

  public init(name: String, buffer: MetricsBuffer, steps: StepRange? = nil) {
    self.name = name
    let b = steps.map { buffer.selecting($0) } ?? buffer
    self.buffer = b
    keyCounts = KeyCounts(rows: b.storedRows)
    droppedRows = buffer.droppedCount
  }

  /// Rows dropped by the bounded buffer (`--last`).
  public let droppedRows: Int

  /// The sorted metric keys.
  public var keys: [String] { keyCounts.keys }
  public var rowCount: Int { buffer.count }
  public var isEmpty: Bool { buffer.count == 0 }

  /// The samples of one key, in order.
  public func series(_ key: String) -> Series { buffer.series(key) }

  /// The samples where every key in `keys` has a value (in order): their steps, and one
  /// column of values per key.
  public func joined(_ keys: [String]) -> (steps: [Int64], columns: [[Double]]) {
    var steps: [Int64] = []
    var columns = [[Double]](repeating: [], count: keys.count)
    for row in buffer.storedRows {
      var vals: [Double] = []
      vals.reserveCapacity(keys.count)
      for k in keys {
        guard let v = row.values[k] else { break }
        vals.append(v)
      }
      guard vals.count == keys.count else { continue }
      steps.append(row.step)
      for i in keys.indices { columns[i].append(vals[i]) }
    }
    return (steps, columns)
  }

  /// The smallest and largest step.
  public var stepRange: ClosedRange<Int64>? {
    guard let first = buffer.storedRows.first?.step else { return nil }
    var lo = first, hi = first
    for r in buffer.storedRows {
      lo = Swift.min(lo, r.step)
      hi = Swift.max(hi, r.step)
    }
    return lo...hi
  }

  /// The family's values by layer and step (`MetricsBuffer.layerStepMatrix`).
  public func layerStepMatrix(for family: MetricFamily, reduce: LayerReduce) -> LayerStepMatrix {
    buffer.layerStepMatrix(for: family, reduce: reduce)
  }
}

/// The series choices every recipe over metric series shares: `--steps`, `--ema`,
/// `--max-steps`, `--last`.
public struct SeriesSettings: Sendable, Equatable {
  public var stepRange: StepRange?
  /// A causal EMA of this span (nil or 1: none).
  public var emaSpan: Int?
  /// The most steps drawn per run (downsampled keeping each bucket's min and max).
  public var maxSteps: Int = 2000
  /// Keep only the last N rows of a run, as a bounded buffer does.
  public var last: Int?

  public init(stepRange: StepRange? = nil, emaSpan: Int? = nil, maxSteps: Int = 2000, last: Int? = nil) {
    self.stepRange = stepRange
    self.emaSpan = emaSpan
    self.maxSteps = maxSteps
    self.last = last
  }

  /// The run's table with `--last` and `--steps` applied.
  public func table(_ run: Run) -> MetricTable {
    MetricTable(run: run, last: last, steps: stepRange)
  }

  public func smooth(_ values: [Double]) -> [Double] {
    guard let span = emaSpan, span > 1 else { return values }
    return SeriesOps.ema(values, span: span)
  }

  /// Indices to keep so that at most maxSteps points remain: each aligned power-of-two
  /// bucket's min and max (`SeriesOps.alignedMinMaxIndices`), so `view --follow` extends the
  /// same picture in place. A note says so when it thins.
  public func downsampleAligned(_ values: [Double], what: String, notes: inout [String]) -> [Int] {
    guard values.count > maxSteps else { return Array(values.indices) }
    let idx = SeriesOps.alignedMinMaxIndices(values, maxPoints: maxSteps)
    let w = LayerStepMatrix.bucketWidth(columns: values.count, maxColumns: maxSteps)
    notes.append("\(what): \(values.count) steps downsampled to \(idx.count), the min and max of every \(w) steps (--max-steps \(maxSteps))")
    return idx
  }

  /// Indices to keep so that at most maxSteps points remain (min/max per equal-count bucket).
  public func downsample(_ values: [Double], what: String, notes: inout [String]) -> [Int] {
    guard values.count > maxSteps else { return Array(values.indices) }
    let idx = SeriesOps.minMaxIndices(values, maxPoints: maxSteps)
    notes.append("\(what): \(values.count) steps downsampled to \(idx.count) keeping each bucket's min and max (--max-steps \(maxSteps))")
    return idx
  }
}

/// What a recipe made: the scene, a name for default output files, the one line that says
/// which keys were used, and notes for stderr.
public struct RecipeOutput: Sendable {
  public var scene: Scene
  public var name: String
  /// "keys: loss = train/loss, lr = train/lr (run nanochat_d12)".
  public var keysLine: String
  /// Further lines for stderr (per-run learning rates, downsampling, ...).
  public var notes: [String]

  public init(scene: Scene, name: String, keysLine: String, notes: [String] = []) {
    self.scene = scene
    self.name = name
    self.keysLine = keysLine
    self.notes = notes
  }
}

/// The keys a recipe chose for a run's roles.
public struct ChosenKeys: Sendable, Equatable {
  public var entries: [(MetricRole, MetricRoles.Resolution)] { _entries }
  private var _entries: [(MetricRole, MetricRoles.Resolution)] = []
  public init() {}
  public mutating func add(_ r: MetricRoles.Resolution) { _entries.append((r.role, r)) }
  public subscript(_ role: MetricRole) -> String? { _entries.first { $0.0 == role }?.1.key }

  /// "loss = train/loss, lr = train/lr"
  public var summary: String {
    _entries.map { "\($0.0.shortName) = \($0.1.key)" + ($0.1.how.contains("evaluation") ? " (no train key: the evaluation key)" : "") }
      .joined(separator: ", ")
  }

  public static func == (a: ChosenKeys, b: ChosenKeys) -> Bool {
    a._entries.map { $0.1 } == b._entries.map { $0.1 }
  }
}
