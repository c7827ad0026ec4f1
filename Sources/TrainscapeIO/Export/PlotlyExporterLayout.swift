import Foundation
import TrainscapeCore

/// The figure's layout: title, size, background, the scene's axes, camera and aspect, notes and
/// what Trainscape needs to read it back (`meta.trainscape`).
extension PlotlyExporter.Context {
  func layout(into w: inout JSONWriter, notes: [String]) {
    w.raw("{\"title\":{\"text\":")
    w.string(scene.title)
    w.byte(UInt8(ascii: "}"))
    if let width = options.width {
      w.raw(",\"width\":")
      w.int(width)
    }
    if let height = options.height {
      w.raw(",\"height\":")
      w.int(height)
    }
    w.raw(",\"showlegend\":")
    w.raw(scene.showLegend || scene.traces.contains { $0.mesh?.legend == true } ? "true" : "false")
    w.raw(",\"paper_bgcolor\":")
    w.string(scene.background.hex)
    w.readableFont(on: scene.background)
    w.raw(",\"scene\":{")
    for (n, (key, axis)) in [("xaxis", scene.x), ("yaxis", scene.y), ("zaxis", scene.z)].enumerated() {
      if n > 0 { w.byte(UInt8(ascii: ",")) }
      w.string(key)
      w.raw(":{\"title\":{\"text\":")
      w.string(axis.title)
      w.raw("},\"type\":")
      // A date axis holds ms since 1970, which plotly.js reads as dates on a date axis.
      w.string(axis.scale == .log ? "log" : (axis.labels == .dates ? "date" : "linear"))
      // Plotly's range on a log axis is in log10 units, like transformedRange.
      let (lo, hi) = axis.transformedRange
      w.raw(",\"range\":[")
      w.number(lo)
      w.byte(UInt8(ascii: ","))
      w.number(hi)
      w.byte(UInt8(ascii: "]"))
      if axis.integer { w.raw(",\"tickformat\":\"d\"") }
      if !axis.visible { w.raw(",\"visible\":false") }
      if !axis.showGrid { w.raw(",\"showgrid\":false") }
      if !axis.showTickLabels { w.raw(",\"showticklabels\":false") }
      if let wall = axis.wallColor {
        w.raw(",\"showbackground\":true,\"backgroundcolor\":")
        w.string(wall.hex)
      }
      if case .categories = axis.labels, axis.scale == .linear {
        // Category i sits at i: the names as tick texts there.
        let ticks = axis.ticks(target: 8)
        w.raw(",\"tickmode\":\"array\",\"tickvals\":")
        w.numbers(ticks.map(\.value))
        w.raw(",\"ticktext\":")
        w.strings(ticks.map(\.label))
      }
      if axis.scale == .log {
        // Our decade ticks, as the colour bar has them: plotly.js's own log ticks add minor
        // digit labels (2, 5) that overlap the decade labels on a short axis.
        let ticks = axis.ticks(target: 6).filter { $0.value > 0 }
        w.raw(",\"tickmode\":\"array\",\"tickvals\":")
        w.numbers(ticks.map(\.value))
        w.raw(",\"ticktext\":")
        w.strings(ticks.map(\.label))
      }
      w.byte(UInt8(ascii: "}"))
    }
    func vec(_ name: StaticString, _ v: Vec3, _ w: inout JSONWriter) {
      w.key(name)
      w.raw("{\"x\":")
      w.number(v.x)
      w.raw(",\"y\":")
      w.number(v.y)
      w.raw(",\"z\":")
      w.number(v.z)
      w.byte(UInt8(ascii: "}"))
    }
    if !scene.pointLabels.isEmpty {
      // Scene annotations, in the axes' own units (log10 on a log axis, like the ranges).
      w.raw(",\"annotations\":[")
      for (n, l) in scene.pointLabels.enumerated() {
        if n > 0 { w.byte(UInt8(ascii: ",")) }
        w.raw("{\"text\":")
        w.string(l.text)
        w.raw(",\"x\":")
        w.number(scene.x.transform(l.x))
        w.raw(",\"y\":")
        w.number(scene.y.transform(l.y))
        w.raw(",\"z\":")
        w.number(scene.z.transform(l.z))
        w.raw(",\"showarrow\":false,\"yshift\":10,\"font\":{\"color\":")
        w.string(l.color.hex)
        w.raw("}}")
      }
      w.byte(UInt8(ascii: "]"))
    }
    w.raw(",\"camera\":{")
    vec("eye", scene.camera.eye, &w)
    w.byte(UInt8(ascii: ","))
    vec("center", scene.camera.center, &w)
    w.byte(UInt8(ascii: ","))
    vec("up", scene.camera.up, &w)
    w.raw("},\"aspectmode\":\"manual\",")
    vec("aspectratio", scene.aspect, &w)
    w.byte(UInt8(ascii: "}"))
    if !notes.isEmpty {
      // Visible in the figure: data was reduced or hidden.
      w.raw(",\"annotations\":[{\"text\":")
      w.string(notes.map { "Note: " + $0 }.joined(separator: "<br>"))
      w.raw(",\"showarrow\":false,\"xref\":\"paper\",\"yref\":\"paper\",\"x\":0,\"y\":0,\"xanchor\":\"left\",\"yanchor\":\"bottom\",\"align\":\"left\",\"font\":{\"size\":11}}]")
    }
    // "sizes": marker sizes and line widths are plotly.js's pixels (exports before them wrote
    // Trainscape's style units, and read back as such).
    w.raw(",\"meta\":{\"trainscape\":{\"sizes\":\"plotly\",\"notes\":")
    w.strings(notes)
    w.raw(",\"ranges\":[")
    for (n, axis) in [scene.x, scene.y, scene.z].enumerated() {
      if n > 0 { w.byte(UInt8(ascii: ",")) }
      w.byte(UInt8(ascii: "["))
      w.number(axis.range.lowerBound)
      w.byte(UInt8(ascii: ","))
      w.number(axis.range.upperBound)
      w.byte(UInt8(ascii: "]"))
    }
    w.raw("],\"integer\":[")
    w.raw(scene.x.integer ? "true," : "false,")
    w.raw(scene.y.integer ? "true," : "false,")
    w.raw(scene.z.integer ? "true" : "false")
    w.raw("],\"fovY\":")
    w.number(scene.camera.fovY)
    w.raw("}}}")
  }
}

extension JSONWriter {
  /// `,"font":{"color":...}`: text readable on a dark background, as the PNG's; nothing on a
  /// light one.
  mutating func readableFont(on background: RGBColor) {
    guard let text = FigureStyle.exportTextColor(on: background) else { return }
    raw(",\"font\":{\"color\":")
    string(text.hex)
    byte(UInt8(ascii: "}"))
  }
}
