import CGL
import CGLFW
import Foundation
import TrainscapeCore

public enum ViewerError: Error, CustomStringConvertible {
  case noDisplay(String)
  case glfw(String)
  public var description: String {
    switch self {
    case .noDisplay(let m), .glfw(let m): return m
    }
  }
}

/// A GLFW window with an OpenGL 3.3 core context, on the main thread. GLFW is loaded with
/// dlopen here (`CGLFW`), so headless commands never need it.
///
/// Does not: draw, or know about scenes; `Viewer` does that through its callbacks.
@MainActor
final class Window {
  let handle: OpaquePointer

  /// The last error GLFW reported through its error callback (a C callback without context).
  nonisolated static let lastError = Locked<String?>(nil)

  /// The display GLFW would connect to, or why there is none.
  nonisolated static func display() -> Result<String, ViewerError> {
    let env = ProcessInfo.processInfo.environment
    let display = [env["DISPLAY"], env["WAYLAND_DISPLAY"]].compactMap { $0 }.first { !$0.isEmpty }
    guard let display else {
      return .failure(.noDisplay("no display (DISPLAY is not set): use `trainscape render` for headless images"))
    }
    return .success(display)
  }

  /// Loads GLFW and initializes it on `display`; the caller terminates it.
  static func initialize(display: String) throws {
    if let e = ts_glfw_load() { throw ViewerError.glfw(String(cString: e)) }
    glfwSetErrorCallback { code, description in
      Window.lastError.value = "GLFW error \(code): \(description.map { String(cString: $0) } ?? "")"
    }
    guard glfwInit() == GLFW_TRUE else {
      throw ViewerError.noDisplay(
        "cannot open the display '\(display)' (\(lastError.value ?? "glfwInit failed")): use `trainscape render` for headless images")
    }
  }

  static func terminate() { glfwTerminate() }

  /// Whether a window can be opened here, and why not (for `trainscape doctor`).
  static func probe() -> (available: Bool, detail: String) {
    let display: String
    switch Self.display() {
    case .failure:
      return (false, "DISPLAY is not set (no X server or Wayland compositor): `trainscape view` needs one; use `render`, `turntable` or Xvfb")
    case .success(let d): display = d
    }
    do {
      try initialize(display: display)
    } catch {
      return (false, "\(error)")
    }
    defer { glfwTerminate() }
    let version = glfwGetVersionString().map { String(cString: $0) } ?? "?"
    return (true, "GLFW \(version) on display '\(display)': `trainscape view KIND ...`")
  }

  /// Creates the window (`width` x `height` screen coordinates, `samples` x MSAA) and makes its
  /// context current. GLFW must be initialized.
  init(width: Int, height: Int, samples: Int, title: String) throws {
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3)
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3)
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE)
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE)
    glfwWindowHint(GLFW_SAMPLES, Int32(samples))
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE)
    guard let w = glfwCreateWindow(Int32(width), Int32(height), title, nil, nil) else {
      throw ViewerError.glfw(
        "cannot create a window with an OpenGL 3.3 core context (\(Self.lastError.value ?? "unknown error"))")
    }
    handle = w
    glfwMakeContextCurrent(w)
    glfwSwapInterval(0)  // the viewer paces frames itself (--fps-limit)
  }

  func destroy() { glfwDestroyWindow(handle) }

  var shouldClose: Bool {
    get { glfwWindowShouldClose(handle) != 0 }
    set { glfwSetWindowShouldClose(handle, newValue ? GLFW_TRUE : GLFW_FALSE) }
  }

  /// The framebuffer size in pixels (what is drawn and saved).
  var framebufferSize: (width: Int, height: Int) {
    var w: Int32 = 0, h: Int32 = 0
    glfwGetFramebufferSize(handle, &w, &h)
    return (max(1, Int(w)), max(1, Int(h)))
  }

  /// Framebuffer pixels per window coordinate (1 on Xvfb; 2 on a Retina-like screen).
  var pixelScale: (x: Double, y: Double) {
    var ww: Int32 = 0, wh: Int32 = 0
    glfwGetWindowSize(handle, &ww, &wh)
    let (fw, fh) = framebufferSize
    return (ww > 0 ? Double(fw) / Double(ww) : 1, wh > 0 ? Double(fh) / Double(wh) : 1)
  }

  var cursor: (x: Double, y: Double) {
    var x = 0.0, y = 0.0
    glfwGetCursorPos(handle, &x, &y)
    return (x, y)
  }

  func setTitle(_ title: String) { glfwSetWindowTitle(handle, title) }
  func setSize(width: Int, height: Int) { glfwSetWindowSize(handle, Int32(width), Int32(height)) }
  func swapBuffers() { glfwSwapBuffers(handle) }

  /// Handles pending events, waiting up to `timeout` seconds for one when it is positive.
  func waitEvents(timeout: Double) {
    if timeout > 0.0005 { glfwWaitEventsTimeout(timeout) } else { glfwPollEvents() }
  }

  /// Wakes a `waitEvents` from any thread.
  nonisolated static func wake() { glfwPostEmptyEvent() }
}
