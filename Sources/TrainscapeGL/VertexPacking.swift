import TrainscapeCore

/// The vertices each draw uploads, as flat Float arrays in the layouts of `VertexPacking.Layouts`:
/// pure functions of the scene and the frame layout, so they are tested without a GL context.
enum VertexPacking {
  /// Attribute layouts (shader location, components).
  enum Layouts {
    /// Surfaces: axis-space position, normal, colour value (`SurfaceAxisGeometry`).
    static let surface = VertexLayout([(0, 3), (1, 3), (2, 1)])
    /// Scatter markers and line segments: axis-space position, RGBA, size or width, colour value.
    static let scatter = VertexLayout([(0, 3), (1, 4), (2, 1), (3, 1)])
    /// mesh3d triangles: normalized position, normal, RGBA.
    static let mesh = VertexLayout([(0, 3), (1, 3), (2, 4)])
    /// Wide lines: position, RGBA, width.
    static let line = VertexLayout([(0, 3), (1, 4), (2, 1)])
    /// Flat triangles (the back panes): position, RGBA.
    static let flat = VertexLayout([(0, 3), (1, 4)])
    /// Glyph quads: pixel position, atlas coordinate, RGBA.
    static let text = VertexLayout([(0, 2), (1, 2), (2, 4)])
    /// The colour bar: pixel position, colour-map coordinate.
    static let colorbar = VertexLayout([(0, 2), (1, 1)])
  }

  // MARK: - Scatter traces

  /// The colour value written for a point whose colour is not from the colour map (or missing):
  /// the shaders use the vertex colour for values above 1e37.
  static let vertexColor: Float = 3.0e38

  /// Where a scatter trace's points go: axis-space positions relative to `origin` (on the axes'
  /// scales), colour values relative to `colorOrigin`.
  struct ScatterFrame: Equatable {
    var origin: Vec3
    var colorOrigin: Double
    var scales: (x: AxisScale, y: AxisScale, z: AxisScale)

    /// The middle of the scene's axis ranges and of the trace's colour range.
    init(scene: Scene, trace: ScatterTrace) {
      func middle(_ a: AxisSpec) -> Double {
        let (lo, hi) = a.transformedRange
        return (lo + hi) / 2
      }
      origin = Vec3(middle(scene.x), middle(scene.y), middle(scene.z))
      colorOrigin = 0
      if case .scalar(_, _, let range, let scale) = trace.colors {
        colorOrigin = middle(AxisSpec(title: "", scale: scale, range: range))
      }
      scales = (scene.x.scale, scene.y.scale, scene.z.scale)
    }

    /// Point i's axis-space position relative to `origin`; nil when it cannot be drawn.
    func position(_ t: ScatterTrace, _ i: Int) -> Vec3? {
      func tr(_ v: Double, _ scale: AxisScale) -> Double {
        AxisSpec(title: "", scale: scale, range: 1...2).transform(v)
      }
      let q = Vec3(tr(t.x[i], scales.x) - origin.x, tr(t.y[i], scales.y) - origin.y, tr(t.z[i], scales.z) - origin.z)
      return q.isFinite ? q : nil
    }

    static func == (a: ScatterFrame, b: ScatterFrame) -> Bool {
      a.origin == b.origin && a.colorOrigin == b.colorOrigin && a.scales == b.scales
    }
  }

  /// A scatter trace's markers and segments from point `first` on, and where each point's
  /// vertices start.
  struct ScatterVertices: Equatable {
    var markers: [Float] = []
    var lines: [Float] = []
    /// Per point i (and one past the last): marker vertices of the points before i, and line
    /// vertices of the segments that end before point i (these start tables cover all points).
    var markerStart: [Int]
    var lineStart: [Int]
  }

  /// The vertices of points `first..<trace.count` (rewritten or new), given the start tables of
  /// what was packed before (`[0]`, `[0]` for a whole trace): their markers and the segments that
  /// end at them. Points that are not finite (or not positive on a log axis) are skipped, and
  /// the line breaks there.
  static func scatter(
    _ trace: ScatterTrace, frame: ScatterFrame, from first: Int, markerStart: [Int], lineStart: [Int]
  ) -> ScatterVertices {
    let n = trace.count
    let k = min(first, markerStart.count - 1)
    var out = ScatterVertices(markerStart: Array(markerStart[...k]), lineStart: Array(lineStart[...k]))
    // Positions of points k - 1 ..< n.
    let lo = max(0, k - 1)
    var positions: [Vec3?] = []
    positions.reserveCapacity(n - lo)
    for i in lo..<n { positions.append(frame.position(trace, i)) }
    func p(_ i: Int) -> Vec3? { positions[i - lo] }
    let a = Float(trace.opacity)
    func color(_ i: Int) -> (Float, Float, Float, Float) {
      switch trace.colors {
      case .solid(let c): return (Float(c.r), Float(c.g), Float(c.b), vertexColor)
      case .perPoint(let cs): return (Float(cs[i].r), Float(cs[i].g), Float(cs[i].b), vertexColor)
      case .scalar(let values, _, _, let scale):
        let v = AxisSpec(title: "", scale: scale, range: 1...2).transform(values[i]) - frame.colorOrigin
        if !v.isFinite {  // as PointColors.color(at:)
          let c = Colormap.badColor
          return (Float(c.r), Float(c.g), Float(c.b), vertexColor)
        }
        return (0, 0, 0, Float(min(max(v, -1e30), 1e30)))  // Float range
      }
    }
    /// A line vertex's colour: the markers' unless the trace's line has colours of its own
    /// (solid or per point, so never through the colour map).
    func lineColor(_ i: Int) -> (Float, Float, Float, Float) {
      guard let lc = trace.lineColors else { return color(i) }
      let c = lc.color(at: i)
      return (Float(c.r), Float(c.g), Float(c.b), vertexColor)
    }
    let markerAlpha = Float(trace.markerOpacity)
    var markers = out.markerStart[k], lines = out.lineStart[k]
    for i in k..<n {
      if let q = p(i) {
        let c = color(i)
        out.markers += [Float(q.x), Float(q.y), Float(q.z), c.0, c.1, c.2, a * markerAlpha, Float(trace.markerSize(at: i)), c.3]
        markers += 1
        if i > 0, let q0 = p(i - 1) {
          let c0 = lineColor(i - 1), c1 = trace.lineColors == nil ? c : lineColor(i)
          out.lines += [Float(q0.x), Float(q0.y), Float(q0.z), c0.0, c0.1, c0.2, a, Float(trace.lineWidth), c0.3]
          out.lines += [Float(q.x), Float(q.y), Float(q.z), c1.0, c1.1, c1.2, a, Float(trace.lineWidth), c1.3]
          lines += 2
        }
      }
      out.markerStart.append(markers)
      out.lineStart.append(lines)
    }
    return out
  }

