/// `gradient-flow`: which family a run's layer x step surface draws, how its parameters
/// combine, and the scene (or the incremental builder that grows it).
public enum GradientFlowRecipe {
  public struct Options: Sendable {
    /// `--family NAME`.
    public var family: String?
    /// `--family-pattern REGEX` (one capture group: the layer).
    public var familyPattern: String?
    /// `--reduce`: how a layer's parameters combine (default: l2 for norms, else mean).
    public var reduce: LayerReduce?
    /// `--extras`: parameters outside the layers as rows before and after them.
    public var extras = false
    /// `--from-histograms`: per-parameter norms estimated from the run's histograms even when
    /// it has a scalar family (by default they are used only when it has none).
    public var fromHistograms = false
    public var builder = GradientFlowBuilder.Options()
    public var series = SeriesSettings()
    public init() {}
  }

  /// The family, how its parameters combine, and what to say about it.
  public struct Choice: Sendable {
    public var family: MetricFamily
    public var reduce: LayerReduce
    public var description: String
    public var notes: [String]
  }

  /// Orders families for the default choice: gradient families first, then other train
  /// families, then evaluation families.
  static func rank(_ f: MetricFamily) -> Int {
    let eval = MetricRoles.isEval(f.prefix + "/x")
    return (eval ? 2 : 0) + (f.isGradient ? 0 : 1)
  }

  /// `--family-pattern`, `--family`, or the one best family (see `rank`); a tie is an error
  /// that lists the candidates.
  public static func choose(keys: [String], options: Options, run: String) throws -> Choice {
    var family: MetricFamily
    var notes: [String] = []
    if let pattern = options.familyPattern {
      family = try LayerFamilies.family(pattern: pattern, in: keys)
      guard family.members.count >= 1 else {
        throw RoleError("\(run): no key matches --family-pattern '\(pattern)' with a layer number in its capture group; keys found: \(MetricRoles.listed(keys))")
      }
    } else {
      let families = LayerFamilies.detect(in: keys)
      if let name = options.family {
        guard let f = LayerFamilies.family(named: name, in: keys) else {
          let names = families.map(\.prefix)
          throw RoleError(
            "\(run): no metric family '\(name)'\(MetricRoles.suggestion(for: name, in: names)); families found: \(describe(families))")
        }
        family = f
      } else {
        guard let best = families.map(rank).min() else {
          throw RoleError(
            "\(run): no per-layer metric family (keys like grad_norm/layer_0 or grad_norm/model.layers.0.mlp.weight; see docs/input-naming.md); name one with --family or --family-pattern REGEX. Keys found: \(MetricRoles.listed(keys))")
        }
        let top = families.filter { rank($0) == best }
        guard top.count == 1 else {
          throw RoleError(
            "\(run): \(top.count) per-layer families could be drawn: \(describe(top)); choose one with --family NAME")
        }
        family = top[0]
        let skipped = families.filter { $0.prefix != family.prefix }
        if !skipped.isEmpty {
          notes.append("\(run): other families not drawn: \(describe(skipped)) (--family NAME)")
        }
      }
    }
    let reduce = options.reduce ?? LayerReduce.defaultFor(family)
    if !family.extras.isEmpty && !options.extras {
      notes.append(
        "\(run): \(family.prefix): \(family.extras.count) parameter(s) outside the layers not drawn (\(family.extras.prefix(6).map(\.name).joined(separator: ", "))\(family.extras.count > 6 ? ", ..." : "")); --extras adds them as rows")
    }
    var drawn = family
    if options.extras, !family.extras.isEmpty {
      drawn = family.withExtrasAsRows()
      let before = family.extras.filter(\.before), after = family.extras.filter { !$0.before }
      let rows = zip(drawn.members.map(\.layer), drawn.members.map(\.key)).filter { m in family.extras.contains { $0.key == m.1 } }
      notes.append(
        "\(run): extras as rows: " + rows.map { "\($0.0) = \($0.1)" }.joined(separator: ", ")
          + " (\(before.count) before, \(after.count) after the layers)")
    }
    var description = "family \(family.prefix), \(family.members.count) layers"
    if let lo = family.layers.first, let hi = family.layers.last { description += " (\(lo)...\(hi))" }
    if family.combinesParameters {
      let n = family.members.map(\.keys.count).reduce(0, +)
      description += ", \(n) parameters combined per layer by \(reduce.rawValue)"
    }
    if let first = family.members.first {
      description += ": \(first.keys.prefix(2).joined(separator: ", "))\(family.allKeys.count > 2 ? ", ..." : "")"
    }
    return Choice(family: drawn, reduce: reduce, description: description, notes: notes)
  }

