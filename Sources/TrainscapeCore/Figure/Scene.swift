import Foundation

/// One axis of a 3D scene: its title, scale and data range.
public struct AxisSpec: Sendable, Equatable {
  public var title: String
  public var scale: AxisScale
  /// The data range shown, in data units (positive for a log axis).
  public var range: ClosedRange<Double>
  /// Integer-valued data (steps, layer indices): ticks only at integers.
  public var integer: Bool
  /// Categories or dates behind the numbers (an imported Plotly figure's category and date
  /// axes); nil: plain numbers.
  public var labels: AxisLabels? = nil
  /// Drawn at all: its edge, tick marks and labels, title, grid lines and wall (Plotly's
  /// `visible: false` hides them; the data stays).
  public var visible = true
  /// Grid lines across the walls at this axis' ticks.
  public var showGrid = true
  /// Tick labels along its edge.
  public var showTickLabels = true
  /// The colour of the wall across this axis (the pane facing along it); nil: the style's.
  public var wallColor: RGBColor? = nil

  public init(title: String, scale: AxisScale = .linear, range: ClosedRange<Double>, integer: Bool = false) {
    self.title = title
    self.scale = scale
    self.range = range
    self.integer = integer
  }

  /// The range in the axis' own space (log10 of the data for a log axis), widened when empty
  /// so that a single value still maps to the middle of the box.
  public var transformedRange: (lo: Double, hi: Double) {
    var lo = transform(range.lowerBound)
    var hi = transform(range.upperBound)
    if !(lo.isFinite && hi.isFinite) { return (0, 1) }
    if hi - lo <= Swift.max(abs(lo), abs(hi)) * 1e-12 {
      let pad = lo == 0 ? 0.5 : abs(lo) * 0.05
      lo -= pad
      hi += pad
    }
    return (lo, hi)
  }

  /// Data value -> axis space (identity or log10). Non-positive values on a log axis are NaN.
  public func transform(_ v: Double) -> Double {
    switch scale {
    case .linear: return v
    case .log: return v > 0 ? log10(v) : .nan
    }
  }

  /// Data value -> [0, 1] across the axis range (not clamped).
  public func fraction(_ v: Double) -> Double {
    let (lo, hi) = transformedRange
    return (transform(v) - lo) / (hi - lo)
  }

  /// The text of one value on this axis (a hover readout): its category or date, else the
  /// number.
  public func text(_ v: Double) -> String {
    if let labels, scale == .linear { return labels.text(v) }
    return Picker.format(v, integer: integer)
  }

  /// The tick values and labels for this axis.
  public func ticks(target: Int = 5) -> [Tick] {
    let (lo, hi) = (range.lowerBound, range.upperBound)
    if let labels, scale == .linear { return labels.ticks(lo: lo, hi: hi, target: target) }
    if integer && scale == .linear {
      return TickGenerator.integerTicks(min: lo, max: hi, target: target)
    }
    return TickGenerator.ticks(min: lo, max: hi, scale: scale, target: target)
  }
}

/// The camera as Plotly's `layout.scene.camera`: `eye`, `center` and `up` are in the scene's
/// normalized coordinates, where the axes box spans [-0.5, 0.5] * aspect around the origin
/// and z points up. `--camera-eye 1.5,-1.5,1.2` therefore frames a scene as Plotly would.
public struct Camera: Sendable, Equatable {
  public var eye: Vec3
  public var center: Vec3
  public var up: Vec3
  /// Vertical field of view of the perspective projection, in radians (Plotly: 45 degrees).
  public var fovY: Double

  public init(
    eye: Vec3 = Vec3(1.25, 1.25, 1.25), center: Vec3 = .zero, up: Vec3 = Vec3(0, 0, 1),
    fovY: Double = Double.pi / 4
  ) {
    self.eye = eye
    self.center = center
    self.up = up
    self.fovY = fovY
  }

  /// Parses "x,y,z" as given to `--camera-eye`.
  public static func parseVector(_ text: String) -> Vec3? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 3, let x = Double(parts[0]), let y = Double(parts[1]),
      let z = Double(parts[2]), x.isFinite, y.isFinite, z.isFinite
    else { return nil }
    return Vec3(x, y, z)
  }

  public var viewMatrix: Mat4 { Mat4.lookAt(eye: eye, center: center, up: up) }

  public func projectionMatrix(aspect: Double) -> Mat4 {
    let distance = (eye - center).length
    return Mat4.perspective(
      fovY: fovY, aspect: aspect, near: Swift.max(distance * 0.01, 1e-3), far: distance * 4 + 4)
  }

  /// The same eye rotated about the up (z) axis by `angle` radians: one turntable step.
  public func orbited(by angle: Double) -> Camera {
    let c = cos(angle), s = sin(angle)
    let d = eye - center
    var next = self
    next.eye = center + Vec3(d.x * c - d.y * s, d.x * s + d.y * c, d.z)
    return next
  }
}

