import Foundation
import TrainscapeCore

/// W&B Object3D files (`.pts.json`), as `wandb.Object3D` writes them:
/// - `pointCloud`: a bare array of rows `[x, y, z, r, g, b]` (colours 0...255), what
///   `wandb.Object3D(numpy_array_of_shape_Nx6)` stores;
/// - `lidarScene`: `{"type": "lidar/beta", "vectors": [...], "points": [...], "boxes": [...]}`
///   with the axes box as a box and the three axes as arrows (x red, y green, z blue).
///
/// Points are every scatter point and every surface and mesh vertex, coloured as drawn, in the
/// scene's normalized coordinates (axes box [-0.5, 0.5] * aspect, z up, as W&B's lidar viewer)
/// multiplied by `scale`. Non-finite samples are skipped, with a note.
public enum Object3DExporter {
  public struct Options: Sendable, Equatable {
    /// Multiplies the normalized coordinates: the axes box spans [-scale/2, scale/2].
    public var scale: Double
    /// Largest number of points written; more are thinned by a stride, with a note.
    public var maxPoints: Int?
    public var precision: Int?
    /// Write the data coordinates themselves instead of the normalized box (`scale` unused).
    public var dataCoordinates: Bool

    public init(scale: Double = 10, maxPoints: Int? = nil, precision: Int? = nil, dataCoordinates: Bool = false) {
      self.scale = scale
      self.maxPoints = maxPoints
      self.precision = precision
      self.dataCoordinates = dataCoordinates
    }
  }

  struct Point {
    var p: Vec3
    var c: RGBColor
  }

  /// The points of every trace in normalized coordinates with their colours.
  static func points(_ scene: Scene, options: Options) -> ([Point], [String]) {
    var out: [Point] = []
    var notes: [String] = []
    var skipped = 0
    func add(_ x: Double, _ y: Double, _ z: Double, _ c: RGBColor) {
      let v = options.dataCoordinates ? Vec3(x, y, z) : scene.normalized(x, y, z)
      guard v.x.isFinite && v.y.isFinite && v.z.isFinite else {
        skipped += 1
        return
      }
      out.append(Point(p: options.dataCoordinates ? v : v * options.scale, c: c))
    }
    let contourTraces = scene.traces.filter { $0.scatter?.contourOf != nil }.count
    if contourTraces > 0 { notes.append("contour lines are not points: left out of the point cloud") }
    for trace in scene.traces where trace.scatter?.contourOf == nil {
      switch trace {
      case .surface(let s):
        for i in 0..<(s.rows * s.cols) {
          add(s.x[i], s.y[i], s.z[i], s.colormap.color(at: s.colorFraction(s.color[i])))
        }
      case .scatter(let s):
        for i in 0..<s.count { add(s.x[i], s.y[i], s.z[i], s.colors.color(at: i)) }
      case .mesh(let m):
        for i in m.x.indices { add(m.x[i], m.y[i], m.z[i], m.colors.color(at: i)) }
      }
    }
    if skipped > 0 { notes.append("\(skipped) points with missing or non-finite coordinates were left out of the point cloud") }
    if let maxPoints = options.maxPoints, out.count > maxPoints {
      let st = (out.count + maxPoints - 1) / maxPoints
      let n = out.count
      out = stride(from: 0, to: n, by: st).map { out[$0] }
      notes.append("point cloud thinned from \(n) to \(out.count) points (every \(st)th) to stay within \(maxPoints) points")
    }
    return (out, notes)
  }

  static func byte(_ x: Double) -> Double { (Swift.min(Swift.max(x.isNaN ? 0 : x, 0), 1) * 255).rounded() }

