/// How runs are put into groups: by config fields (`--group-by arm,intervention`), by a
/// pattern over the run names whose named captures become config fields
/// (`--group-by-name '(?<arm>\w+)_seed(?<seed>\d+)'`), or both.
///
/// - With `keys`, runs whose values of those keys are equal form one group.
/// - With only `namePattern`, the groups are by every named capture except those whose name
///   contains "seed" (`seed`, `data_seed`): the seed tells the members of a group apart.
///   So `(?<arm>\w+)_seed(?<seed>\d+)` groups by `arm` and keeps `seed` as a field.
/// - The pattern is searched in each run's name (the first match; anchor it with `^...$` for
///   a whole-name match). Python's `(?P<name>...)` is accepted as well as `(?<name>...)`.
///   A capture's text becomes a config value as `ConfigValue.parse` reads it (`3` a number,
///   `vanilla` a string); a value the run's config already had with other text is replaced,
///   and that is said in `RunGroups.notes`.
public struct RunGrouping: Sendable, Equatable {
  public var keys: [String]
  public var namePattern: String?

  /// `keys` as given to `--group-by` may each hold several comma-separated keys.
  public init(keys: [String] = [], namePattern: String? = nil) throws {
    var out: [String] = []
    for k in keys.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
      let key = k.trimmingSpaces
      guard !key.isEmpty else {
        throw GroupingError("--group-by: empty key in '\(keys.joined(separator: ","))'; expected KEY[,KEY...] such as arm,intervention")
      }
      if !out.contains(key) { out.append(key) }
    }
    self.keys = out
    if let p = namePattern {
      guard !p.isEmpty else { throw GroupingError("--group-by-name: empty pattern") }
      _ = try Self.compile(p)
    }
    self.namePattern = namePattern
  }

  /// True when neither keys nor a pattern were given.
  public var isEmpty: Bool { keys.isEmpty && namePattern == nil }

  static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
    // Python's named groups (?P<name>...) as Swift's (?<name>...).
    let swiftPattern = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
    do {
      return try Regex(swiftPattern)
    } catch {
      throw GroupingError("--group-by-name: '\(pattern.escapingControlCharacters)' is not a valid regular expression (\(error))")
    }
  }

  /// A capture named like a seed: it tells members apart, it does not make groups.
  public static func isSeedField(_ name: String) -> Bool { name.lowercased().contains("seed") }
}

/// A grouping that cannot be made: a run without a value for a key, a name the pattern does
/// not match, a pattern without named captures.
public struct GroupingError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// One group: its key values and its member runs (indices into `RunGroups.runs`).
public struct RunGroup: Sendable, Equatable {
  /// The group's value of each of `RunGroups.keys`.
  public var values: [ConfigValue]
  /// Indices into `RunGroups.runs`, in input order.
  public var members: [Int]
  /// "arm=vanilla" or "arm=vanilla, intervention=none"; "all runs" for an ungrouped set.
  public var label: String
  /// The values alone: "vanilla", "vanilla, none"; "all runs" for an ungrouped set.
  public var title: String
}

/// Runs in ordered groups. Groups are in the order their first member appears in the input
/// (the order of the paths given, and within a directory the order it is read in), members
/// in input order. Every multi-run kind takes its runs through this value; without a
/// grouping it is one group of all runs (`RunGroups.single`).
public struct RunGroups: Sendable {
  /// The config keys the groups are made by (empty for a single group of all runs).
  public var keys: [String]
  /// The runs, with the fields captured by `--group-by-name` added to their config.
  public var runs: [Run]
  public var groups: [RunGroup]
  /// What the grouping decided that a person should know (a captured value replacing a
  /// config value, which captures make the groups).
  public var notes: [String]

  public init(keys: [String], runs: [Run], groups: [RunGroup], notes: [String] = []) {
    self.keys = keys
    self.runs = runs
    self.groups = groups
    self.notes = notes
  }

  /// The member runs of one group.
  public func runs(in group: RunGroup) -> [Run] { group.members.map { runs[$0] } }

