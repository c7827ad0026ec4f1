import Foundation

/// What is under the cursor: the trace, the data values of the nearest sample, and the text
/// lines the viewer draws beside the cursor.
public struct HoverReadout: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case surface, marker, mesh }
  public var kind: Kind
  public var traceIndex: Int
  public var traceName: String
  /// Data values of the sample (the nearest grid sample of the hit triangle for a surface).
  public var x: Double
  public var y: Double
  public var z: Double
  /// Grid position of the sample, for surfaces.
  public var row: Int?
  public var col: Int?
  /// Point index, for scatter traces and meshes.
  public var index: Int?
  /// The exact hit point (surfaces, meshes) or the point (markers), in normalized coordinates.
  public var position: Vec3
  /// Distance along the pick ray from its origin.
  public var distance: Double
  /// e.g. ["grad_norm", "Training step 1200", "Layer 7", "grad_norm 0.153", "row 7, col 1200", "run nanochat_d12"].
  public var lines: [String]
}

/// Hit testing of a scene's traces: exact ray / triangle intersection (Möller–Trumbore) against
/// surface and mesh triangles in normalized coordinates, and the nearest scatter point within a
/// pixel radius. Build once per scene (it caches the surfaces' positions and a coarse box per
/// block of 16 x 16 cells, so a pick on a 1000 x 1000 surface tests a few thousand boxes and a
/// few hundred triangles).
public final class Picker: @unchecked Sendable {
  public let scene: Scene

  private struct SurfaceCache {
    var trace: Int
    var rows: Int
    var cols: Int
    var px: [Double], py: [Double], pz: [Double]
    var valid: [Bool]
    var blocks: [(r0: Int, r1: Int, c0: Int, c1: Int, lo: Vec3, hi: Vec3)]
  }
  private var surfaces: [SurfaceCache] = []
  static let block = 16

  public init(scene: Scene) {
    self.scene = scene
    for (ti, trace) in scene.traces.enumerated() {
      guard case .surface(let s) = trace, s.rows >= 2, s.cols >= 2 else { continue }
      let n = s.rows * s.cols
      var px = [Double](repeating: .nan, count: n), py = px, pz = px
      var valid = [Bool](repeating: false, count: n)
      for i in 0..<n {
        let p = scene.normalized(s.x[i], s.y[i], s.z[i])
        if p.isFinite { px[i] = p.x; py[i] = p.y; pz[i] = p.z; valid[i] = true }
      }
      var blocks: [(Int, Int, Int, Int, Vec3, Vec3)] = []
      var r0 = 0
      while r0 < s.rows - 1 {
        let r1 = Swift.min(s.rows - 1, r0 + Self.block)
        var c0 = 0
        while c0 < s.cols - 1 {
          let c1 = Swift.min(s.cols - 1, c0 + Self.block)
          var lo = Vec3(.infinity, .infinity, .infinity), hi = Vec3(-.infinity, -.infinity, -.infinity)
          for r in r0...r1 {
            for c in c0...c1 {
              let i = r * s.cols + c
              guard valid[i] else { continue }
              lo = Vec3(Swift.min(lo.x, px[i]), Swift.min(lo.y, py[i]), Swift.min(lo.z, pz[i]))
              hi = Vec3(Swift.max(hi.x, px[i]), Swift.max(hi.y, py[i]), Swift.max(hi.z, pz[i]))
            }
          }
          if lo.x <= hi.x { blocks.append((r0, r1, c0, c1, lo, hi)) }
          c0 = c1
        }
        r0 = r1
      }
      surfaces.append(
        SurfaceCache(trace: ti, rows: s.rows, cols: s.cols, px: px, py: py, pz: pz, valid: valid,
                     blocks: blocks.map { (r0: $0.0, r1: $0.1, c0: $0.2, c1: $0.3, lo: $0.4, hi: $0.5) }))
    }
  }

