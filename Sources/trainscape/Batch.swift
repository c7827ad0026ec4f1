import ArgumentParser
import Foundation
import TrainscapeBatch
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

enum SubmitMode: String, ExpressibleByArgument, CaseIterable {
  case print, run
}

/// `trainscape batch`: every output of every run of a sweep, sharded over a job array.
/// The plan, the job list, the sharding, the hashes, the manifests and the merge are
/// `TrainscapeBatch`'s; this command parses, and runs each job in this process through the
/// kinds' own commands (`render KIND`, `export KIND`, `turntable KIND`, `animate KIND`), with the
/// job's arguments parsed by that command: the seam between a plan and the kinds.
struct Batch: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render every output of every run of a sweep; shard it over a Slurm job array, a Kubernetes Indexed Job or ranks; merge and resume.",
    discussion: """
      A plan (TOML or JSON; docs/batch.md) names the runs and what to make of each; it expands
      into an ordered job list, one job per (run, kind, output). Each shard renders its part in
      this process, reading each of its runs once, and records every job in its manifest
      (OUT/.batch/shards/), so a re-run skips what is done and unchanged.

      Examples:
        trainscape batch plan.toml -o out --list
        trainscape batch plan.toml -o out                       # everything, one process
        trainscape batch plan.toml -o out --shard 2/8           # or from SLURM_ARRAY_TASK_ID, ...
        trainscape batch --kinds gradient-flow,trajectory --outputs png,glb runs/*.jsonl -o out
        trainscape batch --merge out                            # check, merge, index.html
        trainscape batch plan.toml -o out --submit print        # the sbatch lines
      """)

  @Argument(help: ArgumentHelp("The plan (.toml or .json); with --kinds: the runs (files, directories of runs, globs).", valueName: "PLAN | RUNS"))
  var inputs: [String] = []

  @Option(name: [.short, .customLong("output")], help: "The output folder (default: the plan's 'output').")
  var output: String?

  @Option(help: ArgumentHelp("Without a plan: the kinds, comma-separated (gradient-flow,loss-landscape,...).", valueName: "K1,K2"))
  var kinds: String?

  @Option(help: ArgumentHelp("With --kinds: the outputs of each kind, comma-separated (png, plotly.json, glb, html, gif, apng, mp4).", valueName: "F1,F2"))
  var outputs: String = "png"

  @Flag(help: "Print the job list (index, shard with --shards or --shard, id) and exit.")
  var list = false

  @Option(help: ArgumentHelp("This process is shard I of N (0-based): a balanced split of the runs by estimated cost. Default: from SLURM_ARRAY_TASK_ID/COUNT/MIN, JOB_COMPLETION_INDEX (with --shards), or RANK/WORLD_SIZE.", valueName: "I/N"))
  var shard: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("The number of shards, for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), --list and --submit.", valueName: "N"))
  var shards: Int?

  @Option(help: ArgumentHelp("Which GPU renders: 'auto' (from CUDA_VISIBLE_DEVICES and SLURM_LOCALID / LOCAL_RANK on a node with several GPUs, else the first GPU, else software), 'cpu', or a number.", valueName: "auto|cpu|N"))
  var gpu: String = "auto"

  @Flag(help: "Run again the jobs that failed before (by default a job that failed with the same inputs and options is reported, not re-run).")
  var retryFailed = false

  @Option(help: ArgumentHelp("Check that every job of the batch in OUT is done (listing the missing ones), assemble split animations, and write OUT/manifest.json and OUT/index.html.", valueName: "OUT"))
  var merge: String?

  @Option(help: "Print (print) or run (run) the sbatch lines for this plan: the array, one task per shard, and the merge after it.")
  var submit: SubmitMode?

  @Option(parsing: .unconditional, help: ArgumentHelp("With --submit and no --shards: jobs per array task.", valueName: "N"))
  var jobsPerTask: Int = 25

  @Option(help: ArgumentHelp("Folder for frames before they are moved into OUT (default: $TMPDIR or /tmp; use node-local disk).", valueName: "DIR"))
  var scratch: String?

  @Flag(help: "No line per job on stderr.")
  var quiet = false

  func validate() throws {
    if let s = shard, ShardSpec.parse(s) == nil {
      throw ValidationError("--shard expects I/N with 0 <= I < N, e.g. 0/4; got '\(s)'")
    }
    if let n = shards, n < 1 { throw ValidationError("--shards must be at least 1") }
    if GPUSelection(argument: gpu) == nil { throw ValidationError("--gpu expects auto, cpu or a number; got '\(gpu)'") }
    if jobsPerTask < 1 { throw ValidationError("--jobs-per-task must be at least 1") }
    if merge == nil && inputs.isEmpty {
      throw ValidationError("name a plan (trainscape batch plan.toml -o OUT), or runs with --kinds, or --merge OUT")
    }
    if kinds == nil && merge == nil && inputs.count > 1 {
      throw ValidationError("several inputs without --kinds: pass one plan file, or --kinds K1,K2 with the runs")
    }
  }

  func run() throws {
    if let out = merge {
      let code = try BatchMerge(output: out, plan: inputs.isEmpty ? nil : try loadPlan().0, quiet: quiet, scratch: scratch).run()
      if code != 0 { throw ExitCode(code) }
      return
    }
    let (plan, runs) = try loadPlan()
    let jobs = JobExpansion.jobs(plan: plan, runs: runs)
    try checkKinds(plan)
    if list {
      let count = shard.flatMap(ShardSpec.parse)?.count ?? shards
      let assignment = count.map { Sharding.assign(jobs, count: $0) }
      var lines = ""
      for j in jobs {
        let s = assignment.map { $0[j.index] < 0 ? "merge\t" : "\($0[j.index])\t" } ?? ""
        lines += "\(j.index)\t\(s)\(j.id)\n"
      }
      try StandardStreams.writeOutput(lines)
      let parts = jobs.filter { $0.action == .frames }.count
      let assembled = jobs.filter { $0.action == .assemble }.count
      note("\(jobs.count) jobs over \(runs.count) runs\(parts > 0 ? " (\(parts) animation parts; \(assembled) assembled by batch --merge)" : ""); estimated \(String(format: "%.0f", jobs.map(\.cost).reduce(0, +))) s on llvmpipe")
      return
    }
    guard let out = output ?? plan.output.map({ $0.hasPrefix("/") ? $0 : (plan.baseDirectory as NSString).appendingPathComponent($0) }) else {
      throw ValidationError("no output folder: pass -o OUT (or set output in the plan)")
    }
    // Outputs are never inputs: the output folder holds no run and lies in none.
    let outAbsolute = URL(fileURLWithPath: out).standardizedFileURL.resolvingSymlinksInPath().path
    for run in runs {
      let r = URL(fileURLWithPath: run.path).standardizedFileURL.resolvingSymlinksInPath().path
      if r == outAbsolute || r.hasPrefix(outAbsolute + "/") || outAbsolute.hasPrefix(r + "/") {
        throw CLIError("the output folder \(Escape.controlCharacters(out)) and the run \(Escape.controlCharacters(run.path)) overlap: outputs must never be inputs; pick an -o outside the runs")
      }
    }
    if let mode = submit {
      try BatchSubmit(plan: inputs, kinds: kinds, outputs: outputs, output: out, jobs: jobs, shards: shards, jobsPerTask: jobsPerTask, mode: mode).run()
      return
    }
    let spec: ShardSpec
    do {
      spec = try ShardEnvironment.resolve(flag: shard.flatMap(ShardSpec.parse), shards: shards, environment: ProcessInfo.processInfo.environment)
    } catch let e as ShardError {
      throw ValidationError(e.description)
    }
    let runner = BatchRunner(
      output: out, jobs: jobs, spec: spec, gpu: try resolveGPU(), retryFailed: retryFailed, quiet: quiet,
      scratch: scratch)
    let code = try runner.run()
    if code != 0 { throw ExitCode(code) }
  }

  func note(_ s: String) { StandardStreams.writeError("trainscape: \(s)\n") }

  /// The plan (from the file, or from --kinds and the runs) and its runs.
  func loadPlan() throws -> (Plan, [RunRef]) {
    let cwd = FileManager.default.currentDirectoryPath
    let plan: Plan
    if let k = kinds {
      var formats: [OutputFormat] = []
      for f in outputs.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
        guard let format = OutputFormat(rawValue: f.lowercased()) else {
          throw ValidationError("--outputs: unknown output '\(f)'; use \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        formats.append(format)
      }
      let names = k.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      guard !names.isEmpty else { throw ValidationError("--kinds names no kind") }
      plan = Plan.simple(sources: inputs, kinds: names, outputs: formats, baseDirectory: cwd)
    } else {
      guard let path = inputs.first else { throw ValidationError("no plan") }
      do {
        let (p, warnings) = try PlanReader.read(path: path)
        for w in warnings { log.warning("\(w)") }
        plan = p
      } catch let e as PlanError {
        throw CLIError(e.description)
      }
    }
    do {
      let (runs, notes) = try SourceResolver.resolve(plan.sources, baseDirectory: plan.baseDirectory)
      for n in notes { log.notice("\(n)") }
      return (plan, runs)
    } catch let e as SourceResolver.Failure {
      throw CLIError(e.description)
    }
  }

  /// Every kind named exists, and its options parse (checked once per kind and output, before
  /// any job runs, so a typo fails in a second rather than in every job).
  func checkKinds(_ plan: Plan) throws {
    for kind in plan.kinds {
      guard let type = SceneKinds.all.first(where: { $0.kindName == kind.name }) else {
        throw CLIError("plan: unknown kind '\(Escape.controlCharacters(kind.name))'; kinds: \(SceneKinds.all.map { $0.kindName }.joined(separator: ", "))")
      }
      if kind.outputs.contains(where: \.isAnimation), kind.animation.mode == .step,
        !SceneKinds.animatable.contains(where: { $0.kindName == kind.name })
      {
        throw CLIError("plan: kinds.\(kind.name).animation.by = \"step\": \(kind.name) does not animate by step; use \"orbit\"")
      }
      _ = type
    }
  }

  func resolveGPU() throws -> GPUSelection {
    let selection = GPUSelection(argument: gpu)!
    guard selection == .auto else { return selection }
    let devices = EGLProbe.devices().map {
      GPUAssignment.Device(index: $0.index, cudaOrdinal: $0.cudaOrdinal, isSoftware: $0.isSoftware)
    }
    let pick = GPUAssignment.pick(environment: ProcessInfo.processInfo.environment, devices: devices)
    log.notice("--gpu auto: \(pick.reason)")
    guard let d = pick.device else {
      return ProcessInfo.processInfo.environment["CUDA_VISIBLE_DEVICES"] != nil && !devices.filter({ !$0.isSoftware }).isEmpty
        ? .surfaceless : .auto
    }
    return .device(d.cudaOrdinal ?? d.index)
  }
}

