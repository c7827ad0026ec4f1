/// A grid surface as the renderer uploads it, in *axis space*: each sample's x, y, z after the
/// axis' transform (log10 on a log axis), minus a fixed origin, and its colour value on the
/// colour scale, minus a colour origin. The axis box normalization and the colour range are
/// not baked in; `SurfaceTransform` applies them (as shader uniforms). So when new data widens
/// the axis ranges or the colour range, the uploaded vertices stay valid and only the
/// transform changes; a surface that grows by columns uploads only the new columns.
///
/// Vertices are laid out column-major (`col * rows + row`), so appending columns appends
/// vertices. A cell becomes two triangles when its four corners are finite (the same rule and
/// the same triangles as `SurfaceMesh`), listed cell column by cell column. Normals are the
/// area-weighted sums of the adjacent valid triangles in axis space, normalized: the normal in
/// the normalized box is that vector divided by the transform's scale (per axis) and
/// normalized again, which the shader does. A vertex with no valid triangle gets (0, 0, 1).
///
/// `transposed` lays the same surface out row-major instead, for a surface that grows along
/// its rows (the single-run loss landscape): the geometry's rows and columns are the trace's
/// columns and rows, so appending trace rows appends vertices. The triangles are the trace's
/// (the same corners; the winding is reversed and the normals are negated back, so the
/// vertices' normals point as in the column-major layout).
public struct SurfaceAxisGeometry: Sendable {
  /// Floats per vertex: position (3), normal (3), colour value (1).
  public static let floatsPerVertex = 7
  /// The colour value written for a sample whose colour is missing: far below any colour
  /// range, so it maps to the colour map's first entry as `SurfaceMesh`'s 0 did.
  public static let missingColor: Float = -3.0e38

  public let surface: SurfaceTrace
  public let xAxis: AxisSpec
  public let yAxis: AxisSpec
  public let zAxis: AxisSpec
  public let colorAxis: AxisSpec
  /// Subtracted from the transformed positions and colour values before they become Float, so
  /// that large coordinates (steps in the millions) keep their precision.
  public let origin: Vec3
  public let colorOrigin: Double
  /// Rows and columns of the layout are the trace's columns and rows.
  public let transposed: Bool

  /// Rows and columns of the layout (the trace's, swapped when `transposed`).
  public var rows: Int { transposed ? surface.cols : surface.rows }
  public var cols: Int { transposed ? surface.rows : surface.cols }

  /// The geometry of `surface` on `scene`'s axes, with the given origin or (nil) the middle of
  /// the axis ranges and of the colour range.
  public init(
    surface: SurfaceTrace, in scene: Scene, origin: Vec3? = nil, colorOrigin: Double? = nil,
    transposed: Bool = false
  ) {
    self.surface = surface
    self.transposed = transposed
    xAxis = scene.x
    yAxis = scene.y
    zAxis = scene.z
    colorAxis = AxisSpec(title: "", scale: surface.colorScale, range: surface.colorRange)
    func middle(_ a: AxisSpec) -> Double {
      let (lo, hi) = a.transformedRange
      return (lo + hi) / 2
    }
    self.origin = origin ?? Vec3(middle(scene.x), middle(scene.y), middle(scene.z))
    self.colorOrigin = colorOrigin ?? middle(colorAxis)
  }

  /// The vertex index of sample (row, col).
  @inline(__always) public func vertexIndex(row: Int, col: Int) -> Int { col * rows + row }

  /// The index into the trace's arrays of layout sample (row, col).
  @inline(__always) func traceIndex(_ r: Int, _ c: Int) -> Int {
    transposed ? c * surface.cols + r : r * surface.cols + c
  }

  /// The axis-space position of sample `i` (row-major index into the trace's arrays), relative
  /// to the origin; nil when a coordinate is missing or not drawable on its axis.
  @inline(__always) func position(_ i: Int) -> Vec3? {
    let p = Vec3(
      xAxis.transform(surface.x[i]) - origin.x, yAxis.transform(surface.y[i]) - origin.y,
      zAxis.transform(surface.z[i]) - origin.z)
    return p.isFinite ? p : nil
  }

