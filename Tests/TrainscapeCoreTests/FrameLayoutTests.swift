import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

func sampleScene(eye: Vec3 = Vec3(1.5, -1.5, 1.2), log: Bool = false) -> Scene {
  let rows = 6, cols = 9
  var x: [Double] = [], y: [Double] = [], z: [Double] = []
  for r in 0..<rows {
    for c in 0..<cols {
      x.append(Double(c * 100)); y.append(Double(r))
      z.append(log ? pow(10.0, Double(c) / 2 - 2) * Double(r + 1) : Double(r * c) / 10)
    }
  }
  let scale: AxisScale = log ? .log : .linear
  let zr = finiteRange(z, scale: scale)!
  let s = SurfaceTrace(name: "s", rows: rows, cols: cols, x: x, y: y, z: z, colormap: .viridis, colorRange: zr, colorScale: scale)
  return Scene(
    title: "Sample scene", traces: [.surface(s)],
    x: AxisSpec(title: "Training step", range: 0...800, integer: true),
    y: AxisSpec(title: "Layer", range: 0...5, integer: true),
    z: AxisSpec(title: "Value", scale: scale, range: zr),
    camera: Camera(eye: eye),
    colorBar: ColorBar(title: "Value", colormap: .viridis, range: zr, scale: scale))
}

