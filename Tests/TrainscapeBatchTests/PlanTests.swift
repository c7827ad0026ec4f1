import Foundation
import Testing
import TrainscapeBatch
import TrainscapeTestSupport

/// A folder with `names` as small files.
func runsFolder(_ names: [String]) throws -> URL {
  let dir = try TestPaths.temporaryDirectory("trainscape-batch")
  for n in names {
    let url = dir.appendingPathComponent(n)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try #require(FileManager.default.createFile(atPath: url.path, contents: Data("{\"step\": 0, \"loss\": 1}\n".utf8)))
  }
  return dir
}

let tomlPlan = """
  # A sweep
  sources = ["runs/*.jsonl"]
  output = "renders"

  [defaults]
  size = "320x240"

  [kinds.trajectory]
  outputs = ["png", "plotly.json"]
  grad_key = "grad_norm/total"

  [kinds.gradient-flow]
  outputs = ["png", "gif"]
  log-z = "on"
  normalize_layers = true
  ema = 5

  [kinds.gradient-flow.animation]
  frames = 10
  frames_per_job = 4
  fps = 12.5

  [kinds.trajectory.export]
  typed-arrays = true
  """

let jsonPlan = """
  {
    "sources": ["runs/*.jsonl"],
    "output": "renders",
    "defaults": {"size": "320x240"},
    "kinds": {
      "gradient-flow": {
        "outputs": ["png", "gif"], "log_z": "on", "normalize-layers": true, "ema": 5,
        "animation": {"frames": 10, "frames-per-job": 4, "fps": 12.5}
      },
      "trajectory": {
        "outputs": ["png", "plotly.json"], "grad-key": "grad_norm/total",
        "export": {"typed_arrays": true}
      }
    }
  }
  """

@Suite(.tiered) struct PlanTests {
  @Test func tomlAndJSONGiveTheSamePlan() throws {
    let (t, tw) = try PlanReader.read(text: tomlPlan, format: "toml", baseDirectory: "/base")
    let (j, jw) = try PlanReader.read(text: jsonPlan, format: "json", baseDirectory: "/base")
    #expect(t == j)
    #expect(tw.isEmpty && jw.isEmpty)
    #expect(t.sources == ["runs/*.jsonl"] && t.output == "renders")
    #expect(t.kinds.map(\.name) == ["gradient-flow", "trajectory"])
    let flow = t.kinds[0]
    #expect(flow.outputs == [.png, .gif])
    #expect(flow.kindArguments == ["--ema", "5", "--log-z", "on", "--normalize-layers", "--size", "320x240"])
    #expect(flow.animation.frames == 10 && flow.animation.framesPerJob == 4)
    #expect(flow.animation.options.map(\.0) == ["fps"])
    #expect(t.kinds[1].exportOptions.map(\.0) == ["typed-arrays"])
  }

  @Test func errorsNameTheFileAndLine() throws {
    let bad = "sources = [\"a\"]\n[kinds.trajectory]\noutputs = [\"png\"\nx = 1\n"
    let e = try #require(throws: PlanError.self) { try PlanReader.read(text: bad, format: "toml", file: "p.toml", baseDirectory: "/") }
    #expect(e.file == "p.toml" && e.line != nil)
    #expect(e.description.hasPrefix("p.toml:"))
    let badJSON = "{\n  \"sources\": [\"a\"],\n  \"kinds\": {,}\n}"
    let je = try #require(throws: PlanError.self) { try PlanReader.read(text: badJSON, format: "json", file: "p.json", baseDirectory: "/") }
    #expect(je.description.hasPrefix("p.json"))
    #expect(je.line == 3, "\(je)")
    let unknownOutput = "sources = [\"a\"]\n[kinds.trajectory]\noutputs = [\"jpeg\"]\n"
    let ue = try #require(throws: PlanError.self) { try PlanReader.read(text: unknownOutput, format: "toml", baseDirectory: "/") }
    #expect(ue.message.contains("jpeg") && ue.message.contains("plotly.json"))
    let noKinds = "sources = [\"a\"]\n"
    #expect(throws: PlanError.self) { try PlanReader.read(text: noKinds, format: "toml", baseDirectory: "/") }
  }

  @Test func unknownKeysAndReservedOptionsAreSaid() throws {
    let text = "sources = [\"a\"]\ncolour = \"red\"\n[kinds.trajectory]\noutputs = [\"png\"]\noutput = \"x.png\"\ngpu = \"0\"\n"
    let (plan, warnings) = try PlanReader.read(text: text, format: "toml", file: "p.toml", baseDirectory: "/")
    #expect(warnings.count == 3, "\(warnings)")
    #expect(warnings.contains { $0.contains("'colour'") })
    #expect(warnings.contains { $0.contains("kinds.trajectory.output ignored") })
    #expect(warnings.contains { $0.contains("kinds.trajectory.gpu ignored") })
    #expect(plan.kinds[0].kindArguments.isEmpty)
  }

