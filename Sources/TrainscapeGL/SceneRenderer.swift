import CGL
import TrainscapeCore

/// One vertex array with its buffers: `layout` lists (location, float components).
final class GPUMesh {
  private(set) var vao: GLuint = 0
  private(set) var vbo: GLuint = 0
  private(set) var ibo: GLuint = 0
  private(set) var vertexCount: Int32 = 0
  private(set) var indexCount: Int32 = 0
  let layout: [(location: GLuint, components: Int32)]
  let stride: Int

  init(layout: [(location: GLuint, components: Int32)], indexed: Bool) {
    self.layout = layout
    stride = layout.reduce(0) { $0 + Int($1.components) } * MemoryLayout<Float>.size
    glGenVertexArrays(1, &vao)
    glGenBuffers(1, &vbo)
    if indexed { glGenBuffers(1, &ibo) }
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vbo)
    var offset = 0
    for attribute in layout {
      glEnableVertexAttribArray(attribute.location)
      glVertexAttribPointer(
        attribute.location, attribute.components, GLenum(GL_FLOAT), GLboolean(GL_FALSE),
        GLsizei(stride), UnsafeRawPointer(bitPattern: offset))
      offset += Int(attribute.components) * MemoryLayout<Float>.size
    }
    if indexed { glBindBuffer(GLenum(GL_ELEMENT_ARRAY_BUFFER), ibo) }
    glBindVertexArray(0)
  }

  /// Replaces the vertex data (and indices, for an indexed mesh).
  func upload(vertices: [Float], indices: [UInt32]? = nil, usage: Int32 = GL_STATIC_DRAW) {
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vbo)
    vertices.withUnsafeBytes {
      glBufferData(GLenum(GL_ARRAY_BUFFER), $0.count, $0.baseAddress, GLenum(usage))
    }
    vertexCount = Int32(vertices.count * MemoryLayout<Float>.size / stride)
    if let indices {
      indices.withUnsafeBytes {
        glBufferData(GLenum(GL_ELEMENT_ARRAY_BUFFER), $0.count, $0.baseAddress, GLenum(usage))
      }
      indexCount = Int32(indices.count)
    }
    glBindVertexArray(0)
  }

  /// Capacity of the vertex and index buffers in bytes, for meshes written with `write`.
  private(set) var vertexCapacity = 0
  private(set) var indexCapacity = 0
  /// Times a write found its buffer too small and replaced it by a larger one (a copy on the GPU).
  private(set) var growths = 0

  /// Writes `vertices` from vertex `first` on, keeping the vertices before it; the vertex count
  /// becomes `first` plus the new ones. The buffer grows geometrically (the old contents are
  /// copied on the GPU), so appending costs the new data only. Returns the bytes uploaded.
  @discardableResult
  func write(vertices: [Float], from first: Int) -> Int {
    let offset = first * stride, bytes = vertices.count * MemoryLayout<Float>.size
    let used = Int(vertexCount) * stride
    if offset + bytes > vertexCapacity {
      growVertices(to: offset + bytes, keeping: min(used, offset))
      growths += 1
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), vbo)
    vertices.withUnsafeBytes {
      glBufferSubData(GLenum(GL_COPY_WRITE_BUFFER), offset, $0.count, $0.baseAddress)
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), 0)
    vertexCount = Int32(first + vertices.count * MemoryLayout<Float>.size / stride)
    return bytes
  }

  /// Writes `indices` from index `first` on, as `write(vertices:from:)` does for vertices.
  @discardableResult
  func write(indices: [UInt32], from first: Int) -> Int {
    precondition(ibo != 0, "write(indices:) on a mesh without indices")
    let offset = first * MemoryLayout<UInt32>.size, bytes = indices.count * MemoryLayout<UInt32>.size
    let used = Int(indexCount) * MemoryLayout<UInt32>.size
    if offset + bytes > indexCapacity {
      growIndices(to: offset + bytes, keeping: min(used, offset))
      growths += 1
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), ibo)
    indices.withUnsafeBytes {
      glBufferSubData(GLenum(GL_COPY_WRITE_BUFFER), offset, $0.count, $0.baseAddress)
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), 0)
    indexCount = Int32(first + indices.count)
    return bytes
  }

  /// Makes room for `vertices` vertices and `indices` indices (buffers of exactly that size when
  /// they are smaller), keeping what was written: writes up to those counts then fill the
  /// buffers in place, without the copy a growing buffer costs.
  func reserve(vertices: Int, indices: Int) {
    let vb = vertices * stride, ib = indices * MemoryLayout<UInt32>.size
    if vb > vertexCapacity { growVertices(to: vb, keeping: Int(vertexCount) * stride, exactly: true) }
    if ibo != 0, ib > indexCapacity {
      growIndices(to: ib, keeping: Int(indexCount) * MemoryLayout<UInt32>.size, exactly: true)
    }
  }

  private func growVertices(to needed: Int, keeping used: Int, exactly: Bool = false) {
    Self.grow(&vbo, used: used, capacity: &vertexCapacity, needed: needed, exactly: exactly)
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vbo)
    var o = 0
    for attribute in layout {
      glVertexAttribPointer(
        attribute.location, attribute.components, GLenum(GL_FLOAT), GLboolean(GL_FALSE),
        GLsizei(stride), UnsafeRawPointer(bitPattern: o))
      o += Int(attribute.components) * MemoryLayout<Float>.size
    }
    glBindVertexArray(0)
  }

  private func growIndices(to needed: Int, keeping used: Int, exactly: Bool = false) {
    Self.grow(&ibo, used: used, capacity: &indexCapacity, needed: needed, exactly: exactly)
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ELEMENT_ARRAY_BUFFER), ibo)
    glBindVertexArray(0)
  }

  /// Replaces `buffer` by one of at least `needed` bytes (twice the old capacity or more),
  /// copying its first `used` bytes on the GPU (`exactly`: `needed` bytes, at least 4096).
  private static func grow(_ buffer: inout GLuint, used: Int, capacity: inout Int, needed: Int, exactly: Bool = false) {
    let newCapacity = exactly ? max(needed, 4096) : max(needed, capacity * 2, 4096)
    var next: GLuint = 0
    glGenBuffers(1, &next)
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), next)
    glBufferData(GLenum(GL_COPY_WRITE_BUFFER), newCapacity, nil, GLenum(GL_DYNAMIC_DRAW))
    if used > 0 {
      glBindBuffer(GLenum(GL_COPY_READ_BUFFER), buffer)
      glCopyBufferSubData(GLenum(GL_COPY_READ_BUFFER), GLenum(GL_COPY_WRITE_BUFFER), 0, 0, used)
      glBindBuffer(GLenum(GL_COPY_READ_BUFFER), 0)
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), 0)
    glDeleteBuffers(1, &buffer)
    buffer = next
    capacity = newCapacity
  }

  func draw(_ mode: Int32) {
    glBindVertexArray(vao)
    if ibo != 0 {
      if indexCount > 0 {
        glDrawElements(GLenum(mode), indexCount, GLenum(GL_UNSIGNED_INT), nil)
      }
    } else if vertexCount > 0 {
      glDrawArrays(GLenum(mode), 0, vertexCount)
    }
    glBindVertexArray(0)
  }

  func destroy() {
    if ibo != 0 { glDeleteBuffers(1, &ibo) }
    glDeleteBuffers(1, &vbo)
    glDeleteVertexArrays(1, &vao)
    vao = 0; vbo = 0; ibo = 0
  }
}

