import Foundation
import Testing
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO
import TrainscapeTestSupport

/// Small multiples of gradient flows (`--facet-by`): the bundled facet example (3 arms x 3
/// seeds) as a golden image, and what a person checks in it: three panels (found by scanning
/// the PNG), one colour bar (found by scanning for a strip running through the colour map),
/// every label drawn; and the shared colour range: the same value has the same colour in two
/// panels.
@Suite(.serialized, .tiered) struct FacetRenderTests {
  static let pattern = "(?<arm>\\w+)_seed(?<seed>\\d+)"

  static func exampleGroups() throws -> RunGroups {
    let path = TestPaths.packageRoot.appendingPathComponent("Assets/examples/facets").path
    let runs = try RunLoader.load(path: path).runs
    #expect(runs.count == 9)
    return try RunGroups.make(runs, by: RunGrouping(namePattern: pattern))
  }

  /// Columns of the image (left of `right`, between rows `top` and `bottom`) holding anything
  /// but the background, merged into runs: the panels side by side.
  static func occupiedRuns(_ image: RGBAImage, top: Int, bottom: Int, right: Int) -> [Range<Int>] {
    var runs: [Range<Int>] = []
    var start: Int?
    for x in 0...right {
      let used = x < right && (top..<bottom).contains { y in
        let (r, g, b) = image.rgb(x, y)
        return r < 245 || g < 245 || b < 245
      }
      if used, start == nil { start = x }
      if !used, let s = start {
        // A gap of a few pixels (between a tick label and the axes box) is inside a panel.
        if let last = runs.last, s - last.upperBound <= 12 { runs[runs.count - 1] = last.lowerBound..<x } else { runs.append(s..<x) }
        start = nil
      }
    }
    return runs
  }

  /// Vertical strips that run through the whole colour map, top (high) to bottom (low), at
  /// least `minHeight` pixels tall: colour bars. Adjacent columns count once. (Greys are
  /// skipped: the colour map must be one without greys, as plasma.)
  static func colorBarStrips(_ image: RGBAImage, colormap: Colormap, minHeight: Int) -> Int {
    let table = (0..<256).map { i in (Int(colormap.table[i * 3]), Int(colormap.table[i * 3 + 1]), Int(colormap.table[i * 3 + 2])) }
    var cache: [Int: Int?] = [:]
    func index(_ x: Int, _ y: Int) -> Int? {
      let (r, g, b) = image.rgb(x, y)
      if max(r, g, b) - min(r, g, b) < 40 { return nil }  // greys: no colour of plasma
      let key = (r << 16) | (g << 8) | b
      if let known = cache[key] { return known }
      let found = nearest(r, g, b)
      cache[key] = found
      return found
    }
    func nearest(_ r: Int, _ g: Int, _ b: Int) -> Int? {
      let best = table.indices.min { a, c in
        let d0 = abs(table[a].0 - r) + abs(table[a].1 - g) + abs(table[a].2 - b)
        let d1 = abs(table[c].0 - r) + abs(table[c].1 - g) + abs(table[c].2 - b)
        return d0 < d1
      }!
      let d = abs(table[best].0 - r) + abs(table[best].1 - g) + abs(table[best].2 - b)
      return d <= 12 ? best : nil
    }
    var strips = 0
    var lastColumn = -10
    for x in 0..<image.width {
      var y = 0
      var found = false
      while y < image.height && !found {
        guard let first = index(x, y) else {
          y += 1
          continue
        }
        var prev = first, end = y + 1
        // Down the strip the colour-map index never rises (high at the top).
        while end < image.height, let i = index(x, end), i <= prev + 2 {
          prev = i
          end += 1
        }
        if end - y >= minHeight && first > 240 && prev < 15 { found = true }
        y = end
      }
      if found {
        if x - lastColumn > 1 { strips += 1 }
        lastColumn = x
      }
    }
    return strips
  }

