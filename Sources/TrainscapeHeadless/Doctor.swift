import CEGL
import CGL
import Foundation

/// What `trainscape doctor` prints: the EGL platforms and devices, and for each backend whether
/// it works here and, if not, why not.
public enum Doctor {
  public struct BackendStatus: Sendable {
    public var name: String
    public var available: Bool
    public var detail: String
    public init(name: String, available: Bool, detail: String) {
      self.name = name
      self.available = available
      self.detail = detail
    }
  }

  public static func probe() -> [BackendStatus] {
    var result: [BackendStatus] = []
    guard let ext = EGLProbe.clientExtensions else {
      return [
        BackendStatus(
          name: "EGL", available: false,
          detail: "libEGL loaded but reports no client extensions: no EGL vendor library is installed (Mesa: libegl-mesa0; NVIDIA: the driver's EGL), or __EGL_VENDOR_LIBRARY_FILENAMES points at nothing")
      ]
    }
    func tryContext(_ name: String, _ gpu: GPUSelection) {
      do {
        let ctx = try HeadlessContext(gpu: gpu)
        let detail = "\(ctx.backend): OpenGL \(ctx.glVersion), renderer \(ctx.glRenderer), vendor \(ctx.glVendor)"
          + (ctx.warnings.isEmpty ? "" : " (\(ctx.warnings.joined(separator: "; ")))")
        ctx.destroy()
        result.append(BackendStatus(name: name, available: true, detail: detail))
      } catch {
        result.append(BackendStatus(name: name, available: false, detail: "\(error)"))
      }
    }
    if ext.contains("EGL_MESA_platform_surfaceless") {
      tryContext("headless surfaceless (Mesa)", .surfaceless)
    } else {
      result.append(
        BackendStatus(
          name: "headless surfaceless (Mesa)", available: false,
          detail: "EGL_MESA_platform_surfaceless is not among the client extensions (not Mesa)"))
    }
    if ext.contains("EGL_EXT_platform_device") {
      let devices = EGLProbe.devices()
      if devices.isEmpty {
        result.append(
          BackendStatus(
            name: "headless EGL device", available: false,
            detail: "EGL_EXT_platform_device is supported but no devices are listed"))
      }
      for d in devices {
        let sel: GPUSelection = .device(d.cudaOrdinal ?? d.index)
        tryContext("headless EGL device \(d.summary) (--gpu \(d.cudaOrdinal ?? d.index))", sel)
      }
    } else {
      result.append(
        BackendStatus(
          name: "headless EGL device", available: false,
          detail: "EGL_EXT_platform_device is not among the client extensions"))
    }
    return result
  }

  /// The report `trainscape doctor` prints; `extra` adds backends probed elsewhere (the window).
  public static func report(extra: [BackendStatus] = []) -> String {
    var lines: [String] = []
    let env = ProcessInfo.processInfo.environment
    lines.append("EGL client extensions: \(EGLProbe.clientExtensions?.joined(separator: " ") ?? "none (EGL unusable)")")
    let devices = EGLProbe.devices()
    lines.append("EGL devices: \(devices.isEmpty ? "none listed" : "")")
    for d in devices {
      lines.append("  \(d.summary)")
      lines.append("    extensions: \(d.extensions.joined(separator: " "))")
    }
    for key in ["__EGL_VENDOR_LIBRARY_FILENAMES", "__EGL_VENDOR_LIBRARY_DIRS", "CUDA_VISIBLE_DEVICES", "LIBGL_ALWAYS_SOFTWARE", "DISPLAY"] {
      if let v = env[key] { lines.append("\(key)=\(v)") }
    }
    if ts_gl_load() == nil { lines.append("OpenGL functions: from \(String(cString: ts_gl_source()))") }
    lines.append("Backends:")
    for b in probe() + extra {
      lines.append("  [\(b.available ? "ok" : "--")] \(b.name): \(b.detail)")
    }
    return lines.joined(separator: "\n")
  }
}