  @Test func controlCharactersInMessagesAreEscaped() throws {
    let text = "sources = [\"a\"]\n[kinds.trajectory]\noutputs = [\"p\\u001b[31mng\"]\n"
    let e = try #require(throws: PlanError.self) { try PlanReader.read(text: text, format: "toml", baseDirectory: "/") }
    #expect(!e.description.contains("\u{1b}"))
    #expect(e.description.contains("\\u{1B}"))
  }
}

@Suite(.tiered) struct ExpansionTests {
  func plan(_ base: URL) throws -> (Plan, [RunRef]) {
    let (p, _) = try PlanReader.read(text: tomlPlan, format: "toml", baseDirectory: base.path)
    let (runs, notes) = try SourceResolver.resolve(p.sources, baseDirectory: p.baseDirectory)
    #expect(notes.isEmpty)
    return (p, runs)
  }

  @Test func jobsAreOrderedByRunKindAndOutput() throws {
    let dir = try runsFolder(["runs/b.jsonl", "runs/a.jsonl", "runs/.hidden.jsonl"])
    let (p, runs) = try plan(dir)
    #expect(runs.map(\.name) == ["a", "b"])
    let jobs = JobExpansion.jobs(plan: p, runs: runs)
    let ids = jobs.map(\.id)
    // Per run: gradient-flow png, its gif in parts 0-3, 4-7, 8-9 and the assembly, then trajectory.
    let perRun = [
      "gradient-flow.png", "gradient-flow.gif#frames=0-3", "gradient-flow.gif#frames=4-7",
      "gradient-flow.gif#frames=8-9", "gradient-flow.gif", "trajectory.png", "trajectory.plotly.json",
    ]
    #expect(ids == perRun.map { "a/\($0)" } + perRun.map { "b/\($0)" })
    #expect(jobs.map(\.index) == Array(0..<jobs.count))
    let assemble = try #require(jobs.first { $0.action == .assemble })
    #expect(assemble.parts == ["a/gradient-flow.gif#frames=0-3", "a/gradient-flow.gif#frames=4-7", "a/gradient-flow.gif#frames=8-9"])
    let part = jobs[2]
    #expect(part.frames == FrameSlice(lower: 4, upper: 8, total: 10))
    #expect(part.arguments.suffix(4) == ["--frames", "10", "--fps", "12.5"])
    #expect(jobs[5].arguments == ["--grad-key", "grad_norm/total", "--size", "320x240"])
    #expect(jobs[6].arguments.last == "--typed-arrays")
    // The same plan and files: the same list, whatever order the file system lists them in.
    #expect(JobExpansion.jobs(plan: p, runs: runs) == jobs)
    #expect(JobList.hash(jobs) == JobList.hash(JobExpansion.jobs(plan: p, runs: runs)))
  }

  @Test func sourcesNameRunsByTheirPathAndRejectClashes() throws {
    let dir = try runsFolder(["runs/x/metrics.jsonl", "runs/y/metrics.jsonl", "flat/README.md", "flat/c.csv", "flat/tb/events"])
    let (r1, _) = try SourceResolver.resolve(["runs/*/metrics.jsonl"], baseDirectory: dir.path)
    #expect(r1.map(\.name) == ["x/metrics", "y/metrics"])
    let (r2, notes) = try SourceResolver.resolve(["flat"], baseDirectory: dir.path)
    #expect(r2.map(\.name) == ["c", "tb"])
    #expect(notes.count == 1 && notes[0].contains("README.md"))
    let clash = try #require(throws: SourceResolver.Failure.self) {
      try SourceResolver.resolve(["runs/x/metrics.jsonl", "runs/y/metrics.jsonl"], baseDirectory: dir.path)
    }
    #expect(clash.description.contains("metrics"))
    #expect(throws: SourceResolver.Failure.self) { try SourceResolver.resolve(["nothing/*.jsonl"], baseDirectory: dir.path) }
    #expect(throws: SourceResolver.Failure.self) { try SourceResolver.resolve(["missing.jsonl"], baseDirectory: dir.path) }
  }

  @Test func sweepKindsAreOneJobOverEveryRun() throws {
    let dir = try runsFolder(["r/a.jsonl", "r/b.jsonl", "r/c.jsonl"])
    let text = "sources = [\"r\"]\n[kinds.loss-landscape]\nper = \"sweep\"\noutputs = [\"png\"]\n[kinds.trajectory]\noutputs = [\"png\"]\n"
    let (p, _) = try PlanReader.read(text: text, format: "toml", baseDirectory: dir.path)
    let (runs, _) = try SourceResolver.resolve(p.sources, baseDirectory: p.baseDirectory)
    let jobs = JobExpansion.jobs(plan: p, runs: runs)
    #expect(jobs.map(\.id) == ["a/trajectory.png", "b/trajectory.png", "c/trajectory.png", "sweep/loss-landscape.png"])
    #expect(jobs.last?.runs.count == 3)
  }
}
