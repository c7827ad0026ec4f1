import Foundation
import TrainscapeCore

/// Writes a `Scene` as a Plotly figure, `{"data": [...], "layout": {...}}`, the JSON that
/// plotly.py's `fig.to_json()` / `plotly.io.write_json` produce and `wandb.Plotly` stores.
///
/// - Surfaces become `surface` traces with 2-D x/y/z; scatter traces `scatter3d`; meshes `mesh3d`.
/// - Plotly has no logarithmic colour scale: a log colour scale is written as
///   `surfacecolor` (or `marker.color`, `intensity`) = log10(value) with colour-bar ticks
///   (`tickvals` at log10 positions, `ticktext` with the real values), so the colours match.
/// - Log axes get `type: "log"`; axis ranges, the camera and the box aspect are written so that
///   Plotly frames the scene as the renderer does.
/// - NaN is written as `null`. Plain number arrays by default (the W&B Plotly panel shows typed
///   arrays as empty); `typedArrays` writes plotly.js's `{"dtype", "bdata", "shape"}` form.
/// - Trainscape-specific details (colour-map name, data ranges, notes) go into `meta`, which
///   Plotly keeps but ignores, so that `PlotlyImporter` can read the figure back exactly.
public enum PlotlyExporter {
  public struct Options: Sendable, Equatable {
    /// Write numeric arrays in plotly.js's base64 typed-array form.
    public var typedArrays: Bool
    /// Largest number of samples per trace; larger surfaces and point sets are thinned by a stride
    /// (keeping the last row, column and point), and a note says so. nil: no limit.
    public var maxPoints: Int?
    /// Significant digits for numbers; nil writes the shortest decimal that reads back exactly.
    /// With typed arrays, 7 or fewer digits store float32 ("f4").
    public var precision: Int?
    /// Figure size in pixels (`layout.width` / `layout.height`); nil leaves it to Plotly.
    public var width: Int?
    public var height: Int?
    /// Stops in each exported colour scale (evenly spaced samples of the colour map).
    public var colorscaleStops: Int

    public init(
      typedArrays: Bool = false, maxPoints: Int? = nil, precision: Int? = nil, width: Int? = nil,
      height: Int? = nil, colorscaleStops: Int = 21
    ) {
      self.typedArrays = typedArrays
      self.maxPoints = maxPoints
      self.precision = precision
      self.width = width
      self.height = height
      self.colorscaleStops = colorscaleStops
    }
  }

  /// The figure JSON and the notes the caller must show (data thinned, etc.).
  public static func figure(_ scene: Scene, options: Options = Options()) -> (json: [UInt8], notes: [String]) {
    var notes: [String] = []
    // Thin first, so the notes can go into the figure too.
    var traces: [Trace] = []
    // A surface's contour lines are written as its `contours`, not as traces of their own.
    for trace in scene.traces where trace.scatter?.contourOf == nil {
      if let s = trace.surface, s.contours.contains(where: { l in (l.axis == .z ? scene.z : l.axis == .x ? scene.x : scene.y).scale == .log }) {
        notes.append("surface '\(s.name)': contours on a log axis are drawn at log-spaced levels; plotly.js spaces them evenly in data units from start to end")
      }
      let (t, note) = thin(trace, maxPoints: options.maxPoints)
      traces.append(t)
      if let note { notes.append(note) }
    }
    var estimate = 4096
    for t in traces {
      switch t {
      case .surface(let s): estimate += s.rows * s.cols * 3 * (options.typedArrays ? 11 : 20)
      case .scatter(let s): estimate += s.count * 64
      case .mesh(let m): estimate += m.x.count * 60 + m.i.count * 24
      }
    }
    var w = JSONWriter(capacity: estimate, precision: options.precision)
    let ctx = Context(scene: scene, options: options)
    w.raw("{\"data\":[")
    var colorBarShown = false
    for (n, trace) in traces.enumerated() {
      if n > 0 { w.byte(UInt8(ascii: ",")) }
      switch trace {
      case .surface(let s): ctx.surface(s, into: &w, colorBarShown: &colorBarShown)
      case .scatter(let s): ctx.scatter(s, into: &w, colorBarShown: &colorBarShown)
      case .mesh(let m): ctx.mesh(m, into: &w, colorBarShown: &colorBarShown)
      }
    }
    w.raw("],\"layout\":")
    ctx.layout(into: &w, notes: scene.notes + notes)
    w.byte(UInt8(ascii: "}"))
    return (w.bytes, notes)
  }

  // MARK: - Thinning

