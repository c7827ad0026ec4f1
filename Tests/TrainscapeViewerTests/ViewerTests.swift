import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO

@testable import TrainscapeViewer

// MARK: - Helpers

enum Paths {
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }
  static var example: String { packageRoot.appendingPathComponent("Assets/examples/nanochat_d12.jsonl").path }
  static var goldens: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens") }
  static var artifacts: URL { packageRoot.appendingPathComponent("test-artifacts") }
  static var binary: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("trainscape")
  }
  static func tempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("trainscape-viewer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }
}

/// An X server of our own (Xvfb on a free display number), killed when the test ends.
final class XServer {
  let display: String
  private let process: Process

  init() throws {
    let candidates = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"]
    guard let xvfb = candidates.first(where: FileManager.default.isExecutableFile) else {
      throw TestFailure("Xvfb is not installed: apt-get install xvfb")
    }
    var n = Int.random(in: 100...400)
    while FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") || FileManager.default.fileExists(atPath: "/tmp/.X\(n)-lock") {
      n += 1
    }
    display = ":\(n)"
    process = Process()
    process.executableURL = URL(fileURLWithPath: xvfb)
    process.arguments = [display, "-screen", "0", "1600x900x24", "-nolisten", "tcp"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(10)
    while !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(n)") {
      guard Date() < deadline, process.isRunning else { throw TestFailure("Xvfb \(display) did not start") }
      usleep(50_000)
    }
  }

  deinit {
    // SIGKILL: processes started by the test runner inherit a signal mask that blocks SIGTERM.
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    let n = display.dropFirst()
    try? FileManager.default.removeItem(atPath: "/tmp/.X\(n)-lock")
    try? FileManager.default.removeItem(atPath: "/tmp/.X11-unix/X\(n)")
  }
}

struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

struct RunResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Starts the built `trainscape` with `environment` changes (nil removes a variable).
func startCLI(_ args: [String], environment: [String: String?]) throws -> (Process, Pipe, Pipe) {
  let p = Process()
  p.executableURL = Paths.binary
  p.arguments = args
  var env = ProcessInfo.processInfo.environment
  for (k, v) in environment { env[k] = v }
  p.environment = env
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  return (p, out, err)
}

