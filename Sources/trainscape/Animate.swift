import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// Kinds whose data grow with training: a frame shows the data up to a step.
protocol StepAnimatable: SceneKind {
  /// The steps the data cover (for checkpoint-based kinds: checkpoint indices).
  func animationSteps() throws -> ClosedRange<Int64>
  /// The scene with the data up to `step`.
  func makeScene(throughStep step: Int64) throws -> Scene
  /// "step" or "checkpoint".
  static var stepWord: String { get }
}

extension StepAnimatable {
  static var stepWord: String { "step" }
}

/// A kind whose frame at a step is its own scene with `--steps` cut at that step.
protocol SeriesCutAnimatable: StepAnimatable {
  var series: SeriesOptions { get set }
}

extension SeriesCutAnimatable {
  func makeScene(throughStep step: Int64) throws -> Scene {
    var copy = self
    copy.series = throughStep(series, step)
    return try copy.makeScene().0
  }
}

struct Animate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render a landscape growing with training: frame k shows the data up to step s_k, on fixed axes, the step in a corner, optionally orbiting.",
    discussion: """
      Takes the arguments of `render KIND`; -o names the parent folder (a new numbered run
      folder per run). Example:
        trainscape animate gradient-flow run.jsonl -o out/ --frames 48 --orbit --animate gif
      """,
    subcommands: SceneKinds.animatable.filter { $0.kindName != Render.Embedding.kindName }.map { $0.animateCommand }
      + [EmbeddingAnimateCommand.self])
}

struct AnimateCommand<Kind: StepAnimatable>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(commandName: Kind.kindName, abstract: "Training-progress animation of `render \(Kind.kindName)`.")
  }
  @OptionGroup var scene: Kind
  @OptionGroup var frames: FrameOptions
  @Option(help: "What the frames advance by (only 'step' for now; checkpoints for embeddings).")
  var by: String = "step"
  @Flag(help: "Orbit the camera once over the animation at the same time.")
  var orbit = false

  func validate() throws {
    if by != "step" { throw ValidationError("--by supports 'step'") }
  }

  func run() throws {
    try FrameWriter(output: scene.output, options: frames, kind: Kind.kindName).write(frameSequence())
  }

  /// Frame k shows the data up to step s_k, on the whole run's axes.
  func frameSequence() throws -> FrameSequence {
    let (full, name) = try scene.makeScene()
    let range = try scene.animationSteps()
    let n = frames.frames
    let lo = Double(range.lowerBound), hi = Double(range.upperBound)
    // The first frame already shows some data: start one n-th of the way in.
    let steps = (0..<n).map { k -> Int64 in
      Int64((lo + (hi - lo) * Double(k + 1) / Double(n)).rounded())
    }
    let cameras = orbit
      ? FramePipeline.turntableCameras(base: full.camera, frames: n, elevation: nil)
      : Array(repeating: full.camera, count: n)
    let scene = self.scene
    return FrameSequence(
      name: "\(name)_\(Kind.kindName)_by_step", count: n,
      scene: { i in
        // Contours of the frame's own data would move their levels and floor: the full
        // run's levels, on its floor.
        var s = try scene.makeScene(throughStep: steps[i]).fixingFrame(to: full).recontoured(like: full)
        s.camera = cameras[i]
        s.cornerLabel = "\(Kind.stepWord) \(steps[i])"
        return s
      }, verb: "animate")
  }
}

extension StepAnimatable {
  static var animateCommand: ParsableCommand.Type { AnimateCommand<Self>.self }
}

// MARK: - Which kinds animate, and how

extension SceneKinds {
  static let animatable: [any StepAnimatable.Type] = [
    Render.GradientFlow.self, Render.LossLandscape.self, Render.RewardLandscape.self,
    Render.Trajectory.self, Render.Embedding.self, Render.Histogram.self,
  ]
}

/// `--steps LO:s` for frame step `s`, keeping a lower bound the user gave.
func throughStep(_ series: SeriesOptions, _ step: Int64) -> SeriesOptions {
  var s = series
  let lower = series.stepRange?.lower.map(String.init) ?? ""
  s.steps = "\(lower):\(step)"
  return s
}

