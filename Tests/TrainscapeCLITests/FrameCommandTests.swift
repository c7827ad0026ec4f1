import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeIO

@Suite(.serialized, .tiered) struct FrameCommandTests {
  @Test(.tags(.egl, .slow)) func turntableWritesNumberedRunsFramesManifestAndAGIF() throws {
    let dir = try CLI.tempDir()
    let args = ["turntable", "gradient-flow", CLI.example, "-o", dir.path, "--frames", "6", "--size", "320x180", "--animate", "gif", "--quiet"]
    let first = try CLI.run(args)
    #expect(first.status == 0, "stderr: \(first.stderr)")
    #expect(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == dir.path + "/run_001")
    let second = try CLI.run(args)
    #expect(second.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == dir.path + "/run_002")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/run_001").sorted()
    #expect(files.filter { $0.hasSuffix(".png") }.count == 6)
    #expect(files.contains("nanochat_d12_gradient-flow_0000.png") && files.contains("nanochat_d12_gradient-flow_0005.png"))
    #expect(files.contains("manifest.json") && files.contains("nanochat_d12_gradient-flow.gif"))
    let manifest = try Manifest.read(from: dir.path + "/run_001/manifest.json")
    #expect(manifest.frames.count == 7 && manifest.kind == "gradient-flow" && manifest.size == "320x180")
    // Same input and options: byte-identical frames across runs.
    for f in files where f.hasSuffix(".png") {
      let a = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/run_001/" + f))
      let b = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/run_002/" + f))
      #expect(a == b, "\(f) differs between two runs")
    }
    // The loop has no repeated frame: the first and last frames differ.
    let f0 = try PNGCodec.read(path: dir.path + "/run_001/nanochat_d12_gradient-flow_0000.png")
    let f5 = try PNGCodec.read(path: dir.path + "/run_001/nanochat_d12_gradient-flow_0005.png")
    #expect(f0 != f5)
  }

  @Test(.tags(.egl)) func inPlaceNeverOverwritesWithoutForce() throws {
    let dir = try CLI.tempDir()
    let args = ["turntable", "loss-landscape", CLI.packageRoot.path + "/Assets/examples/sweep", "-o", dir.path, "--frames", "2", "--size", "160x120", "--in-place", "--quiet", "--quality", "draft"]
    let a = try CLI.run(args)
    #expect(a.status == 0, "stderr: \(a.stderr)")
    let b = try CLI.run(args)
    #expect(b.status != 0 && b.stderr.contains("already exists") && b.stderr.contains("--force"))
    let c = try CLI.run(args + ["--force"])
    #expect(c.status == 0, "stderr: \(c.stderr)")
  }

  @Test(.tags(.egl)) func animateByStepKeepsTheAxesAndLabelsTheStep() throws {
    let dir = try CLI.tempDir()
    let r = try CLI.run(["animate", "trajectory", CLI.example, "--grad-key", "grad_norm/total", "-o", dir.path, "--frames", "4", "--size", "320x180", "--animate", "apng"])
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stderr.contains("animate: 4 frames"))
    let run = dir.path + "/run_001"
    let files = try FileManager.default.contentsOfDirectory(atPath: run)
    #expect(files.contains("nanochat_d12_trajectory_by_step.png"))
    #expect(files.filter { $0.hasPrefix("nanochat_d12_trajectory_by_step_") }.count == 4)
  }

  @Test(.tags(.egl)) func mp4WithoutFFmpegIsAClearHint() throws {
    let dir = try CLI.tempDir()
    let r = try CLI.run(
      ["turntable", "gradient-flow", CLI.example, "-o", dir.path, "--frames", "2", "--size", "160x120", "--animate", "mp4", "--quiet"],
      environment: ["PATH": "/nonexistent"])
    #expect(r.status != 0 && r.reason == .exit)
    #expect(r.stderr.contains("ffmpeg") && r.stderr.contains("--animate gif"))
  }

  @Test(.tags(.egl)) func animateRefusesALossGrid() throws {
    let dir = try CLI.tempDir()
    try "1,2,3\n4,5,6\n7,8,9\n".write(toFile: dir.path + "/g.csv", atomically: true, encoding: .utf8)
    let r = try CLI.run(["animate", "loss-landscape", dir.path + "/g.csv", "-o", dir.path, "--frames", "2"])
    #expect(r.status != 0 && r.stderr.contains("no training steps"))
  }
}

