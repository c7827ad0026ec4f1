/// A gradient-flow scene (`GradientFlowBuilder`) that grows as training appends rows: what
/// `view gradient-flow --follow` uses so that an update costs O(new steps x layers) instead of
/// rebuilding the layer x step matrix from every row read so far.
///
/// `init` builds the scene from all rows exactly as `render gradient-flow` does (rows into a
/// buffer, the step range, the layer x step matrix, the causal EMA, `--max-steps`
/// downsampling, `GradientFlowBuilder.scene`). `append` then takes the rows read since and
/// extends the surface by new step columns, keeping what a full build needs to agree: the
/// per-layer EMA state, the last column's raw values (a row with the last column's step
/// rewrites that column, as the matrix lets the later row win), the smoothed columns of the
/// last downsampling bucket, and value statistics of the drawn columns for the z range, the
/// log-z choice and the notes. The result equals a full build on the same rows (tests compare
/// them value by value).
///
/// Downsampling (`LayerStepMatrix.downsampled`) cuts the steps into aligned buckets of a
/// power-of-two width, so new steps only rewrite the last bucket's (one or two) columns and add
/// buckets; only when the width doubles does every column change, and `append` declines: a run
/// followed from its first step to step n rebuilds about log2(n / maxColumns) + 1 times.
///
/// `append` returns nil, leaving the state as it was, whenever the rows do not simply extend
/// the matrix; the caller then builds from scratch (and seeds a new instance). That happens
/// when:
/// - a row with family values has a step earlier than the last column's (out of order, or a
///   file that restarted without being replaced);
/// - a row brings a metric key not seen before (the family detection could choose another
///   family, or the family gains a layer);
/// - the downsampling bucket width changes (the steps outgrew `maxColumns` at this width:
///   buckets merge in pairs, so every column changes);
/// - the bounded buffer (`--last`) is on: rows dropping off the front shift every column;
/// - layers are normalized by their own maximum: a new maximum rescales whole rows;
/// - the z scale resolved by `--log-z auto` changes, or the log axis starts (or stops) hiding
///   values <= 0: every cell's drawn value may change.
public struct IncrementalGradientFlow: Sendable {
  /// What the full build needs besides the rows: the CLI's choices.
  public struct Configuration: Sendable {
    public var family: MetricFamily
    public var runName: String
    public var options: GradientFlowBuilder.Options
    /// `--ema N`: a causal EMA along the steps per layer (nil or 1: none).
    public var emaSpan: Int?
    /// `--max-steps N`: more columns than this are downsampled.
    public var maxColumns: Int
    /// `--steps START:END`.
    public var stepRange: StepRange?
    /// `--last N`: a bounded buffer.
    public var capacity: Int?
    /// How a layer's parameters combine (families with several keys per layer).
    public var reduce: LayerReduce

    public init(
      family: MetricFamily, runName: String, options: GradientFlowBuilder.Options = .init(),
      emaSpan: Int? = nil, maxColumns: Int = 2000, stepRange: StepRange? = nil, capacity: Int? = nil,
      reduce: LayerReduce = .l2
    ) {
      self.reduce = reduce
      self.family = family
      self.runName = runName
      self.options = options
      self.emaSpan = emaSpan
      self.maxColumns = maxColumns
      self.stepRange = stepRange
      self.capacity = capacity
    }
  }

  typealias Stats = RunningStats

  /// The state that lets columns be appended; nil when the configuration or the data rule
  /// appends out (see the type's comment).
  struct Growth: Sendable {
    /// The bucket width (`LayerStepMatrix.bucketWidth`; 1 when not downsampled).
    var width: Int
    /// Step columns before downsampling, and the first and last of their steps.
    var rawCount: Int
    var firstStep: Int64
    var lastStep: Int64
    /// The smoothed columns of the last bucket (the one holding the last step column), and
    /// their steps; per column, the values by layer.
    var open: [[Double]]
    var openSteps: [Int64]
    /// The drawn column where the last bucket's columns start.
    var openOutputStart: Int
    var knownKeys: Set<String>
    /// Raw (unsmoothed) values of the last column, per layer; NaN where missing.
    var rawLast: [Double]
    /// The EMA state before the last column, per layer (NaN: not started).
    var emaBeforeLast: [Double]
    /// Statistics of the drawn columns before the last bucket's, and of the last bucket's.
    var prefixStats: Stats
    var lastStats: Stats
    /// Whether the log axis turned values <= 0 into holes (`GradientFlowBuilder` masks only then).
    var masking: Bool
  }

