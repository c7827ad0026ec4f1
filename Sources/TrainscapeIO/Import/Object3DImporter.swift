import Foundation
import TrainscapeCore

/// Reads W&B Object3D point clouds (`.pts.json`): a bare array of rows `[x, y, z]`,
/// `[x, y, z, category]` or `[x, y, z, r, g, b]` (0...255), or the `"lidar/beta"` scene form
/// with `points`, `boxes` (8 corners each) and `vectors` (start, end).
public enum Object3DImporter {
  public static func scene(fromJSON bytes: [UInt8], file: String) throws -> Scene {
    let root = JSONNode(value: try JSONParser.parse(bytes, file: file), path: "", file: file)
    var traces: [Trace] = []
    var notes: [String] = []
    var colorBar: ColorBar?
    let pointsNode: JSONNode?
    if root.elements != nil {
      pointsNode = root
    } else if root.isObject {
      guard let type = root["type"]?.string else {
        throw ImportError(file: file, path: "type", message: "expected \"lidar/beta\" (or a bare array of points), found nothing")
      }
      guard type == "lidar/beta" else {
        throw ImportError(file: file, path: "type", message: "expected \"lidar/beta\", found \"\(type)\"")
      }
      pointsNode = root["points"]
    } else {
      throw root.fail("an array of [x, y, z(, ...)] rows or a {\"type\": \"lidar/beta\", ...} scene")
    }
    if let pn = pointsNode {
      let rows = try pn.array("an array of [x, y, z(, ...)] rows")
      var x: [Double] = [], y: [Double] = [], z: [Double] = [], extra: [[Double]] = []
      x.reserveCapacity(rows.count); y.reserveCapacity(rows.count); z.reserveCapacity(rows.count)
      var width = -1
      for r in rows {
        let cells = try r.array("a point row [x, y, z], [x, y, z, category] or [x, y, z, r, g, b]")
        guard [3, 4, 6].contains(cells.count) else {
          throw ImportError(file: file, path: r.path, message: "expected a row of 3, 4 or 6 numbers ([x, y, z], [x, y, z, category], [x, y, z, r, g, b]), found \(cells.count)")
        }
        if width >= 0 && cells.count != width {
          throw ImportError(file: file, path: r.path, message: "expected \(width) numbers like the rows before it, found \(cells.count)")
        }
        width = cells.count
        let v = try cells.map { try $0.scalarNumber() }
        x.append(v[0]); y.append(v[1]); z.append(v[2])
        if width > 3 { extra.append(Array(v[3...])) }
      }
      if !rows.isEmpty {
        let colors: PointColors
        switch width {
        case 6:
          // 0...255 per channel, as wandb writes them.
          colors = .perPoint(extra.map { RGBColor(r: clamp255($0[0]), g: clamp255($0[1]), b: clamp255($0[2])) })
        case 4:
          // Categories 1, 2, ... take the palette's colours in turn; anything else (0, negative,
          // not finite, or beyond Int: Int(_:) would trap) takes the first.
          colors = .perPoint(extra.map { Palette.color(Swift.max(0, (Int(exactly: $0[0].rounded()) ?? 1) - 1)) })
          notes.append("points coloured by category (column 4)")
        default:
          let range = finiteRange(z) ?? 0...1
          colors = .scalar(z, colormap: .viridis, range: range, scale: .linear)
          colorBar = ColorBar(title: "z", colormap: .viridis, range: range, scale: .linear)
        }
        traces.append(.scatter(ScatterTrace(name: "points", x: x, y: y, z: z, colors: colors, mode: .markers, markerSize: 6)))
      }
    }
    if root.isObject {
      if let boxes = root["boxes"] {
        for (n, b) in try boxes.array("an array of boxes").enumerated() {
          guard let cn = b["corners"] else { throw ImportError(file: file, path: b.path + ".corners", message: "expected 8 corners [x, y, z], found nothing") }
          let corners = try cn.array("8 corners [x, y, z]").map { c -> Vec3 in
            let v = try c.array("a corner [x, y, z]").map { try $0.number() }
            guard v.count == 3 else { throw c.fail("a corner [x, y, z]") }
            return Vec3(v[0], v[1], v[2])
          }
          guard corners.count == 8 else { throw ImportError(file: file, path: cn.path, message: "expected 8 corners, found \(corners.count)") }
          let color = try b["color"].map { try rgbTriple($0) } ?? Palette.color(n)
          var px: [Double] = [], py: [Double] = [], pz: [Double] = []
          for (a, c) in boxEdges(corners) {
            if !px.isEmpty { px.append(.nan); py.append(.nan); pz.append(.nan) }
            px += [corners[a].x, corners[c].x]; py += [corners[a].y, corners[c].y]; pz += [corners[a].z, corners[c].z]
          }
          let label = b["label"]?.string ?? "box \(n)"
          traces.append(.scatter(ScatterTrace(name: label, x: px, y: py, z: pz, colors: .solid(color), mode: .lines, lineWidth: 2)))
        }
      }
      if let vectors = root["vectors"] {
        for (n, v) in try vectors.array("an array of vectors").enumerated() {
          func point(_ key: String) throws -> [Double] {
            guard let p = v[key] else { throw ImportError(file: file, path: "\(v.path).\(key)", message: "expected [x, y, z], found nothing") }
            let a = try p.array("[x, y, z]").map { try $0.number() }
            guard a.count == 3 else { throw p.fail("[x, y, z]") }
            return a
          }
          let s = try point("start"), e = try point("end")
          let color = try v["color"].map { try rgbTriple($0) } ?? Palette.color(n)
          traces.append(.scatter(ScatterTrace(
            name: "vector \(n)", x: [s[0], e[0]], y: [s[1], e[1]], z: [s[2], e[2]], colors: .solid(color), mode: .lines, lineWidth: 3)))
        }
      }
    }
    guard !traces.isEmpty else {
      throw ImportError(file: file, path: "", message: "expected at least one point, box or vector, found none")
    }
    var axes: [AxisSpec] = []
    for k in 0..<3 {
      var values: [Double] = []
      for t in traces {
        if case .scatter(let s) = t { values += k == 0 ? s.x : k == 1 ? s.y : s.z }
      }
      let r = finiteRange(values) ?? 0...1
      let finite = values.filter(\.isFinite)
      let integer = finite.allSatisfy { $0 == $0.rounded() } && r.upperBound - r.lowerBound >= 2
      axes.append(AxisSpec(title: ["x", "y", "z"][k], range: r, integer: integer))
    }
    // Proportional like W&B's 3D viewer, unless one axis is over 4x another (Plotly's "auto").
    let spans = axes.map { $0.transformedRange.hi - $0.transformedRange.lo }
    var aspect = Vec3(1, 1, 1)
    if let mx = spans.max(), let mn = spans.min(), mn > 0, mx / mn <= 4 {
      aspect = Vec3(spans[0] / mx, spans[1] / mx, spans[2] / mx)
    }
    let name = URL(fileURLWithPath: file).lastPathComponent
    return Scene(
      title: name, traces: traces, x: axes[0], y: axes[1], z: axes[2], camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: colorBar, aspect: aspect, notes: notes, showLegend: traces.count > 1)
  }

