import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

extension EmbeddingRecipe.Method: ExpressibleByArgument {}
extension EmbeddingRecipe.Fit: ExpressibleByArgument {}

extension Render {
  struct Embedding: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "embedding",
      abstract: "Embeddings across training checkpoints reduced to 3D (PCA, t-SNE or UMAP): every point's path, coloured by class or by training progress.",
      discussion: """
        Input: one .npy of [T, D] (one path) or [T, N, D] (N points at T checkpoints), several
        .npy files of [N, D] (one per checkpoint), or a directory of them (epoch_005.npy,
        epoch_010.npy, ...: ordered by the number in the name, which is the epoch). Beside a
        checkpoint file X.npy, X.labels, X.predictions and X.split (.txt, one value per line,
        or .npy) are read, and labels.* and split.* apply to every checkpoint; --labels,
        --predictions and --split name them explicitly. Points whose prediction differs from
        their label are drawn as large red crosses (on the validation set when a split is
        given), counted in the title. `animate embedding` draws one frame per checkpoint
        (named epoch_005_acc0.9123.png when epochs and accuracy are known). t-SNE follows
        scikit-learn, UMAP umap-learn; both are deterministic for a given --seed.
        """)

    @Argument(help: "A .npy of [T, D] or [T, N, D], several .npy files of [N, D], or a directory of checkpoint files.")
    var paths: [String]

    @Option(help: "Reduction to 3D: pca, tsne or umap.")
    var method: EmbeddingRecipe.Method = .pca

    @Option(help: "global: one fit over all drawn checkpoints; per-checkpoint: a fit per checkpoint, each aligned to the previous one (Procrustes; t-SNE and UMAP start from the previous layout).")
    var fit: EmbeddingRecipe.Fit = .global

    @Option(help: "True classes: a text file with one label per point (N lines) or a .npy of N numbers.")
    var labels: String?

    @Option(help: "Predicted classes: .npy of [T, N] or [N], or text (N lines, or T lines of N values).")
    var predictions: String?

    @Option(help: "Train/validation split: text (train or val/validation/test per line) or .npy (0 train, 1 validation).")
    var split: String?

    @Option(help: ArgumentHelp("Checkpoints to draw: epochs (when the file names have them) or 0-based checkpoint numbers, e.g. 5,10,25,50.", valueName: "N,N,..."))
    var checkpoints: String?

    @Option(parsing: .unconditional, help: "Draw every N-th epoch (or checkpoint number).")
    var every: Int?

    @Option(parsing: .unconditional, help: "At most N points per checkpoint, a reproducible sample stratified by class (0: all; default: all for PCA, a cap of 5,000 rows per fit for t-SNE and 20,000 for UMAP, said on stderr). In `export` too.")
    var maxPoints: Int?

    @Flag(help: "For [T, N, D]: every checkpoint's N x D values as one vector, one path through the checkpoints (nanochat's original behaviour).")
    var flatten = false

    @Option(parsing: .unconditional, help: "t-SNE perplexity.")
    var perplexity: Double = 30

    @Option(parsing: .unconditional, help: "t-SNE iterations.")
    var iterations: Int = 1000

    @Option(parsing: .unconditional, help: "UMAP neighbours (the point itself included, as umap-learn's n_neighbors).")
    var neighbors: Int = 15

    @Option(parsing: .unconditional, help: "UMAP minimum distance between embedded points.")
    var minDist: Double = 0.1

    @Option(parsing: .unconditional, help: "UMAP epochs (default: 500 up to 10,000 points, else 200).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Seed of t-SNE, UMAP and the subsample.")
    var seed: UInt64 = 42

    @Option(parsing: .unconditional, help: "Frames (animate): earlier checkpoints shown as a fading trail (default: the whole path for a single path, 3 for point clouds).")
    var trail: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if perplexity <= 0 { throw ValidationError("--perplexity must be positive") }
      if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
      if neighbors < 2 { throw ValidationError("--neighbors must be at least 2") }
      if !(minDist >= 0) { throw ValidationError("--min-dist must be non-negative") }
      if let e = epochs, e < 1 { throw ValidationError("--epochs must be at least 1") }
      if let m = maxPoints, m < 0 { throw ValidationError("--max-points must be 0 (all) or positive") }
      if let e = every, e < 1 { throw ValidationError("--every must be at least 1") }
      if let t = trail, t < 0 { throw ValidationError("--trail must be non-negative") }
      if checkpoints != nil && checkpointList == nil {
        throw ValidationError("--checkpoints expects comma-separated non-negative integers, e.g. 5,10,25,50")
      }
    }

    var checkpointList: [Int]? {
      guard let checkpoints else { return nil }
      let parts = checkpoints.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
      return parts.map { $0! }
    }

    var recipeOptions: EmbeddingRecipe.Options {
      var o = EmbeddingRecipe.Options()
      o.method = method
      o.fit = fit
      o.tsne.perplexity = perplexity
      o.tsne.iterations = iterations
      o.tsne.seed = seed
      o.umap.neighbours = neighbors
      o.umap.minDist = minDist
      o.umap.spread = max(1, minDist)
      o.umap.epochs = epochs
      o.umap.seed = seed
      o.seed = seed
      o.checkpoints = checkpointList
      o.every = every
      o.maxPoints = maxPoints
      o.trail = trail
      o.colormap = output.colormap(default: o.colormap)
      o.camera = output.camera(default: o.camera)
      o.title = output.title
      return o
    }

    /// Reads the input and reduces it; prints which files were used and the notes.
    func layout() throws -> EmbeddingRecipe.Layout {
      do {
        var (input, used) = try EmbeddingReader.read(
          paths, files: .init(labels: labels, predictions: predictions, split: split), budget: output.maxMemory)
        for line in used { log.notice("\(line)") }
        if flatten {
          guard input.points > 1 else {
            throw CLIError("--flatten applies to [T, N, D] inputs; \(paths.joined(separator: " ")) has one vector per checkpoint")
          }
          if input.checkpoints.contains(where: { $0.labels != nil || $0.predictions != nil || $0.split != nil }) {
            log.warning("--flatten: labels, predictions and splits describe single points and are not used for one flattened path")
          }
          log.notice("--flatten: each checkpoint's \(input.points) x \(input.dimensions) values are one vector of \(input.points * input.dimensions); one path")
          input = input.flattened()
        }
        let layout = try EmbeddingRecipe.layout(input, options: recipeOptions)
        for note in layout.notes { log.notice("\(note)") }
        return layout
      } catch let e as EmbeddingReader.ReadError {
        throw CLIError(e.description)
      } catch let e as BuilderError {
        throw CLIError("\(paths.joined(separator: " ")): \(e.description)")
      } catch let e as EmbeddingError {
        throw CLIError("\(paths.joined(separator: " ")): \(e.description)")
      }
    }

    func run() throws {
      if let (figure, name) = try facetFigure() {
        return try output.renderAndWrite(figure, kind: "embedding-\(method.rawValue)", runName: name, suffix: "")
      }
      let (scene, name) = try makeScene()
      try output.renderAndWrite(scene, kind: "embedding-\(method.rawValue)", runName: name)
    }

    /// With a split: the train and validation points as two panels (`render`, `turntable`).
    func facetFigure() throws -> (FacetFigure, String)? {
      let layout = try layout()
      guard let figure = try core({ try EmbeddingRecipe.splitTrajectories(layout, options: recipeOptions) }) else { return nil }
      if ReportedLines.first("split panels") { log.info("train and validation points in two panels, as the last checkpoint splits them") }
      return (figure, layout.name)
    }

    func makeScene() throws -> (Scene, String) {
      let layout = try layout()
      var scene = try EmbeddingRecipe.trajectoryScene(layout, options: recipeOptions)
      scene.notes = scene.notes.filter { !layout.notes.contains($0) }  // said once, above
      return (scene, layout.name)
    }

    /// `export embedding`: --max-points is the subsample (not export's thinning).
    static var exportCommand: ParsableCommand.Type { EmbeddingExportCommand.self }
  }
}

