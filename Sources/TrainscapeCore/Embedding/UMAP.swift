import Foundation

/// Options of `UMAP.embed`; the defaults are umap-learn's (`UMAP(n_components=3)`).
public struct UMAPOptions: Sendable {
  /// Output dimensions, 1...3.
  public var dimensions = 3
  /// Size of the local neighbourhood, the point itself included (umap-learn's `n_neighbors`).
  public var neighbours = 15
  /// How tightly points may pack in the embedding.
  public var minDist = 0.1
  /// The scale of embedded distances (with `minDist`, fixes the curve's a and b).
  public var spread = 1.0
  /// Optimisation epochs; nil: umap-learn's default, 500 up to 10,000 points, else 200.
  public var epochs: Int? = nil
  /// The initial learning rate (decays linearly to 0).
  public var learningRate = 1.0
  /// Negative samples per positive sample.
  public var negativeSampleRate = 5
  /// Weight of the repulsion (umap-learn's gamma).
  public var repulsionStrength = 1.0
  /// How many nearest neighbours every point is assumed to be connected to.
  public var localConnectivity = 1.0
  /// Seeds every random choice: the same seed gives the same embedding on any number of threads.
  public var seed: UInt64 = 42
  public var initialization: Init = .spectral
  /// Worker threads (nil: all cores). The result does not depend on it.
  public var threads: Int? = nil

  public enum Init: Sendable, Equatable {
    /// Eigenvectors of the graph's normalised Laplacian (umap-learn's default).
    case spectral
    /// Uniform in [-10, 10].
    case random
    /// A given layout, rows x dimensions (an earlier snapshot's embedding, so that the next
    /// one keeps its orientation).
    case given([Double])
  }

  public init() {}
}

/// Uniform Manifold Approximation and Projection, following umap-learn 0.5:
///
/// - Graph: the exact k nearest neighbours (the point itself first), per point the distance
///   to the nearest neighbour (rho) and the scale (sigma) that makes the memberships
///   exp(-(d - rho) / sigma) sum to log2(k) (64 bisection steps, tolerance 1e-5), and the
///   fuzzy union W = A + A^T - A * A^T.
/// - Initialisation: the eigenvectors of the normalised Laplacian I - D^-1/2 W D^-1/2 for the
///   smallest non-zero eigenvalues (Lanczos with full reorthogonalisation, residual 1e-4, as
///   umap-learn's eigsh tolerance); disconnected graphs lay out each component on its own
///   around a meta-layout of the components (umap-learn's `multi_component_layout`). Scaled to
///   10, plus N(0, 1e-4) noise, then every axis to [0, 10].
/// - Optimisation: the curve 1 / (1 + a d^2b) fitted to min_dist and spread; edges with
///   weight below max / epochs dropped; each edge sampled every max / w epochs, attraction
///   moving both ends, `negativeSampleRate` negative samples per sample, gradients clipped to
///   4, learning rate decaying linearly.
///
/// Unlike umap-learn's single-threaded (seeded) or Hogwild (parallel) SGD, every epoch here
/// moves each point from a snapshot of the others taken at the start of the epoch: a point's own
/// moves are applied in sequence, the points are independent, so the epoch runs on all cores
/// and the result does not depend on the number of threads. Negative samples come from a
/// random stream per point and epoch; the negative samples of one edge are computed from the
/// same position and applied together (umap-learn applies them one after another).
public enum UMAP {
  public static func embed(
    _ data: [Double], rows n: Int, cols: Int, options: UMAPOptions = UMAPOptions()
  ) throws -> [Double] {
    try embedWithDiagnostics(data, rows: n, cols: cols, options: options).embedding
  }

  /// Where the time of one embedding went (for the benchmark).
  public struct Diagnostics: Sendable {
    public var neighbourSeconds = 0.0
    public var graphSeconds = 0.0
    public var initSeconds = 0.0
    public var optimizeSeconds = 0.0
    public var components = 0
    public var edges = 0
    public var epochs = 0
    public init() {}
  }

