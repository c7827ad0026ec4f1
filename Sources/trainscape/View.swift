import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO
import TrainscapeViewer

/// `trainscape view KIND ...`: the same kinds, inputs and options as `render`, in a window.
struct View: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Open a 3D landscape in an interactive window (GLFW; needs a display).",
    discussion: """
      Every render kind, with the same inputs and options (--size is the window size; -o, --gpu
      are ignored). Mouse: left drag turns the scene (turntable), right or middle drag (or
      shift + left drag) pans, the wheel zooms towards the cursor; hovering shows the values
      under the cursor; clicking a legend entry hides or shows that trace.
      Keys: R reset the camera, S save a screenshot (trainscape-RUN-001.png, never
      overwriting), E print the camera as --camera-eye x,y,z, C next colour map, L log z on/off,
      W wireframe, + / - marker size, 1-9 hide/show trace N, H hide/show the reward surface,
      Q or Esc quit.

      Script / CI mode: --size 1280x720 --screenshot out.png --quit-after 3 [--script FILE]
      replays timed events and writes the screenshot at exit. FILE has one event per line,
      SECONDS ACTION ARGS (window pixels, y down; # comments):
        0.5 drag 640 360 700 360 [left|right|middle|shift] [SECONDS]
        1.0 scroll 640 360 2        (positive zooms in)
        1.5 key R
        2.0 hover 600 400
        2.2 click 1100 80
        2.5 resize 1000 600
        2.8 screenshot shot.png

      --follow polls the input(s) (JSONL, TensorBoard event files, .wandb) for new rows and updates the scene, keeping the camera (gradient flow appends the new steps, a
      single-run loss landscape the windows they complete and a single run's trajectory its new
      points, in place; other kinds rebuild); the title shows the latest step and the time of the last update, and stderr
      says "updated to step N".
      """,
    subcommands: [
      ViewKind<Render.GradientFlow>.self, ViewKind<Render.LossLandscape>.self,
      ViewKind<Render.Trajectory>.self, ViewKind<Render.Attention>.self,
      ViewKind<Render.RewardLandscape>.self, ViewKind<Render.Embedding>.self, ViewKind<Render.Histogram>.self,
    ])
}

/// A render kind the viewer can show: it builds its scene, names the JSONL files it reads
/// (followed with --follow), and can rebuild with log z forced on or off.
protocol ViewableKind: ParsableCommand {
  func makeScene() throws -> (Scene, String)
  var viewOutput: OutputOptions { get }
  var followablePaths: [String] { get }
  /// A copy with log z on or off; nil when the kind has no log z option.
  func withLogZ(_ on: Bool) -> Self?
  /// For `--follow`: a `SceneSource.update` that extends the scene from the followed files'
  /// new rows; nil when the kind only rebuilds.
  func followUpdate(sources: [String: RunFollowerSource]) -> ((Bool?, Bool) throws -> SceneUpdate)?
  /// For `--follow`: the most columns the scene's surfaces can grow to (the viewer reserves
  /// GPU buffer room up to it); nil when they do not grow in place.
  var followColumnLimit: Int? { get }
  /// For `--follow`: whether the scene's surfaces grow along their rows (uploaded row-major).
  var followGrowsRows: Bool { get }
}

extension ViewableKind {
  func withLogZ(_ on: Bool) -> Self? { nil }
  func followUpdate(sources: [String: RunFollowerSource]) -> ((Bool?, Bool) throws -> SceneUpdate)? { nil }
  var followColumnLimit: Int? { nil }
  var followGrowsRows: Bool { false }
}

/// The follow queue's incremental state for one followed file.
/// What `view --follow` needs of an incremental builder (IncrementalGradientFlow,
/// IncrementalLossLandscape, IncrementalTrajectory).
protocol FollowBuilder {
  var scene: Scene { get }
  var appendBlocker: String? { get }
  /// Steps per downsampling bucket, where the builder buckets (a change is worth saying).
  var followBucketWidth: Int? { get }
  mutating func append(_ rows: some Sequence<MetricRow>) -> SceneDelta?
}

