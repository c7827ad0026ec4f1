/// What an interactive view changes in a scene without building it again: traces hidden (by
/// index), the annotations hidden (planes and their labels), another colour map, markers scaled. `apply` gives the scene to draw; the traces keep
/// their indices, so an incremental update of the undecorated scene still applies to it.
public struct SceneDecoration: Sendable, Equatable {
  public var hidden: Set<Int> = []
  /// Hides the annotation planes (`--stages`, `--mark`, `--mark-first`) and their labels.
  public var annotationsHidden = false
  public var colormap: Colormap?
  public var markerScale = 1.0

  public init() {}

  public func apply(to base: Scene) -> Scene {
    var s = base
    for i in s.traces.indices {
      switch s.traces[i] {
      case .surface(var t):
        if let cm = colormap { t.colormap = cm }
        if hidden.contains(i) {
          t = SurfaceTrace(
            name: t.name, rows: 1, cols: 1, x: [t.x.first ?? 0], y: [t.y.first ?? 0], z: [.nan],
            colormap: t.colormap, colorRange: t.colorRange, colorScale: t.colorScale, opacity: t.opacity)
        }
        s.traces[i] = .surface(t)
      case .scatter(var t):
        t.markerSize *= markerScale
        t.markerSizes = t.markerSizes.map { $0 * markerScale }
        if let cm = colormap, case .scalar(let v, _, let r, let sc) = t.colors {
          t.colors = .scalar(v, colormap: cm, range: r, scale: sc)
        }
        if hidden.contains(i) {
          t.colors = .solid(t.count > 0 ? t.colors.color(at: 0) : .black)
          t.x = []; t.y = []; t.z = []; t.text = []
        }
        s.traces[i] = .scatter(t)
      case .mesh(var m):
        if let cm = colormap, case .scalar(let v, _, let r, let sc) = m.colors {
          m.colors = .scalar(v, colormap: cm, range: r, scale: sc)
        }
        if hidden.contains(i) || (annotationsHidden && m.legend) {
          m.colors = .solid(m.x.isEmpty ? .black : m.colors.color(at: 0))
          m.x = []; m.y = []; m.z = []; m.i = []; m.j = []; m.k = []
        }
        s.traces[i] = .mesh(m)
      }
    }
    if let cm = colormap, s.colorBar != nil { s.colorBar!.colormap = cm }
    if annotationsHidden { s.pointLabels = [] }
    return s
  }

  /// Colour maps the C key steps through.
  public static let colormapCycle = ["viridis", "plasma", "inferno", "magma", "cividis", "turbo", "coolwarm", "RdYlGn", "Greys"]

  /// The colour map after `current` in `colormapCycle` (the first when it is not in it).
  public static func colormap(after current: String) -> Colormap? {
    let i = colormapCycle.firstIndex(where: { $0.lowercased() == current.lowercased() }) ?? -1
    return Colormap.named(colormapCycle[(i + 1) % colormapCycle.count])
  }
}

extension Scene {
  /// The copy drawn while the camera moves: large surfaces at about `maxTriangles` triangles
  /// (`levelOfDetail`) and very large point clouds every k-th point, so that a software
  /// rasterizer stays interactive; nil when the scene is small enough as it is.
  public func interactiveLevelOfDetail(maxTriangles: Int, maxPoints: Int = 250_000) -> Scene? {
    let (reduced, reducedSurfaces) = levelOfDetail(maxTriangles: maxTriangles)
    let points = traces.reduce(0) { $0 + ($1.scatter?.count ?? 0) }
    guard reducedSurfaces || points > maxPoints else { return nil }
    guard points > maxPoints else { return reduced }
    var s = reduced
    let k = (points + maxPoints - 1) / maxPoints
    for i in s.traces.indices {
      guard let t = s.traces[i].scatter else { continue }
      s.traces[i] = .scatter(t.subset(Array(Swift.stride(from: 0, to: t.count, by: k))))
    }
    return s
  }
}
