import CGL
import Dispatch
import TrainscapeCore
import TrainscapeGL

/// Renders scenes to images without a display: one EGL context, one renderer and one
/// framebuffer, reused across frames of the same size.
public final class HeadlessRenderer {
  public let context: HeadlessContext
  private let renderer: SceneRenderer
  private var target: OffscreenFramebuffer?
  private var postTarget: PostProcessFramebuffer?
  /// MSAA samples per pixel (0 with FXAA or no anti-aliasing).
  public let samples: Int
  /// Smooth the 3D plot with FXAA (one full-screen pass) instead of multisampling.
  public let fxaa: Bool
  private var loadedScene: Scene?
  /// Time each stage of a frame (with a `glFinish` after each, which costs some overlap): for
  /// benchmarks. The last frame's timings are in `lastTimings`.
  public var profile = false
  public private(set) var lastTimings = FrameTimings()

  /// Where FXAA runs: on a GPU a full-screen shader pass is nearly free; on a software
  /// rasterizer (llvmpipe) the same pass costs about as much as drawing the plot, and the CPU
  /// version, which skips the pixels without contrast, runs beside the next frame's drawing.
  public let fxaaOnCPU: Bool

  /// - Parameters:
  ///   - gpu: which EGL display to use.
  ///   - samples: MSAA samples per pixel (4 by default; 0 turns multisampling off).
  ///   - fxaa: anti-alias the 3D plot by post-processing instead (then `samples` is ignored).
  ///   - fxaaOnCPU: run FXAA on the CPU (`FXAA.apply`) rather than as a shader pass; nil picks
  ///     the CPU on a software rasterizer.
  ///   - vertexLighting: light dense surfaces per vertex (`SceneRenderer.vertexLighting`).
  public init(
    gpu: GPUSelection = .auto, samples: Int = 4, fxaa: Bool = false, fxaaOnCPU: Bool? = nil,
    vertexLighting: Bool = false
  ) throws {
    context = try HeadlessContext(gpu: gpu)
    self.samples = fxaa ? 0 : samples
    self.fxaa = fxaa
    self.fxaaOnCPU = fxaa && (fxaaOnCPU ?? context.isSoftware)
    do {
      renderer = try SceneRenderer()
    } catch {
      context.destroy()
      throw error
    }
    renderer.vertexLighting = vertexLighting
  }

  /// A renderer set up for frames of `quality` (anti-aliasing and lighting).
  public convenience init(gpu: GPUSelection = .auto, quality: RenderQuality) throws {
    try self.init(
      gpu: gpu, samples: quality.samples, fxaa: quality.fxaa, vertexLighting: quality.vertexLighting)
  }

  /// Whether dense surfaces are lit per vertex.
  public var vertexLighting: Bool { renderer.vertexLighting }

  /// Renders `scene` at `width` x `height`. Meshes are uploaded once per distinct scene
  /// (traces), so orbiting the camera re-uploads nothing.
  public func render(
    _ scene: Scene, width: Int, height: Int, style: FigureStyle = FigureStyle(),
    transparent: Bool = false
  ) throws -> RGBAImage {
    try renderFrame(scene, width: width, height: height, style: style, transparent: transparent).finish()
  }

