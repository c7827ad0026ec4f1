import Foundation

/// Options of `TSNE.embed`; the defaults are scikit-learn's (`TSNE(n_components=3)`).
public struct TSNEOptions: Sendable {
  /// Output dimensions, 1...3 (as sklearn's Barnes-Hut method).
  public var dimensions = 3
  /// The effective number of neighbours; must be below the number of rows.
  public var perplexity = 30.0
  /// P is multiplied by this for the first 250 iterations.
  public var earlyExaggeration = 12.0
  /// nil: sklearn's "auto", max(N / earlyExaggeration / 4, 50).
  public var learningRate: Double? = nil
  /// Total iterations, early exaggeration included (sklearn's `max_iter`).
  public var iterations = 1000
  /// Seeds the random initialisation (unused with `.pca` and `.given`).
  public var seed: UInt64 = 42
  public var initialization: Init = .pca
  public enum Init: Sendable, Equatable {
    case pca, random
    /// A given layout, rows x dimensions (an earlier snapshot's embedding), scaled like the PCA
    /// initialisation (first coordinate's standard deviation 1e-4), so its orientation is kept.
    case given([Double])
  }
  public init() {}
}

/// t-distributed stochastic neighbour embedding, following scikit-learn's `TSNE`:
///
/// - P: squared Euclidean distances to the k = min(N - 1, 3 * perplexity + 1) nearest
///   neighbours; per point a binary search (100 steps, entropy tolerance 1e-5) for the Gaussian
///   precision matching the perplexity; P = (P + P^T) / sum.
/// - Q: Student-t with `max(dimensions - 1, 1)` degrees of freedom (sklearn's choice), and
///   sklearn's gradient including its factor 2 (dof + 1) / dof.
/// - Optimisation: gradient descent with gains (+0.2 / x0.8, min 0.01); 250 iterations with P
///   exaggerated and momentum 0.5, then momentum 0.8 (update and gains reset between the
///   stages); convergence checked every 50 iterations (no progress for 250 / 300 iterations, or
///   gradient norm <= 1e-7). Initialisation: PCA scaled so the first coordinate has standard
///   deviation 1e-4, or N(0, 1e-4^2).
///
/// Unlike sklearn's default Barnes-Hut approximation the gradient here is exact (O(N^2) per
/// iteration), evaluated in Float SIMD lanes on all cores; for N of a few thousand in 3D that is
/// faster than an octree at theta 0.5 and has no approximation error.
public enum TSNE {
  public static func embed(
    _ data: [Double], rows n: Int, cols: Int, options: TSNEOptions = TSNEOptions()
  ) throws -> [Double] {
    try validateMatrix(data, rows: n, cols: cols, what: "t-SNE")
    let dims = options.dimensions
    guard (1...3).contains(dims) else {
      throw EmbeddingError("t-SNE embeds in 1, 2 or 3 dimensions; \(dims) were asked for")
    }
    guard n >= 2 else {
      throw EmbeddingError("t-SNE needs at least 2 rows (points); got \(n)")
    }
    let perplexity = options.perplexity
    guard perplexity > 0, perplexity.isFinite else {
      throw EmbeddingError("t-SNE perplexity must be positive; got \(perplexity)")
    }
    guard perplexity < Double(n) else {
      let suggestion = max(1, ((Double(n) - 1) / 3).rounded(.down))
      throw EmbeddingError(
        "t-SNE perplexity \(perplexity) is too large for \(n) rows: it must be less than the number of rows; use perplexity \(suggestion) or less (at most (rows - 1) / 3 keeps 3 x perplexity neighbours per point)")
    }
    guard options.earlyExaggeration >= 1 else {
      throw EmbeddingError("t-SNE early exaggeration must be at least 1; got \(options.earlyExaggeration)")
    }
    if let lr = options.learningRate, !(lr > 0 && lr.isFinite) {
      throw EmbeddingError("t-SNE learning rate must be positive; got \(lr) (nil selects sklearn's \"auto\")")
    }
    guard options.iterations >= 1 else {
      throw EmbeddingError("t-SNE needs at least 1 iteration; got \(options.iterations)")
    }
    if options.initialization == .pca && cols < dims {
      throw EmbeddingError(
        "t-SNE PCA initialisation needs at least \(dims) columns for \(dims) dimensions; the data has \(cols): use initialization .random")
    }

    let k = min(n - 1, Int(3 * perplexity + 1))
    let (neighbours, dist2) = nearestNeighbours(data, rows: n, cols: cols, k: k)
    let conditional = binarySearchPerplexity(dist2, rows: n, k: k, perplexity: perplexity)
    let p = SparseP(neighbours: neighbours, conditional: conditional, rows: n, k: k)

    var position = [Double](repeating: 0, count: n * dims)
    var useRandom = options.initialization == .random
    if case .given(let y) = options.initialization, y.count != n * dims || !y.allSatisfy(\.isFinite) {
      throw EmbeddingError("t-SNE initial layout has \(y.count) values (some may not be finite); \(n) x \(dims) finite values expected")
    }
    if !useRandom {
      let proj: [Double]
      if case .given(let y) = options.initialization {
        proj = y
      } else {
        proj = try PCA.fit(data, rows: n, cols: cols, components: dims).projected
      }
      var m = 0.0, s = 0.0
      for i in 0..<n { m += proj[i * dims] }
      m /= Double(n)
      for i in 0..<n { s += (proj[i * dims] - m) * (proj[i * dims] - m) }
      let std = (s / Double(n)).squareRoot()
      if std > 0 {
        for i in 0..<position.count { position[i] = proj[i] / std * 1e-4 }
      } else {
        useRandom = true  // all rows equal along the first component: nothing to keep
      }
    }
    if useRandom {
      var rng = SplitMix64(seed: options.seed)
      for i in 0..<position.count { position[i] = 1e-4 * rng.normal() }
    }

    let learningRate = options.learningRate ?? max(Double(n) / options.earlyExaggeration / 4, 50)
    var objective = Objective(p: p, rows: n, dims: dims)
    let exploration = 250
    let firstEnd = min(exploration, options.iterations)
    let last = gradientDescent(
      &position, objective: &objective, from: 0, to: firstEnd, momentum: 0.5,
      learningRate: learningRate, exaggeration: options.earlyExaggeration,
      withoutProgress: exploration)
    if last + 1 < options.iterations {
      _ = gradientDescent(
        &position, objective: &objective, from: last + 1, to: options.iterations, momentum: 0.8,
        learningRate: learningRate, exaggeration: 1, withoutProgress: 300)
    }
    return position
  }

