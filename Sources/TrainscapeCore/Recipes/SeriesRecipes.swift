/// Where a sweep run's learning rate comes from.
public enum LearningRateSource: String, CaseIterable, Sendable {
  /// The run's config: `lr`, `learning_rate`, then nested names such as `optimizer.lr`.
  case config
  /// The run's file or directory name: `lr3e-4`, `lr=0.001`, `learning_rate-5e-4`.
  case name
  /// The peak of the learning-rate metric (the schedule's top after warmup).
  case max
  /// The learning-rate metric's first value.
  case first
  /// The learning-rate metric's last value.
  case last
}

/// `loss-landscape` over metrics: a single run's sliding windows or a sweep's
/// loss(step, learning rate).
public enum LossLandscapeRecipe {
  public struct Options: Sendable {
    public var lossKey: String?
    public var lrKey: String?
    /// `--lr-from`: one source for every run's learning rate (sweep mode); nil: config, then
    /// name, then the metric's peak.
    public var lrFrom: LearningRateSource?
    public var single = LossLandscapeBuilder.Options()
    public var sweep = LossLandscapeBuilder.SweepOptions()
    public var series = SeriesSettings()
    public init() {}
  }

  /// The single run's loss and learning-rate keys.
  public static func keys(_ table: MetricTable, options: Options, run: String) throws -> ChosenKeys {
    var chosen = ChosenKeys()
    chosen.add(try MetricRoles.require(.loss, explicit: options.lossKey, in: table.keyCounts, run: run))
    chosen.add(try MetricRoles.require(.learningRate, explicit: options.lrKey, in: table.keyCounts, run: run))
    return chosen
  }

  static func singleOptions(_ options: Options, _ keys: ChosenKeys) -> LossLandscapeBuilder.Options {
    var o = options.single
    o.lossName = keys[.loss]!
    o.lrName = keys[.learningRate]!
    return o
  }

  /// One run: nanochat's sliding-window surface.
  public static func singleRunScene(run: Run, options: Options) throws -> RecipeOutput {
    let table = options.series.table(run)
    let keys = try keys(table, options: options, run: run.name)
    let (steps, cols) = table.joined([keys[.loss]!, keys[.learningRate]!])
    let scene = try LossLandscapeBuilder.slidingWindowScene(
      steps: steps, losses: options.series.smooth(cols[0]), learningRates: cols[1], runName: run.name,
      options: singleOptions(options, keys))
    return RecipeOutput(scene: scene, name: run.name, keysLine: "keys: \(keys.summary) (run \(run.name))", notes: lastNote(table, options.series))
  }

  static func lastNote(_ table: MetricTable, _ s: SeriesSettings) -> [String] {
    guard table.droppedRows > 0, let n = s.last else { return [] }
    return ["\(table.name): kept the last \(table.rowCount) of \(table.rowCount + table.droppedRows) rows (--last \(n))"]
  }

  /// The incremental builder of the single-run surface, seeded with the run's rows.
  public static func incrementalBuilder(run: Run, options: Options) throws -> IncrementalLossLandscape {
    let table = options.series.table(run)
    let keys = try keys(table, options: options, run: run.name)
    let config = IncrementalLossLandscape.Configuration(
      runName: run.name, lossKey: keys[.loss]!, learningRateKey: keys[.learningRate]!,
      options: singleOptions(options, keys), emaSpan: options.series.emaSpan, stepRange: options.series.stepRange)
    return try IncrementalLossLandscape(configuration: config, rows: run.rows)
  }

