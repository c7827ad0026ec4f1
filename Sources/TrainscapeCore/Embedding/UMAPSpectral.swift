import Foundation

// MARK: - Spectral initialisation

extension UMAP {
  /// The connected components of a symmetric graph: a label per vertex (0, 1, ... in order of
  /// each component's first vertex) and the count.
  static func connectedComponents(_ g: Graph) -> (labels: [Int], count: Int) {
    var labels = [Int](repeating: -1, count: g.rows)
    var count = 0
    var stack: [Int] = []
    for s in 0..<g.rows where labels[s] < 0 {
      labels[s] = count
      stack.append(s)
      while let v = stack.popLast() {
        for t in g.start[v]..<g.start[v + 1] {
          let u = Int(g.column[t])
          if labels[u] < 0 {
            labels[u] = count
            stack.append(u)
          }
        }
      }
      count += 1
    }
    return (labels, count)
  }

  /// umap-learn's `spectral_layout`: rows x dims.
  static func spectralLayout(
    _ g: Graph, data: [Double], cols: Int, dims: Int, rng: inout SplitMix64
  ) -> [Double] {
    let n = g.rows
    let (labels, count) = connectedComponents(g)
    if count == 1 {
      return componentSpectral(g, vertices: Array(0..<n), dims: dims, rng: &rng)
        ?? (0..<(n * dims)).map { _ in -10 + 20 * rng.uniform() }
    }
    // multi_component_layout: a meta-layout of the components, each component spectrally laid
    // out within half the distance to its nearest neighbour in the meta-layout.
    var members = [[Int]](repeating: [], count: count)
    for v in 0..<n { members[labels[v]].append(v) }
    let meta = componentMetaLayout(members, data: data, cols: cols, dims: dims)
    var out = [Double](repeating: 0, count: n * dims)
    for c in 0..<count {
      var nearest = Double.infinity
      for o in 0..<count where o != c {
        var d2 = 0.0
        for d in 0..<dims { d2 += (meta[c * dims + d] - meta[o * dims + d]) * (meta[c * dims + d] - meta[o * dims + d]) }
        if d2 > 0 { nearest = min(nearest, d2.squareRoot()) }
      }
      let range = nearest.isFinite ? nearest / 2 : 1
      let vs = members[c]
      var placed = false
      if vs.count >= 2 * dims && vs.count > dims + 1,
        let e = componentSpectral(g, vertices: vs, dims: dims, rng: &rng)
      {
        let m = e.map(abs).max() ?? 0
        let expansion = m > 0 ? range / m : 0
        for (i, v) in vs.enumerated() {
          for d in 0..<dims { out[v * dims + d] = e[i * dims + d] * expansion + meta[c * dims + d] }
        }
        placed = true
      }
      if !placed {
        for v in vs {
          for d in 0..<dims { out[v * dims + d] = -range + 2 * range * rng.uniform() + meta[c * dims + d] }
        }
      }
    }
    return out
  }

