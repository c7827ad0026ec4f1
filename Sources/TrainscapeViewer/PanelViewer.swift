import CGL
import CGLFW
import Foundation
import TrainscapeCore
import TrainscapeGL
import TrainscapeIO

/// The window of a 2D panel figure (`view dynamics`): drag pans, the wheel zooms about the
/// cursor (over a panel: both axes; over its x tick labels: x only; over its y tick labels: y
/// only), hovering reads the values at the step under the cursor. Keys: R reset, A hide/show
/// stages and marks, S screenshot, Q or Esc quit. Script events (`ScriptEvent`) drive it in CI.
///
/// Does not: build the figure (the caller does) or decide what pan and zoom mean
/// (`PanelNavigator`, in the core); it turns input into those calls and draws the layout.
@MainActor
public final class PanelViewer {
  let options: ViewerOptions
  var navigator: PanelNavigator
  var window: Window?
  var renderer: SceneRenderer?
  private var target: OffscreenFramebuffer?
  var drag: (panel: Int, button: ScriptEvent.Button, last: PixelPoint)?
  var cursor: PixelPoint?
  var needsRedraw = true
  private var lastFrameTime = -Double.infinity
  private let startTime = ContinuousClock.now
  private var scriptIndex = 0
  private var screenshotCounter = 0
  public private(set) var framesDrawn = 0

  public init(figure: PanelFigure, options: ViewerOptions) {
    self.options = options
    navigator = PanelNavigator(figure)
  }

