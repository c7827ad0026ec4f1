import Foundation

/// Orthogonal Procrustes: the rotation (or reflection) that best maps one point set onto
/// another, used to keep the snapshots of an embedding from flipping or spinning between frames.
public enum Procrustes {
  /// scipy's `orthogonal_procrustes(A, B)`: the orthogonal cols x cols matrix R minimising
  /// ||A R - B|| (Frobenius), R = U V^T from the SVD U S V^T of A^T B, and the sum of the
  /// singular values (scipy's `scale`). A and B are rows x cols, row-major.
  public static func orthogonal(_ a: [Double], _ b: [Double], rows: Int, cols: Int) throws
    -> (rotation: [Double], scale: Double)
  {
    guard rows >= 1, cols >= 1, a.count == rows * cols, b.count == rows * cols else {
      throw EmbeddingError("Procrustes needs two \(rows) x \(cols) matrices; got \(a.count) and \(b.count) values")
    }
    guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
      throw EmbeddingError("Procrustes: the point sets must be finite")
    }
    var m = [Double](repeating: 0, count: cols * cols)  // A^T B
    for r in 0..<rows {
      for i in 0..<cols {
        let ai = a[r * cols + i]
        if ai == 0 { continue }
        for j in 0..<cols { m[i * cols + j] += ai * b[r * cols + j] }
      }
    }
    let (u, s, v) = smallSVD(m, n: cols)
    var rotation = [Double](repeating: 0, count: cols * cols)
    for i in 0..<cols {
      for j in 0..<cols {
        var t = 0.0
        for k in 0..<cols { t += u[i * cols + k] * v[j * cols + k] }
        rotation[i * cols + j] = t
      }
    }
    return (rotation, s.reduce(0, +))
  }

  /// `y` (rows x cols) rotated about its centroid by the orthogonal Procrustes solution onto
  /// `reference`, then moved to the reference's centroid: same shape, the reference's pose.
  public static func align(_ y: [Double], to reference: [Double], rows: Int, cols: Int) throws
    -> [Double]
  {
    guard y.count == rows * cols, reference.count == rows * cols, rows >= 1 else {
      throw EmbeddingError("Procrustes alignment needs two \(rows) x \(cols) point sets; got \(y.count) and \(reference.count) values")
    }
    let my = centroid(y, rows: rows, cols: cols), mr = centroid(reference, rows: rows, cols: cols)
    var yc = y, rc = reference
    for r in 0..<rows {
      for c in 0..<cols {
        yc[r * cols + c] -= my[c]
        rc[r * cols + c] -= mr[c]
      }
    }
    let (rot, _) = try orthogonal(yc, rc, rows: rows, cols: cols)
    var out = [Double](repeating: 0, count: rows * cols)
    for r in 0..<rows {
      for j in 0..<cols {
        var t = mr[j]
        for i in 0..<cols { t += yc[r * cols + i] * rot[i * cols + j] }
        out[r * cols + j] = t
      }
    }
    return out
  }

  static func centroid(_ x: [Double], rows: Int, cols: Int) -> [Double] {
    var m = [Double](repeating: 0, count: cols)
    for r in 0..<rows { for c in 0..<cols { m[c] += x[r * cols + c] } }
    return m.map { $0 / Double(rows) }
  }

  /// SVD of a small square matrix by one-sided Jacobi rotations: M = U diag(s) V^T, with U and V
  /// orthogonal n x n (row-major) and s descending. Columns of U for zero singular values are
  /// completed to an orthonormal basis.
  static func smallSVD(_ m: [Double], n: Int) -> (u: [Double], s: [Double], v: [Double]) {
    var w = m  // columns are rotated into U S
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    for _ in 0..<60 {
      var rotated = false
      for p in 0..<n {
        for q in (p + 1)..<max(n, p + 1) where q < n {
          var alpha = 0.0, beta = 0.0, gamma = 0.0
          for i in 0..<n {
            alpha += w[i * n + p] * w[i * n + p]
            beta += w[i * n + q] * w[i * n + q]
            gamma += w[i * n + p] * w[i * n + q]
          }
          if abs(gamma) <= 1e-15 * (alpha * beta).squareRoot() || gamma == 0 { continue }
          rotated = true
          let zeta = (beta - alpha) / (2 * gamma)
          let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
          let c = 1 / (1 + t * t).squareRoot(), s = c * t
          for i in 0..<n {
            let wp = w[i * n + p], wq = w[i * n + q]
            w[i * n + p] = c * wp - s * wq
            w[i * n + q] = s * wp + c * wq
            let vp = v[i * n + p], vq = v[i * n + q]
            v[i * n + p] = c * vp - s * vq
            v[i * n + q] = s * vp + c * vq
          }
        }
      }
      if !rotated { break }
    }
    var sv = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + w[$1 * n + j] * w[$1 * n + j] }.squareRoot() }
    let order = (0..<n).sorted { sv[$0] > sv[$1] || (sv[$0] == sv[$1] && $0 < $1) }
    var u = [Double](repeating: 0, count: n * n)
    var vs = [Double](repeating: 0, count: n * n)
    let tiny = (sv.max() ?? 0) * 1e-13
    var basis: [[Double]] = []
    for (k, j) in order.enumerated() {
      for i in 0..<n { vs[i * n + k] = v[i * n + j] }
      if sv[j] > tiny {
        let col = (0..<n).map { w[$0 * n + j] / sv[j] }
        basis.append(col)
      }
    }
    // Complete U with unit vectors orthogonalised against the columns found so far.
    var e = 0
    while basis.count < n && e < n {
      var col = [Double](repeating: 0, count: n)
      col[e] = 1
      for _ in 0..<2 {
        for bcol in basis {
          let d = zip(bcol, col).reduce(0) { $0 + $1.0 * $1.1 }
          for i in 0..<n { col[i] -= d * bcol[i] }
        }
      }
      let norm = col.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 1e-8 { basis.append(col.map { $0 / norm }) }
      e += 1
    }
    for (k, col) in basis.enumerated() { for i in 0..<n { u[i * n + k] = col[i] } }
    sv = order.map { sv[$0] }
    for k in 0..<n where sv[k] <= tiny { sv[k] = 0 }
    return (u, sv, vs)
  }
}
