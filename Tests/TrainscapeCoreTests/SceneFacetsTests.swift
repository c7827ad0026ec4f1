import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// `SceneFacets.make`: one panel per group, titled by the group, on shared ranges; one z
/// scale for every panel (built again with log z when auto chose log for some only).
@Suite(.tiered) struct SceneFacetsTests {
  static func groups() throws -> RunGroups {
    let runs = ["a", "b"].flatMap { arm in
      (0..<2).map { seed in
        Run(name: "\(arm)_seed\(seed)", source: "/runs/\(arm)_\(seed).jsonl", rows: [MetricRow(step: 0, values: ["loss": 1])],
            config: ["arm": .string(arm), "seed": .number(Double(seed))])
      }
    }
    return try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
  }

  /// A scene whose z runs over `range` on `scale`, x over the runs' count.
  static func output(_ runs: [Run], range: ClosedRange<Double>, log: Bool) -> RecipeOutput {
    let scene = Scene(
      title: "whatever", traces: [],
      x: AxisSpec(title: "step", range: 0...Double(runs.count)), y: AxisSpec(title: "lr", range: 0...1),
      z: AxisSpec(title: "loss", scale: log ? .log : .linear, range: range))
    return RecipeOutput(scene: scene, name: "n", keysLine: "keys: loss (\(runs.count) runs)", notes: ["built from \(runs.map(\.name).joined(separator: ","))"])
  }

  @Test func onePanelPerGroupOnSharedRangesTitledByTheGroup() throws {
    let g = try Self.groups()
    var calls: [Bool?] = []
    let r = try SceneFacets.make(groups: g, title: { _ in "Loss landscape by arm" }) { runs, force in
      calls.append(force)
      return Self.output(runs, range: runs[0].name.hasPrefix("a") ? 1...2 : 3...5, log: false)
    }
    #expect(calls == [nil, nil])
    #expect(r.figure.title == "Loss landscape by arm")
    #expect(r.figure.panels.map(\.title) == ["arm=a (2 runs)", "arm=b (2 runs)"])
    #expect(r.figure.panels.allSatisfy { $0.z.range == 1...5 })
    #expect(r.name == "arm")
    #expect(r.keysLines == ["keys: loss (2 runs) [arm=a]"])
    #expect(r.notes.contains("arm=b: built from b_seed0,b_seed1"), "\(r.notes)")
    #expect(r.notes.last == "2 panels by arm, one camera for all")
  }

  @Test func aMixOfLogAndLinearZIsBuiltAgainWithLogEverywhere() throws {
    let g = try Self.groups()
    var calls: [Bool?] = []
    let r = try SceneFacets.make(groups: g, title: { _ in "t" }) { runs, force in
      calls.append(force)
      let a = runs[0].name.hasPrefix("a")
      return Self.output(runs, range: a ? 1e-3...10 : 1...10, log: force ?? a)
    }
    #expect(calls == [nil, nil, true, true])
    #expect(r.figure.panels.allSatisfy { $0.z.scale == .log })
    #expect(r.notes.first == "z: log on every panel, so that all share one scale (--log-z auto chose log for arm=a only)")
  }

  @Test func panelsOnDifferentXOrYScalesAreRefusedNamingThem() throws {
    let g = try Self.groups()
    #expect {
      _ = try SceneFacets.make(groups: g, title: { _ in "t" }) { runs, _ in
        var o = Self.output(runs, range: 1...2, log: false)
        if runs[0].name.hasPrefix("a") { o.scene.y = AxisSpec(title: "lr", scale: .log, range: 1e-4...1e-2) }
        return o
      }
    } throws: { e in
      "\(e)".contains("the panels' y axes are on different scales (log: arm=a; linear: arm=b)")
    }
  }
}