  var now: Double {
    let d = ContinuousClock.now - startTime
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  /// Opens the window and runs until it is closed or `quitAfter` passes (after the script);
  /// writes `options.screenshot` at exit. Throws `ViewerError` as `Viewer.run` does.
  public func run() throws {
    let display = try Window.display().get()
    try Window.initialize(display: display)
    defer { Window.terminate() }
    let title = navigator.original.title.isEmpty ? "trainscape" : "\(navigator.original.title) - trainscape"
    let w = try Window(width: options.width, height: options.height, samples: options.samples, title: title)
    window = w
    defer {
      w.destroy()
      window = nil
    }
    let r = try SceneRenderer()
    renderer = r
    defer {
      target?.destroy()
      target = nil
      r.destroy()
      renderer = nil
    }
    installCallbacks(w)
    while !w.shouldClose {
      if let q = options.quitAfter, now >= q, scriptIndex >= options.script.count { break }
      try iterate()
    }
    if let path = options.screenshot {
      try writeScreenshot(to: path, overwrite: options.overwrite)
      printLine(path)
    }
  }

  private func iterate() throws {
    let t = now
    while scriptIndex < options.script.count, options.script[scriptIndex].time <= t {
      try apply(options.script[scriptIndex].action)
      scriptIndex += 1
    }
    let frameInterval = options.fpsLimit > 0 ? 1 / options.fpsLimit : 0
    if needsRedraw && t - lastFrameTime >= frameInterval { drawFrame() }
    var timeout = 0.25
    if scriptIndex < options.script.count { timeout = min(timeout, options.script[scriptIndex].time - t) }
    if let q = options.quitAfter { timeout = min(timeout, q - t) }
    if needsRedraw { timeout = min(timeout, lastFrameTime + frameInterval - t) }
    window?.waitEvents(timeout: timeout)
  }

  // MARK: - Input

  private func installCallbacks(_ w: Window) {
    glfwSetWindowUserPointer(w.handle, Unmanaged.passUnretained(self).toOpaque())
    // A script drives the pointer: the real one (wherever the X server has it when the window
    // maps, possibly after the script's first events) neither moves nor leaves.
    glfwSetCursorPosCallback(w.handle) { win, x, y in
      MainActor.assumeIsolated {
        guard let v = PanelViewer.from(win), v.options.script.isEmpty else { return }
        v.cursorMoved(PixelPoint(x, y))
      }
    }
    glfwSetMouseButtonCallback(w.handle) { win, button, action, _ in
      MainActor.assumeIsolated {
        guard let v = PanelViewer.from(win), let w = v.window, v.options.script.isEmpty else { return }
        let c = v.cursor ?? PixelPoint(w.cursor.x, w.cursor.y)
        let b: ScriptEvent.Button =
          button == GLFW_MOUSE_BUTTON_RIGHT ? .right : (button == GLFW_MOUSE_BUTTON_MIDDLE ? .middle : .left)
        if action == GLFW_PRESS { v.pressed(b, at: c) } else if action == GLFW_RELEASE { v.released(b) }
      }
    }
    glfwSetScrollCallback(w.handle) { win, _, dy in
      MainActor.assumeIsolated {
        guard let v = PanelViewer.from(win), let w = v.window, v.options.script.isEmpty else { return }
        v.scrolled(dy, at: v.cursor ?? PixelPoint(w.cursor.x, w.cursor.y))
      }
    }
    glfwSetKeyCallback(w.handle) { win, key, _, action, _ in
      MainActor.assumeIsolated {
        guard action == GLFW_PRESS, let v = PanelViewer.from(win) else { return }
        switch key {
        case GLFW_KEY_ESCAPE, GLFW_KEY_Q: v.window?.shouldClose = true
        case GLFW_KEY_A...GLFW_KEY_Z: v.keyPressed(String(UnicodeScalar(UInt8(key))))
        default: break
        }
      }
    }
    glfwSetFramebufferSizeCallback(w.handle) { win, _, _ in
      MainActor.assumeIsolated { PanelViewer.from(win)?.needsRedraw = true }
    }
    glfwSetWindowRefreshCallback(w.handle) { win in
      MainActor.assumeIsolated { PanelViewer.from(win)?.needsRedraw = true }
    }
    glfwSetCursorEnterCallback(w.handle) { win, entered in
      MainActor.assumeIsolated {
        guard entered == 0, let v = PanelViewer.from(win), v.options.script.isEmpty else { return }
        v.cursor = nil
        v.needsRedraw = true
      }
    }
  }

  private static func from(_ win: OpaquePointer?) -> PanelViewer? {
    guard let win, let p = glfwGetWindowUserPointer(win) else { return nil }
    return Unmanaged<PanelViewer>.fromOpaque(p).takeUnretainedValue()
  }

  /// A script event, as if the user did it.
  func apply(_ action: ScriptEvent.Action) throws {
    switch action {
    case .press(let b, let x, let y, _):
      cursorMoved(PixelPoint(x, y))
      pressed(b, at: PixelPoint(x, y))
    case .move(let x, let y): cursorMoved(PixelPoint(x, y))
    case .release(let b, let x, let y):
      cursorMoved(PixelPoint(x, y))
      released(b)
    case .scroll(let x, let y, let dy):
      cursorMoved(PixelPoint(x, y))
      scrolled(dy, at: PixelPoint(x, y))
    case .key(let k): keyPressed(k)
    case .resize(let w, let h):
      window?.setSize(width: w, height: h)
      needsRedraw = true
    case .screenshot(let path):
      try writeScreenshot(to: path, overwrite: options.overwrite)
      printLine(path)
    }
  }

  private var rects: [PixelRect] {
    let (w, h) = framebufferSize
    return navigator.layout(width: w, height: h).plotRects
  }

  func pressed(_ b: ScriptEvent.Button, at p: PixelPoint) {
    let px = toPixels(p)
    guard let i = navigator.panel(at: px, rects: rects) else { return }
    drag = (i, b, px)
    needsRedraw = true
  }

  func released(_ b: ScriptEvent.Button) {
    guard drag?.button == b else { return }
    drag = nil
    needsRedraw = true
  }

  func cursorMoved(_ p: PixelPoint) {
    cursor = p
    if let d = drag {
      let px = toPixels(p)
      navigator.pan(panel: d.panel, from: d.last, to: px, rects: rects)
      drag?.last = px
    }
    needsRedraw = true
  }

  func scrolled(_ dy: Double, at p: PixelPoint) {
    guard dy != 0 else { return }
    let px = toPixels(p)
    let rs = rects
    if let i = navigator.panel(at: px, rects: rs) {
      navigator.zoom(panel: i, steps: dy, at: px, rects: rs)
    } else if let (i, axes) = Self.axisUnder(px, rects: rs, unit: unit) {
      navigator.zoom(panel: i, steps: dy, at: px, rects: rs, axes: axes)
    } else {
      return
    }
    needsRedraw = true
  }

  /// The panel whose x tick labels (below it) or y tick labels (left of it) are under `p`.
  static func axisUnder(_ p: PixelPoint, rects: [PixelRect], unit: Double) -> (Int, PanelNavigator.ZoomAxes)? {
    let reach = 48 * unit
    if let i = rects.firstIndex(where: { p.x >= $0.x && p.x <= $0.maxX && p.y > $0.maxY && p.y <= $0.maxY + reach }) {
      return (i, .x)
    }
    if let i = rects.firstIndex(where: { p.y >= $0.y && p.y <= $0.maxY && p.x < $0.x && p.x >= $0.x - reach }) {
      return (i, .y)
    }
    return nil
  }

  func keyPressed(_ k: String) {
    switch k {
    case "R":
      navigator.reset()
      needsRedraw = true
    case "A":
      guard navigator.hasAnnotations else {
        note("A: no annotations to hide (--stages, --mark, --mark-first)")
        return
      }
      navigator.annotationsHidden.toggle()
      note("annotations \(navigator.annotationsHidden ? "hidden" : "shown")")
      needsRedraw = true
    case "S":
      numberedScreenshot()
    default:
      break
    }
  }

  private func numberedScreenshot() {
    writeNumberedScreenshot(runName: options.runName ?? "dynamics", counter: &screenshotCounter) {
      try writeScreenshot(to: $0, overwrite: false)
    }
  }

  // MARK: - Frames

  private var framebufferSize: (width: Int, height: Int) { window?.framebufferSize ?? (1, 1) }
  private var unit: Double {
    let (w, h) = framebufferSize
    return min(Double(w) / 1280, Double(h) / 720)
  }

  private func toPixels(_ p: PixelPoint) -> PixelPoint {
    let s = window?.pixelScale ?? (x: 1, y: 1)
    return PixelPoint(p.x * s.x, p.y * s.y)
  }

  /// The layout at the framebuffer size, with the readout where the cursor is (not while
  /// dragging).
  func frameLayout() -> FrameLayout {
    let (w, h) = framebufferSize
    let result = navigator.layout(width: w, height: h)
    guard drag == nil, let c = cursor else { return result.frame }
    let px = toPixels(c)
    guard let r = navigator.readout(at: px, rects: result.plotRects) else { return result.frame }
    return result.frame.addingPanelReadout(r, at: px, background: navigator.original.background)
  }

  private func drawFrame() {
    guard let window, let renderer else { return }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    glEnable(GLenum(GL_MULTISAMPLE))
    renderer.draw(frameLayout(), background: navigator.original.background)
    window.swapBuffers()
    framesDrawn += 1
    lastFrameTime = now
    needsRedraw = false
  }

  /// Renders the current view into an offscreen framebuffer at the window's framebuffer size
  /// (what `render dynamics` draws at that size, plus the readout if one shows) and writes it.
  public func writeScreenshot(to path: String, overwrite: Bool) throws {
    guard let renderer else { return }
    let (w, h) = framebufferSize
    if target == nil || target!.width != w || target!.height != h {
      target?.destroy()
      target = try? OffscreenFramebuffer(width: w, height: h, samples: options.samples, device: renderer.device)
    }
    guard let target else { throw ViewerError.glfw("cannot create a \(w)x\(h) framebuffer for the screenshot") }
    target.bind()
    renderer.draw(frameLayout(), background: navigator.original.background)
    try PNGCodec.write(target.read(), to: path, options: PNGOptions(), overwrite: overwrite)
  }
}
