import TrainscapeCore

/// What is on the GPU, as far as deciding whether a scene can be brought up to date in place:
/// per trace its kind and shape, and the axes its vertices were made for.
struct LoadedScene: Equatable {
  enum Trace: Equatable {
    /// A surface uploaded as `rows` x `cols` (the trace's, or its cols x rows when `transposed`:
    /// a surface that grows along its rows, uploaded row-major).
    case surface(rows: Int, cols: Int, transposed: Bool, colorScale: AxisScale)
    case scatter(count: Int, style: ScatterStyle)
    case mesh
  }

  var traces: [Trace]
  var axes: [AxisSpec]
  var aspect: Vec3

  init(traces: [Trace], axes: [AxisSpec], aspect: Vec3) {
    self.traces = traces
    self.axes = axes
    self.aspect = aspect
  }

  /// What `SceneRenderer.load(scene, reserveRows:)` uploads: surfaces row-major when
  /// `rowMajor`.
  init(_ scene: Scene, rowMajor: Bool) {
    traces = scene.traces.map { trace in
      switch trace {
      case .surface(let s):
        return .surface(
          rows: rowMajor ? s.cols : s.rows, cols: rowMajor ? s.rows : s.cols, transposed: rowMajor,
          colorScale: s.colorScale)
      case .scatter(let t): return .scatter(count: t.count, style: ScatterStyle(t))
      case .mesh: return .mesh
      }
    }
    axes = [scene.x, scene.y, scene.z]
    aspect = scene.aspect
  }
}

/// The parts of a scatter trace baked into its vertices besides positions and colour values:
/// a change there is a reload.
struct ScatterStyle: Equatable {
  var mode: ScatterTrace.Mode
  var symbol: ScatterTrace.Symbol
  var markerSize: Double
  /// Whether markers carry their own sizes (an appended point's size comes with it).
  var perPointSizes: Bool
  var lineWidth: Double
  var opacity: Double
  var markerOpacity: Double
  /// A uniform, not in the vertices; kept here so a change is seen.
  var outline: MarkerOutline?
  var dash: LineDash
  /// Solid colour, per-point colours (their count is not compared), or the colour scale.
  var colors: String

  init(_ t: ScatterTrace) {
    mode = t.mode
    symbol = t.symbol
    markerSize = t.markerSize
    perPointSizes = !t.markerSizes.isEmpty
    lineWidth = t.lineWidth
    opacity = t.opacity
    markerOpacity = t.markerOpacity
    outline = t.markerOutline
    dash = t.lineDash
    switch t.colors {
    case .solid(let c): colors = "solid \(c.r) \(c.g) \(c.b)"
    case .perPoint: colors = "per point"
    case .scalar(_, _, _, let scale): colors = "scalar \(scale)"
    }
  }
}

/// How `SceneRenderer.apply` brings what is loaded up to a scene that extends it as a
/// `SceneDelta` says, or nil when it cannot (then it loads the scene from scratch).
struct UploadPlan: Equatable {
  enum Step: Equatable {
    /// New uniforms (axis and colour ranges); from `appendFrom` on (layout columns: trace
    /// columns, or rows for a row-major upload) the vertices are written again.
    case surface(appendFrom: Int?)
    /// New uniforms; from point `appendFrom` on the vertices are written again.
    case scatter(appendFrom: Int?)
    /// Mesh vertices are normalized to the box: uploaded again when the axes moved.
    case mesh(reload: Bool)
  }

  var steps: [Step]

  /// The plan for `scene`, which extends what is `loaded` as `delta` says: the same traces of
  /// the same kinds, the same axis and colour scales, surfaces of the same shape except those
  /// that grew from what is loaded, along the axis their layout appends, and scatter traces
  /// that grew from their loaded count; nil otherwise.
  init?(loaded: LoadedScene, scene: Scene, delta: SceneDelta) {
    guard scene.traces.count == loaded.traces.count, scene.x.scale == loaded.axes[0].scale,
      scene.y.scale == loaded.axes[1].scale, scene.z.scale == loaded.axes[2].scale
    else { return nil }
    // Per trace: (along rows, previous, unchanged) of a grown surface; a grown scatter trace.
    var growth: [Int: (rows: Bool, previous: Int, unchanged: Int)] = [:]
    let entries = delta.surfaces.map { ($0.trace, false, $0.previousColumns, $0.unchangedColumns) }
      + delta.surfaceRows.map { ($0.trace, true, $0.previousRows, $0.unchangedRows) }
    for (trace, rows, previous, unchanged) in entries {
      guard trace >= 0, trace < loaded.traces.count, growth[trace] == nil else { return nil }
      growth[trace] = (rows, previous, unchanged)
    }
    var points: [Int: ScatterGrowth] = [:]
    for g in delta.scatters {
      guard g.trace >= 0, g.trace < loaded.traces.count, growth[g.trace] == nil, points[g.trace] == nil else { return nil }
      points[g.trace] = g
    }
    let axesMoved = loaded.axes != [scene.x, scene.y, scene.z] || loaded.aspect != scene.aspect
    var steps: [Step] = []
    for (ti, trace) in scene.traces.enumerated() {
      switch (trace, loaded.traces[ti]) {
      case (.surface(let t), .surface(let rows, let cols, let transposed, let colorScale)):
        // The trace's extent across and along the uploaded layout's columns.
        let (across, along) = transposed ? (t.cols, t.rows) : (t.rows, t.cols)
        guard across == rows, t.colorScale == colorScale else { return nil }
        if let g = growth[ti] {
          guard g.rows == transposed, g.previous == cols, g.unchanged <= cols, along >= g.unchanged else { return nil }
          steps.append(.surface(appendFrom: g.unchanged))
        } else {
          guard along == cols else { return nil }
          steps.append(.surface(appendFrom: nil))
        }
      case (.scatter(let t), .scatter(let count, let style)):
        guard growth[ti] == nil, ScatterStyle(t) == style else { return nil }
        if let g = points[ti] {
          guard g.previousCount == count, t.count >= g.unchangedCount else { return nil }
          steps.append(.scatter(appendFrom: g.unchangedCount))
        } else {
          guard t.count == count else { return nil }
          steps.append(.scatter(appendFrom: nil))
        }
      case (.mesh, .mesh):
        guard growth[ti] == nil, points[ti] == nil else { return nil }
        steps.append(.mesh(reload: axesMoved))
      default:
        return nil
      }
    }
    self.steps = steps
  }
}