extension IncrementalGradientFlow: FollowBuilder {
  var followBucketWidth: Int? { bucketWidth }
}
extension IncrementalLossLandscape: FollowBuilder {
  var followBucketWidth: Int? { nil }
}
extension IncrementalTrajectory: FollowBuilder {
  var followBucketWidth: Int? { bucketWidth }
}

/// One followed file's update function: new rows go to the builder while it can append them;
/// a replaced file, a rebuild request (the L key), a log-z change or rows the builder declines
/// rebuild as `render` does and seed a new builder, whose scene is the rebuild. When no builder
/// can be made yet (too few rows), `fallback` draws the scene and every update rebuilds.
/// `what` names the drawn units in the note about widened buckets ("columns", "points").
private final class FollowState<B> {
  var builder: B?
  /// Rows of the file's current generation the builder has seen.
  var consumed = 0
  var generation = 0
  var logZ: Bool?
}

private func makeFollowUpdate<B: FollowBuilder>(
  source: RunFollowerSource, maxSteps: Int, what: String,
  builder makeBuilder: @escaping (Bool?) -> B?, fallback: @escaping (Bool?) throws -> Scene
) -> (Bool?, Bool) throws -> SceneUpdate {
  let state = FollowState<B>()
  return { logZ, rebuild in
    let rows = source.rows
    var reason: String?
    var previousWidth: Int?
    if rebuild {
      reason = logZ.map { "log z \($0 ? "on" : "off")" } ?? "a rebuild was asked for"
    } else if state.generation != source.generation {
      reason = "the file was replaced or truncated"
    } else if state.logZ != logZ {
      reason = "log z changed"
    } else if var b = state.builder, rows.count >= state.consumed {
      if let delta = b.append(rows[state.consumed...]) {
        state.builder = b
        state.consumed = rows.count
        return SceneUpdate(scene: b.scene, delta: delta)
      }
      reason = b.appendBlocker ?? "the new rows do not extend the scene"
      previousWidth = b.followBucketWidth
    }
    state.builder = makeBuilder(logZ)
    if let w = state.builder?.followBucketWidth, let p = previousWidth, w != p {
      reason = "more than --max-steps \(maxSteps) \(what) at buckets of \(p) steps: buckets of \(w) now"
    }
    let scene = try state.builder?.scene ?? fallback(logZ)
    state.consumed = rows.count
    state.generation = source.generation
    state.logZ = logZ
    return SceneUpdate(scene: scene, delta: nil, rebuildReason: reason)
  }
}

extension Render.GradientFlow: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { [input.path] }
  /// Drawn step columns never exceed `--max-steps` (downsampled beyond it).
  var followColumnLimit: Int? { series.maxSteps }
  func withLogZ(_ on: Bool) -> Self? {
    var k = self
    k.logZ = on ? .on : .off
    return k
  }

  /// New steps extend the surface (`IncrementalGradientFlow`); a replaced file, the L key or
  /// rows that do not simply append rebuild as `render` does and seed a new builder.
  func followUpdate(sources: [String: RunFollowerSource]) -> ((Bool?, Bool) throws -> SceneUpdate)? {
    guard let source = sources[input.path] else { return nil }
    let kindFor = { (logZ: Bool?) in logZ.flatMap { self.withLogZ($0) } ?? self }
    return makeFollowUpdate(
      source: source, maxSteps: series.maxSteps, what: "columns",
      builder: { try? kindFor($0).incrementalBuilder() }, fallback: { try kindFor($0).makeScene().0 })
  }
}