  /// A run's learning rate for a sweep and where it came from ("config optimizer.lr",
  /// "file name", "peak of train/lr"); throws when `--lr-from` names a source the run lacks
  /// or no source has one.
  public static func learningRate(
    of run: Run, table: MetricTable, options: Options
  ) throws -> (value: Double, source: String) {
    let lrRole = try MetricRoles.resolve(.learningRate, explicit: options.lrKey, in: table.keyCounts, run: run.name)
    func fromConfig() -> (Double, String)? {
      guard let (k, v) = configLearningRate(run.config.numbers) else { return nil }
      return (v, "config \(k)")
    }
    func fromName() -> (Double, String)? {
      for candidate in [run.name, run.source] {
        let last = candidate.split(separator: "/").last.map(String.init) ?? candidate
        if let v = LossLandscapeBuilder.learningRate(fromName: last) { return (v, "name \(last)") }
      }
      return nil
    }
    func fromMetric(_ how: LearningRateSource) -> (Double, String)? {
      guard let key = lrRole?.key else { return nil }
      let values = table.series(key).values.filter(\.isFinite)
      guard !values.isEmpty else { return nil }
      switch how {
      case .first: return (values[0], "first value of \(key)")
      case .last: return (values[values.count - 1], "last value of \(key)")
      default: return (values.max()!, "peak of \(key)")
      }
    }
    if let how = options.lrFrom {
      let r: (Double, String)?
      switch how {
      case .config: r = fromConfig()
      case .name: r = fromName()
      case .max, .first, .last: r = fromMetric(how)
      }
      guard let r else {
        let what: String
        switch how {
        case .config: what = "no lr, learning_rate or optimizer.lr in its config (config keys: \(MetricRoles.listed(run.config.keys.sorted())))"
        case .name: what = "no learning rate in its name (e.g. run_lr3e-4.jsonl)"
        default: what = "no learning-rate metric (keys: \(MetricRoles.listed(table.keys)))"
        }
        throw RoleError("\(run.name): --lr-from \(how.rawValue): \(what)")
      }
      return r
    }
    if let r = fromConfig() ?? fromName() ?? fromMetric(.max) { return r }
    throw RoleError(
      "\(run.source): no learning rate for this run: no lr, learning_rate or optimizer.lr in its config, none in its name (e.g. run_lr3e-4.jsonl), and no learning-rate metric (\(MetricRole.learningRate.flag))")
  }

  /// The config's learning rate: `lr`, `learning_rate`, then the shallowest nested key whose
  /// last part is one of those (`optimizer.lr`), first in name order.
  public static func configLearningRate(_ config: [String: Double]) -> (String, Double)? {
    for k in ["lr", "learning_rate"] { if let v = config[k] { return (k, v) } }
    let nested = config.keys.filter { k in
      let last = k.split(whereSeparator: { $0 == "." || $0 == "/" }).last.map(String.init) ?? k
      return ["lr", "learning_rate"].contains(last.lowercased())
    }
    let depth = { (k: String) in k.filter { $0 == "." || $0 == "/" }.count }
    guard let k = nested.sorted(by: { (depth($0), $0) < (depth($1), $1) }).first else { return nil }
    return (k, config[k]!)
  }

  /// Several runs: the loss(step, learning rate) surface.
  public static func sweepScene(runs: [Run], options: Options) throws -> RecipeOutput {
    var sweepRuns: [LossLandscapeBuilder.SweepRun] = []
    var notes: [String] = []
    var lossKeys: [(String, String)] = []
    for run in runs {
      let table = options.series.table(run)
      notes += lastNote(table, options.series)
      let loss = try MetricRoles.require(.loss, explicit: options.lossKey, in: table.keyCounts, run: run.name)
      lossKeys.append((run.name, loss.key))
      let (lr, source) = try learningRate(of: run, table: table, options: options)
      notes.append("\(run.name): learning rate \(fmt(lr)) (\(source))")
      let s = table.series(loss.key)
      sweepRuns.append(.init(name: run.name, learningRate: lr, steps: s.steps, loss: options.series.smooth(s.values)))
    }
    var o = options.sweep
    let distinct = Set(lossKeys.map(\.1))
    o.lossName = distinct.count == 1 ? distinct.first! : "Loss"
    let keysText = distinct.count == 1
      ? "loss = \(distinct.first!)"
      : "loss = " + lossKeys.map { "\($0.1) (\($0.0))" }.joined(separator: ", ")
    let scene = try LossLandscapeBuilder.sweepScene(sweepRuns, options: o)
    return RecipeOutput(
      scene: scene, name: "sweep", keysLine: "keys: \(keysText); learning rate per run below (\(runs.count) runs)", notes: notes)
  }
}

/// `trajectory`: the training path of one or several runs.
public enum TrajectoryRecipe {
  public struct Options: Sendable {
    public var lossKey: String?
    public var gradKey: String?
    public var rewardKey: String?
    public var builder = TrajectoryBuilder.Options()
    public var series = SeriesSettings()
    public init() {}
  }

  /// Loss and gradient norm (required) and reward (when the run has one) of a run.
  public static func keys(_ table: MetricTable, options: Options, run: String) throws -> ChosenKeys {
    var chosen = ChosenKeys()
    chosen.add(try MetricRoles.require(.loss, explicit: options.lossKey, in: table.keyCounts, run: run))
    chosen.add(try MetricRoles.require(.gradNorm, explicit: options.gradKey, in: table.keyCounts, run: run))
    if let r = try MetricRoles.resolve(.reward, explicit: options.rewardKey, in: table.keyCounts, run: run) {
      chosen.add(r)
    }
    return chosen
  }

