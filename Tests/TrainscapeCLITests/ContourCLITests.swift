import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `--contours z --project-contours` on the loss landscape: drawn in the PNG, written as
/// Plotly's `contours` (plotly.py reads them back) and as GLB lines; an imported Plotly surface
/// with contours is drawn with them; options without `--contours` are said unused.
@Suite(.tiered) struct ContourCLITests {
  static var sweep: String { TestPaths.packageRoot.appendingPathComponent("Assets/examples/sweep").path }

  @Test(.tags(.egl)) func renderDrawsTheLinesAndTheFloorMap() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let plain = dir.appendingPathComponent("plain.png").path, lined = dir.appendingPathComponent("lined.png").path
    #expect(try CLI.run(["render", "loss-landscape", Self.sweep, "-o", plain, "--size", "640x360"]).status == 0)
    let r = try CLI.run(["render", "loss-landscape", Self.sweep, "--contours", "z", "--project-contours", "-o", lined, "--size", "640x360"])
    #expect(r.status == 0, "\(r.stderr)")
    let a = try PNGCodec.read(path: plain), b = try PNGCodec.read(path: lined)
    // Dark grey line pixels appear (the lines are #303030).
    func dark(_ img: RGBAImage) -> Int {
      var n = 0
      for i in 0..<(img.width * img.height) {
        let p = (Int(img.pixels[i * 4]), Int(img.pixels[i * 4 + 1]), Int(img.pixels[i * 4 + 2]))
        if max(p.0, p.1, p.2) < 90 && abs(p.0 - p.2) < 20 && abs(p.0 - p.1) < 20 { n += 1 }
      }
      return n
    }
    #expect(dark(b) > dark(a) + 500, "dark pixels \(dark(b)) vs \(dark(a))")
    let unused = try CLI.run(["render", "loss-landscape", Self.sweep, "--contour-levels", "5", "-o", dir.appendingPathComponent("u.png").path, "--size", "320x180"])
    #expect(unused.status == 0)
    #expect(unused.stderr.contains("--contour-levels and --project-contours shape the lines of --contours AXES, which is not given: not used"), "\(unused.stderr)")
    let bad = try CLI.run(["render", "loss-landscape", Self.sweep, "--contours", "w", "-o", "/tmp/never.png"])
    #expect(bad.status != 0 && bad.stderr.contains("--contours 'w': expected axes among x, y, z"), "\(bad.stderr)")
  }

  @Test(.tags(.python)) func exportsWriteSurfaceContoursAndGLBLines() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("ll.plotly.json").path
    let r = try CLI.run(["export", "loss-landscape", Self.sweep, "--contours", "z", "--project-contours", "--contour-levels", "6", "-o", json])
    #expect(r.status == 0, "\(r.stderr)")
    let out = try Python.run(#"""
      import sys, plotly.io as pio
      fig = pio.from_json(open(sys.argv[1]).read())
      s = [t for t in fig.data if t.type == "surface"]
      c = s[0].contours.z
      print(len(fig.data), len(s), c.show, c.start, c.end, c.size, c.project.z, c.color, c.usecolormap)
      """#, args: [json])
    let f = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
    #expect(f.count == 9, "\(out)")
    #expect(f[0] == "1" && f[1] == "1" && f[2] == "True" && f[6] == "True" && f[7] == "#303030" && f[8] == "False", "\(out)")
    let (start, end, size) = (Double(f[3])!, Double(f[4])!, Double(f[5])!)
    #expect(start < end && size > 0 && ((end - start) / size).rounded() >= 3, "\(out)")

    let glb = dir.appendingPathComponent("ll.glb").path
    let g = try CLI.run(["export", "loss-landscape", Self.sweep, "--contours", "z", "-o", glb])
    #expect(g.status == 0, "\(g.stderr)")
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: glb)))
    let jsonLen = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    let text = String(decoding: bytes[20..<(20 + jsonLen)], as: UTF8.self)
    #expect(text.contains("z contours") && text.contains("\"mode\":1"), "\(text.prefix(400))")
  }

  @Test(.tags(.egl)) func anImportedSurfaceWithContoursIsDrawnWithThem() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    var z: [[Double]] = []
    for r in 0..<20 { z.append((0..<20).map { c in sin(Double(c) / 3) * cos(Double(r) / 4) }) }
    let rows = z.map { "[" + $0.map { String($0) }.joined(separator: ",") + "]" }.joined(separator: ",")
    func figure(_ contours: String) -> String {
      "{\"data\":[{\"type\":\"surface\",\"z\":[\(rows)]\(contours)}],\"layout\":{}}"
    }
    let with = dir.appendingPathComponent("with.json"), without = dir.appendingPathComponent("without.json")
    try figure(",\"contours\":{\"z\":{\"show\":true,\"start\":-0.8,\"end\":0.8,\"size\":0.2,\"usecolormap\":true,\"project\":{\"z\":true}}}").write(to: with, atomically: true, encoding: .utf8)
    try figure("").write(to: without, atomically: true, encoding: .utf8)
    let a = dir.appendingPathComponent("a.png").path, b = dir.appendingPathComponent("b.png").path
    let r = try CLI.run(["render", "figure", with.path, "-o", a, "--size", "480x270"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("are not drawn"), "\(r.stderr)")
    #expect(!r.stderr.contains("usecolormap"), "usecolormap is drawn: \(r.stderr)")
    #expect(try CLI.run(["render", "figure", without.path, "-o", b, "--size", "480x270"]).status == 0)
    #expect(try PNGCodec.read(path: a) != PNGCodec.read(path: b))
  }
}

/// `render figure` of a Plotly figure with two scenes: one panel each, with its own colour bar.
@Suite(.tiered) struct FigureScenesCLITests {
  @Test(.tags(.egl)) func severalScenesArePanels() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fig = dir.appendingPathComponent("two.json")
    try #"""
      {"data":[{"type":"surface","z":[[1,2,3],[2,3,4],[3,4,5]],"colorscale":"Viridis"},
               {"type":"surface","z":[[10,20,30],[20,30,40],[30,40,50]],"scene":"scene2","colorscale":"Hot"}],
       "layout":{"title":{"text":"Two scenes"},"scene2":{"camera":{"eye":{"x":2,"y":0.5,"z":1}}}}}
      """#.write(to: fig, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("two.png").path
    let r = try CLI.run(["render", "figure", fig.path, "-o", out, "--size", "1000x420"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("merged"), "\(r.stderr)")
    let img = try PNGCodec.read(path: out)
    #expect(img.width == 1000 && img.height == 420)
    // Viridis (green/blue) on the left half only, Hot (red/orange) on the right half only.
    func count(_ x0: Int, _ x1: Int, _ match: (Int, Int, Int) -> Bool) -> Int {
      var n = 0
      for y in 0..<img.height {
        for x in x0..<x1 {
          let p = img[x, y]
          if match(Int(p.r), Int(p.g), Int(p.b)) { n += 1 }
        }
      }
      return n
    }
    let green = { (r: Int, g: Int, b: Int) in g > r + 40 && g > 90 }
    let red = { (r: Int, g: Int, b: Int) in r > g + 60 && r > b + 60 }
    #expect(count(0, 500, green) > 500 && count(500, 1000, green) < 50, "\(count(0, 500, green)) \(count(500, 1000, green))")
    #expect(count(500, 1000, red) > 500 && count(0, 500, red) < 50, "\(count(500, 1000, red)) \(count(0, 500, red))")
  }
}
