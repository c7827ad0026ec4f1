import Foundation
import TrainscapeCore

/// A figure of several scenes: one `Scene` per scene, at its domain.
extension PlotlyImporter {
  /// The figure's scenes (`layout.scene`, `layout.scene2`, ...: the traces whose `scene` names
  /// each), one `Scene` each in order, each with its own axes, camera and colour bar; the
  /// figure's title is on the first. A figure of one scene gives one.
  public static func scenes(fromJSON bytes: [UInt8], file: String) throws -> [Scene] {
    let (root, traceNodes) = try parse(bytes, file: file)
    // plotly.js reads "scene1", and any name that is not "scene" with a number from 2 on, as
    // "scene"; only 3D traces sit in scenes.
    func id(_ t: JSONNode) -> String {
      guard let s = t["scene"]?.string, s.hasPrefix("scene"), let n = Int(s.dropFirst(5)), n >= 2, !s.dropFirst(5).hasPrefix("0")
      else { return "scene" }
      return "scene\(n)"
    }
    func order(_ s: String) -> Int { Int(s.dropFirst("scene".count)) ?? 1 }
    let threeD = traceNodes.filter { ["surface", "scatter3d", "mesh3d", "cone", "streamtube", "isosurface", "volume"].contains($0["type"]?.string ?? "scatter") }
    let ids = Set(threeD.map(id)).sorted { (order($0), $0) < (order($1), $1) }
    let layout = root["layout"]
    guard ids.count > 1 else { return [try read(root: root, traceNodes: traceNodes, layout: layout, file: file, severalScenes: true)] }
    var out: [Scene] = []
    var empty: [(String, Error)] = []
    var unreadDomains: [String] = []
    for sceneID in ids {
      // The layout as this scene's own: `scene` is `layout.SCENEID`.
      var sub = layout
      if let l = layout, case .object(var o) = l.value {
        let own = (l[sceneID] ?? (sceneID == "scene" ? l["scene1"] : nil))?.value ?? .object(JSONObject())
        if let i = o.keys.firstIndex(of: "scene") { o.values[i] = own } else { o.keys.append("scene"); o.values.append(own) }
        sub = JSONNode(value: .object(o), path: l.path, file: file)
      }
      // Traces of no scene (2D ones) go with the first, which says it skips them.
      let threeDPaths = Set(threeD.map(\.path))
      let nodes = traceNodes.filter { n in threeDPaths.contains(n.path) ? id(n) == sceneID : sceneID == ids[0] }
      do {
        var scene = try read(root: root, traceNodes: nodes, layout: sub, file: file, severalScenes: false)
        scene.domain = domain(sub?["scene"]?["domain"])
        if scene.domain == nil, sub?["scene"]?["domain"] != nil { unreadDomains.append(sceneID) }
        out.append(scene)
      } catch let e as ImportError where e.path == "data" {
        empty.append((sceneID, e))  // nothing drawable in this scene
      }
    }
    guard !out.isEmpty else { throw empty[0].1 }
    for (sceneID, e) in empty {
      out[0].notes.append("\(sceneID) is not drawn: \((e as? ImportError)?.message ?? "\(e)")")
    }
    // plotly.js draws one legend for the figure; the panels draw none (said).
    let legendTraces = threeD.filter(inLegend).count
    if layout?["showlegend"]?.bool ?? (legendTraces > 1), legendTraces > 0 {
      out[0].notes.append("the figure's legend (\(legendTraces) traces across the scenes) is not drawn")
    }
    // Where their domains put them, when every scene has one; else equal panels, said.
    if !unreadDomains.isEmpty {
      out[0].notes.append("\(unreadDomains.joined(separator: ", ")).domain is not read (a row and column of layout.grid, or not fractions)")
    }
    let placed = out.filter { $0.domain != nil }.count
    if placed > 0 && placed < out.count {
      out[0].notes.append("only \(placed) of \(out.count) scenes have a domain: the scenes are drawn side by side in equal panels")
      for i in out.indices { out[i].domain = nil }
    }
    return out
  }

  /// Whether plotly.js lists the trace in its legend: `showlegend`, on by default for scatter3d
  /// only.
  static func inLegend(_ t: JSONNode) -> Bool { t["showlegend"]?.bool ?? (t["type"]?.string == "scatter3d") }

  /// A scene's `domain` ({"x": [x0, x1], "y": [y0, y1]}, fractions; plotly.js's default is
  /// the whole of each), nil when it gives none or is not one.
  static func domain(_ node: JSONNode?) -> PanelDomain? {
    guard let node, node.isObject, node["x"] != nil || node["y"] != nil else { return nil }
    func range(_ key: String) -> ClosedRange<Double>? {
      guard let a = node[key] else { return 0...1 }
      guard let e = a.elements, e.count == 2, let lo = e[0].numeric, let hi = e[1].numeric else { return nil }
      let l = Swift.min(Swift.max(lo, 0), 1), h = Swift.min(Swift.max(hi, 0), 1)
      return l < h ? l...h : nil
    }
    guard let x = range("x"), let y = range("y") else { return nil }
    return PanelDomain(x: x, y: y)
  }
}
