// Delaunay triangulation of scattered 2D points: incremental Bowyer-Watson with ghost triangles
// (Shewchuk's formulation, so no super-triangle and an exact convex hull), insertion in Hilbert
// order, walking point location, exact orientation / incircle predicates (Predicates.swift).
import Foundation

public enum InterpolationMethod: String, Sendable, CaseIterable {
  case linear, cubic, naturalNeighbor = "natural"
}

public struct InterpolationError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Delaunay triangulation of the distinct input points.
///
/// Duplicates: points with exactly equal coordinates are merged; the FIRST occurrence (lowest
/// input index) is the vertex and its value is the one used by the interpolators. scipy (Qhull)
/// also merges exact duplicates, but which copy it keeps is arbitrary (it depends on Qhull's
/// processing order; both the first and later copies are observed), so for duplicates with
/// different values our result can differ from scipy's at and around those points.
///
/// Co-circular points (e.g. a regular grid): every triangulation produced is a valid Delaunay
/// triangulation (no vertex strictly inside any circumcircle, decided exactly), but the choice
/// among equally valid ones is not specified and need not equal Qhull's.
public struct Delaunay2D: Sendable {
  let px: [Double]
  let py: [Double]
  /// 3 vertex indices per triangle, counter-clockwise.
  let tv: [Int32]
  /// 3 neighbours per triangle: tn[3t+k] is across the edge opposite vertex k; -1 on the hull.
  let tn: [Int32]
  /// For each input index, the vertex index used for it (itself, or its first duplicate).
  let representative: [Int32]
  public let pointCount: Int

  public var triangles: [(Int32, Int32, Int32)] {
    (0..<(tv.count / 3)).map { (tv[3 * $0], tv[3 * $0 + 1], tv[3 * $0 + 2]) }
  }

  var triangleCount: Int { tv.count / 3 }

  public init(x: [Double], y: [Double]) throws {
    guard x.count == y.count else {
      throw InterpolationError("x and y must have the same length, got \(x.count) and \(y.count)")
    }
    for i in 0..<x.count where !x[i].isFinite || !y[i].isFinite {
      throw InterpolationError("point \(i) has a non-finite coordinate (\(x[i]), \(y[i]))")
    }
    px = x
    py = y
    var builder = Builder(x: x, y: y)
    try builder.build()
    (tv, tn) = builder.compact()
    representative = builder.representative
    pointCount = builder.distinctCount
  }

  // MARK: - Point location

  /// The triangle containing (x, y) and its barycentric coordinates (b0 + b1 + b2 == 1, for the
  /// vertices in `triangles[triangle]` order); nil outside the convex hull. Points on the hull
  /// boundary are inside, and (like scipy's `find_simplex`) so are points outside by at most
  /// 100 ulp in barycentric coordinates.
  public func locate(_ x: Double, _ y: Double) -> (triangle: Int, b0: Double, b1: Double, b2: Double)? {
    var hint = 0
    guard let t = locate(x, y, hint: &hint) else { return nil }
    let b = barycentric(t, x, y)
    return (t, b.0, b.1, b.2)
  }

  /// Barycentric coordinates computed the way scipy does (the inverse of
  /// [[x0-x2, x1-x2], [y0-y2, y1-y2]] applied to p - v2), so that values match to rounding.
  @inline(__always)
  func barycentric(_ t: Int, _ x: Double, _ y: Double) -> (Double, Double, Double) {
    let a = Int(tv[3 * t]), b = Int(tv[3 * t + 1]), c = Int(tv[3 * t + 2])
    let t00 = px[a] - px[c], t01 = px[b] - px[c]
    let t10 = py[a] - py[c], t11 = py[b] - py[c]
    let det = t00 * t11 - t01 * t10
    let i00 = t11 / det, i01 = -t01 / det, i10 = -t10 / det, i11 = t00 / det
    let dx = x - px[c], dy = y - py[c]
    let b0 = i00 * dx + i01 * dy
    let b1 = i10 * dx + i11 * dy
    return (b0, b1, 1 - b0 - b1)
  }

