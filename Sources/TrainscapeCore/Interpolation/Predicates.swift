// Robust geometric predicates: a floating-point filter (Shewchuk's error bounds for the
// "stage A" estimate) with an exact fallback in expansion arithmetic (Shewchuk 1997, "Adaptive
// Precision Floating-Point Arithmetic and Fast Robust Geometric Predicates"). The fallback is the
// plain exact evaluation, not the multi-stage adaptive one: it is only reached for (nearly)
// degenerate inputs, so its speed does not matter.
import Foundation

enum Predicates {
  static let epsilon = Double.ulpOfOne / 2  // 2^-53
  static let ccwErrBoundA = (3.0 + 16.0 * epsilon) * epsilon
  static let iccErrBoundA = (10.0 + 96.0 * epsilon) * epsilon

  /// Sign of the orientation determinant: > 0 if (a, b, c) is counter-clockwise, < 0 clockwise,
  /// 0 collinear. Exact.
  @inline(__always)
  static func orient(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> Double {
    let detleft = (ax - cx) * (by - cy)
    let detright = (ay - cy) * (bx - cx)
    let det = detleft - detright
    let detsum = abs(detleft) + abs(detright)
    if abs(det) > ccwErrBoundA * detsum { return det }
    return orientExact(ax, ay, bx, by, cx, cy)
  }

  /// > 0 if d lies strictly inside the circle through the counter-clockwise triangle (a, b, c),
  /// < 0 outside, 0 on it. Exact.
  @inline(__always)
  static func incircle(
    _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double,
    _ dx: Double, _ dy: Double
  ) -> Double {
    let adx = ax - dx, ady = ay - dy
    let bdx = bx - dx, bdy = by - dy
    let cdx = cx - dx, cdy = cy - dy
    let bdxcdy = bdx * cdy, cdxbdy = cdx * bdy
    let alift = adx * adx + ady * ady
    let cdxady = cdx * ady, adxcdy = adx * cdy
    let blift = bdx * bdx + bdy * bdy
    let adxbdy = adx * bdy, bdxady = bdx * ady
    let clift = cdx * cdx + cdy * cdy
    let det = alift * (bdxcdy - cdxbdy) + blift * (cdxady - adxcdy) + clift * (adxbdy - bdxady)
    let permanent =
      (abs(bdxcdy) + abs(cdxbdy)) * alift + (abs(cdxady) + abs(adxcdy)) * blift
      + (abs(adxbdy) + abs(bdxady)) * clift
    if abs(det) > iccErrBoundA * permanent { return det }
    return incircleExact(ax, ay, bx, by, cx, cy, dx, dy)
  }

  // MARK: - Exact expansion arithmetic

  @inline(__always)
  static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
    let x = a + b
    let bv = x - a
    let av = x - bv
    return (x, (a - av) + (b - bv))
  }

  @inline(__always)
  static func twoProduct(_ a: Double, _ b: Double) -> (Double, Double) {
    let x = a * b
    return (x, (-x).addingProduct(a, b))  // exact error term via fused multiply-add
  }

  /// Exact difference as a nonoverlapping expansion (small component first).
  static func diff(_ a: Double, _ b: Double) -> [Double] {
    let (x, y) = twoSum(a, -b)
    return [y, x]
  }

  /// Sum of two expansions (Shewchuk's grow-expansion applied per component; zero elimination).
  static func sum(_ e: [Double], _ f: [Double]) -> [Double] {
    var h = e
    for b in f {
      var q = b
      var out: [Double] = []
      out.reserveCapacity(h.count + 1)
      for a in h {
        let (s, err) = twoSum(q, a)
        if err != 0 { out.append(err) }
        q = s
      }
      if q != 0 || out.isEmpty { out.append(q) }
      h = out
    }
    return h
  }

  /// Expansion times a double (scale-expansion with zero elimination).
  static func scale(_ e: [Double], _ b: Double) -> [Double] {
    var out: [Double] = []
    out.reserveCapacity(2 * e.count)
    guard let first = e.first else { return [0] }
    var (q, h) = twoProduct(first, b)
    if h != 0 { out.append(h) }
    for a in e.dropFirst() {
      let (p1, p0) = twoProduct(a, b)
      let (s, e1) = twoSum(q, p0)
      if e1 != 0 { out.append(e1) }
      let (s2, e2) = twoSum(p1, s)  // p1 + s; |p1| >= |s| not guaranteed, so use twoSum
      if e2 != 0 { out.append(e2) }
      q = s2
    }
    if q != 0 || out.isEmpty { out.append(q) }
    // Components may overlap slightly after the non-fast twoSum above; renormalise through sum.
    return sum([0], out)
  }

  static func product(_ e: [Double], _ f: [Double]) -> [Double] {
    var acc: [Double] = [0]
    for b in f where b != 0 { acc = sum(acc, scale(e, b)) }
    return acc
  }

  static func negate(_ e: [Double]) -> [Double] { e.map { -$0 } }

  /// The sign carrier of a nonoverlapping expansion is its largest (last nonzero) component.
  static func estimate(_ e: [Double]) -> Double {
    for v in e.reversed() where v != 0 { return v }
    return 0
  }

  static func orientExact(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> Double {
    let acx = diff(ax, cx), bcy = diff(by, cy), acy = diff(ay, cy), bcx = diff(bx, cx)
    let det = sum(product(acx, bcy), negate(product(acy, bcx)))
    return estimate(det)
  }

  static func incircleExact(
    _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double,
    _ dx: Double, _ dy: Double
  ) -> Double {
    let adx = diff(ax, dx), ady = diff(ay, dy)
    let bdx = diff(bx, dx), bdy = diff(by, dy)
    let cdx = diff(cx, dx), cdy = diff(cy, dy)
    let alift = sum(product(adx, adx), product(ady, ady))
    let blift = sum(product(bdx, bdx), product(bdy, bdy))
    let clift = sum(product(cdx, cdx), product(cdy, cdy))
    let bc = sum(product(bdx, cdy), negate(product(cdx, bdy)))
    let ca = sum(product(cdx, ady), negate(product(adx, cdy)))
    let ab = sum(product(adx, bdy), negate(product(bdx, ady)))
    let det = sum(sum(product(alift, bc), product(blift, ca)), product(clift, ab))
    return estimate(det)
  }
}
