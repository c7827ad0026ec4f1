import Foundation

/// Lays out a `Scene` for an image: frames the axes box, places ticks, labels, the colour bar,
/// the legend and the title so that nothing is clipped or overlaps, and returns the `FrameLayout`
/// the renderer draws.
public enum FigureLayoutBuilder {
  /// Lays out `scene` for an image of `width` x `height` pixels.
  public static func layout(
    _ scene: Scene, width: Int, height: Int, style styleIn: FigureStyle = FigureStyle()
  ) -> FrameLayout {
    let style = styleIn.adapted(to: scene.background)
    // Frame the box, then widen the margins by whatever the labels overflow and frame again.
    var margins = Margins()
    var result = layout(scene, width: width, height: height, style: style, margins: margins)
    for _ in 0..<4 where style.fitToView && style.fixedFit == nil {
      let W = Double(width), H = Double(height)
      var over = Margins(left: 0, right: 0, top: 0, bottom: 0)
      var intoSide = 0.0  // how far labels reach into the colour bar's column
      let sideX = result.colorBar.map { $0.rect.x - 8 }
      for l in result.labels where l.role == .tickLabel || l.role == .axisTitle {
        over.left = Swift.max(over.left, result.plotRect.x - l.bounds.x)
        over.right = Swift.max(over.right, l.bounds.maxX - Swift.min(W, sideX ?? W))
        if let sideX { intoSide = Swift.max(intoSide, l.bounds.maxX - sideX) }
        over.top = Swift.max(over.top, result.plotRect.y - l.bounds.y)
        over.bottom = Swift.max(over.bottom, l.bounds.maxY - H)
      }
      guard over.left > 0.5 || over.right > 0.5 || over.top > 0.5 || over.bottom > 0.5 else { break }
      // The colour bar is placed beside the box, so shrinking the box alone moves it along:
      // widen the gap between them too.
      if intoSide > 0.5 { margins.sideGap += intoSide + 4 }
      margins.left += Swift.max(0, over.left) + 4
      margins.right += Swift.max(0, over.right) + 4
      margins.top += Swift.max(0, over.top) + 4
      margins.bottom += Swift.max(0, over.bottom) + 4
      result = layout(scene, width: width, height: height, style: style, margins: margins)
    }
    return result
  }

  /// Room around the projected axes box for tick labels and axis titles, in pixels at
  /// 1280x720 (scaled with the image) plus extra pixels found by a first layout.
  struct Margins {
    var left = 0.0, right = 0.0, top = 0.0, bottom = 0.0
    /// Extra room between the axes box and the colour bar (or legend) column.
    var sideGap = 0.0
  }

