/// Fast approximate anti-aliasing on the CPU: the same edge-directed blend as
/// `Shaders/fxaa.frag` (after Lottes' FXAA), for software rasterizers.
///
/// On Mesa llvmpipe any full-screen fragment pass costs several milliseconds at 1280x720, and
/// the FXAA shader's nine filtered texture fetches per pixel cost about as much as drawing the
/// whole plot. Here a pixel whose neighbourhood has no luma contrast (almost all of them: panes,
/// background, smooth shading) costs a few comparisons and is copied; only edge pixels do the
/// directional blend. It runs on the frame pipeline's encoder thread, beside the drawing of the
/// next frame.
///
/// Coordinates follow the shader's (texture rows bottom-up): the results match the GPU pass
/// to within the rounding of the GPU's filtering.
public enum FXAA {
  /// Edges with less luma contrast than `max(minimumContrast, relativeContrast * brightest)`
  /// are left alone (FXAA 3.11's "high quality" thresholds).
  public static let minimumContrast: Float = 1.0 / 32.0
  public static let relativeContrast: Float = 1.0 / 8.0
  static let reduceMin: Float = 1.0 / 128.0
  static let reduceMul: Float = 1.0 / 8.0
  static let spanMax: Float = 8.0

  /// Anti-aliases `plot` (the 3D plot alone) and puts back the overlay: where `composed` (the
  /// plot with text and colour bar drawn over it) differs from `plot`, its pixel is kept as it
  /// is, so text stays sharp and no text colour is blended into the plot. `composed` nil: just
  /// the plot. Alpha is kept from the source pixel. Only pixels inside `region` (the plot's
  /// viewport; nil: the whole image) are smoothed.
  public static func apply(plot: RGBAImage, composed: RGBAImage? = nil, region: PixelRect? = nil) -> RGBAImage {
    var out = composed ?? plot
    apply(plot: plot, into: &out, region: region)
    return out
  }

  /// `apply` in place: `composed` (the plot with the overlay drawn over it, or a copy of the
  /// plot) becomes the finished image, without another image-sized buffer.
  public static func apply(plot: RGBAImage, into composed: inout RGBAImage, region: PixelRect? = nil) {
    let w = plot.width, h = plot.height
    precondition(composed.width == w && composed.height == h, "image sizes differ")
    guard w >= 3, h >= 3 else { return }
    // Pixels [x0, x1) x [y0, y1) are smoothed; never the outermost ones.
    let x0 = Swift.max(1, Int((region?.x ?? 0).rounded(.down)))
    let x1 = Swift.min(w - 1, Int((region?.maxX ?? Double(w)).rounded(.up)))
    let y0 = Swift.max(1, Int((region?.y ?? 0).rounded(.down)))
    let y1 = Swift.min(h - 1, Int((region?.maxY ?? Double(h)).rounded(.up)))
    guard x0 < x1, y0 < y1 else { return }
    plot.pixels.withUnsafeBufferPointer { src in
      composed.pixels.withUnsafeMutableBufferPointer { dst in
        blend(src: src, dst: dst, width: w, height: h, columns: x0..<x1, rows: y0..<y1)
      }
    }
  }

