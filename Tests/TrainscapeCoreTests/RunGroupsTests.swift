import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

@Suite(.tiered) struct RunGroupsTests {
  static func run(_ name: String, _ config: [String: ConfigValue] = [:]) -> Run {
    Run(name: name, source: "/runs/\(name).log", rows: [MetricRow(step: 0, values: ["loss": 1])], config: config)
  }

  @Test func groupsByConfigFieldsInFirstAppearanceOrder() throws {
    let runs = [
      Self.run("a", ["arm": "vanilla", "seed": 0, "intervention": "none"]),
      Self.run("b", ["arm": "static", "seed": 0, "intervention": "static"]),
      Self.run("c", ["arm": "vanilla", "seed": 1, "intervention": "none"]),
      Self.run("d", ["arm": "static", "seed": 1, "intervention": "late"]),
    ]
    let g = try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
    #expect(g.keys == ["arm"])
    #expect(g.groups.map(\.label) == ["arm=vanilla", "arm=static"])
    #expect(g.groups.map(\.members) == [[0, 2], [1, 3]])
    #expect(g.groups.map { $0.members.map(g.memberLabel) } == [["seed=0", "seed=1"], ["seed=0", "seed=1"]])
    // Two keys, given as one comma-separated option or two.
    for keys in [["arm,intervention"], ["arm", "intervention"], ["arm, intervention", "arm"]] {
      let two = try RunGroups.make(runs, by: RunGrouping(keys: keys))
      #expect(two.keys == ["arm", "intervention"])
      #expect(two.groups.map(\.label) == ["arm=vanilla, intervention=none", "arm=static, intervention=static", "arm=static, intervention=late"])
      #expect(two.groups.map(\.title) == ["vanilla, none", "static, static", "static, late"])
    }
    // No grouping: one group of all runs.
    let one = try RunGroups.make(runs, by: RunGrouping())
    #expect(one.groups.count == 1 && one.groups[0].members == [0, 1, 2, 3] && one.groups[0].label == "all runs")
  }

  @Test func numbersAndTheirTextFallInOneGroup() throws {
    let runs = [Self.run("a", ["seed": 3]), Self.run("b", ["seed": "3"]), Self.run("c", ["seed": 3.5])]
    let g = try RunGroups.make(runs, by: RunGrouping(keys: ["seed"]))
    #expect(g.groups.map(\.label) == ["seed=3", "seed=3.5"])
    #expect(g.groups[0].members == [0, 1])
  }

  @Test func groupsByNamePatternCaptures() throws {
    let runs = ["vanilla_seed0", "static_erasure_seed0", "vanilla_seed1", "static_erasure_seed1", "vanilla_seed2"].map { Self.run($0) }
    for pattern in [#"(?<arm>\w+)_seed(?<seed>\d+)"#, #"(?P<arm>\w+)_seed(?P<seed>\d+)"#] {
      let g = try RunGroups.make(runs, by: RunGrouping(namePattern: pattern))
      // 'seed' tells members apart; the groups are by arm.
      #expect(g.keys == ["arm"])
      #expect(g.groups.map(\.label) == ["arm=vanilla", "arm=static_erasure"])
      #expect(g.groups.map(\.members) == [[0, 2, 4], [1, 3]])
      #expect(g.runs[3].config == ["arm": "static_erasure", "seed": 1])
      #expect(g.notes == ["groups by arm from --group-by-name; seed tells the members of a group apart"])
    }
    // With --group-by too, those keys group (here: by seed across arms).
    let bySeed = try RunGroups.make(runs, by: RunGrouping(keys: ["seed"], namePattern: #"(?<arm>\w+)_seed(?<seed>\d+)"#))
    #expect(bySeed.groups.map(\.label) == ["seed=0", "seed=1", "seed=2"])
  }

  @Test func capturedValuesReplaceConfigValuesAndSaySo() throws {
    let runs = [Self.run("vanilla_seed0", ["arm": "baseline", "seed": 0])]
    let g = try RunGroups.make(runs, by: RunGrouping(namePattern: #"(?<arm>\w+)_seed(?<seed>\d+)"#))
    #expect(g.runs[0].config["arm"] == "vanilla")
    #expect(g.notes.first == "vanilla_seed0: --group-by-name sets arm=vanilla (its config had arm=baseline)")
  }

  @Test func errorsNameTheRunAndTheFix() throws {
    let runs = [Self.run("a", ["arm": "v"]), Self.run("b", ["seed": 1, "lr": 0.1])]
    #expect(throws: GroupingError("b (/runs/b.log): no config value 'arm' to group by; its config has lr, seed (a table log takes key=value tokens from its argv or preset lines; --group-by-name takes fields from the run names)")) {
      try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
    }
    #expect(throws: GroupingError("--group-by-name: run 'b' (/runs/b.log) does not match '^(?<arm>a)$'")) {
      try RunGroups.make(runs, by: RunGrouping(namePattern: "^(?<arm>a)$"))
    }
    #expect(throws: GroupingError.self) { try RunGroups.make(runs, by: RunGrouping(namePattern: "(a|b)")) }
    #expect(throws: GroupingError.self) { try RunGrouping(namePattern: "(?<arm>") }
    #expect(throws: GroupingError.self) { try RunGrouping(keys: ["arm,,seed"]) }
  }

  @Test func configValuesParseAsPeopleWriteThem() {
    #expect(ConfigValue.parse("3") == .number(3))
    #expect(ConfigValue.parse("-1.5e-4") == .number(-1.5e-4))
    #expect(ConfigValue.parse(".5") == .number(0.5))
    #expect(ConfigValue.parse("vanilla") == .string("vanilla"))
    #expect(ConfigValue.parse("'3'") == .string("3"))
    #expect(ConfigValue.parse("\"static erasure\"") == .string("static erasure"))
    #expect(ConfigValue.parse("True") == .bool(true))
    #expect(ConfigValue.parse("nan") == .string("nan"))
    #expect(ConfigValue.parse("1e999") == .string("1e999"))
    #expect(ConfigValue.parse("0x10") == .string("0x10"))
    #expect(ConfigValue.number(3).text == "3" && ConfigValue.number(1e-5).text == "1e-05" && ConfigValue.number(0.25).text == "0.25")
    let config: [String: ConfigValue] = ["lr": 3e-4, "arm": "v", "amp": true]
    #expect(config.numbers == ["lr": 3e-4, "amp": 1])
  }

  @Test func controlCharactersAreEscapedInMessages() {
    #expect("a\u{1B}[31mb\nc\t".escapingControlCharacters == "a\\u{1b}[31mb\\nc\\t")
    #expect("plain ↓".escapingControlCharacters == "plain ↓")
  }
}
