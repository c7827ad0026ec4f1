/// `--mark-first 'EXPR'`: a key, a comparison and a number (`hack_s>0`, `gt_s <= 0.5`,
/// `train/loss<2`). The onset of a run is the smallest step whose RAW (unsmoothed) value
/// satisfies the comparison; NaN and missing values never do.
public struct OnsetRule: Sendable, Equatable, CustomStringConvertible {
  public enum Comparison: String, CaseIterable, Sendable {
    case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="

    public func holds(_ v: Double, _ t: Double) -> Bool {
      guard !v.isNaN else { return false }
      switch self {
      case .greater: return v > t
      case .greaterOrEqual: return v >= t
      case .less: return v < t
      case .lessOrEqual: return v <= t
      case .equal: return v == t
      case .notEqual: return v != t
      }
    }
  }

  public var key: String
  public var comparison: Comparison
  public var threshold: Double

  public init(key: String, comparison: Comparison, threshold: Double) {
    self.key = key
    self.comparison = comparison
    self.threshold = threshold
  }

  /// Parses `KEY OP NUMBER` (spaces allowed around OP; OP one of `> >= < <= == !=`).
  public init(parsing text: String) throws {
    let chars = Array(text)
    guard let opStart = chars.firstIndex(where: { "<>=!".contains($0) }) else {
      throw AnnotationError(
        "--mark-first '\(text.escapingControlCharacters)': expected KEY, a comparison (> >= < <= == !=) and a number, e.g. 'hack_s>0'")
    }
    var opEnd = opStart
    while opEnd < chars.count, "<>=!".contains(chars[opEnd]) { opEnd += 1 }
    let key = String(chars[..<opStart]).trimmingSpaces
    let op = String(chars[opStart..<opEnd])
    let number = String(chars[opEnd...]).trimmingSpaces
    guard !key.isEmpty else {
      throw AnnotationError("--mark-first '\(text.escapingControlCharacters)': no metric key before '\(op)'")
    }
    guard let c = Comparison(rawValue: op) else {
      throw AnnotationError(
        "--mark-first '\(text.escapingControlCharacters)': '\(op)' is not a comparison; use one of > >= < <= == !=")
    }
    guard let t = Double(number), !t.isNaN else {
      throw AnnotationError(
        "--mark-first '\(text.escapingControlCharacters)': '\(number.escapingControlCharacters)' is not a number")
    }
    self.init(key: key, comparison: c, threshold: t)
  }

  /// "hack_s>0"
  public var description: String { "\(key)\(comparison.rawValue)\(ConfigValue.numberText(threshold))" }

  /// The run's onset: the smallest step whose raw value satisfies the rule; nil when none does.
  public func onset(steps: [Int64], values: [Double]) -> Int64? {
    var best: Int64? = nil
    for (s, v) in zip(steps, values) where comparison.holds(v, threshold) {
      if best.map({ s < $0 }) ?? true { best = s }
    }
    return best
  }

  public func onset(in table: MetricTable) -> Int64? {
    let s = table.series(key)
    return onset(steps: s.steps, values: s.values)
  }
}

/// The onsets of a rule over the runs of a group: each run's onset, and their mean over the
/// runs that reach it.
public struct GroupOnset: Sendable, Equatable {
  public var rule: OnsetRule
  /// Each run's onset (nil: never reached), in the order the runs were given.
  public var perRun: [Int64?]
  /// The mean of the reached onsets; nil when no run reaches it.
  public var mean: Double?
  public var reached: Int { perRun.compactMap { $0 }.count }

  public init(rule: OnsetRule, perRun: [Int64?]) {
    self.rule = rule
    self.perRun = perRun
    let r = perRun.compactMap { $0 }
    mean = r.isEmpty ? nil : r.map(Double.init).reduce(0, +) / Double(r.count)
  }

  /// "hack_s>0: mean first step 1450 (3 of 3 runs)", or why there is no mark.
  public var summary: String {
    guard let mean else { return "\(rule): no run reaches it, no mark" }
    return "\(rule): mean first step \(ConfigValue.numberText(mean)) (\(reached) of \(perRun.count) runs)"
  }
}

/// One stage of a curriculum: a run of equal values of the stage key.
public struct StageSpan: Sendable, Equatable {
  /// The stage key's value.
  public var value: Double
  /// The step where the stage starts (a boundary, except for the first stage).
  public var start: Int64
  /// The start of the next stage, or the stage's last sample for the last stage.
  public var end: Int64
  /// From `--stage-names` (by the value's order of first appearance), else the value.
  public var name: String
}

