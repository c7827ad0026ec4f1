import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

extension Render {
  struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "attention",
      abstract: "An attention matrix as a point cloud: (query, key, weight) for weights above a threshold, coloured by weight.",
      discussion: """
        The .npy array may be [q, k], [heads, q, k] or [batch, heads, q, k] (float16/32/64 or
        integers). It is read one row at a time, so large matrices (4096 x 4096) need little
        memory (--max-weights bounds it for matrices that are not softmax rows). Several heads (--head 0,1,2) are overlaid, each in its own colour.
        """)

    @Argument(help: "A .npy file holding the attention weights.")
    var path: String

    @Option(help: ArgumentHelp("Head(s) to draw, comma-separated (for [heads, q, k] and [batch, heads, q, k] arrays).", valueName: "H[,H...]"))
    var head: String = "0"

    @Option(parsing: .unconditional, help: "Batch element to draw (for [batch, heads, q, k] arrays).")
    var batch: Int = 0

    @Option(parsing: .unconditional, help: "Draw weights above this value.")
    var threshold: Double = 0.01

    // Not --max-points: `export attention` uses that for the exported point budget.
    @Option(parsing: .unconditional, help: "At most this many weights are drawn; beyond it the largest are kept (said on stderr).")
    var maxWeights: Int = 2_000_000

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if heads == nil { throw ValidationError("--head expects comma-separated non-negative integers, e.g. 0 or 0,1,2,3") }
      if maxWeights < 1 { throw ValidationError("--max-weights must be at least 1") }
    }

    var heads: [Int]? {
      let parts = head.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
      return parts.map { $0! }
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let file = try NPYFile.open(path: path)
      let shape = file.header.shape
      let selections: [(name: String, leading: [Int])]
      switch shape.count {
      case 2: selections = [("attention", [])]
      case 3: selections = heads!.map { ("head \($0)", [$0]) }
      case 4: selections = heads!.map { ("batch \(batch) head \($0)", [batch, $0]) }
      default:
        throw CLIError("\(path): attention arrays must be [q, k], [heads, q, k] or [batch, heads, q, k]; this one has shape \(shape)")
      }
      let rows = shape[shape.count - 2], cols = shape[shape.count - 1]
      var options = AttentionBuilder.Options()
      options.threshold = threshold
      options.maxPoints = maxWeights
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      let scene = try AttentionBuilder.scene(
        heads: selections.map { .init(name: $0.name, rows: rows, cols: cols) },
        rowsOf: { h, body in
          try file.forEachRow(leadingIndices: selections[h].leading) { r, row in body(r, row) }
        },
        label: selections.count == 1 ? "\(name), \(selections[0].name)" : name, options: options)
      return (scene, name)
    }
  }
}

extension InterpolationMethod: ExpressibleByArgument {}

extension Render {
  struct RewardLandscape: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reward-landscape",
      abstract: "An RL run's trajectory (step, loss, reward) coloured by step, over its reward surface interpolated on an N x N grid.",
      discussion: """
        The surface is the reward interpolated over the trajectory's step and loss ranges
        (Delaunay triangulation + linear interpolation, as scipy.interpolate.griddata; or
        Clough-Tocher cubic, or Sibson natural neighbour), drawn semi-transparent. Cells outside
        the trajectory's convex hull are holes. Degenerate input (fewer than 3 distinct points,
        all on a line) gives a note and the trajectory alone.
        """)

    @Argument(help: "The metrics file or run directory of an RL run.")
    var path: String

    @OptionGroup var inputFormat: InputFormatOptions

    @Option(help: "The loss metric (default: from the naming rules; see docs/input-naming.md).")
    var lossKey: String?

    @Option(help: "The reward metric (default: from the naming rules, e.g. reward, rewards/mean, rewards/margins).")
    var rewardKey: String?

    @Option(parsing: .unconditional, help: "Grid size N of the interpolated surface (N x N).")
    var grid: Int = 30

    @Option(help: "Interpolation: linear, cubic or natural.")
    var interp: InterpolationMethod = .linear

    @Flag(help: "Draw the trajectory without the interpolated surface.")
    var noSurface = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if !(2...1000).contains(grid) { throw ValidationError("--grid must be between 2 and 1000") }
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let run = try loadRun(path, last: series.last, input: inputFormat).run
      var o = RewardLandscapeRecipe.Options()
      o.lossKey = lossKey
      o.rewardKey = rewardKey
      o.builder.gridSize = grid
      o.builder.method = interp
      o.builder.showSurface = !noSurface
      if let c = output.colormap.flatMap(Colormap.named) { o.builder.trajectoryColormap = c }
      o.builder.camera = output.camera(default: o.builder.camera)
      o.builder.title = output.title
      o.series = series.settings
      let out = try core { try RewardLandscapeRecipe.scene(run: run, options: o) }
      report(out)
      return (out.scene, out.name)
    }
  }
}

