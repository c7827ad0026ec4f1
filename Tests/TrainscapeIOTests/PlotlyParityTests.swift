import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// Plotly figures read as plotly.js draws them: marker sizes, lengths plotly.js tolerates, and
/// refusals that name the trace type. Hand-made figures (always run), shaped like plotly.js's
/// gl3d mocks named in each test.
@Suite(.tiered) struct PlotlyParityTests {
  func scene(_ json: String) throws -> Scene {
    try PlotlyImporter.scene(fromJSON: Array(json.utf8), file: "f.json")
  }

  func perPoint(_ c: PointColors?) -> [RGBColor]? {
    if case .perPoint(let cs)? = c { return cs } else { return nil }
  }

  @Test func markerSizesAsPlotlyJS() throws {
    // plotly.js draws a single size s as a glyph of 4s and an array's v as one of sizeFn(4v) =
    // 2v; a glyph g is about 0.42 g across (its gl3d baselines: the default 8 is 13 to 14 px,
    // gl3d_marker-color's 40 is 34 px). Pixels at the figure's size (plotly.js's 700 x 450:
    // 0.6 px per style unit, the renderer's smallest) become style units.
    let u = 0.42 / 0.6
    func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 } }
    let plain = try #require(try scene(#"{"data":[{"type":"scatter3d","mode":"markers","x":[0,1],"y":[0,1],"z":[0,1]}]}"#).traces[0].scatter)
    #expect(abs(plain.markerSize - 32 * u) < 1e-9 && plain.markerSizes.isEmpty, "\(plain.markerSize)")
    // A size per point (gl3d_marker-color: 10, 20, 30, 40).
    let arr = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1,2,3],"y":[0,1,2,3],"z":[0,1,2,3],"marker":{"size":[10,20,30,40]}}]}"#).traces[0].scatter)
    #expect(close(arr.markerSizes, [20 * u, 40 * u, 60 * u, 80 * u]), "\(arr.markerSizes)")
    #expect(close((0..<4).map { arr.markerSize(at: $0) }, arr.markerSizes))
    // sizeref divides, sizemode area takes the square root of 2v / sizeref.
    let ref = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"size":[10,20],"sizeref":2}}]}"#).traces[0].scatter)
    #expect(close(ref.markerSizes, [10 * u, 20 * u]), "\(ref.markerSizes)")
    let area = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"size":[8,50],"sizemode":"area"}}]}"#).traces[0].scatter)
    #expect(close(area.markerSizes, [4 * u, 10 * u]), "\(area.markerSizes)")
    // Fewer sizes than points: the rest at plotly.js's raw default glyph of 20, one note.
    let short = try scene(#"{"data":[{"type":"scatter3d","name":"s","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"size":[4,6]}}]}"#)
    #expect(close(short.traces[0].scatter?.markerSizes ?? [], [8 * u, 12 * u, 20 * u]))
    #expect(short.notes.filter { $0.contains("marker.size has 2 values for 3 points") }.count == 1, "\(short.notes)")
    // Subsets (thinning, reveal) keep each point's size.
    #expect(arr.subset([3, 1]).markerSizes == [arr.markerSizes[3], arr.markerSizes[1]])
    // A figure of 1280 x 720 has a pixel per style unit; its line widths too.
    let big = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"line":{"width":3}}],"layout":{"width":1280,"height":720}}"#).traces[0].scatter)
    #expect(abs(big.markerSize - 32 * 0.42) < 1e-9 && big.lineWidth == 3, "\(big.markerSize) \(big.lineWidth)")
    // With autosize the page sets the size (plotly.js ignores width and height): the default's.
    let auto = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1]}],"layout":{"width":1280,"height":720,"autosize":true}}"#).traces[0].scatter)
    #expect(abs(auto.markerSize - 32 * u) < 1e-9)
    // A Trainscape export from before sizes were plotly.js's pixels (meta.trainscape without
    // sizes: "plotly") reads as it was written: style units.
    let legacy = try scene(#"{"data":[{"type":"scatter3d","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"size":5},"line":{"width":2}},{"type":"scatter3d","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"size":[4,6]}}],"layout":{"meta":{"trainscape":{"notes":[]}}}}"#).traces.compactMap(\.scatter)
    #expect(legacy[0].markerSize == 5 && legacy[0].lineWidth == 2 && legacy[1].markerSizes == [4, 6, 10], "\(legacy.map(\.markerSizes))")
    // Huge sizes are clamped, not infinite.
    let huge = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0],"marker":{"size":1e308}}]}"#).traces[0].scatter)
    #expect(huge.markerSize.isFinite)
  }

  /// The line's colour beside the markers', as plotly.js defaults it: a line without a colour
  /// takes a single marker colour, else the trace's colour (gl3d_marker-color's blue line under
  /// its blue, orange and black markers); a line colour of its own is drawn as given
  /// (gl3d_scatter-color-line-gradient); markers without a colour take the line's
  /// (gl3d_scatter-color-array).
  @Test func lineColoursBesideMarkerColours() throws {
    let arrayMarkers = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"color":["blue","orange","black"]}}]}"#).traces[0].scatter)
    #expect(perPoint(arrayMarkers.colors)?.map(\.hex) == ["#0000ff", "#ffa500", "#000000"])
    #expect(arrayMarkers.lineColors == .solid(Palette.color(0)))
    let single = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"color":"red"}}]}"#).traces[0].scatter)
    #expect(single.colors == .solid(RGBColor(hex: "#ff0000")!) && single.lineColors == nil)
    let own = try #require(try scene(#"{"data":[{"type":"scatter3d","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"color":"purple"},"line":{"color":[0,1,2],"colorscale":"Viridis"}}]}"#).traces[0].scatter)
    let viridis = Colormap.plotlyJS("Viridis")!
    #expect(own.colors == .solid(RGBColor(hex: "#800080")!))
    #expect(perPoint(own.lineColors) == [viridis.color(at: 0), viridis.color(at: 0.5), viridis.color(at: 1)])
    let fromLine = try #require(try scene(##"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"line":{"color":["#102030","#a0b0c0"]}}]}"##).traces[0].scatter)
    #expect(perPoint(fromLine.colors)?.map(\.hex) == ["#102030", "#a0b0c0"] && fromLine.lineColors == nil)
    // Subsets keep the line's colours per point.
    #expect(perPoint(own.subset([2, 0]).lineColors) == [viridis.color(at: 1), viridis.color(at: 0)])
  }

  @Test func lengthsPlotlyTolerates() throws {
    // gl3d_cube: x has 4 values, y and z 5: the first 4 points are drawn.
    let cube = try scene(#"{"data":[{"type":"scatter3d","name":"c","mode":"lines","x":[0,1,1,0],"y":[0,0,1,1,0],"z":[0,0,0,0,0]}]}"#)
    let c = try #require(cube.traces[0].scatter)
    #expect(c.count == 4 && c.y == [0, 0, 1, 1])
    #expect(cube.notes == ["c: x, y and z have 4, 5 and 5 values; the first 4 points are drawn, as plotly.js does"])
    // gl3d_marker-color: 3 colours for 4 points; the 4th is plotly.js's #444.
    let mc = try scene(#"{"data":[{"type":"scatter3d","name":"m","x":[0,1,2,3],"y":[0,1,2,3],"z":[0,1,2,3],"marker":{"color":["blue","orange","black"]}}]}"#)
    let colors = try #require(perPoint(mc.traces[0].scatter?.colors))
    #expect(colors.map(\.hex) == ["#0000ff", "#ffa500", "#000000", "#444444"])
    #expect(mc.notes == ["m: marker.color has 3 values for 4 points; the rest are drawn in plotly.js's default #444"])
    // gl3d_scatter-color-array: 10 line colour values for 11 points, through a colour scale.
    let xs = (0...10).map(String.init).joined(separator: ",")
    let vals = (0..<10).map(String.init).joined(separator: ",")
    let la = try scene(#"{"data":[{"type":"scatter3d","name":"l","mode":"lines","x":[\#(xs)],"y":[\#(xs)],"z":[\#(xs)],"line":{"color":[\#(vals)],"colorscale":"Viridis"}}]}"#)
    let lc = try #require(perPoint(la.traces[0].scatter?.colors))
    let viridis = Colormap.plotlyJS("Viridis")!
    #expect(lc.count == 11 && lc[0] == viridis.color(at: 0) && lc[9] == viridis.color(at: 1) && lc[10].hex == "#444444")
    #expect(la.notes.count == 1 && la.notes[0].contains("line.color has 10 values for 11 points"))
    // gl3d_ibm-plot's shape: z is 3 x 2, x has 3 values (one too many), y 2 (one too few).
    let ibm = try scene(#"{"data":[{"type":"surface","name":"v","z":[[1,2],[3,4],[5,6]],"x":[10,20,30],"y":[7,8]}]}"#)
    let s = try #require(ibm.traces[0].surface)
    #expect(s.rows == 2 && s.cols == 2 && s.z == [1, 2, 3, 4] && s.x == [10, 20, 10, 20] && s.y == [7, 7, 8, 8])
    #expect(ibm.notes.count == 2, "\(ibm.notes)")
    #expect(ibm.notes.contains { $0.contains("x has 3 values for z's 2 columns; the extra values are ignored") })
    #expect(ibm.notes.contains { $0.contains("y has 2 values for z's 3 rows; only the 2 rows it reaches are drawn") })
    // Matching lengths: no note.
    let ok = try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"color":["red","blue"],"size":[3,4]}}]}"#)
    #expect(ok.notes.isEmpty, "\(ok.notes)")
  }

  /// A trace without a colour scale: plotly.js's default (RdBu) in a figure without a template
  /// (gl3d_contour-lines), plotly.py's template's Plasma in one with a template.
  @Test func defaultColourScale() throws {
    let bare = try #require(try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]}]}"#).traces[0].surface)
    #expect(bare.colormap == Colormap.plotlyJS("RdBu")!)
    let templated = try #require(try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"template":{}}}"#).traces[0].surface)
    #expect(templated.colormap == .plasma)
  }

  /// Cones (gl3d_cone-*): a mesh of one cone per position along its vector, coloured by the
  /// norm (automatically Reds, as plotly.js), in the anchor's place; the axes reach them.
  @Test func conesAreMeshes() throws {
    let s = try scene(#"{"data":[{"type":"cone","name":"c","x":[0,2],"y":[0,0],"z":[0,0],"u":[1,0],"v":[0,3],"w":[0,0],"anchor":"tail"}]}"#)
    let cones = try #require(s.traces.compactMap(\.mesh).first)
    #expect(cones.name == "c" && cones.x.count == 24 && cones.i.count == 40, "\(cones.x.count) vertices, \(cones.i.count) faces")
    if case .scalar(let v, let map, let range, _) = cones.colors {
      #expect(Set(v) == [1, 3] && map == Colormap.plotlyJS("Reds") && range == 1...3)
    } else {
      Issue.record("cones are not coloured by norm")
    }
    // anchor tail: the first cone's base centre is at its position, its tip along +x.
    #expect(abs(cones.x[1]) < 1e-9 && cones.x[0] > 0 && abs(cones.y[0]) < 1e-9, "tip \(cones.x[0]), base \(cones.x[1])")
    #expect(s.x.range.upperBound >= cones.x.max()! - 1e-9 && s.y.range.upperBound >= cones.y.max()! - 1e-9)
    #expect(s.colorBar?.range == 1...3 && s.notes.isEmpty, "\(s.notes)")
  }

  @Test func refusalsNameTheTraceType() throws {
    for type in ["streamtube", "isosurface", "volume"] {
      do {
        _ = try scene(#"{"data":[{"type":"\#(type)","x":[0],"y":[0],"z":[0],"u":[1],"v":[1],"w":[1],"value":[1]}]}"#)
        Issue.record("a figure of only \(type) was accepted")
      } catch {
        let text = "\(error)"
        #expect(text.contains("found only data[0] (\(type))") && text.contains("Trainscape does not draw \(type) traces"), "\(text)")
      }
    }
    // A mixed figure draws what it can and names the type it skips; streamtube is a 3D trace.
    let mixed = try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]},{"type":"streamtube","x":[0],"y":[0],"z":[0],"u":[1],"v":[0],"w":[0]}]}"#)
    #expect(mixed.traces.count == 1)
    #expect(mixed.notes == ["trace data[1] is a 'streamtube' trace, which Trainscape does not draw; skipped"])
    #expect(!mixed.notes.joined().contains("not a 3D trace"))
    // A 2-D trace is still "not a 3D trace".
    let flat = try scene(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0]},{"type":"heatmap","z":[[1]]}]}"#)
    #expect(flat.notes == ["trace data[1] of type 'heatmap' is not a 3D trace; skipped"])
  }

  /// The gl3d mocks named in issue 18 that were refused for their lengths now import (plotly.js's
  /// own files, Tests/Fixtures/plotly-gl3d).
  @Test func tolerantMocksImport() throws {
    let dir = try TestPaths.temporaryDirectory("plotly-mocks")
    defer { try? FileManager.default.removeItem(at: dir) }
    let expected: [String: String] = [
      "gl3d_cube": "the first 4 points are drawn",
      "gl3d_marker-color": "marker.color has 3 values for 4 points",
      "gl3d_scatter-color-array": "line.color has 10 values for 11 points",
      "gl3d_scatter-color-mono-and-palette": "line.color has 10 values for 11 points",
    ]
    for (name, note) in expected {
      let url = try PlotlyMocks.mock(name, into: dir)
      let scene = try FigureImporter.scene(path: url.path)
      #expect(!scene.traces.isEmpty, "\(name)")
      #expect(scene.notes.contains { $0.contains(note) }, "\(name): \(scene.notes)")
    }
  }
}
