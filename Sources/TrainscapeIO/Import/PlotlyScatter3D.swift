import Foundation
import TrainscapeCore

/// scatter3d traces as plotly.js draws them: x, y and z of different lengths are cut to the
/// shortest; colour and size arrays shorter than the points leave the rest at plotly.js's
/// defaults (colour #444, size 20 before the bubble function); marker sizes go through plotly.js's
/// bubble function (`sizeref`, `sizemode`, `sizemin`). Each tolerated mismatch gets one note.
extension PlotlyImporter.Reader {
  /// plotly.js's colour for a point a colour array does not reach (`color.defaultLine`).
  static let missingColor = RGBColor(hex: "#444444")!

  mutating func scatter3d(_ t: JSONNode, name: String, opacity: Double) throws {
    let (x, y, z) = try xyz(t, tolerant: true, name: name)
    let n = x.count
    let modeText = t["mode"]?.string ?? (n < 20 ? "lines+markers" : "lines")
    let parts = Set(modeText.split(separator: "+").map(String.init))
    let mode: ScatterTrace.Mode =
      parts.contains("lines") && parts.contains("markers") ? .linesAndMarkers : parts.contains("lines") ? .lines : .markers
    let marker = t["marker"], line = t["line"]
    // plotly.js's defaults: a line without a colour takes a single marker colour, else the
    // trace's colour; markers without one take the line's colours (gl3d_scatter-color-array).
    let markerColor = marker?["color"], lineColor = line?["color"]
    let hasLines = mode != .markers, hasMarkers = mode != .lines
    var colors: PointColors
    var lineColors: PointColors? = nil
    if let mc = markerColor, let lc = lineColor, !Self.same(mc.value, lc.value), hasLines, hasMarkers {
      colors = try pointColors(marker, trace: t, count: n, name: name, defaultShow: false)
      lineColors = try pointColors(line, trace: t, count: n, name: name, defaultShow: false).drawnOutright(count: n)
    } else if let mc = markerColor, lineColor == nil, mc.string == nil, hasLines, hasMarkers {
      colors = try pointColors(marker, trace: t, count: n, name: name, defaultShow: false)
      lineColors = .solid(Palette.color(traces.count))
    } else {
      let colorOwner: JSONNode? = (markerColor != nil && hasMarkers ? marker : nil) ?? (lineColor != nil ? line : nil) ?? (markerColor != nil ? marker : nil)
      colors = try pointColors(colorOwner, trace: t, count: n, name: name, defaultShow: false)
    }
    let (markerSize, markerSizes) = try sizes(marker, count: n, name: name)
    let lineWidth = PlotlyImporter.tidy(Swift.min(line?["width"]?.double ?? 2, 1e4) / (legacySizes ? 1 : pixelsPerUnit))
    var symbol = ScatterTrace.Symbol.circle
    // A symbol per point (gl3d_marker_symbols): the markers are split by symbol below.
    var symbols: [ScatterTrace.Symbol] = []
    var unknown: Set<String> = []
    func read(_ sym: String) -> ScatterTrace.Symbol {
      if let s = Self.symbols[sym] { return s }
      unknown.insert(sym)
      return .circle
    }
    if let sym = marker?["symbol"]?.string {
      symbol = read(sym)
    } else if let e = marker?["symbol"]?.elements {
      symbols = (0..<n).map { i in i < e.count ? read(e[i].string ?? "(\(e[i].double.map { ConfigValue.numberText($0) } ?? "not text"))") : .circle }
      if e.count != n { notes.append("\(name): marker.symbol has \(e.count) values for \(n) points; the rest are circles") }
    } else if marker?["symbol"] != nil {
      notes.append("\(name): marker.symbol is not a name or a list of names; drawn as circles")
    }
    for u in unknown.sorted() { notes.append("\(name): marker.symbol '\(u)' is drawn as a circle") }
    var text: [String] = []
    if let tn = t["text"] {
      if let e = tn.elements { text = e.map { $0.string ?? ($0.double.map { "\($0)" } ?? "") } }
      else if let s = tn.string { text = Array(repeating: s, count: n) }
      if text.count > n { text = Array(text.prefix(n)) }
      if text.count != n { text = [] }
    }
    // mode text: each point's text is drawn at it (gl3d_text-weirdness); a trace of text only
    // keeps its points, fully transparent, for the axes.
    let textOnly = parts.contains("text") && !parts.contains("lines") && !parts.contains("markers")
    if parts.contains("text") {
      let font = t["textfont"]?["color"]
      let color = (font?.string).flatMap(CSSColor.parse) ?? (font?.elements?.first?.string).flatMap(CSSColor.parse) ?? Self.missingColor
      for i in text.indices where !text[i].isEmpty && x[i].isFinite && y[i].isFinite && z[i].isFinite {
        pointLabels.append(PointLabel(text: PlotlyText.plain(text[i]), x: x[i], y: y[i], z: z[i], color: color, avoidsOverlap: false))
      }
    }
    var trace = ScatterTrace(
      name: name, x: x, y: y, z: z, colors: colors, mode: mode, markerSize: markerSize,
      lineWidth: lineWidth, opacity: textOnly ? 0 : opacity, text: text, symbol: symbol)
    trace.markerSizes = markerSizes
    trace.lineColors = lineColors
    // marker.opacity (one for the trace) and marker.line: outlines of filled markers, the
    // colour of open ones (gl3d_marker_symbols, gl3d_opacity-scaling-spikes).
    if let mo = marker?["opacity"]?.numeric { trace.markerOpacity = Swift.min(Swift.max(mo, 0), 1) }
    // line.dash: plotly.js's named patterns (gl3d_projection-traces' dashdot).
    if let dash = line?["dash"]?.string {
      if let d = LineDash(rawValue: dash) { trace.lineDash = d } else { notes.append("\(name): line.dash '\(dash.escapingControlCharacters)' (a custom pattern) is drawn solid") }
    }
    if let ml = marker?["line"], let w = ml["width"]?.numeric, w > 0, w.isFinite {
      let c = ml["color"]
      let color = (c?.string ?? c?.elements?.first?.string).flatMap(CSSColor.parse) ?? Self.missingColor
      trace.markerOutline = MarkerOutline(color: color, width: PlotlyImporter.tidy(w / pixelsPerUnit))
    }
    let traceIndex = traces.count
    if Set(symbols).count > 1 && mode != .lines {
      // One markers trace per symbol; the first keeps the name (the legend's entry), or the
      // line does when there is one.
      if mode == .linesAndMarkers {
        var line = trace
        line.mode = .lines
        traces.append(.scatter(line))
      }
      var first = mode == .markers
      for s in ScatterTrace.Symbol.allCases {
        let indices = symbols.indices.filter { symbols[$0] == s }
        guard !indices.isEmpty else { continue }
        var part = trace.subset(indices)
        part.mode = .markers
        part.symbol = s
        if !first { part.name = "" }
        first = false
        traces.append(.scatter(part))
      }
    } else {
      if let s = symbols.first { trace.symbol = s }
      traces.append(.scatter(trace))
    }
    try surfaceFill(t, x: x, y: y, z: z, name: name, trace: trace, opacity: opacity, colorIndex: traceIndex)
    // projection.x/y/z: shadows on the walls, drawn once the axes are known (`project`).
    for (axis, key) in ["x", "y", "z"].enumerated() {
      guard let p = t["projection"]?[key], p["show"]?.bool == true else { continue }
      projections.append((traceIndex, axis, Swift.min(Swift.max(p["opacity"]?.numeric ?? 1, 0), 1), Swift.max(p["scale"]?.numeric ?? 2.0 / 3, 0)))
    }
    let barColor: RGBColor
    switch lineColors ?? colors {
    case .solid(let c): barColor = c
    default: barColor = Self.missingColor
    }
    try errorBars(t, x: x, y: y, z: z, name: name, color: barColor)
  }

