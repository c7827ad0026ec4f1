import Foundation
import Testing
import TrainscapeCore

@testable import TrainscapeIO

/// Numbers beyond Int in figure files: each trapped in `Int(_:)` before (found by the 1 M
/// executions run, Fuzz/regressions/object3d/huge-category*).
@Suite(.tiered) struct HugeNumberImportTests {
  @Test func aHugeCategoryTakesTheFirstColour() throws {
    let json = #"{"type": "lidar/beta", "points": [[0, 1, 1, 7e31], [1, 1, 1, 2], [2, 1, 1, -1e300]]}"#
    let scene = try Object3DImporter.scene(fromJSON: Array(json.utf8), file: "p.pts.json")
    guard case .scatter(let points) = try #require(scene.traces.first) else {
      Issue.record("expected points, found \(scene.traces)")
      return
    }
    guard case .perPoint(let colors) = points.colors else {
      Issue.record("expected colours per point, found \(points.colors)")
      return
    }
    #expect(colors == [Palette.color(0), Palette.color(1), Palette.color(0)])
  }

  @Test func aTypedArrayShapeBeyondIntIsAnError() throws {
    // Four float64 zeros (bdata "AAAA..."), with shapes that Int(_:) or the product overflowed on.
    let bdata = Data(repeating: 0, count: 32).base64EncodedString()
    for shape in ["[1e300, 4]", #""4611686018427387904, 4""#, "[2.5, 2]"] {
      let json = #"{"data": [{"type": "surface", "z": {"dtype": "f8", "bdata": "\#(bdata)", "shape": \#(shape)}}]}"#
      #expect(throws: ImportError.self, "\(shape)") { try PlotlyImporter.scene(fromJSON: Array(json.utf8), file: "f.json") }
    }
  }
}
