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

  func resolveGPU() throws -> GPUSelection { Self.resolveGPU(gpu) }

  /// `--gpu auto|cpu|N` as a selection; `auto` from the job array's environment and the EGL
  /// devices (`GPUAssignment`).
  static func resolveGPU(_ gpu: String) -> GPUSelection {
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