  /// `error_x`, `error_y`, `error_z` as plotly.js computes them (`type` data, percent, constant
  /// or sqrt; `symmetric`, `array`/`arrayminus`, `value`/`valueminus`), drawn as a segment
  /// through each point along the axis in `color` (or the bars' own) and `thickness`, as a
  /// lines trace without a name (so not in the legend). The caps are not drawn (noted).
  mutating func errorBars(_ t: JSONNode, x: [Double], y: [Double], z: [Double], name: String, color: RGBColor) throws {
    var capped = false
    for (axis, key) in ["error_x", "error_y", "error_z"].enumerated() {
      // Shown when asked, or by default when it has values (plotly.js's errorbars defaults).
      guard let e = t[key], e.isObject, e["visible"]?.bool ?? (e["array"] != nil || e["value"] != nil) else { continue }
      let type = e["type"]?.string ?? (e["array"] != nil ? "data" : "percent")
      let symmetric = e["symmetric"]?.bool ?? (e["arrayminus"] == nil && e["valueminus"] == nil)
      let value = e["value"]?.numeric ?? 10, valueMinus = e["valueminus"]?.numeric ?? value
      let plusArray = try e["array"].map { try $0.numericArray().values } ?? []
      let minusArray = try e["arrayminus"].map { try $0.numericArray().values } ?? []
      let coords = axis == 0 ? x : axis == 1 ? y : z
      func spread(_ i: Int, minus: Bool) -> Double {
        let v = coords[i]
        switch type {
        case "data":
          let a = minus && !symmetric ? minusArray : plusArray
          return i < a.count ? a[i] : .nan
        case "constant": return minus && !symmetric ? valueMinus : value
        case "sqrt": return v.squareRoot()  // none for negative values (NaN), as plotly.js
        default: return abs(v) * (minus && !symmetric ? valueMinus : value) / 100
        }
      }
      var bx: [Double] = [], by: [Double] = [], bz: [Double] = []
      for i in coords.indices where x[i].isFinite && y[i].isFinite && z[i].isFinite {
        let lo = coords[i] - spread(i, minus: true), hi = coords[i] + spread(i, minus: false)
        guard lo.isFinite, hi.isFinite, hi > lo else { continue }
        for v in [lo, hi] {
          bx.append(axis == 0 ? v : x[i]); by.append(axis == 1 ? v : y[i]); bz.append(axis == 2 ? v : z[i])
        }
        bx.append(.nan); by.append(.nan); bz.append(.nan)
      }
      guard !bx.isEmpty else { continue }
      let own = (e["color"]?.string).flatMap(CSSColor.parse)
      let width = PlotlyImporter.tidy((e["thickness"]?.numeric ?? 2) / pixelsPerUnit)
      traces.append(.scatter(ScatterTrace(
        name: "", x: bx, y: by, z: bz, colors: .solid(own ?? color), mode: .lines, markerSize: 0, lineWidth: width)))
      if (e["width"]?.numeric ?? 0) > 0 { capped = true }
    }
    if capped { notes.append("\(name): error bars are drawn without their caps") }
  }

