import Foundation

/// `histogram`: step x value x density of one histogram tag or a family of tags (all of a
/// model's gradients), the surface TensorBoard's histogram dashboard suggests with offset
/// ridges.
public enum HistogramRecipe {
  public struct Options: Sendable {
    /// `--tag`: one histogram tag.
    public var tag: String?
    /// `--family`: every tag of a family (its layers and extras), counts summed per step.
    public var family: String?
    /// Value buckets of the common grid every step is redistributed onto.
    public var bins = 80
    public var logZ: ScaleChoice = .off
    public var colormap: Colormap = .viridis
    public var camera = Camera(eye: Vec3(1.6, -1.4, 1.1))
    public var title: String?
    public var series = SeriesSettings()
    /// For the frames of `animate`: data through an early step may cover fewer than 2 steps.
    /// One step is drawn as its density curve (a line at that step), none as empty axes,
    /// instead of the error `render` gives.
    public var partialFrames = false
    public init() {}
  }

  /// The tags to draw and their name: `--tag`, `--family`, the only tag, or the one best family
  /// of tags (gradient families first).
  public static func choose(_ tags: [String], options: Options, run: String) throws -> (tags: [String], name: String) {
    guard !tags.isEmpty else {
      throw RoleError("\(run): no histograms (TensorBoard add_histogram, wandb.Histogram or wandb.watch); `trainscape info` lists what the run has")
    }
    if let t = options.tag {
      guard tags.contains(t) else {
        throw RoleError("\(run): no histogram '\(t)'\(MetricRoles.suggestion(for: t, in: tags)); histograms: \(MetricRoles.listed(tags))")
      }
      return ([t], t)
    }
    let families = LayerFamilies.detect(in: tags)
    if let name = options.family {
      guard let f = LayerFamilies.family(named: name, in: tags) else {
        throw RoleError("\(run): no histogram family '\(name)'; families: \(GradientFlowRecipe.describe(families))")
      }
      return (f.allKeys + f.extras.map(\.key), f.prefix)
    }
    if tags.count == 1 { return (tags, tags[0]) }
    if let best = families.map(GradientFlowRecipe.rank).min() {
      let top = families.filter { GradientFlowRecipe.rank($0) == best }
      if top.count == 1 { return (top[0].allKeys + top[0].extras.map(\.key), top[0].prefix) }
      throw RoleError("\(run): \(top.count) histogram families: \(GradientFlowRecipe.describe(top)); choose one with --family NAME or --tag TAG")
    }
    throw RoleError("\(run): \(tags.count) histogram tags and no family among them; choose one with --tag TAG: \(MetricRoles.listed(tags))")
  }

