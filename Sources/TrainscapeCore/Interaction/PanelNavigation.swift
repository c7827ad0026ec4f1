import Foundation

/// Pan, zoom and the hover readout of a 2D `PanelFigure` in a window (`view dynamics`), as
/// pure state: the window turns mouse and keys into these calls and draws `layout(...)`.
///
/// The figure's sharing holds while navigating: x is shared by every panel (they all show the
/// same steps), y by the panels of one metric row (and the right-hand `--twin` axis likewise).
/// Moves happen in each axis' own space (log10 on a log axis), so a log axis zooms about the
/// cursor as it looks. Ticks follow from the new ranges when the layout is made.
public struct PanelNavigator: Sendable {
  /// The figure as built, for `reset()`.
  public let original: PanelFigure
  /// The shared x range, in the axis' space.
  private var x: (lo: Double, hi: Double)
  /// Per metric row, in the axes' spaces.
  private var y: [Int: (lo: Double, hi: Double)] = [:]
  private var y2: [Int: (lo: Double, hi: Double)] = [:]
  /// Stages and marks hidden (the A key).
  public var annotationsHidden = false

  public init(_ figure: PanelFigure) {
    original = figure
    x = (0, 1)
    resetRanges()
  }

  /// Whether the figure has stages or marks to hide.
  public var hasAnnotations: Bool { original.panels.contains { !$0.stages.isEmpty || !$0.marks.isEmpty } }

  /// Back to the ranges the figure was built with.
  public mutating func reset() { resetRanges() }

  private mutating func resetRanges() {
    y = [:]
    y2 = [:]
    if let p = original.panels.first { x = p.x.transformedRange }
    for p in original.panels {
      if y[p.metricRow] == nil { y[p.metricRow] = p.y.transformedRange }
      if let a = p.y2, y2[p.metricRow] == nil { y2[p.metricRow] = a.transformedRange }
    }
  }

  /// The figure with the current ranges (and without its annotations when they are hidden).
  public var figure: PanelFigure {
    var f = original
    for i in f.panels.indices {
      let row = f.panels[i].metricRow
      f.panels[i].x.range = Self.dataRange(x, f.panels[i].x.scale)
      if let r = y[row] { f.panels[i].y.range = Self.dataRange(r, f.panels[i].y.scale) }
      if let r = y2[row], let a = f.panels[i].y2 { f.panels[i].y2!.range = Self.dataRange(r, a.scale) }
      if annotationsHidden {
        f.panels[i].stages = []
        f.panels[i].marks = []
      }
    }
    return f
  }

  /// The laid-out figure at this size.
  public func layout(width: Int, height: Int, style: FigureStyle = FigureStyle()) -> PanelLayoutBuilder.Result {
    PanelLayoutBuilder.layout(figure, width: width, height: height, style: style)
  }

  /// The panel whose plot area holds `p` (pixels), given the rectangles of the current layout.
  public func panel(at p: PixelPoint, rects: [PixelRect]) -> Int? {
    rects.firstIndex { p.x >= $0.x && p.x <= $0.maxX && p.y >= $0.y && p.y <= $0.maxY }
  }

  /// Drags the content of panel `i` from `a` to `b` (pixels): every panel's x moves, and the
  /// y of the panels of its metric row.
  public mutating func pan(panel i: Int, from a: PixelPoint, to b: PixelPoint, rects: [PixelRect]) {
    guard original.panels.indices.contains(i), rects.indices.contains(i) else { return }
    let r = rects[i]
    guard r.width > 0, r.height > 0 else { return }
    let fx = (b.x - a.x) / r.width, fy = (b.y - a.y) / r.height
    x = Self.shifted(x, by: -fx)
    let row = original.panels[i].metricRow
    if let v = y[row] { y[row] = Self.shifted(v, by: fy) }
    if let v = y2[row] { y2[row] = Self.shifted(v, by: fy) }
  }