  /// How a member is told apart within its group: "seed=3" when the run has a seed field
  /// (a config key containing "seed"), else its name.
  public func memberLabel(_ index: Int) -> String {
    let run = runs[index]
    if let k = run.config.keys.filter(RunGrouping.isSeedField).sorted().first, let v = run.config[k] {
      return "\(k)=\(v.text)"
    }
    return run.name
  }

  /// One group of all runs.
  public static func single(_ runs: [Run]) -> RunGroups {
    RunGroups(
      keys: [], runs: runs,
      groups: runs.isEmpty ? [] : [RunGroup(values: [], members: Array(runs.indices), label: "all runs", title: "all runs")])
  }

  /// Puts `runs` into groups as `grouping` says (see `RunGrouping`); an empty grouping gives
  /// `single(runs)`.
  public static func make(_ runs: [Run], by grouping: RunGrouping) throws -> RunGroups {
    guard !grouping.isEmpty else { return single(runs) }
    var runs = runs
    var notes: [String] = []
    var keys = grouping.keys
    if let pattern = grouping.namePattern {
      let regex = try RunGrouping.compile(pattern)
      var captureNames: [String]? = nil
      for i in runs.indices {
        let name = runs[i].name
        guard let match = try? regex.firstMatch(in: name) else {
          throw GroupingError(
            "--group-by-name: run '\(name.escapingControlCharacters)' (\(runs[i].source.escapingControlCharacters)) does not match '\(pattern.escapingControlCharacters)'")
        }
        let named = match.output.compactMap { c -> (String, Substring?)? in
          guard let n = c.name else { return nil }
          return (n, c.substring)
        }
        if captureNames == nil {
          captureNames = named.map(\.0)
          if named.isEmpty {
            throw GroupingError(
              "--group-by-name: '\(pattern.escapingControlCharacters)' has no named capture; name the parts that are config fields, e.g. '(?<arm>\\w+)_seed(?<seed>\\d+)'")
          }
        }
        for (field, text) in named {
          guard let text else { continue }  // an optional part that did not take part
          let value = ConfigValue.parse(text)
          if let old = runs[i].config[field], old.text != value.text {
            notes.append(
              "\(name.escapingControlCharacters): --group-by-name sets \(field)=\(value.text.escapingControlCharacters) (its config had \(field)=\(old.text.escapingControlCharacters))")
          }
          runs[i].config[field] = value
        }
      }
      if keys.isEmpty, let names = captureNames {
        keys = names.filter { !RunGrouping.isSeedField($0) }
        let seeds = names.filter(RunGrouping.isSeedField)
        if !seeds.isEmpty {
          notes.append(
            "groups by \(keys.isEmpty ? "nothing (one group)" : keys.joined(separator: ", ")) from --group-by-name; \(seeds.joined(separator: ", ")) tells the members of a group apart")
        }
      }
    }
    guard !keys.isEmpty else { return RunGroups(keys: [], runs: runs, groups: single(runs).groups, notes: notes) }

    var groups: [RunGroup] = []
    var index: [[String]: Int] = [:]
    for (i, run) in runs.enumerated() {
      var values: [ConfigValue] = []
      for k in keys {
        guard let v = run.config[k] else {
          let have = run.config.keys.sorted()
          throw GroupingError(
            "\(run.name.escapingControlCharacters) (\(run.source.escapingControlCharacters)): no config value '\(k.escapingControlCharacters)' to group by; its config has "
              + (have.isEmpty ? "no keys" : have.prefix(20).map { $0.escapingControlCharacters }.joined(separator: ", ") + (have.count > 20 ? ", ..." : ""))
              + " (a table log takes key=value tokens from its argv or preset lines; --group-by-name takes fields from the run names)")
        }
        values.append(v)
      }
      let texts = values.map(\.text)
      if let g = index[texts] {
        groups[g].members.append(i)
      } else {
        index[texts] = groups.count
        groups.append(
          RunGroup(
            values: values, members: [i],
            label: zip(keys, texts).map { "\($0)=\($1)" }.joined(separator: ", "),
            title: texts.joined(separator: ", ")))
      }
    }
    return RunGroups(keys: keys, runs: runs, groups: groups, notes: notes)
  }
}

extension StringProtocol {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}
