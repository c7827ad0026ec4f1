/// A run's metrics as the recipes read them: the keys, how often each occurs, a key's
/// series, and the samples where several keys were logged together.
///
/// Recipes read metrics only through this surface. It is a view over the run's columns
/// (`MetricsTable`): rows in file order, adjacent rows of one step merged (later values win,
/// as `MetricsBuffer` appends), `--last N` the last N of those, then the steps in `--steps`.
/// When nothing needs merging, cutting or selecting, the run's own columns are used as they
/// are (no copy).
public struct MetricTable: Sendable {
  public let name: String
  /// The columns this view reads.
  public let columns: MetricsTable
  public let keyCounts: KeyCounts

  /// The run's rows through a bounded buffer of `last` rows (nil: all), then the steps in
  /// `steps`.
  public init(run: Run, last: Int? = nil, steps: StepRange? = nil) {
    self.init(name: run.name, table: run.table, last: last, steps: steps)
  }

  public init(name: String, table: MetricsTable, last: Int? = nil, steps: StepRange? = nil) {
    precondition((last ?? 0) >= 0, "last must be >= 0")
    self.name = name
    var t = table
    if t.hasAdjacentEqualSteps { t = t.filteredMergingAdjacent { _ in true } }
    var dropped = 0
    if let last, t.rowCount > last {
      dropped = t.rowCount - last
      t = t.slice((t.rowCount - last)..<t.rowCount)
    }
    if let steps, t.steps.contains(where: { !steps.contains($0) }) {
      let s = t.steps
      t = t.filteredMergingAdjacent { steps.contains(s[$0]) }
    }
    columns = t
    keyCounts = t.keyCounts
    droppedRows = dropped
  }

  public init(name: String, buffer: MetricsBuffer, steps: StepRange? = nil) {
    self.name = name
    let b = steps.map { buffer.selecting($0) } ?? buffer
    columns = MetricsTable(rows: b.storedRows)
    keyCounts = columns.keyCounts
    droppedRows = buffer.droppedCount
  }

  /// Rows dropped by the bounded buffer (`--last`).
  public let droppedRows: Int

  /// The sorted metric keys.
  public var keys: [String] { keyCounts.keys }
  public var rowCount: Int { columns.rowCount }
  public var isEmpty: Bool { columns.isEmpty }

  /// A key's column, one value per row (`MetricsTable.missing` where a row lacks it).
  public func column(_ key: String) -> [Double]? { columns.column(key) }

  /// The samples of one key, in order.
  public func series(_ key: String) -> Series { columns.series(key) }

  /// The samples where every key in `keys` has a value (in order): their steps, and one
  /// column of values per key.
  public func joined(_ keys: [String]) -> (steps: [Int64], columns: [[Double]]) {
    var out = [[Double]](repeating: [], count: keys.count)
    var steps: [Int64] = []
    var cols: [[Double]] = []
    for k in keys {
      guard let c = columns.column(k) else { return ([], out) }
      cols.append(c)
    }
    let all = columns.steps
    for i in all.indices {
      var ok = true
      for c in cols where MetricsTable.isMissing(c[i]) {
        ok = false
        break
      }
      guard ok else { continue }
      steps.append(all[i])
      for j in cols.indices { out[j].append(cols[j][i]) }
    }
    return (steps, out)
  }

  /// The smallest and largest step.
  public var stepRange: ClosedRange<Int64>? { columns.stepRange }

  /// The family's values by layer and step (`MetricsTable.layerStepMatrix`).
  public func layerStepMatrix(for family: MetricFamily, reduce: LayerReduce) -> LayerStepMatrix {
    columns.layerStepMatrix(for: family, reduce: reduce)
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