  /// sklearn's `_gradient_descent`; returns the index of the last iteration run.
  @_optimize(speed)
  static func gradientDescent(
    _ position: inout [Double], objective: inout Objective, from start: Int, to end: Int,
    momentum: Double, learningRate: Double, exaggeration: Double, withoutProgress: Int
  ) -> Int {
    var update = [Double](repeating: 0, count: position.count)
    var gains = [Double](repeating: 1, count: position.count)
    var grad = [Double](repeating: 0, count: position.count)
    var bestError = Double.greatestFiniteMagnitude
    var bestIter = start
    var i = start
    while i < end {
      let check = (i + 1) % 50 == 0
      let error = objective.gradient(
        position, into: &grad, exaggeration: exaggeration, computeError: check || i == end - 1)
      var norm2 = 0.0
      for t in 0..<position.count {
        let g = grad[t]
        if update[t] * g < 0 { gains[t] += 0.2 } else { gains[t] *= 0.8 }
        if gains[t] < 0.01 { gains[t] = 0.01 }
        let scaled = g * gains[t]
        norm2 += scaled * scaled
        update[t] = momentum * update[t] - learningRate * scaled
        position[t] += update[t]
      }
      if check {
        if error < bestError {
          bestError = error
          bestIter = i
        } else if i - bestIter > withoutProgress {
          break
        }
        if norm2.squareRoot() <= 1e-7 { break }
      }
      if i == end - 1 { break }
      i += 1
    }
    return i
  }

