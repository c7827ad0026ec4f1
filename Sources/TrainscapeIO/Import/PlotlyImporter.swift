import Foundation
import TrainscapeCore

/// Reads a Plotly figure (`{"data": [...], "layout": {...}}`, as plotly.py, `wandb.Plotly` and
/// `PlotlyExporter` write it) into a `Scene`: `surface`, `scatter3d` and `mesh3d` traces with
/// plain or typed arrays, the camera, axis titles and types, colour scales and opacity.
/// Other trace types are skipped with a note.
public enum PlotlyImporter {
  public static func scene(fromJSON bytes: [UInt8], file: String) throws -> Scene {
    let (root, traceNodes) = try parse(bytes, file: file)
    return try read(root: root, traceNodes: traceNodes, layout: root["layout"], file: file, severalScenes: true)
  }

  static func parse(_ bytes: [UInt8], file: String) throws -> (JSONNode, [JSONNode]) {
    let root = JSONNode(value: try JSONParser.parse(bytes, file: file), path: "", file: file)
    guard root.isObject else { throw root.fail("a Plotly figure object {\"data\": [...], \"layout\": {...}}") }
    guard let data = root["data"] else {
      throw ImportError(file: file, path: "data", message: "expected the list of traces, found nothing (is this a Plotly figure?)")
    }
    return (root, try data.array("a list of traces"))
  }

  /// One scene of `traceNodes` under `layout`; `severalScenes`: note traces that name other
  /// scenes (they are merged into this one).
  static func read(root: JSONNode, traceNodes: [JSONNode], layout: JSONNode?, file: String, severalScenes: Bool) throws -> Scene {
    var r = Reader(file: file)
    // Marker sizes and line widths are pixels at the figure's own size (plotly.js: 700 x 450;
    // with autosize, the page's, unknown here, so the same).
    let sized = layout?["autosize"]?.bool != true
    let width = (sized ? layout?["width"]?.double : nil).flatMap { $0 >= 10 ? $0 : nil } ?? 700
    let height = (sized ? layout?["height"]?.double : nil).flatMap { $0 >= 10 ? $0 : nil } ?? 450
    r.pixelsPerUnit = pixelsPerUnit(width: width, height: height)
    // A Trainscape export from before sizes were written as plotly.js's pixels.
    if let m = layout?["meta"]?["trainscape"], m.isObject, m["sizes"]?.string != "plotly" { r.legacySizes = true }
    // plotly.py writes its template (whose sequential scale is Plasma) into every figure; a
    // figure without one gets plotly.js's own default, RdBu.
    if root["layout"]?["template"] == nil { r.defaultScale = Colormap.plotlyJS("RdBu") ?? .plasma }
    // The automatic scales: the figure's layout.colorscale, else its template's (plotly.py
    // writes Plasma and friends there), else plotly.js's Reds, Blues and RdBu.
    for source in [root["layout"]?["template"]?["layout"]?["colorscale"], root["layout"]?["colorscale"]] {
      guard let cs = source else { continue }
      if let m = try r.scale(cs["sequential"]) { r.autoScales.sequential = m }
      if let m = try r.scale(cs["sequentialminus"]) { r.autoScales.sequentialMinus = m }
      if let m = try r.scale(cs["diverging"]) { r.autoScales.diverging = m }
    }
    let (nodes, labels, axisNotes) = labelAxes(traceNodes, scene: layout?["scene"])
    r.axisLabels = labels
    r.notes += axisNotes
    for t in nodes {
      try r.trace(t)
    }
    r.noteLayout(layout, traceNodes: severalScenes ? traceNodes : [])
    return try r.finish(layout: layout)
  }

  struct Reader {
    var file: String
    var traces: [Trace] = []
    var notes: [String] = []
    var colorBar: ColorBar?
    var colorBarTitle: String?
    /// The colour scale of a trace that names none.
    var defaultScale: Colormap = .plasma
    /// The automatic scales (marker and line colours without a scale, `autocolorscale`).
    var autoScales = AutoScales()
    /// Traces skipped, as "data[i] (type)", for the refusal when nothing is left.
    var skipped: [String] = []
    /// Cone traces, drawn once the axes are known.
    var cones: [PlotlyImporter.ConeRequest] = []
    /// scatter3d `projection`s: the trace, the axis, the opacity and the marker scale.
    var projections: [(trace: Int, axis: Int, opacity: Double, scale: Double)] = []
    /// Text drawn at points: scatter3d `mode: "text"` and `scene.annotations`.
    var pointLabels: [PointLabel] = []
    /// Traces plotly.js would list in a legend (`showlegend`, on by default for scatter3d only).
    var legendTraces = 0
    /// Marker sizes and line widths in Trainscape's style units, as exports wrote them before
    /// they wrote plotly.js's pixels (`meta.trainscape` without `sizes: "plotly"`).
    var legacySizes = false
    /// Pixels of the figure per style unit (`PlotlyImporter.pixelsPerUnit`).
    var pixelsPerUnit = 0.6
    /// Category and date axes (`PlotlyImporter.labelAxes`), by axis.
    var axisLabels: [AxisLabels?] = [nil, nil, nil]

