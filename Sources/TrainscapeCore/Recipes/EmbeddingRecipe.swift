import Foundation

/// The same N points' embeddings at T checkpoints (epochs), with what is known about them: the
/// true class, the model's prediction and the train/validation split of every point.
public struct EmbeddingSnapshots: Sendable {
  public enum Split: String, Sendable { case train, validation }

  public struct Checkpoint: Sendable {
    /// "epoch_005", "checkpoint 3", ...
    public var name: String
    /// The epoch (or step) from the file name, when it has one.
    public var epoch: Int?
    /// N true classes, or nil.
    public var labels: [String]?
    /// N predicted classes, or nil.
    public var predictions: [String]?
    /// N splits, or nil.
    public var split: [Split]?

    public init(
      name: String, epoch: Int? = nil, labels: [String]? = nil, predictions: [String]? = nil,
      split: [Split]? = nil
    ) {
      self.name = name
      self.epoch = epoch
      self.labels = labels
      self.predictions = predictions
      self.split = split
    }
  }

  public var name: String
  public var checkpoints: [Checkpoint]
  public var points: Int
  public var dimensions: Int
  /// T x N x D values, checkpoint-major.
  public var data: [Double]

  public init(name: String, checkpoints: [Checkpoint], points: Int, dimensions: Int, data: [Double]) {
    self.name = name
    self.checkpoints = checkpoints
    self.points = points
    self.dimensions = dimensions
    self.data = data
  }

  /// nanochat's original behaviour on [T, N, D]: every checkpoint's N x D values as one vector,
  /// so the T checkpoints make one path.
  public func flattened() -> EmbeddingSnapshots {
    EmbeddingSnapshots(
      name: name,
      checkpoints: checkpoints.map { Checkpoint(name: $0.name, epoch: $0.epoch) },
      points: 1, dimensions: points * dimensions, data: data)
  }

  /// The accuracy at checkpoint `t`: the share of predictions equal to the labels (on the
  /// validation points when a split is given); nil without both.
  public func accuracy(at t: Int) -> Double? {
    let c = checkpoints[t]
    guard let labels = c.labels, let predictions = c.predictions else { return nil }
    var right = 0, total = 0
    for i in 0..<points where c.split == nil || c.split![i] == .validation {
      total += 1
      if labels[i] == predictions[i] { right += 1 }
    }
    return total > 0 ? Double(right) / Double(total) : nil
  }
}

/// `embedding`: checkpoints' embeddings reduced to 3D and drawn as paths over training
/// (`render`) or as one snapshot per checkpoint (`animate`), as a training visualiser does and as
/// nanochat's `create_3d_embedding_trajectory`.
///
/// The steps, each a function of the options alone:
/// 1. choose checkpoints (`checkpoints`, `every`) and subsample points (`maxPoints`, stratified
///    by class, the same points at every checkpoint; t-SNE and UMAP have a default cap so that
///    large inputs finish, said in the notes);
/// 2. reduce to 3D by PCA, t-SNE or UMAP, fitted once on all chosen checkpoints (`global`) or per
///    checkpoint, each fit aligned to the previous one (orthogonal Procrustes; t-SNE and UMAP
///    also start from the previous layout), so an animation neither flips nor spins;
/// 3. draw: paths coloured by class (legend) or by training progress, start (ring) and end
///    (disc) markers; a frame per checkpoint with a fading trail of earlier positions;
///    misclassified points (prediction != label, on the validation set when there is a split)
///    as large red crosses, counted in the title.
public enum EmbeddingRecipe {
  public enum Method: String, Sendable, CaseIterable {
    case pca, tsne, umap
    public var title: String {
      switch self {
      case .pca: return "PCA"
      case .tsne: return "t-SNE"
      case .umap: return "UMAP"
      }
    }
  }

  public enum Fit: String, Sendable, CaseIterable {
    case global
    case perCheckpoint = "per-checkpoint"
  }

  public struct Options: Sendable {
    public var method: Method = .pca
    public var fit: Fit = .global
    public var tsne = TSNEOptions()
    public var umap = UMAPOptions()
    /// Checkpoints to draw, by epoch when the checkpoints have epochs, else by index; nil: all.
    public var checkpoints: [Int]?
    /// Every N-th epoch (or index); nil: all.
    public var every: Int?
    /// At most this many points per checkpoint (stratified by class); nil: the method's default
    /// cap (t-SNE 5,000 and UMAP 20,000 rows per fit, PCA none); 0: all.
    public var maxPoints: Int?
    /// Seeds the subsample.
    public var seed: UInt64 = 42
    /// Colours training progress when points have no labels (nanochat: Rainbow).
    public var colormap: Colormap = Colormap.named("Rainbow")!
    public var camera = Camera(eye: Vec3(1.5, 1.5, 1.5))
    public var title: String?
    /// Earlier checkpoints shown as a fading trail in a frame (nil: all for a single path, 3
    /// for point clouds).
    public var trail: Int?
    public init() {}
  }

