import Foundation
import TrainscapeCore

/// Reads a Plotly figure (`{"data": [...], "layout": {...}}`, as plotly.py, `wandb.Plotly` and
/// `PlotlyExporter` write it) into a `Scene`: `surface`, `scatter3d` and `mesh3d` traces with
/// plain or typed arrays, the camera, axis titles and types, colour scales and opacity.
/// Other trace types are skipped with a note.
public enum PlotlyImporter {
  public static func scene(fromJSON bytes: [UInt8], file: String) throws -> Scene {
    let root = JSONNode(value: try JSONParser.parse(bytes, file: file), path: "", file: file)
    guard root.isObject else { throw root.fail("a Plotly figure object {\"data\": [...], \"layout\": {...}}") }
    guard let data = root["data"] else {
      throw ImportError(file: file, path: "data", message: "expected the list of traces, found nothing (is this a Plotly figure?)")
    }
    var r = Reader(file: file)
    for t in try data.array("a list of traces") {
      try r.trace(t)
    }
    let layout = root["layout"]
    return try r.finish(layout: layout)
  }

  /// What a trace's colour specification reads as.
  struct ColorSpec {
    var map: Colormap
    var range: ClosedRange<Double>?
    var scale: AxisScale
    var showScale: Bool
    var title: String?
  }

  struct Reader {
    var file: String
    var traces: [Trace] = []
    var notes: [String] = []
    var colorBar: ColorBar?
    var colorBarTitle: String?

    /// The trace's colour map from `colorscale` (named or explicit) and reversescale, plus
    /// Trainscape's own `meta` when present (exact map, log scale, data range).
    mutating func colorSpec(_ owner: JSONNode, trace: JSONNode, defaultMap: Colormap, defaultShow: Bool) throws -> ColorSpec {
      var map = defaultMap
      let meta = trace["meta"]?["trainscape"]
      if let cs = owner["colorscale"] {
        if let name = cs.string {
          let (m, note) = PlotlyColorscales.named(name)
          map = m
          if let note, !notes.contains(note) { notes.append(note) }
        } else {
          var stops: [(Double, RGBColor)] = []
          for s in try cs.array("a colour scale: a name or [[t, colour], ...]") {
            let pair = try s.array("a [t, colour] pair")
            guard pair.count == 2 else { throw s.fail("a [t, colour] pair") }
            stops.append((try pair[0].number("a position in 0..1"), try pair[1].color()))
          }
          guard !stops.isEmpty else { throw cs.fail("a non-empty colour scale") }
          map = PlotlyColorscales.interpolate(stops, name: "custom")
        }
      }
      if let name = meta?["colormap"]?.string {
        if let table = meta?["colormapTable"]?.elements, table.count == 768 {
          map = Colormap(name: name, table: table.map { UInt8(Swift.min(Swift.max($0.double ?? 0, 0), 255)) })
        } else if let m = Colormap.named(name) {
          map = m
        }
      } else if owner["reversescale"]?.bool == true {
        map = map.reversed()
      }
      let scale: AxisScale = meta?["colorScale"]?.string == "log" ? .log : .linear
      var range: ClosedRange<Double>?
      if let cr = meta?["colorRange"]?.elements, cr.count == 2, let lo = cr[0].double, let hi = cr[1].double, lo <= hi {
        range = lo...hi
      } else if let lo = owner["cmin"]?.double, let hi = owner["cmax"]?.double, lo <= hi {
        range = scale == .log ? pow(10, lo)...pow(10, hi) : lo...hi
      }
      let show = owner["showscale"]?.bool ?? defaultShow
      let title = owner["colorbar"]?["title"]?.text
      return ColorSpec(map: map, range: range, scale: scale, showScale: show, title: title)
    }

    mutating func noteColorBar(_ spec: ColorSpec, values: [Double], fallbackTitle: String) {
      guard spec.showScale, colorBar == nil, let range = spec.range ?? finiteRange(values, scale: spec.scale) else { return }
      colorBar = ColorBar(title: spec.title ?? fallbackTitle, colormap: spec.map, range: range, scale: spec.scale)
    }

    func finiteRange(_ v: [Double], scale: AxisScale) -> ClosedRange<Double>? {
      var lo = Double.infinity, hi = -Double.infinity
      for x in v where x.isFinite && (scale == .linear || x > 0) {
        lo = Swift.min(lo, x)
        hi = Swift.max(hi, x)
      }
      return lo <= hi ? lo...hi : nil
    }

    func decodeColorValues(_ v: [Double], scale: AxisScale) -> [Double] {
      scale == .log ? v.map { $0.isFinite ? pow(10, $0) : .nan } : v
    }