@Suite(.tiered) struct FrameLayoutTests {
  @Test(arguments: [
    Vec3(1.5, -1.5, 1.2), Vec3(1.25, 1.25, 1.25), Vec3(-1.8, 0.4, 0.6), Vec3(0.3, 2.0, 0.2),
    Vec3(-1.2, -1.2, 1.6),
  ])
  func nothingIsClippedAtAnyCamera(eye: Vec3) {
    for (w, h) in [(1280, 720), (3840, 2160), (640, 480)] {
      let layout = FigureLayoutBuilder.layout(sampleScene(eye: eye), width: w, height: h)
      for label in layout.labels {
        #expect(label.bounds.x >= -0.5 && label.bounds.maxX <= Double(w) + 0.5,
                "\(label.role) '\(label.text)' at \(label.bounds) outside \(w)x\(h), eye \(eye)")
        #expect(label.bounds.y >= -0.5 && label.bounds.maxY <= Double(h) + 0.5,
                "\(label.role) '\(label.text)' at \(label.bounds) outside \(w)x\(h), eye \(eye)")
      }
      // The axes box itself is inside the image.
      for sx in [-0.5, 0.5] { for sy in [-0.5, 0.5] { for sz in [-0.5, 0.5] {
        let p = layout.project(Vec3(sx, sy, sz))!
        #expect(p.x >= 0 && p.x <= Double(w) && p.y >= 0 && p.y <= Double(h))
      } } }
    }
  }

  @Test func labelsCarryTheRealTickValues() {
    let layout = FigureLayoutBuilder.layout(sampleScene(), width: 1280, height: 720)
    let ticks = Set(layout.labels.filter { $0.role == .tickLabel }.map(\.text))
    // Step axis 0...800 and layers 0...5 have integer ticks.
    for t in TickGenerator.integerTicks(min: 0, max: 800) { #expect(ticks.contains(t.label)) }
    for t in TickGenerator.integerTicks(min: 0, max: 5) { #expect(ticks.contains(t.label)) }
    let titles = layout.labels.filter { $0.role == .axisTitle }.map(\.text)
    #expect(Set(titles) == ["Training step", "Layer", "Value"])
    #expect(layout.labels.contains { $0.role == .title && $0.text == "Sample scene" })
    #expect(layout.labels.contains { $0.role == .colorBarTitle })
    #expect(layout.colorBar != nil)
  }

  @Test func labelsDoNotOverlapEachOther() {
    for eye in [Vec3(1.5, -1.5, 1.2), Vec3(1.25, 1.25, 1.25)] {
      let labels = FigureLayoutBuilder.layout(sampleScene(eye: eye), width: 1280, height: 720).labels
      for i in 0..<labels.count {
        for j in (i + 1)..<labels.count {
          let a = labels[i].bounds, b = labels[j].bounds
          let overlap = a.x < b.maxX - 1 && b.x < a.maxX - 1 && a.y < b.maxY - 1 && b.y < a.maxY - 1
          #expect(!overlap, "'\(labels[i].text)' overlaps '\(labels[j].text)' at eye \(eye)")
        }
      }
    }
  }

  /// A whole turntable orbit (every 15 degrees, three elevations): no label overlaps another
  /// label or the colour bar, at 1280x720 and 640x480.
  @Test func labelsStayClearOfEachOtherAndTheColorBarAllAroundAnOrbit() {
    for (w, h) in [(1280, 720), (640, 480)] {
      for elevation in [10.0, 30.0, 60.0] {
        for k in 0..<24 {
          let a = Double(k) * 15 * .pi / 180, e = elevation * .pi / 180, d = 2.4
          let eye = Vec3(d * cos(e) * cos(a), d * cos(e) * sin(a), d * sin(e))
          let layout = FigureLayoutBuilder.layout(sampleScene(eye: eye), width: w, height: h)
          let labels = layout.labels
          var boxes = labels.map { ($0.text, $0.bounds) }
          if let cb = layout.colorBar { boxes.append(("colour bar", cb.rect)) }
          for i in 0..<boxes.count {
            for j in (i + 1)..<boxes.count {
              let a = boxes[i].1, b = boxes[j].1
              let overlap = a.x < b.maxX - 1 && b.x < a.maxX - 1 && a.y < b.maxY - 1 && b.y < a.maxY - 1
              #expect(!overlap, "'\(boxes[i].0)' overlaps '\(boxes[j].0)' at \(w)x\(h), azimuth \(k * 15), elevation \(elevation)")
            }
          }
        }
      }
    }
  }

  /// On a dark background the text, edges and grid turn light (the glyphs of every label
  /// carry the light text colour); a light background keeps the default; colours set by the
  /// caller are kept.
  @Test func textStaysReadableOnADarkBackground() throws {
    var scene = sampleScene()
    scene.background = try #require(RGBColor(hex: "#202020"))
    let dark = FigureLayoutBuilder.layout(scene, width: 1280, height: 720)
    #expect(!dark.glyphs.isEmpty)
    #expect(dark.glyphs.allSatisfy { $0.color.r > 0.8 && $0.color.g > 0.8 }, "\(Set(dark.glyphs.map { $0.color.r }))")
    let light = FigureLayoutBuilder.layout(sampleScene(), width: 1280, height: 720)
    #expect(light.glyphs.allSatisfy { $0.color == FigureStyle().textColor })
    #expect(FigureStyle().adapted(to: .white) == FigureStyle())
    var custom = FigureStyle()
    custom.textColor = RGBA(1, 0, 0)
    #expect(custom.adapted(to: scene.background) == custom)
    #expect(abs(RGBColor.white.luminance - 1) < 1e-12 && RGBColor(r: 0, g: 0, b: 0).luminance == 0)
  }

  @Test func logColorBarTicksArePowersOfTen() {
    let layout = FigureLayoutBuilder.layout(sampleScene(log: true), width: 1280, height: 720)
    let cb = layout.labels.filter { $0.role == .colorBarTick }.map(\.text)
    #expect(!cb.isEmpty)
    for label in cb {
      let v = Double(label)!
      let e = log10(v)
      #expect(abs(e - e.rounded()) < 1e-9, "colour-bar tick \(label) is not a power of ten")
    }
  }

  @Test func backPanesFaceAwayFromTheEye() {
    let layout = FigureLayoutBuilder.layout(sampleScene(eye: Vec3(1.5, -1.5, 1.2)), width: 800, height: 600)
    #expect(layout.panes.count == 3)
    // Seen from +x, -y, +z the back panes are x = -0.5, y = +0.5 and z = -0.5.
    let centers = layout.panes.map { q in q.corners.reduce(Vec3.zero, +) * 0.25 }
    #expect(centers.contains { abs($0.x + 0.5) < 1e-12 })
    #expect(centers.contains { abs($0.y - 0.5) < 1e-12 })
    #expect(centers.contains { abs($0.z + 0.5) < 1e-12 })
  }
}

import Foundation

/// Plotly's axis visibility as the layout draws it: a hidden axis has no edge, ticks, labels,
/// title, grid lines or wall; hidden grids and tick labels leave the rest; a wall takes its colour.
@Suite(.tiered) struct AxisVisibilityLayoutTests {
  func scene(_ edit: (inout Scene) -> Void) -> Scene {
    var s = Scene(
      title: "", traces: [.scatter(ScatterTrace(name: "p", x: [0, 1], y: [0, 1], z: [0, 1], colors: .solid(RGBColor(r: 0, g: 0, b: 1))))],
      x: AxisSpec(title: "x title", range: 0...1), y: AxisSpec(title: "y title", range: 0...1), z: AxisSpec(title: "z title", range: 0...1))
    edit(&s)
    return s
  }

  @Test func hiddenAxesGridsAndLabels() {
    let plain = FigureLayoutBuilder.layout(scene { _ in }, width: 640, height: 480)
    let hidden = FigureLayoutBuilder.layout(scene { s in s.x.visible = false; s.y.visible = false; s.z.visible = false }, width: 640, height: 480)
    #expect(plain.panes.count == 3 && !plain.sceneLines.isEmpty)
    #expect(hidden.panes.isEmpty && hidden.sceneLines.isEmpty, "\(hidden.panes.count) panes, \(hidden.sceneLines.count) lines")
    #expect(!hidden.labels.contains { $0.role == .tickLabel || $0.role == .axisTitle })
    #expect(plain.labels.contains { $0.text == "x title" })

    let noGrid = FigureLayoutBuilder.layout(scene { s in s.x.showGrid = false; s.y.showGrid = false; s.z.showGrid = false }, width: 640, height: 480)
    #expect(noGrid.panes.count == 3)
    #expect(noGrid.sceneLines.count < plain.sceneLines.count)
    let noLabels = FigureLayoutBuilder.layout(scene { s in s.z.showTickLabels = false }, width: 640, height: 480)
    #expect(noLabels.labels.filter { $0.role == .tickLabel }.count < plain.labels.filter { $0.role == .tickLabel }.count)
    #expect(noLabels.labels.contains { $0.text == "z title" })

    let wall = FigureLayoutBuilder.layout(scene { s in s.z.wallColor = RGBColor(r: 1, g: 0, b: 0) }, width: 640, height: 480)
    #expect(wall.panes.filter { $0.color == RGBA(RGBColor(r: 1, g: 0, b: 0)) }.count == 1)
  }
}
