import Foundation

/// Lays out a `PanelFigure` for an image: the panels' rectangles, ticks at nice values, tick
/// labels that never overlap, panel titles, series names at their line ends pushed apart so
/// they do not overlap, stage shading and marks. Returns a `FrameLayout` with only the 2D
/// overlay (fills, lines and glyphs): the GL layer draws it as it draws any overlay.
public enum PanelLayoutBuilder {
  /// Where each panel's plot area landed (for tests and the exporters' checks).
  public struct Result: Sendable {
    public var frame: FrameLayout
    /// `figure.panels[i]` is drawn in `plotRects[i]`.
    public var plotRects: [PixelRect]
  }

  public static func layout(_ figure: PanelFigure, width: Int, height: Int, style styleIn: FigureStyle = FigureStyle()) -> Result {
    let style = styleIn.adapted(to: figure.background)
    // Marks and stage names in the text's colour when the style turned light (a dark
    // background); their own greys otherwise.
    let onDark = style.textColor != styleIn.textColor
    let markInk = onDark ? RGBA(style.textColor.r, style.textColor.g, style.textColor.b, 0.9) : RGBA(0.2, 0.2, 0.22, 0.9)
    let stageInk = onDark ? RGBA(0.75, 0.75, 0.8) : RGBA(0.35, 0.35, 0.4)
    let W = Double(width), H = Double(height)
    let u = Swift.min(W / 1280, H / 720)
    var ink = Ink(unit: u, style: style)
    let textSize = { (s: Double) in Swift.max(style.minimumTextSize, s * u) }
    let titleSize = textSize(22), panelTitleSize = textSize(15), tickSize = textSize(12.5)
    let axisTitleSize = textSize(13.5), endSize = textSize(13), markSize = textSize(11)
    let margin = 12 * u
    let tickLen = 4 * u, gap = 5 * u

    // Title.
    var top = margin
    if !figure.title.isEmpty {
      let e = ink.extent(figure.title, size: titleSize)
      ink.text(figure.title, size: titleSize, role: .title, at: PixelPoint(W / 2, top + e.h / 2))
      top += e.h + 8 * u
    }
    let panels = figure.panels
    let cols = Swift.max(1, figure.columns), rows = Swift.max(1, figure.rows)
    // Which panels label their y axis: the first of their grid row, or one whose metric row
    // differs from its left neighbour's (its y range differs).
    func left(of i: Int) -> Panel? { panels.first { $0.row == panels[i].row && $0.column == panels[i].column - 1 } }
    let showsY = panels.indices.map { i in left(of: i).map { $0.metricRow != panels[i].metricRow } ?? true }
    // A right-hand (--twin) axis is labelled on the last panel of its metric row in a grid row.
    let showsY2 = panels.indices.map { i in
      panels[i].y2 != nil
        && !panels.contains { $0.row == panels[i].row && $0.column == panels[i].column + 1 && $0.metricRow == panels[i].metricRow }
    }
    let bottomRow = panels.map(\.row).max() ?? 0
    // Y ticks per metric row (shared by its panels), chosen for the panel height below.
    let tickLabelH = ink.extent("0", size: tickSize).h
    let titleH = ink.extent("Ag", size: panelTitleSize).h
    let axisTitleH = ink.extent("Ag", size: axisTitleSize).h
    let rowHasTitle = (0..<rows).map { r in panels.contains { $0.row == r && !$0.title.isEmpty } }
    let bottomReserve = tickLen + gap + tickLabelH + gap + axisTitleH + margin
    let vGap = Swift.max(14 * u, tickLabelH + 6 * u)  // room for two rows' end tick labels
    let titleReserve = rowHasTitle.map { $0 ? titleH + 6 * u : 0 }
    let availableH = H - top - bottomReserve - vGap * Double(rows - 1) - titleReserve.reduce(0, +)
    let panelH = Swift.max(20 * u, availableH / Double(rows))
    let yTicksByPanel = panels.map { p in yTicks(p.y, height: panelH, labelHeight: tickLabelH) }
    let y2TicksByPanel = panels.map { p in p.y2.map { yTicks($0, height: panelH, labelHeight: tickLabelH) } ?? [] }
    let twinWidth = panels.indices.map { i -> Double in
      guard showsY2[i] else { return 0 }
      let w = y2TicksByPanel[i].map { ink.extent($0.label, size: tickSize).w }.max() ?? 0
      return tickLen + gap + w + gap + axisTitleH + gap
    }
    // Left reserve of each column: the widest y tick label and the y title of a labelled panel.
    var leftReserve = [Double](repeating: 8 * u, count: cols)
    var rightReserve = [Double](repeating: 0, count: cols)
    for (i, p) in panels.enumerated() where p.column < cols {
      if showsY[i] {
        let w = yTicksByPanel[i].map { ink.extent($0.label, size: tickSize).w }.max() ?? 0
        leftReserve[p.column] = Swift.max(leftReserve[p.column], tickLen + gap + w + gap + axisTitleH + gap)
      }
      var right = twinWidth[i]
      if !p.endLabels.isEmpty {
        let w = p.endLabels.map { ink.extent($0.text, size: endSize).w }.max() ?? 0
        right += 6 * u + w + 4 * u
      }
      rightReserve[p.column] = Swift.max(rightReserve[p.column], right)
    }
    // Room between columns for the x tick labels at the panels' ends (the widest one).
    let widestX = panels.map { p in p.x.ticks(target: 6).map { ink.extent($0.label, size: tickSize).w }.max() ?? 0 }.max() ?? 0
    let hGap = Swift.max(12 * u, widestX + 8 * u)
    // The last column's end tick label reaches half its width past the panel.
    let rightMargin = Swift.max(margin, widestX / 2 + 4 * u - rightReserve[cols - 1])
    let availableW = W - margin - rightMargin - leftReserve.reduce(0, +) - rightReserve.reduce(0, +) - hGap * Double(cols - 1)
    let panelW = Swift.max(20 * u, availableW / Double(cols))
    var colX = [Double](), rowY = [Double]()
    var x = margin
    for c in 0..<cols {
      x += leftReserve[c]
      colX.append(x)
      x += panelW + rightReserve[c] + hGap
    }
    var y = top
    for r in 0..<rows {
      y += titleReserve[r]
      rowY.append(y)
      y += panelH + vGap
    }

    var rects: [PixelRect] = []
    for (i, p) in panels.enumerated() {
      // Whole pixels, so that the axes and marks are drawn on pixel centres: crisp at any size.
      let rect = PixelRect(
        x: colX[Swift.min(p.column, cols - 1)].rounded(), y: rowY[Swift.min(p.row, rows - 1)].rounded(),
        width: panelW.rounded(), height: panelH.rounded())
      rects.append(rect)
      let map = PanelMap(x: p.x, y: p.y, rect: rect, y2: p.y2)
      // Stages: every other one shaded, boundaries as thin lines, names at the top.
      for s in p.stages {
        let x0 = map.px(s.start), x1 = map.px(s.end)
        guard x0.isFinite, x1.isFinite else { continue }
        let a = Swift.max(rect.x, Swift.min(x0, x1)), b = Swift.min(rect.maxX, Swift.max(x0, x1))
        if s.shaded && b > a { ink.rect(PixelRect(x: a, y: rect.y, width: b - a, height: rect.height), RGBA(0.5, 0.5, 0.55, 0.12)) }
      }
      for s in p.stages.dropFirst() {
        let x0 = map.px(s.start).rounded(.down) + 0.5
        if x0.isFinite && x0 >= rect.x && x0 <= rect.maxX {
          ink.line(PixelPoint(x0, rect.y), PixelPoint(x0, rect.maxY), RGBA(0.45, 0.45, 0.5, 0.7), width: 1 * u)
        }
      }
      // Grid lines at the y and x ticks.
      let xTicks = self.xTicks(p.x, width: panelW, ink: ink, size: tickSize)
      for t in yTicksByPanel[i] {
        let py = map.py(t.value)
        guard py.isFinite, py >= rect.y - 0.5, py <= rect.maxY + 0.5 else { continue }
        ink.line(PixelPoint(rect.x, py), PixelPoint(rect.maxX, py), style.gridColor, width: style.gridWidth * u)
      }
      for t in xTicks {
        let px = map.px(t.value)
        guard px.isFinite, px >= rect.x - 0.5, px <= rect.maxX + 0.5 else { continue }
        ink.line(PixelPoint(px, rect.y), PixelPoint(px, rect.maxY), style.gridColor, width: style.gridWidth * u)
      }
      // Bands, then seed lines, then means.
      for b in p.bands { ink.band(b, map: map) }
      for l in p.lines where l.role == .seed { ink.polyline(l, map: map) }
      for l in p.lines where l.role == .mean { ink.polyline(l, map: map) }
      // Axes: left and bottom spines, ticks outside.
      let edge = style.edgeColor
      let spine = Swift.max(1, style.edgeWidth * u)
      ink.line(PixelPoint(rect.x - 0.5, rect.y), PixelPoint(rect.x - 0.5, rect.maxY + 1), edge, width: spine)
      ink.line(PixelPoint(rect.x - 1, rect.maxY + 0.5), PixelPoint(rect.maxX, rect.maxY + 0.5), edge, width: spine)
      for t in yTicksByPanel[i] {
        let py = map.py(t.value)
        guard py.isFinite, py >= rect.y - 0.5, py <= rect.maxY + 0.5 else { continue }
        ink.line(PixelPoint(rect.x - tickLen, py), PixelPoint(rect.x, py), edge, width: style.edgeWidth * u)
        if showsY[i] {
          let e = ink.extent(t.label, size: tickSize)
          ink.text(t.label, size: tickSize, role: .tickLabel, at: PixelPoint(rect.x - tickLen - gap - e.w / 2, py))
        }
      }
      if showsY[i] {
        let w = yTicksByPanel[i].map { ink.extent($0.label, size: tickSize).w }.max() ?? 0
        let cx = rect.x - tickLen - gap - w - gap - axisTitleH / 2
        ink.text(
          fitted(p.y.title, width: rect.height, size: axisTitleSize, ink: ink), size: axisTitleSize, role: .axisTitle,
          at: PixelPoint(cx, rect.y + rect.height / 2), rotated: true)
      }
      for t in xTicks {
        let px = map.px(t.value)
        guard px.isFinite, px >= rect.x - 0.5, px <= rect.maxX + 0.5 else { continue }
        ink.line(PixelPoint(px, rect.maxY), PixelPoint(px, rect.maxY + tickLen), edge, width: style.edgeWidth * u)
        if p.row == bottomRow {
          ink.text(t.label, size: tickSize, role: .tickLabel, at: PixelPoint(px, rect.maxY + tickLen + gap + tickLabelH / 2))
        }
      }
      if let y2 = p.y2 {
        // The right-hand axis: spine, ticks, and labels on the last panel of the row.
        ink.line(PixelPoint(rect.maxX + 0.5, rect.y), PixelPoint(rect.maxX + 0.5, rect.maxY + 1), edge, width: spine)
        for t in y2TicksByPanel[i] {
          let py = map.py(t.value, twin: true)
          guard py.isFinite, py >= rect.y - 0.5, py <= rect.maxY + 0.5 else { continue }
          ink.line(PixelPoint(rect.maxX, py), PixelPoint(rect.maxX + tickLen, py), edge, width: style.edgeWidth * u)
          if showsY2[i] {
            let e = ink.extent(t.label, size: tickSize)
            ink.text(t.label, size: tickSize, role: .tickLabel, at: PixelPoint(rect.maxX + tickLen + gap + e.w / 2, py))
          }
        }
        if showsY2[i] {
          let w = y2TicksByPanel[i].map { ink.extent($0.label, size: tickSize).w }.max() ?? 0
          ink.text(
            fitted(y2.title, width: rect.height, size: axisTitleSize, ink: ink), size: axisTitleSize, role: .axisTitle,
            at: PixelPoint(rect.maxX + tickLen + gap + w + gap + axisTitleH / 2, rect.y + rect.height / 2), rotated: true)
        }
      }
      if p.row == bottomRow {
        ink.text(
          p.x.title, size: axisTitleSize, role: .axisTitle,
          at: PixelPoint(rect.x + rect.width / 2, rect.maxY + tickLen + gap + tickLabelH + gap + axisTitleH / 2))
      }
      if !p.title.isEmpty {
        ink.text(
          fitted(p.title, width: rect.width, size: panelTitleSize, ink: ink), size: panelTitleSize, role: .panelTitle,
          at: PixelPoint(rect.x + rect.width / 2, rect.y - 6 * u - titleH / 2))
      }
      // Stage names at the top of their span (left out when they do not fit).
      let nameH = ink.extent("Ag", size: markSize).h
      for s in p.stages {
        let x0 = Swift.max(rect.x, map.px(s.start)), x1 = Swift.min(rect.maxX, map.px(s.end))
        let e = ink.extent(s.name, size: markSize)
        guard x0.isFinite, x1.isFinite, x1 - x0 > e.w + 6 * u else { continue }
        ink.text(s.name, size: markSize, role: .stageLabel, at: PixelPoint((x0 + x1) / 2, rect.y + 3 * u + nameH / 2), color: stageInk)
      }
      // Marks: a line across the panel (dashed for an onset), the label beside it at the
      // top, moved down a line while it would overlap another label.
      var taken = ink.labels.filter { $0.role == .stageLabel }.map(\.bounds).filter { $0.x >= rect.x && $0.maxX <= rect.maxX }
      for m in p.marks {
        let px = map.px(m.step).rounded(.down) + 0.5
        guard px.isFinite, px >= rect.x, px <= rect.maxX else { continue }
        let c = markInk
        if m.dashed {
          ink.dashed(PixelPoint(px, rect.y), PixelPoint(px, rect.maxY), c, width: Swift.max(1, 1.3 * u), dash: 5 * u, space: 3.5 * u)
        } else {
          ink.line(PixelPoint(px, rect.y), PixelPoint(px, rect.maxY), c, width: Swift.max(1, 1.3 * u))
        }
        let e = ink.extent(m.label, size: markSize)
        // Beside the line at the top: right, else left, a line lower while it would overlap
        // another label or cross another mark's line; else the first place free of labels.
        let lineXs = p.marks.map { map.px($0.step) }.filter { $0.isFinite && abs($0 - px) > 0.5 }
        var candidates: [PixelRect] = []
        for k in 0..<4 {
          let y = rect.y + 3 * u + Double(k) * (e.h + 1 * u)
          guard y + e.h < rect.maxY else { break }
          for x in [px + 3 * u, px - 3 * u - e.w] where x >= rect.x && x + e.w <= rect.maxX {
            candidates.append(PixelRect(x: x, y: y, width: e.w, height: e.h))
          }
        }
        let freeOfLabels = candidates.filter { b in !taken.contains { overlaps($0, b) } }
        guard
          let box = freeOfLabels.first(where: { b in !lineXs.contains { $0 > b.x - 1 && $0 < b.maxX + 1 } }) ?? freeOfLabels.first
        else { continue }
        taken.append(box)
        let cx = box.x + e.w / 2, cy = box.y + e.h / 2
        // The label once per group: in its first metric row (the line is in every row).
        guard p.metricRow == 0 else { continue }
        ink.text(m.label, size: markSize, role: .markLabel, at: PixelPoint(cx, cy), color: c)
      }
      // Series names at their line ends, to the right of the panel, pushed apart.
      if !p.endLabels.isEmpty {
        let h = ink.extent("Ag", size: endSize).h
        let wanted = p.endLabels.map { l -> Double in
          let py = map.py(l.y, twin: l.twin)
          return py.isFinite ? Swift.min(rect.maxY, Swift.max(rect.y, py)) : rect.maxY
        }
        let ys = spread(wanted, minGap: h + 1 * u, lo: rect.y - h / 2, hi: rect.maxY + h / 2)
        for (k, l) in p.endLabels.enumerated() {
          let e = ink.extent(l.text, size: endSize)
          ink.text(l.text, size: endSize, role: .seriesLabel, at: PixelPoint(rect.maxX + twinWidth[i] + 6 * u + e.w / 2, ys[k]), color: RGBA(l.color))
        }
      }
    }
    let frame = FrameLayout(
      width: width, height: height, unit: u, plotRect: PixelRect(x: 0, y: 0, width: 0, height: 0),
      view: .identity, projection: .identity, lightDirection: Vec3(0, 0, 1), panes: [], sceneLines: [],
      overlayLines: ink.lines, glyphs: ink.glyphs, labels: ink.labels, colorBar: nil, overlayFills: ink.fills)
    return Result(frame: frame, plotRects: rects)
  }

