import Foundation

/// What a panel figure's layout draws, in image pixels: fills, lines and text glyphs, with the
/// placed labels. Lines are clipped to their panel; points closer than a pixel are merged, so
/// a translucent line does not darken where thousands of tiny segments overlap.
struct Ink {
  let unit: Double
  let style: FigureStyle
  var fills: [OverlayFill] = []
  var lines: [OverlayLine] = []
  var glyphs: [TextGlyph] = []
  var labels: [PlacedLabel] = []
  let atlas = FontAtlas.shared

  init(unit: Double, style: FigureStyle) {
    self.unit = unit
    self.style = style
  }

  func extent(_ text: String, size: Double) -> (w: Double, h: Double) {
    let m = atlas.measure(text, size: size)
    return (m.width, m.ascent + m.descent)
  }

  mutating func line(_ a: PixelPoint, _ b: PixelPoint, _ color: RGBA, width: Double) {
    lines.append(OverlayLine(a: a, b: b, color: color, width: width))
  }

  mutating func dashed(_ a: PixelPoint, _ b: PixelPoint, _ color: RGBA, width: Double, dash: Double, space: Double) {
    let dx = b.x - a.x, dy = b.y - a.y
    let length = (dx * dx + dy * dy).squareRoot()
    guard length > 0 else { return }
    var t = 0.0
    while t < length {
      let e = Swift.min(length, t + dash)
      line(PixelPoint(a.x + dx * t / length, a.y + dy * t / length), PixelPoint(a.x + dx * e / length, a.y + dy * e / length), color, width: width)
      t = e + space
    }
  }

  mutating func rect(_ r: PixelRect, _ color: RGBA) {
    let p = [PixelPoint(r.x, r.y), PixelPoint(r.maxX, r.y), PixelPoint(r.maxX, r.maxY), PixelPoint(r.x, r.maxY)]
    fills.append(OverlayFill(p[0], p[1], p[2], color: color))
    fills.append(OverlayFill(p[0], p[2], p[3], color: color))
  }

  /// A data line: broken at non-finite values, clipped to the panel.
  mutating func polyline(_ l: PanelLine, map: PanelMap) {
    let color = RGBA(l.color, alpha: Float(l.opacity))
    let width = l.width * Swift.max(unit, 0.6)
    var last: PixelPoint? = nil
    for (xv, yv) in zip(l.x, l.y) {
      let p = PixelPoint(map.px(xv), map.py(yv, twin: l.twin))
      guard p.x.isFinite, p.y.isFinite else {
        last = nil
        continue
      }
      guard let a = last else {
        last = p
        continue
      }
      let dx = p.x - a.x, dy = p.y - a.y
      if dx * dx + dy * dy < 1 { continue }  // merged into the next segment
      if let (c0, c1) = Self.clip(a, p, to: map.rect) { line(c0, c1, color, width: width) }
      last = p
    }
  }

  /// A band between two lines: a quad per step, its edges clamped to the panel.
  mutating func band(_ b: PanelBand, map: PanelMap) {
    let color = RGBA(b.color, alpha: Float(b.opacity))
    let r = map.rect
    func clampY(_ y: Double) -> Double { Swift.min(r.maxY, Swift.max(r.y, y)) }
    var prev: (x: Double, lo: Double, hi: Double)? = nil
    for i in b.x.indices {
      let x = map.px(b.x[i]), lo = map.py(b.lower[i], twin: b.twin), hi = map.py(b.upper[i], twin: b.twin)
      guard x.isFinite, lo.isFinite, hi.isFinite else {
        prev = nil
        continue
      }
      let cur = (x: Swift.min(r.maxX, Swift.max(r.x, x)), lo: clampY(lo), hi: clampY(hi))
      if let p = prev {
        if cur.x - p.x < 1 && i != b.x.count - 1 { continue }
        fills.append(OverlayFill(PixelPoint(p.x, p.lo), PixelPoint(cur.x, cur.lo), PixelPoint(cur.x, cur.hi), color: color))
        fills.append(OverlayFill(PixelPoint(p.x, p.lo), PixelPoint(cur.x, cur.hi), PixelPoint(p.x, p.hi), color: color))
      }
      prev = cur
    }
  }

  /// Text centred on `center` (rotated: reads bottom to top).
  mutating func text(
    _ text: String, size: Double, role: PlacedLabel.Role, at center: PixelPoint, rotated: Bool = false, color: RGBA? = nil
  ) {
    guard !text.isEmpty else { return }
    let m = atlas.measure(text, size: size)
    let halfW = m.width / 2
    let baselineShift = (m.ascent - m.descent) / 2
    let col = color ?? style.textColor
    func xf(_ px: Double, _ py: Double) -> PixelPoint {
      let lx = px - halfW, ly = py + baselineShift
      return rotated ? PixelPoint(center.x + ly, center.y - lx) : PixelPoint(center.x + lx, center.y + ly)
    }
    for q in atlas.layout(text, size: size) {
      glyphs.append(
        TextGlyph(
          corners: [xf(q.x0, q.y0), xf(q.x1, q.y0), xf(q.x1, q.y1), xf(q.x0, q.y1)],
          uv: [PixelPoint(q.u0, q.v0), PixelPoint(q.u1, q.v0), PixelPoint(q.u1, q.v1), PixelPoint(q.u0, q.v1)],
          color: col))
    }
    let h = m.ascent + m.descent
    let bw = rotated ? h : m.width, bh = rotated ? m.width : h
    labels.append(
      PlacedLabel(role: role, text: text, bounds: PixelRect(x: center.x - bw / 2, y: center.y - bh / 2, width: bw, height: bh)))
  }

  /// The part of segment a-b inside `r` (Liang-Barsky); nil when none is.
  static func clip(_ a: PixelPoint, _ b: PixelPoint, to r: PixelRect) -> (PixelPoint, PixelPoint)? {
    var t0 = 0.0, t1 = 1.0
    let dx = b.x - a.x, dy = b.y - a.y
    for (p, q) in [(-dx, a.x - r.x), (dx, r.maxX - a.x), (-dy, a.y - r.y), (dy, r.maxY - a.y)] {
      if p == 0 {
        if q < 0 { return nil }
      } else {
        let t = q / p
        if p < 0 { t0 = Swift.max(t0, t) } else { t1 = Swift.min(t1, t) }
        if t0 > t1 { return nil }
      }
    }
    return (PixelPoint(a.x + t0 * dx, a.y + t0 * dy), PixelPoint(a.x + t1 * dx, a.y + t1 * dy))
  }
}
