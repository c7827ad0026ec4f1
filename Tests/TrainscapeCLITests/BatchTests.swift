import Foundation
import Testing
import TrainscapeBatch
import TrainscapeIO
import TrainscapeTestSupport

/// Helpers shared by the batch tests (local processes and Slurm).
enum BatchFixture {
  /// `scripts/make_sweep_runs.py DIR --runs N` (small runs).
  static func sweep(runs: Int, steps: Int = 120, layers: Int = 6) throws -> URL {
    let dir = try CLI.tempDir()
    let runsDir = dir.appendingPathComponent("runs")
    _ = try Python.run(arguments: [
      CLI.packageRoot.appendingPathComponent("scripts/make_sweep_runs.py").path, runsDir.path,
      "--runs", String(runs), "--steps", String(steps), "--layers", String(layers),
    ])
    return dir
  }

  /// The 3-kind plan of the tests: gradient-flow and loss-landscape PNGs, trajectory as Plotly
  /// JSON, small images.
  static let threeKinds = """
    sources = ["runs/*.jsonl"]
    [defaults]
    size = "240x180"
    samples = 0
    [kinds.gradient-flow]
    outputs = ["png"]
    [kinds.loss-landscape]
    outputs = ["png"]
    window = 20
    [kinds.trajectory]
    outputs = ["plotly.json"]
    grad-key = "grad_norm/total"
    """

  static func writePlan(_ text: String, in dir: URL, name: String = "plan.toml") throws -> String {
    let p = dir.appendingPathComponent(name).path
    try #require(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)))
    return p
  }

  /// Relative path -> bytes of every file under `dir` except the batch's own bookkeeping
  /// (.batch/, manifest.json, index.html).
  static func outputs(_ dir: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let e = FileManager.default.enumerator(atPath: dir.path)
    while let rel = e?.nextObject() as? String {
      if rel.hasPrefix(".batch") || rel == "manifest.json" || rel == "index.html" { continue }
      var isDir: ObjCBool = false
      let full = dir.appendingPathComponent(rel).path
      _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
      if !isDir.boolValue { out[rel] = try Data(contentsOf: URL(fileURLWithPath: full)) }
    }
    return out
  }

  static func sameFiles(_ a: URL, _ b: URL, expectedCount: Int) throws {
    let fa = try outputs(a), fb = try outputs(b)
    #expect(fa.count == expectedCount, "\(a.path): \(fa.count) files, expected \(expectedCount)")
    #expect(Set(fa.keys) == Set(fb.keys), "different files: \(Set(fa.keys).symmetricDifference(fb.keys).sorted().prefix(10))")
    for (k, v) in fa where fb[k] != v {
      Issue.record("\(k) differs between \(a.path) and \(b.path)")
    }
  }

  /// Journal lines (one per job run) of every shard in `out`.
  static func journalRecords(_ out: URL) -> [JobRecord] {
    BatchState(output: out.path).allRecords().records.filter { _ in true }
  }
}

