import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeTestSupport
@testable import TrainscapeIO

@Suite(.tiered) struct ExportTests {
  func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

  @Test(.tags(.python)) func numbersAreValidJSON() throws {
    var w = JSONWriter()
    // A subnormal and an integer beyond 2^53, built at run time (as literals they warn).
    let subnormal = Double("2.5e-320")!
    let big = Double(123_456_789_012_345_680 as Int64)
    w.numbers([1e-05, 0.1, -0.0, 3, 1.5e300, .nan, .infinity, subnormal, big, -7, 1e16])
    let s = text(w.bytes)
    #expect(s == "[1e-05,0.1,-0.0,3,1.5e+300,null,null,2.5e-320,1.2345678901234568e+17,-7,1e+16]")
    // Python's json reads every one back to the same double.
    let out = try ExportPython.run("import json,sys; print(json.dumps(json.loads(sys.argv[1])))", args: [s])
    #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "[1e-05, 0.1, -0.0, 3, 1.5e+300, null, null, 2.5e-320, 1.2345678901234568e+17, -7, 1e+16]")
    var p = JSONWriter(precision: 3)
    p.numbers([0.123456, 123456, 1e-7])
    #expect(text(p.bytes) == "[0.123,1.23e+05,1e-07]")
  }

  @Test func roundTripGivesTheSameJSON() throws {
    for scene in [ExportScenes.surface(), ExportScenes.surface(logColor: true, logAxes: true), ExportScenes.scatterAndMesh()] {
      for typed in [false, true] {
        let opts = PlotlyExporter.Options(typedArrays: typed, width: 800, height: 600)
        let first = PlotlyExporter.figure(scene, options: opts).json
        let back = try PlotlyImporter.scene(fromJSON: first, file: "rt.json")
        let second = PlotlyExporter.figure(back, options: opts).json
        #expect(text(first) == text(second), "\(scene.title) typed=\(typed)")
        #expect(back.traces.count == scene.traces.count)
        #expect(back.camera.eye == scene.camera.eye && back.x == scene.x && back.y == scene.y && back.z == scene.z)
      }
    }
  }

  @Test func importedSceneEqualsTheOriginalForLinearColours() throws {
    let scene = ExportScenes.surface()
    let back = try PlotlyImporter.scene(fromJSON: PlotlyExporter.figure(scene).json, file: "s.json")
    let a = try #require(scene.traces[0].surface)
    let b = try #require(back.traces[0].surface, "surface lost")
    #expect(PlotlyExporter.sameBits(a.z, b.z) && a.x == b.x && a.y == b.y && a.colormap == b.colormap)
    #expect(a.colorRange == b.colorRange && a.opacity == b.opacity && a.name == b.name)
    #expect(back.title == scene.title && back.notes == scene.notes && back.colorBar == scene.colorBar)
  }

  @Test func downsamplingIsSaidAndKeepsTheLastRowAndColumn() throws {
    let scene = ExportScenes.surface(rows: 101, cols: 51)
    let (json, notes) = PlotlyExporter.figure(scene, options: .init(maxPoints: 400))
    #expect(notes.count == 1 && notes[0].contains("downsampled from 101x51"))
    let s = text(json)
    #expect(s.contains("(downsampled 101x51 -> "))  // trace name
    #expect(s.contains("\"annotations\":[{\"text\":\"Note: 1 sample is missing<br>Note: surface"))
    let back = try PlotlyImporter.scene(fromJSON: json, file: "d.json")
    let t = try #require(back.traces[0].surface)
    let orig = try #require(scene.traces[0].surface)
    #expect(t.rows * t.cols <= 400)
    #expect(t.z.last == orig.z.last && t.x.last == orig.x.last && t.y.last == orig.y.last)
    #expect(t.x[t.cols - 1] == orig.x[orig.cols - 1])
  }

  @Test func logColourScaleIsExportedAsLog10WithRealTickLabels() throws {
    let s = text(PlotlyExporter.figure(ExportScenes.surface(logColor: true)).json)
    #expect(s.contains("\"surfacecolor\":"))
    #expect(s.contains("\"tickmode\":\"array\",\"tickvals\":[") && s.contains("\"ticktext\":["))
    #expect(s.contains("\"type\":\"surface\""))
  }

