import Foundation

/// Small multiples of 3D scenes (`--facet-by`): one panel per group in one image, with one
/// shared colour range, one camera, one colour bar for the figure and its title once. Each
/// panel is a `Scene` whose title is the panel's title and whose colour bar is nil; the
/// backend renders the panels into the rectangles `FacetLayoutBuilder` gives and draws the
/// figure's title and colour bar around them.
public struct FacetFigure: Sendable, Equatable {
  public var title: String
  public var panels: [Scene]
  /// The figure's one colour bar (the shared range), or nil.
  public var colorBar: ColorBar?
  public var background: RGBColor {
    didSet { for i in panels.indices { panels[i].background = background } }
  }
  /// Panels per row: side by side up to 3, then a grid.
  public var columns: Int
  public var rows: Int { (panels.count + columns - 1) / Swift.max(1, columns) }
  public var notes: [String]

  /// Panels side by side when there are at most 3, else a near-square grid (4 -> 2x2,
  /// 5-6 -> 3x2, 7-9 -> 3x3, ...).
  public static func columns(for count: Int) -> Int {
    count <= 3 ? Swift.max(1, count) : Int(Double(count).squareRoot().rounded(.up))
  }

  /// The figure of `panels` (each with its own title) on shared axes: the x, y and z ranges
  /// are the union of the panels' (z on the first panel's scale: the caller resolves one
  /// scale for all), every surface is coloured over the union of the colour ranges, every
  /// panel takes the first panel's camera, and the first panel's colour bar (over the shared
  /// colour range when the panels have surfaces) becomes the figure's.
  public static func shared(title: String, panels input: [Scene]) -> FacetFigure {
    precondition(!input.isEmpty, "a faceted figure needs at least one panel")
    func union(_ r: [ClosedRange<Double>]) -> ClosedRange<Double> {
      (r.map(\.lowerBound).min()!)...(r.map(\.upperBound).max()!)
    }
    let x = union(input.map(\.x.range)), y = union(input.map(\.y.range)), z = union(input.map(\.z.range))
    let colors = input.flatMap { $0.traces.compactMap(\.surface).map(\.colorRange) }
    let colorRange: ClosedRange<Double>? = colors.isEmpty ? nil : union(colors)
    var panels = input
    for i in panels.indices {
      panels[i].x.range = x
      panels[i].y.range = y
      panels[i].z.range = z
      panels[i].camera = input[0].camera
      panels[i].colorBar = nil
      panels[i].notes = []
      for t in panels[i].traces.indices {
        if case .surface(var s) = panels[i].traces[t], let colorRange {
          s.colorRange = colorRange
          panels[i].traces[t] = .surface(s)
        }
      }
    }
    var bar = input[0].colorBar
    if let colorRange { bar?.range = colorRange }
    return FacetFigure(
      title: title, panels: panels, colorBar: bar, background: input[0].background,
      columns: columns(for: panels.count), notes: input.flatMap(\.notes))
  }

  /// Panels that share nothing (a Plotly figure's scenes): each keeps its own axes, camera and
  /// colour bar; `title` is the figure's, drawn once (the panels' own titles are cleared); the
  /// panels' notes are the figure's, each once.
  public static func independent(title: String, panels input: [Scene]) -> FacetFigure {
    precondition(!input.isEmpty, "a figure needs at least one panel")
    var notes: [String] = []
    for n in input.flatMap(\.notes) where !notes.contains(n) { notes.append(n) }
    var panels = input
    for i in panels.indices {
      panels[i].title = ""
      panels[i].notes = []
    }
    return FacetFigure(
      title: title, panels: panels, colorBar: nil, background: input[0].background, columns: columns(for: panels.count),
      notes: notes)
  }

  public init(
    title: String, panels: [Scene], colorBar: ColorBar?, background: RGBColor, columns: Int, notes: [String] = []
  ) {
    self.title = title
    self.panels = panels
    self.colorBar = colorBar
    self.background = background
    self.columns = columns
    self.notes = notes
  }

