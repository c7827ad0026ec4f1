import Foundation
import Testing
import TrainscapeBatch
import TrainscapeTestSupport

func sweepJobs(runs: Int, kinds: String = "[kinds.gradient-flow]\noutputs = [\"png\"]\n[kinds.trajectory]\noutputs = [\"png\", \"glb\"]\n[kinds.loss-landscape]\noutputs = [\"gif\"]\n[kinds.loss-landscape.animation]\nframes = 24\n") throws -> [Job] {
  let (p, _) = try PlanReader.read(text: "sources = [\"r\"]\n" + kinds, format: "toml", baseDirectory: "/")
  let refs = (0..<runs).map { RunRef(name: "run\($0)", path: "/r/run\($0).jsonl") }
  return JobExpansion.jobs(plan: p, runs: refs)
}

@Suite(.tiered) struct ShardingTests {
  @Test func everyJobIsInExactlyOneShardAndARunStaysTogether() throws {
    let jobs = try sweepJobs(runs: 41)
    for n in [1, 2, 3, 4, 7, 16, 64] {
      var seen: [Int: Int] = [:]
      for i in 0..<n {
        for j in Sharding.jobs(jobs, for: ShardSpec(index: i, count: n, source: "test")) {
          #expect(seen[j.index] == nil, "job \(j.id) in two shards")
          seen[j.index] = i
        }
      }
      #expect(seen.count == jobs.count, "n=\(n): \(jobs.count - seen.count) jobs in no shard")
      // Each run's jobs are in one shard, so each task reads its runs once.
      for run in 0..<41 {
        let shardsOfRun = Set(jobs.filter { $0.runs.first?.name == "run\(run)" }.map { seen[$0.index]! })
        #expect(shardsOfRun.count == 1)
      }
    }
  }

  @Test func theSplitIsBalancedByCost() throws {
    // Runs of unequal cost: every third run also has a long turntable.
    var jobs: [Job] = []
    for r in 0..<30 {
      let kinds = r % 3 == 0
        ? "[kinds.gradient-flow]\noutputs = [\"png\", \"gif\"]\n[kinds.gradient-flow.animation]\nframes = 120\n"
        : "[kinds.gradient-flow]\noutputs = [\"png\"]\n"
      var more = try sweepJobs(runs: 1, kinds: kinds)
      for i in more.indices {
        more[i].unit = "run\(r)"
        more[i].id = "run\(r)/" + more[i].id
        more[i].index = jobs.count + i
      }
      jobs += more
    }
    let n = 4
    let loads = (0..<n).map { i in Sharding.jobs(jobs, for: ShardSpec(index: i, count: n, source: "t")).map(\.cost).reduce(0, +) }
    let total = jobs.map(\.cost).reduce(0, +)
    let biggestUnit = 12.1 + 1  // one run with a turntable
    // LPT: no shard exceeds the average by more than the largest unit.
    #expect(loads.max()! <= total / Double(n) + biggestUnit, "\(loads)")
    // Every n-th job (round robin) would be far worse here: shard 0 gets every turntable.
    let roundRobin = (0..<n).map { i in jobs.filter { $0.index % n == i }.map(\.cost).reduce(0, +) }
    #expect(loads.max()! < roundRobin.max()!)
  }

  @Test func partsOfASplitAnimationSpreadOverShards() throws {
    let jobs = try sweepJobs(runs: 1, kinds: "[kinds.gradient-flow]\noutputs = [\"gif\"]\n[kinds.gradient-flow.animation]\nframes = 40\nframes-per-job = 10\n")
    #expect(jobs.count == 5)
    let assignment = Sharding.assign(jobs, count: 4)
    #expect(Set(assignment.prefix(4)) == [0, 1, 2, 3])
    #expect(assignment[4] == -1)  // the assembly is batch --merge's
  }