  static func layout(
    _ scene: Scene, width: Int, height: Int, style: FigureStyle, margins: Margins
  ) -> FrameLayout {
    let W = Double(width), H = Double(height)
    let u = Swift.min(W / 1280, H / 720)  // style unit
    let atlas = FontAtlas.shared
    var glyphs: [TextGlyph] = []
    var labels: [PlacedLabel] = []
    var overlayLines: [OverlayLine] = []
    let margin = 14 * u

    func place(
      _ text: String, size: Double, role: PlacedLabel.Role, center: PixelPoint,
      rotated: Bool = false, color: RGBA? = nil
    ) {
      guard !text.isEmpty else { return }
      let m = atlas.measure(text, size: size)
      if role == .tickLabel {
        // Two axes meet at the box's corners: drop a tick label that would sit on another.
        let w = rotated ? m.ascent + m.descent : m.width, h = rotated ? m.width : m.ascent + m.descent
        let r = PixelRect(x: center.x - w / 2, y: center.y - h / 2, width: w, height: h)
        if labels.contains(where: { $0.bounds.x < r.maxX && r.x < $0.bounds.maxX && $0.bounds.y < r.maxY && r.y < $0.bounds.maxY }) {
          return
        }
      }
      // Centre the box spanned by the pen's ascent and descent on `center`.
      let halfW = m.width / 2
      let baselineShift = (m.ascent - m.descent) / 2  // baseline is below the centre
      let quads = atlas.layout(text, size: size)
      let col = color ?? style.textColor
      func xf(_ px: Double, _ py: Double) -> PixelPoint {
        // Glyph-local (origin at baseline-left, y down) -> image pixels.
        let lx = px - halfW, ly = py + baselineShift
        if rotated {  // 90 degrees counter-clockwise: reads bottom to top
          return PixelPoint(center.x + ly, center.y - lx)
        }
        return PixelPoint(center.x + lx, center.y + ly)
      }
      for q in quads {
        glyphs.append(
          TextGlyph(
            corners: [xf(q.x0, q.y0), xf(q.x1, q.y0), xf(q.x1, q.y1), xf(q.x0, q.y1)],
            uv: [
              PixelPoint(q.u0, q.v0), PixelPoint(q.u1, q.v0), PixelPoint(q.u1, q.v1),
              PixelPoint(q.u0, q.v1),
            ],
            color: col))
      }
      let h = m.ascent + m.descent
      let bw = rotated ? h : m.width, bh = rotated ? m.width : h
      labels.append(
        PlacedLabel(
          role: role, text: text,
          bounds: PixelRect(x: center.x - bw / 2, y: center.y - bh / 2, width: bw, height: bh)))
    }
    func textExtent(_ text: String, size: Double) -> (w: Double, h: Double) {
      let m = atlas.measure(text, size: size)
      return (m.width, m.ascent + m.descent)
    }

    // MARK: Title
    let titleSize = Swift.max(style.minimumTextSize, style.titleSize * u)
    var top = margin
    if !scene.title.isEmpty {
      let e = textExtent(scene.title, size: titleSize)
      place(scene.title, size: titleSize, role: .title, center: PixelPoint(W / 2, top + e.h / 2))
      top += e.h + 6 * u
    }

    // MARK: Colour bar (right side): measured first, placed once the plot is framed
    let cbTickSize = Swift.max(style.minimumTextSize, style.tickLabelSize * u)
    let cbTitleSize = Swift.max(style.minimumTextSize, style.axisTitleSize * u)
    let barW = (18 * u).rounded(), cbTickLen = 5 * u, cbGap = 4 * u
    var cbSpec: AxisSpec?
    var cbTicks: [Tick] = []
    var cbWidth = 0.0
    if let cb = scene.colorBar {
      let spec = AxisSpec(title: cb.title, scale: cb.scale, range: cb.range)
      cbSpec = spec
      cbTicks = spec.ticks(target: 6)
      let labelW = cbTicks.map { textExtent($0.label, size: cbTickSize).w }.max() ?? 0
      let titleW = textExtent(cb.title, size: cbTitleSize).w
      cbWidth = Swift.max(barW + cbTickLen + cbGap + labelW, titleW)
    }
    // A legend of the traces' names takes the colour bar's place when there is none.
    let legendSize = Swift.max(style.minimumTextSize, style.tickLabelSize * u)
    // A surface's contour lines are part of it, not an entry of their own.
    let legendEntries = scene.showLegend ? scene.traces.filter { !$0.name.isEmpty && $0.scatter?.contourOf == nil } : []
    let legendWidth = legendEntries.map { 30 * u + textExtent($0.name, size: legendSize).w }.max() ?? 0
    let legendOnSide = !legendEntries.isEmpty && scene.colorBar == nil
    let sideWidth = cbWidth > 0 ? cbWidth : (legendOnSide ? legendWidth : 0)
    let cbReserve = sideWidth > 0 ? sideWidth + 40 * u : 0

    // MARK: 3D plot
    var plotRect = PixelRect(x: 0, y: top, width: W - cbReserve - margin, height: H - top)
    let cam = scene.camera
    let view = cam.viewMatrix
    var projection = cam.projectionMatrix(aspect: plotRect.width / Swift.max(plotRect.height, 1))
    if let fit = style.fixedFit {
      projection = fit * projection
    } else if style.fitToView {
      projection = fitted(
        projection * view, base: projection, box: scene.halfExtent, in: plotRect, unit: u,
        extra: margins)
    }
    // Centre the plot and the colour bar together in the image.
    var colorBar: ColorBarGeometry?
    var sideX: Double?
    if sideWidth > 0 {
      var boxRight = plotRect.maxX
      let vp0 = projection * view
      var right = -Double.infinity
      for sx in [-1.0, 1.0] {
        for sy in [-1.0, 1.0] {
          for sz in [-1.0, 1.0] {
            let hx = scene.halfExtent
            if let p = FrameLayout.project(Vec3(sx * hx.x, sy * hx.y, sz * hx.z), viewProjection: vp0, plotRect: plotRect) {
              right = Swift.max(right, p.x)
            }
          }
        }
      }
      if right.isFinite { boxRight = Swift.min(boxRight, right + 50 * u) }
      let groupLeft = plotRect.maxX - boxRight  // the fit centred the box: same margin left
      let groupRight = boxRight + 40 * u + margins.sideGap + sideWidth
      let shift = Swift.min(
        Swift.max((W - groupRight - groupLeft) / 2, -groupLeft), W - margin - groupRight)
      plotRect.x = (plotRect.x + shift).rounded()
      sideX = (boxRight + shift + 40 * u + margins.sideGap).rounded()
    }
    if let cb = scene.colorBar, let spec = cbSpec, let barX = sideX {
      let plotH = H - top - margin
      let titleH = textExtent(cb.title, size: cbTitleSize).h
      let barH = (plotH * 0.62).rounded()
      let barY = (top + (plotH - barH) / 2 + titleH / 2).rounded()
      let rect = PixelRect(x: barX, y: barY, width: barW, height: barH)
      colorBar = ColorBarGeometry(rect: rect, colormap: cb.colormap)
      let outline = style.edgeColor
      let lw = 1.0 * u
      let corners = [
        PixelPoint(rect.x, rect.y), PixelPoint(rect.maxX, rect.y),
        PixelPoint(rect.maxX, rect.maxY), PixelPoint(rect.x, rect.maxY),
      ]
      for i in 0..<4 {
        overlayLines.append(
          OverlayLine(a: corners[i], b: corners[(i + 1) % 4], color: outline, width: lw))
      }
      for t in cbTicks {
        let f = spec.fraction(t.value)
        guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { continue }
        let y = rect.maxY - f * rect.height
        overlayLines.append(
          OverlayLine(
            a: PixelPoint(rect.maxX, y), b: PixelPoint(rect.maxX + cbTickLen, y), color: outline,
            width: lw))
        let e = textExtent(t.label, size: cbTickSize)
        place(
          t.label, size: cbTickSize, role: .colorBarTick,
          center: PixelPoint(rect.maxX + cbTickLen + cbGap + e.w / 2, y))
      }
      let titleW = textExtent(cb.title, size: cbTitleSize).w
      var cx = rect.x + rect.width / 2
      cx = Swift.min(cx, W - margin - titleW / 2)
      place(
        cb.title, size: cbTitleSize, role: .colorBarTitle,
        center: PixelPoint(cx, rect.y - 10 * u - titleH / 2))
    }
    let vp = projection * view
    func project(_ p: Vec3) -> PixelPoint? {
      FrameLayout.project(p, viewProjection: vp, plotRect: plotRect)
    }

    let h = scene.halfExtent
    let eyeRel = cam.eye - cam.center
    var panes: [SceneQuad] = []
    var lines: [SceneLine] = []
    let gridW = style.gridWidth * u, edgeW = style.edgeWidth * u

    let axes = [scene.x, scene.y, scene.z]
    let halves = [h.x, h.y, h.z]
    // Tick positions along each axis in normalized coordinates.
    let ticks: [[(pos: Double, tick: Tick)]] = (0..<3).map { a in
      axes[a].ticks(target: 5).compactMap { t in
        let f = axes[a].fraction(t.value)
        guard f.isFinite, f >= -1e-9, f <= 1 + 1e-9 else { return nil }
        return ((f - 0.5) * 2 * halves[a], t)
      }
    }
    func point(_ a: Int, _ va: Double, _ b: Int, _ vb: Double, _ c: Int, _ vc: Double) -> Vec3 {
      var v = [0.0, 0.0, 0.0]
      v[a] = va; v[b] = vb; v[c] = vc
      return Vec3(v[0], v[1], v[2])
    }
    func component(_ v: Vec3, _ a: Int) -> Double { a == 0 ? v.x : (a == 1 ? v.y : v.z) }

    // Back panes with their grid lines: a face is "back" when the eye is on its inner side.
    for axis in 0..<3 {
      for sign in [-1.0, 1.0] {
        let faceCoord = sign * halves[axis]
        let eyeC = component(eyeRel, axis)
        let isBack = sign * (eyeC - faceCoord) < 0
        // The wall across an axis that is not drawn is not drawn either (Plotly's visible false).
        guard isBack, axes[axis].visible else { continue }
        let b = (axis + 1) % 3, c = (axis + 2) % 3
        let hb = halves[b], hc = halves[c]
        panes.append(
          SceneQuad(
            corners: [
              point(axis, faceCoord, b, -hb, c, -hc), point(axis, faceCoord, b, hb, c, -hc),
              point(axis, faceCoord, b, hb, c, hc), point(axis, faceCoord, b, -hb, c, hc),
            ], color: axes[axis].wallColor.map { RGBA($0) } ?? style.paneColor))
        for (pos, _) in ticks[b] where axes[b].visible && axes[b].showGrid {
          lines.append(
            SceneLine(
              a: point(axis, faceCoord, b, pos, c, -hc), b: point(axis, faceCoord, b, pos, c, hc),
              color: style.gridColor, width: gridW))
        }
        for (pos, _) in ticks[c] where axes[c].visible && axes[c].showGrid {
          lines.append(
            SceneLine(
              a: point(axis, faceCoord, b, -hb, c, pos), b: point(axis, faceCoord, b, hb, c, pos),
              color: style.gridColor, width: gridW))
        }
        // Pane outline.
        let cs = [
          point(axis, faceCoord, b, -hb, c, -hc), point(axis, faceCoord, b, hb, c, -hc),
          point(axis, faceCoord, b, hb, c, hc), point(axis, faceCoord, b, -hb, c, hc),
        ]
        for i in 0..<4 {
          lines.append(
            SceneLine(a: cs[i], b: cs[(i + 1) % 4], color: style.gridColor, width: gridW))
        }
      }
    }

    // MARK: Axis edges, ticks and labels
    let tickSize = Swift.max(style.minimumTextSize, style.tickLabelSize * u)
    let axisTitleSize = Swift.max(style.minimumTextSize, style.axisTitleSize * u)
    func sgn(_ v: Double) -> Double { v >= 0 ? 1 : -1 }
    let zs = eyeRel.z >= 0 ? -h.z : h.z  // the floor seen from above, the ceiling from below
    // x and y: the bottom edges nearest to the camera.
    let xEdgeY = sgn(eyeRel.y) * h.y
    let yEdgeX = sgn(eyeRel.x) * h.x
    // z: of the two vertical edges on the silhouette, the one further left on screen.
    let near = (sgn(eyeRel.x), sgn(eyeRel.y))
    let zCandidates = [(near.0, -near.1), (-near.0, near.1)].map { (cx, cy) in
      (cx * h.x, cy * h.y)
    }
    let zEdge =
      zCandidates.min { a, b in
        (project(Vec3(a.0, a.1, 0))?.x ?? 0) < (project(Vec3(b.0, b.1, 0))?.x ?? 0)
      } ?? (-h.x, -h.y)

    struct AxisEdge {
      var axis: Int
      var base: (Double) -> Vec3  // point on the edge at a normalized coordinate
      var outward: Vec3
    }
    let edges = [
      AxisEdge(axis: 0, base: { Vec3($0, xEdgeY, zs) }, outward: Vec3(0, sgn(xEdgeY), 0)),
      AxisEdge(axis: 1, base: { Vec3(yEdgeX, $0, zs) }, outward: Vec3(sgn(yEdgeX), 0, 0)),
      AxisEdge(
        axis: 2, base: { Vec3(zEdge.0, zEdge.1, $0) },
        outward: Vec3(sgn(zEdge.0), sgn(zEdge.1), 0).normalized),
    ]
    let tickLen3D = 0.025
    for e in edges where axes[e.axis].visible {
      let half = halves[e.axis]
      lines.append(
        SceneLine(
          a: e.base(-half), b: e.base(half), color: style.edgeColor, width: edgeW,
          depthTested: true))
      // Screen direction of "outward" at the edge's middle.
      guard let mid = project(e.base(0)), let out = project(e.base(0) + e.outward * 0.2) else {
        continue
      }
      var d = PixelPoint(out.x - mid.x, out.y - mid.y)
      let dl = (d.x * d.x + d.y * d.y).squareRoot()
      d = dl > 1e-6 ? PixelPoint(d.x / dl, d.y / dl) : PixelPoint(0, 1)
      var maxExtent = 0.0
      let gap = 8 * u
      for (pos, tick) in ticks[e.axis] {
        let p = e.base(pos)
        lines.append(
          SceneLine(
            a: p, b: p + e.outward * tickLen3D, color: style.edgeColor, width: edgeW,
            depthTested: true))
        guard axes[e.axis].showTickLabels, let tip = project(p + e.outward * tickLen3D) else { continue }
        let ext = textExtent(tick.label, size: tickSize)
        let along = abs(d.x) * ext.w / 2 + abs(d.y) * ext.h / 2
        maxExtent = Swift.max(maxExtent, along * 2)
        place(
          tick.label, size: tickSize, role: .tickLabel,
          center: PixelPoint(tip.x + d.x * (gap + along), tip.y + d.y * (gap + along)))
      }
      // Axis title beyond the tick labels, at the edge's middle.
      let title = axes[e.axis].title
      guard !title.isEmpty, let tip = project(e.base(0) + e.outward * tickLen3D) else { continue }
      let rotate = e.axis == 2
      let ext = textExtent(title, size: axisTitleSize)
      let (tw, th) = rotate ? (ext.h, ext.w) : (ext.w, ext.h)
      let along = abs(d.x) * tw / 2 + abs(d.y) * th / 2
      var dist = gap + maxExtent + 10 * u + along
      // Beyond any label already there (another axis's tick labels near a corner).
      for _ in 0..<12 {
        let c = PixelPoint(tip.x + d.x * dist, tip.y + d.y * dist)
        let r = PixelRect(x: c.x - tw / 2, y: c.y - th / 2, width: tw, height: th)
        guard labels.contains(where: { $0.bounds.x < r.maxX && r.x < $0.bounds.maxX && $0.bounds.y < r.maxY && r.y < $0.bounds.maxY })
        else { break }
        dist += 6 * u
      }
      place(
        title, size: axisTitleSize, role: .axisTitle,
        center: PixelPoint(tip.x + d.x * dist, tip.y + d.y * dist), rotated: rotate)
    }

    // MARK: Corner label (animations: the step shown)
    if let corner = scene.cornerLabel, !corner.isEmpty {
      let size = Swift.max(style.minimumTextSize, style.axisTitleSize * u)
      let e = textExtent(corner, size: size)
      place(corner, size: size, role: .corner, center: PixelPoint(margin + e.w / 2, margin + e.h / 2))
    }

    // MARK: Labels at points (annotation planes): above the point, else the nearest place
    // (up, down, then to either side) inside the image where it overlaps no other label.
    let pointSize = Swift.max(style.minimumTextSize, style.tickLabelSize * u)
    for l in scene.pointLabels {
      guard let p = FrameLayout.project(scene.normalized(l.x, l.y, l.z), viewProjection: projection * view, plotRect: plotRect)
      else { continue }
      let e = textExtent(l.text, size: pointSize)
      let home = PixelPoint(p.x, p.y - e.h / 2 - 3 * u)
      guard l.avoidsOverlap else {
        place(l.text, size: pointSize, role: .markLabel, center: home, color: RGBA(l.color))
        continue
      }
      var spots: [PixelPoint] = []
      for dx in [0, e.w / 2 + 6 * u, -(e.w / 2 + 6 * u)] {
        for k in [0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5, 6, 7, 8] {
          spots.append(PixelPoint(home.x + dx, home.y + Double(k) * (e.h + 2 * u)))
        }
      }
      let free = spots.first { c in
        let r = PixelRect(x: c.x - e.w / 2 - 3 * u, y: c.y - e.h / 2, width: e.w + 6 * u, height: e.h)
        return r.x >= 0 && r.maxX <= W && r.y >= 0 && r.maxY <= H
          && !labels.contains { $0.bounds.x < r.maxX && r.x < $0.bounds.maxX && $0.bounds.y < r.maxY && r.y < $0.bounds.maxY }
      }
      place(l.text, size: pointSize, role: .markLabel, center: free ?? home, color: RGBA(l.color))
    }

    // MARK: Legend (several named traces): top-left of the plot area
    if !legendEntries.isEmpty {
      let size = legendSize
      let lineH = size * 1.5
      var y: Double, x: Double
      if legendOnSide, let sx = sideX {
        x = sx
        y = top + (H - top - margin - lineH * Double(legendEntries.count)) / 2 + lineH / 2
      } else {
        x = margin
        y = top + size / 2
      }
      for trace in legendEntries {
        let c = legendColor(trace)
        if case .scatter(let s) = trace, s.mode == .markers, s.symbol != .circle {
          // The marker's shape: an x, or a ring (a 12-sided polygon), centred in the swatch.
          let cx = x + 11 * u, r = 6 * u
          if s.symbol == .cross {
            for sign in [-1.0, 1.0] {
              overlayLines.append(
                OverlayLine(
                  a: PixelPoint(cx - r, y - sign * r), b: PixelPoint(cx + r, y + sign * r), color: RGBA(c),
                  width: 2.5 * u))
            }
          } else {
            for k in 0..<12 {
              let a0 = Double(k) * Double.pi / 6, a1 = Double(k + 1) * Double.pi / 6
              overlayLines.append(
                OverlayLine(
                  a: PixelPoint(cx + r * cos(a0), y + r * sin(a0)), b: PixelPoint(cx + r * cos(a1), y + r * sin(a1)),
                  color: RGBA(c), width: 2 * u))
            }
          }
        } else {
          overlayLines.append(
            OverlayLine(
              a: PixelPoint(x, y), b: PixelPoint(x + 22 * u, y), color: RGBA(c), width: 4 * u))
        }
        let e = textExtent(trace.name, size: size)
        place(trace.name, size: size, role: .legend, center: PixelPoint(x + 30 * u + e.w / 2, y))
        y += lineH
      }
    }

    return FrameLayout(
      width: width, height: height, unit: u, plotRect: plotRect, view: view, projection: projection,
      lightDirection: Vec3(-0.35, 0.45, 1.0).normalized,
      panes: panes, sceneLines: lines, overlayLines: overlayLines, glyphs: glyphs, labels: labels,
      colorBar: colorBar)
  }

