import CGL
import TrainscapeCore

/// A surface on the GPU: axis-space vertices (`SurfaceAxisGeometry`) and what maps them into
/// the box and onto the colour map.
struct GPUSurface {
  var mesh: VertexArray
  var colormap: Colormap
  var opacity: Float
  /// Rows and columns of the uploaded layout: the trace's, or its columns and rows when
  /// `transposed` (a surface that grows along its rows, uploaded row-major).
  var rows: Int
  var cols: Int
  var transposed: Bool
  var origin: Vec3
  var colorOrigin: Double
  var colorScale: AxisScale
  /// Where each cell column's triangles start in the index buffer (`cols` entries: the last
  /// is the end).
  var cellColumnStart: [Int]
  var transform: SurfaceTransform
  /// Cells a few pixels wide: `SceneRenderer.vertexLighting` may light it per vertex.
  var dense: Bool { rows >= SceneRenderer.denseGrid && cols >= SceneRenderer.denseGrid }
}

/// A scatter trace on the GPU: markers and line segments with axis-space positions and colour
/// values (`VertexPacking.ScatterFrame`), so that new axis or colour ranges are uniforms and a
/// trace that grows only uploads its new points.
struct GPUScatter {
  var markers: VertexArray?
  var lines: VertexArray?
  var translucent: Bool
  var frame: VertexPacking.ScatterFrame
  /// The colour map of a trace coloured by value (`PointColors.scalar`), nil otherwise.
  var colormap: Colormap?
  var transform: ScatterTransform
  /// Points uploaded, and where each one's vertices start (`VertexPacking.ScatterVertices`).
  var count: Int
  var markerStart: [Int]
  var lineStart: [Int]
  var style: ScatterStyle
}

/// Axis space -> normalized box and colour value -> colour-map coordinate for a scatter trace,
/// as `SurfaceTransform` does for surfaces.
struct ScatterTransform {
  var scale: Vec3
  var offset: Vec3
  var colorScale: Double
  var colorOffset: Double

  init(scene: Scene, trace: ScatterTrace, frame: VertexPacking.ScatterFrame) {
    func axis(_ a: AxisSpec, _ aspect: Double, _ o: Double) -> (Double, Double) {
      let (lo, hi) = a.transformedRange
      let s = aspect / (hi - lo)
      return (s, (o - lo) * s - 0.5 * aspect)
    }
    let (sx, ox) = axis(scene.x, scene.aspect.x, frame.origin.x)
    let (sy, oy) = axis(scene.y, scene.aspect.y, frame.origin.y)
    let (sz, oz) = axis(scene.z, scene.aspect.z, frame.origin.z)
    scale = Vec3(sx, sy, sz)
    offset = Vec3(ox, oy, oz)
    if case .scalar(_, _, let range, let cs) = trace.colors {
      let (clo, chi) = AxisSpec(title: "", scale: cs, range: range).transformedRange
      colorScale = 1 / (chi - clo)
      colorOffset = (frame.colorOrigin - clo) * colorScale
    } else {
      colorScale = 1
      colorOffset = 0
    }
  }
}

/// The traces of the loaded scene on the GPU, and the uploads that put them there: a scene
/// loaded whole (`load`) or brought up to date in place as an `UploadPlan` says (`apply`).
final class GPUScene {
  private let device: GLDevice
  private(set) var surfaces: [GPUSurface] = []
  private(set) var scatters: [GPUScatter] = []
  /// mesh3d traces: (position, normal, colour) triangles, not indexed (flat face colours allowed).
  private(set) var meshes: [(mesh: VertexArray, translucent: Bool)] = []
  /// Each trace of the loaded scene: its kind and index in its list.
  private var slots: [(kind: Int, index: Int)] = []
  private var axes: (x: AxisSpec, y: AxisSpec, z: AxisSpec, aspect: Vec3)?
  /// Buffers a write found too small and replaced by larger ones, copying them on the GPU.
  private(set) var bufferGrowths = 0

  init(device: GLDevice) { self.device = device }

  /// What is loaded, for `UploadPlan`; nil when nothing is.
  var loaded: LoadedScene? {
    guard let axes else { return nil }
    let traces: [LoadedScene.Trace] = slots.map { slot in
      switch slot.kind {
      case 0:
        let s = surfaces[slot.index]
        return .surface(rows: s.rows, cols: s.cols, transposed: s.transposed, colorScale: s.colorScale)
      case 1:
        let s = scatters[slot.index]
        return .scatter(count: s.count, style: s.style)
      default:
        return .mesh
      }
    }
    return LoadedScene(traces: traces, axes: [axes.x, axes.y, axes.z], aspect: axes.aspect)
  }