  @Test func shardFromFlagsAndSchedulers() throws {
    func r(_ env: [String: String], flag: String? = nil, shards: Int? = nil) throws -> ShardSpec {
      try ShardEnvironment.resolve(flag: flag.flatMap(ShardSpec.parse), shards: shards, environment: env)
    }
    #expect(try r([:]) == .whole)
    #expect(try r([:], flag: "2/5").description == "2/5")
    #expect(ShardSpec.parse("5/5") == nil && ShardSpec.parse("-1/3") == nil && ShardSpec.parse("1") == nil)
    // Slurm: --array=0-3, --array=1-4 (min 1), --array=0-30:10 (step 10).
    let s = try r(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"])
    #expect(s.index == 2 && s.count == 4 && s.source.contains("Slurm"))
    let s1 = try r(["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"])
    #expect(s1.index == 3 && s1.count == 4)
    let s2 = try r(["SLURM_ARRAY_TASK_ID": "20", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "10"])
    #expect(s2.index == 2)
    #expect(throws: ShardError.self) { try r(["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"]) }
    #expect(throws: ShardError.self) { try r(["SLURM_ARRAY_TASK_ID": "2"]) }
    // The flag wins over the environment.
    #expect(try r(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"], flag: "0/1") == ShardSpec(index: 0, count: 1, source: "--shard"))
    // Kubernetes Indexed Job: the index, and the count from --shards.
    let k = try r(["JOB_COMPLETION_INDEX": "3"], shards: 8)
    #expect(k.index == 3 && k.count == 8 && k.source.contains("JOB_COMPLETION_INDEX"))
    let missing = try #require(throws: ShardError.self) { try r(["JOB_COMPLETION_INDEX": "3"]) }
    #expect(missing.description.contains("--shards"))
    #expect(throws: ShardError.self) { try r(["JOB_COMPLETION_INDEX": "8"], shards: 8) }
    // torchrun / MPI style.
    let t = try r(["RANK": "1", "WORLD_SIZE": "2"])
    #expect(t.index == 1 && t.count == 2)
    #expect(throws: ShardError.self) { try r(["RANK": "1"]) }
    #expect(throws: ShardError.self) { try r(["RANK": "x", "WORLD_SIZE": "2"]) }
    #expect(throws: ShardError.self) { try r([:], shards: 3) }
  }

  @Test func gpuAutoPicksTheTasksDevice() {
    typealias D = GPUAssignment.Device
    let four = (0..<4).map { D(index: $0, cudaOrdinal: $0, isSoftware: false) } + [D(index: 4, cudaOrdinal: nil, isSoftware: true)]
    func pick(_ env: [String: String], _ devices: [D] = four) -> Int? {
      GPUAssignment.pick(environment: env, devices: devices).device?.index
    }
    #expect(pick([:]) == 0)
    #expect(pick(["SLURM_LOCALID": "2"]) == 2)
    #expect(pick(["SLURM_LOCALID": "6"]) == 2)
    #expect(pick(["LOCAL_RANK": "3"]) == 3)
    // Slurm gives task 1 of the node GPUs 2,3. NVIDIA's EGL lists all four GPUs but only the
    // visible ones have CUDA ordinals, numbered 0, 1 in the list's order (as seen on an H200
    // with CUDA_VISIBLE_DEVICES=1: the GPU listed without an ordinal).
    let remapped = [
      D(index: 0, cudaOrdinal: nil, isSoftware: false), D(index: 1, cudaOrdinal: nil, isSoftware: false),
      D(index: 2, cudaOrdinal: 0, isSoftware: false), D(index: 3, cudaOrdinal: 1, isSoftware: false),
    ]
    #expect(pick(["CUDA_VISIBLE_DEVICES": "2,3", "SLURM_LOCALID": "1"], remapped) == 3)
    #expect(pick(["CUDA_VISIBLE_DEVICES": "2,3", "SLURM_LOCALID": "0"], remapped) == 2)
    // One visible GPU of four, the task alone on it.
    let third = [D(index: 0, cudaOrdinal: nil, isSoftware: false), D(index: 1, cudaOrdinal: nil, isSoftware: false), D(index: 2, cudaOrdinal: 0, isSoftware: false)]
    #expect(pick(["CUDA_VISIBLE_DEVICES": "2"], third) == 2)
    // A driver reporting physical ordinals.
    #expect(pick(["CUDA_VISIBLE_DEVICES": "2,3", "SLURM_LOCALID": "1"]) == 3)
    // EGL sees only the allotted GPU (a cgroup), numbered 0.
    let one = [D(index: 0, cudaOrdinal: 0, isSoftware: false)]
    #expect(pick(["CUDA_VISIBLE_DEVICES": "3"], one) == 0)
    #expect(pick(["CUDA_VISIBLE_DEVICES": "GPU-8f6a-uuid,GPU-11aa", "SLURM_LOCALID": "1"], remapped) == 3)
    // No GPU: software.
    #expect(pick(["CUDA_VISIBLE_DEVICES": ""]) == nil)
    #expect(pick(["CUDA_VISIBLE_DEVICES": "-1"]) == nil)
    #expect(pick([:], [D(index: 0, cudaOrdinal: nil, isSoftware: true)]) == nil)
    #expect(GPUAssignment.pick(environment: ["SLURM_LOCALID": "1"], devices: four).reason.contains("SLURM_LOCALID=1"))
  }
}

@Suite(.tiered) struct RecordTests {
  func record(_ id: String, _ status: JobRecord.Status, at: String, input: String = "i", options: String = "o", outputs: [String]? = nil) -> JobRecord {
    JobRecord(
      id: id, status: status, inputHash: input, optionsHash: options, outputs: outputs ?? [id], outputHashes: nil,
      error: status == .failed ? "boom" : nil, seconds: 1, shard: "0/1", host: "h", finishedAt: at)
  }

