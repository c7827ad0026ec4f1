/// Smooth vertex normals of a triangle mesh: each triangle adds its cross product (twice its
/// area, so larger triangles weigh more) to its three vertices, in the order given; the sums
/// are normalized. A vertex on no triangle (or on degenerate ones only) gets (0, 0, 1).
/// Grid surfaces (`SurfaceMesh`), mesh traces on the GPU and in glTF use it.
public enum VertexNormals {
  public static func smooth(positions: [Vec3], triangles: [UInt32]) -> [Vec3] {
    var acc = [Vec3](repeating: .zero, count: positions.count)
    var t = 0
    while t + 2 < triangles.count {
      let a = Int(triangles[t]), b = Int(triangles[t + 1]), c = Int(triangles[t + 2])
      let fn = (positions[b] - positions[a]).cross(positions[c] - positions[a])
      acc[a] = acc[a] + fn; acc[b] = acc[b] + fn; acc[c] = acc[c] + fn
      t += 3
    }
    return acc.map { $0.length > 0 ? $0.normalized : Vec3(0, 0, 1) }
  }
}

extension MeshTrace {
  /// The faces (Plotly's i, j, k) whose three vertex indices are in range and for which
  /// `drawable` holds at every corner, as a triangle list; and how many were left out.
  public func triangles(where drawable: (Int) -> Bool = { _ in true }) -> (indices: [UInt32], dropped: Int) {
    let n = x.count
    var out: [UInt32] = []
    out.reserveCapacity(i.count * 3)
    var dropped = 0
    for f in 0..<i.count {
      let a = Int(i[f]), b = Int(j[f]), c = Int(k[f])
      guard a >= 0, b >= 0, c >= 0, a < n, b < n, c < n, drawable(a), drawable(b), drawable(c) else {
        dropped += 1
        continue
      }
      out.append(UInt32(a)); out.append(UInt32(b)); out.append(UInt32(c))
    }
    return (out, dropped)
  }
}
