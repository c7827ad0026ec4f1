import Foundation
import Testing
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeTestSupport

/// Scatter lines with Plotly's dash patterns: along a horizontal line, a solid one is red all
/// the way, a dashed one has gaps, and longer patterns have longer dashes.
@Suite(.tiered) struct LineDashRenderTests {
  @Test(.tags(.egl)) func dashesLeaveGaps() throws {
    try withRenderer { r in
      func runs(_ dash: LineDash) throws -> [Int] {
        var t = ScatterTrace(
          name: "", x: [0, 1], y: [0.5, 0.5], z: [0.5, 0.5], colors: .solid(RGBColor(r: 1, g: 0, b: 0)), mode: .lines, lineWidth: 4)
        t.lineDash = dash
        let s = Scene(
          title: "", traces: [.scatter(t)], x: AxisSpec(title: "", range: 0...1), y: AxisSpec(title: "", range: 0...1),
          z: AxisSpec(title: "", range: 0...1), camera: Camera(eye: Vec3(0, -2.5, 0.01)))
        let image = try r.render(s, width: 640, height: 360)
        let frame = FigureLayoutBuilder.layout(s, width: 640, height: 360)
        let a = frame.project(s.normalized(0.1, 0.5, 0.5))!, b = frame.project(s.normalized(0.9, 0.5, 0.5))!
        let y = Int(((a.y + b.y) / 2).rounded())
        // Lengths of the red runs along the line.
        var out: [Int] = [], run = 0
        for x in Int(a.x.rounded())...Int(b.x.rounded()) {
          let p = image.rgb(x, y)
          if p.0 > 180 && p.1 < 90 && p.2 < 90 { run += 1 } else if run > 0 { out.append(run); run = 0 }
        }
        if run > 0 { out.append(run) }
        return out
      }
      let solid = try runs(.solid), dot = try runs(.dot), dash = try runs(.dash), long = try runs(.longdash)
      #expect(solid.count == 1, "solid: \(solid)")
      #expect(dot.count > 10 && dash.count > 5 && long.count < dash.count && dash.count < dot.count, "dot \(dot.count), dash \(dash.count), longdash \(long.count)")
      #expect((dash.max() ?? 0) > (dot.max() ?? 0) && (long.max() ?? 0) > (dash.max() ?? 0), "dot \(dot), dash \(dash), long \(long)")
    }
  }
}
