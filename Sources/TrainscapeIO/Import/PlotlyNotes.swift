import Foundation
import TrainscapeCore

/// Plotly's HTML-ish text (titles, axis titles): the tags plotly.js renders become plain text our
/// ASCII font can draw: `<br>` a " - " separator, `<sup>2</sup>` "^2", `<sub>i</sub>` "_i",
/// the other tags plotly.js styles (`<b>`, `<i>`, `<em>`, `<s>`, `<u>`, `<span ...>`, `<a ...>`,
/// `<font ...>`) dropped, entities decoded. Other tags stay as text, as plotly.js shows them.
enum PlotlyText {
  static func plain(_ s: String) -> String {
    guard s.contains("<") || s.contains("&") else { return s }
    var out = ""
    var rest = Substring(s)
    var script: String?  // "^" or "_" while inside <sup> / <sub>
    var scripted = ""
    func flushScript() {
      guard let mark = script else { return }
      let simple = !scripted.isEmpty && scripted.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "+" }
      out += simple ? mark + scripted : mark + "(" + scripted + ")"
      script = nil
      scripted = ""
    }
    while let c = rest.first {
      if c == "<", let end = rest.firstIndex(of: ">") {
        let tag = rest[rest.index(after: rest.startIndex)..<end].lowercased().trimmingCharacters(in: .whitespaces)
        let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" }).first.map(String.init) ?? ""
        let closing = tag.hasPrefix("/")
        guard ["br", "sup", "sub", "b", "i", "em", "s", "u", "span", "a", "font"].contains(name) else {
          if script != nil { scripted += "<" } else { out += "<" }
          rest = rest.dropFirst()
          continue
        }
        switch (name, closing) {
        case ("br", _): if script == nil { out += " - " } else { scripted += " " }
        case ("sup", false): flushScript(); script = "^"
        case ("sub", false): flushScript(); script = "_"
        case (_, true) where tag == "/sup" || tag == "/sub": flushScript()
        default: break
        }
        rest = rest[rest.index(after: end)...]
        continue
      }
      var piece = String(c)
      if c == "&", let semi = rest.prefix(8).firstIndex(of: ";") {
        let entity = String(rest[rest.index(after: rest.startIndex)..<semi])
        let known = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "#39": "'", "apos": "'", "nbsp": " "]
        if let v = known[entity] {
          piece = v
          rest = rest[rest.index(after: semi)...]
        } else {
          rest = rest.dropFirst()
        }
      } else {
        rest = rest.dropFirst()
      }
      if script != nil { scripted += piece } else { out += piece }
    }
    flushScript()
    return out
  }
}

/// One note for each attribute of a trace or of the layout that changes plotly.js's picture and
/// that Trainscape does not draw, naming the attribute.
extension PlotlyImporter.Reader {
  mutating func noteUndrawn(_ t: JSONNode, type: String, name: String) {
    func note(_ what: String) { notes.append("\(name): \(what)") }
    func shown(_ n: JSONNode?) -> Bool { n?["show"]?.bool == true }
    if t["visible"]?.string == "legendonly" { note("visible 'legendonly' is drawn as visible") }
    switch type {
    case "surface":
      if t["lighting"] != nil || t["lightposition"] != nil { note("lighting and lightposition are Trainscape's own") }
      if t["opacityscale"] != nil { note("opacityscale is not applied; drawn at one opacity") }
    case "scatter3d":
      if t["marker"]?["opacity"]?.elements != nil { note("marker.opacity per point is not applied (plotly.js draws one for the trace); markers take the trace's") }
      if t["marker"]?["line"]?["color"]?.elements != nil { note("marker.line.color per point is drawn in one colour (the first)") }
    case "cone":
      if t["lighting"] != nil || t["lightposition"] != nil { note("lighting and lightposition are Trainscape's own") }
    case "mesh3d":
      if t["flatshading"]?.bool == true { note("flatshading is drawn smooth") }
      if shown(t["contour"]) { note("contour (lines on the mesh) is not drawn") }
      if t["lighting"] != nil || t["lightposition"] != nil { note("lighting and lightposition are Trainscape's own") }
      if t["intensitymode"]?.string == "cell" { note("intensitymode 'cell' is drawn per vertex") }
    default: break
    }
  }

