import Foundation

/// A k-nearest-neighbour graph: for every row, its neighbours sorted by distance (ties by
/// index), row-major `rows x k`.
public struct NeighbourGraph: Sendable, Equatable {
  public var rows: Int
  public var k: Int
  public var indices: [Int32]
  /// Euclidean distances (not squared).
  public var distances: [Float]
}

/// Exact k nearest neighbours in Euclidean distance.
///
/// The data are centred and converted to Float; distances come from blocked dot products
/// (|a|^2 + |b|^2 - 2 a.b) over tiles of rows, each unordered pair of tiles computed once, on
/// all cores. Each tile keeps every row's best candidates, so the full distance matrix is never
/// stored; the diagonal tiles go first, and a row's worst kept candidate in its own tile then
/// bounds what the other tiles keep for it (most of the matrix is rejected four values at a
/// time). The surviving candidates' distances are then computed again directly from the
/// differences, which removes the cancellation of the dot-product form for close points, and
/// sorted by (distance, index). O(N^2 D) time, O(N k N / tile) memory: exact and faster than
/// an approximate search at the sizes of embedding snapshots (a few thousand points).
public enum NearestNeighbours {
  /// - Parameter includeSelf: the first neighbour of each row is the row itself at distance 0
  ///   (as umap-learn's graph), followed by the k - 1 nearest other rows; otherwise k others.
  @_optimize(speed)
  public static func exact(
    _ data: [Double], rows n: Int, cols: Int, k: Int, includeSelf: Bool = false,
    threads: Int? = nil
  ) -> NeighbourGraph {
    let others = includeSelf ? k - 1 : k
    precondition(others >= 0 && others <= n - 1, "k = \(k) neighbours of \(n) rows")
    let stride = (cols + 3) / 4 * 4
    let tile = n <= 4096 ? 128 : max(128, ((n + 39) / 40 + 15) / 16 * 16)
    let tiles = (n + tile - 1) / tile
    let paddedRows = tiles * tile
    let margin = min(n - 1, others + 8) // candidates kept per tile, recomputed exactly
    // Centred Float rows, padded with zero columns and zero rows.
    var mean = [Double](repeating: 0, count: cols)
    for r in 0..<n { for c in 0..<cols { mean[c] += data[r * cols + c] } }
    for c in 0..<cols { mean[c] /= Double(max(n, 1)) }
    let x = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * stride)
    x.initialize(repeating: 0, count: paddedRows * stride)
    defer { x.deallocate() }
    let norms = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows)
    norms.initialize(repeating: 0, count: paddedRows)
    defer { norms.deallocate() }
    for r in 0..<n {
      var s: Float = 0
      for c in 0..<cols {
        let v = Float(data[r * cols + c] - mean[c])
        x[r * stride + c] = v
        s += v * v
      }
      norms[r] = s
    }
    guard others > 0 else {
      return NeighbourGraph(
        rows: n, k: k, indices: (0..<n).map { Int32($0) }, distances: [Float](repeating: 0, count: n))
    }
    // Candidates: for row r and column tile t, `margin` (squared distance, index) pairs.
    let slots = n * tiles * margin
    let candD = UnsafeMutablePointer<Float>.allocate(capacity: slots)
    let candI = UnsafeMutablePointer<Int32>.allocate(capacity: slots)
    defer { candD.deallocate(); candI.deallocate() }
    let xs = SharedPointer(UnsafePointer(x)), ns = SharedPointer(UnsafePointer(norms))
    let cd = SharedPointer(candD), ci = SharedPointer(candI)
    // The diagonal tile pairs first: each row's `margin`-th smallest distance within its own
    // tile bounds the `margin`-th smallest over all rows, so the other pairs skip anything
    // farther (strictly) without changing which candidates survive the merge below.
    let bound = UnsafeMutablePointer<Float>.allocate(capacity: n)
    bound.initialize(repeating: .infinity, count: n)
    defer { bound.deallocate() }
    let bs = SharedPointer(bound)
    var pairs: [(Int, Int)] = []
    for a in 0..<tiles { for b in (a + 1)..<tiles { pairs.append((a, b)) } }
    let taskPairs = pairs
    for diagonal in [true, false] {
      DataParallel.forEach(diagonal ? tiles : taskPairs.count, blockSize: 1, threads: threads) { range in
        let dots = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tile * tile)
        defer { dots.deallocate() }
        let transposed = dots + tile * tile
        for p in range {
          let (a, b) = diagonal ? (p, p) : taskPairs[p]
          tileDots(xs.base, stride: stride, rowsA: a * tile, rowsB: b * tile, tile: tile, out: dots)
          if !diagonal {
            for i in 0..<tile { for j in 0..<tile { transposed[j * tile + i] = dots[i * tile + j] } }
          }
          // Rows of tile a against the columns of tile b, and (b != a) rows of b against a.
          for side in 0..<(diagonal ? 1 : 2) {
            let (rowTile, colTile) = side == 0 ? (a, b) : (b, a)
            let values = side == 0 ? dots : transposed
            for ri in 0..<tile {
              let r = rowTile * tile + ri
              if r >= n { break }
              let base = (r * tiles + colTile) * margin
              selectBest(
                count: min(tile, n - colTile * tile), margin: margin, exclude: r - colTile * tile,
                norm: ns[r], norms: ns + colTile * tile, dots: values + ri * tile, bound: bs[r],
                offset: colTile * tile, d: cd + base, i: ci + base)
              if diagonal { bs[r] = cd[base + margin - 1] }
            }
          }
        }
      }
    }
    // Merge each row's candidates, recompute their distances exactly, keep the best.
    var indices = [Int32](repeating: 0, count: n * k)
    var distances = [Float](repeating: 0, count: n * k)
    indices.withUnsafeMutableBufferPointer { ip in
      distances.withUnsafeMutableBufferPointer { dp in
        let io = SharedPointer(ip.baseAddress!), dout = SharedPointer(dp.baseAddress!)
        let cds = SharedPointer(UnsafePointer(candD)), cis = SharedPointer(UnsafePointer(candI))
        DataParallel.forEach(n, blockSize: 64, threads: threads) { range in
          // The `margin` best of a row's candidates by (distance, index), kept sorted by insertion.
          var merged: [(Float, Int32)] = []
          merged.reserveCapacity(margin + 1)
          for r in range {
            merged.removeAll(keepingCapacity: true)
            for t in 0..<tiles {
              let base = (r * tiles + t) * margin
              for m in 0..<margin where cis[base + m] >= 0 {
                let candidate = (cds[base + m], cis[base + m])
                if merged.count == margin {
                  let worst = merged[margin - 1]
                  // A tile's candidates are sorted: the rest of this one are worse too.
                  if !(candidate.0 < worst.0 || (candidate.0 == worst.0 && candidate.1 < worst.1)) { break }
                  merged.removeLast()
                }
                var pos = merged.count
                while pos > 0
                  && (merged[pos - 1].0 > candidate.0
                    || (merged[pos - 1].0 == candidate.0 && merged[pos - 1].1 > candidate.1))
                {
                  pos -= 1
                }
                merged.insert(candidate, at: pos)
              }
            }
            var exact = merged.prefix(margin).map { (d, j) -> (Float, Int32) in
              (squaredDistance(xs.base + r * stride, xs.base + Int(j) * stride, stride), j)
            }
            exact.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            var out = r * k
            if includeSelf {
              io[out] = Int32(r)
              dout[out] = 0
              out += 1
            }
            for (d, j) in exact.prefix(others) {
              io[out] = j
              dout[out] = d.squareRoot()
              out += 1
            }
          }
        }
      }
    }
    return NeighbourGraph(rows: n, k: k, indices: indices, distances: distances)
  }

  /// The `margin` smallest of the distances |x_r|^2 + |x_c|^2 - 2 x_r.x_c (at least 0) for
  /// c in 0..<count, skipping column `exclude` and any above `bound`, into d/i, sorted by
  /// (distance, index); unused slots get distance infinity and index -1. Four distances at a
  /// time are checked against the worst kept one before any is inserted.
  @_optimize(speed)
  static func selectBest(
    count: Int, margin: Int, exclude: Int, norm: Float, norms: UnsafePointer<Float>,
    dots: UnsafePointer<Float>, bound: Float, offset: Int, d: UnsafeMutablePointer<Float>,
    i: UnsafeMutablePointer<Int32>
  ) {
    var filled = 0
    @inline(__always) func insert(_ c: Int, _ v: Float) {
      if c == exclude || v > bound { return }
      if filled == margin && !(v < d[margin - 1]) { return }
      var pos = filled == margin ? margin - 1 : filled
      if filled < margin { filled += 1 }
      while pos > 0 && d[pos - 1] > v {
        d[pos] = d[pos - 1]
        i[pos] = i[pos - 1]
        pos -= 1
      }
      d[pos] = v
      i[pos] = Int32(offset + c)
    }
    @inline(__always) func distance(_ c: Int) -> Float { max(0, norm + norms[c] - 2 * dots[c]) }
    let rn = UnsafeRawPointer(norms), rd = UnsafeRawPointer(dots)
    var c = 0
    while c + 4 <= count {
      let raw = norm + rn.loadUnaligned(fromByteOffset: c * 4, as: SIMD4<Float>.self)
        - 2 * rd.loadUnaligned(fromByteOffset: c * 4, as: SIMD4<Float>.self)
      let v = raw.replacing(with: 0, where: raw .< 0)  // max(0, raw), as `distance`
      let limit = filled == margin ? min(bound, d[margin - 1]) : bound
      if any(v .<= limit) {
        for l in 0..<4 { insert(c + l, v[l]) }
      }
      c += 4
    }
    while c < count {
      insert(c, distance(c))
      c += 1
    }
    for m in filled..<margin {
      d[m] = .infinity
      i[m] = -1
    }
  }

  @_optimize(speed) @inline(__always)
  static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ stride: Int)
    -> Float
  {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var acc = SIMD4<Float>()
    var off = 0
    while off < stride * 4 {
      let diff = ra.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
        - rb.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
      acc += diff * diff
      off += 16
    }
    return acc.sum()
  }

  /// dots[i * tile + j] = x[rowsA + i] . x[rowsB + j] for a tile x tile block, in 2 x 4
  /// register blocks of SIMD4 lanes over the columns.
  @_optimize(speed)
  static func tileDots(
    _ x: UnsafePointer<Float>, stride: Int, rowsA: Int, rowsB: Int, tile: Int,
    out: UnsafeMutablePointer<Float>
  ) {
    let bytes = stride * 4
    let base = UnsafeRawPointer(x)
    var i = 0
    while i < tile {
      let a0 = base + (rowsA + i) * bytes, a1 = a0 + bytes
      var j = 0
      while j < tile {
        let b0 = base + (rowsB + j) * bytes, b1 = b0 + bytes, b2 = b1 + bytes, b3 = b2 + bytes
        var s00 = SIMD4<Float>(), s01 = SIMD4<Float>(), s02 = SIMD4<Float>(), s03 = SIMD4<Float>()
        var s10 = SIMD4<Float>(), s11 = SIMD4<Float>(), s12 = SIMD4<Float>(), s13 = SIMD4<Float>()
        var off = 0
        while off < bytes {
          let va = a0.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          let vb = a1.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          let c0 = b0.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          let c1 = b1.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          let c2 = b2.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          let c3 = b3.loadUnaligned(fromByteOffset: off, as: SIMD4<Float>.self)
          s00 += va * c0; s01 += va * c1; s02 += va * c2; s03 += va * c3
          s10 += vb * c0; s11 += vb * c1; s12 += vb * c2; s13 += vb * c3
          off += 16
        }
        let o0 = out + i * tile + j, o1 = o0 + tile
        o0[0] = s00.sum(); o0[1] = s01.sum(); o0[2] = s02.sum(); o0[3] = s03.sum()
        o1[0] = s10.sum(); o1[1] = s11.sum(); o1[2] = s12.sum(); o1[3] = s13.sum()
        j += 4
      }
      i += 2
    }
  }
}
