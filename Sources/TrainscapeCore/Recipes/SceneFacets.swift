import Foundation

/// `--facet-by` for the kinds that draw one scene from a set of runs (the loss landscape: a
/// sweep, or one run, per group; the histogram: one run per group): each group's scene is one
/// panel of a `FacetFigure` on shared axes, one colour range and one camera. Gradient flow has
/// its own (`GradientFlowRecipe.facets`: a group's mean per layer and step).
public enum SceneFacets {
  public struct Result: Sendable {
    public var figure: FacetFigure
    /// One "keys: ..." line per group whose keys differ from the first group's (usually one).
    public var keysLines: [String]
    public var notes: [String]
    /// A name for default output files: the grouping keys.
    public var name: String
  }

  /// One panel per group of `groups`, built by `build(runs, forceLogZ)`: `forceLogZ` is nil
  /// the first time (the options as given). When the panels' z scales differ (`--log-z auto`
  /// chose log for some groups only), every panel is built again with log z, so that all
  /// panels share one scale; said in the notes. Each panel is titled "GROUP (N runs)";
  /// `title` makes the figure's from the first group's output.
  public static func make(
    groups: RunGroups, title: (RecipeOutput) -> String, build: ([Run], Bool?) throws -> RecipeOutput
  ) throws -> Result {
    precondition(!groups.groups.isEmpty, "no groups to facet")
    var outputs = try groups.groups.map { try build(groups.runs(in: $0), nil) }
    var notes: [String] = []
    let scales = Set(outputs.map { $0.scene.z.scale == .log })
    if scales.count > 1 {
      let logged = zip(groups.groups, outputs).filter { $0.1.scene.z.scale == .log }.map(\.0.label)
      notes.append("z: log on every panel, so that all share one scale (--log-z auto chose log for \(logged.joined(separator: ", ")) only)")
      outputs = try groups.groups.map { try build(groups.runs(in: $0), true) }
    }
    // Shared axes need one scale (a log axis' range cannot be a linear one's).
    for (name, scale) in [("x", { (s: Scene) in s.x.scale }), ("y", { (s: Scene) in s.y.scale })] {
      let logged = zip(groups.groups, outputs).filter { scale($0.1.scene) == .log }.map(\.0.label)
      if !logged.isEmpty && logged.count < outputs.count {
        let linear = zip(groups.groups, outputs).filter { scale($0.1.scene) != .log }.map(\.0.label)
        throw RoleError(
          "the panels' \(name) axes are on different scales (log: \(logged.joined(separator: ", ")); linear: \(linear.joined(separator: ", "))) and cannot share one axis; for the loss landscape a sweep's learning rate is always log, and --log-lr on makes a single run's log too")
      }
    }
    var panels: [Scene] = []
    var keysLines: [String] = []
    for (group, out) in zip(groups.groups, outputs) {
      var scene = out.scene
      let n = groups.runs(in: group).count
      scene.title = "\(group.label) (\(n) run\(n == 1 ? "" : "s"))"
      panels.append(scene)
      let line = "\(out.keysLine) [\(group.label)]"
      if keysLines.isEmpty || out.keysLine != outputs[0].keysLine { keysLines.append(line) }
      notes += out.notes.map { "\(group.label): \($0)" }
    }
    let figure = FacetFigure.shared(title: title(outputs[0]), panels: panels)
    let keyNames = groups.keys.isEmpty ? "run" : groups.keys.joined(separator: ", ")
    if let bar = figure.colorBar {
      notes.append(
        "\(panels.count) panels by \(keyNames), one colour range \(Picker.format(bar.range.lowerBound, integer: false))...\(Picker.format(bar.range.upperBound, integer: false)) and one camera for all")
    } else {
      notes.append("\(panels.count) panels by \(keyNames), one camera for all")
    }
    return Result(
      figure: figure, keysLines: keysLines, notes: notes, name: groups.keys.isEmpty ? "runs" : groups.keys.joined(separator: "_"))
  }
}

extension LossLandscapeRecipe {
  /// `loss-landscape --facet-by`: each group's sweep (a group of one run: its sliding
  /// windows), titled "Loss landscape by KEYS" unless `options.sweep.title` is set.
  public static func facets(groups: RunGroups, options: Options) throws -> SceneFacets.Result {
    let keys = groups.keys.isEmpty ? "run" : groups.keys.joined(separator: ", ")
    var o = options
    let title = o.sweep.title ?? "Loss landscape by \(keys)"
    o.sweep.title = nil
    o.single.title = nil
    return try SceneFacets.make(groups: groups, title: { _ in title }) { runs, forceLog in
      var p = o
      if forceLog == true {
        p.single.logZ = .on
        p.sweep.logZ = .on
      }
      return runs.count > 1 ? try sweepScene(runs: runs, options: p) : try singleRunScene(run: runs[0], options: p)
    }
  }
}

extension HistogramRecipe {
  /// `histogram --facet-by`: each group's one run (a group of several is refused, naming
  /// them), titled "Histogram: NAME by KEYS" unless `options.title` is set.
  public static func facets(groups: RunGroups, options: Options) throws -> SceneFacets.Result {
    if let g = groups.groups.first(where: { groups.runs(in: $0).count > 1 }) {
      let names = groups.runs(in: g).map(\.name).joined(separator: ", ")
      throw RoleError(
        "histogram panels draw one run each; the group \(g.label) has \(groups.runs(in: g).count) (\(names)): facet by a key that tells them apart (e.g. add seed)")
    }
    let keys = groups.keys.isEmpty ? "run" : groups.keys.joined(separator: ", ")
    var o = options
    let fixed = o.title
    o.title = nil
    return try SceneFacets.make(groups: groups, title: { first in fixed ?? "Histogram: \(first.scene.y.title) by \(keys)" }) { runs, forceLog in
      var p = o
      if forceLog == true { p.logZ = .on }
      return try scene(run: runs[0], options: p)
    }
  }
}
