import Foundation

/// The first `k` principal components of a data matrix.
public struct PCAResult: Sendable {
  /// The centred data projected onto the components: rows x k, row-major.
  public var projected: [Double]
  /// The components (unit vectors, orthogonal): k x cols, row-major, by decreasing variance.
  /// Sign convention: the entry of largest magnitude in each component is positive (the first
  /// such entry if several tie), so the result does not depend on the solver's arbitrary signs.
  public var components: [Double]
  /// Each component's share of the total variance (as sklearn's `explained_variance_ratio_`).
  public var explainedVarianceRatio: [Double]
  /// The column means that were subtracted: cols values.
  public var mean: [Double]
}

/// Principal component analysis: the top right singular vectors of the centred data.
///
/// The smaller of the covariance (cols x cols) and Gram (rows x rows) matrices is formed,
/// then its top eigenvectors are found by block subspace iteration with Rayleigh-Ritz steps
/// until the eigen-residual of every wanted component is at round-off level (a problem of at
/// most 64 dimensions is solved directly by Jacobi). When both sides exceed 3000 the covariance
/// is applied implicitly (two products with the data per step) rather than formed.
public enum PCA {
  public static func fit(_ data: [Double], rows: Int, cols: Int, components k: Int = 3) throws
    -> PCAResult
  {
    try validateMatrix(data, rows: rows, cols: cols, what: "PCA")
    guard rows >= 2 else {
      throw EmbeddingError("PCA needs at least 2 rows (points); got \(rows)")
    }
    guard k >= 1, k <= min(rows, cols) else {
      throw EmbeddingError(
        "PCA of a \(rows) x \(cols) matrix can have 1...\(min(rows, cols)) components; \(k) were asked for")
    }
    // Centre.
    var mean = [Double](repeating: 0, count: cols)
    for r in 0..<rows { for c in 0..<cols { mean[c] += data[r * cols + c] } }
    for c in 0..<cols { mean[c] /= Double(rows) }
    var xc = data
    for r in 0..<rows { for c in 0..<cols { xc[r * cols + c] -= mean[c] } }
    let total = xc.reduce(0) { $0 + $1 * $1 }

    // Eigenvectors of the smaller cross-product matrix, or of the implicit covariance.
    let gram = rows < cols
    let small = min(rows, cols)
    let explicit = small <= 3000
    let m = explicit ? small : cols
    let apply: ([Double], Int) -> [Double]
    if explicit {
      let matrix = gram ? crossProduct(transpose(xc, rows: rows, cols: cols), rows: cols, cols: rows)
        : crossProduct(xc, rows: rows, cols: cols)
      apply = { q, p in multiply(matrix, q, n: m, p: p) }
    } else {
      apply = { q, p in
        let w = multiplyRect(xc, q, rows: rows, inner: cols, p: p)  // Xc Q: rows x p
        return multiplyTransposed(xc, w, rows: rows, cols: cols, p: p)  // Xc^T W: cols x p
      }
    }
    let vectors = topEigenvectors(apply: apply, n: m, k: k)  // m x k, column j = vector j

    // Components in column space, unit length, sign-normalised.
    var components = [Double](repeating: 0, count: k * cols)
    for j in 0..<k {
      var v = [Double](repeating: 0, count: cols)
      if explicit && gram {
        for r in 0..<rows {
          let u = vectors[r * k + j]
          if u == 0 { continue }
          for c in 0..<cols { v[c] += u * xc[r * cols + c] }
        }
      } else {
        for c in 0..<cols { v[c] = vectors[c * k + j] }
      }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if norm > 0 { for c in 0..<cols { v[c] /= norm } }
      var big = 0
      for c in 1..<max(cols, 1) where abs(v[c]) > abs(v[big]) { big = c }
      if v[big] < 0 { for c in 0..<cols { v[c] = -v[c] } }
      for c in 0..<cols { components[j * cols + c] = v[c] }
    }

    // Projection, and the variance along each component.
    var projected = [Double](repeating: 0, count: rows * k)
    var ratio = [Double](repeating: 0, count: k)
    for r in 0..<rows {
      for j in 0..<k {
        var s = 0.0
        for c in 0..<cols { s += xc[r * cols + c] * components[j * cols + c] }
        projected[r * k + j] = s
        ratio[j] += s * s
      }
    }
    for j in 0..<k { ratio[j] = total > 0 ? ratio[j] / total : 0 }
    return PCAResult(
      projected: projected, components: components, explainedVarianceRatio: ratio, mean: mean)
  }

