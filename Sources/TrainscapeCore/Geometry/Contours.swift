import Foundation

/// Which lines of a surface to draw (`--contours z[,x,y]`, Plotly's `surface.contours`): lines
/// of equal z (or x, or y) at nice levels, on the surface and, with `project`, also flat on the
/// box's floor (z) or back walls (x, y): the contour map under a loss landscape of Li et al.
public struct ContourRequest: Sendable, Equatable {
  public enum Axis: String, Sendable, CaseIterable, Comparable {
    case x, y, z
    public static func < (a: Axis, b: Axis) -> Bool { a.rawValue < b.rawValue }
  }
  public var axes: Set<Axis>
  /// About this many levels per axis (nice values, as axis ticks are chosen).
  public var levels: Int
  /// The axes whose lines are also drawn flat on the floor (z) or back wall (x, y).
  public var projected: Set<Axis>
  /// Explicit levels per axis (an imported Plotly figure's start, end and size), in data units;
  /// an axis without them gets `levels` nice ones.
  public var explicit: [Axis: [Double]] = [:]
  public var color = RGBColor(r: 0.19, g: 0.19, b: 0.19)
  /// The axes whose lines take the surface's colour scale (its colour value along the line)
  /// instead of `color`, as Plotly's `contours.*.usecolormap`.
  public var useColormap: Set<Axis> = []
  /// Per-axis colours and widths (an imported Plotly figure's), over `color` and `width`.
  public var axisColor: [Axis: RGBColor] = [:]
  public var axisWidth: [Axis: Double] = [:]
  /// Pixels at 1280x720.
  public var width = 1.5
  /// With a z projection, lower the box's floor by a quarter of its height so that the map is
  /// not hidden under the surface (off for an imported figure: plotly.js keeps its range).
  public var lowersFloor = true

  public init(axes: Set<Axis>, levels: Int = 10, project: Bool = false) {
    self.axes = axes
    self.levels = levels
    projected = project ? axes : []
  }

  /// `--contours z[,x,y]`.
  public static func parseAxes(_ text: String) throws -> Set<Axis> {
    var out: Set<Axis> = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = part.trimmingCharacters(in: .whitespaces).lowercased()
      guard let a = Axis(rawValue: name) else {
        throw ContourError("--contours '\(text.escapingControlCharacters)': expected axes among x, y, z separated by commas, e.g. z or z,x")
      }
      out.insert(a)
    }
    return out
  }
}

public struct ContourError: Error, CustomStringConvertible {
  public var description: String
  public init(_ d: String) { description = d }
}

/// The contour levels drawn on one surface along one axis (what an export writes as Plotly's
/// `contours.AXIS`: start, end and size in the axis' space).
public struct ContourLevels: Sendable, Equatable {
  public var axis: ContourRequest.Axis
  /// Data units.
  public var values: [Double]
  public var project: Bool
  public var color: RGBColor
  public var width: Double
  /// Coloured by the surface's colour scale (Plotly's `usecolormap`) instead of `color`.
  public var useColormap = false
}

public enum Contours {
  /// About `count` nice levels strictly inside `range` (in the axis' space: log10 on a log
  /// axis), in data units.
  public static func levels(range: ClosedRange<Double>, scale: AxisScale, count: Int) -> [Double] {
    guard range.lowerBound < range.upperBound else { return [] }
    let axis = AxisSpec(title: "", scale: scale, range: range)
    let (lo, hi) = axis.transformedRange
    guard lo.isFinite, hi.isFinite, hi > lo, count > 0 else { return [] }
    let ticks = TickGenerator.ticks(min: lo, max: hi, scale: .linear, target: count).map(\.value)
    let span = hi - lo
    return ticks.filter { $0 > lo + span * 1e-9 && $0 < hi - span * 1e-9 }.map { scale == .log ? pow(10, $0) : $0 }
  }

