import Foundation
import TrainscapeCore
import TrainscapeIO

/// plotly.js's image-test mocks (`test/image/mocks/gl3d_*.json`) and their baselines, as
/// committed in Tests/Fixtures/plotly-gl3d (plotly.js's MIT licence beside them;
/// `scripts/plotly_mocks.sh CLONE` copies them from a plotly.js clone).
public enum PlotlyMocks {
  public static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/plotly-gl3d")

  /// The mocks' names ("gl3d_cube", ...), sorted.
  public static var names: [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("mocks").path)) ?? []
    return files.filter { $0.hasSuffix(".json.gz") }.map { String($0.dropLast(".json.gz".count)) }.sorted()
  }

  /// A mock figure by name ("gl3d_cube"), unzipped into `dir` so the CLI can read it.
  public static func mock(_ name: String, into dir: URL) throws -> URL {
    let gz = fixtures.appendingPathComponent("mocks/\(name).json.gz")
    guard FileManager.default.fileExists(atPath: gz.path) else { throw TestFailure("no mock \(gz.path): run scripts/plotly_mocks.sh") }
    let url = dir.appendingPathComponent("\(name).json")
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let out = try FileHandle(forWritingTo: url)
    defer { try? out.close() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-dc", gz.path]
    p.standardOutput = out
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw TestFailure("gzip -dc \(gz.path) failed") }
    return url
  }

  /// The mock's baseline PNG (plotly.js's own rendering of it).
  public static func baseline(_ name: String) -> URL {
    fixtures.appendingPathComponent("baselines/\(name).png")
  }
}

/// How a rendering compares with a baseline drawn by another program (camera, fonts and
/// layout differ, so pixels cannot be compared one for one):
/// - `boxOverlap`: intersection over union of the two drawn boxes (the pixels that differ
///   from each image's own background, the colour of its top-left corner);
/// - `palette`: 1 minus the overlap of the hue histograms (12 bins) of the saturated drawn
///   pixels, so 0 when both use the same colours in the same shares, 1 when they share none:
///   a wrong colour scale or missing coloured data shows here whatever the camera;
/// - `regions`: the mean colour of each of 16 x 12 regions, compared region by region (mean
///   absolute channel difference, 0...255): where things are drawn and in what colour.
public struct BaselineComparison: Sendable, CustomStringConvertible {
  public var boxOverlap: Double
  public var palette: Double
  public var regions: Double

  public init(_ a: RGBAImage, _ b: RGBAImage) throws {
    guard a.width == b.width && a.height == b.height else {
      throw TestFailure("images of different sizes: \(a.width)x\(a.height) and \(b.width)x\(b.height)")
    }
    let boxA = Self.drawnBox(a), boxB = Self.drawnBox(b)
    boxOverlap = Self.overlap(boxA, boxB)
    palette = Self.paletteDistance(Self.hues(a), Self.hues(b))
    regions = Self.regionDistance(a, b)
  }

  public var description: String {
    String(format: "box overlap %.2f, palette %.2f, regions %.1f", boxOverlap, palette, regions)
  }

  static func background(_ im: RGBAImage) -> (Int, Int, Int) {
    let i = (1 * im.width + 1) * 4
    return (Int(im.pixels[i]), Int(im.pixels[i + 1]), Int(im.pixels[i + 2]))
  }

  static func isDrawn(_ im: RGBAImage, _ i: Int, _ bg: (Int, Int, Int)) -> Bool {
    max(abs(Int(im.pixels[i]) - bg.0), abs(Int(im.pixels[i + 1]) - bg.1), abs(Int(im.pixels[i + 2]) - bg.2)) > 24
  }

  /// (x0, y0, x1, y1), exclusive ends; nil when nothing is drawn.
  static func drawnBox(_ im: RGBAImage) -> (Int, Int, Int, Int)? {
    let bg = background(im)
    var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
    for y in 0..<im.height {
      for x in 0..<im.width where isDrawn(im, (y * im.width + x) * 4, bg) {
        x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x + 1); y1 = max(y1, y + 1)
      }
    }
    return x1 < 0 ? nil : (x0, y0, x1, y1)
  }

  static func overlap(_ a: (Int, Int, Int, Int)?, _ b: (Int, Int, Int, Int)?) -> Double {
    guard let a, let b else { return a == nil && b == nil ? 1 : 0 }
    let iw = max(0, min(a.2, b.2) - max(a.0, b.0)), ih = max(0, min(a.3, b.3) - max(a.1, b.1))
    let inter = Double(iw * ih)
    let union = Double((a.2 - a.0) * (a.3 - a.1) + (b.2 - b.0) * (b.3 - b.1)) - inter
    return union > 0 ? inter / union : 0
  }

  /// Shares of the drawn pixels with a clear hue (max - min channel over 40) in 12 hue bins.
  static func hues(_ im: RGBAImage) -> [Double] {
    let bg = background(im)
    var bins = [Double](repeating: 0, count: 12)
    for i in stride(from: 0, to: im.pixels.count, by: 4) where isDrawn(im, i, bg) {
      let r = Double(im.pixels[i]), g = Double(im.pixels[i + 1]), b = Double(im.pixels[i + 2])
      let mx = max(r, g, b), mn = min(r, g, b), c = mx - mn
      guard c > 40 else { continue }
      var h: Double
      if mx == r { h = (g - b) / c } else if mx == g { h = (b - r) / c + 2 } else { h = (r - g) / c + 4 }
      h = (h / 6).truncatingRemainder(dividingBy: 1)
      if h < 0 { h += 1 }
      bins[min(11, Int(h * 12))] += 1
    }
    let total = bins.reduce(0, +)
    return total > 0 ? bins.map { $0 / total } : bins
  }

  static func paletteDistance(_ p: [Double], _ q: [Double]) -> Double {
    let sp = p.reduce(0, +), sq = q.reduce(0, +)
    if sp == 0 && sq == 0 { return 0 }
    if sp == 0 || sq == 0 { return 1 }
    return 1 - zip(p, q).map { min($0, $1) }.reduce(0, +)
  }

  static func regionDistance(_ a: RGBAImage, _ b: RGBAImage) -> Double {
    let cols = 16, rows = 12
    var total = 0.0
    for ry in 0..<rows {
      for rx in 0..<cols {
        let x0 = rx * a.width / cols, x1 = (rx + 1) * a.width / cols
        let y0 = ry * a.height / rows, y1 = (ry + 1) * a.height / rows
        var sa = [0.0, 0, 0], sb = [0.0, 0, 0]
        for y in y0..<y1 {
          for x in x0..<x1 {
            let i = (y * a.width + x) * 4
            for c in 0..<3 { sa[c] += Double(a.pixels[i + c]); sb[c] += Double(b.pixels[i + c]) }
          }
        }
        let n = Double(max(1, (x1 - x0) * (y1 - y0)))
        total += (0..<3).map { abs(sa[$0] - sb[$0]) / n }.reduce(0, +) / 3
      }
    }
    return total / Double(cols * rows)
  }
}
