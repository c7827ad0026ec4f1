import Foundation
import Testing
import TrainscapeBatch
import TrainscapeIO
import TrainscapeTestSupport

/// A one-node Slurm cluster brought up by `scripts/slurm/local-cluster.sh start` (root).
enum Slurm {
  static var script: String { CLI.packageRoot.appendingPathComponent("scripts/slurm/local-cluster.sh").path }
  static var template: String { CLI.packageRoot.appendingPathComponent("scripts/slurm/trainscape-array.sbatch").path }

  /// The tests run when asked (CI's Slurm tier sets it after starting the cluster).
  static var requested: Bool { ProcessInfo.processInfo.environment["TRAINSCAPE_SLURM_TESTS"] == "1" }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `local-cluster.sh ARGS` (Slurm commands run under `timeout`, after a controller check).
  @discardableResult
  static func cluster(_ args: [String], environment: [String: String] = [:]) throws -> String {
    let r = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), [script] + args, environment: environment)
    guard r.status == 0 else {
      throw Failure(description: "local-cluster.sh \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
    }
    return r.stdout
  }

  /// Fails with one clear line when the cluster is not up.
  static func requireUp() throws {
    do {
      try cluster(["status"])
    } catch {
      throw Failure(description: "no Slurm cluster: run `sudo scripts/slurm/local-cluster.sh start` first (\(error))")
    }
  }

  /// `sbatch --array=ARRAY trainscape-array.sbatch OUT ARGS...` from `dir`, running this build's
  /// binary; returns the job id.
  static func submitArray(_ array: String, out: String, args: [String], dir: URL) throws -> String {
    let id = try cluster(
      ["run", "sbatch", "--parsable", "--array=\(array)", "--chdir=\(dir.path)", "--output=\(dir.path)/slurm-%A_%a.out",
       template, out] + args,
      environment: ["TRAINSCAPE": CLI.binary.path])
    return String(id.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first ?? "")
  }

  /// Waits until every task of `job` ended; task id -> (state, exit code).
  static func wait(_ job: String, seconds: Int = 600) throws -> [String: (state: String, exit: String)] {
    var out: [String: (String, String)] = [:]
    for line in try cluster(["wait", job, String(seconds)]).split(separator: "\n") {
      let p = line.split(separator: " ").map(String.init)
      if p.count == 3 { out[p[0]] = (p[1], p[2]) }
    }
    return out
  }

  static func slurmLogs(_ dir: URL) -> String {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("slurm-") }.sorted()
    return names.map { n in "== \(n)\n" + ((try? String(contentsOfFile: dir.path + "/" + n, encoding: .utf8)) ?? "") }.joined(separator: "\n")
  }
}

/// The batch on a real Slurm: job arrays, a killed task, a split turntable. CI's second tier
/// starts the cluster with scripts/slurm/local-cluster.sh and sets TRAINSCAPE_SLURM_TESTS=1.
@Suite(
  .serialized, .tags(.slow), .tiered,
  .enabled(if: Slurm.requested, "needs a one-node Slurm: sudo scripts/slurm/local-cluster.sh start, then TRAINSCAPE_SLURM_TESTS=1 swift test --filter SlurmTests"))
