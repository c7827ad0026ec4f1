import Foundation

/// A symmetric tridiagonal matrix (Lanczos' T): its largest eigenvalues by bisection on Sturm
/// counts, and their unit eigenvectors by inverse iteration, each O(n).
struct Tridiagonal {
  var diagonal: [Double]
  /// n - 1 entries.
  var offDiagonal: [Double]

  var n: Int { diagonal.count }

  /// How many eigenvalues are below x (the negative pivots of the LDL^T of T - x I).
  func countBelow(_ x: Double) -> Int {
    var count = 0
    var d = 1.0
    for i in 0..<n {
      let b2 = i > 0 ? offDiagonal[i - 1] * offDiagonal[i - 1] : 0
      d = (diagonal[i] - x) - (i > 0 ? b2 / d : 0)
      if d == 0 { d = -Double.ulpOfOne * (abs(x) + 1) }
      if d < 0 { count += 1 }
    }
    return count
  }

  /// The j-th largest eigenvalue (j = 0: the largest).
  func eigenvalue(fromTop j: Int) -> Double {
    // Gershgorin bounds.
    var lo = Double.infinity, hi = -Double.infinity
    for i in 0..<n {
      let r = (i > 0 ? abs(offDiagonal[i - 1]) : 0) + (i + 1 < n ? abs(offDiagonal[i]) : 0)
      lo = min(lo, diagonal[i] - r)
      hi = max(hi, diagonal[i] + r)
    }
    let target = n - 1 - j  // eigenvalue index from the bottom
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if mid <= lo || mid >= hi { break }
      if countBelow(mid) > target { hi = mid } else { lo = mid }
      if hi - lo <= 1e-15 * max(abs(lo), abs(hi), 1e-300) { break }
    }
    return 0.5 * (lo + hi)
  }

  /// The unit eigenvectors of the k largest eigenvalues (as arrays of n), orthogonalised among
  /// themselves (close eigenvalues give nearly parallel inverse-iteration vectors).
  func topEigenvectors(_ k: Int) -> [[Double]] {
    var vectors: [[Double]] = []
    for j in 0..<min(k, n) {
      let lambda = eigenvalue(fromTop: j)
      let scale = max(abs(lambda), 1e-300)
      var x = [Double](repeating: 1, count: n)
      for (i, v) in x.enumerated() { x[i] = v + 0.01 * Double((i * 7919 + j * 104_729) % 97) / 97 }
      for _ in 0..<3 {
        x = solveShifted(lambda + 1e-10 * scale, x)
        for v in vectors {
          let d = zip(v, x).reduce(0) { $0 + $1.0 * $1.1 }
          for i in 0..<n { x[i] -= d * v[i] }
        }
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 && norm.isFinite else { break }
        x = x.map { $0 / norm }
      }
      vectors.append(x)
    }
    return vectors
  }

  /// Solves (T - shift I) x = rhs by Gaussian elimination with partial pivoting (LAPACK's
  /// dgttrf/dgtts2 for a tridiagonal matrix); a zero pivot is replaced by a tiny one.
  func solveShifted(_ shift: Double, _ rhs: [Double]) -> [Double] {
    let n = self.n
    if n == 1 {
      let d = diagonal[0] - shift
      return [rhs[0] / (d == 0 ? 1e-300 : d)]
    }
    var dl = Array(offDiagonal), d = diagonal.map { $0 - shift }, du = Array(offDiagonal)
    var du2 = [Double](repeating: 0, count: n)
    var b = rhs
    let tiny = 1e-300
    for i in 0..<(n - 1) {
      if abs(d[i]) >= abs(dl[i]) {
        if d[i] == 0 { d[i] = tiny }
        let f = dl[i] / d[i]
        dl[i] = f
        d[i + 1] -= f * du[i]
        b[i + 1] -= f * b[i]
      } else {
        let f = d[i] / dl[i]
        d[i] = dl[i]
        dl[i] = f
        let t = du[i]
        du[i] = d[i + 1]
        d[i + 1] = t - f * d[i + 1]
        if i + 1 < n - 1 {
          du2[i] = du[i + 1]
          du[i + 1] = -f * du[i + 1]
        }
        let tb = b[i]
        b[i] = b[i + 1]
        b[i + 1] = tb - f * b[i + 1]
      }
    }
    if d[n - 1] == 0 { d[n - 1] = tiny }
    var x = [Double](repeating: 0, count: n)
    x[n - 1] = b[n - 1] / d[n - 1]
    if n >= 2 { x[n - 2] = (b[n - 2] - du[n - 2] * x[n - 1]) / d[n - 2] }
    if n >= 3 {
      for i in stride(from: n - 3, through: 0, by: -1) {
        x[i] = (b[i] - du[i] * x[i + 1] - du2[i] * x[i + 2]) / d[i]
      }
    }
    return x
  }
}