  public let configuration: Configuration
  /// The scene for the rows given so far.
  public private(set) var scene: Scene
  private var growth: Growth?
  /// Why `append` always returns nil for this instance (nil when it can append).
  public private(set) var appendBlocker: String?

  /// The downsampling bucket width in step columns (1: every step drawn; nil when this
  /// instance cannot append).
  public var bucketWidth: Int? { growth?.width }

  /// Builds the scene from `rows` as `render gradient-flow` does.
  public init(configuration: Configuration, rows: some Sequence<MetricRow>) throws {
    self.configuration = configuration
    var buffer = MetricsBuffer(capacity: configuration.capacity)
    buffer.append(contentsOf: rows)
    var knownKeys = Set<String>()
    if let r = configuration.stepRange { buffer = buffer.selecting(r) }
    for row in buffer.storedRows { knownKeys.formUnion(row.values.keys) }
    let raw = buffer.layerStepMatrix(for: configuration.family, reduce: configuration.reduce)
    var matrix = raw
    if let span = configuration.emaSpan, span > 1 { matrix = matrix.smoothed(span: span) }
    let smoothed = matrix
    let width = LayerStepMatrix.bucketWidth(columns: matrix.steps.count, maxColumns: configuration.maxColumns)
    matrix = matrix.bucketed(width: width)
    scene = try GradientFlowBuilder.scene(
      steps: matrix.steps, layers: matrix.layers, values: matrix.values,
      family: configuration.family.prefix, runName: configuration.runName,
      options: configuration.options)

    if configuration.capacity != nil {
      appendBlocker = "--last keeps a bounded window: old rows drop off the front"
    } else if configuration.options.normalizePerLayer {
      appendBlocker = "--normalize-layers rescales whole layers when a new maximum arrives"
    }
    guard appendBlocker == nil else { return }
    let n = smoothed.steps.count, layers = matrix.layers.count, cols = matrix.steps.count
    let openStart = (n - 1) / width * width
    let openOutputs = n - openStart == 1 ? 1 : 2
    var prefix = Stats(), last = Stats()
    for li in 0..<layers {
      for ci in 0..<cols {
        let v = matrix[layer: li, step: ci]
        if ci >= cols - openOutputs { last.add(v) } else { prefix.add(v) }
      }
    }
    let scale = scene.z.scale
    growth = Growth(
      width: width, rawCount: n, firstStep: smoothed.steps[0], lastStep: smoothed.steps[n - 1],
      open: (openStart..<n).map { si in (0..<layers).map { smoothed[layer: $0, step: si] } },
      openSteps: Array(smoothed.steps[openStart..<n]), openOutputStart: cols - openOutputs,
      knownKeys: knownKeys,
      rawLast: (0..<layers).map { raw[layer: $0, step: n - 1] },
      emaBeforeLast: (0..<layers).map { smoothed[layer: $0, step: n - 2] },
      prefixStats: prefix, lastStats: last,
      masking: scale == .log && prefix.merged(last).nonPositive > 0)
    if configuration.emaSpan ?? 1 <= 1 {
      growth!.emaBeforeLast = Array(repeating: .nan, count: layers)
    }
  }