  /// Marker diameters in style units from `marker.size` (a number or an array), as plotly.js
  /// draws them (measured on its gl3d baselines): a single size s is a glyph of 4s, an array's
  /// value v goes through the bubble function, sizeFn(4v) = max(2v / sizeref, sizemin) (or
  /// sqrt(2v / sizeref) for `sizemode: "area"`), and a glyph of g is drawn about 0.42 g across.
  /// So the default 8 is about 13.4 px across, and an array's 40 about 34 px. Points an array
  /// does not reach get plotly.js's raw default glyph of 20 (8.4 px). Pixels are at the figure's
  /// own size and become style units by `pixelsPerUnit`.
  mutating func sizes(_ marker: JSONNode?, count n: Int, name: String) throws -> (Double, [Double]) {
    let ref = marker?["sizeref"]?.double.flatMap { $0 > 0 ? $0 : nil } ?? 1
    let minSize = Swift.max(marker?["sizemin"]?.double ?? 0, 0)
    let area = marker?["sizemode"]?.string == "area"
    let glyph = legacySizes ? 0.25 : PlotlyImporter.glyphAcross / pixelsPerUnit
    // Sizes are clamped to 10,000 (pixels or units) so that no huge value overflows.
    func bubble(_ v: Double) -> Double {
      let u = Swift.min(v, 1e4) * 4 / 2 / ref
      let base = area ? u.squareRoot() : u
      guard base.isFinite, base > 0 else { return 0 }
      return PlotlyImporter.tidy(Swift.min(Swift.max(base, minSize) * glyph * (legacySizes ? 2 : 1), 1e4))
    }
    func single(_ v: Double) -> Double {
      guard v.isFinite, v > 0 else { return 0 }
      return legacySizes ? Swift.min(v, 1e4) : PlotlyImporter.tidy(4 * Swift.min(v, 1e4) * glyph)
    }
    guard let s = marker?["size"] else { return (single(8), []) }
    if let d = s.double { return (single(d), []) }
    let a = try s.numericArray()
    guard a.shape.count == 1 else { throw s.fail("a marker size or a 1-D array of sizes") }
    if a.values.count != n {
      notes.append("\(name): marker.size has \(a.values.count) values for \(n) points; "
        + (a.values.count < n ? "the rest are drawn at plotly.js's default size" : "the extra values are ignored, as plotly.js does"))
    }
    let sizes = (0..<n).map { i in i < a.values.count ? bubble(a.values[i]) : PlotlyImporter.tidy(20 * glyph * (legacySizes ? 2 : 1)) }
    return (single(8), sizes)
  }
}

extension PlotlyImporter {
  /// How far across plotly.js draws a marker glyph of size g: about 0.42 g (gl3d_marker-color's
  /// sizes 30 and 40 are 25 and 34 px across in its baseline, the default 8 is 13 to 14 px).
  static let glyphAcross = 0.42

  /// Style units per pixel of a figure `width` x `height`: plotly.js's sizes are pixels at the
  /// figure's own size, and Trainscape's scale with the image (1 at 1280x720, at least 0.6, as
  /// the renderer draws markers).
  static func pixelsPerUnit(width: Double, height: Double) -> Double {
    Swift.max(Swift.min(width / 1280, height / 720), 0.6)
  }