    /// An axis range end: a number, or on a date axis a date string.
    /// `category`: a name on a category axis is its place (annotations give points so).
    func rangeValue(_ n: JSONNode, _ labels: AxisLabels?, category: Bool = false) -> Double? {
      if let d = n.double { return d }
      if labels == .dates, let s = n.string { return AxisLabels.parseDate(s) }
      if category, case .categories(let names)? = labels, let s = n.string, let i = names.firstIndex(of: s) { return Double(i) }
      if labels == nil, let d = n.numeric { return d }
      return nil
    }
    /// Surfaces' contour lines, drawn once the scene's axes are known.
    var contourRequests: [(trace: Int, request: ContourRequest)] = []

    /// The trace's colour map from `colorscale` (named or explicit) and reversescale, plus
    /// Trainscape's own `meta` when present (exact map, log scale, data range).
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
      // Unnamed: by its place in `data` (a scene's reader sees only some of the traces).
      let index = t.path.hasPrefix("data[") ? Int(t.path.dropFirst(5).prefix { $0.isNumber }) : nil
      let name = t["name"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "trace \(index ?? traces.count)"
      let opacity = t["opacity"]?.double ?? 1
      if ["surface", "scatter3d", "mesh3d", "cone"].contains(type) {
        noteUndrawn(t, type: type, name: name)
        if PlotlyImporter.inLegend(t) { legendTraces += 1 }
      }
      // showlegend false: the traces read from this one are unnamed, so not in the legend.
      let first = traces.count
      defer {
        if t["showlegend"]?.bool == false {
          for i in first..<traces.count { traces[i].unnamed() }
        }
      }
      switch type {
      case "surface":
        guard let zNode = t["z"] else { throw ImportError(file: file, path: t.path + ".z", message: "expected a 2-D array of heights, found nothing") }
        let z = try zNode.numericArray()
        guard z.shape.count == 2, z.rows >= 1, z.cols >= 1 else { throw zNode.fail("a 2-D array (rows x cols)") }
        var (rows, cols) = (z.rows, z.cols)
        var zValues = z.values
        // 1-D x and y that do not match z's columns and rows: plotly.js draws the grid its
        // coordinates reach and ignores extra coordinates.
        let x1 = try t["x"].map { try $0.numericArray() }, y1 = try t["y"].map { try $0.numericArray() }
        let keepCols = x1.flatMap { $0.shape.count == 1 ? Swift.min($0.values.count, cols) : nil } ?? cols
        let keepRows = y1.flatMap { $0.shape.count == 1 ? Swift.min($0.values.count, rows) : nil } ?? rows
        for (key, a, need) in [("x", x1, cols), ("y", y1, rows)] {
          if let a, a.shape.count == 1, a.values.count != need {
            notes.append("\(name): \(key) has \(a.values.count) values for z's \(need) \(key == "x" ? "columns" : "rows"); "
              + (a.values.count < need ? "only the \(a.values.count) \(key == "x" ? "columns" : "rows") it reaches are drawn" : "the extra values are ignored") + ", as plotly.js does")
          }
        }
        if keepRows < 1 || keepCols < 1 {
          throw ImportError(file: file, path: t.path, message: "expected x and y coordinates for z's \(rows) x \(cols) grid, found \(x1?.values.count ?? cols) x values and \(y1?.values.count ?? rows) y values")
        }
        if keepRows != rows || keepCols != cols {
          zValues = (0..<(keepRows * keepCols)).map { z.values[($0 / keepCols) * cols + $0 % keepCols] }
          (rows, cols) = (keepRows, keepCols)
        }
        func grid(_ key: String, alongCols: Bool) throws -> [Double] {
          guard let node = t[key] else {
            return (0..<(rows * cols)).map { Double(alongCols ? $0 % cols : $0 / cols) }
          }
          var a = try node.numericArray()
          if a.shape.count == 1 { a.values = Array(a.values.prefix(alongCols ? cols : rows)) }
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
        var spec = try colorSpec(t, trace: t, defaultMap: defaultScale, defaultShow: true, legacyZRange: true)
        var color = zValues
        if let scNode = t["surfacecolor"], t["meta"]?["trainscape"]?["colorSource"]?.string != "z" {
          var sc = try scNode.numericArray()
          if sc.shape.count == 2, sc.rows >= rows, sc.cols >= cols, sc.values.count != rows * cols {
            sc.values = (0..<(rows * cols)).map { sc.values[($0 / cols) * sc.cols + $0 % cols] }
          }
          guard sc.values.count == rows * cols else {
            throw ImportError(file: file, path: scNode.path, message: "expected \(rows) x \(cols) colour values like z, found \(sc.values.count)")
          }
          color = decodeColorValues(sc.values, scale: spec.scale)
        }
        spec = spec.autoScaled(values: color, finite: finiteRange, scales: autoScales)
        let range = spec.range ?? finiteRange(color, scale: spec.scale) ?? 0...1
        noteColorBar(spec, values: color, fallbackTitle: name)
        // hidesurface: plotly.js draws only the contour lines (and the colour bar); the surface
        // stays, fully transparent, so the axes, the colour bar and the exports keep it.
        let hidden = t["hidesurface"]?.bool == true
        traces.append(.surface(SurfaceTrace(
          name: name, rows: rows, cols: cols, x: x, y: y, z: zValues, color: color, colormap: spec.map,
          colorRange: range, colorScale: spec.scale, opacity: hidden ? 0 : opacity)))
        let contours = contourRequest(t, name: name)
        if let contours { contourRequests.append((traces.count - 1, contours)) }
        if hidden {
          notes.append("\(name): hidesurface: " + (contours == nil ? "nothing of the surface is drawn (it has no contours shown)" : "only its contour lines are drawn"))
        }
      case "scatter3d":
        try scatter3d(t, name: name, opacity: opacity)
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
          var spec = try colorSpec(t, trace: t, defaultMap: defaultScale, defaultShow: true)
          let values = decodeColorValues(try inten.numericArray().values, scale: spec.scale)
          spec = spec.autoScaled(values: values, finite: finiteRange, scales: autoScales)
          guard values.count == x.count else {
            throw ImportError(file: file, path: inten.path, message: "expected one intensity per vertex (\(x.count)), found \(values.count)")
          }
          noteColorBar(spec, values: values, fallbackTitle: name)
          colors = .scalar(values, colormap: spec.map, range: spec.range ?? finiteRange(values, scale: spec.scale) ?? 0...1, scale: spec.scale)
        } else if let vc = t["vertexcolor"] {
          let cs = try vc.colorStrings()
          guard cs.count == x.count else { throw ImportError(file: file, path: vc.path, message: "expected one colour per vertex (\(x.count)), found \(cs.count)") }
          colors = .perPoint(cs)
        } else if let fc = t["facecolor"], let cs = try? fc.colorStrings(), cs.count == i.count {
          // A colour per face (gl3d_tetrahedra): each face gets vertices of its own, in its colour.
          let corners = (0..<i.count).flatMap { f in [Int(i[f]), Int(j[f]), Int(k[f])] }
          let own = (0..<Int32(corners.count)).map { $0 }
          traces.append(.mesh(MeshTrace(
            name: name, x: corners.map { x[$0] }, y: corners.map { y[$0] }, z: corners.map { z[$0] },
            i: own.filter { $0 % 3 == 0 }, j: own.filter { $0 % 3 == 1 }, k: own.filter { $0 % 3 == 2 },
            colors: .perPoint(corners.indices.map { cs[$0 / 3] }), opacity: opacity)))
          return
        } else if let c = t["color"] {
          colors = .solid(try c.color())
        } else {
          colors = .solid(Palette.color(traces.count))
        }
        if case .solid = colors, let fc = t["facecolor"] {
          let n = (try? fc.colorStrings())?.count
          notes.append("\(name): facecolor " + (n.map { "has \($0) colours for \(i.count) faces" } ?? "is not a list of colours") + "; drawn in one colour")
        }
        traces.append(.mesh(MeshTrace(name: name, x: x, y: y, z: z, i: i, j: j, k: k, colors: colors, opacity: opacity)))
      case "cone":
        try cone(t, name: name, opacity: opacity)
      case _ where PlotlyImporter.undrawn3DTypes.contains(type):
        skipped.append("\(t.path) (\(type))")
        notes.append("trace \(t.path) is a '\(type)' trace, which Trainscape does not draw; skipped")
      default:
        skipped.append("\(t.path) (\(type))")
        notes.append("trace \(t.path) of type '\(type)' is not a 3D trace; skipped")
      }
    }

