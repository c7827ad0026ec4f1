import Foundation

/// Why a PCA or t-SNE input cannot be reduced; the message says what to change.
public struct EmbeddingError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Shape and finiteness checks shared by PCA and t-SNE.
func validateMatrix(_ data: [Double], rows: Int, cols: Int, what: String) throws {
  guard rows >= 0, cols >= 1, data.count == rows * cols else {
    throw EmbeddingError(
      "\(what): \(data.count) values do not form a \(rows) x \(cols) matrix (expected \(max(rows, 0) * max(cols, 0)))")
  }
  if let bad = data.firstIndex(where: { !$0.isFinite }) {
    throw EmbeddingError(
      "\(what): the input has a non-finite value (\(data[bad])) at row \(bad / cols), column \(bad % cols); drop or impute such rows first")
  }
}

/// Eigen-decomposition of a small dense symmetric matrix (n x n, row-major) by cyclic Jacobi
/// rotations. Returns eigenvalues in descending order and the eigenvectors as the columns of
/// an n x n row-major matrix. Accurate to machine precision; O(n^3) per sweep, so keep n small
/// (PCA only uses it on its subspace-sized Rayleigh quotient).
@_optimize(speed)
func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
  var a = matrix
  var v = [Double](repeating: 0, count: n * n)
  for i in 0..<n { v[i * n + i] = 1 }
  for _ in 0..<100 {
    var off = 0.0, diag = 0.0
    for i in 0..<n {
      diag += a[i * n + i] * a[i * n + i]
      for j in (i + 1)..<max(n, i + 1) where j < n { off += a[i * n + j] * a[i * n + j] }
    }
    if off <= 1e-30 * max(diag, .leastNormalMagnitude) { break }
    for p in 0..<n {
      for q in (p + 1)..<max(n, p + 1) where q < n {
        let apq = a[p * n + q]
        if apq == 0 { continue }
        let app = a[p * n + p], aqq = a[q * n + q]
        let theta = (aqq - app) / (2 * apq)
        let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {  // columns p, q of A
          let akp = a[k * n + p], akq = a[k * n + q]
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {  // rows p, q of A
          let apk = a[p * n + k], aqk = a[q * n + k]
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for k in 0..<n {
          let vkp = v[k * n + p], vkq = v[k * n + q]
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
  var values = [Double](repeating: 0, count: n)
  var vectors = [Double](repeating: 0, count: n * n)
  for (newCol, old) in order.enumerated() {
    values[newCol] = a[old * n + old]
    for k in 0..<n { vectors[k * n + newCol] = v[k * n + old] }
  }
  return (values, vectors)
}