extension EmbeddingBuilder.Method: ExpressibleByArgument {}

extension Render {
  struct Embedding: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "embedding",
      abstract: "Embeddings across training checkpoints reduced to 3D (PCA or t-SNE), drawn as paths coloured by training progress.",
      discussion: """
        The .npy array is [T, D] (one vector per checkpoint: one path) or [T, N, D] (N points
        per checkpoint: one path per point). With --labels (a text file with one label per
        line, N lines) points are coloured by label instead. t-SNE follows scikit-learn's
        algorithm (perplexity, early exaggeration, PCA initialisation) and is deterministic
        for a given --seed.
        """)

    @Argument(help: "A .npy file: [T, D] or [T, N, D].")
    var path: String

    @Option(help: "Reduction to 3D: pca or tsne.")
    var method: EmbeddingBuilder.Method = .pca

    @Option(help: "A text file with one label per point (N lines) to colour points by.")
    var labels: String?

    @Option(parsing: .unconditional, help: "t-SNE perplexity.")
    var perplexity: Double = 30

    @Option(parsing: .unconditional, help: "t-SNE iterations.")
    var iterations: Int = 1000

    @Option(parsing: .unconditional, help: "t-SNE random seed.")
    var seed: UInt64 = 42

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if perplexity <= 0 { throw ValidationError("--perplexity must be positive") }
      if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
    }

    func run() throws {
      let (scene, name) = try makeScene()
      try output.renderAndWrite(scene, kind: "embedding-\(method.rawValue)", runName: name)
    }

    func makeScene() throws -> (Scene, String) {
      let file = try NPYFile.open(path: path)
      let shape = file.header.shape
      let (t, n, d): (Int, Int, Int)
      switch shape.count {
      case 2: (t, n, d) = (shape[0], 1, shape[1])
      case 3: (t, n, d) = (shape[0], shape[1], shape[2])
      default:
        throw CLIError("\(path): embeddings must be [T, D] or [T, N, D]; this array has shape \(shape)")
      }
      // Read, reduced and drawn: the doubles, a centred copy and its transpose; PCA's cross
      // product of the smaller side, t-SNE's N x N affinities.
      let rows = MemoryBudget.product([t, n])
      let side = method == .tsne ? rows : min(rows, d, 3000)
      let square = MemoryBudget.product([side, side, method == .tsne ? 24 : 8])
      let (needed, overflow) = MemoryBudget.product(shape + [24]).addingReportingOverflow(square)
      try output.maxMemory.check(
        overflow ? Int.max : needed,
        for: "an embedding of shape \(NPYFile.describe(shape)) reduced by \(method == .tsne ? "t-SNE (24 bytes a value and a \(side) x \(side) affinity matrix)" : "PCA (24 bytes a value and a \(side) x \(side) cross product)")",
        file: path)
      var labelList: [String]?
      if let labels {
        let text = String(decoding: try InputFiles.read(labels, budget: output.maxMemory), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
          $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let list = Array(lines.reversed().drop { $0.isEmpty }.reversed())
        guard list.count == n else {
          throw CLIError("\(labels): \(list.count) labels, but \(path) has \(n) point(s) per checkpoint (one label per line expected)")
        }
        labelList = list
      }
      var options = EmbeddingBuilder.Options()
      options.method = method
      options.tsne.perplexity = perplexity
      options.tsne.iterations = iterations
      options.tsne.seed = seed
      options.colormap = output.colormap(default: options.colormap)
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      do {
        let scene = try EmbeddingBuilder.scene(
          data: try file.readAll(), checkpoints: t, pointsPerCheckpoint: n, dimensions: d,
          labels: labelList, name: name, options: options)
        return (scene, name)
      } catch let e as EmbeddingError {
        throw CLIError("\(path): \(e.description)")
      }
    }
  }
}
