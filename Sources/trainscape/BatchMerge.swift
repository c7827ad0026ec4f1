import Foundation
import TrainscapeBatch
import TrainscapeCore
import TrainscapeIO

// MARK: - Merge

/// `batch --merge OUT`: assembles split animations whose parts are all done, then checks every
/// job and writes `OUT/manifest.json` and `OUT/index.html`. 0 when every job is done; 2 when
/// some are missing or failed (listed on stderr).
struct BatchMerge {
  let output: String
  let plan: Plan?
  let quiet: Bool
  let scratch: String?

  func run() throws -> Int32 {
    let state = BatchState(output: output)
    let jobs: [Job]
    let jobsPath = (state.stateDirectory as NSString).appendingPathComponent("jobs.json")
    if let plan {
      let (runs, _) = try SourceResolver.resolve(plan.sources, baseDirectory: plan.baseDirectory)
      jobs = JobExpansion.jobs(plan: plan, runs: runs)
    } else {
      guard let data = FileManager.default.contents(atPath: jobsPath) else {
        throw CLIError("\(output): no batch here (no \(jobsPath)); run `trainscape batch PLAN -o \(output)` first, or pass the plan: trainscape batch PLAN --merge \(output)")
      }
      do {
        jobs = try JSONDecoder().decode(JobListFile.self, from: data).jobs
      } catch {
        throw CLIError("\(jobsPath): not a job list (\(error))")
      }
    }
    var (records, manifests, notes) = state.allRecords()
    for n in notes { log.notice("\(n)") }
    let listHash = JobList.hash(jobs)
    for m in manifests where m.jobListHash != listHash {
      log.warning("shard \(m.shard)/\(m.shards) (\(m.host)) ran a different job list (\(m.jobCount) jobs); its records count only for jobs still in the plan")
    }
    for m in manifests where !m.complete {
      log.notice("shard \(m.shard)/\(m.shards) did not finish (killed or still running); its journal counts")
    }

    // Assemble split animations whose parts are all done.
    var index = RecordIndex(records: records)
    var checked = BatchStatus.check(jobs: jobs, index: index, state: state, version: TrainscapeVersion.string)
    let byID = Dictionary(uniqueKeysWithValues: checked.map { ($0.job.id, $0) })
    let scratchRoot = scratch ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let scratchDir = "\(scratchRoot)/trainscape-merge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: scratchDir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratchDir) }
    let pool = RendererPool(gpu: .auto)
    var assembled = 0
    for c in checked where c.job.action == .assemble && c.status != .done {
      let parts = c.job.parts ?? []
      let missing = parts.filter { byID[$0]?.status != .done }
      if !missing.isEmpty {
        log.notice("\(c.job.id): not assembled, \(missing.count) of \(parts.count) parts missing")
        continue
      }
      let start = Date()
      var record: JobRecord
      do {
        let written = try JobExecutor.execute(c.job, context: JobContext(output: output, scratch: scratchDir, pool: pool))
        record = JobRecord(
          id: c.job.id, status: .done, inputHash: c.inputHash, optionsHash: c.optionsHash, outputs: written,
          outputHashes: written.map { (try? Fingerprint.file(state.path($0))) ?? "unreadable" }, error: nil,
          seconds: Date().timeIntervalSince(start), shard: "merge", host: BatchRunner.host, finishedAt: JobRecord.now())
        assembled += 1
        if !quiet { log.info("assembled \(c.job.id) from \(parts.count) parts") }
      } catch {
        record = JobRecord(
          id: c.job.id, status: .failed, inputHash: c.inputHash, optionsHash: c.optionsHash, outputs: [c.job.output],
          outputHashes: nil, error: Escape.controlCharacters(String(describing: error)),
          seconds: Date().timeIntervalSince(start), shard: "merge", host: BatchRunner.host, finishedAt: JobRecord.now())
        log.error("\(c.job.id): assembly failed: \(record.error ?? "")")
      }
      try FileManager.default.createDirectory(atPath: state.shardsDirectory, withIntermediateDirectories: true)
      try BatchState.append(record, to: state.mergeJournalPath)
      records.append(record)
    }
    pool.destroyAll()
    if assembled > 0 {
      index = RecordIndex(records: records)
      checked = BatchStatus.check(jobs: jobs, index: index, state: state, version: TrainscapeVersion.string)
    }

    let shardFiles = ((try? FileManager.default.contentsOfDirectory(atPath: state.shardsDirectory)) ?? [])
      .filter { $0.hasSuffix(".json") }.sorted().map { ".batch/shards/\($0)" }
    let merged = BatchStatus.manifest(checked, jobListHash: listHash, version: TrainscapeVersion.string, shardManifests: shardFiles)
    try AtomicFile.write(try merged.jsonBytes(), to: state.path(MergedManifest.fileName), overwrite: true)
    let title = "Trainscape batch: \((output as NSString).standardizingPath.split(separator: "/").last.map(String.init) ?? output)"
    try AtomicFile.write(Array(Gallery.html(merged, title: title).utf8), to: state.path("index.html"), overwrite: true)
    print(state.path(MergedManifest.fileName))
    print(state.path("index.html"))
    let summary = "\(merged.jobCount) jobs: \(merged.done) done, \(merged.failed) failed, \(merged.missing) missing"
    if merged.failed + merged.missing == 0 {
      log.info("\(summary)")
      return 0
    }
    for e in merged.jobs where e.status != .done {
      log.error("\(e.status.rawValue): \(e.id)\(e.error.map { " (\($0))" } ?? "")")
    }
    log.error("\(summary); run the shards again (done jobs are skipped)\(merged.failed > 0 ? ", with --retry-failed for the failed ones" : "")")
    return 2
  }
}
