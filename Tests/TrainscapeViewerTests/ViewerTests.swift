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

@Suite(.tiered) struct LevelOfDetailTests {
  @Test func largeSurfacesAreStridedToAboutTheBudget() throws {
    let scene = Viewer.benchmarkScene(size: 1000)
    let lod = try #require(Viewer.levelOfDetail(scene, triangles: 125_000))
    let s = try #require(lod.traces[0].surface)
    let tris = 2 * (s.rows - 1) * (s.cols - 1)
    #expect(tris <= 125_000 && tris >= 60_000, "\(tris) triangles")
    // The last row and column are kept, so the surface spans the same range.
    #expect(s.x.last == 999 && s.y.last == 999)
    #expect(Viewer.levelOfDetail(Viewer.benchmarkScene(size: 100), triangles: 125_000) == nil)
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

  @Test(.tags(.egl)) func followShowsAppendedRowsWithoutMovingTheCamera() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try TrainscapeCLI.start(
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
    let r = started.finish()
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
    let rr = try TrainscapeCLI.run(["render", "gradient-flow", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectSimilar(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), name: "viewer_follow")
  }

  @Test(.tags(.egl)) func followBeyondMaxStepsStaysIncrementalAndKeepsTheHoverReadout() throws {
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
    let started = try TrainscapeCLI.start(
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
    let r = started.finish()
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("updated to step 899"), "\(r.stderr)")
    // Downsampled, and still only the last bucket and the new ones went to the GPU.
    let updates = r.stderr.split(separator: "\n").filter { $0.contains("updated to step") }
    #expect(updates.count >= 2 && updates.allSatisfy { $0.contains("(incremental, ") }, "\(r.stderr)")
    #expect(!r.stderr.contains("rebuilt"), "\(r.stderr)")
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
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    let started = try TrainscapeCLI.start(
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
    let r = started.finish()
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
    let rr = try TrainscapeCLI.run(["render", "loss-landscape", full, "--size", "800x450", "-o", rendered, "--gpu", "cpu"])
    #expect(rr.status == 0, "\(rr.stderr)")
    expectSimilar(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), name: "viewer_follow_loss_landscape")
  }
  @Test(.tags(.egl)) func followedTrajectoryAppendsPointsInPlace() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: Paths.example, encoding: .utf8).split(separator: "\n")
    let live = dir.appendingPathComponent("live.jsonl").path
    try (lines[0..<600].joined(separator: "\n") + "\n").write(toFile: live, atomically: true, encoding: .utf8)
    let shot = dir.appendingPathComponent("follow.png").path
    // 600 to 900 steps in at most 256 points: buckets of 8 steps throughout.
    let flags = ["--grad-key", "grad_norm/total", "--max-steps", "256", "--size", "800x450"]
    let started = try TrainscapeCLI.start(
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
    let r = started.finish()
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
    let rr = try TrainscapeCLI.run(["render", "trajectory", full, "-o", rendered, "--gpu", "cpu"] + flags)
    #expect(rr.status == 0, "\(rr.stderr)")
    expectSimilar(try PNGCodec.read(path: shot), try PNGCodec.read(path: rendered), name: "viewer_follow_trajectory")
  }
}
