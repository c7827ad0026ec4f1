import CGL
import TrainscapeCore
import TrainscapeGL

/// A multisampled framebuffer resolved into a single-sample one for readback.
final class OffscreenTarget {
  let width: Int
  let height: Int
  let samples: Int
  private var msFBO: GLuint = 0
  private var msColor: GLuint = 0
  private var msDepth: GLuint = 0
  private var resolveFBO: GLuint = 0
  private var resolveColor: GLuint = 0

  init(width: Int, height: Int, samples requested: Int) throws {
    self.width = width
    self.height = height
    var maxSamples: GLint = 0
    glGetIntegerv(GLenum(GL_MAX_SAMPLES), &maxSamples)
    samples = max(0, min(requested, Int(maxSamples)))
    var maxSize: GLint = 0
    glGetIntegerv(GLenum(GL_MAX_RENDERBUFFER_SIZE), &maxSize)
    guard width <= Int(maxSize), height <= Int(maxSize) else {
      throw GLError.unsupported(
        "image \(width)x\(height) is larger than this OpenGL's limit of \(maxSize) pixels per side")
    }
    glGenFramebuffers(1, &msFBO)
    glGenRenderbuffers(1, &msColor)
    glGenRenderbuffers(1, &msDepth)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO)
    glBindRenderbuffer(GLenum(GL_RENDERBUFFER), msColor)
    glRenderbufferStorageMultisample(
      GLenum(GL_RENDERBUFFER), GLsizei(samples), GLenum(GL_RGBA8), GLsizei(width), GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_RENDERBUFFER), msColor)
    glBindRenderbuffer(GLenum(GL_RENDERBUFFER), msDepth)
    glRenderbufferStorageMultisample(
      GLenum(GL_RENDERBUFFER), GLsizei(samples), GLenum(GL_DEPTH24_STENCIL8), GLsizei(width),
      GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_DEPTH_STENCIL_ATTACHMENT), GLenum(GL_RENDERBUFFER), msDepth)
    let status = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
    guard status == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
      destroy()
      throw GLError.framebufferIncomplete(status: status)
    }
    glGenFramebuffers(1, &resolveFBO)
    glGenRenderbuffers(1, &resolveColor)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), resolveFBO)
    glBindRenderbuffer(GLenum(GL_RENDERBUFFER), resolveColor)
    glRenderbufferStorage(GLenum(GL_RENDERBUFFER), GLenum(GL_RGBA8), GLsizei(width), GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_RENDERBUFFER), resolveColor)
    let status2 = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
    guard status2 == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
      destroy()
      throw GLError.framebufferIncomplete(status: status2)
    }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO)
  }

  func bind() { glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO) }

  /// Resolves the samples and reads the image back, top row first.
  func read() -> RGBAImage {
    glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), msFBO)
    glBindFramebuffer(GLenum(GL_DRAW_FRAMEBUFFER), resolveFBO)
    glBlitFramebuffer(
      0, 0, GLint(width), GLint(height), 0, 0, GLint(width), GLint(height),
      GLbitfield(GL_COLOR_BUFFER_BIT), GLenum(GL_NEAREST))
    glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), resolveFBO)
    glPixelStorei(GLenum(GL_PACK_ALIGNMENT), 1)
    let rowBytes = width * 4
    var bottomUp = [UInt8](repeating: 0, count: rowBytes * height)
    bottomUp.withUnsafeMutableBytes {
      glReadPixels(
        0, 0, GLsizei(width), GLsizei(height), GLenum(GL_RGBA), GLenum(GL_UNSIGNED_BYTE),
        $0.baseAddress)
    }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO)
    var topDown = [UInt8](repeating: 0, count: rowBytes * height)
    topDown.withUnsafeMutableBytes { dst in
      bottomUp.withUnsafeBytes { src in
        for y in 0..<height {
          (dst.baseAddress! + y * rowBytes).copyMemory(
            from: src.baseAddress! + (height - 1 - y) * rowBytes, byteCount: rowBytes)
        }
      }
    }
    return RGBAImage(width: width, height: height, pixels: topDown)
  }

  func destroy() {
    if msFBO != 0 { glDeleteFramebuffers(1, &msFBO) }
    if resolveFBO != 0 { glDeleteFramebuffers(1, &resolveFBO) }
    for var rb in [msColor, msDepth, resolveColor] where rb != 0 { glDeleteRenderbuffers(1, &rb) }
    msFBO = 0; resolveFBO = 0; msColor = 0; msDepth = 0; resolveColor = 0
  }
}

/// Renders scenes to images without a display: one EGL context, one renderer and one
/// framebuffer, reused across frames of the same size.
public final class HeadlessRenderer {
  public let context: HeadlessContext
  private let renderer: SceneRenderer
  private var target: OffscreenTarget?
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
      target = try OffscreenTarget(width: width, height: height, samples: samples)
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