  /// Walks from `hint` (updated to the result, or to the last triangle visited) to the triangle
  /// containing (x, y); nil outside the hull.
  func locate(_ x: Double, _ y: Double, hint: inout Int) -> Int? {
    if tv.isEmpty { return nil }
    var t = (hint >= 0 && hint < triangleCount) ? hint : 0
    var rng = UInt32(truncatingIfNeeded: t &* 2_654_435_761) | 1
    var steps = 0
    walk: while true {
      steps += 1
      if steps > 4 * triangleCount + 16 { break }  // cannot happen in a Delaunay triangulation
      rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5
      let start = Int(rng % 3)
      for j in 0..<3 {
        let k = (start + j) % 3
        // Edge opposite vertex k: from v[k+1] to v[k+2].
        let a = Int(tv[3 * t + (k + 1) % 3]), b = Int(tv[3 * t + (k + 2) % 3])
        if Predicates.orient(px[a], py[a], px[b], py[b], x, y) < 0 {
          let n = Int(tn[3 * t + k])
          if n < 0 {
            hint = t
            return nearHull(x, y, t)
          }
          t = n
          continue walk
        }
      }
      hint = t
      return t
    }
    // Fallback (never expected): brute force.
    for s in 0..<triangleCount {
      let b = barycentric(s, x, y)
      if b.0 >= 0 && b.1 >= 0 && b.2 >= 0 { hint = s; return s }
    }
    return nil
  }

  static let scipyEps = 100 * Double.ulpOfOne

  /// scipy treats points within eps (in barycentric coordinates) of a hull triangle as inside.
  func nearHull(_ x: Double, _ y: Double, _ t: Int) -> Int? {
    let eps = Delaunay2D.scipyEps
    let b = barycentric(t, x, y)
    if b.0 >= -eps && b.1 >= -eps && b.2 >= -eps && b.0 <= 1 + eps && b.1 <= 1 + eps && b.2 <= 1 + eps {
      return t
    }
    // The neighbours of t that touch the hull too (the walk may exit near a hull vertex).
    for k in 0..<3 {
      let n = Int(tn[3 * t + k])
      guard n >= 0, tn[3 * n] < 0 || tn[3 * n + 1] < 0 || tn[3 * n + 2] < 0 else { continue }
      let c = barycentric(n, x, y)
      if c.0 >= -eps && c.1 >= -eps && c.2 >= -eps && c.0 <= 1 + eps && c.1 <= 1 + eps && c.2 <= 1 + eps {
        return n
      }
    }
    return nil
  }

  /// Vertex neighbours (edges of the triangulation) in CSR form, for the gradient estimation.
  func vertexNeighbors() -> (indptr: [Int], indices: [Int32]) {
    let n = px.count
    var deg = [Int](repeating: 0, count: n + 1)
    let tc = triangleCount
    // Each edge appears once per adjacent triangle; count it from the triangle with the larger
    // index (or the only one, on the hull).
    for t in 0..<tc {
      for k in 0..<3 {
        let nb = Int(tn[3 * t + k])
        if nb >= 0 && nb < t { continue }
        let a = Int(tv[3 * t + (k + 1) % 3]), b = Int(tv[3 * t + (k + 2) % 3])
        deg[a + 1] += 1
        deg[b + 1] += 1
      }
    }
    for i in 0..<n { deg[i + 1] += deg[i] }
    var fill = deg
    var idx = [Int32](repeating: 0, count: deg[n])
    for t in 0..<tc {
      for k in 0..<3 {
        let nb = Int(tn[3 * t + k])
        if nb >= 0 && nb < t { continue }
        let a = Int(tv[3 * t + (k + 1) % 3]), b = Int(tv[3 * t + (k + 2) % 3])
        idx[fill[a]] = Int32(b); fill[a] += 1
        idx[fill[b]] = Int32(a); fill[b] += 1
      }
    }
    return (deg, idx)
  }
}

