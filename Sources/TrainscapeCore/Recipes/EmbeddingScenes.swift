import Foundation

// MARK: - Step 3 of EmbeddingRecipe: the scenes of a layout

extension EmbeddingRecipe {
  /// A colour per class: matplotlib's tab10 up to 10 classes, else the colour map sampled.
  static func classColors(_ classes: [String], colormap: Colormap) -> [String: RGBColor] {
    var out: [String: RGBColor] = [:]
    for (i, c) in classes.enumerated() {
      out[c] = classes.count <= 10 ? Palette.color(i) : colormap.color(at: Double(i) / Double(max(1, classes.count - 1)))
    }
    return out
  }

  static let maxLegendClasses = 20
  static let crossColor = RGBColor(hex: "#e8000b")!

  /// The axes of all frames: every coordinate of every chosen checkpoint.
  static func axes(_ layout: Layout) throws -> (AxisSpec, AxisSpec, AxisSpec) {
    let all = layout.coordinates.flatMap { $0 }
    let p = layout.axisPrefix
    return (
      try axis("\(p) 1", stride(from: 0, to: all.count, by: 3).map { all[$0] }, scale: .linear),
      try axis("\(p) 2", stride(from: 1, to: all.count, by: 3).map { all[$0] }, scale: .linear),
      try axis("\(p) 3", stride(from: 2, to: all.count, by: 3).map { all[$0] }, scale: .linear)
    )
  }

  static func checkpointLabel(_ c: EmbeddingSnapshots.Checkpoint) -> String {
    c.epoch.map { "epoch \($0)" } ?? c.name
  }

  static func progress(_ layout: Layout, _ k: Int) -> Double {
    layout.count == 1 ? 1 : Double(k) / Double(layout.count - 1)
  }

  /// Misclassified points at checkpoint k: prediction != label, on the validation points when
  /// there is a split.
  static func misclassified(_ layout: Layout, _ k: Int) -> [Int]? {
    let c = layout.checkpoints[k]
    guard let labels = c.labels, let predictions = c.predictions else { return nil }
    return labels.indices.filter { i in
      labels[i] != predictions[i] && (c.split == nil || c.split![i] == .validation)
    }
  }

  /// `render embedding`: every kept point's path through the chosen checkpoints, coloured by
  /// class (legend) or by training progress (colour bar), rings at the start and discs at the
  /// end, and the points misclassified at the last checkpoint as red crosses.
  public static func trajectoryScene(_ layout: Layout, options: Options = Options()) throws -> Scene {
    let (x, y, z) = try axes(layout)
    let n = layout.points.count, t = layout.count
    let last = layout.checkpoints[t - 1]
    let labels = last.labels
    var traces: [Trace] = []
    func point(_ k: Int, _ i: Int) -> (Double, Double, Double) {
      let c = layout.coordinates[k]
      return (c[i * 3], c[i * 3 + 1], c[i * 3 + 2])
    }
    let text = layout.checkpoints.map(checkpointLabel)
    let single = n == 1
    if let labels {
      let colors = classColors(layout.classes, colormap: options.colormap)
      for cls in layout.classes {
        let members = (0..<n).filter { labels[$0] == cls }
        if members.isEmpty { continue }
        // One trace per class: the members' paths separated by a NaN (a break in the line).
        var xs: [Double] = [], ys: [Double] = [], zs: [Double] = [], tx: [String] = []
        for i in members {
          if !xs.isEmpty { xs.append(.nan); ys.append(.nan); zs.append(.nan); tx.append("") }
          for k in 0..<t {
            let p = point(k, i)
            xs.append(p.0); ys.append(p.1); zs.append(p.2); tx.append("\(cls), \(text[k])")
          }
        }
        traces.append(
          .scatter(
            ScatterTrace(
              name: layout.classes.count <= maxLegendClasses ? cls : "", x: xs, y: ys, z: zs,
              colors: .solid(colors[cls]!), mode: t > 1 ? .lines : .markers,
              markerSize: 4, lineWidth: n > 200 ? 0.8 : n > 50 ? 1.2 : 2, opacity: n > 200 ? 0.6 : 0.85, text: tx)))
      }
    } else {
      let progressValues = (0..<t).map { Self.progress(layout, $0) }
      for i in 0..<n {
        traces.append(
          .scatter(
            ScatterTrace(
              name: single ? layout.name : "", x: (0..<t).map { point($0, i).0 }, y: (0..<t).map { point($0, i).1 },
              z: (0..<t).map { point($0, i).2 },
              colors: .scalar(progressValues, colormap: options.colormap, range: 0...1, scale: .linear),
              mode: t > 1 ? .linesAndMarkers : .markers, markerSize: single ? 6 : n > 50 ? 2.5 : 4,
              lineWidth: single ? 3 : n > 50 ? 1 : 2, text: text)))
      }
    }
    if t > 1 {
      let startColor = RGBColor(hex: "#404040")!
      let endColors: PointColors = labels.map { l in
        let colors = classColors(layout.classes, colormap: options.colormap)
        return .perPoint((0..<n).map { colors[l[$0]]! })
      } ?? .solid(options.colormap.color(at: 1))
      traces.append(
        .scatter(
          ScatterTrace(
            name: "start: \(checkpointLabel(layout.checkpoints[0]))", x: (0..<n).map { point(0, $0).0 },
            y: (0..<n).map { point(0, $0).1 }, z: (0..<n).map { point(0, $0).2 }, colors: .solid(startColor),
            mode: .markers, markerSize: single ? 14 : n > 200 ? 6 : 9, symbol: .ring)))
      traces.append(
        .scatter(
          ScatterTrace(
            name: "end: \(checkpointLabel(last))", x: (0..<n).map { point(t - 1, $0).0 },
            y: (0..<n).map { point(t - 1, $0).1 }, z: (0..<n).map { point(t - 1, $0).2 }, colors: endColors,
            mode: .markers, markerSize: single ? 12 : n > 200 ? 4.5 : 7)))
    }
    var title = options.title ?? "Embedding trajectory (\(layout.method.title)) - \(layout.name)"
    if let wrong = misclassified(layout, t - 1) {
      traces.append(crosses(layout, t - 1, wrong))
      if options.title == nil { title += " - \(wrong.count) misclassified at \(checkpointLabel(last))" }
    }
    var notes = layout.notes
    if layout.classes.count > maxLegendClasses {
      notes.append("\(layout.classes.count) classes: the legend is left out (at most \(maxLegendClasses) are listed)")
    }
    return Scene(
      title: title, traces: traces, x: x, y: y, z: z, camera: options.camera,
      colorBar: labels == nil && t > 1
        ? ColorBar(title: "Training progress", colormap: options.colormap, range: 0...1, scale: .linear) : nil,
      notes: notes, showLegend: labels != nil || t > 1)
  }

