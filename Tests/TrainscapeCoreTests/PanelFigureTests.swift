import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// The `dynamics` figure as a value and its layout: panels in the grid, rows sharing y, colour
/// per series across a row, labels at line ends only in the first column and never
/// overlapping, ticks at nice values, marks at the groups' mean onsets, stages shaded.
@Suite(.tiered) struct PanelFigureTests {
  /// 2 arms x 3 seeds; `hack` turns positive at `onset` (arm b: seeds 0 and 1 only).
  static func groups() throws -> RunGroups {
    var runs: [Run] = []
    for arm in ["a", "b"] {
      for seed in 0..<3 {
        let onset: Int64? = arm == "a" ? 100 + 20 * Int64(seed) : (seed < 2 ? 300 + 10 * Int64(seed) : nil)
        let rows = (0..<50).map { i -> MetricRow in
          let step = Int64(i * 10)
          let hack = onset.map { step >= $0 ? 0.2 + Double(seed) * 0.1 : 0 } ?? 0
          return MetricRow(step: step, values: [
            "loss": 3 - Double(i) * 0.04 + Double(seed) * 0.1, "gt": 0.5 + Double(i) * 0.001,
            "hack": hack, "cos": Double(i) / 50 * (arm == "a" ? 1 : 0.5), "stage": Double(i / 20),
          ])
        }
        runs.append(Run(name: "\(arm)_seed\(seed)", source: "/runs/\(arm)_seed\(seed).log", rows: rows, config: ["arm": .string(arm), "seed": .number(Double(seed))]))
      }
    }
    return try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
  }

  static func figure(_ options: DynamicsFigure.Options = DynamicsFigure.Options(), rows: [[String]] = [["loss", "gt"], ["hack", "cos"]]) throws -> PanelFigure {
    let g = try groups()
    let data = try Dynamics.build(groups: g, rows: rows, options: Dynamics.Options(series: SeriesSettings(emaSpan: 3)))
    return DynamicsFigure.make(data, tables: g.runs.map { SeriesSettings().table($0) }, options: options)
  }

  @Test func panelsAreRowsOfMetricsByGroups() throws {
    let f = try Self.figure()
    #expect(f.rows == 2 && f.columns == 2 && f.panels.count == 4)
    #expect(f.panels.map { [$0.row, $0.column] } == [[0, 0], [0, 1], [1, 0], [1, 1]])
    #expect(f.panels.map(\.title) == ["a (n=3 seeds)", "b (n=3 seeds)", "", ""])
    #expect(f.title == "Training dynamics by arm")
    // Rows share y; all panels share x.
    #expect(f.panels[0].y.range == f.panels[1].y.range)
    #expect(f.panels[2].y.range == f.panels[3].y.range)
    #expect(f.panels[0].y.range != f.panels[2].y.range)
    #expect(Set(f.panels.map(\.x.range)).count == 1)
    #expect(f.panels[0].x.range == 0...490)
    // Seeds thin and translucent, the mean bold; series k of a row has colour k everywhere.
    for p in f.panels {
      #expect(p.lines.filter { $0.role == .seed }.count == 6)
      #expect(p.lines.filter { $0.role == .mean }.count == 2)
      for l in p.lines {
        let k = l.name.hasPrefix("loss") || l.name.hasPrefix("hack") ? 0 : 1
        #expect(l.color == SeriesPalette.color(k), "\(l.name)")
        #expect(l.role == .mean ? l.opacity == 1 && l.width > 2 : l.opacity < 0.5 && l.width <= 1)
      }
      #expect(p.bands.count == 2)
    }
    // Labels at line ends in the first column only, at the mean's last point.
    #expect(f.panels.map { $0.endLabels.map(\.text) } == [["loss", "gt"], [], ["hack", "cos"], []])
    let mean = try #require(f.panels[0].lines.first { $0.name == "loss mean" })
    #expect(f.panels[0].endLabels[0].x == mean.x.last && f.panels[0].endLabels[0].y == mean.y.last)
  }

