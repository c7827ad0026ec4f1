/// A single run's trajectory (`TrajectoryBuilder.scene` of one run) that grows as training
/// appends rows: what `view trajectory RUN --follow` uses so that an update costs O(new rows)
/// (plus a copy of the drawn points) instead of rebuilding the path from every row.
///
/// `init` builds the scene from all rows as `render trajectory` does for one run (rows into a
/// buffer, the step range, the samples with loss and gradient norm (and reward, with a reward
/// key), the causal EMA of each, `--max-steps` downsampling by `SeriesOps.alignedMinMaxIndices`,
/// `TrajectoryBuilder.scene`). `append` then takes the rows read since and extends the scatter
/// trace (`ScatterGrowth`): new samples only rewrite the last downsampling bucket's (one or two)
/// points and add buckets. Value statistics of the drawn points give the axis ranges, the log
/// choices of `--log-loss auto` / `--log-grad auto` and the colour range. The result equals a
/// full build on the same rows (tests compare them value by value).
///
/// Still a full rebuild (`append` returns nil; the instance is then spent and the caller builds
/// from scratch, seeding a new one):
/// - the downsampling bucket width doubles (pairs of buckets merge: every point may change),
///   about log2(samples / --max-steps) + 1 times over a run;
/// - a row with a step earlier than the last row's, or rows out of order in the first build;
/// - a row brings a metric key not seen before (the chosen keys could change);
/// - the loss or gradient-norm scale resolved by `auto` changes.
/// Several runs (overlaid, each in its own colour) are not incremental: `view trajectory` with
/// several files or a directory of runs rebuilds on every update.
public struct IncrementalTrajectory: Sendable {
  public struct Configuration: Sendable {
    public var runName: String
    public var lossKey: String
    public var gradNormKey: String
    /// nil: no rewards (the path is (step, loss, grad norm), coloured by loss).
    public var rewardKey: String?
    public var options: TrajectoryBuilder.Options
    /// `--ema N` on every series (nil or 1: none).
    public var emaSpan: Int?
    public var stepRange: StepRange?
    /// `--max-steps N`.
    public var maxPoints: Int

    public init(
      runName: String, lossKey: String, gradNormKey: String, rewardKey: String? = nil,
      options: TrajectoryBuilder.Options = .init(), emaSpan: Int? = nil, stepRange: StepRange? = nil,
      maxPoints: Int = 2000
    ) {
      self.runName = runName
      self.lossKey = lossKey
      self.gradNormKey = gradNormKey
      self.rewardKey = rewardKey
      self.options = options
      self.emaSpan = emaSpan
      self.stepRange = stepRange
      self.maxPoints = maxPoints
    }
  }

  /// Finite-value statistics of drawn values.
  typealias Stats = RunningStats

  public let configuration: Configuration
  public private(set) var scene: Scene
  public private(set) var appendBlocker: String?
  /// The downsampling bucket width (1: every sample drawn).
  public private(set) var bucketWidth = 1

  private var lastRow: MetricRow?
  private var lastRowIsSample = false
  private var knownKeys = Set<String>()
  private var steps: [Int64] = []
  /// Raw and smoothed loss, gradient norm, reward (empty without a reward key).
  private var raw: [[Double]] = [[], [], []]
  private var smoothed: [[Double]] = [[], [], []]
  /// The drawn samples' indices.
  private var picks: [Int] = []
  /// Statistics of the points drawn for the buckets before the last, and for the last:
  /// loss, gradient norm, reward, step.
  private var prefixStats = [Stats](repeating: Stats(), count: 4)
  private var lastStats = [Stats](repeating: Stats(), count: 4)
  private var withReward: Bool { configuration.rewardKey != nil }