  /// `src` rows are top-down; "north" below is the shader's -y (texture rows go up), which is
  /// the next image row down. `columns` and `rows` exclude the outermost ones. `dst` starts as
  /// the composed image: a pixel is read there (is it overlay?) only before it is written.
  private static func blend(
    src: UnsafeBufferPointer<UInt8>, dst: UnsafeMutableBufferPointer<UInt8>, width w: Int,
    height h: Int, columns: Range<Int>, rows: Range<Int>
  ) {
    // Luma of three rows at a time (row k in slot k % 3), each computed once.
    let luma = UnsafeMutablePointer<Float>.allocate(capacity: 3 * w)
    defer { luma.deallocate() }
    let p = src.baseAddress!
    @inline(__always) func computeLuma(_ row: Int) {
      let q = luma + (row % 3) * w, pixel = p + 4 * row * w
      for x in 0..<w {
        // Wrapping index arithmetic (x is small): no overflow checks in the way of vectorizing.
        let r = Float(pixel[4 &* x]), g = Float(pixel[4 &* x &+ 1]), b = Float(pixel[4 &* x &+ 2])
        q[x] = r * (0.299 / 255.0) + g * (0.587 / 255.0) + b * (0.114 / 255.0)
      }
    }
    computeLuma(rows.lowerBound - 1)
    computeLuma(rows.lowerBound)
    // Per row, first a branch-free pass (vectorized) that flags edge pixels, then the blend
    // for the few flagged ones.
    let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: w)
    defer { flags.deallocate() }
    flags.initialize(repeating: 0, count: w)
    for r in rows {
      computeLuma(r + 1)
      let m = luma + (r % 3) * w, n = luma + ((r + 1) % 3) * w, s = luma + ((r - 1) % 3) * w
      // Branch-free, with the neighbours as offset pointers so no index arithmetic (with its
      // overflow checks) keeps the compiler from vectorizing the loop.
      let nW = n - 1, nE = n + 1, sW = s - 1, sE = s + 1
      var anyEdge: UInt8 = 0
      for x in columns {
        let lMin = Swift.min(m[x], Swift.min(Swift.min(nW[x], nE[x]), Swift.min(sW[x], sE[x])))
        let lMax = Swift.max(m[x], Swift.max(Swift.max(nW[x], nE[x]), Swift.max(sW[x], sE[x])))
        let f: UInt8 = lMax - lMin >= Swift.max(minimumContrast, lMax * relativeContrast) ? 1 : 0
        flags[x] = f
        anyEdge |= f
      }
      if anyEdge == 0 { continue }
      for x in columns where flags[x] != 0 {
        let i = 4 * (r * w + x)
        if dst[i] != src[i] || dst[i + 1] != src[i + 1] || dst[i + 2] != src[i + 2]
          || dst[i + 3] != src[i + 3]
        {
          continue  // text or colour bar drawn here: keep it
        }
        let lM = m[x], lNW = n[x - 1], lNE = n[x + 1], lSW = s[x - 1], lSE = s[x + 1]
        let lMin = Swift.min(lM, Swift.min(Swift.min(lNW, lNE), Swift.min(lSW, lSE)))
        let lMax = Swift.max(lM, Swift.max(Swift.max(lNW, lNE), Swift.max(lSW, lSE)))
        var dx = -((lNW + lNE) - (lSW + lSE))
        var dy = (lNW + lSW) - (lNE + lSE)
        let reduce = Swift.max((lNW + lNE + lSW + lSE) * 0.25 * reduceMul, reduceMin)
        let scale = 1 / (Swift.min(Swift.abs(dx), Swift.abs(dy)) + reduce)
        dx = Swift.min(Swift.max(dx * scale, -spanMax), spanMax)
        dy = Swift.min(Swift.max(dy * scale, -spanMax), spanMax)
        // Texture y goes up: image rows go down.
        let px = Float(x), py = Float(r)
        let s1 = sample(src, w, h, px + dx * (1.0 / 3.0 - 0.5), py - dy * (1.0 / 3.0 - 0.5))
        let s2 = sample(src, w, h, px + dx * (2.0 / 3.0 - 0.5), py - dy * (2.0 / 3.0 - 0.5))
        let s3 = sample(src, w, h, px - dx * 0.5, py + dy * 0.5)
        let s4 = sample(src, w, h, px + dx * 0.5, py - dy * 0.5)
        let a = ((s1.0 + s2.0) * 0.5, (s1.1 + s2.1) * 0.5, (s1.2 + s2.2) * 0.5)
        let b = (
          0.5 * a.0 + 0.25 * (s3.0 + s4.0), 0.5 * a.1 + 0.25 * (s3.1 + s4.1), 0.5 * a.2 + 0.25 * (s3.2 + s4.2)
        )
        let lB = (0.299 * b.0 + 0.587 * b.1 + 0.114 * b.2) * (1.0 / 255.0)
        let c = (lB < lMin || lB > lMax) ? a : b
        dst[i] = UInt8(c.0 + 0.5)
        dst[i + 1] = UInt8(c.1 + 0.5)
        dst[i + 2] = UInt8(c.2 + 0.5)
        dst[i + 3] = src[i + 3]
      }
    }
  }

  /// Bilinear sample at texel-centre coordinates (x, y), clamped to the edges; 0...255.
  @inline(__always)
  private static func sample(
    _ src: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int, _ x: Float, _ y: Float
  ) -> (Float, Float, Float) {
    // Clamped first, so truncation is the floor and the conversions cannot trap.
    let cx = Swift.min(Swift.max(x, 0), Float(w - 1)), cy = Swift.min(Swift.max(y, 0), Float(h - 1))
    let x0 = Int(cx), y0 = Int(cy)
    let tx = cx - Float(x0), ty = cy - Float(y0)
    // Wrapping arithmetic: the indices are in range by construction.
    let dx = x0 &+ 1 < w ? 4 : 0, dy = y0 &+ 1 < h ? 4 &* w : 0
    let p = src.baseAddress! + 4 &* (y0 &* w &+ x0)
    let w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty
    @inline(__always) func ch(_ k: Int) -> Float {
      Float(p[k]) * w00 + Float(p[dx &+ k]) * w10 + Float(p[dy &+ k]) * w01 + Float(p[dx &+ dy &+ k]) * w11
    }
    return (ch(0), ch(1), ch(2))
  }
}