  @Test func layoutsAndOptions() throws {
    var o = DynamicsFigure.Options()
    o.layout = .columns
    o.logY = true
    o.ylims = [1: 0.01...1]
    let f = try Self.figure(o)
    #expect(f.rows == 1 && f.columns == 4)
    #expect(f.panels.map(\.column) == [0, 1, 2, 3])
    #expect(f.panels.allSatisfy { !$0.title.isEmpty })
    #expect(f.panels[2].y.range == 0.01...1 && f.panels[2].y.scale == .log)
    o.layout = .rows
    // Side by side, series are named in the first panel of each metric row.
    #expect(f.panels.map { $0.endLabels.map(\.text) } == [["loss", "gt"], [], ["hack", "cos"], []])
    let r = try Self.figure(o)
    #expect(r.rows == 4 && r.columns == 1 && r.panels.map(\.row) == [0, 1, 2, 3])
    // Stacked, every panel is the first of its grid row.
    #expect(r.panels.map { $0.endLabels.map(\.text) } == [["loss", "gt"], ["loss", "gt"], ["hack", "cos"], ["hack", "cos"]])
    #expect(try DynamicsFigure.parseYlim("2:0,1", rows: [["a"], ["b"]]) == (1, 0...1))
    #expect(try DynamicsFigure.parseYlim("b:-1,2.5", rows: [["a"], ["b", "c"]]).row == 1)
    #expect(throws: Dynamics.DataError.self) { try DynamicsFigure.parseYlim("3:0,1", rows: [["a"], ["b"]]) }
    #expect(throws: Dynamics.DataError.self) { try DynamicsFigure.parseYlim("1:1,0", rows: [["a"]]) }
  }

  @Test func annotationsAreAtEachGroupsMeanOnset() throws {
    var o = DynamicsFigure.Options()
    o.annotations = AnnotationSpec(
      stagesKey: "stage", stageNames: ["teacher", "mixed", "student"], marks: [StepMark(step: 250, label: "lr drop")],
      onsets: [try OnsetRule(parsing: "hack>0")])
    let f = try Self.figure(o)
    let a = f.panels[0], b = f.panels[1]
    // Group a: onsets 100, 120, 140 -> 120; group b: 300, 310 (the third never) -> 305.
    #expect(a.marks == [PanelMark(step: 250, label: "lr drop", dashed: false), PanelMark(step: 120, label: "first hack>0", dashed: true)])
    #expect(b.marks.last == PanelMark(step: 305, label: "first hack>0", dashed: true))
    #expect(f.notes.contains { $0.contains("arm=b: hack>0: mean first step 305 (2 of 3 runs)") }, "\(f.notes)")
    #expect(a.stages.map(\.name) == ["teacher", "mixed", "student"])
    #expect(a.stages.map(\.start) == [0, 200, 400])
    #expect(a.stages.map(\.shaded) == [false, true, false])
  }