  /// The drawn columns of one bucket given its smoothed columns (per column, by layer), as
  /// `LayerStepMatrix.bucketed(width:)` makes them.
  static func bucketColumns(_ columns: [[Double]], steps: [Int64], width: Int) -> (steps: [Int64], columns: [[Double]]) {
    guard columns.count > 1 else { return (steps, columns) }
    let layers = columns[0].count, n = columns.count
    var values = [Double](repeating: .nan, count: layers * n)
    for (ci, c) in columns.enumerated() {
      for li in 0..<layers { values[li * n + ci] = c[li] }
    }
    let m = LayerStepMatrix(family: "", layers: Array(0..<layers), steps: steps, values: values)
      .bucketed(width: width)
    return (m.steps, m.steps.indices.map { ci in (0..<layers).map { m[layer: $0, step: ci] } })
  }

  /// One step of `SeriesOps.ema`: the state after `v` given the state before (NaN: not
  /// started), which is also the smoothed value at `v`.
  static func emaStep(_ state: Double, _ v: Double, span: Int) -> Double {
    let alpha = 2.0 / (Double(span) + 1.0)
    let beta = 1.0 - alpha
    if state.isNaN { return v.isFinite ? v : .nan }
    return v.isFinite ? alpha * v + beta * state : state
  }