  /// Like `render`, but leaves the CPU part of the frame (FXAA on the CPU) to `finish()`, which
  /// may run on another thread while the next frame is drawn (`FramePipeline` does that).
  public func renderFrame(
    _ scene: Scene, width: Int, height: Int, style: FigureStyle = FigureStyle(),
    transparent: Bool = false
  ) throws -> PendingFrame {
    precondition(width > 0 && height > 0)
    context.makeCurrent()
    if fxaa && !fxaaOnCPU {
      if postTarget == nil || postTarget!.width != width || postTarget!.height != height {
        postTarget?.destroy()
        postTarget = try PostProcessFramebuffer(width: width, height: height, device: renderer.device)
      }
    } else if target == nil || target!.width != width || target!.height != height {
      target?.destroy()
      target = try OffscreenFramebuffer(width: width, height: height, samples: samples, device: renderer.device)
    }
    if loadedScene?.traces != scene.traces || loadedScene?.x != scene.x
      || loadedScene?.y != scene.y || loadedScene?.z != scene.z
      || loadedScene?.aspect != scene.aspect
    {
      renderer.load(scene)
      loadedScene = scene
      uploadCount += 1
    }
    var clock = StageClock(enabled: profile)
    let layout = FigureLayoutBuilder.layout(scene, width: width, height: height, style: style)
    var t = FrameTimings()
    t.layout = clock.lap(finish: false)
    let image: RGBAImage
    if fxaaOnCPU {
      // The plot is read back on its own, then again with the overlay drawn over it:
      // `FXAA.apply` smooths the first and keeps the second's pixels wherever they differ.
      target!.bind()
      renderer.drawPlot(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
      t.plot = clock.lap()
      let plot = target!.read()
      t.readback = clock.lap(finish: false)
      target!.bind()
      renderer.drawOverlay(layout)
      t.overlay = clock.lap()
      let composed = target!.read()
      t.readback += clock.lap(finish: false)
      if profile { lastTimings = t }
      return PendingFrame(plot: plot, composed: composed, region: layout.plotRect)
    } else if let post = postTarget, fxaa {
      post.bindPlot()
      renderer.drawPlot(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
      t.plot = clock.lap()
      post.bindOutput()
      renderer.drawFXAA(from: post.colorTexture, width: width, height: height)
      t.postProcess = clock.lap()
      renderer.drawOverlay(layout)
      t.overlay = clock.lap()
      image = post.read()
    } else {
      target!.bind()
      renderer.drawPlot(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
      t.plot = clock.lap()
      renderer.drawOverlay(layout)
      t.overlay = clock.lap()
      image = target!.read()
    }
    t.readback = clock.lap(finish: false)
    if profile { lastTimings = t }
    return PendingFrame(image: image)
  }

  /// Renders a layout made without a 3D scene (`PanelLayoutBuilder`: 2D panels drawn as the
  /// overlay) at its size, multisampled as the renderer's `samples` say.
  public func render(layout: FrameLayout, background: RGBColor, transparent: Bool = false) throws -> RGBAImage {
    precondition(layout.width > 0 && layout.height > 0)
    context.makeCurrent()
    if target == nil || target!.width != layout.width || target!.height != layout.height {
      target?.destroy()
      target = try OffscreenFramebuffer(width: layout.width, height: layout.height, samples: samples, device: renderer.device)
    }
    if loadedScene.map({ !$0.traces.isEmpty }) ?? true {
      let empty = Scene(
        title: "", traces: [], x: AxisSpec(title: "", range: 0...1), y: AxisSpec(title: "", range: 0...1),
        z: AxisSpec(title: "", range: 0...1))
      renderer.load(empty)
      loadedScene = empty
    }
    target!.bind()
    renderer.draw(layout, background: background, backgroundAlpha: transparent ? 0 : 1)
    return target!.read()
  }

  /// Brings the uploaded scene up to `scene`, which extends the last one rendered as `delta`
  /// says (`SceneRenderer.apply`: only new surface columns are uploaded; a nil or unfitting
  /// delta loads the whole scene, with room for `reserveColumns` columns per surface, or
  /// row-major with room for `reserveRows` rows, as `SceneRenderer.load` says). The next
  /// `render` of `scene` then uploads nothing.
  @discardableResult
  public func apply(_ scene: Scene, delta: SceneDelta?, reserveColumns: Int = 0, reserveRows: Int = 0) -> Bool {
    context.makeCurrent()
    let appended = renderer.apply(scene, delta: delta, reserveColumns: reserveColumns, reserveRows: reserveRows)
    loadedScene = scene
    return appended
  }

  /// Waits until the GPU has done everything asked of it (glFinish), for timings.
  public func finish() {
    context.makeCurrent()
    glFinish()
  }

  /// What the renderer uploaded so far (loads, in-place appends, bytes).
  public var uploads: UploadStatistics { renderer.uploads }

  public var liveObjectCount: Int { renderer.liveObjectCount }

  /// How many times scene data (meshes) was uploaded: once per distinct scene, not per frame.
  public private(set) var uploadCount = 0

  public func destroy() {
    context.makeCurrent()
    target?.destroy()
    target = nil
    postTarget?.destroy()
    postTarget = nil
    renderer.destroy()
    context.destroy()
  }
}

/// A drawn frame whose CPU post-processing (FXAA on the CPU) may still be to do: `finish()`
/// does it, once, on any thread (one thread at a time).
public final class PendingFrame: @unchecked Sendable {
  private var plot: RGBAImage?
  private var composed: RGBAImage?
  private let region: PixelRect?

  init(image: RGBAImage) {
    composed = image
    region = nil
  }

  init(plot: RGBAImage, composed: RGBAImage, region: PixelRect) {
    self.plot = plot
    self.composed = composed
    self.region = region
  }

  /// The finished image; the frame is empty afterwards (its buffers are handed over, so
  /// finishing needs no more memory).
  public func finish() -> RGBAImage {
    guard var image = composed.take() else { preconditionFailure("PendingFrame finished twice") }
    if let plot = plot.take() { FXAA.apply(plot: plot, into: &image, region: region) }
    return image
  }
}

/// Seconds spent in each stage of one frame (`HeadlessRenderer.profile`).
public struct FrameTimings: Sendable {
  /// Figure layout on the CPU (projection, ticks, label placement, glyph quads).
  public var layout = 0.0
  /// Panes, grid, data and axes, until the GL has finished them.
  public var plot = 0.0
  /// The FXAA pass.
  public var postProcess = 0.0
  /// Colour bar and text.
  public var overlay = 0.0
  /// MSAA resolve (when used) and `glReadPixels`.
  public var readback = 0.0
  public init() {}
  public var total: Double { layout + plot + postProcess + overlay + readback }
}

/// Laps of the monotonic clock, each after `glFinish` so GL work is charged to its stage.
private struct StageClock {
  let enabled: Bool
  private var last: UInt64

  init(enabled: Bool) {
    self.enabled = enabled
    last = enabled ? DispatchTime.now().uptimeNanoseconds : 0
  }

  mutating func lap(finish: Bool = true) -> Double {
    guard enabled else { return 0 }
    if finish { glFinish() }
    let now = DispatchTime.now().uptimeNanoseconds
    defer { last = now }
    return Double(now - last) / 1e9
  }
}
