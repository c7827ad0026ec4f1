import Foundation

/// A figure of 2D panels (small multiples) as a plain value: what the `dynamics` kind draws
/// (`PanelLayoutBuilder` -> `FrameLayout` -> the GL overlay) and exports (Plotly subplots).
/// Everything is in data units; the layout maps it to pixels.
public struct PanelFigure: Sendable, Equatable {
  public var title: String
  /// Grid size: panels sit at `row` x `column`.
  public var rows: Int
  public var columns: Int
  public var panels: [Panel]
  public var background: RGBColor = .white
  /// Lines for stderr: runs left out, onsets some runs do not reach, stage names.
  public var notes: [String]

  public init(title: String, rows: Int, columns: Int, panels: [Panel], notes: [String] = []) {
    self.title = title
    self.rows = rows
    self.columns = columns
    self.panels = panels
    self.notes = notes
  }
}

/// One panel: its axes, its data lines, bands, stage shading and vertical marks.
public struct Panel: Sendable, Equatable {
  /// Grid position.
  public var row: Int
  public var column: Int
  /// Which metric row of the data it shows (panels of one metric row share y).
  public var metricRow: Int
  /// Which group of runs it shows (index into `RunGroups.groups`).
  public var group: Int
  /// Above the panel ("vanilla (n=3 seeds)"); empty: none.
  public var title: String
  public var x: AxisSpec
  public var y: AxisSpec
  /// The right-hand axis of the `--twin` keys in this panel's row; nil: none.
  public var y2: AxisSpec?
  /// Drawn in order: bands, then lines.
  public var bands: [PanelBand]
  public var lines: [PanelLine]
  public var stages: [PanelStage]
  public var marks: [PanelMark]
  /// Series names written at their line ends (only in the first panel of a metric row in its
  /// grid row: the first column of a grid, every panel of `--layout rows`).
  public var endLabels: [EndLabel]
}

/// A polyline in data units.
public struct PanelLine: Sendable, Equatable {
  public enum Role: String, Sendable { case seed, mean }
  public var name: String
  public var role: Role
  public var x: [Double]
  public var y: [Double]
  public var color: RGBColor
  public var opacity: Double
  /// Pixels at 1280x720.
  public var width: Double
  /// On the right-hand axis (`--twin`).
  public var twin = false
}

/// A filled band between `lower` and `upper` over `x`.
public struct PanelBand: Sendable, Equatable {
  public var name: String
  public var x: [Double]
  public var lower: [Double]
  public var upper: [Double]
  public var color: RGBColor
  public var opacity: Double
  public var twin = false
}

/// A stage of a curriculum: a shaded span of steps with its name (every other stage shaded).
public struct PanelStage: Sendable, Equatable {
  public var start: Double
  public var end: Double
  public var name: String
  public var shaded: Bool
}

/// A vertical line at a step: a fixed `--mark` (solid) or an onset (dashed).
public struct PanelMark: Sendable, Equatable {
  public var step: Double
  public var label: String
  public var dashed: Bool
}

/// A series' name at the end of its mean line.
public struct EndLabel: Sendable, Equatable {
  public var text: String
  /// The data point the label belongs to (the line's last finite point).
  public var x: Double
  public var y: Double
  public var color: RGBColor
  public var twin = false
}

/// Colour-blind-safe colours for the series of a row (Okabe & Ito 2008, without the yellow,
/// which is unreadable on white): series k of a row has colour k in every column.
public enum SeriesPalette {
  public static let okabeIto: [RGBColor] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
  ].map { RGBColor(hex: $0)! }

  public static func color(_ i: Int) -> RGBColor { okabeIto[i % okabeIto.count] }
}

/// `--layout`: how the panels are arranged.
public enum PanelArrangement: String, CaseIterable, Sendable {
  /// Metric rows by group columns.
  case grid
  /// Every panel in one column, stacked.
  case rows
  /// Every panel side by side in one row.
  case columns
}

/// Builds the `PanelFigure` of the `dynamics` kind from its numbers.
public enum DynamicsFigure {
  public struct Options: Sendable, Equatable {
    public var layout: PanelArrangement = .grid
    public var logX = false
    public var logY = false
    /// `--ylim ROW:LO,HI`, by 0-based metric row.
    public var ylims: [Int: ClosedRange<Double>] = [:]
    public var annotations = AnnotationSpec()
    /// `--twin KEY`: keys drawn on a right-hand axis with a range of their own, left out of
    /// their row's shared range.
    public var twin: Set<String> = []
    public var title: String?
    /// The EMA span, for the title.
    public var ema: Int?
    public init() {}
  }