  /// Zooms panel `i` about `p` (pixels): `steps` > 0 zooms in (each step shows 0.8 of the span),
  /// < 0 out; the value under the cursor stays under it. `axes` chooses which axes move.
  public mutating func zoom(panel i: Int, steps: Double, at p: PixelPoint, rects: [PixelRect], axes: ZoomAxes = .both) {
    guard original.panels.indices.contains(i), rects.indices.contains(i), steps.isFinite else { return }
    let r = rects[i]
    guard r.width > 0, r.height > 0 else { return }
    let factor = pow(0.8, steps)
    if axes != .y {
      x = Self.scaled(x, by: factor, about: (p.x - r.x) / r.width)
    }
    if axes != .x {
      let fy = (r.maxY - p.y) / r.height
      let row = original.panels[i].metricRow
      if let v = y[row] { y[row] = Self.scaled(v, by: factor, about: fy) }
      if let v = y2[row] { y2[row] = Self.scaled(v, by: factor, about: fy) }
    }
  }

  public enum ZoomAxes: Sendable { case both, x, y }

  /// What the cursor at `p` reads in its panel: the panel's title, the step of the sample
  /// nearest the cursor on the first drawn line, and each mean line's value there (the seeds'
  /// when the panel has no mean lines), with where to draw the crosshair and the dots.
  public func readout(at p: PixelPoint, rects: [PixelRect]) -> PanelReadout? {
    guard let i = panel(at: p, rects: rects) else { return nil }
    let f = figure
    let panel = f.panels[i]
    let map = PanelMap(x: panel.x, y: panel.y, rect: rects[i], y2: panel.y2)
    let means = panel.lines.filter { $0.role == .mean }
    let drawn = means.isEmpty ? panel.lines : means
    guard !drawn.isEmpty else { return nil }
    // The data x under the cursor.
    let (lo, hi) = panel.x.transformedRange
    let t = lo + (p.x - rects[i].x) / rects[i].width * (hi - lo)
    let xValue = panel.x.scale == .log ? pow(10, t) : t
    var lines: [String] = []
    // A grid titles only its first row: the column's title names the group.
    let title = panel.title.isEmpty ? f.panels.first { $0.group == panel.group && !$0.title.isEmpty }?.title ?? "" : panel.title
    if !title.isEmpty { lines.append(title) }
    var dots: [PixelPoint] = []
    var stepShown: Double?
    var values: [String] = []
    for l in drawn {
      guard let k = Self.nearest(l.x, l.y, to: xValue, on: panel.x) else { continue }
      if stepShown == nil { stepShown = l.x[k] }
      let v = l.y[k]
      values.append("\(l.name) \(Picker.format(v, integer: false))" + (l.x[k] != stepShown ? " (at \(Picker.format(l.x[k], integer: panel.x.integer)))" : ""))
      let dot = PixelPoint(map.px(l.x[k]), map.py(v, twin: l.twin))
      if dot.x.isFinite, dot.y.isFinite, dot.y >= rects[i].y, dot.y <= rects[i].maxY { dots.append(dot) }
    }
    guard let step = stepShown else { return nil }
    let xTitle = panel.x.title.isEmpty ? "x" : panel.x.title
    lines.append("\(xTitle) \(Picker.format(step, integer: panel.x.integer))")
    let shown = 10
    lines += values.prefix(shown)
    if values.count > shown { lines.append("... \(values.count - shown) more") }
    return PanelReadout(panel: i, step: step, lines: lines, crosshairX: map.px(step), rect: rects[i], dots: dots)
  }