    mutating func xyz(_ t: JSONNode, tolerant: Bool = false, name: String = "") throws -> ([Double], [Double], [Double]) {
      var arrays: [[Double]] = []
      for key in ["x", "y", "z"] {
        guard let n = t[key] else { throw ImportError(file: file, path: "\(t.path).\(key)", message: "expected an array of coordinates, found nothing") }
        let a = try n.numericArray()
        guard a.shape.count == 1 else { throw ImportError(file: file, path: n.path, message: "expected a 1-D array, found \(a.rows) x \(a.cols)") }
        arrays.append(a.values)
      }
      let shortest = arrays.map(\.count).min() ?? 0
      if tolerant && arrays.contains(where: { $0.count != shortest }) {
        // plotly.js draws the first `shortest` points (trace._length).
        notes.append("\(name): x, y and z have \(arrays[0].count), \(arrays[1].count) and \(arrays[2].count) values; the first \(shortest) points are drawn, as plotly.js does")
        return (Array(arrays[0].prefix(shortest)), Array(arrays[1].prefix(shortest)), Array(arrays[2].prefix(shortest)))
      }
      guard arrays[0].count == arrays[1].count && arrays[1].count == arrays[2].count else {
        throw ImportError(file: file, path: t.path, message: "expected x, y and z of the same length, found \(arrays[0].count), \(arrays[1].count), \(arrays[2].count)")
      }
      return (arrays[0], arrays[1], arrays[2])
    }

