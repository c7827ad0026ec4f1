import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `trainscape summary` on the bundled example runs: every kind their keys allow, as PNG, Plotly
/// JSON, `.pts.json` and turntable, in run_001, run_002, ...; a line on stderr for each kind they
/// do not allow; `--kinds` restricts; the index page draws in Chromium with no network.
@Suite(.serialized, .tiered) struct SummaryTests {
  static var examples: [String] {
    ["nanochat_d12.jsonl", "rl_grpo.jsonl"].map { CLI.packageRoot.appendingPathComponent("Assets/examples/\($0)").path }
  }

  /// What the example runs allow, by their keys (nanochat_d12: per-layer gradient norms, their
  /// total, loss and lr; rl_grpo: loss, reward, grad_norm, kl).
  static let expectedViews = [
    "nanochat_d12/gradient-flow", "nanochat_d12/loss-landscape", "nanochat_d12/trajectory", "rl_grpo/reward-landscape",
    "rl_grpo/trajectory",
  ]

  /// Every file under `dir`, relative to it.
  static func files(_ dir: URL) -> Set<String> {
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out = Set<String>()
    while let p = e?.nextObject() as? String {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue {
        out.insert(p)
      }
    }
    return out
  }

  static func json(_ url: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: url)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(url.path) is not a JSON object")
  }

  @Test(.tags(.egl, .slow)) func theExampleRunsGiveEveryViewTheirKeysAllow() throws {
    let out = try CLI.tempDir().appendingPathComponent("summary")
    let r = try CLI.run(["summary"] + Self.examples + ["-o", out.path, "--size", "320x240", "--turntable", "gif", "--frames", "4"])
    try #require(r.status == 0, "summary failed: \(r.stderr)")
    let run1 = out.appendingPathComponent("run_001")
    var expected: Set<String> = ["manifest.json", "index.html", "nanochat_d12/trajectory.pts.json", "rl_grpo/trajectory.pts.json"]
    for v in Self.expectedViews { for ext in ["png", "plotly.json", "gif"] { expected.insert("\(v).\(ext)") } }
    #expect(Self.files(run1) == expected, "stderr: \(r.stderr)")

    // Which keys each view used, and one line per kind a run does not allow.
    #expect(r.stderr.contains("summary: gradient-flow for nanochat_d12: keys grad_norm"), "\(r.stderr)")
    #expect(r.stderr.contains("summary: reward-landscape for rl_grpo: keys loss = loss, reward = reward"), "\(r.stderr)")
    #expect(r.stderr.contains("summary: trajectory for nanochat_d12: keys loss = train/loss, grad norm = grad_norm/total"), "\(r.stderr)")
    for (kind, run, why) in [
      ("histogram", "nanochat_d12", "no histograms"), ("reward-landscape", "nanochat_d12", "no reward metric"),
      ("gradient-flow", "rl_grpo", "no per-layer metric family"), ("loss-landscape", "rl_grpo", "no learning-rate metric"),
      ("attention", "rl_grpo", ".npy"), ("embedding", "nanochat_d12", ".npy"),
    ] {
      let lines = r.stderr.split(separator: "\n").filter { $0.contains("summary: \(kind) not drawn for \(run): ") }
      #expect(lines.count == 1 && lines[0].contains(why), "\(kind) for \(run): \(lines)\n\(r.stderr)")
    }

    for v in Self.expectedViews {
      let png = try PNGCodec.read(path: run1.appendingPathComponent("\(v).png").path)
      #expect(png.width == 320 && png.height == 240)
      var colours = Set<UInt32>()
      for i in stride(from: 0, to: png.pixels.count, by: 4) {
        colours.insert(UInt32(png.pixels[i]) << 16 | UInt32(png.pixels[i + 1]) << 8 | UInt32(png.pixels[i + 2]))
      }
      #expect(colours.count > 300, "\(v).png has \(colours.count) colours: a blank or flat image")
      let figure = try Self.json(run1.appendingPathComponent("\(v).plotly.json"))
      let data = try #require(figure["data"] as? [[String: Any]], "\(v).plotly.json has no data array")
      #expect(!data.isEmpty && figure["layout"] is [String: Any], "\(v).plotly.json")
      let gif = try Data(contentsOf: run1.appendingPathComponent("\(v).gif"))
      #expect(gif.prefix(6) == Data("GIF89a".utf8), "\(v).gif is not a GIF")
    }
    for run in ["nanochat_d12", "rl_grpo"] {
      let pts = try Data(contentsOf: run1.appendingPathComponent("\(run)/trajectory.pts.json"))
      #expect((try? JSONSerialization.jsonObject(with: pts)) != nil && pts.count > 1000, "\(run)/trajectory.pts.json")
    }

    let manifest = try Self.json(run1.appendingPathComponent("manifest.json"))
    let outputs = try #require(manifest["outputs"] as? [[String: Any]])
    #expect(Set(outputs.compactMap { o in (o["run"] as? String).map { "\($0)/\(o["kind"] as? String ?? "")" } }) == Set(Self.expectedViews))
    let listed = Set(outputs.flatMap { $0["files"] as? [String] ?? [] })
    #expect(listed == expected.subtracting(["manifest.json", "index.html"]))
    let skipped = try #require(manifest["skipped"] as? [[String: Any]])
    #expect(skipped.count == 2 * SummaryRecipe.kinds.count - Self.expectedViews.count)

    let page = try String(contentsOf: run1.appendingPathComponent("index.html"), encoding: .utf8)
    #expect(!page.contains("<script src="), "the page loads a script from elsewhere")
    #expect(page.contains("plotly.js v\(HTMLExporter.plotlyJSVersion)"), "the page does not carry plotly.js")
    for v in Self.expectedViews { #expect(page.contains("<img src=\"\(v).png\""), "index.html does not show \(v).png") }

    // A second summary goes into run_002 and leaves run_001 alone; --kinds restricts.
    let again = try CLI.run(["summary"] + Self.examples + ["-o", out.path, "--size", "320x240", "--kinds", "trajectory,histogram"])
    try #require(again.status == 0, "second summary failed: \(again.stderr)")
    let run2 = out.appendingPathComponent("run_002")
    let trajectories = ["nanochat_d12", "rl_grpo"].flatMap { run in ["png", "plotly.json", "pts.json"].map { "\(run)/trajectory.\($0)" } }
    #expect(Self.files(run2) == Set(["manifest.json", "index.html"] + trajectories), "\(again.stderr)")
    #expect(Self.files(run1) == expected)
    #expect(again.stderr.contains("summary: histogram not drawn for rl_grpo"), "\(again.stderr)")
    #expect(!again.stderr.contains("gradient-flow"), "a kind not asked for is mentioned: \(again.stderr)")
  }

  @Test func anUnknownKindIsRefusedWithTheList() throws {
    let out = try CLI.tempDir().appendingPathComponent("summary")
    let r = try CLI.run(["summary", CLI.example, "-o", out.path, "--kinds", "gradient-flw"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("unknown kind 'gradient-flw'") && r.stderr.contains("gradient-flow"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path), "a refused summary created its folder")
  }

  /// The index page opened in headless Chromium with the network cut (`HTMLChromiumTests.open`):
  /// every PNG loads by its relative path, every Plotly figure draws, nothing goes wrong.
  @Test(.tags(.chromium, .egl, .slow)) func theIndexPageDrawsEverythingWithNoNetwork() throws {
    let out = try CLI.tempDir().appendingPathComponent("summary")
    let r = try CLI.run(["summary"] + Self.examples + ["-o", out.path, "--size", "320x240"])
    try #require(r.status == 0, "summary failed: \(r.stderr)")
    let run1 = out.appendingPathComponent("run_001")
    let o = try HTMLChromiumTests.open(
      run1.appendingPathComponent("index.html"), in: run1, name: "summary", plotStart: "<section>", plotEnd: "const figures = ")
    #expect(o.pageErrors == nil, "page errors: \(o.pageErrors ?? "")\n\(o.context)")
    #expect(!o.plot.contains("WebGL is not supported"), "no WebGL (renderer: \(o.renderer))\n\(o.context)")
    let uncaught = o.consoleLines.filter { $0.contains("Uncaught") }
    #expect(uncaught.isEmpty, "uncaught errors in the console: \(uncaught)")
    // Each figure div was taken by Plotly (js-plotly-plot) and got its SVG layers and a WebGL canvas.
    let plots = o.plot.components(separatedBy: "<div class=\"plot js-plotly-plot\"").count - 1
    #expect(plots == Self.expectedViews.count, "\(plots) figure divs drawn by Plotly\n\(o.context)")
    let drawn = o.plot.components(separatedBy: "class=\"main-svg\"").count - 1
    #expect(drawn >= plots, "\(drawn) Plotly .main-svg for \(plots) figures: not every figure drew\n\(o.context)")
    #expect(o.plot.components(separatedBy: "<canvas").count - 1 >= plots, "a figure has no WebGL canvas\n\(o.context)")
    let image = try PNGCodec.read(path: o.png.path)
    var colours = Set<UInt32>()
    for i in stride(from: 0, to: image.pixels.count, by: 4) {
      colours.insert(UInt32(image.pixels[i]) << 16 | UInt32(image.pixels[i + 1]) << 8 | UInt32(image.pixels[i + 2]))
    }
    #expect(colours.count > 1000, "the screenshot looks blank (\(colours.count) colours): \(o.png.path)")
  }
}