  @Test(.tags(.egl)) func exampleFacetsMatchGoldenAndReadRight() throws {
    let groups = try Self.exampleGroups()
    let out = try GradientFlowRecipe.facets(groups: groups, options: GradientFlowRecipe.Options())
    let figure = out.figure
    #expect(figure.panels.count == 3 && figure.columns == 3 && figure.rows == 1)
    #expect(figure.panels.map(\.title) == [
      "arm=adaptive_erasure (3 runs, mean)", "arm=static_erasure (3 runs, mean)", "arm=vanilla (3 runs, mean)",
    ])
    let (w, h) = (1200, 420)
    let image = try withRenderer { r in try r.render(figure, width: w, height: h) }
    // Tolerance: the default (a pixel differs by more than 16 in a channel on at most 0.3% of
    // the pixels, mean difference at most 0.6): llvmpipe draws the same surfaces and text.
    try goldens.assertMatches(image, golden: "gradient_flow_facets_1200x420")
    let layout = FacetLayoutBuilder.layout(figure, width: w, height: h)
    let bar = try #require(layout.frame.colorBar)
    // Three panels side by side: three runs of drawn columns left of the colour bar.
    let top = Int(layout.panelRects[0].y) + 40
    let panels = Self.occupiedRuns(image, top: top, bottom: h - 10, right: Int(bar.rect.x) - 4)
    #expect(panels.count == 3, "\(panels)")
    // One colour bar in the whole image, where the layout put it.
    #expect(Self.colorBarStrips(image, colormap: .plasma, minHeight: Int(bar.rect.height * 0.9)) == 1)
    // Every label of the figure (title, colour-bar ticks and title) drawn and inside.
    for label in layout.frame.labels {
      let b = label.bounds
      #expect(b.x >= 0 && b.y >= 0 && b.maxX <= Double(w) && b.maxY <= Double(h), "label '\(label.text)' leaves the image")
      #expect(image.darkest(in: b) < 170, "label '\(label.text)' not drawn")
    }
    #expect(layout.frame.labels.filter { $0.role == .title }.map(\.text) == ["Gradient flow: grad_norm by arm"])
    // Each panel's title drawn in its panel.
    for (scene, rect) in zip(figure.panels, layout.panelRects) {
      let style = FacetLayoutBuilder.panelStyle(FigureStyle(), figureWidth: w, figureHeight: h, panel: rect)
      let own = FigureLayoutBuilder.layout(scene, width: Int(rect.width), height: Int(rect.height), style: style)
      let t = try #require(own.labels.first { $0.role == .title })
      #expect(t.text == scene.title)
      let b = PixelRect(x: t.bounds.x + rect.x, y: t.bounds.y + rect.y, width: t.bounds.width, height: t.bounds.height)
      #expect(image.darkest(in: b) < 170, "panel title '\(t.text)' not drawn")
    }
  }

  /// Two panels whose values overlap only at 5: A has plateaus at 2 and 5, B at 5 and 10. On
  /// the shared range the 5-plateaus have the same colour in both panels; per-panel ranges
  /// would draw 5 as A's brightest colour and B's darkest.
  @Test(.tags(.egl)) func sameValueHasTheSameColourInEveryPanel() throws {
    func panel(_ low: Double, _ high: Double, _ name: String) throws -> Scene {
      let steps: [Int64] = Array(0..<8).map { Int64($0 * 10) }
      let layers = Array(0..<6)
      let values = layers.flatMap { l in steps.map { _ in l < 3 ? low : high } }
      var o = GradientFlowBuilder.Options()
      o.logZ = .off
      o.title = name
      return try GradientFlowBuilder.scene(steps: steps, layers: layers, values: values, family: "g", runName: name, options: o)
    }
    let figure = FacetFigure.shared(title: "shared", panels: [try panel(2, 5, "A"), try panel(5, 10, "B")])
    #expect(figure.colorBar?.range == 2...10)
    #expect(figure.panels.allSatisfy { $0.traces.compactMap(\.surface).allSatisfy { $0.colorRange == 2...10 } && $0.z.range == 2...10 })
    let (w, h) = (800, 360)
    let image = try withRenderer { r in try r.render(figure, width: w, height: h) }
    let layout = FacetLayoutBuilder.layout(figure, width: w, height: h)
    // The colour at a plateau's middle: (step 35, layer `layer`, value `z`) projected into
    // its panel.
    func colour(_ p: Int, step: Double, layer: Double, z: Double) throws -> (Int, Int, Int) {
      let scene = figure.panels[p], rect = layout.panelRects[p]
      let style = FacetLayoutBuilder.panelStyle(FigureStyle(), figureWidth: w, figureHeight: h, panel: rect)
      let own = FigureLayoutBuilder.layout(scene, width: Int(rect.width), height: Int(rect.height), style: style)
      let pt = try #require(own.project(scene.normalized(step, layer, z)))
      return image.rgb(Int(pt.x + rect.x), Int(pt.y + rect.y))
    }
    let a5 = try colour(0, step: 35, layer: 4.5, z: 5), b5 = try colour(1, step: 35, layer: 0.8, z: 5)
    let a2 = try colour(0, step: 35, layer: 0.8, z: 2), b10 = try colour(1, step: 35, layer: 4.5, z: 10)
    func distance(_ p: (Int, Int, Int), _ q: (Int, Int, Int)) -> Int { abs(p.0 - q.0) + abs(p.1 - q.1) + abs(p.2 - q.2) }
    // The same value: the same colour (lighting is the same on two flat plateaus at one height).
    #expect(distance(a5, b5) <= 24, "5 is \(a5) in A and \(b5) in B")
    // Different values: clearly different colours.
    #expect(distance(a2, a5) > 80 && distance(b5, b10) > 80, "2: \(a2), 5: \(a5), 10: \(b10)")
  }
}

