import Foundation
import Testing
import TrainscapeIO
import TrainscapeTestSupport

/// `--facet-by` on the loss landscape (one sweep per group) and the histogram (one run per
/// group): one image of panels on shared ranges, annotations on each, turntables orbiting them
/// all, one z scale for all panels, and clear errors.
@Suite(.tiered) struct MoreFacetsCLITests {
  /// Two optimizers x five learning rates, the optimizer and the rate in the file names; sgd's
  /// losses span less than three decades (auto: linear z), adam's more when `wide` (auto: log).
  static func sweeps(wide: Bool = false) throws -> URL {
    let dir = try CLI.tempDir()
    for (opt, k) in [("adam", 1.0), ("sgd", 0.6)] {
      for lr in ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2"] {
        let v = Double(lr)!
        var text = ""
        for s in stride(from: 0, to: 400, by: 4) {
          var loss = 2 + 6 * exp(-k * Double(s) * v * 20) + 3 * pow(log10(v) + 2.5, 2) / 10 + (opt == "sgd" ? 0.5 : 0)
          if wide && opt == "adam" { loss = 10 * exp(-Double(s) * v * 40) + 1e-4 }
          text += "{\"step\": \(s), \"train/loss\": \(loss), \"train/lr\": \(v), \"phase\": \(s < 150 ? 0 : 1)}\n"
        }
        try text.write(to: dir.appendingPathComponent("\(opt)_lr\(lr).jsonl"), atomically: true, encoding: .utf8)
      }
    }
    return dir
  }

  static let pattern = "(?<opt>adam|sgd)_lr"

  @Test(.tags(.egl, .slow)) func lossLandscapesOnePanelPerSweepWithStagesAndATurntable() throws {
    let dir = try Self.sweeps()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("ll.png").path
    let r = try CLI.run(["render", "loss-landscape", dir.path, "--facet-by-name", Self.pattern, "--stages", "phase", "-o", out, "--size", "800x320"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("keys: loss = train/loss; learning rate per run below (5 runs) [opt=adam]"), "\(r.stderr)")
    #expect(r.stderr.contains("opt=sgd: sgd_lr3e-3: learning rate 0.003 (name sgd_lr3e-3)"), "\(r.stderr)")
    #expect(r.stderr.contains("2 panels by opt, one colour range 2..."), "\(r.stderr)")
    let image = try PNGCodec.read(path: out)
    #expect(image.width == 800 && image.height == 320)
    // Two panels: each half of the image holds a surface (coloured pixels, not grey or white).
    func coloured(_ x0: Int, _ x1: Int) -> Int {
      var n = 0
      for y in 0..<image.height {
        for x in x0..<x1 {
          let p = image[x, y]
          if max(p.r, p.g, p.b) - min(p.r, p.g, p.b) > 60 { n += 1 }
        }
      }
      return n
    }
    #expect(coloured(0, 340) > 5000 && coloured(340, 680) > 5000, "\(coloured(0, 340)) \(coloured(340, 680))")
    // The stage planes are drawn: the figure without them differs.
    let plain = dir.appendingPathComponent("plain.png").path
    #expect(try CLI.run(["render", "loss-landscape", dir.path, "--facet-by-name", Self.pattern, "-o", plain, "--size", "800x320"]).status == 0)
    #expect(try PNGCodec.read(path: plain) != image)

    let tt = try CLI.run(["turntable", "loss-landscape", dir.path, "--facet-by-name", Self.pattern, "-o", dir.path, "--frames", "2", "--size", "400x160", "--quiet"])
    #expect(tt.status == 0, "\(tt.stderr)")
    let run = tt.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let frames = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasSuffix(".png") }.sorted()
    #expect(frames == ["opt_loss-landscape_facets_0000.png", "opt_loss-landscape_facets_0001.png"])
  }

  @Test(.tags(.egl)) func panelsShareOneZScaleWhenAutoWouldChooseTwo() throws {
    let dir = try Self.sweeps(wide: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("ll.png").path
    let r = try CLI.run(["render", "loss-landscape", dir.path, "--facet-by-name", Self.pattern, "-o", out, "--size", "480x200"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("z: log on every panel, so that all share one scale (--log-z auto chose log for opt=adam only)"), "\(r.stderr)")
  }

  @Test func whatFacetsOfTheseKindsRefuse() throws {
    let dir = try Self.sweeps()
    defer { try? FileManager.default.removeItem(at: dir) }
    let export = try CLI.run(["export", "loss-landscape", dir.path, "--facet-by-name", Self.pattern, "-o", "/tmp/never.json"])
    #expect(export.status != 0)
    #expect(export.stderr.contains("`render loss-landscape` and `turntable loss-landscape` take them"), "\(export.stderr)")
    let grid = dir.appendingPathComponent("grid.csv")
    try "1,2\n3,4\n".write(to: grid, atomically: true, encoding: .utf8)
    let g = try CLI.run(["render", "loss-landscape", grid.path, "--facet-by", "opt", "-o", "/tmp/never.png"])
    #expect(g.status != 0)
    #expect(g.stderr.contains("--facet-by draws one panel per group of runs; \(grid.path) is a loss grid (one surface)"), "\(g.stderr)")
    let two = try CLI.run(["export", "histogram", Self.sweepFile(dir, "adam"), Self.sweepFile(dir, "sgd"), "-o", "/tmp/never.json"])
    #expect(two.status != 0)
    #expect(two.stderr.contains("2 runs given: histogram draws one run"), "\(two.stderr)")
  }

  static func sweepFile(_ dir: URL, _ opt: String) -> String { dir.appendingPathComponent("\(opt)_lr1e-3.jsonl").path }

  /// Histograms need TensorBoard files: two runs of the NPT guide's writer.
  @Test(.tags(.python, .egl, .slow)) func histogramsOnePanelPerRun() throws {
    do { _ = try Python.run("import torch, tensorboardX") } catch {
      throw Python.Failure("torch or tensorboardX missing from .venv: run scripts/setup.sh")
    }
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let paths = ["vanilla_seed0", "erasure_seed0", "vanilla_seed1"].map { dir.appendingPathComponent($0).path }
    for p in paths { _ = try Python.runFile("scripts/make_naming_runs.py", args: ["npt", p]) }
    let pattern = #"(?<arm>\w+)_seed(?<seed>\d+)"#
    let out = dir.appendingPathComponent("h.png").path
    let r = try CLI.run(["render", "histogram", paths[0], paths[1], "--facet-by-name", pattern, "-o", out, "--size", "640x260", "--mark", "4:half"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("(6 tag(s), run vanilla_seed0) [arm=vanilla]"), "\(r.stderr)")
    #expect(r.stderr.contains("2 panels by arm, one colour range 0..."), "\(r.stderr)")
    #expect(r.stderr.contains("half at step 4"), "\(r.stderr)")
    #expect(try PNGCodec.read(path: out).fractionNot((255, 255, 255)) > 0.1)
    // A group of two runs is refused: a histogram panel draws one run.
    let both = try CLI.run(["render", "histogram", paths[0], paths[2], "--facet-by-name", pattern, "-o", "/tmp/never.png"])
    #expect(both.status != 0)
    #expect(
      both.stderr.contains("histogram panels draw one run each; the group arm=vanilla has 2 (vanilla_seed0, vanilla_seed1): facet by a key that tells them apart (e.g. add seed)"),
      "\(both.stderr)")
  }
}
