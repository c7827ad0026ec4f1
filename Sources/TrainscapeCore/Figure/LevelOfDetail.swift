import Foundation

/// Level of detail for rendering only: software rasterizers (Mesa llvmpipe) are triangle-bound,
/// so a surface with more triangles than the image has pixels costs time without adding detail.
/// Exports (JSON, HTML, glTF, CSV) must use the full-resolution scene; only the renderer reads
/// the reduced copy.
extension Scene {
  /// About one triangle per two pixels of the image: never more triangles than pixels.
  public static func triangleBudget(width: Int, height: Int) -> Int {
    Swift.max(2, width * height / 2)
  }

  /// The number of triangles the surfaces of this scene draw at full resolution
  /// (`(rows - 1) * (cols - 1) * 2` per surface; holes are counted too).
  public var surfaceTriangleCount: Int {
    traces.reduce(0) { total, trace in
      guard case .surface(let s) = trace else { return total }
      return total + Swift.max(0, s.rows - 1) * Swift.max(0, s.cols - 1) * 2
    }
  }

  /// A copy whose surfaces have at most about `maxTriangles` triangles in total.
  ///
  /// Each surface gets a share of the budget proportional to its own triangle count, and is
  /// resampled on a coarser grid: a short side (at most 128 samples, e.g. the layers of a
  /// gradient-flow surface) keeps every sample when the long side can absorb the reduction;
  /// otherwise both axes are shrunk by the same factor (so cells keep their shape), the kept rows and columns are evenly spaced (`round(i * (n - 1) / (m - 1))`, so the
  /// effective stride may alternate between two integers) and always include the first and last
  /// row and column, so the surface keeps its extent. The value of a coarse vertex is the
  /// sample itself (x, y, z and colour at the kept row and column: no averaging, so the values
  /// shown are real samples, but a narrow peak between kept samples can be missed).
  ///
  /// Holes survive: a coarse vertex becomes a hole (z = NaN) when any full-resolution sample
  /// nearest to it is a hole (non-finite, or not positive on a log axis). A hole can therefore
  /// grow by up to one coarse cell, but never vanishes.
  ///
  /// Scatter and mesh traces are unchanged. `reduced` is false (and the scene returned as it
  /// is) when the surfaces already fit the budget. A note in `notes` says what was reduced.
  public func levelOfDetail(maxTriangles: Int) -> (scene: Scene, reduced: Bool) {
    let total = surfaceTriangleCount
    guard maxTriangles > 0, total > maxTriangles else { return (self, false) }
    var copy = self
    var reducedAny = false
    for (t, trace) in traces.enumerated() {
      guard case .surface(let s) = trace, s.rows >= 3 || s.cols >= 3 else { continue }
      let own = Swift.max(0, s.rows - 1) * Swift.max(0, s.cols - 1) * 2
      guard own > 0 else { continue }
      let share = Swift.max(2, Int(Double(maxTriangles) * Double(own) / Double(total)))
      guard own > share else { continue }
      let (nr, nc) = Self.coarseShape(rows: s.rows, cols: s.cols, budget: share)
      guard nr < s.rows || nc < s.cols else { continue }
      copy.traces[t] = .surface(resample(s, rows: nr, cols: nc))
      copy.notes.append(
        "\(s.name.isEmpty ? "surface" : s.name): drawn at \(nr)x\(nc) of \(s.rows)x\(s.cols) samples (level of detail for rendering; exports keep full resolution)"
      )
      reducedAny = true
    }
    return (reducedAny ? copy : self, reducedAny)
  }

  /// The coarse grid shape with `(nr - 1) * (nc - 1) * 2 <= budget`: a short side kept whole
  /// when possible, else both sides scaled by the same factor, each at least 2 (when the input
  /// has at least 2).
  static func coarseShape(rows: Int, cols: Int, budget: Int) -> (Int, Int) {
    let cellsR = Double(rows - 1), cellsC = Double(cols - 1)
    let cellBudget = Double(budget) / 2
    // A short side (layers of a gradient-flow surface, learning rates of a sweep) keeps every
    // sample when the long side alone can absorb the reduction: rows are data, not resolution.
    let shortSide = 128
    if rows <= shortSide && rows < cols && rows >= 2 {
      let c = Swift.min(cols, Swift.max(2, Int(cellBudget / cellsR) + 1))
      if c >= Swift.min(cols, 2 * rows) { return (rows, c) }
    }
    if cols <= shortSide && cols < rows && cols >= 2 {
      let r = Swift.min(rows, Swift.max(2, Int(cellBudget / cellsC) + 1))
      if r >= Swift.min(rows, 2 * cols) { return (r, cols) }
    }
    var k = (cellBudget / (cellsR * cellsC)).squareRoot()
    func shape(_ k: Double) -> (Int, Int) {
      let r = Swift.min(rows, Swift.max(Swift.min(rows, 2), Int((cellsR * k).rounded(.down)) + 1))
      let c = Swift.min(cols, Swift.max(Swift.min(cols, 2), Int((cellsC * k).rounded(.down)) + 1))
      return (r, c)
    }
    var (r, c) = shape(k)
    // One side may have hit its floor of 2 or its full size: give the other side the rest.
    if r == rows || r == 2 {
      c = Swift.min(cols, Swift.max(2, Int(cellBudget / Double(Swift.max(1, r - 1))) + 1))
    } else if c == cols || c == 2 {
      r = Swift.min(rows, Swift.max(2, Int(cellBudget / Double(Swift.max(1, c - 1))) + 1))
    }
    while (r - 1) * (c - 1) * 2 > budget && (r > 2 || c > 2) {
      k *= 0.99
      (r, c) = shape(k)
    }
    return (r, c)
  }

  /// For each full-resolution index, the position of its nearest kept index.
  static func nearestKept(_ kept: [Int], _ n: Int) -> [Int] {
    var out = [Int](repeating: 0, count: n)
    var j = 0
    for i in 0..<n {
      while j + 1 < kept.count && abs(kept[j + 1] - i) <= abs(kept[j] - i) { j += 1 }
      out[i] = j
    }
    return out
  }

  private func resample(_ s: SurfaceTrace, rows nr: Int, cols nc: Int) -> SurfaceTrace {
    let keptR = Subsampling.evenlySpaced(s.rows, keeping: nr), keptC = Subsampling.evenlySpaced(s.cols, keeping: nc)
    var out = s.subgrid(rows: keptR, cols: keptC)
    // Holes: any full-resolution hole punches its nearest coarse vertex.
    let nearR = Self.nearestKept(keptR, s.rows), nearC = Self.nearestKept(keptC, s.cols)
    for r in 0..<s.rows {
      for c in 0..<s.cols {
        let i = r * s.cols + c
        if !normalized(s.x[i], s.y[i], s.z[i]).isFinite {
          out.z[nearR[r] * keptC.count + nearC[c]] = .nan
        }
      }
    }
    return out
  }
}
