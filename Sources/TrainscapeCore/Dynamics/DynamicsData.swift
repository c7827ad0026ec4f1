/// The numbers behind training-dynamics small multiples: for each row of metrics and each
/// group of runs, every seed's EMA-smoothed series, their mean on a common step grid and a
/// band around it, and one y range per row. No drawing: the `dynamics` kind lays these out.
///
/// Definitions (checked against a numpy implementation of the same words in the tests):
/// - **Seed series**: a run's samples of the key in row order (`MetricTable.series`, so
///   `--steps` and `--last` apply; NaN kept as logged), smoothed by `SeriesOps.ema` with the
///   span `--ema` (none when nil or 1): a causal EMA, alpha = 2/(span+1), a NaN or infinity
///   holds the previous value, leading ones stay NaN.
/// - **Common grid**: the sorted union of the steps at which the smoothed seeds are finite,
///   cut to the steps every seed covers (from the largest first finite step to the smallest
///   last one), so the mean never extrapolates a seed that stopped early. With
///   `maxGridPoints`, a longer union is replaced by that many evenly spaced integer steps over
///   the same range (`SeriesOps.commonGrid`).
/// - **Mean**: each seed's smoothed series linearly interpolated onto the grid
///   (`SeriesOps.resample`, exact at a seed's own steps), averaged over the seeds.
/// - **Band**: `minmax` is the seeds' minimum and maximum at each grid step; `std` is the
///   mean minus and plus the seeds' population standard deviation (numpy's `std`,
///   `ddof=0`); `none` has no band.
/// - **Row range**: the smallest and largest finite value drawn in a row: every seed's
///   smoothed series, the means and the bands of all its panels (positive values only on a
///   log y axis), or the row's `--ylim`.
public enum Dynamics {
  /// `--band`: what surrounds a group's mean line.
  public enum Band: String, CaseIterable, Sendable {
    case minmax, std, none
  }

  public struct Options: Sendable, Equatable {
    /// `--steps`, `--last` and `--ema` (the EMA span; nil or 1: no smoothing).
    public var series = SeriesSettings()
    public var band: Band = .minmax
    /// The most grid points of a mean line; nil: every step of the union.
    public var maxGridPoints: Int?
    public init(series: SeriesSettings = SeriesSettings(), band: Band = .minmax, maxGridPoints: Int? = nil) {
      self.series = series
      self.band = band
      self.maxGridPoints = maxGridPoints
    }
  }