    mutating func trace(_ t: JSONNode) throws {
      guard t.isObject else { throw t.fail("a trace object") }
      let type = t["type"]?.string ?? "scatter"
      let name = t["name"]?.string ?? "trace \(traces.count)"
      let opacity = t["opacity"]?.double ?? 1
      switch type {
      case "surface":
        guard let zNode = t["z"] else { throw ImportError(file: file, path: t.path + ".z", message: "expected a 2-D array of heights, found nothing") }
        let z = try zNode.numericArray()
        guard z.shape.count == 2, z.rows >= 1, z.cols >= 1 else { throw zNode.fail("a 2-D array (rows x cols)") }
        let (rows, cols) = (z.rows, z.cols)
        func grid(_ key: String, alongCols: Bool) throws -> [Double] {
          guard let node = t[key] else {
            return (0..<(rows * cols)).map { Double(alongCols ? $0 % cols : $0 / cols) }
          }
          let a = try node.numericArray()
          if a.shape.count == 2 {
            guard a.rows == rows, a.cols == cols else {
              throw ImportError(file: file, path: node.path, message: "expected a \(rows) x \(cols) array like z, found \(a.rows) x \(a.cols)")
            }
            return a.values
          }
          let need = alongCols ? cols : rows
          guard a.values.count == need else {
            throw ImportError(file: file, path: node.path, message: "expected \(need) values (one per z \(alongCols ? "column" : "row")) or a \(rows) x \(cols) array, found \(a.values.count)")
          }
          return (0..<(rows * cols)).map { a.values[alongCols ? $0 % cols : $0 / cols] }
        }
        let x = try grid("x", alongCols: true)
        let y = try grid("y", alongCols: false)
        let spec = try colorSpec(t, trace: t, defaultMap: .plasma, defaultShow: true)
        var color = z.values
        if let scNode = t["surfacecolor"], t["meta"]?["trainscape"]?["colorSource"]?.string != "z" {
          let sc = try scNode.numericArray()
          guard sc.values.count == rows * cols else {
            throw ImportError(file: file, path: scNode.path, message: "expected \(rows) x \(cols) colour values like z, found \(sc.values.count)")
          }
          color = decodeColorValues(sc.values, scale: spec.scale)
        }
        let range = spec.range ?? finiteRange(color, scale: spec.scale) ?? 0...1
        noteColorBar(spec, values: color, fallbackTitle: name)
        traces.append(.surface(SurfaceTrace(
          name: name, rows: rows, cols: cols, x: x, y: y, z: z.values, color: color, colormap: spec.map,
          colorRange: range, colorScale: spec.scale, opacity: opacity)))
      case "scatter3d":
        let (x, y, z) = try xyz(t)
        let modeText = t["mode"]?.string ?? (x.count < 20 ? "lines+markers" : "lines")
        let parts = Set(modeText.split(separator: "+").map(String.init))
        let mode: ScatterTrace.Mode =
          parts.contains("lines") && parts.contains("markers") ? .linesAndMarkers : parts.contains("lines") ? .lines : .markers
        let marker = t["marker"], line = t["line"]
        let colorOwner: JSONNode? = (marker?["color"] != nil ? marker : nil) ?? (line?["color"] != nil ? line : nil)
        let colors = try pointColors(colorOwner, trace: t, count: x.count, name: name, defaultShow: false)
        var markerSize = 6.0
        if let s = marker?["size"] {
          if let d = s.double { markerSize = d } else if let a = try? s.numericArray(), let f = a.values.first(where: { $0.isFinite }) {
            markerSize = f
            notes.append("\(name): marker sizes per point are drawn at one size (\(f))")
          }
        }
        let lineWidth = line?["width"]?.double ?? 2
        var symbol = ScatterTrace.Symbol.circle
        if let sym = marker?["symbol"]?.string {
          switch sym {
          case "circle": break
          case "circle-open": symbol = .ring
          case "x", "x-thin", "x-open": symbol = .cross
          default: notes.append("\(name): marker symbol '\(sym)' is drawn as a circle")
          }
        } else if marker?["symbol"] != nil {
          notes.append("\(name): marker symbols per point are drawn as circles")
        }
        var text: [String] = []
        if let tn = t["text"] {
          if let e = tn.elements { text = e.map { $0.string ?? ($0.double.map { "\($0)" } ?? "") } }
          else if let s = tn.string { text = Array(repeating: s, count: x.count) }
          if text.count != x.count { text = [] }
        }
        traces.append(.scatter(ScatterTrace(
          name: name, x: x, y: y, z: z, colors: colors, mode: mode, markerSize: markerSize,
          lineWidth: lineWidth, opacity: opacity, text: text, symbol: symbol)))
      case "mesh3d":
        let (x, y, z) = try xyz(t)
        func idx(_ k: String) throws -> [Int32] {
          guard let n = t[k] else {
            throw ImportError(file: file, path: "\(t.path).\(k)", message: "expected vertex indices (mesh3d without i, j, k, i.e. alphahull/delaunay triangulation, is not supported)")
          }
          let a = try n.numericArray()
          for (p, v) in a.values.enumerated() where !(v >= 0 && v < Double(x.count) && v == v.rounded()) {
            throw ImportError(file: file, path: "\(n.path)[\(p)]", message: "expected a vertex index in 0..<\(x.count), found \(v)")
          }
          return a.values.map { Int32($0) }
        }
        let i = try idx("i"), j = try idx("j"), k = try idx("k")
        guard i.count == j.count && j.count == k.count else {
          throw ImportError(file: file, path: t.path + ".i", message: "expected i, j and k of the same length, found \(i.count), \(j.count), \(k.count)")
        }
        let colors: PointColors
        if let inten = t["intensity"] {
          let spec = try colorSpec(t, trace: t, defaultMap: .plasma, defaultShow: true)
          let values = decodeColorValues(try inten.numericArray().values, scale: spec.scale)
          guard values.count == x.count else {
            throw ImportError(file: file, path: inten.path, message: "expected one intensity per vertex (\(x.count)), found \(values.count)")
          }
          noteColorBar(spec, values: values, fallbackTitle: name)
          colors = .scalar(values, colormap: spec.map, range: spec.range ?? finiteRange(values, scale: spec.scale) ?? 0...1, scale: spec.scale)
        } else if let vc = t["vertexcolor"] {
          let cs = try vc.colorStrings()
          guard cs.count == x.count else { throw ImportError(file: file, path: vc.path, message: "expected one colour per vertex (\(x.count)), found \(cs.count)") }
          colors = .perPoint(cs)
        } else if let c = t["color"] {
          colors = .solid(try c.color())
        } else {
          if t["facecolor"] != nil { notes.append("\(name): facecolor is not supported; drawn in one colour") }
          colors = .solid(Palette.color(traces.count))
        }
        traces.append(.mesh(MeshTrace(name: name, x: x, y: y, z: z, i: i, j: j, k: k, colors: colors, opacity: opacity)))
      default:
        notes.append("trace \(t.path) of type '\(type)' is not a 3D trace; skipped")
      }
    }

