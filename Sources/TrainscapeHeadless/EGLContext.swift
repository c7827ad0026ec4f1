import CEGL
import CGL
import Foundation

/// Which EGL display a headless context runs on.
public enum GPUSelection: Equatable, Sendable, CustomStringConvertible {
  /// A hardware EGL device if there is one (NVIDIA, or a DRM GPU), else Mesa's surfaceless
  /// software platform.
  case auto
  /// Mesa's surfaceless platform (`EGL_PLATFORM_SURFACELESS_MESA`): llvmpipe on a CPU box.
  case surfaceless
  /// An `EGL_EXT_platform_device` device: the one whose CUDA ordinal is `n` when the driver
  /// reports ordinals (NVIDIA), otherwise the n-th EGL device.
  case device(Int)

  public var description: String {
    switch self {
    case .auto: return "auto"
    case .surfaceless: return "surfaceless"
    case .device(let n): return "device \(n)"
    }
  }

  /// Parses `--gpu`: "auto", "cpu"/"software"/"surfaceless", or a number.
  public init?(argument: String) {
    switch argument.lowercased() {
    case "auto": self = .auto
    case "cpu", "software", "surfaceless": self = .surfaceless
    default:
      guard let n = Int(argument), n >= 0 else { return nil }
      self = .device(n)
    }
  }
}

public enum HeadlessError: Error, CustomStringConvertible {
  case noEGL(reason: String)
  case noDevice(requested: Int, available: [String])
  case contextCreation(reason: String)

  public var description: String {
    switch self {
    case .noEGL(let reason):
      return
        "no usable EGL/OpenGL: \(reason). Install Mesa's EGL (apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri) or the NVIDIA driver, and run `trainscape doctor` to see what is found."
    case .noDevice(let requested, let available):
      return
        "EGL device \(requested) not found; available: \(available.isEmpty ? "none" : available.joined(separator: "; "))"
    case .contextCreation(let reason):
      return "cannot create an OpenGL 3.3 core context: \(reason)"
    }
  }
}

/// One EGL device as `EGL_EXT_device_enumeration` lists it.
public struct EGLDeviceInfo: Sendable, Equatable {
  public var index: Int
  public var extensions: [String]
  public var drmDevice: String?
  public var drmRenderNode: String?
  public var cudaOrdinal: Int?

  public var isSoftware: Bool { extensions.contains("EGL_MESA_device_software") }
  public var summary: String {
    var parts = ["#\(index)"]
    parts.append(isSoftware ? "software (Mesa llvmpipe)" : "hardware")
    if let c = cudaOrdinal { parts.append("CUDA \(c)") }
    if let d = drmRenderNode ?? drmDevice { parts.append(d) }
    return parts.joined(separator: " ")
  }
}

/// EGL errors as names.
func eglErrorName(_ code: EGLint) -> String {
  switch code {
  case EGL_SUCCESS: return "EGL_SUCCESS"
  case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED"
  case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS"
  case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC"
  case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE"
  case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG"
  case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT"
  case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY"
  case EGL_BAD_MATCH: return "EGL_BAD_MATCH"
  case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER"
  default: return "EGL error 0x\(String(code, radix: 16))"
  }
}

private func cString(_ p: UnsafePointer<CChar>?) -> String? {
  guard let p else { return nil }
  return String(cString: p)
}

/// EGL extension entry points that libEGL may not export directly.
struct EGLDeviceFunctions {
  let queryDevices: PFNEGLQUERYDEVICESEXTPROC
  let queryDeviceString: PFNEGLQUERYDEVICESTRINGEXTPROC
  let queryDeviceAttrib: PFNEGLQUERYDEVICEATTRIBEXTPROC?

