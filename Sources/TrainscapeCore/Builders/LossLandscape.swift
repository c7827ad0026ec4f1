import Foundation

/// Loss over training step x learning rate.
///
/// Single-run mode reproduces the sliding-window surface of nanochat's `wandb_3d_viz.py`
/// (`create_3d_loss_landscape`): row r holds the samples `[r*stride, r*stride + window)`, with
/// `stride = max(1, window / 4)` and rows starting at `0, stride, ...` while
/// `start < count - window`; when there are fewer samples than `window`, the window becomes
/// `count / 2`. Each row's x, y and z are that window's steps, learning rates and losses, so
/// the surface is curvilinear. It is kept for compatibility: it shows loss along the
/// schedule, not a true loss(step, LR) surface (the sweep mode of "Landscape builders" is).
public enum LossLandscapeBuilder {
  public struct Options: Sendable {
    public var window = 50
    public var logLR: ScaleChoice = .auto
    public var logZ: ScaleChoice = .auto
    public var colormap: Colormap = .viridis
    public var camera = Camera(eye: Vec3(1.5, 1.5, 1.3))
    public var title: String?
    public var lossName = "Loss"
    /// The learning-rate axis' title (the key drawn).
    public var lrName = "Learning rate"
    public init() {}
  }

  /// The windows of the sliding-window surface: (start index, window length) for each row.
  public static func windows(count: Int, window requested: Int) -> (starts: [Int], window: Int) {
    var window = requested
    if count < window { window = count / 2 }
    guard window >= 1 else { return ([], window) }
    let stride = Swift.max(1, window / 4)
    var starts: [Int] = []
    var i = 0
    while i < count - window {
      starts.append(i)
      i += stride
    }
    return (starts, window)
  }

  /// Builds the single-run sliding-window surface from samples that have both a loss and a
  /// learning rate (in step order).
  public static func slidingWindowScene(
    steps: [Int64], losses: [Double], learningRates: [Double], runName: String,
    options: Options = Options()
  ) throws -> Scene {
    precondition(steps.count == losses.count && steps.count == learningRates.count)
    let (starts, window) = windows(count: steps.count, window: options.window)
    guard starts.count >= 2, window >= 2 else {
      throw BuilderError(
        "the sliding-window loss surface needs at least 2 windows of 2 samples with both loss and learning rate; found \(steps.count) sample(s)")
    }
    let rows = starts.count, cols = window
    var xs = [Double](repeating: 0, count: rows * cols)
    var ys = xs, zs = xs
    for (r, start) in starts.enumerated() {
      for c in 0..<cols {
        xs[r * cols + c] = Double(steps[start + c])
        ys[r * cols + c] = learningRates[start + c]
        zs[r * cols + c] = losses[start + c]
      }
    }
    var notes: [String] = []
    let lrScale = options.logLR.resolve(ys)
    let zScale = options.logZ.resolve(zs, decades: 3)
    func hide(_ values: inout [Double], _ what: String) {
      let bad = values.filter { $0.isFinite && $0 <= 0 }.count
      if bad > 0 {
        notes.append("\(bad) \(what) value(s) <= 0 cannot be shown on a log axis and are left as holes")
        values = values.map { $0 > 0 ? $0 : .nan }
      }
    }
    if lrScale == .log { hide(&ys, "learning-rate") }
    if zScale == .log { hide(&zs, "loss") }
    guard let xRange = finiteRange(xs, scale: .linear),
      let yRange = finiteRange(ys, scale: lrScale),
      let zRange = finiteRange(zs, scale: zScale)
    else { throw BuilderError("no finite loss / learning-rate values to draw") }
    notes.append(
      "single-run mode: \(rows) sliding windows of \(window) samples (stride \(Swift.max(1, window / 4))), as nanochat's wandb_3d_viz.py")
    let surface = SurfaceTrace(
      name: "Loss Surface", rows: rows, cols: cols, x: xs, y: ys, z: zs,
      colormap: options.colormap, colorRange: zRange, colorScale: zScale)
    return Scene(
      title: options.title ?? "Training loss landscape - \(runName)",
      traces: [.surface(surface)],
      x: AxisSpec(title: "Training step", range: xRange, integer: true),
      y: AxisSpec(title: options.lrName, scale: lrScale, range: yRange),
      z: AxisSpec(title: options.lossName, scale: zScale, range: zRange),
      camera: options.camera,
      colorBar: ColorBar(title: options.lossName, colormap: options.colormap, range: zRange, scale: zScale),
      notes: notes)
  }
}