  /// Stride that keeps at most `maxPoints` samples of a rows x cols grid, keeping the last row
  /// and column.
  static func gridStride(rows: Int, cols: Int, maxPoints: Int) -> Int {
    var s = 1
    func kept(_ n: Int) -> Int { n <= 1 ? n : (n - 1 + s - 1) / s + 1 }
    while kept(rows) * kept(cols) > Swift.max(maxPoints, 4) && s < Swift.max(rows, cols) { s += 1 }
    return s
  }

  static func thin(_ trace: Trace, maxPoints: Int?) -> (Trace, String?) {
    guard let maxPoints else { return (trace, nil) }
    switch trace {
    case .surface(var s):
      guard s.rows * s.cols > maxPoints else { return (trace, nil) }
      let st = gridStride(rows: s.rows, cols: s.cols, maxPoints: maxPoints)
      let ri = Subsampling.strided(s.rows, by: st), ci = Subsampling.strided(s.cols, by: st)
      let note = "surface '\(s.name)' downsampled from \(s.rows)x\(s.cols) to \(ri.count)x\(ci.count) samples (every \(st)th row and column, keeping the last) to stay within \(maxPoints) points"
      let name = s.name + " (downsampled \(s.rows)x\(s.cols) -> \(ri.count)x\(ci.count))"
      s = s.subgrid(rows: ri, cols: ci)
      s.name = name
      return (.surface(s), note)
    case .scatter(var s):
      guard s.count > maxPoints else { return (trace, nil) }
      let st = (s.count - 1 + maxPoints - 2) / Swift.max(maxPoints - 1, 1)
      let idx = Subsampling.strided(s.count, by: Swift.max(st, 2))
      let note = "scatter3d '\(s.name)' downsampled from \(s.count) to \(idx.count) points (every \(Swift.max(st, 2))th, keeping the last) to stay within \(maxPoints) points"
      s = s.subset(idx)
      s.name += " (downsampled \(trace.count) -> \(idx.count) points)"
      return (.scatter(s), note)
    case .mesh(let m):
      guard m.x.count > maxPoints else { return (trace, nil) }
      return (trace, "mesh3d '\(m.name)' has \(m.x.count) vertices, more than the \(maxPoints) point limit; meshes are not reduced, so it is written in full")
    }
  }

  // MARK: - Writing

  struct Context {
    var scene: Scene
    var options: Options

    func colorscale(_ map: Colormap, into w: inout JSONWriter) {
      w.raw("\"colorscale\":[")
      for (n, (t, hex)) in map.plotlyColorscale(stops: options.colorscaleStops).enumerated() {
        if n > 0 { w.byte(UInt8(ascii: ",")) }
        w.byte(UInt8(ascii: "["))
        w.number(t)
        w.byte(UInt8(ascii: ","))
        w.string(hex)
        w.byte(UInt8(ascii: "]"))
      }
      w.byte(UInt8(ascii: "]"))
    }

    /// cmin/cmax (in log10 for a log scale), showscale and, when shown, the colour bar.
    func colorRange(
      _ range: ClosedRange<Double>, scale: AxisScale, map: Colormap, show: Bool, into w: inout JSONWriter
    ) {
      let spec = AxisSpec(title: "", scale: scale, range: range)
      let (lo, hi) = spec.transformedRange
      w.raw(",\"cmin\":")
      w.number(lo)
      w.raw(",\"cmax\":")
      w.number(hi)
      w.raw(",\"showscale\":")
      w.raw(show ? "true" : "false")
      if show {
        w.raw(",\"colorbar\":{\"title\":{\"text\":")
        w.string(scene.colorBar?.title ?? "")
        w.byte(UInt8(ascii: "}"))
        if scale == .log {
          let ticks = spec.ticks(target: 6).filter { $0.value > 0 }
          w.raw(",\"tickmode\":\"array\",\"tickvals\":")
          w.numbers(ticks.map { log10($0.value) })
          w.raw(",\"ticktext\":")
          w.strings(ticks.map(\.label))
        }
        w.byte(UInt8(ascii: "}"))
      }
    }

    /// Whether this trace's colours are the ones the scene's colour bar describes.
    func showsColorBar(map: Colormap, range: ClosedRange<Double>, already: Bool) -> Bool {
      guard !already, let bar = scene.colorBar else { return false }
      return bar.colormap == map || bar.range == range
    }