  static func overlaps(_ a: PixelRect, _ b: PixelRect) -> Bool {
    a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
  }

  /// Positions as close to `wanted` as possible, at least `minGap` apart, inside lo...hi
  /// (when they fit), in the order of `wanted`.
  public static func spread(_ wanted: [Double], minGap: Double, lo: Double, hi: Double) -> [Double] {
    let order = wanted.indices.sorted { (wanted[$0], $0) < (wanted[$1], $1) }
    var ys = order.map { wanted[$0] }
    for i in ys.indices {
      if i > 0 { ys[i] = Swift.max(ys[i], ys[i - 1] + minGap) }
    }
    // Pushed past the bottom: move the stack up, keeping the gaps.
    if let last = ys.last, last > hi {
      ys[ys.count - 1] = hi
      for i in stride(from: ys.count - 2, through: 0, by: -1) { ys[i] = Swift.min(ys[i], ys[i + 1] - minGap) }
    }
    var out = [Double](repeating: 0, count: wanted.count)
    for (k, i) in order.enumerated() { out[i] = ys[k] }
    _ = lo
    return out
  }

  /// Y ticks for a panel of `height` pixels: about one per 3.5 label heights, 3 to 6.
  static func yTicks(_ axis: AxisSpec, height: Double, labelHeight: Double) -> [Tick] {
    let target = Swift.max(2, Swift.min(6, Int(height / (labelHeight * 3.5))))
    return axis.ticks(target: target)
  }