  // MARK: - Input similarities

  /// The k nearest neighbours of every row (itself excluded) and their squared Euclidean
  /// distances, by brute force in Float SIMD lanes on all cores: O(N^2 D).
  static func nearestNeighbours(_ data: [Double], rows n: Int, cols: Int, k: Int) -> (
    [Int32], [Float]
  ) {
    let stride = (cols + 7) / 8 * 8
    let x = UnsafeMutablePointer<Float>.allocate(capacity: n * stride)
    x.initialize(repeating: 0, count: n * stride)
    defer { x.deallocate() }
    for r in 0..<n { for c in 0..<cols { x[r * stride + c] = Float(data[r * cols + c]) } }
    var indices = [Int32](repeating: 0, count: n * k)
    var dist2 = [Float](repeating: 0, count: n * k)
    let block = 16
    let blocks = (n + block - 1) / block
    indices.withUnsafeMutableBufferPointer { ip in
      dist2.withUnsafeMutableBufferPointer { dp in
        let xs = SharedPointer(x), ib = SharedPointer(ip.baseAddress!), db = SharedPointer(dp.baseAddress!)
        DataParallel.forEach(blocks) { b in
          neighbourBlock(
            b * block..<min(n, b * block + block), xs.base, stride: stride, rows: n, k: k, ib.base, db.base)
        }
      }
    }
    return (indices, dist2)
  }

  /// Rows `rowRange` of the k-nearest-neighbour search: distances to all rows in 64-row tiles,
  /// then a bounded max-heap per row.
  @_optimize(speed)
  static func neighbourBlock(
    _ rowRange: Range<Int>, _ x: UnsafeMutablePointer<Float>, stride: Int, rows n: Int, k: Int,
    _ ib: UnsafeMutablePointer<Int32>, _ db: UnsafeMutablePointer<Float>
  ) {
    let i0 = rowRange.lowerBound, i1 = rowRange.upperBound
    let d = UnsafeMutablePointer<Float>.allocate(capacity: rowRange.count * n)
    defer { d.deallocate() }
    let jBlock = 64
    var j0 = 0
    while j0 < n {
      let j1 = min(n, j0 + jBlock)
      for i in i0..<i1 {
        let xi = UnsafeRawPointer(x + i * stride)
        for j in j0..<j1 {
          let xj = UnsafeRawPointer(x + j * stride)
          var acc = SIMD8<Float>()
          var off = 0
          while off < stride * 4 {
            let diff = xi.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
              - xj.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self)
            acc += diff * diff
            off += 32
          }
          d[(i - i0) * n + j] = acc.sum()
        }
      }
      j0 = j1
    }
    let heapD = UnsafeMutablePointer<Float>.allocate(capacity: k)
    let heapI = UnsafeMutablePointer<Int32>.allocate(capacity: k)
    defer { heapD.deallocate(); heapI.deallocate() }
    for i in i0..<i1 {
      let row = d + (i - i0) * n
      var count = 0
      for j in 0..<n where j != i {
        let v = row[j]
        if count < k {
          var c = count
          count += 1
          while c > 0 {
            let parent = (c - 1) / 2
            if heapD[parent] >= v { break }
            heapD[c] = heapD[parent]
            heapI[c] = heapI[parent]
            c = parent
          }
          heapD[c] = v
          heapI[c] = Int32(j)
        } else if v < heapD[0] {
          var c = 0
          while true {
            let l = 2 * c + 1
            if l >= k { break }
            var m = l
            if l + 1 < k && heapD[l + 1] > heapD[l] { m = l + 1 }
            if heapD[m] <= v { break }
            heapD[c] = heapD[m]
            heapI[c] = heapI[m]
            c = m
          }
          heapD[c] = v
          heapI[c] = Int32(j)
        }
      }
      let order = (0..<k).sorted {
        heapD[$0] < heapD[$1] || (heapD[$0] == heapD[$1] && heapI[$0] < heapI[$1])
      }
      for (t, o) in order.enumerated() {
        db[i * k + t] = heapD[o]
        ib[i * k + t] = heapI[o]
      }
    }
  }

  /// sklearn's `_binary_search_perplexity`: row-wise conditional probabilities (N x k).
  static func binarySearchPerplexity(_ dist2: [Float], rows n: Int, k: Int, perplexity: Double)
    -> [Double]
  {
    var out = [Double](repeating: 0, count: n * k)
    let desired = Foundation.log(perplexity)
    out.withUnsafeMutableBufferPointer { op in
      let ob = SharedPointer(op.baseAddress!)
      DataParallel.forEachChunk(n, minChunk: 32) { range in
        for i in range {
          searchRow(i, dist2, k: k, desired: desired, ob + i * k)
        }
      }
    }
    return out
  }
}