  /// Every panel seen from `camera` (a turntable frame).
  public func withCamera(_ camera: Camera) -> FacetFigure {
    var f = self
    for i in f.panels.indices { f.panels[i].camera = camera }
    return f
  }
}

/// Lays out a `FacetFigure`: the figure's title on top, the panels' rectangles in a grid
/// (whole pixels, so panel images paste exactly) and one colour bar on the right.
public enum FacetLayoutBuilder {
  public struct Result: Sendable {
    /// The title and colour bar (no 3D plot): drawn as an overlay over the background.
    public var frame: FrameLayout
    /// `figure.panels[i]` is rendered at the size of `panelRects[i]` and pasted there.
    public var panelRects: [PixelRect]
  }

  public static func layout(_ figure: FacetFigure, width: Int, height: Int, style styleIn: FigureStyle = FigureStyle()) -> Result {
    let style = styleIn.adapted(to: figure.background)
    let W = Double(width), H = Double(height)
    let u = Swift.min(W / 1280, H / 720)
    var ink = Ink(unit: u, style: style)
    let textSize = { (s: Double) in Swift.max(style.minimumTextSize, s * u) }
    let titleSize = textSize(style.titleSize), cbTickSize = textSize(style.tickLabelSize)
    let cbTitleSize = textSize(style.axisTitleSize)
    let margin = 12 * u

    var top = margin
    if !figure.title.isEmpty {
      let e = ink.extent(figure.title, size: titleSize)
      ink.text(figure.title, size: titleSize, role: .title, at: PixelPoint(W / 2, top + e.h / 2))
      top += e.h + 6 * u
    }
    // The colour bar's column: the bar, its ticks and labels, or its title if wider.
    let barW = (18 * u).rounded(), tickLen = 5 * u, gap = 4 * u
    var side = 0.0
    var spec: AxisSpec?
    var ticks: [Tick] = []
    if let cb = figure.colorBar {
      let s = AxisSpec(title: cb.title, scale: cb.scale, range: cb.range)
      spec = s
      ticks = s.ticks(target: 6)
      let labelW = ticks.map { ink.extent($0.label, size: cbTickSize).w }.max() ?? 0
      side = Swift.max(barW + tickLen + gap + labelW, ink.extent(cb.title, size: cbTitleSize).w) + 2 * margin
    }
    let cols = Swift.max(1, figure.columns), rows = Swift.max(1, figure.rows)
    let gridW = Swift.max(1, W - side), gridH = Swift.max(1, H - top)
    let cellW = (gridW / Double(cols)).rounded(.down), cellH = (gridH / Double(rows)).rounded(.down)
    var rects: [PixelRect] = []
    let domains = figure.panels.compactMap(\.domain)
    if domains.count == figure.panels.count && !domains.isEmpty {
      // Where the panels' domains put them (a Plotly figure's scenes), in whole pixels.
      for d in domains {
        let x0 = (d.x.lowerBound * gridW).rounded(), x1 = (d.x.upperBound * gridW).rounded()
        let y0 = (top + (1 - d.y.upperBound) * gridH).rounded(), y1 = (top + (1 - d.y.lowerBound) * gridH).rounded()
        rects.append(PixelRect(x: x0, y: y0, width: Swift.max(1, x1 - x0), height: Swift.max(1, y1 - y0)))
      }
    } else {
      for i in figure.panels.indices {
        let r = i / cols, c = i % cols
        rects.append(
          PixelRect(x: Double(c) * cellW, y: (top + Double(r) * cellH).rounded(.down), width: Swift.max(1, cellW), height: Swift.max(1, cellH)))
      }
    }
    var colorBar: ColorBarGeometry?
    if let cb = figure.colorBar, let spec {
      let titleH = ink.extent(cb.title, size: cbTitleSize).h
      let plotH = H - top - margin
      let barH = (plotH * 0.62).rounded()
      let barX = (gridW + margin).rounded()
      let barY = (top + (plotH - barH) / 2 + titleH / 2).rounded()
      let rect = PixelRect(x: barX, y: barY, width: barW, height: barH)
      colorBar = ColorBarGeometry(rect: rect, colormap: cb.colormap)
      let outline = style.edgeColor, lw = 1.0 * u
      let corners = [
        PixelPoint(rect.x, rect.y), PixelPoint(rect.maxX, rect.y), PixelPoint(rect.maxX, rect.maxY), PixelPoint(rect.x, rect.maxY),
      ]
      for i in 0..<4 { ink.line(corners[i], corners[(i + 1) % 4], outline, width: lw) }
      for t in ticks {
        let f = spec.fraction(t.value)
        guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
        let y = rect.maxY - f * rect.height
        ink.line(PixelPoint(rect.maxX, y), PixelPoint(rect.maxX + tickLen, y), outline, width: lw)
        let e = ink.extent(t.label, size: cbTickSize)
        ink.text(t.label, size: cbTickSize, role: .colorBarTick, at: PixelPoint(rect.maxX + tickLen + gap + e.w / 2, y))
      }
      // Inside the colour bar's column: the panels are pasted over everything left of it.
      let titleW = ink.extent(cb.title, size: cbTitleSize).w
      let cx = Swift.min(Swift.max(rect.x + rect.width / 2, gridW + 4 + titleW / 2), W - margin - titleW / 2)
      ink.text(cb.title, size: cbTitleSize, role: .colorBarTitle, at: PixelPoint(cx, rect.y - 10 * u - titleH / 2))
    }
    var frame = FrameLayout(
      width: width, height: height, unit: u, plotRect: PixelRect(x: 0, y: 0, width: 0, height: 0),
      view: Mat4.identity, projection: Mat4.identity, lightDirection: Vec3(0, 0, 1), panes: [], sceneLines: [],
      overlayLines: ink.lines, glyphs: ink.glyphs, labels: ink.labels, colorBar: colorBar)
    frame.overlayFills = ink.fills
    return Result(frame: frame, panelRects: rects)
  }

