import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// Contour lines on surfaces (`--contours`): the crossings equal matplotlib's contour engine
/// (contourpy) on the same field, levels sit at nice values inside the data, and a scene gets
/// the lines, their projection on a lowered floor, and the levels its exports write.
@Suite(.tiered) struct ContourTests {
  /// A smooth field with a saddle and a few NaN holes, rows x cols.
  static func field(rows: Int = 23, cols: Int = 31) -> [Double] {
    var out: [Double] = []
    for r in 0..<rows {
      for c in 0..<cols {
        let x = Double(c) / Double(cols - 1) * 4 - 2, y = Double(r) / Double(rows - 1) * 4 - 2
        out.append((r == 7 && c == 9) || (r == 15 && c == 20) ? .nan : x * x - y * y + 0.5 * sin(3 * x) + 0.3 * y)
      }
    }
    return out
  }

  @Test(.tags(.python)) func crossingsEqualContourpys() throws {
    let rows = 23, cols = 31
    let f = Self.field(rows: rows, cols: cols)
    let levels = [-2.5, -1.0, 0.0, 0.7, 1.9]
    var ours: [String] = []
    for (k, level) in levels.enumerated() {
      for (a, b) in Contours.segments(field: f, rows: rows, cols: cols, level: level) {
        for p in [a, b] { ours.append(String(format: "%d %.9f %.9f", k, p.1, p.0)) }  // x = column, y = row
      }
    }
    let values = f.map { $0.isNaN ? "nan" : String($0) }.joined(separator: ",")
    let out = try Python.run(#"""
      import sys, numpy as np, contourpy
      rows, cols = int(sys.argv[1]), int(sys.argv[2])
      z = np.array([float(v) for v in sys.argv[3].split(",")]).reshape(rows, cols)
      z = np.ma.masked_invalid(z)
      cg = contourpy.contour_generator(z=z, corner_mask=False, line_type=contourpy.LineType.Separate)
      for k, level in enumerate(float(v) for v in sys.argv[4].split(",")):
          for line in cg.lines(level):
              for x, y in line:
                  print("%d %.9f %.9f" % (k, x, y))
      """#, args: [String(rows), String(cols), values, levels.map { String($0) }.joined(separator: ",")])
    let theirs = Set(out.split(separator: "\n").map(String.init))
    #expect(!theirs.isEmpty)
    #expect(Set(ours) == theirs, "ours only: \(Set(ours).subtracting(theirs).sorted().prefix(5)); contourpy only: \(theirs.subtracting(Set(ours)).sorted().prefix(5))")
  }

  @Test func levelsAreNiceValuesInsideTheData() {
    let lin = Contours.levels(range: 0.3...7.7, scale: .linear, count: 10)
    #expect(lin.count >= 5 && lin.count <= 20)
    #expect(lin.allSatisfy { $0 > 0.3 && $0 < 7.7 })
    let steps = Set(zip(lin, lin.dropFirst()).map { (($1 - $0) * 1e9).rounded() })
    #expect(steps.count == 1, "evenly spaced: \(lin)")
    #expect(lin.allSatisfy { ($0 * 2).rounded() == $0 * 2 }, "nice: \(lin)")
    // Log: evenly spaced in log10, powers of ten here.
    let log = Contours.levels(range: 1e-3...10, scale: .log, count: 4)
    #expect(log.map { log10($0).rounded() } == log.map(log10), "\(log)")
    #expect(log.allSatisfy { $0 > 1e-3 && $0 < 10 } && log.count >= 2)
    #expect(Contours.levels(range: 1...1, scale: .linear, count: 10).isEmpty)
  }

  @Test func aSceneGetsItsLinesTheirProjectionAndTheLevels() throws {
    let rows = 23, cols = 31
    let f = Self.field(rows: rows, cols: cols)
    let xs = (0..<(rows * cols)).map { Double($0 % cols) }, ys = (0..<(rows * cols)).map { Double($0 / cols) * 0.1 }
    let finite = f.filter(\.isFinite)
    let zr = finite.min()!...finite.max()!
    let surface = SurfaceTrace(name: "s", rows: rows, cols: cols, x: xs, y: ys, z: f, colormap: .viridis, colorRange: zr)
    let scene = Scene(
      title: "t", traces: [.surface(surface)], x: AxisSpec(title: "x", range: 0...30), y: AxisSpec(title: "y", range: 0...2.2),
      z: AxisSpec(title: "z", range: zr))
    let c = scene.withContours(ContourRequest(axes: [.z, .x], levels: 8, project: true))
    // The surface keeps its data and lists its levels; one lines trace per axis and one
    // projected, each pointing at the surface.
    let s = try #require(c.traces[0].surface)
    #expect(s.z.count == f.count)
    #expect(s.contours.map(\.axis) == [.x, .z] && s.contours.allSatisfy(\.project))
    #expect(s.contours[1].values == Contours.levels(range: zr, scale: .linear, count: 8))
    let lines = c.traces.dropFirst().compactMap(\.scatter)
    #expect(lines.count == 4 && lines.allSatisfy { $0.contourOf == 0 && $0.mode == .lines })
    // z lines lie at their levels; the projected ones on the floor, a quarter lower.
    let zLines = try #require(lines.first { $0.name == "s z contours" })
    #expect(zLines.z.allSatisfy { $0.isNaN || s.contours[1].values.contains($0) })
    let span = zr.upperBound - zr.lowerBound
    #expect(abs(c.z.range.lowerBound - (zr.lowerBound - 0.25 * span)) < 1e-9 * span && c.z.range.upperBound == zr.upperBound)
    let floor = try #require(lines.first { $0.name == "s z contours, projected" })
    #expect(floor.z.allSatisfy { $0.isNaN || $0 == c.z.range.lowerBound })
    // x lines: constant x at each level, projected onto the x = 0 wall.
    let xLines = try #require(lines.first { $0.name == "s x contours" })
    #expect(xLines.x.allSatisfy { $0.isNaN || s.contours[0].values.contains($0) })
    let wall = try #require(lines.first { $0.name == "s x contours, projected" })
    #expect(wall.x.allSatisfy { $0.isNaN || $0 == 0 })
    // Every line has points, all on the surface's box (finite, inside the ranges).
    for l in lines {
      let finite = (0..<l.count).filter { l.x[$0].isFinite && l.y[$0].isFinite && l.z[$0].isFinite }
      #expect(finite.count > 20 && finite.count * 3 == l.count * 2, "\(l.name): \(finite.count) of \(l.count)")
      #expect(finite.allSatisfy { c.x.range.contains(l.x[$0]) && c.y.range.contains(l.y[$0]) && c.z.range.contains(l.z[$0]) })
    }
    // Points come in segments: two finite points, then a break.
    #expect(zLines.count % 3 == 0 && stride(from: 2, to: zLines.count, by: 3).allSatisfy { zLines.z[$0].isNaN })
    // Nothing asked, nothing added; a scene without surfaces says so.
    #expect(scene.withContours(nil) == scene)
    let empty = Scene(title: "", traces: [], x: scene.x, y: scene.y, z: scene.z).withContours(ContourRequest(axes: [.z]))
    #expect(empty.notes == ["--contours: this scene has no surface to draw contours on: not used"])
  }

  /// Review findings: levels far from the data cannot trap; a log axis takes its levels from
  /// the positive values only; a surface with nothing to draw says so.
  @Test func extremeLevelsLogAxesAndNothingToDraw() throws {
    let huge = SurfaceTrace(
      name: "h", rows: 2, cols: 2, x: [0, 1, 0, 1], y: [0, 0, 1, 1], z: [1.7e308, -1.75e308, 1.7e308, -1.75e308],
      colormap: .viridis, colorRange: -1...1)
    var r = ContourRequest(axes: [.z])
    r.explicit[.z] = [-1.7e308]
    let scene = Scene(
      title: "", traces: [.surface(huge)], x: AxisSpec(title: "", range: 0...1), y: AxisSpec(title: "", range: 0...1),
      z: AxisSpec(title: "", range: -1.75e308...1.7e308))
    _ = scene.withContours(r)  // must not trap
    let log = SurfaceTrace(
      name: "l", rows: 2, cols: 3, x: [0, 1, 2, 0, 1, 2], y: [0, 0, 0, 1, 1, 1], z: [0, 1e-3, 1e-1, 1e-2, 1, 10],
      colormap: .viridis, colorRange: 0...10)
    let logScene = Scene(
      title: "", traces: [.surface(log)], x: AxisSpec(title: "", range: 0...2), y: AxisSpec(title: "", range: 0...1),
      z: AxisSpec(title: "", scale: .log, range: 1e-3...10))
    let levels = try #require(logScene.withContours(ContourRequest(axes: [.z], levels: 4)).traces[0].surface).contours[0].values
    #expect(levels.allSatisfy { $0 > 1e-3 && $0 < 10 } && levels.contains(1), "\(levels)")
    let flat = SurfaceTrace(name: "f", rows: 2, cols: 2, x: [0, 1, 0, 1], y: [0, 0, 1, 1], z: [2, 2, 2, 2], colormap: .viridis, colorRange: 2...2)
    let flatScene = Scene(
      title: "", traces: [.surface(flat)], x: AxisSpec(title: "", range: 0...1), y: AxisSpec(title: "", range: 0...1),
      z: AxisSpec(title: "", range: 1...3)).withContours(ContourRequest(axes: [.z]))
    #expect(flatScene.notes == ["--contours z: 'f' has no spread of z values to draw contours of: none drawn"], "\(flatScene.notes)")
  }

  @Test func axesParse() throws {
    #expect(try ContourRequest.parseAxes("z") == [.z])
    #expect(try ContourRequest.parseAxes("z, X,y") == [.x, .y, .z])
    #expect(throws: ContourError.self) { try ContourRequest.parseAxes("w") }
  }
}