/// A grid surface: `rows x cols` samples, each with x, y, z in data units and a colour value.
/// x and y are full grids (not only vectors) so curvilinear surfaces such as the sliding-window
/// loss surface are representable, as in Plotly's `go.Surface(x=2-D, y=2-D, z=2-D)`.
public struct SurfaceTrace: Sendable, Equatable {
  public var name: String
  public var rows: Int
  public var cols: Int
  public var x: [Double]
  public var y: [Double]
  public var z: [Double]
  /// The value the colour map is applied to, in data units (usually `z`).
  public var color: [Double]
  public var colormap: Colormap
  public var colorRange: ClosedRange<Double>
  public var colorScale: AxisScale
  public var opacity: Double
  /// The contour lines drawn on it (`Scene.withContours`), for exports; empty: none.
  public var contours: [ContourLevels] = []

  public init(
    name: String, rows: Int, cols: Int, x: [Double], y: [Double], z: [Double],
    color: [Double]? = nil, colormap: Colormap, colorRange: ClosedRange<Double>,
    colorScale: AxisScale = .linear, opacity: Double = 1
  ) {
    precondition(x.count == rows * cols && y.count == rows * cols && z.count == rows * cols)
    self.name = name
    self.rows = rows
    self.cols = cols
    self.x = x
    self.y = y
    self.z = z
    self.color = color ?? z
    self.colormap = colormap
    self.colorRange = colorRange
    self.colorScale = colorScale
    self.opacity = opacity
  }

  /// The colour-map coordinate in [0, 1] of a colour value (NaN stays NaN).
  public func colorFraction(_ v: Double) -> Double {
    let spec = AxisSpec(title: "", scale: colorScale, range: colorRange)
    let t = spec.fraction(v)
    return t.isFinite ? Swift.min(1, Swift.max(0, t)) : .nan
  }
}

/// How the points of a scatter trace are coloured.
public enum PointColors: Sendable, Equatable {
  /// One colour for the whole trace.
  case solid(RGBColor)
  /// A colour per point (e.g. from a W&B Object3D file).
  case perPoint([RGBColor])
  /// A value per point mapped through a colour map over `range` (on `scale`).
  case scalar([Double], colormap: Colormap, range: ClosedRange<Double>, scale: AxisScale)

  /// The colour of point `i`.
  public func color(at i: Int) -> RGBColor {
    switch self {
    case .solid(let c): return c
    case .perPoint(let cs): return cs[i]
    case .scalar(let values, let map, let range, let scale):
      let t = AxisSpec(title: "", scale: scale, range: range).fraction(values[i])
      return t.isFinite ? map.color(at: Swift.min(1, Swift.max(0, t))) : Colormap.badColor
    }
  }
}

/// Points in 3D joined by a line, shown as markers, or both: Plotly's `scatter3d`.
public struct ScatterTrace: Sendable, Equatable {
  public enum Mode: String, Sendable { case lines, markers, linesAndMarkers = "lines+markers" }
  /// The marker's shape; raw values are Plotly's `marker.symbol` names.
  public enum Symbol: String, Sendable, CaseIterable {
    /// A filled disc.
    case circle
    /// An open circle (a ring).
    case ring = "circle-open"
    /// A diagonal cross (x).
    case cross = "x"
    /// A filled square and its outline.
    case square
    case squareOpen = "square-open"
    /// A filled diamond (a square on its corner) and its outline.
    case diamond
    case diamondOpen = "diamond-open"
    /// An upright cross (+), plotly's "cross".
    case plus = "cross"
  }
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var z: [Double]
  public var colors: PointColors
  /// The line's colours where they are not the markers' (Plotly's `line.color` beside a
  /// `marker.color`): solid or per point; nil draws the line in `colors`.
  public var lineColors: PointColors? = nil
  /// The markers' opacity, times the trace's `opacity` (Plotly's `marker.opacity`).
  public var markerOpacity = 1.0
  /// An outline around the filled markers, and the colour of the open ones (Plotly's
  /// `marker.line`); nil: none.
  public var markerOutline: MarkerOutline? = nil
  /// The line's dash pattern (Plotly's `line.dash`).
  public var lineDash: LineDash = .solid
  public var mode: Mode
  /// Marker diameter and line width in pixels at 1280x720 (they scale with the image).
  public var markerSize: Double
  /// A marker diameter per point, in the same pixels (Plotly's `marker.size` array); empty means
  /// every marker is `markerSize`.
  public var markerSizes: [Double] = []
  public var lineWidth: Double
  public var opacity: Double
  /// Hover / export text per point (may be empty).
  public var text: [String]
  public var symbol: Symbol
  /// The training step of each point, for a path through other axes (a trajectory over loss,
  /// gradient norm and reward); empty otherwise. Annotations mark these paths.
  public var steps: [Int64] = []
  /// The index of the surface trace whose contour lines these are (`Scene.withContours`):
  /// exporters that write the surface's `contours` leave this trace out. nil: a trace of its own.
  public var contourOf: Int? = nil

