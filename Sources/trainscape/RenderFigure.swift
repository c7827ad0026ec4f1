import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

/// `trainscape render figure FILE`: draws a Plotly figure JSON (e.g. a W&B `.plotly.json`
/// media file) or a W&B Object3D `.pts.json` with the headless renderer.
struct RenderFigure: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "figure",
    abstract: "Render a Plotly figure (.plotly.json, as W&B stores wandb.Plotly) or a W&B Object3D (.pts.json).",
    discussion: """
      Reads surface, scatter3d and mesh3d traces with plain or typed (base64) arrays, the
      camera, axis titles and log axes, colour scales and opacity. --camera-eye and --title
      override the figure's own. A figure of several scenes (scene, scene2, ...) is drawn as
      one panel per scene, each with its own axes, camera and colour bar.
      """)

  @Argument(help: "The figure file: Plotly JSON or W&B Object3D .pts.json.")
  var path: String

  @OptionGroup var contours: ContourOptions

  @OptionGroup var output: OutputOptions

  func run() throws {
    var name = URL(fileURLWithPath: path).lastPathComponent
    for ext in [".plotly.json", ".pts.json", ".json"] where name.hasSuffix(ext) {
      name = String(name.dropLast(ext.count))
      break
    }
    let scenes = try FigureImporter.scenes(path: path, budget: output.maxMemory)
    if scenes.count > 1 {
      // Several scenes: one panel each, side by side (a grid beyond three).
      var figure = FacetFigure.independent(title: output.title ?? scenes[0].title, panels: scenes)
      for i in figure.panels.indices { figure.panels[i].camera = output.camera(default: figure.panels[i].camera) }
      figure = contours.apply(to: figure)
      for n in figure.notes where ReportedLines.first(n) { log.notice("\(n)") }
      try output.renderAndWrite(figure, kind: "figure", runName: name, suffix: "")
      return
    }
    var scene = scenes[0]
    scene.camera = output.camera(default: scene.camera)
    if let t = output.title { scene.title = t }
    scene = contours.apply(to: scene)
    try output.renderAndWrite(scene, kind: "figure", runName: name)
  }
}