extension Render.LossLandscape: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { isGridMode ? [] : paths }
  /// Single-run mode: each completed sliding window is a new surface row.
  var followGrowsRows: Bool { !isGridMode && paths.count == 1 }
  func withLogZ(_ on: Bool) -> Self? {
    var k = self
    k.logZ = on ? .on : .off
    return k
  }

  /// Single-run mode: the windows new rows complete extend the surface
  /// (`IncrementalLossLandscape`); a replaced file, the L key or rows it cannot append (see
  /// its comment) rebuild as `render` does and seed a new builder. Sweep mode rebuilds.
  func followUpdate(sources: [String: RunFollowerSource]) -> ((Bool?, Bool) throws -> SceneUpdate)? {
    guard followGrowsRows, let source = sources[paths[0]] else { return nil }
    let kindFor = { (logZ: Bool?) in logZ.flatMap { self.withLogZ($0) } ?? self }
    return makeFollowUpdate(
      source: source, maxSteps: 0, what: "windows",
      builder: { try? kindFor($0).incrementalBuilder() }, fallback: { try kindFor($0).makeScene().0 })
  }
}

extension Render.Trajectory: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { paths }

  /// One run: new samples extend the path (`IncrementalTrajectory`); a replaced file or rows it
  /// cannot append (see its comment) rebuild as `render` does and seed a new builder. Several
  /// runs rebuild on every update.
  func followUpdate(sources: [String: RunFollowerSource]) -> ((Bool?, Bool) throws -> SceneUpdate)? {
    guard paths.count == 1, let source = sources[paths[0]] else { return nil }
    return makeFollowUpdate(
      source: source, maxSteps: seriesOptions.maxSteps, what: "points",
      builder: { _ in try? self.incrementalBuilder() }, fallback: { _ in try self.makeScene().0 })
  }
}

extension Render.Attention: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { [] }
}

extension Render.RewardLandscape: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { [path] }
}

extension Render.Histogram: ViewableKind {
  var viewOutput: OutputOptions { output }
  /// Followed files deliver metric rows only; histograms are read once.
  var followablePaths: [String] { [] }
  func withLogZ(_ on: Bool) -> Self? {
    var k = self
    k.logZ = on ? .on : .off
    return k
  }
}

extension Render.Embedding: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { [] }
}

/// `view KIND`: wraps the render kind's arguments unchanged.
struct ViewKind<Kind: ViewableKind>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: Kind._commandName,
      abstract: Kind.configuration.abstract,
      discussion: "Same inputs and options as `trainscape render \(Kind._commandName)`, in a window; see `trainscape view --help` for the mouse, the keys and the script format.")
  }

  @OptionGroup var kind: Kind
  @OptionGroup var viewer: ViewerFlags

  func run() throws { try viewer.run(kind) }
}

/// Options of the window itself.
struct ViewerFlags: ParsableArguments {
  @Option(help: ArgumentHelp("Write the window's image to this PNG at exit (full quality, at the framebuffer size).", valueName: "PNG"))
  var screenshot: String?

  @Option(help: ArgumentHelp("Close the window after this many seconds (script / CI mode).", valueName: "SECONDS"))
  var quitAfter: Double?

  @Option(help: ArgumentHelp("Replay timed input events from FILE (see `trainscape view --help`).", valueName: "FILE"))
  var script: String?

  @Flag(help: "Follow the JSONL input(s): poll for appended rows and redraw, keeping the camera.")
  var follow = false

  @Option(help: ArgumentHelp("Draw at most this many frames per second (0: no limit).", valueName: "FPS"))
  var fpsLimit: Double = 60

  @Option(help: ArgumentHelp("Measure: frames per second orbiting a 1000 x 1000 surface (full and level of detail) over N frames each, and with --follow the delay from appending a row to a copy of the input until a frame shows it; prints the results and exits.", valueName: "N"))
  var benchmarkFrames: Int?

  func validate() throws {
    if let q = quitAfter, !(q > 0) { throw ValidationError("--quit-after must be positive") }
    if !(fpsLimit >= 0) { throw ValidationError("--fps-limit must be 0 (no limit) or positive") }
    if let n = benchmarkFrames, n < 1 { throw ValidationError("--benchmark-frames must be at least 1") }
  }