// MARK: - Running a shard

/// Headless renderers kept for the whole shard, one per setting (MSAA samples, FXAA, lighting),
/// so a shard creates its GL contexts once instead of once per job.
final class RendererPool {
  let gpu: GPUSelection
  private var renderers: [String: HeadlessRenderer] = [:]
  private var warned = false

  init(gpu: GPUSelection) { self.gpu = gpu }

  func renderer(samples: Int, fxaa: Bool, vertexLighting: Bool) throws -> HeadlessRenderer {
    let key = "\(samples)|\(fxaa)|\(vertexLighting)"
    if let r = renderers[key] { return r }
    let r: HeadlessRenderer
    do {
      r = try HeadlessRenderer(gpu: gpu, samples: samples, fxaa: fxaa, vertexLighting: vertexLighting)
    } catch {
      throw CLIError("\(error)")
    }
    if !warned {
      warned = true
      for w in r.context.warnings { log.warning("\(w)") }
      log.notice("rendering on \(r.context.backend) (\(r.context.glRenderer))")
    }
    renderers[key] = r
    return r
  }

  func destroyAll() {
    for r in renderers.values { r.destroy() }
    renderers.removeAll()
  }
}

/// Where a job writes, and what it may reuse.
struct JobContext {
  let output: String
  let scratch: String
  let pool: RendererPool
  func path(_ relative: String) -> String { (output as NSString).appendingPathComponent(relative) }
}

