/// How a surface's grid changed between two versions of a scene whose surface grew along its
/// columns (new training steps appended to a layer x step surface).
public struct SurfaceColumnGrowth: Sendable, Equatable {
  /// The index of the surface in `Scene.traces`.
  public var trace: Int
  /// Columns of the previous version.
  public var previousColumns: Int
  /// Columns `0 ..< unchangedColumns` hold the same samples as before; the columns after them
  /// are new or rewritten (a row that arrives with the last column's step rewrites that column).
  public var unchangedColumns: Int

  public init(trace: Int, previousColumns: Int, unchangedColumns: Int) {
    precondition(unchangedColumns <= previousColumns)
    self.trace = trace
    self.previousColumns = previousColumns
    self.unchangedColumns = unchangedColumns
  }
}

/// How a surface's grid changed between two versions of a scene whose surface grew along its
/// rows (the single-run loss landscape: each completed sliding window is a new row).
public struct SurfaceRowGrowth: Sendable, Equatable {
  /// The index of the surface in `Scene.traces`.
  public var trace: Int
  /// Rows of the previous version.
  public var previousRows: Int
  /// Rows `0 ..< unchangedRows` hold the same samples as before; the rows after them are new
  /// or rewritten.
  public var unchangedRows: Int

  public init(trace: Int, previousRows: Int, unchangedRows: Int) {
    precondition(unchangedRows <= previousRows)
    self.trace = trace
    self.previousRows = previousRows
    self.unchangedRows = unchangedRows
  }
}

/// How a scatter trace changed between two versions of a scene whose trace grew by points
/// appended at its end (a followed trajectory).
public struct ScatterGrowth: Sendable, Equatable {
  /// The index of the scatter trace in `Scene.traces`.
  public var trace: Int
  /// Points of the previous version.
  public var previousCount: Int
  /// Points `0 ..< unchangedCount` are the same as before (their colour values too; the colour
  /// range may change); the points after them are new or rewritten (the last downsampling
  /// bucket's).
  public var unchangedCount: Int

  public init(trace: Int, previousCount: Int, unchangedCount: Int) {
    precondition(unchangedCount <= previousCount)
    self.trace = trace
    self.previousCount = previousCount
    self.unchangedCount = unchangedCount
  }
}

/// What changed between a scene and its successor, when a renderer can apply it without
/// reloading everything: the surfaces that grew along their columns (`surfaces`) or along
/// their rows (`surfaceRows`), the scatter traces that grew by points (`scatters`). Every other
/// trace keeps its data; the axes' ranges, the colour
/// ranges, the colour bar, the title and the notes may change (a renderer that draws surfaces
/// in axis space applies those as uniforms). The axes' scales (log or linear) and the traces' count and kinds do not change: a change there is a rebuild,
/// described by no delta at all.
public struct SceneDelta: Sendable, Equatable {
  public var surfaces: [SurfaceColumnGrowth]
  public var surfaceRows: [SurfaceRowGrowth]
  public var scatters: [ScatterGrowth]

  public init(surfaces: [SurfaceColumnGrowth], surfaceRows: [SurfaceRowGrowth] = [], scatters: [ScatterGrowth] = []) {
    self.surfaces = surfaces
    self.surfaceRows = surfaceRows
    self.scatters = scatters
  }

  /// The traces this delta grows.
  public var grownTraces: [Int] { surfaces.map(\.trace) + surfaceRows.map(\.trace) + scatters.map(\.trace) }

  /// The delta from the version before `self` to the version after `next` (two deltas in a row,
  /// when the viewer picks up two updates at once): per surface, the earlier previous count and
  /// the smaller unchanged count.
  public func followed(by next: SceneDelta) -> SceneDelta {
    SceneDelta(
      surfaces: Self.merge(surfaces, next.surfaces), surfaceRows: Self.merge(surfaceRows, next.surfaceRows),
      scatters: Self.merge(scatters, next.scatters))
  }

  /// Per trace: the earlier previous count and the smaller unchanged count; sorted by trace.
  private static func merge<G: TraceGrowth>(_ first: [G], _ second: [G]) -> [G] {
    var byTrace: [Int: G] = [:]
    for g in first { byTrace[g.trace] = g }
    for g in second {
      if let f = byTrace[g.trace] {
        byTrace[g.trace] = G(trace: g.trace, previous: f.previous, unchanged: Swift.min(f.unchanged, g.unchanged))
      } else {
        byTrace[g.trace] = g
      }
    }
    return byTrace.values.sorted { $0.trace < $1.trace }
  }
}

/// The shape the three growth kinds share (for `SceneDelta.followed(by:)`).
protocol TraceGrowth {
  var trace: Int { get }
  var previous: Int { get }
  var unchanged: Int { get }
  init(trace: Int, previous: Int, unchanged: Int)
}

extension SurfaceColumnGrowth: TraceGrowth {
  var previous: Int { previousColumns }
  var unchanged: Int { unchangedColumns }
  init(trace: Int, previous: Int, unchanged: Int) {
    self.init(trace: trace, previousColumns: previous, unchangedColumns: unchanged)
  }
}

extension SurfaceRowGrowth: TraceGrowth {
  var previous: Int { previousRows }
  var unchanged: Int { unchangedRows }
  init(trace: Int, previous: Int, unchanged: Int) {
    self.init(trace: trace, previousRows: previous, unchangedRows: unchanged)
  }
}

extension ScatterGrowth: TraceGrowth {
  var previous: Int { previousCount }
  var unchanged: Int { unchangedCount }
  init(trace: Int, previous: Int, unchanged: Int) {
    self.init(trace: trace, previousCount: previous, unchangedCount: unchanged)
  }
}

/// A new version of a scene and, when it extends the previous version, how (`delta`); nil
/// `delta` means a rebuild (and says why in `rebuildReason` when there is a reason to tell).
public struct SceneUpdate: Sendable {
  public var scene: Scene
  public var delta: SceneDelta?
  public var rebuildReason: String?

  public init(scene: Scene, delta: SceneDelta?, rebuildReason: String? = nil) {
    self.scene = scene
    self.delta = delta
    self.rebuildReason = rebuildReason
  }
}