  /// Rows one t-SNE or UMAP fit may have without an explicit `maxPoints`.
  public static let defaultFitRows: [Method: Int] = [.tsne: 5_000, .umap: 20_000]

  /// The reduced snapshots: 3D coordinates of the kept points at the chosen checkpoints.
  public struct Layout: Sendable {
    public var name: String
    public var method: Method
    public var fit: Fit
    /// The chosen checkpoints (their labels, predictions and splits cut to the kept points).
    public var checkpoints: [EmbeddingSnapshots.Checkpoint]
    /// Indices of the chosen checkpoints in the input.
    public var checkpointIndices: [Int]
    /// Indices of the kept points in the input.
    public var points: [Int]
    /// Per chosen checkpoint: points.count x 3.
    public var coordinates: [[Double]]
    public var accuracies: [Double?]
    public var axisPrefix: String
    public var notes: [String]
    /// Classes in first-seen order over all chosen checkpoints (empty without labels).
    public var classes: [String]
    /// The input had a train/validation split.
    public var hasSplit: Bool

    public var count: Int { checkpoints.count }
  }

  // MARK: - 1 + 2: choose, subsample, reduce

  public static func layout(_ input: EmbeddingSnapshots, options: Options = Options()) throws -> Layout {
    let t = input.checkpoints.count, n = input.points, d = input.dimensions
    guard t >= 1, n >= 1, d >= 1, input.data.count == t * n * d else {
      throw BuilderError("embedding data has \(input.data.count) values, expected \(t) x \(n) x \(d)")
    }
    for c in input.checkpoints {
      for (what, list) in [("labels", c.labels), ("predictions", c.predictions)] {
        if let list, list.count != n {
          throw BuilderError("\(c.name): \(list.count) \(what) for \(n) points")
        }
      }
      if let s = c.split, s.count != n { throw BuilderError("\(c.name): \(s.count) split entries for \(n) points") }
    }
    var notes: [String] = []
    let chosen = try chooseCheckpoints(input, options: options)
    if chosen.count < t {
      notes.append("checkpoints drawn: \(chosen.map { input.checkpoints[$0].epoch.map { "epoch \($0)" } ?? input.checkpoints[$0].name }.joined(separator: ", ")) (\(chosen.count) of \(t))")
    }
    // Subsample: the same points at every checkpoint, stratified by the first chosen
    // checkpoint's labels.
    let (keep, capNote) = pointsToKeep(
      points: n, fitRows: options.fit == .global ? chosen.count : 1, dimensions: d, options: options)
    if let capNote { notes.append(capNote) }
    let first = input.checkpoints[chosen[0]]
    let kept = Subsample.stratified(count: n, keep: keep, classes: first.labels, seed: options.seed)
    if keep < n && options.maxPoints != nil {
      notes.append("drew \(keep) of \(n) points per checkpoint (--max-points \(keep), stratified by class, seed \(options.seed))")
    }
    let rowsOf = { (c: Int) -> [Double] in
      var out = [Double](repeating: 0, count: kept.count * d)
      for (r, p) in kept.enumerated() {
        for j in 0..<d { out[r * d + j] = input.data[(c * n + p) * d + j] }
      }
      return out
    }
    var coordinates: [[Double]] = []
    var axisPrefix = options.method.title
    let k = kept.count
    if d <= 3 {
      coordinates = chosen.map { c in
        let rows = rowsOf(c)
        return (0..<k).flatMap { r in (0..<3).map { j in j < d ? rows[r * d + j] : 0 } }
      }
      axisPrefix = "Dimension"
      notes.append("the data have \(d) dimension(s); drawn without reduction")
    } else if options.fit == .global || chosen.count == 1 {
      let all = chosen.flatMap(rowsOf)
      let rows = chosen.count * k
      let reduced = try reduce(all, rows: rows, cols: d, options: options, previous: nil, notes: &notes)
      coordinates = (0..<chosen.count).map { Array(reduced[($0 * k * 3)..<(($0 + 1) * k * 3)]) }
    } else {
      guard k >= 4 else {
        throw BuilderError("a per-checkpoint fit needs at least 4 points per checkpoint; got \(k) (use --fit global)")
      }
      var previous: [Double]?
      for c in chosen {
        var y = try reduce(rowsOf(c), rows: k, cols: d, options: options, previous: previous, notes: &notes)
        if let p = previous { y = try Procrustes.align(y, to: p, rows: k, cols: 3) }
        coordinates.append(y)
        previous = y
      }
      notes.append(
        "\(options.method.title) fitted per checkpoint (\(chosen.count) fits), each aligned to the previous by orthogonal Procrustes\(options.method == .pca ? "" : " after starting from its layout")")
    }
    var checkpoints: [EmbeddingSnapshots.Checkpoint] = []
    var classes: [String] = []
    var seen = Set<String>()
    for c in chosen {
      var cp = input.checkpoints[c]
      cp.labels = cp.labels.map { l in kept.map { l[$0] } }
      cp.predictions = cp.predictions.map { l in kept.map { l[$0] } }
      cp.split = cp.split.map { l in kept.map { l[$0] } }
      for l in cp.labels ?? [] where seen.insert(l).inserted { classes.append(l) }
      checkpoints.append(cp)
    }
    let hasSplit = checkpoints.contains { $0.split != nil }
    if hasSplit {
      notes.append(
        "a train/validation split: render, turntable and animate draw them as two panels; export and view draw one (train as dots, validation as rings)")
    }
    let subset = EmbeddingSnapshots(name: input.name, checkpoints: checkpoints, points: k, dimensions: 0, data: [])
    return Layout(
      name: input.name, method: options.method, fit: options.fit, checkpoints: checkpoints,
      checkpointIndices: chosen, points: kept, coordinates: coordinates,
      accuracies: (0..<checkpoints.count).map { subset.accuracy(at: $0) }, axisPrefix: axisPrefix,
      notes: notes, classes: classes, hasSplit: hasSplit)
  }

