import ArgumentParser
import Foundation
import TrainscapeBatch
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// `trainscape summary RUN... -o DIR`: every view of each run at once (nanochat's
/// `create_checkpoint_3d_summary()`), in a new `DIR/run_NNN`. Which kinds apply is the core's
/// decision (`SummaryRecipe`, the kinds' own naming rules); the outputs are made by the same
/// jobs `trainscape batch` runs (`JobExpansion`, `JobExecutor`), so each file equals what
/// `render KIND`, `export KIND` or `turntable KIND` writes.
struct Summary: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Every view the runs allow at once: PNGs, Plotly JSON, .pts.json point clouds, optional turntables, an offline index.html and a manifest.",
    discussion: """
      For each run, every kind its metric keys allow (by the naming rules, docs/input-naming.md)
      is drawn as a PNG and exported as Plotly JSON; path and point-cloud kinds also as a W&B
      .pts.json; with --turntable, as an orbiting animation. Each kind a run does not allow gets
      one line on stderr saying why. Everything goes into a new numbered folder DIR/run_NNN
      (earlier ones are kept), with manifest.json and an index.html that shows it all with no
      network (plotly.js is inside the page).

      Examples:
        trainscape summary Assets/examples/nanochat_d12.jsonl Assets/examples/rl_grpo.jsonl -o out
        trainscape summary runs/*.jsonl -o out --kinds gradient-flow,trajectory --turntable gif
      """)

  @Argument(help: ArgumentHelp("The runs: metrics files, folders of runs, or globs.", valueName: "RUN"))
  var runs: [String]

  @Option(name: [.short, .customLong("output")], help: "The folder that gets a new run_NNN for this summary.")
  var output: String

  @Option(help: ArgumentHelp("Only these kinds, comma-separated (default: every kind: \(SummaryRecipe.kinds.joined(separator: ", "))).", valueName: "K1,K2"))
  var kinds: String?

  @Option(help: ArgumentHelp("Also an orbiting turntable of each kind, in this format.", valueName: "gif|apng|mp4"))
  var turntable: String?

  @Option(help: ArgumentHelp("Frames of each turntable.", valueName: "N"))
  var frames: Int = 36

  @Option(help: ArgumentHelp("Image size of PNGs and turntables, WIDTHxHEIGHT.", valueName: "WxH"))
  var size: String = "1280x720"

  @Option(help: ArgumentHelp("Which GPU renders: auto, cpu, or a number.", valueName: "auto|cpu|N"))
  var gpu: String = "auto"

  func validate() throws {
    if GPUSelection(argument: gpu) == nil { throw ValidationError("--gpu expects auto, cpu or a number; got '\(gpu)'") }
    if ImageSize(argument: size) == nil { throw ValidationError("--size expects WIDTHxHEIGHT, e.g. 1280x720; got '\(size)'") }
    if frames < 2 { throw ValidationError("--frames must be at least 2") }
    if let t = turntable, !["gif", "apng", "mp4"].contains(t.lowercased()) {
      throw ValidationError("--turntable expects gif, apng or mp4; got '\(t)'")
    }
    _ = try chosenKinds()
  }

  func chosenKinds() throws -> [String] {
    guard let k = kinds else { return SummaryRecipe.kinds }
    let names = k.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    guard !names.isEmpty else { throw ValidationError("--kinds names no kind") }
    for n in names where !SummaryRecipe.kinds.contains(n) {
      throw ValidationError(
        "--kinds: unknown kind '\(Escape.controlCharacters(n))'\(MetricRoles.suggestion(for: n, in: SummaryRecipe.kinds)); kinds: \(SummaryRecipe.kinds.joined(separator: ", "))")
    }
    return SummaryRecipe.kinds.filter(names.contains)
  }

  func run() throws {
    let started = JobRecord.now()
    let cwd = FileManager.default.currentDirectoryPath
    let resolved: [RunRef]
    do {
      let (r, notes) = try SourceResolver.resolve(runs, baseDirectory: cwd)
      for n in notes { log.notice("\(n)") }
      resolved = r
    } catch let e as SourceResolver.Failure {
      throw CLIError(e.description)
    }
    // Outputs are never inputs: the output folder holds no run and lies in none.
    let outAbsolute = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
    for run in resolved {
      let r = URL(fileURLWithPath: run.path).standardizedFileURL.resolvingSymlinksInPath().path
      if r == outAbsolute || r.hasPrefix(outAbsolute + "/") || outAbsolute.hasPrefix(r + "/") {
        throw CLIError("the output folder \(Escape.controlCharacters(output)) and the run \(Escape.controlCharacters(run.path)) overlap: outputs must never be inputs; pick an -o outside the runs")
      }
    }
    let kindNames = try chosenKinds()
    let animation = turntable.flatMap { OutputFormat(rawValue: $0.lowercased()) }
    let dir: String
    do {
      dir = try RunDirectory.next(in: output)
    } catch let e as RunDirectoryError {
      throw CLIError(e.description)
    }
    log.info("summary: writing into \(dir)")

    let pool = RendererPool(gpu: Batch.resolveGPU(gpu))
    defer { pool.destroyAll() }
    let scratch = "\(ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")/trainscape-summary-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let context = JobContext(output: dir, scratch: scratch, pool: pool)

    var entries: [SummaryPage.Entry] = []
    var skipped: [SummaryPage.Skipped] = []
    var failed: [SummaryManifest.Failure] = []
    for ref in resolved {
      // Each run is read once for all its views (as a batch unit is), and let go after them.
      let cache = CommandCache()
      let loaded = try loadRuns([ref.path], format: nil, skipBad: false)
      guard let run = loaded.first?.run else {
        skipped += kindNames.map { SummaryPage.Skipped(run: ref.name, kind: $0, reason: "\(ref.path): no metrics run here") }
        log.warning("summary: \(Escape.controlCharacters(ref.path)): no metrics run; nothing drawn")
        continue
      }
      if loaded.count > 1 {
        log.warning("summary: \(Escape.controlCharacters(ref.path)) holds \(loaded.count) runs; the kinds are decided by the first (\(run.name)); name each run's path to summarise them one by one")
      }
      for v in SummaryRecipe.verdicts(run: run, kinds: kindNames) {
        guard v.applies else {
          let reason = Escape.controlCharacters(v.reason ?? "")
          log.notice("summary: \(v.kind) not drawn for \(ref.name): \(reason)")
          skipped.append(SummaryPage.Skipped(run: ref.name, kind: v.kind, reason: reason))
          continue
        }
        log.info("summary: \(v.kind) for \(ref.name): keys \(v.keys)")
        var spec = KindSpec(name: v.kind, outputs: [.png, .plotlyJSON] + (animation.map { [$0] } ?? []))
        spec.options = [("size", .string(size))]
        spec.animation.frames = frames
        let plan = Plan(sources: [ref.path], kinds: [spec], baseDirectory: cwd)
        var files: [String] = []
        for job in JobExpansion.jobs(plan: plan, runs: [ref]) {
          do {
            files += try CommandCache.$current.withValue(cache) { try JobExecutor.execute(job, context: context) }
          } catch {
            let message = Escape.controlCharacters(String(describing: error))
            log.error("summary: \(job.id) failed: \(message)")
            failed.append(.init(output: job.output, error: message))
          }
        }
        if v.pointCloud {
          let rel = "\(ref.name)/\(v.kind).pts.json"
          do {
            try CommandCache.$current.withValue(cache) { try exportPointCloud(kind: v.kind, input: ref.path, target: context.path(rel)) }
            files.append(rel)
          } catch {
            let message = Escape.controlCharacters(String(describing: error))
            log.error("summary: \(rel) failed: \(message)")
            failed.append(.init(output: rel, error: message))
          }
        }
        let figure = files.first { $0.hasSuffix(".plotly.json") }.flatMap { FileManager.default.contents(atPath: context.path($0)) }
        entries.append(SummaryPage.Entry(run: ref.name, kind: v.kind, keys: v.keys, files: files, figureJSON: figure.map { [UInt8]($0) }))
      }
    }

    let manifest = SummaryManifest(
      version: TrainscapeVersion.string, createdBy: (["trainscape"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      started: started, finished: JobRecord.now(), inputs: resolved.map(\.path), kinds: kindNames,
      options: ["size": size, "turntable": turntable ?? "none", "frames": String(frames)],
      outputs: entries.map { .init(run: $0.run, kind: $0.kind, keys: $0.keys, files: $0.files) },
      skipped: skipped.map { .init(run: $0.run, kind: $0.kind, reason: $0.reason) }, failed: failed)
    try AtomicFile.write(try manifest.jsonBytes(), to: context.path("manifest.json"), overwrite: false)
    let title = "Trainscape summary: \(resolved.map(\.name).joined(separator: ", "))"
    try AtomicFile.write(SummaryPage.html(title: title, entries: entries, skipped: skipped), to: context.path("index.html"), overwrite: false)
    print(context.path("manifest.json"))
    print(context.path("index.html"))
    let count = entries.reduce(0) { $0 + $1.files.count }
    log.info("summary: \(count) files for \(entries.count) views of \(resolved.count) run(s), \(skipped.count) not drawn\(failed.isEmpty ? "" : ", \(failed.count) failed"); open \(context.path("index.html"))")
    if !failed.isEmpty { throw ExitCode(3) }
  }

  /// `export KIND RUN -o FILE.pts.json`: the scene as a W&B Object3D point cloud.
  func exportPointCloud(kind: String, input: String, target: String) throws {
    guard let type = SceneKinds.all.first(where: { $0.kindName == kind }) else { throw CLIError("unknown kind '\(kind)'") }
    try exportPointCloud(type, input: input, target: target)
  }

  func exportPointCloud<K: SceneKind>(_ kind: K.Type, input: String, target: String) throws {
    let cmd = try JobExecutor.parse(ExportCommand<K>.self, [input, "-o", target, "--force"])
    try cmd.run()
  }
}

/// `run_NNN/manifest.json` of a summary: what was drawn from which keys, what was not and why.
struct SummaryManifest: Codable {
  struct Output: Codable {
    var run: String
    var kind: String
    var keys: String
    var files: [String]
  }
  struct Skip: Codable {
    var run: String
    var kind: String
    var reason: String
  }
  struct Failure: Codable {
    var output: String
    var error: String
  }
  var version: String
  var createdBy: String
  var started: String
  var finished: String
  var inputs: [String]
  var kinds: [String]
  var options: [String: String]
  var outputs: [Output]
  var skipped: [Skip]
  var failed: [Failure]

  enum CodingKeys: String, CodingKey {
    case version, started, finished, inputs, kinds, options, outputs, skipped, failed
    case createdBy = "created_by"
  }

  func jsonBytes() throws -> [UInt8] {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try e.encode(self)) + [0x0A]
  }
}