  /// A log axis carries our decade ticks (tickvals in data units, as plotly.js takes them on a
  /// log axis), so plotly.js does not add minor digit labels that overlap the decades.
  @Test func logAxesGetExplicitTicks() throws {
    let scene = ExportScenes.surface(logAxes: true)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(PlotlyExporter.figure(scene).json)) as? [String: Any])
    let sceneLayout = try #require((json["layout"] as? [String: Any])?["scene"] as? [String: Any])
    for (key, axis) in [("yaxis", scene.y), ("zaxis", scene.z)] {
      let a = try #require(sceneLayout[key] as? [String: Any])
      #expect(a["type"] as? String == "log" && a["tickmode"] as? String == "array", "\(key)")
      let vals = try #require(a["tickvals"] as? [Double])
      let want = axis.ticks(target: 6).filter { $0.value > 0 }
      #expect(!vals.isEmpty && vals == want.map(\.value), "\(key): \(vals)")
      #expect(a["ticktext"] as? [String] == want.map(\.label))
    }
    let x = try #require(sceneLayout["xaxis"] as? [String: Any])
    #expect(x["tickvals"] == nil, "a linear axis keeps plotly.js's ticks")
  }

  @Test(.tags(.python)) func pointCloudAndLidar() throws {
    let scene = ExportScenes.scatterAndMesh()
    let (pts, notes) = Object3DExporter.pointCloud(scene)
    let rows = try ExportPython.run(
      "import json,sys; a=json.load(open(sys.argv[1])); print(len(a), set(len(r) for r in a), max(max(r[3:]) for r in a))",
      args: [try write(pts, "p.pts.json")])
    // 30 + 30 + 3 scatter points (two NaN left out) + 4 + 3 mesh vertices.
    #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "68 {6} 255")
    #expect(notes.contains { $0.contains("2 points") })
    let lidar = text(Object3DExporter.lidarScene(scene).json)
    #expect(lidar.hasPrefix("{\"type\":\"lidar/beta\",\"vectors\":[{\"start\":"))
    let back = try Object3DImporter.scene(fromJSON: Array(lidar.utf8), file: "l.pts.json")
    #expect(back.traces.count == 1 + 1 + 3)  // points, the box, three axis arrows
  }

  @Test func glbStructure() throws {
    let (glb, _) = GLBExporter.glb(ExportScenes.surface())
    func u32(_ o: Int) -> Int { Int(glb[o]) | Int(glb[o + 1]) << 8 | Int(glb[o + 2]) << 16 | Int(glb[o + 3]) << 24 }
    #expect(u32(0) == 0x4654_6C67 && u32(4) == 2 && u32(8) == glb.count)
    let jsonLen = u32(12)
    #expect(jsonLen % 4 == 0 && u32(16) == 0x4E4F_534A)
    let binLen = u32(20 + jsonLen)
    #expect(binLen % 4 == 0 && u32(24 + jsonLen) == 0x004E_4942 && 28 + jsonLen + binLen == glb.count)
  }

  @Test func htmlPage() throws {
    let scene = ExportScenes.surface()
    let json = PlotlyExporter.figure(scene).json
    let page = text(HTMLExporter.page(figureJSON: json, title: scene.title, plotlyJS: .cdn))
    #expect(page.contains("<script src=\"https://cdn.plot.ly/plotly-\(HTMLExporter.plotlyJSVersion).min.js\""))
    #expect(page.contains("<title>Loss &lt;/script&gt; landscape</title>"))
    // The title inside the JSON cannot end the script element.
    #expect(page.components(separatedBy: "</script>").count == 3)
    let inline = text(HTMLExporter.page(figureJSON: json, title: "t", plotlyJS: .inline(Array("var Plotly={}; // </script>".utf8))))
    #expect(!inline.contains("cdn.plot.ly") && inline.contains("var Plotly={}; // <\\/script>"))
  }

  /// By default the page carries the plotly.js built into the binary, which is exactly
  /// Assets/plotly/plotly.min.js, of the version the CDN URL and the asset's licence name.
  @Test func htmlPageCarriesTheBundledPlotlyJSByDefault() throws {
    let asset = TestPaths.packageRoot.appendingPathComponent("Assets/plotly/plotly.min.js")
    let file = try #require(FileManager.default.contents(atPath: asset.path), "\(asset.path) is missing")
    let bundled = HTMLExporter.bundledPlotlyJS
    #expect(bundled.count == file.count && bundled == [UInt8](file), "the binary's plotly.js differs from \(asset.path): rebuild after touching Sources/CPlotlyJS/plotly_js.c")
    #expect(HTMLExporter.bundledPlotlyJSVersion == HTMLExporter.plotlyJSVersion)
    #expect(String(decoding: file.prefix(200), as: UTF8.self).contains("plotly.js v\(HTMLExporter.plotlyJSVersion)\n"))
    let licence = try String(contentsOf: asset.deletingLastPathComponent().appendingPathComponent("LICENSE-plotly.js.txt"), encoding: .utf8)
    #expect(licence.contains("plotly.js v\(HTMLExporter.plotlyJSVersion)") && licence.contains("MIT License"))

    let scene = ExportScenes.surface()
    let page = HTMLExporter.page(figureJSON: PlotlyExporter.figure(scene).json, title: scene.title)
    let pageText = text(page)
    #expect(!pageText.contains("<script src="), "the default page loads a script from the network")
    #expect(page.count > file.count)
    // The library sits in the page unchanged but for "</script" (none in this version).
    #expect(HTMLExporter.escapeScriptEnd(bundled) == bundled)
    #expect(pageText.contains(String(decoding: file.prefix(2000), as: UTF8.self)))
    #expect(pageText.contains(String(decoding: file.suffix(2000), as: UTF8.self)))
  }

  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = try ExportPython.tempDir().appendingPathComponent(name).path
    try AtomicFile.write(bytes, to: path)
    return path
  }
}