/// Lighting parameters of the surface shader (Blinn-Phong).
public struct Lighting: Sendable, Equatable {
  public var ambient: Float = 0.42
  public var diffuse: Float = 0.62
  public var specular: Float = 0.12
  public var shininess: Float = 40
  public init() {}
}

/// What a renderer has uploaded so far: whole scenes (`load`) and surfaces extended in place
/// (`apply`), with the bytes sent to the GPU. The follow tests and benchmark read it.
public struct UploadStatistics: Sendable, Equatable {
  /// Scenes uploaded from scratch.
  public var loads = 0
  /// Deltas applied in place (`apply` that did not fall back to `load`).
  public var appends = 0
  /// Vertex and index bytes uploaded, in all and by the last `load` or `apply`.
  public var bytes = 0
  public var lastBytes = 0
  /// Surface buffers that an `apply` found too small and replaced by larger ones, copying their
  /// contents on the GPU (`load(_:reserveColumns:)` makes room so that appends do not).
  public var bufferGrowths = 0
  public init() {}
}

/// A surface on the GPU: axis-space vertices (`SurfaceAxisGeometry`) and what maps them into
/// the box and onto the colour map.
private struct GPUSurface {
  var mesh: GPUMesh
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

/// A scatter trace on the GPU: markers and line segments with axis-space positions (relative
/// to `origin`) and colour values (relative to `colorOrigin`), so that new axis or colour ranges
/// are uniforms and a trace that grows only uploads its new points.
private struct GPUScatter {
  var markers: GPUMesh?
  var lines: GPUMesh?
  var translucent: Bool
  var origin: Vec3
  var colorOrigin: Double
  /// The colour map of a trace coloured by value (`PointColors.scalar`), nil otherwise.
  var colormap: Colormap?
  var transform: ScatterTransform
  /// Points uploaded.
  var count: Int
  /// Per point i (and one past the last): marker vertices for the points before i, and line
  /// vertices for the segments that end before point i.
  var markerStart: [Int]
  var lineStart: [Int]
  /// What the vertices were made with: a change there is a reload.
  var style: ScatterStyle
  /// The axes' scales, for the axis-space positions.
  var scales: (x: AxisScale, y: AxisScale, z: AxisScale) = (.linear, .linear, .linear)

  /// Point i's axis-space position relative to `origin`; nil when not drawable.
  func axisPosition(_ t: ScatterTrace, _ i: Int) -> Vec3? {
    func tr(_ v: Double, _ scale: AxisScale) -> Double {
      AxisSpec(title: "", scale: scale, range: 1...2).transform(v)
    }
    let q = Vec3(tr(t.x[i], scales.x) - origin.x, tr(t.y[i], scales.y) - origin.y, tr(t.z[i], scales.z) - origin.z)
    return q.isFinite ? q : nil
  }
}

/// The parts of a scatter trace baked into its vertices besides positions and colour values.
struct ScatterStyle: Equatable {
  var mode: ScatterTrace.Mode
  var symbol: ScatterTrace.Symbol
  var markerSize: Double
  var lineWidth: Double
  var opacity: Double
  /// Solid colour, per-point colours (their count is not compared), or the colour scale.
  var colors: String

  init(_ t: ScatterTrace) {
    mode = t.mode
    symbol = t.symbol
    markerSize = t.markerSize
    lineWidth = t.lineWidth
    opacity = t.opacity
    switch t.colors {
    case .solid(let c): colors = "solid \(c.r) \(c.g) \(c.b)"
    case .perPoint: colors = "per point"
    case .scalar(_, _, _, let scale): colors = "scalar \(scale)"
    }
  }
}

/// Axis space -> normalized box and colour value -> colour-map coordinate for a scatter trace,
/// as `SurfaceTransform` does for surfaces.
struct ScatterTransform {
  var scale: Vec3
  var offset: Vec3
  var colorScale: Double
  var colorOffset: Double