  /// Möller–Trumbore: the distance `t` along the ray and the barycentric (u, v) of the hit, or
  /// nil when the ray misses the triangle (or hits it behind its origin). Two-sided.
  public static func intersect(_ ray: Ray, _ a: Vec3, _ b: Vec3, _ c: Vec3) -> (t: Double, u: Double, v: Double)? {
    let e1 = b - a, e2 = c - a
    let p = ray.direction.cross(e2)
    let det = e1.dot(p)
    guard abs(det) > 1e-14 else { return nil }
    let inv = 1 / det
    let s = ray.origin - a
    let u = s.dot(p) * inv
    guard u >= -1e-12, u <= 1 + 1e-12 else { return nil }
    let q = s.cross(e1)
    let v = ray.direction.dot(q) * inv
    guard v >= -1e-12, u + v <= 1 + 1e-12 else { return nil }
    let t = e2.dot(q) * inv
    return t > 0 ? (t, u, v) : nil
  }

  static func rayHitsBox(_ ray: Ray, _ lo: Vec3, _ hi: Vec3) -> Bool {
    var tmin = -Double.infinity, tmax = Double.infinity
    for (o, d, l, h) in [
      (ray.origin.x, ray.direction.x, lo.x, hi.x), (ray.origin.y, ray.direction.y, lo.y, hi.y),
      (ray.origin.z, ray.direction.z, lo.z, hi.z),
    ] {
      let pad = 1e-9 + (h - l) * 1e-9
      if abs(d) < 1e-300 {
        if o < l - pad || o > h + pad { return false }
        continue
      }
      var t0 = (l - pad - o) / d, t1 = (h + pad - o) / d
      if t0 > t1 { swap(&t0, &t1) }
      tmin = Swift.max(tmin, t0)
      tmax = Swift.min(tmax, t1)
      if tmin > tmax { return false }
    }
    return tmax >= 0
  }

  /// The nearest surface or mesh hit along `ray`.
  public func pickSurface(_ ray: Ray) -> HoverReadout? {
    var best: (t: Double, trace: Int, row: Int, col: Int, pos: Vec3)?
    for s in surfaces {
      func p(_ i: Int) -> Vec3 { Vec3(s.px[i], s.py[i], s.pz[i]) }
      for b in s.blocks where Self.rayHitsBox(ray, b.lo, b.hi) {
        for r in b.r0..<b.r1 {
          for c in b.c0..<b.c1 {
            let i00 = r * s.cols + c, i01 = i00 + 1, i10 = i00 + s.cols, i11 = i10 + 1
            guard s.valid[i00] && s.valid[i01] && s.valid[i10] && s.valid[i11] else { continue }
            // The same two triangles as SurfaceMesh: (00, 01, 11) and (00, 11, 10).
            for (ia, ib, ic) in [(i00, i01, i11), (i00, i11, i10)] {
              guard let h = Self.intersect(ray, p(ia), p(ib), p(ic)), h.t < (best?.t ?? .infinity) else { continue }
              // The nearest corner by barycentric weight.
              let w = [(1 - h.u - h.v, ia), (h.u, ib), (h.v, ic)]
              let nearest = w.max { $0.0 < $1.0 }!.1
              best = (h.t, s.trace, nearest / s.cols, nearest % s.cols, ray.at(h.t))
            }
          }
        }
      }
    }
    var result: HoverReadout?
    if let b = best, case .surface(let s) = scene.traces[b.trace] {
      let i = b.row * s.cols + b.col
      result = HoverReadout(
        kind: .surface, traceIndex: b.trace, traceName: s.name, x: s.x[i], y: s.y[i], z: s.z[i],
        row: b.row, col: b.col, index: nil, position: b.pos, distance: b.t, lines: [])
    }
    // mesh3d traces: brute force (they are small).
    for (ti, trace) in scene.traces.enumerated() {
      guard case .mesh(let m) = trace else { continue }
      let n = m.x.count
      for f in 0..<m.i.count {
        let ia = Int(m.i[f]), ib = Int(m.j[f]), ic = Int(m.k[f])
        guard ia >= 0, ib >= 0, ic >= 0, ia < n, ib < n, ic < n else { continue }
        let a = scene.normalized(m.x[ia], m.y[ia], m.z[ia])
        let b = scene.normalized(m.x[ib], m.y[ib], m.z[ib])
        let c = scene.normalized(m.x[ic], m.y[ic], m.z[ic])
        guard a.isFinite, b.isFinite, c.isFinite, let h = Self.intersect(ray, a, b, c),
          h.t < (result?.distance ?? .infinity)
        else { continue }
        let w = [(1 - h.u - h.v, ia), (h.u, ib), (h.v, ic)]
        let k = w.max { $0.0 < $1.0 }!.1
        result = HoverReadout(
          kind: .mesh, traceIndex: ti, traceName: m.name, x: m.x[k], y: m.y[k], z: m.z[k], row: nil,
          col: nil, index: k, position: ray.at(h.t), distance: h.t, lines: [])
      }
    }
    return result
  }

