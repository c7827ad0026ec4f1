import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

@Suite(.tiered) struct ImportTests {
  func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  @Test func realWandbFiguresImport() throws {
    let fm = FileManager.default
    var files: [String] = []
    // All 11 real W&B media files are copied into the repository (so a fresh clone tests
    // them); the originals in ../shared are checked too when they are there (CI).
    for f in try fm.contentsOfDirectory(atPath: ExportPython.fixtures.path) where f.hasSuffix(".json") {
      files.append(ExportPython.fixtures.path + "/" + f)
    }
    #expect(files.count == 11, "expected the 11 real W&B media files in \(ExportPython.fixtures.path)")
    let root = ExportPython.sharedMedia.path
    if fm.fileExists(atPath: root) {
      let e = fm.enumerator(atPath: root)!
      for case let f as String in e where f.hasSuffix(".json") { files.append(root + "/" + f) }
    }
    for f in files {
      let scene = try FigureImporter.scene(path: f)
      #expect(!scene.traces.isEmpty, "\(f)")
    }
  }

  @Test func rewardLandscapeReadsAsWandbLoggedIt() throws {
    let path = ExportPython.fixtures.appendingPathComponent("reward_landscape_1_19cba6373ef85c6863cc.plotly.json").path
    let scene = try FigureImporter.scene(path: path)
    #expect(scene.title == "3D RL Reward Landscape (Training Trajectory)")
    #expect(scene.x.title == "Training Step" && scene.y.title == "Loss" && scene.z.title == "Reward")
    #expect(scene.camera.eye == Vec3(1.8, 1.8, 1.5))
    #expect(scene.traces.count == 2)
    let s = try #require(scene.traces[0].scatter, "expected scatter3d then surface")
    let surf = try #require(scene.traces[1].surface, "expected scatter3d then surface")
    #expect(s.count == 200 && s.mode == .linesAndMarkers && s.text.count == 200)
    #expect(s.x.first == 0 && s.x.last == 199)  // i4 typed array
    #expect(surf.rows == 30 && surf.cols == 30 && surf.opacity == 0.6)
    // The colour bar is the trajectory's (turbo-like stops, title Step), not the hidden surface scale.
    let bar = try #require(scene.colorBar)
    #expect(bar.title == "Step")
    #expect(bar.colormap.color(at: 0).hex == "#30123b")
    // RdYlGn given as rgb() stops: red at 0, green at 1.
    #expect(surf.colormap.color(at: 0).hex == "#a50026")
  }