  @Test func layoutPlacesEveryLabelWithoutOverlap() throws {
    var o = DynamicsFigure.Options()
    o.annotations = AnnotationSpec(marks: [StepMark(step: 200, label: "a"), StepMark(step: 205, label: "b")], onsets: [try OnsetRule(parsing: "hack>0")])
    let f = try Self.figure(o, rows: [["loss", "gt", "cos"], ["hack"], ["cos"]])
    for (w, h) in [(1280, 720), (900, 900), (640, 400)] {
      let l = PanelLayoutBuilder.layout(f, width: w, height: h)
      #expect(l.plotRects.count == 6)
      let labels = l.frame.labels
      for (i, x) in labels.enumerated() {
        #expect(x.bounds.x >= -0.5 && x.bounds.maxX <= Double(w) + 0.5 && x.bounds.y >= -0.5 && x.bounds.maxY <= Double(h) + 0.5, "\(x.text) outside \(w)x\(h)")
        for y in labels[(i + 1)...] {
          #expect(!PanelLayoutBuilder.overlaps(x.bounds, y.bounds), "'\(x.text)' (\(x.role)) overlaps '\(y.text)' (\(y.role)) at \(w)x\(h)")
        }
      }
      // Panels do not overlap and keep their grid order.
      for (i, a) in l.plotRects.enumerated() {
        for b in l.plotRects[(i + 1)...] { #expect(!PanelLayoutBuilder.overlaps(a, b)) }
      }
      // Three series names in the first panel of row 1, two marks' labels in each panel.
      #expect(labels.filter { $0.role == .seriesLabel }.map(\.text) == ["loss", "gt", "cos", "hack", "cos"])
      #expect(labels.filter { $0.role == .markLabel }.count >= 4)
      // Ticks at nice values: 1, 2 or 5 times a power of ten apart.
      let xs = labels.filter { $0.role == .tickLabel && $0.bounds.y > l.plotRects[4].maxY }.compactMap { Double($0.text) }
      #expect(xs.count >= 2)
      let step = xs[1] - xs[0]
      let mantissa = step / pow(10, floor(log10(step)))
      #expect([1, 2, 5].contains(mantissa.rounded()), "x tick step \(step)")
    }
  }

  @Test func twinKeysGetARightHandAxis() throws {
    var o = DynamicsFigure.Options()
    o.twin = ["gt"]
    let f = try Self.figure(o)
    let plain = try Self.figure()
    let p = f.panels[0]
    let y2 = try #require(p.y2)
    #expect(y2.title == "gt" && p.y.title == "loss")
    #expect(f.panels[2].y2 == nil)
    // gt (0.5...0.549, EMA-smoothed) is out of the left range, which is the loss's alone.
    #expect(y2.range.lowerBound >= 0.5 && y2.range.upperBound < 0.55)
    #expect(p.y.range.lowerBound > 1 && p.y.range != plain.panels[0].y.range)
    #expect(p.lines.filter { $0.twin }.allSatisfy { $0.name.hasPrefix("gt") } && p.lines.filter { $0.twin }.count == 4)
    #expect(p.endLabels.map(\.twin) == [false, true])
    // Laid out: the right axis labelled on the last panel of the row, nothing overlapping.
    let l = PanelLayoutBuilder.layout(f, width: 1000, height: 600)
    let titles = l.frame.labels.filter { $0.role == .axisTitle }.map(\.text)
    #expect(titles.filter { $0 == "gt" }.count == 1 && titles.contains("loss"))
    for (i, a) in l.frame.labels.enumerated() {
      for b in l.frame.labels[(i + 1)...] {
        #expect(!PanelLayoutBuilder.overlaps(a.bounds, b.bounds), "'\(a.text)' overlaps '\(b.text)'")
      }
    }
    // A row of twin keys only stays on the left axis, and says so.
    o.twin = ["hack", "cos"]
    let all = try Self.figure(o)
    #expect(all.panels[2].y2 == nil && all.panels[2].lines.allSatisfy { !$0.twin })
    #expect(all.notes.contains { $0.contains("--twin: every key of row 2 (hack, cos) is a twin key") })
  }

  @Test func spreadKeepsOrderAndGaps() {
    let ys = PanelLayoutBuilder.spread([10, 11, 50, 12], minGap: 5, lo: 0, hi: 100)
    #expect(ys == [10, 15, 50, 20])
    let bottom = PanelLayoutBuilder.spread([99, 98], minGap: 5, lo: 0, hi: 100)
    #expect(bottom == [100, 95])
  }
}

/// Stages and marks in 3D: a translucent plane across the step axis at each stage's start,
/// mark and onset, named for an export's legend and labelled at its top edge.
@Suite(.tiered) struct AnnotationPlaneTests {
  @Test func planesSpanTheBoxAtTheirSteps() throws {
    let rows = (0..<60).map { i -> MetricRow in
      MetricRow(step: Int64(i * 10), values: ["stage": Double(i / 20), "hack": i >= 35 ? 0.3 : 0])
    }
    let run = Run(name: "cur", source: "/runs/cur.jsonl", rows: rows)
    let spec = AnnotationSpec(
      stagesKey: "stage", stageNames: ["teacher", "mixed", "student"], marks: [StepMark(step: 5000, label: "late")],
      onsets: [try OnsetRule(parsing: "hack>0")])
    let a = Annotations.make(spec, tables: [SeriesSettings().table(run)], what: "cur")
    let scene = Scene(
      title: "t", traces: [], x: AxisSpec(title: "step", range: 0...590), y: AxisSpec(title: "layer", range: 0...5),
      z: AxisSpec(title: "g", scale: .log, range: 0.01...10))
    let s = scene.annotated(with: a)
    let meshes = s.traces.compactMap(\.mesh)
    #expect(meshes.map(\.name) == ["stage: teacher", "stage: mixed", "stage: student", "first hack>0"])
    #expect(meshes.map { $0.x[0] } == [0, 200, 400, 350])
    for m in meshes {
      #expect(m.legend && m.opacity < 0.5)
      #expect(Set(m.x).count == 1 && Set(m.y) == [0, 5] && Set(m.z) == [0.01, 10])
      #expect(m.i.count == 2)
    }
    #expect(s.pointLabels.map(\.text) == ["teacher", "mixed", "student", "first hack>0"])
    #expect(s.pointLabels.allSatisfy { $0.y == 5 && $0.z == 10 })
    #expect(s.notes.contains { $0.contains("late at step 5000 is outside the steps drawn (0...590): no plane") }, "\(s.notes)")
    // The viewer's A key: the planes and their labels go, and come back; the traces keep their indices.
    var decoration = SceneDecoration()
    decoration.annotationsHidden = true
    let hidden = decoration.apply(to: s)
    #expect(hidden.traces.count == s.traces.count && hidden.pointLabels.isEmpty)
    #expect(hidden.traces.compactMap(\.mesh).allSatisfy { $0.x.isEmpty && $0.i.isEmpty })
    decoration.annotationsHidden = false
    #expect(decoration.apply(to: s) == s)
    // Laid out: every label placed, none overlapping another.
    let layout = FigureLayoutBuilder.layout(s, width: 800, height: 600)
    let marks = layout.labels.filter { $0.role == .markLabel }
    #expect(marks.map(\.text) == ["teacher", "mixed", "student", "first hack>0"])
    for (i, x) in marks.enumerated() {
      for y in layout.labels where y != x {
        #expect(!PanelLayoutBuilder.overlaps(x.bounds, y.bounds), "'\(x.text)' overlaps '\(y.text)'")
      }
      _ = i
    }
  }

