import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a 3D landscape of a training run to a PNG, headless.",
    subcommands: [GradientFlow.self, LossLandscape.self, Trajectory.self, Attention.self, RewardLandscape.self, Embedding.self,
      RenderFigure.self,
    ])
}

/// Options for choosing which rows of a run are used.
struct RunOptions: ParsableArguments {
  @Argument(help: "The run: a JSONL, CSV, trainer_state.json, TensorBoard event or W&B .wandb file, or a TensorBoard / W&B run directory.")
  var path: String

  @OptionGroup var inputFormat: InputFormatOptions

  @Option(help: ArgumentHelp("Keep only the last N steps, as a bounded buffer does (default: the whole run).", valueName: "N"))
  var last: Int?

  func validate() throws {
    if let n = last, n < 2 { throw ValidationError("--last must be at least 2") }
  }

  func load() throws -> (buffer: MetricsBuffer, run: Run) {
    let (buffer, run) = try loadRun(path, last: last, input: inputFormat)
    if buffer.droppedCount > 0 {
      log.notice("kept the last \(buffer.count) of \(buffer.count + buffer.droppedCount) rows (--last \(last!))")
    }
    return (buffer, run)
  }

}

extension Render {
  struct GradientFlow: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "gradient-flow",
      abstract: "The layer x step surface of a per-layer metric family (x = step, y = layer, z = value).",
      discussion: """
        A family is every key of the form PREFIX/layer_N, PREFIX/N, PREFIX.N or PREFIX_N, for
        example grad_norm/layer_0 ... grad_norm/layer_11. Layers are sorted numerically.
        Missing or non-finite values are left as holes in the surface.
        """)

    @OptionGroup var input: RunOptions

    @Option(help: "The metric family (prefix) to draw (default: grad_norm if present, else the family with the most layers).")
    var family: String?

    @Option(help: "Log-scale z: auto (when the values span two decades or more), on, off.")
    var logZ: ScaleChoice = .auto

    @Flag(help: "Divide each layer by its own largest value, to compare shapes across layers.")
    var normalizeLayers = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var output: OutputOptions

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let (loaded, runInfo) = try input.load()
      let buffer = series.select(loaded)
      let chosen = try chosenFamily(in: buffer)
      var matrix = buffer.layerStepMatrix(for: chosen)
      if let span = series.ema, span > 1 { matrix = matrix.smoothed(span: span) }
      if matrix.steps.count > series.maxSteps {
        let before = matrix.steps.count
        let width = LayerStepMatrix.bucketWidth(columns: before, maxColumns: series.maxSteps)
        matrix = matrix.downsampled(maxColumns: series.maxSteps)
        log.notice("\(chosen.prefix): \(before) steps downsampled to \(matrix.steps.count) columns keeping every layer's min and max per bucket of \(width) steps (--max-steps \(series.maxSteps))")
      }
      let scene = try GradientFlowBuilder.scene(
        steps: matrix.steps, layers: matrix.layers, values: matrix.values, family: chosen.prefix,
        runName: runInfo.name, options: builderOptions)
      return (scene, runInfo.name)
    }

    var builderOptions: GradientFlowBuilder.Options {
      var options = GradientFlowBuilder.Options()
      options.logZ = logZ
      options.normalizePerLayer = normalizeLayers
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      return options
    }

    /// --family, or grad_norm when present, or the family with the most layers.
    func chosenFamily(in buffer: MetricsBuffer) throws -> MetricFamily {
      let keys = Set(buffer.rows.flatMap { $0.values.keys })
      let families = MetricFamilies.detect(in: keys)
      if let name = family {
        guard let f = MetricFamilies.family(named: name, in: keys) else {
          throw CLIError(
            "\(input.path): no metric family '\(name)'; families found: \(families.map { "\($0.prefix) (\($0.layers.count) layers)" }.joined(separator: ", ").ifEmpty("none"))")
        }
        return f
      }
      guard
        let f = families.first(where: { $0.prefix == "grad_norm" })
          ?? families.max(by: { $0.layers.count < $1.layers.count })
      else {
        throw CLIError(
          "\(input.path): no per-layer metric family (keys like grad_norm/layer_0, grad_norm/layer_1, ...); keys found: \(keys.sorted().prefix(20).joined(separator: ", "))")
      }
      return f
    }

    /// The incremental builder for `view --follow`, seeded with the rows read so far: the same
    /// choices as `makeScene` (family, options, --ema, --max-steps, --steps, --last).
    func incrementalBuilder() throws -> IncrementalGradientFlow {
      let (loaded, runInfo) = try input.load()
      let chosen = try chosenFamily(in: series.select(loaded))
      let config = IncrementalGradientFlow.Configuration(
        family: chosen, runName: runInfo.name, options: builderOptions, emaSpan: series.ema,
        maxColumns: series.maxSteps, stepRange: series.stepRange, capacity: input.last)
      return try IncrementalGradientFlow(configuration: config, rows: runInfo.rows)
    }
  }

  struct LossLandscape: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "loss-landscape",
      abstract: "Loss over training step x learning rate: a sweep of runs, or one run (sliding windows).",
      discussion: """
        Sweep mode (several runs, the default when more than one path is given): one run per
        learning rate, taken from the --lr-key metric's first value, the run's config ('lr',
        'learning_rate') or the file name ('lr3e-4', 'lr=0.001', ...). All runs are resampled
        onto one common step grid (linear interpolation, no extrapolation); the learning-rate
        axis is logarithmic. This is the true loss(step, LR) surface.

        Grid mode (a .npy, .csv or .h5 file): a precomputed loss grid, e.g. the loss-landscape
        project's alpha x beta -> loss surface (.h5 with xcoordinates, ycoordinates and
        train_loss, where -1 marks cells not computed yet: they are holes).

        Single-run mode builds the surface as nanochat's wandb_3d_viz.py does: windows of
        --window samples (default 50) taken every window/4 samples become the rows of the
        surface, each row holding that window's steps (x), learning rates (y) and losses (z).
        It shows the loss along the schedule and is kept for compatibility.
        """)

    @Argument(help: "One metrics file (single-run mode), several files or a directory of runs (sweep mode), or a .npy/.csv/.h5 loss grid.")
    var paths: [String]

    @OptionGroup var inputFormat: InputFormatOptions

    @Option(help: "The loss metric (default: the first of \(MetricCandidates.loss.joined(separator: ", "))).")
    var lossKey: String?

    @Option(help: "The learning-rate metric (default: the first of \(MetricCandidates.learningRate.joined(separator: ", "))). In sweep mode its first value is the run's learning rate.")
    var lrKey: String?

    @Option(help: "Samples per sliding window (single-run mode).")
    var window: Int = 50

    @Option(help: "Columns of the common step grid (sweep mode).")
    var gridPoints: Int = 200

    @Option(help: "Log-scale the learning-rate axis (single-run mode; a sweep is always log): auto (two decades or more), on, off.")
    var logLr: ScaleChoice = .auto

    @Option(help: "Log-scale the loss axis: auto (three decades or more), on, off.")
    var logZ: ScaleChoice = .auto

    @Option(parsing: .unconditional, help: ArgumentHelp("Grid mode (.npy/.csv): the x coordinates of the grid's columns, MIN:MAX (default: column indices).", valueName: "MIN:MAX"))
    var xRange: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Grid mode (.npy/.csv): the y coordinates of the grid's rows, MIN:MAX (default: row indices).", valueName: "MIN:MAX"))
    var yRange: String?

    @Option(help: "Grid mode (.h5): the dataset to draw (train_loss, test_loss, train_acc, ...).")
    var dataset: String = "train_loss"

    @Option(help: "Grid mode: clip values above this before drawing (loss-landscape's --zmax); said in the notes.")
    var zmax: Double?

    @Flag(help: "Grid mode: the file's first axis is x (Z[i, j] at x[i], y[j]) instead of y.")
    var transpose = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if window < 4 { throw ValidationError("--window must be at least 4") }
      if gridPoints < 2 { throw ValidationError("--grid-points must be at least 2") }
      for (flag, value) in [("--x-range", xRange), ("--y-range", yRange)] {
        if let v = value, parseRange(v) == nil {
          throw ValidationError("\(flag) expects MIN:MAX with MIN < MAX, e.g. -1:1; got '\(v)'")
        }
      }
    }

    static let gridExtensions = ["npy", "csv", "tsv", "txt", "h5", "hdf5"]

    var isGridMode: Bool {
      paths.count == 1 && Self.gridExtensions.contains(URL(fileURLWithPath: paths[0]).pathExtension.lowercased())
    }

    func gridScene(_ path: String) throws -> (Scene, String) {
      let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
      var grid: LossGrid
      // With --transpose the file's rows are x: the reader's column range is our y range.
      let cols = (transpose ? yRange : xRange).flatMap(parseRange)
      let rows = (transpose ? xRange : yRange).flatMap(parseRange)
      switch ext {
      case "npy": grid = try GridReader.readNPY(path: path, xRange: cols, yRange: rows)
      case "h5", "hdf5": grid = try GridReader.readLossLandscapeH5(path: path, dataset: dataset)
      default: grid = try GridReader.readCSV(path: path, xRange: cols, yRange: rows)
      }
      if transpose { grid = grid.transposed() }
      var options = LossLandscapeBuilder.GridOptions()
      options.logZ = logZ
      options.zMax = zmax
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      let scene = try LossLandscapeBuilder.gridScene(
        x: grid.x, y: grid.y, values: grid.values, name: grid.name, pendingCells: grid.pendingCells,
        options: options)
      return (scene, name)
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      if isGridMode { return try gridScene(paths[0]) }
      let runCount = try loadRunsCached(paths, input: inputFormat).count
      return runCount > 1 ? try sweepScene() : try singleRunScene(paths[0])
    }

    func singleRunScene(_ path: String) throws -> (Scene, String) {
      let (loaded, runInfo) = try loadRun(path, input: inputFormat)
      let buffer = series.select(loaded)
      let keys = Set(buffer.rows.flatMap { $0.values.keys })
      let lossKey = try pickKey(self.lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
      let lrKey = try pickKey(self.lrKey, MetricCandidates.learningRate, in: keys, what: "learning-rate", flag: "--lr-key", file: path)
      var steps: [Int64] = [], losses: [Double] = [], lrs: [Double] = []
      for row in buffer.rows {
        guard let l = row.values[lossKey], let r = row.values[lrKey] else { continue }
        steps.append(row.step)
        losses.append(l)
        lrs.append(r)
      }
      losses = series.smooth(losses)
      let scene = try LossLandscapeBuilder.slidingWindowScene(
        steps: steps, losses: losses, learningRates: lrs, runName: runInfo.name,
        options: singleRunOptions(lossKey: lossKey))
      return (scene, runInfo.name)
    }

    func singleRunOptions(lossKey: String) -> LossLandscapeBuilder.Options {
      var options = LossLandscapeBuilder.Options()
      options.window = window
      options.logLR = logLr
      options.logZ = logZ
      options.lossName = lossKey
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      return options
    }

    /// The single-run surface as `view --follow` grows it (`IncrementalLossLandscape`), built
    /// from the rows read so far as `singleRunScene` builds it; throws in grid and sweep mode.
    func incrementalBuilder() throws -> IncrementalLossLandscape {
      guard !isGridMode, try loadRunsCached(paths, input: inputFormat).count == 1 else {
        throw CLIError("only the single-run loss landscape grows incrementally")
      }
      let path = paths[0]
      let (loaded, runInfo) = try loadRun(path, input: inputFormat)
      let keys = Set(series.select(loaded).rows.flatMap { $0.values.keys })
      let lossKey = try pickKey(self.lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
      let lrKey = try pickKey(self.lrKey, MetricCandidates.learningRate, in: keys, what: "learning-rate", flag: "--lr-key", file: path)
      let config = IncrementalLossLandscape.Configuration(
        runName: runInfo.name, lossKey: lossKey, learningRateKey: lrKey,
        options: singleRunOptions(lossKey: lossKey), emaSpan: series.ema, stepRange: series.stepRange)
      return try IncrementalLossLandscape(configuration: config, rows: runInfo.rows)
    }

    func sweepScene() throws -> (Scene, String) {
      var runs: [LossLandscapeBuilder.SweepRun] = []
      var lossName = lossKey ?? "Loss"
      for runInfo in try loadRunsCached(paths, input: inputFormat) {
        let path = runInfo.source
        let buffer = series.select(bufferOf(runInfo))
        let keys = Set(buffer.rows.flatMap { $0.values.keys })
        let lk = try pickKey(lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
        lossName = lk
        // The run's learning rate: --lr-key's first value, the config, or the name.
        var lr: Double?
        var source = ""
        if let k = lrKey ?? MetricCandidates.learningRate.first(where: keys.contains),
          let first = buffer.rows.first(where: { $0.values[k] != nil })?.values[k]
        {
          lr = first
          source = "first value of \(k)"
        }
        if lr == nil, let c = runInfo.config["lr"] ?? runInfo.config["learning_rate"] {
          lr = c
          source = "config"
        }
        if lr == nil, let n = LossLandscapeBuilder.learningRate(fromName: runInfo.name) {
          lr = n
          source = "file name"
        }
        guard let lr else {
          throw CLIError(
            "\(path): no learning rate for this run: no --lr-key metric, no 'lr' in its config, and none in its name (e.g. run_lr3e-4.jsonl)")
        }
        log.info("\(runInfo.name): learning rate \(lr) (\(source))")
        var steps: [Int64] = [], losses: [Double] = []
        for row in buffer.rows {
          guard let l = row.values[lk] else { continue }
          steps.append(row.step)
          losses.append(l)
        }
        runs.append(.init(name: runInfo.name, learningRate: lr, steps: steps, loss: series.smooth(losses)))
      }
      var options = LossLandscapeBuilder.SweepOptions()
      options.gridPoints = gridPoints
      options.logZ = logZ
      options.lossName = lossName
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      return (try LossLandscapeBuilder.sweepScene(runs, options: options), "sweep")
    }
  }
}

extension String {
  func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}

/// Picks a metric key: the one named, or the first candidate present.
func pickKey(
  _ explicit: String?, _ candidates: [String], in keys: Set<String>, what: String, flag: String,
  file: String
) throws -> String {
  if let k = explicit {
    guard keys.contains(k) else {
      throw CLIError("\(file): no metric '\(k)' for \(what); keys found: \(keys.sorted().prefix(30).joined(separator: ", "))")
    }
    return k
  }
  guard let k = candidates.first(where: keys.contains) else {
    throw CLIError(
      "\(file): no \(what) metric (looked for \(candidates.joined(separator: ", "))); name one with \(flag). Keys found: \(keys.sorted().prefix(30).joined(separator: ", "))")
  }
  return k
}

enum MetricCandidates {
  static let loss = ["loss", "train/loss", "train_loss", "loss/total", "train/loss_step"]
  static let learningRate = ["lr", "learning_rate", "train/lr", "train/learning_rate", "lr/group_0", "optimizer/lr"]
  static let gradNorm = ["grad_norm", "grad_norm/total", "train/grad_norm", "gradient_norm", "grad_norm/global"]
  static let reward = ["reward", "rewards/mean", "train/reward", "rl/reward", "reward/mean"]
}

extension Render {
  struct Trajectory: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "trajectory",
      abstract: "The training path in 3D: (loss, grad norm, reward) coloured by step, or (step, loss, grad norm) coloured by loss when there are no rewards.",
      discussion: """
        Several runs are overlaid, each in its own colour, with a legend.
        """)

    @Argument(help: "One or more metrics files or run directories (any format `trainscape info` reads; a log directory gives all its runs).")
    var paths: [String]

    @OptionGroup var inputFormat: InputFormatOptions

    @Option(help: "The loss metric (default: the first of \(MetricCandidates.loss.joined(separator: ", "))).")
    var lossKey: String?
    @Option(help: "The gradient-norm metric (default: the first of \(MetricCandidates.gradNorm.joined(separator: ", "))).")
    var gradKey: String?
    @Option(help: "The reward metric (default: the first of \(MetricCandidates.reward.joined(separator: ", ")) if present).")
    var rewardKey: String?
    @Option(help: "Log-scale the loss axis: auto, on, off.")
    var logLoss: ScaleChoice = .auto
    @Option(help: "Log-scale the gradient-norm axis: auto, on, off.")
    var logGrad: ScaleChoice = .auto

    @OptionGroup var seriesOptions: SeriesOptions

    @OptionGroup var output: OutputOptions

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      var series: [TrajectoryBuilder.RunSeries] = []
      for run in try loadRunsCached(paths, input: inputFormat) {
        let path = run.source
        let rows = seriesOptions.select(bufferOf(run)).rows
        let keys = Set(rows.flatMap { $0.values.keys })
        let lk = try pickKey(lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
        let gk = try pickKey(gradKey, MetricCandidates.gradNorm, in: keys, what: "gradient-norm", flag: "--grad-key", file: path)
        let rk: String? = try rewardKey.map {
          try pickKey($0, [], in: keys, what: "reward", flag: "--reward-key", file: path)
        } ?? MetricCandidates.reward.first(where: keys.contains)
        var s = TrajectoryBuilder.RunSeries(name: run.name, steps: [], loss: [], gradNorm: [], reward: [])
        for row in rows {
          guard let l = row.values[lk], let g = row.values[gk] else { continue }
          if let rk {
            guard let r = row.values[rk] else { continue }
            s.reward.append(r)
          }
          s.steps.append(row.step); s.loss.append(l); s.gradNorm.append(g)
        }
        s.loss = seriesOptions.smooth(s.loss)
        s.gradNorm = seriesOptions.smooth(s.gradNorm)
        if !s.reward.isEmpty { s.reward = seriesOptions.smooth(s.reward) }
        let keep = seriesOptions.downsampleAligned(s.loss, what: s.name)
        if keep.count < s.steps.count {
          s.steps = keep.map { s.steps[$0] }
          s.loss = keep.map { s.loss[$0] }
          s.gradNorm = keep.map { s.gradNorm[$0] }
          if !s.reward.isEmpty { s.reward = keep.map { s.reward[$0] } }
        }
        series.append(s)
      }
      let scene = try TrajectoryBuilder.scene(series, options: builderOptions)
      return (scene, series.count == 1 ? series[0].name : "runs")
    }

    var builderOptions: TrajectoryBuilder.Options {
      var options = TrajectoryBuilder.Options()
      options.logLoss = logLoss
      options.logGradNorm = logGrad
      options.colormap = output.colormap.flatMap(Colormap.named)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      return options
    }

    /// One run's path as `view --follow` grows it (`IncrementalTrajectory`), built from the
    /// rows read so far as `makeScene` builds it; throws for several runs.
    func incrementalBuilder() throws -> IncrementalTrajectory {
      let runs = try loadRunsCached(paths, input: inputFormat)
      guard runs.count == 1, let run = runs.first else {
        throw CLIError("only a single run's trajectory grows incrementally")
      }
      let path = run.source
      let rows = seriesOptions.select(bufferOf(run)).rows
      let keys = Set(rows.flatMap { $0.values.keys })
      let lk = try pickKey(lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
      let gk = try pickKey(gradKey, MetricCandidates.gradNorm, in: keys, what: "gradient-norm", flag: "--grad-key", file: path)
      let rk: String? = try rewardKey.map {
        try pickKey($0, [], in: keys, what: "reward", flag: "--reward-key", file: path)
      } ?? MetricCandidates.reward.first(where: keys.contains)
      let config = IncrementalTrajectory.Configuration(
        runName: run.name, lossKey: lk, gradNormKey: gk, rewardKey: rk, options: builderOptions,
        emaSpan: seriesOptions.ema, stepRange: seriesOptions.stepRange, maxPoints: seriesOptions.maxSteps)
      return try IncrementalTrajectory(configuration: config, rows: run.rows)
    }
  }
}

/// "MIN:MAX" -> MIN...MAX (MIN < MAX).
func parseRange(_ text: String) -> ClosedRange<Double>? {
  guard let i = text.lastIndex(of: ":"), i != text.startIndex,
    let lo = Double(text[..<i].trimmingCharacters(in: .whitespaces)),
    let hi = Double(text[text.index(after: i)...].trimmingCharacters(in: .whitespaces)),
    lo.isFinite, hi.isFinite, lo < hi
  else { return nil }
  return lo...hi
}

extension LossGrid {
  /// The same grid with the roles of the axes swapped.
  func transposed() -> LossGrid {
    var v = [Double](repeating: .nan, count: values.count)
    for r in 0..<y.count {
      for c in 0..<x.count { v[c * y.count + r] = values[r * x.count + c] }
    }
    // Values were laid out as rows of x; reading them as rows of y swaps x and y.
    return LossGrid(x: y, y: x, values: v, name: name, pendingCells: pendingCells)
  }
}
