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
      Every render kind, with the same inputs and options (--size is the window size; -o and
      --gpu are not used, said on stderr). `view dynamics` is 2D: see its own help. Mouse: left drag turns the scene (turntable), right or middle drag (or
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

      --follow polls the input(s) (JSONL, TensorBoard event files, .wandb) for new rows and
      updates the scene, keeping the camera (gradient flow appends the new steps, a single-run
      loss landscape the windows they complete and a single run's trajectory its new points, in
      place; other kinds rebuild); the title shows the latest step and the time of the last
      update. stderr says "following from step N" once the window is up and "updated to step N"
      after each update; --quit-at-step N closes the window once a frame shows step N.
      """,
    subcommands: [
      ViewKind<Render.GradientFlow>.self, ViewKind<Render.LossLandscape>.self,
      ViewKind<Render.Trajectory>.self, ViewKind<Render.Attention>.self,
      ViewKind<Render.RewardLandscape>.self, ViewKind<Render.Embedding>.self, ViewKind<Render.Histogram>.self,
      ViewDynamics.self,
    ])
}

/// A render kind the viewer can show: it builds its scene, names the files it reads (followed
/// with --follow), and can rebuild with log z forced on or off.
protocol ViewableKind: ParsableCommand {
  func makeScene() throws -> (Scene, String)
  var viewOutput: OutputOptions { get }
  var followablePaths: [String] { get }
  /// A copy with log z on or off; nil when the kind has no log z option.
  func withLogZ(_ on: Bool) -> Self?
  /// For `--follow`: a builder that extends the scene with the followed file's new rows, seeded
  /// with the rows read so far (`RunSources.followed`); nil when the kind only rebuilds.
  func followBuilder() -> (any IncrementalSceneBuilder)?
  /// For `--follow`: the most columns the scene's surfaces can grow to (the viewer reserves
  /// GPU buffer room up to it); nil when they do not grow in place.
  var followColumnLimit: Int? { get }
  /// For `--follow`: whether the scene's surfaces grow along their rows (uploaded row-major).
  var followGrowsRows: Bool { get }
  /// For the note when downsampling buckets widen: `--max-steps` and what a step draws.
  var followMaxSteps: Int { get }
  var followUnitName: String { get }
}

extension ViewableKind {
  func withLogZ(_ on: Bool) -> Self? { nil }
  func followBuilder() -> (any IncrementalSceneBuilder)? { nil }
  var followColumnLimit: Int? { nil }
  var followGrowsRows: Bool { false }
  var followMaxSteps: Int { 0 }
  var followUnitName: String { "columns" }

  /// This kind with log z as asked (nil: as its options say).
  func with(logZ: Bool?) -> Self { logZ.flatMap { withLogZ($0) } ?? self }
}

extension Render.GradientFlow: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { [input.path] }
  /// Drawn step columns never exceed `--max-steps` (downsampled beyond it).
  var followColumnLimit: Int? { series.maxSteps }
  var followMaxSteps: Int { series.maxSteps }
  func withLogZ(_ on: Bool) -> Self? {
    var k = self
    k.logZ = on ? .on : .off
    return k
  }

  /// New steps extend the surface (`IncrementalGradientFlow`); with annotations (stages move
  /// as rows arrive) or contours (levels move) every update rebuilds the scene.
  func followBuilder() -> (any IncrementalSceneBuilder)? {
    guard annotations.isEmpty, contours.contours == nil else { return nil }
    return try? incrementalBuilder()
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

  var followUnitName: String { "windows" }

  /// Single-run mode: the windows new rows complete extend the surface
  /// (`IncrementalLossLandscape`). Sweep mode rebuilds.
  func followBuilder() -> (any IncrementalSceneBuilder)? {
    guard followGrowsRows, annotations.isEmpty, contours.contours == nil else { return nil }
    return try? incrementalBuilder()
  }
}

extension Render.Trajectory: ViewableKind {
  var viewOutput: OutputOptions { output }
  var followablePaths: [String] { paths }

  var followMaxSteps: Int { seriesOptions.maxSteps }
  var followUnitName: String { "points" }

  /// One run: new samples extend the path (`IncrementalTrajectory`). Several runs rebuild on
  /// every update.
  func followBuilder() -> (any IncrementalSceneBuilder)? {
    guard paths.count == 1, annotations.isEmpty else { return nil }
    return try? incrementalBuilder()
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
  /// The followed file's histograms so far: every update rebuilds the surface (each step is
  /// redistributed onto a value grid that grows with the data).
  var followablePaths: [String] { [input.path] }
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

  @Option(parsing: .unconditional, help: ArgumentHelp("Close the window after this many seconds (script / CI mode).", valueName: "SECONDS"))
  var quitAfter: Double?

  @Option(help: ArgumentHelp("Replay timed input events from FILE (see `trainscape view --help`).", valueName: "FILE"))
  var script: String?

  @Flag(help: "Follow the JSONL input(s): poll for appended rows and redraw, keeping the camera.")
  var follow = false

  @Option(help: ArgumentHelp("With --follow: close the window once a frame shows this step or a later one (script / CI mode; --screenshot saves that frame).", valueName: "STEP"))
  var quitAtStep: Int64?

  @Option(parsing: .unconditional, help: ArgumentHelp("Draw at most this many frames per second (0: no limit).", valueName: "FPS"))
  var fpsLimit: Double = 60

  func validate() throws {
    if let q = quitAfter, !(q > 0) { throw ValidationError("--quit-after must be positive") }
    if !(fpsLimit >= 0) { throw ValidationError("--fps-limit must be 0 (no limit) or positive") }
    if quitAtStep != nil && !follow { throw ValidationError("--quit-at-step needs --follow") }
  }

  /// The window's options from these flags and the kind's output options; says on stderr
  /// which output options a window does not use.
  func viewerOptions(_ out: OutputOptions) throws -> ViewerOptions {
    var options = ViewerOptions()
    options.width = out.size.width
    options.height = out.size.height
    options.samples = out.samples
    options.fpsLimit = fpsLimit
    options.quitAfter = quitAfter
    options.quitAtStep = quitAtStep
    options.screenshot = screenshot
    options.overwrite = out.force
    options.follow = follow
    if out.output != nil { log.warning("-o: the window writes no file (--screenshot PNG saves its image at exit): not used") }
    if out.gpu != "auto" { log.warning("--gpu \(out.gpu): the window draws with its display's OpenGL: not used") }
    if let s = screenshot { try AtomicFile.check(s, overwrite: out.force) }
    if let path = script {
      options.script = try ViewerScript.parse(String(decoding: try InputFiles.read(path), as: UTF8.self), file: path)
    }
    return options
  }

  func run<K: ViewableKind>(_ kind: K) throws {
    let out = kind.viewOutput
    var options = try viewerOptions(out)
    options.followColumnLimit = kind.followColumnLimit
    options.followGrowsRows = kind.followGrowsRows
    var followers: [RunFollowerSource] = []
    if follow {
      let paths = kind.followablePaths
      guard !paths.isEmpty else {
        throw CLIError("--follow needs metrics files (JSONL, TensorBoard event files, .wandb); \(K._commandName) reads none here")
      }
      for p in paths {
        let format = try RunLoader.detectFormat(path: p)
        let source = try RunFollowerSource(
          path: p, format: format, runName: RunLoader.defaultName(file: p, format: format))  // as `render` names it
        _ = try source.poll()
        followers.append(source)
      }
    }

    let transparent = out.transparentBackground
    let background = out.backgroundColor
    if transparent { log.notice("--background transparent: the window shows white; screenshots are opaque") }
    // The session builds scenes off the main thread; it gets the kind's parsed options.
    let parsed = ParsedKind(kind: kind)
    let recipe = FollowRecipe(
      maxSteps: kind.followMaxSteps, unitName: kind.followUnitName,
      scene: { runs, logZ in
        try RunSources.$followed.withValue(runs) { try parsed.kind.with(logZ: logZ).makeScene().0 }
      },
      builder: { runs, logZ in
        RunSources.$followed.withValue(runs) { parsed.kind.with(logZ: logZ).followBuilder() }
      })
    var state = FollowState(followers: followers, recipe: recipe)
    // The followed files' rows as read above (not read again).
    let runs = Dictionary(followers.map { ($0.path, $0.run) }, uniquingKeysWith: { a, _ in a })
    var (scene, runName) = try RunSources.$followed.withValue(runs) { try kind.makeScene() }
    options.runName = runName
    if follow {
      // Seed the incremental builder with the rows the first scene was built from.
      _ = try? state.next()
      options.latestStep = state.latestStep
    }
    if let bg = background { scene.background = bg }
    for n in scene.notes { log.notice("\(n)") }
    let session = FollowSession(state: state)
    let supportsLogZ = kind.withLogZ(true) != nil
    do {
      try MainActor.assumeIsolated {
        let viewer = Viewer(scene: scene, session: session, supportsLogZ: supportsLogZ, options: options)
        try viewer.run()
      }
    } catch let e as ViewerError {
      log.error("\(e)")
      throw ExitCode(1)
    }
  }
}

/// A kind's parsed options, handed to the follow session, which builds scenes on its own
/// executor. The kinds are structs of parsed values (paths, numbers, enums) that share no
/// mutable state, so a copy may cross to another thread.
private struct ParsedKind<K: ViewableKind>: @unchecked Sendable {
  let kind: K
}

/// The rows read so far from the files `view --follow` follows, by the path given: while the
/// follow session builds, `runsAt` returns these instead of reading the files, so a kind's
/// `makeScene()` builds from them.
enum RunSources {
  @TaskLocal static var followed: [String: Run] = [:]
}