  @Test func typedArraysOfEveryDtype() throws {
    func typed(_ dtype: String, _ raw: [UInt8], shape: String? = nil) -> String {
      var w = JSONWriter()
      raw.withUnsafeBytes { w.base64($0) }
      let b64 = String(decoding: w.bytes, as: UTF8.self)
      return "{\"dtype\":\"\(dtype)\",\"bdata\":\"\(b64)\"\(shape.map { ",\"shape\":\"\($0)\"" } ?? "")}"
    }
    func le<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
    let cases: [(String, [UInt8], [Double])] = [
      ("i1", le([Int8(-3), 4, 127]), [-3, 4, 127]),
      ("u1", [0, 200, 255], [0, 200, 255]),
      ("i2", le([Int16(-300), 2, 32767]), [-300, 2, 32767]),
      ("u2", le([UInt16(0), 65535, 7]), [0, 65535, 7]),
      ("i4", le([Int32(-70000), 1, 5]), [-70000, 1, 5]),
      ("u4", le([UInt32(4_000_000_000), 0, 9]), [4_000_000_000, 0, 9]),
      ("f4", le([Float(0.5).bitPattern, Float(-2.25).bitPattern, Float.nan.bitPattern]), [0.5, -2.25, .nan]),
      ("f8", le([1e-300.bitPattern, (-0.1).bitPattern, 3.0.bitPattern]), [1e-300, -0.1, 3]),
    ]
    for (dtype, raw, want) in cases {
      let fig = "{\"data\":[{\"type\":\"scatter3d\",\"x\":\(typed(dtype, raw)),\"y\":[1,2,3],\"z\":[1,2,3]}]}"
      let scene = try PlotlyImporter.scene(fromJSON: bytes(fig), file: "t.json")
      let s = try #require(scene.traces[0].scatter)
      #expect(s.x.map(\.bitPattern) == want.map(\.bitPattern) || zip(s.x, want).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(dtype)")
    }
    // 2-D with a shape string.
    let z = typed("f8", le([1.0, 2, 3, 4, 5, 6].map(\.bitPattern)), shape: "2, 3")
    let scene = try PlotlyImporter.scene(fromJSON: bytes("{\"data\":[{\"type\":\"surface\",\"z\":\(z),\"x\":[10,20,30],\"y\":[0,1]}]}"), file: "s.json")
    let surf = try #require(scene.traces[0].surface)
    #expect(surf.rows == 2 && surf.cols == 3 && surf.z == [1, 2, 3, 4, 5, 6])
    #expect(surf.x == [10, 20, 30, 10, 20, 30] && surf.y == [0, 0, 0, 1, 1, 1])
  }

  @Test func errorsNameTheFileAndTheJSONPath() throws {
    func error(_ s: String) -> String {
      do {
        _ = try PlotlyImporter.scene(fromJSON: bytes(s), file: "bad.plotly.json")
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(error("{\"data\":[{\"type\":\"surface\",\"z\":\"high\"}]}").contains("bad.plotly.json: data[0].z: expected"))
    #expect(error("{\"data\":[{\"type\":\"surface\",\"z\":[[1,2],[3]]}]}").contains("data[0].z[1]: expected a row of 2 values"))
    #expect(error("{\"data\":[{\"type\":\"surface\",\"z\":{\"dtype\":\"f8\",\"bdata\":\"AAAAAAAA8D8=\",\"shape\":\"2, 3\"}}]}").contains("data[0].z.shape"))
    #expect(error("{\"data\":[{\"type\":\"surface\",\"z\":{\"dtype\":\"c16\",\"bdata\":\"\"}}]}").contains("data[0].z.dtype: expected one of"))
    #expect(error("{\"data\":[{\"type\":\"scatter3d\",\"x\":[1],\"y\":[1]}]}").contains("data[0].z: expected"))
    #expect(error("{\"data\":[{\"type\":\"mesh3d\",\"x\":[1],\"y\":[1],\"z\":[1],\"i\":[0],\"j\":[0],\"k\":[5]}]}").contains("data[0].k[0]: expected a vertex index"))
    #expect(error("{\"data\":[{\"type\":\"scatter3d\",\"x\":[1],\"y\":[1],\"z\":[1],\"marker\":{\"color\":\"notacolour\"}}]}").contains("data[0].marker.color"))
    #expect(error("{\"layout\":{}}").contains("bad.plotly.json: data: expected"))
    #expect(error("{\"data\":[1,}").contains("line 1, column"))
    do {
      _ = try Object3DImporter.scene(fromJSON: bytes("[[1,2,3],[1,2]]"), file: "p.pts.json")
      Issue.record("accepted a 2-column row")
    } catch { #expect("\(error)".contains("p.pts.json: [1]: expected a row of 3, 4 or 6 numbers")) }
  }

  @Test func coloursAndColourScales() throws {
    #expect(CSSColor.parse("rgb(255, 0, 128)")?.hex == "#ff0080")
    #expect(CSSColor.parse("rgba(0,0,255,0.5)")?.hex == "#0000ff")
    #expect(CSSColor.parse("cyan")?.hex == "#00ffff")
    #expect(CSSColor.parse("#abc")?.hex == "#aabbcc")
    #expect(CSSColor.parse("#1F77B4")?.hex == "#1f77b4")
    #expect(CSSColor.parse("hsl(120, 100%, 50%)")?.hex == "#00ff00")
    #expect(CSSColor.parse("nonsense") == nil)
    // A string colorscale means what plotly.js draws: plotly.js's own definition, exact name.
    let (v, n1) = PlotlyColorscales.named("Viridis")
    #expect(v == Colormap.plotlyJS("Viridis")! && n1 == nil)
    let (g, _) = PlotlyColorscales.named("Greens")
    #expect(g.color(at: 0).hex == "#00441b" && g.color(at: 1).hex == "#f7fcf5", "plotly.js's Greens runs dark to light")
    // Names only plotly.py knows are plotly.py's scales, with a note that plotly.js lacks them.
    let (t, n4) = PlotlyColorscales.named("Turbo_r")
    #expect(t == Colormap.turbo.reversed() && n4?.contains("not one of plotly.js's names") == true)
    let (th, n5) = PlotlyColorscales.named("thermal")
    #expect(th == Colormap.named("thermal")! && n5?.contains("plotly.py's 'thermal'") == true)
    let (u, n3) = PlotlyColorscales.named("NoSuchScale", fallback: .plasma)
    #expect(u == .plasma && n3?.contains("'NoSuchScale' is unknown") == true)
    let fig = "{\"data\":[{\"type\":\"surface\",\"z\":[[0,1],[2,3]],\"colorscale\":\"Jet\"}]}"
    let scene = try PlotlyImporter.scene(fromJSON: bytes(fig), file: "j.json")
    #expect(!scene.notes.contains { $0.contains("'Jet'") })
    let surface = try #require(scene.traces[0].surface)
    #expect(surface.colormap == Colormap.plotlyJS("Jet")!)
    // plotly.js's Jet has a stop at 0.125 (0, 60, 170); plotly.py's has it at 0.2.
    #expect(surface.colormap.color(at: 0.125).hex == "#003caa")
    let custom = PlotlyColorscales.interpolate([(0, .black), (1, RGBColor(hex: "#ff0000")!)], name: "custom")
    #expect(custom.color(at: 0.5).hex == "#800000" || custom.color(at: 0.5).hex == "#7f0000")
  }

  @Test func object3DForms() throws {
    let three = try Object3DImporter.scene(fromJSON: bytes("[[0,0,0],[1,2,3],[2,4,5]]"), file: "a.pts.json")
    let s3 = try #require(three.traces[0].scatter)
    #expect(s3.colors.perPointColors == nil, "N x 3: coloured by value")
    let four = try Object3DImporter.scene(fromJSON: bytes("[[0,0,0,1],[1,2,3,2]]"), file: "b.pts.json")
    let c4 = try #require(four.traces[0].scatter?.colors.perPointColors, "N x 4: colour per point")
    #expect(c4[0] == Palette.color(0) && c4[1] == Palette.color(1))
    let six = try Object3DImporter.scene(fromJSON: bytes("[[0,0,0,255,0,128],[1,1,1,0,255,0]]"), file: "c.pts.json")
    let c6 = try #require(six.traces[0].scatter?.colors.perPointColors, "N x 6: colour per point")
    #expect(c6[0].hex == "#ff0080" && c6[1].hex == "#00ff00")
    let lidar = """
      {"type":"lidar/beta","vectors":[{"start":[0,0,0],"end":[1,0,0],"color":[255,0,0]}],
       "points":[[0,0,0],[1,1,1]],
       "boxes":[{"corners":[[0,0,0],[2,0,0],[0,1,0],[2,1,0],[0,0,3],[2,0,3],[0,1,3],[2,1,3]],"label":"box","color":[0,1,0],"score":null}]}
      """
    let scene = try Object3DImporter.scene(fromJSON: bytes(lidar), file: "l.pts.json")
    #expect(scene.traces.count == 3)
    let box = try #require(scene.traces[1].scatter)
    #expect(box.name == "box" && box.count == 12 * 3 - 1 && box.colors == .solid(RGBColor(r: 0, g: 1, b: 0)))
    #expect(Object3DImporter.boxEdges([Vec3(0, 0, 0), Vec3(1, 1, 10), Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(1, 1, 0), Vec3(0, 0, 10), Vec3(1, 0, 10), Vec3(0, 1, 10)]).count == 12)
  }
}

extension PointColors {
  fileprivate var perPointColors: [RGBColor]? {
    if case .perPoint(let c) = self { return c }
    return nil
  }
}