  /// The scatter point nearest to `cursor` on screen within `radius` pixels (ties: nearer the camera).
  public func pickMarker(at cursor: PixelPoint, layout: FrameLayout, radius: Double, ray: Ray?) -> HoverReadout? {
    let vp = layout.projection * layout.view
    let r = layout.plotRect
    var best: (d2: Double, depth: Double, trace: Int, index: Int, pos: Vec3)?
    for (ti, trace) in scene.traces.enumerated() {
      guard case .scatter(let s) = trace else { continue }
      for i in 0..<s.count {
        let p = scene.normalized(s.x[i], s.y[i], s.z[i])
        guard p.isFinite else { continue }
        let c = vp.transform(p)
        guard c.w > 1e-9 else { continue }
        let sx = r.x + (c.x / c.w + 1) / 2 * r.width, sy = r.y + (1 - c.y / c.w) / 2 * r.height
        let d2 = (sx - cursor.x) * (sx - cursor.x) + (sy - cursor.y) * (sy - cursor.y)
        guard d2 <= radius * radius else { continue }
        let depth = ray.map { (p - $0.origin).dot($0.direction) } ?? c.w
        if let b = best, d2 > b.d2 + 1e-9 || (abs(d2 - b.d2) <= 1e-9 && depth >= b.depth) { continue }
        best = (d2, depth, ti, i, p)
      }
    }
    guard let b = best, case .scatter(let s) = scene.traces[b.trace] else { return nil }
    return HoverReadout(
      kind: .marker, traceIndex: b.trace, traceName: s.name, x: s.x[b.index], y: s.y[b.index],
      z: s.z[b.index], row: nil, col: nil, index: b.index, position: b.pos, distance: b.depth,
      lines: [])
  }

  /// What is under `cursor` (image pixels of `layout`): a scatter point within `markerRadius`
  /// pixels that is not hidden behind a surface wins over the surface. `runName` adds a
  /// "run NAME" line.
  public func pick(
    at cursor: PixelPoint, layout: FrameLayout, markerRadius: Double = 8, runName: String? = nil
  ) -> HoverReadout? {
    guard cursor.x >= layout.plotRect.x, cursor.x <= layout.plotRect.maxX,
      cursor.y >= layout.plotRect.y, cursor.y <= layout.plotRect.maxY
    else { return nil }
    let ray = layout.ray(through: cursor)
    let surface = ray.flatMap(pickSurface)
    let marker = pickMarker(at: cursor, layout: layout, radius: markerRadius, ray: ray)
    var hit: HoverReadout?
    if let m = marker, m.distance <= (surface?.distance ?? .infinity) + 0.02 {
      hit = m
    } else {
      hit = surface
    }
    guard var h = hit else { return nil }
    h.lines = lines(for: h, runName: runName)
    return h
  }

  /// The readout text: trace name, the three axes' values, the grid position or the point's
  /// text, and the run.
  public func lines(for h: HoverReadout, runName: String?) -> [String] {
    var out: [String] = []
    if !h.traceName.isEmpty && h.traceName != scene.z.title { out.append(h.traceName) }
    for (axis, v) in [(scene.x, h.x), (scene.y, h.y), (scene.z, h.z)] {
      let title = axis.title.isEmpty ? "value" : axis.title
      out.append("\(title) \(axis.text(v))")
    }
    if let r = h.row, let c = h.col { out.append("row \(r), col \(c)") }
    if h.kind == .marker, let i = h.index, case .scatter(let s) = scene.traces[h.traceIndex],
      i < s.text.count, !s.text[i].isEmpty
    {
      out.append(s.text[i])
    }
    if let run = runName, !run.isEmpty { out.append("run \(run)") }
    return out
  }

  public static func format(_ v: Double, integer: Bool) -> String {
    guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "inf" : "-inf") }
    if integer && abs(v) < 1e15 { return String(Int64(v.rounded())) }
    let a = abs(v)
    if a != 0 && (a < 1e-3 || a >= 1e6) { return String(format: "%.3e", v) }
    return String(format: "%.4g", v)
  }
}

