import Foundation
import Testing
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO
import TrainscapeTestSupport

/// The `dynamics` small multiples of the bundled example logs (3 arms x 3 seeds), drawn as a
/// 2D overlay: a golden image of the 3x2 grid, and what a person checks in it: six panels
/// (found by scanning the PNG for their bottom axes), the bold mean lines in their series
/// colours, every placed label drawn.
@Suite(.serialized, .tiered) struct DynamicsRenderTests {
  static func exampleFigure(_ options: DynamicsFigure.Options = DynamicsFigure.Options()) throws -> PanelFigure {
    let path = TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path
    let runs = try RunLoader.load(path: path).runs
    #expect(runs.count == 9)
    let groups = try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
    let settings = SeriesSettings(emaSpan: 5)
    let data = try Dynamics.build(
      groups: groups, rows: [["hack_s", "gt_s"], ["cos_pre_t", "cos_pre_s"]], options: Dynamics.Options(series: settings))
    var o = options
    o.ema = 5
    return DynamicsFigure.make(data, tables: groups.runs.map { settings.table($0) }, options: o)
  }

  /// Horizontal runs of at least `minLength` pixels near `color`, merged when they start
  /// within 3 pixels of each other on nearby rows (one anti-aliased line): their count.
  static func horizontalLines(_ image: RGBAImage, color: (Int, Int, Int), tolerance: Int, minLength: Int) -> Int {
    var found: [(x: Int, y: Int)] = []
    for y in 0..<image.height {
      var x = 0
      while x < image.width {
        let near = { (x: Int) -> Bool in
          let (r, g, b) = image.rgb(x, y)
          return abs(r - color.0) <= tolerance && abs(g - color.1) <= tolerance && abs(b - color.2) <= tolerance
        }
        guard near(x) else {
          x += 1
          continue
        }
        let start = x
        while x < image.width && near(x) { x += 1 }
        if x - start >= minLength && !found.contains(where: { abs($0.x - start) <= 3 && abs($0.y - y) <= 3 }) {
          found.append((start, y))
        }
      }
    }
    return found.count
  }

  /// Pixels within `tolerance` of `color` inside `rect`.
  static func count(_ image: RGBAImage, _ color: RGBColor, in rect: PixelRect, tolerance: Int = 24) -> Int {
    let c = (Int((color.r * 255).rounded()), Int((color.g * 255).rounded()), Int((color.b * 255).rounded()))
    var n = 0
    for y in Int(rect.y)..<Int(rect.maxY) {
      for x in Int(rect.x)..<Int(rect.maxX) {
        let (r, g, b) = image.rgb(x, y)
        if abs(r - c.0) <= tolerance && abs(g - c.1) <= tolerance && abs(b - c.2) <= tolerance { n += 1 }
      }
    }
    return n
  }

