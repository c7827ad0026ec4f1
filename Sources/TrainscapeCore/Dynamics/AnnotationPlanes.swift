import Foundation

/// A text label at a point of a 3D scene (data units), placed by `FigureLayoutBuilder` above
/// the point's projection.
public struct PointLabel: Sendable, Equatable {
  public var text: String
  public var x, y, z: Double
  public var color: RGBColor
  /// Moved to a free place when it would overlap another label (a few annotation labels);
  /// false: drawn at its point whatever it overlaps (a label per point of a trace, as plotly.js
  /// draws them, which keeps the layout linear in the number of labels).
  public var avoidsOverlap = true

  public init(text: String, x: Double, y: Double, z: Double, color: RGBColor, avoidsOverlap: Bool = true) {
    self.text = text
    self.x = x
    self.y = y
    self.z = z
    self.color = color
    self.avoidsOverlap = avoidsOverlap
  }
}

extension Scene {
  /// The colours of the planes: stages grey, fixed marks dark, onsets vermillion.
  public static let stagePlaneColor = RGBColor(hex: "#6b6b7a")!
  public static let markPlaneColor = RGBColor(hex: "#333338")!
  public static let onsetPlaneColor = RGBColor(hex: "#D55E00")!

  /// This scene (its x axis the training step) with `annotations` drawn across the step axis:
  /// a translucent plane spanning the y and z ranges at each stage's start (named
  /// "stage: NAME"), at each `--mark` and at each onset ("first hack_s>0"), each labelled at
  /// its top edge. The planes are mesh traces marked `legend`, so an export lists them.
  /// Marks outside the steps drawn are left out and said in the notes.
  public func annotated(with annotations: Annotations) -> Scene {
    if traces.contains(where: { !($0.scatter?.steps.isEmpty ?? true) }) { return annotatedAlongPaths(with: annotations) }
    var s = self
    let (ylo, yhi) = (y.range.lowerBound, y.range.upperBound)
    let (zlo, zhi) = (z.range.lowerBound, z.range.upperBound)
    func plane(_ step: Double, name: String, label: String, color: RGBColor, opacity: Double) {
      guard x.range.contains(step) else {
        s.notes.append("\(label) at step \(ConfigValue.numberText(step)) is outside the steps drawn (\(ConfigValue.numberText(x.range.lowerBound))...\(ConfigValue.numberText(x.range.upperBound))): no plane")
        return
      }
      var m = MeshTrace(
        name: name, x: [step, step, step, step], y: [ylo, yhi, yhi, ylo], z: [zlo, zlo, zhi, zhi],
        i: [0, 0], j: [1, 2], k: [2, 3], colors: .solid(color), opacity: opacity)
      m.legend = true
      s.traces.append(.mesh(m))
      s.pointLabels.append(PointLabel(text: label, x: step, y: yhi, z: zhi, color: color))
    }
    for st in annotations.stages {
      plane(Double(st.start), name: "stage: \(st.name)", label: st.name, color: Self.stagePlaneColor, opacity: 0.18)
    }
    for m in annotations.marks {
      switch m.kind {
      case .fixed: plane(m.step, name: "mark: \(m.label)", label: m.label, color: Self.markPlaneColor, opacity: 0.2)
      case .onset: plane(m.step, name: m.label, label: m.label, color: Self.onsetPlaneColor, opacity: 0.22)
      }
    }
    s.notes += annotations.notes
    return s
  }

  /// This scene's paths (scatter traces with `steps`, whose x axis is not the step) with
  /// `annotations` as labelled rings on each path, at its first point at or after each
  /// stage's start, mark and onset; named like the planes, so an export lists them.
  func annotatedAlongPaths(with annotations: Annotations) -> Scene {
    var s = self
    let paths = traces.compactMap(\.scatter).filter { !$0.steps.isEmpty && $0.steps.count == $0.count }
    func marker(_ step: Double, name: String, label: String, color: RGBColor) {
      var placed = 0
      for p in paths {
        guard let i = p.steps.firstIndex(where: { Double($0) >= step }), let first = p.steps.first, Double(first) <= step
        else { continue }
        placed += 1
        let where_ = paths.count > 1 ? "\(name) (\(p.name))" : name
        s.traces.append(
          .scatter(
            ScatterTrace(
              name: where_, x: [p.x[i]], y: [p.y[i]], z: [p.z[i]], colors: .solid(color), mode: .markers,
              markerSize: 14, text: ["\(label): \(p.name) step \(p.steps[i])"], symbol: .ring)))
        s.pointLabels.append(PointLabel(text: label, x: p.x[i], y: p.y[i], z: p.z[i], color: color))
      }
      if placed == 0 {
        let all = paths.flatMap(\.steps)
        let span = "\(all.min().map(String.init) ?? "?")...\(all.max().map(String.init) ?? "?")"
        s.notes.append("\(label) at step \(ConfigValue.numberText(step)) is outside the steps drawn (\(span)): no marker")
      }
    }
    for st in annotations.stages {
      marker(Double(st.start), name: "stage: \(st.name)", label: st.name, color: Self.stagePlaneColor)
    }
    for m in annotations.marks {
      switch m.kind {
      case .fixed: marker(m.step, name: "mark: \(m.label)", label: m.label, color: Self.markPlaneColor)
      case .onset: marker(m.step, name: m.label, label: m.label, color: Self.onsetPlaneColor)
      }
    }
    s.notes += annotations.notes
    return s
  }
}