  public init(configuration: Configuration, rows: some Sequence<MetricRow>) throws {
    self.configuration = configuration
    var buffer = MetricsBuffer(capacity: nil)
    buffer.append(contentsOf: rows)
    lastRow = buffer.storedRows.last
    var increasing = true
    var previous: Int64?
    for row in buffer.storedRows {
      knownKeys.formUnion(row.values.keys)
      if let p = previous, row.step <= p { increasing = false }
      previous = row.step
    }
    if let r = configuration.stepRange { buffer = buffer.selecting(r) }
    var steps: [Int64] = []
    var raw: [[Double]] = [[], [], []]
    for row in buffer.storedRows {
      guard let v = Self.sample(row, configuration) else { continue }
      steps.append(row.step)
      raw[0].append(v.0)
      raw[1].append(v.1)
      if configuration.rewardKey != nil { raw[2].append(v.2) }
    }
    self.steps = steps
    self.raw = raw
    if let last = lastRow, let s = steps.last, s == last.step,
      configuration.stepRange.map({ $0.contains(last.step) }) ?? true
    {
      lastRowIsSample = true
    }
    let smoothed = raw.map { IncrementalLossLandscape.smooth($0, span: configuration.emaSpan) }
    self.smoothed = smoothed
    let n = steps.count
    let picks = n > configuration.maxPoints
      ? SeriesOps.alignedMinMaxIndices(smoothed[0], maxPoints: configuration.maxPoints) : Array(0..<n)
    self.picks = picks
    bucketWidth = n > configuration.maxPoints
      ? LayerStepMatrix.bucketWidth(columns: n, maxColumns: configuration.maxPoints) : 1
    let series = TrajectoryBuilder.RunSeries(
      name: configuration.runName, steps: picks.map { steps[$0] }, loss: picks.map { smoothed[0][$0] },
      gradNorm: picks.map { smoothed[1][$0] },
      reward: configuration.rewardKey != nil ? picks.map { smoothed[2][$0] } : [])
    scene = try TrajectoryBuilder.scene([series], options: configuration.options)
    if !increasing {
      appendBlocker = "the rows' steps are not increasing"
      return
    }
    let lastBucket = n == 0 ? 0 : (n - 1) / bucketWidth
    for i in picks { addStats(i, last: i / bucketWidth == lastBucket) }
  }

  /// The loss, gradient norm and reward (0 without a reward key) of `row`, when it has the
  /// values the path needs.
  static func sample(_ row: MetricRow, _ c: Configuration) -> (Double, Double, Double)? {
    guard let l = row.values[c.lossKey], let g = row.values[c.gradNormKey] else { return nil }
    guard let rk = c.rewardKey else { return (l, g, 0) }
    guard let r = row.values[rk] else { return nil }
    return (l, g, r)
  }

  /// Appends the sample of `row` when it has the values the path needs.
  private mutating func addSample(_ row: MetricRow) -> Bool {
    guard let v = Self.sample(row, configuration) else { return false }
    steps.append(row.step)
    raw[0].append(v.0)
    raw[1].append(v.1)
    if withReward { raw[2].append(v.2) }
    return true
  }

  private mutating func addStats(_ i: Int, last: Bool) {
    let v = [smoothed[0][i], smoothed[1][i], withReward ? smoothed[2][i] : .nan, Double(steps[i])]
    for c in 0..<4 {
      if last { lastStats[c].add(v[c]) } else { prefixStats[c].add(v[c]) }
    }
  }

