import Foundation

/// The unified training path, as nanochat's `create_3d_loss_gradient_reward_space`:
/// with rewards, (loss, grad norm, reward) coloured by step (turbo); without, (step, loss,
/// grad norm) coloured by loss (viridis). Several runs are overlaid, each in its own colour
/// with a legend, since one colour scale cannot tell runs apart.
public enum TrajectoryBuilder {
  public struct RunSeries: Sendable {
    public var name: String
    public var steps: [Int64]
    public var loss: [Double]
    public var gradNorm: [Double]
    /// Empty when the run has no rewards.
    public var reward: [Double]
    public init(name: String, steps: [Int64], loss: [Double], gradNorm: [Double], reward: [Double] = []) {
      self.name = name
      self.steps = steps
      self.loss = loss
      self.gradNorm = gradNorm
      self.reward = reward
    }
  }

  public struct Options: Sendable {
    public var logLoss: ScaleChoice = .auto
    public var logGradNorm: ScaleChoice = .auto
    public var colormap: Colormap?
    public var camera = Camera(eye: Vec3(1.5, 1.5, 1.5))
    public var title: String?
    public var markerSize = 5.0
    public var lineWidth = 2.0
    public var names = (loss: "Loss", gradNorm: "Gradient norm", reward: "Reward")
    public init() {}
  }

  public static func scene(_ runs: [RunSeries], options: Options = Options()) throws -> Scene {
    let runs = runs.filter { !$0.steps.isEmpty }
    guard !runs.isEmpty else { throw BuilderError("no steps with loss and gradient norm to draw") }
    let withReward = runs.allSatisfy { !$0.reward.isEmpty }
    let allLoss = runs.flatMap(\.loss), allGrad = runs.flatMap(\.gradNorm)
    let lossScale = options.logLoss.resolve(allLoss, decades: 2)
    let gradScale = options.logGradNorm.resolve(allGrad, decades: 2)
    var traces: [Trace] = []
    var colorBar: ColorBar?
    let single = runs.count == 1
    let map = options.colormap ?? (withReward ? .turbo : .viridis)
    for (k, run) in runs.enumerated() {
      let x: [Double], y: [Double], z: [Double], colorValues: [Double]
      if withReward {
        x = run.loss; y = run.gradNorm; z = run.reward; colorValues = run.steps.map(Double.init)
      } else {
        x = run.steps.map(Double.init); y = run.loss; z = run.gradNorm; colorValues = run.loss
      }
      let colors: PointColors
      if single {
        let scale: AxisScale = withReward ? .linear : lossScale
        guard let r = finiteRange(colorValues, scale: scale) else {
          throw BuilderError("run \(run.name) has no finite values to colour by")
        }
        colors = .scalar(colorValues, colormap: map, range: r, scale: scale)
        colorBar = ColorBar(title: withReward ? "Step" : options.names.loss, colormap: map, range: r, scale: scale)
      } else {
        colors = .solid(Palette.color(k))
      }
      let text = run.steps.indices.map { i in
        "\(run.name) step \(run.steps[i]): loss \(fmt(run.loss[i])), grad norm \(fmt(run.gradNorm[i]))"
          + (withReward ? ", reward \(fmt(run.reward[i]))" : "")
      }
      var path = ScatterTrace(
        name: run.name, x: x, y: y, z: z, colors: colors, mode: .linesAndMarkers,
        markerSize: options.markerSize, lineWidth: options.lineWidth, text: text)
      if withReward { path.steps = run.steps }
      traces.append(.scatter(path))
    }
    let title: String
    let xAxis: AxisSpec, yAxis: AxisSpec, zAxis: AxisSpec
    if withReward {
      title = "Training dynamics: loss, gradient norm and reward"
      xAxis = try axis(options.names.loss, allLoss, scale: lossScale)
      yAxis = try axis(options.names.gradNorm, allGrad, scale: gradScale)
      zAxis = try axis(options.names.reward, runs.flatMap(\.reward), scale: .linear)
    } else {
      title = "Training dynamics: loss and gradient norm"
      xAxis = try axis("Training step", runs.flatMap { $0.steps.map(Double.init) }, scale: .linear, integer: true)
      yAxis = try axis(options.names.loss, allLoss, scale: lossScale)
      zAxis = try axis(options.names.gradNorm, allGrad, scale: gradScale)
    }
    return Scene(
      title: options.title ?? (single ? "\(title) - \(runs[0].name)" : title),
      traces: traces, x: xAxis, y: yAxis, z: zAxis, camera: options.camera, colorBar: colorBar,
      showLegend: !single)
  }
}

/// Short numbers for hover text and notes.
func fmt(_ v: Double) -> String {
  guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
  let a = abs(v)
  if a != 0 && (a < 1e-3 || a >= 1e6) {
    return String(format: "%.4g", v)
  }
  return String(format: "%.4f", v).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
}
