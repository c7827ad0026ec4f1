import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

@testable import TrainscapeViewer

// MARK: - Helpers

enum Paths {
  static var example: String { TestPaths.example }
  static var goldens: GoldenImages {
    GoldenImages(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens"))
  }
  static func tempDir() throws -> URL { try TestPaths.temporaryDirectory("trainscape-viewer") }
}

/// Pixels in `rect` that are near white and that are dark grey (the text colour, not the
/// dark blue/purple of the colour maps).
func readoutPixels(_ img: RGBAImage, x0: Int, y0: Int, x1: Int, y1: Int) -> (white: Int, dark: Int) {
  var white = 0, dark = 0
  for y in max(0, y0)..<min(img.height, y1) {
    for x in max(0, x0)..<min(img.width, x1) {
      let i = (y * img.width + x) * 4
      let r = Int(img.pixels[i]), g = Int(img.pixels[i + 1]), b = Int(img.pixels[i + 2])
      if r >= 245 && g >= 245 && b >= 245 { white += 1 }
      if max(r, g, b) < 100 && abs(r - b) < 25 && abs(r - g) < 25 { dark += 1 }
    }
  }
  return (white, dark)
}

func nonBackgroundFraction(_ img: RGBAImage) -> Double {
  var n = 0
  for i in 0..<(img.width * img.height) where img.pixels[i * 4] < 235 || img.pixels[i * 4 + 1] < 235 || img.pixels[i * 4 + 2] < 235 {
    n += 1
  }
  return Double(n) / Double(img.width * img.height)
}

// MARK: - Pure tests (no display)

@Suite(.tiered) struct ViewerScriptTests {
  @Test func parsesEveryActionAndSortsByTime() throws {
    let events = try ViewerScript.parse("""
      # comment
      1.5 key r
      0.5 drag 640 360 700 360
      1.0 scroll 640 360 -2   # zoom out
      2.0 hover 600 400
      2.2 click 10 20
      2.5 resize 1000 600
      2.8 screenshot a.png
      0.9 drag 1 2 3 4 right 0.5
      """)
    #expect(events.map(\.time) == events.map(\.time).sorted())
    #expect(events.first?.action == .press(.left, x: 640, y: 360, shift: false))
    #expect(events.contains { $0.action == .release(.left, x: 700, y: 360) && abs($0.time - 0.8) < 1e-9 })
    #expect(events.contains { $0.action == .press(.right, x: 1, y: 2, shift: false) })
    #expect(events.contains { $0.action == .release(.right, x: 3, y: 4) && abs($0.time - 1.4) < 1e-9 })
    #expect(events.contains { $0.action == .scroll(x: 640, y: 360, dy: -2) })
    #expect(events.contains { $0.action == .key("R") })
    #expect(events.contains { $0.action == .move(x: 600, y: 400) })
    #expect(events.contains { $0.action == .resize(width: 1000, height: 600) })
    #expect(events.last?.action == .screenshot("a.png"))
    // Drag moves in between, ending at the target.
    let moves = events.filter { if case .move = $0.action, $0.time < 0.85 { return true }; return false }
    #expect(moves.count >= 2)
  }