/// The union of the steps of the runs at `paths`.
func stepsCovered(_ paths: [String], _ series: SeriesOptions, _ input: InputFormatOptions)
  throws -> ClosedRange<Int64>
{
  var lo = Int64.max, hi = Int64.min
  for run in try loadRunsCached(paths, input: input, last: series.last) {
    if let r = series.settings.table(run).stepRange {
      lo = min(lo, r.lowerBound)
      hi = max(hi, r.upperBound)
    }
  }
  guard lo <= hi else { throw CLIError("no steps to animate in \(paths.joined(separator: ", "))") }
  return lo...hi
}

extension Render.GradientFlow: SeriesCutAnimatable {
  func animationSteps() throws -> ClosedRange<Int64> { try stepsCovered([input.path], series, input.inputFormat) }
}

extension Render.LossLandscape: SeriesCutAnimatable {
  func animationSteps() throws -> ClosedRange<Int64> {
    if isGridMode { throw CLIError("a loss grid (\(paths[0])) has no training steps to animate; use `turntable`") }
    return try stepsCovered(paths, series, inputFormat)
  }
}

extension Render.RewardLandscape: SeriesCutAnimatable {
  func animationSteps() throws -> ClosedRange<Int64> { try stepsCovered([path], series, inputFormat) }
}

extension Render.Histogram: StepAnimatable {
  func animationSteps() throws -> ClosedRange<Int64> {
    let run = try input.run(last: nil)
    let steps = try core { try HistogramRecipe.steps(run: run, options: recipeOptions) }
      .filter { series.stepRange?.contains($0) ?? true }
    guard let lo = steps.first, let hi = steps.last else { throw CLIError("no histogram steps to animate in \(input.path)") }
    return lo...hi
  }
  /// Histograms are often logged every N steps, so an early frame may hold one histogram
  /// step: it shows that step's density curve (none: empty axes) on the whole run's axes.
  func makeScene(throughStep step: Int64) throws -> Scene {
    var copy = self
    copy.series = throughStep(series, step)
    var options = copy.recipeOptions
    options.partialFrames = true
    let run = try copy.input.run(last: nil)
    let out = try core { try HistogramRecipe.scene(run: run, options: options) }
    report(out)
    return out.scene
  }
}

extension Render.Trajectory: StepAnimatable {
  func animationSteps() throws -> ClosedRange<Int64> { try stepsCovered(paths, seriesOptions, inputFormat) }
  func makeScene(throughStep step: Int64) throws -> Scene {
    var copy = self
    copy.seriesOptions = throughStep(seriesOptions, step)
    return try copy.makeScene().0
  }
}

/// Batch plans animate embeddings by step: frame k is the snapshot at the k-th drawn
/// checkpoint (`animate embedding` on the command line names its frames by epoch as well).
extension Render.Embedding: StepAnimatable {
  static var stepWord: String { "checkpoint" }
  /// The reduced snapshots, once per command (t-SNE and UMAP are the expensive part).
  func cachedLayout() throws -> EmbeddingRecipe.Layout {
    let key = "\(paths)|\(method.rawValue)|\(fit.rawValue)|\(labels ?? "")|\(predictions ?? "")|\(split ?? "")|\(checkpoints ?? "")|\(every ?? 0)|\(maxPoints ?? -1)|\(flatten)|\(perplexity)|\(iterations)|\(neighbors)|\(minDist)|\(epochs ?? 0)|\(seed)"
    if let l = CommandCache.current?.embeddings.value[key] { return l }
    let l = try layout()
    CommandCache.current?.embeddings.withLock { $0[key] = l }
    return l
  }
  func animationSteps() throws -> ClosedRange<Int64> { 1...Int64(max(1, try cachedLayout().count)) }
  func makeScene(throughStep step: Int64) throws -> Scene {
    let l = try cachedLayout()
    return try EmbeddingRecipe.frameScene(l, frame: min(max(Int(step), 1), l.count) - 1, options: recipeOptions)
  }
}