  /// The segments where `field` (rows x cols, row-major, in the axis' space) crosses `level`,
  /// by marching squares: each as two points in fractional grid coordinates (row, col). Cells
  /// with a NaN corner are skipped; a saddle cell is split by its centre's value.
  public static func segments(field: [Double], rows: Int, cols: Int, level: Double) -> [((Double, Double), (Double, Double))] {
    guard rows >= 2, cols >= 2, field.count == rows * cols else { return [] }
    var out: [((Double, Double), (Double, Double))] = []
    for r in 0..<(rows - 1) {
      for c in 0..<(cols - 1) {
        // Corners counter-clockwise: (r,c), (r,c+1), (r+1,c+1), (r+1,c).
        let v = [field[r * cols + c], field[r * cols + c + 1], field[(r + 1) * cols + c + 1], field[(r + 1) * cols + c]]
        guard v.allSatisfy(\.isFinite) else { continue }
        let p: [(Double, Double)] = [(Double(r), Double(c)), (Double(r), Double(c + 1)), (Double(r + 1), Double(c + 1)), (Double(r + 1), Double(c))]
        // The crossing on each edge k (corner k to corner k+1), where there is one.
        var cross: [(Double, Double)?] = []
        for k in 0..<4 {
          let a = v[k] - level, b = v[(k + 1) % 4] - level
          let t = a / (a - b)
          if (a < 0) != (b < 0), t.isFinite {
            let p0 = p[k], p1 = p[(k + 1) % 4]
            cross.append((p0.0 + t * (p1.0 - p0.0), p0.1 + t * (p1.1 - p0.1)))
          } else {
            cross.append(nil)
          }
        }
        let edges = (0..<4).filter { cross[$0] != nil }
        if edges.count == 2 {
          out.append((cross[edges[0]]!, cross[edges[1]]!))
        } else if edges.count == 4 {
          // A saddle: join the edges around the corners on the centre's side.
          let centre = (v[0] + v[1] + v[2] + v[3]) / 4 - level
          if (centre < 0) == (v[0] - level < 0) {
            out.append((cross[0]!, cross[1]!))
            out.append((cross[2]!, cross[3]!))
          } else {
            out.append((cross[3]!, cross[0]!))
            out.append((cross[1]!, cross[2]!))
          }
        }
      }
    }
    return out
  }
}