  /// Extends the scene by `rows` (those read after the ones given so far). Returns how the
  /// trace grew, or nil when only a full build can show the rows (see the type's comment): the
  /// instance is then spent.
  public mutating func append(_ newRows: some Sequence<MetricRow>) -> SceneDelta? {
    guard appendBlocker == nil, !steps.isEmpty else { return nil }
    if let blocker = IncrementalRows.blocker(newRows, after: lastRow?.step, knownKeys: knownKeys) {
      appendBlocker = blocker
      return nil
    }
    let oldCount = steps.count
    var firstChanged = oldCount
    for row in newRows {
      var row = row
      if let l = lastRow, l.step == row.step {
        var merged = l
        merged.values.merge(row.values) { _, new in new }
        row = merged
        if lastRowIsSample {
          steps.removeLast()
          for c in 0..<3 where !raw[c].isEmpty && raw[c].count > steps.count { raw[c].removeLast() }
          firstChanged = Swift.min(firstChanged, steps.count)
        }
      }
      lastRow = row
      lastRowIsSample = (configuration.stepRange.map { $0.contains(row.step) } ?? true) && addSample(row)
    }
    let n = steps.count
    guard n > 0 else {
      appendBlocker = "no samples"
      return nil
    }
    for c in 0..<3 where withReward || c < 2 {
      smoothed[c].removeSubrange(Swift.min(firstChanged, smoothed[c].count)...)
      if let span = configuration.emaSpan, span > 1 {
        var state = smoothed[c].last ?? .nan
        for i in smoothed[c].count..<n {
          state = IncrementalGradientFlow.emaStep(state, raw[c][i], span: span)
          smoothed[c].append(state)
        }
      } else {
        smoothed[c].append(contentsOf: raw[c][smoothed[c].count..<n])
      }
    }
    let maxPoints = configuration.maxPoints
    let width = n > maxPoints ? LayerStepMatrix.bucketWidth(columns: n, maxColumns: maxPoints) : 1
    guard width == bucketWidth else {
      appendBlocker = "more than --max-steps \(maxPoints) points at buckets of \(bucketWidth) steps: buckets of \(width) now"
      return nil
    }
    // Buckets from the one holding the first changed sample (at least the old last bucket's).
    let oldLastBucket = (oldCount - 1) / width
    let firstBucket = Swift.min(firstChanged / width, oldLastBucket)
    guard firstBucket == oldLastBucket else {
      appendBlocker = "a drawn sample before the last bucket changed"
      return nil
    }
    let keep = picks.firstIndex { $0 >= firstBucket * width } ?? picks.count
    picks.removeSubrange(keep...)
    let lastBucket = (n - 1) / width
    // The old last bucket's statistics are rebuilt from its new picks.
    lastStats = [Stats](repeating: Stats(), count: 4)
    for b in firstBucket...lastBucket {
      let start = picks.count
      if width == 1 {
        picks.append(b)
      } else {
        SeriesOps.appendMinMax(smoothed[0], (b * width)..<Swift.min((b + 1) * width, n), to: &picks)
      }
      for i in picks[start...] { addStats(i, last: b == lastBucket) }
    }
    let stats = (0..<4).map { prefixStats[$0].merged(lastStats[$0]) }
    let opts = configuration.options
    let lossScale = stats[0].resolve(opts.logLoss, decades: 2)
    let gradScale = stats[1].resolve(opts.logGradNorm, decades: 2)
    guard case .scatter(var trace) = scene.traces.first else { return nil }
    let oldScales = withReward ? (scene.x.scale, scene.y.scale) : (scene.y.scale, scene.z.scale)
    guard (lossScale, gradScale) == oldScales else {
      appendBlocker = "the loss or gradient-norm axis changed between linear and log"
      return nil
    }
    // The drawn points: rewrite from `keep` on, in place.
    let previousCount = trace.count
    scene.traces = []
    trace.x.removeSubrange(keep...)
    trace.y.removeSubrange(keep...)
    trace.z.removeSubrange(keep...)
    trace.text.removeSubrange(keep...)
    if trace.steps.count >= keep { trace.steps.removeSubrange(keep...) }
    guard case .scalar(var colorValues, let map, _, let colorScale) = trace.colors else { return nil }
    trace.colors = .solid(RGBColor(r: 0, g: 0, b: 0))
    colorValues.removeSubrange(keep...)
    let name = configuration.runName
    for i in picks[keep...] {
      let l = smoothed[0][i], g = smoothed[1][i], s = Double(steps[i])
      if withReward {
        let r = smoothed[2][i]
        trace.x.append(l); trace.y.append(g); trace.z.append(r); colorValues.append(s)
        trace.steps.append(steps[i])
        trace.text.append("\(name) step \(steps[i]): loss \(fmt(l)), grad norm \(fmt(g)), reward \(fmt(r))")
      } else {
        trace.x.append(s); trace.y.append(l); trace.z.append(g); colorValues.append(l)
        trace.text.append("\(name) step \(steps[i]): loss \(fmt(l)), grad norm \(fmt(g))")
      }
    }
    let colorStats = withReward ? stats[3] : stats[0]
    guard let colorRange = colorStats.range(withReward ? .linear : lossScale),
      let lossRange = stats[0].range(lossScale), let gradRange = stats[1].range(gradScale),
      let stepRange = stats[3].range(.linear), let rewardRange = withReward ? stats[2].range(.linear) : 0...0
    else {
      appendBlocker = "no finite values to draw"
      return nil
    }
    trace.colors = .scalar(colorValues, colormap: map, range: colorRange, scale: colorScale)
    scene.traces = [.scatter(trace)]
    scene.colorBar?.range = colorRange
    if withReward {
      scene.x.range = lossRange
      scene.y.range = gradRange
      scene.z.range = rewardRange
    } else {
      scene.x.range = stepRange
      scene.y.range = lossRange
      scene.z.range = gradRange
    }
    return SceneDelta(
      surfaces: [],
      scatters: [ScatterGrowth(trace: 0, previousCount: previousCount, unchangedCount: keep)])
  }
}