  /// Colour maps the loaded traces draw with.
  var colormaps: [Colormap] { surfaces.map(\.colormap) + scatters.compactMap(\.colormap) }

  /// Uploads every trace of `scene` (see `SceneRenderer.load`). Returns the bytes uploaded.
  func load(_ scene: Scene, reserveColumns: Int, reserveRows: Int) -> Int {
    release()
    var bytes = 0
    for trace in scene.traces {
      switch trace {
      case .surface(let surface):
        slots.append((0, surfaces.count))
        let (s, b) = makeSurface(surface, in: scene, reserveColumns: reserveColumns, reserveRows: reserveRows)
        surfaces.append(s)
        bytes += b
      case .scatter(let trace):
        slots.append((1, scatters.count))
        let (s, b) = makeScatter(trace, in: scene)
        scatters.append(s)
        bytes += b
      case .mesh(let trace):
        slots.append((2, meshes.count))
        meshes.append((makeMesh(trace, in: scene), trace.opacity < 0.999))
      }
    }
    axes = (scene.x, scene.y, scene.z, scene.aspect)
    return bytes
  }

  /// Runs `plan` (made for `scene` from `loaded`). Returns the bytes uploaded.
  func apply(_ plan: UploadPlan, to scene: Scene) -> Int {
    var bytes = 0
    for (ti, trace) in scene.traces.enumerated() {
      let i = slots[ti].index
      switch (trace, plan.steps[ti]) {
      case (.surface(let surface), .surface(let appendFrom)):
        if let unchanged = appendFrom { bytes += appendColumns(of: surface, to: i, in: scene, keeping: unchanged) }
        surfaces[i].colormap = surface.colormap
        surfaces[i].opacity = Float(surface.opacity)
        surfaces[i].transform = SurfaceTransform(
          scene: scene, surface: surface, origin: surfaces[i].origin, colorOrigin: surfaces[i].colorOrigin)
      case (.scatter(let trace), .scatter(let appendFrom)):
        // In place: a copy of the entry would copy its per-point arrays.
        if let unchanged = appendFrom {
          let before = (scatters[i].markers?.growths ?? 0) + (scatters[i].lines?.growths ?? 0)
          bytes += writePoints(of: trace, into: &scatters[i], from: unchanged)
          bufferGrowths += (scatters[i].markers?.growths ?? 0) + (scatters[i].lines?.growths ?? 0) - before
        }
        if case .scalar(_, let map, _, _) = trace.colors { scatters[i].colormap = map }
        scatters[i].transform = ScatterTransform(scene: scene, trace: trace, frame: scatters[i].frame)
      case (.mesh(let trace), .mesh(let reload)):
        guard reload else { continue }
        meshes[i].mesh.destroy(on: device)
        meshes[i] = (makeMesh(trace, in: scene), trace.opacity < 0.999)
      default:
        preconditionFailure("an upload plan for another scene")
      }
    }
    axes = (scene.x, scene.y, scene.z, scene.aspect)
    return bytes
  }

  // MARK: - Surfaces

  /// A surface uploaded column-major, or row-major (`SurfaceAxisGeometry.transposed`) when
  /// `reserveRows` is positive, with room for that many layout columns to come.
  private func makeSurface(
    _ surface: SurfaceTrace, in scene: Scene, reserveColumns: Int, reserveRows: Int
  ) -> (GPUSurface, Int) {
    let transposed = reserveRows > 0
    let g = SurfaceAxisGeometry(surface: surface, in: scene, transposed: transposed)
    let mesh = VertexArray(layout: VertexPacking.Layouts.surface, indexed: true, device: device)
    let reserve = transposed ? reserveRows : reserveColumns
    if reserve > g.cols {
      mesh.reserve(
        vertices: g.rows * reserve,
        indices: SurfaceAxisGeometry.maxIndicesPerCellColumn(rows: g.rows) * (reserve - 1), device: device)
    }
    var bytes = mesh.write(vertices: g.vertices(columns: 0..<g.cols), from: 0, device: device)
    let t = g.triangles(cellColumns: 0..<max(0, g.cols - 1))
    bytes += mesh.write(indices: t.indices, from: 0, device: device)
    var starts = [0]
    for n in t.perColumn { starts.append(starts.last! + n) }
    let s = GPUSurface(
      mesh: mesh, colormap: surface.colormap, opacity: Float(surface.opacity), rows: g.rows, cols: g.cols,
      transposed: transposed, origin: g.origin, colorOrigin: g.colorOrigin, colorScale: surface.colorScale,
      cellColumnStart: starts,
      transform: SurfaceTransform(scene: scene, surface: surface, origin: g.origin, colorOrigin: g.colorOrigin))
    return (s, bytes)
  }