  /// Top-k eigenvectors of the symmetric positive semi-definite operator `apply` (n x n, applied
  /// to an n x p block) by subspace iteration with Rayleigh-Ritz. Returns n x k, row-major.
  static func topEigenvectors(apply: ([Double], Int) -> [Double], n: Int, k: Int) -> [Double] {
    let p = n <= 64 ? n : min(n, max(2 * k, k + 16))
    var q = [Double](repeating: 0, count: n * p)
    if p == n {
      for i in 0..<n { q[i * p + i] = 1 }
    } else {
      var rng = SplitMix64(seed: 0x5EED_0F_9CA)
      for i in 0..<q.count { q[i] = rng.normal() }
      orthonormalizeColumns(&q, n: n, p: p)
    }
    var best = [Double](repeating: 0, count: n * k)
    for iteration in 0..<400 {
      let z = apply(q, p)  // A Q
      // H = Q^T A Q, symmetrised.
      var h = [Double](repeating: 0, count: p * p)
      for i in 0..<n {
        for a in 0..<p {
          let qa = q[i * p + a]
          if qa == 0 { continue }
          for b in 0..<p { h[a * p + b] += qa * z[i * p + b] }
        }
      }
      for a in 0..<p {
        for b in (a + 1)..<max(p, a + 1) where b < p {
          let s = 0.5 * (h[a * p + b] + h[b * p + a])
          h[a * p + b] = s
          h[b * p + a] = s
        }
      }
      let (values, s) = symmetricEigen(h, n: p)
      // Ritz vectors V = Q S and A V = Z S.
      var v = [Double](repeating: 0, count: n * p)
      var av = [Double](repeating: 0, count: n * p)
      for i in 0..<n {
        for a in 0..<p {
          let qa = q[i * p + a], za = z[i * p + a]
          for b in 0..<p {
            let sab = s[a * p + b]
            v[i * p + b] += qa * sab
            av[i * p + b] += za * sab
          }
        }
      }
      var worst = 0.0
      for j in 0..<k {
        var r2 = 0.0
        for i in 0..<n {
          let d = av[i * p + j] - values[j] * v[i * p + j]
          r2 += d * d
        }
        worst = max(worst, r2.squareRoot())
      }
      for i in 0..<n { for j in 0..<k { best[i * k + j] = v[i * p + j] } }
      let scale = max(abs(values[0]), .leastNormalMagnitude)
      if p == n || worst <= 1e-13 * scale || iteration == 399 { break }
      q = av
      orthonormalizeColumns(&q, n: n, p: p)
    }
    return best
  }
}

/// x^T x for a rows x cols row-major x: cols x cols. The columns are transposed into
/// contiguous rows, then 2 x 4 blocks of dot products are accumulated in registers (SIMD2
/// lanes over the rows), one pair of columns per task on all cores.
func crossProduct(_ x: [Double], rows: Int, cols: Int) -> [Double] {
  let stride = (rows + 1) / 2 * 2
  var xt = [Double](repeating: 0, count: (cols + 4) * stride)  // 4 spare zero rows: padding
  for r in 0..<rows { for c in 0..<cols { xt[c * stride + r] = x[r * cols + c] } }
  var out = [Double](repeating: 0, count: cols * cols)
  let pairs = (cols + 1) / 2
  xt.withUnsafeBufferPointer { xp in
    out.withUnsafeMutableBufferPointer { op in
      let xs = SharedPointer(xp.baseAddress!), ob = SharedPointer(op.baseAddress!)
      DataParallel.forEach(pairs) { pair in
        let xb = UnsafeRawPointer(xs.base)
        let a0 = pair * 2
        let rowA0 = xb + a0 * stride * 8, rowA1 = rowA0 + stride * 8
        var b0 = a0 / 4 * 4
        while b0 < cols {
          let rb = xb + b0 * stride * 8
          var s00 = SIMD2<Double>(), s01 = SIMD2<Double>(), s02 = SIMD2<Double>(), s03 = SIMD2<Double>()
          var s10 = SIMD2<Double>(), s11 = SIMD2<Double>(), s12 = SIMD2<Double>(), s13 = SIMD2<Double>()
          var off = 0
          let end = stride * 8
          while off < end {
            let a = rowA0.loadUnaligned(fromByteOffset: off, as: SIMD2<Double>.self)
            let b = rowA1.loadUnaligned(fromByteOffset: off, as: SIMD2<Double>.self)
            let c0 = rb.loadUnaligned(fromByteOffset: off, as: SIMD2<Double>.self)
            let c1 = rb.loadUnaligned(fromByteOffset: off + end, as: SIMD2<Double>.self)
            let c2 = rb.loadUnaligned(fromByteOffset: off + 2 * end, as: SIMD2<Double>.self)
            let c3 = rb.loadUnaligned(fromByteOffset: off + 3 * end, as: SIMD2<Double>.self)
            s00 += a * c0; s01 += a * c1; s02 += a * c2; s03 += a * c3
            s10 += b * c0; s11 += b * c1; s12 += b * c2; s13 += b * c3
            off += 16
          }
          let row0 = SIMD4(s00.sum(), s01.sum(), s02.sum(), s03.sum())
          let row1 = SIMD4(s10.sum(), s11.sum(), s12.sum(), s13.sum())
          for db in 0..<4 where b0 + db < cols {
            ob[a0 * cols + b0 + db] = row0[db]
            ob[(b0 + db) * cols + a0] = row0[db]
            if a0 + 1 < cols {
              ob[(a0 + 1) * cols + b0 + db] = row1[db]
              ob[(b0 + db) * cols + a0 + 1] = row1[db]
            }
          }
          b0 += 4
        }
      }
    }
  }
  return out
}