@Suite(.serialized, .tags(.egl), .tiered) struct BatchTests {
  @Test func listIsDeterministicAndShowsShards() throws {
    let dir = try BatchFixture.sweep(runs: 5, steps: 40)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let a = try CLI.run(["batch", plan, "--list"])
    #expect(a.status == 0, "stderr: \(a.stderr)")
    let lines = a.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 15)
    #expect(lines[0] == "0\trun_000_lr_1.00e-04/gradient-flow.png")
    #expect(lines[1] == "1\trun_000_lr_1.00e-04/loss-landscape.png")
    #expect(lines[2] == "2\trun_000_lr_1.00e-04/trajectory.plotly.json")
    #expect(a.stderr.contains("15 jobs over 5 runs"))
    #expect(try CLI.run(["batch", plan, "--list"]).stdout == a.stdout)
    let sharded = try CLI.run(["batch", plan, "--list", "--shards", "2"])
    let shardColumn = sharded.stdout.split(separator: "\n").map { $0.split(separator: "\t")[1] }
    #expect(Set(shardColumn) == ["0", "1"])
    // A run's three jobs are in one shard.
    for r in 0..<5 { #expect(Set(shardColumn[(3 * r)..<(3 * r + 3)]).count == 1) }
  }

  @Test func commandLineKindsWithoutAPlan() throws {
    let dir = try BatchFixture.sweep(runs: 2, steps: 40)
    let r = try CLI.run(["batch", "--kinds", "trajectory,gradient-flow", "--outputs", "glb,html", dir.appendingPathComponent("runs").path, "--list"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stdout.split(separator: "\n").map { $0.split(separator: "\t")[1] }.prefix(4) == [
      "run_000_lr_1.00e-04/gradient-flow.glb", "run_000_lr_1.00e-04/gradient-flow.html",
      "run_000_lr_1.00e-04/trajectory.glb", "run_000_lr_1.00e-04/trajectory.html",
    ])
    let bad = try CLI.run(["batch", "--kinds", "nope", dir.appendingPathComponent("runs").path, "-o", dir.appendingPathComponent("o").path])
    #expect(bad.status != 0 && bad.stderr.contains("unknown kind 'nope'"))
    // The output folder inside the runs' folder would become a run: refused.
    let overlap = try CLI.run(["batch", "--kinds", "trajectory", dir.appendingPathComponent("runs").path, "-o", dir.appendingPathComponent("runs").path])
    #expect(overlap.status != 0 && overlap.stderr.contains("outputs must never be inputs"), "\(overlap.stderr)")
  }

  /// The Kubernetes Indexed Job path: N processes with JOB_COMPLETION_INDEX and --shards N
  /// write exactly what one process writes; a re-run skips everything.
  @Test func indexedJobProcessesEqualOneProcessAndResume() throws {
    let dir = try BatchFixture.sweep(runs: 6, steps: 60)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let single = dir.appendingPathComponent("single"), sharded = dir.appendingPathComponent("sharded")
    let one = try CLI.run(["batch", plan, "-o", single.path, "--gpu", "cpu"])
    #expect(one.status == 0, "stderr: \(one.stderr)")
    #expect(one.stderr.contains("shard 0/1"))
    // Three pods at once.
    let n = 3
    let group = DispatchGroup()
    let results = ResultsBox(count: n)
    for i in 0..<n {
      DispatchQueue.global().async(group: group) {
        results.set(i, try? CLI.run(["batch", plan, "-o", sharded.path, "--shards", String(n), "--gpu", "cpu"], environment: ["JOB_COMPLETION_INDEX": String(i)]))
      }
    }
    group.wait()
    for i in 0..<n {
      let r = try #require(results.get(i))
      #expect(r.status == 0, "pod \(i): \(r.stderr)")
      #expect(r.stderr.contains("JOB_COMPLETION_INDEX=\(i)"))
    }
    try BatchFixture.sameFiles(single, sharded, expectedCount: 18)
    let manifests = try FileManager.default.contentsOfDirectory(atPath: sharded.path + "/.batch/shards").filter { $0.hasSuffix(".json") }.sorted()
    #expect(manifests == ["shard-0000-of-0003.json", "shard-0001-of-0003.json", "shard-0002-of-0003.json"])

    let merge = try CLI.run(["batch", "--merge", sharded.path])
    #expect(merge.status == 0, "stderr: \(merge.stderr)")
    let m = try MergedManifest.read(path: sharded.path + "/manifest.json")
    #expect(m.jobCount == 18 && m.done == 18 && m.missing == 0)
    #expect(Set(m.jobs.map(\.id)).count == 18)
    #expect(Set(m.jobs.compactMap(\.shard)) == ["0/3", "1/3", "2/3"])
    let html = try String(contentsOfFile: sharded.path + "/index.html", encoding: .utf8)
    #expect(html.contains("run_005_lr_1.00e-02/gradient-flow.png"))
    #expect(html.contains("18 jobs: 18 done"))

    // Again: nothing to do, nothing rewritten.
    let pngPath = single.path + "/run_000_lr_1.00e-04/gradient-flow.png"
    let before = try FileManager.default.attributesOfItem(atPath: pngPath)[.modificationDate] as? Date
    let again = try CLI.run(["batch", plan, "-o", single.path, "--gpu", "cpu"])
    #expect(again.status == 0)
    #expect(again.stderr.contains("0 rendered, 18 skipped (done before)"), "\(again.stderr)")
    #expect(try FileManager.default.attributesOfItem(atPath: pngPath)[.modificationDate] as? Date == before)

    // A changed run and a deleted output: only their jobs run again.
    let run3 = dir.appendingPathComponent("runs/run_003_lr_1.58e-03.jsonl")
    let h = try FileHandle(forWritingTo: run3)
    h.seekToEndOfFile()
    h.write(Data("{\"step\": 1000, \"train/loss\": 2.0, \"train/lr\": 0.0001, \"grad_norm/total\": 0.5}\n".utf8))
    try h.close()
    try FileManager.default.removeItem(atPath: single.path + "/run_001_lr_2.51e-04/trajectory.plotly.json")
    let third = try CLI.run(["batch", plan, "-o", single.path, "--gpu", "cpu"])
    #expect(third.status == 0, "\(third.stderr)")
    #expect(third.stderr.contains("4 rendered, 14 skipped (done before)"), "\(third.stderr)")
    #expect(third.stderr.contains("run_001_lr_2.51e-04/trajectory.plotly.json ("))
    #expect(third.stderr.contains("run_003_lr_1.58e-03/gradient-flow.png ("))
  }

  @Test func failuresAreRecordedWithoutStoppingTheShard() throws {
    let dir = try BatchFixture.sweep(runs: 3, steps: 40)
    // A run without per-layer gradient norms: gradient-flow fails, the rest renders.
    let bad = dir.appendingPathComponent("runs/run_zz_broken.jsonl")
    let rows = (0..<40).map { "{\"step\": \($0), \"train/loss\": \(3.0 - Double($0) * 0.01), \"train/lr\": 0.001, \"grad_norm/total\": 1}" }
    try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: bad)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["batch", plan, "-o", out.path, "--gpu", "cpu"])
    #expect(r.status == 3, "stderr: \(r.stderr)")
    #expect(r.stderr.contains("run_zz_broken/gradient-flow.png failed"))
    #expect(r.stderr.contains("11 rendered, 0 skipped (done before), 1 failed"))
    #expect(FileManager.default.fileExists(atPath: out.path + "/run_zz_broken/loss-landscape.png"))

    let merge = try CLI.run(["batch", "--merge", out.path])
    #expect(merge.status == 2)
    #expect(merge.stderr.contains("failed: run_zz_broken/gradient-flow.png (") && merge.stderr.contains("no per-layer metric family"))
    let m = try MergedManifest.read(path: out.path + "/manifest.json")
    #expect(m.failed == 1 && m.done == 11 && m.jobCount == 12)
    let html = try String(contentsOfFile: out.path + "/index.html", encoding: .utf8)
    #expect(html.contains("no per-layer metric family"))

    // A re-run does not repeat a failure with the same inputs; --retry-failed does.
    let again = try CLI.run(["batch", plan, "-o", out.path, "--gpu", "cpu"])
    #expect(again.status == 3)
    #expect(again.stderr.contains("failed before with the same inputs and options"))
    #expect(again.stderr.contains("0 rendered, 11 skipped (done before), 1 failed (1 before; --retry-failed)"))
    let retry = try CLI.run(["batch", plan, "-o", out.path, "--gpu", "cpu", "--retry-failed"])
    #expect(retry.status == 3)
    #expect(retry.stderr.contains("0 rendered, 11 skipped (done before), 1 failed\n") && retry.stderr.contains("run_zz_broken/gradient-flow.png failed"))
    // Fixed input: it renders.
    try FileManager.default.removeItem(at: bad)
    let fixed = try CLI.run(["batch", plan, "-o", out.path, "--gpu", "cpu"])
    #expect(fixed.status == 0)
    let merged = try CLI.run(["batch", "--merge", out.path])
    #expect(merged.status == 0, "\(merged.stderr)")
  }

  @Test func missingJobsAreListedByMerge() throws {
    let dir = try BatchFixture.sweep(runs: 4, steps: 40)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let out = dir.appendingPathComponent("out")
    let r = try CLI.run(["batch", plan, "-o", out.path, "--shard", "0/2", "--gpu", "cpu"])
    #expect(r.status == 0, "\(r.stderr)")
    let merge = try CLI.run(["batch", "--merge", out.path])
    #expect(merge.status == 2)
    let missing = merge.stderr.split(separator: "\n").filter { $0.contains("error: missing: ") }
    #expect(missing.count == 6, "\(merge.stderr)")
    #expect(merge.stderr.contains("12 jobs: 6 done, 0 failed, 6 missing"))
  }

  /// A turntable split over 4 shards, assembled by --merge: the same GIF as `turntable`.
  @Test func splitTurntableAssemblesIntoTheUnsplitGIF() throws {
    let dir = try BatchFixture.sweep(runs: 1, steps: 60)
    let plan = try BatchFixture.writePlan("""
      sources = ["runs/*.jsonl"]
      [kinds.gradient-flow]
      outputs = ["gif"]
      size = "200x150"
      [kinds.gradient-flow.animation]
      frames = 10
      frames-per-job = 3
      quality = "draft"
      """, in: dir)
    let out = dir.appendingPathComponent("out")
    for i in 0..<4 {
      let r = try CLI.run(["batch", plan, "-o", out.path, "--shard", "\(i)/4", "--gpu", "cpu"])
      #expect(r.status == 0, "shard \(i): \(r.stderr)")
    }
    let merge = try CLI.run(["batch", "--merge", out.path])
    #expect(merge.status == 0, "\(merge.stderr)")
    let run = dir.appendingPathComponent("runs/run_000_lr_1.00e-04.jsonl").path
    let ref = dir.appendingPathComponent("ref")
    let t = try CLI.run(["turntable", "gradient-flow", run, "-o", ref.path, "--frames", "10", "--size", "200x150", "--quality", "draft", "--animate", "gif", "--quiet", "--gpu", "cpu"])
    #expect(t.status == 0, "\(t.stderr)")
    let a = try Data(contentsOf: out.appendingPathComponent("run_000_lr_1.00e-04/gradient-flow.gif"))
    let b = try Data(contentsOf: ref.appendingPathComponent("run_001/run_000_lr_1.00e-04_gradient-flow.gif"))
    #expect(a.count > 1000)
    #expect(a == b, "assembled GIF (\(a.count) bytes) differs from the turntable's (\(b.count) bytes)")
    // An unsplit batch GIF is the same file too.
    let unsplit = try BatchFixture.writePlan(try String(contentsOfFile: plan, encoding: .utf8).replacingOccurrences(of: "frames-per-job = 3\n", with: ""), in: dir, name: "unsplit.toml")
    let u = try CLI.run(["batch", unsplit, "-o", dir.appendingPathComponent("u").path, "--gpu", "cpu"])
    #expect(u.status == 0, "\(u.stderr)")
    #expect(try Data(contentsOf: dir.appendingPathComponent("u/run_000_lr_1.00e-04/gradient-flow.gif")) == b)
  }

  @Test func submitPrintsTheSbatchLines() throws {
    let dir = try BatchFixture.sweep(runs: 10, steps: 20)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let out = dir.appendingPathComponent("out dir").path
    let r = try CLI.run(["batch", plan, "-o", out, "--submit", "print", "--jobs-per-task", "8"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 2)
    // 30 jobs, 8 per task: 4 tasks; logs beside the batch's state.
    #expect(lines[0].hasPrefix("ARRAY_JOB=$(sbatch --parsable --array=0-3 --job-name=trainscape-batch '--output=\(out)/.batch/logs/task-%A_%a.out' "))
    #expect(lines[0].hasSuffix("scripts/slurm/trainscape-array.sbatch '\(out)' \(plan))"))
    #expect(lines[1].hasPrefix("sbatch --parsable \"--dependency=afterany:$ARRAY_JOB\" --job-name=trainscape-merge "))
    #expect(lines[1].contains(" batch --merge "))
    #expect(FileManager.default.fileExists(atPath: out + "/.batch/logs"))
    // The template it names exists and is a bash script.
    let template = try #require(lines[0].components(separatedBy: " ").first { $0.hasSuffix("trainscape-array.sbatch") })
    #expect(try String(contentsOfFile: template, encoding: .utf8).hasPrefix("#!/usr/bin/env bash"))
  }

  @Test func gpuAutoSaysWhatItPicked() throws {
    let dir = try BatchFixture.sweep(runs: 1, steps: 40)
    let plan = try BatchFixture.writePlan(BatchFixture.threeKinds, in: dir)
    let r = try CLI.run(["batch", plan, "-o", dir.appendingPathComponent("o").path], environment: ["CUDA_VISIBLE_DEVICES": "", "SLURM_LOCALID": "1"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("--gpu auto: "))
  }
}

final class ResultsBox: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [CLI.Result?]
  init(count: Int) { items = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ r: CLI.Result?) {
    lock.lock()
    items[i] = r
    lock.unlock()
  }
  func get(_ i: Int) -> CLI.Result? {
    lock.lock()
    defer { lock.unlock() }
    return items[i]
  }
}