  /// The index of the finite sample of (`xs`, `ys`) nearest `v` along `axis` (in its space);
  /// nil when there is none. Steps are ascending as the figure builds them.
  static func nearest(_ xs: [Double], _ ys: [Double], to v: Double, on axis: AxisSpec) -> Int? {
    let n = Swift.min(xs.count, ys.count)
    guard n > 0 else { return nil }
    let target = axis.transform(v)
    // The first index at or after v, then the nearest finite sample around it.
    var a = 0, b = n
    while a < b {
      let m = (a + b) / 2
      if xs[m] < v { a = m + 1 } else { b = m }
    }
    var left = a - 1, right = a
    while left >= 0 && !ys[left].isFinite { left -= 1 }
    while right < n && !ys[right].isFinite { right += 1 }
    func distance(_ k: Int) -> Double {
      let d = abs(axis.transform(xs[k]) - target)
      return d.isNaN ? .infinity : d
    }
    switch (left >= 0, right < n) {
    case (false, false): return nil
    case (true, false): return left
    case (false, true): return right
    case (true, true): return distance(right) < distance(left) ? right : left
    }
  }

  static func shifted(_ r: (lo: Double, hi: Double), by f: Double) -> (lo: Double, hi: Double) {
    let d = (r.hi - r.lo) * f
    let out = (lo: r.lo + d, hi: r.hi + d)
    return out.lo.isFinite && out.hi.isFinite ? out : r
  }

  static func scaled(_ r: (lo: Double, hi: Double), by factor: Double, about f: Double) -> (lo: Double, hi: Double) {
    let anchor = r.lo + f * (r.hi - r.lo)
    var span = (r.hi - r.lo) * factor
    // Not narrower than the numbers can resolve, not wider than they can hold.
    let floor = Swift.max(abs(anchor), 1) * 1e-9
    span = Swift.min(Swift.max(span, floor), 1e300)
    let out = (lo: anchor - f * span, hi: anchor - f * span + span)
    return out.lo.isFinite && out.hi.isFinite ? out : r
  }

  /// An axis-space range back in data units.
  static func dataRange(_ r: (lo: Double, hi: Double), _ scale: AxisScale) -> ClosedRange<Double> {
    switch scale {
    case .linear: return r.lo...r.hi
    case .log:
      let lo = pow(10, Swift.min(Swift.max(r.lo, -300), 300)), hi = pow(10, Swift.min(Swift.max(r.hi, -300), 300))
      return lo < hi ? lo...hi : lo...(lo * 10)
    }
  }
}

/// The hover readout of a panel: its text, the step it reads, and where its crosshair and
/// dots go.
public struct PanelReadout: Sendable, Equatable {
  public var panel: Int
  public var step: Double
  public var lines: [String]
  public var crosshairX: Double
  public var rect: PixelRect
  public var dots: [PixelPoint]
}

extension FrameLayout {
  /// A copy with the readout drawn: a thin vertical line at the step read, a small ring at each
  /// value, and the text box beside `cursor`.
  public func addingPanelReadout(_ r: PanelReadout, at cursor: PixelPoint, background: RGBColor = .white, style: FigureStyle = FigureStyle()) -> FrameLayout {
    var out = self
    // The crosshair and rings in the figure's text colour (light on a dark background).
    let ink = style.adapted(to: background).textColor
    let c = RGBA(ink.r, ink.g, ink.b, 0.8)
    let x = r.crosshairX.rounded(.down) + 0.5
    if x.isFinite, x >= r.rect.x, x <= r.rect.maxX {
      out.overlayLines.append(OverlayLine(a: PixelPoint(x, r.rect.y), b: PixelPoint(x, r.rect.maxY), color: c, width: Swift.max(1, unit)))
    }
    let radius = 4 * Swift.max(unit, 0.75)
    for d in r.dots {
      for k in 0..<12 {
        let a0 = Double(k) / 12 * 2 * .pi, a1 = Double(k + 1) / 12 * 2 * .pi
        out.overlayLines.append(OverlayLine(
          a: PixelPoint(d.x + radius * cos(a0), d.y + radius * sin(a0)),
          b: PixelPoint(d.x + radius * cos(a1), d.y + radius * sin(a1)), color: RGBA(ink.r, ink.g, ink.b, 1), width: 1.5 * Swift.max(unit, 0.75)))
      }
    }
    return out.addingReadout(r.lines, at: cursor, style: style)
  }
}
