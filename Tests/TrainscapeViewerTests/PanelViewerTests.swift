import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

@testable import TrainscapeViewer

/// `view dynamics`: the 2D small multiples in a window. Untouched it shows what `render
/// dynamics` writes; hovering shows the readout box; the wheel and a drag move the view.
@Suite(.serialized, .tags(.xvfb), .tiered) struct PanelViewerWindowTests {
  static var runs: String { TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path }
  static let figureArgs = ["--group-by", "arm", "--ema", "5", "--metrics", "hack_s,gt_s", "--metrics", "cos_pre_t,cos_pre_s"]

  /// Dark grey pixels (text) in a rectangle.
  static func dark(_ img: RGBAImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Int {
    readoutPixels(img, x0: x0, y0: y0, x1: x1, y1: y1).dark
  }

  /// Pixels that differ by more than 40 in a channel.
  static func changed(_ a: RGBAImage, _ b: RGBAImage) -> Double {
    precondition(a.width == b.width && a.height == b.height)
    var n = 0
    for i in 0..<(a.width * a.height) {
      for c in 0..<3 where abs(Int(a.pixels[i * 4 + c]) - Int(b.pixels[i * 4 + c])) > 40 {
        n += 1
        break
      }
    }
    return Double(n) / Double(a.width * a.height)
  }

  @Test(.tags(.egl)) func untouchedItShowsWhatRenderWritesAndHoverZoomAndDragChangeIt() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let rendered = dir.appendingPathComponent("render.png").path
    let r = try TrainscapeCLI.run(["render", "dynamics", Self.runs] + Self.figureArgs + ["--size", "960x540", "-o", rendered, "--gpu", "cpu"])
    #expect(r.status == 0, "\(r.stderr)")
    let plain = try PNGCodec.read(path: rendered)

    // Hover inside the bottom-right panel (vanilla, cos_pre_*), screenshot; then zoom in on
    // the top-middle panel and drag it.
    let hover = dir.appendingPathComponent("hover.png").path, zoomed = dir.appendingPathComponent("zoomed.png").path
    let script = dir.appendingPathComponent("script.txt")
    try """
      0.2 hover 760 380
      0.5 screenshot \(hover)
      0.7 scroll 525 150 3
      0.9 drag 525 150 600 200
      1.3 key A
      """.write(to: script, atomically: true, encoding: .utf8)
    let v = try TrainscapeCLI.run(
      ["view", "dynamics", Self.runs] + Self.figureArgs
        + ["--size", "960x540", "--screenshot", zoomed, "--quit-after", "1.8", "--script", script.path],
      environment: ["DISPLAY": x.display])
    #expect(v.status == 0, "\(v.stderr)")
    #expect(v.stdout.contains(hover) && v.stdout.contains(zoomed))
    #expect(v.stderr.contains("keys: hack_s, gt_s | cos_pre_t, cos_pre_s; 9 runs in 3 group(s)"), "\(v.stderr)")
    #expect(v.stderr.contains("A: no annotations to hide"), "\(v.stderr)")

    let hovered = try PNGCodec.read(path: hover)
    #expect(hovered.width == 960 && hovered.height == 540)
    // The readout box to the lower right of the cursor: its text (dark grey) where the plain
    // figure has none; elsewhere the hovered window equals the render.
    let box = (Self.dark(hovered, 772, 392, 940, 470), Self.dark(plain, 772, 392, 940, 470))
    #expect(box.0 > box.1 + 150, "dark pixels: hovered \(box.0), plain \(box.1)")
    expectSimilar(
      try crop(hovered, x: 0, y: 0, width: 640, height: 540), try crop(plain, x: 0, y: 0, width: 640, height: 540),
      name: "view_dynamics_untouched_part")

    let moved = try PNGCodec.read(path: zoomed)
    #expect(Self.changed(moved, plain) > 0.03, "zoom and drag changed \(Self.changed(moved, plain))")
    // The zoom and drag move the shared steps of every panel (the bottom-left panel changes
    // too) but not the other row's values... which a pixel test cannot tell apart from the
    // steps; PanelNavigatorTests check the ranges.
    let bottomLeft = (try crop(moved, x: 40, y: 300, width: 260, height: 180), try crop(plain, x: 40, y: 300, width: 260, height: 180))
    #expect(Self.changed(bottomLeft.0, bottomLeft.1) > 0.02)
    try? FileManager.default.createDirectory(at: TestPaths.artifacts, withIntermediateDirectories: true)
    try? PNGCodec.write(hovered, to: TestPaths.artifacts.appendingPathComponent("view_dynamics_hover.png").path, overwrite: true)
    try? PNGCodec.write(moved, to: TestPaths.artifacts.appendingPathComponent("view_dynamics_zoomed.png").path, overwrite: true)
  }

  /// S writes the next free trainscape-NAME-NNN.png in the current directory, never
  /// overwriting one that is there.
  @Test func theSKeyWritesNumberedScreenshots() throws {
    let x = try XServer()
    let dir = try Paths.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("taken".utf8).write(to: dir.appendingPathComponent("trainscape-arm-001.png"))
    let script = dir.appendingPathComponent("script.txt")
    try "0.2 key S\n0.4 key S\n".write(to: script, atomically: true, encoding: .utf8)
    let args = ["view", "dynamics", Self.runs] + Self.figureArgs + ["--size", "480x270", "--quit-after", "0.8", "--script", script.path]
    let command = "cd '\(dir.path)' && exec '\(TrainscapeCLI.binary.path)' " + args.map { "'\($0)'" }.joined(separator: " ")
    let r = try Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", command], environment: ["DISPLAY": x.display])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("trainscape-arm-002.png") && r.stdout.contains("trainscape-arm-003.png"), "\(r.stdout)")
    #expect(try Data(contentsOf: dir.appendingPathComponent("trainscape-arm-001.png")) == Data("taken".utf8))
    #expect(try PNGCodec.read(path: dir.appendingPathComponent("trainscape-arm-003.png").path).width == 480)
  }

  @Test func optionsAWindowDoesNotUseAreSaidAndFollowIsRefused() throws {
    let noDisplay = try TrainscapeCLI.run(
      ["view", "dynamics", Self.runs] + Self.figureArgs + ["-o", "/tmp/never.png", "--quit-after", "1"],
      environment: ["DISPLAY": nil, "WAYLAND_DISPLAY": nil])
    #expect(noDisplay.status == 1)
    #expect(noDisplay.stderr.contains("-o: the window writes no file (--screenshot PNG saves its image at exit): not used"), "\(noDisplay.stderr)")
    #expect(noDisplay.stderr.contains("no display (DISPLAY is not set)"), "\(noDisplay.stderr)")
    let follow = try TrainscapeCLI.run(["view", "dynamics", Self.runs] + Self.figureArgs + ["--follow"], environment: ["DISPLAY": nil])
    #expect(follow.status != 0)
    #expect(follow.stderr.contains("--follow: view dynamics draws the runs as read; following them is not supported yet"), "\(follow.stderr)")
  }
}