  static func builderOptions(_ options: Options, _ keys: [ChosenKeys]) -> TrajectoryBuilder.Options {
    var o = options.builder
    func common(_ role: MetricRole, _ fallback: String) -> String {
      let names = Set(keys.compactMap { $0[role] })
      return names.count == 1 ? names.first! : fallback
    }
    o.names = (loss: common(.loss, "Loss"), gradNorm: common(.gradNorm, "Gradient norm"), reward: common(.reward, "Reward"))
    return o
  }

  public static func scene(runs: [Run], options: Options) throws -> RecipeOutput {
    var series: [TrajectoryBuilder.RunSeries] = []
    var notes: [String] = []
    var allKeys: [ChosenKeys] = []
    var lines: [String] = []
    for run in runs {
      let table = options.series.table(run)
      notes += LossLandscapeRecipe.lastNote(table, options.series)
      let keys = try keys(table, options: options, run: run.name)
      allKeys.append(keys)
      lines.append("\(keys.summary) (run \(run.name))")
      var wanted = [keys[.loss]!, keys[.gradNorm]!]
      if let r = keys[.reward] { wanted.append(r) }
      let (steps, cols) = table.joined(wanted)
      var s = TrajectoryBuilder.RunSeries(
        name: run.name, steps: steps, loss: options.series.smooth(cols[0]), gradNorm: options.series.smooth(cols[1]),
        reward: cols.count > 2 ? options.series.smooth(cols[2]) : [])
      let keep = options.series.downsampleAligned(s.loss, what: s.name, notes: &notes)
      if keep.count < s.steps.count {
        s.steps = keep.map { s.steps[$0] }
        s.loss = keep.map { s.loss[$0] }
        s.gradNorm = keep.map { s.gradNorm[$0] }
        if !s.reward.isEmpty { s.reward = keep.map { s.reward[$0] } }
      }
      series.append(s)
    }
    let scene = try TrajectoryBuilder.scene(series, options: builderOptions(options, allKeys))
    let line = Set(allKeys.map(\.summary)).count == 1 && runs.count > 1
      ? "keys: \(allKeys[0].summary) (\(runs.count) runs)" : "keys: " + lines.joined(separator: "; ")
    return RecipeOutput(scene: scene, name: series.count == 1 ? series[0].name : "runs", keysLine: line, notes: notes)
  }

  /// One run's path as `view --follow` grows it.
  public static func incrementalBuilder(run: Run, options: Options) throws -> IncrementalTrajectory {
    let table = options.series.table(run)
    let keys = try keys(table, options: options, run: run.name)
    let config = IncrementalTrajectory.Configuration(
      runName: run.name, lossKey: keys[.loss]!, gradNormKey: keys[.gradNorm]!, rewardKey: keys[.reward],
      options: builderOptions(options, [keys]), emaSpan: options.series.emaSpan, stepRange: options.series.stepRange,
      maxPoints: options.series.maxSteps)
    return try IncrementalTrajectory(configuration: config, rows: run.rows)
  }
}

/// `reward-landscape`: an RL run's (step, loss, reward) path over its interpolated reward.
public enum RewardLandscapeRecipe {
  public struct Options: Sendable {
    public var lossKey: String?
    public var rewardKey: String?
    public var builder = RewardLandscapeBuilder.Options()
    public var series = SeriesSettings()
    public init() {}
  }

  public static func scene(run: Run, options: Options) throws -> RecipeOutput {
    let table = options.series.table(run)
    var notes = LossLandscapeRecipe.lastNote(table, options.series)
    var keys = ChosenKeys()
    keys.add(try MetricRoles.require(.loss, explicit: options.lossKey, in: table.keyCounts, run: run.name))
    keys.add(try MetricRoles.require(.reward, explicit: options.rewardKey, in: table.keyCounts, run: run.name))
    let (stepsIn, cols) = table.joined([keys[.loss]!, keys[.reward]!])
    var steps = stepsIn
    var loss = options.series.smooth(cols[0]), reward = options.series.smooth(cols[1])
    let keep = options.series.downsample(reward, what: run.name, notes: &notes)
    if keep.count < steps.count {
      steps = keep.map { steps[$0] }
      loss = keep.map { loss[$0] }
      reward = keep.map { reward[$0] }
    }
    var o = options.builder
    o.names = (loss: keys[.loss]!, reward: keys[.reward]!)
    let scene = try RewardLandscapeBuilder.scene(steps: steps, loss: loss, reward: reward, runName: run.name, options: o)
    return RecipeOutput(scene: scene, name: run.name, keysLine: "keys: \(keys.summary) (run \(run.name))", notes: notes)
  }
}