  /// `build` could not make the data: a key no run logs, a row without keys.
  public struct DataError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
  }

  /// Every panel of the small multiples: `rows` of metric keys by the groups of `groups`.
  /// A run that lacks a key is left out of that key's lines (said in `notes`); a key that no
  /// run has is an error naming the keys there are.
  public static func build(groups: RunGroups, rows: [[String]], options: Options = Options()) throws -> DynamicsData {
    guard !rows.isEmpty else { throw DataError("no metric rows: give --metrics KEY[,KEY...] once per row") }
    let tables = groups.runs.map { options.series.table($0) }
    var notes: [String] = []
    for (r, keys) in rows.enumerated() {
      guard !keys.isEmpty else { throw DataError("row \(r + 1) has no metric keys") }
      for key in keys where !tables.contains(where: { $0.keyCounts.contains(key) }) {
        var all = Set<String>()
        for t in tables { all.formUnion(t.keys) }
        throw DataError(
          "no run has the metric '\(key.escapingControlCharacters)' (row \(r + 1)); the runs have: \(MetricRoles.listed(all.sorted()))")
      }
    }
    var panels: [[DynamicsPanel]] = []
    for (r, keys) in rows.enumerated() {
      var row: [DynamicsPanel] = []
      for (g, group) in groups.groups.enumerated() {
        var series: [DynamicsSeries] = []
        for key in keys {
          var seeds: [SeedSeries] = []
          for i in group.members {
            let s = tables[i].series(key)
            guard !s.isEmpty else {
              notes.append("\(groups.runs[i].name.escapingControlCharacters) has no '\(key.escapingControlCharacters)': left out of \(group.label)")
              continue
            }
            seeds.append(
              SeedSeries(
                run: i, label: groups.memberLabel(i), steps: s.steps, raw: s.values,
                smoothed: options.series.smooth(s.values)))
          }
          let m = meanAndBand(seeds, band: options.band, maxGridPoints: options.maxGridPoints)
          if let note = m.note { notes.append("\(key.escapingControlCharacters), \(group.label): \(note)") }
          series.append(
            DynamicsSeries(
              key: key, seeds: seeds, grid: m.grid, mean: m.mean, lower: m.lower, upper: m.upper))
        }
        row.append(DynamicsPanel(row: r, group: g, series: series))
      }
      panels.append(row)
    }
    return DynamicsData(rows: rows, groups: groups, panels: panels, notes: notes)
  }

  /// The mean of the seeds' smoothed series on their common grid, and the band (see the
  /// type's definitions). Empty arrays when no seed has a finite value or the seeds' step
  /// ranges do not overlap (then `note` says why).
  public static func meanAndBand(_ seeds: [SeedSeries], band: Band, maxGridPoints: Int? = nil)
    -> (grid: [Double], mean: [Double], lower: [Double]?, upper: [Double]?, note: String?)
  {
    var finiteSteps: [[Int64]] = []
    var used: [SeedSeries] = []
    for s in seeds {
      let f = zip(s.steps, s.smoothed).filter { $0.1.isFinite }.map(\.0)
      if !f.isEmpty {
        finiteSteps.append(f)
        used.append(s)
      }
    }
    guard !used.isEmpty else { return ([], [], nil, nil, seeds.isEmpty ? nil : "no finite value in any seed") }
    let lo = finiteSteps.map { $0.min()! }.max()!
    let hi = finiteSteps.map { $0.max()! }.min()!
    guard lo <= hi else {
      return ([], [], nil, nil, "the seeds' step ranges do not overlap, so there is no mean line")
    }
    var union = Set<Int64>()
    for f in finiteSteps { for s in f where s >= lo && s <= hi { union.insert(s) } }
    var grid = union.sorted().map(Double.init)
    var note: String? = nil
    if let cap = maxGridPoints, grid.count > cap {
      note = "mean over \(cap) evenly spaced steps instead of all \(grid.count)"
      grid = SeriesOps.commonGrid([lo...hi], count: cap)
    }
    let ys = used.map { SeriesOps.resample(steps: $0.steps, values: $0.smoothed, onto: grid) }
    let n = Double(ys.count)
    var mean = [Double](repeating: 0, count: grid.count)
    for y in ys { for i in grid.indices { mean[i] += y[i] } }
    for i in grid.indices { mean[i] /= n }
    switch band {
    case .none:
      return (grid, mean, nil, nil, note)
    case .minmax:
      var lower = ys[0], upper = ys[0]
      for y in ys.dropFirst() {
        for i in grid.indices {
          lower[i] = Swift.min(lower[i], y[i])
          upper[i] = Swift.max(upper[i], y[i])
        }
      }
      return (grid, mean, lower, upper, note)
    case .std:
      var lower = mean, upper = mean
      for i in grid.indices {
        var ss = 0.0
        for y in ys { ss += (y[i] - mean[i]) * (y[i] - mean[i]) }
        let sd = (ss / n).squareRoot()
        lower[i] = mean[i] - sd
        upper[i] = mean[i] + sd
      }
      return (grid, mean, lower, upper, note)
    }
  }

  /// The y range of one row: over every finite value drawn in `panels` (seed lines, means,
  /// bands) of the series whose key is in `keys` (all when nil); only positive values when
  /// `logY`. `ylim` (`--ylim ROW:LO,HI`) wins when given. Nil when nothing is drawn.
  public static func rowRange(
    _ panels: [DynamicsPanel], keys: Set<String>? = nil, logY: Bool = false, ylim: ClosedRange<Double>? = nil
  ) -> ClosedRange<Double>? {
    if let ylim { return ylim }
    var lo = Double.infinity, hi = -Double.infinity
    func take(_ values: [Double]) {
      for v in values where v.isFinite && (!logY || v > 0) {
        lo = Swift.min(lo, v)
        hi = Swift.max(hi, v)
      }
    }
    for p in panels {
      for s in p.series where keys?.contains(s.key) ?? true {
        for seed in s.seeds { take(seed.smoothed) }
        take(s.mean)
        if let l = s.lower { take(l) }
        if let u = s.upper { take(u) }
      }
    }
    return lo <= hi ? lo...hi : nil
  }
}

/// One seed (one run) of a group, for one key.
public struct SeedSeries: Sendable, Equatable {
  /// Index into `RunGroups.runs`.
  public var run: Int
  /// "seed=3", or the run's name.
  public var label: String
  public var steps: [Int64]
  /// As logged (NaN kept): onsets are found on these.
  public var raw: [Double]
  /// EMA-smoothed (`--ema`), the thin line.
  public var smoothed: [Double]

  public init(run: Int, label: String, steps: [Int64], raw: [Double], smoothed: [Double]) {
    self.run = run
    self.label = label
    self.steps = steps
    self.raw = raw
    self.smoothed = smoothed
  }
}

/// One key in one panel: the seeds' lines, the mean (bold) and the band.
public struct DynamicsSeries: Sendable, Equatable {
  public var key: String
  public var seeds: [SeedSeries]
  /// The mean line's steps.
  public var grid: [Double]
  public var mean: [Double]
  /// The band's lower and upper edges on `grid`; nil for `--band none`.
  public var lower: [Double]?
  public var upper: [Double]?
}

/// One panel: a row of keys for one group.
public struct DynamicsPanel: Sendable, Equatable {
  public var row: Int
  /// Index into `RunGroups.groups`.
  public var group: Int
  public var series: [DynamicsSeries]
}

/// Every panel of a small-multiples figure.
public struct DynamicsData: Sendable {
  /// The metric keys of each row.
  public var rows: [[String]]
  public var groups: RunGroups
  /// `panels[row][group]`.
  public var panels: [[DynamicsPanel]]
  /// Lines for stderr: runs left out of a panel, thinned grids.
  public var notes: [String]

  /// One y range per row (`Dynamics.rowRange`), with `ylims[row]` where given; keys in
  /// `twin` (drawn on a right-hand axis) are left out of the shared range.
  public func rowRanges(logY: Bool = false, ylims: [Int: ClosedRange<Double>] = [:], twin: Set<String> = [])
    -> [ClosedRange<Double>?]
  {
    rows.indices.map { r in
      Dynamics.rowRange(panels[r], keys: Set(rows[r]).subtracting(twin), logY: logY, ylim: ylims[r])
    }
  }
}
