import CGL
import TrainscapeCore

/// What a renderer has uploaded so far: whole scenes (`load`) and scenes brought up to date in
/// place (`apply`), with the bytes sent to the GPU. The follow tests and benchmark read it.
public struct UploadStatistics: Sendable, Equatable {
  /// Scenes uploaded from scratch.
  public var loads = 0
  /// Deltas applied in place (`apply` that did not fall back to `load`).
  public var appends = 0
  /// Vertex and index bytes uploaded, in all and by the last `load` or `apply`.
  public var bytes = 0
  public var lastBytes = 0
  /// Buffers that an `apply` found too small and replaced by larger ones, copying their
  /// contents on the GPU (`load(_:reserveColumns:)` makes room so that appends do not).
  public var bufferGrowths = 0
  public init() {}
}

/// Draws a `Scene` into the framebuffer that is bound when `draw` is called: uploads its traces
/// (`GPUScene`, as `VertexPacking` lays them out), keeps them up to date as an `UploadPlan`
/// says, and draws frames in passes (`PlotPass`, `OverlayPass`, `FXAAPass`). Every GL object it
/// makes comes from its `device`, which counts them; `destroy()` deletes them on the thread that
/// owns the context.
///
/// Does not: create a context or a window, choose the framebuffer, or read pixels back.
/// The headless and window backends do those.
public final class SceneRenderer {
  /// Makes and counts this renderer's GL objects; framebuffers drawn into with it use it too.
  public let device: GLDevice
  private let resources: PassResources
  private let scene: GPUScene
  /// Uploads so far.
  public private(set) var uploads = UploadStatistics()
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
    // The GL functions are resolved at run time (CGL); say why when they cannot be.
    if let reason = ts_gl_load() { throw GLError.unsupported(String(cString: reason)) }
    device = GLDevice()
    let programs = try Programs(device: device)
    resources = PassResources(
      programs: programs, textures: Textures(device: device), streamed: StreamedGeometry(device: device))
    scene = GPUScene(device: device)
  }

  deinit {
    // GL objects must be deleted on the context's thread: `destroy()` does that.
    // Here we only check that nobody forgot.
    assert(destroyed, "SceneRenderer released without destroy(): GL objects leaked")
  }

  /// The GL objects alive on this renderer's device (0 after `destroy()` when nothing leaked).
  public var liveObjectCount: Int { device.liveObjectCount }

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
    let bytes = self.scene.load(scene, reserveColumns: reserveColumns, reserveRows: reserveRows)
    prepareTextures(scene)
    uploads.loads += 1
    uploads.bytes += bytes
    uploads.lastBytes = bytes
  }

  /// Brings the loaded scene up to `scene`, which extends it as `delta` says (`UploadPlan`):
  /// surfaces that grew get their new and rewritten columns (plus the column before them, whose
  /// normals change) written into their buffers (rows, for surfaces that grew along their rows
  /// and were loaded row-major with `reserveRows`), scatter traces their new and rewritten
  /// points; every trace takes the new axis and colour ranges as uniforms; mesh traces are
  /// uploaded again only when the axis ranges moved (their vertices are normalized to the box).
  /// Falls back to `load` (and returns false) when there is no delta or it does not fit what
  /// is loaded (`reserveColumns` and `reserveRows` are then passed on to `load`).
  @discardableResult
  public func apply(_ scene: Scene, delta: SceneDelta?, reserveColumns: Int = 0, reserveRows: Int = 0) -> Bool {
    guard let delta, let loaded = self.scene.loaded, let plan = UploadPlan(loaded: loaded, scene: scene, delta: delta)
    else {
      load(scene, reserveColumns: reserveColumns, reserveRows: reserveRows)
      return false
    }
    let growthsBefore = self.scene.bufferGrowths
    let bytes = self.scene.apply(plan, to: scene)
    prepareTextures(scene)
    uploads.bufferGrowths += self.scene.bufferGrowths - growthsBefore
    uploads.appends += 1
    uploads.bytes += bytes
    uploads.lastBytes = bytes
    return true
  }

  /// Makes the colour-map textures the loaded traces and the colour bar draw with.
  private func prepareTextures(_ scene: Scene) {
    for map in self.scene.colormaps { _ = resources.textures.colormap(map) }
    if let cb = scene.colorBar { _ = resources.textures.colormap(cb.colormap) }
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
    PlotPass(lighting: lighting, wireframe: wireframe, vertexLighting: vertexLighting)
      .draw(layout, scene: scene, with: resources, background: background, backgroundAlpha: backgroundAlpha)
  }

  /// Draws the 2D overlay (colour bar, legend, all text) over the whole image.
  public func drawOverlay(_ layout: FrameLayout) {
    precondition(!destroyed, "draw after destroy()")
    OverlayPass().draw(layout, with: resources)
  }

  /// Draws `texture` (the plot drawn by `drawPlot` into a single-sample framebuffer) into the
  /// bound framebuffer through FXAA. Call `drawOverlay` afterwards for sharp text.
  public func drawFXAA(from texture: GLuint, width: Int, height: Int) {
    precondition(!destroyed, "draw after destroy()")
    FXAAPass().draw(from: texture, width: width, height: height, with: resources)
  }

  /// Deletes every GL object this renderer made. Call on the context's thread while it is
  /// current, after the framebuffers made with its `device`.
  public func destroy() {
    guard !destroyed else { return }
    scene.release()
    resources.streamed.destroy(on: device)
    resources.programs.destroy(on: device)
    resources.textures.destroy()
    destroyed = true
  }
}
