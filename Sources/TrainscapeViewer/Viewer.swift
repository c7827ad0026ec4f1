import CGL
import Foundation
import TrainscapeCore
import TrainscapeGL
import TrainscapeIO

/// How the viewer runs (`trainscape view KIND ... [options]`).
public struct ViewerOptions: Sendable {
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
  /// Poll the session's files for new rows (`--follow`).
  public var follow = false
  /// With `follow`: quit once a frame shows this step or a later one (script / CI mode).
  public var quitAtStep: Int64?
  /// The largest step of the first scene (for the title), with `follow`.
  public var latestStep: Int64?
  public var pollInterval = 0.1
  /// Rebuilds from followed files at most this often (seconds).
  public var minRebuildInterval = 0.2
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

/// Writes one line to stderr, prefixed like the CLI's messages.
func note(_ s: String) {
  StandardStreams.writeError("trainscape: \(s)\n")
}

/// Writes one line to stdout, unbuffered (file names written, the camera line).
func printLine(_ s: String) {
  try? StandardStreams.writeOutput("\(s)\n")
}

/// The interactive window: a synchronous loop on the main thread that owns GLFW and the GL
/// context (never an async main: on Linux the main actor then leaves the main thread and GL
/// calls silently do nothing; platform.md 3). Scene updates come from a `FollowSession`
/// (polling and building on its own executor) through a mailbox this loop empties.
///
/// Does not: read files or build scenes (the session and its recipe do), decide how a scene
/// is drawn (`SceneRenderer`, `FigureLayoutBuilder`), or know the CLI.
@MainActor
public final class Viewer {
  // MARK: Configuration and scene
  let options: ViewerOptions
  /// Builds follow updates and the L key's rebuilds; nil: the scene never changes.
  let session: FollowSession?
  let supportsLogZ: Bool
  var baseScene: Scene
  var decoration = SceneDecoration()
  var displayScene: Scene {
    didSet { pickerCache = nil }
  }
  var lodScene: Scene?
  /// The level-of-detail scene and renderer lag behind a scene extended by a follow update
  /// until the next frame that needs them (a drag or zoom): building them costs O(all data).
  var lodStale = false
  private var pickerCache: Picker?
  /// Hit testing for the scene shown, built when first needed after it changed (O(all data)).
  var picker: Picker {
    if let p = pickerCache { return p }
    let p = Picker(scene: displayScene)
    pickerCache = p
    return p
  }
  var orbit: OrbitController
  var frozenFit: Mat4?
  var logZ: Bool
  var wireframe = false

  // MARK: GL
  var window: Window?
  var full: SceneRenderer?
  var lod: SceneRenderer?
  private var target: OffscreenFramebuffer?

  // MARK: Interaction
  enum DragMode { case rotate, pan }
  var drag: (mode: DragMode, button: ScriptEvent.Button, start: PixelPoint, last: PixelPoint)?
  var cursor: PixelPoint?  // window coordinates
  var readout: HoverReadout?
  var lastScroll = -Double.infinity
  var needsRedraw = true
  private var lastFrameWasLOD = false
  private(set) var lastFrameTime = -Double.infinity
  private let startTime = ContinuousClock.now
  var scriptIndex = 0
  var screenshotCounter = 0

  // MARK: Follow
  private let mailbox = FollowMailbox()
  private(set) var latestStep: Int64?
  /// The step the last frame drawn showed.
  private(set) var shownStep: Int64?
  private var lastUpdate: Date?
  private var lastReportedError: String?
  /// When the loop last took a follow update and when it had applied it (seconds since the
  /// window opened; the follow-latency benchmark's breakdown).
  private(set) var followTimes: (received: Double, applied: Double) = (0, 0)
  public private(set) var framesDrawn = 0

  /// - Parameters:
  ///   - scene: the first scene.
  ///   - session: what rebuilds the scene (the L key) and, with `options.follow`, follows its
  ///     files; nil when the scene never changes.
  ///   - supportsLogZ: whether the L key can rebuild with log z on and off.
  public init(scene: Scene, session: FollowSession?, supportsLogZ: Bool, options: ViewerOptions) {
    self.options = options
    self.session = session
    self.supportsLogZ = supportsLogZ && session != nil
    baseScene = scene
    displayScene = scene
    orbit = OrbitController(camera: scene.camera)
    logZ = scene.z.scale == .log
    latestStep = options.latestStep
    shownStep = latestStep
  }

