import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a 3D landscape of a training run to a PNG, headless.",
    subcommands: [GradientFlow.self, LossLandscape.self, Trajectory.self])
}

/// Options for choosing which rows of a run are used.
struct RunOptions: ParsableArguments {
  @Argument(help: "The run: a JSONL, CSV, trainer_state.json, TensorBoard event or W&B .wandb file, or a TensorBoard / W&B run directory.")
  var path: String

  @Option(help: "Read the file as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false

  @Option(help: ArgumentHelp("Keep only the last N steps, as a bounded buffer does (default: the whole run).", valueName: "N"))
  var last: Int?

  func validate() throws {
    if let n = last, n < 2 { throw ValidationError("--last must be at least 2") }
  }

  func load(defaultCapacity: Int? = nil) throws -> (buffer: MetricsBuffer, run: Run) {
    let runs = try loadRuns([path], format: format, skipBad: skipBad)
    guard runs.count == 1, let run = runs.first?.run else {
      throw CLIError("\(path) holds \(runs.count) runs (\(runs.map(\.run.name).prefix(10).joined(separator: ", "))); name one run's file or directory")
    }
    var buffer = MetricsBuffer(capacity: last)
    buffer.append(contentsOf: run.rows)
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

    @OptionGroup var output: OutputOptions

    func run() throws {
      let (buffer, runInfo) = try input.load()
      let keys = Set(buffer.rows.flatMap { $0.values.keys })
      let families = MetricFamilies.detect(in: keys)
      let chosen: MetricFamily
      if let name = family {
        guard let f = MetricFamilies.family(named: name, in: keys) else {
          throw CLIError(
            "\(input.path): no metric family '\(name)'; families found: \(families.map { "\($0.prefix) (\($0.layers.count) layers)" }.joined(separator: ", ").ifEmpty("none"))")
        }
        chosen = f
      } else {
        guard
          let f = families.first(where: { $0.prefix == "grad_norm" })
            ?? families.max(by: { $0.layers.count < $1.layers.count })
        else {
          throw CLIError(
            "\(input.path): no per-layer metric family (keys like grad_norm/layer_0, grad_norm/layer_1, ...); keys found: \(keys.sorted().prefix(20).joined(separator: ", "))")
        }
        chosen = f
      }
      let matrix = buffer.layerStepMatrix(for: chosen)
      var options = GradientFlowBuilder.Options()
      options.logZ = logZ
      options.normalizePerLayer = normalizeLayers
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let scene = try GradientFlowBuilder.scene(
        steps: matrix.steps, layers: matrix.layers, values: matrix.values, family: chosen.prefix,
        runName: runInfo.name, options: options)
      try output.renderAndWrite(scene, kind: "gradient-flow", runName: runInfo.name)
    }
  }

  struct LossLandscape: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "loss-landscape",
      abstract: "Loss over training step x learning rate (single run: sliding windows).",
      discussion: """
        Single-run mode builds the surface as nanochat's wandb_3d_viz.py does: windows of
        --window samples (default 50) taken every window/4 samples become the rows of the surface,
        each row holding that window's steps (x), learning rates (y) and losses (z). It shows the
        loss along the schedule; a sweep of runs gives the true loss(step, LR) surface.
        """)

    @OptionGroup var input: RunOptions

    @Option(help: "The loss metric (default: the first of loss, train/loss, train_loss, loss/total, train/loss_step).")
    var lossKey: String?

    @Option(help: "The learning-rate metric (default: the first of lr, learning_rate, train/lr, train/learning_rate, lr/group_0, optimizer/lr).")
    var lrKey: String?

    @Option(help: "Samples per sliding window.")
    var window: Int = 50

    @Option(help: "Log-scale the learning-rate axis: auto (when it spans two decades or more), on, off.")
    var logLr: ScaleChoice = .auto

    @Option(help: "Log-scale the loss axis: auto (when it spans three decades or more), on, off.")
    var logZ: ScaleChoice = .auto

    @OptionGroup var output: OutputOptions

    static let lossCandidates = ["loss", "train/loss", "train_loss", "loss/total", "train/loss_step"]
    static let lrCandidates = [
      "lr", "learning_rate", "train/lr", "train/learning_rate", "lr/group_0", "optimizer/lr",
    ]

    func validate() throws {
      if window < 4 { throw ValidationError("--window must be at least 4") }
    }

    func run() throws {
      let (buffer, runInfo) = try input.load()
      let keys = Set(buffer.rows.flatMap { $0.values.keys })
      func pick(_ explicit: String?, _ candidates: [String], _ what: String, _ flag: String) throws
        -> String
      {
        if let k = explicit {
          guard keys.contains(k) else {
            throw CLIError("\(input.path): no metric '\(k)' for \(what); keys found: \(keys.sorted().prefix(30).joined(separator: ", "))")
          }
          return k
        }
        guard let k = candidates.first(where: keys.contains) else {
          throw CLIError(
            "\(input.path): no \(what) metric (looked for \(candidates.joined(separator: ", "))); name one with \(flag). Keys found: \(keys.sorted().prefix(30).joined(separator: ", "))")
        }
        return k
      }
      let lossKey = try pick(self.lossKey, Self.lossCandidates, "loss", "--loss-key")
      let lrKey = try pick(self.lrKey, Self.lrCandidates, "learning-rate", "--lr-key")
      var steps: [Int64] = [], losses: [Double] = [], lrs: [Double] = []
      for row in buffer.rows {
        guard let l = row.values[lossKey], let r = row.values[lrKey] else { continue }
        steps.append(row.step)
        losses.append(l)
        lrs.append(r)
      }
      var options = LossLandscapeBuilder.Options()
      options.window = window
      options.logLR = logLr
      options.logZ = logZ
      options.lossName = lossKey
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let scene = try LossLandscapeBuilder.slidingWindowScene(
        steps: steps, losses: losses, learningRates: lrs, runName: runInfo.name, options: options)
      try output.renderAndWrite(scene, kind: "loss-landscape", runName: runInfo.name)
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
      abstract: "The training path in 3D: (loss, grad norm, reward) coloured by step, or (step, loss, grad norm) coloured by loss when there are no rewards.",
      discussion: """
        Several runs are overlaid, each in its own colour, with a legend.
        """)

    @Argument(help: "One or more metrics files or run directories (any format `trainscape info` reads; a log directory gives all its runs).")
    var paths: [String]

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

    @OptionGroup var output: OutputOptions

    func run() throws {
      var series: [TrajectoryBuilder.RunSeries] = []
      for (run, _) in try loadRuns(paths, format: nil, skipBad: false) {
        let path = run.source
        let rows = run.rows
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
        series.append(s)
      }
      var options = TrajectoryBuilder.Options()
      options.logLoss = logLoss
      options.logGradNorm = logGrad
      options.colormap = output.colormap.flatMap(Colormap.named)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let scene = try TrajectoryBuilder.scene(series, options: options)
      try output.renderAndWrite(scene, kind: "trajectory", runName: series.count == 1 ? series[0].name : "runs")
    }
  }
}
