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
    let colorOwner: JSONNode? = (marker?["color"] != nil ? marker : nil) ?? (line?["color"] != nil ? line : nil)
    let colors = try pointColors(colorOwner, trace: t, count: n, name: name, defaultShow: false)
    let (markerSize, markerSizes) = try sizes(marker, count: n, name: name)
    let lineWidth = line?["width"]?.double ?? 2
    var symbol = ScatterTrace.Symbol.circle
    if let sym = marker?["symbol"]?.string {
      switch sym {
      case "circle": break
      case "circle-open": symbol = .ring
      case "x", "x-thin", "x-open": symbol = .cross
      default: notes.append("\(name): marker.symbol '\(sym)' is drawn as a circle")
      }
    } else if marker?["symbol"] != nil {
      notes.append("\(name): marker.symbol per point is drawn as circles")
    }
    var text: [String] = []
    if let tn = t["text"] {
      if let e = tn.elements { text = e.map { $0.string ?? ($0.double.map { "\($0)" } ?? "") } }
      else if let s = tn.string { text = Array(repeating: s, count: n) }
      if text.count > n { text = Array(text.prefix(n)) }
      if text.count != n { text = [] }
    }
    var trace = ScatterTrace(
      name: name, x: x, y: y, z: z, colors: colors, mode: mode, markerSize: markerSize,
      lineWidth: lineWidth, opacity: opacity, text: text, symbol: symbol)
    trace.markerSizes = markerSizes
    traces.append(.scatter(trace))
  }

  /// Marker diameters in pixels from `marker.size` (a number or an array): plotly.js turns a
  /// size v into sizeFn(4v), sizeFn(u) = max(u / 2 / sizeref, sizemin) (or sqrt(u / 2 / sizeref)
  /// for `sizemode: "area"`), and draws glyphs about half that across; so the default 8 is 8 px.
  /// Points an array does not reach get plotly.js's default of 20 (10 px).
  mutating func sizes(_ marker: JSONNode?, count n: Int, name: String) throws -> (Double, [Double]) {
    let ref = marker?["sizeref"]?.double.flatMap { $0 > 0 ? $0 : nil } ?? 1
    let minSize = Swift.max(marker?["sizemin"]?.double ?? 0, 0)
    let area = marker?["sizemode"]?.string == "area"
    func px(_ v: Double) -> Double {
      let u = v * 4 / 2 / ref
      let base = area ? u.squareRoot() : u
      guard base.isFinite, base > 0 else { return 0 }
      return Swift.max(base, minSize) / 2
    }
    guard let s = marker?["size"] else { return (px(8), []) }
    if let d = s.double { return (px(d), []) }
    let a = try s.numericArray()
    guard a.shape.count == 1 else { throw s.fail("a marker size or a 1-D array of sizes") }
    if a.values.count != n {
      notes.append("\(name): marker.size has \(a.values.count) values for \(n) points; "
        + (a.values.count < n ? "the rest are drawn at plotly.js's default size" : "the extra values are ignored, as plotly.js does"))
    }
    let sizes = (0..<n).map { i in i < a.values.count ? px(a.values[i]) : 10 }
    return (px(8), sizes)
  }
}

extension PlotlyImporter {
  /// Plotly's 3D trace types Trainscape does not draw: they are skipped with a note naming the
  /// type, and a figure made only of them is refused naming them.
  static let undrawn3DTypes: Set<String> = ["cone", "streamtube", "isosurface", "volume"]
}
