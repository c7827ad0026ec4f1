import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

extension RunFormat: ExpressibleByArgument {}

/// Reads every run at the given paths with `RunLoader`, logging its warnings.
func loadRuns(_ paths: [String], format: RunFormat?, skipBad: Bool) throws -> [(run: Run, format: RunFormat)] {
  var out: [(Run, RunFormat)] = []
  for path in paths {
    let result = try RunLoader.load(path: path, options: IngestOptions(format: format, skipBad: skipBad))
    for w in result.warnings { log.warning("\(w)") }
    if result.skipped > 0 { log.notice("\(path): skipped \(result.skipped) bad record(s) (--skip-bad)") }
    out += zip(result.runs, result.formats).map { ($0, $1) }
  }
  return out
}

struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the runs in metrics files or directories: formats, metric keys by family, steps and rows.",
    discussion: """
      Reads JSONL, CSV (W&B exports, Lightning metrics.csv, wide tables), Hugging Face
      trainer_state.json, TensorBoard event files or run directories, W&B run-*.wandb logs or
      wandb/ directories, and table logs (per-step tables printed through loguru or logging).
      The format is detected from each file's content and name.

      With --group-by or --group-by-name the groups are listed after the runs (and --json
      writes an object {"runs": [...], "groups": [...]} instead of the array of runs).
      """)

  @Argument(help: "Metrics files or directories.")
  var paths: [String]

  @Option(help: "Read every file as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false

  @Flag(help: "Machine-readable output: a JSON array with one object per run.")
  var json = false

  @OptionGroup var grouping: GroupOptions

  func run() throws {
    var runs = try loadRuns(paths, format: format, skipBad: skipBad)
    var groups: RunGroups? = nil
    if !grouping.isEmpty {
      let g = try grouping.groups(runs.map(\.run))
      runs = zip(g.runs, runs).map { ($0, $1.format) }
      groups = g
    }
    if json {
      let list = "[" + runs.map { Self.jsonObject($0.run, $0.format) }.joined(separator: ",\n ") + "]"
      if let groups {
        print("{\"runs\": \(list),\n \"groups\": \(Self.jsonGroups(groups))}")
      } else {
        print(list)
      }
      return
    }
    for (i, (run, format)) in runs.enumerated() {
      if i > 0 { print("") }
      print("\(run.name.escapingControlCharacters)  (\(format.rawValue))  \(run.source.escapingControlCharacters)")
      let range = run.stepRange.map { "steps \($0.lowerBound)...\($0.upperBound)" } ?? "no steps"
      print("  \(run.rows.count) rows, \(range)")
      if !run.config.isEmpty {
        print("  config: " + run.config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)".escapingControlCharacters }.joined(separator: ", "))
      }
      let (families, others) = Self.grouped(run)
      let roles = Self.roles(run)
      print("  roles: " + roles.map { "\($0.role.shortName) = \($0.text)" }.joined(separator: ", "))
      let drawn = Self.defaultFamily(run)
      for f in families {
        var line = "  layer family \(f.prefix): \(f.members.count) layers (\(f.layers.first!)...\(f.layers.last!))"
        if f.combinesParameters { line += ", \(f.allKeys.count) parameters" }
        if !f.extras.isEmpty { line += ", \(f.extras.count) outside the layers (\(f.extras.map(\.name).prefix(4).joined(separator: ", "))\(f.extras.count > 4 ? ", ..." : ""))" }
        if f.prefix == drawn { line += "  [gradient-flow default]" }
        print(line)
      }
      if !others.isEmpty {
        print("  metrics (\(others.count)): " + others.joined(separator: ", "))
      }
    }
    if let groups {
      print("")
      let by = groups.keys.isEmpty ? "one group" : "by \(groups.keys.joined(separator: ", "))"
      print("groups \(by): \(groups.groups.count)")
      for g in groups.groups {
        let members = g.members.map { groups.memberLabel($0) }
        print("  \(g.label): \(g.members.count) run\(g.members.count == 1 ? "" : "s") (\(members.joined(separator: ", ")))".escapingControlCharacters)
      }
    }
  }

  /// `{"keys": [...], "groups": [{"values": {...}, "label": ..., "runs": [...], "members": [...]}]}`
  static func jsonGroups(_ g: RunGroups) -> String {
    let groups = g.groups.map { group in
      "{\"values\": {" + zip(g.keys, group.values).map { "\(JSONText.string($0)): \(jsonValue($1))" }.joined(separator: ", ") + "}, "
        + "\"label\": \(JSONText.string(group.label)), "
        + "\"runs\": [" + group.members.map { JSONText.string(g.runs[$0].name) }.joined(separator: ", ") + "], "
        + "\"members\": [" + group.members.map { JSONText.string(g.memberLabel($0)) }.joined(separator: ", ") + "]}"
    }
    return "{\"keys\": [" + g.keys.map(JSONText.string).joined(separator: ", ") + "], \"groups\": [" + groups.joined(separator: ", ") + "]}"
  }

  /// A config value as JSON: a number, a string or a boolean.
  static func jsonValue(_ v: ConfigValue) -> String {
    switch v {
    case .number(let d): return JSONText.number(d)
    case .string(let s): return JSONText.string(s)
    case .bool(let b): return b ? "true" : "false"
    }
  }

  /// Families (two or more layers) and the keys in no family (extras included).
  static func grouped(_ run: Run) -> (families: [MetricFamily], others: [String]) {
    let keys = run.metricKeys
    let families = LayerFamilies.detect(in: keys)
    let inFamily = Set(families.flatMap { $0.allKeys })
    return (families, keys.filter { !inFamily.contains($0) })
  }

  /// Each role's key by the naming rules, "none", or why it is undecided.
  static func roles(_ run: Run) -> [(role: MetricRole, key: String?, text: String)] {
    let counts = KeyCounts(rows: run.rows)
    return MetricRole.allCases.map { role in
      do {
        if let r = try MetricRoles.resolve(role, in: counts, run: run.name) {
          return (role, r.key, r.key + (r.how.contains("evaluation") ? " (evaluation key)" : ""))
        }
        return (role, nil, "none")
      } catch {
        let names = MetricRoles.candidates(for: role, in: counts).map(\.key)
        return (role, nil, "ambiguous (\(names.joined(separator: " | ")); \(role.flag))")
      }
    }
  }

  /// The family `render gradient-flow` draws by default, if one.
  static func defaultFamily(_ run: Run) -> String? {
    try? GradientFlowRecipe.choose(keys: run.metricKeys, options: .init(), run: run.name).family.prefix
  }

  static func jsonObject(_ run: Run, _ format: RunFormat) -> String {
    let (families, others) = grouped(run)
    var counts: [String: Int] = [:]
    for row in run.rows { for k in row.values.keys { counts[k, default: 0] += 1 } }
    var fields: [String] = [
      "\"name\": \(JSONText.string(run.name))",
      "\"format\": \(JSONText.string(format.rawValue))",
      "\"source\": \(JSONText.string(run.source))",
      "\"rows\": \(run.rows.count)",
      "\"steps\": " + (run.stepRange.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"),
      "\"config\": {" + run.config.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \(jsonValue($0.value))" }.joined(separator: ", ") + "}",
    ]
    fields.append(
      "\"roles\": {" + roles(run).map { "\(JSONText.string($0.role.rawValue)): \($0.key.map(JSONText.string) ?? "null")" }.joined(separator: ", ") + "}")
    let drawn = defaultFamily(run)
    fields.append(
      "\"families\": [" + families.map { f in
        "{\"prefix\": \(JSONText.string(f.prefix)), \"layers\": [\(f.layers.map(String.init).joined(separator: ", "))], \"keys\": [\(f.members.map { JSONText.string($0.key) }.joined(separator: ", "))], "
          + "\"parameters\": [\(f.members.map { "[" + $0.keys.map(JSONText.string).joined(separator: ", ") + "]" }.joined(separator: ", "))], "
          + "\"extras\": [\(f.extras.map { "{\"name\": \(JSONText.string($0.name)), \"key\": \(JSONText.string($0.key)), \"position\": \($0.before ? "\"before\"" : "\"after\"")}" }.joined(separator: ", "))], "
          + "\"gradient_flow_default\": \(f.prefix == drawn)}"
      }.joined(separator: ", ") + "]")
    fields.append("\"metrics\": [" + others.map(JSONText.string).joined(separator: ", ") + "]")
    fields.append("\"counts\": {" + counts.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \($0.value)" }.joined(separator: ", ") + "}")
    return "{" + fields.joined(separator: ", ") + "}"
  }
}