  static func crosses(_ layout: Layout, _ k: Int, _ wrong: [Int]) -> Trace {
    let c = layout.coordinates[k]
    let cp = layout.checkpoints[k]
    return .scatter(
      ScatterTrace(
        name: "misclassified (\(wrong.count))", x: wrong.map { c[$0 * 3] }, y: wrong.map { c[$0 * 3 + 1] },
        z: wrong.map { c[$0 * 3 + 2] }, colors: .solid(crossColor), mode: .markers,
        markerSize: layout.points.count > 500 ? 11 : 15,
        text: wrong.map { "label \(cp.labels?[$0] ?? "?"), predicted \(cp.predictions?[$0] ?? "?")" },
        symbol: .cross))
  }

  /// A frame of `animate embedding`: the snapshot at chosen checkpoint `k` on the axes of all
  /// frames. Points coloured by class (legend; train as dots and validation as rings when
  /// there is a split) or by training progress, a trail of the earlier positions fading out,
  /// misclassified points as red crosses; the title gives the epoch, accuracy and count.
  public static func frameScene(_ layout: Layout, frame k: Int, options: Options = Options()) throws -> Scene {
    let (x, y, z) = try axes(layout)
    let n = layout.points.count
    let cp = layout.checkpoints[k]
    let coords = layout.coordinates[k]
    let single = n == 1
    let trail = min(k, options.trail ?? (single ? layout.count : 3))
    var traces: [Trace] = []
    let colors = classColors(layout.classes, colormap: options.colormap)
    let progressColor = options.colormap.color(at: progress(layout, k))
    func colorOf(_ i: Int) -> RGBColor { cp.labels.map { colors[$0[i]]! } ?? progressColor }
    // The trail: segment j joins checkpoint k - j - 1 to k - j, fainter the older it is.
    if trail > 0 {
      for j in stride(from: trail - 1, through: 0, by: -1) {
        let a = layout.coordinates[k - j - 1], b = layout.coordinates[k - j]
        let opacity = 0.65 * (1 - Double(j) / Double(trail + 1))
        var xs: [Double] = [], ys: [Double] = [], zs: [Double] = []
        var segmentColors: [RGBColor] = []
        for i in 0..<n {
          if !xs.isEmpty { xs.append(.nan); ys.append(.nan); zs.append(.nan); segmentColors.append(.black) }
          xs += [a[i * 3], b[i * 3]]; ys += [a[i * 3 + 1], b[i * 3 + 1]]; zs += [a[i * 3 + 2], b[i * 3 + 2]]
          if cp.labels == nil && single {
            let ca = options.colormap.color(at: progress(layout, k - j - 1))
            let cb = options.colormap.color(at: progress(layout, k - j))
            segmentColors += [ca, cb]
          } else {
            segmentColors += [colorOf(i), colorOf(i)]
          }
        }
        traces.append(
          .scatter(
            ScatterTrace(
              name: "", x: xs, y: ys, z: zs, colors: .perPoint(segmentColors), mode: .lines,
              lineWidth: single ? 3 : n > 200 ? 0.8 : 1.5, opacity: single ? 1 : opacity)))
      }
    }
    // The points: per class and split.
    let groups: [(name: String, members: [Int], color: RGBColor, symbol: ScatterTrace.Symbol)]
    let splitOf = { (i: Int) -> EmbeddingSnapshots.Split in cp.split?[i] ?? .train }
    let size = single ? 12 : n > 2000 ? 3.5 : n > 500 ? 5 : 7
    if let labels = cp.labels {
      var g: [(String, [Int], RGBColor, ScatterTrace.Symbol)] = []
      for cls in layout.classes {
        for set in [EmbeddingSnapshots.Split.train, .validation] {
          let members = (0..<n).filter { labels[$0] == cls && splitOf($0) == set }
          if members.isEmpty { continue }
          let named = set == .train || cp.split == nil || !(0..<n).contains { labels[$0] == cls && splitOf($0) == .train }
          g.append((named && layout.classes.count <= maxLegendClasses ? cls : "", members, colors[cls]!, set == .train ? .circle : .ring))
        }
      }
      groups = g
    } else {
      groups = [EmbeddingSnapshots.Split.train, .validation].compactMap { set in
        let members = (0..<n).filter { splitOf($0) == set }
        return members.isEmpty ? nil : (single ? layout.name : "", members, progressColor, set == .train ? .circle : .ring)
      }
    }
    for g in groups {
      traces.append(
        .scatter(
          ScatterTrace(
            name: g.name, x: g.members.map { coords[$0 * 3] }, y: g.members.map { coords[$0 * 3 + 1] },
            z: g.members.map { coords[$0 * 3 + 2] }, colors: .solid(g.color), mode: .markers,
            markerSize: g.symbol == .ring ? size * 1.3 : size, symbol: g.symbol)))
    }
    if layout.hasSplit {
      // Legend entries for the two marker shapes (no points).
      let grey = RGBColor(hex: "#404040")!
      traces.append(.scatter(ScatterTrace(name: "train", x: [], y: [], z: [], colors: .solid(grey), mode: .markers)))
      traces.append(
        .scatter(ScatterTrace(name: "validation", x: [], y: [], z: [], colors: .solid(grey), mode: .markers, symbol: .ring)))
    }
    var parts = [checkpointLabel(cp)]
    if let acc = layout.accuracies[k] { parts.append("accuracy \(String(format: "%.4f", acc))") }
    if let wrong = misclassified(layout, k) {
      traces.append(crosses(layout, k, wrong))
      parts.append("\(wrong.count) misclassified")
    }
    let title = options.title.map { "\($0) - \(parts.joined(separator: ", "))" }
      ?? "Embedding (\(layout.method.title)) - \(layout.name) - \(parts.joined(separator: ", "))"
    var scene = Scene(
      title: title, traces: traces, x: x, y: y, z: z, camera: options.camera,
      colorBar: cp.labels == nil && layout.count > 1
        ? ColorBar(title: "Training progress", colormap: options.colormap, range: 0...1, scale: .linear) : nil,
      notes: [], showLegend: cp.labels != nil || layout.hasSplit)
    scene.cornerLabel = "\(checkpointLabel(cp)) (\(k + 1)/\(layout.count))"
    return scene
  }