  func run<K: ViewableKind>(_ kind: K) throws {
    let out = kind.viewOutput
    var options = ViewerOptions()
    options.width = out.size.width
    options.height = out.size.height
    options.samples = out.samples
    options.fpsLimit = fpsLimit
    options.quitAfter = quitAfter
    options.screenshot = screenshot
    options.overwrite = out.force
    options.benchmarkFrames = benchmarkFrames
    options.followColumnLimit = kind.followColumnLimit
    options.followGrowsRows = kind.followGrowsRows
    if let s = screenshot, !out.force, FileManager.default.fileExists(atPath: s) {
      throw OutputError.exists(path: s)
    }
    if let path = script {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("\(path): cannot read the script")
      }
      options.script = try ViewerScript.parse(String(decoding: data, as: UTF8.self), file: path)
    }
    var followUpdate: ((Bool?, Bool) throws -> SceneUpdate)?
    if follow {
      let paths = kind.followablePaths
      guard !paths.isEmpty else {
        throw CLIError("--follow needs metrics files (JSONL, TensorBoard event files, .wandb); \(K._commandName) reads none here")
      }
      var sources: [FollowSource] = []
      var byPath: [String: RunFollowerSource] = [:]
      for (i, p) in paths.enumerated() {
        var readPath = p
        if benchmarkFrames != nil && i == 0 {
          // The latency benchmark appends rows: to a copy, never to the user's file.
          let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("trainscape-follow-bench-\(ProcessInfo.processInfo.processIdentifier)-\(URL(fileURLWithPath: p).lastPathComponent)").path
          try? FileManager.default.removeItem(atPath: copy)
          try FileManager.default.copyItem(atPath: p, toPath: copy)
          readPath = copy
          options.benchmarkAppendTarget = copy
        }
        let format = try RunLoader.detectFormat(path: readPath)
        let source = try RunFollowerSource(
          path: readPath, format: format,
          runName: URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent)
        _ = try source.poll()
        RunSources.follow(path: p) { source.run }
        sources.append(source)
        byPath[p] = source
      }
      options.follow = sources
      followUpdate = kind.followUpdate(sources: byPath)
    }
    defer {
      if let copy = options.benchmarkAppendTarget { try? FileManager.default.removeItem(atPath: copy) }
    }

    let transparent = out.background.lowercased() == "transparent"
    let background = transparent ? nil : RGBColor(hex: out.background)
    if transparent { log.notice("--background transparent: the window shows white; screenshots are opaque") }
    var (scene, runName) = try kind.makeScene()
    if let bg = background { scene.background = bg }
    for n in scene.notes { log.notice("\(n)") }
    options.runName = runName
    var source = SceneSource(supportsLogZ: kind.withLogZ(true) != nil) { logZ in
      let k = logZ.flatMap { kind.withLogZ($0) } ?? kind
      var (s, _) = try k.makeScene()
      if let bg = background { s.background = bg }
      return s
    }
    if let update = followUpdate {
      // Seed the incremental state with the rows the first scene was built from, and the log z
      // setting the viewer will ask for (it passes the first scene's).
      _ = try? update(scene.z.scale == .log, true)
      source.update = { logZ, rebuild in
        var u = try update(logZ, rebuild)
        if let bg = background { u.scene.background = bg }
        return u
      }
    }
    let viewer = Viewer(scene: scene, source: source, options: options)
    do {
      try viewer.run()
    } catch let e as ViewerError {
      log.error("\(e)")
      throw ExitCode(1)
    }
  }
}

/// The files the viewer follows (`--follow`): for those, `runsAt` returns the rows read so far
/// instead of reading the file, so `makeScene()` rebuilds from the accumulated rows.
enum RunSources {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var providers: [String: () throws -> Run] = [:]

  static func followed(path: String) throws -> Run? {
    lock.lock()
    let provider = providers[path]
    lock.unlock()
    return try provider?()
  }

  static func follow(path: String, _ provider: @escaping () throws -> Run) {
    lock.lock()
    providers[path] = provider
    lock.unlock()
  }
}