  /// Seconds since the viewer was made.
  var now: Double {
    let d = ContinuousClock.now - startTime
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  // MARK: - Run

  /// Whether a window can be opened here, and why not (for `trainscape doctor`).
  public static func probeWindow() -> (available: Bool, detail: String) { Window.probe() }

  /// Opens the window and runs until it is closed, `quitAfter` passes (and the script has
  /// run) or a frame shows `quitAtStep`. Throws `ViewerError.noDisplay` when there is no display to open,
  /// `ViewerError.glfw` when GLFW is not installed (it is loaded on first use, so headless
  /// commands never need it).
  public func run() throws {
    try open {
      while let w = window, !w.shouldClose {
        // Not before the script has run: on a slow machine its events may come late.
        if let q = options.quitAfter, now >= q, scriptIndex >= options.script.count { break }
        if let q = options.quitAtStep, framesDrawn > 0, let s = shownStep, s >= q { break }
        try iterate()
      }
      if let path = options.screenshot {
        try writeScreenshot(to: path, overwrite: options.overwrite)
        printLine(path)
      }
    }
  }

  /// Opens the window, the renderers and the follow tasks, runs `body`, and closes them all.
  func open(_ body: () throws -> Void) throws {
    let display = try Window.display().get()
    try Window.initialize(display: display)
    defer { Window.terminate() }
    let w = try Window(width: options.width, height: options.height, samples: options.samples, title: title())
    window = w
    defer {
      w.destroy()
      window = nil
    }
    let fullRenderer = try SceneRenderer()
    let lodRenderer = try SceneRenderer()
    // While dragging: dense surfaces lit per vertex, like turntable frames (the still frame,
    // and every screenshot, lights every pixel as `render` does).
    lodRenderer.vertexLighting = true
    full = fullRenderer
    lod = lodRenderer
    defer {
      target?.destroy()
      target = nil
      fullRenderer.destroy()
      lodRenderer.destroy()
      full = nil
      lod = nil
    }
    installCallbacks(w)
    rebuildDisplay()
    let tasks = startFollowing()
    defer { for t in tasks { t.cancel() } }
    try body()
  }

  /// The tasks that poll the session's files and carry its events to the mailbox.
  private func startFollowing() -> [Task<Void, Never>] {
    guard let session else { return [] }
    let mailbox = self.mailbox
    var tasks = [
      Task.detached {
        for await event in session.events {
          mailbox.post(event)
          Window.wake()
        }
      }
    ]
    if options.follow {
      let interval = Duration.seconds(options.pollInterval), min = Duration.seconds(options.minRebuildInterval)
      tasks.append(Task.detached { await session.run(every: interval, minRebuildInterval: min) })
    }
    return tasks
  }

  /// One pass of the loop: script events, follow results, a frame if one is due, then wait.
  func iterate() throws {
    let t = now
    while scriptIndex < options.script.count, options.script[scriptIndex].time <= t {
      try apply(options.script[scriptIndex].action)
      scriptIndex += 1
    }
    receiveMailbox()
    let interacting = drag != nil || t - lastScroll < 0.3
    let wantFrame = needsRedraw || (!interacting && lastFrameWasLOD)
    let frameInterval = options.fpsLimit > 0 ? 1 / options.fpsLimit : 0
    if wantFrame && t - lastFrameTime >= frameInterval {
      drawFrame(lodMode: interacting)
    }
    // Sleep until something is due (follow updates wake the loop).
    var timeout = 0.25
    if scriptIndex < options.script.count { timeout = min(timeout, options.script[scriptIndex].time - t) }
    if let q = options.quitAfter { timeout = min(timeout, q - t) }
    if needsRedraw || (!interacting && lastFrameWasLOD) { timeout = min(timeout, lastFrameTime + frameInterval - t) }
    if interacting { timeout = min(timeout, lastScroll + 0.3 - t + 0.001) }
    window?.waitEvents(timeout: timeout)
  }

  // MARK: - Scene versions

  /// Applies the decoration to the base scene, uploads it (and a level-of-detail version when
  /// it is large) and forgets the picker.
  func rebuildDisplay() {
    displayScene = decoration.apply(to: baseScene)
    full?.load(
      displayScene, reserveColumns: reserveColumns(for: displayScene), reserveRows: reserveRows(for: displayScene))
    lodScene = displayScene.interactiveLevelOfDetail(maxTriangles: options.lodTriangles)
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
      !delta.grownTraces.contains(where: { decoration.hidden.contains($0) }),
      let full
    else { return rebuildDisplay() }
    displayScene = decoration.apply(to: baseScene)
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
    guard options.follow, let limit = options.followColumnLimit else { return 0 }
    let cols = scene.traces.reduce(0) { max($0, $1.surface?.cols ?? 0) }
    return min(limit, max(2 * cols, cols + 256))
  }

  /// Rows to reserve per surface when loading `scene` (`ViewerOptions.followGrowsRows`); 0
  /// loads surfaces column-major.
  private func reserveRows(for scene: Scene) -> Int {
    guard options.follow, options.followGrowsRows else { return 0 }
    let rows = scene.traces.reduce(0) { max($0, $1.surface?.rows ?? 0) }
    return max(2 * rows, rows + 256)
  }

  /// Brings the level-of-detail scene up to date after follow updates.
  private func refreshLevelOfDetail() {
    guard lodStale else { return }
    lodStale = false
    lodScene = displayScene.interactiveLevelOfDetail(maxTriangles: options.lodTriangles)
    if let l = lodScene { lod?.load(l) }
  }

  // MARK: - Frames

  var framebufferSize: (width: Int, height: Int) { window?.framebufferSize ?? (1, 1) }

  func toPixels(_ p: PixelPoint) -> PixelPoint {
    let s = window?.pixelScale ?? (x: 1, y: 1)
    return PixelPoint(p.x * s.x, p.y * s.y)
  }

  /// The layout for the current camera and framebuffer size (without the readout): input
  /// handlers use it so that events applied between two frames see every earlier move.
  func freshLayout() -> FrameLayout {
    let (w, h) = framebufferSize
    var s = displayScene
    s.camera = orbit.camera
    var style = FigureStyle()
    style.fixedFit = frozenFit
    let names = Set(decoration.hidden.compactMap { $0 < s.traces.count ? s.traces[$0].name : nil })
    return FigureLayoutBuilder.layout(s, width: w, height: h, style: style).markingHiddenLegendEntries(names)
  }

  private func frameLayout() -> FrameLayout {
    let l = freshLayout()
    guard let r = readout, let c = cursor else { return l }
    return l.addingReadout(r.lines, at: toPixels(c))
  }

  func drawFrame(lodMode: Bool) {
    guard let window, let full, let lod else { return }
    glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
    if lodMode { glDisable(GLenum(GL_MULTISAMPLE)) } else { glEnable(GLenum(GL_MULTISAMPLE)) }
    let l = frameLayout()
    if lodMode { refreshLevelOfDetail() }
    let renderer = (lodMode && lodScene != nil) ? lod : full
    renderer.wireframe = wireframe
    renderer.draw(l, background: displayScene.background)
    window.swapBuffers()
    framesDrawn += 1
    lastFrameTime = now
    lastFrameWasLOD = lodMode
    needsRedraw = false
    shownStep = latestStep
    if framesDrawn == 1 && options.follow {
      // Said once the first frame is up (and script events due at 0 s applied), so a script
      // or test that appends rows after it sees each append as an update.
      note("following from step \(latestStep.map(String.init) ?? "-")")
    }
  }

  /// Renders the current view at full quality into an offscreen framebuffer at the window's
  /// framebuffer size (as `trainscape render` does at that size, plus the readout if one is
  /// showing) and writes it.
  public func writeScreenshot(to path: String, overwrite: Bool) throws {
    guard let full else { return }
    let (w, h) = framebufferSize
    if target == nil || target!.width != w || target!.height != h {
      target?.destroy()
      target = try? OffscreenFramebuffer(width: w, height: h, samples: options.samples, device: full.device)
    }
    guard let target else { throw ViewerError.glfw("cannot create a \(w)x\(h) framebuffer for the screenshot") }
    target.bind()
    full.wireframe = wireframe
    full.draw(frameLayout(), background: displayScene.background)
    let image = target.read()
    try PNGCodec.write(image, to: path, options: PNGOptions(), overwrite: overwrite)
  }

  func title() -> String {
    var t = displayScene.title.isEmpty ? "trainscape" : "\(displayScene.title) - trainscape"
    if options.follow {
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

  // MARK: - Follow

  /// L: rebuild with log z on or off (the session reads the rows again).
  func requestRebuild(logZ: Bool) {
    guard let session else { return }
    Task.detached { await session.rebuild(logZ: logZ) }
  }

  private func receiveMailbox() {
    let (update, step, failure, notes) = mailbox.take()
    for n in notes { note("note: \(n)") }
    if let e = failure {
      if e != lastReportedError { note("warning: \(e)") }
      lastReportedError = e
    } else if update != nil {
      lastReportedError = nil
    }
    guard let update else { return }
    followTimes.received = now
    var scene = update.scene
    scene.background = baseScene.background
    baseScene = scene  // the camera stays the viewer's own
    logZ = scene.z.scale == .log
    let newStep = step != latestStep
    latestStep = step ?? latestStep
    let before = full?.uploads ?? UploadStatistics()
    if let delta = update.delta {
      applyDisplay(delta)
    } else {
      rebuildDisplay()
    }
    if options.follow && newStep {
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
    window?.setTitle(title())
    followTimes.applied = now
  }
}

/// Follow events not yet taken by the loop, combined: deltas compose, a rebuild absorbs
/// everything before it, the latest step and failure win, notes add up.
final class FollowMailbox: Sendable {
  private struct Pending {
    var update: SceneUpdate?
    var step: Int64?
    var failure: String?
    var notes: [String] = []
  }
  private let pending = Locked(Pending())

  func post(_ event: FollowEvent) {
    pending.withLock { p in
      switch event {
      case .update(var next, let step):
        if let earlier = p.update {
          next.delta = earlier.delta.flatMap { d in next.delta.map { d.followed(by: $0) } }
          if next.delta == nil && next.rebuildReason == nil { next.rebuildReason = earlier.rebuildReason }
        }
        p.update = next
        p.step = step ?? p.step
        p.failure = nil
      case .failure(let message):
        p.failure = message
      case .note(let n):
        p.notes.append(n)
      }
    }
  }

  /// Everything posted since the last call.
  func take() -> (update: SceneUpdate?, step: Int64?, failure: String?, notes: [String]) {
    pending.withLock { p in
      defer { p = Pending() }
      return (p.update, p.step, p.failure, p.notes)
    }
  }
}