  /// A trajectory over (loss, grad norm, reward) has no step axis: the marks are rings on the
  /// path at its first point at or after each mark, stage start and onset.
  @Test func pathsGetMarkersWhereTheStepIsNotAnAxis() throws {
    var rows: [MetricRow] = []
    for i in 0..<50 {
      let d = Double(i)
      let values: [String: Double] = ["loss": 2 - d * 0.03, "grad_norm": 1 + Double(i % 3), "reward": d / 50, "stage": Double(i / 25)]
      rows.append(MetricRow(step: Int64(i * 10), values: values))
    }
    let run = Run(name: "rl", source: "/runs/rl.jsonl", rows: rows)
    let out = try TrajectoryRecipe.scene(runs: [run], options: TrajectoryRecipe.Options())
    let spec = AnnotationSpec(
      stagesKey: "stage", stageNames: ["warm", "hot"], marks: [StepMark(step: 125, label: "eval"), StepMark(step: 900, label: "late")],
      onsets: [try OnsetRule(parsing: "reward>0.3")])
    let s = out.scene.annotated(with: Annotations.make(spec, tables: [SeriesSettings().table(run)], what: "rl"))
    let path = try #require(out.scene.traces.first?.scatter)
    let markers = s.traces.dropFirst(out.scene.traces.count).compactMap(\.scatter)
    #expect(markers.map(\.name) == ["stage: warm", "stage: hot", "mark: eval", "first reward>0.3"])
    // At steps 0, 250, 130 (the first at or after 125) and 160 (reward 16/50 > 0.3): points 0, 25, 13, 16.
    for (m, i) in zip(markers, [0, 25, 13, 16]) {
      #expect(m.x == [path.x[i]] && m.y == [path.y[i]] && m.z == [path.z[i]], "\(m.name)")
      #expect(m.mode == .markers && m.symbol == .ring)
    }
    #expect(s.pointLabels.map(\.text) == ["warm", "hot", "eval", "first reward>0.3"])
    #expect(!s.traces.contains { $0.mesh != nil }, "no planes across a loss axis")
    #expect(s.notes.contains { $0.contains("late at step 900 is outside the steps drawn (0...490): no marker") }, "\(s.notes)")
    // Without rewards the x axis is the step: planes, as for gradient flow.
    let plain = Run(name: "p", source: "/runs/p.jsonl", rows: rows.map { r in
      var r = r
      r.values["reward"] = nil
      return r
    })
    let flat = try TrajectoryRecipe.scene(runs: [plain], options: TrajectoryRecipe.Options()).scene
    let planes = flat.annotated(with: Annotations.make(spec, tables: [SeriesSettings().table(plain)], what: "p"))
    #expect(planes.traces.compactMap(\.mesh).map(\.name) == ["stage: warm", "stage: hot", "mark: eval"])
  }

  /// On a dark background the marks' labels turn light with the rest of the text.
  @Test func marksAreReadableOnADarkBackground() throws {
    var o = DynamicsFigure.Options()
    o.annotations = AnnotationSpec(marks: [StepMark(step: 200, label: "mid")])
    var f = try PanelFigureTests.figure(o)
    f.background = try #require(RGBColor(hex: "#181818"))
    let layout = PanelLayoutBuilder.layout(f, width: 1280, height: 720)
    let mark = try #require(layout.frame.labels.first { $0.role == .markLabel })
    let glyphs = layout.frame.glyphs.filter { g in g.corners.allSatisfy { mark.bounds.x - 1 <= $0.x && $0.x <= mark.bounds.maxX + 1 && mark.bounds.y - 1 <= $0.y && $0.y <= mark.bounds.maxY + 1 } }
    #expect(!glyphs.isEmpty && glyphs.allSatisfy { $0.color.r > 0.8 }, "\(glyphs.map(\.color.r))")
  }
}