    func meta(map: Colormap?, scale: AxisScale?, range: ClosedRange<Double>?, extra: String? = nil, into w: inout JSONWriter) {
      w.raw(",\"meta\":{\"trainscape\":{")
      var first = true
      func sep(_ w: inout JSONWriter) {
        if !first { w.byte(UInt8(ascii: ",")) }
        first = false
      }
      if let map {
        sep(&w)
        w.raw("\"colormap\":")
        w.string(map.name)
        if Colormap.named(map.name) != map {
          // A custom map: keep its full table so it reads back exactly.
          w.raw(",\"colormapTable\":")
          w.numbers(map.table.map(Double.init))
        }
      }
      if let scale {
        sep(&w)
        w.raw("\"colorScale\":")
        w.string(scale == .log ? "log" : "linear")
      }
      if let range {
        sep(&w)
        w.raw("\"colorRange\":[")
        w.number(range.lowerBound)
        w.byte(UInt8(ascii: ","))
        w.number(range.upperBound)
        w.byte(UInt8(ascii: "]"))
      }
      if let extra {
        sep(&w)
        w.raw("\"colorSource\":")
        w.string(extra)
      }
      w.raw("}}")
    }

    func surface(_ s: SurfaceTrace, into w: inout JSONWriter, colorBarShown: inout Bool) {
      w.raw("{\"type\":\"surface\",\"name\":")
      w.string(s.name)
      w.raw(",\"x\":")
      array(s.x, rows: s.rows, cols: s.cols, into: &w)
      w.raw(",\"y\":")
      array(s.y, rows: s.rows, cols: s.cols, into: &w)
      w.raw(",\"z\":")
      array(s.z, rows: s.rows, cols: s.cols, into: &w)
      let colorIsZ = sameBits(s.color, s.z)
      if s.colorScale == .log || !colorIsZ {
        let values = s.colorScale == .log ? s.color.map { $0 > 0 ? log10($0) : Double.nan } : s.color
        w.raw(",\"surfacecolor\":")
        array(values, rows: s.rows, cols: s.cols, into: &w)
      }
      w.byte(UInt8(ascii: ","))
      colorscale(s.colormap, into: &w)
      let show = showsColorBar(map: s.colormap, range: s.colorRange, already: colorBarShown)
      colorBarShown = colorBarShown || show
      colorRange(s.colorRange, scale: s.colorScale, map: s.colormap, show: show, into: &w)
      w.raw(",\"opacity\":")
      w.number(s.opacity)
      contours(s.contours, into: &w)
      meta(map: s.colormap, scale: s.colorScale, range: s.colorRange, extra: colorIsZ ? "z" : "surfacecolor", into: &w)
      w.byte(UInt8(ascii: "}"))
    }

    /// The figure's pixels per style unit: Trainscape's sizes as plotly.js's pixels at the
    /// figure's size (plotly.js's 700 x 450 unless the options give one).
    var pixelsPerUnit: Double {
      PlotlyImporter.pixelsPerUnit(width: Double(options.width ?? 700), height: Double(options.height ?? 450))
    }

    /// Plotly's `contours`: per axis drawn, `show`, the levels as start, end and size (evenly
    /// spaced in data units, as plotly.js draws them; `ContourLevels.values` are), the colour,
    /// the width and `project`.
    func contours(_ levels: [ContourLevels], into w: inout JSONWriter) {
      guard !levels.isEmpty else { return }
      w.raw(",\"contours\":{")
      for (n, l) in levels.enumerated() {
        if n > 0 { w.byte(UInt8(ascii: ",")) }
        w.string(l.axis.rawValue)
        w.raw(":{\"show\":true,\"start\":")
        w.number(l.values.first!)
        w.raw(",\"end\":")
        w.number(l.values.last!)
        w.raw(",\"size\":")
        w.number(l.values.count > 1 ? (l.values.last! - l.values.first!) / Double(l.values.count - 1) : 1)
        w.raw(",\"color\":")
        w.string(l.color.hex)
        w.raw(",\"width\":")
        w.number(Swift.min(16, Swift.max(1, l.width * pixelsPerUnit)))
        w.raw(l.useColormap ? ",\"usecolormap\":true,\"project\":{" : ",\"usecolormap\":false,\"project\":{")
        w.string(l.axis.rawValue)
        w.raw(l.project ? ":true}}" : ":false}}")
      }
      w.byte(UInt8(ascii: "}"))
    }

