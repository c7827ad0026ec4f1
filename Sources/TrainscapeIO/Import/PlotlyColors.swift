import Foundation
import TrainscapeCore

/// Colours as plotly.js reads them: colour scales (named, explicit, automatic), colour ranges,
/// colour bars and point colours.
extension PlotlyImporter {
  /// What a trace's colour specification reads as.
  struct ColorSpec {
    var map: Colormap
    var range: ClosedRange<Double>?
    var scale: AxisScale
    var showScale: Bool
    var title: String?
    /// `autocolorscale: true`: the scale is chosen from the colour range (`autoScaled`).
    var auto = false
    var reversed = false

    /// plotly.js's automatic colour scale: the layout's diverging scale (RdBu) when the colour
    /// range spans zero, its sequential one (Reds) when it is all at or above zero, else its
    /// sequentialminus one (Blues), reversed by `reversescale`.
    func autoScaled(values: [Double], finite: ([Double], AxisScale) -> ClosedRange<Double>?, scales: AutoScales) -> ColorSpec {
      guard auto else { return self }
      let r = range ?? finite(values, scale) ?? 0...1
      let m = r.lowerBound < 0 && r.upperBound > 0 ? scales.diverging : r.lowerBound >= 0 ? scales.sequential : scales.sequentialMinus
      var s = self
      s.map = reversed ? m.reversed() : m
      return s
    }
  }

  /// The scales of automatic colour scales (`layout.colorscale`, a template's, or plotly.js's).
  struct AutoScales {
    var sequential = Colormap.plotlyJS("Reds") ?? .plasma
    var sequentialMinus = Colormap.plotlyJS("Blues") ?? .plasma
    var diverging = Colormap.plotlyJS("RdBu") ?? .coolwarm
  }
}

extension PlotlyImporter.Reader {
  typealias ColorSpec = PlotlyImporter.ColorSpec
  /// A colour scale: a name (plotly.js's, or plotly.py's with a note) or [[t, colour], ...];
  /// nil without one.
  mutating func scale(_ node: JSONNode?, fallback: Colormap = .plasma) throws -> Colormap? {
    guard let cs = node else { return nil }
    if let name = cs.string {
      let (m, note) = PlotlyColorscales.named(name, fallback: fallback)
      if let note, !notes.contains(note) { notes.append(note) }
      return m
    }
    var stops: [(Double, RGBColor)] = []
    for s in try cs.array("a colour scale: a name or [[t, colour], ...]") {
      let pair = try s.array("a [t, colour] pair")
      guard pair.count == 2 else { throw s.fail("a [t, colour] pair") }
      stops.append((try pair[0].number("a position in 0..1"), try pair[1].color()))
    }
    guard !stops.isEmpty else { throw cs.fail("a non-empty colour scale") }
    return PlotlyColorscales.interpolate(stops, name: "custom")
  }

  /// `legacyZRange`: `zmin` / `zmax` stand for `cmin` / `cmax` (a surface's names before
  /// plotly.js 1.x renamed them); elsewhere plotly.js ignores them, and so does this, with a note.
  mutating func colorSpec(
    _ owner: JSONNode, trace: JSONNode, defaultMap: Colormap, defaultShow: Bool, legacyZRange: Bool = false
  ) throws -> ColorSpec {
    var map = defaultMap
    let meta = trace["meta"]?["trainscape"]
    if let m = try scale(owner["colorscale"], fallback: defaultMap) { map = m }
    if let name = meta?["colormap"]?.string {
      if let table = meta?["colormapTable"]?.elements, table.count == 768 {
        map = Colormap(name: name, table: table.map { UInt8(Swift.min(Swift.max($0.double ?? 0, 0), 255)) })
      } else if let m = Colormap.named(name) {
        map = m
      }
    } else if owner["reversescale"]?.bool == true {
      map = map.reversed()
    }
    // plotly.js: a marker's or line's colours without a scale are scaled automatically
    // (autocolorscale defaults to true there); a trace's own only when asked.
    let auto = meta?["colormap"] == nil
      && (owner["autocolorscale"]?.bool ?? (owner.path != trace.path && owner["colorscale"] == nil))
    let scale: AxisScale = meta?["colorScale"]?.string == "log" ? .log : .linear
    var range: ClosedRange<Double>?
    if let cr = meta?["colorRange"]?.elements, cr.count == 2, let lo = cr[0].double, let hi = cr[1].double, lo <= hi {
      range = lo...hi
    } else if let lo = (owner["cmin"] ?? (legacyZRange ? owner["zmin"] : nil))?.numeric,
      let hi = (owner["cmax"] ?? (legacyZRange ? owner["zmax"] : nil))?.numeric, lo <= hi
    {
      range = scale == .log ? pow(10, lo)...pow(10, hi) : lo...hi
    }
    if !legacyZRange, owner["cmin"] == nil, owner["cmax"] == nil, owner["zmin"] != nil || owner["zmax"] != nil {
      notes.append("\(owner.path): zmin / zmax are not colour bounds here (cmin / cmax are); ignored, as plotly.js does")
    }
    // A marker's or line's colour bar shows by default when it is described (plotly.js's
    // hasColorbar; gl3d_scatter3d-colorscale's "WOW").
    let show = owner["showscale"]?.bool ?? (owner.path != trace.path && owner["colorbar"]?.isObject == true ? true : defaultShow)
    let title = owner["colorbar"]?["title"]?.text
    return ColorSpec(
      map: map, range: range, scale: scale, showScale: show, title: title, auto: auto,
      reversed: owner["reversescale"]?.bool == true)
  }

  mutating func noteColorBar(_ spec: ColorSpec, values: [Double], fallbackTitle: String) {
    guard spec.showScale, colorBar == nil, let range = spec.range ?? finiteRange(values, scale: spec.scale) else { return }
    colorBar = ColorBar(title: spec.title ?? fallbackTitle, colormap: spec.map, range: range, scale: spec.scale)
  }

  mutating func pointColors(_ owner: JSONNode?, trace t: JSONNode, count: Int, name: String, defaultShow: Bool) throws -> PointColors {
    guard let owner, let c = owner["color"] else { return .solid(Palette.color(traces.count)) }
    if c.string != nil { return .solid(try c.color()) }
    guard c.isObject || c.elements != nil else { throw c.fail("a colour, or an array (plain or typed) of colours or numbers") }
    if let e = c.elements, let s = e.first?.string, Double(s) == nil {
      let cs = try c.colorStrings()
      if cs.count != count { noteLength(c, cs.count, count, name: name) }
      return .perPoint((0..<count).map { $0 < cs.count ? cs[$0] : Self.missingColor })
    }
    var spec = try colorSpec(owner, trace: t, defaultMap: defaultScale, defaultShow: defaultShow)
    let values = decodeColorValues(try c.numericArray().values, scale: spec.scale)
    spec = spec.autoScaled(values: values, finite: finiteRange, scales: autoScales)
    noteColorBar(spec, values: values, fallbackTitle: name)
    if values.count != count {
      noteLength(c, values.count, count, name: name)
      let range = spec.range ?? finiteRange(values, scale: spec.scale) ?? 0...1
      let scalar = PointColors.scalar(values, colormap: spec.map, range: range, scale: spec.scale)
      return .perPoint((0..<count).map { $0 < values.count ? scalar.color(at: $0) : Self.missingColor })
    }
    return .scalar(values, colormap: spec.map, range: spec.range ?? finiteRange(values, scale: spec.scale) ?? 0...1, scale: spec.scale)
  }
}