  /// Where the components go (umap-learn's `component_layout`): with at most 2 x dims
  /// components, +-unit vectors; else the spectral embedding of the affinity exp(-d^2) between
  /// the component centroids (scikit-learn's SpectralEmbedding), scaled to a maximum of 1.
  /// When that affinity has no off-diagonal weight (centroids far apart, common in high
  /// dimensions, where the spectral embedding is undefined) the centroids' PCA is used instead.
  static func componentMetaLayout(_ members: [[Int]], data: [Double], cols: Int, dims: Int) -> [Double] {
    let count = members.count
    if count <= 2 * dims {
      let k = (count + 1) / 2
      var out = [Double](repeating: 0, count: count * dims)
      for c in 0..<count {
        let axis = c % k
        if axis < dims { out[c * dims + axis] = c < k ? 1 : -1 }
      }
      return out
    }
    var centroids = [Double](repeating: 0, count: count * cols)
    for (c, vs) in members.enumerated() {
      for v in vs { for j in 0..<cols { centroids[c * cols + j] += data[v * cols + j] } }
      for j in 0..<cols { centroids[c * cols + j] /= Double(vs.count) }
    }
    var affinity = [Double](repeating: 0, count: count * count)
    var offDiagonal = 0.0
    for a in 0..<count {
      for b in 0..<count {
        var d2 = 0.0
        for j in 0..<cols { let t = centroids[a * cols + j] - centroids[b * cols + j]; d2 += t * t }
        affinity[a * count + b] = Foundation.exp(-d2)
        if a != b { offDiagonal = max(offDiagonal, affinity[a * count + b]) }
      }
    }
    var out = [Double](repeating: 0, count: count * dims)
    if offDiagonal > 1e-12 {
      // Normalised Laplacian of the affinity; eigenvectors for the smallest eigenvalues,
      // divided by sqrt(degree), sign so the largest |entry| is positive, the first dropped.
      var degree = [Double](repeating: 0, count: count)
      for a in 0..<count { for b in 0..<count where a != b { degree[a] += affinity[a * count + b] } }
      let dd = degree.map { $0 > 0 ? $0.squareRoot() : 1 }
      var m = [Double](repeating: 0, count: count * count)  // D^-1/2 A D^-1/2 without the diagonal
      for a in 0..<count {
        for b in 0..<count where a != b { m[a * count + b] = affinity[a * count + b] / (dd[a] * dd[b]) }
      }
      let (_, vectors) = symmetricEigen(m, n: count)  // largest first = smallest Laplacian
      for d in 0..<dims {
        var col = (0..<count).map { vectors[$0 * count + d + 1] / dd[$0] }
        let big = col.indices.max { abs(col[$0]) < abs(col[$1]) }!
        if col[big] < 0 { col = col.map { -$0 } }
        for c in 0..<count { out[c * dims + d] = col[c] }
      }
    } else if let pca = try? PCA.fit(centroids, rows: count, cols: cols, components: min(dims, min(count, cols))) {
      let k = min(dims, min(count, cols))
      for c in 0..<count { for d in 0..<k { out[c * dims + d] = pca.projected[c * k + d] } }
    }
    let m = out.max() ?? 0
    if m > 0 { out = out.map { $0 / m } }
    return out
  }

  /// The `dims` eigenvectors of I - D^-1/2 W D^-1/2 on `vertices` (a connected component)
  /// for the smallest eigenvalues after the trivial one; nil when they cannot be found.
  static func componentSpectral(_ g: Graph, vertices: [Int], dims: Int, rng: inout SplitMix64)
    -> [Double]?
  {
    let m = vertices.count
    guard m > dims + 1 else { return nil }
    var local = [Int](repeating: -1, count: g.rows)
    for (i, v) in vertices.enumerated() { local[v] = i }
    // The component's normalised adjacency M = D^-1/2 W D^-1/2, CSR.
    var start = [0], column: [Int32] = [], value: [Double] = []
    var degree = [Double](repeating: 0, count: m)
    for (i, v) in vertices.enumerated() {
      for t in g.start[v]..<g.start[v + 1] { degree[i] += g.value[t] }
    }
    let sqrtDeg = degree.map { $0.squareRoot() }
    for (i, v) in vertices.enumerated() {
      for t in g.start[v]..<g.start[v + 1] {
        let j = local[Int(g.column[t])]
        column.append(Int32(j))
        value.append(g.value[t] / (sqrtDeg[i] * sqrtDeg[j]))
      }
      start.append(column.count)
    }
    // The trivial eigenvector (eigenvalue 1 of M): sqrt(degree), normalised.
    let norm0 = sqrtDeg.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let trivial = sqrtDeg.map { $0 / norm0 }
    let vectors: [Double]
    if m <= 64 {
      var dense = [Double](repeating: 0, count: m * m)
      for i in 0..<m { for t in start[i]..<start[i + 1] { dense[i * m + Int(column[t])] = value[t] } }
      // Deflate the trivial vector so it sorts last.
      for i in 0..<m { for j in 0..<m { dense[i * m + j] -= 2 * trivial[i] * trivial[j] } }
      let (_, v) = symmetricEigen(dense, n: m)
      vectors = (0..<m).flatMap { i in (0..<dims).map { v[i * m + $0] } }
    } else {
      guard let v = lanczosTop(
        start: start, column: column, value: value, n: m, k: dims, deflate: trivial, rng: &rng)
      else { return nil }
      vectors = v
    }
    // Deterministic signs: the largest |entry| of each vector positive.
    var out = vectors
    for d in 0..<dims {
      var big = 0
      for i in 0..<m where abs(out[i * dims + d]) > abs(out[big * dims + d]) { big = i }
      if out[big * dims + d] < 0 { for i in 0..<m { out[i * dims + d] = -out[i * dims + d] } }
    }
    return out
  }

