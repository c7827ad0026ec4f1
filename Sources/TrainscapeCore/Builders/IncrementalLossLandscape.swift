/// The single-run sliding-window loss surface (`LossLandscapeBuilder.slidingWindowScene`) that
/// grows as training appends rows: what `view loss-landscape RUN --follow` uses so that an
/// update costs O(new rows x window) instead of rebuilding every window from every row.
///
/// `init` builds the scene from all rows as `render loss-landscape` does in single-run mode
/// (rows into a buffer, the step range, the samples with both a loss and a learning rate, the
/// causal EMA of the losses, `slidingWindowScene`). `append` then takes the rows read since and
/// adds the windows they complete as new surface rows (`SurfaceRowGrowth`): window r covers
/// samples `[r * stride, r * stride + window)` and exists while `r * stride < count - window`,
/// so the last sample is never in a window, and the only sample a new row can rewrite (a row
/// with the last row's step merges into it, as `MetricsBuffer` does) is not drawn yet: drawn
/// rows never change. Value statistics of the drawn rows give the axis ranges, the scales
/// `--log-lr auto` / `--log-z auto` resolve to and the notes. The result equals a full build on
/// the same rows (tests compare them value by value).
///
/// Still a full rebuild (`append` returns nil; the instance is then spent and the caller
/// builds from scratch, seeding a new one):
/// - fewer samples than `--window`: the window is `count / 2` and changes with every sample;
/// - a row with a step earlier than the last row's (out of order, or a file that restarted
///   without being replaced), or rows out of order in the first build;
/// - a row brings a metric key not seen before (the loss or learning-rate key could change);
/// - the learning-rate or loss scale resolved by `auto` changes (every row's drawn value may
///   change).
/// Sweep mode (several runs, resampled onto a common grid) and reward landscapes are not
/// incremental at all.
public struct IncrementalLossLandscape: Sendable {
  /// What the full build needs besides the rows: the CLI's choices.
  public struct Configuration: Sendable {
    public var runName: String
    public var lossKey: String
    public var learningRateKey: String
    public var options: LossLandscapeBuilder.Options
    /// `--ema N` over the losses (nil or 1: none).
    public var emaSpan: Int?
    /// `--steps START:END`.
    public var stepRange: StepRange?

    public init(
      runName: String, lossKey: String, learningRateKey: String,
      options: LossLandscapeBuilder.Options = .init(), emaSpan: Int? = nil, stepRange: StepRange? = nil
    ) {
      self.runName = runName
      self.lossKey = lossKey
      self.learningRateKey = learningRateKey
      self.options = options
      self.emaSpan = emaSpan
      self.stepRange = stepRange
    }
  }

  typealias Stats = RunningStats

  public let configuration: Configuration
  /// The scene for the rows given so far.
  public private(set) var scene: Scene
  /// Why `append` always returns nil for this instance (nil when it can append).
  public private(set) var appendBlocker: String?

  /// The last buffer row (a row with its step merges into it).
  private var lastRow: MetricRow?
  /// Whether the last sample comes from `lastRow`.
  private var lastRowIsSample = false
  private var knownKeys = Set<String>()
  /// Every sample so far: steps, learning rates, raw and smoothed losses.
  private var steps: [Int64] = []
  private var learningRates: [Double] = []
  private var rawLosses: [Double] = []
  private var losses: [Double] = []
  /// The window length and stride (fixed once there are `options.window` samples).
  private var window = 0
  private var stride = 1
  private var xStats = Stats(), yStats = Stats(), zStats = Stats()

  /// The surface rows (windows) drawn.
  public var rows: Int {
    if case .surface(let s) = scene.traces.first { return s.rows }
    return 0
  }