  @Test(.tags(.egl)) func exampleGridMatchesGoldenAndReadsRight() throws {
    var o = DynamicsFigure.Options()
    o.annotations = AnnotationSpec(onsets: [try OnsetRule(parsing: "hack_s>0")])
    let figure = try Self.exampleFigure(o)
    #expect(figure.rows == 2 && figure.columns == 3)
    let layout = PanelLayoutBuilder.layout(figure, width: 960, height: 540)
    let image = try withRenderer { r in try r.render(layout: layout.frame, background: .white) }
    // Tolerance: the default (a pixel differs by more than 16 in a channel on at most 0.3% of
    // the pixels, mean difference at most 0.6): llvmpipe draws the same lines and text.
    try goldens.assertMatches(image, golden: "dynamics_examples_960x540")

    // Six panels: six bottom axes (the spine colour, at least half a panel wide).
    let edge = FigureStyle().edgeColor
    let spine = (Int(edge.r * 255), Int(edge.g * 255), Int(edge.b * 255))
    let panelWidth = try #require(layout.plotRects.first).width
    #expect(Self.horizontalLines(image, color: spine, tolerance: 40, minLength: Int(panelWidth / 2)) == 6)
    // The bold mean lines in their series colours, in every panel: blue (series 0) and
    // vermillion (series 1) of the Okabe-Ito palette.
    // (A mean at 0, along the bottom axis, is partly covered by it: at least 40 pixels each.)
    var totals = [0, 0]
    for (i, rect) in layout.plotRects.enumerated() {
      for k in 0..<2 {
        let n = Self.count(image, SeriesPalette.color(k), in: rect)
        totals[k] += n
        #expect(n > 40, "panel \(i): \(n) pixels of series \(k)'s colour")
      }
    }
    #expect(totals.allSatisfy { $0 > 2000 }, "\(totals)")
    #expect(image.fractionNot((255, 255, 255)) > 0.05)
    // Every placed label drawn: titles and ticks dark, series names in their colour.
    for label in layout.frame.labels {
      let b = label.bounds
      #expect(b.x >= 0 && b.y >= 0 && b.maxX <= 960 && b.maxY <= 540, "label '\(label.text)' leaves the image: \(b)")
      #expect(image.darkest(in: label.bounds) < 170, "label '\(label.text)' (\(label.role)) not drawn")
    }
    #expect(layout.frame.labels.filter { $0.role == .panelTitle }.map(\.text) == [
      "adaptive_erasure (n=3 seeds)", "static_erasure (n=3 seeds)", "vanilla (n=3 seeds)",
    ])
    #expect(layout.frame.labels.filter { $0.role == .markLabel }.count == 3)
    // The onset's dashed line: in the vanilla panel's column, dark and light pixels alternate.
    let vanilla = layout.plotRects[2]
    let mark = try #require(figure.panels[2].marks.first)
    let x = Int(vanilla.x + figure.panels[2].x.fraction(mark.step) * vanilla.width)
    var switches = 0, last = false
    for y in Int(vanilla.y + vanilla.height * 0.3)..<Int(vanilla.maxY) {
      let (r, g, b) = image.rgb(x, y)
      let dark = r < 130 && g < 130 && b < 130
      if dark != last { switches += 1 }
      last = dark
    }
    #expect(switches > 10, "the onset line at x=\(x) is not dashed (\(switches) switches)")
  }
}

/// A curriculum gradient flow with three stage planes and an onset plane: golden image, and
/// the planes' labels drawn in their colours.
@Suite(.serialized, .tiered) struct AnnotationPlaneRenderTests {
  @Test(.tags(.egl)) func stagedGradientFlowMatchesGolden() throws {
    var rows: [MetricRow] = []
    for i in 0..<60 {
      var v: [String: Double] = ["curriculum/stage_index": Double(i / 20), "hack_s": i >= 35 ? 0.3 : 0]
      for l in 0..<6 { v["grad_norm/layer_\(l)"] = exp(-Double(i) / 30) * (1 + Double(l) * 0.3) + 0.05 * sin(Double(i) / 2 + Double(l)) }
      rows.append(MetricRow(step: Int64(i * 10), values: v))
    }
    let run = Run(name: "curriculum", source: "/runs/curriculum.jsonl", rows: rows)
    let scene0 = try GradientFlowRecipe.scene(run: run, options: GradientFlowRecipe.Options()).scene
    let spec = AnnotationSpec(
      stagesKey: "curriculum/stage_index", stageNames: ["teacher", "mixed", "student"], onsets: [try OnsetRule(parsing: "hack_s>0")])
    let scene = scene0.annotated(with: Annotations.make(spec, tables: [SeriesSettings().table(run)], what: "curriculum"))
    #expect(scene.traces.compactMap(\.mesh).count == 4)
    let image = try withRenderer { r in try r.render(scene, width: 480, height: 360) }
    try goldens.assertMatches(image, golden: "gradient_flow_stages_480x360")
    let layout = FigureLayoutBuilder.layout(scene, width: 480, height: 360)
    let labels = layout.labels.filter { $0.role == .markLabel }
    #expect(labels.count == 4)
    for l in labels {
      #expect(image.darkest(in: l.bounds) < 170, "plane label '\(l.text)' not drawn")
    }
  }
}
