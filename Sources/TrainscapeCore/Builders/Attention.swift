/// An attention matrix as a point cloud: (query, key, weight) for every weight above a
/// threshold, coloured by weight, as nanochat's `create_3d_attention_visualization`.
///
/// The matrix is read row by row, so a 4096 x 4096 matrix needs one row of memory plus the
/// kept points. Softmax rows sum to 1, so at most 1/threshold weights per row pass; for other
/// matrices `maxPoints` bounds the memory: the largest weights are kept and the rest are
/// reported as dropped, never silently.
public enum AttentionBuilder {
  public struct Options: Sendable {
    public var threshold = 0.01
    public var maxPoints = 2_000_000
    public var colormap: Colormap = .viridis
    public var camera = Camera(eye: Vec3(1.5, -1.5, 1.2))
    public var title: String?
    public var markerSize = 3.0
    public init() {}
  }

  /// One attention matrix (one head) to draw.
  public struct Head: Sendable {
    public var name: String
    public var rows: Int
    public var cols: Int
    public init(name: String, rows: Int, cols: Int) {
      self.name = name
      self.rows = rows
      self.cols = cols
    }
  }

  /// - Parameter rowsOf: calls its argument with every row of head `i` (row index, values).
  public static func scene(
    heads: [Head],
    rowsOf: (Int, (Int, UnsafeBufferPointer<Double>) -> Void) throws -> Void,
    label: String, options: Options = Options()
  ) throws -> Scene {
    guard !heads.isEmpty else { throw BuilderError("no attention matrix to draw") }
    var traces: [Trace] = []
    var notes: [String] = []
    var weightsSeen: (lo: Double, hi: Double) = (.infinity, -.infinity)
    var perHead: [(name: String, q: [Int32], k: [Int32], w: [Float])] = []
    let budget = Swift.max(1, options.maxPoints / heads.count)
    for (h, head) in heads.enumerated() {
      var q: [Int32] = [], k: [Int32] = [], w: [Float] = []
      var total = 0
      var nonFinite = 0
      try rowsOf(h) { r, row in
        for c in 0..<row.count {
          let v = row[c]
          guard v.isFinite else { nonFinite += 1; continue }
          if v > options.threshold {
            total += 1
            q.append(Int32(r)); k.append(Int32(c)); w.append(Float(v))
            weightsSeen = (Swift.min(weightsSeen.lo, v), Swift.max(weightsSeen.hi, v))
          }
        }
        // Keep memory bounded: when twice the budget is collected, keep the largest half.
        if w.count > 2 * budget { prune(&q, &k, &w, keep: budget) }
      }
      if w.count > budget { prune(&q, &k, &w, keep: budget) }
      if total > w.count {
        notes.append(
          "\(head.name): \(total) weights above \(fmt(options.threshold)); kept the \(w.count) largest (--max-weights)")
      }
      if nonFinite > 0 { notes.append("\(head.name): \(nonFinite) non-finite weights skipped") }
      perHead.append((head.name, q, k, w))
    }
    guard weightsSeen.lo <= weightsSeen.hi else {
      throw BuilderError("no attention weight is above the threshold \(fmt(options.threshold)); lower --threshold")
    }
    let range = weightsSeen.lo...weightsSeen.hi
    let single = heads.count == 1
    for (i, head) in perHead.enumerated() {
      let weights = head.w.map(Double.init)
      traces.append(
        .scatter(
          ScatterTrace(
            name: head.name, x: head.q.map(Double.init), y: head.k.map(Double.init), z: weights,
            colors: single
              ? .scalar(weights, colormap: options.colormap, range: range, scale: .linear)
              : .solid(Palette.color(i)),
            mode: .markers, markerSize: options.markerSize)))
    }
    let maxRows = heads.map(\.rows).max()!, maxCols = heads.map(\.cols).max()!
    return Scene(
      title: options.title ?? "Attention: \(label)",
      traces: traces,
      x: AxisSpec(title: "Query position", range: 0...Double(Swift.max(1, maxRows - 1)), integer: true),
      y: AxisSpec(title: "Key position", range: 0...Double(Swift.max(1, maxCols - 1)), integer: true),
      z: AxisSpec(title: "Attention weight", range: range),
      camera: options.camera,
      colorBar: single ? ColorBar(title: "Weight", colormap: options.colormap, range: range, scale: .linear) : nil,
      notes: notes, showLegend: !single)
  }

  /// Keeps the `keep` largest weights (ties: earlier first), preserving row order.
  static func prune(_ q: inout [Int32], _ k: inout [Int32], _ w: inout [Float], keep: Int) {
    guard w.count > keep else { return }
    let order = w.indices.sorted { w[$0] > w[$1] || (w[$0] == w[$1] && $0 < $1) }
    let kept = order.prefix(keep).sorted()
    q = kept.map { q[$0] }
    k = kept.map { k[$0] }
    w = kept.map { w[$0] }
  }
}
