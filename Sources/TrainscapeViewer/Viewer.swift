import CGL
import CGLFW
import Foundation
import TrainscapeCore
import TrainscapeGL
import TrainscapeIO

/// How the viewer runs (`trainscape view KIND ... [options]`).
public struct ViewerOptions {
  /// Window size in screen coordinates; the framebuffer (what is drawn and saved) may be larger
  /// on HiDPI screens.
  public var width = 1280
  public var height = 720
  public var samples = 4
  public var fpsLimit: Double = 60
  /// Written at exit (script / CI mode).
  public var screenshot: String?
  public var overwrite = false
  public var quitAfter: Double?
  public var script: [ScriptEvent] = []
  public var follow: [FollowSource] = []
  public var pollInterval = 0.1
  /// Rebuilds from followed files at most this often (seconds).
  public var minRebuildInterval = 0.2
  public var benchmarkFrames: Int?
  /// The (scratch) file the follow-latency benchmark appends rows to.
  public var benchmarkAppendTarget: String?
  /// With `follow`, for kinds whose surfaces grow along their columns (gradient flow): the
  /// most columns a surface can reach (`--max-steps`). Loads then reserve buffer room for
  /// `min(this, max(2 x columns, columns + 256))` columns, so that follow updates write new
  /// columns in place instead of growing (copying) the GPU buffers first.
  public var followColumnLimit: Int?
  /// With `follow`, for kinds whose surfaces grow along their rows (the single-run loss
  /// landscape: a row per sliding window): surfaces are uploaded row-major with room for
  /// `max(2 x rows, rows + 256)` rows, so that follow updates append rows in place.
  public var followGrowsRows = false
  public var runName: String?
  /// Surfaces are strided to about this many triangles while the user drags or zooms.
  public var lodTriangles = 125_000
  public init() {}
}

public enum ViewerError: Error, CustomStringConvertible {
  case noDisplay(String)
  case glfw(String)
  public var description: String {
    switch self {
    case .noDisplay(let m), .glfw(let m): return m
    }
  }
}

/// What the CLI provides: the scene builder (with log z forced on or off, or as given), run on
/// the viewer's follow queue so it may read the followed files' rows.
public struct SceneSource {
  public var build: (_ logZ: Bool?) throws -> Scene
  public var supportsLogZ: Bool
  /// Optional, for kinds that can grow their scene (`--follow`): the scene for the rows read so
  /// far, extending the one it returned last where it can (`SceneUpdate.delta`), or built from
  /// scratch when `rebuild` is true, the log z setting changed or the rows do not allow it.
  /// When given, the follow queue calls only this.
  public var update: ((_ logZ: Bool?, _ rebuild: Bool) throws -> SceneUpdate)?
  public init(
    supportsLogZ: Bool, build: @escaping (_ logZ: Bool?) throws -> Scene,
    update: ((_ logZ: Bool?, _ rebuild: Bool) throws -> SceneUpdate)? = nil
  ) {
    self.build = build
    self.supportsLogZ = supportsLogZ
    self.update = update
  }

  /// The next scene: through `update` when there is one, else a full build.
  func next(logZ: Bool?, rebuild: Bool) throws -> SceneUpdate {
    if let update { return try update(logZ, rebuild) }
    return SceneUpdate(scene: try build(logZ), delta: nil)
  }
}

/// Writes one line to stderr, prefixed like the CLI's messages.
func note(_ s: String) {
  FileHandle.standardError.write(Data("trainscape: \(s)\n".utf8))
}

/// Writes one line to stdout, unbuffered (file names written, the camera line).
func printLine(_ s: String) {
  FileHandle.standardOutput.write(Data("\(s)\n".utf8))
}

/// The interactive window. Owns GLFW and the GL context on the thread that calls `run()`
/// (the process's main thread: a synchronous loop, never an async main; see platform.md 3).
public final class Viewer {
  // MARK: Configuration and scene
  private let options: ViewerOptions
  private let source: SceneSource
  private var baseScene: Scene
  private var displayScene: Scene {
    didSet { pickerCache = nil }
  }
  private var lodScene: Scene?
  /// The level-of-detail scene and renderer lag behind a scene extended by a follow update
  /// until the next frame that needs them (a drag or zoom): building them costs O(all data).
  private var lodStale = false
  private var pickerCache: Picker?
  /// Hit testing for the scene shown, built when first needed after it changed (O(all data)).
  private var picker: Picker {
    if let p = pickerCache { return p }
    let p = Picker(scene: displayScene)
    pickerCache = p
    return p
  }
  private var orbit: OrbitController
  private var frozenFit: Mat4?
  private var hidden = Set<Int>()
  private var colormapOverride: Colormap?
  private var markerScale = 1.0
  private var logZ: Bool
  private var wireframe = false