  @Test func errorsNameTheLine() {
    for (text, words) in [
      ("0.5 jump 1 2", "unknown action"), ("x key R", "time"), ("1 key Z", "unknown key"),
      ("1 drag 1 2 3", "drag X0 Y0 X1 Y1"), ("1 scroll 1 2", "scroll X Y STEPS"),
    ] {
      do {
        _ = try ViewerScript.parse("# header\n" + text, file: "s.txt")
        Issue.record("no error for '\(text)'")
      } catch {
        #expect("\(error)".contains("s.txt:2"))
        #expect("\(error)".contains(words), "\(error)")
      }
    }
  }
}

@Suite(.tiered) struct FollowSourceTests {
  @Test func readsAppendedLinesWaitsForPartialOnesAndRestartsOnTruncation() throws {
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("run.jsonl").path
    try Data("{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"loss\": 1.5}\n".utf8).write(to: URL(fileURLWithPath: path))
    let source = try RunFollowerSource(path: path, format: .jsonl, runName: "run")
    #expect(try source.poll())
    #expect(source.run.rows.count == 2 && source.latestStep == 2)
    #expect(try !source.poll())  // nothing new
    let h = try #require(FileHandle(forWritingAtPath: path))
    try h.seekToEnd()
    try h.write(contentsOf: Data("{\"step\": 3, \"lo".utf8))
    #expect(try !source.poll())  // a partial line waits
    #expect(source.run.rows.count == 2)
    try h.write(contentsOf: Data("ss\": 1.2}\n{\"step\": 4, \"loss\": 1.1}\n".utf8))
    try h.close()
    #expect(try source.poll())
    #expect(source.run.rows.map(\.step) == [1, 2, 3, 4] && source.latestStep == 4)
    #expect(source.run.name == "run")
    // Truncated and rewritten: read again from the start.
    try Data("{\"step\": 10, \"loss\": 3}\n".utf8).write(to: URL(fileURLWithPath: path))
    #expect(try source.poll())
    #expect(source.run.rows.map(\.step) == [10])
    #expect(source.latestStep == 10)
    #expect(source.generation == 1)
  }
}

/// The follow session without a window: rows appended to a file become update events, one
/// `poll()` at a time (no timers, no sleeps).
@Suite(.tiered) struct FollowSessionTests {
  /// A gradient flow over the layers in the file's rows, built as `render` would.
  static let recipe = FollowRecipe(
    maxSteps: 0, unitName: "columns",
    scene: { runs, _ in try builder(runs)?.scene ?? { throw TestFailure("no rows") }() },
    builder: { runs, _ in builder(runs) })

  static func builder(_ runs: [String: Run]) -> IncrementalGradientFlow? {
    guard let run = runs.values.first else { return nil }
    let family = MetricFamily(prefix: "g", members: (0..<2).map { .init(layer: $0, key: "g/\($0)") })
    return try? IncrementalGradientFlow(
      configuration: .init(family: family, runName: run.name), rows: run.rows)
  }

  static func rows(_ steps: Range<Int>) -> String {
    steps.map { "{\"step\": \($0), \"g/0\": \(1 + Double($0) / 10), \"g/1\": \(2 + Double($0) / 20)}\n" }.joined()
  }

  @Test func appendedRowsArriveAsIncrementalUpdatesAndAReplacedFileAsARebuild() async throws {
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("live.jsonl").path
    try Self.rows(0..<20).write(toFile: path, atomically: true, encoding: .utf8)
    let follower = try RunFollowerSource(path: path, format: .jsonl, runName: "live")
    _ = try follower.poll()
    var state = FollowState(followers: [follower], recipe: Self.recipe)
    let first = try state.next()
    #expect(first.delta == nil && first.scene.traces[0].surface?.cols == 20)
    let session = FollowSession(state: state)
    var events = session.events.makeAsyncIterator()

    // Nothing new: no event.
    #expect(await !session.poll())
    // A partial line waits for the rest.
    let h = try #require(FileHandle(forWritingAtPath: path))
    try h.seekToEnd()
    let more = Self.rows(20..<30)
    let cut = more.index(more.startIndex, offsetBy: 25)
    try h.write(contentsOf: Data(more[..<cut].utf8))
    #expect(await !session.poll())
    try h.write(contentsOf: Data(more[cut...].utf8))
    try h.close()
    #expect(await session.poll())
    guard case .update(let u, let step) = await events.next() else {
      Issue.record("no update event")
      return
    }
    #expect(step == 29)
    let delta = try #require(u.delta, "appending rows should extend the scene")
    #expect(delta.surfaces.first?.previousColumns == 20)
    #expect(u.scene.traces[0].surface?.cols == 30)

    // Replaced from the start: built again, and it says why.
    try Self.rows(100..<105).write(toFile: path, atomically: false, encoding: .utf8)
    #expect(await session.poll())
    var replaced: SceneUpdate?
    while replaced == nil, let e = await events.next() {
      if case .update(let u, let step) = e {
        #expect(step == 104)
        replaced = u
      }
    }
    let r = try #require(replaced)
    #expect(r.delta == nil && r.rebuildReason == "the file was replaced or truncated")
    #expect(r.scene.traces[0].surface?.cols == 5)
  }