/// The `width` x `height` rectangle of `img` at (`x`, `y`).
func crop(_ img: RGBAImage, x: Int, y: Int, width: Int, height: Int) throws -> RGBAImage {
  try #require(x >= 0 && y >= 0 && x + width <= img.width && y + height <= img.height)
  var px: [UInt8] = []
  px.reserveCapacity(width * height * 4)
  for row in y..<(y + height) { px += img.pixels[((row * img.width + x) * 4)..<((row * img.width + x + width) * 4)] }
  return RGBAImage(width: width, height: height, pixels: px)
}

/// The wheel outside a panel: over its step labels (below) it zooms the steps, over its value
/// labels (left) the values, elsewhere nothing.
@Suite(.tiered) struct PanelViewerAxisTests {
  @Test @MainActor func theAxisUnderTheCursor() {
    let rects = [PixelRect(x: 100, y: 50, width: 300, height: 200), PixelRect(x: 500, y: 50, width: 300, height: 200)]
    #expect(PanelViewer.axisUnder(PixelPoint(200, 270), rects: rects, unit: 1)! == (0, .x))
    #expect(PanelViewer.axisUnder(PixelPoint(600, 260), rects: rects, unit: 1)! == (1, .x))
    #expect(PanelViewer.axisUnder(PixelPoint(480, 100), rects: rects, unit: 1)! == (1, .y))
    #expect(PanelViewer.axisUnder(PixelPoint(70, 100), rects: rects, unit: 1)! == (0, .y))
    #expect(PanelViewer.axisUnder(PixelPoint(450, 400), rects: rects, unit: 1) == nil)
    #expect(PanelViewer.axisUnder(PixelPoint(200, 20), rects: rects, unit: 1) == nil)
  }
}
