// Scattered-data interpolation onto a rectilinear grid, like scipy.interpolate.griddata:
// linear (barycentric on the Delaunay triangulation), cubic (Clough-Tocher with scipy's global
// gradient estimation) and natural neighbour (Sibson). NaN outside the convex hull.
import Foundation

public enum ScatteredInterpolator {
  /// Values on the grid gridX (columns) x gridY (rows), row-major [row * gridX.count + col];
  /// NaN outside the convex hull of the points. Duplicate points are merged, keeping the first
  /// occurrence's value (see `Delaunay2D`).
  public static func interpolate(
    x: [Double], y: [Double], values: [Double], gridX: [Double], gridY: [Double],
    method: InterpolationMethod = .linear
  ) throws -> [Double] {
    guard values.count == x.count else {
      throw InterpolationError("values must have one entry per point, got \(values.count) for \(x.count) points")
    }
    let tri = try Delaunay2D(x: x, y: y)
    return try interpolate(triangulation: tri, values: values, gridX: gridX, gridY: gridY, method: method)
  }

  public static func interpolate(
    triangulation tri: Delaunay2D, values: [Double], gridX: [Double], gridY: [Double],
    method: InterpolationMethod = .linear
  ) throws -> [Double] {
    guard values.count == tri.px.count else {
      throw InterpolationError("values must have one entry per point, got \(values.count) for \(tri.px.count) points")
    }
    switch method {
    case .linear:
      return evaluateGrid(tri, gridX, gridY) { t, x, y in
        let b = tri.barycentric(t, x, y)
        let v = tri.tv
        return b.0 * values[Int(v[3 * t])] + b.1 * values[Int(v[3 * t + 1])] + b.2 * values[Int(v[3 * t + 2])]
      }
    case .cubic:
      let ct = CloughTocher(tri: tri, values: values)
      return evaluateGrid(tri, gridX, gridY) { t, x, y in ct.evaluate(t, x, y) }
    case .naturalNeighbor:
      let nn = NaturalNeighbor(tri: tri, values: values)
      return evaluateGrid(tri, gridX, gridY) { t, x, y in nn.evaluate(t, x, y) }
    }
  }

  /// Walks the grid row by row in serpentine order, starting each point's search at the previous
  /// point's triangle; rows are split into chunks evaluated concurrently.
  static func evaluateGrid(
    _ tri: Delaunay2D, _ gridX: [Double], _ gridY: [Double],
    _ body: @escaping @Sendable (Int, Double, Double) -> Double
  ) -> [Double] {
    let nx = gridX.count, ny = gridY.count
    var out = [Double](repeating: .nan, count: nx * ny)
    guard nx > 0, ny > 0 else { return out }
    out.withUnsafeMutableBufferPointer { buf in
      let ptr = SharedPointer(buf.baseAddress!)
      DataParallel.forEachChunk(ny) { rows in
        let r0 = rows.lowerBound, r1 = rows.upperBound
        var hint = 0
        for r in r0..<r1 {
          let y = gridY[r]
          let reversed = (r - r0) % 2 == 1
          for j in 0..<nx {
            let col = reversed ? nx - 1 - j : j
            let x = gridX[col]
            if let t = tri.locate(x, y, hint: &hint) {
              ptr[r * nx + col] = body(t, x, y)
            }
          }
        }
      }
    }
    return out
  }
}

// MARK: - Clough-Tocher

/// Clough-Tocher C1 cubic interpolant, a port of scipy's CloughTocher2DInterpolator
/// (scipy/interpolate/_interpnd.pyx: `_estimate_gradients_2d_global`, `_clough_tocher_2d_single`).
struct CloughTocher: Sendable {
  let tri: Delaunay2D
  let values: [Double]
  let grad: [Double]  // [fx, fy] per input index

  init(tri: Delaunay2D, values: [Double], tol: Double = 1e-6, maxIter: Int = 400) {
    self.tri = tri
    self.values = values
    grad = CloughTocher.estimateGradients(tri: tri, data: values, tol: tol, maxIter: maxIter)
  }