    func scatter(_ s: ScatterTrace, into w: inout JSONWriter, colorBarShown: inout Bool) {
      w.raw("{\"type\":\"scatter3d\",\"name\":")
      w.string(s.name)
      // Unnamed parts (error bars, projections, a symbol's markers) are not in the legend.
      if s.name.isEmpty { w.raw(",\"showlegend\":false") }
      w.raw(",\"mode\":")
      w.string(s.mode.rawValue)
      w.raw(",\"x\":")
      array(s.x, into: &w)
      w.raw(",\"y\":")
      array(s.y, into: &w)
      w.raw(",\"z\":")
      array(s.z, into: &w)
      if !s.text.isEmpty {
        w.raw(",\"text\":")
        w.strings(s.text)
      }
      w.raw(",\"opacity\":")
      w.number(s.opacity)
      // marker and line share the colour specification.
      func colorSpec(_ w: inout JSONWriter, withBar: Bool) -> Bool {
        switch s.colors {
        case .solid(let c):
          w.raw("\"color\":")
          w.string(c.hex)
          return false
        case .perPoint(let cs):
          w.raw("\"color\":")
          w.strings(cs.map(\.hex))
          return false
        case .scalar(let values, let map, let range, let scale):
          w.raw("\"color\":")
          array(scale == .log ? values.map { $0 > 0 ? log10($0) : .nan } : values, into: &w)
          w.byte(UInt8(ascii: ","))
          colorscale(map, into: &w)
          let show = withBar && showsColorBar(map: map, range: range, already: colorBarShown)
          colorRange(range, scale: scale, map: map, show: show, into: &w)
          return show
        }
      }
      // Sizes as plotly.js reads them back (PlotlyImporter's `sizes`), at the figure's size.
      let ppu = pixelsPerUnit
      let glyph = PlotlyImporter.glyphAcross
      w.raw(",\"marker\":{\"size\":")
      if s.markerSizes.count == s.count && s.count > 0 {
        array(s.markerSizes.map { $0 * ppu / (2 * glyph) }, into: &w)
      } else {
        w.number(s.markerSize * ppu / (4 * glyph))
      }
      if s.symbol != .circle {
        w.raw(",\"symbol\":")
        w.string(s.symbol.rawValue)
      }
      w.byte(UInt8(ascii: ","))
      if colorSpec(&w, withBar: true) { colorBarShown = true }
      w.raw("},\"line\":{\"width\":")
      w.number(s.lineWidth * ppu)
      if s.lineDash != .solid {
        w.raw(",\"dash\":")
        w.string(s.lineDash.rawValue)
      }
      w.byte(UInt8(ascii: ","))
      switch s.lineColors {
      case .solid(let c)?:
        w.raw("\"color\":")
        w.string(c.hex)
      case .some(let lc):
        w.raw("\"color\":")
        w.strings((0..<s.count).map { lc.color(at: $0).hex })
      case nil:
        _ = colorSpec(&w, withBar: false)
      }
      w.byte(UInt8(ascii: "}"))
      if case .scalar(_, let map, let range, let scale) = s.colors {
        meta(map: map, scale: scale, range: range, into: &w)
      }
      w.byte(UInt8(ascii: "}"))
    }

    func mesh(_ m: MeshTrace, into w: inout JSONWriter, colorBarShown: inout Bool) {
      w.raw("{\"type\":\"mesh3d\",\"name\":")
      w.string(m.name)
      if m.name.isEmpty { w.raw(",\"showlegend\":false") }
      w.raw(",\"x\":")
      array(m.x, into: &w)
      w.raw(",\"y\":")
      array(m.y, into: &w)
      w.raw(",\"z\":")
      array(m.z, into: &w)
      w.raw(",\"i\":")
      intArray(m.i, into: &w)
      w.raw(",\"j\":")
      intArray(m.j, into: &w)
      w.raw(",\"k\":")
      intArray(m.k, into: &w)
      w.raw(",\"opacity\":")
      w.number(m.opacity)
      if m.legend { w.raw(",\"showlegend\":true") }
      switch m.colors {
      case .solid(let c):
        w.raw(",\"color\":")
        w.string(c.hex)
      case .perPoint(let cs):
        w.raw(",\"vertexcolor\":")
        w.strings(cs.map(\.hex))
      case .scalar(let values, let map, let range, let scale):
        w.raw(",\"intensity\":")
        array(scale == .log ? values.map { $0 > 0 ? log10($0) : .nan } : values, into: &w)
        w.raw(",\"intensitymode\":\"vertex\",")
        colorscale(map, into: &w)
        let show = showsColorBar(map: map, range: range, already: colorBarShown)
        colorBarShown = colorBarShown || show
        colorRange(range, scale: scale, map: map, show: show, into: &w)
        meta(map: map, scale: scale, range: range, into: &w)
      }
      w.byte(UInt8(ascii: "}"))
    }
  }
}

extension Trace {
  var count: Int {
    switch self {
    case .surface(let s): return s.rows * s.cols
    case .scatter(let s): return s.count
    case .mesh(let m): return m.x.count
    }
  }
}

extension PlotlyExporter.Context {
  func sameBits(_ a: [Double], _ b: [Double]) -> Bool { PlotlyExporter.sameBits(a, b) }
}