    func xyz(_ t: JSONNode) throws -> ([Double], [Double], [Double]) {
      var arrays: [[Double]] = []
      for key in ["x", "y", "z"] {
        guard let n = t[key] else { throw ImportError(file: file, path: "\(t.path).\(key)", message: "expected an array of coordinates, found nothing") }
        let a = try n.numericArray()
        guard a.shape.count == 1 else { throw ImportError(file: file, path: n.path, message: "expected a 1-D array, found \(a.rows) x \(a.cols)") }
        arrays.append(a.values)
      }
      guard arrays[0].count == arrays[1].count && arrays[1].count == arrays[2].count else {
        throw ImportError(file: file, path: t.path, message: "expected x, y and z of the same length, found \(arrays[0].count), \(arrays[1].count), \(arrays[2].count)")
      }
      return (arrays[0], arrays[1], arrays[2])
    }

    mutating func pointColors(_ owner: JSONNode?, trace t: JSONNode, count: Int, name: String, defaultShow: Bool) throws -> PointColors {
      guard let owner, let c = owner["color"] else { return .solid(Palette.color(traces.count)) }
      if c.string != nil { return .solid(try c.color()) }
      guard c.isObject || c.elements != nil else { throw c.fail("a colour, or an array (plain or typed) of colours or numbers") }
      if let e = c.elements, let s = e.first?.string, Double(s) == nil {
        let cs = try c.colorStrings()
        guard cs.count == count else { throw ImportError(file: file, path: c.path, message: "expected one colour per point (\(count)), found \(cs.count)") }
        return .perPoint(cs)
      }
      let spec = try colorSpec(owner, trace: t, defaultMap: .plasma, defaultShow: defaultShow)
      let values = decodeColorValues(try c.numericArray().values, scale: spec.scale)
      guard values.count == count else { throw ImportError(file: file, path: c.path, message: "expected one value per point (\(count)), found \(values.count)") }
      noteColorBar(spec, values: values, fallbackTitle: name)
      return .scalar(values, colormap: spec.map, range: spec.range ?? finiteRange(values, scale: spec.scale) ?? 0...1, scale: spec.scale)
    }