// MARK: - Construction

/// Mutable Bowyer-Watson state (a struct, so array accesses need no dynamic exclusivity checks). Vertex index `ghost` (== -1) is the vertex at infinity; a ghost
/// triangle (u, w, ghost) (in any rotation) stands for the outer half-plane left of u -> w.
struct Builder {
  static let ghost: Int32 = -1
  let x: [Double]
  let y: [Double]
  var tv: [Int32] = []
  var tn: [Int32] = []
  var alive: [Bool] = []
  var free: [Int32] = []
  var representative: [Int32]
  var distinctCount = 0

  // Scratch for one insertion.
  var cavity: [Int32] = []
  var mark: [UInt32] = []  // triangle -> insertion stamp when in the cavity / tested
  var inCavity: [Bool] = []
  var stamp: UInt32 = 0
  var stack: [Int32] = []
  var boundary: [(Int32, Int32, Int32)] = []  // (u, w, outside neighbour)
  var startTri: [Int32]  // vertex (+1, so the ghost is 0) -> new triangle whose boundary edge starts there
  var newTris: [Int32] = []

  init(x: [Double], y: [Double]) {
    self.x = x
    self.y = y
    representative = (0..<x.count).map { Int32($0) }
    startTri = [Int32](repeating: -1, count: x.count + 1)
  }

  mutating func build() throws {
    let n = x.count
    let order = hilbertOrder()
    // Initial triangle: the first point, the next distinct one, the next not collinear.
    guard n > 0 else { throw InterpolationError("need at least 3 distinct points, got 0") }
    let i0 = order[0]
    var i1 = -1
    var p1 = 0
    for j in 1..<max(n, 1) where x[order[j]] != x[i0] || y[order[j]] != y[i0] {
      i1 = order[j]; p1 = j; break
    }
    if i1 < 0 { throw InterpolationError("need at least 3 distinct points, got 1") }
    var i2 = -1
    var p2 = 0
    for j in (p1 + 1)..<max(n, p1 + 1) {
      let k = order[j]
      if Predicates.orient(x[i0], y[i0], x[i1], y[i1], x[k], y[k]) != 0 { i2 = k; p2 = j; break }
    }
    if i2 < 0 {
      let distinct = Set((0..<n).map { SIMD2(x[$0], y[$0]) }).count
      if distinct < 3 { throw InterpolationError("need at least 3 distinct points, got \(distinct)") }
      throw InterpolationError("all points are collinear (\(distinct) distinct points on one line)")
    }
    var a = Int32(i0), b = Int32(i1), c = Int32(i2)
    if Predicates.orient(x[i0], y[i0], x[i1], y[i1], x[i2], y[i2]) < 0 { swap(&b, &c) }
    let g = Builder.ghost
    // t0 = (a,b,c); ghosts across (b,c), (c,a), (a,b).
    tv = [a, b, c, c, b, g, a, c, g, b, a, g]
    tn = [Int32](repeating: -1, count: 12)
    alive = [true, true, true, true]
    mark = [0, 0, 0, 0]
    inCavity = [false, false, false, false]
    for t in 0..<4 { for s in 0..<4 where s != t { linkIfShared(t, s) } }
    distinctCount = 3

    var hint: Int32 = 0
    for j in 0..<n where j != 0 && j != p1 && j != p2 {
      insert(order[j], hint: &hint)
    }
  }

  private mutating func linkIfShared(_ t: Int, _ s: Int) {
    for k in 0..<3 {
      let a = tv[3 * t + (k + 1) % 3], b = tv[3 * t + (k + 2) % 3]
      for m in 0..<3 where tv[3 * s + (m + 1) % 3] == b && tv[3 * s + (m + 2) % 3] == a {
        tn[3 * t + k] = Int32(s)
      }
    }
  }