  /// `--ylim ROW:LO,HI`: ROW is a 1-based metric row or a key of one; returns the 0-based row.
  public static func parseYlim(_ text: String, rows: [[String]]) throws -> (row: Int, range: ClosedRange<Double>) {
    let bad = "--ylim '\(text.escapingControlCharacters)': expected ROW:LO,HI with ROW a row number (1 = the first --metrics) or one of its keys, e.g. 2:0,1"
    guard let colon = text.lastIndex(of: ":") else { throw Dynamics.DataError(bad) }
    let rowText = String(text[..<colon]).trimmingSpaces
    let nums = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
    guard nums.count == 2, let lo = Double(nums[0].trimmingSpaces), let hi = Double(nums[1].trimmingSpaces),
      lo.isFinite, hi.isFinite
    else { throw Dynamics.DataError(bad) }
    guard lo < hi else { throw Dynamics.DataError("--ylim '\(text.escapingControlCharacters)': LO must be below HI") }
    if let n = Int(rowText) {
      guard (1...rows.count).contains(n) else {
        throw Dynamics.DataError("--ylim '\(text.escapingControlCharacters)': there are \(rows.count) metric rows (1...\(rows.count))")
      }
      return (n - 1, lo...hi)
    }
    guard let r = rows.firstIndex(where: { $0.contains(rowText) }) else {
      throw Dynamics.DataError(bad)
    }
    return (r, lo...hi)
  }

