import CGL
import TrainscapeCore

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

/// A linked GLSL program with cached uniform locations, set through typed `Uniform`s.
final class GLProgram {
  private(set) var id: GLuint
  let name: String
  private var locations: [String: GLint] = [:]

  /// Compiles and links `stages` (embedded shader files and their GL stage types).
  init(name: String, stages: [(file: String, type: Int32)], device: GLDevice) throws {
    self.name = name
    var shaders: [GLuint] = []
    defer { for s in shaders { glDeleteShader(s) } }
    for stage in stages {
      guard let source = EmbeddedShaders.sources[stage.file] else {
        throw GLError.missingShader(name: stage.file)
      }
      shaders.append(try Self.compile(source, type: GLenum(stage.type), name: stage.file))
    }
    var program = device.makeProgram()
    for s in shaders { glAttachShader(program, s) }
    glLinkProgram(program)
    var ok: GLint = 0
    glGetProgramiv(program, GLenum(GL_LINK_STATUS), &ok)
    if ok == 0 {
      let log = Self.infoLog(program, isProgram: true)
      device.deleteProgram(&program)
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

  private func location(_ uniform: String) -> GLint {
    if let l = locations[uniform] { return l }
    let l = glGetUniformLocation(id, uniform)
    locations[uniform] = l
    return l
  }

  /// Sets `uniform` of this program, which must be in use.
  func set<Value: UniformValue>(_ uniform: Uniform<Value>, _ value: Value) {
    value.set(at: location(uniform.name))
  }

  func destroy(on device: GLDevice) { device.deleteProgram(&id) }
}

// MARK: - Typed uniforms

/// A value a uniform holds, and the GL call that sets it.
protocol UniformValue {
  func set(at location: GLint)
}

extension Float: UniformValue {
  func set(at location: GLint) { glUniform1f(location, self) }
}

extension SIMD2<Float>: UniformValue {
  func set(at location: GLint) { glUniform2f(location, x, y) }
}

extension SIMD3<Float>: UniformValue {
  func set(at location: GLint) { glUniform3f(location, x, y, z) }
}

extension Int32: UniformValue {
  func set(at location: GLint) { glUniform1i(location, self) }
}

/// A 4 x 4 matrix, column-major (`Mat4.floats`).
struct Matrix4: UniformValue {
  var columns: [Float]
  init(_ m: Mat4) { columns = m.floats }
  func set(at location: GLint) {
    columns.withUnsafeBufferPointer { glUniformMatrix4fv(location, 1, GLboolean(GL_FALSE), $0.baseAddress) }
  }
}

/// The texture unit a sampler reads.
struct TextureUnit: UniformValue {
  var unit: Int32
  func set(at location: GLint) { glUniform1i(location, unit) }
}

extension SIMD3<Float> {
  init(_ v: Vec3) { self.init(Float(v.x), Float(v.y), Float(v.z)) }
}

/// A uniform by its GLSL name and its type.
struct Uniform<Value: UniformValue> {
  let name: String
  init(_ name: String) { self.name = name }
}

/// The uniforms of the shaders in Shaders/, in one place.
enum Uniforms {
  /// Data or pixel coordinates to clip space.
  static let matrix = Uniform<Matrix4>("u_matrix")
  static let view = Uniform<Matrix4>("u_view")
  static let projection = Uniform<Matrix4>("u_projection")
  /// Blinn-Phong lighting (`Lighting`).
  static let lightDirection = Uniform<SIMD3<Float>>("u_light_dir")
  static let ambient = Uniform<Float>("u_ambient")
  static let diffuse = Uniform<Float>("u_diffuse")
  static let specular = Uniform<Float>("u_specular")
  static let shininess = Uniform<Float>("u_shininess")
  /// Axis space to the normalized box (`SurfaceTransform`, `ScatterTransform`).
  static let scale = Uniform<SIMD3<Float>>("u_scale")
  static let offset = Uniform<SIMD3<Float>>("u_offset")
  static let normalScale = Uniform<SIMD3<Float>>("u_normal_scale")
  /// Colour value to colour-map coordinate: (scale, offset).
  static let colorMapping = Uniform<SIMD2<Float>>("u_color")
  static let useColormap = Uniform<Int32>("u_use_colormap")
  static let colormap = Uniform<TextureUnit>("u_colormap")
  static let opacity = Uniform<Float>("u_opacity")
  /// Viewport size in pixels (wide lines), and the marker size factor.
  static let viewport = Uniform<SIMD2<Float>>("u_viewport")
  static let pointScale = Uniform<Float>("u_scale_px")
  /// A scatter line's dash pattern (line.frag) and its unit, in the viewport's units.
  static let dash = Uniform<Int32>("u_dash")
  static let dashUnit = Uniform<Float>("u_dash_unit")
  /// The markers' outline: its colour and width in pixels (0: none).
  static let outlineColor = Uniform<SIMD3<Float>>("u_outline_color")
  static let outlineWidth = Uniform<Float>("u_outline_width")
  /// The marker's shape (`symbolCode`).
  static let symbol = Uniform<Int32>("u_symbol")

  /// point.frag's `u_symbol`.
  static func symbolCode(_ s: ScatterTrace.Symbol) -> Int32 {
    switch s {
    case .circle: return 0
    case .ring: return 1
    case .cross: return 2
    case .square: return 3
    case .squareOpen: return 4
    case .diamond: return 5
    case .diamondOpen: return 6
    case .plus: return 7
    }
  }
  /// The font atlas, and the image and its texel size for FXAA.
  static let atlas = Uniform<TextureUnit>("u_atlas")
  static let image = Uniform<TextureUnit>("u_image")
  static let texel = Uniform<SIMD2<Float>>("u_texel")
}

/// Every program the renderer draws with, compiled once per context.
struct Programs {
  let surface, surfaceVertexLit, line, flat, text, colorbar, scatterLine, scatterPoint, mesh, fxaa: GLProgram

  init(device: GLDevice) throws {
    func make(_ name: String, _ stages: [(String, Int32)]) throws -> GLProgram {
      try GLProgram(name: name, stages: stages, device: device)
    }
    surface = try make("surface", [("surface.vert", GL_VERTEX_SHADER), ("surface.frag", GL_FRAGMENT_SHADER)])
    surfaceVertexLit = try make(
      "surface_vertexlit",
      [("surface_vertexlit.vert", GL_VERTEX_SHADER), ("surface_vertexlit.frag", GL_FRAGMENT_SHADER)])
    line = try make(
      "line", [("line.vert", GL_VERTEX_SHADER), ("line.geom", GL_GEOMETRY_SHADER), ("line.frag", GL_FRAGMENT_SHADER)])
    flat = try make("flat", [("flat.vert", GL_VERTEX_SHADER), ("flat.frag", GL_FRAGMENT_SHADER)])
    text = try make("text", [("text.vert", GL_VERTEX_SHADER), ("text.frag", GL_FRAGMENT_SHADER)])
    colorbar = try make("colorbar", [("colorbar.vert", GL_VERTEX_SHADER), ("colorbar.frag", GL_FRAGMENT_SHADER)])
    scatterLine = try make(
      "scatter_line",
      [("scatter_line.vert", GL_VERTEX_SHADER), ("line.geom", GL_GEOMETRY_SHADER), ("line.frag", GL_FRAGMENT_SHADER)])
    scatterPoint = try make(
      "scatter_point", [("scatter_point.vert", GL_VERTEX_SHADER), ("point.frag", GL_FRAGMENT_SHADER)])
    mesh = try make("mesh", [("mesh.vert", GL_VERTEX_SHADER), ("mesh.frag", GL_FRAGMENT_SHADER)])
    fxaa = try make("fxaa", [("fxaa.vert", GL_VERTEX_SHADER), ("fxaa.frag", GL_FRAGMENT_SHADER)])
  }

  var all: [GLProgram] { [surface, surfaceVertexLit, line, flat, text, colorbar, scatterLine, scatterPoint, mesh, fxaa] }

  func destroy(on device: GLDevice) { for p in all { p.destroy(on: device) } }
}

extension Substring {
  fileprivate func trimmingCharactersWhitespace() -> Substring {
    var s = self
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
    return s
  }
}