  /// X ticks whose labels fit the panel's width without overlapping (fewer until they do).
  static func xTicks(_ axis: AxisSpec, width: Double, ink: Ink, size: Double) -> [Tick] {
    var target = 6
    while true {
      let ticks = axis.ticks(target: target)
      let widest = ticks.map { ink.extent($0.label, size: size).w }.max() ?? 0
      let map = PanelMap(x: axis, y: axis, rect: PixelRect(x: 0, y: 0, width: width, height: 1))
      let xs = ticks.map { map.px($0.value) }
      let fits = zip(xs, xs.dropFirst()).allSatisfy { $1 - $0 > widest + 8 * ink.unit }
      if fits || target <= 2 { return fits ? ticks : Array(ticks.prefix(1) + ticks.suffix(ticks.count > 1 ? 1 : 0)) }
      target -= 1
    }
  }

  /// `text`, shortened with an ellipsis to fit `width` pixels.
  static func fitted(_ text: String, width: Double, size: Double, ink: Ink) -> String {
    guard ink.extent(text, size: size).w > width else { return text }
    var chars = Array(text)
    while chars.count > 1 && ink.extent(String(chars) + "…", size: size).w > width { chars.removeLast() }
    return String(chars) + "…"
  }
}

/// Data units -> the pixels of one panel.
struct PanelMap {
  var x: AxisSpec
  var y: AxisSpec
  var rect: PixelRect
  /// The right-hand axis (`--twin`).
  var y2: AxisSpec? = nil
  func px(_ v: Double) -> Double { rect.x + x.fraction(v) * rect.width }
  func py(_ v: Double, twin: Bool = false) -> Double { rect.maxY - (twin ? y2 ?? y : y).fraction(v) * rect.height }
}
