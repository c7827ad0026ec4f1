/// The RL reward landscape of nanochat's `create_3d_rl_reward_landscape`: the training
/// trajectory (step, loss, reward) as a line with markers coloured by step (turbo), plus the
/// reward interpolated over an N x N grid spanning the trajectory's step and loss ranges,
/// drawn semi-transparent (opacity 0.6, RdYlGn). Cells outside the convex hull of the
/// trajectory's (step, loss) points are holes, as scipy's `griddata` gives NaN there.
public enum RewardLandscapeBuilder {
  public struct Options: Sendable {
    public var gridSize = 30
    public var method: InterpolationMethod = .linear
    public var showSurface = true
    public var surfaceOpacity = 0.6
    public var surfaceColormap: Colormap = .rdylgn
    public var trajectoryColormap: Colormap = .turbo
    public var camera = Camera(eye: Vec3(1.8, 1.8, 1.5))
    public var title: String?
    public var names = (loss: "Loss", reward: "Reward")
    public init() {}
  }

  public static func scene(
    steps: [Int64], loss: [Double], reward: [Double], runName: String, options: Options = Options()
  ) throws -> Scene {
    precondition(steps.count == loss.count && steps.count == reward.count)
    let keep = steps.indices.filter { loss[$0].isFinite && reward[$0].isFinite }
    guard keep.count >= 2 else {
      throw BuilderError("the reward landscape needs at least 2 steps with both loss and reward; found \(keep.count)")
    }
    let x = keep.map { Double(steps[$0]) }, y = keep.map { loss[$0] }, z = keep.map { reward[$0] }
    var notes: [String] = []
    if keep.count < steps.count {
      notes.append("\(steps.count - keep.count) step(s) without a finite loss and reward are left out")
    }
    let stepRange = x.min()!...x.max()!
    var traces: [Trace] = []
    if options.showSurface {
      let n = Swift.max(2, options.gridSize)
      let gx = (0..<n).map { stepRange.lowerBound + (stepRange.upperBound - stepRange.lowerBound) * Double($0) / Double(n - 1) }
      let lo = y.min()!, hi = y.max()!
      let gy = (0..<n).map { lo + (hi - lo) * Double($0) / Double(n - 1) }
      do {
        let grid = try ScatteredInterpolator.interpolate(
          x: x, y: y, values: z, gridX: gx, gridY: gy, method: options.method)
        var xs = [Double](repeating: 0, count: n * n), ys = xs
        for r in 0..<n {
          for c in 0..<n {
            xs[r * n + c] = gx[c]
            ys[r * n + c] = gy[r]
          }
        }
        if let zr = finiteRange(grid, scale: .linear) {
          traces.append(
            .surface(
              SurfaceTrace(
                name: "Reward landscape", rows: n, cols: n, x: xs, y: ys, z: grid,
                colormap: options.surfaceColormap, colorRange: zr, opacity: options.surfaceOpacity)))
          let holes = grid.filter(\.isNaN).count
          if holes > 0 {
            notes.append("\(holes) of \(n * n) grid cells lie outside the trajectory's convex hull and are left as holes")
          }
        } else {
          notes.append("the interpolated reward surface has no finite cell; showing the trajectory alone")
        }
      } catch let error as InterpolationError {
        notes.append("no reward surface: \(error.description); showing the trajectory alone")
      }
    }
    let text = keep.map { "step \(steps[$0]): loss \(fmt(loss[$0])), reward \(fmt(reward[$0]))" }
    traces.append(
      .scatter(
        ScatterTrace(
          name: "Training trajectory", x: x, y: y, z: z,
          colors: .scalar(x, colormap: options.trajectoryColormap, range: stepRange, scale: .linear),
          mode: .linesAndMarkers, markerSize: 5, lineWidth: 2, text: text)))
    var zValues = z
    for case .surface(let s) in traces { zValues += s.z }
    return Scene(
      title: options.title ?? "RL reward landscape - \(runName)",
      traces: traces,
      x: AxisSpec(title: "Training step", range: stepRange, integer: true),
      y: try axis(options.names.loss, y, scale: .linear),
      z: try axis(options.names.reward, zValues, scale: .linear),
      camera: options.camera,
      colorBar: ColorBar(title: "Step", colormap: options.trajectoryColormap, range: stepRange, scale: .linear),
      notes: notes)
  }
}