  // MARK: GL
  private var window: OpaquePointer?
  private var full: SceneRenderer?
  private var lod: SceneRenderer?
  private var target: OffscreenFramebuffer?

  // MARK: Interaction
  private enum DragMode { case rotate, pan }
  private var drag: (mode: DragMode, button: ScriptEvent.Button, start: PixelPoint, last: PixelPoint)?
  private var cursor: PixelPoint?  // window coordinates
  private var readout: HoverReadout?
  private var lastScroll = -Double.infinity
  private var needsRedraw = true
  private var lastFrameWasLOD = false
  private var lastFrameTime = -Double.infinity
  private var lastLayout: FrameLayout?
  private let startTime = Date()
  private var scriptIndex = 0
  private var screenshotCounter = 0

  // MARK: Follow
  private let follow: FollowWorker
  private var lastPoll = -Double.infinity
  private var latestStep: Int64?
  private var shownStep: Int64?
  private var lastUpdate: Date?
  /// When the main loop last took a follow update and when it had applied it (for the
  /// follow-latency benchmark's breakdown).
  private var followTimes: (received: Double, applied: Double) = (0, 0)
  public private(set) var framesDrawn = 0

  /// The last error GLFW reported through its error callback (a C callback without context).
  static let lastGLFWError = Locked<String?>(nil)

  public init(scene: Scene, source: SceneSource, options: ViewerOptions) {
    self.options = options
    self.source = source
    follow = FollowWorker(sources: options.follow, source: source)
    baseScene = scene
    displayScene = scene
    orbit = OrbitController(camera: scene.camera)
    logZ = scene.z.scale == .log
    latestStep = options.follow.compactMap(\.latestStep).max()
    shownStep = latestStep
  }

  private var now: Double { Date().timeIntervalSince(startTime) }

  // MARK: - Run

  /// Whether a window can be opened here, and why not (for `trainscape doctor`).
  public static func probeWindow() -> (available: Bool, detail: String) {
    let env = ProcessInfo.processInfo.environment
    let display = env["DISPLAY"].flatMap { $0.isEmpty ? nil : $0 } ?? env["WAYLAND_DISPLAY"]
    guard let display, !display.isEmpty else {
      return (false, "DISPLAY is not set (no X server or Wayland compositor): `trainscape view` needs one; use `render`, `turntable` or Xvfb")
    }
    if let e = ts_glfw_load() { return (false, String(cString: e)) }
    glfwSetErrorCallback { code, description in
      Viewer.lastGLFWError.value = "GLFW error \(code): \(description.map { String(cString: $0) } ?? "")"
    }
    guard glfwInit() == GLFW_TRUE else {
      return (false, "cannot open display '\(display)': \(Viewer.lastGLFWError.value ?? "glfwInit failed")")
    }
    defer { glfwTerminate() }
    let version = glfwGetVersionString().map { String(cString: $0) } ?? "?"
    return (true, "GLFW \(version) on display '\(display)': `trainscape view KIND ...`")
  }