  @Test func aJobIsDoneOnlyWithMatchingHashesAndItsOutputs() {
    let idx = RecordIndex(records: [
      record("a", .done, at: "2026-01-01T00:00:01Z"),
      record("b", .failed, at: "2026-01-01T00:00:01Z"),
      record("c", .done, at: "2026-01-01T00:00:01Z"),
      record("c", .failed, at: "2026-01-01T00:00:02Z", input: "j"),
    ])
    let exists: (String) -> Bool = { $0 != "gone" }
    #expect(idx.done("a", inputHash: "i", optionsHash: "o", outputExists: exists) != nil)
    #expect(idx.done("a", inputHash: "changed", optionsHash: "o", outputExists: exists) == nil)
    #expect(idx.done("a", inputHash: "i", optionsHash: "other", outputExists: exists) == nil)
    #expect(idx.done("a", inputHash: "i", optionsHash: "o", outputExists: { _ in false }) == nil)
    #expect(idx.done("b", inputHash: "i", optionsHash: "o", outputExists: exists) == nil)
    #expect(idx.failure("b", inputHash: "i", optionsHash: "o")?.error == "boom")
    #expect(idx.failure("b", inputHash: "new input", optionsHash: "o") == nil)
    // c: an old success for input i stands; the later failure was for other input j.
    #expect(idx.done("c", inputHash: "i", optionsHash: "o", outputExists: exists) != nil)
    #expect(idx.failure("c", inputHash: "j", optionsHash: "o") != nil)
  }

