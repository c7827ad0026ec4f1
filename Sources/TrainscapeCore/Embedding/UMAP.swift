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
}
