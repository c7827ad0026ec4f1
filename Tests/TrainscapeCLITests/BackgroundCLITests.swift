import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `--background` reaches every image: turntable and animate frames too (it was ignored there),
/// and without it a Plotly figure keeps its own `paper_bgcolor`, with text readable on it.
@Suite(.tiered) struct BackgroundCLITests {
  @Test(.tags(.egl)) func framesTakeTheBackgroundAndFiguresKeepTheirOwn() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tt = try CLI.run([
      "turntable", "gradient-flow", TestPaths.example, "--frames", "2", "--size", "320x180", "--background", "#202020",
      "-o", dir.path, "--quiet",
    ])
    #expect(tt.status == 0, "\(tt.stderr)")
    let run = tt.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let frame = try PNGCodec.read(path: run + "/nanochat_d12_gradient-flow_0000.png")
    #expect(frame[2, 2].r == 32 && frame[2, 2].g == 32 && frame[2, 2].b == 32, "\(frame[2, 2])")

    let fig = dir.appendingPathComponent("dark.json")
    try ##"{"data":[{"type":"surface","z":[[1,2,3],[2,3,1],[3,1,2]]}],"layout":{"title":{"text":"Dark paper"},"paper_bgcolor":"#151516"}}"##
      .write(to: fig, atomically: true, encoding: .utf8)
    let own = dir.appendingPathComponent("own.png").path, white = dir.appendingPathComponent("white.png").path
    #expect(try CLI.run(["render", "figure", fig.path, "-o", own, "--size", "480x270"]).status == 0)
    #expect(try CLI.run(["render", "figure", fig.path, "-o", white, "--size", "480x270", "--background", "#ffffff"]).status == 0)
    let a = try PNGCodec.read(path: own), b = try PNGCodec.read(path: white)
    #expect(a[2, 2].r == 0x15 && a[2, 2].b == 0x16, "\(a[2, 2])")
    #expect(b[2, 2].r == 255)
    // The title on the dark paper is light.
    var light = 0
    for y in 0..<30 { for x in 160..<320 where a[x, y].r > 180 { light += 1 } }
    #expect(light > 30, "light title pixels \(light)")
  }

  /// On a dark background the exports carry a light font colour, as the PNG draws its text.
  @Test func exportsOnADarkBackgroundCarryALightFont() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let dark = dir.appendingPathComponent("dark.plotly.json").path, light = dir.appendingPathComponent("light.plotly.json").path
    #expect(try CLI.run(["export", "gradient-flow", TestPaths.example, "--background", "#202020", "-o", dark]).status == 0)
    #expect(try CLI.run(["export", "gradient-flow", TestPaths.example, "-o", light]).status == 0)
    let d = try String(contentsOfFile: dark, encoding: .utf8), l = try String(contentsOfFile: light, encoding: .utf8)
    #expect(d.contains("\"paper_bgcolor\":\"#202020\",\"font\":{\"color\":\"#ebebf0\"}"), "\(d.prefix(0))")
    #expect(!l.contains("\"font\":{\"color\""))
    let runs = TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path
    let panels = dir.appendingPathComponent("dyn.plotly.json").path
    let r = try CLI.run(["export", "dynamics", runs, "--group-by", "arm", "--metrics", "hack_s", "--background", "#101010", "-o", panels])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try String(contentsOfFile: panels, encoding: .utf8).contains("\"font\":{\"color\":\"#ebebf0\"}"))
  }
}