  /// The k largest eigenpairs' vectors (n x k, row-major) of the symmetric sparse matrix (CSR)
  /// restricted to the complement of `deflate`, by Lanczos with full reorthogonalisation,
  /// stopping when every wanted Ritz pair's residual is below 1e-4 (umap-learn's tolerance).
  /// The tridiagonal's top eigenvalues come from bisection (Sturm counts) and their vectors
  /// from inverse iteration, O(steps) each, so checking convergence every few steps is cheap.
  @_optimize(speed)
  static func lanczosTop(
    start: [Int], column: [Int32], value: [Double], n: Int, k: Int, deflate: [Double],
    rng: inout SplitMix64
  ) -> [Double]? {
    let maxSteps = min(n - 1, max(4 * k + 20, min(300, 30_000_000 / max(n, 1))))
    var basis: [[Double]] = []
    var alphas: [Double] = [], betas: [Double] = []
    func orthogonalise(_ w: inout [Double]) {
      for _ in 0..<2 {
        var c = 0.0
        for i in 0..<n { c += deflate[i] * w[i] }
        for i in 0..<n { w[i] -= c * deflate[i] }
        for q in basis {
          var d = 0.0
          for i in 0..<n { d += q[i] * w[i] }
          for i in 0..<n { w[i] -= d * q[i] }
        }
      }
    }
    var q = (0..<n).map { _ in rng.normal() }
    orthogonalise(&q)
    var qn = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard qn > 0 else { return nil }
    q = q.map { $0 / qn }
    var result: [Double]?
    for step in 0..<maxSteps {
      basis.append(q)
      var w = [Double](repeating: 0, count: n)
      for i in 0..<n {
        var s = 0.0
        for t in start[i]..<start[i + 1] { s += value[t] * q[Int(column[t])] }
        w[i] = s
      }
      var alpha = 0.0
      for i in 0..<n { alpha += q[i] * w[i] }
      alphas.append(alpha)
      orthogonalise(&w)
      let beta = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let size = basis.count
      let done = beta < 1e-12 || step == maxSteps - 1
      if size >= k && (done || size % 5 == 0) {
        let ritz = Tridiagonal(diagonal: alphas, offDiagonal: Array(betas.prefix(size - 1))).topEigenvectors(k)
        let converged = ritz.allSatisfy { abs(beta * $0.last!) <= 1e-4 }
        if converged || done {
          var v = [Double](repeating: 0, count: n * k)
          for (b, qb) in basis.enumerated() {
            for j in 0..<k {
              let c = ritz[j][b]
              if c == 0 { continue }
              for i in 0..<n { v[i * k + j] += c * qb[i] }
            }
          }
          result = v
          break
        }
      }
      if done { break }
      betas.append(beta)
      qn = beta
      q = w.map { $0 / qn }
    }
    return result
  }
}