  /// Global curvature minimisation (Nielson 1983, Renka & Cline 1984) by Gauss-Seidel sweeps
  /// over the points in input order, exactly as scipy iterates. Points that are not vertices
  /// (merged duplicates) are skipped; in scipy they produce NaN updates that its max() ignores.
  static func estimateGradients(tri: Delaunay2D, data: [Double], tol: Double, maxIter: Int) -> [Double] {
    let n = tri.px.count
    let (indptr, indices) = tri.vertexNeighbors()
    var y = [Double](repeating: 0, count: 2 * n)
    let px = tri.px, py = tri.py
    for _ in 0..<maxIter {
      var err = 0.0
      for i in 0..<n where indptr[i + 1] > indptr[i] {
        var q0 = 0.0, q1 = 0.0, q3 = 0.0, s0 = 0.0, s1 = 0.0
        for jj in indptr[i]..<indptr[i + 1] {
          let j = Int(indices[jj])
          let ex = px[j] - px[i], ey = py[j] - py[i]
          let L = (ex * ex + ey * ey).squareRoot()
          let L3 = L * L * L
          let f1 = data[i], f2 = data[j]
          let df2 = -ex * y[2 * j] - ey * y[2 * j + 1]
          q0 += 4 * ex * ex / L3
          q1 += 4 * ex * ey / L3
          q3 += 4 * ey * ey / L3
          s0 += (6 * (f1 - f2) - 2 * df2) * ex / L3
          s1 += (6 * (f1 - f2) - 2 * df2) * ey / L3
        }
        let q2 = q1
        let det = q0 * q3 - q1 * q2
        let r0 = (q3 * s0 - q1 * s1) / det
        let r1 = (-q2 * s0 + q0 * s1) / det
        var change = max(abs(y[2 * i] + r0), abs(y[2 * i + 1] + r1))
        y[2 * i] = -r0
        y[2 * i + 1] = -r1
        change /= max(1.0, max(abs(r0), abs(r1)))
        if change > err { err = change }  // NaN-ignoring, like scipy's C max()
      }
      if err < tol { break }
    }
    return y
  }