@Suite(.serialized, .tiered) struct ConvertFollowTests {
  /// A writer appends rows, one split in the middle, while `convert --follow` streams them:
  /// each row is written once the one before it has come out.
  @Test func followStreamsEveryRowOnceInOrder() throws {
    let dir = try CLI.tempDir()
    let path = dir.path + "/live.jsonl"
    try "{\"step\": 0, \"loss\": 1}\n".write(toFile: path, atomically: false, encoding: .utf8)
    let convert = try TrainscapeCLI.start(["convert", path, "--follow", "-o", "-", "--idle-exit", "1.5", "--interval", "0.05"])
    let h = try #require(FileHandle(forWritingAtPath: path))
    h.seekToEndOfFile()
    for i in 1...8 {
      try convert.waitForStdoutLine(containing: "\"step\": \(i - 1)")
      h.write(Data("{\"step\": \(i), \"loss\": \(1.0 / Double(i + 1))}\n".utf8))
    }
    try convert.waitForStdoutLine(containing: "\"step\": 8")
    h.write(Data("{\"step\": 9, \"lo".utf8))
    h.write(Data("ss\": 0.05}\n".utf8))
    try? h.close()
    let r = convert.finish()
    #expect(r.status == 0, "stderr: \(r.stderr)")
    let steps = r.stdout.split(separator: "\n").compactMap { line -> Int? in
      guard let range = line.range(of: "\"step\": ") else { return nil }
      return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
    #expect(steps == Array(0...9))
    #expect(r.stderr.contains("followed") && r.stderr.contains("10 rows"))
  }

  @Test func followingAMissingFileWithoutAFormatIsAClearError() throws {
    let r = try CLI.run(["convert", "/nonexistent/run.jsonl", "--follow", "-o", "-", "--idle-exit", "0.2"])
    #expect(r.status != 0 && r.stderr.contains("no such file") && r.stderr.contains("--format"))
  }
}

@Suite(.tiered) struct CommandSurfaceTests {
  /// Every verb wraps every kind; their options must not clash (ArgumentParser rejects a
  /// command with two options of the same name only when it is used).
  @Test(.tags(.slow)) func everyVerbAndKindParses() throws {
    let kinds = ["gradient-flow", "loss-landscape", "reward-landscape", "trajectory", "attention", "embedding"]
    var commands: [[String]] = []
    for verb in ["render", "view", "export", "turntable"] { for k in kinds { commands.append([verb, k]) } }
    for k in kinds where k != "attention" { commands.append(["animate", k]) }
    commands += [["render", "figure"], ["info"], ["convert"], ["doctor"]]
    for c in commands {
      let r = try CLI.run(c + ["--help"])
      #expect(r.status == 0 && r.reason == .exit, "\(c.joined(separator: " ")) --help: \(r.stderr.prefix(400))")
      #expect(r.stdout.contains("USAGE") || r.stdout.contains("Usage") || r.stdout.contains("OVERVIEW"), "\(c.joined(separator: " "))")
    }
  }

  @Test func exportWritesEveryFormat() throws {
    let dir = try CLI.tempDir()
    for (name, extra) in [("a.plotly.json", [String]()), ("b.pts.json", []), ("c.glb", []), ("d.html", []), ("e.json", ["--format", "lidar"])] {
      let r = try CLI.run(["export", "gradient-flow", CLI.example, "-o", dir.path + "/" + name, "--max-points", "4000"] + extra)
      #expect(r.status == 0, "\(name): \(r.stderr)")
      let size = (try? FileManager.default.attributesOfItem(atPath: dir.path + "/" + name)[.size] as? Int) ?? 0
      #expect(size > 1000, "\(name) is \(size) bytes")
    }
    let att = try CLI.run(["export", "attention", CLI.packageRoot.path + "/Tests/TrainscapeCLITests/missing.npy", "-o", dir.path + "/x.pts.json"])
    #expect(att.status != 0 && att.stderr.contains("missing.npy"))
  }
}