struct SlurmTests {
  /// 40 runs x 3 kinds as `sbatch --array=0-3`: exactly the files of one process, and a merged
  /// manifest with every job once.
  @Test func arrayOfFourEqualsOneProcess() throws {
    try Slurm.requireUp()
    let dir = try BatchFixture.sweep(runs: 40)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let single = dir.appendingPathComponent("single"), array = dir.appendingPathComponent("array")
    let one = try CLI.run(["batch", plan, "-o", single.path, "--quiet"])
    #expect(one.status == 0, "\(one.stderr)")

    let job = try Slurm.submitArray("0-3", out: array.path, args: [plan], dir: dir)
    let tasks = try Slurm.wait(job)
    #expect(tasks.count == 4, "tasks: \(tasks)\n\(Slurm.slurmLogs(dir))")
    for (task, s) in tasks {
      #expect(s.state == "COMPLETED" && s.exit == "0:0", "task \(task): \(s)\n\(Slurm.slurmLogs(dir))")
    }
    let logs = Slurm.slurmLogs(dir)
    for i in 0..<4 { #expect(logs.contains("shard \(i)/4 (Slurm array task \(i) (min 0, count 4))")) }

    try BatchFixture.sameFiles(single, array, expectedCount: 120)
    let merge = try CLI.run(["batch", "--merge", array.path])
    #expect(merge.status == 0, "\(merge.stderr)")
    let m = try MergedManifest.read(path: array.path + "/manifest.json")
    #expect(m.jobCount == 120 && m.done == 120 && m.failed == 0 && m.missing == 0)
    #expect(m.jobs.map(\.id).count == 120 && Set(m.jobs.map(\.id)).count == 120)
    #expect(Set(m.jobs.compactMap(\.shard)) == ["0/4", "1/4", "2/4", "3/4"])
    // Each run's jobs ran in one task (each task read its runs once).
    var shardOfRun: [String: Set<String>] = [:]
    for e in m.jobs { shardOfRun[e.runs[0], default: []].insert(e.shard ?? "?") }
    #expect(shardOfRun.count == 40 && shardOfRun.values.allSatisfy { $0.count == 1 })
    #expect(FileManager.default.fileExists(atPath: array.path + "/index.html"))
  }

  /// A task killed mid-way; the re-submitted array renders only what is missing.
  @Test func killedTaskIsCompletedByARerun() throws {
    try Slurm.requireUp()
    let dir = try BatchFixture.sweep(runs: 40)
    // Larger frames, so that a task is still busy when it is cancelled.
    let plan = try BatchFixture.writePlan(
      BatchFixture.threeKinds.replacingOccurrences(of: "size = \"240x180\"\nsamples = 0", with: "size = \"960x720\"\nsamples = 4"), in: dir)
    let out = dir.appendingPathComponent("out")
    let state = BatchState(output: out.path)
    let job = try Slurm.submitArray("0-3", out: out.path, args: [plan], dir: dir)
    let journal2 = state.journalPath(ShardSpec(index: 2, count: 4, source: ""))
    func lines(_ path: String) -> Int {
      ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }
    // Cancel task 2 once it has finished a few jobs.
    let deadline = Date().addingTimeInterval(300)
    while lines(journal2) < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    try #require(lines(journal2) >= 3, "task 2 never got going:\n\(Slurm.slurmLogs(dir))")
    try Slurm.cluster(["run", "scancel", "\(job)_2"])
    let first = try Slurm.wait(job)
    #expect(first["2"]?.state == "CANCELLED", "\(first)")
    for t in ["0", "1", "3"] { #expect(first[t]?.state == "COMPLETED", "task \(t): \(String(describing: first[t]))") }

    let jobs = try JSONDecoder().decode(JobListFileForTests.self, from: Data(contentsOf: URL(fileURLWithPath: state.stateDirectory + "/jobs.json"))).jobs
    #expect(jobs.count == 120)
    let doneBefore = Set(state.allRecords().records.filter { $0.status == .done }.map(\.id))
    let mine2 = Sharding.jobs(jobs, for: ShardSpec(index: 2, count: 4, source: ""))
    #expect(doneBefore.count < 120, "task 2 finished before it was cancelled")
    #expect(doneBefore.count >= 120 - mine2.count + 3)
    let missingBefore = try CLI.run(["batch", "--merge", out.path])
    #expect(missingBefore.status == 2)
    #expect(missingBefore.stderr.contains("missing: "))

    // Line counts before the re-run: what the re-run appends is what it rendered.
    let shardsDir = state.shardsDirectory
    let journals = try FileManager.default.contentsOfDirectory(atPath: shardsDir).filter { $0.hasSuffix(".jsonl") }
    var cut: [String: Int] = [:]
    for j in journals { cut[j] = lines(shardsDir + "/" + j) }
    let again = try Slurm.submitArray("0-3", out: out.path, args: [plan], dir: dir)
    let second = try Slurm.wait(again)
    for (t, s) in second { #expect(s.state == "COMPLETED", "rerun task \(t): \(s)\n\(Slurm.slurmLogs(dir))") }
    var rendered: [String] = []
    for j in try FileManager.default.contentsOfDirectory(atPath: shardsDir).filter({ $0.hasSuffix(".jsonl") }) {
      let all = try String(contentsOfFile: shardsDir + "/" + j, encoding: .utf8).split(separator: "\n")
      for line in all.dropFirst(cut[j] ?? 0) {
        rendered.append(try JSONDecoder().decode(JobRecord.self, from: Data(line.utf8)).id)
      }
    }
    let expected = Set(jobs.map(\.id)).subtracting(doneBefore)
    #expect(Set(rendered) == expected, "rendered \(rendered.count), expected \(expected.count)")
    #expect(rendered.count == expected.count, "a job was rendered twice")
    let merge = try CLI.run(["batch", "--merge", out.path])
    #expect(merge.status == 0, "\(merge.stderr)")
    let m = try MergedManifest.read(path: out.path + "/manifest.json")
    #expect(m.done == 120 && Set(m.jobs.map(\.id)).count == 120)
  }

  /// One turntable's frames over 4 array tasks, assembled by the merge job that `--submit run`
  /// queues after the array: the GIF `trainscape turntable` writes.
  @Test func splitTurntableOverFourTasks() throws {
    try Slurm.requireUp()
    let dir = try BatchFixture.sweep(runs: 1, steps: 80)
    let plan = try BatchFixture.writePlan("""
      sources = ["runs/*.jsonl"]
      [kinds.gradient-flow]
      outputs = ["gif"]
      size = "320x240"
      [kinds.gradient-flow.animation]
      frames = 24
      frames-per-job = 6
      """, in: dir)
    let out = dir.appendingPathComponent("out")
    let conf = ProcessInfo.processInfo.environment["TRAINSCAPE_SLURM_DIR"] ?? "/tmp/trainscape-slurm"
    let submit = try CLI.run(
      ["batch", plan, "-o", out.path, "--submit", "run", "--shards", "4"],
      environment: ["SLURM_CONF": conf + "/slurm.conf", "TRAINSCAPE": CLI.binary.path])
    #expect(submit.status == 0, "\(submit.stderr)")
    let ids = submit.stdout.split(separator: "\n").map(String.init)
    try #require(ids.count == 2, "expected the array's and the merge's job ids: \(submit.stdout)")
    let array = try Slurm.wait(ids[0])
    #expect(array.count == 4 && array.values.allSatisfy { $0.state == "COMPLETED" }, "\(array)")
    let merge = try Slurm.wait(ids[1])
    #expect(merge.values.first?.state == "COMPLETED", "merge job: \(merge)")
    let m = try MergedManifest.read(path: out.path + "/manifest.json")
    #expect(m.jobCount == 5 && m.done == 5)
    #expect(Set(m.jobs.filter { $0.action == "frames" }.compactMap(\.shard)) == ["0/4", "1/4", "2/4", "3/4"])
    #expect(m.jobs.last?.shard == "merge")

    let ref = dir.appendingPathComponent("ref")
    let run = dir.appendingPathComponent("runs/run_000_lr_1.00e-04.jsonl").path
    let t = try CLI.run(["turntable", "gradient-flow", run, "-o", ref.path, "--frames", "24", "--size", "320x240", "--animate", "gif", "--quiet"])
    #expect(t.status == 0, "\(t.stderr)")
    let a = try Data(contentsOf: out.appendingPathComponent("run_000_lr_1.00e-04/gradient-flow.gif"))
    let b = try Data(contentsOf: ref.appendingPathComponent("run_001/run_000_lr_1.00e-04_gradient-flow.gif"))
    #expect(a.count > 10_000 && a == b, "assembled \(a.count) bytes, turntable \(b.count) bytes")
  }
}

/// `OUT/.batch/jobs.json` as the tests read it.
struct JobListFileForTests: Decodable {
  var jobs: [Job]
}
