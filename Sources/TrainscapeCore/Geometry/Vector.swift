import Foundation

/// Small linear-algebra helpers for the camera and layout. Double precision on the CPU;
/// the GL layer converts to Float when it uploads.
public struct Vec3: Hashable, Sendable, CustomStringConvertible {
  public var x, y, z: Double
  public init(_ x: Double, _ y: Double, _ z: Double) { self.x = x; self.y = y; self.z = z }
  public static let zero = Vec3(0, 0, 0)

  public static func + (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x + b.x, a.y + b.y, a.z + b.z) }
  public static func - (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x - b.x, a.y - b.y, a.z - b.z) }
  public static func * (a: Vec3, s: Double) -> Vec3 { Vec3(a.x * s, a.y * s, a.z * s) }
  public static prefix func - (a: Vec3) -> Vec3 { Vec3(-a.x, -a.y, -a.z) }
  public func dot(_ b: Vec3) -> Double { x * b.x + y * b.y + z * b.z }
  public func cross(_ b: Vec3) -> Vec3 {
    Vec3(y * b.z - z * b.y, z * b.x - x * b.z, x * b.y - y * b.x)
  }
  public var length: Double { dot(self).squareRoot() }
  public var normalized: Vec3 { let l = length; return l > 0 ? self * (1 / l) : self }
  public var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite }
  public var description: String { "(\(x), \(y), \(z))" }
}

/// A 4x4 matrix stored column-major, as OpenGL expects it.
public struct Mat4: Equatable, Sendable {
  public var m: [Double]  // 16 entries, column-major: m[col * 4 + row]

  public init(columnMajor m: [Double]) {
    precondition(m.count == 16)
    self.m = m
  }
  public static let identity = Mat4(columnMajor: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

  public subscript(row: Int, col: Int) -> Double {
    get { m[col * 4 + row] }
    set { m[col * 4 + row] = newValue }
  }

  public static func * (a: Mat4, b: Mat4) -> Mat4 {
    var r = [Double](repeating: 0, count: 16)
    for c in 0..<4 {
      for row in 0..<4 {
        var s = 0.0
        for k in 0..<4 { s += a.m[k * 4 + row] * b.m[c * 4 + k] }
        r[c * 4 + row] = s
      }
    }
    return Mat4(columnMajor: r)
  }

  /// Transforms a point (w = 1) and returns the homogeneous result (x, y, z, w).
  public func transform(_ p: Vec3) -> (x: Double, y: Double, z: Double, w: Double) {
    (
      m[0] * p.x + m[4] * p.y + m[8] * p.z + m[12],
      m[1] * p.x + m[5] * p.y + m[9] * p.z + m[13],
      m[2] * p.x + m[6] * p.y + m[10] * p.z + m[14],
      m[3] * p.x + m[7] * p.y + m[11] * p.z + m[15]
    )
  }

  /// Right-handed view matrix (gluLookAt).
  public static func lookAt(eye: Vec3, center: Vec3, up: Vec3) -> Mat4 {
    let f = (center - eye).normalized
    var s = f.cross(up).normalized
    if s.length == 0 { s = f.cross(Vec3(0, 1, 0)).normalized }  // up parallel to the view direction
    let u = s.cross(f)
    return Mat4(columnMajor: [
      s.x, u.x, -f.x, 0,
      s.y, u.y, -f.y, 0,
      s.z, u.z, -f.z, 0,
      -s.dot(eye), -u.dot(eye), f.dot(eye), 1,
    ])
  }

  /// Perspective projection (gluPerspective); `fovY` in radians.
  public static func perspective(fovY: Double, aspect: Double, near: Double, far: Double) -> Mat4 {
    let f = 1 / tan(fovY / 2)
    return Mat4(columnMajor: [
      f / aspect, 0, 0, 0,
      0, f, 0, 0,
      0, 0, (far + near) / (near - far), -1,
      0, 0, 2 * far * near / (near - far), 0,
    ])
  }

  /// Orthographic projection (glOrtho).
  public static func orthographic(
    left: Double, right: Double, bottom: Double, top: Double, near: Double, far: Double
  ) -> Mat4 {
    Mat4(columnMajor: [
      2 / (right - left), 0, 0, 0,
      0, 2 / (top - bottom), 0, 0,
      0, 0, -2 / (far - near), 0,
      -(right + left) / (right - left), -(top + bottom) / (top - bottom),
      -(far + near) / (far - near), 1,
    ])
  }

  public var floats: [Float] { m.map { Float($0) } }
}