  /// Extends the scene by `rows` (those read after the ones given so far). Returns how the
  /// surface grew (an empty delta when the rows hold no family values), or nil when the rows
  /// do not simply extend it: then nothing changed here and the caller rebuilds from all rows.
  public mutating func append(_ rows: some Sequence<MetricRow>) -> SceneDelta? {
    guard var g = growth, case .surface(let surface) = scene.traces.first else { return nil }
    let members = configuration.family.members
    let layers = members.count
    let oldRaw = g.rawCount, oldCols = surface.cols
    // Raw columns from `firstChanged` on: the last old column (when rewritten) and new ones.
    var firstChanged = oldRaw
    var tail: [[Double]] = []
    var tailSteps: [Int64] = []
    for row in rows {
      if let r = configuration.stepRange, !r.contains(row.step) { continue }
      for key in row.values.keys where !g.knownKeys.contains(key) { return nil }
      guard members.contains(where: { $0.keys.contains { row.values[$0] != nil } }) else { continue }
      let lastStep = tailSteps.last ?? g.lastStep
      if row.step > lastStep {
        tail.append(Array(repeating: .nan, count: layers))
        tailSteps.append(row.step)
      } else if row.step == lastStep {
        if tail.isEmpty {
          // The later row wins: rewrite the last old column.
          firstChanged = oldRaw - 1
          tail.append(g.rawLast)
          tailSteps.append(row.step)
        }
      } else {
        return nil  // out of order: the step would be inserted before existing columns
      }
      for (li, m) in members.enumerated() {
        if let v = m.value(in: row.values, reduce: configuration.reduce) { tail[tail.count - 1][li] = v }
      }
    }
    guard !tail.isEmpty else { return SceneDelta(surfaces: []) }
    let newRaw = firstChanged + tail.count
    let w = g.width
    // A wider bucket merges every pair of buckets: a rebuild.
    guard LayerStepMatrix.bucketWidth(columns: newRaw, maxColumns: configuration.maxColumns) == w else { return nil }

    // Smooth the changed columns from the EMA state before the first of them.
    var state = g.emaBeforeLast
    if firstChanged == oldRaw, let span = configuration.emaSpan, span > 1 {
      // The state after the last old column.
      state = zip(state, g.rawLast).map { Self.emaStep($0, $1, span: span) }
    }
    var smoothed = tail
    var stateBeforeLast = state
    for ci in 0..<tail.count {
      stateBeforeLast = state
      for li in 0..<layers {
        if let span = configuration.emaSpan, span > 1 {
          state[li] = Self.emaStep(state[li], tail[ci][li], span: span)
          smoothed[ci][li] = state[li]
        } else {
          state[li] = tail[ci][li]
        }
      }
    }
    if configuration.emaSpan ?? 1 <= 1 { stateBeforeLast = Array(repeating: .nan, count: layers) }

    // The smoothed columns into buckets: the last old bucket takes new columns until it is
    // full (or has its last column rewritten); closed buckets become drawn columns.
    var unchanged = g.openOutputStart
    var prefix = g.prefixStats
    var open = g.open, openSteps = g.openSteps
    if firstChanged == oldRaw - 1 {
      open.removeLast()
      openSteps.removeLast()
    } else if oldRaw % w == 0 {
      // The last old bucket is full and stays as drawn.
      unchanged = oldCols
      prefix = prefix.merged(g.lastStats)
      open = []
      openSteps = []
    }
    var outColumns: [[Double]] = [], outSteps: [Int64] = []
    for (ci, column) in smoothed.enumerated() {
      let rawIndex = firstChanged + ci
      if rawIndex % w == 0, !open.isEmpty {
        let closed = Self.bucketColumns(open, steps: openSteps, width: w)
        for c in closed.columns { for v in c { prefix.add(v) } }
        outColumns += closed.columns
        outSteps += closed.steps
        open = []
        openSteps = []
      }
      open.append(column)
      openSteps.append(tailSteps[ci])
    }
    let lastBucket = Self.bucketColumns(open, steps: openSteps, width: w)
    var last = Stats()
    for c in lastBucket.columns { for v in c { last.add(v) } }
    let openOutputStart = unchanged + outColumns.count
    outColumns += lastBucket.columns
    outSteps += lastBucket.steps
    let newCols = unchanged + outColumns.count

    // Statistics, the z scale and the notes, as the full build computes them.
    let all = prefix.merged(last)
    let scale = all.resolve(configuration.options.logZ)
    guard scale == scene.z.scale else { return nil }
    let masking = scale == .log && all.nonPositive > 0
    guard masking == g.masking else { return nil }
    let zRange: ClosedRange<Double>
    if scale == .log {
      guard all.positiveLo <= all.positiveHi else { return nil }
      zRange = all.positiveLo...all.positiveHi
    } else {
      guard all.lo <= all.hi else { return nil }
      zRange = all.lo...all.hi
    }
    var notes: [String] = []
    let hidden = scale == .log ? all.nonPositive : 0
    if hidden > 0 {
      notes.append("\(hidden) value(s) <= 0 cannot be shown on the log z axis and are left as holes")
    }
    let missing = all.nonFinite + hidden
    if missing > 0 && notes.isEmpty {
      notes.append("\(missing) of \(layers * newCols) cells have no finite value and are left as holes")
    }

    // The grown surface: row-major by layer, so each layer's row gets the new columns.
    var t = surface
    var xs: [Double] = [], ys: [Double] = [], zs: [Double] = []
    xs.reserveCapacity(layers * newCols); ys.reserveCapacity(layers * newCols); zs.reserveCapacity(layers * newCols)
    for li in 0..<layers {
      let row = li * oldCols
      xs.append(contentsOf: surface.x[row..<(row + unchanged)])
      ys.append(contentsOf: surface.y[row..<(row + unchanged)])
      zs.append(contentsOf: surface.z[row..<(row + unchanged)])
      let layer = surface.y[row]
      for ci in 0..<outColumns.count {
        xs.append(Double(outSteps[ci]))
        ys.append(layer)
        let v = outColumns[ci][li]
        zs.append(masking ? (v > 0 ? v : .nan) : v)
      }
    }
    t.rows = layers
    t.cols = newCols
    t.x = xs
    t.y = ys
    t.z = zs
    t.color = zs
    t.colorRange = zRange
    var s = scene
    s.traces[0] = .surface(t)
    g.rawCount = newRaw
    g.lastStep = tailSteps[tailSteps.count - 1]
    g.open = open
    g.openSteps = openSteps
    g.openOutputStart = openOutputStart
    s.x.range = Double(g.firstStep)...Double(g.lastStep)
    s.z.range = zRange
    s.colorBar?.range = zRange
    s.notes = notes

    g.rawLast = tail[tail.count - 1]
    g.emaBeforeLast = stateBeforeLast
    g.prefixStats = prefix
    g.lastStats = last
    g.masking = masking
    scene = s
    growth = g
    return SceneDelta(surfaces: [
      SurfaceColumnGrowth(trace: 0, previousColumns: oldCols, unchangedColumns: unchanged)
    ])
  }
}