  /// Builds the scene from `rows` as `render loss-landscape` does for one run.
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
    for row in buffer.storedRows {
      guard let l = row.values[configuration.lossKey], let lr = row.values[configuration.learningRateKey]
      else { continue }
      steps.append(row.step)
      rawLosses.append(l)
      learningRates.append(lr)
    }
    if let last = lastRow, let s = steps.last, s == last.step,
      configuration.stepRange.map({ $0.contains(last.step) }) ?? true
    {
      lastRowIsSample = true
    }
    losses = Self.smooth(rawLosses, span: configuration.emaSpan)
    scene = try LossLandscapeBuilder.slidingWindowScene(
      steps: steps, losses: losses, learningRates: learningRates, runName: configuration.runName,
      options: configuration.options)
    if !increasing {
      appendBlocker = "the rows' steps are not increasing"
      return
    }
    let (starts, window) = LossLandscapeBuilder.windows(count: steps.count, window: configuration.options.window)
    self.window = window
    stride = Swift.max(1, window / 4)
    for r in starts.indices { addStats(row: r) }
  }

  static func smooth(_ values: [Double], span: Int?) -> [Double] {
    guard let span, span > 1 else { return values }
    return SeriesOps.ema(values, span: span)
  }

  /// Adds the values of window `r` to the statistics, as the full build sees them.
  private mutating func addStats(row r: Int) {
    for i in (r * stride)..<(r * stride + window) {
      xStats.add(Double(steps[i]))
      yStats.add(learningRates[i])
      zStats.add(losses[i])
    }
  }

  /// Extends the scene by `rows` (those read after the ones given so far). Returns how the
  /// surface grew (new windows are new rows; none may be new), or nil when only a full build
  /// can show the rows (see the type's comment): the instance is then spent.
  public mutating func append(_ newRows: some Sequence<MetricRow>) -> SceneDelta? {
    guard appendBlocker == nil else { return nil }
    let requested = configuration.options.window
    // Checks that need no change first.
    if let blocker = IncrementalRows.blocker(newRows, after: lastRow?.step, knownKeys: knownKeys) {
      appendBlocker = blocker
      return nil
    }
    // The samples: a row with the last row's step merges into it (its sample is replaced).
    var firstChanged = steps.count
    for row in newRows {
      var row = row
      if let l = lastRow, l.step == row.step {
        var merged = l
        merged.values.merge(row.values) { _, new in new }
        row = merged
        if lastRowIsSample {
          steps.removeLast()
          learningRates.removeLast()
          rawLosses.removeLast()
          firstChanged = Swift.min(firstChanged, steps.count)
        }
      }
      lastRow = row
      lastRowIsSample = false
      guard configuration.stepRange.map({ $0.contains(row.step) }) ?? true,
        let l = row.values[configuration.lossKey], let lr = row.values[configuration.learningRateKey]
      else { continue }
      steps.append(row.step)
      rawLosses.append(l)
      learningRates.append(lr)
      lastRowIsSample = true
    }
    let n = steps.count
    // Smoothed losses from the first changed sample on (the EMA is causal).
    losses.removeSubrange(Swift.min(firstChanged, losses.count)...)
    if let span = configuration.emaSpan, span > 1 {
      var state = losses.last ?? .nan
      for i in losses.count..<n {
        state = IncrementalGradientFlow.emaStep(state, rawLosses[i], span: span)
        losses.append(state)
      }
    } else {
      losses.append(contentsOf: rawLosses[losses.count..<n])
    }
    let previousRows = rows
    // The drawn windows cover the samples before `covered` (never the last sample): a changed
    // sample there would rewrite drawn rows.
    let covered = previousRows == 0 ? 0 : (previousRows - 1) * stride + window
    guard firstChanged >= covered else {
      appendBlocker = "a drawn sample changed"
      return nil
    }
    let (nowWindow, nowRows) = Self.windowCount(n, requested)
    guard nowWindow == window else {
      appendBlocker = "fewer samples than --window \(requested): the window grows with the run"
      return nil
    }
    guard nowRows >= previousRows else {
      appendBlocker = "fewer windows than before"
      return nil
    }
    // A log axis turns values <= 0 into holes only when it has some (as `slidingWindowScene`).
    let maskedBefore = (y: yStats.nonPositive > 0, z: zStats.nonPositive > 0)
    for r in previousRows..<nowRows { addStats(row: r) }
    let opts = configuration.options
    let lrScale = yStats.resolve(opts.logLR, decades: 2)
    let zScale = zStats.resolve(opts.logZ, decades: 3)
    guard lrScale == scene.y.scale, zScale == scene.z.scale else {
      appendBlocker = "the learning-rate or loss axis changed between linear and log"
      return nil
    }
    let maskY = lrScale == .log && yStats.nonPositive > 0, maskZ = zScale == .log && zStats.nonPositive > 0
    guard maskY == (lrScale == .log && maskedBefore.y), maskZ == (zScale == .log && maskedBefore.z) else {
      appendBlocker = "a log axis starts hiding values <= 0"
      return nil
    }
    guard let xRange = xStats.range(.linear), let yRange = yStats.range(lrScale),
      let zRange = zStats.range(zScale),
      case .surface(var surface) = scene.traces.first
    else {
      appendBlocker = "no finite values"
      return nil
    }
    // Append in place: the scene gives up its copy of the surface's arrays first.
    scene.traces = []
    let cols = window
    let added = (nowRows - previousRows) * cols
    surface.x.reserveCapacity(surface.x.count + added)
    surface.y.reserveCapacity(surface.y.count + added)
    surface.z.reserveCapacity(surface.z.count + added)
    surface.color.reserveCapacity(surface.color.count + added)
    for r in previousRows..<nowRows {
      for c in 0..<cols {
        let i = r * stride + c
        surface.x.append(Double(steps[i]))
        let lr = learningRates[i], z = losses[i]
        // The log axis' holes, as `slidingWindowScene` makes them.
        surface.y.append(maskY && !(lr > 0) ? .nan : lr)
        let shown = maskZ && !(z > 0) ? .nan : z
        surface.z.append(shown)
        surface.color.append(shown)
      }
    }
    surface.rows = nowRows
    surface.colorRange = zRange
    scene.traces = [.surface(surface)]
    scene.x.range = xRange
    scene.y.range = yRange
    scene.z.range = zRange
    scene.colorBar?.range = zRange
    var notes: [String] = []
    if maskY {
      notes.append("\(yStats.nonPositive) learning-rate value(s) <= 0 cannot be shown on a log axis and are left as holes")
    }
    if maskZ {
      notes.append("\(zStats.nonPositive) loss value(s) <= 0 cannot be shown on a log axis and are left as holes")
    }
    notes.append(
      "single-run mode: \(nowRows) sliding windows of \(window) samples (stride \(stride)), as nanochat's wandb_3d_viz.py")
    scene.notes = notes
    return SceneDelta(
      surfaces: [], surfaceRows: [SurfaceRowGrowth(trace: 0, previousRows: previousRows, unchangedRows: previousRows)])
  }

  /// `LossLandscapeBuilder.windows`' window and count without listing the starts.
  static func windowCount(_ count: Int, _ requested: Int) -> (window: Int, rows: Int) {
    let window = count < requested ? count / 2 : requested
    guard window >= 1, count > window else { return (window, 0) }
    let stride = Swift.max(1, window / 4)
    return (window, (count - window - 1) / stride + 1)
  }
}