  /// The colour that stands for a trace in the legend.
  static func legendColor(_ trace: Trace) -> RGBColor {
    switch trace {
    case .surface(let s): return s.colormap.color(at: 0.5)
    case .mesh(let m): return m.colors.color(at: 0)
    case .scatter(let s):
      switch s.colors {
      case .solid(let c): return c
      case .perPoint(let cs):
        // Several colours (classes) stand for none of them: neutral grey.
        if let first = cs.first, cs.allSatisfy({ $0 == first }) { return first }
        return cs.isEmpty ? .black : RGBColor(r: 0.25, g: 0.25, b: 0.25)
      case .scalar(_, let map, _, _): return map.color(at: 0.5)
      }
    }
  }

  /// Adds a 2D zoom and shift after the projection so that the axes box's silhouette fills
  /// `rect` less room for tick labels and axis titles. The perspective itself (set by the eye)
  /// is unchanged.
  static func fitted(
    _ viewProjection: Mat4, base: Mat4, box h: Vec3, in rect: PixelRect, unit u: Double,
    extra: Margins
  ) -> Mat4 {
    var lo = (x: Double.infinity, y: Double.infinity), hi = (x: -Double.infinity, y: -Double.infinity)
    for sx in [-1.0, 1.0] {
      for sy in [-1.0, 1.0] {
        for sz in [-1.0, 1.0] {
          let c = viewProjection.transform(Vec3(sx * h.x, sy * h.y, sz * h.z))
          guard c.w > 1e-9 else { return base }
          lo = (Swift.min(lo.x, c.x / c.w), Swift.min(lo.y, c.y / c.w))
          hi = (Swift.max(hi.x, c.x / c.w), Swift.max(hi.y, c.y / c.w))
        }
      }
    }
    // Room for labels, in pixels, converted to NDC of this viewport.
    let marginLeft = 2 * (95 * u + extra.left) / rect.width
    let marginRight = 2 * (95 * u + extra.right) / rect.width
    let marginTop = 2 * (16 * u + extra.top) / rect.height
    let marginBottom = 2 * (60 * u + extra.bottom) / rect.height
    let availableW = 2 - marginLeft - marginRight, availableH = 2 - marginTop - marginBottom
    let s = Swift.min(availableW / Swift.max(hi.x - lo.x, 1e-9), availableH / Swift.max(hi.y - lo.y, 1e-9))
    guard s.isFinite, s > 0 else { return base }
    let scale = Swift.min(s, 4)
    // Centre the scaled box in the available area.
    let tx = (marginLeft - marginRight) / 2 - scale * (lo.x + hi.x) / 2
    let ty = (marginBottom - marginTop) / 2 - scale * (lo.y + hi.y) / 2
    var f = Mat4.identity
    f[0, 0] = scale
    f[1, 1] = scale
    f[0, 3] = tx
    f[1, 3] = ty
    return f * base
  }
}
