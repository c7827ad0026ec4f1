import Foundation
import Testing
import TrainscapeTestSupport

/// `info` on the bundled table logs: runs with their string configs, and the groups of
/// `--group-by` and `--group-by-name`, as text and as JSON.
@Suite(.tiered) struct GroupsCLITests {
  static var examples: String { TestPaths.packageRoot.appendingPathComponent("Assets/examples/dynamics").path }

  @Test func infoListsTheGroupsOfTheExampleLogs() throws {
    let r = try CLI.run(["info", Self.examples, "--group-by", "arm"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("vanilla_seed1  (table-log)"))
    #expect(r.stdout.contains("config: arm=vanilla, batch_size=28, eval_every=50, intervention=none, kl_coef=0.02, lr=1e-05, max_steps=1000, probe=linear, rollouts=28, seed=1"))
    #expect(r.stdout.contains("""
      groups by arm: 3
        arm=adaptive_erasure: 3 runs (seed=0, seed=1, seed=2)
        arm=static_erasure: 3 runs (seed=0, seed=1, seed=2)
        arm=vanilla: 3 runs (seed=0, seed=1, seed=2)
      """), "\(r.stdout)")
    #expect(r.stderr.isEmpty, "\(r.stderr)")

    // The files in the order given are the groups' order; the name pattern gives the fields.
    let files = ["vanilla", "static_erasure"].flatMap { arm in (0..<3).map { "\(Self.examples)/\(arm)_seed\($0).log" } }
    let byName = try CLI.run(["info"] + files + ["--group-by-name", #"(?<arm>\w+)_seed(?<seed>\d+)"#, "--json"])
    #expect(byName.status == 0, "\(byName.stderr)")
    #expect(byName.stderr.contains("groups by arm from --group-by-name; seed tells the members of a group apart"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(byName.stdout.utf8)) as? [String: Any])
    let runs = try #require(doc["runs"] as? [[String: Any]])
    #expect(runs.count == 6)
    let config = try #require(runs[0]["config"] as? [String: Any])
    #expect(config["arm"] as? String == "vanilla" && config["seed"] as? Double == 0 && config["intervention"] as? String == "none")
    let groups = try #require(doc["groups"] as? [String: Any])
    #expect(groups["keys"] as? [String] == ["arm"])
    let list = try #require(groups["groups"] as? [[String: Any]])
    #expect(list.map { $0["label"] as? String } == ["arm=vanilla", "arm=static_erasure"])
    #expect(list.map { $0["runs"] as? [String] } == [
      ["vanilla_seed0", "vanilla_seed1", "vanilla_seed2"], ["static_erasure_seed0", "static_erasure_seed1", "static_erasure_seed2"],
    ])
    #expect(list.first?["values"] as? [String: String] == ["arm": "vanilla"])
  }

  @Test func groupingErrorsAreClear() throws {
    let missing = try CLI.run(["info", Self.examples, "--group-by", "optimizer"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("adaptive_erasure_seed0 (\(Self.examples)/adaptive_erasure_seed0.log): no config value 'optimizer' to group by"), "\(missing.stderr)")
    let badPattern = try CLI.run(["info", Self.examples, "--group-by-name", "(?<arm>"])
    #expect(badPattern.status != 0)
    #expect(badPattern.stderr.contains("--group-by-name: '(?<arm>' is not a valid regular expression"), "\(badPattern.stderr)")
    // A text log that is not a table is said plainly, never "no runs found".
    let dir = try TestPaths.temporaryDirectory("groups-cli")
    try Data("Loading model\nepoch 1 done\n".utf8).write(to: dir.appendingPathComponent("train.log"))
    let plain = try CLI.run(["info", dir.path])
    #expect(plain.status != 0)
    #expect(plain.stderr.contains("no runs found: the only log file is not a table log (\(dir.path)/train.log: not a table log: no header line"), "\(plain.stderr)")
  }
}
