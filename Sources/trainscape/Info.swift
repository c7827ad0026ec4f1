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
    for w in result.runsWithoutRows { log.warning("skipped \(w)") }
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

  @Option(parsing: .unconditional, help: ArgumentHelp("Most memory one record or JSON document may take: bytes with K, M, G or T (1024-based), or a percentage of the memory.", valueName: "SIZE"))
  var maxMemory: MemoryBudget = .default

  @OptionGroup var grouping: GroupOptions

  /// What one path holds: runs, or an HDF5 file (a loss-landscape grid).
  enum Item {
    case run(Run, RunFormat)
    case h5(path: String, GridReader.H5Description)
  }

  /// Output lines: names and keys come from files, so control characters in them are escaped;
  /// a closed standard output ends the listing quietly.
  static func print(_ line: String) { try? StandardStreams.writeOutput(Escape.controlCharacters(line) + "\n") }

  func run() throws {
    func print(_ line: String) { Self.print(line) }
    var items: [Item] = []
    for path in paths {
      if format == nil, GridReader.isHDF5(path: path) {
        items.append(.h5(path: path, try GridReader.describeH5(path: path)))
      } else {
        items += try loadRuns([path], format: format, skipBad: skipBad, budget: maxMemory).map { .run($0.run, $0.format) }
      }
    }
    var groups: RunGroups? = nil
    if !grouping.isEmpty {
      var runs: [Run] = []
      for case .run(let r, _) in items { runs.append(r) }
      let g = try grouping.groups(runs)
      var grouped = g.runs.makeIterator()
      items = items.map { item in
        if case .run(_, let f) = item, let r = grouped.next() { return .run(r, f) }
        return item
      }
      groups = g
    }
    if json {
      let list = "[" + items.map { item in
        switch item {
        case .run(let run, let format): return Self.jsonObject(run, format)
        case .h5(let path, let d): return Self.jsonObject(h5: path, d)
        }
      }.joined(separator: ",\n ") + "]"
      if let groups {
        print("{\"runs\": \(list),\n \"groups\": \(Self.jsonGroups(groups))}")
      } else {
        print(list)
      }
      return
    }
    for (i, item) in items.enumerated() {
      if i > 0 { print("") }
      switch item {
      case .run(let run, let format): Self.printRun(run, format)
      case .h5(let path, let d): Self.printH5(path, d)
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

  static func printRun(_ run: Run, _ format: RunFormat) {
    print("\(run.name.escapingControlCharacters)  (\(format.rawValue))  \(run.source.escapingControlCharacters)")
    let range = run.stepRange.map { "steps \($0.lowerBound)...\($0.upperBound)" } ?? "no steps"
    print("  \(run.rowCount) rows, \(range)")
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
    for line in histogramLines(run) { print(line) }
  }

  /// Each histogram tag with its step count and range; tags of one layer family share a line
  /// when there are many.
  static func histogramLines(_ run: Run) -> [String] {
    let tags = run.histograms.keys.sorted()
    guard !tags.isEmpty else { return [] }
    func steps(_ t: String) -> [Int64] { run.histograms[t]?.map(\.step) ?? [] }
    func counted(_ s: [Int64]) -> String {
      let distinct = Set(s)
      guard let lo = distinct.min(), let hi = distinct.max() else { return "no steps" }
      return "\(distinct.count) step\(distinct.count == 1 ? "" : "s") (\(lo)...\(hi))"
    }
    let all = tags.flatMap(steps)
    let drawn = try? HistogramRecipe.choose(tags, options: .init(), run: run.name).name
    var header = "  histograms (\(tags.count) tag\(tags.count == 1 ? "" : "s"), \(counted(all)))"
    if let d = drawn, !tags.contains(d) { header += ", render histogram draws the family \(d)" }
    var lines = [header + ":"]
    var listed = Set<String>()
    if tags.count > 12 {
      for f in LayerFamilies.detect(in: tags) {
        let keys = f.allKeys + f.extras.map(\.key)
        let counts = Set(keys.map { Set(steps($0)).count })
        let each = counts.count == 1 ? "\(counts.first!) steps each" : "\(counts.min()!)-\(counts.max()!) steps"
        var line = "    family \(f.prefix): \(f.members.count) layers (\(f.layers.first!)...\(f.layers.last!)), \(keys.count) tags, \(each)"
        if f.prefix == drawn { line += "  [histogram default]" }
        lines.append(line)
        listed.formUnion(keys)
      }
    }
    for t in tags where !listed.contains(t) {
      lines.append("    \(t): \(counted(steps(t)))" + (t == drawn ? "  [histogram default]" : ""))
    }
    return lines
  }

  static func printH5(_ path: String, _ d: GridReader.H5Description) {
    let name = URL(fileURLWithPath: path).lastPathComponent
    print("\(name)  (hdf5\(d.grid != nil ? ", loss-landscape grid" : ""))  \(path)")
    if let g = d.grid {
      let x = d.datasets.first { $0.name == "xcoordinates" }?.range
      let y = d.datasets.first { $0.name == "ycoordinates" }?.range
      var line = "  grid: \(g.x) x \(g.y) (xcoordinates \(x.map { "\(fmt($0.lowerBound))...\(fmt($0.upperBound))" } ?? "?")"
      line += y.map { ", ycoordinates \(fmt($0.lowerBound))...\(fmt($0.upperBound)))" } ?? (g.y == 1 ? ", no ycoordinates: a 1-D scan)" : ")")
      print(line)
    } else {
      print("  not a loss-landscape grid (no 1-D xcoordinates dataset): `render loss-landscape` cannot draw it")
    }
    for ds in d.datasets {
      var line = "  dataset \(ds.name): \(ds.type) " + (ds.shape.isEmpty ? "scalar" : "[\(ds.shape.map(String.init).joined(separator: ", "))]")
      if let r = ds.range { line += ", \(fmt(r.lowerBound))...\(fmt(r.upperBound))" } else if ds.numeric { line += ", no finite values" }
      if let p = ds.pendingCells, p > 0 { line += ", \(p) cell(s) not computed yet (-1)" }
      if ds.isSurface { line += "  [surface]" }
      print(line)
    }
    for o in d.others { print("  \(o)") }
    let surfaces = d.surfaces
    if let first = surfaces.first {
      let pick = surfaces.contains("train_loss") ? "train_loss" : first
      print("  draw: trainscape render loss-landscape \(path)\(pick == "train_loss" ? "" : " --dataset \(pick)")  (surfaces: \(surfaces.joined(separator: ", ")))")
    }
  }

  static func fmt(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(format: "%.4g", v)
  }

  static func jsonObject(h5 path: String, _ d: GridReader.H5Description) -> String {
    func num(_ v: Double?) -> String { v.map(JSONText.number) ?? "null" }
    let datasets = d.datasets.map { ds in
      "{\"name\": \(JSONText.string(ds.name)), \"type\": \(JSONText.string(ds.type)), \"shape\": [\(ds.shape.map(String.init).joined(separator: ", "))], "
        + "\"min\": \(num(ds.range?.lowerBound)), \"max\": \(num(ds.range?.upperBound)), \"surface\": \(ds.isSurface), "
        + "\"pending_cells\": \(ds.pendingCells.map(String.init) ?? "null")}"
    }
    let fields = [
      "\"name\": \(JSONText.string(URL(fileURLWithPath: path).lastPathComponent))",
      "\"format\": \"hdf5\"",
      "\"source\": \(JSONText.string(path))",
      "\"grid\": " + (d.grid.map { "{\"x\": \($0.x), \"y\": \($0.y)}" } ?? "null"),
      "\"surfaces\": [\(d.surfaces.map(JSONText.string).joined(separator: ", "))]",
      "\"datasets\": [\(datasets.joined(separator: ", "))]",
      "\"others\": [\(d.others.map(JSONText.string).joined(separator: ", "))]",
    ]
    return "{" + fields.joined(separator: ", ") + "}"
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
    fields.append(
      "\"histograms\": {" + run.histograms.keys.sorted().map { t in
        let steps = Set(run.histograms[t]!.map(\.step))
        return "\(JSONText.string(t)): {\"steps\": \(steps.count), \"first\": \(steps.min().map(String.init) ?? "null"), \"last\": \(steps.max().map(String.init) ?? "null")}"
      }.joined(separator: ", ") + "}")
    fields.append("\"counts\": {" + counts.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)): \($0.value)" }.joined(separator: ", ") + "}")
    return "{" + fields.joined(separator: ", ") + "}"
  }
}