  /// The style a panel is drawn with: text sizes scale with the panel's own size, so a panel
  /// a third of the image would have text a third as large; this keeps its tick labels and
  /// axis titles at three quarters of the figure's size (at most three times the panel's
  /// own), and its title a little smaller than the figure's.
  public static func panelStyle(_ style: FigureStyle, figureWidth: Int, figureHeight: Int, panel: PixelRect) -> FigureStyle {
    let figureUnit = Swift.min(Double(figureWidth) / 1280, Double(figureHeight) / 720)
    let panelUnit = Swift.min(panel.width / 1280, panel.height / 720)
    guard panelUnit > 0 else { return style }
    let k = Swift.max(1, Swift.min(3, 0.75 * figureUnit / panelUnit))
    var s = style
    s.tickLabelSize *= k
    s.axisTitleSize *= k
    s.titleSize = style.titleSize * 0.7 * figureUnit / panelUnit
    return s
  }
}

extension RGBAImage {
  /// Copies `image` into this one with its top-left corner at (`x`, `y`), clipped to this
  /// image's bounds.
  public mutating func paste(_ image: RGBAImage, x: Int, y: Int) {
    let x0 = Swift.max(0, x), x1 = Swift.min(width, x + image.width)
    guard x0 < x1 else { return }
    for row in Swift.max(0, y)..<Swift.max(Swift.max(0, y), Swift.min(height, y + image.height)) {
      let src = ((row - y) * image.width + (x0 - x)) * 4
      let dst = (row * width + x0) * 4
      let n = (x1 - x0) * 4
      pixels.replaceSubrange(dst..<dst + n, with: image.pixels[src..<src + n])
    }
  }
}