/// Train and validation as two panels of one `animate embedding` frame: golden image, and the
/// red crosses of each panel's misclassified points drawn inside that panel.
@Suite(.serialized, .tiered) struct EmbeddingSplitRenderTests {
  @Test(.tags(.egl)) func trainAndValidationPanelsWithCrossesMatchGolden() throws {
    // 40 points in 6 dimensions, 2 classes drifting apart over 3 checkpoints; every 4th point
    // is validation; points 0-7 are predicted wrong (2 validation, 6 train).
    let t = 3, n = 40, d = 6
    var rng = SplitMix64(seed: 7)
    var data: [Double] = []
    for c in 0..<t {
      for i in 0..<n {
        for j in 0..<d { data.append(Double(i % 2) * Double(c + 1) * 1.5 * Double(j % 3 == 0 ? 1 : 0.3) + 0.5 * rng.normal()) }
      }
    }
    let labels = (0..<n).map { "class \($0 % 2)" }
    let predictions = (0..<n).map { $0 < 8 ? "class \(($0 + 1) % 2)" : "class \($0 % 2)" }
    let split: [EmbeddingSnapshots.Split] = (0..<n).map { $0 % 4 == 0 ? .validation : .train }
    let input = EmbeddingSnapshots(
      name: "split", checkpoints: (0..<t).map { .init(name: "epoch_\($0)", epoch: $0, labels: labels, predictions: predictions, split: split) },
      points: n, dimensions: d, data: data)
    let layout = try EmbeddingRecipe.layout(input)
    let figure = try #require(try EmbeddingRecipe.splitFrame(layout, frame: 2))
    #expect(figure.panels.map(\.title) == [
      "train (30 points) - epoch 2, accuracy 0.8000, 6 misclassified",
      "validation (10 points) - epoch 2, accuracy 0.8000, 2 misclassified",
    ])
    let (w, h) = (800, 340)
    let image = try withRenderer { r in try r.render(figure, width: w, height: h) }
    // Tolerance: the default (as every golden here).
    try goldens.assertMatches(image, golden: "embedding_split_panels_800x340")
    let rects = FacetLayoutBuilder.layout(figure, width: w, height: h).panelRects
    #expect(rects.count == 2 && figure.colorBar == nil)
    // Red crosses in each panel (the cross colour, #e8000b), more in train's than validation's.
    let red = try #require(RGBColor(hex: "#e8000b"))
    let counts = rects.map { DynamicsRenderTests.count(image, red, in: $0, tolerance: 40) }
    #expect(counts[0] > 20 && counts[1] > 8 && counts[0] > counts[1], "\(counts)")
  }
}
