import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

extension InterpolationMethod: ExpressibleByArgument {}

extension Render {
  struct RewardLandscape: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reward-landscape",
      abstract: "An RL run's trajectory (step, loss, reward) coloured by step, over its reward surface interpolated on an N x N grid.",
      discussion: """
        The surface is the reward interpolated over the trajectory's step and loss ranges
        (Delaunay triangulation + linear interpolation, as scipy.interpolate.griddata; or
        Clough-Tocher cubic, or Sibson natural neighbour), drawn semi-transparent. Cells outside
        the trajectory's convex hull are holes. Degenerate input (fewer than 3 distinct points,
        all on a line) gives a note and the trajectory alone.
        """)

    @Argument(help: "The metrics file or run directory of an RL run.")
    var path: String

    @OptionGroup var inputFormat: InputFormatOptions

    @Option(help: "The loss metric (default: from the naming rules; see docs/input-naming.md).")
    var lossKey: String?

    @Option(help: "The reward metric (default: from the naming rules, e.g. reward, rewards/mean, rewards/margins).")
    var rewardKey: String?

    @Option(parsing: .unconditional, help: "Grid size N of the interpolated surface (N x N).")
    var grid: Int = 30

    @Option(help: "Interpolation: linear, cubic or natural.")
    var interp: InterpolationMethod = .linear

    @Flag(help: "Draw the trajectory without the interpolated surface.")
    var noSurface = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var contours: ContourOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if !(2...1000).contains(grid) { throw ValidationError("--grid must be between 2 and 1000") }
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let run = try loadRun(path, last: series.last, input: inputFormat)
      var o = RewardLandscapeRecipe.Options()
      o.lossKey = lossKey
      o.rewardKey = rewardKey
      o.builder.gridSize = grid
      o.builder.method = interp
      o.builder.showSurface = !noSurface
      if let c = output.colormap.flatMap(Colormap.named) { o.builder.trajectoryColormap = c }
      o.builder.camera = output.camera(default: o.builder.camera)
      o.builder.title = output.title
      o.series = series.settings
      let out = try core { try RewardLandscapeRecipe.scene(run: run, options: o) }
      report(out)
      return (contours.apply(to: out.scene), out.name)
    }
  }
}
