import Foundation

// Train and validation as two panels of one frame (a `FacetFigure`), when a split is given.

extension EmbeddingRecipe {
  /// The points of `layout` that checkpoint `k` puts in `set`, as a layout of their own: their
  /// coordinates at every checkpoint, labels and predictions, no split (so that every
  /// misclassified point of the panel is a cross), accuracy over the panel's points. Nil when
  /// the set is empty.
  static func subset(_ layout: Layout, _ set: EmbeddingSnapshots.Split, at k: Int) -> Layout? {
    guard let split = layout.checkpoints[k].split else { return nil }
    let kept = split.indices.filter { split[$0] == set }
    guard !kept.isEmpty else { return nil }
    var sub = layout
    sub.points = kept.map { layout.points[$0] }
    sub.coordinates = layout.coordinates.map { c in kept.flatMap { [c[$0 * 3], c[$0 * 3 + 1], c[$0 * 3 + 2]] } }
    sub.checkpoints = layout.checkpoints.map { cp in
      var c = cp
      c.labels = cp.labels.map { l in kept.map { l[$0] } }
      c.predictions = cp.predictions.map { p in kept.map { p[$0] } }
      c.split = nil
      return c
    }
    sub.accuracies = sub.checkpoints.map { c in
      guard let l = c.labels, let p = c.predictions, !l.isEmpty else { return nil }
      return Double(zip(l, p).filter { $0 == $1 }.count) / Double(l.count)
    }
    sub.hasSplit = false
    sub.notes = []
    return sub
  }

  /// Two panels, train then validation, each drawn by `draw` from the points checkpoint `k`
  /// puts in that set, titled "train (N points)" plus what `draw` says (accuracy, the count
  /// of misclassified points), on shared axes and one camera. Nil without a split.
  static func splitPanels(
    _ layout: Layout, at k: Int, options: Options, title: String, draw: (Layout, Options) throws -> Scene
  ) throws -> FacetFigure? {
    guard layout.hasSplit, layout.checkpoints[k].split != nil else { return nil }
    var panels: [Scene] = []
    for (set, name) in [(EmbeddingSnapshots.Split.train, "train"), (.validation, "validation")] {
      guard let sub = subset(layout, set, at: k) else { continue }
      var o = options
      o.title = "\(name) (\(sub.points.count) points)"
      var scene = try draw(sub, o)
      scene.cornerLabel = nil  // the figure's title says the checkpoint once
      panels.append(scene)
    }
    guard !panels.isEmpty else { return nil }
    var figure = FacetFigure.shared(title: title, panels: panels)
    figure.notes = []
    return figure
  }

  /// A frame of `animate embedding` with a split: the train and validation points side by
  /// side (`frameScene` of each), misclassified points as red crosses counted in each panel's
  /// title. Nil without a split.
  public static func splitFrame(_ layout: Layout, frame k: Int, options: Options = Options()) throws -> FacetFigure? {
    let cp = layout.checkpoints[k]
    var parts = [checkpointLabel(cp)]
    if let acc = layout.accuracies[k] { parts.append("validation accuracy \(String(format: "%.4f", acc))") }
    let title = options.title.map { "\($0) - \(parts.joined(separator: ", "))" }
      ?? "Embedding (\(layout.method.title)) - \(layout.name) - \(parts.joined(separator: ", "))"
    return try splitPanels(layout, at: k, options: options, title: title) { sub, o in try frameScene(sub, frame: k, options: o) }
  }

  /// `render embedding` with a split: the paths of the train and validation points (as the
  /// last checkpoint splits them) side by side (`trajectoryScene` of each). Nil without a split.
  public static func splitTrajectories(_ layout: Layout, options: Options = Options()) throws -> FacetFigure? {
    let title = options.title ?? "Embedding (\(layout.method.title)) - \(layout.name)"
    return try splitPanels(layout, at: layout.count - 1, options: options, title: title) { sub, o in
      var s = try trajectoryScene(sub, options: o)
      if let wrong = misclassified(sub, sub.count - 1) { s.title += " - \(wrong.count) misclassified at \(checkpointLabel(sub.checkpoints[sub.count - 1]))" }
      return s
    }
  }
}