  /// Opens the window and runs until it is closed or `quitAfter` passes. Throws
  /// `ViewerError.noDisplay` when there is no display to open, `ViewerError.glfw` when GLFW
  /// is not installed (it is loaded on first use, so headless commands never need it).
  public func run() throws {
    let env = ProcessInfo.processInfo.environment
    if (env["DISPLAY"] ?? "").isEmpty && (env["WAYLAND_DISPLAY"] ?? "").isEmpty {
      throw ViewerError.noDisplay("no display (DISPLAY is not set): use `trainscape render` for headless images")
    }
    if let e = ts_glfw_load() { throw ViewerError.glfw(String(cString: e)) }
    glfwSetErrorCallback { code, description in
      Viewer.lastGLFWError.value = "GLFW error \(code): \(description.map { String(cString: $0) } ?? "")"
    }
    guard glfwInit() == GLFW_TRUE else {
      throw ViewerError.noDisplay(
        "cannot open the display '\(env["DISPLAY"] ?? env["WAYLAND_DISPLAY"] ?? "")' (\(Viewer.lastGLFWError.value ?? "glfwInit failed")): use `trainscape render` for headless images")
    }
    defer { glfwTerminate() }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3)
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3)
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE)
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE)
    glfwWindowHint(GLFW_SAMPLES, Int32(options.samples))
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE)
    guard let w = glfwCreateWindow(Int32(options.width), Int32(options.height), title(), nil, nil) else {
      throw ViewerError.glfw("cannot create a window with an OpenGL 3.3 core context (\(Viewer.lastGLFWError.value ?? "unknown error"))")
    }
    window = w
    defer {
      glfwDestroyWindow(w)
      window = nil
    }
    glfwMakeContextCurrent(w)
    glfwSwapInterval(0)  // --fps-limit paces frames
    let fullRenderer = try SceneRenderer()
    let lodRenderer = try SceneRenderer()
    // While dragging: dense surfaces lit per vertex, like turntable frames (the still frame,
    // and every screenshot, lights every pixel as `render` does).
    lodRenderer.vertexLighting = true
    full = fullRenderer
    lod = lodRenderer
    defer {
      target?.destroy()
      fullRenderer.destroy()
      lodRenderer.destroy()
    }
    installCallbacks(w)
    rebuildDisplay()

    if let n = options.benchmarkFrames {
      try runBenchmark(frames: n)
      return
    }
    while glfwWindowShouldClose(w) == 0 {
      if let q = options.quitAfter, now >= q { break }
      try iterate()
    }
    if let path = options.screenshot {
      try writeScreenshot(to: path, overwrite: options.overwrite)
      printLine(path)
    }
  }

  /// One pass of the loop: script events, follow results, a frame if one is due, then wait.
  private func iterate() throws {
    let t = now
    while scriptIndex < options.script.count, options.script[scriptIndex].time <= t {
      try apply(options.script[scriptIndex].action)
      scriptIndex += 1
    }
    receiveMailbox()
    if !options.follow.isEmpty && t - lastPoll >= options.pollInterval { schedulePoll(); lastPoll = t }
    let interacting = drag != nil || t - lastScroll < 0.3
    let wantFrame = needsRedraw || (!interacting && lastFrameWasLOD)
    let frameInterval = options.fpsLimit > 0 ? 1 / options.fpsLimit : 0
    if wantFrame && t - lastFrameTime >= frameInterval {
      drawFrame(lodMode: interacting)
    }
    // Sleep until something is due.
    var timeout = 0.25
    if scriptIndex < options.script.count { timeout = min(timeout, options.script[scriptIndex].time - t) }
    if let q = options.quitAfter { timeout = min(timeout, q - t) }
    if !options.follow.isEmpty { timeout = min(timeout, lastPoll + options.pollInterval - t) }
    if needsRedraw || (!interacting && lastFrameWasLOD) { timeout = min(timeout, lastFrameTime + frameInterval - t) }
    if interacting { timeout = min(timeout, lastScroll + 0.3 - t + 0.001) }
    if timeout > 0.0005 { glfwWaitEventsTimeout(timeout) } else { glfwPollEvents() }
  }

  // MARK: - Scene versions

  /// Applies visibility, colour map and marker size to the base scene, uploads it (and a
  /// level-of-detail version when surfaces are large) and rebuilds the picker.
  private func rebuildDisplay() {
    displayScene = decorated(baseScene)
    full?.load(
      displayScene, reserveColumns: reserveColumns(for: displayScene), reserveRows: reserveRows(for: displayScene))
    lodScene = Self.levelOfDetail(displayScene, triangles: options.lodTriangles)
    if let l = lodScene { lod?.load(l) }
    lodStale = false
    readout = nil
    if let c = cursor, drag == nil { updateHover(c) }
    needsRedraw = true
  }

  /// A follow update that extends the scene: only the grown surfaces' new columns (or rows) go
  /// to the GPU (`SceneRenderer.apply`); the level-of-detail copy and the picker catch up when
  /// next needed; the camera stays. Falls back to `rebuildDisplay` when the delta does not fit
  /// what is shown (a hidden trace grew, the traces changed).
  private func applyDisplay(_ delta: SceneDelta) {
    guard baseScene.traces.count == displayScene.traces.count,
      !delta.grownTraces.contains(where: { hidden.contains($0) }),
      let full
    else { return rebuildDisplay() }
    displayScene = decorated(baseScene)
    full.apply(
      displayScene, delta: delta, reserveColumns: reserveColumns(for: displayScene),
      reserveRows: reserveRows(for: displayScene))
    lodStale = true
    // A readout shown stays: pick again at the cursor, in the grown scene (the picker is
    // rebuilt only then, O(all data); without a readout it waits for the next mouse move).
    let hadReadout = readout != nil
    readout = nil
    if hadReadout, let c = cursor, drag == nil { updateHover(c) }
    needsRedraw = true
  }

  /// Columns to reserve per surface when loading `scene` (`ViewerOptions.followColumnLimit`).
  private func reserveColumns(for scene: Scene) -> Int {
    guard !options.follow.isEmpty, let limit = options.followColumnLimit else { return 0 }
    let cols = scene.traces.reduce(0) { n, t in
      if case .surface(let s) = t { return max(n, s.cols) }
      return n
    }
    return min(limit, max(2 * cols, cols + 256))
  }

  /// Rows to reserve per surface when loading `scene` (`ViewerOptions.followGrowsRows`); 0
  /// loads surfaces column-major.
  private func reserveRows(for scene: Scene) -> Int {
    guard !options.follow.isEmpty, options.followGrowsRows else { return 0 }
    let rows = scene.traces.reduce(0) { n, t in
      if case .surface(let s) = t { return max(n, s.rows) }
      return n
    }
    return max(2 * rows, rows + 256)
  }

  /// Brings the level-of-detail scene up to date after follow updates.
  private func refreshLevelOfDetail() {
    guard lodStale else { return }
    lodStale = false
    lodScene = Self.levelOfDetail(displayScene, triangles: options.lodTriangles)
    if let l = lodScene { lod?.load(l) }
  }

  /// The base scene with the viewer's visibility, colour map and marker size applied.
  private func decorated(_ base: Scene) -> Scene {
    var s = base
    for i in s.traces.indices {
      switch s.traces[i] {
      case .surface(var t):
        if let cm = colormapOverride { t.colormap = cm }
        if hidden.contains(i) {
          t = SurfaceTrace(
            name: t.name, rows: 1, cols: 1, x: [t.x.first ?? 0], y: [t.y.first ?? 0], z: [.nan],
            colormap: t.colormap, colorRange: t.colorRange, colorScale: t.colorScale, opacity: t.opacity)
        }
        s.traces[i] = .surface(t)
      case .scatter(var t):
        t.markerSize *= markerScale
        if let cm = colormapOverride, case .scalar(let v, _, let r, let sc) = t.colors {
          t.colors = .scalar(v, colormap: cm, range: r, scale: sc)
        }
        if hidden.contains(i) {
          t.colors = .solid(t.count > 0 ? t.colors.color(at: 0) : .black)
          t.x = []; t.y = []; t.z = []; t.text = []
        }
        s.traces[i] = .scatter(t)
      case .mesh(var m):
        if let cm = colormapOverride, case .scalar(let v, _, let r, let sc) = m.colors {
          m.colors = .scalar(v, colormap: cm, range: r, scale: sc)
        }
        if hidden.contains(i) {
          m.colors = .solid(m.x.isEmpty ? .black : m.colors.color(at: 0))
          m.x = []; m.y = []; m.z = []; m.i = []; m.j = []; m.k = []
        }
        s.traces[i] = .mesh(m)
      }
    }
    if let cm = colormapOverride, s.colorBar != nil { s.colorBar!.colormap = cm }
    return s
  }

  /// The scene with its large surfaces strided to about `triangles` triangles in all (every
  /// k-th row and column, the last ones kept) and very large point clouds thinned; nil when
  /// nothing needs it.
  public static func levelOfDetail(_ scene: Scene, triangles: Int) -> Scene? {
    // Surfaces: the same level of detail the turntables use (holes kept, a short side whole).
    let (reducedScene, reducedSurfaces) = scene.levelOfDetail(maxTriangles: triangles)
    let points = scene.traces.reduce(0) { n, t in if case .scatter(let s) = t { return n + s.count }; return n }
    guard reducedSurfaces || points > 250_000 else { return nil }
    var s = reducedScene
    if points > 250_000 {
      // Point clouds: every k-th point while moving.
      let k = (points + 249_999) / 250_000
      for i in s.traces.indices {
        guard case .scatter(var t) = s.traces[i] else { continue }
        let keep = Array(Swift.stride(from: 0, to: t.count, by: k))
        if case .perPoint(let cs) = t.colors { t.colors = .perPoint(keep.map { cs[$0] }) }
        if case .scalar(let v, let m, let r, let sc) = t.colors { t.colors = .scalar(keep.map { v[$0] }, colormap: m, range: r, scale: sc) }
        t.x = keep.map { t.x[$0] }; t.y = keep.map { t.y[$0] }; t.z = keep.map { t.z[$0] }
        t.text = t.text.isEmpty ? [] : keep.map { t.text[$0] }
        s.traces[i] = .scatter(t)
      }
    }
    return s
  }

  // MARK: - Frames

  private func framebufferSize() -> (Int, Int) {
    var w: Int32 = 0, h: Int32 = 0
    if let window { glfwGetFramebufferSize(window, &w, &h) }
    return (max(1, Int(w)), max(1, Int(h)))
  }

  /// Framebuffer pixels per window coordinate (1 on Xvfb; 2 on a Retina-like screen).
  private func pixelScale() -> (Double, Double) {
    guard let window else { return (1, 1) }
    var ww: Int32 = 0, wh: Int32 = 0
    glfwGetWindowSize(window, &ww, &wh)
    let (fw, fh) = framebufferSize()
    return (ww > 0 ? Double(fw) / Double(ww) : 1, wh > 0 ? Double(fh) / Double(wh) : 1)
  }

  private func toPixels(_ p: PixelPoint) -> PixelPoint {
    let (sx, sy) = pixelScale()
    return PixelPoint(p.x * sx, p.y * sy)
  }

  /// The layout of the current frame (without the readout).
  private func layout(width: Int, height: Int) -> FrameLayout {
    var s = displayScene
    s.camera = orbit.camera
    var style = FigureStyle()
    style.fixedFit = frozenFit
    let names = Set(hidden.compactMap { $0 < s.traces.count ? s.traces[$0].name : nil })
    return FigureLayoutBuilder.layout(s, width: width, height: height, style: style)
      .markingHiddenLegendEntries(names)
  }

  /// The layout for the current camera and framebuffer size: input handlers use it so that
  /// events applied between two frames see every earlier move.
  private func freshLayout() -> FrameLayout {
    let (w, h) = framebufferSize()
    let l = layout(width: w, height: h)
    lastLayout = l
    return l
  }

  private func frameLayout() -> FrameLayout {
    let (w, h) = framebufferSize()
    let l = layout(width: w, height: h)
    lastLayout = l
    guard let r = readout, let c = cursor else { return l }
    return l.addingReadout(r.lines, at: toPixels(c))
  }

  private func drawFrame(lodMode: Bool) {
    guard let window, let full, let lod else { return }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    if lodMode { glDisable(GLenum(GL_MULTISAMPLE)) } else { glEnable(GLenum(GL_MULTISAMPLE)) }
    let l = frameLayout()
    if lodMode { refreshLevelOfDetail() }
    let renderer = (lodMode && lodScene != nil) ? lod : full
    renderer.wireframe = wireframe
    renderer.draw(l, background: displayScene.background)
    glfwSwapBuffers(window)
    framesDrawn += 1
    lastFrameTime = now
    lastFrameWasLOD = lodMode
    needsRedraw = false
    shownStep = latestStep
  }

  /// Renders the current view at full quality into an offscreen framebuffer at the window's
  /// framebuffer size (as `trainscape render` does at that size, plus the readout if one is
  /// showing) and writes it.
  public func writeScreenshot(to path: String, overwrite: Bool) throws {
    guard let full else { return }
    let (w, h) = framebufferSize()
    if target == nil || target!.width != w || target!.height != h {
      target?.destroy()
      target = try? OffscreenFramebuffer(width: w, height: h, samples: options.samples)
    }
    guard let target else { throw ViewerError.glfw("cannot create a \(w)x\(h) framebuffer for the screenshot") }
    target.bind()
    full.wireframe = wireframe
    full.draw(frameLayout(), background: displayScene.background)
    let image = target.read()
    try PNGCodec.write(image, to: path, options: PNGOptions(), overwrite: overwrite)
  }

  /// S: the next free trainscape-RUN-NNN.png in the current directory.
  private func numberedScreenshot() {
    let base = (options.runName ?? "view").replacingOccurrences(of: "/", with: "_")
    while true {
      screenshotCounter += 1
      let path = String(format: "trainscape-%@-%03d.png", base, screenshotCounter)
      if FileManager.default.fileExists(atPath: path) { continue }
      do {
        try writeScreenshot(to: path, overwrite: false)
        printLine(path)
      } catch OutputError.exists {
        continue
      } catch {
        note("error: screenshot: \(error)")
      }
      return
    }
  }

  private func title() -> String {
    var t = displayScene.title.isEmpty ? "trainscape" : "\(displayScene.title) - trainscape"
    if !options.follow.isEmpty {
      if let s = latestStep { t += " - step \(s)" }
      if let u = lastUpdate {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        t += ", updated \(f.string(from: u))"
      } else {
        t += ", following"
      }
    }
    return t
  }

  // MARK: - Input

  private func installCallbacks(_ w: OpaquePointer) {
    glfwSetWindowUserPointer(w, Unmanaged.passUnretained(self).toOpaque())
    glfwSetCursorPosCallback(w) { win, x, y in
      Viewer.from(win)?.cursorMoved(PixelPoint(x, y))
    }
    glfwSetMouseButtonCallback(w) { win, button, action, mods in
      guard let v = Viewer.from(win), let c = v.cursor ?? v.queryCursor() else { return }
      let b: ScriptEvent.Button = button == GLFW_MOUSE_BUTTON_RIGHT ? .right : (button == GLFW_MOUSE_BUTTON_MIDDLE ? .middle : .left)
      if action == GLFW_PRESS {
        v.pressed(b, at: c, shift: mods & GLFW_MOD_SHIFT != 0)
      } else if action == GLFW_RELEASE {
        v.released(b, at: c)
      }
    }
    glfwSetScrollCallback(w) { win, _, dy in
      guard let v = Viewer.from(win), let c = v.cursor ?? v.queryCursor() else { return }
      v.scrolled(dy, at: c)
    }
    glfwSetKeyCallback(w) { win, key, _, action, _ in
      guard action == GLFW_PRESS || action == GLFW_REPEAT, let v = Viewer.from(win) else { return }
      let name: String?
      switch key {
      case GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD: name = "+"
      case GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT: name = "-"
      case GLFW_KEY_ESCAPE, GLFW_KEY_Q:
        glfwSetWindowShouldClose(win, GLFW_TRUE)
        name = nil
      case GLFW_KEY_1...GLFW_KEY_9, GLFW_KEY_A...GLFW_KEY_Z:
        name = String(UnicodeScalar(UInt8(key)))
      default: name = nil
      }
      if let name, ViewerScript.keys.contains(name) { v.keyPressed(name) }
    }
    glfwSetFramebufferSizeCallback(w) { win, _, _ in
      Viewer.from(win)?.needsRedraw = true
    }
    glfwSetWindowRefreshCallback(w) { win in
      Viewer.from(win)?.needsRedraw = true
    }
    glfwSetCursorEnterCallback(w) { win, entered in
      guard entered == 0, let v = Viewer.from(win) else { return }
      v.cursor = nil
      if v.readout != nil { v.readout = nil; v.needsRedraw = true }
    }
  }

  private static func from(_ win: OpaquePointer?) -> Viewer? {
    guard let win, let p = glfwGetWindowUserPointer(win) else { return nil }
    return Unmanaged<Viewer>.fromOpaque(p).takeUnretainedValue()
  }

  private func queryCursor() -> PixelPoint? {
    guard let window else { return nil }
    var x = 0.0, y = 0.0
    glfwGetCursorPos(window, &x, &y)
    return PixelPoint(x, y)
  }

  private func apply(_ action: ScriptEvent.Action) throws {
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
      if let window { glfwSetWindowSize(window, Int32(w), Int32(h)) }
      needsRedraw = true
    case .screenshot(let path):
      try writeScreenshot(to: path, overwrite: options.overwrite)
      printLine(path)
    }
  }

  private func pressed(_ b: ScriptEvent.Button, at p: PixelPoint, shift: Bool) {
    let mode: DragMode = (b == .left && !shift) ? .rotate : .pan
    drag = (mode, b, p, p)
    if readout != nil { readout = nil; needsRedraw = true }
  }

  private func released(_ b: ScriptEvent.Button, at p: PixelPoint) {
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

  private func cursorMoved(_ p: PixelPoint) {
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

  private func scrolled(_ dy: Double, at p: PixelPoint) {
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

  private func updateHover(_ p: PixelPoint) {
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
    if hidden.contains(i) { hidden.remove(i) } else { hidden.insert(i) }
    rebuildDisplay()
  }

  static let colormapCycle = ["viridis", "plasma", "inferno", "magma", "cividis", "turbo", "coolwarm", "RdYlGn", "Greys"]

  private func keyPressed(_ k: String) {
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
      let current = colormapOverride?.name ?? displayScene.colorBar?.colormap.name
        ?? displayScene.traces.lazy.compactMap { t -> String? in if case .surface(let s) = t { return s.colormap.name }; return nil }.first
        ?? "viridis"
      let i = Self.colormapCycle.firstIndex(where: { $0.lowercased() == current.lowercased() }) ?? -1
      let next = Self.colormapCycle[(i + 1) % Self.colormapCycle.count]
      colormapOverride = Colormap.named(next)
      note("colour map \(next)")
      rebuildDisplay()
    case "L":
      guard source.supportsLogZ else {
        note("L: this kind has no log z option")
        return
      }
      logZ.toggle()
      note("log z \(logZ ? "on" : "off")")
      requestRebuild()
    case "W":
      wireframe.toggle()
      needsRedraw = true
    case "+", "-":
      markerScale *= k == "+" ? 1.25 : 0.8
      rebuildDisplay()
    case "H":
      if let i = displayScene.traces.firstIndex(where: { $0.name == "Reward landscape" }) { toggle(i) }
    default:
      if let n = Int(k), n >= 1, n <= displayScene.traces.count { toggle(n - 1) }
    }
  }

  // MARK: - Follow (a serial queue reads and rebuilds; the main loop picks results up)

  private func schedulePoll() {
    follow.schedulePoll(logZ: logZ, minInterval: options.minRebuildInterval)
  }

  /// L: rebuild with the new log z setting, on the follow queue (it reads the followed rows).
  private func requestRebuild() {
    follow.requestRebuild(logZ: logZ)
  }

  private var lastReportedError: String?

  private func receiveMailbox() {
    guard let m = follow.take() else { return }
    if let e = m.error {
      if e != lastReportedError { note("warning: \(e)") }
      lastReportedError = e
      if m.update == nil { return }
    } else {
      lastReportedError = nil
    }
    guard let update = m.update else { return }
    followTimes.received = now
    var scene = update.scene
    scene.background = baseScene.background
    baseScene = scene  // the camera stays the viewer's own
    let newStep = m.step != latestStep
    latestStep = m.step ?? latestStep
    let before = full?.uploads ?? UploadStatistics()
    if let delta = update.delta {
      applyDisplay(delta)
    } else {
      rebuildDisplay()
    }
    if !options.follow.isEmpty && newStep {
      lastUpdate = Date()
      let after = full?.uploads ?? UploadStatistics()
      let how: String
      if after.appends > before.appends {
        how = String(format: "incremental, %.1f KB uploaded", Double(after.lastBytes) / 1024)
      } else {
        how = "rebuilt" + (update.rebuildReason.map { ": \($0)" } ?? "")
      }
      note("updated to step \(latestStep.map(String.init) ?? "?") (\(how))")
    }
    if let window { glfwSetWindowTitle(window, title()) }
    followTimes.applied = now
  }

  // MARK: - Benchmark

  /// A smooth 1000 x 1000 test surface.
  public static func benchmarkScene(size n: Int = 1000) -> Scene {
    var x = [Double](repeating: 0, count: n * n), y = x, z = x
    for r in 0..<n {
      for c in 0..<n {
        let i = r * n + c
        let u = Double(c) / Double(n - 1), v = Double(r) / Double(n - 1)
        x[i] = Double(c); y[i] = Double(r)
        z[i] = sin(6 * u) * cos(5 * v) + 0.3 * sin(23 * u * v)
      }
    }
    let s = SurfaceTrace(name: "benchmark", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: -1.3...1.3)
    return Scene(
      title: "Benchmark: \(n) x \(n) surface", traces: [.surface(s)],
      x: AxisSpec(title: "x", range: 0...Double(n - 1), integer: true),
      y: AxisSpec(title: "y", range: 0...Double(n - 1), integer: true),
      z: AxisSpec(title: "z", range: -1.3...1.3), camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "z", colormap: .viridis, range: -1.3...1.3, scale: .linear))
  }

  private func runBenchmark(frames: Int) throws {
    let (w, h) = framebufferSize()
    let saved = baseScene
    baseScene = Self.benchmarkScene()
    let t0 = Date()
    rebuildDisplay()
    let loadTime = Date().timeIntervalSince(t0)
    var tris = 0, lodTris = 0
    for t in displayScene.traces { if case .surface(let s) = t { tris += 2 * (s.rows - 1) * (s.cols - 1) } }
    for t in lodScene?.traces ?? [] { if case .surface(let s) = t { lodTris += 2 * (s.rows - 1) * (s.cols - 1) } }
    func measure(lodMode: Bool) -> Double {
      drawFrame(lodMode: lodMode)  // warm-up
      glFinish()
      let start = Date()
      for _ in 0..<frames {
        orbit.rotate(dx: 800.0 / Double(frames), dy: 0)  // one full turn over the run
        drawFrame(lodMode: lodMode)
        glFinish()
        glfwPollEvents()
      }
      return Double(frames) / Date().timeIntervalSince(start)
    }
    let fullFPS = measure(lodMode: false)
    let lodFPS = measure(lodMode: true)
    printLine(String(format: "benchmark: %dx%d framebuffer, 1000 x 1000 surface (%d triangles; upload %.2f s)", w, h, tris, loadTime))
    printLine(String(format: "benchmark: orbit full (%d triangles, %dx MSAA): %.2f fps", tris, options.samples, fullFPS))
    printLine(String(format: "benchmark: orbit LOD  (%d triangles, MSAA off): %.2f fps", lodTris, lodFPS))
    baseScene = saved
    orbit.reset()
    rebuildDisplay()
    drawFrame(lodMode: false)

    guard let file = options.benchmarkAppendTarget, !options.follow.isEmpty else {
      printLine("benchmark: follow latency not measured (needs --follow on a JSONL file)")
      return
    }
    var latencies: [Double] = []
    var phases: [String] = []
    for _ in 0..<5 {
      let step = (latestStep ?? 0) + 1
      try Self.appendRow(to: file, step: step)
      let start = now  // the row is in the file
      while shownStep ?? Int64.min < step {
        if now - start > 30 { throw ViewerError.glfw("follow benchmark: step \(step) not shown after 30 s") }
        try iterate()
      }
      // Until the frame that showed it was drawn (the loop may sleep after that frame until
      // the next poll is due; that is not latency).
      latencies.append(lastFrameTime - start)
      // Until the main loop took the update (poll, read, build on the follow queue), applying
      // it (upload, title), and until the frame showing it was drawn.
      phases.append(String(
        format: "%.0f+%.0f+%.0f", (followTimes.received - start) * 1000,
        (followTimes.applied - followTimes.received) * 1000, (lastFrameTime - followTimes.applied) * 1000))
      // Let the rebuild limiter settle so each sample starts alike.
      let pause = now
      while now - pause < options.minRebuildInterval { try iterate() }
    }
    let sorted = latencies.sorted()
    printLine(String(
      format: "benchmark: follow latency (append a row -> frame showing it; poll %.0f ms): median %.0f ms, max %.0f ms over %d appends (in order: %@ ms)",
      options.pollInterval * 1000, sorted[sorted.count / 2] * 1000, sorted.last! * 1000, sorted.count,
      latencies.map { String(format: "%.0f", $0 * 1000) }.joined(separator: ", ")))
    printLine("benchmark: follow latency by phase (ms: update built + applied + frame drawn): \(phases.joined(separator: ", "))")
  }

  /// Appends a copy of the file's last row with its step set to `step` (reading only the
  /// file's last 1 MB: followed files grow large).
  static func appendRow(to path: String, step: Int64) throws {
    guard let r = FileHandle(forReadingAtPath: path) else { throw ViewerError.glfw("\(path): cannot read") }
    let size = try r.seekToEnd()
    try r.seek(toOffset: size - min(size, 1 << 20))
    let data = try r.readToEnd() ?? Data()
    try? r.close()
    let lines = data.split(separator: 0x0A).filter { !$0.isEmpty }
    guard let last = lines.last,
      var obj = try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any]
    else { throw ViewerError.glfw("\(path): no JSON row to copy") }
    let key = ["step", "_step", "global_step"].first { obj[$0] != nil } ?? "step"
    obj[key] = step
    var out = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
    out.append(0x0A)
    guard let h = FileHandle(forWritingAtPath: path) else { throw ViewerError.glfw("\(path): cannot open for appending") }
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: out)
  }
}