  // MARK: - Mesh traces

  /// A mesh3d trace's triangles with smooth normals, in the scene's normalized coordinates;
  /// faces with a non-finite or out-of-range vertex are skipped.
  static func mesh(_ trace: MeshTrace, in scene: Scene) -> [Float] {
    let n = trace.x.count
    var positions = [Vec3](repeating: .zero, count: n)
    var drawable = [Bool](repeating: false, count: n)
    for v in 0..<n {
      let q = scene.normalized(trace.x[v], trace.y[v], trace.z[v])
      if q.isFinite { positions[v] = q; drawable[v] = true }
    }
    let faces = trace.triangles { drawable[$0] }.indices
    let normals = VertexNormals.smooth(positions: positions, triangles: faces)
    var out: [Float] = []
    out.reserveCapacity(faces.count * 10)
    let alpha = Float(trace.opacity)
    for f in faces {
      let idx = Int(f)
      let q = positions[idx], nrm = normals[idx]
      let col = trace.colors.color(at: idx)
      out += [Float(q.x), Float(q.y), Float(q.z), Float(nrm.x), Float(nrm.y), Float(nrm.z),
              Float(col.r), Float(col.g), Float(col.b), alpha]
    }
    return out
  }

  // MARK: - Figure parts

  /// The back panes as two triangles each.
  static func panes(_ panes: [SceneQuad]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(panes.count * 6 * 7)
    for q in panes {
      for i in [0, 1, 2, 0, 2, 3] {
        let p = q.corners[i]
        out += [Float(p.x), Float(p.y), Float(p.z), q.color.r, q.color.g, q.color.b, q.color.a]
      }
    }
    return out
  }

  /// Line segments in the plot's normalized coordinates.
  static func lines(_ segments: [SceneLine]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(segments.count * 16)
    for s in segments {
      let c = s.color
      out += [Float(s.a.x), Float(s.a.y), Float(s.a.z), c.r, c.g, c.b, c.a, Float(s.width)]
      out += [Float(s.b.x), Float(s.b.y), Float(s.b.z), c.r, c.g, c.b, c.a, Float(s.width)]
    }
    return out
  }

  /// Line segments in pixels (z = 0).
  static func lines(_ segments: [OverlayLine]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(segments.count * 16)
    for line in segments {
      let c = line.color
      out += [Float(line.a.x), Float(line.a.y), 0, c.r, c.g, c.b, c.a, Float(line.width)]
      out += [Float(line.b.x), Float(line.b.y), 0, c.r, c.g, c.b, c.a, Float(line.width)]
    }
    return out
  }

  /// Filled overlay triangles in pixels (z = 0), laid out as the panes (position, colour).
  static func fills(_ fills: [OverlayFill]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(fills.count * 3 * 7)
    for f in fills {
      for p in [f.a, f.b, f.c] {
        out += [Float(p.x), Float(p.y), 0, f.color.r, f.color.g, f.color.b, f.color.a]
      }
    }
    return out
  }

  /// Glyph quads as two triangles each.
  static func glyphs(_ glyphs: [TextGlyph]) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(glyphs.count * 6 * 8)
    for g in glyphs {
      for i in [0, 1, 2, 0, 2, 3] {
        let p = g.corners[i], t = g.uv[i], c = g.color
        out += [Float(p.x), Float(p.y), Float(t.x), Float(t.y), c.r, c.g, c.b, c.a]
      }
    }
    return out
  }

  /// The colour bar's rectangle, colour-map coordinate 1 at the top.
  static func colorBar(_ rc: PixelRect) -> [Float] {
    let x0 = Float(rc.x), x1 = Float(rc.maxX), y0 = Float(rc.y), y1 = Float(rc.maxY)
    return [x0, y1, 0, x1, y1, 0, x1, y0, 1, x0, y1, 0, x1, y0, 1, x0, y0, 1]
  }
}
