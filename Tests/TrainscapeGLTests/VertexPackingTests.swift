import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeGL

/// What each draw uploads, without a GL context.
@Suite(.tiered) struct VertexPackingTests {
  static let floats = 9  // per scatter vertex

  static func scene(log: Bool = false) -> Scene {
    Scene(
      title: "", traces: [], x: AxisSpec(title: "x", range: 0...10), y: AxisSpec(title: "y", scale: log ? .log : .linear, range: 1...100),
      z: AxisSpec(title: "z", range: 0...1))
  }

  @Test func scatterSkipsUndrawablePointsAndBreaksTheLine() {
    let t = ScatterTrace(
      name: "p", x: [0, 1, 2, 3, 4], y: [1, 10, -1, 10, 100], z: [0, 0.5, 0.5, .nan, 1],
      colors: .scalar([0, 1, 2, 3, .nan], colormap: .viridis, range: 0...4, scale: .linear))
    let scene = Self.scene(log: true)
    let frame = VertexPacking.ScatterFrame(scene: scene, trace: t)
    let v = VertexPacking.scatter(t, frame: frame, from: 0, markerStart: [0], lineStart: [0])
    // y = -1 is not on the log axis, z = NaN is missing: points 0, 1 and 4 are drawn, and only
    // the segment 0-1 joins two drawn neighbours.
    #expect(v.markers.count == 3 * Self.floats && v.lines.count == 2 * Self.floats)
    #expect(v.markerStart == [0, 1, 2, 2, 2, 3] && v.lineStart == [0, 0, 2, 2, 2, 2])
    // Axis space relative to the middle of the ranges (log10 on the log axis).
    #expect(v.markers[0] == Float(0 - 5) && v.markers[1] == Float(log10(1.0) - 1) && v.markers[2] == Float(-0.5))
    // Colour values relative to the middle of the colour range; NaN takes the vertex colour.
    #expect(v.markers[8] == Float(0 - 2))
    #expect(v.markers[2 * Self.floats + 8] == VertexPacking.vertexColor)
  }

  /// A line with colours of its own (Plotly's line.color beside marker.color): the segments
  /// carry the line's colours, the markers keep theirs, through the colour map.
  @Test func aLineWithItsOwnColoursKeepsThem() {
    var t = ScatterTrace(
      name: "p", x: [0, 1, 2], y: [1, 2, 3], z: [0, 0.5, 1],
      colors: .scalar([0, 1, 2], colormap: .viridis, range: 0...2, scale: .linear))
    t.lineColors = .perPoint([RGBColor(r: 1, g: 0, b: 0), RGBColor(r: 0, g: 1, b: 0), RGBColor(r: 0, g: 0, b: 1)])
    let frame = VertexPacking.ScatterFrame(scene: Self.scene(), trace: t)
    let v = VertexPacking.scatter(t, frame: frame, from: 0, markerStart: [0], lineStart: [0])
    #expect(v.lines.count == 4 * Self.floats)
    // Segment 0-1: red then green, as vertex colours; segment 1-2: green then blue.
    let rgb = (0..<4).map { i in Array(v.lines[(i * Self.floats + 3)...(i * Self.floats + 5)]) }
    #expect(rgb == [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]])
    #expect((0..<4).allSatisfy { v.lines[$0 * Self.floats + 8] == VertexPacking.vertexColor })
    // marker.opacity multiplies the markers' alpha only.
    var faint = t
    faint.markerOpacity = 0.5
    let fv = VertexPacking.scatter(faint, frame: frame, from: 0, markerStart: [0], lineStart: [0])
    #expect(fv.markers[6] == 0.5 && fv.lines[6] == 1)
    // The markers are still coloured through the map (colour values, not vertex colours).
    #expect(v.markers[8] == Float(0 - 1) && v.markers[2 * Self.floats + 8] == Float(2 - 1))
  }

  @Test func packingFromAPointEqualsPackingEverything() {
    let n = 40
    var y = (0..<n).map { 2 + sin(Double($0)) }
    y[17] = .nan
    let full = ScatterTrace(
      name: "p", x: (0..<n).map(Double.init), y: y, z: (0..<n).map { Double($0) / 40 },
      colors: .perPoint((0..<n).map { _ in RGBColor.black }))
    let frame = VertexPacking.ScatterFrame(scene: Self.scene(), trace: full)
    let whole = VertexPacking.scatter(full, frame: frame, from: 0, markerStart: [0], lineStart: [0])
    for cut in [0, 1, 16, 17, 18, 39] {
      let head = VertexPacking.scatter(full.prefix(cut + 1), frame: frame, from: 0, markerStart: [0], lineStart: [0])
      // Point `cut` is rewritten (the last point of a bucket moves), the rest appended.
      let tail = VertexPacking.scatter(full, frame: frame, from: cut, markerStart: head.markerStart, lineStart: head.lineStart)
      #expect(tail.markerStart == whole.markerStart && tail.lineStart == whole.lineStart, "cut \(cut)")
      let markers = Array(head.markers.prefix(head.markerStart[cut] * Self.floats)) + tail.markers
      let lines = Array(head.lines.prefix(head.lineStart[cut] * Self.floats)) + tail.lines
      #expect(markers == whole.markers && lines == whole.lines, "cut \(cut)")
    }
  }

  @Test func meshTrianglesCarryUnitNormalsAndSkipBadFaces() {
    let m = MeshTrace(
      name: "m", x: [0, 10, 0, 10, .nan], y: [1, 1, 100, 100, 1], z: [0, 0, 0, 1, 0],
      i: [0, 1, 0, 9], j: [1, 3, 1, 1], k: [2, 2, 4, 2], colors: .solid(RGBColor(r: 1, g: 0, b: 0)), opacity: 0.5)
    let v = VertexPacking.mesh(m, in: Self.scene())
    #expect(v.count == 2 * 3 * 10, "faces with a NaN or out-of-range vertex are skipped")
    for k in 0..<6 {
      let n = Vec3(Double(v[k * 10 + 3]), Double(v[k * 10 + 4]), Double(v[k * 10 + 5]))
      #expect(abs(n.length - 1) < 1e-6)
      #expect(Array(v[(k * 10 + 6)..<(k * 10 + 10)]) == [1, 0, 0, 0.5])
    }
  }

  @Test func figurePartsAreTwoTrianglesPerQuad() {
    let layout = FigureLayoutBuilder.layout(Self.scene(), width: 320, height: 240)
    #expect(!layout.panes.isEmpty && !layout.glyphs.isEmpty)
    #expect(VertexPacking.panes(layout.panes).count == layout.panes.count * 6 * 7)
    #expect(VertexPacking.glyphs(layout.glyphs).count == layout.glyphs.count * 6 * 8)
    #expect(VertexPacking.lines(layout.overlayLines).count == layout.overlayLines.count * 2 * 8)
    let bar = VertexPacking.colorBar(PixelRect(x: 10, y: 20, width: 5, height: 100))
    #expect(bar.count == 6 * 3 && bar[2] == 0 && bar[8] == 1)
    #expect(VertexPacking.Layouts.scatter.stride == Self.floats * 4)
  }
}
