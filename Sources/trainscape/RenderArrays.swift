import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

extension Render {
  struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "An attention matrix as a point cloud: (query, key, weight) for weights above a threshold, coloured by weight.",
      discussion: """
        The .npy array may be [q, k], [heads, q, k] or [batch, heads, q, k] (float16/32/64 or
        integers). It is read one row at a time, so large matrices (4096 x 4096) need little
        memory. Several heads (--head 0,1,2) are overlaid, each in its own colour.
        """)

    @Argument(help: "A .npy file holding the attention weights.")
    var path: String

    @Option(help: ArgumentHelp("Head(s) to draw, comma-separated (for [heads, q, k] and [batch, heads, q, k] arrays).", valueName: "H[,H...]"))
    var head: String = "0"

    @Option(help: "Batch element to draw (for [batch, heads, q, k] arrays).")
    var batch: Int = 0

    @Option(help: "Draw weights above this value.")
    var threshold: Double = 0.01

    @Option(help: "At most this many points; beyond it the largest weights are kept (said on stderr).")
    var maxPoints: Int = 2_000_000

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if heads == nil { throw ValidationError("--head expects comma-separated non-negative integers, e.g. 0 or 0,1,2,3") }
      if maxPoints < 1 { throw ValidationError("--max-points must be at least 1") }
    }

    var heads: [Int]? {
      let parts = head.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
      return parts.map { $0! }
    }

    func run() throws {
      let (scene, name) = try makeScene()
      try output.renderAndWrite(scene, kind: "attention", runName: name)
    }

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
      options.maxPoints = maxPoints
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
