import Foundation
import TrainscapeCore

/// plotly.js's cone traces, drawn as meshes: one cone per position along its vector, coloured
/// by the vector's norm through the trace's colour scale (gl3d_cone-*).
extension PlotlyImporter {
  /// A cone trace read, drawn once the axes are known (`Reader.cones(in:)`).
  struct ConeRequest {
    var name: String
    var x, y, z, u, v, w: [Double]
    /// The vectors' lengths (the colour values).
    var norms: [Double]
    var colormap: Colormap
    var colorRange: ClosedRange<Double>
    var colorScale: AxisScale
    /// "scaled" (the longest cone 0.3 of the points' spacing, times `sizeref`) or
    /// "absolute" (a quarter of its vector's length in the box, times `sizeref`). Sizes as
    /// measured on plotly.js's baselines, roughly.
    var absolute: Bool
    var sizeref: Double
    /// Where the position sits on its cone: "tip", "tail", "cm" (the centre of mass, a quarter
    /// up from the base) or "center".
    var anchor: String
    var opacity: Double
  }
}

extension PlotlyImporter.Reader {
  /// Reads a cone trace: positions and vectors (cut to the shortest, noted), the colour scale
  /// over the norms; a transparent scatter of the positions stands for it in the axis ranges.
  mutating func cone(_ t: JSONNode, name: String, opacity: Double) throws {
    let (x, y, z) = try xyz(t, tolerant: true, name: name)
    func array(_ k: String) throws -> [Double] {
      guard let n = t[k] else { throw ImportError(file: file, path: "\(t.path).\(k)", message: "expected the cones' \(k) components, found nothing") }
      return try n.numericArray().values
    }
    let u = try array("u"), v = try array("v"), w = try array("w")
    let n = [x.count, u.count, v.count, w.count].min() ?? 0
    if [x.count, u.count, v.count, w.count].contains(where: { $0 != n }) {
      notes.append("\(name): positions and u, v, w have \(x.count), \(u.count), \(v.count) and \(w.count) values; the first \(n) cones are drawn")
    }
    var norms: [Double] = []
    for i in 0..<n {
      let uu: Double = u[i] * u[i], vv: Double = v[i] * v[i], ww: Double = w[i] * w[i]
      norms.append((uu + vv + ww).squareRoot())
    }
    var spec = try colorSpec(t, trace: t, defaultMap: defaultScale, defaultShow: true)
    // A cone's scale is automatic unless one is given (plotly.js: Reds for the norms).
    if t["colorscale"] == nil && t["autocolorscale"]?.bool != false && t["meta"]?["trainscape"] == nil { spec.auto = true }
    spec = spec.autoScaled(values: norms, finite: finiteRange, scales: autoScales)
    noteColorBar(spec, values: norms, fallbackTitle: name)
    let mode = t["sizemode"]?.string ?? "scaled"
    if mode != "scaled" && mode != "absolute" { notes.append("\(name): sizemode '\(mode.escapingControlCharacters)' is drawn as scaled") }
    let anchor = t["anchor"]?.string ?? "cm"
    if !["tip", "tail", "cm", "center"].contains(anchor) { notes.append("\(name): anchor '\(anchor.escapingControlCharacters)' is drawn as cm") }
    cones.append(PlotlyImporter.ConeRequest(
      name: name, x: Array(x.prefix(n)), y: Array(y.prefix(n)), z: Array(z.prefix(n)), u: Array(u.prefix(n)),
      v: Array(v.prefix(n)), w: Array(w.prefix(n)), norms: norms, colormap: spec.map,
      colorRange: spec.range ?? finiteRange(norms, scale: .linear) ?? 0...1, colorScale: spec.scale,
      absolute: mode == "absolute", sizeref: (t["sizeref"]?.numeric).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 1,
      anchor: ["tip", "tail", "cm", "center"].contains(anchor) ? anchor : "cm", opacity: opacity))
    // The positions, unseen, so the axes reach them.
    traces.append(.scatter(ScatterTrace(
      name: "", x: Array(x.prefix(n)), y: Array(y.prefix(n)), z: Array(z.prefix(n)), colors: .solid(.white), mode: .markers,
      markerSize: 0, opacity: 0)))
  }

  /// The cones of `scene` (its axes and aspect set) as meshes, built in the box's normalized
  /// space so that axes of different spans do not squash them, then taken back to data units.
  func cones(in scene: Scene) -> [Trace] {
    cones.compactMap { c -> Trace? in
      let n = c.x.count
      guard n > 0 else { return nil }
      let pos = (0..<n).map { scene.normalized(c.x[$0], c.y[$0], c.z[$0]) }
      let dir = (0..<n).map { scene.normalized(c.x[$0] + c.u[$0], c.y[$0] + c.v[$0], c.z[$0] + c.w[$0]) - pos[$0] }
      let longest = dir.map(\.length).filter(\.isFinite).max() ?? 0
      // Scaled: the longest cone 0.3 of the points' spacing (the median distance to the
      // nearest other point, over at most 500 of them), times sizeref.
      var spacing = 0.1
      if n > 1 {
        var probe: [Double] = []
        for i in stride(from: 0, to: n, by: Swift.max(1, n / 500)) {
          var nearest = Double.infinity
          for j in 0..<n where j != i {
            let d = (pos[i] - pos[j]).length
            if d > 1e-12 && d < nearest { nearest = d }
          }
          if nearest.isFinite { probe.append(nearest) }
        }
        probe.sort()
        if !probe.isEmpty { spacing = probe[probe.count / 2] }
      }
      // Points close together along a path (gl3d_cone-rossler) are spaced as if they filled
      // the box: at least half its diagonal over the cube root of their number.
      spacing = Swift.max(spacing, 0.5 * scene.aspect.length / Foundation.cbrt(Double(n)))
      let from: Double = c.anchor == "tail" ? 0 : c.anchor == "tip" ? -1 : c.anchor == "center" ? -0.5 : -0.25
      let sides = 10
      var points: [Vec3] = [], values: [Double] = []
      var i3: [Int32] = [], j3: [Int32] = [], k3: [Int32] = []
      for i in 0..<n where dir[i].isFinite && dir[i].length > 0 && pos[i].isFinite {
        let d = dir[i].normalized
        let span: Double = dir[i].length
        let length: Double = c.absolute ? 0.25 * span * c.sizeref : 0.3 * spacing * c.sizeref * span / longest
        let base = pos[i] + d * (length * from)
        // Two directions across the cone's axis.
        let e1 = d.cross(abs(d.z) < 0.9 ? Vec3(0, 0, 1) : Vec3(1, 0, 0)).normalized, e2 = d.cross(e1)
        let first = Int32(points.count)
        points += [base + d * length, base]
        for s in 0..<sides {
          let a = Double(s) / Double(sides) * 2 * Double.pi
          let across: Vec3 = e1 * cos(a) + e2 * sin(a)
          points.append(base + across * (length * 0.35))
        }
        values += Array(repeating: c.norms[i], count: sides + 2)
        for s in 0..<sides {
          let a = first + 2 + Int32(s), b = first + 2 + Int32((s + 1) % sides)
          i3 += [first, first + 1]; j3 += [a, b]; k3 += [b, a]
        }
      }
      guard !points.isEmpty else { return nil }
      let data = points.map(scene.dataPoint)
      return .mesh(MeshTrace(
        name: c.name, x: data.map(\.x), y: data.map(\.y), z: data.map(\.z), i: i3, j: j3, k: k3,
        colors: .scalar(values, colormap: c.colormap, range: c.colorRange, scale: c.colorScale), opacity: c.opacity))
    }
  }
}
