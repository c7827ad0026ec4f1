import ArgumentParser
import Foundation
import TrainscapeBatch
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

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