  func evaluate(_ t: Int, _ x: Double, _ y: Double) -> Double {
    let b = tri.barycentric(t, x, y)
    let tv = tri.tv, px = tri.px, py = tri.py
    let i0 = Int(tv[3 * t]), i1 = Int(tv[3 * t + 1]), i2 = Int(tv[3 * t + 2])
    let e12x = px[i1] - px[i0], e12y = py[i1] - py[i0]
    let e23x = px[i2] - px[i1], e23y = py[i2] - py[i1]
    let e31x = px[i0] - px[i2], e31y = py[i0] - py[i2]
    let f1 = values[i0], f2 = values[i1], f3 = values[i2]
    let df12 = +(grad[2 * i0] * e12x + grad[2 * i0 + 1] * e12y)
    let df21 = -(grad[2 * i1] * e12x + grad[2 * i1 + 1] * e12y)
    let df23 = +(grad[2 * i1] * e23x + grad[2 * i1 + 1] * e23y)
    let df32 = -(grad[2 * i2] * e23x + grad[2 * i2 + 1] * e23y)
    let df31 = +(grad[2 * i2] * e31x + grad[2 * i2 + 1] * e31y)
    let df13 = -(grad[2 * i0] * e31x + grad[2 * i0 + 1] * e31y)

    let c3000 = f1
    let c2100 = (df12 + 3 * c3000) / 3
    let c2010 = (df13 + 3 * c3000) / 3
    let c0300 = f2
    let c1200 = (df21 + 3 * c0300) / 3
    let c0210 = (df23 + 3 * c0300) / 3
    let c0030 = f3
    let c1020 = (df31 + 3 * c0030) / 3
    let c0120 = (df32 + 3 * c0030) / 3
    let c2001 = (c2100 + c2010 + c3000) / 3
    let c0201 = (c1200 + c0300 + c0210) / 3
    let c0021 = (c1020 + c0120 + c0030) / 3

    // Cross-boundary derivative direction: towards the neighbour's centroid (affine invariant).
    var g = (-0.5, -0.5, -0.5)
    for k in 0..<3 {
      let itri = Int(tri.tn[3 * t + k])
      if itri < 0 { continue }
      let a = Int(tv[3 * itri]), bb = Int(tv[3 * itri + 1]), c = Int(tv[3 * itri + 2])
      let cx = (px[a] + px[bb] + px[c]) / 3
      let cy = (py[a] + py[bb] + py[c]) / 3
      let cc = tri.barycentric(t, cx, cy)
      switch k {
      case 0: g.0 = (2 * cc.2 + cc.1 - 1) / (2 - 3 * cc.2 - 3 * cc.1)
      case 1: g.1 = (2 * cc.0 + cc.2 - 1) / (2 - 3 * cc.0 - 3 * cc.2)
      default: g.2 = (2 * cc.1 + cc.0 - 1) / (2 - 3 * cc.1 - 3 * cc.0)
      }
    }
    let c0111 = (g.0 * (-c0300 + 3 * c0210 - 3 * c0120 + c0030) + (-c0300 + 2 * c0210 - c0120 + c0021 + c0201)) / 2
    let c1011 = (g.1 * (-c0030 + 3 * c1020 - 3 * c2010 + c3000) + (-c0030 + 2 * c1020 - c2010 + c2001 + c0021)) / 2
    let c1101 = (g.2 * (-c3000 + 3 * c2100 - 3 * c1200 + c0300) + (-c3000 + 2 * c2100 - c1200 + c2001 + c0201)) / 2
    let c1002 = (c1101 + c1011 + c2001) / 3
    let c0102 = (c1101 + c0111 + c0201) / 3
    let c0012 = (c1011 + c0111 + c0021) / 3
    let c0003 = (c1002 + c0102 + c0012) / 3

    let minval = min(b.0, b.1, b.2)
    let b1 = b.0 - minval, b2 = b.1 - minval, b3 = b.2 - minval
    let b4 = 3 * minval
    var w = b1 * b1 * b1 * c3000 + 3 * b1 * b1 * b2 * c2100 + 3 * b1 * b1 * b3 * c2010
    w += 3 * b1 * b1 * b4 * c2001 + 3 * b1 * b2 * b2 * c1200
    w += 6 * b1 * b2 * b4 * c1101 + 3 * b1 * b3 * b3 * c1020 + 6 * b1 * b3 * b4 * c1011
    w += 3 * b1 * b4 * b4 * c1002 + b2 * b2 * b2 * c0300 + 3 * b2 * b2 * b3 * c0210
    w += 3 * b2 * b2 * b4 * c0201 + 3 * b2 * b3 * b3 * c0120 + 6 * b2 * b3 * b4 * c0111
    w += 3 * b2 * b4 * b4 * c0102 + b3 * b3 * b3 * c0030 + 3 * b3 * b3 * b4 * c0021
    w += 3 * b3 * b4 * b4 * c0012 + b4 * b4 * b4 * c0003
    return w
  }
}

// MARK: - Natural neighbour (Sibson)

/// Sibson's natural-neighbour interpolation: the weight of each natural neighbour v of p is the
/// area that p's Voronoi cell (after inserting p) takes from v's cell. Computed from the
/// Bowyer-Watson cavity of p: the stolen region of v is the polygon through the circumcentres of
/// the two new triangles at v and of the cavity triangles around v between them.
/// Points on the hull boundary (where the cells are unbounded) use the linear interpolant, to
/// which Sibson's reduces along the hull edges.
struct NaturalNeighbor: Sendable {
  let tri: Delaunay2D
  let values: [Double]