  static func load() -> EGLDeviceFunctions? {
    guard let qd = eglGetProcAddress("eglQueryDevicesEXT"),
      let qs = eglGetProcAddress("eglQueryDeviceStringEXT")
    else { return nil }
    let qa = eglGetProcAddress("eglQueryDeviceAttribEXT")
    return EGLDeviceFunctions(
      queryDevices: unsafeBitCast(qd, to: PFNEGLQUERYDEVICESEXTPROC.self),
      queryDeviceString: unsafeBitCast(qs, to: PFNEGLQUERYDEVICESTRINGEXTPROC.self),
      queryDeviceAttrib: qa.map { unsafeBitCast($0, to: PFNEGLQUERYDEVICEATTRIBEXTPROC.self) })
  }
}

public enum EGLProbe {
  /// Client extensions (no display needed), or nil when EGL itself is unusable.
  public static var clientExtensions: [String]? {
    guard let s = cString(eglQueryString(ts_egl_no_display(), EGL_EXTENSIONS)) else { return nil }
    return s.split(separator: " ").map(String.init)
  }

  /// The EGL devices (empty when the driver cannot enumerate them).
  public static func devices() -> [EGLDeviceInfo] {
    guard let f = EGLDeviceFunctions.load() else { return [] }
    let queryDevices = f.queryDevices, queryString = f.queryDeviceString
    var count: EGLint = 0
    guard queryDevices(0, nil, &count) == EGL_TRUE, count > 0 else { return [] }
    var devices = [EGLDeviceEXT?](repeating: nil, count: Int(count))
    guard queryDevices(count, &devices, &count) == EGL_TRUE else { return [] }
    return devices.prefix(Int(count)).enumerated().map { i, dev in
      let ext = cString(queryString(dev, EGL_EXTENSIONS))?.split(separator: " ").map(String.init) ?? []
      var info = EGLDeviceInfo(index: i, extensions: ext)
      if ext.contains("EGL_EXT_device_drm") {
        info.drmDevice = cString(queryString(dev, EGL_DRM_DEVICE_FILE_EXT))
      }
      if ext.contains("EGL_EXT_device_drm_render_node") {
        info.drmRenderNode = cString(queryString(dev, EGL_DRM_RENDER_NODE_FILE_EXT))
      }
      if ext.contains("EGL_NV_device_cuda"), let attrib = f.queryDeviceAttrib {
        var value: EGLAttrib = 0
        if attrib(dev, EGLint(EGL_CUDA_DEVICE_NV), &value) == EGL_TRUE { info.cudaOrdinal = Int(value) }
      }
      return info
    }
  }

  static func rawDevice(at index: Int) -> EGLDeviceEXT? {
    guard let f = EGLDeviceFunctions.load() else { return nil }
    let queryDevices = f.queryDevices
    var count: EGLint = 0
    guard queryDevices(0, nil, &count) == EGL_TRUE, index < Int(count) else { return nil }
    var devices = [EGLDeviceEXT?](repeating: nil, count: Int(count))
    guard queryDevices(count, &devices, &count) == EGL_TRUE else { return nil }
    return devices[index]
  }
}

/// A headless OpenGL 3.3 core context (no window, no X server), current on the calling thread.
///
/// Keep it on one thread: EGL contexts are current per thread, and a GL call without a current
/// context silently does nothing.
public final class HeadlessContext {
  public let display: EGLDisplay
  public let context: EGLContext
  /// "surfaceless (Mesa)" or "EGL device #0 …".
  public let backend: String
  public let warnings: [String]
  private var destroyed = false

  public var glVersion: String { glString(GL_VERSION) }
  public var glRenderer: String { glString(GL_RENDERER) }
  public var glVendor: String { glString(GL_VENDOR) }
  /// True on a software rasterizer (Mesa llvmpipe or softpipe, SwiftShader), where
  /// full-screen passes cost real CPU time.
  public var isSoftware: Bool { Self.isSoftwareRenderer(glRenderer) }

  private func glString(_ name: Int32) -> String {
    guard let p = glGetString(GLenum(name)) else { return "?" }
    return String(cString: p)
  }

