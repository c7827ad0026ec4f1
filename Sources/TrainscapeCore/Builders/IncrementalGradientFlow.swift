/// A gradient-flow scene (`GradientFlowBuilder`) that grows as training appends rows: what
/// `view gradient-flow --follow` uses so that an update costs O(new steps x layers) instead of
/// rebuilding the layer x step matrix from every row read so far.
///
/// `init` builds the scene from all rows exactly as `render gradient-flow` does (rows into a
/// buffer, the step range, the layer x step matrix, the causal EMA, `--max-steps`
/// downsampling, `GradientFlowBuilder.scene`). `append` then takes the rows read since and
/// extends the surface by new step columns, keeping what a full build needs to agree: the
/// per-layer EMA state, the last column's raw values (a row with the last column's step
/// rewrites that column, as the matrix lets the later row win), and per-column value
/// statistics for the z range, the log-z choice and the notes. The result equals a full build
/// on the same rows (tests compare them value by value).
///
/// `append` returns nil, leaving the state as it was, whenever the rows do not simply extend
/// the matrix; the caller then builds from scratch (and seeds a new instance). That happens
/// when:
/// - a row with family values has a step earlier than the last column's (out of order, or a
///   file that restarted without being replaced);
/// - a row brings a metric key not seen before (the family detection could choose another
///   family, or the family gains a layer);
/// - the columns would exceed `maxColumns`: the full build then downsamples, and min/max
///   buckets are re-cut on every new step, so no column stays put;
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

    public init(
      family: MetricFamily, runName: String, options: GradientFlowBuilder.Options = .init(),
      emaSpan: Int? = nil, maxColumns: Int = 2000, stepRange: StepRange? = nil, capacity: Int? = nil
    ) {
      self.family = family
      self.runName = runName
      self.options = options
      self.emaSpan = emaSpan
      self.maxColumns = maxColumns
      self.stepRange = stepRange
      self.capacity = capacity
    }
  }

  /// Finite-value statistics of some columns of the (smoothed) matrix, before log masking.
  struct Stats: Sendable, Equatable {
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

    func merged(_ o: Stats) -> Stats {
      Stats(
        lo: Swift.min(lo, o.lo), hi: Swift.max(hi, o.hi),
        positiveLo: Swift.min(positiveLo, o.positiveLo), positiveHi: Swift.max(positiveHi, o.positiveHi),
        nonFinite: nonFinite + o.nonFinite, nonPositive: nonPositive + o.nonPositive)
    }

    /// `ScaleChoice.resolve` over these values.
    func resolve(_ choice: ScaleChoice) -> AxisScale {
      switch choice {
      case .on: return .log
      case .off: return .linear
      case .auto:
        if nonPositive > 0 { return .linear }
        guard lo.isFinite, hi > lo else { return .linear }
        return hi / lo >= 100 ? .log : .linear
      }
    }
  }

  /// The state that lets columns be appended; nil when the configuration or the data rule
  /// appends out (see the type's comment).
  struct Growth: Sendable {
    var steps: [Int64]
    var knownKeys: Set<String>
    /// Raw (unsmoothed) values of the last column, per layer; NaN where missing.
    var rawLast: [Double]
    /// The EMA state before the last column, per layer (NaN: not started).
    var emaBeforeLast: [Double]
    /// Statistics of every column but the last, and of the last.
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

  /// Builds the scene from `rows` as `render gradient-flow` does.
  public init(configuration: Configuration, rows: some Sequence<MetricRow>) throws {
    self.configuration = configuration
    var buffer = MetricsBuffer(capacity: configuration.capacity)
    buffer.append(contentsOf: rows)
    var knownKeys = Set<String>()
    if let r = configuration.stepRange { buffer = buffer.selecting(r) }
    for row in buffer.storedRows { knownKeys.formUnion(row.values.keys) }
    let raw = buffer.layerStepMatrix(for: configuration.family)
    var matrix = raw
    if let span = configuration.emaSpan, span > 1 { matrix = matrix.smoothed(span: span) }
    let downsampled = matrix.steps.count > configuration.maxColumns
    if downsampled { matrix = matrix.downsampled(maxColumns: configuration.maxColumns) }
    scene = try GradientFlowBuilder.scene(
      steps: matrix.steps, layers: matrix.layers, values: matrix.values,
      family: configuration.family.prefix, runName: configuration.runName,
      options: configuration.options)

    if configuration.capacity != nil {
      appendBlocker = "--last keeps a bounded window: old rows drop off the front"
    } else if configuration.options.normalizePerLayer {
      appendBlocker = "--normalize-layers rescales whole layers when a new maximum arrives"
    } else if downsampled {
      appendBlocker = "more steps than --max-steps: min/max buckets are re-cut on every new step"
    }
    guard appendBlocker == nil else { return }
    let n = matrix.steps.count, layers = matrix.layers.count
    var prefix = Stats(), last = Stats()
    for li in 0..<layers {
      for si in 0..<n {
        let v = matrix[layer: li, step: si]
        if si == n - 1 { last.add(v) } else { prefix.add(v) }
      }
    }
    let scale = scene.z.scale
    growth = Growth(
      steps: matrix.steps, knownKeys: knownKeys,
      rawLast: (0..<layers).map { raw[layer: $0, step: n - 1] },
      emaBeforeLast: (0..<layers).map { matrix[layer: $0, step: n - 2] },
      prefixStats: prefix, lastStats: last,
      masking: scale == .log && prefix.merged(last).nonPositive > 0)
    if configuration.emaSpan ?? 1 <= 1 {
      growth!.emaBeforeLast = Array(repeating: .nan, count: layers)
    }
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
    let oldCols = g.steps.count
    // Raw columns from `firstChanged` on: the last old column (when rewritten) and new ones.
    var firstChanged = oldCols
    var tail: [[Double]] = []
    var tailSteps: [Int64] = []
    for row in rows {
      if let r = configuration.stepRange, !r.contains(row.step) { continue }
      for key in row.values.keys where !g.knownKeys.contains(key) { return nil }
      guard members.contains(where: { row.values[$0.key] != nil }) else { continue }
      let lastStep = tailSteps.last ?? g.steps[oldCols - 1]
      if row.step > lastStep {
        tail.append(Array(repeating: .nan, count: layers))
        tailSteps.append(row.step)
      } else if row.step == lastStep {
        if tail.isEmpty {
          // The later row wins: rewrite the last old column.
          firstChanged = oldCols - 1
          tail.append(g.rawLast)
          tailSteps.append(row.step)
        }
      } else {
        return nil  // out of order: the step would be inserted before existing columns
      }
      for (li, m) in members.enumerated() {
        if let v = row.values[m.key] { tail[tail.count - 1][li] = v }
      }
    }
    guard !tail.isEmpty else { return SceneDelta(surfaces: []) }
    let newCols = firstChanged + tail.count
    guard newCols <= configuration.maxColumns else { return nil }

    // Smooth the changed columns from the EMA state before the first of them.
    var state = g.emaBeforeLast
    if firstChanged == oldCols, let span = configuration.emaSpan, span > 1 {
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

    // Statistics, the z scale and the notes, as the full build computes them.
    var prefix = firstChanged == oldCols - 1 ? g.prefixStats : g.prefixStats.merged(g.lastStats)
    var last = Stats()
    for ci in 0..<smoothed.count {
      var s = Stats()
      for v in smoothed[ci] { s.add(v) }
      if ci == smoothed.count - 1 { last = s } else { prefix = prefix.merged(s) }
    }
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
      xs.append(contentsOf: surface.x[row..<(row + firstChanged)])
      ys.append(contentsOf: surface.y[row..<(row + firstChanged)])
      zs.append(contentsOf: surface.z[row..<(row + firstChanged)])
      let layer = surface.y[row]
      for ci in 0..<smoothed.count {
        xs.append(Double(tailSteps[ci]))
        ys.append(layer)
        let v = smoothed[ci][li]
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
    g.steps.replaceSubrange(firstChanged..<oldCols, with: tailSteps)
    s.x.range = Double(g.steps.first!)...Double(g.steps.last!)
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
      SurfaceColumnGrowth(trace: 0, previousColumns: oldCols, unchangedColumns: firstChanged)
    ])
  }
}