  init(scene: Scene, trace: ScatterTrace, origin: Vec3, colorOrigin: Double) {
    func axis(_ a: AxisSpec, _ aspect: Double, _ o: Double) -> (Double, Double) {
      let (lo, hi) = a.transformedRange
      let s = aspect / (hi - lo)
      return (s, (o - lo) * s - 0.5 * aspect)
    }
    let (sx, ox) = axis(scene.x, scene.aspect.x, origin.x)
    let (sy, oy) = axis(scene.y, scene.aspect.y, origin.y)
    let (sz, oz) = axis(scene.z, scene.aspect.z, origin.z)
    scale = Vec3(sx, sy, sz)
    offset = Vec3(ox, oy, oz)
    if case .scalar(_, _, let range, let cs) = trace.colors {
      let (clo, chi) = AxisSpec(title: "", scale: cs, range: range).transformedRange
      colorScale = 1 / (chi - clo)
      colorOffset = (colorOrigin - clo) * colorScale
    } else {
      colorScale = 1
      colorOffset = 0
    }
  }
}

/// Draws a `Scene` into the framebuffer that is bound when `draw` is called. It owns every GL
/// object it creates; `destroy()` releases them and must run on the thread that owns the context.
///
/// Does not: create a context or a window, choose the framebuffer, or read pixels back.
/// The headless and window backends do those.
public final class SceneRenderer {
  private let surfaceProgram: GLProgram
  private let surfaceVertexLitProgram: GLProgram
  private let lineProgram: GLProgram
  private let flatProgram: GLProgram
  private let textProgram: GLProgram
  private let colorbarProgram: GLProgram
  private let scatterLineProgram: GLProgram
  private let scatterPointProgram: GLProgram
  private let meshProgram: GLProgram
  private let fxaaProgram: GLProgram
  private var emptyVAO: GLuint = 0
  /// mesh3d traces: (position, normal, colour) triangles, not indexed (flat per face colour allowed).
  private var meshes: [(mesh: GPUMesh, translucent: Bool)] = []
  /// Scatter traces: markers (position, colour, size, colour value) and line segments
  /// (position, colour, width, colour value), in axis space.
  private var scatters: [GPUScatter] = []
  private var fontTexture: GLuint = 0
  private var colormapTextures: [Colormap: GLuint] = [:]
  private var surfaces: [GPUSurface] = []
  /// Which kind of trace each trace of the loaded scene is, and its index in its list.
  private var slots: [(kind: Int, index: Int)] = []
  /// The loaded scene's axes and box (scatter and mesh traces are uploaded normalized to them).
  private var loadedAxes: (x: AxisSpec, y: AxisSpec, z: AxisSpec, aspect: Vec3)?
  /// Uploads so far.
  public private(set) var uploads = UploadStatistics()
  private let lines: GPUMesh
  private let flat: GPUMesh
  private let text: GPUMesh
  private let colorbar: GPUMesh
  public var lighting = Lighting()
  /// Draw surfaces as their triangle edges (glPolygonMode LINE); the interactive viewer's W key.
  public var wireframe = false
  /// Light dense surfaces (at least `denseGrid` cells each way) per vertex instead of per pixel:
  /// the same image to the eye when cells are a few pixels wide, at a fraction of the per-pixel
  /// cost on a software rasterizer. Frame sequences (`RenderQuality.draft`/`.final`) use it;
  /// single renders and the viewer light every pixel.
  public var vertexLighting = false
  /// Cells per side from which a surface counts as dense for `vertexLighting`.
  public static let denseGrid = 64
  private var destroyed = false

  /// Compiles the shaders and uploads the font atlas. Needs a current OpenGL 3.3 core context.
  public init() throws {
    surfaceProgram = try GLProgram(
      name: "surface",
      stages: [("surface.vert", GL_VERTEX_SHADER), ("surface.frag", GL_FRAGMENT_SHADER)])
    surfaceVertexLitProgram = try GLProgram(
      name: "surface_vertexlit",
      stages: [
        ("surface_vertexlit.vert", GL_VERTEX_SHADER), ("surface_vertexlit.frag", GL_FRAGMENT_SHADER),
      ])
    lineProgram = try GLProgram(
      name: "line",
      stages: [
        ("line.vert", GL_VERTEX_SHADER), ("line.geom", GL_GEOMETRY_SHADER),
        ("line.frag", GL_FRAGMENT_SHADER),
      ])
    flatProgram = try GLProgram(
      name: "flat", stages: [("flat.vert", GL_VERTEX_SHADER), ("flat.frag", GL_FRAGMENT_SHADER)])
    textProgram = try GLProgram(
      name: "text", stages: [("text.vert", GL_VERTEX_SHADER), ("text.frag", GL_FRAGMENT_SHADER)])
    colorbarProgram = try GLProgram(
      name: "colorbar",
      stages: [("colorbar.vert", GL_VERTEX_SHADER), ("colorbar.frag", GL_FRAGMENT_SHADER)])
    scatterLineProgram = try GLProgram(
      name: "scatter_line",
      stages: [
        ("scatter_line.vert", GL_VERTEX_SHADER), ("line.geom", GL_GEOMETRY_SHADER),
        ("line.frag", GL_FRAGMENT_SHADER),
      ])
    scatterPointProgram = try GLProgram(
      name: "scatter_point",
      stages: [("scatter_point.vert", GL_VERTEX_SHADER), ("point.frag", GL_FRAGMENT_SHADER)])
    meshProgram = try GLProgram(
      name: "mesh", stages: [("mesh.vert", GL_VERTEX_SHADER), ("mesh.frag", GL_FRAGMENT_SHADER)])
    fxaaProgram = try GLProgram(
      name: "fxaa", stages: [("fxaa.vert", GL_VERTEX_SHADER), ("fxaa.frag", GL_FRAGMENT_SHADER)])
    glGenVertexArrays(1, &emptyVAO)
    lines = GPUMesh(layout: [(0, 3), (1, 4), (2, 1)], indexed: false)
    flat = GPUMesh(layout: [(0, 3), (1, 4)], indexed: false)
    text = GPUMesh(layout: [(0, 2), (1, 2), (2, 4)], indexed: false)
    colorbar = GPUMesh(layout: [(0, 2), (1, 1)], indexed: false)
    fontTexture = Self.makeTexture(
      width: FontAtlas.shared.width, height: FontAtlas.shared.height,
      format: GL_RED, pixels: FontAtlas.shared.pixels, linear: true)
  }

  deinit {
    // GL objects must be deleted on the context's thread: `destroy()` does that.
    // Here we only check that nobody forgot.
    assert(destroyed, "SceneRenderer released without destroy(): GL objects leaked")
  }

  /// The number of GL objects this renderer holds (0 after `destroy()`).
  public var liveObjectCount: Int {
    destroyed
      ? 0
      : 10 + 1 + 4 + 1 + colormapTextures.count + surfaces.count + meshes.count
        + scatters.reduce(0) { $0 + ($1.markers == nil ? 0 : 1) + ($1.lines == nil ? 0 : 1) }
  }

  // MARK: - Scene data

