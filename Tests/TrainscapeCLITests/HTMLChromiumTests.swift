import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `export KIND ... -o page.html` (plotly.js built into trainscape and put inside the page) opened
/// in headless Chromium (the Debian package; scripts/setup.sh installs it) with no network: the
/// page draws the plot, with no console errors.
///
/// No network: Chromium runs in a network namespace of its own with no interfaces up
/// (`unshare --net`, where the machine allows it), and in any case with every host name
/// resolving to nothing and a proxy that does not exist, so a page that needed the network could
/// not load it. A control page exported with `--plotlyjs cdn` proves the cut: under the same
/// flags its plotly.js fails to load and nothing is drawn.
///
/// One Chromium run per page, with both `--dump-dom` (stdout) and `--screenshot`:
/// - Chromium's own console log (`--enable-logging=stderr`) prints every console message as
///   `INFO:CONSOLE` whatever its level, so console.error cannot be told from console.log there.
///   The test therefore opens a copy of the page with a small script put first in <head> that
///   records console.error calls, uncaught exceptions, unhandled promise rejections and failed
///   resource loads in a `data-page-errors` attribute of <html>, which the dumped DOM shows; it
///   also records the WebGL renderer. The exported page itself is unchanged.
/// - Plotly 3D needs WebGL. Without a GPU, Chromium gives software WebGL (SwiftShader through
///   ANGLE) only when asked: `--use-angle=swiftshader --enable-unsafe-swiftshader` (the automatic
///   fallback is deprecated). Where WebGL is missing, Plotly replaces the plot by "WebGL is not
///   supported by your browser": the DOM check names that, and the screenshot check (many
///   distinct saturated colours in the scene area, which only the WebGL canvas draws) catches a
///   canvas that stayed empty.
@Suite(.tags(.chromium), .tiered) struct HTMLChromiumTests {
  static let flags = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--hide-scrollbars", "--window-size=1280,800", "--virtual-time-budget=10000",
    "--enable-logging=stderr", "--v=0",
    // No network even where the namespace cannot be made: no name resolves, no proxy answers.
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=socks5://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
  ]

  /// `unshare --net` when this machine lets a process make a network namespace (root, or user
  /// namespaces allowed), so Chromium has no network interface at all; nil otherwise.
  static let unshare: [String]? = {
    let path = "/usr/bin/unshare"
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    for flags in [["--net"], ["--net", "--map-root-user"]] {
      if let r = try? Subprocess.run(URL(fileURLWithPath: path), flags + ["true"]), r.status == 0, r.exitedNormally {
        return [path] + flags
      }
    }
    return nil
  }()


  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }

  /// One exportable kind, with the inputs its test makes in `dir`; `webgl`: a 3D scene (a
  /// WebGL canvas), else Plotly's 2D subplots (dynamics, SVG).
  struct Page: Sendable, CustomTestStringConvertible {
    var kind: String
    var webgl = true
    var testDescription: String { kind }

    /// The command's arguments after the kind: inputs and options.
    func arguments(in dir: URL) throws -> [String] {
      let examples = TestPaths.packageRoot.appendingPathComponent("Assets/examples").path
      switch kind {
      case "gradient-flow": return [CLI.example]
      case "trajectory": return [CLI.example, "--grad-key", "grad_norm/total"]
      case "loss-landscape": return [examples + "/sweep"]
      case "reward-landscape": return [examples + "/rl_grpo.jsonl"]
      case "dynamics": return [examples + "/dynamics", "--metrics", "loss,kl", "--group-by", "arm"]
      case "attention":
        _ = try Python.run("""
          import numpy as np
          rng = np.random.default_rng(1)
          s = rng.normal(size=(4, 24, 24)).astype(np.float32)
          np.save('\(dir.path)/attn.npy', np.exp(s) / np.exp(s).sum(-1, keepdims=True))
          """)
        return [dir.path + "/attn.npy"]
      case "embedding":
        _ = try Python.run("""
          import numpy as np
          rng = np.random.default_rng(2)
          centres = rng.normal(size=(4, 16)) * 4
          pts = np.concatenate([c + rng.normal(size=(40, 16)) for c in centres])
          np.save('\(dir.path)/points.npy', np.stack([pts * (1 + 0.2 * t) for t in range(5)]).astype(np.float32))
          np.savetxt('\(dir.path)/labels.txt', np.repeat(np.arange(4), 40), fmt='%d')
          """)
        return [dir.path + "/points.npy", "--labels", dir.path + "/labels.txt"]
      case "histogram":
        _ = try Python.run("""
          import numpy as np
          from tensorboardX import SummaryWriter
          rng = np.random.default_rng(3)
          w = SummaryWriter('\(dir.path)/hist')
          for step in range(12):
              w.add_histogram('grads/w', rng.normal(0.1 * step, 1 + 0.1 * step, size=2000), step)
          w.close()
          """)
        return [dir.path + "/hist"]
      default: throw Failure("no inputs for \(kind)")
      }
    }
  }

  /// What Chromium made of a page.
  struct Opened {
    var dom: String
    var png: URL
    var consoleLines: [String]
    var context: String
    var renderer: String
    var pageErrors: String?
    /// The dumped DOM of the plot's div only (the inlined plotly.js contains the strings searched).
    var plot: Substring
  }

  /// Every kind `export` writes as a Plotly page: from the bundled examples, and from inputs
  /// the venv's numpy and tensorboardX write.
  static let pages = [
    Page(kind: "gradient-flow"),  // a surface
    Page(kind: "trajectory"),  // scatter3d markers and lines
    Page(kind: "loss-landscape"),
    Page(kind: "reward-landscape"),  // a surface and a path
    Page(kind: "dynamics", webgl: false),  // 2D subplots
  ]
  static let pythonPages = [
    Page(kind: "attention"),  // points coloured by weight
    Page(kind: "embedding"),  // paths by class
    Page(kind: "histogram"),
  ]

  /// `chromium` on PATH (Debian: /usr/bin/chromium); a missing browser fails, never skips.
  static func chromium() throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
      let candidate = URL(fileURLWithPath: dir).appendingPathComponent("chromium")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    throw Failure("chromium not found on PATH: apt-get install chromium (scripts/setup.sh)")
  }

  /// Put first in <head>: records errors and the WebGL renderer on <html> for --dump-dom.
  static let probe = """
    <script>
    (function () {
      var root = document.documentElement, errors = [];
      function note(kind, message) {
        errors.push(kind + ': ' + message);
        root.setAttribute('data-page-errors', errors.join(' | '));
      }
      var consoleError = console.error;
      console.error = function () {
        note('console.error', Array.prototype.map.call(arguments, String).join(' '));
        return consoleError.apply(console, arguments);
      };
      window.addEventListener('error', function (e) {
        if (e.target && e.target !== window) note('failed to load', e.target.src || e.target.href || e.target.tagName);
        else note('uncaught', e.message);
      }, true);
      window.addEventListener('unhandledrejection', function (e) { note('unhandled rejection', String(e.reason)); });
      try {
        var gl = document.createElement('canvas').getContext('webgl');
        var info = gl && gl.getExtension('WEBGL_debug_renderer_info');
        root.setAttribute('data-webgl-renderer', !gl ? 'none' : String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)));
      } catch (e) { root.setAttribute('data-webgl-renderer', 'error: ' + e); }
    })();
    </script>

    """

  /// The value of attribute `name` on the dumped <html> element, if set.
  static func htmlAttribute(_ name: String, in dom: String) -> String? {
    guard let open = dom.range(of: "<html"), let end = dom[open.upperBound...].firstIndex(of: ">") else { return nil }
    let tag = dom[open.upperBound..<end]
    guard let start = tag.range(of: " \(name)=\"") else { return nil }
    let value = tag[start.upperBound...].prefix { $0 != "\"" }
    return String(value).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
  }

  /// Opens a copy of `html` with the probe in <head> in Chromium with no network. `plot` is the
  /// part of the dumped DOM from `plotStart` to `plotEnd` (the page's own script).
  static func open(
    _ html: URL, in dir: URL, name: String, plotStart: String = "<div id=\"figure\"", plotEnd: String = "const figure = "
  ) throws -> Opened {
    let chromium = try Self.chromium()
    var text = try String(contentsOf: html, encoding: .utf8)
    let head = try #require(text.range(of: "<head>\n"), "no <head> in the exported page")
    text.insert(contentsOf: Self.probe, at: head.upperBound)
    let probed = dir.appendingPathComponent("\(name)-probed.html")
    try text.write(to: probed, atomically: true, encoding: .utf8)

    let png = dir.appendingPathComponent("\(name).png")
    let args = Self.flags + [
      "--user-data-dir=\(dir.appendingPathComponent("profile-\(name)").path)", "--dump-dom",
      "--screenshot=\(png.path)", probed.absoluteString,
    ]
    let started = Date()
    // coreutils timeout: a hung browser fails the test instead of hanging it.
    let command = (Self.unshare ?? []) + ["/usr/bin/timeout", "90", chromium.path] + args
    let r = try Subprocess.run(URL(fileURLWithPath: command[0]), Array(command.dropFirst()))
    let seconds = Date().timeIntervalSince(started)
    let consoleLines = r.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }.map(String.init)
    let context = "\(command.joined(separator: " ")) (\(String(format: "%.1f", seconds)) s)\nconsole:\n\(consoleLines.joined(separator: "\n"))"
    try #require(r.status == 0 && r.exitedNormally, "Chromium failed with status \(r.status): \(r.stderr.suffix(3000))\n\(context)")
    let dom = r.stdout
    let start = try #require(dom.range(of: plotStart), "no \(plotStart) in the dumped DOM\n\(context)")
    let end = dom.range(of: plotEnd, range: start.upperBound..<dom.endIndex)?.lowerBound ?? dom.endIndex
    return Opened(
      dom: dom, png: png, consoleLines: consoleLines, context: context,
      renderer: Self.htmlAttribute("data-webgl-renderer", in: dom) ?? "(not recorded)",
      pageErrors: Self.htmlAttribute("data-page-errors", in: dom), plot: dom[start.lowerBound..<end])
  }

  /// Each kind's page, opened in Chromium with no network, draws the plot; its screenshot looks
  /// like `render`'s PNG of the same figure at the same size (`BaselineComparison`: the drawn
  /// boxes overlap and the colours are the same in the same shares; camera framing and fonts
  /// differ between plotly.js and Trainscape).
  @Test(arguments: pages) func pageDrawsThePlotInHeadlessChromiumWithNoNetwork(_ page: Page) throws {
    try Self.check(page)
  }

  @Test(.tags(.python), arguments: pythonPages) func pageOfPythonMadeInputsDrawsThePlot(_ page: Page) throws {
    try Self.check(page)
  }

  static func check(_ page: Page) throws {
    let dir = try CLI.tempDir()
    let html = dir.appendingPathComponent("\(page.kind).html")
    let args = try page.arguments(in: dir)
    // No plotly.js flag: the default page carries the built-in copy.
    let export = try CLI.run(["export", page.kind] + args + ["-o", html.path])
    try #require(export.status == 0, "export failed: \(export.stderr)")
    #expect(export.stderr.contains("plotly.js \(HTMLExporter.plotlyJSVersion) inside the page"), "\(export.stderr)")
    let text = try String(contentsOf: html, encoding: .utf8)
    #expect(!text.contains("<script src="), "the page loads a script from elsewhere")
    #expect(text.contains("plotly.js v\(HTMLExporter.plotlyJSVersion)"), "the page does not carry plotly.js")

    let o = try Self.open(html, in: dir, name: page.kind)
    let context = o.context, renderer = o.renderer, plot = o.plot, pageErrors = o.pageErrors
    // The DOM: Plotly built the plot, WebGL worked, nothing went wrong.
    let noWebGL = plot.contains("WebGL is not supported")
    let hasSVG = plot.contains("class=\"main-svg\""), hasCanvas = plot.contains("<canvas")
    #expect(
      !noWebGL,
      "Chromium has no WebGL (renderer: \(renderer)): Plotly shows 'WebGL is not supported' instead of the 3D plot; software WebGL needs --use-angle=swiftshader --enable-unsafe-swiftshader\n\(context)")
    #expect(hasSVG, "no Plotly .main-svg in the plot's div: Plotly did not draw\n\(context)")
    if page.webgl { #expect(hasCanvas, "no WebGL <canvas> in the plot's div\n\(context)") }
    #expect(pageErrors == nil, "page errors: \(pageErrors ?? "")\n\(context)")
    let uncaught = o.consoleLines.filter { $0.contains("Uncaught") }
    #expect(uncaught.isEmpty, "uncaught errors in the console: \(uncaught)")
    let png = o.png

    // The screenshot: not blank, and the WebGL scene drew (only it puts many distinct saturated
    // colours in the scene area; the colour bar on the right is SVG and is left out).
    let image = try PNGCodec.read(path: png.path)
    #expect(image.width == 1280 && image.height == 800)
    var all = Set<UInt32>(), saturatedInScene = Set<UInt32>()
    var nonWhite = 0
    let sceneRight = image.width * 85 / 100
    for y in 0..<image.height {
      for x in 0..<image.width {
        let i = (y * image.width + x) * 4
        let r = image.pixels[i], g = image.pixels[i + 1], b = image.pixels[i + 2]
        let key = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
        all.insert(key)
        if min(r, g, b) < 250 { nonWhite += 1 }
        if x < sceneRight && max(r, g, b) - min(r, g, b) > 60 { saturatedInScene.insert(key) }
      }
    }
    let nonWhiteFraction = Double(nonWhite) / Double(image.width * image.height)
    let summary = "\(all.count) distinct colours, \(String(format: "%.1f", nonWhiteFraction * 100))% non-white, \(saturatedInScene.count) distinct saturated colours in the scene area; screenshot \(png.path)"
    // A blank page has a few dozen colours (text, grid) and no saturated ones in the scene; a
    // drawn scene of points alone has several hundred (anti-aliased edges), a surface thousands.
    #expect(all.count > (page.webgl ? 500 : 100), "the screenshot looks blank: \(summary)\n\(context)")
    #expect(nonWhiteFraction > 0.02, "the screenshot is mostly white: \(summary)\n\(context)")
    if page.webgl {
      #expect(
        saturatedInScene.count > 200,
        "the WebGL scene did not draw (renderer: \(renderer)): \(summary)\n\(context)")
    }

    // The round trip: plotly.js's drawing of the export looks like render's PNG of the figure.
    let rendered = dir.appendingPathComponent("\(page.kind).render.png")
    let r = try CLI.run(["render", page.kind] + args + ["-o", rendered.path, "--size", "\(image.width)x\(image.height)"])
    try #require(r.status == 0, "render failed: \(r.stderr)")
    let ours = try PNGCodec.read(path: rendered.path)
    let c = try BaselineComparison(image, ours)
    let artifacts = TestPaths.artifacts.appendingPathComponent("chromium-round-trip")
    try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    for (from, name) in [(png, "plotlyjs"), (rendered, "render")] {
      let to = artifacts.appendingPathComponent("\(page.kind).\(name).png")
      try? FileManager.default.removeItem(at: to)
      try FileManager.default.copyItem(at: from, to: to)
    }
    #expect(c.boxOverlap >= 0.4, "\(page.kind): plotly.js draws elsewhere than render: \(c); images in \(artifacts.path)")
    #expect(c.palette <= 0.35, "\(page.kind): plotly.js draws other colours than render: \(c); images in \(artifacts.path)")
    try "\(page.kind): \(c)\n".write(to: artifacts.appendingPathComponent("\(page.kind).txt"), atomically: true, encoding: .utf8)
  }

  /// The control: `--plotlyjs cdn` writes a small page that loads plotly.js from cdn.plot.ly;
  /// opened the same way it cannot load it, so nothing draws. This proves the test above ran
  /// with no network (a page that reached for the network would have failed the same way).
  @Test func aCDNPageDrawsNothingWithTheNetworkCut() throws {
    let dir = try CLI.tempDir()
    let html = dir.appendingPathComponent("cdn.html")
    let export = try CLI.run(["export", "gradient-flow", CLI.example, "-o", html.path, "--plotlyjs", "cdn"])
    try #require(export.status == 0, "export failed: \(export.stderr)")
    let size = try #require(try FileManager.default.attributesOfItem(atPath: html.path)[.size] as? Int)
    #expect(size < 1_000_000, "the cdn page should not carry plotly.js: \(size) bytes")
    let text = try String(contentsOf: html, encoding: .utf8)
    #expect(text.contains("<script src=\"\(HTMLExporter.plotlyJSURL)\""))

    let o = try Self.open(html, in: dir, name: "cdn")
    #expect(o.pageErrors?.contains("failed to load: \(HTMLExporter.plotlyJSURL)") == true, "page errors: \(o.pageErrors ?? "none")\n\(o.context)")
    #expect(o.pageErrors?.contains("Plotly is not defined") == true, "page errors: \(o.pageErrors ?? "none")\n\(o.context)")
    #expect(!o.plot.contains("main-svg"), "Plotly drew although plotly.js could not be loaded\n\(o.context)")
  }
}