  public static func embedWithDiagnostics(
    _ data: [Double], rows n: Int, cols: Int, options: UMAPOptions = UMAPOptions()
  ) throws -> (embedding: [Double], diagnostics: Diagnostics) {
    var diag = Diagnostics()
    var clock = Date()
    func lap() -> Double {
      let now = Date()
      defer { clock = now }
      return now.timeIntervalSince(clock)
    }
    try validateMatrix(data, rows: n, cols: cols, what: "UMAP")
    let dims = options.dimensions
    guard (1...3).contains(dims) else {
      throw EmbeddingError("UMAP embeds in 1, 2 or 3 dimensions; \(dims) were asked for")
    }
    guard n >= dims + 2 else {
      throw EmbeddingError("UMAP needs at least \(dims + 2) rows (points) for \(dims) dimensions; got \(n)")
    }
    guard options.neighbours >= 2 else {
      throw EmbeddingError("UMAP needs at least 2 neighbours (the point itself and one other); got \(options.neighbours)")
    }
    guard options.minDist >= 0, options.spread > 0, options.minDist <= options.spread else {
      throw EmbeddingError("UMAP min_dist must be in [0, spread] and spread positive; got min_dist \(options.minDist), spread \(options.spread)")
    }
    if let e = options.epochs, e < 1 { throw EmbeddingError("UMAP needs at least 1 epoch; got \(e)") }
    guard options.learningRate > 0, options.negativeSampleRate >= 0, options.localConnectivity >= 0 else {
      throw EmbeddingError("UMAP learning rate must be positive and the negative sample rate and local connectivity non-negative")
    }
    if case .given(let y) = options.initialization, y.count != n * dims || !y.allSatisfy(\.isFinite) {
      throw EmbeddingError("UMAP initial layout has \(y.count) values (some may not be finite); \(n) x \(dims) finite values expected")
    }
    let k = min(options.neighbours, n)
    let knn = NearestNeighbours.exact(data, rows: n, cols: cols, k: k, includeSelf: true, threads: options.threads)
    diag.neighbourSeconds = lap()
    let graph = fuzzySimplicialSet(knn, localConnectivity: options.localConnectivity)
    diag.graphSeconds = lap()
    diag.components = connectedComponents(graph).count
    diag.edges = graph.column.count
    let epochs = options.epochs ?? (n <= 10_000 ? 500 : 200)
    diag.epochs = epochs
    let (a, b) = findABParams(spread: options.spread, minDist: options.minDist)
    var rng = SplitMix64(seed: options.seed)
    var start: [Double]
    switch options.initialization {
    case .spectral:
      start = spectralLayout(graph, data: data, cols: cols, dims: dims, rng: &rng)
      let m = start.map(abs).max() ?? 0
      let expansion = m > 0 ? 10 / m : 1
      // umap-learn rounds the scaled layout to float32 before adding float32 noise.
      start = start.map { Double(Float($0 * expansion)) + Double(Float(1e-4 * rng.normal())) }
    case .random:
      start = (0..<(n * dims)).map { _ in -10 + 20 * rng.uniform() }
    case .given(let y):
      start = y
    }
    // Every axis to [0, 10].
    for d in 0..<dims {
      var lo = Double.infinity, hi = -Double.infinity
      for i in 0..<n { lo = min(lo, start[i * dims + d]); hi = max(hi, start[i * dims + d]) }
      let span = hi - lo
      for i in 0..<n { start[i * dims + d] = span > 0 ? 10 * (start[i * dims + d] - lo) / span : 5 }
    }
    diag.initSeconds = lap()
    let layout = optimize(
      graph, start: start, dims: dims, epochs: epochs, a: Float(a), b: Float(b),
      gamma: Float(options.repulsionStrength), learningRate: Float(options.learningRate),
      negativeSampleRate: options.negativeSampleRate, seed: options.seed, threads: options.threads)
    diag.optimizeSeconds = lap()
    return (layout, diag)
  }

