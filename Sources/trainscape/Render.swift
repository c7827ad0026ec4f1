import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a 3D landscape of a training run to a PNG, headless.",
    subcommands: [GradientFlow.self, LossLandscape.self, Trajectory.self, Attention.self, RewardLandscape.self, Embedding.self,
      Histogram.self, RenderFigure.self, DynamicsKind.self,
    ])
}

/// The one run a kind reads.
struct RunOptions: ParsableArguments {
  @Argument(help: "The run: a JSONL, CSV, trainer_state.json, TensorBoard event or W&B .wandb file, or a TensorBoard / W&B run directory.")
  var path: String

  @OptionGroup var inputFormat: InputFormatOptions

  /// The one run at `path`, read with `--last` as a bounded read.
  func run(last: Int?) throws -> Run {
    try loadRun(path, last: last, input: inputFormat)
  }
}

/// Prints what a recipe says: the keys line, then its notes, each line once per process
/// (animations build a scene per frame).
func report(_ out: RecipeOutput) {
  for line in [out.keysLine] + out.notes where ReportedLines.first(line) { log.info("\(line)") }
}

/// The lines `report` has printed.
enum ReportedLines {
  private static let seen = Locked(Set<String>())

  /// True the first time `line` is seen.
  static func first(_ line: String) -> Bool {
    seen.withLock { $0.insert(line).inserted }
  }
}

/// Runs a core step, turning its key and family errors into CLI errors.
func core<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let e as RoleError {
    throw CLIError(e.description)
  } catch let e as BuilderError {
    throw CLIError(e.description)
  }
}

extension LayerReduce: ExpressibleByArgument {}
extension LearningRateSource: ExpressibleByArgument {}