  public static func scene(run: Run, options: Options) throws -> RecipeOutput {
    let (tags, name) = try choose(run.histograms.keys.sorted(), options: options, run: run.name)
    var notes: [String] = []
    // The samples per step (in --steps), all chosen tags.
    var byStep: [Int64: [HistogramSample]] = [:]
    for t in tags {
      for h in run.histograms[t] ?? [] where options.series.stepRange?.contains(h.step) ?? true {
        byStep[h.step, default: []].append(h)
      }
    }
    var steps = byStep.keys.sorted()
    if let n = options.series.last, steps.count > n {
      notes.append("\(name): kept the last \(n) of \(steps.count) steps (--last \(n))")
      steps = Array(steps.suffix(n))
    }
    if steps.count > options.series.maxSteps {
      let stride = (steps.count + options.series.maxSteps - 1) / options.series.maxSteps
      let kept = Swift.stride(from: 0, to: steps.count, by: stride).map { steps[$0] } + (steps.count % stride == 1 ? [] : [steps.last!])
      notes.append("\(name): \(steps.count) steps thinned to \(kept.count) (every \(stride)th and the last; --max-steps \(options.series.maxSteps))")
      steps = Array(Set(kept)).sorted()
    }
    guard steps.count >= 2 || (options.partialFrames && !steps.isEmpty) else {
      if options.partialFrames {
        let scene = Scene(
          title: options.title ?? "\(tags.count == 1 ? "Histogram: \(name)" : "Histograms: \(name) (\(tags.count) tags)") - \(run.name)",
          traces: [], x: AxisSpec(title: "Training step", range: 0...1, integer: true), y: AxisSpec(title: name, range: 0...1),
          z: AxisSpec(title: "Density", range: 0...1), camera: options.camera, colorBar: nil, notes: [])
        return RecipeOutput(scene: scene, name: run.name, keysLine: "keys: histograms (no step yet, run \(run.name))", notes: [])
      }
      throw BuilderError("\(run.name): the histogram surface needs at least 2 steps of '\(name)'; found \(steps.count)")
    }
    var lo = Double.infinity, hi = -Double.infinity
    for s in steps {
      for h in byStep[s]! {
        if let (a, b) = h.support {
          lo = Swift.min(lo, a)
          hi = Swift.max(hi, b)
        }
      }
    }
    guard lo.isFinite, hi.isFinite else { throw BuilderError("\(run.name): the histograms of '\(name)' are empty") }
    if !(hi > lo) {
      lo -= 0.5
      hi += 0.5
    }
    let bins = Swift.max(2, options.bins)
    let grid = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
    let width = (hi - lo) / Double(bins)
    let centers = (0..<bins).map { (grid[$0] + grid[$0 + 1]) / 2 }
    // rows = value buckets, cols = steps.
    var z = [Double](repeating: 0, count: bins * steps.count)
    for (c, s) in steps.enumerated() {
      var counts = [Double](repeating: 0, count: bins)
      for h in byStep[s]! {
        for (i, v) in h.rebinned(onto: grid).enumerated() { counts[i] += v }
      }
      let total = counts.reduce(0, +)
      for r in 0..<bins { z[r * steps.count + c] = total > 0 ? counts[r] / (total * width) : .nan }
    }
    let scale = options.logZ.resolve(z, decades: 3)
    if scale == .log {
      let zeros = z.filter { $0.isFinite && $0 <= 0 }.count
      if zeros > 0 {
        notes.append("\(zeros) empty cell(s) cannot be shown on the log z axis and are left as holes")
        z = z.map { $0 > 0 ? $0 : .nan }
      }
    }
    guard let zRange = finiteRange(z, scale: scale) else { throw BuilderError("\(run.name): no histogram values to draw") }
    var xs = [Double](repeating: 0, count: z.count), ys = xs
    for r in 0..<bins {
      for c in steps.indices {
        xs[r * steps.count + c] = Double(steps[c])
        ys[r * steps.count + c] = centers[r]
      }
    }
    notes.append("\(name): \(tags.count) tag(s), each step redistributed onto \(bins) buckets of width \(fmt(width)) over \(fmt(lo))...\(fmt(hi)); z = probability density")
    let trace: Trace
    if steps.count == 1 {
      // An animation frame through the first histogram step: its density curve.
      trace = .scatter(
        ScatterTrace(
          name: name, x: xs, y: ys, z: z, colors: .scalar(z, colormap: options.colormap, range: zRange, scale: scale),
          mode: .lines, lineWidth: 3))
    } else {
      trace = .surface(
        SurfaceTrace(
          name: name, rows: bins, cols: steps.count, x: xs, y: ys, z: z, colormap: options.colormap,
          colorRange: zRange, colorScale: scale))
    }
    let what = tags.count == 1 ? "Histogram: \(name)" : "Histograms: \(name) (\(tags.count) tags)"
    let scene = Scene(
      title: options.title ?? "\(what) - \(run.name)",
      traces: [trace],
      x: AxisSpec(
        title: "Training step", range: steps.count == 1 ? Double(steps[0]) - 0.5...Double(steps[0]) + 0.5 : Double(steps.first!)...Double(steps.last!),
        integer: true),
      y: AxisSpec(title: name, range: lo...hi),
      z: AxisSpec(title: "Density", scale: scale, range: zRange),
      camera: options.camera,
      colorBar: ColorBar(title: "Density", colormap: options.colormap, range: zRange, scale: scale),
      notes: [])
    let shown = tags.prefix(3).joined(separator: ", ") + (tags.count > 3 ? ", ..." : "")
    return RecipeOutput(scene: scene, name: run.name, keysLine: "keys: histograms \(shown) (\(tags.count) tag(s), run \(run.name))", notes: notes)
  }

  /// The steps the chosen histograms cover (for `animate`).
  public static func steps(run: Run, options: Options) throws -> [Int64] {
    let (tags, _) = try choose(run.histograms.keys.sorted(), options: options, run: run.name)
    return Set(tags.flatMap { run.histograms[$0]?.map(\.step) ?? [] }).sorted()
  }
}

extension GradientFlowRecipe {
  /// The run's per-tag L2 norms estimated from its histograms, as rows (tag -> norm), and the
  /// largest relative error bound over them (0 when every histogram had its exact sum of
  /// squares).
  public static func histogramNormRows(_ run: Run) -> (rows: [MetricRow], bound: Double, exact: Bool) {
    var byStep: [Int64: [String: Double]] = [:]
    var bound = 0.0
    var exact = true
    for (tag, samples) in run.histograms {
      for h in samples {
        let n = h.l2Norm()
        byStep[h.step, default: [:]][tag] = n.value
        if !n.exact {
          exact = false
          if n.value > 0 { bound = Swift.max(bound, Swift.max(n.upper - n.value, n.value - n.lower) / n.value) }
        }
      }
    }
    return (byStep.keys.sorted().map { MetricRow(step: $0, values: byStep[$0]!) }, bound, exact)
  }
}
