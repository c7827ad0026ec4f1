import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// `view dynamics`' navigation as pure state: a drag moves the shared step axis of every panel
/// and the y of the dragged panel's metric row only; the wheel zooms about the cursor (the
/// value under it stays under it, also on log axes); the readout reads each mean line at the
/// nearest sample; reset and the A key give back the figure as built.
@Suite(.tiered) struct PanelNavigatorTests {
  static let size = (width: 1280, height: 720)

  static func setUp(_ options: DynamicsFigure.Options = DynamicsFigure.Options()) throws -> (PanelNavigator, [PixelRect]) {
    let nav = PanelNavigator(try PanelFigureTests.figure(options))
    return (nav, nav.layout(width: size.width, height: size.height).plotRects)
  }

  /// The data value at pixel `p` along an axis drawn across `lo...hi` pixels.
  static func value(_ axis: AxisSpec, at f: Double) -> Double {
    let (lo, hi) = axis.transformedRange
    let t = lo + f * (hi - lo)
    return axis.scale == .log ? pow(10, t) : t
  }

  @Test func aDragMovesEveryPanelsStepsAndItsRowsValues() throws {
    let (start, rects) = try Self.setUp()
    var nav = start
    let before = nav.figure
    let r = rects[0]
    let a = PixelPoint(r.x + r.width / 2, r.y + r.height / 2)
    nav.pan(panel: 0, from: a, to: PixelPoint(a.x + r.width / 4, a.y - r.height / 2), rects: rects)
    let after = nav.figure
    // x: every panel, by a quarter of the span, to the left (the content follows the mouse).
    let span = before.panels[0].x.range.upperBound - before.panels[0].x.range.lowerBound
    for (b, p) in zip(before.panels, after.panels) {
      #expect(abs(p.x.range.lowerBound - (b.x.range.lowerBound - span / 4)) < 1e-9 * span)
      #expect(abs(p.x.range.upperBound - (b.x.range.upperBound - span / 4)) < 1e-9 * span)
    }
    // y: the dragged panel's metric row moves down by half its span (mouse up), row 2 stays.
    let ySpan = before.panels[0].y.range.upperBound - before.panels[0].y.range.lowerBound
    for i in [0, 1] {
      #expect(abs(after.panels[i].y.range.lowerBound - (before.panels[i].y.range.lowerBound - ySpan / 2)) < 1e-9 * ySpan)
    }
    #expect(after.panels[2].y.range == before.panels[2].y.range && after.panels[3].y.range == before.panels[3].y.range)
    nav.reset()
    #expect(nav.figure == before)
  }

  @Test func theWheelZoomsAboutTheCursorBothAxesOrOne() throws {
    let (start, rects) = try Self.setUp()
    var nav = start
    let r = rects[3]
    let p = PixelPoint(r.x + 0.3 * r.width, r.y + 0.6 * r.height)
    let fx = 0.3, fy = 0.4  // y grows upwards
    let before = nav.figure.panels[3]
    nav.zoom(panel: 3, steps: 2, at: p, rects: rects)
    let after = nav.figure.panels[3]
    // The value under the cursor stays under it; the spans shrink to 0.8^2.
    #expect(abs(Self.value(after.x, at: fx) - Self.value(before.x, at: fx)) < 1e-9 * 490)
    #expect(abs(Self.value(after.y, at: fy) - Self.value(before.y, at: fy)) < 1e-9)
    let ratio = (after.x.range.upperBound - after.x.range.lowerBound) / (before.x.range.upperBound - before.x.range.lowerBound)
    #expect(abs(ratio - 0.64) < 1e-12)
    // Row 1 (panels 0, 1) keeps its y; every panel takes the new x.
    #expect(nav.figure.panels[0].y.range == start.figure.panels[0].y.range)
    #expect(Set(nav.figure.panels.map(\.x.range)).count == 1)
    // x only: y unchanged.
    var xOnly = start
    xOnly.zoom(panel: 3, steps: -1, at: p, rects: rects, axes: .x)
    #expect(xOnly.figure.panels[3].y.range == before.y.range)
    #expect(xOnly.figure.panels[3].x.range.upperBound - xOnly.figure.panels[3].x.range.lowerBound > 490)
  }