// MARK: - Grid mode

extension LossLandscapeBuilder {
  public struct GridOptions: Sendable {
    public var logZ: ScaleChoice = .auto
    /// Values above this are clipped to it (loss-landscape's `--zmax`), with a note.
    public var zMax: Double?
    public var colormap: Colormap = .viridis
    public var camera = Camera(eye: Vec3(1.25, 1.25, 1.25))
    public var title: String?
    public var xTitle = "Direction 1"
    public var yTitle = "Direction 2"
    public init() {}
  }

  /// A precomputed loss grid (e.g. the loss-landscape project's alpha x beta -> loss):
  /// `values[r * x.count + c]` is the loss at (x[c], y[r]); NaN cells are holes.
  public static func gridScene(
    x: [Double], y: [Double], values: [Double], name: String, pendingCells: Int = 0,
    options: GridOptions = GridOptions()
  ) throws -> Scene {
    guard x.count >= 2, y.count >= 2, values.count == x.count * y.count else {
      throw BuilderError(
        "a loss grid needs at least 2 x 2 values; got \(y.count) x \(x.count) with \(values.count) values")
    }
    var z = values
    var notes: [String] = []
    if pendingCells > 0 {
      notes.append("\(pendingCells) of \(values.count) cells are not computed yet (-1 in the file) and are left as holes")
    }
    if let zMax = options.zMax {
      var clipped = 0
      for i in z.indices where z[i] > zMax {
        z[i] = zMax
        clipped += 1
      }
      if clipped > 0 { notes.append("\(clipped) value(s) above --zmax \(fmt(zMax)) are clipped to it") }
    }
    let scale = options.logZ.resolve(z, decades: 3)
    if scale == .log {
      let bad = z.filter { $0.isFinite && $0 <= 0 }.count
      if bad > 0 {
        notes.append("\(bad) value(s) <= 0 cannot be shown on the log z axis and are left as holes")
        z = z.map { $0 > 0 ? $0 : .nan }
      }
    }
    let rows = y.count, cols = x.count
    var xs = [Double](repeating: 0, count: rows * cols)
    var ys = xs
    for r in 0..<rows {
      for c in 0..<cols {
        xs[r * cols + c] = x[c]
        ys[r * cols + c] = y[r]
      }
    }
    let zAxis = try axis(name, z, scale: scale)
    let surface = SurfaceTrace(
      name: name, rows: rows, cols: cols, x: xs, y: ys, z: z, colormap: options.colormap,
      colorRange: zAxis.range, colorScale: scale)
    return Scene(
      title: options.title ?? "Loss landscape: \(name)",
      traces: [.surface(surface)],
      x: try axis(options.xTitle, x, scale: .linear),
      y: try axis(options.yTitle, y, scale: .linear),
      z: zAxis, camera: options.camera,
      colorBar: ColorBar(title: name, colormap: options.colormap, range: zAxis.range, scale: scale),
      notes: notes)
  }
}

// MARK: - Sweep mode

extension LossLandscapeBuilder {
  /// One run of a learning-rate sweep.
  public struct SweepRun: Sendable {
    public var name: String
    public var learningRate: Double
    public var steps: [Int64]
    public var loss: [Double]
    public init(name: String, learningRate: Double, steps: [Int64], loss: [Double]) {
      self.name = name
      self.learningRate = learningRate
      self.steps = steps
      self.loss = loss
    }
  }

  public struct SweepOptions: Sendable {
    /// Columns of the common step grid.
    public var gridPoints = 200
    public var logZ: ScaleChoice = .auto
    public var colormap: Colormap = .viridis
    public var camera = Camera(eye: Vec3(1.5, 1.5, 1.3))
    public var title: String?
    public var lossName = "Loss"
    public init() {}
  }

