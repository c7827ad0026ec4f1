/// `attention`: which matrices of an attention array are drawn, how they are named, and the
/// point cloud (query, key, weight) as nanochat's `create_3d_attention_visualization`.
public enum AttentionRecipe {
  public struct Options: Sendable {
    /// Heads to draw (for [heads, q, k] and [batch, heads, q, k]).
    public var heads: [Int] = [0]
    /// Batch element (for [batch, heads, q, k]).
    public var batch = 0
    public var builder = AttentionBuilder.Options()
    public init() {}
  }

  /// One matrix to draw: its name and the leading indices that select it.
  public struct Selection: Sendable, Equatable {
    public var name: String
    public var leading: [Int]
  }

  /// The matrices an array of `shape` holds for the options: [q, k] is one matrix, [heads, q,
  /// k] one per head, [batch, heads, q, k] one per head of one batch element. Indices outside
  /// the array are errors that say what exists.
  public static func selections(shape: [Int], options: Options, file: String) throws -> [Selection] {
    switch shape.count {
    case 2:
      if options.heads != [0] || options.batch != 0 {
        throw BuilderError("\(file): a [q, k] array has one matrix; --head and --batch do not apply")
      }
      return [Selection(name: "attention", leading: [])]
    case 3:
      for h in options.heads where h >= shape[0] {
        throw BuilderError("\(file): head \(h) does not exist; the array has \(shape[0]) heads (0...\(shape[0] - 1))")
      }
      if options.batch != 0 { throw BuilderError("\(file): a [heads, q, k] array has no batch dimension; --batch does not apply") }
      return options.heads.map { Selection(name: "head \($0)", leading: [$0]) }
    case 4:
      guard options.batch < shape[0] else {
        throw BuilderError("\(file): batch \(options.batch) does not exist; the array has \(shape[0]) (0...\(shape[0] - 1))")
      }
      for h in options.heads where h >= shape[1] {
        throw BuilderError("\(file): head \(h) does not exist; the array has \(shape[1]) heads (0...\(shape[1] - 1))")
      }
      return options.heads.map { Selection(name: "batch \(options.batch) head \($0)", leading: [options.batch, $0]) }
    default:
      throw BuilderError("\(file): attention arrays must be [q, k], [heads, q, k] or [batch, heads, q, k]; this one has shape \(shape)")
    }
  }

  /// The point cloud of `selections` (from `selections(shape:options:file:)`) of an array of
  /// `shape`; `rowsOf(i, body)` calls `body` with every row of selection i.
  public static func scene(
    shape: [Int], selections: [Selection], name: String, options: Options,
    rowsOf: (Int, (Int, UnsafeBufferPointer<Double>) -> Void) throws -> Void
  ) throws -> Scene {
    let rows = shape[shape.count - 2], cols = shape[shape.count - 1]
    return try AttentionBuilder.scene(
      heads: selections.map { .init(name: $0.name, rows: rows, cols: cols) }, rowsOf: rowsOf,
      label: selections.count == 1 ? "\(name), \(selections[0].name)" : name, options: options.builder)
  }

  /// nanochat's colour of an attention weight w in its W&B point cloud:
  /// (int(255 w), int(255 (1 - w)), 128), clamped to 0...255.
  public static func originalColor(weight w: Double) -> RGBColor {
    func channel(_ v: Double) -> Double {
      guard v.isFinite else { return 0 }
      return Double(Int(Swift.min(Swift.max(v, 0), 255)))
    }
    return RGBColor(r: channel(255 * w) / 255, g: channel(255 * (1 - w)) / 255, b: 128.0 / 255)
  }

  /// The scene with every point coloured by `originalColor` of its weight (z), for the raw
  /// `.pts.json` export that matches the original script's point cloud.
  public static func withOriginalColors(_ scene: Scene) -> Scene {
    var s = scene
    s.traces = scene.traces.map { t in
      guard case .scatter(var p) = t else { return t }
      p.colors = .perPoint(p.z.map { originalColor(weight: $0) })
      return .scatter(p)
    }
    return s
  }
}