  /// Indices sorted along a Hilbert curve over the bounding box (ties: lower index first, so
  /// that the first of several duplicates is inserted first and kept).
  func hilbertOrder() -> [Int] {
    let n = x.count
    guard n > 0 else { return [] }
    let minX = x.min()!, maxX = x.max()!, minY = y.min()!, maxY = y.max()!
    let sx = maxX > minX ? 65535 / (maxX - minX) : 0
    let sy = maxY > minY ? 65535 / (maxY - minY) : 0
    var keys = [UInt64](repeating: 0, count: n)
    for i in 0..<n {
      let hx = UInt32(max(0, min(65535, ((x[i] - minX) * sx).rounded(.down))))
      let hy = UInt32(max(0, min(65535, ((y[i] - minY) * sy).rounded(.down))))
      keys[i] = (UInt64(Builder.hilbert(hx, hy)) << 32) | UInt64(i)
    }
    keys.sort()
    return keys.map { Int($0 & 0xffff_ffff) }
  }

  static func hilbert(_ x0: UInt32, _ y0: UInt32) -> UInt32 {
    var x = x0, y = y0, d: UInt32 = 0
    var s: UInt32 = 1 << 15
    while s > 0 {
      let rx: UInt32 = (x & s) > 0 ? 1 : 0
      let ry: UInt32 = (y & s) > 0 ? 1 : 0
      d += s &* s &* ((3 &* rx) ^ ry)
      if ry == 0 {
        if rx == 1 { x = 65535 &- x; y = 65535 &- y }
        swap(&x, &y)
      }
      s >>= 1
    }
    return d
  }

  @inline(__always) func isGhost(_ t: Int) -> Bool {
    tv[3 * t] < 0 || tv[3 * t + 1] < 0 || tv[3 * t + 2] < 0
  }

  /// Whether p conflicts with triangle t: strictly inside the circumcircle of a real triangle;
  /// for a ghost, strictly in its outer half-plane or on the open hull edge.
  @inline(__always) func conflicts(_ t: Int, _ p: Int) -> Bool {
    let a = Int(tv[3 * t]), b = Int(tv[3 * t + 1]), c = Int(tv[3 * t + 2])
    let qx = x[p], qy = y[p]
    if a >= 0 && b >= 0 && c >= 0 {
      return Predicates.incircle(x[a], y[a], x[b], y[b], x[c], y[c], qx, qy) > 0
    }
    let (u, w) = a < 0 ? (b, c) : (b < 0 ? (c, a) : (a, b))
    let o = Predicates.orient(x[u], y[u], x[w], y[w], qx, qy)
    if o > 0 { return true }
    if o < 0 { return false }
    // Collinear: conflict iff p lies strictly between u and w.
    let d1 = (qx - x[u]) * (x[w] - x[u]) + (qy - y[u]) * (y[w] - y[u])
    let d2 = (qx - x[w]) * (x[u] - x[w]) + (qy - y[w]) * (y[u] - y[w])
    // p is exactly on the line through u and w, so the signs of these dot products are reliable
    // unless p is (nearly) at an endpoint; exact equality with an endpoint is a duplicate and
    // is caught before.
    return d1 > 0 && d2 > 0
  }

  /// Walk to a triangle in conflict with p: a real triangle containing p, or a ghost whose outer
  /// half-plane strictly contains p.
  func locate(_ p: Int, from start: Int32) -> Int {
    var t = Int(start)
    if isGhost(t) {
      for k in 0..<3 where tv[3 * t + k] < 0 { t = Int(tn[3 * t + k]) }
    }
    let qx = x[p], qy = y[p]
    var rng = UInt32(truncatingIfNeeded: p &* 2_654_435_761) | 1
    walk: while true {
      if isGhost(t) { return t }
      rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5
      let s = Int(rng % 3)
      for j in 0..<3 {
        let k = (s + j) % 3
        let a = Int(tv[3 * t + (k + 1) % 3]), b = Int(tv[3 * t + (k + 2) % 3])
        if Predicates.orient(x[a], y[a], x[b], y[b], qx, qy) < 0 {
          t = Int(tn[3 * t + k])
          continue walk
        }
      }
      return t
    }
  }

