import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

@Suite(.tiered) struct SurfaceMeshTests {
  @Test func countsForAFullGrid() {
    let m = SurfaceMesh(rows: 4, cols: 5, position: { r, c in Vec3(Double(c), Double(r), 0) }, scalar: { _, _ in 0.5 })
    #expect(m.vertexCount == 20)
    #expect(m.positions.count == 60)
    #expect(m.normals.count == 60)
    #expect(m.scalars.count == 20)
    #expect(m.triangleCount == 3 * 4 * 2)
    #expect(m.indices.allSatisfy { $0 < 20 })
  }

  @Test func planeNormalsPointUpAndAreUnitLength() {
    let m = SurfaceMesh(rows: 3, cols: 3, position: { r, c in Vec3(Double(c), Double(r), 2) }, scalar: { _, _ in 0 })
    for i in 0..<m.vertexCount {
      #expect(abs(m.normals[i * 3]) < 1e-6)
      #expect(abs(m.normals[i * 3 + 1]) < 1e-6)
      #expect(abs(m.normals[i * 3 + 2] - 1) < 1e-6)
    }
  }

  @Test func tiltedPlaneNormalsMatchTheAnalyticNormal() {
    // z = 0.5 x + 0.25 y has normal (-0.5, -0.25, 1) / |.|
    let m = SurfaceMesh(rows: 4, cols: 4, position: { r, c in
      Vec3(Double(c), Double(r), 0.5 * Double(c) + 0.25 * Double(r)) }, scalar: { _, _ in 0 })
    let n = Vec3(-0.5, -0.25, 1).normalized
    for i in 0..<m.vertexCount {
      #expect(abs(Double(m.normals[i * 3]) - n.x) < 1e-6)
      #expect(abs(Double(m.normals[i * 3 + 1]) - n.y) < 1e-6)
      #expect(abs(Double(m.normals[i * 3 + 2]) - n.z) < 1e-6)
    }
  }

  @Test func nanSamplesLeaveHoles() {
    // A NaN in the middle of a 3x3 grid removes all 4 cells around it.
    let m = SurfaceMesh(rows: 3, cols: 3, position: { r, c in
      r == 1 && c == 1 ? Vec3(Double(c), Double(r), .nan) : Vec3(Double(c), Double(r), 0) }, scalar: { _, _ in 0 })
    #expect(m.triangleCount == 0)
    // A NaN in a corner of a 3x3 grid removes one cell.
    let m2 = SurfaceMesh(rows: 3, cols: 3, position: { r, c in
      r == 0 && c == 0 ? Vec3(.nan, 0, 0) : Vec3(Double(c), Double(r), 0) }, scalar: { _, _ in 0 })
    #expect(m2.triangleCount == 6)
    #expect(!m2.indices.contains(0))
    #expect(m2.scalars[0].isNaN)
  }

  @Test func trianglesAreCounterClockwiseSeenFromAbove() {
    let m = SurfaceMesh(rows: 2, cols: 2, position: { r, c in Vec3(Double(c), Double(r), 0) }, scalar: { _, _ in 0 })
    for t in 0..<m.triangleCount {
      let p = (0..<3).map { k -> Vec3 in
        let i = Int(m.indices[t * 3 + k])
        return Vec3(Double(m.positions[i * 3]), Double(m.positions[i * 3 + 1]), Double(m.positions[i * 3 + 2]))
      }
      #expect((p[1] - p[0]).cross(p[2] - p[0]).z > 0)
    }
  }
}
