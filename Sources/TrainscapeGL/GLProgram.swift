import CGL

/// Errors from the GL layer, with enough context to act on.
public enum GLError: Error, CustomStringConvertible {
  case shaderCompile(name: String, log: String, excerpt: String)
  case programLink(name: String, log: String)
  case framebufferIncomplete(status: UInt32)
  case missingShader(name: String)
  case unsupported(String)

  public var description: String {
    switch self {
    case .shaderCompile(let name, let log, let excerpt):
      return "shader \(name) failed to compile:\n\(log)\(excerpt.isEmpty ? "" : "\nat: \(excerpt)")"
    case .programLink(let name, let log):
      return "shader program \(name) failed to link:\n\(log)"
    case .framebufferIncomplete(let status):
      return "framebuffer incomplete (status 0x\(String(status, radix: 16)))"
    case .missingShader(let name):
      return "shader \(name) is not embedded in this binary"
    case .unsupported(let what):
      return what
    }
  }
}

/// A linked GLSL program with cached uniform locations.
final class GLProgram {
  let id: GLuint
  let name: String
  private var locations: [String: GLint] = [:]

  init(name: String, stages: [(file: String, type: Int32)]) throws {
    self.name = name
    var shaders: [GLuint] = []
    defer { for s in shaders { glDeleteShader(s) } }
    for stage in stages {
      guard let source = EmbeddedShaders.sources[stage.file] else {
        throw GLError.missingShader(name: stage.file)
      }
      shaders.append(try Self.compile(source, type: GLenum(stage.type), name: stage.file))
    }
    let program = glCreateProgram()
    for s in shaders { glAttachShader(program, s) }
    glLinkProgram(program)
    var ok: GLint = 0
    glGetProgramiv(program, GLenum(GL_LINK_STATUS), &ok)
    if ok == 0 {
      let log = Self.infoLog(program, isProgram: true)
      glDeleteProgram(program)
      throw GLError.programLink(name: name, log: log)
    }
    for s in shaders { glDetachShader(program, s) }
    id = program
  }

  private static func compile(_ source: String, type: GLenum, name: String) throws -> GLuint {
    let shader = glCreateShader(type)
    source.withCString { cstr in
      var p: UnsafePointer<GLchar>? = cstr
      glShaderSource(shader, 1, &p, nil)
    }
    glCompileShader(shader)
    var ok: GLint = 0
    glGetShaderiv(shader, GLenum(GL_COMPILE_STATUS), &ok)
    if ok == 0 {
      let log = infoLog(shader, isProgram: false)
      glDeleteShader(shader)
      throw GLError.shaderCompile(name: name, log: log, excerpt: excerpt(log: log, source: source))
    }
    return shader
  }

  /// The source line a compiler log points at. Mesa writes "0:12(3): error", NVIDIA "0(12) : error".
  static func excerpt(log: String, source: String) -> String {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    for logLine in log.split(separator: "\n") {
      let digits = logLine.drop { !$0.isNumber }.dropFirst().drop { !$0.isNumber }
      let number = digits.prefix { $0.isNumber }
      if let n = Int(number), n >= 1, n <= lines.count {
        return "line \(n): \(lines[n - 1].trimmingCharactersWhitespace())"
      }
    }
    return ""
  }

  private static func infoLog(_ object: GLuint, isProgram: Bool) -> String {
    var length: GLint = 0
    if isProgram {
      glGetProgramiv(object, GLenum(GL_INFO_LOG_LENGTH), &length)
    } else {
      glGetShaderiv(object, GLenum(GL_INFO_LOG_LENGTH), &length)
    }
    guard length > 1 else { return "(no log)" }
    var buffer = [GLchar](repeating: 0, count: Int(length))
    if isProgram {
      glGetProgramInfoLog(object, length, nil, &buffer)
    } else {
      glGetShaderInfoLog(object, length, nil, &buffer)
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  func use() { glUseProgram(id) }

  func location(_ uniform: String) -> GLint {
    if let l = locations[uniform] { return l }
    let l = glGetUniformLocation(id, uniform)
    locations[uniform] = l
    return l
  }

  func set(_ uniform: String, _ m: [Float]) {
    m.withUnsafeBufferPointer { glUniformMatrix4fv(location(uniform), 1, GLboolean(GL_FALSE), $0.baseAddress) }
  }
  func set(_ uniform: String, _ v: Float) { glUniform1f(location(uniform), v) }
  func set(_ uniform: String, _ x: Float, _ y: Float) { glUniform2f(location(uniform), x, y) }
  func set(_ uniform: String, _ x: Float, _ y: Float, _ z: Float) {
    glUniform3f(location(uniform), x, y, z)
  }
  func set(_ uniform: String, sampler unit: Int32) { glUniform1i(location(uniform), unit) }
  func set(_ uniform: String, integer v: Int32) { glUniform1i(location(uniform), v) }

  func destroy() { glDeleteProgram(id) }
}

extension Substring {
  fileprivate func trimmingCharactersWhitespace() -> Substring {
    var s = self
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
    return s
  }
}
