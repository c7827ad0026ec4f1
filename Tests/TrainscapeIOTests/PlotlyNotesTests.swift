import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// Nothing in a Plotly figure is ignored silently: attributes that change plotly.js's picture and
/// that are not drawn get one note naming them; the cheap ones are drawn (contours, hidesurface, legacy
/// zmin/zmax, HTML in titles, axis ranges clipping data). Hand-made figures.
@Suite(.tiered) struct PlotlyNotesTests {
  func scene(_ json: String) throws -> Scene {
    try PlotlyImporter.scene(fromJSON: Array(json.utf8), file: "f.json")
  }

  @Test func undrawnAttributesAreNamed() throws {
    let s = try scene(#"""
      {"data":[
        {"type":"scatter3d","name":"p","mode":"lines+markers+text","x":[0,1],"y":[0,1],"z":[0,1],
         "line":{"dash":"dot"},"marker":{"symbol":"diamond"},"error_z":{"array":[0.1,0.2]},
         "projection":{"z":{"show":true}}},
        {"type":"surface","name":"s","z":[[0,1],[1,0]],"contours":{"z":{"show":true}},"autocolorscale":true}],
       "layout":{"scene":{"annotations":[{"x":0,"y":0,"z":0,"text":"a"}],
         "xaxis":{"visible":false},"yaxis":{"showbackground":true,"backgroundcolor":"#eee"}},
         "scene2":{}}}
      """#)
    let expected = [
      "s: contours.z without start, end and size: drawn at about 10 nice levels",
      "scene.annotations (1): 1 drawn as text at their points; arrows, boxes and offsets are not drawn",
    ]
    for e in expected { #expect(s.notes.filter { $0 == e }.count == 1, "\(e) in \(s.notes)") }
    #expect(s.notes.count == expected.count, "\(s.notes)")
    // The diamond, the error bars (a lines trace without a name) and the texts are drawn.
    #expect(s.traces[0].scatter?.symbol == .diamond)
    #expect(s.traces[0].scatter?.lineDash == .dot)
    let custom = try scene(#"{"data":[{"type":"scatter3d","name":"c","x":[0,1],"y":[0,1],"z":[0,1],"line":{"dash":"5px,10px"}}]}"#)
    #expect(custom.notes == ["c: line.dash '5px,10px' (a custom pattern) is drawn solid"], "\(custom.notes)")
    let bars = try #require(s.traces.compactMap(\.scatter).first { $0.name.isEmpty })
    #expect(bars.mode == .lines && bars.z.filter(\.isFinite) == [-0.1, 0.1, 0.8, 1.2], "\(bars.z)")
    #expect(s.pointLabels.map(\.text) == ["a"])
    // projection.z: an unnamed copy flat on the floor (the eye is above), markers at 2/3.
    let shadow = try #require(s.traces.compactMap(\.scatter).first { $0.name.isEmpty && $0.mode != .lines })
    #expect(shadow.z == [s.z.range.lowerBound, s.z.range.lowerBound] && abs(shadow.markerSize - s.traces[0].scatter!.markerSize * 2 / 3) < 1e-9, "\(shadow.z)")
    // The hidden x axis and the y axis' wall colour are drawn as asked.
    #expect(!s.x.visible && s.y.visible && s.y.wallColor == RGBColor(hex: "#eeeeee"))
    // Scenes at their domains (gl3d_multi-scene); a figure where only some have one is a grid, said.
    let placed = try PlotlyImporter.scenes(fromJSON: Array(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0],"scene":"scene1"},{"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene2"}],"layout":{"scene1":{"domain":{"x":[0,0.5],"y":[0,0.5]}},"scene2":{"domain":{"x":[0.5,1],"y":[0.5,1]}}}}"#.utf8), file: "f.json")
    #expect(placed.map(\.domain) == [PanelDomain(x: 0...0.5, y: 0...0.5), PanelDomain(x: 0.5...1, y: 0.5...1)])
    #expect(placed.flatMap(\.notes) == ["the figure's legend (2 traces across the scenes) is not drawn"], "\(placed.flatMap(\.notes))")
    let some = try PlotlyImporter.scenes(fromJSON: Array(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0]},{"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene2"}],"layout":{"scene2":{"domain":{"x":[0.5,1]}}}}"#.utf8), file: "f.json")
    #expect(some.allSatisfy { $0.domain == nil } && some[0].notes.contains("only 1 of 2 scenes have a domain: the scenes are drawn side by side in equal panels"), "\(some[0].notes)")
    // Domains by row and column (layout.grid) are not read, and said.
    let grid = try PlotlyImporter.scenes(fromJSON: Array(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0]},{"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene2"}],"layout":{"scene":{"domain":{"row":0,"column":0}},"scene2":{"domain":{"row":0,"column":1}}}}"#.utf8), file: "f.json")
    #expect(grid.allSatisfy { $0.domain == nil } && grid[0].notes.contains("scene, scene2.domain is not read (a row and column of layout.grid, or not fractions)"), "\(grid[0].notes)")
    // Traces in two scenes.
    let two = try scene(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0]},{"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene2"}]}"#)
    #expect(two.notes == ["several scenes (scene, scene2) are drawn merged into one"])
    // Axis lines, tick marks and grid styles (gl3d_mirror-ticks) are named, one note per axis.
    let styled = try scene(#"{"data":[{"type":"scatter3d","x":[0],"y":[0],"z":[0]}],"layout":{"scene":{"zaxis":{"showline":true,"linecolor":"red","ticks":"outside","mirror":"ticks","showgrid":true}}}}"#)
    #expect(styled.notes == ["scene.zaxis: showline, ticks, mirror, linecolor not applied; the axis is drawn in Trainscape's style (a grid on the walls, no axis line or tick marks)"], "\(styled.notes)")
    // A plain figure has no notes.
    #expect(try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"title":"t"}}"#).notes.isEmpty)
  }

  @Test func cheapOnesAreDrawn() throws {
    // hidesurface (gl3d_wire-surface): the surface is there, fully transparent, and its
    // contour lines are drawn, coloured by its scale with usecolormap; without contours
    // nothing of it shows, and a note says so.
    let wire = try scene(##"{"data":[{"type":"surface","name":"h","z":[[0,1,2],[1,2,3],[2,3,4]],"hidesurface":true,"contours":{"x":{"show":true,"start":0,"end":2,"size":1,"usecolormap":true},"y":{"show":true,"start":0,"end":2,"size":1,"color":"#00ff00","width":3}}}]}"##)
    #expect(wire.traces[0].surface?.opacity == 0)
    let lines = wire.traces.compactMap(\.scatter).filter { $0.contourOf == 0 }
    #expect(lines.count == 2, "\(wire.traces.map(\.name))")
    if case .scalar(let v, _, let range, _)? = lines.first?.colors {
      #expect(range == 0...4 && v.filter(\.isFinite).allSatisfy { (0...4).contains($0) } && Set(v.filter(\.isFinite)).count > 2, "\(v)")
    } else {
      Issue.record("x contours with usecolormap are not coloured by value: \(String(describing: lines.first?.colors))")
    }
    #expect(lines.last?.colors == .solid(RGBColor(hex: "#00ff00")!) && abs((lines.last?.lineWidth ?? 0) - 5) < 1e-9)
    #expect(wire.notes == ["h: hidesurface: only its contour lines are drawn"], "\(wire.notes)")
    let bare = try scene(#"{"data":[{"type":"surface","name":"h","z":[[0,1],[1,0]],"hidesurface":true}]}"#)
    #expect(bare.notes == ["h: hidesurface: nothing of the surface is drawn (it has no contours shown)"])
    // Legacy zmin / zmax are a surface's colour range, numbers as strings too (gl3d_autocolorscale);
    // on a mesh3d plotly.js ignores them (gl3d_bunny), and so does this, with a note.
    let legacy = try #require(try scene(#"{"data":[{"type":"surface","z":[[0,1],[2,3]],"zmin":-1,"zmax":"5"}]}"#).traces[0].surface)
    #expect(legacy.colorRange == -1...5)
    let mesh = try scene(#"{"data":[{"type":"mesh3d","x":[0,1,0],"y":[0,0,1],"z":[0,0,0],"i":[0],"j":[1],"k":[2],"intensity":[0,1,2],"zmin":-5,"zmax":1}]}"#)
    if case .scalar(_, _, let range, _)? = mesh.traces[0].mesh?.colors { #expect(range == 0...2) } else { Issue.record("no intensity colours") }
    #expect(mesh.notes.contains { $0.contains("zmin / zmax are not colour bounds here") }, "\(mesh.notes)")
    // autocolorscale: plotly.js's RdBu across zero, Reds at or above it, Blues below.
    for (z, name) in [("[[-1,1],[2,3]]", "RdBu"), ("[[0,1],[2,3]]", "Reds"), ("[[-3,-1],[-2,-1]]", "Blues")] {
      let auto = try #require(try scene(#"{"data":[{"type":"surface","z":\#(z),"autocolorscale":true,"colorscale":"Viridis"}]}"#).traces[0].surface)
      #expect(auto.colormap == Colormap.plotlyJS(name), "\(z): \(auto.colormap.name)")
    }
    // scene.bgcolor fills the scene, most of the image: it wins, and another paper is noted.
    let dark = try scene(##"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"paper_bgcolor":"#ffffff","scene":{"bgcolor":"#333333"}}}"##)
    #expect(dark.background.hex == "#333333" && dark.notes == ["paper_bgcolor (the margins around the scene) is drawn in scene.bgcolor"], "\(dark.notes)")
    // A translucent wall colour is blended over the background (gl3d_surface-lighting).
    let wall = try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"scene":{"xaxis":{"showbackground":true,"backgroundcolor":"rgba(255, 0, 0, 0.2)"}}}}"#)
    #expect(wall.x.wallColor?.hex == "#ffcccc", "\(String(describing: wall.x.wallColor))")
    #expect(CSSColor.alpha("rgba(1,2,3,0.35)") == 0.35 && CSSColor.alpha("#ff000080") == 128.0 / 255 && CSSColor.alpha("red") == 1)
    // paper_bgcolor is the background.
    #expect(try scene(##"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"paper_bgcolor":"#151516"}}"##).background.hex == "#151516")
    // HTML in titles.
    let html = try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"title":{"text":"<b>Loss</b> 10<sup>-3</sup><br>run &amp; x<sub>i</sub>"},"scene":{"zaxis":{"title":"m<sup>2</sup>/s"}}}}"#)
    #expect(html.title == "Loss 10^-3 - run & x_i")
    #expect(html.z.title == "m^2/s")
    #expect(PlotlyText.plain("a<sup>x y</sup>") == "a^(x y)")
    #expect(PlotlyText.plain("no tags") == "no tags")
    // Category labels are drawn as a category axis (gl3d_ibm-plot): category i at i, the
    // names as ticks.
    let cat = try scene(#"{"data":[{"type":"surface","z":[[1,2],[3,4]],"x":["1W","1M"]}],"layout":{"scene":{"xaxis":{"type":"category"}}}}"#)
    #expect(cat.x.labels == .categories(["1W", "1M"]) && cat.x.range == 0...1)
    #expect(cat.x.ticks(target: 5).map(\.label) == ["1W", "1M"])
    // Dates without an axis type, as plotly.js guesses one (gl3d_set-ranges): ms since 1970.
    let dates = try scene(#"{"data":[{"type":"scatter3d","x":["2017-01-01","2017-02-10"],"y":[0,1],"z":[0,1]}]}"#)
    #expect(dates.x.labels == .dates && dates.traces[0].scatter?.x == [1_483_228_800_000, 1_486_684_800_000])
    // Numeric strings are numbers, as plotly.js's axis type guess counts them
    // (gl3d_autorange-zero's z of "4", "2", ...): a linear axis, not categories.
    let numeric = try scene(#"{"data":[{"type":"surface","z":[["4","2"],["6"," 3 "]]}]}"#)
    #expect(numeric.z.labels == nil && numeric.traces[0].surface?.z == [4, 2, 6, 3], "\(String(describing: numeric.traces[0].surface?.z))")
    // Mostly numbers with one word: linear, and the word is said, not drawn.
    let word = try scene(#"{"data":[{"type":"scatter3d","x":[1,"2",3,"n/a"],"y":[0,1,2,3],"z":[0,1,2,3]}]}"#)
    #expect(word.x.labels == nil && word.notes.contains("x: 1 value(s) on the linear axis are not numbers (e.g. 'n/a'): not drawn"), "\(word.notes)")
    // Words outnumber numbers two to one: categories.
    let words = try scene(#"{"data":[{"type":"scatter3d","x":["a","b","c",3],"y":[0,1,2,3],"z":[0,1,2,3]}]}"#)
    #expect(words.x.labels == .categories(["a", "b", "c", "3"]))
    // Marker colours without a scale are scaled automatically, as plotly.js (autocolorscale
    // defaults to true for markers): Reds at or above zero, RdBu across it, the layout's own
    // (a plotly.py template's) when given; a trace's own colours only when asked.
    func markerMap(_ colors: String, layout: String = "{}") throws -> Colormap? {
      let t = try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"color":\#(colors)}}],"layout":\#(layout)}"#)
      if case .scalar(_, let map, _, _)? = t.traces[0].scatter?.colors { return map }
      return nil
    }
    #expect(try markerMap("[1,2]") == Colormap.plotlyJS("Reds"))
    #expect(try markerMap("[-1,2]") == Colormap.plotlyJS("RdBu"))
    #expect(try markerMap("[-3,-2]") == Colormap.plotlyJS("Blues"))
    #expect(try markerMap("[1,2]", layout: #"{"template":{"layout":{"colorscale":{"sequential":"Viridis"}}}}"#) == Colormap.plotlyJS("Viridis"))
    let custom = try markerMap("[1,2]", layout: ##"{"colorscale":{"sequential":[[0,"#000000"],[1,"#ffffff"]]}}"##)
    #expect(custom?.color(at: 0).hex == "#000000" && custom?.color(at: 1).hex == "#ffffff", "\(String(describing: custom?.name))")
    // A marker colour bar that is described shows without showscale (gl3d_scatter3d-colorscale).
    let bar = try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"color":[2,10],"colorscale":"Greens","colorbar":{"title":"WOW"}}}]}"#)
    #expect(bar.colorBar?.title == "WOW" && bar.colorBar?.range == 2...10, "\(String(describing: bar.colorBar))")
    let plainMarkers = try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"color":[2,10]}}]}"#)
    #expect(plainMarkers.colorBar == nil)
    // facecolor: each face its own vertices in its colour (gl3d_tetrahedra).
    let faces = try scene(#"{"data":[{"type":"mesh3d","x":[0,1,0,0],"y":[0,0,1,0],"z":[0,0,0,1],"i":[0,0],"j":[1,1],"k":[2,3],"facecolor":["red","blue"]}]}"#)
    let fm = try #require(faces.traces[0].mesh)
    #expect(fm.x.count == 6 && fm.i == [0, 3] && fm.j == [1, 4] && fm.k == [2, 5])
    if case .perPoint(let cs) = fm.colors { #expect(cs.map(\.hex) == ["#ff0000", "#ff0000", "#ff0000", "#0000ff", "#0000ff", "#0000ff"]) } else { Issue.record("facecolor not per face") }
    #expect(faces.notes.isEmpty, "\(faces.notes)")
    // surfaceaxis: the points' Delaunay triangles across the axis are filled (gl3d_cube's
    // faces), unnamed: a square with its centre is four triangles.
    let filled = try scene(#"{"data":[{"type":"scatter3d","mode":"lines","x":[0,1,1,0,0.5],"y":[0,0,1,1,0.5],"z":[2,2,2,2,2],"surfaceaxis":2,"surfacecolor":"green"}]}"#)
    let fill = try #require(filled.traces.compactMap(\.mesh).first)
    #expect(fill.name.isEmpty && fill.x.count == 5 && fill.i.count == 4 && fill.colors == .solid(RGBColor(hex: "#008000")!))
    #expect(filled.notes.isEmpty, "\(filled.notes)")
    let line = try scene(#"{"data":[{"type":"scatter3d","name":"l","mode":"lines","x":[0,1,2],"y":[0,0,0],"z":[0,0,0],"surfaceaxis":2}]}"#)
    #expect(line.traces.compactMap(\.mesh).isEmpty && line.notes == ["l: surfaceaxis: the points span no area across axis z; nothing is filled"], "\(line.notes)")
    // A symbol per point: one markers trace per symbol, the first keeps the name (gl3d_marker_symbols).
    let mixed = try scene(#"{"data":[{"type":"scatter3d","name":"m","mode":"markers","x":[0,1,2],"y":[0,1,2],"z":[0,1,2],"marker":{"symbol":["square","diamond","square"]}}]}"#)
    let parts = mixed.traces.compactMap(\.scatter)
    #expect(parts.map(\.symbol) == [.square, .diamond] && parts.map(\.count) == [2, 1] && parts.map(\.name) == ["m", ""])
    #expect(mixed.notes.isEmpty, "\(mixed.notes)")
    // plotly.js's default scene.bgcolor (transparent) leaves the paper.
    #expect(try scene(##"{"data":[{"type":"surface","z":[[0,1],[1,0]]}],"layout":{"paper_bgcolor":"#fafafa","scene":{"bgcolor":"rgba(0,0,0,0)"}}}"##).background.hex == "#fafafa")
    // Error bars only with values (or visible), none for a negative sqrt; caps noted when given.
    let bars = try scene(#"{"data":[{"type":"scatter3d","name":"e","x":[-4,4],"y":[0,1],"z":[0,1],"error_y":{"color":"red"},"error_x":{"type":"sqrt","visible":true,"width":3}}]}"#)
    let barTraces = bars.traces.compactMap(\.scatter).filter { $0.name.isEmpty }
    #expect(barTraces.count == 1 && barTraces[0].x.filter(\.isFinite) == [2, 6], "\(barTraces.map(\.x))")
    #expect(bars.notes == ["e: error bars are drawn without their caps"], "\(bars.notes)")
    // showlegend false: unnamed (not in the legend); an export writes unnamed parts so.
    let hidden = try scene(#"{"data":[{"type":"scatter3d","name":"a","x":[0],"y":[0],"z":[0]},{"type":"scatter3d","name":"b","showlegend":false,"x":[1],"y":[1],"z":[1]}]}"#)
    #expect(hidden.traces.map(\.name) == ["a", ""])
    let (json, _) = PlotlyExporter.figure(hidden)
    #expect(String(decoding: json, as: UTF8.self).contains(#""name":"","showlegend":false"#))
    // Symbols plotly.js does not have in 3D, and numbers, are said.
    let oddSymbols = try scene(#"{"data":[{"type":"scatter3d","name":"s","mode":"markers","x":[0,1],"y":[0,1],"z":[0,1],"marker":{"symbol":["x-open",3]}}]}"#)
    #expect(oddSymbols.notes.contains("s: marker.symbol 'x-open' is drawn as a circle") && oddSymbols.notes.contains("s: marker.symbol '(3)' is drawn as a circle"), "\(oddSymbols.notes)")
    // marker.opacity and marker.line (gl3d_opacity-scaling-spikes, gl3d_marker_symbols).
    let outlined = try #require(try scene(#"{"data":[{"type":"scatter3d","mode":"markers","x":[0],"y":[0],"z":[0],"marker":{"opacity":0.8,"line":{"color":"orange","width":1.5}}}]}"#).traces[0].scatter)
    #expect(outlined.markerOpacity == 0.8 && outlined.markerOutline == MarkerOutline(color: RGBColor(hex: "#ffa500")!, width: 2.5))
    // A full aspect ratio without a mode is "manual" (gl3d_tetrahedra).
    let wide = try scene(#"{"data":[{"type":"scatter3d","x":[0,1],"y":[0,1],"z":[0,1]}],"layout":{"scene":{"aspectratio":{"x":5,"y":1,"z":1}}}}"#)
    #expect(wide.aspect.x == 5 * wide.aspect.y && wide.aspect.y == wide.aspect.z, "\(wide.aspect)")
    // A legend for two or more scatter3d traces, not for surfaces unless they ask (gl3d_ribbons).
    let surfaces = try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]]},{"type":"surface","z":[[1,2],[2,1]]}]}"#)
    #expect(!surfaces.showLegend)
    let asked = try scene(#"{"data":[{"type":"surface","z":[[0,1],[1,0]],"showlegend":true},{"type":"scatter3d","x":[0],"y":[0],"z":[0]}]}"#)
    #expect(asked.showLegend)
    // On an axis typed date, text that is no date is said, not dropped silently.
    let odd = try scene(#"{"data":[{"type":"scatter3d","x":["2017-01-01","soon",5],"y":[0,1,2],"z":[0,1,2]}],"layout":{"scene":{"xaxis":{"type":"date"}}}}"#)
    #expect(odd.notes.contains("x: 1 value(s) on the date axis are not dates (e.g. 'soon'): not drawn"), "\(odd.notes)")
    // Tags plotly.js does not style stay as text, as plotly.js shows them.
    #expect(PlotlyText.plain("Loss </script> <B>x</B>") == "Loss </script> x")
  }

  @Test func axisRangesClipData() throws {
    let s = try scene(#"""
      {"data":[{"type":"scatter3d","name":"p","x":[0,1,2,3],"y":[0,1,2,3],"z":[0,1,2,3]},
               {"type":"surface","name":"s","z":[[0,1],[2,9]]}],
       "layout":{"scene":{"zaxis":{"range":[0,2.5]}}}}
      """#)
    let p = try #require(s.traces[0].scatter)
    #expect(p.x[0...2] == [0, 1, 2] && p.x[3].isNaN)
    let surf = try #require(s.traces[1].surface)
    #expect(surf.z[0...2] == [0, 1, 2] && surf.z[3].isNaN)
    #expect(s.z.range == 0...2.5)
    #expect(s.notes.contains("p: 1 points lie outside the axis ranges the figure sets (scene.*axis.range) and are not drawn"))
    #expect(s.notes.contains { $0.hasPrefix("s: 1 points lie outside") && $0.contains("whole grid cells") })
    // No range set: nothing is clipped, no note.
    #expect(try scene(#"{"data":[{"type":"scatter3d","x":[0,9],"y":[0,9],"z":[0,9]}]}"#).notes.isEmpty)
    // autorange true wins over a range, as in plotly.js (gl3d_opacity-surface): nothing clipped.
    let auto = try scene(#"{"data":[{"type":"scatter3d","x":[0,9],"y":[0,9],"z":[0,9]}],"layout":{"scene":{"zaxis":{"range":[1,2],"autorange":true}}}}"#)
    #expect(auto.notes.isEmpty && auto.z.range == 0...9, "\(auto.notes)")
  }
}

/// A figure of several scenes read scene by scene (`render figure` draws them as panels):
/// each with its own traces, axes and camera, none merged; "scene1" is "scene".
@Suite(.tiered) struct PlotlyScenesTests {
  @Test func eachSceneIsItsOwn() throws {
    let json = #"""
      {"data":[{"type":"surface","z":[[1,2],[3,4]]},
               {"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene3"},
               {"type":"surface","z":[[10,20],[30,40]],"scene":"scene2"}],
       "layout":{"title":{"text":"T"},"scene":{"xaxis":{"title":{"text":"left"}}},
         "scene2":{"xaxis":{"title":{"text":"middle"}},"domain":{"x":[0.3,0.6]},"camera":{"eye":{"x":2,"y":0,"z":0.5}}},
         "scene3":{"zaxis":{"type":"log"}}}}
      """#
    let scenes = try PlotlyImporter.scenes(fromJSON: Array(json.utf8), file: "f.json")
    #expect(scenes.count == 3)
    #expect(scenes.map { $0.traces.map(\.name) } == [["trace 0"], ["trace 2"], ["trace 1"]])
    #expect(scenes.map(\.x.title) == ["left", "middle", "x"])
    #expect(scenes[1].camera.eye == Vec3(2, 0, 0.5))
    #expect(scenes[2].z.scale == .log && scenes[0].z.scale == .linear)
    #expect(scenes[1].z.range.lowerBound == 10 && scenes[0].z.range.upperBound == 4)
    #expect(scenes.allSatisfy { !$0.notes.contains { $0.contains("merged") } })
    #expect(scenes[0].notes.contains("only 1 of 3 scenes have a domain: the scenes are drawn side by side in equal panels"), "\(scenes[0].notes)")
    // The single-scene reader still merges them, and says so.
    let merged = try PlotlyImporter.scene(fromJSON: Array(json.utf8), file: "f.json")
    #expect(merged.traces.count == 3 && merged.notes.contains("several scenes (scene, scene2, scene3) are drawn merged into one"))
    // "scene1" and an unnamed scene are one.
    let one = try PlotlyImporter.scenes(
      fromJSON: Array(#"{"data":[{"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scene1"},{"type":"scatter3d","x":[2],"y":[2],"z":[2]}]}"#.utf8), file: "g.json")
    #expect(one.count == 1 && one[0].traces.count == 2)
  }

  /// Review findings: a scene with nothing drawable is left out with a note (the others are
  /// drawn); odd scene names are "scene", as plotly.js reads them; 2D traces are no scene.
  @Test func oddScenesAndEmptyOnes() throws {
    let json = #"""
      {"data":[{"type":"scatter","x":[1],"y":[1]},
               {"type":"surface","z":[[1,2],[3,4]]},
               {"type":"streamtube","x":[1],"y":[1],"z":[1],"u":[1],"v":[1],"w":[1],"scene":"scene2"},
               {"type":"scatter3d","x":[1],"y":[1],"z":[1],"scene":"scenefoo"},
               {"type":"scatter3d","x":[2],"y":[2],"z":[2],"scene":"scene3"}]}
      """#
    let scenes = try PlotlyImporter.scenes(fromJSON: Array(json.utf8), file: "f.json")
    #expect(scenes.count == 2, "\(scenes.map(\.traces.count))")
    #expect(scenes[0].traces.count == 2 && scenes[1].traces.count == 1)
    #expect(scenes[0].notes.contains { $0.hasPrefix("scene2 is not drawn: expected at least one surface, scatter3d or mesh3d trace") }, "\(scenes[0].notes)")
  }
}