    mutating func noteLength(_ node: JSONNode, _ found: Int, _ count: Int, name: String) {
      let key = node.path.split(separator: ".").suffix(2).joined(separator: ".")
      notes.append("\(name): \(key) has \(found) values for \(count) points; "
        + (found < count ? "the rest are drawn in plotly.js's default #444" : "the extra values are ignored, as plotly.js does"))
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
        let found = skipped.isEmpty ? "none" : "only " + skipped.joined(separator: ", ")
        let undrawn = Set(skipped.compactMap { s in PlotlyImporter.undrawn3DTypes.first { s.hasSuffix("(\($0))") } }).sorted()
        let why = undrawn.isEmpty ? "" : "; Trainscape does not draw " + undrawn.map { "\($0)" }.joined(separator: ", ") + " traces"
        throw ImportError(file: file, path: "data", message: "expected at least one surface, scatter3d or mesh3d trace, found \(found)\(why)")
      }
      let sceneNode = layout?["scene"]
      let meta = layout?["meta"]?["trainscape"]
      let metaRanges = meta?["ranges"]?.elements
      let metaInteger = meta?["integer"]?.elements
      var axes: [AxisSpec] = []
      var clipRanges: [ClosedRange<Double>?] = [nil, nil, nil]
      for (k, key) in ["xaxis", "yaxis", "zaxis"].enumerated() {
        let a = sceneNode?[key]
        let title = a?["title"]?.text ?? ["x", "y", "z"][k]
        let scale: AxisScale = a?["type"]?.string == "log" ? .log : .linear
        let values = allValues(k)
        if !values.isEmpty, !values.contains(where: \.isFinite) {
          // Refused rather than drawn empty (dates and categories became numbers before).
          throw ImportError(file: file, path: "layout.scene.\(key)", message: "none of the \(key.prefix(1)) values is a number, a date or a category label")
        }
        var range: ClosedRange<Double>
        if let mr = metaRanges, mr.count == 3, let p = mr[k].elements, p.count == 2, let lo = p[0].double, let hi = p[1].double, lo <= hi {
          range = lo...hi
        } else if a?["autorange"]?.bool != true, let r = a?["range"]?.elements, r.count == 2,
          let lo = rangeValue(r[0], axisLabels[k]), let hi = rangeValue(r[1], axisLabels[k]), lo.isFinite, hi.isFinite
        {
          let (l, h) = (Swift.min(lo, hi), Swift.max(lo, hi))
          range = scale == .log ? pow(10, l)...pow(10, h) : l...h
          clipRanges[k] = range
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
        var axis = AxisSpec(title: title, scale: scale, range: range, integer: integer && axisLabels[k] == nil)
        axis.labels = axisLabels[k]
        // What of the axis is drawn (gl3d_axes-visible-false, gl3d_cube, gl3d_marker_symbols) and
        // its wall's colour (gl3d_surface-lighting, gl3d_cone-rossler).
        axis.visible = a?["visible"]?.bool ?? true
        axis.showGrid = a?["showgrid"]?.bool ?? true
        axis.showTickLabels = a?["showticklabels"]?.bool ?? true
        if a?["showbackground"]?.bool == true, let bg = a?["backgroundcolor"]?.string {
          axis.wallColor = CSSColor.parse(bg)
        }
        axes.append(axis)
      }
      clip(to: clipRanges)
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
      // plotly.js: an aspect ratio given in full makes the mode "manual" unless one is named
      // (gl3d_tetrahedra's 5 : 1 : 1).
      let ratio = sceneNode?["aspectratio"]
      let hasRatio = ["x", "y", "z"].allSatisfy { (ratio?[$0]?.double ?? 0) > 0 }
      let mode = sceneNode?["aspectmode"]?.string ?? (hasRatio ? "manual" : "auto")
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
      // The scene's background fills its domain, most of the image, so it is drawn over the
      // paper's (gl3d_opacity-surface), blended by its alpha (plotly.js's default
      // "rgba(0,0,0,0)" leaves the paper); a paper of another colour is noted.
      if let bg = sceneNode?["bgcolor"]?.string, let c = CSSColor.parse(bg) {
        let a = CSSColor.alpha(bg)
        background = RGBColor(r: c.r * a + background.r * (1 - a), g: c.g * a + background.g * (1 - a), b: c.b * a + background.b * (1 - a))
      }
      // A translucent wall colour (rgba) over the background.
      for k in 0..<3 {
        guard let wall = axes[k].wallColor, let text = sceneNode?[["xaxis", "yaxis", "zaxis"][k]]?["backgroundcolor"]?.string else { continue }
        let a = CSSColor.alpha(text)
        axes[k].wallColor = RGBColor(
          r: wall.r * a + background.r * (1 - a), g: wall.g * a + background.g * (1 - a), b: wall.b * a + background.b * (1 - a))
      }
      var allNotes: [String] = []
      if let mn = meta?["notes"]?.elements { allNotes += mn.compactMap(\.string) }
      allNotes += notes
      // plotly.js shows a legend of two or more traces that take part: scatter3d by default,
      // surface and mesh3d only with showlegend (gl3d_ribbons' 18 surfaces have none).
      let showLegend = layout?["showlegend"]?.bool ?? (legendTraces > 1)
      var scene = Scene(
        title: title, traces: traces + projected(axes: axes, camera: camera), x: axes[0], y: axes[1], z: axes[2], camera: camera, colorBar: colorBar,
        background: background, aspect: aspect, notes: allNotes, showLegend: showLegend)
      for (i, r) in contourRequests { scene = scene.withContours(r, onlyTrace: i) }
      scene.pointLabels = pointLabels
      let coneMeshes = cones(in: scene)
      scene.traces += coneMeshes
      // The axes reach the cones, as plotly.js's autorange does (not a range the figure sets).
      for m in coneMeshes.compactMap(\.mesh) {
        for (k, values) in [m.x, m.y, m.z].enumerated() where clipRanges[k] == nil {
          let finite = values.filter(\.isFinite)
          guard let lo = finite.min(), let hi = finite.max() else { continue }
          let r = [scene.x, scene.y, scene.z][k].range
          let widened = Swift.min(r.lowerBound, lo)...Swift.max(r.upperBound, hi)
          if k == 0 { scene.x.range = widened } else if k == 1 { scene.y.range = widened } else { scene.z.range = widened }
        }
      }
      return scene
    }
  }
}

extension Trace {
  /// Without a name (so not in the legend).
  mutating func unnamed() {
    switch self {
    case .surface(var s): s.name = ""; self = .surface(s)
    case .scatter(var s): s.name = ""; self = .scatter(s)
    case .mesh(var m): m.name = ""; self = .mesh(m)
    }
  }
}