  @Test func onLogAxesTheZoomIsAboutTheCursorInLogSpace() throws {
    var o = DynamicsFigure.Options()
    o.logX = true
    let (start, rects) = try Self.setUp(o)
    var nav = start
    let r = rects[0]
    let before = nav.figure.panels[0].x
    #expect(before.scale == .log)
    nav.zoom(panel: 0, steps: 3, at: PixelPoint(r.x + 0.75 * r.width, r.maxY - 1), rects: rects, axes: .x)
    let after = nav.figure.panels[0].x
    #expect(after.range.lowerBound > 0)
    let under = Self.value(after, at: 0.75), was = Self.value(before, at: 0.75)
    #expect(abs(under / was - 1) < 1e-9, "\(under) vs \(was)")
    let decades = { (a: AxisSpec) in log10(a.range.upperBound) - log10(a.range.lowerBound) }
    #expect(abs(decades(after) / decades(before) - pow(0.8, 3)) < 1e-9)
  }

  @Test func theReadoutReadsEachMeanLineAtTheNearestSample() throws {
    let (nav, rects) = try Self.setUp()
    let f = nav.figure
    let i = 2  // row 2, group a: titled by its column
    let panel = f.panels[i], r = rects[i]
    // The cursor over step 203: the nearest sample is 200.
    let fx = (203 - panel.x.range.lowerBound) / (panel.x.range.upperBound - panel.x.range.lowerBound)
    let readout = try #require(nav.readout(at: PixelPoint(r.x + fx * r.width, r.y + r.height / 2), rects: rects))
    #expect(readout.panel == i && readout.step == 200)
    #expect(readout.lines.first == "a (n=3 seeds)")
    #expect(readout.lines[1] == "step 200")
    for l in panel.lines where l.role == .mean {
      let k = try #require(l.x.firstIndex(of: 200))
      #expect(readout.lines.contains("\(l.name) \(Picker.format(l.y[k], integer: false))"), "\(readout.lines)")
    }
    #expect(readout.lines.count == 2 + panel.lines.filter { $0.role == .mean }.count)
    #expect(readout.dots.count == 2)
    // Outside every panel: none.
    #expect(nav.readout(at: PixelPoint(2, 2), rects: rects) == nil)
  }

  @Test func theNearestSampleSkipsMissingValuesAndComparesInTheAxisSpace() {
    let lin = AxisSpec(title: "step", range: 1...1000)
    let xs: [Double] = [1, 10, 100, 1000], ys: [Double] = [1, .nan, 3, 4]
    #expect(PanelNavigator.nearest(xs, ys, to: 11, on: lin) == 0)  // 10 is missing
    #expect(PanelNavigator.nearest(xs, ys, to: 60, on: lin) == 2)
    #expect(PanelNavigator.nearest(xs, ys, to: 5000, on: lin) == 3)
    #expect(PanelNavigator.nearest(xs, ys, to: -5, on: lin) == 0)
    // On a log axis 40 is nearer 100 than 1 (and nearer 10, which is missing).
    let log = AxisSpec(title: "step", scale: .log, range: 1...1000)
    #expect(PanelNavigator.nearest(xs, ys, to: 4, on: log) == 0)
    #expect(PanelNavigator.nearest(xs, ys, to: 40, on: log) == 2)
    #expect(PanelNavigator.nearest([], [], to: 1, on: lin) == nil)
    #expect(PanelNavigator.nearest([1, 2], [.nan, .nan], to: 1, on: lin) == nil)
  }

  @Test func theAKeyHidesStagesAndMarks() throws {
    var o = DynamicsFigure.Options()
    o.annotations = AnnotationSpec(stagesKey: "stage", marks: [StepMark(step: 250, label: "mid")])
    var (nav, _) = try Self.setUp(o)
    #expect(nav.hasAnnotations)
    nav.annotationsHidden = true
    #expect(nav.figure.panels.allSatisfy { $0.stages.isEmpty && $0.marks.isEmpty })
    nav.annotationsHidden = false
    #expect(nav.figure == nav.original)
  }
}