/// Runs one job in this process and returns the outputs written (relative to OUT).
enum JobExecutor {
  static func execute(_ job: Job, context: JobContext) throws -> [String] {
    guard let type = SceneKinds.all.first(where: { $0.kindName == job.kind }) else {
      throw CLIError("unknown kind '\(job.kind)'")
    }
    return try execute(type, job: job, context: context)
  }

  static func parse<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) throws -> C {
    do {
      return try C.parse(arguments)
    } catch {
      throw CLIError("arguments \(arguments.joined(separator: " ")): \(C.message(for: error))")
    }
  }

  static func execute<K: SceneKind>(_ kind: K.Type, job: Job, context: JobContext) throws -> [String] {
    let target = context.path(job.output)
    switch job.action {
    case .render:
      let cmd = try parse(K.self, job.inputPaths + job.arguments + ["-o", target, "--force"])
      let (scene, runName) = try cmd.makeScene()
      let renderer = try context.pool.renderer(samples: cmd.output.samples, fxaa: false, vertexLighting: false)
      try cmd.output.renderAndWrite(scene, kind: K.kindName, runName: runName, renderer: renderer)
      return [job.output]
    case .export:
      let cmd = try parse(ExportCommand<K>.self, job.inputPaths + job.arguments + ["-o", target, "--force"])
      try cmd.run()
      return [job.output]
    case .animate, .frames, .assemble:
      return try animation(kind, job: job, context: context)
    }
  }

  /// The frame sequence and options of an animation job: `turntable KIND` (orbit) or
  /// `animate KIND` (by step), parsed from the job's arguments.
  static func sequence<K: SceneKind>(_ kind: K.Type, job: Job, build: Bool) throws
    -> (FrameSequence?, OutputOptions, FrameOptions)
  {
    let args = job.inputPaths + job.arguments + ["--quiet"]
    if job.arguments.contains("--by") || isStepAnimation(job) {
      guard let a = K.self as? any StepAnimatable.Type else {
        throw CLIError("\(K.kindName) does not animate by step")
      }
      return try stepSequence(a, args: args, build: build)
    }
    let cmd = try parse(TurntableCommand<K>.self, args)
    return (build ? try cmd.frameSequence() : nil, cmd.scene.output, cmd.frames)
  }

  static func isStepAnimation(_ job: Job) -> Bool { job.arguments.contains("--by") }

  static func stepSequence<A: StepAnimatable>(_ kind: A.Type, args: [String], build: Bool) throws
    -> (FrameSequence?, OutputOptions, FrameOptions)
  {
    let cmd = try parse(AnimateCommand<A>.self, args)
    return (build ? try cmd.frameSequence() : nil, cmd.scene.output, cmd.frames)
  }

  static func animation<K: SceneKind>(_ kind: K.Type, job: Job, context: JobContext) throws -> [String] {
    let (seqOrNil, output, options) = try sequence(kind, job: job, build: job.action != .assemble)
    let (w, h) = (output.size.width, output.size.height)
    let target = context.path(job.output)
    let fps = options.fps
    switch job.action {
    case .animate:
      let seq = seqOrNil!
      let renderer = try context.pool.renderer(
        samples: options.quality == .full ? output.samples : 0, fxaa: options.quality.fxaa,
        vertexLighting: options.quality.vertexLighting)
      if job.format == .mp4 {
        // Frames on local scratch, the MP4 encoded there, then one move into OUT.
        let dir = try scratchDirectory(context, job)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let png = PNGOptions(compressionLevel: Int32(options.pngLevel), filter: .up)
        try FrameWriter.renderFrames(seq, range: 0..<seq.count, renderer: renderer, output: output, options: options) { i, image in
          try PNGCodec.write(image, to: "\(dir)/\(frameName(i))", options: png, overwrite: true)
        }
        let local = "\(dir)/out.mp4"
        try encodeMP4(framePattern: "\(dir)/frame_%06d.png", fps: fps, output: local)
        try moveIntoPlace(local, target)
      } else {
        let collector = AnimationCollector(format: job.format == .gif ? .gif : .apng, width: w, height: h, fps: fps, dither: options.dither)
        try FrameWriter.renderFrames(seq, range: 0..<seq.count, renderer: renderer, output: output, options: options) { _, image in
          try collector.add(image)
        }
        try AtomicFile.write(try collector.finish(), to: target, overwrite: true)
      }
      return [job.output]
    case .frames:
      let seq = seqOrNil!
      let slice = job.frames!
      guard slice.total == seq.count else {
        throw CLIError("\(job.id): the animation has \(seq.count) frames, the job list expected \(slice.total)")
      }
      let renderer = try context.pool.renderer(
        samples: options.quality == .full ? output.samples : 0, fxaa: options.quality.fxaa,
        vertexLighting: options.quality.vertexLighting)
      // RGBA PNGs: lossless for every channel, so the assembled file equals an unsplit one.
      let dir = try scratchDirectory(context, job)
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let png = PNGOptions(compressionLevel: 1, filter: .up, alpha: true)
      try FrameWriter.renderFrames(seq, range: slice.lower..<slice.upper, renderer: renderer, output: output, options: options) { i, image in
        try PNGCodec.write(image, to: "\(dir)/\(frameName(i))", options: png, overwrite: true)
      }
      try moveFolderIntoPlace(dir, target)
      return [job.output]
    case .assemble:
      let parts = job.parts ?? []
      var folders: [String] = []
      for id in parts {
        // The part's folder: its output, as JobExpansion names it.
        let lohi = id.components(separatedBy: "#frames=").last ?? ""
        folders.append(context.path(".batch/frames/\(JobExpansion.safeName(job.output))/\(lohi)"))
      }
      var files: [String] = []
      for f in folders {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: f)) ?? []).filter { $0.hasPrefix("frame_") && $0.hasSuffix(".png") }.sorted()
        guard !names.isEmpty else { throw CLIError("\(job.id): no frames in \(f)") }
        files += names.map { "\(f)/\($0)" }
      }
      let total = job.frames?.total ?? files.count
      guard files.count == total || job.frames == nil else {
        throw CLIError("\(job.id): \(files.count) frames found, \(total) expected")
      }
      if job.format == .mp4 {
        let dir = try scratchDirectory(context, job)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (i, f) in files.enumerated() {
          try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(frameName(i))", withDestinationPath: f)
        }
        let local = "\(dir)/out.mp4"
        try encodeMP4(framePattern: "\(dir)/frame_%06d.png", fps: fps, output: local)
        try moveIntoPlace(local, target)
      } else {
        let collector = AnimationCollector(format: job.format == .gif ? .gif : .apng, width: w, height: h, fps: fps, dither: options.dither)
        for f in files { try collector.add(try PNGCodec.read(path: f)) }
        try AtomicFile.write(try collector.finish(), to: target, overwrite: true)
      }
      return [job.output]
    default:
      throw CLIError("not an animation job")
    }
  }

  static func frameName(_ i: Int) -> String {
    let d = String(i)
    return "frame_" + String(repeating: "0", count: max(0, 6 - d.count)) + d + ".png"
  }

  static func scratchDirectory(_ context: JobContext, _ job: Job) throws -> String {
    let dir = "\(context.scratch)/\(JobExpansion.safeName(job.id))-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    } catch {
      throw OutputError.cannotWrite(path: dir, reason: "cannot create the scratch folder: \(error.localizedDescription)")
    }
    return dir
  }

  /// Copies a local file into OUT as one atomic write (temp file beside the target, rename).
  static func moveIntoPlace(_ local: String, _ target: String) throws {
    guard let data = FileManager.default.contents(atPath: local) else {
      throw OutputError.cannotWrite(path: target, reason: "\(local) vanished")
    }
    try AtomicFile.write([UInt8](data), to: target, overwrite: true)
  }

  /// Copies a local folder into OUT under a temporary name, then renames it into place, so a
  /// reader sees every frame of a part or none.
  static func moveFolderIntoPlace(_ local: String, _ target: String) throws {
    let fm = FileManager.default
    let parent = (target as NSString).deletingLastPathComponent
    let tmp = "\(parent)/.\((target as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
      try fm.copyItem(atPath: local, toPath: tmp)
    } catch {
      try? fm.removeItem(atPath: tmp)
      throw OutputError.cannotWrite(path: target, reason: error.localizedDescription)
    }
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: target, isDirectory: &isDir) {
      guard isDir.boolValue else {
        try? fm.removeItem(atPath: tmp)
        throw OutputError.cannotWrite(path: target, reason: "exists and is not a folder")
      }
      try? fm.removeItem(atPath: target)
    }
    if rename(tmp, target) != 0 {
      let reason = String(cString: strerror(errno))
      try? fm.removeItem(atPath: tmp)
      throw OutputError.cannotWrite(path: target, reason: reason)
    }
  }
}