  // MARK: - Fuzzy simplicial set

  /// A symmetric sparse matrix, CSR with each row's columns ascending.
  public struct Graph: Sendable {
    public var rows: Int
    public var start: [Int]
    public var column: [Int32]
    public var value: [Double]
  }

  /// umap-learn's `smooth_knn_dist`: per row, rho (the local-connectivity-th non-zero neighbour
  /// distance) and sigma, so that sum_j exp(-max(0, d_j - rho) / sigma) over the neighbours
  /// after the first equals log2(k).
  @_optimize(speed)
  public static func smoothKNNDistances(_ knn: NeighbourGraph, localConnectivity: Double = 1)
    -> (sigma: [Double], rho: [Double])
  {
    let n = knn.rows, k = knn.k
    let target = Foundation.log2(Double(k))
    var sigma = [Double](repeating: 0, count: n), rho = [Double](repeating: 0, count: n)
    let meanAll = knn.distances.reduce(0.0) { $0 + Double($1) } / Double(max(1, n * k))
    for i in 0..<n {
      let row = (0..<k).map { Double(knn.distances[i * k + $0]) }
      let nonZero = row.filter { $0 > 0 }
      if Double(nonZero.count) >= localConnectivity {
        let index = Int(localConnectivity.rounded(.down))
        let interpolation = localConnectivity - Double(index)
        if index > 0 {
          rho[i] = nonZero[index - 1]
          if interpolation > 1e-5 { rho[i] += interpolation * (nonZero[index] - nonZero[index - 1]) }
        } else {
          rho[i] = interpolation * nonZero[0]
        }
      } else if !nonZero.isEmpty {
        rho[i] = nonZero.max()!
      }
      var lo = 0.0, hi = Double.infinity, mid = 1.0
      for _ in 0..<64 {
        var psum = 0.0
        for j in 1..<k {
          let d = row[j] - rho[i]
          psum += d > 0 ? Foundation.exp(-(d / mid)) : 1
        }
        if abs(psum - target) < 1e-5 { break }
        if psum > target {
          hi = mid
          mid = (lo + hi) / 2
        } else {
          lo = mid
          mid = hi == .infinity ? mid * 2 : (lo + hi) / 2
        }
      }
      sigma[i] = mid
      if rho[i] > 0 {
        let meanRow = row.reduce(0, +) / Double(k)
        sigma[i] = max(sigma[i], 1e-3 * meanRow)
      } else {
        sigma[i] = max(sigma[i], 1e-3 * meanAll)
      }
    }
    return (sigma, rho)
  }

  /// The fuzzy union of the directed membership strengths (umap-learn's `fuzzy_simplicial_set`
  /// with set_op_mix_ratio 1); zero entries (the points themselves) are dropped.
  public static func fuzzySimplicialSet(_ knn: NeighbourGraph, localConnectivity: Double = 1) -> Graph {
    let n = knn.rows, k = knn.k
    let (sigma, rho) = smoothKNNDistances(knn, localConnectivity: localConnectivity)
    // Directed strengths: (row, column, value, transposed?).
    var perRow = [[(Int32, Double, Bool)]](repeating: [], count: n)
    for i in 0..<n {
      for t in 0..<k {
        let j = Int(knn.indices[i * k + t])
        if j == i { continue }
        let d = Double(knn.distances[i * k + t])
        let v = d - rho[i] <= 0 || sigma[i] == 0 ? 1.0 : Foundation.exp(-((d - rho[i]) / sigma[i]))
        if v == 0 { continue }
        perRow[i].append((Int32(j), v, false))
        perRow[j].append((Int32(i), v, true))
      }
    }
    var start = [0], column: [Int32] = [], value: [Double] = []
    column.reserveCapacity(n * k * 2)
    value.reserveCapacity(n * k * 2)
    for i in 0..<n {
      let entries = perRow[i].sorted { $0.0 < $1.0 || ($0.0 == $1.0 && !$0.2 && $1.2) }
      var e = 0
      while e < entries.count {
        let j = entries[e].0
        var forward = 0.0, backward = 0.0
        while e < entries.count && entries[e].0 == j {
          if entries[e].2 { backward = entries[e].1 } else { forward = entries[e].1 }
          e += 1
        }
        let w = forward + backward - forward * backward
        if w != 0 {
          column.append(j)
          value.append(w)
        }
      }
      start.append(column.count)
    }
    return Graph(rows: n, start: start, column: column, value: value)
  }

