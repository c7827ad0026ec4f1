import CGL

/// Makes and deletes the GL objects of one context, and counts those alive: every buffer,
/// vertex array, texture, program, framebuffer and renderbuffer the GL layer creates goes
/// through it, so `liveObjectCount` is 0 exactly when everything made was deleted (the render
/// tests check it after every test).
///
/// Does not: make the context current, or delete anything by itself (`deinit` cannot know
/// whether the context is still current); call the `delete` functions on the context's thread.
public final class GLDevice {
  public enum Kind: String, CaseIterable, Sendable {
    case buffer, vertexArray, texture, program, framebuffer, renderbuffer
  }

  /// GL objects alive, by kind.
  public private(set) var live: [Kind: Int] = [:]

  /// GL objects alive in all.
  public var liveObjectCount: Int { live.values.reduce(0, +) }

  public init() {}

  private func made(_ kind: Kind, _ id: GLuint) -> GLuint {
    if id != 0 { live[kind, default: 0] += 1 }
    return id
  }

  private func deleted(_ kind: Kind, _ id: inout GLuint, _ delete: (UnsafePointer<GLuint>) -> Void) {
    guard id != 0 else { return }
    withUnsafePointer(to: id) { delete($0) }
    live[kind, default: 0] -= 1
    id = 0
  }

  // MARK: - Make

  func makeBuffer() -> GLuint {
    var id: GLuint = 0
    glGenBuffers(1, &id)
    return made(.buffer, id)
  }

  func makeVertexArray() -> GLuint {
    var id: GLuint = 0
    glGenVertexArrays(1, &id)
    return made(.vertexArray, id)
  }

  func makeTexture() -> GLuint {
    var id: GLuint = 0
    glGenTextures(1, &id)
    return made(.texture, id)
  }

  func makeProgram() -> GLuint { made(.program, glCreateProgram()) }

  func makeFramebuffer() -> GLuint {
    var id: GLuint = 0
    glGenFramebuffers(1, &id)
    return made(.framebuffer, id)
  }

  func makeRenderbuffer() -> GLuint {
    var id: GLuint = 0
    glGenRenderbuffers(1, &id)
    return made(.renderbuffer, id)
  }

  // MARK: - Delete (each sets the id to 0; deleting 0 does nothing)

  func deleteBuffer(_ id: inout GLuint) { deleted(.buffer, &id) { glDeleteBuffers(1, $0) } }
  func deleteVertexArray(_ id: inout GLuint) { deleted(.vertexArray, &id) { glDeleteVertexArrays(1, $0) } }
  func deleteTexture(_ id: inout GLuint) { deleted(.texture, &id) { glDeleteTextures(1, $0) } }
  func deleteProgram(_ id: inout GLuint) { deleted(.program, &id) { glDeleteProgram($0.pointee) } }
  func deleteFramebuffer(_ id: inout GLuint) { deleted(.framebuffer, &id) { glDeleteFramebuffers(1, $0) } }
  func deleteRenderbuffer(_ id: inout GLuint) { deleted(.renderbuffer, &id) { glDeleteRenderbuffers(1, $0) } }

  // MARK: - Textures

  /// A 2D texture of `pixels` (`format` GL_RED or GL_RGBA, 8 bits per channel), clamped at the
  /// edges, filtered linearly or by nearest texel; nil `pixels` leaves it uninitialized.
  func makeTexture(width: Int, height: Int, format: Int32, pixels: [UInt8]?, linear: Bool) -> GLuint {
    let t = makeTexture()
    glBindTexture(GLenum(GL_TEXTURE_2D), t)
    glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 1)
    let internalFormat = format == GL_RED ? GL_R8 : GL_RGBA8
    if let pixels {
      pixels.withUnsafeBytes {
        glTexImage2D(
          GLenum(GL_TEXTURE_2D), 0, internalFormat, GLsizei(width), GLsizei(height), 0,
          GLenum(format), GLenum(GL_UNSIGNED_BYTE), $0.baseAddress)
      }
    } else {
      glTexImage2D(
        GLenum(GL_TEXTURE_2D), 0, internalFormat, GLsizei(width), GLsizei(height), 0,
        GLenum(format), GLenum(GL_UNSIGNED_BYTE), nil)
    }
    let filter = linear ? GL_LINEAR : GL_NEAREST
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MIN_FILTER), filter)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MAG_FILTER), filter)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_WRAP_S), GL_CLAMP_TO_EDGE)
    glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_WRAP_T), GL_CLAMP_TO_EDGE)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
    return t
  }
}