/// One shard: its jobs in plan order, each skipped when done and unchanged, recorded in the
/// shard's journal as it finishes; the shard's manifest written atomically at the end.
struct BatchRunner {
  let output: String
  let jobs: [Job]
  let spec: ShardSpec
  let gpu: GPUSelection
  let retryFailed: Bool
  let quiet: Bool
  let scratch: String?

  static var host: String { ProcessInfo.processInfo.hostName }

  func say(_ s: String) {
    if !quiet { StandardStreams.writeError("trainscape: \(s)\n") }
  }

  /// 0: every job of the shard is done; 3: some failed (recorded; the others ran).
  func run() throws -> Int32 {
    let state = BatchState(output: output)
    do {
      try FileManager.default.createDirectory(atPath: state.shardsDirectory, withIntermediateDirectories: true)
    } catch {
      throw OutputError.cannotWrite(path: state.shardsDirectory, reason: error.localizedDescription)
    }
    try writeJobList(state)
    let mine = Sharding.jobs(jobs, for: spec)
    let listHash = JobList.hash(jobs)
    let (records, _, notes) = state.allRecords(for: spec)
    for n in notes { log.notice("\(n)") }
    let index = RecordIndex(records: records)
    say("shard \(spec) (\(spec.source)): \(mine.count) of \(jobs.count) jobs")

    let scratchRoot = scratch ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let scratchDir = "\(scratchRoot)/trainscape-batch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
      try FileManager.default.createDirectory(atPath: scratchDir, withIntermediateDirectories: true)
    } catch {
      throw OutputError.cannotWrite(path: scratchDir, reason: "cannot create the scratch folder: \(error.localizedDescription)")
    }
    defer { try? FileManager.default.removeItem(atPath: scratchDir) }
    let pool = RendererPool(gpu: gpu)
    defer { pool.destroyAll() }
    let context = JobContext(output: output, scratch: scratchDir, pool: pool)