  public init(gpu: GPUSelection = .auto) throws {
    var opened = try Self.open(gpu: gpu, softwareDevice: nil)
    // `--gpu cpu` means software rendering. The NVIDIA driver answers the surfaceless platform
    // too, so that can still land on the GPU: then take Mesa's software EGL device when glvnd
    // lists one, and otherwise say so rather than render on the GPU that was not asked for.
    if gpu == .surfaceless && !Self.isSoftwareRenderer(Self.currentString(GL_RENDERER)) {
      let onGPU = "\(Self.currentString(GL_RENDERER)) (\(Self.currentString(GL_VENDOR)))"
      Self.close(opened.display, opened.context)
      guard let sw = EGLProbe.devices().first(where: \.isSoftware) else {
        throw HeadlessError.contextCreation(
          reason:
            "--gpu cpu asks for software rendering, but the surfaceless platform here renders on \(onGPU) and no software EGL device is installed: install Mesa's EGL (apt-get install libegl-mesa0 libgl1-mesa-dri) to render on the CPU, or leave --gpu at auto to use the GPU")
      }
      opened = try Self.open(gpu: .device(sw.index), softwareDevice: sw)
    }
    self.display = opened.display
    self.context = opened.context
    self.backend = opened.backend
    self.warnings = opened.warnings
  }

  private static func currentString(_ name: Int32) -> String {
    guard let p = glGetString(GLenum(name)) else { return "?" }
    return String(cString: p)
  }

  static func isSoftwareRenderer(_ renderer: String) -> Bool {
    let r = renderer.lowercased()
    return ["llvmpipe", "softpipe", "swrast", "swiftshader", "software"].contains { r.contains($0) }
  }

  /// Releases a context; the display stays initialised, as in `destroy()`: another live
  /// context of this process may share it.
  private static func close(_ display: EGLDisplay, _ context: EGLContext) {
    eglMakeCurrent(display, ts_egl_no_surface(), ts_egl_no_surface(), ts_egl_no_context())
    eglDestroyContext(display, context)
  }

