import Foundation

/// The exact t-SNE objective and gradient (sklearn's formulas with dof = max(dims - 1, 1)).
///
/// Repulsion is an all-pairs sum evaluated in Float SIMD8 lanes over structure-of-arrays
/// coordinates, rows split over the cores; each row's sums go to Double before they are
/// combined, so the Float error stays per-row (about 1e-6 relative). Attraction runs over the
/// sparse P in Double.
struct Objective {
  let p: SparseP
  let n: Int
  let dims: Int
  let dof: Double
  /// Padded length: a multiple of 8; padding points sit far away (weight underflows to 0).
  let padded: Int
  var coords: [Float]  // 3 * padded: x..., y..., z...
  var rowSum: [Double]  // per row: sum_j w_ij (self included)
  var repulsion: [Double]  // n * dims: sum_j w_ij^2 (y_i - y_j)
  var attraction: [Double]  // n * dims
  var klTerm: [Double]  // per row, when the error is wanted

  init(p: SparseP, rows: Int, dims: Int) {
    self.p = p
    n = rows
    self.dims = dims
    dof = Double(max(dims - 1, 1))
    padded = (rows + 7) / 8 * 8
    coords = [Float](repeating: 1e15, count: 3 * padded)
    rowSum = [Double](repeating: 0, count: rows)
    repulsion = [Double](repeating: 0, count: rows * dims)
    attraction = [Double](repeating: 0, count: rows * dims)
    klTerm = [Double](repeating: 0, count: rows)
  }

  /// Writes the gradient of KL(P * exaggeration || Q) into `grad`; returns the KL divergence
  /// when `computeError` (else 0).
  @_optimize(speed)
  mutating func gradient(
    _ y: [Double], into grad: inout [Double], exaggeration: Double, computeError: Bool
  ) -> Double {
    let n = n, dims = dims, padded = padded, dof = dof
    for i in 0..<n {
      for d in 0..<3 { coords[d * padded + i] = d < dims ? Float(y[i * dims + d]) : 0 }
    }
    coords.withUnsafeBufferPointer { cp in
      rowSum.withUnsafeMutableBufferPointer { sp in
        repulsion.withUnsafeMutableBufferPointer { rp in
          let cb = SharedPointer(cp.baseAddress!), sb = SharedPointer(sp.baseAddress!)
          let rb = SharedPointer(rp.baseAddress!)
          DataParallel.forEachChunk(n, minChunk: 8) { range in
            if dof == 1 {
              Objective.repulse(range, cb.base, padded, dims, sb.base, rb.base, studentDof2: false)
            } else {
              Objective.repulse(range, cb.base, padded, dims, sb.base, rb.base, studentDof2: true)
            }
          }
        }
      }
    }
    var z = 0.0
    for i in 0..<n { z += rowSum[i] }
    z -= Double(n)  // the self pairs, weight exactly 1
    z = max(z, Double.leastNormalMagnitude)
    let p = p, total = z
    y.withUnsafeBufferPointer { yp in
      attraction.withUnsafeMutableBufferPointer { ap in
        klTerm.withUnsafeMutableBufferPointer { kp in
          let yb = SharedPointer(yp.baseAddress!), ab = SharedPointer(ap.baseAddress!)
          let kb = SharedPointer(kp.baseAddress!)
          DataParallel.forEachChunk(n, minChunk: 32) { range in
            Objective.attract(
              range, p, UnsafePointer(yb.base), dims, dof, exaggeration, total, computeError, ab.base, kb.base)
          }
        }
      }
    }
    let c = 2 * (dof + 1) / dof
    for t in 0..<(n * dims) { grad[t] = c * (attraction[t] - repulsion[t] / z) }
    return computeError ? klTerm.reduce(0, +) : 0
  }

  /// Rows `range`: sum_j p_ij w_ij (y_i - y_j) over the sparse P, and the KL terms if wanted.
  @_optimize(speed)
  static func attract(
    _ range: Range<Int>, _ p: SparseP, _ yb: UnsafePointer<Double>, _ dims: Int, _ dof: Double,
    _ exaggeration: Double, _ z: Double, _ computeError: Bool,
    _ ab: UnsafeMutablePointer<Double>, _ kb: UnsafeMutablePointer<Double>
  ) {
    let exponent = (dof + 1) / 2
    for i in range {
      var acc = (0.0, 0.0, 0.0)
      var kl = 0.0
      for t in p.start[i]..<p.start[i + 1] {
        let j = Int(p.column[t])
        let pij = p.value[t] * exaggeration
        var d2 = 0.0
        var diff = (0.0, 0.0, 0.0)
        diff.0 = yb[i * dims] - yb[j * dims]
        d2 += diff.0 * diff.0
        if dims > 1 { diff.1 = yb[i * dims + 1] - yb[j * dims + 1]; d2 += diff.1 * diff.1 }
        if dims > 2 { diff.2 = yb[i * dims + 2] - yb[j * dims + 2]; d2 += diff.2 * diff.2 }
        var w = dof / (dof + d2)
        if dof == 2 { w *= w.squareRoot() } else if dof != 1 { w = Foundation.pow(w, exponent) }
        let f = pij * w
        acc.0 += f * diff.0
        acc.1 += f * diff.1
        acc.2 += f * diff.2
        if computeError {
          let tiny = Double(Float.leastNormalMagnitude)
          kl += pij * Foundation.log(max(pij, tiny) / max(w / z, tiny))
        }
      }
      ab[i * dims] = acc.0
      if dims > 1 { ab[i * dims + 1] = acc.1 }
      if dims > 2 { ab[i * dims + 2] = acc.2 }
      kb[i] = kl
    }
  }

  /// Rows `range`: sum_j w_ij and sum_j w_ij^2 (y_i - y_j) over all j (self included, which
  /// adds exactly 1 to the weight sum and nothing to the force).
  @_optimize(speed)
  static func repulse(
    _ range: Range<Int>, _ coords: UnsafePointer<Float>, _ padded: Int, _ dims: Int,
    _ rowSum: UnsafeMutablePointer<Double>, _ repulsion: UnsafeMutablePointer<Double>,
    studentDof2: Bool
  ) {
    let xs = UnsafeRawPointer(coords), ys = UnsafeRawPointer(coords + padded)
    let zs = UnsafeRawPointer(coords + 2 * padded)
    let one = SIMD8<Float>(repeating: 1), two = SIMD8<Float>(repeating: 2)
    for i in range {
      let xi = SIMD8<Float>(repeating: coords[i])
      let yi = SIMD8<Float>(repeating: coords[padded + i])
      let zi = SIMD8<Float>(repeating: coords[2 * padded + i])
      var sw = SIMD8<Float>(), rx = SIMD8<Float>(), ry = SIMD8<Float>(), rz = SIMD8<Float>()
      var off = 0
      let end = padded * 4
      while off < end {
        let dx = xi - xs.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
        let dy = yi - ys.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
        let dz = zi - zs.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
        let d2 = dx * dx + dy * dy + dz * dz
        let w: SIMD8<Float>
        if studentDof2 {
          let t = two / (two + d2)
          w = t * t.squareRoot()
        } else {
          w = one / (one + d2)
        }
        sw += w
        let w2 = w * w
        rx += w2 * dx
        ry += w2 * dy
        rz += w2 * dz
        off += 32
      }
      rowSum[i] = Double(sw.sum())
      repulsion[i * dims] = Double(rx.sum())
      if dims > 1 { repulsion[i * dims + 1] = Double(ry.sum()) }
      if dims > 2 { repulsion[i * dims + 2] = Double(rz.sum()) }
    }
  }
}