  /// Whether two JSON values are the same (numbers compared as doubles, NaN equal to NaN).
  static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
      return x.keys.count == y.keys.count && x.keys.allSatisfy { k in y[k].map { same(x[k]!, $0) } ?? false }
    default: return false
    }
  }

  /// Layout attributes that change the picture and are not drawn.
  mutating func noteLayout(_ layout: JSONNode?, traceNodes: [JSONNode]) {
    let scene = layout?["scene"]
    if let a = scene?["annotations"]?.elements, !a.isEmpty {
      // Drawn as text at their points (gl3d_annotations, gl3d_triangle); arrows, boxes and
      // offsets are not.
      var drawn = 0
      for n in a {
        guard let text = n["text"]?.text, !text.isEmpty, let x = n["x"], let y = n["y"], let z = n["z"],
          let px = rangeValue(x, axisLabels[0], category: true), let py = rangeValue(y, axisLabels[1], category: true),
          let pz = rangeValue(z, axisLabels[2], category: true)
        else { continue }
        let color = (n["font"]?["color"]?.string).flatMap(CSSColor.parse) ?? PlotlyImporter.Reader.missingColor
        pointLabels.append(PointLabel(text: PlotlyText.plain(text), x: px, y: py, z: pz, color: color))
        drawn += 1
      }
      notes.append("scene.annotations (\(a.count)): \(drawn) drawn as text at their points; arrows, boxes and offsets are not drawn")
    }
    // Trainscape's own exports carry their notes as annotations (and in meta, which is read).
    if let a = layout?["annotations"]?.elements, !a.isEmpty, layout?["meta"]?["trainscape"] == nil {
      notes.append("layout.annotations (\(a.count)) are not drawn")
    }
    let scenes = Set(traceNodes.compactMap { $0["scene"]?.string }).union(["scene"])
    if scenes.count > 1 {
      notes.append("several scenes (\(scenes.sorted().joined(separator: ", "))) are drawn merged into one")
    }
    for key in ["xaxis", "yaxis", "zaxis"] {
      let a = scene?[key]
      if a?["showbackground"]?.bool == true, let bg = a?["backgroundcolor"]?.string, CSSColor.parse(bg) == nil {
        notes.append("scene.\(key).backgroundcolor '\(bg.escapingControlCharacters)' is not a colour; the wall is drawn in Trainscape's")
      }
      // Axis lines, tick marks and grid styles (gl3d_mirror-ticks): drawn in Trainscape's own.
      var styled: [String] = []
      if a?["showline"]?.bool == true { styled.append("showline") }
      if let t = a?["ticks"]?.string, t == "outside" || t == "inside" { styled.append("ticks") }
      if let m = a?["mirror"], m.bool == true || m.string != nil { styled.append("mirror") }

      if a?["zeroline"]?.bool == true { styled.append("zeroline") }

      for k in ["linecolor", "linewidth", "tickcolor", "ticklen", "tickwidth", "gridcolor", "gridwidth", "color", "tickfont", "tickangle"]
      where a?[k] != nil {
        styled.append(k)
      }
      if !styled.isEmpty {
        notes.append("scene.\(key): \(styled.joined(separator: ", ")) not applied; the axis is drawn in Trainscape's style (a grid on the walls, no axis line or tick marks)")
      }
    }
    // Axes that hide their grids (gl3d_marker_symbols, gl3d_cube): plotly.js then draws no
    // box at all (no walls by default), Trainscape still its walls and edges.
    let keys = ["xaxis", "yaxis", "zaxis"]
    if keys.allSatisfy({ scene?[$0]?["showgrid"]?.bool == false || scene?[$0]?["visible"]?.bool == false }),
      !keys.allSatisfy({ scene?[$0]?["visible"]?.bool == false })
    {
      notes.append("scene: the axes hide their grids, and plotly.js draws no walls unless showbackground is set; Trainscape draws the walls and axis edges")
    }
    if let bg = scene?["bgcolor"]?.string, CSSColor.parse(bg) != nil, CSSColor.alpha(bg) > 0, let paper = layout?["paper_bgcolor"]?.string, paper != bg {
      notes.append("paper_bgcolor (the margins around the scene) is drawn in scene.bgcolor")
    }
  }

  /// plotly.js draws nothing outside an axis range the figure sets: points (and surface samples,
  /// mesh vertices) outside become NaN, so they are not drawn; a surface is cut at whole grid
  /// cells rather than at the box's wall. One note per trace that lost points.
  mutating func clip(to ranges: [ClosedRange<Double>?]) {
    guard ranges.contains(where: { $0 != nil }) else { return }
    func outside(_ v: Double, _ k: Int) -> Bool {
      guard let r = ranges[k], v.isFinite else { return false }
      let eps = (r.upperBound - r.lowerBound) * 1e-9
      return v < r.lowerBound - eps || v > r.upperBound + eps
    }
    func out(_ x: [Double], _ y: [Double], _ z: [Double], _ i: Int) -> Bool {
      outside(x[i], 0) || outside(y[i], 1) || outside(z[i], 2)
    }
    for index in traces.indices {
      var count = 0
      var cells = ""
      switch traces[index] {
      case .surface(var s):
        for i in s.z.indices where out(s.x, s.y, s.z, i) { s.z[i] = .nan; count += 1 }
        traces[index] = .surface(s)
        cells = "; the surface is cut at whole grid cells, not at the box"
      case .scatter(var s):
        for i in s.x.indices where out(s.x, s.y, s.z, i) { s.x[i] = .nan; count += 1 }
        traces[index] = .scatter(s)
      case .mesh(var m):
        for i in m.x.indices where out(m.x, m.y, m.z, i) { m.x[i] = .nan; count += 1 }
        traces[index] = .mesh(m)
        cells = "; faces touching them are left out"
      }
      if count > 0 {
        notes.append("\(traces[index].name): \(count) points lie outside the axis ranges the figure sets (scene.*axis.range) and are not drawn\(cells)")
      }
    }
  }
}

