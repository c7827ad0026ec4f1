import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// `export KIND ... -o page.html --inline-plotlyjs PATH` opened in headless Chromium (the Debian
/// package; scripts/setup.sh installs it): the page draws the plot, with no console errors.
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
  ]

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }

  struct Page: Sendable, CustomTestStringConvertible {
    var kind: String
    var extraArgs: [String]
    var testDescription: String { kind }
  }

  static let pages = [
    Page(kind: "gradient-flow", extraArgs: []),  // a surface
    Page(kind: "trajectory", extraArgs: ["--grad-key", "grad_norm/total"]),  // scatter3d markers and lines
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

  /// plotly.min.js as the venv's plotly package ships it.
  static func plotlyJS() throws -> String {
    let path = try Python.run(
      "import os, plotly; print(os.path.join(os.path.dirname(plotly.__file__), 'package_data', 'plotly.min.js'))"
    ).trimmingCharacters(in: .whitespacesAndNewlines)
    guard FileManager.default.fileExists(atPath: path) else {
      throw Failure("\(path) not found: run scripts/setup.sh (the venv's plotly package ships plotly.min.js)")
    }
    return path
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

  @Test(.tags(.python), arguments: pages) func pageDrawsThePlotInHeadlessChromium(_ page: Page) throws {
    let chromium = try Self.chromium()
    let js = try Self.plotlyJS()
    let dir = try CLI.tempDir()
    let html = dir.appendingPathComponent("\(page.kind).html")
    let export = try CLI.run(
      ["export", page.kind, CLI.example] + page.extraArgs + ["-o", html.path, "--inline-plotlyjs", js])
    try #require(export.status == 0, "export failed: \(export.stderr)")

    // The copy Chromium opens: the probe first in <head>, the page otherwise as exported.
    var text = try String(contentsOf: html, encoding: .utf8)
    let head = try #require(text.range(of: "<head>\n"), "no <head> in the exported page")
    let loadsFromNetwork = text.contains("<script src=\"http")
    #expect(!loadsFromNetwork, "the page loads plotly.js from the network despite --inline-plotlyjs")
    text.insert(contentsOf: Self.probe, at: head.upperBound)
    let probed = dir.appendingPathComponent("\(page.kind)-probed.html")
    try text.write(to: probed, atomically: true, encoding: .utf8)

    let png = dir.appendingPathComponent("\(page.kind).png")
    let args = Self.flags + [
      "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--dump-dom",
      "--screenshot=\(png.path)", probed.absoluteString,
    ]
    let started = Date()
    // coreutils timeout: a hung browser fails the test instead of hanging it.
    let r = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/timeout"), ["90", chromium.path] + args)
    let seconds = Date().timeIntervalSince(started)
    let consoleLines = r.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }.map(String.init)
    let context = "chromium \(args.joined(separator: " ")) (\(String(format: "%.1f", seconds)) s)\nconsole:\n\(consoleLines.joined(separator: "\n"))"
    try #require(r.status == 0 && r.exitedNormally, "Chromium failed with status \(r.status): \(r.stderr.suffix(3000))\n\(context)")

    // The DOM: Plotly built the plot, WebGL worked, nothing went wrong. Only the plot's div is
    // searched (the inlined plotly.js itself contains these strings).
    let dom = r.stdout
    let renderer = Self.htmlAttribute("data-webgl-renderer", in: dom) ?? "(not recorded)"
    let pageErrors = Self.htmlAttribute("data-page-errors", in: dom)
    let plotStart = try #require(dom.range(of: "<div id=\"figure\""), "no figure div in the dumped DOM\n\(context)")
    let plotEnd = dom.range(of: "const figure = ", range: plotStart.upperBound..<dom.endIndex)?.lowerBound ?? dom.endIndex
    let plot = dom[plotStart.lowerBound..<plotEnd]
    let noWebGL = plot.contains("WebGL is not supported")
    let hasSVG = plot.contains("class=\"main-svg\""), hasCanvas = plot.contains("<canvas")
    #expect(
      !noWebGL,
      "Chromium has no WebGL (renderer: \(renderer)): Plotly shows 'WebGL is not supported' instead of the 3D plot; software WebGL needs --use-angle=swiftshader --enable-unsafe-swiftshader\n\(context)")
    #expect(hasSVG, "no Plotly .main-svg in the plot's div: Plotly did not draw\n\(context)")
    #expect(hasCanvas, "no WebGL <canvas> in the plot's div\n\(context)")
    #expect(pageErrors == nil, "page errors: \(pageErrors ?? "")\n\(context)")
    let uncaught = consoleLines.filter { $0.contains("Uncaught") }
    #expect(uncaught.isEmpty, "uncaught errors in the console: \(uncaught)")

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
    #expect(all.count > 1000, "the screenshot looks blank: \(summary)\n\(context)")
    #expect(nonWhiteFraction > 0.02, "the screenshot is mostly white: \(summary)\n\(context)")
    #expect(
      saturatedInScene.count > 500,
      "the WebGL scene did not draw (renderer: \(renderer)): \(summary)\n\(context)")
  }
}
