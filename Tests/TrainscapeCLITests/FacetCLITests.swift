import Foundation
import Testing
import TrainscapeIO
import TrainscapeTestSupport

/// `render gradient-flow RUNS... --facet-by`, `turntable gradient-flow --facet-by`: one image
/// of panels from the bundled facet example (with the annotations on every panel), the orbit
/// of all panels together, and the clear lines of commands and options that do not take it.
@Suite(.tiered) struct FacetCLITests {
  static var examples: String { TestPaths.packageRoot.appendingPathComponent("Assets/examples/facets").path }
  static let pattern = #"(?<arm>\w+)_seed(?<seed>\d+)"#

  @Test(.tags(.egl, .slow)) func renderAndTurntableDrawOnePanelPerGroup() throws {
    let dir = try CLI.tempDir()
    let out = dir.appendingPathComponent("facets.png").path
    let r = try CLI.run(["render", "gradient-flow", Self.examples, "--facet-by-name", Self.pattern, "-o", out, "--size", "900x320", "--mark", "100"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains(out))
    #expect(r.stderr.contains("keys: family grad_norm, 8 layers (0...7): grad_norm/layer_0, ... (9 runs in 3 groups)"), "\(r.stderr)")
    #expect(r.stderr.contains("arm=vanilla: the mean of 3 runs per layer and step (vanilla_seed0, vanilla_seed1, vanilla_seed2)"), "\(r.stderr)")
    #expect(r.stderr.contains("3 panels by arm, one colour range"), "\(r.stderr)")
    // The mark is drawn on every panel (said once: it is the same step in each).
    #expect(r.stderr.components(separatedBy: "mark at step 100\n").count == 2, "\(r.stderr)")
    let image = try PNGCodec.read(path: out)
    #expect(image.width == 900 && image.height == 320)
    #expect(image.fractionNot((255, 255, 255)) > 0.1)
    let unmarked = dir.appendingPathComponent("unmarked.png").path
    let u = try CLI.run(["render", "gradient-flow", Self.examples, "--facet-by-name", Self.pattern, "-o", unmarked, "--size", "900x320"])
    #expect(u.status == 0, "\(u.stderr)")
    #expect(try PNGCodec.read(path: unmarked) != image)

    // Files given one by one, grouped by a config field the name pattern made.
    let files = ["vanilla", "static_erasure"].flatMap { arm in (0..<2).map { "\(Self.examples)/\(arm)_seed\($0).jsonl" } }
    let two = dir.appendingPathComponent("two.png").path
    let t = try CLI.run(["render", "gradient-flow"] + files + ["--facet-by", "arm", "--facet-by-name", Self.pattern, "-o", two, "--size", "600x300"])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(t.stderr.contains("2 panels by arm"), "\(t.stderr)")

    // The turntable orbits all panels together: frames differ, every panel in each.
    let tt = try CLI.run(["turntable", "gradient-flow", Self.examples, "--facet-by-name", Self.pattern, "-o", dir.path, "--frames", "3", "--size", "480x200", "--quiet"])
    #expect(tt.status == 0, "\(tt.stderr)")
    let run = tt.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let frames = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasSuffix(".png") }.sorted()
    #expect(frames == ["arm_gradient-flow_facets_0000.png", "arm_gradient-flow_facets_0001.png", "arm_gradient-flow_facets_0002.png"])
    let f0 = try PNGCodec.read(path: run + "/" + frames[0]), f1 = try PNGCodec.read(path: run + "/" + frames[1])
    #expect(f0.width == 480 && f0 != f1)
  }

  @Test func commandsAndOptionsThatDoNotTakeItSaySo() throws {
    let several = try CLI.run(["render", "gradient-flow", "\(Self.examples)/vanilla_seed0.jsonl", "\(Self.examples)/vanilla_seed1.jsonl", "-o", "/tmp/never.png"])
    #expect(several.status != 0)
    #expect(several.stderr.contains("2 runs given: gradient-flow draws one run, or one panel per group with --facet-by KEY (or --facet-by-name PATTERN)"), "\(several.stderr)")
    let export = try CLI.run(["export", "gradient-flow", Self.examples, "--facet-by-name", Self.pattern, "-o", "/tmp/never.json"])
    #expect(export.status != 0)
    #expect(export.stderr.contains("--facet-by/--facet-by-name draw several panels in one image: `render gradient-flow` and `turntable gradient-flow` take them"), "\(export.stderr)")
    let bad = try CLI.run(["render", "gradient-flow", Self.examples, "--facet-by-name", "(?<arm>", "-o", "/tmp/never.png"])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("--facet-by-name: '(?<arm>' is not a valid regular expression"), "\(bad.stderr)")
  }

  /// An unknown option with a value must be named as unknown: the value is not a second run
  /// (the Python wrapper passes `no_such_option=3` as `--no-such-option 3`).
  @Test func anUnknownOptionWithAValueIsNamedNotCountedAsARun() throws {
    let r = try CLI.run(["render", "gradient-flow", "\(Self.examples)/vanilla_seed0.jsonl", "-o", "/tmp/never.png", "--no-such-option", "3"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("Unknown option '--no-such-option'"), "\(r.stderr)")
    #expect(!r.stderr.contains("runs given"), "\(r.stderr)")
  }
}