extension Scene {
  /// This scene with contour lines on its surfaces, as `request` asks: each surface gets its
  /// `contours` (what an export writes) and a lines trace of the segments (`contourOf` names
  /// the surface, so exporters that write the surface's own contours skip it), projected
  /// copies on the floor or walls with `project` (the z range then reaches a quarter of its
  /// span lower, so the floor's map is not hidden under the surface). Notes say what could not
  /// be drawn.
  public func withContours(_ request: ContourRequest?, onlyTrace: Int? = nil) -> Scene {
    guard let request, !request.axes.isEmpty else { return self }
    var s = self
    // A contour map on the floor would lie under the surface's lowest points: the box reaches
    // a quarter of its height further down (in the axis' space), so the map shows below.
    if request.lowersFloor && request.projected.contains(.z) && request.axes.contains(.z) && traces.contains(where: { $0.surface != nil }) {
      let (lo, hi) = z.transformedRange
      let below = lo - 0.25 * (hi - lo)
      let value = z.scale == .log ? pow(10, below) : below
      if value.isFinite && value < z.range.lowerBound { s.z.range = value...z.range.upperBound }
    }
    let z = s.z
    var added: [Trace] = []
    var drawn = 0
    for (index, trace) in traces.enumerated() where onlyTrace == nil || onlyTrace == index {
      guard case .surface(var surface) = trace else { continue }
      drawn += 1
      var levelsOut: [ContourLevels] = []
      for axis in request.axes.sorted() {
        let spec = axis == .x ? x : (axis == .y ? y : z)
        let data = axis == .x ? surface.x : (axis == .y ? surface.y : surface.z)
        // Only values the axis can draw (positive ones on a log axis).
        let finite = data.filter { spec.transform($0).isFinite }
        guard let lo = finite.min(), let hi = finite.max(), lo < hi else {
          s.notes.append("--contours \(axis.rawValue): '\(surface.name)' has no spread of \(axis.rawValue) values to draw contours of: none drawn")
          continue
        }
        let values = request.explicit[axis] ?? Contours.levels(range: lo...hi, scale: spec.scale, count: request.levels)
        guard !values.isEmpty else {
          s.notes.append("--contours \(axis.rawValue): no level falls inside '\(surface.name)' (\(Picker.format(lo, integer: false))...\(Picker.format(hi, integer: false))): none drawn; ask for more levels")
          continue
        }
        let project = request.projected.contains(axis)
        let colored = request.useColormap.contains(axis) && surface.color.count == surface.rows * surface.cols
        let lineColor = request.axisColor[axis] ?? request.color, lineWidth = request.axisWidth[axis] ?? request.width
        levelsOut.append(ContourLevels(
          axis: axis, values: values, project: project, color: lineColor, width: lineWidth, useColormap: colored))
        let field = data.map { spec.transform($0) }
        var px: [Double] = [], py: [Double] = [], pz: [Double] = []
        var fx: [Double] = [], fy: [Double] = [], fz: [Double] = []
        var colorValues: [Double] = []
        /// `a` at a point on a cell edge (one of its coordinates is whole): linear between the
        /// edge's two corners in the space `forward` maps to, mapped `back`.
        func at(_ g: (Double, Double), _ a: [Double], forward: (Double) -> Double = { $0 }, back: (Double) -> Double = { $0 }) -> Double {
          guard g.0.isFinite, g.1.isFinite else { return .nan }
          let r0 = Swift.min(Swift.max(Int(g.0.rounded(.down)), 0), surface.rows - 1)
          let c0 = Swift.min(Swift.max(Int(g.1.rounded(.down)), 0), surface.cols - 1)
          let tr = g.0 - Double(r0), tc = g.1 - Double(c0)
          let alongRow = tr < 1e-12 || r0 + 1 >= surface.rows
          let r1 = alongRow ? r0 : r0 + 1, c1 = alongRow && c0 + 1 < surface.cols ? c0 + 1 : c0
          let t = alongRow ? tc : tr
          let v0 = forward(a[r0 * surface.cols + c0]), v1 = forward(a[r1 * surface.cols + c1])
          return back(t < 1e-12 ? v0 : (1 - t) * v0 + t * v1)
        }
        /// A coordinate, linear in its axis' space (log10 on a log axis).
        func at(_ g: (Double, Double), _ a: [Double], _ axisSpec: AxisSpec) -> Double {
          at(g, a, forward: axisSpec.transform, back: { axisSpec.scale == .log ? pow(10, $0) : $0 })
        }
        /// The surface's colour value there.
        func colorAt(_ g: (Double, Double)) -> Double { at(g, surface.color) }
        for level in values {
          for (a, b) in Contours.segments(field: field, rows: surface.rows, cols: surface.cols, level: spec.transform(level)) {
            let ends = [a, b].map { g in (at(g, surface.x, x), at(g, surface.y, y), at(g, surface.z, z)) }
            // A segment across a hole of another coordinate (x or y lines where z is missing).
            guard ends.allSatisfy({ $0.0.isFinite && $0.1.isFinite && $0.2.isFinite }) else { continue }
            if colored { colorValues += [colorAt(a), colorAt(b), .nan] }
            for q in ends {
              px.append(axis == .x ? level : q.0)
              py.append(axis == .y ? level : q.1)
              pz.append(axis == .z ? level : q.2)
              // Projected: flat on the floor (z) or the back wall of its axis.
              fx.append(axis == .x ? x.range.lowerBound : q.0)
              fy.append(axis == .y ? y.range.lowerBound : q.1)
              fz.append(axis == .z ? z.range.lowerBound : q.2)
            }
            // A break between segments (NaN is not drawn).
            px.append(.nan); py.append(.nan); pz.append(.nan)
            fx.append(.nan); fy.append(.nan); fz.append(.nan)
          }
        }
        guard !px.isEmpty else {
          s.notes.append("--contours \(axis.rawValue): no level crosses '\(surface.name)': none drawn")
          continue
        }
        func lines(_ name: String, _ xs: [Double], _ ys: [Double], _ zs: [Double]) -> Trace {
          let colors: PointColors = colored
            ? .scalar(colorValues, colormap: surface.colormap, range: surface.colorRange, scale: surface.colorScale)
            : .solid(lineColor)
          var t = ScatterTrace(
            name: name, x: xs, y: ys, z: zs, colors: colors, mode: .lines, markerSize: 0,
            lineWidth: lineWidth, opacity: 0.9)
          t.contourOf = index
          return .scatter(t)
        }
        added.append(lines("\(surface.name) \(axis.rawValue) contours", px, py, pz))
        if project {
          added.append(lines("\(surface.name) \(axis.rawValue) contours, projected", fx, fy, fz))
        }
      }
      surface.contours = levelsOut
      s.traces[index] = .surface(surface)
    }
    if drawn == 0 { s.notes.append("--contours: this scene has no surface to draw contours on: not used") }
    s.traces += added
    return s
  }

  /// This scene (a frame of an animation, already on `full`'s axes) with the contour lines
  /// `full` has: the same levels and projections, on the same floor; nothing when `full` has
  /// none.
  public func recontoured(like full: Scene) -> Scene {
    var s = self
    s.traces = traces.filter { $0.scatter?.contourOf == nil }
    for (i, t) in s.traces.enumerated() {
      guard var surface = t.surface else { continue }
      surface.contours = []
      s.traces[i] = .surface(surface)
    }
    guard let levels = full.traces.lazy.compactMap({ $0.surface }).first(where: { !$0.contours.isEmpty })?.contours else { return s }
    var request = ContourRequest(axes: Set(levels.map(\.axis)))
    request.projected = Set(levels.filter(\.project).map(\.axis))
    for l in levels {
      request.explicit[l.axis] = l.values
      request.axisColor[l.axis] = l.color
      request.axisWidth[l.axis] = l.width
      if l.useColormap { request.useColormap.insert(l.axis) }
    }
    request.color = levels[0].color
    request.width = levels[0].width
    request.lowersFloor = false
    return s.withContours(request)
  }
}
