import Foundation

/// An embedding trajectory: checkpoints' embeddings reduced to 3D (PCA or t-SNE) and drawn as
/// lines with markers coloured by training progress, as nanochat's
/// `create_3d_embedding_trajectory`.
/// - [T, D] (one vector per checkpoint): one path through the T checkpoints.
/// - [T, N, D] (N points per checkpoint): each of the N points' paths; with labels, every
///   point is coloured by its label (legend), otherwise by checkpoint.
public enum EmbeddingBuilder {
  public enum Method: String, Sendable, CaseIterable {
    case pca, tsne
    public var title: String { self == .pca ? "PCA" : "t-SNE" }
  }

  public struct Options: Sendable {
    public var method: Method = .pca
    public var tsne = TSNEOptions()
    public var colormap: Colormap = .turbo
    public var camera = Camera(eye: Vec3(1.5, 1.5, 1.5))
    public var title: String?
    public var checkpointNames: [String]?
    public init() {}
  }

  /// - Parameters:
  ///   - data: T * N * D values, checkpoint-major.
  ///   - labels: N labels (one per point), or nil.
  public static func scene(
    data: [Double], checkpoints t: Int, pointsPerCheckpoint n: Int, dimensions d: Int,
    labels: [String]?, name: String, options: Options = Options()
  ) throws -> Scene {
    guard data.count == t * n * d, t >= 1, n >= 1, d >= 1 else {
      throw BuilderError("embedding data has \(data.count) values, expected \(t) x \(n) x \(d)")
    }
    if let labels, labels.count != n {
      throw BuilderError("\(labels.count) labels for \(n) points per checkpoint")
    }
    let rows = t * n
    guard rows >= 4 else {
      throw BuilderError("an embedding trajectory needs at least 4 vectors to reduce to 3D; got \(rows)")
    }
    var notes: [String] = []
    let coords: [Double]
    var axisPrefix = options.method.title
    if d <= 3 {
      // Already low-dimensional: draw as is (padding with zeros).
      coords = (0..<rows).flatMap { r in (0..<3).map { k in k < d ? data[r * d + k] : 0 } }
      axisPrefix = "Dimension"
      notes.append("the data has \(d) dimension(s); drawn without reduction")
    } else {
      switch options.method {
      case .pca:
        let r = try PCA.fit(data, rows: rows, cols: d, components: 3)
        coords = r.projected
        let pct = r.explainedVarianceRatio.map { fmt($0 * 100) + "%" }.joined(separator: ", ")
        notes.append("PCA: explained variance \(pct)")
      case .tsne:
        coords = try TSNE.embed(data, rows: rows, cols: d, options: options.tsne)
      }
    }
    let progress = (0..<t).map { t == 1 ? 0 : Double($0) / Double(t - 1) }
    var traces: [Trace] = []
    let categories = labels.map { Array(NSOrderedSetLike($0)) } ?? []
    var named = Set<String>()
    for p in 0..<n {
      let idx = (0..<t).map { $0 * n + p }
      let xs = idx.map { coords[$0 * 3] }, ys = idx.map { coords[$0 * 3 + 1] }, zs = idx.map { coords[$0 * 3 + 2] }
      let colors: PointColors
      var traceName = ""
      if let labels {
        let label = labels[p]
        colors = .solid(Palette.color(categories.firstIndex(of: label) ?? 0))
        if !named.contains(label) {
          named.insert(label)
          traceName = label
        }
      } else {
        colors = .scalar(progress, colormap: options.colormap, range: 0...1, scale: .linear)
        traceName = n == 1 ? name : ""
      }
      let text = (0..<t).map { options.checkpointNames?[$0] ?? "checkpoint \($0)" }
      traces.append(
        .scatter(
          ScatterTrace(
            name: traceName, x: xs, y: ys, z: zs, colors: colors,
            mode: t > 1 ? .linesAndMarkers : .markers, markerSize: n > 50 ? 3 : 6,
            lineWidth: n > 50 ? 1 : 3, text: text)))
    }
    return Scene(
      title: options.title ?? "Embedding trajectory (\(options.method.title)) - \(name)",
      traces: traces,
      x: try axis("\(axisPrefix) 1", stride(from: 0, to: coords.count, by: 3).map { coords[$0] }, scale: .linear),
      y: try axis("\(axisPrefix) 2", stride(from: 1, to: coords.count, by: 3).map { coords[$0] }, scale: .linear),
      z: try axis("\(axisPrefix) 3", stride(from: 2, to: coords.count, by: 3).map { coords[$0] }, scale: .linear),
      camera: options.camera,
      colorBar: labels == nil && t > 1
        ? ColorBar(title: "Training progress", colormap: options.colormap, range: 0...1, scale: .linear) : nil,
      notes: notes, showLegend: labels != nil)
  }
}

/// Unique elements in first-seen order.
private func NSOrderedSetLike(_ items: [String]) -> [String] {
  var seen = Set<String>()
  return items.filter { seen.insert($0).inserted }
}
