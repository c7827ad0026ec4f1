import CGLFW
import Foundation
import TrainscapeCore
import TrainscapeIO

/// Mouse, keys and script events: the camera, the hover readout, the decoration (hidden
/// traces, colour map, marker size) and screenshots.
extension Viewer {
  /// GLFW calls these on the main thread, from `glfwPollEvents` and `glfwWaitEvents`.
  func installCallbacks(_ w: Window) {
    glfwSetWindowUserPointer(w.handle, Unmanaged.passUnretained(self).toOpaque())
    // A script drives the pointer: the real one (wherever the X server has it when the window
    // maps, possibly after the script's first events) neither moves nor leaves.
    glfwSetCursorPosCallback(w.handle) { win, x, y in
      MainActor.assumeIsolated {
        guard let v = Viewer.from(win), v.options.script.isEmpty else { return }
        v.cursorMoved(PixelPoint(x, y))
      }
    }
    glfwSetMouseButtonCallback(w.handle) { win, button, action, mods in
      MainActor.assumeIsolated {
        guard let v = Viewer.from(win), v.options.script.isEmpty,
          let c = v.cursor ?? v.window.map({ PixelPoint($0.cursor.x, $0.cursor.y) })
        else { return }
        let b: ScriptEvent.Button =
          button == GLFW_MOUSE_BUTTON_RIGHT ? .right : (button == GLFW_MOUSE_BUTTON_MIDDLE ? .middle : .left)
        if action == GLFW_PRESS {
          v.pressed(b, at: c, shift: mods & GLFW_MOD_SHIFT != 0)
        } else if action == GLFW_RELEASE {
          v.released(b, at: c)
        }
      }
    }
    glfwSetScrollCallback(w.handle) { win, _, dy in
      MainActor.assumeIsolated {
        guard let v = Viewer.from(win), v.options.script.isEmpty,
          let c = v.cursor ?? v.window.map({ PixelPoint($0.cursor.x, $0.cursor.y) })
        else { return }
        v.scrolled(dy, at: c)
      }
    }
    glfwSetKeyCallback(w.handle) { win, key, _, action, _ in
      MainActor.assumeIsolated {
        guard action == GLFW_PRESS || action == GLFW_REPEAT, let v = Viewer.from(win) else { return }
        let name: String?
        switch key {
        case GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD: name = "+"
        case GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT: name = "-"
        case GLFW_KEY_ESCAPE, GLFW_KEY_Q:
          v.window?.shouldClose = true
          name = nil
        case GLFW_KEY_1...GLFW_KEY_9, GLFW_KEY_A...GLFW_KEY_Z:
          name = String(UnicodeScalar(UInt8(key)))
        default: name = nil
        }
        if let name, ViewerScript.keys.contains(name) { v.keyPressed(name) }
      }
    }
    glfwSetFramebufferSizeCallback(w.handle) { win, _, _ in
      MainActor.assumeIsolated { Viewer.from(win)?.needsRedraw = true }
    }
    glfwSetWindowRefreshCallback(w.handle) { win in
      MainActor.assumeIsolated { Viewer.from(win)?.needsRedraw = true }
    }
    glfwSetCursorEnterCallback(w.handle) { win, entered in
      MainActor.assumeIsolated {
        guard entered == 0, let v = Viewer.from(win), v.options.script.isEmpty else { return }
        v.cursor = nil
        if v.readout != nil { v.readout = nil; v.needsRedraw = true }
      }
    }
  }

  private static func from(_ win: OpaquePointer?) -> Viewer? {
    guard let win, let p = glfwGetWindowUserPointer(win) else { return nil }
    return Unmanaged<Viewer>.fromOpaque(p).takeUnretainedValue()
  }

