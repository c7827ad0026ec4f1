import Foundation

/// A ray in normalized scene coordinates.
public struct Ray: Sendable, Equatable {
  public var origin: Vec3
  /// Unit length.
  public var direction: Vec3
  public init(origin: Vec3, direction: Vec3) {
    self.origin = origin
    self.direction = direction.normalized
  }
  public func at(_ t: Double) -> Vec3 { origin + direction * t }
}

extension Mat4 {
  /// The inverse (Gauss-Jordan with partial pivoting); nil when singular.
  public var inverse: Mat4? {
    // Row-major working copy [A | I].
    var a = [[Double]](repeating: [Double](repeating: 0, count: 8), count: 4)
    for r in 0..<4 {
      for c in 0..<4 { a[r][c] = self[r, c] }
      a[r][4 + r] = 1
    }
    for col in 0..<4 {
      var pivot = col
      for r in (col + 1)..<4 where abs(a[r][col]) > abs(a[pivot][col]) { pivot = r }
      guard abs(a[pivot][col]) > 1e-300 else { return nil }
      a.swapAt(col, pivot)
      let p = a[col][col]
      for c in 0..<8 { a[col][c] /= p }
      for r in 0..<4 where r != col {
        let f = a[r][col]
        if f != 0 { for c in 0..<8 { a[r][c] -= f * a[col][c] } }
      }
    }
    var out = Mat4.identity
    for r in 0..<4 { for c in 0..<4 { out[r, c] = a[r][4 + c] } }
    return out
  }
}

extension FrameLayout {
  /// The ray from the camera through image pixel `p` (y down), in normalized scene coordinates.
  public func ray(through p: PixelPoint) -> Ray? {
    guard let inv = (projection * view).inverse else { return nil }
    let nx = (p.x - plotRect.x) / plotRect.width * 2 - 1
    let ny = 1 - (p.y - plotRect.y) / plotRect.height * 2
    func unproject(_ z: Double) -> Vec3? {
      let c = inv.transform(Vec3(nx, ny, z))
      guard abs(c.w) > 1e-300 else { return nil }
      return Vec3(c.x / c.w, c.y / c.w, c.z / c.w)
    }
    guard let a = unproject(-1), let b = unproject(1), (b - a).length > 0 else { return nil }
    return Ray(origin: a, direction: b - a)
  }

  /// The 2D zoom and shift the layout applied after `camera`'s own projection (what
  /// `FigureStyle.fitToView` chose), to be passed back as `FigureStyle.fixedFit`.
  public func fit(for camera: Camera) -> Mat4? {
    let base = camera.projectionMatrix(aspect: plotRect.width / Swift.max(plotRect.height, 1))
    guard let inv = base.inverse else { return nil }
    return projection * inv
  }
}

/// Turns mouse input into camera moves, as a turntable around the scene's up (z) axis:
/// horizontal drags turn the scene, vertical drags change the elevation (clamped short of the
/// poles), pans move the eye and the centre together in the view plane, and the scroll wheel
/// moves both along the ray through the cursor, so the point under the cursor stays put.
///
/// Pure value type: the viewer owns one and rebuilds the frame layout from `camera`.
public struct OrbitController: Sendable, Equatable {
  public private(set) var camera: Camera
  public let initial: Camera
  /// Radians of turn per pixel of drag.
  public var radiansPerPixel = Double.pi / 400
  /// Each scroll step moves the camera this fraction of the way to the point under the cursor.
  public var zoomFraction = 0.1
  /// The elevation limit, radians from the horizon.
  public var maxElevation = 85 * Double.pi / 180
  /// True once the user zoomed or panned: the framing (`FigureStyle.fixedFit`) must then stay
  /// fixed instead of being fitted to the box again.
  public private(set) var hasZoomedOrPanned = false

  public init(camera: Camera) {
    self.camera = camera
    self.initial = camera
  }

  /// Back to the camera the viewer started with.
  public mutating func reset() {
    camera = initial
    hasZoomedOrPanned = false
  }

  /// Turntable rotation from a drag of (`dx`, `dy`) pixels (y down): dragging right turns the
  /// scene right (the eye moves left around the up axis), dragging down raises the eye.
  public mutating func rotate(dx: Double, dy: Double) {
    let up = Vec3(0, 0, 1)
    var d = camera.eye - camera.center
    let r = d.length
    guard r > 0 else { return }
    // Yaw about z.
    let yaw = -dx * radiansPerPixel
    let c = cos(yaw), s = sin(yaw)
    d = Vec3(d.x * c - d.y * s, d.x * s + d.y * c, d.z)
    // Elevation.
    if dy != 0 {
      let horizontal = (d.x * d.x + d.y * d.y).squareRoot()
      let elevation = atan2(d.z, horizontal)
      let next = Swift.min(maxElevation, Swift.max(-maxElevation, elevation + dy * radiansPerPixel))
      let azimuth = atan2(d.y, d.x)
      d = Vec3(r * cos(next) * cos(azimuth), r * cos(next) * sin(azimuth), r * sin(next))
    }
    camera.eye = camera.center + d
    camera.up = up
  }

  /// Moves the eye and the centre together in the view plane so that the scene point at the
  /// centre's depth follows the cursor from `from` to `to` (pixels of `layout`).
  public mutating func pan(from: PixelPoint, to: PixelPoint, layout: FrameLayout) {
    guard let a = layout.ray(through: from), let b = layout.ray(through: to) else { return }
    let forward = (camera.center - camera.eye).normalized
    // Intersect both rays with the plane through the centre facing the camera.
    func hit(_ ray: Ray) -> Vec3? {
      let denom = ray.direction.dot(forward)
      guard abs(denom) > 1e-12 else { return nil }
      let t = (camera.center - ray.origin).dot(forward) / denom
      return ray.at(t)
    }
    guard let pa = hit(a), let pb = hit(b) else { return }
    let delta = pa - pb
    guard delta.isFinite else { return }
    camera.eye = camera.eye + delta
    camera.center = camera.center + delta
    hasZoomedOrPanned = true
  }

  /// Zooms by `steps` scroll steps (positive: in) towards the point under `cursor`: the eye and
  /// the centre move along the ray through the cursor. `depth` is the distance along that ray to
  /// the surface under the cursor if the caller picked one; otherwise the plane through the
  /// centre is used. Distances are measured from the ray's origin (`FrameLayout.ray(through:)`).
  public mutating func zoom(steps: Double, towards cursor: PixelPoint, layout: FrameLayout, depth: Double? = nil) {
    guard steps != 0, let ray = layout.ray(through: cursor) else { return }
    let forward = (camera.center - camera.eye).normalized
    let distance = depth ?? {
      let denom = ray.direction.dot(forward)
      return abs(denom) > 1e-12 ? (camera.center - ray.origin).dot(forward) / denom : (camera.center - camera.eye).length
    }()
    guard distance.isFinite, distance > 1e-9 else { return }
    let factor = pow(1 - zoomFraction, steps)  // < 1 zooms in
    let move = distance * (1 - factor)
    let delta = ray.direction * move
    camera.eye = camera.eye + delta
    camera.center = camera.center + delta
    hasZoomedOrPanned = true
  }

  /// The current camera as a `--camera-eye x,y,z` argument: the eye relative to the centre,
  /// as `trainscape render` reads it (it frames the box itself, so zoom and pan do not carry).
  public var eyeArgument: String {
    let d = camera.eye - camera.center
    func f(_ v: Double) -> String { String(format: "%.4g", v) }
    return "--camera-eye \(f(d.x)),\(f(d.y)),\(f(d.z))"
  }
}