  /// Builds and uploads the meshes of `scene`'s traces. Call once per scene; frames that only
  /// move the camera reuse them, and `apply` extends them.
  ///
  /// `reserveColumns`: for a scene that will grow (a followed run), every surface's buffers get
  /// room for that many columns (when it has fewer), so that `apply` writes the columns of
  /// later updates in place instead of first growing (copying) the buffers.
  ///
  /// `reserveRows`: for a scene whose surfaces grow along their rows (the single-run loss
  /// landscape), when positive, surfaces are uploaded row-major (`SurfaceAxisGeometry`'s
  /// `transposed` layout) so that `apply` appends rows, with room for that many rows.
  public func load(_ scene: Scene, reserveColumns: Int = 0, reserveRows: Int = 0) {
    releaseTraces()
    var bytes = 0
    for trace in scene.traces {
      switch trace {
      case .surface(let surface):
        slots.append((0, surfaces.count))
        let transposed = reserveRows > 0
        let g = SurfaceAxisGeometry(surface: surface, in: scene, transposed: transposed)
        let gpu = GPUMesh(layout: [(0, 3), (1, 3), (2, 1)], indexed: true)
        // Room for the layout columns to come: the trace's columns, or its rows when transposed.
        let reserve = transposed ? reserveRows : reserveColumns
        if reserve > g.cols {
          gpu.reserve(
            vertices: g.rows * reserve,
            indices: SurfaceAxisGeometry.maxIndicesPerCellColumn(rows: g.rows) * (reserve - 1))
        }
        bytes += gpu.write(vertices: g.vertices(columns: 0..<g.cols), from: 0)
        let t = g.triangles(cellColumns: 0..<max(0, g.cols - 1))
        bytes += gpu.write(indices: t.indices, from: 0)
        var starts = [0]
        for n in t.perColumn { starts.append(starts.last! + n) }
        surfaces.append(GPUSurface(
          mesh: gpu, colormap: surface.colormap, opacity: Float(surface.opacity), rows: g.rows,
          cols: g.cols, transposed: transposed, origin: g.origin, colorOrigin: g.colorOrigin,
          colorScale: surface.colorScale, cellColumnStart: starts,
          transform: SurfaceTransform(scene: scene, surface: surface, origin: g.origin, colorOrigin: g.colorOrigin)))
        _ = colormapTexture(surface.colormap)
      case .scatter(let trace):
        slots.append((1, scatters.count))
        let (gpu, b) = Self.upload(trace, in: scene)
        scatters.append(gpu)
        bytes += b
      case .mesh(let trace):
        slots.append((2, meshes.count))
        meshes.append((Self.upload(trace, in: scene), trace.opacity < 0.999))
      }
    }
    loadedAxes = (scene.x, scene.y, scene.z, scene.aspect)
    if let cb = scene.colorBar { _ = colormapTexture(cb.colormap) }
    uploads.loads += 1
    uploads.bytes += bytes
    uploads.lastBytes = bytes
  }

  /// Brings the loaded scene up to `scene`, which extends it as `delta` says: surfaces that
  /// grew get their new and rewritten columns (plus the column before them, whose normals
  /// change) written into their buffers (rows, for surfaces that grew along their rows and
  /// were loaded row-major with `reserveRows`); every surface takes the new axis and colour ranges
  /// as uniforms. Scatter and mesh traces are uploaded again only when the axis ranges moved
  /// (their vertices are normalized to the box). Falls back to `load` (and returns false) when
  /// there is no delta or it does not fit what is loaded: other traces, another axis scale,
  /// rows grown on a surface loaded column-major (`reserveColumns` and `reserveRows` are then
  /// passed on to `load`).
  @discardableResult
  public func apply(_ scene: Scene, delta: SceneDelta?, reserveColumns: Int = 0, reserveRows: Int = 0) -> Bool {
    guard let delta, let axes = loadedAxes, let (growth, scatterGrowth) = layoutGrowth(scene, delta, axes) else {
      load(scene, reserveColumns: reserveColumns, reserveRows: reserveRows)
      return false
    }
    let axesMoved = axes.x != scene.x || axes.y != scene.y || axes.z != scene.z || axes.aspect != scene.aspect
    var bytes = 0
    for (ti, trace) in scene.traces.enumerated() {
      let slot = slots[ti]
      switch trace {
      case .surface(let surface):
        var s = surfaces[slot.index]
        if let unchanged = growth[ti] {
          let growthsBefore = s.mesh.growths
          let g = SurfaceAxisGeometry(
            surface: surface, in: scene, origin: s.origin, colorOrigin: s.colorOrigin, transposed: s.transposed)
          // The first changed column's left neighbour gains triangles: its normals change.
          let firstVertexColumn = max(0, unchanged - 1)
          bytes += s.mesh.write(
            vertices: g.vertices(columns: firstVertexColumn..<g.cols), from: firstVertexColumn * s.rows)
          let firstCell = min(firstVertexColumn, max(0, g.cols - 1))
          let t = g.triangles(cellColumns: firstCell..<max(firstCell, g.cols - 1))
          bytes += s.mesh.write(indices: t.indices, from: s.cellColumnStart[firstCell])
          s.cellColumnStart.removeSubrange((firstCell + 1)...)
          for n in t.perColumn { s.cellColumnStart.append(s.cellColumnStart.last! + n) }
          s.cols = g.cols
          uploads.bufferGrowths += s.mesh.growths - growthsBefore
        }
        s.colormap = surface.colormap
        s.opacity = Float(surface.opacity)
        s.transform = SurfaceTransform(scene: scene, surface: surface, origin: s.origin, colorOrigin: s.colorOrigin)
        surfaces[slot.index] = s
        _ = colormapTexture(surface.colormap)
      case .scatter(let trace):
        // In place: a copy of the entry would copy its per-point arrays.
        let i = slot.index
        if let unchanged = scatterGrowth[ti] {
          let growthsBefore = (scatters[i].markers?.growths ?? 0) + (scatters[i].lines?.growths ?? 0)
          bytes += Self.write(trace, into: &scatters[i], from: unchanged)
          uploads.bufferGrowths += (scatters[i].markers?.growths ?? 0) + (scatters[i].lines?.growths ?? 0) - growthsBefore
        }
        if case .scalar(_, let map, _, _) = trace.colors {
          scatters[i].colormap = map
          _ = colormapTexture(map)
        }
        scatters[i].transform = ScatterTransform(
          scene: scene, trace: trace, origin: scatters[i].origin, colorOrigin: scatters[i].colorOrigin)
      case .mesh(let trace):
        guard axesMoved else { continue }
        meshes[slot.index].mesh.destroy()
        meshes[slot.index] = (Self.upload(trace, in: scene), trace.opacity < 0.999)
      }
    }
    loadedAxes = (scene.x, scene.y, scene.z, scene.aspect)
    if let cb = scene.colorBar { _ = colormapTexture(cb.colormap) }
    uploads.appends += 1
    uploads.bytes += bytes
    uploads.lastBytes = bytes
    return true
  }