  // MARK: - The curve

  /// umap-learn's `find_ab_params`: a, b of 1 / (1 + a x^2b) fitted by least squares to
  /// exp(-(x - minDist) / spread) (1 below minDist) on 300 points in [0, 3 spread]
  /// (Levenberg-Marquardt from (1, 1), as scipy's curve_fit).
  public static func findABParams(spread: Double, minDist: Double) -> (a: Double, b: Double) {
    let xs = (0..<300).map { Double($0) * spread * 3 / 299 }
    let ys = xs.map { $0 < minDist ? 1.0 : Foundation.exp(-($0 - minDist) / spread) }
    func residuals(_ a: Double, _ b: Double) -> (r: [Double], ja: [Double], jb: [Double], cost: Double) {
      var r = [Double](), ja = [Double](), jb = [Double]()
      var cost = 0.0
      for (x, y) in zip(xs, ys) {
        let p = x > 0 ? Foundation.pow(x, 2 * b) : 0
        let f = 1 / (1 + a * p)
        let res = f - y
        r.append(res)
        cost += res * res
        let g = -f * f
        ja.append(g * p)
        jb.append(x > 0 ? g * a * p * 2 * Foundation.log(x) : 0)
      }
      return (r, ja, jb, cost)
    }
    var a = 1.0, b = 1.0, lambda = 1e-3
    var current = residuals(a, b)
    for _ in 0..<500 {
      var haa = 0.0, hab = 0.0, hbb = 0.0, ga = 0.0, gb = 0.0
      for t in 0..<xs.count {
        haa += current.ja[t] * current.ja[t]
        hab += current.ja[t] * current.jb[t]
        hbb += current.jb[t] * current.jb[t]
        ga += current.ja[t] * current.r[t]
        gb += current.jb[t] * current.r[t]
      }
      var improved = false
      for _ in 0..<50 {
        let m00 = haa * (1 + lambda), m11 = hbb * (1 + lambda)
        let det = m00 * m11 - hab * hab
        guard det != 0 else { break }
        let da = -(m11 * ga - hab * gb) / det
        let db = -(m00 * gb - hab * ga) / det
        let candidate = residuals(a + da, b + db)
        if candidate.cost.isFinite && candidate.cost < current.cost {
          let change = abs(da) + abs(db)
          a += da
          b += db
          let relative = (current.cost - candidate.cost) / max(current.cost, .leastNormalMagnitude)
          current = candidate
          lambda = max(lambda / 10, 1e-12)
          improved = true
          if relative < 1e-15 || change < 1e-14 { return (a, b) }
          break
        }
        lambda *= 10
      }
      if !improved { break }
    }
    return (a, b)
  }

  // MARK: - Spectral initialisation

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

  // MARK: - Optimisation

