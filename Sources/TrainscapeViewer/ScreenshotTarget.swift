import CGL
import TrainscapeCore

/// A multisampled framebuffer, resolved into a single-sample one and read back: the same
/// path as the headless renderer's offscreen target, so a screenshot matches `render`.
final class ScreenshotTarget {
  let width: Int
  let height: Int
  let samples: Int
  private var msFBO: GLuint = 0
  private var msColor: GLuint = 0
  private var msDepth: GLuint = 0
  private var resolveFBO: GLuint = 0
  private var resolveColor: GLuint = 0

  init?(width: Int, height: Int, samples requested: Int) {
    self.width = width
    self.height = height
    var maxSamples: GLint = 0
    glGetIntegerv(GLenum(GL_MAX_SAMPLES), &maxSamples)
    samples = max(0, min(requested, Int(maxSamples)))
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
      GLenum(GL_RENDERBUFFER), GLsizei(samples), GLenum(GL_DEPTH24_STENCIL8), GLsizei(width), GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_DEPTH_STENCIL_ATTACHMENT), GLenum(GL_RENDERBUFFER), msDepth)
    let ok1 = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER)) == GLenum(GL_FRAMEBUFFER_COMPLETE)
    glGenFramebuffers(1, &resolveFBO)
    glGenRenderbuffers(1, &resolveColor)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), resolveFBO)
    glBindRenderbuffer(GLenum(GL_RENDERBUFFER), resolveColor)
    glRenderbufferStorage(GLenum(GL_RENDERBUFFER), GLenum(GL_RGBA8), GLsizei(width), GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_RENDERBUFFER), resolveColor)
    let ok2 = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER)) == GLenum(GL_FRAMEBUFFER_COMPLETE)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    if !(ok1 && ok2) {
      destroy()
      return nil
    }
  }

  func bind() { glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO) }

  /// Resolves and reads the image, top row first; leaves the window's framebuffer bound.
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
      glReadPixels(0, 0, GLsizei(width), GLsizei(height), GLenum(GL_RGBA), GLenum(GL_UNSIGNED_BYTE), $0.baseAddress)
    }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    var topDown = [UInt8](repeating: 0, count: rowBytes * height)
    for y in 0..<height {
      topDown.replaceSubrange(
        y * rowBytes..<(y + 1) * rowBytes,
        with: bottomUp[(height - 1 - y) * rowBytes..<(height - y) * rowBytes])
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