  func evaluate(_ t: Int, _ x: Double, _ y: Double) -> Double {
    let tv = tri.tv, tn = tri.tn, px = tri.px, py = tri.py
    for k in 0..<3 {
      let v = Int(tv[3 * t + k])
      if px[v] == x && py[v] == y { return values[v] }
    }
    func linear() -> Double {
      let b = tri.barycentric(t, x, y)
      return b.0 * values[Int(tv[3 * t])] + b.1 * values[Int(tv[3 * t + 1])] + b.2 * values[Int(tv[3 * t + 2])]
    }
    // Cavity: triangles whose circumcircle strictly contains p (connected, contains t).
    var cavity: [Int] = [t]
    var inCavity: Set<Int> = [t]
    var boundary: [(u: Int, w: Int, tri: Int)] = []
    var i = 0
    while i < cavity.count {
      let c = cavity[i]
      i += 1
      for k in 0..<3 {
        let u = Int(tv[3 * c + (k + 1) % 3]), w = Int(tv[3 * c + (k + 2) % 3])
        let nb = Int(tn[3 * c + k])
        if nb < 0 {
          // A hull edge of a cavity triangle: p on (or, within scipy's eps, beyond) the hull.
          if Predicates.orient(px[u], py[u], px[w], py[w], x, y) <= 0 { return linear() }
          boundary.append((u, w, c))
          continue
        }
        if inCavity.contains(nb) { continue }
        let a = Int(tv[3 * nb]), b = Int(tv[3 * nb + 1]), d = Int(tv[3 * nb + 2])
        if Predicates.incircle(px[a], py[a], px[b], py[b], px[d], py[d], x, y) > 0 {
          inCavity.insert(nb)
          cavity.append(nb)
        } else {
          boundary.append((u, w, c))
        }
      }
    }
    // p must be strictly inside its containing triangle's circumcircle; if it is not (p outside
    // t within eps), fall back to linear.
    if boundary.count < 3 { return linear() }
    // Circumcentres relative to p (less cancellation).
    func circumcenter(_ a: Int, _ b: Int, _ c: Int) -> (Double, Double) {
      let ax = px[a] - x, ay = py[a] - y, bx = px[b] - x, by = py[b] - y, cx = px[c] - x, cy = py[c] - y
      return circumcenterRel(ax, ay, bx, by, cx, cy)
    }
    func circumcenterRel(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> (Double, Double) {
      let d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
      let a2 = ax * ax + ay * ay, b2 = bx * bx + by * by, c2 = cx * cx + cy * cy
      return ((a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d,
              (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d)
    }
    // New triangle (u, w, p): p is the origin in relative coordinates.
    func newCenter(_ u: Int, _ w: Int) -> (Double, Double) {
      circumcenterRel(px[u] - x, py[u] - y, px[w] - x, py[w] - y, 0, 0)
    }
    var next: [Int: (w: Int, tri: Int)] = [:]
    for e in boundary { next[e.u] = (e.w, e.tri) }
    var sumW = 0.0, sumWF = 0.0
    for e in boundary {
      // Stolen area of v = e.w: between edges (u, v) and (v, w2).
      let u = e.u, v = e.w
      guard let (w2, _) = next[v] else { return linear() }
      var poly: [(Double, Double)] = [newCenter(u, v)]
      var c = e.tri
      var guardSteps = 0
      while true {
        poly.append(circumcenter(Int(tv[3 * c]), Int(tv[3 * c + 1]), Int(tv[3 * c + 2])))
        var iv = 0
        while Int(tv[3 * c + iv]) != v { iv += 1 }
        let outgoing = Int(tv[3 * c + (iv + 1) % 3])
        if outgoing == w2 { break }
        c = Int(tn[3 * c + (iv + 2) % 3])
        guardSteps += 1
        if c < 0 || guardSteps > cavity.count { return linear() }
      }
      poly.append(newCenter(v, w2))
      var area = 0.0
      for k in 0..<poly.count {
        let p0 = poly[k], p1 = poly[(k + 1) % poly.count]
        area += p0.0 * p1.1 - p1.0 * p0.1
      }
      area = abs(area) / 2
      sumW += area
      sumWF += area * values[v]
    }
    return sumWF / sumW
  }
}