  /// A frame's file name from what is known: `epoch_005_acc0.9123.png`, `epoch_005.png`, or nil
  /// (then the frames are numbered).
  public static func frameFileName(_ layout: Layout, frame k: Int) -> String? {
    guard let epoch = layout.checkpoints[k].epoch else { return nil }
    let width = max(3, String(layout.checkpoints.compactMap(\.epoch).max() ?? 0).count)
    let digits = String(epoch)
    var name = "epoch_" + String(repeating: "0", count: max(0, width - digits.count)) + digits
    if let acc = layout.accuracies[k] { name += "_acc" + String(format: "%.4f", acc) }
    return name + ".png"
  }

  /// What a manifest records about frame k.
  public static func frameInfo(_ layout: Layout, frame k: Int) -> [String: String] {
    let cp = layout.checkpoints[k]
    var info: [String: String] = ["checkpoint": cp.name]
    if let e = cp.epoch { info["epoch"] = String(e) }
    if let a = layout.accuracies[k] { info["accuracy"] = String(format: "%.4f", a) }
    if let labels = cp.labels { info["classes"] = String(Set(labels).count) }
    if let wrong = misclassified(layout, k) { info["misclassified"] = String(wrong.count) }
    info["points"] = String(layout.points.count)
    return info
  }
}
