/// The layer x step surface of a metric family (gradient norms per layer, or any other
/// `PREFIX/layer_N` family): x = training step, y = layer index, z = value.
public enum GradientFlowBuilder {
  public struct Options: Sendable {
    public var logZ: ScaleChoice = .auto
    /// Divide every layer by its own largest finite value, to compare shapes across layers.
    public var normalizePerLayer = false
    public var colormap: Colormap = .plasma
    public var camera = Camera(eye: Vec3(1.5, -1.5, 1.2))
    public var title: String?
    /// Said in the default title after the family (e.g. "estimated from histograms").
    public var titleNote: String?
    public init() {}
  }

  /// "Gradient flow: FAMILY - RUN" for gradient families, "Per-layer FAMILY - RUN" for others.
  static func defaultTitle(family: String, runName: String, options: Options) -> String {
    let what = family.lowercased().contains("grad") ? "Gradient flow: \(family)" : "Per-layer \(family)"
    return "\(what)\(options.titleNote.map { " (\($0))" } ?? "") - \(runName)"
  }

  /// - Parameters:
  ///   - steps: the step of each column, ascending.
  ///   - layers: the layer index of each row, ascending.
  ///   - values: `layers.count * steps.count` values, row-major by layer; NaN where missing.
  ///   - family: the metric family's name (axis and colour-bar title).
  ///   - runName: shown in the title.
  public static func scene(
    steps: [Int64], layers: [Int], values: [Double], family: String, runName: String,
    options: Options = Options()
  ) throws -> Scene {
    guard values.count == steps.count * layers.count else {
      throw BuilderError("internal: \(values.count) values for \(layers.count) layers x \(steps.count) steps")
    }
    guard steps.count >= 2, layers.count >= 2 else {
      throw BuilderError(
        "gradient flow needs at least 2 layers and 2 steps of '\(family)'; found \(layers.count) layer(s) and \(steps.count) step(s)")
    }
    var z = values
    var notes: [String] = []
    var zTitle = family
    if options.normalizePerLayer {
      for r in 0..<layers.count {
        let row = r * steps.count..<(r + 1) * steps.count
        let peak = z[row].filter(\.isFinite).map(abs).max() ?? 0
        if peak > 0 { for i in row { z[i] /= peak } }
      }
      zTitle = "\(family) / layer max"
    }
    let scale = options.logZ.resolve(z)
    if scale == .log {
      let hidden = z.filter { $0.isFinite && $0 <= 0 }.count
      if hidden > 0 {
        notes.append("\(hidden) value(s) <= 0 cannot be shown on the log z axis and are left as holes")
        z = z.map { $0 > 0 ? $0 : .nan }
      }
    }
    let missing = z.filter { !$0.isFinite }.count
    if missing > 0 && notes.isEmpty {
      notes.append("\(missing) of \(z.count) cells have no finite value and are left as holes")
    }
    guard let zRange = finiteRange(z, scale: scale) else {
      throw BuilderError("'\(family)' has no finite values to draw")
    }
    let rows = layers.count, cols = steps.count
    var xs = [Double](repeating: 0, count: rows * cols)
    var ys = xs
    for r in 0..<rows {
      for c in 0..<cols {
        xs[r * cols + c] = Double(steps[c])
        ys[r * cols + c] = Double(layers[r])
      }
    }
    let surface = SurfaceTrace(
      name: family, rows: rows, cols: cols, x: xs, y: ys, z: z, colormap: options.colormap,
      colorRange: zRange, colorScale: scale)
    return Scene(
      title: options.title ?? defaultTitle(family: family, runName: runName, options: options),
      traces: [.surface(surface)],
      x: AxisSpec(
        title: "Training step", range: Double(steps.first!)...Double(steps.last!), integer: true),
      y: AxisSpec(
        title: "Layer", range: Double(layers.first!)...Double(layers.last!), integer: true),
      z: AxisSpec(title: zTitle, scale: scale, range: zRange),
      camera: options.camera,
      colorBar: ColorBar(title: zTitle, colormap: options.colormap, range: zRange, scale: scale),
      notes: notes)
  }
}
