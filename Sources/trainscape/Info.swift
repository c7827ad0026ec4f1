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

  func run() throws {
    let runs = try loadRuns(paths, format: format, skipBad: skipBad)
    if json {
      print("[" + runs.map { Self.jsonObject($0.run, $0.format) }.joined(separator: ",\n ") + "]")
      return
    }
    for (i, (run, format)) in runs.enumerated() {
      if i > 0 { print("") }
      print("\(run.name)  (\(format.rawValue))  \(run.source)")
      let range = run.stepRange.map { "steps \($0.lowerBound)...\($0.upperBound)" } ?? "no steps"
      print("  \(run.rows.count) rows, \(range)")
      if !run.config.isEmpty {
        print("  config: " + run.config.sorted { $0.key < $1.key }.map { "\($0.key)=\(JSONText.number($0.value))" }.joined(separator: ", "))
      }
      let (families, others) = Self.grouped(run)
      for f in families {
        print("  \(f.prefix): \(f.members.count) layers (\(f.layers.first!)...\(f.layers.last!))")
      }
      if !others.isEmpty {
        print("  metrics (\(others.count)): " + others.joined(separator: ", "))
      }
    }
  }

  /// Families (two or more layers) and the keys in no family.
  static func grouped(_ run: Run) -> (families: [MetricFamily], others: [String]) {
    let keys = run.metricKeys
    let families = MetricFamilies.detect(in: keys)
    let inFamily = Set(families.flatMap { $0.members.map(\.key) })
    return (families, keys.filter { !inFamily.contains($0) })
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
      "\"config\": {" + run.config.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \(JSONText.number($0.value))" }.joined(separator: ", ") + "}",
    ]
    fields.append(
      "\"families\": [" + families.map { f in
        "{\"prefix\": \(JSONText.string(f.prefix)), \"layers\": [\(f.layers.map(String.init).joined(separator: ", "))], \"keys\": [\(f.members.map { JSONText.string($0.key) }.joined(separator: ", "))]}"
      }.joined(separator: ", ") + "]")
    fields.append("\"metrics\": [" + others.map(JSONText.string).joined(separator: ", ") + "]")
    fields.append("\"counts\": {" + counts.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \($0.value)" }.joined(separator: ", ") + "}")
    return "{" + fields.joined(separator: ", ") + "}"
  }
}
