/// `gradient-flow --facet-by`: one layer x step surface per run group, on shared axes, one
/// colour range and one camera (`FacetFigure`).
extension GradientFlowRecipe {
  /// The figure, what to say about the keys, and further notes for stderr.
  public struct Facets: Sendable {
    public var figure: FacetFigure
    public var keysLine: String
    public var notes: [String]
    /// A name for default output files: the grouping keys.
    public var name: String
  }

  /// One panel per group of `groups`. A group of several runs draws the mean, per layer and
  /// step, of its runs' values (each run smoothed first when --ema is given, as the dynamics
  /// kind averages smoothed seeds); cells no run has stay holes. The z scale (--log-z auto)
  /// is resolved once over every panel's values so that all panels share it.
  public static func facets(groups: RunGroups, options optionsIn: Options) throws -> Facets {
    var notes: [String] = []
    var keys: [String] = []
    var matrices: [(group: RunGroup, matrix: LayerStepMatrix, runs: Int)] = []
    for group in groups.groups {
      var runMatrices: [LayerStepMatrix] = []
      for run in groups.runs(in: group) {
        let (m, choice, runNotes) = try matrix(run: run, options: optionsIn)
        if !keys.contains(choice.description) { keys.append(choice.description) }
        notes += runNotes
        runMatrices.append(m)
      }
      let families = Set(runMatrices.map(\.family))
      if families.count > 1 {
        throw RoleError("\(group.label): its runs draw different families (\(families.sorted().joined(separator: ", "))); choose one with --family NAME")
      }
      var m = mean(runMatrices)
      if runMatrices.count > 1 {
        notes.append("\(group.label): the mean of \(runMatrices.count) runs per layer and step (\(groups.runs(in: group).map(\.name).joined(separator: ", ")))")
      }
      let maxSteps = optionsIn.series.maxSteps
      if m.steps.count > maxSteps {
        let before = m.steps.count
        m = m.downsampled(maxColumns: maxSteps)
        notes.append("\(group.label): \(before) steps downsampled to \(m.steps.count) columns keeping every layer's min and max per bucket (--max-steps \(maxSteps))")
      }
      matrices.append((group, m, runMatrices.count))
    }
    let families = Set(matrices.map(\.matrix.family))
    if families.count > 1 {
      throw RoleError("the groups draw different families (\(families.sorted().joined(separator: ", "))); choose one with --family NAME")
    }
    var builder = optionsIn.builder
    var all: [Double] = []
    for m in matrices { all += normalized(m.matrix, perLayer: builder.normalizePerLayer) }
    let scale = builder.logZ.resolve(all)
    builder.logZ = scale == .log ? .on : .off
    var panels: [Scene] = []
    for m in matrices {
      var b = builder
      let runs = m.runs == 1 ? "1 run" : "\(m.runs) runs, mean"
      b.title = "\(m.group.label) (\(runs))"
      panels.append(
        try GradientFlowBuilder.scene(
          steps: m.matrix.steps, layers: m.matrix.layers, values: m.matrix.values, family: m.matrix.family,
          runName: m.group.label, options: b))
    }
    let family = matrices.first?.matrix.family ?? ""
    let what = family.lowercased().contains("grad") ? "Gradient flow: \(family)" : "Per-layer \(family)"
    let keyNames = groups.keys.isEmpty ? "run" : groups.keys.joined(separator: ", ")
    let figure = FacetFigure.shared(
      title: optionsIn.builder.title ?? "\(what) by \(keyNames)", panels: panels)
    notes.append(
      "\(panels.count) panels by \(keyNames), one colour range \(Picker.format(figure.colorBar?.range.lowerBound ?? 0, integer: false))...\(Picker.format(figure.colorBar?.range.upperBound ?? 0, integer: false)) (\(scale == .log ? "log" : "linear")) and one camera for all")
    return Facets(
      figure: figure, keysLine: "keys: \(keys.joined(separator: "; ")) (\(groups.runs.count) runs in \(groups.groups.count) groups)",
      notes: notes, name: groups.keys.isEmpty ? "runs" : groups.keys.joined(separator: "_"))
  }

  /// One run's matrix as `scene` draws it, before downsampling.
  static func matrix(run runIn: Run, options optionsIn: Options) throws -> (LayerStepMatrix, Choice, [String]) {
    let (run, builder, sourceNotes) = try source(run: runIn, options: optionsIn)
    var options = optionsIn
    options.builder = builder
    let table = options.series.table(run)
    let choice = try choose(keys: table.keys, options: options, run: run.name)
    var m = table.layerStepMatrix(for: choice.family, reduce: choice.reduce)
    if let span = options.series.emaSpan, span > 1 { m = m.smoothed(span: span) }
    return (m, choice, sourceNotes + choice.notes)
  }

  /// The mean per layer and step over the finite values the matrices have there, on the
  /// union of their layers and steps (NaN where none has a value).
  static func mean(_ ms: [LayerStepMatrix]) -> LayerStepMatrix {
    if ms.count == 1 { return ms[0] }
    let layers = Array(Set(ms.flatMap(\.layers))).sorted()
    let steps = Array(Set(ms.flatMap(\.steps))).sorted()
    let li = Dictionary(uniqueKeysWithValues: layers.enumerated().map { ($1, $0) })
    let si = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1, $0) })
    var sum = [Double](repeating: 0, count: layers.count * steps.count)
    var count = [Int](repeating: 0, count: sum.count)
    for m in ms {
      for (a, layer) in m.layers.enumerated() {
        for (b, step) in m.steps.enumerated() {
          let v = m[layer: a, step: b]
          guard v.isFinite else { continue }
          let i = li[layer]! * steps.count + si[step]!
          sum[i] += v
          count[i] += 1
        }
      }
    }
    let values = zip(sum, count).map { $1 > 0 ? $0 / Double($1) : .nan }
    return LayerStepMatrix(family: ms[0].family, layers: layers, steps: steps, values: values)
  }

  /// The values as the builder scales them with --normalize-layers (for the shared scale).
  static func normalized(_ m: LayerStepMatrix, perLayer: Bool) -> [Double] {
    guard perLayer else { return m.values }
    var z = m.values
    let n = m.steps.count
    for r in 0..<m.layers.count {
      let peak = z[r * n..<(r + 1) * n].filter(\.isFinite).map(abs).max() ?? 0
      if peak > 0 { for i in r * n..<(r + 1) * n { z[i] /= peak } }
    }
    return z
  }
}