  static func clamp255(_ v: Double) -> Double { v.isFinite ? Swift.min(Swift.max(v / 255, 0), 1) : 0.5 }

  static func finiteRange(_ v: [Double]) -> ClosedRange<Double>? {
    var lo = Double.infinity, hi = -Double.infinity
    for x in v where x.isFinite { lo = Swift.min(lo, x); hi = Swift.max(hi, x) }
    return lo <= hi ? lo...hi : nil
  }

  /// [r, g, b] in 0...255, or 0...1 when no component exceeds 1 (wandb.box3d's docstring form).
  static func rgbTriple(_ n: JSONNode) throws -> RGBColor {
    if n.string != nil { return try n.color() }
    let v = try n.array("[r, g, b]").map { try $0.number() }
    guard v.count >= 3 else { throw n.fail("[r, g, b]") }
    let scale = v.prefix(3).allSatisfy { $0 <= 1 } ? 1.0 : 255.0
    return RGBColor(r: Swift.min(Swift.max(v[0] / scale, 0), 1), g: Swift.min(Swift.max(v[1] / scale, 0), 1), b: Swift.min(Swift.max(v[2] / scale, 0), 1))
  }

  /// The 12 edges of a box given its 8 corners in any order: from each corner the 7 others lie
  /// at e1, e2, e3, e1+e2, ..., e1+e2+e3; the edges are those that are not a sum of two others.
  static func boxEdges(_ c: [Vec3]) -> [(Int, Int)] {
    var edges = Set<[Int]>()
    let scale = c.map { $0.length }.max() ?? 1
    let tol = Swift.max(scale, 1e-12) * 1e-6
    for a in 0..<8 {
      let d = (0..<8).filter { $0 != a }.map { ($0, c[$0] - c[a]) }
      for (b, v) in d {
        var isSum = false
        outer: for (p, u) in d where p != b {
          for (q, w) in d where q != b && q != p {
            if (u + w - v).length <= tol { isSum = true; break outer }
          }
        }
        if !isSum { edges.insert([Swift.min(a, b), Swift.max(a, b)]) }
      }
    }
    return edges.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map { ($0[0], $0[1]) }
  }
}

/// Opens a figure file by its content: a Plotly figure, or a W&B Object3D `.pts.json`.
public enum FigureImporter {
  /// With a `budget` (`--max-memory`), a file whose parsed JSON could be larger than it is
  /// refused before it is read.
  public static func scene(path: String, budget: MemoryBudget? = nil) throws -> Scene {
    let (bytes, object3D) = try load(path, budget: budget)
    return object3D ? try Object3DImporter.scene(fromJSON: bytes, file: path) : try PlotlyImporter.scene(fromJSON: bytes, file: path)
  }

  /// As `scene(path:budget:)`, with a Plotly figure of several scenes read as one `Scene` per
  /// scene (`PlotlyImporter.scenes`).
  public static func scenes(path: String, budget: MemoryBudget? = nil) throws -> [Scene] {
    let (bytes, object3D) = try load(path, budget: budget)
    return object3D ? [try Object3DImporter.scene(fromJSON: bytes, file: path)] : try PlotlyImporter.scenes(fromJSON: bytes, file: path)
  }

  /// The file's bytes and whether they are a W&B Object3D (else a Plotly figure).
  static func load(_ path: String, budget: MemoryBudget?) throws -> ([UInt8], Bool) {
    let bytes: [UInt8]
    do {
      bytes = try RawFile.readAll(path, budget: budget, factor: JSONParser.bytesPerByte, what: "the JSON figure")
    } catch let e as ArrayFileError {
      throw ImportError(file: path, path: "", message: e.message)
    }
    if let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), first == UInt8(ascii: "[") {
      return (bytes, true)
    }
    return (bytes, path.hasSuffix(".pts.json") || bytes.prefix(4096).containsSequence(Array("\"lidar/beta\"".utf8)))
  }
}

extension Collection where Element == UInt8 {
  fileprivate func containsSequence(_ s: [UInt8]) -> Bool {
    let a = Array(self)
    guard a.count >= s.count else { return false }
    for i in 0...(a.count - s.count) where a[i] == s[0] && Array(a[i..<(i + s.count)]) == s { return true }
    return false
  }
}
