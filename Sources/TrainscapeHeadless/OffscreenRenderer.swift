import CGL
import TrainscapeCore
import TrainscapeGL

/// Renders scenes to images without a display: one EGL context, one renderer and one
/// framebuffer, reused across frames of the same size.
public final class HeadlessRenderer {
  public let context: HeadlessContext
  private let renderer: SceneRenderer
  private var target: OffscreenFramebuffer?
  public let samples: Int
  private var loadedScene: Scene?

  /// - Parameters:
  ///   - gpu: which EGL display to use.
  ///   - samples: MSAA samples per pixel (4 by default; 0 turns multisampling off).
  public init(gpu: GPUSelection = .auto, samples: Int = 4) throws {
    context = try HeadlessContext(gpu: gpu)
    self.samples = samples
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
    if target == nil || target!.width != width || target!.height != height {
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
    target!.bind()
    let layout = FigureLayoutBuilder.layout(scene, width: width, height: height, style: style)
    renderer.draw(layout, background: scene.background, backgroundAlpha: transparent ? 0 : 1)
    return target!.read()
  }

  public var liveObjectCount: Int { renderer.liveObjectCount }

  /// How many times scene data (meshes) was uploaded: once per distinct scene, not per frame.
  public private(set) var uploadCount = 0

  public func destroy() {
    context.makeCurrent()
    target?.destroy()
    target = nil
    renderer.destroy()
    context.destroy()
  }
}
