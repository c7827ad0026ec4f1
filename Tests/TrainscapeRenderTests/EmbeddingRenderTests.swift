import Foundation
import Testing
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO
import TrainscapeTestSupport

/// A path through 40 checkpoints in 16 dimensions (a widening helix plus drift), as nanochat's
/// `create_3d_embedding_trajectory` draws it: PCA to 3D, Rainbow by training progress.
func rainbowTrajectoryScene() throws -> (Scene, EmbeddingRecipe.Layout) {
  let t = 40, d = 16
  var data: [Double] = []
  for c in 0..<t {
    let a = Double(c) * 0.35
    for j in 0..<d {
      let v: Double
      switch j % 4 {
      case 0: v = cos(a) * (1 + Double(c) * 0.05)
      case 1: v = sin(a) * (1 + Double(c) * 0.05)
      case 2: v = Double(c) * 0.08
      default: v = 0.1 * sin(Double(c * (j + 1)) * 0.7)
      }
      data.append(v * Double(1 + j % 3))
    }
  }
  let input = EmbeddingSnapshots(
    name: "helix", checkpoints: (0..<t).map { .init(name: "checkpoint \($0)", epoch: $0) }, points: 1, dimensions: d,
    data: data)
  let layout = try EmbeddingRecipe.layout(input)
  return (try EmbeddingRecipe.trajectoryScene(layout), layout)
}

@Suite(.serialized, .tiered) struct EmbeddingRenderTests {
  /// Golden: tolerance as the other goldens (channel difference 2+, at most a small share of
  /// pixels); content: the path's first and last points carry Rainbow's ends, the colour bar
  /// says "Training progress", the legend names the start and end markers.
  @Test(.tags(.egl)) func rainbowPCATrajectoryMatchesGoldenAndReadsRight() throws {
    try withRenderer { r in try checkRainbow(r) }
  }

  private func checkRainbow(_ r: HeadlessRenderer) throws {
    let (scene, layout) = try rainbowTrajectoryScene()
    let image = try r.render(scene, width: 400, height: 300)
    try goldens.assertMatches(image, golden: "embedding_rainbow_pca_400x300")
    let frame = FigureLayoutBuilder.layout(scene, width: 400, height: 300)
    let legend = frame.labels.filter { $0.role == .legend }.map(\.text)
    #expect(legend == ["helix", "start: epoch 0", "end: epoch 39"])
    #expect(frame.labels.contains { $0.text == "Training progress" })
    #expect(scene.colorBar?.colormap.name == "Rainbow")
    // Just outside the start ring and inside the end disc: Rainbow's first and last colours
    // (the start ring is grey; the line under it starts purple).
    let c = layout.coordinates[0]
    let last = layout.coordinates[layout.count - 1]
    let end = frame.project(scene.normalized(last[0], last[1], last[2]))!
    let px = image.rgb(Int(end.x), Int(end.y))
    #expect(abs(px.0 - 255) + px.1 + px.2 < 90, "end marker is \(px), Rainbow ends in rgb(255, 0, 0)")
    let start = frame.project(scene.normalized(c[0], c[1], c[2]))!
    let centre = image.rgb(Int(start.x), Int(start.y))
    // The ring is open: its centre shows the path's first colour (rgb(150, 0, 90)) or the
    // background, never the ring's grey.
    #expect(!(abs(centre.0 - 64) < 12 && abs(centre.1 - 64) < 12 && abs(centre.2 - 64) < 12), "start ring centre is \(centre)")
  }

  /// Marker symbols as drawn: a disc is filled, a ring is open in the middle, a cross has an
  /// empty centre of its edges and a filled centre.
  @Test(.tags(.egl)) func markerSymbols() throws {
    try withRenderer { r in try checkSymbols(r) }
  }

  private func checkSymbols(_ r: HeadlessRenderer) throws {
    let red = RGBColor(r: 1, g: 0, b: 0)
    func scene(_ symbol: ScatterTrace.Symbol) -> Scene {
      Scene(
        title: "", traces: [.scatter(ScatterTrace(name: "", x: [0.5], y: [0.5], z: [0.5], colors: .solid(red), mode: .markers, markerSize: 40, symbol: symbol))],
        x: AxisSpec(title: "", range: 0...1), y: AxisSpec(title: "", range: 0...1), z: AxisSpec(title: "", range: 0...1),
        camera: Camera(eye: Vec3(0, 0.01, 2.5)))
    }
    func isRed(_ p: (Int, Int, Int)) -> Bool { p.0 > 200 && p.1 < 60 && p.2 < 60 }
    for symbol in ScatterTrace.Symbol.allCases {
      let s = scene(symbol)
      let image = try r.render(s, width: 320, height: 240)
      let frame = FigureLayoutBuilder.layout(s, width: 320, height: 240)
      let p = frame.project(s.normalized(0.5, 0.5, 0.5))!
      let (cx, cy) = (Int(p.x.rounded()), Int(p.y.rounded()))
      let radius = Int((20 * max(frame.unit, 0.6)).rounded())
      let centre = image.rgb(cx, cy)
      let nearEdge = image.rgb(cx + radius - 3, cy)  // on the horizontal, close to the rim
      let diagonal = image.rgb(cx + radius / 3, cy + radius / 3)
      // Five eighths of the radius out on the horizontal: inside every filled shape and on every
      // outline of the new symbols (the 1-pixel anti-aliased rims are avoided).
      let mid = image.rgb(cx + radius * 5 / 8, cy)
      // Five eighths of the radius along both axes: inside a square, outside a diamond.
      let corner = image.rgb(cx + radius * 5 / 8, cy + radius * 5 / 8)
      switch symbol {
      case .circle:
        #expect(isRed(centre) && isRed(nearEdge) && isRed(diagonal), "disc: \(centre) \(nearEdge) \(diagonal)")
      case .ring:
        #expect(!isRed(centre) && isRed(nearEdge), "ring: centre \(centre), rim \(nearEdge)")
      case .cross:
        #expect(isRed(centre) && isRed(diagonal) && !isRed(nearEdge), "cross: centre \(centre), diagonal \(diagonal), side \(nearEdge)")
      case .square:
        #expect(isRed(centre) && isRed(mid) && isRed(corner), "square: \(centre) \(mid) \(corner)")
      case .squareOpen:
        #expect(!isRed(centre) && isRed(mid) && isRed(corner), "open square: \(centre) \(mid) \(corner)")
      case .diamond:
        #expect(isRed(centre) && isRed(mid) && !isRed(corner), "diamond: \(centre) \(mid) \(corner)")
      case .diamondOpen:
        #expect(!isRed(centre) && isRed(mid) && !isRed(corner), "open diamond: \(centre) \(mid) \(corner)")
      case .plus:
        #expect(isRed(centre) && isRed(mid) && !isRed(diagonal), "plus: centre \(centre), side \(mid), diagonal \(diagonal)")
      }
    }
  }
}