  /// A script event (`--script`), as if the user did it.
  func apply(_ action: ScriptEvent.Action) throws {
    switch action {
    case .press(let b, let x, let y, let shift):
      cursorMoved(PixelPoint(x, y))
      pressed(b, at: PixelPoint(x, y), shift: shift)
    case .move(let x, let y): cursorMoved(PixelPoint(x, y))
    case .release(let b, let x, let y):
      cursorMoved(PixelPoint(x, y))
      released(b, at: PixelPoint(x, y))
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

  func pressed(_ b: ScriptEvent.Button, at p: PixelPoint, shift: Bool) {
    let mode: DragMode = (b == .left && !shift) ? .rotate : .pan
    drag = (mode, b, p, p)
    if readout != nil { readout = nil; needsRedraw = true }
  }

  func released(_ b: ScriptEvent.Button, at p: PixelPoint) {
    guard let d = drag, d.button == b else { return }
    drag = nil
    let moved = abs(p.x - d.start.x) + abs(p.y - d.start.y)
    if b == .left && moved < 3, let name = freshLayout().legendEntry(at: toPixels(p)),
      let i = displayScene.traces.firstIndex(where: { $0.name == name })
    {
      toggle(i)
    }
    updateHover(p)
    needsRedraw = true
  }

  func cursorMoved(_ p: PixelPoint) {
    let previous = cursor
    cursor = p
    guard let d = drag else {
      updateHover(p)
      return
    }
    let a = toPixels(d.last), b = toPixels(p)
    switch d.mode {
    case .rotate:
      orbit.rotate(dx: b.x - a.x, dy: b.y - a.y)
    case .pan:
      let l = freshLayout()
      if frozenFit == nil { frozenFit = l.fit(for: orbit.camera) }
      orbit.pan(from: a, to: b, layout: l)
    }
    drag?.last = p
    if previous != p { needsRedraw = true }
  }

  func scrolled(_ dy: Double, at p: PixelPoint) {
    guard dy != 0 else { return }
    let l = freshLayout()
    if frozenFit == nil { frozenFit = l.fit(for: orbit.camera) }
    let px = toPixels(p)
    let hit = picker.pick(at: px, layout: l, markerRadius: 6)
    orbit.zoom(steps: dy, towards: px, layout: l, depth: hit?.distance)
    lastScroll = now
    readout = nil
    needsRedraw = true
  }

  func updateHover(_ p: PixelPoint) {
    let l = freshLayout()
    // "run NAME" only when one trace stands for one run (overlays name their runs as traces).
    let run = displayScene.traces.count == 1 ? options.runName : nil
    let hit = picker.pick(at: toPixels(p), layout: l, markerRadius: 8 * l.unit, runName: run)
    if hit?.lines != readout?.lines || (hit != nil && readout?.position != hit?.position) {
      readout = hit
      needsRedraw = true
    } else if hit != nil {
      needsRedraw = true  // the box follows the cursor
    }
  }

  private func toggle(_ i: Int) {
    if decoration.hidden.contains(i) { decoration.hidden.remove(i) } else { decoration.hidden.insert(i) }
    rebuildDisplay()
  }

  func keyPressed(_ k: String) {
    switch k {
    case "R":
      orbit.reset()
      frozenFit = nil
      needsRedraw = true
    case "S":
      numberedScreenshot()
    case "E":
      printLine(orbit.eyeArgument)
    case "C":
      let current = decoration.colormap?.name ?? displayScene.colorBar?.colormap.name
        ?? displayScene.traces.lazy.compactMap { $0.surface?.colormap.name }.first
        ?? "viridis"
      guard let next = SceneDecoration.colormap(after: current) else { return }
      decoration.colormap = next
      note("colour map \(next.name)")
      rebuildDisplay()
    case "L":
      guard supportsLogZ else {
        note("L: this kind has no log z option")
        return
      }
      logZ.toggle()
      note("log z \(logZ ? "on" : "off")")
      requestRebuild(logZ: logZ)
    case "W":
      wireframe.toggle()
      needsRedraw = true
    case "+", "-":
      decoration.markerScale *= k == "+" ? 1.25 : 0.8
      rebuildDisplay()
    case "A":
      let annotated = !displayScene.pointLabels.isEmpty || displayScene.traces.contains { $0.mesh?.legend == true }
      guard annotated || decoration.annotationsHidden else {
        note("A: no annotations to hide (--stages, --mark, --mark-first)")
        return
      }
      decoration.annotationsHidden.toggle()
      note("annotations \(decoration.annotationsHidden ? "hidden" : "shown")")
      rebuildDisplay()
    case "H":
      if let i = displayScene.traces.firstIndex(where: { $0.name == "Reward landscape" }) { toggle(i) }
    default:
      if let n = Int(k), n >= 1, n <= displayScene.traces.count { toggle(n - 1) }
    }
  }

  /// S: the next free trainscape-RUN-NNN.png in the current directory.
  private func numberedScreenshot() {
    writeNumberedScreenshot(runName: options.runName ?? "view", counter: &screenshotCounter) {
      try writeScreenshot(to: $0, overwrite: false)
    }
  }
}

/// S: writes the next free trainscape-RUN-NNN.png in the current directory (never
/// overwriting) and prints its path; a failure is said on stderr.
@MainActor
func writeNumberedScreenshot(runName: String, counter: inout Int, write: (String) throws -> Void) {
  let base = runName.replacingOccurrences(of: "/", with: "_")
  while true {
    counter += 1
    let path = String(format: "trainscape-%@-%03d.png", base, counter)
    if FileManager.default.fileExists(atPath: path) { continue }
    do {
      try write(path)
      printLine(path)
    } catch OutputError.exists {
      continue
    } catch {
      note("error: screenshot: \(error)")
    }
    return
  }
}