func finish(_ started: (Process, Pipe, Pipe)) -> RunResult {
  let (p, out, err) = started
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func runCLI(_ args: [String], environment: [String: String?] = [:]) throws -> RunResult {
  finish(try startCLI(args, environment: environment))
}

/// Image comparison as in Tests/TrainscapeRenderTests/ImageAssertions.swift: a pixel differs when
/// a channel differs by more than `channel`; images match when at most `fraction` of the pixels
/// differ and the mean absolute channel difference is at most `mean`.
struct Tolerance {
  var channel = 16
  var fraction = 0.003
  var mean = 0.6
}

func difference(_ a: RGBAImage, _ b: RGBAImage, channel: Int) -> (fraction: Double, mean: Double) {
  var differing = 0, total = 0
  for i in 0..<(a.width * a.height) {
    var worst = 0
    for ch in 0..<3 {
      let d = abs(Int(a.pixels[i * 4 + ch]) - Int(b.pixels[i * 4 + ch]))
      total += d
      worst = max(worst, d)
    }
    if worst > channel { differing += 1 }
  }
  return (Double(differing) / Double(a.width * a.height), Double(total) / Double(a.width * a.height * 3))
}

func expectMatch(_ image: RGBAImage, _ expected: RGBAImage, _ tol: Tolerance, name: String, sourceLocation: SourceLocation = #_sourceLocation) {
  guard image.width == expected.width, image.height == expected.height else {
    Issue.record("\(name): size \(image.width)x\(image.height) differs from \(expected.width)x\(expected.height)", sourceLocation: sourceLocation)
    return
  }
  let d = difference(image, expected, channel: tol.channel)
  let ok = d.fraction <= tol.fraction && d.mean <= tol.mean
  if !ok {
    try? FileManager.default.createDirectory(at: Paths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(image, to: Paths.artifacts.appendingPathComponent("\(name).actual.png").path, overwrite: true)
    try? PNGCodec.write(expected, to: Paths.artifacts.appendingPathComponent("\(name).expected.png").path, overwrite: true)
  }
  #expect(ok, "\(name): \(String(format: "%.4f", d.fraction * 100))% of pixels differ (max \(tol.fraction * 100)%), mean difference \(String(format: "%.3f", d.mean)) (max \(tol.mean))", sourceLocation: sourceLocation)
}

/// Compares with Goldens/<name>.png; TRAINSCAPE_RECORD_GOLDENS=1 records it (and fails).
func expectGolden(_ image: RGBAImage, _ name: String, _ tol: Tolerance, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let path = Paths.goldens.appendingPathComponent("\(name).png").path
  if ProcessInfo.processInfo.environment["TRAINSCAPE_RECORD_GOLDENS"] == "1" {
    try PNGCodec.write(image, to: path, options: PNGOptions(compressionLevel: 9), overwrite: true)
    Issue.record("recorded golden \(path); unset TRAINSCAPE_RECORD_GOLDENS and run again", sourceLocation: sourceLocation)
    return
  }
  guard FileManager.default.fileExists(atPath: path) else {
    Issue.record("golden \(path) is missing: record it with TRAINSCAPE_RECORD_GOLDENS=1", sourceLocation: sourceLocation)
    return
  }
  expectMatch(image, try PNGCodec.read(path: path), tol, name: name, sourceLocation: sourceLocation)
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

@Suite struct ViewerScriptTests {
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

@Suite struct FollowSourceTests {
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

@Suite struct LevelOfDetailTests {
  @Test func largeSurfacesAreStridedToAboutTheBudget() throws {
    let scene = Viewer.benchmarkScene(size: 1000)
    let lod = try #require(Viewer.levelOfDetail(scene, triangles: 125_000))
    guard case .surface(let s) = lod.traces[0] else { Issue.record("no surface"); return }
    let tris = 2 * (s.rows - 1) * (s.cols - 1)
    #expect(tris <= 125_000 && tris >= 60_000, "\(tris) triangles")
    // The last row and column are kept, so the surface spans the same range.
    #expect(s.x.last == 999 && s.y.last == 999)
    #expect(Viewer.levelOfDetail(Viewer.benchmarkScene(size: 100), triangles: 125_000) == nil)
  }
}

// MARK: - The window under Xvfb

@Suite(.serialized) struct ViewerWindowTests {
  @Test func withoutADisplayItExitsOneWithAMessage() throws {
    let r = try runCLI(
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
    let r = try runCLI(
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
    try? FileManager.default.createDirectory(at: Paths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(img, to: Paths.artifacts.appendingPathComponent("viewer_scripted.png").path, overwrite: true)
    // llvmpipe through GLX, recorded on this machine: the same tolerance as the render goldens.
    try expectGolden(img, "viewer_gradient_flow_scripted", Tolerance())
  }

  @Test func anUntouchedWindowShowsWhatRenderWrites() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let shot = dir.appendingPathComponent("view.png").path, rendered = dir.appendingPathComponent("render.png").path
    let v = try runCLI(
      ["view", "gradient-flow", Paths.example, "--size", "800x450", "--screenshot", shot, "--quit-after", "1"],
      environment: ["DISPLAY": x.display])
    #expect(v.status == 0, "\(v.stderr)")
    let r = try runCLI(["render", "gradient-flow", Paths.example, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(r.status == 0, "\(r.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_vs_render")
  }

  @Test func followShowsAppendedRowsWithoutMovingTheCamera() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try startCLI(
      ["view", "gradient-flow", live, "--size", "800x450", "--screenshot", shot, "--quit-after", "6", "--follow"],
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    // Three batches, each a partial line first (as a writer mid-flush), then the rest.
    for batch in [600..<700, 700..<800, 800..<900] {
      let rest = lines[batch].joined(separator: "\n") + "\n"
      let cut = rest.index(rest.startIndex, offsetBy: 40)
      try h.write(contentsOf: Data(rest[..<cut].utf8))
      Thread.sleep(forTimeInterval: 0.4)
      try h.write(contentsOf: Data(rest[cut...].utf8))
      Thread.sleep(forTimeInterval: 0.6)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 899"), "\(r.stderr)")
    #expect(!r.stderr.contains("warning"), "\(r.stderr)")
    // Every update extended the surface in place: only new columns went to the GPU (12 layers
    // x at most 100 steps + 1 boundary column, 28 bytes a vertex, plus indices: < 80 KB; the
    // whole 12 x 900 surface is about 550 KB).
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.count >= 3, "\(r.stderr)")
    #expect(updates.allSatisfy { $0.contains("(incremental, ") }, "\(r.stderr)")
    #expect(!r.stderr.contains("rebuilt"), "\(r.stderr)")
    for u in updates {
      let kb = u.split(separator: "incremental, ").last.flatMap { Double($0.prefix { $0 != " " }) } ?? .infinity
      #expect(kb < 80, "\(u)")
    }
    // The final frame is what render makes of the whole file: new steps shown, camera kept.
    // Same file name (the run name is in the title), another directory.
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("whole"), withIntermediateDirectories: true)
    let full = dir.appendingPathComponent("whole/live.jsonl").path
    try (lines[0..<900].joined(separator: "\n") + "\n").write(toFile: full, atomically: true, encoding: .utf8)
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try runCLI(["render", "gradient-flow", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_follow")
  }

  @Test func followBeyondMaxStepsStaysIncrementalAndKeepsTheHoverReadout() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let script = dir.appendingPathComponent("script.txt")
    try "1.0 hover 400 225\n".write(to: script, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    // 600 steps and more in at most 256 columns: buckets of 8 steps from 600 to 900 steps.
    let started = try startCLI(
      ["view", "gradient-flow", live, "--size", "800x450", "--screenshot", shot, "--quit-after", "5", "--follow",
       "--max-steps", "256", "--script", script.path],
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    for batch in [600..<750, 750..<900] {
      try h.write(contentsOf: Data((lines[batch].joined(separator: "\n") + "\n").utf8))
      Thread.sleep(forTimeInterval: 1)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 899"), "\(r.stderr)")
    // Downsampled, and still only the last bucket and the new ones went to the GPU.
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.count >= 2 && updates.allSatisfy { $0.contains("(incremental, ") }, "\(r.stderr)")
    #expect(!r.stderr.contains("rebuilt"), "\(r.stderr)")
    // The readout shown before the updates is still there at the end (picked again in the
    // grown surface), to the lower right of the cursor (400, 225).
    let img = try PNGCodec.read(path: shot)
    try? FileManager.default.createDirectory(at: Paths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(img, to: Paths.artifacts.appendingPathComponent("viewer_follow_hover.png").path, overwrite: true)
    let box = readoutPixels(img, x0: 405, y0: 230, x1: 550, y1: 325)
    #expect(box.white > 2000, "white \(box.white)")
    #expect(box.dark > 150, "dark \(box.dark)")
  }
  @Test func followedLossLandscapeAppendsWindowsInPlace() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try startCLI(
      ["view", "loss-landscape", live, "--size", "800x450", "--screenshot", shot, "--quit-after", "5", "--follow"],
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    for batch in [600..<700, 700..<800, 800..<900] {
      try h.write(contentsOf: Data((lines[batch].joined(separator: "\n") + "\n").utf8))
      Thread.sleep(forTimeInterval: 0.8)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 899"), "\(r.stderr)")
    // Every update appended the windows its rows completed (windows of 50 samples, stride 12:
    // at most 9 new rows of 50 vertices, 28 bytes each, plus indices: < 40 KB; the whole
    // surface of 71 windows is about 180 KB).
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.count >= 3, "\(r.stderr)")
    #expect(updates.allSatisfy { $0.contains("(incremental, ") }, "\(r.stderr)")
    #expect(!r.stderr.contains("rebuilt"), "\(r.stderr)")
    for u in updates {
      let kb = u.split(separator: "incremental, ").last.flatMap { Double($0.prefix { $0 != " " }) } ?? .infinity
      #expect(kb < 40, "\(u)")
    }
    // The final frame is what render makes of the whole file.
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("whole"), withIntermediateDirectories: true)
    let full = dir.appendingPathComponent("whole/live.jsonl").path
    try (lines[0..<900].joined(separator: "\n") + "\n").write(toFile: full, atomically: true, encoding: .utf8)
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try runCLI(["render", "loss-landscape", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_follow_loss_landscape")
  }
  @Test func followedTrajectoryAppendsPointsInPlace() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    // 600 to 900 steps in at most 256 points: buckets of 8 steps throughout.
    let flags = ["--grad-key", "grad_norm/total", "--max-steps", "256", "--size", "800x450"]
    let started = try startCLI(
      ["view", "trajectory", live, "--screenshot", shot, "--quit-after", "5", "--follow"] + flags,
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    for batch in [600..<700, 700..<800, 800..<900] {
      try h.write(contentsOf: Data((lines[batch].joined(separator: "\n") + "\n").utf8))
      Thread.sleep(forTimeInterval: 0.8)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 899"), "\(r.stderr)")
    // Every update appended its points (100 steps in buckets of 8: about 26 points, 36 bytes a
    // marker and 72 a segment: < 5 KB; the whole path of about 226 points is about 24 KB).
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.count >= 3, "\(r.stderr)")
    #expect(updates.allSatisfy { $0.contains("(incremental, ") }, "\(r.stderr)")
    #expect(!r.stderr.contains("rebuilt"), "\(r.stderr)")
    for u in updates {
      let kb = u.split(separator: "incremental, ").last.flatMap { Double($0.prefix { $0 != " " }) } ?? .infinity
      #expect(kb < 5, "\(u)")
    }
    // The final frame is what render makes of the whole file (the same downsampling).
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("whole"), withIntermediateDirectories: true)
    let full = dir.appendingPathComponent("whole/live.jsonl").path
    try (lines[0..<900].joined(separator: "\n") + "\n").write(toFile: full, atomically: true, encoding: .utf8)
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try runCLI(["render", "trajectory", full, "-o", rendered, "--gpu", "cpu"] + flags)
    #expect(rr.status == 0, "\(rr.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_follow_trajectory")
  }

  /// Gradient flow grows past two decades while followed: `--log-z auto` turns the z axis
  /// logarithmic, as `render` of the same rows does; the viewer rebuilds (saying why) instead
  /// of keeping the first scene's linear axis, and its last frame is what render writes.
  @Test func followRebuildsWhenTheAutoLogZChoiceFlips() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 4 layers; steps 0..99 between 0.5 and 1.5 (linear), steps 100..199 down to 1e-3.
    let lines = (0..<200).map { step -> String in
      let values = (0..<4).map { layer -> String in
        let base = 1 + 0.5 * sin(Double(step) / 9 + Double(layer))
        let v = step < 100 ? base : base * pow(10, -3 * Double(step - 99) / 100)
        return "\"grad_norm/layer_\(layer)\": \(v)"
      }
      return "{\"step\": \(step), \(values.joined(separator: ", "))}"
    }
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<100].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try startCLI(
      ["view", "gradient-flow", live, "--size", "800x450", "--screenshot", shot, "--quit-after", "6", "--follow"],
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    // Through step 149 the values span less than two decades (1.5 / 0.016); through 174, more.
    for batch in [100..<150, 150..<175, 175..<200] {
      try h.write(contentsOf: Data((lines[batch].joined(separator: "\n") + "\n").utf8))
      Thread.sleep(forTimeInterval: 1)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 199"), "\(r.stderr)")
    #expect(r.stderr.contains("rebuilt: the z axis is logarithmic now (--log-z auto"), "\(r.stderr)")
    // Before the flip the rows append in place; after it the log axis stays, so the last batch
    // appends in place too.
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.first { $0.contains("step 149") }?.contains("(incremental, ") == true, "\(r.stderr)")
    #expect(updates.first { $0.contains("step 174") }?.contains("rebuilt: the z axis is logarithmic now") == true, "\(r.stderr)")
    #expect(updates.last?.contains("step 199 (incremental, ") == true, "\(r.stderr)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("whole"), withIntermediateDirectories: true)
    let full = dir.appendingPathComponent("whole/live.jsonl").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: full, atomically: true, encoding: .utf8)
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try runCLI(["render", "gradient-flow", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_follow_log_flip")
  }

  /// `view histogram --follow` on a TensorBoard event file that training is writing: the
  /// follower carries the histograms, each update rebuilds the surface, and the last frame is
  /// what render draws of the whole file. The file comes from tensorboardX
  /// (scripts/make_naming_runs.py npt, through the venv).
  @Test func followedHistogramsRebuildAndEndAsRender() throws {
    let python = Paths.packageRoot.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw TestFailure("\(python) not found: run scripts/setup.sh")
    }
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [Paths.packageRoot.appendingPathComponent("scripts/make_naming_runs.py").path, "npt", dir.appendingPathComponent("whole/npt").path]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    try #require(p.terminationStatus == 0, "scripts/make_naming_runs.py npt failed (torch and tensorboardX in .venv?)")
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("whole/npt").path).first { $0.contains("tfevents") })
    let full = dir.appendingPathComponent("whole/npt/\(name)").path
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
    // The live copy: the same file name in a folder of the same name (the run name).
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("live/npt"), withIntermediateDirectories: true)
    let live = dir.appendingPathComponent("live/npt/\(name)").path
    let first = bytes.count * 2 / 5
    #expect(FileManager.default.createFile(atPath: live, contents: Data(bytes[0..<first])))
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try startCLI(
      ["view", "histogram", live, "--size", "800x450", "--screenshot", shot, "--quit-after", "5", "--follow"],
      environment: ["DISPLAY": x.display])
    Thread.sleep(forTimeInterval: 2)
    let h = try #require(FileHandle(forWritingAtPath: live))
    try h.seekToEnd()
    let middle = bytes.count * 7 / 10
    for range in [first..<middle, middle..<bytes.count] {
      try h.write(contentsOf: Data(bytes[range]))
      Thread.sleep(forTimeInterval: 1)
    }
    try h.close()
    let r = finish(started)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 9 (rebuilt"), "\(r.stderr)")
    #expect(!r.stderr.contains("warning"), "\(r.stderr)")
    let rendered = dir.appendingPathComponent("render.png").path
    let rr = try runCLI(["render", "histogram", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectMatch(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), Tolerance(), name: "viewer_follow_histogram")
  }
}