  /// The SGD of umap-learn's `optimize_layout_euclidean`, epoch-synchronous (see the type's
  /// documentation). Returns rows x dims.
  @_optimize(speed)
  static func optimize(
    _ g: Graph, start: [Double], dims: Int, epochs: Int, a: Float, b: Float, gamma: Float,
    learningRate: Float, negativeSampleRate: Int, seed: UInt64, threads: Int?
  ) -> [Double] {
    let n = g.rows
    // Drop the edges too weak to be sampled in `epochs` epochs.
    let maxWeight = g.value.max() ?? 0
    let cut = maxWeight / Double(epochs > 10 ? epochs : (n <= 10_000 ? 500 : 200))
    var rowStart = [0], column: [Int32] = [], perSample: [Double] = []
    for i in 0..<n {
      for t in g.start[i]..<g.start[i + 1] where g.value[t] >= cut && g.value[t] > 0 {
        column.append(g.column[t])
        perSample.append(maxWeight / g.value[t])  // epochs per sample
      }
      rowStart.append(column.count)
    }
    let negRate = Double(max(negativeSampleRate, 0))
    let perNegative = perSample.map { negRate > 0 ? $0 / negRate : .infinity }
    var nextSample = perSample
    var nextNegative = perNegative
    var current = [SIMD4<Float>](repeating: .zero, count: n)
    for i in 0..<n { for d in 0..<dims { current[i][d] = Float(start[i * dims + d]) } }
    var snapshot = current
    let aa = a, bb = b, twoAB = 2 * a * b, twoGammaB = 2 * gamma * b
    rowStart.withUnsafeBufferPointer { rsp in
      column.withUnsafeBufferPointer { cp in
        perSample.withUnsafeBufferPointer { psp in
          perNegative.withUnsafeBufferPointer { pnp in
            nextSample.withUnsafeMutableBufferPointer { nsp in
              nextNegative.withUnsafeMutableBufferPointer { nnp in
                let rs = SharedPointer(rsp.baseAddress!), col = SharedPointer(cp.baseAddress!)
                let eps = SharedPointer(psp.baseAddress!), epsNeg = SharedPointer(pnp.baseAddress!)
                let next = SharedPointer(nsp.baseAddress!), nextNeg = SharedPointer(nnp.baseAddress!)
                for epoch in 0..<epochs {
                  let alpha = learningRate * (epoch == 0 ? 1 : 1 - Float(epoch - 1) / Float(epochs))
                  let e = Double(epoch)
                  snapshot.withUnsafeMutableBufferPointer { sp in
                    current.withUnsafeMutableBufferPointer { curp in
                      sp.baseAddress!.update(from: curp.baseAddress!, count: n)
                      let snap = SharedPointer(UnsafePointer(sp.baseAddress!))
                      let out = SharedPointer(curp.baseAddress!)
                      DataParallel.forEach(n, blockSize: 128, threads: threads) { range in
                        for i in range {
                          out[i] = moveVertex(
                            i, epoch: epoch, e: e, snap: snap, rs: rs, col: col, eps: eps, epsNeg: epsNeg,
                            next: next, nextNeg: nextNeg, n: n, a: aa, b: bb, twoAB: twoAB, twoGammaB: twoGammaB,
                            alpha: alpha, seed: seed)
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    var result = [Double](repeating: 0, count: n * dims)
    for i in 0..<n { for d in 0..<dims { result[i * dims + d] = Double(current[i][d]) } }
    return result
  }

  /// One point's moves in one epoch, from the snapshot of the others: for each of its edges
  /// due this epoch, two attraction steps (as the edge's head, and as the other end of the
  /// mirrored edge), then the negative samples, all computed from the point's position after
  /// the attraction and applied together (they are independent, so they overlap in the CPU
  /// instead of waiting on each other). Gradients are clipped to +-4 per coordinate.
  @_optimize(speed)
  static func moveVertex(
    _ i: Int, epoch: Int, e: Double, snap: SharedPointer<SIMD4<Float>>, rs: SharedPointer<Int>,
    col: SharedPointer<Int32>, eps: SharedPointer<Double>, epsNeg: SharedPointer<Double>,
    next: SharedPointer<Double>, nextNeg: SharedPointer<Double>, n: Int, a: Float, b: Float,
    twoAB: Float, twoGammaB: Float, alpha: Float, seed: UInt64
  ) -> SIMD4<Float> {
    @inline(__always) func clip(_ v: Float) -> Float { Swift.min(Swift.max(v, -4), 4) }
    let s = snap[i]
    var x = s.x, y = s.y, z = s.z
    var rng = SplitMix64(seed: mixSeed(seed, UInt64(epoch), UInt64(i)))
    for t in rs[i]..<rs[i + 1] where next[t] <= e {
      let o = snap[Int(col[t])]
      for _ in 0..<2 {
        let dx = x - o.x, dy = y - o.y, dz = z - o.z
        let d2 = dx * dx + dy * dy + dz * dz
        if d2 > 0 {
          let p = fastPow(d2, b)
          let coeff = -twoAB * p / (d2 * (a * p + 1))
          x += clip(coeff * dx) * alpha
          y += clip(coeff * dy) * alpha
          z += clip(coeff * dz) * alpha
        }
      }
      next[t] += eps[t]
      let negatives = epsNeg[t].isFinite ? Int((e - nextNeg[t]) / epsNeg[t]) : 0
      guard negatives > 0 else { continue }
      var mx: Float = 0, my: Float = 0, mz: Float = 0
      for _ in 0..<negatives {
        let k = Int(((rng.next() >> 32) &* UInt64(n)) >> 32)
        if k == i { continue }
        let q = snap[k]
        let dx = x - q.x, dy = y - q.y, dz = z - q.z
        let d2 = dx * dx + dy * dy + dz * dz
        if d2 > 0 {
          let p = fastPow(d2, b)
          let coeff = twoGammaB / ((0.001 + d2) * (a * p + 1))
          mx += clip(coeff * dx)
          my += clip(coeff * dy)
          mz += clip(coeff * dz)
        }
      }
      x += mx * alpha
      y += my * alpha
      z += mz * alpha
      nextNeg[t] += Double(negatives) * epsNeg[t]
    }
    return SIMD4(x, y, z, 0)
  }

  /// x^y for x > 0 as exp2(y log2 x), with log2 from the atanh series on [sqrt(1/2), sqrt(2))
  /// and exp2 from a degree-6 Taylor polynomial on [-1/2, 1/2]: relative error below 5e-6
  /// (Float rounding of y log2 x dominates), no libm call, the same bits on every platform. Arguments below 1e-30 count as 1e-30.
  @_optimize(speed) @inline(__always)
  static func fastPow(_ x: Float, _ y: Float) -> Float {
    let bits = max(x, 1e-30).bitPattern
    var exponent = Float(Int32(bitPattern: bits >> 23) - 127)
    var m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    if m > 1.414_213_6 {
      m *= 0.5
      exponent += 1
    }
    let t = (m - 1) / (m + 1), t2 = t * t
    let log2x = exponent + t * (2.885_390_08 + t2 * (0.961_796_69 + t2 * (0.577_078_02 + t2 * 0.412_198_58)))
    let v = min(max(y * log2x, -126), 127)
    let n = Float(Int32(v + 128.5)) - 128  // round to nearest without a libm call
    let g = (v - n) * 0.693_147_18
    let e = 1 + g * (1 + g * (0.5 + g * (1.0 / 6 + g * (1.0 / 24 + g * (1.0 / 120 + g * (1.0 / 720))))))
    return e * Float(bitPattern: UInt32(Int32(n) + 127) << 23)
  }

  /// A seed for point `i`'s random stream in `epoch`.
  @inline(__always)
  static func mixSeed(_ seed: UInt64, _ epoch: UInt64, _ i: UInt64) -> UInt64 {
    var s = SplitMix64(seed: seed ^ (epoch &* 0xD1B5_4A32_D192_ED03))
    _ = s.next()
    return s.next() ^ (i &* 0x9E37_79B9_7F4A_7C15)
  }
}