  /// A size in style units to 10 significant digits, so that what an export wrote (a size
  /// times `pixelsPerUnit`) reads back as the size it was, not one rounding away.
  static func tidy(_ v: Double) -> Double {
    guard v.isFinite, v != 0 else { return v }
    let scale = pow(10, 9 - (log10(abs(v))).rounded(.down))
    let t = (v * scale).rounded() / scale
    return t.isFinite ? t : v
  }

  /// Plotly's 3D trace types Trainscape does not draw: they are skipped with a note naming the
  /// type, and a figure made only of them is refused naming them.
  static let undrawn3DTypes: Set<String> = ["streamtube", "isosurface", "volume"]
}

extension PointColors {
  /// These colours as a line with colours of its own draws them: solid or one per point (a
  /// colour scale is applied here, since the line cannot share the markers' scale).
  func drawnOutright(count n: Int) -> PointColors {
    if case .scalar = self { return .perPoint((0..<n).map { color(at: $0) }) }
    return self
  }
}

extension PlotlyImporter.Reader {
  /// plotly.js's scatter3d marker symbols, all drawn (it draws other names as circles).
  static let symbols: [String: ScatterTrace.Symbol] = [
    "circle": .circle, "circle-open": .ring, "x": .cross, "square": .square, "square-open": .squareOpen,
    "diamond": .diamond, "diamond-open": .diamondOpen, "cross": .plus,
  ]

  /// `surfaceaxis` 0, 1 or 2: the points' Delaunay triangulation in the plane across that axis
  /// (`Delaunay2D`, as plotly.js; gl3d_cube's faces) is filled in `surfacecolor` (else the
  /// line's colour), as a mesh without a name.
  mutating func surfaceFill(
    _ t: JSONNode, x: [Double], y: [Double], z: [Double], name: String, trace: ScatterTrace, opacity: Double, colorIndex: Int
  ) throws {
    guard let sa = t["surfaceaxis"]?.numeric, sa >= 0 else { return }
    guard let axis = [0, 1, 2].first(where: { Double($0) == sa }) else {
      notes.append("\(name): surfaceaxis \(sa) is not 0, 1 or 2; no surface is filled")
      return
    }
    let finite = x.indices.filter { x[$0].isFinite && y[$0].isFinite && z[$0].isFinite }
    let coords = [x, y, z]
    let (a, b) = ((axis + 1) % 3, (axis + 2) % 3)
    // plotly.js's own method: the Delaunay triangulation of the points across the axis.
    let triangles = (try? Delaunay2D(x: finite.map { coords[a][$0] }, y: finite.map { coords[b][$0] }).triangles) ?? []
    guard !triangles.isEmpty else {
      notes.append("\(name): surfaceaxis: the points span no area across axis \(["x", "y", "z"][axis]); nothing is filled")
      return
    }
    let fallback: RGBColor
    switch trace.lineColors ?? trace.colors {
    case .solid(let c): fallback = c
    default: fallback = Palette.color(colorIndex)
    }
    let color = (t["surfacecolor"]?.string).flatMap(CSSColor.parse) ?? fallback
    traces.append(.mesh(MeshTrace(
      name: "", x: finite.map { x[$0] }, y: finite.map { y[$0] }, z: finite.map { z[$0] },
      i: triangles.map(\.0), j: triangles.map(\.1), k: triangles.map(\.2), colors: .solid(color), opacity: opacity)))
  }
}


extension PlotlyImporter.Reader {
  /// The projections asked for (`projection.x/y/z.show`), as unnamed copies of the traces flat
  /// on the wall behind the data along that axis as the camera sees it (the wall at the axis'
  /// far end from the eye, as plotly.js draws them), markers scaled by `scale` (plotly.js's
  /// 2/3) and at `opacity`.
  func projected(axes: [AxisSpec], camera: Camera) -> [Trace] {
    projections.compactMap { (index, axis, opacity, scale) -> Trace? in
      // The trace as drawn (after the axis ranges' clip).
      guard case .scatter(let trace) = traces[index] else { return nil }
      let eye = [camera.eye.x - camera.center.x, camera.eye.y - camera.center.y, camera.eye.z - camera.center.z][axis]
      let wall = eye >= 0 ? axes[axis].range.lowerBound : axes[axis].range.upperBound
      var p = trace
      p.name = ""
      switch axis {
      case 0: p.x = p.x.map { $0.isFinite ? wall : $0 }
      case 1: p.y = p.y.map { $0.isFinite ? wall : $0 }
      default: p.z = p.z.map { $0.isFinite ? wall : $0 }
      }
      p.markerSize *= scale
      p.markerSizes = p.markerSizes.map { $0 * scale }
      p.opacity *= opacity
      return .scatter(p)
    }
  }
}