  /// The interleaved vertices of columns `columns`, column by column.
  public func vertices(columns: Range<Int>) -> [Float] {
    precondition(columns.lowerBound >= 0 && columns.upperBound <= cols)
    var out = [Float](repeating: 0, count: columns.count * rows * Self.floatsPerVertex)
    guard !columns.isEmpty else { return out }
    // Positions of the columns and their neighbours, column-major.
    let c0 = Swift.max(0, columns.lowerBound - 1), c1 = Swift.min(cols, columns.upperBound + 1)
    var pos = [Vec3?](repeating: nil, count: (c1 - c0) * rows)
    for c in c0..<c1 {
      for r in 0..<rows { pos[(c - c0) * rows + r] = position(traceIndex(r, c)) }
    }
    @inline(__always) func p(_ r: Int, _ c: Int) -> Vec3? { pos[(c - c0) * rows + r] }
    /// The two triangles of cell (r, c) when all four corners are valid.
    func cell(_ r: Int, _ c: Int) -> (Vec3, Vec3, Vec3, Vec3)? {
      guard r >= 0, c >= 0, r + 1 < rows, c + 1 < cols, let a = p(r, c), let b = p(r, c + 1),
        let d = p(r + 1, c), let e = p(r + 1, c + 1)
      else { return nil }
      return (a, b, d, e)
    }
    var k = 0
    for c in columns {
      for r in 0..<rows {
        defer { k += Self.floatsPerVertex }
        guard let q = p(r, c) else {
          out[k + 5] = 1
          continue
        }
        // Triangles (i00, i01, i11) and (i00, i11, i10) of the up to four cells around the
        // vertex, as SurfaceMesh adds them.
        var acc = Vec3.zero
        if let (a, b, d, e) = cell(r, c) {  // the vertex is i00 of both triangles
          acc = acc + (b - a).cross(e - a) + (e - a).cross(d - a)
        }
        if let (a, b, _, e) = cell(r, c - 1) {  // i01: first triangle only
          acc = acc + (b - a).cross(e - a)
        }
        if let (a, _, d, e) = cell(r - 1, c) {  // i10: second triangle only
          acc = acc + (e - a).cross(d - a)
        }
        if let (a, b, d, e) = cell(r - 1, c - 1) {  // i11: both
          acc = acc + (b - a).cross(e - a) + (e - a).cross(d - a)
        }
        var n = acc.length > 0 ? acc.normalized : Vec3(0, 0, 1)
        if transposed && acc.length > 0 { n = n * -1 }
        let i = traceIndex(r, c)
        let v = colorAxis.transform(surface.color[i]) - colorOrigin
        out[k] = Float(q.x); out[k + 1] = Float(q.y); out[k + 2] = Float(q.z)
        out[k + 3] = Float(n.x); out[k + 4] = Float(n.y); out[k + 5] = Float(n.z)
        out[k + 6] = v.isFinite ? Float(v) : Self.missingColor
      }
    }
    return out
  }

  /// The triangles of the cells in cell columns `cellColumns` (cell column c joins sample
  /// columns c and c + 1), column by column, with the number of indices each column has.
  /// The most indices `triangles` makes per cell column (two triangles per cell).
  public static func maxIndicesPerCellColumn(rows: Int) -> Int { Swift.max(0, rows - 1) * 6 }

  public func triangles(cellColumns: Range<Int>) -> (indices: [UInt32], perColumn: [Int]) {
    var idx: [UInt32] = []
    var perColumn: [Int] = []
    guard rows >= 2 else { return ([], Array(repeating: 0, count: cellColumns.count)) }
    idx.reserveCapacity(cellColumns.count * (rows - 1) * 6)
    var valid = [Bool](repeating: false, count: rows * 2)
    for c in cellColumns {
      precondition(c >= 0 && c + 1 < cols)
      for r in 0..<rows {
        valid[r] = position(traceIndex(r, c)) != nil
        valid[rows + r] = position(traceIndex(r, c + 1)) != nil
      }
      let start = idx.count
      for r in 0..<(rows - 1) where valid[r] && valid[r + 1] && valid[rows + r] && valid[rows + r + 1] {
        let i00 = UInt32(vertexIndex(row: r, col: c)), i01 = UInt32(vertexIndex(row: r, col: c + 1))
        let i10 = i00 + 1, i11 = i01 + 1
        idx += [i00, i01, i11, i00, i11, i10]
      }
      perColumn.append(idx.count - start)
    }
    return (idx, perColumn)
  }
}

/// Maps a `SurfaceAxisGeometry`'s vertices into the scene's normalized box and its colour
/// values onto [0, 1] of the colour map: `normalized = position * scale + offset`, normal
/// direction `normal * normalScale` (the inverse scale, divided by its largest component so it
/// stays well within Float range), colour coordinate `clamp(value * colorScale + colorOffset)`.
public struct SurfaceTransform: Sendable, Equatable {
  public var scale: Vec3
  public var offset: Vec3
  public var normalScale: Vec3
  public var colorScale: Double
  public var colorOffset: Double

  /// The transform for vertices made with `origin` / `colorOrigin`, on `scene`'s current axes
  /// and `surface`'s current colour range.
  public init(scene: Scene, surface: SurfaceTrace, origin: Vec3, colorOrigin: Double) {
    func axis(_ a: AxisSpec, _ aspect: Double, _ o: Double) -> (Double, Double) {
      let (lo, hi) = a.transformedRange
      let s = aspect / (hi - lo)
      return (s, (o - lo) * s - 0.5 * aspect)
    }
    let (sx, ox) = axis(scene.x, scene.aspect.x, origin.x)
    let (sy, oy) = axis(scene.y, scene.aspect.y, origin.y)
    let (sz, oz) = axis(scene.z, scene.aspect.z, origin.z)
    scale = Vec3(sx, sy, sz)
    offset = Vec3(ox, oy, oz)
    let inv = Vec3(1 / sx, 1 / sy, 1 / sz)
    let m = Swift.max(abs(inv.x), abs(inv.y), abs(inv.z))
    normalScale = m > 0 && m.isFinite ? inv * (1 / m) : Vec3(1, 1, 1)
    let (clo, chi) = AxisSpec(title: "", scale: surface.colorScale, range: surface.colorRange).transformedRange
    colorScale = 1 / (chi - clo)
    colorOffset = (colorOrigin - clo) * colorScale
  }
}