  static func describe(_ families: [MetricFamily]) -> String {
    families.isEmpty ? "none" : families.map { "\($0.prefix) (\($0.layers.count) layers)" }.joined(separator: ", ")
  }

  /// The rows the family comes from: the run's, or per-tag norms from its histograms (when
  /// asked, or when the run has histograms and no scalar family fits), with what to say.
  static func source(run: Run, options: Options) throws -> (run: Run, builder: GradientFlowBuilder.Options, notes: [String]) {
    var useHistograms = options.fromHistograms
    if !useHistograms {
      do {
        _ = try choose(keys: options.series.table(run).keys, options: options, run: run.name)
      } catch let e as RoleError {
        guard !run.histograms.isEmpty else { throw e }
        useHistograms = true
      }
    }
    guard useHistograms else { return (run, options.builder, []) }
    guard !run.histograms.isEmpty else {
      throw RoleError("\(run.name): --from-histograms: the run has no histograms")
    }
    let (rows, bound, exact) = histogramNormRows(run)
    var b = options.builder
    let note: String
    if exact {
      b.titleNote = "from histograms"
      note = "\(run.name): per-parameter norms from the histograms' exact sums of squares (TensorBoard sum_squares)"
    } else {
      b.titleNote = "estimated from histograms"
      note = "\(run.name): per-parameter norms estimated from histograms (each value at its bucket's centre); error bound from the bin widths: at most \(fmt(bound * 100))% of a norm"
    }
    return (Run(name: run.name, source: run.source, rows: rows, config: run.config), b, [note])
  }

  /// The gradient-flow scene of one run.
  public static func scene(run runIn: Run, options optionsIn: Options) throws -> RecipeOutput {
    let (run, builder, sourceNotes) = try source(run: runIn, options: optionsIn)
    var options = optionsIn
    options.builder = builder
    let table = options.series.table(run)
    let choice = try choose(keys: table.keys, options: options, run: run.name)
    var notes = sourceNotes + choice.notes
    if table.droppedRows > 0 {
      notes.append("kept the last \(table.rowCount) of \(table.rowCount + table.droppedRows) rows (--last \(options.series.last!))")
    }
    var matrix = table.layerStepMatrix(for: choice.family, reduce: choice.reduce)
    if let span = options.series.emaSpan, span > 1 { matrix = matrix.smoothed(span: span) }
    let maxSteps = options.series.maxSteps
    if matrix.steps.count > maxSteps {
      let before = matrix.steps.count
      let width = LayerStepMatrix.bucketWidth(columns: before, maxColumns: maxSteps)
      matrix = matrix.downsampled(maxColumns: maxSteps)
      notes.append(
        "\(choice.family.prefix): \(before) steps downsampled to \(matrix.steps.count) columns keeping every layer's min and max per bucket of \(width) steps (--max-steps \(maxSteps))")
    }
    let scene = try GradientFlowBuilder.scene(
      steps: matrix.steps, layers: matrix.layers, values: matrix.values, family: choice.family.prefix,
      runName: run.name, options: options.builder)
    let from = sourceNotes.isEmpty ? "" : " \(builder.titleNote ?? "")"
    return RecipeOutput(
      scene: scene, name: run.name, keysLine: "keys: \(choice.description)\(from) (run \(run.name))", notes: notes)
  }

  /// The incremental builder `view --follow` grows, seeded with the run's rows: the same
  /// choices as `scene`.
  public static func incrementalBuilder(run runIn: Run, options optionsIn: Options) throws -> IncrementalGradientFlow {
    let (run, builder, _) = try source(run: runIn, options: optionsIn)
    var options = optionsIn
    options.builder = builder
    let table = options.series.table(run)
    let choice = try choose(keys: table.keys, options: options, run: run.name)
    let config = IncrementalGradientFlow.Configuration(
      family: choice.family, runName: run.name, options: options.builder, emaSpan: options.series.emaSpan,
      maxColumns: options.series.maxSteps, stepRange: options.series.stepRange, capacity: options.series.last,
      reduce: choice.reduce)
    return try IncrementalGradientFlow(configuration: config, rows: run.rows)
  }
}