  mutating func newTriangle() -> Int {
    if let f = free.popLast() {
      alive[Int(f)] = true
      return Int(f)
    }
    tv.append(0); tv.append(0); tv.append(0)
    tn.append(-1); tn.append(-1); tn.append(-1)
    alive.append(true)
    mark.append(0)
    inCavity.append(false)
    return alive.count - 1
  }

  mutating func insert(_ p: Int, hint: inout Int32) {
    let t0 = locate(p, from: hint)
    if !isGhost(t0) {
      for k in 0..<3 {
        let v = Int(tv[3 * t0 + k])
        if x[v] == x[p] && y[v] == y[p] {
          representative[p] = Int32(v)
          return
        }
      }
    }
    distinctCount += 1
    // Grow the cavity by depth-first search over conflicting triangles.
    cavity.removeAll(keepingCapacity: true)
    boundary.removeAll(keepingCapacity: true)
    stamp &+= 1
    if stamp == 0 {
      for i in mark.indices { mark[i] = 0 }
      stamp = 1
    }
    stack.removeAll(keepingCapacity: true)
    stack.append(Int32(t0))
    mark[t0] = stamp
    inCavity[t0] = true
    while let t32 = stack.popLast() {
      let t = Int(t32)
      cavity.append(t32)
      for k in 0..<3 {
        let nb = Int(tn[3 * t + k])
        if mark[nb] != stamp {
          mark[nb] = stamp
          if conflicts(nb, p) {
            inCavity[nb] = true
            stack.append(Int32(nb))
            continue
          }
          inCavity[nb] = false
        }
        if !inCavity[nb] {
          boundary.append((tv[3 * t + (k + 1) % 3], tv[3 * t + (k + 2) % 3], Int32(nb)))
        }
      }
    }
    for t in cavity {
      alive[Int(t)] = false
      inCavity[Int(t)] = false
      free.append(t)
    }
    // One new triangle (u, w, p) per boundary edge.
    newTris.removeAll(keepingCapacity: true)
    let pv = Int32(p)
    for (u, w, nb) in boundary {
      let t = newTriangle()
      tv[3 * t] = u; tv[3 * t + 1] = w; tv[3 * t + 2] = pv
      tn[3 * t + 2] = nb
      // Re-point the outside neighbour's edge (w, u) to t.
      let nbi = Int(nb)
      for m in 0..<3 where tv[3 * nbi + (m + 1) % 3] == w && tv[3 * nbi + (m + 2) % 3] == u {
        tn[3 * nbi + m] = Int32(t)
      }
      startTri[Int(u) + 1] = Int32(t)
      newTris.append(Int32(t))
    }
    for t32 in newTris {
      let t = Int(t32)
      let w = Int(tv[3 * t + 1])
      let s = Int(startTri[w + 1])
      tn[3 * t] = Int32(s)  // across (w, p)
      tn[3 * s + 1] = t32  // s = (w, x, p): across (p, w)
    }
    for t32 in newTris { startTri[Int(tv[3 * Int(t32)]) + 1] = -1 }
    // Next walk starts at a real new triangle.
    hint = newTris.first { !isGhost(Int($0)) } ?? newTris[0]
  }

  /// Real triangles renumbered contiguously; hull neighbours -1.
  func compact() -> ([Int32], [Int32]) {
    var newIndex = [Int32](repeating: -1, count: alive.count)
    var count: Int32 = 0
    for t in 0..<alive.count where alive[t] && !isGhost(t) {
      newIndex[t] = count
      count += 1
    }
    var v = [Int32](repeating: 0, count: Int(count) * 3)
    var nn = [Int32](repeating: -1, count: Int(count) * 3)
    for t in 0..<alive.count where newIndex[t] >= 0 {
      let i = Int(newIndex[t])
      for k in 0..<3 {
        v[3 * i + k] = tv[3 * t + k]
        nn[3 * i + k] = newIndex[Int(tn[3 * t + k])]
      }
    }
    return (v, nn)
  }
}