struct EmbeddingExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embedding",
    abstract: "Export what `render embedding` draws: \(Render.Embedding.configuration.abstract)",
    discussion: "--max-points subsamples the points (stratified by class) before the reduction, as in `render`.")
  @OptionGroup var scene: Render.Embedding
  @OptionGroup var export: ExportFileOptions

  func run() throws {
    let (s, runName) = try scene.makeScene()
    try export.write(s, output: scene.output, kind: Render.Embedding.kindName, runName: runName, maxPoints: nil)
  }
}

/// `animate embedding`: one frame per drawn checkpoint, on the axes of all of them.
struct EmbeddingAnimateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embedding",
    abstract: "One frame per checkpoint of `render embedding`: the snapshot, a fading trail of earlier positions, misclassified points as red crosses.",
    discussion: """
      Frames are named from what is known (epoch_005_acc0.9123.png, epoch_005.png, or
      NAME_0000.png) and written into a new numbered folder (run_001, run_002, ...; earlier runs
      are never touched) with a manifest.json that records each frame's epoch, accuracy and
      class count, the start time and the options. Example:
        trainscape animate embedding features/ --method umap --fit per-checkpoint -o out/ --animate gif
      """)
  @OptionGroup var scene: Render.Embedding
  @OptionGroup var frames: FrameOptions
  @Flag(help: "Orbit the camera once over the animation.")
  var orbit = false

  func run() throws {
    if CommandLine.arguments.contains(where: { $0 == "--frames" || $0.hasPrefix("--frames=") }) {
      log.warning("--frames does not apply to `animate embedding`: there is one frame per checkpoint (choose them with --checkpoints or --every)")
    }
    let layout = try scene.layout()
    let options = scene.recipeOptions
    let count = layout.count
    let base = try EmbeddingRecipe.frameScene(layout, frame: 0, options: options)
    let cameras = orbit
      ? FramePipeline.turntableCameras(base: base.camera, frames: count, elevation: Double?.none)
      : Array(repeating: base.camera, count: count)
    let named = (0..<count).map { EmbeddingRecipe.frameFileName(layout, frame: $0) }
    let fileNames: [String]? = named.allSatisfy { $0 != nil } && Set(named).count == count ? named.map { $0! } : nil
    let inputs = scene.paths.flatMap { p -> [String] in
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue else { return [p] }
      return layout.checkpoints.map { ($0.name as NSString).appendingPathExtension("npy").map { (p as NSString).appendingPathComponent($0) } ?? p }
    }
    var extra: [String: String] = [
      "method": layout.method.rawValue, "fit": layout.fit.rawValue, "points": String(layout.points.count),
      "checkpoints": layout.checkpoints.map { $0.epoch.map(String.init) ?? $0.name }.joined(separator: ","),
      "seed": String(scene.seed),
    ]
    if scene.flatten { extra["flatten"] = "true" }
    try FrameWriter(output: scene.output, options: frames, kind: "embedding").write(
      FrameSequence(
        name: "\(layout.name)_embedding", count: count,
        scene: { i in
          var s = try EmbeddingRecipe.frameScene(layout, frame: i, options: options)
          s.camera = cameras[i]
          return s
        }, verb: "animate", fileNames: fileNames,
        frameInfo: (0..<count).map { EmbeddingRecipe.frameInfo(layout, frame: $0) }, inputs: inputs,
        extraOptions: extra, facets: try splitFrames(layout, options: options, cameras: cameras)))
  }

  /// With a split: each frame's train and validation points as two panels.
  func splitFrames(_ layout: EmbeddingRecipe.Layout, options: EmbeddingRecipe.Options, cameras: [Camera]) throws -> ((Int) -> FacetFigure)? {
    guard layout.hasSplit else { return nil }
    let figures = try (0..<layout.count).map { i in try core { try EmbeddingRecipe.splitFrame(layout, frame: i, options: options) } }
    guard figures.allSatisfy({ $0 != nil }) else { return nil }
    log.info("train and validation points in two panels per frame")
    return { i in figures[i]!.withCamera(cameras[i]) }
  }
}
