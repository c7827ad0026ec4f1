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
      if batch < 0 { throw ValidationError("--batch must be non-negative") }
    }

    var heads: [Int]? {
      let parts = head.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
      return parts.map { $0! }
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let file = try NPYFile.open(path: path)
      var options = AttentionRecipe.Options()
      options.heads = heads!
      options.batch = batch
      options.builder.threshold = threshold
      options.builder.maxPoints = maxWeights
      options.builder.colormap = output.colormap(default: options.builder.colormap)
      options.builder.camera = output.camera(default: options.builder.camera)
      options.builder.title = output.title
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      do {
        let shape = file.header.shape
        let selections = try AttentionRecipe.selections(shape: shape, options: options, file: path)
        let scene = try AttentionRecipe.scene(
          shape: shape, selections: selections, name: name, options: options,
          rowsOf: { h, body in try file.forEachRow(leadingIndices: selections[h].leading) { r, row in body(r, row) } })
        return (scene, name)
      } catch let e as BuilderError {
        throw CLIError(e.description)
      }
    }

    /// `export attention`: the `.pts.json` point cloud keeps the data coordinates (query, key,
    /// weight) and nanochat's colours (255 w, 255 (1 - w), 128) unless --normalize.
    static var exportCommand: ParsableCommand.Type { AttentionExportCommand.self }
  }
}

struct AttentionExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attention",
    abstract: "Export what `render attention` draws: \(Render.Attention.configuration.abstract)",
    discussion: """
      A .pts.json point cloud holds the raw (query, key, weight) of every drawn weight, coloured
      as nanochat's create_3d_attention_visualization does: (int(255 w), int(255 (1 - w)), 128).
      --normalize writes the drawn scene instead (the axes box scaled to +-5, colours from the
      colour map). Other formats are the drawn scene.
      """)
  @OptionGroup var scene: Render.Attention
  @OptionGroup var export: ExportOptions
  @Flag(help: "For .pts.json: the drawn scene in the normalized box (+-5) with colour-map colours, instead of the raw (query, key, weight) with nanochat's RGB formula.")
  var normalize = false

  func run() throws {
    let (s, runName) = try scene.makeScene()
    let format = try export.resolvedFormat(output: scene.output)
    if normalize && format != .object3d && format != .lidar {
      log.warning("--normalize only applies to .pts.json output")
    }
    if format == .object3d && !normalize {
      log.notice("point cloud: raw (query, key, weight) coordinates with nanochat's colours (255 w, 255 (1 - w), 128); --normalize for the drawn box")
      try export.write(
        AttentionRecipe.withOriginalColors(s), output: scene.output, kind: Render.Attention.kindName, runName: runName,
        dataCoordinates: true)
    } else {
      try export.write(s, output: scene.output, kind: Render.Attention.kindName, runName: runName)
    }
  }
}
