/// A triangle mesh of a grid surface, ready to upload: interleaving is left to the GL layer.
///
/// Vertices are laid out row-major (`row * cols + col`). A grid cell becomes two triangles
/// only when all four corners are finite, so NaN samples leave holes instead of spikes.
/// Normals are the area-weighted average of the adjacent valid triangles (smooth shading);
/// a vertex that touches no valid triangle gets (0, 0, 1).
public struct SurfaceMesh: Sendable, Equatable {
  public var rows: Int
  public var cols: Int
  /// xyz per vertex (normalized scene coordinates); NaN vertices are stored as 0.
  public var positions: [Float]
  /// Unit normal per vertex.
  public var normals: [Float]
  /// Colour-map coordinate per vertex in [0, 1]; NaN where the sample is missing.
  public var scalars: [Float]
  /// Triangle list, counter-clockwise seen from +z for increasing x along columns and y along rows.
  public var indices: [UInt32]

  public var vertexCount: Int { rows * cols }
  public var triangleCount: Int { indices.count / 3 }

  /// Builds the mesh from grid samples.
  /// - Parameters:
  ///   - rows, cols: grid shape (each at least 1).
  ///   - position: position of sample (row, col); a non-finite component marks a hole.
  ///   - scalar: colour-map coordinate of sample (row, col), expected in [0, 1].
  public init(
    rows: Int, cols: Int,
    position: (Int, Int) -> Vec3,
    scalar: (Int, Int) -> Double
  ) {
    precondition(rows >= 1 && cols >= 1, "a surface needs at least one row and one column")
    self.rows = rows
    self.cols = cols
    let n = rows * cols
    var pos = [Vec3](repeating: .zero, count: n)
    var valid = [Bool](repeating: false, count: n)
    var sc = [Float](repeating: .nan, count: n)
    for r in 0..<rows {
      for c in 0..<cols {
        let i = r * cols + c
        let p = position(r, c)
        if p.isFinite {
          pos[i] = p
          valid[i] = true
          let s = scalar(r, c)
          sc[i] = s.isFinite ? Float(s) : .nan
        }
      }
    }
    var idx: [UInt32] = []
    idx.reserveCapacity(max(0, (rows - 1) * (cols - 1) * 6))
    if rows >= 2 && cols >= 2 {
      for r in 0..<(rows - 1) {
        for c in 0..<(cols - 1) {
          let i00 = r * cols + c, i01 = i00 + 1, i10 = i00 + cols, i11 = i10 + 1
          guard valid[i00] && valid[i01] && valid[i10] && valid[i11] else { continue }
          for v in [i00, i01, i11, i00, i11, i10] { idx.append(UInt32(v)) }
        }
      }
    }
    let nrm = VertexNormals.smooth(positions: pos, triangles: idx)
    var flatPos = [Float](repeating: 0, count: n * 3)
    var flatNrm = [Float](repeating: 0, count: n * 3)
    for i in 0..<n {
      flatPos[i * 3] = Float(pos[i].x); flatPos[i * 3 + 1] = Float(pos[i].y)
      flatPos[i * 3 + 2] = Float(pos[i].z)
      flatNrm[i * 3] = Float(nrm[i].x); flatNrm[i * 3 + 1] = Float(nrm[i].y); flatNrm[i * 3 + 2] = Float(nrm[i].z)
    }
    self.positions = flatPos
    self.normals = flatNrm
    self.scalars = sc
    self.indices = idx
  }
}