  @Test func journalsSurviveATornLastLine() throws {
    let dir = try TestPaths.temporaryDirectory("trainscape-batch")
    let state = BatchState(output: dir.path)
    try FileManager.default.createDirectory(atPath: state.shardsDirectory, withIntermediateDirectories: true)
    let spec = ShardSpec(index: 1, count: 4, source: "t")
    #expect(state.journalPath(spec).hasSuffix("shards/shard-0001-of-0004.jsonl"))
    try BatchState.append(record("a", .done, at: "t1"), to: state.journalPath(spec))
    try BatchState.append(record("b", .failed, at: "t2"), to: state.journalPath(spec))
    let handle = try #require(FileHandle(forWritingAtPath: state.journalPath(spec)))
    handle.seekToEndOfFile()
    handle.write(Data("{\"id\": \"c\", \"sta".utf8))  // killed mid-write
    try handle.close()
    let (records, _, notes) = state.allRecords()
    #expect(records.map(\.id) == ["a", "b"])
    #expect(notes.count == 1 && notes[0].contains(":3:"))
  }

  @Test func aShardReadsOnlyTheRecordsItCanNeed() throws {
    let dir = try TestPaths.temporaryDirectory("trainscape-batch")
    let state = BatchState(output: dir.path)
    try FileManager.default.createDirectory(atPath: state.shardsDirectory, withIntermediateDirectories: true)
    let own = ShardSpec(index: 1, count: 4, source: "t")
    try BatchState.append(record("own", .done, at: "t"), to: state.journalPath(own))
    try BatchState.append(record("sibling", .done, at: "t"), to: state.journalPath(ShardSpec(index: 2, count: 4, source: "t")))
    try BatchState.append(record("earlier-n", .done, at: "t"), to: state.journalPath(ShardSpec(index: 0, count: 2, source: "t")))
    try BatchState.append(record("assembled", .done, at: "t"), to: state.mergeJournalPath)
    #expect(Set(state.allRecords(for: own).records.map(\.id)) == ["own", "earlier-n", "assembled"])
    #expect(Set(state.allRecords().records.map(\.id)) == ["own", "sibling", "earlier-n", "assembled"])
  }

  @Test func inputHashesFollowContentNotTime() throws {
    let dir = try runsFolder(["a.jsonl", "b.jsonl", "d/x.jsonl"])
    let a = dir.appendingPathComponent("a.jsonl").path
    let b = dir.appendingPathComponent("b.jsonl").path
    #expect(try Fingerprint.inputs([a]) == Fingerprint.inputs([b]))  // same bytes
    #expect(try Fingerprint.inputs([a, b]) != Fingerprint.inputs([a]))
    let before = try Fingerprint.inputs([dir.appendingPathComponent("d").path])
    try Data("{\"step\": 1}\n".utf8).write(to: dir.appendingPathComponent("d/x.jsonl"))
    #expect(try Fingerprint.inputs([dir.appendingPathComponent("d").path]) != before)
    // SHA-256 of "abc", the FIPS 180-2 example.
    #expect(Fingerprint.string("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(throws: BatchIOError.self) { try Fingerprint.inputs([dir.appendingPathComponent("missing").path]) }
  }

  @Test func mergedManifestListsEveryJobOnceAndTheGalleryEscapes() throws {
    let jobs = try sweepJobs(runs: 3)
    let dir = try TestPaths.temporaryDirectory("trainscape-batch")
    let state = BatchState(output: dir.path)
    // Inputs don't exist: every job is missing, none dropped.
    let checked = BatchStatus.check(jobs: jobs, index: RecordIndex(records: []), state: state, version: "test")
    let m = BatchStatus.manifest(checked, jobListHash: JobList.hash(jobs), version: "test", shardManifests: [])
    #expect(m.jobs.map(\.id) == jobs.map(\.id))
    #expect(Set(m.jobs.map(\.id)).count == jobs.count)
    #expect(m.missing == jobs.count && m.done == 0)
    var withError = m
    withError.jobs[0].status = .failed
    withError.jobs[0].error = "<script>alert(1)</script>"
    let html = Gallery.html(withError, title: "t & <b>")
    #expect(!html.contains("<script>alert"))
    #expect(html.contains("&lt;script&gt;") && html.contains("t &amp; &lt;b&gt;"))
    #expect(!html.contains("http://") && !html.contains("https://"))  // offline
  }
}