  @Test func aFailedBuildIsReportedOnceAndTheSessionGoesOn() async throws {
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("live.jsonl").path
    try "".write(toFile: path, atomically: true, encoding: .utf8)
    let follower = try RunFollowerSource(path: path, format: .jsonl, runName: "live")
    let session = FollowSession(state: FollowState(followers: [follower], recipe: Self.recipe))
    var events = session.events.makeAsyncIterator()
    // Rows without the family: the recipe throws.
    try "{\"step\": 1, \"loss\": 2}\n".write(toFile: path, atomically: false, encoding: .utf8)
    #expect(await !session.poll())
    guard case .failure(let message) = await events.next() else {
      Issue.record("no failure event")
      return
    }
    #expect(message.contains("no rows"))
    let h = try #require(FileHandle(forWritingAtPath: path))
    try h.seekToEnd()
    try h.write(contentsOf: Data(Self.rows(2..<4).utf8))
    try h.close()
    #expect(await session.poll())
    guard case .update(_, let step) = await events.next() else {
      Issue.record("no update after the failure")
      return
    }
    #expect(step == 3)
  }
}

// MARK: - The window under Xvfb

@Suite(.serialized, .tags(.xvfb), .tiered) struct ViewerWindowTests {
  @Test func withoutADisplayItExitsOneWithAMessage() throws {
    let r = try TrainscapeCLI.run(
      ["view", "gradient-flow", Paths.example, "--quit-after", "1"],
      environment: ["DISPLAY": nil, "WAYLAND_DISPLAY": nil])
    #expect(r.status == 1)
    #expect(r.stderr.contains("no display (DISPLAY is not set): use `trainscape render` for headless images"), "\(r.stderr)")
    #expect(!r.stderr.contains("Fatal error"))
  }

  @Test func scriptedOrbitZoomAndHoverMatchTheGoldenAndShowTheReadout() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("script.txt")
    // Orbit right and up, zoom in towards the middle, then hover over the surface.
    try """
      0.2 drag 400 225 460 235
      0.8 scroll 400 225 2
      1.3 hover 250 300
      """.write(to: script, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("view.png").path
    let r = try TrainscapeCLI.run(
      ["view", "gradient-flow", Paths.example, "--size", "800x450", "--screenshot", shot, "--quit-after", "3",
       "--script", script.path],
      environment: ["DISPLAY": x.display])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(shot))
    let img = try PNGCodec.read(path: shot)
    #expect(img.width == 800 && img.height == 450)
    #expect(nonBackgroundFraction(img) > 0.1)
    // The readout box lies to the lower right of the cursor (250, 300): white fill, dark text.
    let box = readoutPixels(img, x0: 255, y0: 305, x1: 400, y1: 400)
    #expect(box.white > 2000, "white \(box.white)")
    #expect(box.dark > 150, "dark \(box.dark)")
    // Away from it there is no such box.
    let elsewhere = readoutPixels(img, x0: 400, y0: 150, x1: 545, y1: 245)
    #expect(elsewhere.dark < 20)
    try? FileManager.default.createDirectory(at: TestPaths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(img, to: TestPaths.artifacts.appendingPathComponent("viewer_scripted.png").path, overwrite: true)
    // llvmpipe through GLX, recorded on this machine: the same tolerance as the render goldens.
    try Paths.goldens.assertMatches(img, golden: "viewer_gradient_flow_scripted")
  }

  @Test(.tags(.egl)) func anUntouchedWindowShowsWhatRenderWrites() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let shot = dir.appendingPathComponent("view.png").path, rendered = dir.appendingPathComponent("render.png").path
    let v = try TrainscapeCLI.run(
      ["view", "gradient-flow", Paths.example, "--size", "800x450", "--screenshot", shot, "--quit-after", "1"],
      environment: ["DISPLAY": x.display])
    #expect(v.status == 0, "\(v.stderr)")
    let r = try TrainscapeCLI.run(["render", "gradient-flow", Paths.example, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(r.status == 0, "\(r.stderr)")
    expectSimilar(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), name: "viewer_vs_render")
  }

  /// The A key hides the annotation planes and labels: the window then shows what `render`
  /// draws without `--mark`.
  @Test(.tags(.egl)) func theAKeyHidesTheAnnotations() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("script.txt")
    try "0.3 key A\n".write(to: script, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("view.png").path
    let plain = dir.appendingPathComponent("plain.png").path, marked = dir.appendingPathComponent("marked.png").path
    let v = try TrainscapeCLI.run(
      ["view", "gradient-flow", Paths.example, "--mark", "600:mid", "--size", "800x450", "--screenshot", shot,
       "--quit-after", "1.5", "--script", script.path],
      environment: ["DISPLAY": x.display])
    #expect(v.status == 0, "\(v.stderr)")
    #expect(v.stderr.contains("annotations hidden"), "\(v.stderr)")
    for (path, extra) in [(plain, [String]()), (marked, ["--mark", "600:mid"])] {
      let r = try TrainscapeCLI.run(
        ["render", "gradient-flow", Paths.example, "--size", "800x450", "-o", path, "--gpu", "cpu"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let window = try PNGCodec.read(path: shot)
    expectSimilar(window, try PNGCodec.read(path: plain), name: "viewer_annotations_hidden")
    // And the mark is visible when drawn: the marked render differs from the plain one.
    #expect(nonBackgroundFraction(try PNGCodec.read(path: marked)) != nonBackgroundFraction(try PNGCodec.read(path: plain)))
  }

  /// The example run's first `count` lines in a new file `live.jsonl`, and all its lines.
  func liveFile(in dir: URL, firstLines count: Int) throws -> (path: String, lines: [Substring]) {
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<count].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    return (live, lines)
  }

  /// Starts `view ARGS --follow` on `x`, waits for the window to say it follows, appends each
  /// batch (in two writes, the first ending mid-line as a writer mid-flush does) and waits for
  /// the update it causes, then for the window to close at the last step. The `--quit-after`
  /// is a guard against a hang, not a duration.
  func follow(
    _ args: [String], file: (path: String, lines: [Substring]), batches: [Range<Int>], on x: XServer
  ) throws -> ProcessResult {
    let last = try #require(batches.last).upperBound - 1
    let viewer = try TrainscapeCLI.start(
      ["view"] + args + ["--follow", "--quit-at-step", "\(last)", "--quit-after", "600"],
      environment: ["DISPLAY": x.display])
    try viewer.waitForStderrLine(containing: "following from step \(batches[0].lowerBound - 1)")
    let h = try #require(FileHandle(forWritingAtPath: file.path))
    defer { try? h.close() }
    try h.seekToEnd()
    for batch in batches {
      let text = file.lines[batch].joined(separator: "\n") + "\n"
      let cut = text.index(text.startIndex, offsetBy: 40)
      try h.write(contentsOf: Data(text[..<cut].utf8))
      try h.write(contentsOf: Data(text[cut...].utf8))
      try viewer.waitForStderrLine(containing: "updated to step \(batch.upperBound - 1) ")
    }
    return viewer.finish()
  }

  /// The "(incremental, N KB uploaded)" sizes of the updates; fails on a rebuild.
  func incrementalKilobytes(_ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Double] {
    let updates = stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(!stderr.contains("rebuilt"), "\(stderr)", sourceLocation: sourceLocation)
    return updates.map { u in
      #expect(u.contains("(incremental, "), "\(u)", sourceLocation: sourceLocation)
      return u.split(separator: "incremental, ").last.flatMap { Double($0.prefix { $0 != " " }) } ?? .infinity
    }
  }

  /// Renders the example run's first `count` lines as `render KIND` would (same file name: the
  /// run name is in the title).
  func rendered(_ kind: String, _ lines: [Substring], count: Int, extra: [String] = [], in dir: URL) throws -> RGBAImage {
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("whole"), withIntermediateDirectories: true)
    let full = dir.appendingPathComponent("whole/live.jsonl").path
    try (lines[0..<count].joined(separator: "\n") + "\n").write(toFile: full, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("render.png").path
    let r = try TrainscapeCLI.run(["render", kind, full, "--size", "800x450", "-o", out, "--gpu", "cpu"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    return try PNGCodec.read(path: out)
  }

  @Test(.tags(.egl)) func followShowsAppendedRowsWithoutMovingTheCamera() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try liveFile(in: dir, firstLines: 600)
    let shot = dir.appendingPathComponent("follow.png").path
    let r = try follow(
      ["gradient-flow", file.path, "--size", "800x450", "--screenshot", shot], file: file,
      batches: [600..<700, 700..<800, 800..<900], on: x)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("warning"), "\(r.stderr)")
    // Every update extended the surface in place: only new columns went to the GPU (12 layers
    // x at most 100 steps + 1 boundary column, 28 bytes a vertex, plus indices: < 80 KB; the
    // whole 12 x 900 surface is about 550 KB).
    let kb = incrementalKilobytes(r.stderr)
    #expect(kb.count == 3, "\(r.stderr)")
    for k in kb { #expect(k < 80) }
    // The final frame is what render makes of the whole file: new steps shown, camera kept.
    expectSimilar(
      try PNGCodec.read(path: shot), try rendered("gradient-flow", file.lines, count: 900, in: dir),
      name: "viewer_follow")
  }

  @Test(.tags(.egl)) func followBeyondMaxStepsStaysIncrementalAndKeepsTheHoverReadout() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try liveFile(in: dir, firstLines: 600)
    // The hover comes before the first frame, and so before any row is appended.
    let script = dir.appendingPathComponent("script.txt")
    try "0 hover 400 225\n".write(to: script, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    // 600 steps and more in at most 256 columns: buckets of 8 steps from 600 to 900 steps.
    let r = try follow(
      ["gradient-flow", file.path, "--size", "800x450", "--screenshot", shot, "--max-steps", "256",
       "--script", script.path],
      file: file, batches: [600..<750, 750..<900], on: x)
    #expect(r.status == 0, "\(r.stderr)")
    // Downsampled, and still only the last bucket and the new ones went to the GPU.
    #expect(incrementalKilobytes(r.stderr).count == 2, "\(r.stderr)")
    // The readout shown before the updates is still there at the end (picked again in the
    // grown surface), to the lower right of the cursor (400, 225).
    let img = try PNGCodec.read(path: shot)
    try? FileManager.default.createDirectory(at: TestPaths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(img, to: TestPaths.artifacts.appendingPathComponent("viewer_follow_hover.png").path, overwrite: true)
    let box = readoutPixels(img, x0: 405, y0: 230, x1: 550, y1: 325)
    #expect(box.white > 2000, "white \(box.white)")
    #expect(box.dark > 150, "dark \(box.dark)")
  }

  @Test(.tags(.egl)) func followedLossLandscapeAppendsWindowsInPlace() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try liveFile(in: dir, firstLines: 600)
    let shot = dir.appendingPathComponent("follow.png").path
    let r = try follow(
      ["loss-landscape", file.path, "--size", "800x450", "--screenshot", shot], file: file,
      batches: [600..<700, 700..<800, 800..<900], on: x)
    #expect(r.status == 0, "\(r.stderr)")
    // Every update appended the windows its rows completed (windows of 50 samples, stride 12:
    // at most 9 new rows of 50 vertices, 28 bytes each, plus indices: < 40 KB; the whole
    // surface of 71 windows is about 180 KB).
    let kb = incrementalKilobytes(r.stderr)
    #expect(kb.count == 3, "\(r.stderr)")
    for k in kb { #expect(k < 40) }
    expectSimilar(
      try PNGCodec.read(path: shot), try rendered("loss-landscape", file.lines, count: 900, in: dir),
      name: "viewer_follow_loss_landscape")
  }

  @Test(.tags(.egl)) func followedTrajectoryAppendsPointsInPlace() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try liveFile(in: dir, firstLines: 600)
    let shot = dir.appendingPathComponent("follow.png").path
    // 600 to 900 steps in at most 256 points: buckets of 8 steps throughout.
    let flags = ["--grad-key", "grad_norm/total", "--max-steps", "256"]
    let r = try follow(
      ["trajectory", file.path, "--size", "800x450", "--screenshot", shot] + flags, file: file,
      batches: [600..<700, 700..<800, 800..<900], on: x)
    #expect(r.status == 0, "\(r.stderr)")
    // Every update appended its points (100 steps in buckets of 8: about 26 points, 36 bytes a
    // marker and 72 a segment: < 5 KB; the whole path of about 226 points is about 24 KB).
    let kb = incrementalKilobytes(r.stderr)
    #expect(kb.count == 3, "\(r.stderr)")
    for k in kb { #expect(k < 5) }
    // The final frame is what render makes of the whole file (the same downsampling).
    expectSimilar(
      try PNGCodec.read(path: shot), try rendered("trajectory", file.lines, count: 900, extra: flags, in: dir),
      name: "viewer_follow_trajectory")
  }

  /// Gradient flow grows past two decades while followed: `--log-z auto` turns the z axis
  /// logarithmic, as `render` of the same rows does; the viewer rebuilds (saying why) instead
  /// of keeping the first scene's linear axis, and its last frame is what render writes.
  @Test(.tags(.egl)) func followRebuildsWhenTheAutoLogZChoiceFlips() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 4 layers; steps 0..99 between 0.5 and 1.5 (linear), steps 100..199 down to 1e-3: through
    // step 149 the values span less than two decades (1.5 / 0.016), through 174 more.
    let lines = (0..<200).map { step -> Substring in
      let values = (0..<4).map { layer -> String in
        let base = 1 + 0.5 * sin(Double(step) / 9 + Double(layer))
        let v = step < 100 ? base : base * pow(10, -3 * Double(step - 99) / 100)
        return "\"grad_norm/layer_\(layer)\": \(v)"
      }
      return Substring("{\"step\": \(step), \(values.joined(separator: ", "))}")
    }
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<100].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let r = try follow(
      ["gradient-flow", live, "--size", "800x450", "--screenshot", shot], file: (live, lines),
      batches: [100..<150, 150..<175, 175..<200], on: x)
    #expect(r.status == 0, "\(r.stderr)")
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    // Before the flip the rows append in place; the flip rebuilds and says why; after it the
    // log axis stays, so the last batch appends in place again.
    #expect(updates.first { $0.contains("step 149 ") }?.contains("(incremental, ") == true, "\(r.stderr)")
    #expect(
      updates.first { $0.contains("step 174 ") }?.contains("rebuilt: the z axis is logarithmic now (--log-z auto") == true,
      "\(r.stderr)")
    #expect(updates.last?.contains("step 199 (incremental, ") == true, "\(r.stderr)")
    expectSimilar(
      try PNGCodec.read(path: shot), try rendered("gradient-flow", lines, count: 200, in: dir), name: "viewer_follow_log_flip")
  }

  /// `view histogram --follow` on a TensorBoard event file that training is writing: the
  /// follower carries the histograms, each update rebuilds the surface, and the last frame is
  /// what render draws of the whole file. The file comes from tensorboardX
  /// (scripts/make_naming_runs.py npt, through the venv).
  @Test(.tags(.egl, .python)) func followedHistogramsRebuildAndEndAsRender() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Python.runFile("scripts/make_naming_runs.py", args: ["npt", dir.appendingPathComponent("whole/npt").path])
    let name = try #require(
      try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("whole/npt").path).first { $0.contains("tfevents") })
    let full = dir.appendingPathComponent("whole/npt/\(name)").path
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
    // The live copy: the same file name in a folder of the same name (the run name), cut
    // anywhere (the follower waits for the rest of a record).
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("live/npt"), withIntermediateDirectories: true)
    let live = dir.appendingPathComponent("live/npt/\(name)").path
    let first = bytes.count * 2 / 5, middle = bytes.count * 7 / 10
    #expect(FileManager.default.createFile(atPath: live, contents: Data(bytes[0..<first])))
    let shot = dir.appendingPathComponent("follow.png").path
    let viewer = try TrainscapeCLI.start(
      ["view", "histogram", live, "--size", "800x450", "--screenshot", shot, "--follow", "--quit-at-step", "9",
       "--quit-after", "600"],
      environment: ["DISPLAY": x.display])
    try viewer.waitForStderrLine(containing: "following from step")
    let h = try #require(FileHandle(forWritingAtPath: live))
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: Data(bytes[first..<middle]))
    try viewer.waitForStderrLine(containing: "updated to step")
    try h.write(contentsOf: Data(bytes[middle...]))
    let r = viewer.finish()
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 9 (rebuilt"), "\(r.stderr)")
    #expect(!r.stderr.contains("warning"), "\(r.stderr)")
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try TrainscapeCLI.run(["render", "histogram", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectSimilar(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), name: "viewer_follow_histogram")
  }
}