  /// The true loss(step, LR) surface of a sweep: one row per learning rate (log axis), every
  /// run resampled onto one common step grid over the steps all runs cover (linear
  /// interpolation, no extrapolation). Runs with the same learning rate (seeds) are averaged.
  public static func sweepScene(_ runsIn: [SweepRun], options: SweepOptions = SweepOptions()) throws -> Scene {
    let runs = runsIn.filter { !$0.steps.isEmpty }
    guard runs.count >= 2 else {
      throw BuilderError("a sweep surface needs at least 2 runs with loss values; got \(runs.count)")
    }
    if let bad = runs.first(where: { !($0.learningRate > 0) || !$0.learningRate.isFinite }) {
      throw BuilderError("run \(bad.name) has learning rate \(bad.learningRate); a sweep needs positive learning rates")
    }
    var notes: [String] = []
    // Group by learning rate (exact equality after rounding to 12 significant digits).
    func key(_ lr: Double) -> String { String(format: "%.12g", lr) }
    var groups: [String: [SweepRun]] = [:]
    for r in runs { groups[key(r.learningRate), default: []].append(r) }
    let lrs = groups.values.map { $0[0].learningRate }.sorted()
    guard lrs.count >= 2 else {
      throw BuilderError("all \(runs.count) runs have the same learning rate \(fmt(lrs[0])); a sweep needs at least 2 learning rates")
    }
    let ranges = runs.map { $0.steps.min()!...$0.steps.max()! }
    let grid = SeriesOps.commonGrid(ranges, count: options.gridPoints)
    guard grid.count >= 2 else {
      throw BuilderError(
        "the runs' step ranges do not overlap (\(ranges.map { "\($0.lowerBound)...\($0.upperBound)" }.joined(separator: ", "))); a sweep surface needs common steps")
    }
    let union = ranges.map(\.lowerBound).min()!...ranges.map(\.upperBound).max()!
    if union.lowerBound < Int64(grid.first!) || union.upperBound > Int64(grid.last!) {
      notes.append("steps \(Int64(grid.first!))...\(Int64(grid.last!)) are shown: the range every run covers (no extrapolation)")
    }
    let rows = lrs.count, cols = grid.count
    var xs = [Double](repeating: 0, count: rows * cols), ys = xs, zs = xs
    for (r, lr) in lrs.enumerated() {
      let members = groups[key(lr)]!
      if members.count > 1 {
        notes.append("learning rate \(fmt(lr)): mean of \(members.count) runs (\(members.map(\.name).joined(separator: ", ")))")
      }
      let curves = members.map { SeriesOps.resample(steps: $0.steps, values: $0.loss, onto: grid) }
      for c in 0..<cols {
        let vals = curves.map { $0[c] }.filter(\.isFinite)
        xs[r * cols + c] = grid[c]
        ys[r * cols + c] = lr
        zs[r * cols + c] = vals.isEmpty ? .nan : vals.reduce(0, +) / Double(vals.count)
      }
    }
    let zScale = options.logZ.resolve(zs, decades: 3)
    if zScale == .log {
      let bad = zs.filter { $0.isFinite && $0 <= 0 }.count
      if bad > 0 {
        notes.append("\(bad) loss value(s) <= 0 cannot be shown on the log z axis and are left as holes")
        zs = zs.map { $0 > 0 ? $0 : .nan }
      }
    }
    let zAxis = try axis(options.lossName, zs, scale: zScale)
    notes.append("sweep mode: \(runs.count) runs, \(rows) learning rates x \(cols) steps")
    let surface = SurfaceTrace(
      name: "Loss(step, learning rate)", rows: rows, cols: cols, x: xs, y: ys, z: zs,
      colormap: options.colormap, colorRange: zAxis.range, colorScale: zScale)
    return Scene(
      title: options.title ?? "Loss landscape over a learning-rate sweep (\(rows) runs)",
      traces: [.surface(surface)],
      x: AxisSpec(title: "Training step", range: grid.first!...grid.last!, integer: true),
      y: AxisSpec(title: "Learning rate", scale: .log, range: lrs.first!...lrs.last!),
      z: zAxis, camera: options.camera,
      colorBar: ColorBar(title: options.lossName, colormap: options.colormap, range: zAxis.range, scale: zScale),
      notes: notes)
  }

  /// A learning rate written in a run's file or directory name: "lr3e-4", "lr_0.001",
  /// "lr=1e-3", "lr-0.01", "learning_rate=5e-4".
  public static func learningRate(fromName name: String) -> Double? {
    let pattern = #"(?:^|[^a-z])(?:lr|learning[_-]?rate)[_=\-]?([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)"#
    guard let re = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
      let m = re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)),
      let r = Range(m.range(at: 1), in: name), let v = Double(name[r]), v > 0
    else { return nil }
    return v
  }
}
