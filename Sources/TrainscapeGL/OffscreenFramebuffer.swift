import CGL
import TrainscapeCore

/// A multisampled framebuffer resolved into a single-sample one for readback: where the
/// headless backend draws, and where the viewer draws its screenshots, so both give the image
/// `render` writes.
public final class OffscreenFramebuffer {
  public let width: Int
  public let height: Int
  public let samples: Int
  private let device: GLDevice
  private var msFBO: GLuint = 0
  private var msColor: GLuint = 0
  private var msDepth: GLuint = 0
  private var resolveFBO: GLuint = 0
  private var resolveColor: GLuint = 0

  /// `samples` x MSAA (as many as the GL allows); its GL objects come from `device`.
  public init(width: Int, height: Int, samples requested: Int, device: GLDevice) throws {
    self.width = width
    self.height = height
    self.device = device
    var maxSamples: GLint = 0
    glGetIntegerv(GLenum(GL_MAX_SAMPLES), &maxSamples)
    samples = max(0, min(requested, Int(maxSamples)))
    try checkFramebufferSize(width: width, height: height)
    msFBO = device.makeFramebuffer()
    msColor = device.makeRenderbuffer()
    msDepth = device.makeRenderbuffer()
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
      throw incompleteFramebuffer(status: status, width: width, height: height, samples: samples)
    }
    let status2 = makeColorFramebuffer(width: width, height: height, fbo: &resolveFBO, color: &resolveColor, device: device)
    guard status2 == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
      destroy()
      throw incompleteFramebuffer(status: status2, width: width, height: height, samples: 1)
    }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO)
  }

  public func bind() { glBindFramebuffer(GLenum(GL_FRAMEBUFFER), msFBO) }

  /// Resolves the samples and reads the image back, top row first; leaves the default
  /// framebuffer (0) bound. Without multisampling the image is read directly.
  public func read() -> RGBAImage {
    if samples == 0 {
      glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), msFBO)
      let image = readPixels(width: width, height: height)
      glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
      return image
    }
    glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), msFBO)
    glBindFramebuffer(GLenum(GL_DRAW_FRAMEBUFFER), resolveFBO)
    glBlitFramebuffer(
      0, 0, GLint(width), GLint(height), 0, 0, GLint(width), GLint(height),
      GLbitfield(GL_COLOR_BUFFER_BIT), GLenum(GL_NEAREST))
    glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), resolveFBO)
    let image = readPixels(width: width, height: height)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    return image
  }

  public func destroy() {
    device.deleteFramebuffer(&msFBO)
    device.deleteFramebuffer(&resolveFBO)
    device.deleteRenderbuffer(&msColor)
    device.deleteRenderbuffer(&msDepth)
    device.deleteRenderbuffer(&resolveColor)
  }
}

/// Two single-sample framebuffers for anti-aliasing by post-processing: the plot is drawn into
/// a texture (`bindPlot`), FXAA copies it into the output (`bindOutput`, then
/// `SceneRenderer.drawFXAA(from: colorTexture, ...)`), the overlay is drawn on top, and `read`
/// returns the output.
public final class PostProcessFramebuffer {
  public let width: Int
  public let height: Int
  public private(set) var colorTexture: GLuint = 0
  private let device: GLDevice
  private var plotFBO: GLuint = 0
  private var plotDepth: GLuint = 0
  private var outputFBO: GLuint = 0
  private var outputColor: GLuint = 0

  /// Its GL objects come from `device`.
  public init(width: Int, height: Int, device: GLDevice) throws {
    self.width = width
    self.height = height
    self.device = device
    try checkFramebufferSize(width: width, height: height)
    colorTexture = device.makeTexture(width: width, height: height, format: GL_RGBA, pixels: nil, linear: true)
    plotFBO = device.makeFramebuffer()
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), plotFBO)
    glFramebufferTexture2D(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), colorTexture, 0)
    plotDepth = device.makeRenderbuffer()
    glBindRenderbuffer(GLenum(GL_RENDERBUFFER), plotDepth)
    glRenderbufferStorage(GLenum(GL_RENDERBUFFER), GLenum(GL_DEPTH24_STENCIL8), GLsizei(width), GLsizei(height))
    glFramebufferRenderbuffer(
      GLenum(GL_FRAMEBUFFER), GLenum(GL_DEPTH_STENCIL_ATTACHMENT), GLenum(GL_RENDERBUFFER), plotDepth)
    let s1 = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
    let s2 = makeColorFramebuffer(width: width, height: height, fbo: &outputFBO, color: &outputColor, device: device)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    guard s1 == GLenum(GL_FRAMEBUFFER_COMPLETE), s2 == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
      destroy()
      throw incompleteFramebuffer(
        status: s1 == GLenum(GL_FRAMEBUFFER_COMPLETE) ? s2 : s1, width: width, height: height, samples: 1)
    }
  }

  public func bindPlot() { glBindFramebuffer(GLenum(GL_FRAMEBUFFER), plotFBO) }
  public func bindOutput() { glBindFramebuffer(GLenum(GL_FRAMEBUFFER), outputFBO) }

  /// Reads the output back, top row first; leaves the default framebuffer bound.
  public func read() -> RGBAImage {
    glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), outputFBO)
    let image = readPixels(width: width, height: height)
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    return image
  }

  public func destroy() {
    device.deleteFramebuffer(&plotFBO)
    device.deleteFramebuffer(&outputFBO)
    device.deleteRenderbuffer(&plotDepth)
    device.deleteRenderbuffer(&outputColor)
    device.deleteTexture(&colorTexture)
  }
}