/// The follow queue's side of `--follow`: polls the followed files and builds scenes on a
/// serial queue, and leaves the results in a mailbox the main loop empties each pass.
/// `sources`, `source`, `lastBuild` and `pendingChange` are touched only on `queue`; the
/// mailbox and `busy` only under `lock`.
private final class FollowWorker: @unchecked Sendable {
  typealias Result = (update: SceneUpdate?, step: Int64?, error: String?)
  private let sources: [FollowSource]
  private let source: SceneSource
  private let queue = DispatchQueue(label: "trainscape.viewer.follow")
  private let started = Date()
  private var lastBuild = -Double.infinity
  private var pendingChange = false
  private let lock = NSLock()
  private var mailbox: Result?
  private var busy = false

  init(sources: [FollowSource], source: SceneSource) {
    self.sources = sources
    self.source = source
  }

  /// Polls the files on the queue unless a poll is still running, and builds the next scene
  /// when rows came and the last build is at least `minInterval` seconds ago.
  func schedulePoll(logZ: Bool, minInterval: Double) {
    lock.lock()
    if busy { lock.unlock(); return }
    busy = true
    lock.unlock()
    queue.async { [self] in
      do {
        var changed = false
        for s in sources { if try s.poll() { changed = true } }
        pendingChange = pendingChange || changed
        let t = Date().timeIntervalSince(started)
        guard pendingChange, t - lastBuild >= minInterval else {
          lock.lock(); busy = false; lock.unlock()
          return
        }
        pendingChange = false
        lastBuild = t
        let update = try source.next(logZ: logZ, rebuild: false)
        post(update: update, step: sources.compactMap(\.latestStep).max(), error: nil)
      } catch {
        post(update: nil, step: nil, error: "\(error)")
      }
    }
  }

  /// Rebuilds from all rows with `logZ` on the queue.
  func requestRebuild(logZ: Bool) {
    queue.async { [self] in
      do {
        let update = try source.next(logZ: logZ, rebuild: true)
        post(update: update, step: sources.compactMap(\.latestStep).max(), error: nil)
      } catch {
        post(update: nil, step: nil, error: "\(error)")
      }
    }
  }

  /// Leaves a result for the main loop. An update not picked up yet is combined with this
  /// one: deltas compose; a rebuild absorbs everything before it.
  private func post(update: SceneUpdate?, step: Int64?, error: String?) {
    lock.lock()
    var next = update
    if var n = next, let pending = mailbox?.update {
      n.delta = pending.delta.flatMap { d in n.delta.map { d.followed(by: $0) } }
      if n.delta == nil && n.rebuildReason == nil { n.rebuildReason = pending.rebuildReason }
      next = n
    }
    mailbox = (next ?? mailbox?.update, step ?? mailbox?.step, error)
    busy = false
    lock.unlock()
    glfwPostEmptyEvent()
  }

  /// The result left since the last call, if any.
  func take() -> Result? {
    lock.lock()
    defer { mailbox = nil; lock.unlock() }
    return mailbox
  }
}