  /// Whether `delta` takes the loaded scene to `scene` (the same traces of the same kinds, the
  /// same axis and colour scales, surfaces of the same shape except those that grew from
  /// what is loaded, along the axis their layout appends): then, per grown surface, the
  /// layout columns that stay (trace columns, or trace rows for a row-major upload), and per
  /// grown scatter trace the points that stay; else nil.
  private func layoutGrowth(
    _ scene: Scene, _ delta: SceneDelta, _ axes: (x: AxisSpec, y: AxisSpec, z: AxisSpec, aspect: Vec3)
  ) -> (surfaces: [Int: Int], scatters: [Int: Int])? {
    guard scene.traces.count == slots.count, scene.x.scale == axes.x.scale,
      scene.y.scale == axes.y.scale, scene.z.scale == axes.z.scale
    else { return nil }
    // Per trace: (previous, unchanged) along the trace's columns (false) or rows (true).
    var growth: [Int: (rows: Bool, previous: Int, unchanged: Int)] = [:]
    let entries = delta.surfaces.map { ($0.trace, false, $0.previousColumns, $0.unchangedColumns) }
      + delta.surfaceRows.map { ($0.trace, true, $0.previousRows, $0.unchangedRows) }
    for (trace, rows, previous, unchanged) in entries {
      guard trace >= 0, trace < slots.count, growth[trace] == nil else { return nil }
      growth[trace] = (rows, previous, unchanged)
    }
    var points: [Int: ScatterGrowth] = [:]
    for g in delta.scatters {
      guard g.trace >= 0, g.trace < slots.count, growth[g.trace] == nil, points[g.trace] == nil else { return nil }
      points[g.trace] = g
    }
    var out: [Int: Int] = [:], scatterOut: [Int: Int] = [:]
    for (ti, trace) in scene.traces.enumerated() {
      let slot = slots[ti]
      switch trace {
      case .surface(let t):
        guard slot.kind == 0 else { return nil }
        let s = surfaces[slot.index]
        // The trace's extent across and along the uploaded layout's columns.
        let (across, along) = s.transposed ? (t.cols, t.rows) : (t.rows, t.cols)
        guard across == s.rows, t.colorScale == s.colorScale else { return nil }
        if let g = growth[ti] {
          guard g.rows == s.transposed, g.previous == s.cols, g.unchanged <= s.cols, along >= g.unchanged
          else { return nil }
          out[ti] = g.unchanged
        } else if along != s.cols {
          return nil
        }
      case .scatter(let t):
        guard slot.kind == 1, growth[ti] == nil else { return nil }
        let s = scatters[slot.index]
        guard ScatterStyle(t) == s.style else { return nil }
        if let g = points[ti] {
          guard g.previousCount == s.count, t.count >= g.unchangedCount else { return nil }
          scatterOut[ti] = g.unchangedCount
        } else if t.count != s.count {
          return nil
        }
      case .mesh:
        guard slot.kind == 2, growth[ti] == nil, points[ti] == nil else { return nil }
      }
    }
    return (out, scatterOut)
  }

  /// Uploads a scatter trace in axis space (see `GPUScatter`), relative to the middle of the
  /// axis ranges and of its colour range. Returns it and the bytes uploaded.
  private static func upload(_ trace: ScatterTrace, in scene: Scene) -> (GPUScatter, Int) {
    func middle(_ a: AxisSpec) -> Double {
      let (lo, hi) = a.transformedRange
      return (lo + hi) / 2
    }
    let origin = Vec3(middle(scene.x), middle(scene.y), middle(scene.z))
    var colorOrigin = 0.0
    var colormap: Colormap?
    if case .scalar(_, let map, let range, let scale) = trace.colors {
      colorOrigin = middle(AxisSpec(title: "", scale: scale, range: range))
      colormap = map
    }
    let layout: [(location: GLuint, components: Int32)] = [(0, 3), (1, 4), (2, 1), (3, 1)]
    var s = GPUScatter(
      markers: trace.mode != .lines ? GPUMesh(layout: layout, indexed: false) : nil,
      lines: trace.mode != .markers ? GPUMesh(layout: layout, indexed: false) : nil,
      translucent: trace.opacity < 0.999, origin: origin, colorOrigin: colorOrigin, colormap: colormap,
      transform: ScatterTransform(scene: scene, trace: trace, origin: origin, colorOrigin: colorOrigin),
      count: 0, markerStart: [0], lineStart: [0], style: ScatterStyle(trace),
      scales: (scene.x.scale, scene.y.scale, scene.z.scale))
    let bytes = write(trace, into: &s, from: 0)
    return (s, bytes)
  }

  /// point.frag's `u_symbol`.
  static func symbolCode(_ s: ScatterTrace.Symbol) -> Int32 {
    switch s {
    case .circle: return 0
    case .ring: return 1
    case .cross: return 2
    }
  }

  /// The colour value written for a point whose colour is not from the colour map (or missing):
  /// the shaders use the vertex colour for values above 1e37.
  static let vertexColor: Float = 3.0e38