  public init(
    name: String, x: [Double], y: [Double], z: [Double], colors: PointColors,
    mode: Mode = .linesAndMarkers, markerSize: Double = 6, lineWidth: Double = 2,
    opacity: Double = 1, text: [String] = [], symbol: Symbol = .circle
  ) {
    precondition(x.count == y.count && x.count == z.count)
    self.name = name
    self.x = x
    self.y = y
    self.z = z
    self.colors = colors
    self.mode = mode
    self.markerSize = markerSize
    self.lineWidth = lineWidth
    self.opacity = opacity
    self.text = text
    self.symbol = symbol
  }

  public var count: Int { x.count }

  /// The marker diameter of point `i`.
  public func markerSize(at i: Int) -> Double {
    i < markerSizes.count ? markerSizes[i] : markerSize
  }
}

/// A triangle mesh given by vertices and faces: Plotly's `mesh3d`.
public struct MeshTrace: Sendable, Equatable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var z: [Double]
  /// Triangles as vertex indices (Plotly's i, j, k).
  public var i: [Int32]
  public var j: [Int32]
  public var k: [Int32]
  /// A solid colour, or a value per vertex through a colour map (Plotly's `intensity`).
  public var colors: PointColors
  public var opacity: Double
  /// Listed in an export's legend, so it can be toggled (annotation planes).
  public var legend = false

  public init(
    name: String, x: [Double], y: [Double], z: [Double], i: [Int32], j: [Int32], k: [Int32],
    colors: PointColors, opacity: Double = 1
  ) {
    precondition(x.count == y.count && x.count == z.count && i.count == j.count && i.count == k.count)
    self.name = name
    self.x = x
    self.y = y
    self.z = z
    self.i = i
    self.j = j
    self.k = k
    self.colors = colors
    self.opacity = opacity
  }
}

/// Everything a scene can draw.
public enum Trace: Sendable, Equatable {
  case surface(SurfaceTrace)
  case scatter(ScatterTrace)
  case mesh(MeshTrace)

  public var name: String {
    switch self {
    case .surface(let s): return s.name
    case .scatter(let s): return s.name
    case .mesh(let m): return m.name
    }
  }

  /// The surface, when this is one.
  public var surface: SurfaceTrace? {
    if case .surface(let s) = self { return s }
    return nil
  }

  /// The scatter trace, when this is one.
  public var scatter: ScatterTrace? {
    if case .scatter(let s) = self { return s }
    return nil
  }

  /// The mesh, when this is one.
  public var mesh: MeshTrace? {
    if case .mesh(let m) = self { return m }
    return nil
  }
}

/// The colour bar beside the plot.
public struct ColorBar: Sendable, Equatable {
  public var title: String
  public var colormap: Colormap
  public var range: ClosedRange<Double>
  public var scale: AxisScale

  public init(title: String, colormap: Colormap, range: ClosedRange<Double>, scale: AxisScale) {
    self.title = title
    self.colormap = colormap
    self.range = range
    self.scale = scale
  }
}

/// A complete 3D figure as a plain value: what the renderer, the exporters and the viewer read.
public struct Scene: Sendable, Equatable {
  public var title: String
  public var traces: [Trace]
  public var x: AxisSpec
  public var y: AxisSpec
  public var z: AxisSpec
  public var camera: Camera
  public var colorBar: ColorBar?
  public var background: RGBColor
  /// Relative box size along x, y, z (Plotly's `aspectratio`).
  public var aspect: Vec3
  /// Things the user must know about how data was reduced or hidden (shown on stderr).
  public var notes: [String]
  /// Show a legend of the traces' names (several runs overlaid).
  public var showLegend: Bool
  /// A short label in the top-left corner ("step 1200" in a training-progress animation).
  public var cornerLabel: String?
  /// Labels at points of the scene (the names of annotation planes).
  public var pointLabels: [PointLabel] = []
  /// Where this scene sits in a figure of several (a Plotly scene's `domain`): fractions of the
  /// figure's plot area, y up; nil: the figure lays its panels out in a grid.
  public var domain: PanelDomain? = nil