extension FrameLayout {
  /// A copy with `lines` of text drawn in a light box beside `cursor` (to its lower right,
  /// flipped to stay inside the image), through the same glyph path as the labels.
  public func addingReadout(_ lines: [String], at cursor: PixelPoint, style: FigureStyle = FigureStyle()) -> FrameLayout {
    guard !lines.isEmpty else { return self }
    var out = self
    let atlas = FontAtlas.shared
    let size = Swift.max(style.minimumTextSize, style.tickLabelSize * unit)
    let lineH = size * 1.3
    let pad = 6 * unit
    let widths = lines.map { atlas.measure($0, size: size).width }
    let boxW = (widths.max() ?? 0) + 2 * pad, boxH = lineH * Double(lines.count) + 2 * pad
    var x0 = cursor.x + 14 * unit, y0 = cursor.y + 14 * unit
    if x0 + boxW > Double(width) { x0 = cursor.x - 14 * unit - boxW }
    if y0 + boxH > Double(height) { y0 = cursor.y - 14 * unit - boxH }
    x0 = Swift.max(0, x0); y0 = Swift.max(0, y0)
    // The box: filled with thin horizontal lines (the overlay has lines and glyphs only).
    var fy = y0 + 1
    while fy < y0 + boxH {
      out.overlayLines.append(OverlayLine(
        a: PixelPoint(x0, fy), b: PixelPoint(x0 + boxW, fy), color: RGBA(1, 1, 1, 1), width: 2))
      fy += 1.5
    }
    let corners = [
      PixelPoint(x0, y0), PixelPoint(x0 + boxW, y0), PixelPoint(x0 + boxW, y0 + boxH), PixelPoint(x0, y0 + boxH),
    ]
    for i in 0..<4 {
      out.overlayLines.append(OverlayLine(a: corners[i], b: corners[(i + 1) % 4], color: style.edgeColor, width: unit))
    }
    // Text under the box would show through its fill (glyphs are drawn after lines): drop the
    // glyphs that overlap it.
    out.glyphs.removeAll { g in
      g.corners.contains { $0.x >= x0 && $0.x <= x0 + boxW && $0.y >= y0 && $0.y <= y0 + boxH }
    }
    let m = atlas.measure("Ag", size: size)
    for (k, text) in lines.enumerated() {
      let baseline = y0 + pad + lineH * Double(k) + (lineH + m.ascent - m.descent) / 2
      for q in atlas.layout(text, size: size) {
        let X0 = x0 + pad + q.x0, X1 = x0 + pad + q.x1, Y0 = baseline + q.y0, Y1 = baseline + q.y1
        out.glyphs.append(TextGlyph(
          corners: [PixelPoint(X0, Y0), PixelPoint(X1, Y0), PixelPoint(X1, Y1), PixelPoint(X0, Y1)],
          uv: [PixelPoint(q.u0, q.v0), PixelPoint(q.u1, q.v0), PixelPoint(q.u1, q.v1), PixelPoint(q.u0, q.v1)],
          color: style.textColor))
      }
    }
    return out
  }

  /// A copy with a strike-through over the legend entries whose trace names are in `hidden`.
  public func markingHiddenLegendEntries(_ hidden: Set<String>) -> FrameLayout {
    guard !hidden.isEmpty else { return self }
    var out = self
    for l in labels where l.role == .legend && hidden.contains(l.text) {
      let y = l.bounds.y + l.bounds.height / 2
      out.overlayLines.append(OverlayLine(
        a: PixelPoint(l.bounds.x - 32 * unit, y), b: PixelPoint(l.bounds.maxX + 2 * unit, y),
        color: RGBA(0.6, 0.6, 0.6, 0.9), width: 2 * unit))
    }
    return out
  }

  /// The trace name of the legend entry at `p` (its label or the colour swatch left of it).
  public func legendEntry(at p: PixelPoint) -> String? {
    for l in labels where l.role == .legend {
      let x0 = l.bounds.x - 32 * unit
      if p.x >= x0, p.x <= l.bounds.maxX, p.y >= l.bounds.y - 3 * unit, p.y <= l.bounds.maxY + 3 * unit {
        return l.text
      }
    }
    return nil
  }
}
