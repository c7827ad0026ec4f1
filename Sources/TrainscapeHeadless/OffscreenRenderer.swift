import CGL
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

  /// - Parameters:
  ///   - gpu: which EGL display to use.
  ///   - samples: MSAA samples per pixel (4 by default; 0 turns multisampling off).
  ///   - fxaa: anti-alias the 3D plot by post-processing instead (then `samples` is ignored);
  ///     on llvmpipe 4x MSAA roughly doubles the cost of a frame, FXAA adds a few percent.
  public init(gpu: GPUSelection = .auto, samples: Int = 4, fxaa: Bool = false) throws {
    context = try HeadlessContext(gpu: gpu)
    self.samples = fxaa ? 0 : samples
    self.fxaa = fxaa
    do {
      renderer = try SceneRenderer()
    } catch {
      context.destroy()
      throw error
    }
  }

  /// Renders `scene` at `width` x `height`. Meshes are uploaded once per distinct scene
  /// (traces), so orbiting the camera re-uploads nothing.
  public func render(
    _ scene: Scene, width: Int, height: Int, style: FigureStyle = FigureStyle(),
    transparent: Bool = false
  ) throws -> RGBAImage {
    precondition(width > 0 && height > 0)
    context.makeCurrent()
    if fxaa {
      if postTarget == nil || postTarget!.width != width || postTarget!.height != height {
        postTarget?.destroy()
        postTarget = try PostProcessFramebuffer(width: width, height: height)
      }
    } else if target == nil || target!.width != width || target!.height != height {
      target?.destroy()
      target = try OffscreenFramebuffer(width: width, height: height, samples: samples)
    }
    if loadedScene?.traces != scene.traces || loadedScene?.x != scene.x
      || loadedScene?.y != scene.y || loadedScene?.z != scene.z
      || loadedScene?.aspect != scene.aspect
    {
      renderer.load(scene)
      loadedScene = scene
      uploadCount += 1
    }
    let layout = FigureLayoutBuilder.layout(scene, width: width, height: height, style: style)
    if let post = postTarget, fxaa {
      post.bindPlot()
      renderer.drawPlot(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
      post.bindOutput()
      renderer.drawFXAA(from: post.colorTexture, width: width, height: height)
      renderer.drawOverlay(layout)
      return post.read()
    }
    target!.bind()
    renderer.draw(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
    return target!.read()
  }

  /// Brings the uploaded scene up to `scene`, which extends the last one rendered as `delta`
  /// says (`SceneRenderer.apply`: only new surface columns are uploaded; a nil or unfitting
  /// delta loads the whole scene). The next `render` of `scene` then uploads nothing.
  @discardableResult
  public func apply(_ scene: Scene, delta: SceneDelta?) -> Bool {
    context.makeCurrent()
    let appended = renderer.apply(scene, delta: delta)
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