  public init(
    title: String, traces: [Trace], x: AxisSpec, y: AxisSpec, z: AxisSpec,
    camera: Camera = Camera(), colorBar: ColorBar? = nil, background: RGBColor = .white,
    aspect: Vec3 = Vec3(1, 1, 1), notes: [String] = [], showLegend: Bool = false
  ) {
    self.title = title
    self.traces = traces
    self.x = x
    self.y = y
    self.z = z
    self.camera = camera
    self.colorBar = colorBar
    self.background = background
    self.aspect = aspect
    self.notes = notes
    self.showLegend = showLegend
    self.cornerLabel = nil
  }

  /// Data coordinates -> normalized scene coordinates (the axes box is [-0.5, 0.5] * aspect).
  public func normalized(_ px: Double, _ py: Double, _ pz: Double) -> Vec3 {
    Vec3(
      (x.fraction(px) - 0.5) * aspect.x,
      (y.fraction(py) - 0.5) * aspect.y,
      (z.fraction(pz) - 0.5) * aspect.z)
  }

  /// Normalized scene coordinates -> data coordinates (the inverse of `normalized`).
  public func dataPoint(_ p: Vec3) -> Vec3 {
    func back(_ n: Double, _ axis: AxisSpec, _ aspect: Double) -> Double {
      let (lo, hi) = axis.transformedRange
      let t = lo + (n / aspect + 0.5) * (hi - lo)
      return axis.scale == .log ? pow(10, t) : t
    }
    return Vec3(back(p.x, x, aspect.x), back(p.y, y, aspect.y), back(p.z, z, aspect.z))
  }

  /// Half extents of the axes box in normalized coordinates.
  public var halfExtent: Vec3 { aspect * 0.5 }

  /// The surface mesh of a trace in normalized coordinates, with colour-map coordinates.
  public func mesh(for surface: SurfaceTrace) -> SurfaceMesh {
    SurfaceMesh(
      rows: surface.rows, cols: surface.cols,
      position: { r, c in
        let i = r * surface.cols + c
        return normalized(surface.x[i], surface.y[i], surface.z[i])
      },
      scalar: { r, c in surface.colorFraction(surface.color[r * surface.cols + c]) })
  }
}

extension Scene {
  /// This scene drawn in `reference`'s frame: its axes, colour bar and colour ranges, so that
  /// the frames of an animation (the landscape growing step by step) are comparable.
  public func fixingFrame(to reference: Scene) -> Scene {
    var s = self
    s.x = reference.x
    s.y = reference.y
    s.z = reference.z
    s.colorBar = reference.colorBar
    s.aspect = reference.aspect
    for (i, trace) in s.traces.enumerated() {
      switch trace {
      case .surface(var t):
        let ref = reference.traces.lazy.compactMap { r -> SurfaceTrace? in
          if case .surface(let rs) = r, rs.name == t.name { return rs }
          return nil
        }.first
        if let ref {
          t.colorRange = ref.colorRange
          t.colorScale = ref.colorScale
        }
        s.traces[i] = .surface(t)
      case .scatter(var t):
        if case .scalar(let values, let map, _, _) = t.colors,
          let ref = reference.traces.lazy.compactMap({ r -> ScatterTrace? in
            if case .scatter(let rs) = r, rs.name == t.name { return rs }
            return nil
          }).first,
          case .scalar(_, _, let range, let scale) = ref.colors
        {
          t.colors = .scalar(values, colormap: map, range: range, scale: scale)
        }
        s.traces[i] = .scatter(t)
      case .mesh:
        break
      }
    }
    return s
  }

  /// The scene with every scatter trace cut to its first `count` points (an embedding
  /// trajectory revealed checkpoint by checkpoint).
  public func revealingPoints(_ count: Int) -> Scene {
    var s = self
    s.traces = traces.map { trace in
      guard case .scatter(let t) = trace else { return trace }
      return .scatter(t.prefix(count))
    }
    return s
  }
}

/// A panel's place in a figure as fractions of its plot area (0...1 each; y up, as Plotly's
/// scene `domain`).
public struct PanelDomain: Sendable, Equatable {
  public var x: ClosedRange<Double>
  public var y: ClosedRange<Double>

  public init(x: ClosedRange<Double>, y: ClosedRange<Double>) {
    self.x = x
    self.y = y
  }
}

/// A marker outline: its colour and width (pixels at 1280x720, as marker sizes).
public struct MarkerOutline: Sendable, Equatable {
  public var color: RGBColor
  public var width: Double

  public init(color: RGBColor, width: Double) {
    self.color = color
    self.width = width
  }
}

/// A line's dash pattern, Plotly's names: dashes and gaps in units of the line's width (at
/// least 3 pixels), dot 1 on 1 off, dash 3 and 3, longdash 5 and 5, dashdot 3 1 1 1, longdashdot
/// 5 2 1 2.
public enum LineDash: String, Sendable, CaseIterable {
  case solid, dot, dash, longdash, dashdot, longdashdot
}