extension Render {
  struct GradientFlow: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "gradient-flow",
      abstract: "The layer x step surface of a per-layer metric family (x = step, y = layer, z = value).",
      discussion: """
        A family is found from the keys (see docs/input-naming.md): per-layer keys such as
        grad_norm/layer_0 ... grad_norm/layer_11 (PREFIX/layer_N, PREFIX/N, PREFIX.N,
        PREFIX_N), or per-parameter keys logged over model.named_parameters(), such as
        grad_norm/model.layers.3.mlp.down_proj.weight or Lightning's
        grad_2.0_norm/layers.0.weight: the layer index is found after layers., layer., h.,
        blocks., block. or layer_N under any prefix, and one layer's parameters combine with
        --reduce (l2, the layer's gradient norm, for norms). Gradient families are drawn
        before other families and train families before eval_/val_ ones. Layers are sorted
        numerically. Missing or non-finite values are holes in the surface.
        """)

    @OptionGroup var input: RunOptions

    @Argument(help: "More runs, drawn as panels with --facet-by or --facet-by-name.")
    var moreRuns: [String] = []

    @OptionGroup var facet: FacetOptions

    @Option(help: "The metric family to draw, by name as `trainscape info` lists it (default: the one gradient family; see docs/input-naming.md).")
    var family: String?

    @Option(help: ArgumentHelp("A regular expression whose first capture group is the layer number, for names the rules do not cover, e.g. 'grad/blk(\\d+)/'.", valueName: "REGEX"))
    var familyPattern: String?

    @Option(help: "How one layer's parameters combine: l2 (square root of the sum of squares: the layer's norm from per-parameter norms), sum, mean, max (default: l2 for norm families, else mean).")
    var reduce: LayerReduce?

    @Flag(help: "Draw the parameters outside the layers (embeddings before the layers; final norm and head after them) as extra rows.")
    var extras = false

    @Flag(help: "Per-parameter norms from the run's histograms (TensorBoard add_histogram, wandb.watch gradients/<param>) even when it has a scalar family; without one they are used anyway. Said in the title and on stderr, with the error bound from the bin widths.")
    var fromHistograms = false

    @Option(help: "Log-scale z: auto (when the values span two decades or more), on, off.")
    var logZ: ScaleChoice = .auto

    @Flag(help: "Divide each layer by its own largest value, to compare shapes across layers.")
    var normalizeLayers = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var annotations: AnnotationOptions

    @OptionGroup var contours: ContourOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if family != nil && familyPattern != nil { throw ValidationError("give --family or --family-pattern, not both") }
    }

    func run() throws {
      // Checked here, not in validate(): ArgumentParser validates before it reports an unknown
      // option, so `--no-such-option 3` (the 3 taken as a run) read "2 runs given".
      if !moreRuns.isEmpty && facet.isEmpty {
        throw CLIError("\(moreRuns.count + 1) runs given: gradient-flow draws one run, or one panel per group with --facet-by KEY (or --facet-by-name PATTERN)")
      }
      try facet.isEmpty ? renderScene() : renderFacets()
    }

    var recipeOptions: GradientFlowRecipe.Options {
      var o = GradientFlowRecipe.Options()
      o.family = family
      o.familyPattern = familyPattern
      o.reduce = reduce
      o.extras = extras
      o.fromHistograms = fromHistograms
      o.builder = builderOptions
      o.series = series.settings
      return o
    }

    func makeScene() throws -> (Scene, String) {
      try facet.refuse(kind: Self.kindName)
      if !moreRuns.isEmpty { throw CLIError("\(moreRuns.count + 1) runs given: gradient-flow draws one run") }
      let run = try input.run(last: series.last)
      let out = try core { try GradientFlowRecipe.scene(run: run, options: recipeOptions) }
      report(out)
      // Stages and marks as planes across the step axis, from the raw (unsmoothed) run.
      return (try annotations.apply(to: contours.apply(to: out.scene), runs: [run], settings: series.settings, what: run.name), out.name)
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

    /// The incremental builder for `view --follow`, seeded with the rows read so far: the same
    /// choices as `makeScene` (family, options, --ema, --max-steps, --steps, --last).
    func incrementalBuilder() throws -> IncrementalGradientFlow {
      try facet.refuse(kind: Self.kindName)
      let run = try input.run(last: series.last)
      return try core { try GradientFlowRecipe.incrementalBuilder(run: run, options: recipeOptions) }
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

    @OptionGroup var facet: FacetOptions

    @OptionGroup var inputFormat: InputFormatOptions

    @Option(help: "The loss metric (default: from the naming rules, e.g. loss, train/loss, loss/total; see docs/input-naming.md).")
    var lossKey: String?

    @Option(help: "The learning-rate metric (default: from the naming rules, e.g. lr, learning_rate, training/learning_rate, lr-AdamW). A key the run lacks is an error.")
    var lrKey: String?

    @Option(help: "Sweep mode: where each run's learning rate comes from: config (lr, learning_rate, optimizer.lr), name (lr3e-4 in the file or directory name), max (the lr metric's peak), first, last (default: config, then name, then max).")
    var lrFrom: LearningRateSource?

    @Option(parsing: .unconditional, help: "Samples per sliding window (single-run mode).")
    var window: Int = 50

    @Option(parsing: .unconditional, help: "Columns of the common step grid (sweep mode).")
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

    @Option(parsing: .unconditional, help: "Grid mode: clip values above this before drawing (loss-landscape's --zmax); said in the notes.")
    var zmax: Double?

    @Flag(help: "Grid mode: the file's first axis is x (Z[i, j] at x[i], y[j]) instead of y.")
    var transpose = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var annotations: AnnotationOptions

    @OptionGroup var contours: ContourOptions

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

    var isGridMode: Bool { paths.count == 1 && GridReader.isGrid(paths[0]) }

    func gridScene(_ path: String) throws -> (Scene, String) {
      let grid = try GridReader.read(
        path: path, xRange: xRange.flatMap(parseRange), yRange: yRange.flatMap(parseRange), dataset: dataset,
        transpose: transpose, budget: output.maxMemory)
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

    func run() throws {
      guard let (figure, name) = try facetFigure() else { return try renderScene() }
      try output.renderAndWrite(figure, kind: Self.kindName, runName: name)
    }

    func makeScene() throws -> (Scene, String) {
      try facet.refuse(kind: Self.kindName)
      if isGridMode {
        if !annotations.isEmpty && ReportedLines.first("grid annotations") {
          log.warning("--stages, --mark and --mark-first need training steps; a loss grid (\(paths[0])) has none: not drawn")
        }
        let (scene, name) = try gridScene(paths[0])
        return (contours.apply(to: scene), name)
      }
      let runs = try loadRunsCached(paths, input: inputFormat, last: series.last)
      let out = try core {
        runs.count > 1
          ? try LossLandscapeRecipe.sweepScene(runs: runs, options: recipeOptions)
          : try LossLandscapeRecipe.singleRunScene(run: runs[0], options: recipeOptions)
      }
      report(out)
      return (try annotations.apply(to: contours.apply(to: out.scene), runs: runs, settings: series.settings, what: out.name), out.name)
    }

    var recipeOptions: LossLandscapeRecipe.Options {
      var o = LossLandscapeRecipe.Options()
      o.lossKey = lossKey
      o.lrKey = lrKey
      o.lrFrom = lrFrom
      o.single.window = window
      o.single.logLR = logLr
      o.single.logZ = logZ
      o.single.colormap = output.colormap(default: o.single.colormap)
      o.single.camera = output.camera(default: o.single.camera)
      o.single.title = output.title
      o.sweep.gridPoints = gridPoints
      o.sweep.logZ = logZ
      o.sweep.colormap = output.colormap(default: o.sweep.colormap)
      o.sweep.camera = output.camera(default: o.sweep.camera)
      o.sweep.title = output.title
      o.series = series.settings
      return o
    }

    /// The single-run surface as `view --follow` grows it (`IncrementalLossLandscape`), built
    /// from the rows read so far as `makeScene` builds it; throws in grid and sweep mode.
    func incrementalBuilder() throws -> IncrementalLossLandscape {
      guard !isGridMode else { throw CLIError("only the single-run loss landscape grows incrementally") }
      let runs = try loadRunsCached(paths, input: inputFormat, last: series.last)
      guard runs.count == 1 else { throw CLIError("only the single-run loss landscape grows incrementally") }
      return try core { try LossLandscapeRecipe.incrementalBuilder(run: runs[0], options: recipeOptions) }
    }
  }
}

extension String {
  func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
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

    @Option(help: "The loss metric (default: from the naming rules; see docs/input-naming.md).")
    var lossKey: String?
    @Option(help: "The total gradient-norm metric (default: from the naming rules, e.g. grad_norm, grad_norm/total, training/grad_norm, grad_2.0_norm_total).")
    var gradKey: String?
    @Option(help: "The reward metric (default: from the naming rules, e.g. reward, rewards/mean, when the run has one).")
    var rewardKey: String?
    @Option(help: "Log-scale the loss axis: auto, on, off.")
    var logLoss: ScaleChoice = .auto
    @Option(help: "Log-scale the gradient-norm axis: auto, on, off.")
    var logGrad: ScaleChoice = .auto

    @OptionGroup var seriesOptions: SeriesOptions

    @OptionGroup var annotations: AnnotationOptions

    @OptionGroup var output: OutputOptions

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let runs = try loadRunsCached(paths, input: inputFormat, last: seriesOptions.last)
      let out = try core { try TrajectoryRecipe.scene(runs: runs, options: recipeOptions) }
      report(out)
      return (try annotations.apply(to: out.scene, runs: runs, settings: seriesOptions.settings, what: out.name), out.name)
    }

    var recipeOptions: TrajectoryRecipe.Options {
      var o = TrajectoryRecipe.Options()
      o.lossKey = lossKey
      o.gradKey = gradKey
      o.rewardKey = rewardKey
      o.builder = builderOptions
      o.series = seriesOptions.settings
      return o
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
      let runs = try loadRunsCached(paths, input: inputFormat, last: seriesOptions.last)
      guard runs.count == 1, let run = runs.first else {
        throw CLIError("only a single run's trajectory grows incrementally")
      }
      return try core { try TrajectoryRecipe.incrementalBuilder(run: run, options: recipeOptions) }
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

extension Render {
  struct Histogram: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "histogram",
      abstract: "Step x value x density of a histogram tag or a family of tags (TensorBoard add_histogram, wandb.Histogram, wandb.watch).",
      discussion: """
        Every step's histogram (for a family: the sum of its tags' histograms, e.g. all of
        wandb.watch's gradients/<param>) is redistributed onto one common grid of --bins value
        buckets over the values seen (each bucket's count spread evenly over its width) and drawn
        as a probability density: the surface TensorBoard's histogram dashboard draws as offset
        ridges. Default: the only tag, else the one gradient family (see docs/input-naming.md).
        """)

    @OptionGroup var input: RunOptions

    @Argument(help: "More runs, drawn as panels with --facet-by or --facet-by-name.")
    var moreRuns: [String] = []

    @OptionGroup var facet: FacetOptions

    @Option(help: "The histogram tag to draw.")
    var tag: String?

    @Option(help: "A family of histogram tags to draw summed (as `trainscape info` lists them).")
    var family: String?

    @Option(parsing: .unconditional, help: "Value buckets of the common grid.")
    var bins: Int = 80

    @Option(help: "Log-scale the density: auto (three decades or more), on, off.")
    var logZ: ScaleChoice = .off

    @OptionGroup var series: SeriesOptions

    @OptionGroup var annotations: AnnotationOptions

    @OptionGroup var contours: ContourOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if !(2...2000).contains(bins) { throw ValidationError("--bins must be between 2 and 2000") }
      if tag != nil && family != nil { throw ValidationError("give --tag or --family, not both") }
    }

    func run() throws {
      if !moreRuns.isEmpty && facet.isEmpty {
        throw CLIError("\(moreRuns.count + 1) runs given: histogram draws one run, or one panel per group with --facet-by KEY (or --facet-by-name PATTERN)")
      }
      guard let (figure, name) = try facetFigure() else { return try renderScene() }
      try output.renderAndWrite(figure, kind: Self.kindName, runName: name)
    }

    var recipeOptions: HistogramRecipe.Options {
      var o = HistogramRecipe.Options()
      o.tag = tag
      o.family = family
      o.bins = bins
      o.logZ = logZ
      o.colormap = output.colormap(default: o.colormap)
      o.camera = output.camera(default: o.camera)
      o.title = output.title
      o.series = series.settings
      return o
    }

    func makeScene() throws -> (Scene, String) {
      try facet.refuse(kind: Self.kindName)
      if !moreRuns.isEmpty {
        throw CLIError("\(moreRuns.count + 1) runs given: histogram draws one run")
      }
      let run = try input.run(last: nil)
      let out = try core { try HistogramRecipe.scene(run: run, options: recipeOptions) }
      report(out)
      return (try annotations.apply(to: contours.apply(to: out.scene), runs: [run], settings: series.settings, what: run.name), out.name)
    }
  }
}