extension PlotlyImporter.Reader {
  /// A surface's `contours` as Trainscape draws them: the axes shown, their levels from
  /// `start`, `end` and `size` (nice levels when they are not all given), `project`, one colour
  /// and width. What is drawn differently is noted.
  mutating func contourRequest(_ t: JSONNode, name: String) -> ContourRequest? {
    guard let c = t["contours"] else { return nil }
    var request = ContourRequest(axes: [])
    request.lowersFloor = false
    for axisName in ["x", "y", "z"] {
      guard let a = c[axisName], a["show"]?.bool == true, let axis = ContourRequest.Axis(rawValue: axisName) else { continue }
      request.axes.insert(axis)
      if let start = a["start"]?.double, let end = a["end"]?.double, let size = a["size"]?.double,
        start.isFinite, end.isFinite, size.isFinite, size > 0, end >= start, (end - start) / size <= 1000
      {
        request.explicit[axis] = (0...Int(((end - start) / size + 1e-9).rounded(.down))).map { start + Double($0) * size }
      } else {
        notes.append("\(name): contours.\(axisName) without start, end and size: drawn at about 10 nice levels")
      }
      if a["project"]?[axisName]?.bool == true { request.projected.insert(axis) }
      for other in ["x", "y", "z"] where other != axisName && a["project"]?[other]?.bool == true {
        notes.append("\(name): contours.\(axisName).project.\(other) is not drawn (each axis' lines are projected on its own plane)")
      }
      if a["usecolormap"]?.bool == true { request.useColormap.insert(axis) }
      if let col = a["color"]?.string {
        if let rgb = CSSColor.parse(col) { request.axisColor[axis] = rgb } else { notes.append("\(name): contours.\(axisName).color '\(col)' is not a colour; drawn in \(request.color.hex)") }
      }
      if let w = a["width"]?.double, w.isFinite, w > 0 { request.axisWidth[axis] = w / pixelsPerUnit }
    }
    guard !request.axes.isEmpty else { return nil }
    return request
  }
}