    var manifest = ShardManifest(
      shard: spec.index, shards: spec.count, shardSource: spec.source, version: TrainscapeVersion.string,
      jobListHash: listHash, jobCount: jobs.count, host: Self.host, startedAt: JobRecord.now(), finishedAt: nil,
      complete: false, done: 0, skipped: 0, failed: 0, records: [])
    let journal = state.journalPath(spec)
    var inputHashes: [[String]: String] = [:]
    var lastUnit: String?
    // A cache of runs read per unit (a run's jobs): each run is read once, and memory holds one.
    var unitCache = CommandCache()
    var lastManifestWrite = Date()
    var failedBefore = 0
    for (n, job) in mine.enumerated() {
      if let u = lastUnit, u != job.unit { unitCache = CommandCache() }
      lastUnit = job.unit
      let position = "[\(n + 1)/\(mine.count)] \(job.id)"
      let inputHash: String
      if let h = inputHashes[job.inputPaths] {
        inputHash = h
      } else {
        do {
          inputHash = try Fingerprint.inputs(job.inputPaths)
        } catch {
          inputHash = "unreadable"
        }
        inputHashes[job.inputPaths] = inputHash
      }
      let optionsHash = Fingerprint.options(job, version: TrainscapeVersion.string)
      if let r = index.done(job.id, inputHash: inputHash, optionsHash: optionsHash, outputExists: { FileManager.default.fileExists(atPath: state.path($0)) }) {
        manifest.skipped += 1
        manifest.records.append(r)
        say("\(position): done before, unchanged (skipped)")
        continue
      }
      if !retryFailed, let r = index.failure(job.id, inputHash: inputHash, optionsHash: optionsHash) {
        failedBefore += 1
        manifest.failed += 1
        manifest.records.append(r)
        say("\(position): failed before with the same inputs and options (--retry-failed runs it again): \(r.error ?? "")")
        continue
      }
      let start = Date()
      var record: JobRecord
      do {
        if inputHash == "unreadable" { _ = try Fingerprint.inputs(job.inputPaths) }
        let written = try CommandCache.$current.withValue(unitCache) {
          try JobExecutor.execute(job, context: context)
        }
        let hashes = written.map { rel -> String in
          var isDir: ObjCBool = false
          _ = FileManager.default.fileExists(atPath: state.path(rel), isDirectory: &isDir)
          return isDir.boolValue ? "folder" : ((try? Fingerprint.file(state.path(rel))) ?? "unreadable")
        }
        record = JobRecord(
          id: job.id, status: .done, inputHash: inputHash, optionsHash: optionsHash, outputs: written,
          outputHashes: hashes, error: nil, seconds: Date().timeIntervalSince(start), shard: spec.description,
          host: Self.host, finishedAt: JobRecord.now())
        manifest.done += 1
        say(String(format: "%@ (%.2f s)", position, record.seconds))
      } catch {
        let message = Escape.controlCharacters(String(describing: error))
        record = JobRecord(
          id: job.id, status: .failed, inputHash: inputHash, optionsHash: optionsHash, outputs: [job.output],
          outputHashes: nil, error: message, seconds: Date().timeIntervalSince(start), shard: spec.description,
          host: Self.host, finishedAt: JobRecord.now())
        manifest.failed += 1
        log.error("\(position) failed: \(message)")
      }
      try BatchState.append(record, to: journal)
      manifest.records.append(record)
      if Date().timeIntervalSince(lastManifestWrite) > 10 {
        try AtomicFile.write(try manifest.jsonBytes(), to: state.manifestPath(spec), overwrite: true)
        lastManifestWrite = Date()
      }
    }
    manifest.complete = true
    manifest.finishedAt = JobRecord.now()
    try AtomicFile.write(try manifest.jsonBytes(), to: state.manifestPath(spec), overwrite: true)
    say("shard \(spec): \(manifest.done) rendered, \(manifest.skipped) skipped (done before), \(manifest.failed) failed\(failedBefore > 0 ? " (\(failedBefore) before; --retry-failed)" : "")")
    return manifest.failed > 0 ? 3 : 0
  }

  /// `OUT/.batch/jobs.json`: the job list, for `batch --merge OUT` and to notice a plan or a
  /// set of runs that changed between shards.
  func writeJobList(_ state: BatchState) throws {
    let path = (state.stateDirectory as NSString).appendingPathComponent("jobs.json")
    let file = JobListFile(version: TrainscapeVersion.string, jobListHash: JobList.hash(jobs), jobs: jobs)
    let bytes = try file.jsonBytes()
    if let old = FileManager.default.contents(atPath: path), [UInt8](old) != bytes {
      if let previous = try? JSONDecoder().decode(JobListFile.self, from: old), previous.jobListHash != file.jobListHash {
        log.warning("\(path): the job list differs from the one an earlier shard wrote (the runs or the plan changed); jobs no longer in the plan are ignored by --merge")
      }
    }
    try AtomicFile.write(bytes, to: path, overwrite: true)
  }
}