/// Throws, naming the limit, when an image of this size exceeds what this OpenGL can draw:
/// the renderbuffer, texture (the FXAA pass) and viewport limits.
func checkFramebufferSize(width: Int, height: Int) throws {
  var renderbuffer: GLint = 0, texture: GLint = 0
  var viewport: [GLint] = [0, 0]
  glGetIntegerv(GLenum(GL_MAX_RENDERBUFFER_SIZE), &renderbuffer)
  glGetIntegerv(GLenum(GL_MAX_TEXTURE_SIZE), &texture)
  glGetIntegerv(GLenum(GL_MAX_VIEWPORT_DIMS), &viewport)
  let limits = [
    ("renderbuffer", Int(renderbuffer), Int(renderbuffer)), ("texture", Int(texture), Int(texture)),
    ("viewport", Int(viewport[0]), Int(viewport[1])),
  ].filter { $0.1 > 0 && $0.2 > 0 }
  for (what, maxW, maxH) in limits where width > maxW || height > maxH {
    throw GLError.unsupported(
      "an image of \(width)x\(height) is larger than this OpenGL's \(what) limit of \(maxW)x\(maxH) pixels; the largest --size here is \(limits.map(\.1).min()!)x\(limits.map(\.2).min()!)")
  }
}

/// Why a framebuffer of this size could not be made, in words.
func incompleteFramebuffer(status: GLenum, width: Int, height: Int, samples: Int) -> GLError {
  let bytes = Double(width) * Double(height) * Double(max(1, samples)) * 8
  return GLError.unsupported(
    String(
      format: "OpenGL cannot make a %dx%d framebuffer with %d sample(s) (status 0x%x: about %.1f GiB of colour and depth); try a smaller --size or --samples 0",
      width, height, samples, status, bytes / Double(1 << 30)))
}

/// A single-sample RGBA8 framebuffer (readback target); returns its completeness status and
/// leaves it bound.
func makeColorFramebuffer(width: Int, height: Int, fbo: inout GLuint, color: inout GLuint, device: GLDevice) -> GLenum {
  fbo = device.makeFramebuffer()
  color = device.makeRenderbuffer()
  glBindFramebuffer(GLenum(GL_FRAMEBUFFER), fbo)
  glBindRenderbuffer(GLenum(GL_RENDERBUFFER), color)
  glRenderbufferStorage(GLenum(GL_RENDERBUFFER), GLenum(GL_RGBA8), GLsizei(width), GLsizei(height))
  glFramebufferRenderbuffer(
    GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_RENDERBUFFER), color)
  return glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
}

/// Reads the bound read framebuffer (`width` x `height`, RGBA8) top row first.
func readPixels(width: Int, height: Int) -> RGBAImage {
  glPixelStorei(GLenum(GL_PACK_ALIGNMENT), 1)
  let rowBytes = width * 4
  let pixels = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { buffer, count in
    glReadPixels(
      0, 0, GLsizei(width), GLsizei(height), GLenum(GL_RGBA), GLenum(GL_UNSIGNED_BYTE),
      buffer.baseAddress)
    // GL rows go up: swap them in place so the top row comes first.
    let base = UnsafeMutableRawPointer(buffer.baseAddress!)
    let row = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 16)
    defer { row.deallocate() }
    for y in 0..<(height / 2) {
      let a = base + y * rowBytes, b = base + (height - 1 - y) * rowBytes
      row.copyMemory(from: a, byteCount: rowBytes)
      a.copyMemory(from: b, byteCount: rowBytes)
      b.copyMemory(from: row, byteCount: rowBytes)
    }
    count = rowBytes * height
  }
  return RGBAImage(width: width, height: height, pixels: pixels)
}