  /// The panels of `data`: one per metric row and group, placed by `options.layout`; rows
  /// share their y range (`DynamicsData.rowRanges`), all panels share x (the steps drawn).
  /// `tables` are the runs' tables (`RunGroups.runs` order) for the annotations.
  public static func make(_ data: DynamicsData, tables: [MetricTable], options: Options) -> PanelFigure {
    var notes = data.notes
    // A row whose keys are all --twin keys has no left-hand axis to share: its keys stay left.
    let twinByRow = data.rows.map { keys in keys.allSatisfy(options.twin.contains) ? [] : Set(keys).intersection(options.twin) }
    for (r, keys) in data.rows.enumerated() where twinByRow[r].isEmpty && !Set(keys).isDisjoint(with: options.twin) {
      notes.append("--twin: every key of row \(r + 1) (\(keys.joined(separator: ", "))) is a twin key; drawn on the left-hand axis")
    }
    let ranges = data.rows.indices.map { r in
      Dynamics.rowRange(data.panels[r], keys: Set(data.rows[r]).subtracting(twinByRow[r]), logY: options.logY, ylim: options.ylims[r])
    }
    // x: every drawn step of every panel.
    var xlo = Double.infinity, xhi = -Double.infinity
    for row in data.panels {
      for p in row {
        for s in p.series {
          for seed in s.seeds {
            for (st, v) in zip(seed.steps, seed.smoothed) where v.isFinite {
              let x = Double(st)
              if options.logX && x <= 0 { continue }
              xlo = Swift.min(xlo, x)
              xhi = Swift.max(xhi, x)
            }
          }
        }
      }
    }
    if !(xlo <= xhi) { (xlo, xhi) = (options.logX ? 1 : 0, options.logX ? 10 : 1) }
    let groups = data.groups
    // Annotations per group (a group's mean onset is the mark of its column).
    var groupAnnotations: [Annotations] = []
    if !options.annotations.isEmpty {
      for g in groups.groups {
        let a = Annotations.make(options.annotations, tables: g.members.map { tables[$0] }, what: g.label)
        notes += a.notes
        groupAnnotations.append(a)
      }
    }
    let nGroups = groups.groups.count
    let nRows = data.rows.count
    let total = nGroups * nRows
    let (gridRows, gridCols): (Int, Int) = {
      switch options.layout {
      case .grid: return (nRows, nGroups)
      case .rows: return (total, 1)
      case .columns: return (1, total)
      }
    }()
    var panels: [Panel] = []
    for r in 0..<nRows {
      let yr = ranges[r] ?? (options.logY ? 1...10 : 0...1)
      let twinKeys = data.rows[r].filter { twinByRow[r].contains($0) }
      let yTitle = data.rows[r].filter { !twinByRow[r].contains($0) }.joined(separator: ", ")
      let y2: AxisSpec? =
        twinKeys.isEmpty
        ? nil
        : AxisSpec(
          title: twinKeys.joined(separator: ", "), scale: options.logY ? .log : .linear,
          range: Dynamics.rowRange(data.panels[r], keys: Set(twinKeys), logY: options.logY) ?? (options.logY ? 1...10 : 0...1))
      for g in 0..<nGroups {
        let dp = data.panels[r][g]
        let group = groups.groups[g]
        let n = group.members.count
        let showTitle = options.layout != .grid || r == 0
        // Without a grouping, one run is titled by its name.
        let groupTitle =
          groups.keys.isEmpty && n == 1
          ? groups.runs[group.members[0]].name : "\(group.title) (n=\(n) seed\(n == 1 ? "" : "s"))"
        var lines: [PanelLine] = [], bands: [PanelBand] = [], ends: [EndLabel] = []
        for (k, s) in dp.series.enumerated() {
          let color = SeriesPalette.color(k)
          let onTwin = twinByRow[r].contains(s.key)
          if let lo = s.lower, let hi = s.upper {
            bands.append(PanelBand(name: "\(s.key) band", x: s.grid, lower: lo, upper: hi, color: color, opacity: 0.16, twin: onTwin))
          }
          for seed in s.seeds {
            lines.append(
              PanelLine(
                name: "\(s.key) \(seed.label)", role: .seed, x: seed.steps.map(Double.init), y: seed.smoothed,
                color: color, opacity: 0.35, width: 1, twin: onTwin))
          }
          if !s.mean.isEmpty {
            lines.append(PanelLine(name: "\(s.key) mean", role: .mean, x: s.grid, y: s.mean, color: color, opacity: 1, width: 2.6, twin: onTwin))
          }
          // The label sits at the end of the mean line (else the last seed's).
          let candidates = s.mean.isEmpty ? (s.seeds.last.map { ($0.steps.map(Double.init), $0.smoothed) }) : (s.grid, s.mean)
          if let (xs, ys) = candidates, let i = ys.lastIndex(where: { $0.isFinite }) {
            ends.append(EndLabel(text: s.key, x: xs[i], y: ys[i], color: color, twin: onTwin))
          }
        }
        var stages: [PanelStage] = [], marks: [PanelMark] = []
        if g < groupAnnotations.count {
          let a = groupAnnotations[g]
          for (i, st) in a.stages.enumerated() {
            stages.append(PanelStage(start: Double(st.start), end: Double(st.end), name: st.name, shaded: i % 2 == 1))
          }
          for m in a.marks {
            if case .onset = m.kind {
              marks.append(PanelMark(step: m.step, label: m.label, dashed: true))
            } else {
              marks.append(PanelMark(step: m.step, label: m.label, dashed: false))
            }
          }
        }
        let index = r * nGroups + g
        let (pr, pc): (Int, Int) = {
          switch options.layout {
          case .grid: return (r, g)
          case .rows: return (index, 0)
          case .columns: return (0, index)
          }
        }()
        panels.append(
          Panel(
            row: pr, column: pc, metricRow: r, group: g, title: showTitle ? groupTitle : "",
            x: AxisSpec(title: "step", scale: options.logX ? .log : .linear, range: xlo...xhi, integer: !options.logX),
            y: AxisSpec(title: yTitle, scale: options.logY ? .log : .linear, range: yr), y2: y2,
            bands: bands, lines: lines, stages: stages, marks: marks,
            endLabels: ends))
      }
    }
    // Series are named once per metric row and grid row: in the first panel of the row (its
    // left neighbour shows another metric row, or there is none).
    let placed = panels
    for i in panels.indices {
      let p = placed[i]
      if placed.contains(where: { $0.row == p.row && $0.column == p.column - 1 && $0.metricRow == p.metricRow }) {
        panels[i].endLabels = []
      }
    }
    let by = groups.keys.isEmpty ? "" : " by \(groups.keys.joined(separator: ", "))"
    let ema = (options.ema ?? 1) > 1 ? " (EMA \(options.ema!))" : ""
    let title = options.title ?? "Training dynamics\(by)\(ema)"
    return PanelFigure(title: title, rows: gridRows, columns: gridCols, panels: panels, notes: notes)
  }
}