  /// Writes points `first...` of `trace` (new or rewritten) into `s`'s buffers: their markers,
  /// and the segments that end at them. Points that are not finite (or not positive on a log
  /// axis) are skipped, and the line breaks there. Returns the bytes uploaded.
  private static func write(_ trace: ScatterTrace, into s: inout GPUScatter, from first: Int) -> Int {
    let n = trace.count
    let k = min(first, s.count)
    s.markerStart.removeSubrange((k + 1)...)
    s.lineStart.removeSubrange((k + 1)...)
    // Positions of points k - 1 ..< n in axis space, relative to the origin (nil: not drawable).
    let lo = max(0, k - 1)
    var positions: [Vec3?] = []
    positions.reserveCapacity(n - lo)
    for i in lo..<n { positions.append(s.axisPosition(trace, i)) }
    func p(_ i: Int) -> Vec3? { positions[i - lo] }
    let a = Float(trace.opacity)
    func color(_ i: Int) -> (Float, Float, Float, Float) {
      switch trace.colors {
      case .solid(let c): return (Float(c.r), Float(c.g), Float(c.b), vertexColor)
      case .perPoint(let cs): return (Float(cs[i].r), Float(cs[i].g), Float(cs[i].b), vertexColor)
      case .scalar(let values, _, _, let scale):
        let v = AxisSpec(title: "", scale: scale, range: 1...2).transform(values[i]) - s.colorOrigin
        if !v.isFinite {  // as PointColors.color(at:)
          let c = Colormap.badColor
          return (Float(c.r), Float(c.g), Float(c.b), vertexColor)
        }
        return (0, 0, 0, Float(min(max(v, -1e30), 1e30)))  // Float range
      }
    }
    var bytes = 0
    var markerVertices: [Float] = [], lineVertices: [Float] = []
    var markers = s.markerStart[k], lines = s.lineStart[k]
    for i in k..<n {
      if let q = p(i) {
        let c = color(i)
        markerVertices += [Float(q.x), Float(q.y), Float(q.z), c.0, c.1, c.2, a, Float(trace.markerSize), c.3]
        markers += 1
        if i > 0, let q0 = p(i - 1) {
          let c0 = color(i - 1)
          lineVertices += [Float(q0.x), Float(q0.y), Float(q0.z), c0.0, c0.1, c0.2, a, Float(trace.lineWidth), c0.3]
          lineVertices += [Float(q.x), Float(q.y), Float(q.z), c.0, c.1, c.2, a, Float(trace.lineWidth), c.3]
          lines += 2
        }
      }
      s.markerStart.append(markers)
      s.lineStart.append(lines)
    }
    if let m = s.markers { bytes += m.write(vertices: markerVertices, from: s.markerStart[k]) }
    if let l = s.lines { bytes += l.write(vertices: lineVertices, from: s.lineStart[k]) }
    s.count = n
    return bytes
  }

  /// Builds a mesh3d trace's triangles with smooth normals; faces with a non-finite or
  /// out-of-range vertex are skipped.
  private static func upload(_ trace: MeshTrace, in scene: Scene) -> GPUMesh {
    let n = trace.x.count
    var p = [Vec3?](repeating: nil, count: n)
    for v in 0..<n {
      let q = scene.normalized(trace.x[v], trace.y[v], trace.z[v])
      if q.isFinite { p[v] = q }
    }
    var faces: [(Int, Int, Int)] = []
    var acc = [Vec3](repeating: .zero, count: n)
    for f in 0..<trace.i.count {
      let a = Int(trace.i[f]), b = Int(trace.j[f]), c = Int(trace.k[f])
      guard a >= 0, b >= 0, c >= 0, a < n, b < n, c < n, let pa = p[a], let pb = p[b], let pc = p[c]
      else { continue }
      let fn = (pb - pa).cross(pc - pa)
      acc[a] = acc[a] + fn; acc[b] = acc[b] + fn; acc[c] = acc[c] + fn
      faces.append((a, b, c))
    }
    var v: [Float] = []
    v.reserveCapacity(faces.count * 30)
    let alpha = Float(trace.opacity)
    for (a, b, c) in faces {
      for idx in [a, b, c] {
        let q = p[idx]!, nrm = acc[idx].length > 0 ? acc[idx].normalized : Vec3(0, 0, 1)
        let col = trace.colors.color(at: idx)
        v += [Float(q.x), Float(q.y), Float(q.z), Float(nrm.x), Float(nrm.y), Float(nrm.z),
              Float(col.r), Float(col.g), Float(col.b), alpha]
      }
    }
    let m = GPUMesh(layout: [(0, 3), (1, 3), (2, 4)], indexed: false)
    m.upload(vertices: v)
    return m
  }

  private func colormapTexture(_ map: Colormap) -> GLuint {
    if let t = colormapTextures[map] { return t }
    var rgba = [UInt8](repeating: 255, count: 256 * 4)
    for i in 0..<256 {
      rgba[i * 4] = map.table[i * 3]
      rgba[i * 4 + 1] = map.table[i * 3 + 1]
      rgba[i * 4 + 2] = map.table[i * 3 + 2]
    }
    let t = Self.makeTexture(width: 256, height: 1, format: GL_RGBA, pixels: rgba, linear: true)
    colormapTextures[map] = t
    return t
  }

