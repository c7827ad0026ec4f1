import ArgumentParser
import TrainscapeCore

/// How runs are grouped (`--group-by`, `--group-by-name`): `info` lists the groups, and the
/// multi-run kinds draw one column (or panel) per group.
struct GroupOptions: ParsableArguments {
  @Option(
    name: .customLong("group-by"),
    help: ArgumentHelp(
      "Group runs by config fields (from W&B config, trainer_state.json, a table log's argv and preset lines, or --group-by-name), e.g. arm or arm,intervention.",
      valueName: "KEY[,KEY]"))
  var groupBy: [String] = []

  @Option(
    name: .customLong("group-by-name"),
    help: ArgumentHelp(
      "Group runs by a regular expression over their names whose named captures become config fields, e.g. '(?<arm>\\w+)_seed(?<seed>\\d+)'. Without --group-by the groups are by every capture except those named like 'seed'.",
      valueName: "PATTERN"))
  var groupByName: String?

  func validate() throws {
    do { _ = try grouping() } catch let e as GroupingError { throw ValidationError(e.description) }
  }

  func grouping() throws -> RunGrouping { try RunGrouping(keys: groupBy, namePattern: groupByName) }

  var isEmpty: Bool { groupBy.isEmpty && groupByName == nil }

  /// The runs in groups; the grouping's notes go to stderr.
  func groups(_ runs: [Run]) throws -> RunGroups {
    let g: RunGroups
    do {
      g = try RunGroups.make(runs, by: try grouping())
    } catch let e as GroupingError {
      throw CLIError(e.description)
    }
    for n in g.notes { log.notice("\(n)") }
    return g
  }
}