func transpose(_ x: [Double], rows: Int, cols: Int) -> [Double] {
  var out = [Double](repeating: 0, count: x.count)
  for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = x[r * cols + c] } }
  return out
}

/// Symmetric n x n matrix times an n x p block.
func multiply(_ m: [Double], _ q: [Double], n: Int, p: Int) -> [Double] {
  multiplyRect(m, q, rows: n, inner: n, p: p)
}

/// (rows x inner) times (inner x p), row-major, parallel over rows.
func multiplyRect(_ m: [Double], _ q: [Double], rows: Int, inner: Int, p: Int) -> [Double] {
  var out = [Double](repeating: 0, count: rows * p)
  m.withUnsafeBufferPointer { mp in
    q.withUnsafeBufferPointer { qp in
      out.withUnsafeMutableBufferPointer { op in
        let mb = SharedPointer(mp.baseAddress!), qb = SharedPointer(qp.baseAddress!)
        let ob = SharedPointer(op.baseAddress!)
        DataParallel.forEachChunk(rows, minChunk: 16) { range in
          for i in range {
            let dst = ob + i * p
            let row = mb + i * inner
            for j in 0..<inner {
              let a = row[j]
              if a == 0 { continue }
              let src = qb + j * p
              for b in 0..<p { dst[b] += a * src[b] }
            }
          }
        }
      }
    }
  }
  return out
}

/// x^T w for x rows x cols and w rows x p: cols x p, parallel over column chunks.
func multiplyTransposed(_ x: [Double], _ w: [Double], rows: Int, cols: Int, p: Int) -> [Double] {
  var out = [Double](repeating: 0, count: cols * p)
  x.withUnsafeBufferPointer { xp in
    w.withUnsafeBufferPointer { wp in
      out.withUnsafeMutableBufferPointer { op in
        let xb = SharedPointer(xp.baseAddress!), wb = SharedPointer(wp.baseAddress!)
        let ob = SharedPointer(op.baseAddress!)
        DataParallel.forEachChunk(cols, minChunk: 16) { range in
          for r in 0..<rows {
            let src = wb + r * p
            for c in range {
              let a = xb[r * cols + c]
              if a == 0 { continue }
              let dst = ob + c * p
              for b in 0..<p { dst[b] += a * src[b] }
            }
          }
        }
      }
    }
  }
  return out
}

/// Modified Gram-Schmidt, twice, on the p columns of an n x p row-major block (p <= n). A
/// column that collapses (linearly dependent on the earlier ones) is replaced by the first unit
/// basis vector that is not.
func orthonormalizeColumns(_ q: inout [Double], n: Int, p: Int) {
  for j in 0..<p {
    var basis = 0
    while true {
      var before = 0.0
      for r in 0..<n { before += q[r * p + j] * q[r * p + j] }
      for _ in 0..<2 {
        for i in 0..<j {
          var d = 0.0
          for r in 0..<n { d += q[r * p + i] * q[r * p + j] }
          for r in 0..<n { q[r * p + j] -= d * q[r * p + i] }
        }
      }
      var norm = 0.0
      for r in 0..<n { norm += q[r * p + j] * q[r * p + j] }
      if norm > 1e-20 * before && norm > 0 {
        let inv = 1 / norm.squareRoot()
        for r in 0..<n { q[r * p + j] *= inv }
        break
      }
      precondition(basis < n, "orthonormalizeColumns: more columns than dimensions")
      for r in 0..<n { q[r * p + j] = r == basis ? 1 : 0 }
      basis += 1
    }
  }
}