  private static func makeTexture(
    width: Int, height: Int, format: Int32, pixels: [UInt8], linear: Bool
  ) -> GLuint {
    var t: GLuint = 0
    glGenTextures(1, &t)
    glBindTexture(GLenum(GL_TEXTURE_2D), t)
    glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 1)
    let internalFormat = format == GL_RED ? GL_R8 : GL_RGBA8
    pixels.withUnsafeBytes {
      glTexImage2D(
        GLenum(GL_TEXTURE_2D), 0, internalFormat, GLsizei(width), GLsizei(height), 0,
        GLenum(format), GLenum(GL_UNSIGNED_BYTE), $0.baseAddress)
    }
    let filter = linear ? GL_LINEAR : GL_NEAREST
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MIN_FILTER), filter)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MAG_FILTER), filter)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_WRAP_S), GL_CLAMP_TO_EDGE)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_WRAP_T), GL_CLAMP_TO_EDGE)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
    return t
  }

  // MARK: - Frame

  /// Draws one frame laid out by `FigureLayoutBuilder` into the bound framebuffer, which must be
  /// `layout.width` x `layout.height` pixels.
  public func draw(_ layout: FrameLayout, background: RGBColor, backgroundAlpha: Float = 1) {
    drawPlot(layout, background: background, backgroundAlpha: backgroundAlpha)
    drawOverlay(layout)
  }

  /// Clears the framebuffer and draws the 3D plot (panes, grid, data, axes): the part that
  /// anti-aliasing by post-processing (`drawFXAA`) smooths before `drawOverlay` adds the text.
  public func drawPlot(_ layout: FrameLayout, background: RGBColor, backgroundAlpha: Float = 1) {
    precondition(!destroyed, "draw after destroy()")
    glViewport(0, 0, GLsizei(layout.width), GLsizei(layout.height))
    glDisable(GLenum(GL_SCISSOR_TEST))
    glClearColor(Float(background.r), Float(background.g), Float(background.b), backgroundAlpha)
    glClearDepth(1)
    glDepthMask(GLboolean(GL_TRUE))
    glClear(GLbitfield(GL_COLOR_BUFFER_BIT) | GLbitfield(GL_DEPTH_BUFFER_BIT))
    glEnable(GLenum(GL_BLEND))
    glBlendFuncSeparate(
      GLenum(GL_SRC_ALPHA), GLenum(GL_ONE_MINUS_SRC_ALPHA), GLenum(GL_ONE),
      GLenum(GL_ONE_MINUS_SRC_ALPHA))
    glDisable(GLenum(GL_CULL_FACE))

    // 3D plot, in its own viewport (GL counts rows from the bottom).
    let r = layout.plotRect
    glViewport(
      GLint(r.x.rounded()), GLint((Double(layout.height) - r.maxY).rounded()),
      GLsizei(r.width.rounded()), GLsizei(r.height.rounded()))
    let viewProjection = (layout.projection * layout.view).floats

    // Back panes and their grid: behind everything, no depth.
    glDisable(GLenum(GL_DEPTH_TEST))
    var paneVertices: [Float] = []
    for q in layout.panes {
      for i in [0, 1, 2, 0, 2, 3] {
        let p = q.corners[i]
        paneVertices += [Float(p.x), Float(p.y), Float(p.z), q.color.r, q.color.g, q.color.b, q.color.a]
      }
    }
    flatProgram.use()
    flatProgram.set("u_matrix", viewProjection)
    flat.upload(vertices: paneVertices, usage: GL_STREAM_DRAW)
    // Opaque draws skip blending: on a software rasterizer, reading the framebuffer back for
    // every fragment is a measurable part of the frame.
    if layout.panes.allSatisfy({ $0.color.a >= 1 }) { glDisable(GLenum(GL_BLEND)) }
    flat.draw(GL_TRIANGLES)
    glEnable(GLenum(GL_BLEND))
    drawSceneLines(
      layout.sceneLines.filter { !$0.depthTested }, matrix: viewProjection,
      viewport: (Float(r.width), Float(r.height)))

    // Data.
    glEnable(GLenum(GL_DEPTH_TEST))
    glDepthFunc(GLenum(GL_LEQUAL))
    for program in [surfaceProgram, surfaceVertexLitProgram] {
      setLitUniforms(program, layout)
      program.set("u_colormap", sampler: 0)
    }
    glActiveTexture(GLenum(GL_TEXTURE0))
    // Opaque first (no blending needed), then translucent ones without depth writes.
    if wireframe { glPolygonMode(GLenum(GL_FRONT_AND_BACK), GLenum(GL_LINE)) }
    for pass in [false, true] {
      for s in surfaces where (s.opacity < 0.999) == pass {
        glDepthMask(GLboolean(pass ? GL_FALSE : GL_TRUE))
        if pass { glEnable(GLenum(GL_BLEND)) } else { glDisable(GLenum(GL_BLEND)) }
        let program = vertexLighting && s.dense ? surfaceVertexLitProgram : surfaceProgram
        program.use()
        glBindTexture(GLenum(GL_TEXTURE_2D), colormapTexture(s.colormap))
        program.set("u_opacity", s.opacity)
        let t = s.transform
        program.set("u_scale", Float(t.scale.x), Float(t.scale.y), Float(t.scale.z))
        program.set("u_offset", Float(t.offset.x), Float(t.offset.y), Float(t.offset.z))
        program.set("u_normal_scale", Float(t.normalScale.x), Float(t.normalScale.y), Float(t.normalScale.z))
        program.set("u_color", Float(t.colorScale), Float(t.colorOffset))
        s.mesh.draw(GL_TRIANGLES)
      }
    }
    glEnable(GLenum(GL_BLEND))
    if wireframe { glPolygonMode(GLenum(GL_FRONT_AND_BACK), GLenum(GL_FILL)) }
    if !meshes.isEmpty {
      setLitUniforms(meshProgram, layout)
      for pass in [false, true] {
        glDepthMask(GLboolean(pass ? GL_FALSE : GL_TRUE))
        for m in meshes where m.translucent == pass { m.mesh.draw(GL_TRIANGLES) }
      }
    }
    glDepthMask(GLboolean(GL_TRUE))
    // Scatter traces: opaque ones write depth; translucent ones are drawn after, without.
    // Markers and lines shrink with the image, but not below 60% of their size.
    let markerUnit = Float(max(layout.unit, 0.6))
    glEnable(GLenum(GL_PROGRAM_POINT_SIZE))
    for pass in [false, true] {
      glDepthMask(GLboolean(pass ? GL_FALSE : GL_TRUE))
      for s in scatters where s.translucent == pass {
        if let map = s.colormap { glBindTexture(GLenum(GL_TEXTURE_2D), colormapTexture(map)) }
        func setScatterUniforms(_ program: GLProgram) {
          program.use()
          program.set("u_matrix", viewProjection)
          let t = s.transform
          program.set("u_scale", Float(t.scale.x), Float(t.scale.y), Float(t.scale.z))
          program.set("u_offset", Float(t.offset.x), Float(t.offset.y), Float(t.offset.z))
          program.set("u_color", Float(t.colorScale), Float(t.colorOffset))
          program.set("u_use_colormap", integer: s.colormap == nil ? 0 : 1)
          program.set("u_colormap", sampler: 0)
        }
        if let l = s.lines {
          setScatterUniforms(scatterLineProgram)
          scatterLineProgram.set("u_viewport", Float(r.width) / markerUnit, Float(r.height) / markerUnit)
          l.draw(GL_LINES)
        }
        if let m = s.markers {
          setScatterUniforms(scatterPointProgram)
          scatterPointProgram.set("u_scale_px", markerUnit)
          scatterPointProgram.set("u_symbol", integer: Self.symbolCode(s.style.symbol))
          m.draw(GL_POINTS)
        }
      }
    }
    glDepthMask(GLboolean(GL_TRUE))
    drawSceneLines(
      layout.sceneLines.filter { $0.depthTested }, matrix: viewProjection,
      viewport: (Float(r.width), Float(r.height)))

    glBindVertexArray(0)
  }

  /// Draws the 2D overlay (colour bar, legend, all text) over the whole image.
  public func drawOverlay(_ layout: FrameLayout) {
    precondition(!destroyed, "draw after destroy()")
    let W = Float(layout.width), H = Float(layout.height)
    glEnable(GLenum(GL_BLEND))
    glBlendFuncSeparate(
      GLenum(GL_SRC_ALPHA), GLenum(GL_ONE_MINUS_SRC_ALPHA), GLenum(GL_ONE),
      GLenum(GL_ONE_MINUS_SRC_ALPHA))
    // 2D overlay over the whole image, in pixels with y down.
    glViewport(0, 0, GLsizei(layout.width), GLsizei(layout.height))
    glDisable(GLenum(GL_DEPTH_TEST))
    let pixels = Mat4.orthographic(
      left: 0, right: Double(W), bottom: Double(H), top: 0, near: -1, far: 1
    ).floats
    if let cb = layout.colorBar {
      let rc = cb.rect
      let x0 = Float(rc.x), x1 = Float(rc.maxX), y0 = Float(rc.y), y1 = Float(rc.maxY)
      // t = 1 at the top.
      colorbar.upload(
        vertices: [x0, y1, 0, x1, y1, 0, x1, y0, 1, x0, y1, 0, x1, y0, 1, x0, y0, 1],
        usage: GL_STREAM_DRAW)
      colorbarProgram.use()
      colorbarProgram.set("u_matrix", pixels)
      colorbarProgram.set("u_colormap", sampler: 0)
      glBindTexture(GLenum(GL_TEXTURE_2D), colormapTexture(cb.colormap))
      colorbar.draw(GL_TRIANGLES)
    }
    var overlay: [Float] = []
    for line in layout.overlayLines {
      let c = line.color
      overlay += [Float(line.a.x), Float(line.a.y), 0, c.r, c.g, c.b, c.a, Float(line.width)]
      overlay += [Float(line.b.x), Float(line.b.y), 0, c.r, c.g, c.b, c.a, Float(line.width)]
    }
    lineProgram.use()
    lineProgram.set("u_matrix", pixels)
    lineProgram.set("u_viewport", W, H)
    lines.upload(vertices: overlay, usage: GL_STREAM_DRAW)
    lines.draw(GL_LINES)

    var glyphVertices: [Float] = []
    glyphVertices.reserveCapacity(layout.glyphs.count * 6 * 8)
    for g in layout.glyphs {
      for i in [0, 1, 2, 0, 2, 3] {
        let p = g.corners[i], t = g.uv[i], c = g.color
        glyphVertices += [Float(p.x), Float(p.y), Float(t.x), Float(t.y), c.r, c.g, c.b, c.a]
      }
    }
    textProgram.use()
    textProgram.set("u_matrix", pixels)
    textProgram.set("u_atlas", sampler: 0)
    glBindTexture(GLenum(GL_TEXTURE_2D), fontTexture)
    text.upload(vertices: glyphVertices, usage: GL_STREAM_DRAW)
    text.draw(GL_TRIANGLES)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
  }

  /// Uses `program` and sets the camera and Blinn-Phong uniforms the lit shaders share.
  private func setLitUniforms(_ program: GLProgram, _ layout: FrameLayout) {
    program.use()
    program.set("u_view", layout.view.floats)
    program.set("u_projection", layout.projection.floats)
    let l = layout.lightDirection
    program.set("u_light_dir", Float(l.x), Float(l.y), Float(l.z))
    program.set("u_ambient", lighting.ambient)
    program.set("u_diffuse", lighting.diffuse)
    program.set("u_specular", lighting.specular)
    program.set("u_shininess", lighting.shininess)
  }

  private func drawSceneLines(_ segments: [SceneLine], matrix: [Float], viewport: (Float, Float)) {
    guard !segments.isEmpty else { return }
    var v: [Float] = []
    v.reserveCapacity(segments.count * 16)
    for s in segments {
      let c = s.color
      v += [Float(s.a.x), Float(s.a.y), Float(s.a.z), c.r, c.g, c.b, c.a, Float(s.width)]
      v += [Float(s.b.x), Float(s.b.y), Float(s.b.z), c.r, c.g, c.b, c.a, Float(s.width)]
    }
    lineProgram.use()
    lineProgram.set("u_matrix", matrix)
    lineProgram.set("u_viewport", viewport.0, viewport.1)
    lines.upload(vertices: v, usage: GL_STREAM_DRAW)
    lines.draw(GL_LINES)
  }

  /// Draws `texture` (the plot drawn by `drawPlot` into a single-sample framebuffer) into the
  /// bound framebuffer through FXAA. Call `drawOverlay` afterwards for sharp text.
  public func drawFXAA(from texture: GLuint, width: Int, height: Int) {
    precondition(!destroyed, "draw after destroy()")
    glViewport(0, 0, GLsizei(width), GLsizei(height))
    glDisable(GLenum(GL_DEPTH_TEST))
    glDisable(GLenum(GL_BLEND))
    fxaaProgram.use()
    fxaaProgram.set("u_image", sampler: 0)
    fxaaProgram.set("u_texel", 1 / Float(width), 1 / Float(height))
    glActiveTexture(GLenum(GL_TEXTURE0))
    glBindTexture(GLenum(GL_TEXTURE_2D), texture)
    glBindVertexArray(emptyVAO)
    glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
    glBindVertexArray(0)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
  }

  /// Deletes the meshes of the loaded scene's traces.
  private func releaseTraces() {
    for s in surfaces { s.mesh.destroy() }
    surfaces.removeAll()
    for s in scatters {
      s.markers?.destroy()
      s.lines?.destroy()
    }
    scatters.removeAll()
    for m in meshes { m.mesh.destroy() }
    meshes.removeAll()
    slots.removeAll()
    loadedAxes = nil
  }

  /// Deletes every GL object. Call on the context's thread while it is current.
  public func destroy() {
    guard !destroyed else { return }
    releaseTraces()
    for mesh in [lines, flat, text, colorbar] { mesh.destroy() }
    for p in [
      surfaceProgram, surfaceVertexLitProgram, lineProgram, flatProgram, textProgram, colorbarProgram,
      scatterLineProgram, scatterPointProgram, meshProgram, fxaaProgram,
    ] {
      p.destroy()
    }
    glDeleteVertexArrays(1, &emptyVAO)
    glDeleteTextures(1, &fontTexture)
    for (_, var t) in colormapTextures { glDeleteTextures(1, &t) }
    colormapTextures.removeAll()
    destroyed = true
  }
}
