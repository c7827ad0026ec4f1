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

    @Option(help: "The loss metric (default: the first of \(MetricCandidates.loss.joined(separator: ", "))).")
    var lossKey: String?

    @Option(help: "The reward metric (default: the first of \(MetricCandidates.reward.joined(separator: ", "))).")
    var rewardKey: String?

    @Option(help: "Grid size N of the interpolated surface (N x N).")
    var grid: Int = 30

    @Option(help: "Interpolation: linear, cubic or natural.")
    var interp: InterpolationMethod = .linear

    @Flag(help: "Draw the trajectory without the interpolated surface.")
    var noSurface = false

    @OptionGroup var series: SeriesOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
      if !(2...1000).contains(grid) { throw ValidationError("--grid must be between 2 and 1000") }
    }

    func run() throws { try renderScene() }

    func makeScene() throws -> (Scene, String) {
      let (loaded, runInfo) = try loadRun(path, input: inputFormat)
      let buffer = series.select(loaded)
      let keys = Set(buffer.rows.flatMap { $0.values.keys })
      let lk = try pickKey(lossKey, MetricCandidates.loss, in: keys, what: "loss", flag: "--loss-key", file: path)
      let rk = try pickKey(rewardKey, MetricCandidates.reward, in: keys, what: "reward", flag: "--reward-key", file: path)
      var steps: [Int64] = [], loss: [Double] = [], reward: [Double] = []
      for row in buffer.rows {
        guard let l = row.values[lk], let r = row.values[rk] else { continue }
        steps.append(row.step)
        loss.append(l)
        reward.append(r)
      }
      loss = series.smooth(loss)
      reward = series.smooth(reward)
      let keep = series.downsample(reward, what: runInfo.name)
      if keep.count < steps.count {
        steps = keep.map { steps[$0] }
        loss = keep.map { loss[$0] }
        reward = keep.map { reward[$0] }
      }
      var options = RewardLandscapeBuilder.Options()
      options.gridSize = grid
      options.method = interp
      options.showSurface = !noSurface
      options.names = (loss: lk, reward: rk)
      if let c = output.colormap.flatMap(Colormap.named) { options.trajectoryColormap = c }
      options.camera = output.camera(default: options.camera)
      options.title = output.title
      let scene = try RewardLandscapeBuilder.scene(
        steps: steps, loss: loss, reward: reward, runName: runInfo.name, options: options)
      return (scene, runInfo.name)
    }
  }
}