    func allValues(_ axis: Int) -> [Double] {
      var out: [Double] = []
      for t in traces {
        switch t {
        case .surface(let s): out.append(contentsOf: axis == 0 ? s.x : axis == 1 ? s.y : s.z)
        case .scatter(let s): out.append(contentsOf: axis == 0 ? s.x : axis == 1 ? s.y : s.z)
        case .mesh(let m): out.append(contentsOf: axis == 0 ? m.x : axis == 1 ? m.y : m.z)
        }
      }
      return out
    }

    mutating func finish(layout: JSONNode?) throws -> Scene {
      guard !traces.isEmpty else {
        throw ImportError(file: file, path: "data", message: "expected at least one surface, scatter3d or mesh3d trace, found none")
      }
      let sceneNode = layout?["scene"]
      let meta = layout?["meta"]?["trainscape"]
      let metaRanges = meta?["ranges"]?.elements
      let metaInteger = meta?["integer"]?.elements
      var axes: [AxisSpec] = []
      for (k, key) in ["xaxis", "yaxis", "zaxis"].enumerated() {
        let a = sceneNode?[key]
        let title = a?["title"]?.text ?? ["x", "y", "z"][k]
        let scale: AxisScale = a?["type"]?.string == "log" ? .log : .linear
        let values = allValues(k)
        var range: ClosedRange<Double>
        if let mr = metaRanges, mr.count == 3, let p = mr[k].elements, p.count == 2, let lo = p[0].double, let hi = p[1].double, lo <= hi {
          range = lo...hi
        } else if let r = a?["range"]?.elements, r.count == 2, let lo = r[0].double, let hi = r[1].double, lo.isFinite, hi.isFinite {
          let (l, h) = (Swift.min(lo, hi), Swift.max(lo, hi))
          range = scale == .log ? pow(10, l)...pow(10, h) : l...h
        } else if let r = finiteRange(values, scale: scale) {
          range = r
        } else {
          if scale == .log { notes.append("\(key) is a log axis but has no positive values") }
          range = scale == .log ? 1...10 : 0...1
        }
        var integer = false
        if let mi = metaInteger, mi.count == 3 {
          integer = mi[k].bool ?? false
        } else {
          let finite = values.filter(\.isFinite)
          integer = scale == .linear && !finite.isEmpty && finite.allSatisfy { $0 == $0.rounded() }
            && range.upperBound - range.lowerBound >= 2
        }
        axes.append(AxisSpec(title: title, scale: scale, range: range, integer: integer))
      }
      var camera = Camera()
      func vec(_ n: JSONNode?, _ fallback: Vec3) -> Vec3 {
        guard let n else { return fallback }
        return Vec3(n["x"]?.double ?? fallback.x, n["y"]?.double ?? fallback.y, n["z"]?.double ?? fallback.z)
      }
      let cam = sceneNode?["camera"]
      camera.eye = vec(cam?["eye"], camera.eye)
      camera.center = vec(cam?["center"], camera.center)
      camera.up = vec(cam?["up"], camera.up)
      if let f = meta?["fovY"]?.double, f > 0, f < .pi { camera.fovY = f }
      if cam?["projection"]?["type"]?.string == "orthographic" {
        notes.append("the figure asks for an orthographic projection; drawn in perspective")
      }
      var aspect = Vec3(1, 1, 1)
      let mode = sceneNode?["aspectmode"]?.string ?? "auto"
      if mode == "manual", let ar = sceneNode?["aspectratio"] {
        aspect = vec(ar, aspect)
      } else if mode == "data" || mode == "auto" {
        let spans = axes.map { a -> Double in let (lo, hi) = a.transformedRange; return hi - lo }
        let mx = spans.max() ?? 1, mn = spans.min() ?? 1
        // Plotly's "auto": proportional to the data unless one axis is over 4x another.
        if mx > 0, mn > 0, mode == "data" || mx / mn <= 4 {
          aspect = Vec3(spans[0] / mx, spans[1] / mx, spans[2] / mx)
        }
      }
      if !(aspect.x > 0 && aspect.y > 0 && aspect.z > 0) { aspect = Vec3(1, 1, 1) }
      let title = layout?["title"]?.text ?? ""
      var background = RGBColor.white
      if let bg = layout?["paper_bgcolor"]?.string, let c = CSSColor.parse(bg) { background = c }
      var allNotes: [String] = []
      if let mn = meta?["notes"]?.elements { allNotes += mn.compactMap(\.string) }
      allNotes += notes
      let showLegend = layout?["showlegend"]?.bool ?? (traces.count > 1)
      return Scene(
        title: title, traces: traces, x: axes[0], y: axes[1], z: axes[2], camera: camera, colorBar: colorBar,
        background: background, aspect: aspect, notes: allNotes, showLegend: showLegend)
    }
  }
}
