/// Parts of traces: the points or grid samples at given indices, with everything that goes with
/// them (colours, hover text). Exporters thin with them, level of detail strides with them, an
/// animation reveals points with them.
extension PointColors {
  /// The colours of points `indices` (a solid colour stays as it is).
  public func subset(_ indices: [Int]) -> PointColors {
    switch self {
    case .solid: return self
    case .perPoint(let cs): return .perPoint(indices.map { cs[$0] })
    case .scalar(let v, let map, let range, let scale):
      return .scalar(indices.map { v[$0] }, colormap: map, range: range, scale: scale)
    }
  }
}

extension ScatterTrace {
  /// Points `indices`, in that order, with their colours and text.
  public func subset(_ indices: [Int]) -> ScatterTrace {
    var t = self
    t.x = indices.map { x[$0] }
    t.y = indices.map { y[$0] }
    t.z = indices.map { z[$0] }
    if !text.isEmpty { t.text = indices.map { text[$0] } }
    if !markerSizes.isEmpty { t.markerSizes = indices.map { markerSize(at: $0) } }
    t.colors = colors.subset(indices)
    t.lineColors = lineColors?.subset(indices)
    return t
  }

  /// The first `count` points (all of them when there are fewer).
  public func prefix(_ count: Int) -> ScatterTrace {
    guard self.count > count else { return self }
    return subset(Array(0..<Swift.max(0, count)))
  }
}

extension SurfaceTrace {
  /// The samples at rows `rowIndices` x columns `colIndices` (x, y, z and colour values), a
  /// `rowIndices.count` x `colIndices.count` grid.
  public func subgrid(rows rowIndices: [Int], cols colIndices: [Int]) -> SurfaceTrace {
    let n = rowIndices.count * colIndices.count
    var x = [Double](), y = [Double](), z = [Double](), color = [Double]()
    x.reserveCapacity(n); y.reserveCapacity(n); z.reserveCapacity(n); color.reserveCapacity(n)
    for r in rowIndices {
      for c in colIndices {
        let i = r * cols + c
        x.append(self.x[i]); y.append(self.y[i]); z.append(self.z[i]); color.append(self.color[i])
      }
    }
    var t = self
    t.rows = rowIndices.count
    t.cols = colIndices.count
    t.x = x; t.y = y; t.z = z; t.color = color
    return t
  }
}

/// Which indices to keep when thinning.
public enum Subsampling {
  /// Every `stride`-th index of `0..<count` and the last one (all of them for a stride of 1).
  public static func strided(_ count: Int, by stride: Int) -> [Int] {
    guard stride > 1, count > 1 else { return Array(0..<count) }
    var out = Array(Swift.stride(from: 0, to: count - 1, by: stride))
    out.append(count - 1)
    return out
  }

  /// `kept` evenly spaced indices of `0..<count`, the first and the last included.
  public static func evenlySpaced(_ count: Int, keeping kept: Int) -> [Int] {
    guard kept < count else { return Array(0..<count) }
    guard kept > 1 else { return [0] }
    return (0..<kept).map { Int((Double($0) * Double(count - 1) / Double(kept - 1)).rounded()) }
  }
}