/// `--stages KEY`: the stages of a run, cut at each step where the key's value changes.
public enum Stages {
  /// The samples sorted by step (equal steps keep their order); NaN samples are skipped (a
  /// gap is not a change). A boundary is the step of a sample whose value differs from the
  /// sample before it. `names` label the distinct values in their order of first appearance
  /// (`stage_index` 0, 1, 2 -> teacher, mixed, student, also when a value comes back); a value
  /// without a name is labelled by itself, and `notes` says so.
  public static func spans(steps: [Int64], values: [Double], names: [String] = [], key: String = "")
    -> (spans: [StageSpan], notes: [String])
  {
    let order = steps.indices.filter { !values[$0].isNaN }.sorted { (steps[$0], $0) < (steps[$1], $1) }
    guard let first = order.first else { return ([], []) }
    var spans: [StageSpan] = []
    var distinct: [Double] = []
    func name(_ v: Double) -> String {
      if !distinct.contains(v) { distinct.append(v) }
      let i = distinct.firstIndex(of: v)!
      return i < names.count ? names[i] : ConfigValue.numberText(v)
    }
    var current = values[first]
    spans.append(StageSpan(value: current, start: steps[first], end: steps[first], name: name(current)))
    for i in order.dropFirst() {
      let v = values[i]
      if v != current {
        spans[spans.count - 1].end = steps[i]
        spans.append(StageSpan(value: v, start: steps[i], end: steps[i], name: name(v)))
        current = v
      } else {
        spans[spans.count - 1].end = steps[i]
      }
    }
    var notes: [String] = []
    if !names.isEmpty && names.count != distinct.count {
      notes.append(
        "--stage-names gives \(names.count) name(s) for \(distinct.count) stage value(s) of \(key.escapingControlCharacters)"
          + (names.count < distinct.count ? "; the others are labelled by their value" : "; the extra names are not used"))
    }
    return (spans, notes)
  }

  /// The boundaries (every stage start but the first).
  public static func boundaries(_ spans: [StageSpan]) -> [Int64] { spans.dropFirst().map(\.start) }
}

/// `--mark STEP[:LABEL]`: a fixed mark.
public struct StepMark: Sendable, Equatable {
  public var step: Int64
  public var label: String?

  public init(step: Int64, label: String? = nil) {
    self.step = step
    self.label = label
  }

  public init(parsing text: String) throws {
    let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
    guard let s = Int64(parts[0].trimmingSpaces) else {
      throw AnnotationError("--mark '\(text.escapingControlCharacters)': expected STEP[:LABEL] with an integer step, e.g. 1500:warmup end")
    }
    self.init(step: s, label: parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil)
  }
}

/// What the annotation options asked for, before any run is read.
public struct AnnotationSpec: Sendable, Equatable {
  /// `--stages KEY`
  public var stagesKey: String?
  /// `--stage-names a,b,c`
  public var stageNames: [String]
  /// `--mark STEP[:LABEL]`
  public var marks: [StepMark]
  /// `--mark-first EXPR`
  public var onsets: [OnsetRule]

  public init(stagesKey: String? = nil, stageNames: [String] = [], marks: [StepMark] = [], onsets: [OnsetRule] = []) {
    self.stagesKey = stagesKey
    self.stageNames = stageNames
    self.marks = marks
    self.onsets = onsets
  }

  public var isEmpty: Bool { stagesKey == nil && marks.isEmpty && onsets.isEmpty }
}

/// A line across the step axis: a fixed mark or an onset.
public struct AnnotationMark: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// `--mark STEP[:LABEL]`: a solid line.
    case fixed
    /// `--mark-first`: a dashed line at the (mean) onset.
    case onset(OnsetRule)
  }

  /// Not always an integer: a group's mean onset.
  public var step: Double
  public var label: String
  public var kind: Kind
}

/// The annotations of one set of runs (one run for a 3D kind, a group's runs for a
/// dynamics column): stage spans, fixed marks and onset marks.
public struct Annotations: Sendable, Equatable {
  public var stages: [StageSpan]
  public var marks: [AnnotationMark]
  public var onsets: [GroupOnset]
  /// Lines for stderr: runs without the stage key, stages that differ between runs, names
  /// that do not fit, rules no run reaches.
  public var notes: [String]

  public var isEmpty: Bool { stages.isEmpty && marks.isEmpty }

  /// The annotations of `tables` (the runs of one group, or one run), named `what` in notes.
  /// Stages come from the first run that has the stage key (a note says when another run's
  /// boundaries differ); an onset mark is at the mean onset of the runs that reach it.
  public static func make(_ spec: AnnotationSpec, tables: [MetricTable], what: String) -> Annotations {
    var notes: [String] = []
    var stages: [StageSpan] = []
    if let key = spec.stagesKey {
      var first: [Int64]? = nil
      for t in tables {
        let s = t.series(key)
        guard !s.isEmpty else {
          notes.append("\(t.name.escapingControlCharacters): no '\(key.escapingControlCharacters)' for --stages")
          continue
        }
        let r = Stages.spans(steps: s.steps, values: s.values, names: spec.stageNames, key: key)
        if let f = first {
          if Stages.boundaries(r.spans) != f {
            notes.append(
              "\(t.name.escapingControlCharacters): stage boundaries of \(key.escapingControlCharacters) differ from the first run's; \(what) shows the first run's")
          }
        } else {
          first = Stages.boundaries(r.spans)
          stages = r.spans
          notes += r.notes
        }
      }
    }
    var marks = spec.marks.map {
      AnnotationMark(step: Double($0.step), label: $0.label ?? "step \($0.step)", kind: .fixed)
    }
    var onsets: [GroupOnset] = []
    for rule in spec.onsets {
      let o = GroupOnset(rule: rule, perRun: tables.map { rule.onset(in: $0) })
      onsets.append(o)
      if let m = o.mean {
        marks.append(AnnotationMark(step: m, label: "first \(rule)", kind: .onset(rule)))
      }
      if o.reached < tables.count {
        notes.append("\(what): \(o.summary)")
      }
    }
    return Annotations(stages: stages, marks: marks, onsets: onsets, notes: notes)
  }
}

public struct AnnotationError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
