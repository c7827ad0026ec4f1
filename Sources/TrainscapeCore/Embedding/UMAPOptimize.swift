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
  /// the attraction and applied together (they are independent, so they are computed eight at
  /// a time in SIMD lanes). Gradients are clipped to +-4 per coordinate.
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
      // Eight negative samples at a time, in SIMD lanes; a lane without a sample (or one that
      // drew the point itself) is masked out. Lanes are filled with constant indices so that
      // they stay in registers.
      let here = SIMD8<Float>(repeating: x), hereY = SIMD8<Float>(repeating: y), hereZ = SIMD8<Float>(repeating: z)
      var mx = SIMD8<Float>(), my = SIMD8<Float>(), mz = SIMD8<Float>()
      var done = 0
      while done < negatives {
        let count = negatives - done
        @inline(__always) func draw(_ l: Int) -> (SIMD4<Float>, Float) {
          guard l < count else { return (.zero, 0) }
          let k = Int(((rng.next() >> 32) &* UInt64(n)) >> 32)
          return k == i ? (.zero, 0) : (snap[k], 1)
        }
        let (q0, v0) = draw(0), (q1, v1) = draw(1), (q2, v2) = draw(2), (q3, v3) = draw(3)
        let (q4, v4) = draw(4), (q5, v5) = draw(5), (q6, v6) = draw(6), (q7, v7) = draw(7)
        done += 8
        let valid = SIMD8<Float>(v0, v1, v2, v3, v4, v5, v6, v7)
        let dx = here - SIMD8<Float>(q0.x, q1.x, q2.x, q3.x, q4.x, q5.x, q6.x, q7.x)
        let dy = hereY - SIMD8<Float>(q0.y, q1.y, q2.y, q3.y, q4.y, q5.y, q6.y, q7.y)
        let dz = hereZ - SIMD8<Float>(q0.z, q1.z, q2.z, q3.z, q4.z, q5.z, q6.z, q7.z)
        let d2 = dx * dx + dy * dy + dz * dz
        let p = fastPow(d2, b)
        // Zero distance (the same position) pushes nothing, as umap-learn's `dist_squared > 0`.
        let coeff = (twoGammaB / ((0.001 + d2) * (a * p + 1))).replacing(with: 0, where: d2 .<= 0) * valid
        mx += clip8(coeff * dx)
        my += clip8(coeff * dy)
        mz += clip8(coeff * dz)
      }
      x += mx.sum() * alpha
      y += my.sum() * alpha
      z += mz.sum() * alpha
      nextNeg[t] += Double(negatives) * epsNeg[t]
    }
    return SIMD4(x, y, z, 0)
  }

  @inline(__always)
  static func clip8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    var r = v
    r.replace(with: 4, where: v .> 4)
    r.replace(with: -4, where: v .< -4)
    return r
  }

  /// `fastPow` on eight lanes at once: the same polynomials, with integer/float conversions
  /// done by bit tricks so that every step stays in vector registers (ties in the rounding go
  /// to even here, up in the scalar one: both keep the reduced argument within +-1/2).
  @_optimize(speed) @inline(__always)
  static func fastPow(_ x: SIMD8<Float>, _ y: Float) -> SIMD8<Float> {
    let bits = unsafeBitCast(x.replacing(with: 1e-30, where: x .< 1e-30), to: SIMD8<UInt32>.self)
    // 2^23 + biased exponent, as a Float, minus 2^23 + 127: the unbiased exponent.
    var exponent = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_735
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD8<Float>.self)
    let high = m .> 1.414_213_6
    m.replace(with: m * 0.5, where: high)
    exponent.replace(with: exponent + 1, where: high)
    let t = (m - 1) / (m + 1), t2 = t * t
    var series: SIMD8<Float> = 0.577_078_02 + t2 * 0.412_198_58
    series = 0.961_796_69 + t2 * series
    series = 2.885_390_08 + t2 * series
    let log2x = exponent + t * series
    var v = y * log2x
    v.replace(with: -126, where: v .< -126)
    v.replace(with: 127, where: v .> 127)
    // Adding 1.5 * 2^23 rounds to an integer, which then sits in the low mantissa bits.
    let shifted = v + 12_582_912
    let n = shifted - 12_582_912
    let g = (v - n) * 0.693_147_18
    let c6: Float = 1.0 / 720, c5: Float = 1.0 / 120, c4: Float = 1.0 / 24, c3: Float = 1.0 / 6
    var e: SIMD8<Float> = c5 + g * c6
    e = c4 + g * e
    e = c3 + g * e
    e = 0.5 + g * e
    e = 1 + g * e
    e = 1 + g * e
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    return e * scale
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