/// `OUT/.batch/jobs.json`.
struct JobListFile: Codable {
  var version: String
  var jobListHash: String
  var jobs: [Job]

  enum CodingKeys: String, CodingKey {
    case version, jobs
    case jobListHash = "job_list_sha256"
  }

  func jsonBytes() throws -> [UInt8] {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try e.encode(self)) + [0x0A]
  }
}

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

// MARK: - Submit

/// `batch --submit print|run`: the sbatch line for the array and the merge after it.
struct BatchSubmit {
  let plan: [String]
  let kinds: String?
  let outputs: String
  let output: String
  let jobs: [Job]
  let shards: Int?
  let jobsPerTask: Int
  let mode: SubmitMode

  func quote(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  func run() throws {
    let shardable = jobs.filter { $0.action != .assemble }.count
    let n = max(1, shards ?? (shardable + jobsPerTask - 1) / jobsPerTask)
    let script = TestablePaths.sbatchTemplate
    var batchArgs: [String] = []
    if let kinds { batchArgs += ["--kinds", kinds, "--outputs", outputs] }
    batchArgs += plan
    // The tasks' logs go beside the batch's state: OUT/.batch/logs/.
    let logs = (output as NSString).appendingPathComponent(".batch/logs")
    do {
      try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    } catch {
      throw OutputError.cannotWrite(path: logs, reason: error.localizedDescription)
    }
    let array = [
      "sbatch", "--parsable", "--array=0-\(n - 1)", "--job-name=trainscape-batch", "--output=\(logs)/task-%A_%a.out",
      script, output,
    ] + batchArgs
    let mergeLine = [
      "sbatch", "--parsable", "--dependency=afterany:$ARRAY_JOB", "--job-name=trainscape-merge", "--output=\(logs)/merge-%j.out",
      "--wrap", "\(quote(TestablePaths.trainscapeCommand)) batch --merge \(quote(output))",
    ]
    switch mode {
    case .print:
      print("ARRAY_JOB=$(\(array.map(quote).joined(separator: " ")))")
      print(mergeLine.map { $0 == "--dependency=afterany:$ARRAY_JOB" ? "\"\($0)\"" : quote($0) }.joined(separator: " "))
      StandardStreams.writeError("trainscape: \(jobs.count) jobs in \(n) array tasks (\(shardable) sharded, about \(max(1, shardable / n)) per task)\n")
    case .run:
      let id = try sbatch(array)
      print(id)
      var m = mergeLine
      m[m.firstIndex(of: "--dependency=afterany:$ARRAY_JOB")!] = "--dependency=afterany:\(id)"
      print(try sbatch(m))
    }
  }

  func sbatch(_ argv: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let out = Pipe()
    p.standardOutput = out
    do { try p.run() } catch { throw CLIError("cannot run sbatch: \(error.localizedDescription)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw CLIError("sbatch failed (exit \(p.terminationStatus)): \(argv.joined(separator: " "))") }
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return String(text.split(separator: ";").first ?? "")
  }
}

/// Where the sbatch template and the binary are, for --submit.
enum TestablePaths {
  /// `$TRAINSCAPE_SBATCH`, else `scripts/slurm/trainscape-array.sbatch` next to a source
  /// checkout's binary (.build/<config>/trainscape), else under `share/trainscape/` beside an
  /// installed binary, else the relative path.
  static var sbatchTemplate: String {
    if let t = ProcessInfo.processInfo.environment["TRAINSCAPE_SBATCH"] { return t }
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let candidates = [
      exe.deletingLastPathComponent().appendingPathComponent("../../scripts/slurm/trainscape-array.sbatch"),
      exe.deletingLastPathComponent().appendingPathComponent("../../../scripts/slurm/trainscape-array.sbatch"),
      exe.deletingLastPathComponent().appendingPathComponent("../share/trainscape/slurm/trainscape-array.sbatch"),
    ].map { $0.standardizedFileURL.path }
    return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? "scripts/slurm/trainscape-array.sbatch"
  }

  /// The absolute path of this binary (the array tasks run the same one).
  static var trainscapeCommand: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
  }
}