  /// Writes the layout columns from `unchanged` on (and the one before, whose normals change
  /// with its new neighbours). Returns the bytes uploaded.
  private func appendColumns(of surface: SurfaceTrace, to i: Int, in scene: Scene, keeping unchanged: Int) -> Int {
    let s = surfaces[i]
    let growthsBefore = s.mesh.growths
    let g = SurfaceAxisGeometry(
      surface: surface, in: scene, origin: s.origin, colorOrigin: s.colorOrigin, transposed: s.transposed)
    let firstVertexColumn = max(0, unchanged - 1)
    var bytes = s.mesh.write(
      vertices: g.vertices(columns: firstVertexColumn..<g.cols), from: firstVertexColumn * s.rows, device: device)
    let firstCell = min(firstVertexColumn, max(0, g.cols - 1))
    let t = g.triangles(cellColumns: firstCell..<max(firstCell, g.cols - 1))
    bytes += s.mesh.write(indices: t.indices, from: s.cellColumnStart[firstCell], device: device)
    surfaces[i].cellColumnStart.removeSubrange((firstCell + 1)...)
    for n in t.perColumn { surfaces[i].cellColumnStart.append(surfaces[i].cellColumnStart.last! + n) }
    surfaces[i].cols = g.cols
    bufferGrowths += s.mesh.growths - growthsBefore
    return bytes
  }

  // MARK: - Scatter and mesh traces

  /// A scatter trace uploaded in axis space, relative to the middle of the axis ranges and of
  /// its colour range.
  private func makeScatter(_ trace: ScatterTrace, in scene: Scene) -> (GPUScatter, Int) {
    let frame = VertexPacking.ScatterFrame(scene: scene, trace: trace)
    var colormap: Colormap?
    if case .scalar(_, let map, _, _) = trace.colors { colormap = map }
    let layout = VertexPacking.Layouts.scatter
    var s = GPUScatter(
      markers: trace.mode != .lines ? VertexArray(layout: layout, indexed: false, device: device) : nil,
      lines: trace.mode != .markers ? VertexArray(layout: layout, indexed: false, device: device) : nil,
      translucent: trace.opacity * Swift.min(trace.markerOpacity, 1) < 0.999, frame: frame, colormap: colormap,
      transform: ScatterTransform(scene: scene, trace: trace, frame: frame),
      count: 0, markerStart: [0], lineStart: [0], style: ScatterStyle(trace))
    let bytes = writePoints(of: trace, into: &s, from: 0)
    return (s, bytes)
  }

  /// Writes points `first...` of `trace` (new or rewritten) into `s`'s buffers. Returns the
  /// bytes uploaded.
  private func writePoints(of trace: ScatterTrace, into s: inout GPUScatter, from first: Int) -> Int {
    let k = min(first, s.count)
    let v = VertexPacking.scatter(trace, frame: s.frame, from: k, markerStart: s.markerStart, lineStart: s.lineStart)
    var bytes = 0
    if let m = s.markers { bytes += m.write(vertices: v.markers, from: s.markerStart[k], device: device) }
    if let l = s.lines { bytes += l.write(vertices: v.lines, from: s.lineStart[k], device: device) }
    s.markerStart = v.markerStart
    s.lineStart = v.lineStart
    s.count = trace.count
    return bytes
  }

  private func makeMesh(_ trace: MeshTrace, in scene: Scene) -> VertexArray {
    let m = VertexArray(layout: VertexPacking.Layouts.mesh, indexed: false, device: device)
    m.upload(vertices: VertexPacking.mesh(trace, in: scene))
    return m
  }

  /// Deletes the traces' buffers.
  func release() {
    for s in surfaces { s.mesh.destroy(on: device) }
    for s in scatters {
      s.markers?.destroy(on: device)
      s.lines?.destroy(on: device)
    }
    for m in meshes { m.mesh.destroy(on: device) }
    surfaces.removeAll()
    scatters.removeAll()
    meshes.removeAll()
    slots.removeAll()
    axes = nil
  }
}