  static func writePoints(_ pts: [Point], into w: inout JSONWriter) {
    w.byte(UInt8(ascii: "["))
    for (n, q) in pts.enumerated() {
      w.raw(n > 0 ? ",\n[" : "[")
      w.number(q.p.x); w.byte(UInt8(ascii: ","))
      w.number(q.p.y); w.byte(UInt8(ascii: ","))
      w.number(q.p.z); w.byte(UInt8(ascii: ","))
      w.number(byte(q.c.r)); w.byte(UInt8(ascii: ","))
      w.number(byte(q.c.g)); w.byte(UInt8(ascii: ","))
      w.number(byte(q.c.b)); w.byte(UInt8(ascii: "]"))
    }
    w.byte(UInt8(ascii: "]"))
  }

  /// `[[x, y, z, r, g, b], ...]`.
  public static func pointCloud(_ scene: Scene, options: Options = Options()) -> (json: [UInt8], notes: [String]) {
    let (pts, notes) = points(scene, options: options)
    var w = JSONWriter(capacity: pts.count * 60 + 16, precision: options.precision)
    writePoints(pts, into: &w)
    return (w.bytes, notes)
  }

  /// The `lidar/beta` scene: points, the axes box and the axis arrows.
  public static func lidarScene(_ scene: Scene, options: Options = Options()) -> (json: [UInt8], notes: [String]) {
    let (pts, notes) = points(scene, options: options)
    var w = JSONWriter(capacity: pts.count * 60 + 4096, precision: options.precision)
    let h = scene.halfExtent * options.scale
    func vec(_ v: Vec3, _ w: inout JSONWriter) {
      w.byte(UInt8(ascii: "["))
      w.number(v.x); w.byte(UInt8(ascii: ","))
      w.number(v.y); w.byte(UInt8(ascii: ","))
      w.number(v.z)
      w.byte(UInt8(ascii: "]"))
    }
    func rgb(_ c: RGBColor, _ w: inout JSONWriter) {
      w.numbers([byte(c.r), byte(c.g), byte(c.b)])
    }
    let origin = Vec3(-h.x, -h.y, -h.z)
    let axes: [(Vec3, RGBColor)] = [
      (Vec3(h.x, -h.y, -h.z), RGBColor(r: 0.84, g: 0.15, b: 0.16)),
      (Vec3(-h.x, h.y, -h.z), RGBColor(r: 0.17, g: 0.63, b: 0.17)),
      (Vec3(-h.x, -h.y, h.z), RGBColor(r: 0.12, g: 0.47, b: 0.71)),
    ]
    w.raw("{\"type\":\"lidar/beta\",\"vectors\":[")
    for (n, (end, color)) in axes.enumerated() {
      if n > 0 { w.byte(UInt8(ascii: ",")) }
      w.raw("{\"start\":")
      vec(origin, &w)
      w.raw(",\"end\":")
      vec(end, &w)
      w.raw(",\"color\":")
      rgb(color, &w)
      w.byte(UInt8(ascii: "}"))
    }
    w.raw("],\"points\":")
    writePoints(pts, into: &w)
    // Corners in wandb.box3d's order is not required by the viewer; these are the 8 sign
    // combinations, x fastest.
    w.raw(",\"boxes\":[{\"corners\":[")
    for k in 0..<8 {
      if k > 0 { w.byte(UInt8(ascii: ",")) }
      vec(Vec3(k & 1 == 0 ? -h.x : h.x, k & 2 == 0 ? -h.y : h.y, k & 4 == 0 ? -h.z : h.z), &w)
    }
    w.raw("],\"label\":")
    w.string("x: \(scene.x.title) \(fmt(scene.x.range)), y: \(scene.y.title) \(fmt(scene.y.range)), z: \(scene.z.title) \(fmt(scene.z.range))")
    w.raw(",\"color\":[128,128,128],\"score\":null}]}")
    return (w.bytes, notes)
  }

  static func fmt(_ r: ClosedRange<Double>) -> String {
    "\(String(format: "%.4g", r.lowerBound))..\(String(format: "%.4g", r.upperBound))"
  }
}
