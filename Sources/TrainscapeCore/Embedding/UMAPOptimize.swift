import Foundation

// MARK: - Optimisation

extension UMAP {
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
                        moveVertices(
                          range, epoch: epoch, e: e, snap: snap, out: out, rs: rs, col: col, eps: eps,
                          epsNeg: epsNeg, next: next, nextNeg: nextNeg, n: n, a: aa, b: bb, twoAB: twoAB,
                          twoGammaB: twoGammaB, alpha: alpha, seed: seed)
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

  /// The moves of the points in `range` in one epoch, from the snapshot of the others. For each
  /// of a point's edges due this epoch: two attraction steps (as the edge's head, and as the
  /// other end of the mirrored edge), then the negative samples, all computed from the point's
  /// position after the attraction and applied together. Gradients are clipped to +-4 per
  /// coordinate.
  ///
  /// A point's moves form one long chain of dependent operations (each step needs the last
  /// position), so eight points are moved at once, one per SIMD lane: each lane walks its own
  /// point's edges and draws its own point's random stream, and takes the next point of the
  /// range when its point is done. Every lane does the operations of one point after another in
  /// the same order, so the result has the same bits as moving the points one at a time; a lane
  /// with nothing to do (no point left, no more negative samples for its edge, or a negative
  /// sample that drew the point itself) takes the point's own position, at distance 0, which
  /// moves nothing (umap-learn's `dist_squared > 0`).
  @_optimize(speed)
  static func moveVertices(
    _ range: Range<Int>, epoch: Int, e: Double, snap: SharedPointer<SIMD4<Float>>,
    out: SharedPointer<SIMD4<Float>>, rs: SharedPointer<Int>, col: SharedPointer<Int32>,
    eps: SharedPointer<Double>, epsNeg: SharedPointer<Double>, next: SharedPointer<Double>,
    nextNeg: SharedPointer<Double>, n: Int, a: Float, b: Float, twoAB: Float, twoGammaB: Float,
    alpha: Float, seed: UInt64
  ) {
    // Per lane: its point (-1: none), the edge it is at, the end of the point's edges, its
    // number of negative samples for the edge, the state of its random stream (SplitMix64); in
    // memory, not in vectors, as lanes are written one at a time.
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 32) { ints in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { states in
        moveVertices(
          range, epoch: epoch, e: e, snap: snap, out: out, rs: rs, col: col, eps: eps, epsNeg: epsNeg,
          next: next, nextNeg: nextNeg, n: n, a: a, b: b, twoAB: twoAB, twoGammaB: twoGammaB,
          alpha: alpha, seed: seed, point: ints.baseAddress!, edge: ints.baseAddress! + 8,
          end: ints.baseAddress! + 16, count: ints.baseAddress! + 24, state: states.baseAddress!)
      }
    }
  }

  @_optimize(speed) @inline(__always)
  static func moveVertices(
    _ range: Range<Int>, epoch: Int, e: Double, snap: SharedPointer<SIMD4<Float>>,
    out: SharedPointer<SIMD4<Float>>, rs: SharedPointer<Int>, col: SharedPointer<Int32>,
    eps: SharedPointer<Double>, epsNeg: SharedPointer<Double>, next: SharedPointer<Double>,
    nextNeg: SharedPointer<Double>, n: Int, a: Float, b: Float, twoAB: Float, twoGammaB: Float,
    alpha: Float, seed: UInt64, point: UnsafeMutablePointer<Int>, edge: UnsafeMutablePointer<Int>,
    end: UnsafeMutablePointer<Int>, count: UnsafeMutablePointer<Int>, state: UnsafeMutablePointer<UInt64>
  ) {
    for l in 0..<8 { point[l] = -1 }
    var nextPoint = range.lowerBound
    var px = Lanes(), py = Lanes(), pz = Lanes()
    @inline(__always) func draw(_ l: Int) -> Int {
      state[l] &+= 0x9E37_79B9_7F4A_7C15
      var z = state[l]
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Int((((z ^ (z >> 31)) >> 32) &* UInt64(n)) >> 32)
    }
    while true {
      // Each lane to its next due edge, finishing points and taking new ones on the way.
      var active = 0
      for l in 0..<8 {
        while true {
          if point[l] >= 0 {
            var t = edge[l]
            let stop = end[l]
            while t < stop && next[t] > e { t += 1 }
            edge[l] = t
            if t < stop { break }
            out[point[l]] = SIMD4(px[l], py[l], pz[l], 0)
            point[l] = -1
          }
          guard nextPoint < range.upperBound else { break }
          let i = nextPoint
          nextPoint += 1
          point[l] = i
          edge[l] = rs[i]
          end[l] = rs[i + 1]
          let s = snap[i]
          px[l] = s.x
          py[l] = s.y
          pz[l] = s.z
          state[l] = mixSeed(seed, UInt64(epoch), UInt64(i))
        }
        if point[l] >= 0 { active += 1 }
      }
      if active == 0 { return }
      @inline(__always) func other(_ l: Int) -> SIMD4<Float> {
        point[l] >= 0 ? snap[Int(col[edge[l]])] : SIMD4(px[l], py[l], pz[l], 0)
      }
      let o0 = other(0), o1 = other(1), o2 = other(2), o3 = other(3)
      let o4 = other(4), o5 = other(5), o6 = other(6), o7 = other(7)
      let ox = Lanes(o0.x, o1.x, o2.x, o3.x, o4.x, o5.x, o6.x, o7.x)
      let oy = Lanes(o0.y, o1.y, o2.y, o3.y, o4.y, o5.y, o6.y, o7.y)
      let oz = Lanes(o0.z, o1.z, o2.z, o3.z, o4.z, o5.z, o6.z, o7.z)
      for _ in 0..<2 {
        let dx = px - ox, dy = py - oy, dz = pz - oz
        let d2 = dx * dx + dy * dy + dz * dz
        let p = fastPow(d2, b)
        let coeff = (-twoAB * p / (d2 * (a * p + 1))).replacing(with: 0, where: d2 .<= 0)
        px += clip(coeff * dx) * alpha
        py += clip(coeff * dy) * alpha
        pz += clip(coeff * dz) * alpha
      }
      var most = 0
      for l in 0..<8 {
        count[l] = 0
        guard point[l] >= 0 else { continue }
        let t = edge[l]
        next[t] += eps[t]
        let negatives = epsNeg[t].isFinite ? Int((e - nextNeg[t]) / epsNeg[t]) : 0
        if negatives > 0 {
          nextNeg[t] += Double(negatives) * epsNeg[t]
          count[l] = negatives
          most = max(most, negatives)
        }
        edge[l] = t + 1
      }
      var mx = Lanes(), my = Lanes(), mz = Lanes()
      for j in 0..<most {
        @inline(__always) func negative(_ l: Int) -> SIMD4<Float> {
          let here = SIMD4(px[l], py[l], pz[l], 0)
          guard j < count[l] else { return here }
          let k = draw(l)
          return k == point[l] ? here : snap[k]
        }
        let q0 = negative(0), q1 = negative(1), q2 = negative(2), q3 = negative(3)
        let q4 = negative(4), q5 = negative(5), q6 = negative(6), q7 = negative(7)
        let dx = px - Lanes(q0.x, q1.x, q2.x, q3.x, q4.x, q5.x, q6.x, q7.x)
        let dy = py - Lanes(q0.y, q1.y, q2.y, q3.y, q4.y, q5.y, q6.y, q7.y)
        let dz = pz - Lanes(q0.z, q1.z, q2.z, q3.z, q4.z, q5.z, q6.z, q7.z)
        let d2 = dx * dx + dy * dy + dz * dz
        let p = fastPow(d2, b)
        let coeff = (twoGammaB / ((0.001 + d2) * (a * p + 1))).replacing(with: 0, where: d2 .<= 0)
        mx += clip(coeff * dx)
        my += clip(coeff * dy)
        mz += clip(coeff * dz)
      }
      px += mx * alpha
      py += my * alpha
      pz += mz * alpha
    }
  }

  /// The points moved at once, one per lane.
  typealias Lanes = SIMD8<Float>

  @inline(__always)
  static func clip(_ v: Lanes) -> Lanes {
    v.replacing(with: 4, where: v .> 4).replacing(with: -4, where: v .< -4)
  }

  @_transparent
  static func fastPow(_ x: SIMD8<Float>, _ y: Float) -> SIMD8<Float> {
    SIMD8(lowHalf: fastPow(x.lowHalf, y), highHalf: fastPow(x.highHalf, y))
  }

  /// `fastPow` on four lanes: the same operations in the same order, with the conversions
  /// between Float and integer done by bit tricks, so every lane has the bits of the scalar
  /// function.
  @_transparent
  static func fastPow(_ x: SIMD4<Float>, _ y: Float) -> SIMD4<Float> {
    let bits = unsafeBitCast(x.replacing(with: 1e-30, where: x .< 1e-30), to: SIMD4<UInt32>.self)
    // 2^23 + the biased exponent, as a Float, minus 2^23 + 127: the unbiased exponent.
    var exponent = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: SIMD4<Float>.self) - 8_388_735
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD4<Float>.self)
    let high = m .> 1.414_213_6
    m.replace(with: m * 0.5, where: high)
    exponent.replace(with: exponent + 1, where: high)
    let t = (m - 1) / (m + 1), t2 = t * t
    let c1: Float = 2.885_390_08, c3: Float = 0.961_796_69, c5: Float = 0.577_078_02, c7: Float = 0.412_198_58
    var series: SIMD4<Float> = c5 + t2 * c7
    series = c3 + t2 * series
    series = c1 + t2 * series
    let log2x = exponent + t * series
    var v = y * log2x
    v.replace(with: -126, where: v .< -126)
    v.replace(with: 127, where: v .> 127)
    // floor(v + 128.5) (v + 128.5 is in [2.5, 255.5]): adding 2^23 rounds to an integer, which
    // then sits in the low mantissa bits; one less where that rounded up.
    let w = v + 128.5
    var shifted = w + 8_388_608
    shifted.replace(with: shifted - 1, where: shifted - 8_388_608 .> w)
    let n = (shifted - 8_388_608) - 128
    let g = (v - n) * 0.693_147_18
    let e6: Float = 1.0 / 720, e5: Float = 1.0 / 120, e4: Float = 1.0 / 24, e3: Float = 1.0 / 6
    var e: SIMD4<Float> = e5 + g * e6
    e = e4 + g * e
    e = e3 + g * e
    e = 0.5 + g * e
    e = 1 + g * e
    e = 1 + g * e
    // The integer floor(v + 128.5) = n + 128, from the mantissa bits; 2^n = (n + 127) << 23.
    let integer = unsafeBitCast(shifted, to: SIMD4<Int32>.self) &- 0x4B00_0000
    return e * unsafeBitCast((integer &- 1) &<< 23, to: SIMD4<Float>.self)
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