extension TSNE {
  /// One row of the perplexity search: the Gaussian precision whose conditional distribution
  /// over the k neighbours has entropy log(perplexity), within 1e-5, in at most 100 steps.
  @_optimize(speed)
  static func searchRow(
    _ i: Int, _ dist2: [Float], k: Int, desired: Double, _ pr: UnsafeMutablePointer<Double>
  ) {
    var beta = 1.0, betaMin = -Double.infinity, betaMax = Double.infinity
    for _ in 0..<100 {
      var sumP = 0.0
      for j in 0..<k {
        pr[j] = Foundation.exp(-Double(dist2[i * k + j]) * beta)
        sumP += pr[j]
      }
      if sumP == 0 { sumP = 1e-8 }
      var sumDP = 0.0
      for j in 0..<k {
        pr[j] /= sumP
        sumDP += Double(dist2[i * k + j]) * pr[j]
      }
      let diff = Foundation.log(sumP) + beta * sumDP - desired
      if abs(diff) <= 1e-5 { break }
      if diff > 0 {
        betaMin = beta
        beta = betaMax == .infinity ? beta * 2 : (beta + betaMax) / 2
      } else {
        betaMax = beta
        beta = betaMin == -.infinity ? beta / 2 : (beta + betaMin) / 2
      }
    }
  }
}

/// The joint probabilities P = (C + C^T) / sum, CSR by row.
struct SparseP {
  var start: [Int]
  var column: [Int32]
  var value: [Double]

  init(neighbours: [Int32], conditional: [Double], rows n: Int, k: Int) {
    var count = [Int](repeating: 0, count: n + 1)
    for i in 0..<n {
      for t in 0..<k {
        count[i + 1] += 1
        count[Int(neighbours[i * k + t]) + 1] += 1
      }
    }
    for i in 0..<n { count[i + 1] += count[i] }
    var fill = count
    var col = [Int32](repeating: 0, count: count[n])
    var val = [Double](repeating: 0, count: count[n])
    for i in 0..<n {
      for t in 0..<k {
        let j = Int(neighbours[i * k + t]), c = conditional[i * k + t]
        col[fill[i]] = Int32(j); val[fill[i]] = c; fill[i] += 1
        col[fill[j]] = Int32(i); val[fill[j]] = c; fill[j] += 1
      }
    }
    // Sort each row by column and merge duplicates (pairs that are mutual neighbours).
    var start = [0]
    var column: [Int32] = []
    var value: [Double] = []
    column.reserveCapacity(col.count)
    value.reserveCapacity(col.count)
    var total = 0.0
    for i in 0..<n {
      let entries = (count[i]..<count[i + 1]).map { (col[$0], val[$0]) }.sorted { $0.0 < $1.0 }
      for (j, v) in entries {
        if let last = column.last, column.count > start[i], last == j {
          value[value.count - 1] += v
        } else {
          column.append(j)
          value.append(v)
        }
        total += v
      }
      start.append(column.count)
    }
    let norm = max(total, Double.ulpOfOne)
    for t in 0..<value.count { value[t] /= norm }
    self.start = start
    self.column = column
    self.value = value
  }
}