  /// Opens the display `gpu` selects (`softwareDevice`: that EGL device), makes an OpenGL 3.3
  /// core context current on it and loads the GL functions.
  private static func open(gpu: GPUSelection, softwareDevice: EGLDeviceInfo?) throws -> (
    display: EGLDisplay, context: EGLContext, backend: String, warnings: [String]
  ) {
    guard let clientExtensions = EGLProbe.clientExtensions else {
      throw HeadlessError.noEGL(reason: "EGL has no client extensions (\(eglErrorName(eglGetError())))")
    }
    var warnings: [String] = []
    var display: EGLDisplay?
    var backend = ""
    let hasDevicePlatform = clientExtensions.contains("EGL_EXT_platform_device")
    let hasSurfaceless = clientExtensions.contains("EGL_MESA_platform_surfaceless")

    func openDevice(_ info: EGLDeviceInfo) -> EGLDisplay? {
      guard let dev = EGLProbe.rawDevice(at: info.index) else { return nil }
      let d = eglGetPlatformDisplay(EGLenum(EGL_PLATFORM_DEVICE_EXT), dev, nil)
      return d == ts_egl_no_display() ? nil : d
    }

    switch gpu {
    case .device where softwareDevice != nil:
      if let sw = softwareDevice, let d = openDevice(sw) {
        display = d
        backend = "EGL device \(sw.summary)"
      }
    case .device(let n):
      let devices = hasDevicePlatform ? EGLProbe.devices() : []
      let byCuda = devices.first { $0.cudaOrdinal == n }
      let chosen = byCuda ?? (devices.contains { $0.cudaOrdinal != nil } ? nil : devices.first { $0.index == n })
      if let chosen, let d = openDevice(chosen) {
        display = d
        backend = "EGL device \(chosen.summary)"
      } else {
        warnings.append(
          "GPU \(n) not found among EGL devices [\(devices.map(\.summary).joined(separator: "; "))]; falling back to software rendering")
      }
    case .auto:
      if hasDevicePlatform, let hw = EGLProbe.devices().first(where: { !$0.isSoftware }),
        let d = openDevice(hw)
      {
        display = d
        backend = "EGL device \(hw.summary)"
      }
    case .surfaceless:
      break
    }
    if display == nil && hasSurfaceless {
      let d = eglGetPlatformDisplay(EGLenum(EGL_PLATFORM_SURFACELESS_MESA), ts_egl_default_display(), nil)
      if d != ts_egl_no_display() {
        display = d
        backend = "surfaceless (Mesa)"
      }
    }
    if display == nil && hasDevicePlatform, let any = EGLProbe.devices().first, let d = openDevice(any) {
      display = d
      backend = "EGL device \(any.summary)"
    }
    guard let display else {
      throw HeadlessError.noEGL(
        reason: "no EGL display: neither EGL_MESA_platform_surfaceless nor an EGL_EXT_platform_device device could be opened (client extensions: \(clientExtensions.joined(separator: " ")))")
    }
    var major: EGLint = 0, minor: EGLint = 0
    guard eglInitialize(display, &major, &minor) == EGL_TRUE else {
      throw HeadlessError.noEGL(reason: "eglInitialize failed on \(backend): \(eglErrorName(eglGetError()))")
    }
    guard eglBindAPI(EGLenum(EGL_OPENGL_API)) == EGL_TRUE else {
      eglTerminate(display)
      throw HeadlessError.contextCreation(reason: "eglBindAPI(EGL_OPENGL_API): \(eglErrorName(eglGetError()))")
    }
    let configAttributes: [EGLint] = [
      EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
      EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_NONE,
    ]
    var config: EGLConfig?
    var configCount: EGLint = 0
    guard eglChooseConfig(display, configAttributes, &config, 1, &configCount) == EGL_TRUE,
      configCount > 0
    else {
      eglTerminate(display)
      throw HeadlessError.contextCreation(reason: "no EGL config with OpenGL on \(backend)")
    }
    let contextAttributes: [EGLint] = [
      EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
      EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE,
    ]
    let ctx = eglCreateContext(display, config, ts_egl_no_context(), contextAttributes)
    guard let ctx, ctx != ts_egl_no_context() else {
      let err = eglErrorName(eglGetError())
      eglTerminate(display)
      throw HeadlessError.contextCreation(reason: "eglCreateContext on \(backend): \(err)")
    }
    guard eglMakeCurrent(display, ts_egl_no_surface(), ts_egl_no_surface(), ctx) == EGL_TRUE else {
      let err = eglErrorName(eglGetError())
      eglDestroyContext(display, ctx)
      eglTerminate(display)
      throw HeadlessError.contextCreation(reason: "eglMakeCurrent (surfaceless) on \(backend): \(err)")
    }
    // GL functions are resolved at run time (CGL): from libOpenGL.so.0, else eglGetProcAddress.
    if let reason = ts_gl_load() {
      eglMakeCurrent(display, ts_egl_no_surface(), ts_egl_no_surface(), ts_egl_no_context())
      eglDestroyContext(display, ctx)
      eglTerminate(display)
      throw HeadlessError.contextCreation(reason: String(cString: reason))
    }
    return (display, ctx, backend, warnings)
  }

  /// Makes the context current on the calling thread.
  public func makeCurrent() {
    eglMakeCurrent(display, ts_egl_no_surface(), ts_egl_no_surface(), context)
  }

  public func destroy() {
    guard !destroyed else { return }
    eglMakeCurrent(display, ts_egl_no_surface(), ts_egl_no_surface(), ts_egl_no_context())
    eglDestroyContext(display, context)
    // Not eglTerminate: the display is shared by every context of this process on it, and
    // terminating it would pull the rug from under another live context.
    destroyed = true
  }

  deinit { destroy() }
}
