import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// `FacetFigure` and `GradientFlowRecipe.facets`: one panel per group, a group's mean per
/// layer and step (checked against the runs' raw rows), one scale and one colour range for
/// all panels, the grid's shape.
@Suite(.tiered) struct FacetFigureTests {
  /// A run of `layers` x 5 steps whose value at (layer, step index) is `f(layer, i)`.
  static func run(_ name: String, config: [String: ConfigValue], layers: Int = 4, steps: [Int64] = [0, 10, 20, 30, 40], _ f: (Int, Int) -> Double) -> Run {
    let rows = steps.enumerated().map { i, s in
      MetricRow(step: s, values: Dictionary(uniqueKeysWithValues: (0..<layers).map { ("grad_norm/layer_\($0)", f($0, i)) }))
    }
    return Run(name: name, source: "/runs/\(name).jsonl", rows: rows, config: config)
  }

  @Test func aGroupOfSeveralRunsDrawsTheirMeanOnSharedRanges() throws {
    let runs = [
      Self.run("a0", config: ["arm": "a", "seed": 0]) { l, i in Double(l + 1) + Double(i) },
      Self.run("b0", config: ["arm": "b", "seed": 0]) { l, i in 10 * Double(l + 1) + Double(i) },
      // Seed 1 of arm a misses step 40 and has a NaN at (layer 2, step 10): the mean there is
      // seed 0's value alone.
      Self.run("a1", config: ["arm": "a", "seed": 1], steps: [0, 10, 20, 30]) { l, i in l == 2 && i == 1 ? .nan : Double(l + 1) * 3 },
    ]
    let groups = try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
    var o = GradientFlowRecipe.Options()
    o.builder.logZ = .off
    let out = try GradientFlowRecipe.facets(groups: groups, options: o)
    let f = out.figure
    #expect(f.panels.map(\.title) == ["arm=a (2 runs, mean)", "arm=b (1 run)"])
    #expect(out.notes.contains("arm=a: the mean of 2 runs per layer and step (a0, a1)"))
    // The mean, from the raw rows: cell (layer l, step s) averages the runs' finite values.
    let a = try #require(f.panels[0].traces.first?.surface)
    #expect(a.rows == 4 && a.cols == 5)
    for l in 0..<4 {
      for (i, step) in [Int64(0), 10, 20, 30, 40].enumerated() {
        let vals = [runs[0], runs[2]].compactMap { r in r.rows.first { $0.step == step }?.values["grad_norm/layer_\(l)"] }.filter(\.isFinite)
        let expected = vals.reduce(0, +) / Double(vals.count)
        #expect(abs(a.z[l * 5 + i] - expected) < 1e-12, "layer \(l) step \(step): \(a.z[l * 5 + i]) != \(expected)")
      }
    }
    // One colour range over both panels (2 ... 44: the mean of 1 and 3 at the bottom), one z range, one camera, one bar.
    let bar = try #require(f.colorBar)
    #expect(bar.range == 2...44)
    for p in f.panels {
      #expect(p.colorBar == nil)
      #expect(p.z.range == 2...44 && p.x.range == 0...40 && p.y.range == 0...3)
      #expect(p.traces.compactMap(\.surface).allSatisfy { $0.colorRange == 2...44 })
      #expect(p.camera == f.panels[0].camera)
    }
    #expect(f.title == "Gradient flow: grad_norm by arm")
  }

  /// --log-z auto is resolved over every panel's values: one panel spanning less than two
  /// decades still goes log when the figure does.
  @Test func oneScaleForAllPanels() throws {
    let runs = [
      Self.run("lo", config: ["arm": "lo"]) { l, i in 0.01 * Double(l + 1 + i) },
      Self.run("hi", config: ["arm": "hi"]) { l, i in 5 + Double(l + i) },
    ]
    let out = try GradientFlowRecipe.facets(
      groups: try RunGroups.make(runs, by: RunGrouping(keys: ["arm"])), options: GradientFlowRecipe.Options())
    #expect(out.figure.panels.allSatisfy { $0.z.scale == .log })
    #expect(out.figure.colorBar?.scale == .log)
    #expect(out.notes.last?.contains("(log)") == true)
  }

  @Test func panelsSideBySideUpToThreeThenAGrid() {
    #expect((1...10).map(FacetFigure.columns(for:)) == [1, 2, 3, 2, 3, 3, 3, 3, 3, 4])
  }

  @Test func pasteClipsToTheImage() {
    var big = RGBAImage(width: 4, height: 3, fill: RGBA(0, 0, 0, 1))
    let small = RGBAImage(width: 2, height: 2, fill: RGBA(1, 1, 1, 1))
    big.paste(small, x: 3, y: 2)
    #expect(big[3, 2] == (255, 255, 255, 255))
    #expect(big[2, 2] == (0, 0, 0, 255) && big[3, 1] == (0, 0, 0, 255))
  }
}

/// A figure's panels at their domains (a Plotly figure's scenes, gl3d_multi-scene): fractions
/// of the area under the title, y up; without a domain on every panel, the grid.
@Suite(.tiered) struct PanelDomainLayoutTests {
  func panel(_ domain: PanelDomain?) -> Scene {
    var s = Scene(
      title: "", traces: [.scatter(ScatterTrace(name: "p", x: [0, 1], y: [0, 1], z: [0, 1], colors: .solid(RGBColor(r: 0, g: 0, b: 1))))],
      x: AxisSpec(title: "x", range: 0...1), y: AxisSpec(title: "y", range: 0...1), z: AxisSpec(title: "z", range: 0...1))
    s.domain = domain
    return s
  }

  @Test func panelsSitAtTheirDomains() {
    let figure = FacetFigure.independent(
      title: "", panels: [panel(PanelDomain(x: 0...0.5, y: 0...0.5)), panel(PanelDomain(x: 0.5...1, y: 0.5...1))])
    let r = FacetLayoutBuilder.layout(figure, width: 800, height: 600).panelRects
    // No title: the area is the image below a small margin; the first panel bottom-left, the
    // second top-right, each half of it across and down.
    #expect(r[0].x == 0 && r[0].width == 400 && r[0].maxY == 600 && r[1].x == 400 && r[1].width == 400, "\(r)")
    #expect(r[1].y < 10 && r[1].maxY == r[0].y && abs(r[0].height - r[1].height) <= 1, "\(r)")
    // One panel without a domain: the grid, side by side.
    let grid = FacetLayoutBuilder.layout(
      FacetFigure.independent(title: "", panels: [panel(PanelDomain(x: 0...0.5, y: 0...0.5)), panel(nil)]), width: 800, height: 600
    ).panelRects
    #expect(grid[0].y == grid[1].y && grid.map(\.x) == [0, 400], "\(grid)")
  }
}