  /// How many points per checkpoint are kept, and a note when a default cap chose it: all,
  /// `maxPoints` (0: all), or for t-SNE and UMAP without `maxPoints` as many as keep a fit of
  /// `fitRows` checkpoints within `defaultFitRows`.
  public static func pointsToKeep(points n: Int, fitRows: Int, dimensions d: Int, options: Options) -> (Int, String?) {
    if let m = options.maxPoints { return (m > 0 ? min(n, m) : n, nil) }
    guard let cap = defaultFitRows[options.method], n * fitRows > cap, d > 3 else { return (n, nil) }
    let keep = max(8, cap / fitRows)
    guard keep < n else { return (n, nil) }
    return (
      keep,
      "\(options.method.title) on \(n * fitRows) rows would take long: drew \(keep) of \(n) points per checkpoint (stratified by class, seed \(options.seed)); --max-points N chooses, --max-points 0 keeps all"
    )
  }

  /// Indices of the checkpoints `checkpoints` and `every` select.
  static func chooseCheckpoints(_ input: EmbeddingSnapshots, options: Options) throws -> [Int] {
    let all = Array(input.checkpoints.indices)
    let byEpoch = input.checkpoints.allSatisfy { $0.epoch != nil }
    let key = { (i: Int) -> Int in byEpoch ? input.checkpoints[i].epoch! : i }
    var chosen = all
    if let wanted = options.checkpoints {
      var out: [Int] = []
      for w in wanted {
        guard let i = all.first(where: { key($0) == w }) else {
          let available = all.map { String(key($0)) }
          throw BuilderError(
            "no checkpoint \(byEpoch ? "with epoch" : "number") \(w); the input has \(byEpoch ? "epochs" : "checkpoints (0-based)") \(available.prefix(40).joined(separator: ", "))\(available.count > 40 ? ", ..." : "")")
        }
        if !out.contains(i) { out.append(i) }
      }
      chosen = out.sorted()
    }
    if let every = options.every {
      guard every >= 1 else { throw BuilderError("--every must be at least 1") }
      chosen = chosen.filter { key($0) % every == 0 }
      guard !chosen.isEmpty else {
        throw BuilderError("--every \(every) selects no checkpoint (\(byEpoch ? "epochs" : "checkpoint numbers") \(all.map { String(key($0)) }.prefix(20).joined(separator: ", ")))")
      }
    }
    return chosen
  }

  /// One fit: rows x cols -> rows x 3.
  static func reduce(
    _ x: [Double], rows: Int, cols: Int, options: Options, previous: [Double]?, notes: inout [String]
  ) throws -> [Double] {
    guard rows >= 4 else {
      throw BuilderError("an embedding needs at least 4 vectors to reduce to 3D; got \(rows)")
    }
    switch options.method {
    case .pca:
      let r = try PCA.fit(x, rows: rows, cols: cols, components: 3)
      if previous == nil {
        let pct = r.explainedVarianceRatio.map { fmt($0 * 100) + "%" }.joined(separator: ", ")
        notes.append("PCA: explained variance \(pct)")
      }
      return r.projected
    case .tsne:
      var o = options.tsne
      o.dimensions = 3
      if let p = previous { o.initialization = .given(p) }
      if o.perplexity >= Double(rows) {
        let p = max(1, ((Double(rows) - 1) / 3).rounded(.down))
        notes.append("t-SNE perplexity \(fmt(o.perplexity)) is too large for \(rows) points; used \(fmt(p))")
        o.perplexity = p
      }
      return try TSNE.embed(x, rows: rows, cols: cols, options: o)
    case .umap:
      var o = options.umap
      o.dimensions = 3
      if let p = previous { o.initialization = .given(p) }
      if o.neighbours > rows {
        notes.append("UMAP: \(o.neighbours) neighbours for \(rows) points; used \(rows)")
        o.neighbours = rows
      }
      return try UMAP.embed(x, rows: rows, cols: cols, options: o)
    }
  }
}
