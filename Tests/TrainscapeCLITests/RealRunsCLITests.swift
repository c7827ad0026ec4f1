import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// Issue 12's command-line behaviour on files written by the real writers
/// (`scripts/make_naming_runs.py` in the venv: tensorboardX, wandb, torch), as a new user meets
/// it: every command works with no key flag, figure files and kinds are understood, HDF5 grids
/// are described, media-only W&B runs are skipped with a pointer to their figures.
@Suite(.serialized, .tags(.python, .slow), .tiered) struct RealRunsCLITests {
  /// The runs of `kinds` (comma-separated) written into a new temporary directory; fails with
  /// one line when the venv lacks the writers.
  static func write(_ kinds: String) throws -> URL {
    do {
      _ = try Python.run("import torch, tensorboardX, tensorboard, wandb, plotly, h5py")
    } catch {
      throw Python.Failure("torch, tensorboardX, tensorboard, wandb, plotly or h5py missing from .venv: run scripts/setup.sh")
    }
    let dir = try TestPaths.temporaryDirectory("trainscape-realruns")
    _ = try Python.runFile(
      "scripts/make_naming_runs.py", args: [kinds, dir.path],
      environment: ["WANDB_SILENT": "true", "WANDB_MODE": "offline"])
    return dir
  }

  static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/TrainscapeIOTests/Fixtures")

  /// The issue's "Done when": gradient flow, the sweep's loss landscape, the trajectory, the
  /// histogram and info work with no key flag on runs written with the NPT guide's names
  /// (tensorboardX) and on a W&B warmup sweep; each names the keys it used.
  @Test func doneWhenEveryCommandWorksWithNoKeyFlag() throws {
    let dir = try Self.write("npt,sweep")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = dir.appendingPathComponent("npt").path
    let sweep = dir.appendingPathComponent("sweep/wandb").path
    let cases: [(args: [String], keys: String)] = [
      (["render", "gradient-flow", run], "keys: family gradients, 3 layers (0...2), 6 parameters combined per layer by l2"),
      (["render", "loss-landscape", sweep], "keys: loss = train/loss; learning rate per run below (3 runs)"),
      (["render", "trajectory", run], "keys: loss = loss/total, grad norm = training/grad_norm, reward = rewards/mean (run npt)"),
      (["render", "histogram", run], "keys: histograms gradients/layers.0.bias, gradients/layers.0.weight, gradients/layers.1.bias, ... (6 tag(s), run npt)"),
    ]
    for c in cases {
      let out = dir.appendingPathComponent("\(c.args[1]).png").path
      let r = try CLI.run(c.args + ["-o", out, "--size", "640x360"])
      #expect(r.status == 0, "\(c.args.joined(separator: " ")): \(r.stderr)")
      #expect(r.stderr.contains(c.keys), "\(c.args[1]): \(r.stderr)")
      let image = try PNGCodec.read(path: out)
      #expect(image.width == 640 && image.distinctColors > 300, "\(c.args[1]) looks blank")
    }
    let sweepLines = try CLI.run(["render", "loss-landscape", sweep, "-o", dir.appendingPathComponent("ll2.png").path])
    for lr in ["0.0001", "0.001", "0.01"] {
      #expect(sweepLines.stderr.contains("learning rate \(lr) (config optimizer.lr)"), "\(sweepLines.stderr)")
    }
    let info = try CLI.run(["info", run])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(info.stdout.contains("roles: loss = loss/total, lr = training/learning_rate, grad norm = training/grad_norm, reward = rewards/mean"))
    #expect(info.stdout.contains("layer family gradients: 3 layers (0...2), 6 parameters  [gradient-flow default]"))
  }

  /// `info` lists each histogram tag with its step count and range, equal to what tensorboard's
  /// own EventAccumulator reads from the same file; `--json` too.
  @Test func infoListsHistogramTagsWithTheirStepCounts() throws {
    let dir = try Self.write("npt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let reference = try Python.run(
      """
      import sys, json
      from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
      ea = EventAccumulator(sys.argv[1], size_guidance={"histograms": 0}); ea.Reload()
      print(json.dumps({t: sorted(set(e.step for e in ea.Histograms(t))) for t in ea.Tags()["histograms"]}))
      """, args: [dir.path])
    let want = try #require(try JSONSerialization.jsonObject(with: Data(reference.utf8)) as? [String: [Int]])
    #expect(want.count == 6)
    let info = try CLI.run(["info", dir.path])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(info.stdout.contains("histograms (6 tags, 10 steps (0...9)), render histogram draws the family gradients:"), "\(info.stdout)")
    for (tag, steps) in want {
      #expect(info.stdout.contains("    \(tag): \(steps.count) steps (\(steps.first!)...\(steps.last!))"), "\(tag): \(info.stdout)")
    }
    let json = try CLI.run(["info", "--json", dir.path])
    let runs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    let histograms = try #require(runs.first?["histograms"] as? [String: [String: Int]])
    #expect(Set(histograms.keys) == Set(want.keys))
    for (tag, steps) in want {
      #expect(histograms[tag] == ["steps": steps.count, "first": steps.first!, "last": steps.last!], "\(tag)")
    }
  }

  /// `animate histogram`: histograms logged at a few steps leave the first frames with a single
  /// step (one step per 2 frames here); those frames draw its density curve instead of failing.
  @Test func animateHistogramDrawsEarlyFramesWithOneStep() throws {
    let dir = try Self.write("npt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("frames")
    let r = try CLI.run(["animate", "histogram", dir.path, "-o", out.path, "--frames", "20", "--size", "480x270", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: out.path + "/run_001").filter { $0.hasSuffix(".png") }.sorted()
    #expect(files.count == 20, "\(files)")
    let first = try PNGCodec.read(path: out.path + "/run_001/" + files[0])
    let last = try PNGCodec.read(path: out.path + "/run_001/" + files[19])
    // Frame 0 (through step 0) shows a curve: colours of the map beyond the axes' greys.
    #expect(first.distinctColors > 100 && first != last)
    try? FileManager.default.createDirectory(at: CLI.packageRoot.appendingPathComponent("test-artifacts"), withIntermediateDirectories: true)
    try? PNGCodec.write(first, to: CLI.packageRoot.appendingPathComponent("test-artifacts/animate_histogram_frame0.png").path, overwrite: true)
  }

  /// `render FILE.plotly.json` and `render FILE.pts.json` are `render figure FILE`, with -o.
  @Test func renderOfAFigureFileIsRenderFigure() throws {
    let dir = try CLI.tempDir()
    for name in ["gradient_flow_3_770022b735164693fdf4.plotly.json", "layer0_head0_1_a3c2d33335d7af309ae0.pts.json"] {
      let file = Self.fixtures.appendingPathComponent(name).path
      let short = dir.appendingPathComponent("short-\(name).png").path, long = dir.appendingPathComponent("long-\(name).png").path
      let a = try CLI.run(["render", file, "-o", short, "--size", "480x270"])
      #expect(a.status == 0 && !a.stderr.contains("Unknown option"), "\(name): \(a.stderr)")
      let b = try CLI.run(["render", "figure", file, "-o", long, "--size", "480x270"])
      #expect(b.status == 0, "\(name): \(b.stderr)")
      let same = try Data(contentsOf: URL(fileURLWithPath: short)) == Data(contentsOf: URL(fileURLWithPath: long))
      #expect(same, "\(name)")
    }
  }

  /// A word that is not a kind gets "did you mean" and the list of kinds; a file in the kind's
  /// place is told the order.
  @Test func anUnknownKindGetsDidYouMean() throws {
    let typo = try CLI.run(["render", "gradient-flwo", CLI.example, "-o", "x.png"])
    #expect(typo.status != 0 && typo.reason == .exit)
    #expect(typo.stderr.contains("unknown kind 'gradient-flwo'") && typo.stderr.contains("did you mean 'gradient-flow'?"), "\(typo.stderr)")
    #expect(typo.stderr.contains("Kinds: gradient-flow, loss-landscape"), "\(typo.stderr)")
    for verb in ["view", "export", "turntable", "animate"] {
      let r = try CLI.run([verb, "histgram", CLI.example])
      #expect(r.status != 0 && r.stderr.contains("did you mean 'histogram'?"), "\(verb): \(r.stderr)")
    }
    let swapped = try CLI.run(["render", CLI.example, "gradient-flow"])
    #expect(swapped.status != 0 && swapped.stderr.contains("is not a kind: the kind comes first"), "\(swapped.stderr)")
    let escaped = try CLI.run(["render", "bad\u{1B}[31mkind"])
    #expect(escaped.stderr.contains("bad\\u{1B}[31mkind") && !escaped.stderr.contains("\u{1B}"), "\(escaped.stderr)")
  }

  /// `info` describes a loss-landscape .h5 grid and the datasets in it (h5py writes it);
  /// `convert` says it cannot convert a grid; other metrics commands point to `info`.
  @Test func infoDescribesH5GridsAndConvertRefusesThem() throws {
    let dir = try CLI.tempDir()
    let grid = dir.appendingPathComponent("surface.h5").path, plain = dir.appendingPathComponent("weights.h5").path
    _ = try Python.run(
      """
      import sys, h5py, numpy as np
      x, y = np.linspace(-1, 1, 11), np.linspace(-0.5, 0.5, 9)
      with h5py.File(sys.argv[1], "w") as f:
          f["xcoordinates"], f["ycoordinates"] = x, y
          loss = np.add.outer(y ** 2, x ** 2) + 0.25
          loss[0, :3] = -1
          f["train_loss"] = loss
          f["test_acc"] = np.full(loss.shape, 0.875, dtype=np.float32)
          f.create_group("meta")
      with h5py.File(sys.argv[2], "w") as f:
          f["weights"] = np.arange(12, dtype=np.int32).reshape(3, 4)
      """, args: [grid, plain])
    let info = try CLI.run(["info", grid, plain])
    #expect(info.status == 0, "\(info.stderr)")
    let want = [
      "surface.h5  (hdf5, loss-landscape grid)  \(grid)",
      "  grid: 11 x 9 (xcoordinates -1...1, ycoordinates -0.5...0.5)",
      "  dataset test_acc: float32 [9, 11], 0.875...0.875  [surface]",
      "  dataset train_loss: float64 [9, 11], 0.25...1.5, 3 cell(s) not computed yet (-1)  [surface]",
      "  dataset xcoordinates: float64 [11], -1...1",
      "  meta/ (group)",
      "  draw: trainscape render loss-landscape \(grid)  (surfaces: test_acc, train_loss)",
      "weights.h5  (hdf5)  \(plain)",
      "  dataset weights: int32 [3, 4], 0...11",
    ]
    for line in want { #expect(info.stdout.contains(line + "\n"), "missing '\(line)' in:\n\(info.stdout)") }
    let json = try CLI.run(["info", "--json", grid])
    let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    let o = try #require(objects.first)
    #expect(o["format"] as? String == "hdf5" && o["surfaces"] as? [String] == ["test_acc", "train_loss"])
    #expect((o["grid"] as? [String: Int]) == ["x": 11, "y": 9])
    let loss = try #require((o["datasets"] as? [[String: Any]])?.first { $0["name"] as? String == "train_loss" })
    #expect(loss["pending_cells"] as? Int == 3 && loss["shape"] as? [Int] == [9, 11] && loss["min"] as? Double == 0.25)

    let convert = try CLI.run(["convert", grid, "-o", dir.appendingPathComponent("x.jsonl").path])
    #expect(convert.status != 0 && convert.reason == .exit)
    #expect(convert.stderr.contains("is an HDF5 loss-landscape grid (surfaces: test_acc, train_loss), not training metrics"), "\(convert.stderr)")
    #expect(convert.stderr.contains("cannot convert") && convert.stderr.contains("trainscape render loss-landscape \(grid)"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.jsonl").path))
    let flow = try CLI.run(["render", "gradient-flow", grid, "-o", dir.appendingPathComponent("g.png").path])
    #expect(flow.status != 0 && flow.stderr.contains("is an HDF5 file") && flow.stderr.contains("trainscape info \(grid)"), "\(flow.stderr)")
  }

  /// In a wandb/ directory where one run logged only media (wandb.Plotly, wandb.Object3D),
  /// that run is reported and skipped: info lists the other run, and the message names the
  /// figure files and `render figure`, whose suggested command works. The other run's own
  /// `step` metric (beside W&B's _step) is kept by info, by convert, and through convert's JSONL.
  @Test func aMediaOnlyRunIsSkippedAndAUserStepIsKept() throws {
    let dir = try Self.write("media")
    defer { try? FileManager.default.removeItem(at: dir) }
    let wandb = dir.appendingPathComponent("wandb").path
    let info = try CLI.run(["info", wandb])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(info.stdout.hasPrefix("metrics  (wandb)"), "\(info.stdout)")
    #expect(info.stdout.contains("  8 rows, steps 0...7") && info.stdout.contains("metrics (2): step, train/loss"), "\(info.stdout)")
    let warning = try #require(info.stderr.split(separator: "\n").first { $0.contains("skipped") }.map(String.init), "\(info.stderr)")
    #expect(warning.contains("no metric rows (read as wandb): the run logs media only (viz/loss_surface, viz/points)"), "\(warning)")
    #expect(warning.contains("draw its 4 figure file(s) under") && warning.contains("`trainscape render figure FILE`"), "\(warning)")
    // The suggested command draws the run's figure.
    let suggested = try #require(warning.range(of: "e.g. `trainscape render figure ")).upperBound
    let figure = String(warning[suggested...].prefix { $0 != "`" })
    #expect(figure.hasSuffix(".plotly.json") && FileManager.default.fileExists(atPath: figure), "\(figure)")
    let png = dir.appendingPathComponent("figure.png").path
    let drawn = try CLI.run(["render", "figure", figure, "-o", png, "--size", "480x270"])
    #expect(drawn.status == 0, "\(drawn.stderr)")
    #expect(try PNGCodec.read(path: png).distinctColors > 300)
    // The media-only run alone: an error with the same pointer.
    let mediaRun = URL(fileURLWithPath: figure).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let alone = try CLI.run(["info", mediaRun])
    #expect(alone.status != 0 && alone.stderr.contains("render figure"), "\(alone.stderr)")

    // The user's step: 100, 200, ... at W&B's _step 0, 1, ... (info --json counts it).
    let json = try CLI.run(["info", "--json", wandb])
    let runs = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(runs.count == 1 && runs[0]["steps"] as? [Int] == [0, 7] && (runs[0]["counts"] as? [String: Int])?["step"] == 8)
    let jsonl = dir.appendingPathComponent("metrics.jsonl").path
    let convert = try CLI.run(["convert", wandb, "-o", jsonl])
    #expect(convert.status == 0 && !convert.stderr.contains("dropped"), "\(convert.stderr)")
    let lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
    #expect(lines.first == #"{"run": "metrics", "_step": 0, "step": 100.0, "train/loss": 2.0}"#, "\(lines.first ?? "")")
    let back = try RunLoader.load(path: jsonl).runs
    #expect(back.count == 1 && back[0].rows.map(\.step) == Array(0..<8) && back[0].rows.map { $0.values["step"] } == (1...8).map { Double($0 * 100) })
  }
}
