import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

extension RunFormat: ExpressibleByArgument {}

/// Reads every run at the given paths with `RunLoader`, logging its warnings.
func loadRuns(_ paths: [String], format: RunFormat?, skipBad: Bool, budget: MemoryBudget = .default) throws
  -> [(run: Run, format: RunFormat)]
{
  var out: [(Run, RunFormat)] = []
  for path in paths {
    let result = try RunLoader.load(path: path, options: IngestOptions(format: format, skipBad: skipBad, budget: budget))
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
      trainer_state.json, TensorBoard event files or run directories, and W&B run-*.wandb logs or
      wandb/ directories. The format is detected from each file's content and name.
      """)

  @Argument(help: "Metrics files or directories.")
  var paths: [String]

  @Option(help: "Read every file as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false

  @Flag(help: "Machine-readable output: a JSON array with one object per run.")
  var json = false

  @Option(parsing: .unconditional, help: ArgumentHelp("Most memory one record or JSON document may take: bytes with K, M, G or T (1024-based), or a percentage of the memory.", valueName: "SIZE"))
  var maxMemory: MemoryBudget = .default

  func run() throws {
    let runs = try loadRuns(paths, format: format, skipBad: skipBad, budget: maxMemory)
    if json {
      try StandardStreams.writeOutput("[" + runs.map { Self.jsonObject($0.run, $0.format) }.joined(separator: ",\n ") + "]\n")
      return
    }
    // Names and keys come from files: control characters in them are escaped.
    func print(_ line: String) { try? StandardStreams.writeOutput(Escape.controlCharacters(line) + "\n") }
    for (i, (run, format)) in runs.enumerated() {
      if i > 0 { print("") }
      print("\(run.name)  (\(format.rawValue))  \(run.source)")
      let range = run.stepRange.map { "steps \($0.lowerBound)...\($0.upperBound)" } ?? "no steps"
      print("  \(run.rowCount) rows, \(range)")
      if !run.config.isEmpty {
        print("  config: " + run.config.sorted { $0.key < $1.key }.map { "\($0.key)=\(JSONText.number($0.value))" }.joined(separator: ", "))
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
    let counts = run.table.keyCounts
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
    let counts = run.table.keyCounts.counts
    var fields: [String] = [
      "\"name\": \(JSONText.string(run.name))",
      "\"format\": \(JSONText.string(format.rawValue))",
      "\"source\": \(JSONText.string(run.source))",
      "\"rows\": \(run.rowCount)",
      "\"steps\": " + (run.stepRange.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"),
      "\"config\": {" + run.config.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \(JSONText.number($0.value))" }.joined(separator: ", ") + "}",
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
