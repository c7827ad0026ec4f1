import Foundation
import TrainscapeCore

/// A `PanelFigure` (the `dynamics` kind) as a Plotly figure with subplots: one x/y axis pair
/// per panel (`xaxis`, `xaxis2`, ...), placed by domains in the figure's grid; bands as a
/// lower trace and an upper one filled `tonexty`; seed and mean lines as scatter traces with
/// the numbers drawn (the EMA-smoothed seeds, the mean on its grid; NaN as null, a gap);
/// stages as shaded `rect` shapes and boundary lines, marks as `line` shapes (dashed for an
/// onset), both spanning their panel's y domain; titles and series names as annotations.
public enum PanelPlotlyExporter {
  /// Axis suffix of panel `i`: "" for the first, then "2", "3", ...
  public static func axisSuffix(_ i: Int) -> String { i == 0 ? "" : "\(i + 1)" }

  /// The x and y domains of the panel at `row`, `column` of a rows x columns grid (row 0 on top).
  public static func domains(row: Int, column: Int, rows: Int, columns: Int) -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
    let gx = columns > 1 ? 0.06 / Double(columns - 1) * Double(columns) : 0
    let gy = rows > 1 ? 0.12 / Double(rows - 1) * Double(rows) : 0
    let cw = 1 / Double(columns), rh = 1 / Double(rows)
    let x0 = Double(column) * cw + (column > 0 ? gx / 2 : 0)
    let x1 = Double(column + 1) * cw - (column < columns - 1 ? gx / 2 : 0)
    let y1 = 1 - Double(row) * rh - (row > 0 ? gy / 2 : 0)
    let y0 = 1 - Double(row + 1) * rh + (row < rows - 1 ? gy / 2 : 0)
    return (x0...x1, y0...y1)
  }

  public static func figure(_ figure: PanelFigure, width: Int? = nil, height: Int? = nil, precision: Int? = nil) -> [UInt8] {
    var w = JSONWriter(capacity: 1 << 16, precision: precision)
    func rgba(_ c: RGBColor, _ a: Double) -> String {
      "rgba(\(Int((c.r * 255).rounded())),\(Int((c.g * 255).rounded())),\(Int((c.b * 255).rounded())),\(a))"
    }
    // A panel with a --twin axis gets one more y axis, numbered after the panels' own.
    var twinAxis: [Int: String] = [:]
    for (i, p) in figure.panels.enumerated() where p.y2 != nil { twinAxis[i] = "\(figure.panels.count + twinAxis.count + 1)" }
    func scatter(_ name: String, x: [Double], y: [Double], panel i: Int, line: String, extra: String = "", twin: Bool = false) {
      if w.bytes.last != UInt8(ascii: "[") { w.byte(UInt8(ascii: ",")) }
      w.raw("{\"type\":\"scatter\",\"mode\":\"lines\",\"name\":")
      w.string(name)
      w.raw(",\"x\":")
      w.numbers(x)
      w.raw(",\"y\":")
      w.numbers(y)
      w.raw(",\"xaxis\":")
      w.string("x" + axisSuffix(i))
      w.raw(",\"yaxis\":")
      w.string("y" + (twin ? twinAxis[i] ?? axisSuffix(i) : axisSuffix(i)))
      w.raw(",\"showlegend\":false,\"line\":")
      w.bytes.append(contentsOf: Array(line.utf8))
      w.bytes.append(contentsOf: Array(extra.utf8))
      w.byte(UInt8(ascii: "}"))
    }
    w.raw("{\"data\":[")
    for (i, p) in figure.panels.enumerated() {
      for b in p.bands {
        scatter(b.name + " lower", x: b.x, y: b.lower, panel: i, line: "{\"width\":0}", extra: ",\"hoverinfo\":\"skip\"", twin: b.twin)
        scatter(
          b.name, x: b.x, y: b.upper, panel: i, line: "{\"width\":0}",
          extra: ",\"fill\":\"tonexty\",\"fillcolor\":\"\(rgba(b.color, b.opacity))\",\"hoverinfo\":\"skip\"", twin: b.twin)
      }
      for l in p.lines where l.role == .seed {
        scatter(l.name, x: l.x, y: l.y, panel: i, line: "{\"width\":\(l.width),\"color\":\"\(rgba(l.color, l.opacity))\"}", twin: l.twin)
      }
      for l in p.lines where l.role == .mean {
        scatter(l.name, x: l.x, y: l.y, panel: i, line: "{\"width\":\(l.width),\"color\":\"\(rgba(l.color, l.opacity))\"}", twin: l.twin)
      }
    }
    w.raw("],\"layout\":{\"title\":{\"text\":")
    w.string(figure.title)
    w.raw("},\"showlegend\":false,\"plot_bgcolor\":\"#ffffff\",\"paper_bgcolor\":")
    w.string(figure.background.hex)
    w.readableFont(on: figure.background)
    if let width {
      w.raw(",\"width\":")
      w.int(width)
    }
    if let height {
      w.raw(",\"height\":")
      w.int(height)
    }
    let bottomRow = figure.panels.map(\.row).max() ?? 0
    for (i, p) in figure.panels.enumerated() {
      let d = domains(row: p.row, column: p.column, rows: figure.rows, columns: figure.columns)
      for (axisName, axis, domain, anchor) in [("xaxis", p.x, d.x, "y"), ("yaxis", p.y, d.y, "x")] {
        w.raw(",")
        w.string(axisName + axisSuffix(i))
        w.raw(":{\"type\":")
        w.string(axis.scale == .log ? "log" : "linear")
        let (lo, hi) = axis.transformedRange
        w.raw(",\"range\":[")
        w.number(lo)
        w.raw(",")
        w.number(hi)
        w.raw("],\"domain\":[")
        w.number(domain.lowerBound)
        w.raw(",")
        w.number(domain.upperBound)
        w.raw("],\"anchor\":")
        w.string(anchor + axisSuffix(i))
        if axisName == "xaxis" && p.row != bottomRow { w.raw(",\"showticklabels\":false") }
        if axisName == "xaxis" && p.row == bottomRow || axisName == "yaxis" && p.column == 0 {
          w.raw(",\"title\":{\"text\":")
          w.string(axis.title)
          w.raw("}")
        }
        w.raw(",\"showline\":true,\"linecolor\":\"#59595f\",\"ticks\":\"outside\",\"gridcolor\":\"#ccccd1\",\"zeroline\":false")
        if axis.integer { w.raw(",\"tickformat\":\"d\"") }
        w.raw("}")
      }
    }
    for (i, p) in figure.panels.enumerated() {
      guard let y2 = p.y2, let n = twinAxis[i] else { continue }
      w.raw(",")
      w.string("yaxis" + n)
      w.raw(":{\"type\":")
      w.string(y2.scale == .log ? "log" : "linear")
      let (lo, hi) = y2.transformedRange
      w.raw(",\"range\":[")
      w.number(lo)
      w.raw(",")
      w.number(hi)
      w.raw("],\"overlaying\":")
      w.string("y" + axisSuffix(i))
      w.raw(",\"anchor\":")
      w.string("x" + axisSuffix(i))
      w.raw(",\"side\":\"right\",\"showgrid\":false,\"ticks\":\"outside\",\"title\":{\"text\":")
      w.string(y2.title)
      w.raw("}}")
    }
    // Shapes: stages, then marks.
    w.raw(",\"shapes\":[")
    var first = true
    func sep() {
      if !first { w.byte(UInt8(ascii: ",")) }
      first = false
    }
    for (i, p) in figure.panels.enumerated() {
      let xr = "x" + axisSuffix(i), yr = "y" + axisSuffix(i) + " domain"
      // Shapes and annotations on a log axis are placed in log10 units.
      func sx(_ v: Double) -> Double { p.x.scale == .log ? log10(v) : v }
      for (k, s) in p.stages.enumerated() {
        if s.shaded {
          sep()
          w.raw("{\"type\":\"rect\",\"name\":")
          w.string("stage " + s.name)
          w.raw(",\"xref\":")
          w.string(xr)
          w.raw(",\"yref\":")
          w.string(yr)
          w.raw(",\"x0\":")
          w.number(sx(s.start))
          w.raw(",\"x1\":")
          w.number(sx(s.end))
          w.raw(",\"y0\":0,\"y1\":1,\"fillcolor\":\"rgba(128,128,140,0.12)\",\"line\":{\"width\":0},\"layer\":\"below\"}")
        }
        if k > 0 {
          sep()
          w.raw("{\"type\":\"line\",\"name\":")
          w.string("stage boundary " + s.name)
          w.raw(",\"xref\":")
          w.string(xr)
          w.raw(",\"yref\":")
          w.string(yr)
          w.raw(",\"x0\":")
          w.number(sx(s.start))
          w.raw(",\"x1\":")
          w.number(sx(s.start))
          w.raw(",\"y0\":0,\"y1\":1,\"line\":{\"color\":\"rgba(115,115,128,0.7)\",\"width\":1}}")
        }
      }
      for m in p.marks {
        sep()
        w.raw("{\"type\":\"line\",\"name\":")
        w.string(m.label)
        w.raw(",\"xref\":")
        w.string(xr)
        w.raw(",\"yref\":")
        w.string(yr)
        w.raw(",\"x0\":")
        w.number(sx(m.step))
        w.raw(",\"x1\":")
        w.number(sx(m.step))
        w.raw(",\"y0\":0,\"y1\":1,\"line\":{\"color\":\"#333338\",\"width\":1.3,\"dash\":")
        w.string(m.dashed ? "dash" : "solid")
        w.raw("}}")
      }
    }
    // Annotations: panel titles, series names at their line ends, stage names, mark labels.
    w.raw("],\"annotations\":[")
    first = true
    func annotation(_ text: String, x: Double, y: Double, xref: String, yref: String, xanchor: String, yanchor: String, color: String, size: Int, xshift: Int = 0) {
      sep()
      w.raw("{\"text\":")
      w.string(text)
      w.raw(",\"showarrow\":false,\"x\":")
      w.number(x)
      w.raw(",\"y\":")
      w.number(y)
      w.raw(",\"xref\":")
      w.string(xref)
      w.raw(",\"yref\":")
      w.string(yref)
      w.raw(",\"xanchor\":")
      w.string(xanchor)
      w.raw(",\"yanchor\":")
      w.string(yanchor)
      w.raw(",\"xshift\":")
      w.int(xshift)
      w.raw(",\"font\":{\"color\":")
      w.string(color)
      w.raw(",\"size\":")
      w.int(size)
      w.raw("}}")
    }
    for (i, p) in figure.panels.enumerated() {
      let sx = axisSuffix(i)
      if !p.title.isEmpty {
        annotation(p.title, x: 0.5, y: 1, xref: "x\(sx) domain", yref: "y\(sx) domain", xanchor: "center", yanchor: "bottom", color: "#222226", size: 14)
      }
      for e in p.endLabels {
        let yv = p.y.scale == .log ? log10(e.y) : e.y
        let xv = p.x.scale == .log ? log10(e.x) : e.x
        annotation(e.text, x: xv, y: yv, xref: "x\(sx)", yref: "y" + (e.twin ? twinAxis[i] ?? sx : sx), xanchor: "left", yanchor: "middle", color: e.color.hex, size: 12, xshift: 4)
      }
      for s in p.stages {
        let mid = p.x.scale == .log ? (log10(s.start) + log10(s.end)) / 2 : (s.start + s.end) / 2
        annotation(s.name, x: mid, y: 1, xref: "x\(sx)", yref: "y\(sx) domain", xanchor: "center", yanchor: "top", color: "#595966", size: 11)
      }
      // A mark's label once per group, as in the image: in its first metric row.
      for m in p.marks where p.metricRow == 0 {
        let xv = p.x.scale == .log ? log10(m.step) : m.step
        annotation(m.label, x: xv, y: 0.92, xref: "x\(sx)", yref: "y\(sx) domain", xanchor: "left", yanchor: "top", color: "#333338", size: 11, xshift: 3)
      }
    }
    w.raw("],\"meta\":{\"trainscape\":{\"kind\":\"dynamics\",\"notes\":")
    w.strings(figure.notes)
    w.raw("}}}}")
    return w.bytes
  }
}
