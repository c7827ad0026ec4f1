import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO

/// Image comparison with stated tolerances, as vispy's assert_image_match: a pixel "differs"
/// when any channel differs by more than `channelTolerance`; the images match when at most
/// `maxDifferingFraction` of the pixels differ and the mean absolute channel difference is at
/// most `maxMeanDifference`. Goldens are recorded on Mesa llvmpipe.
public struct ImageTolerance: Sendable {
  public var channelTolerance: Int
  public var maxDifferingFraction: Double
  public var maxMeanDifference: Double

  public init(channelTolerance: Int = 16, maxDifferingFraction: Double = 0.003, maxMeanDifference: Double = 0.6) {
    self.channelTolerance = channelTolerance
    self.maxDifferingFraction = maxDifferingFraction
    self.maxMeanDifference = maxMeanDifference
  }
}

/// How two images of the same size differ (RGB only).
public struct ImageDifference {
  public var differingFraction: Double
  public var meanDifference: Double
  /// White where they agree, red as deep as the largest channel difference.
  public var diff: RGBAImage

  public init(_ a: RGBAImage, _ b: RGBAImage, channelTolerance: Int) {
    precondition(a.width == b.width && a.height == b.height)
    var differing = 0
    var total = 0
    var diff = [UInt8](repeating: 255, count: a.pixels.count)
    for i in 0..<(a.width * a.height) {
      var worst = 0
      for ch in 0..<3 {
        let d = abs(Int(a.pixels[i * 4 + ch]) - Int(b.pixels[i * 4 + ch]))
        total += d
        worst = max(worst, d)
      }
      if worst > channelTolerance { differing += 1 }
      let v = UInt8(max(0, 255 - worst * 4))
      diff[i * 4] = 255; diff[i * 4 + 1] = v; diff[i * 4 + 2] = v
    }
    differingFraction = Double(differing) / Double(a.width * a.height)
    meanDifference = Double(total) / Double(a.width * a.height * 3)
    self.diff = RGBAImage(width: a.width, height: a.height, pixels: diff)
  }

  public func within(_ t: ImageTolerance) -> Bool {
    differingFraction <= t.maxDifferingFraction && meanDifference <= t.maxMeanDifference
  }
}

/// Records an issue unless `image` matches `expected` within `tolerance`; on a mismatch the
/// actual, expected and diff images go to test-artifacts/ as `name.*.png`.
public func expectSimilar(
  _ image: RGBAImage, _ expected: RGBAImage, tolerance: ImageTolerance = ImageTolerance(), name: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard expected.width == image.width, expected.height == image.height else {
    Issue.record(
      "\(name): size \(image.width)x\(image.height) differs from \(expected.width)x\(expected.height)",
      sourceLocation: sourceLocation)
    return
  }
  let c = ImageDifference(image, expected, channelTolerance: tolerance.channelTolerance)
  guard !c.within(tolerance) else { return }
  let dir = TestPaths.artifacts.path
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  try? PNGCodec.write(image, to: "\(dir)/\(name).actual.png", overwrite: true)
  try? PNGCodec.write(expected, to: "\(dir)/\(name).expected.png", overwrite: true)
  try? PNGCodec.write(c.diff, to: "\(dir)/\(name).diff.png", overwrite: true)
  Issue.record(
    "\(name): \(String(format: "%.3f", c.differingFraction * 100))% of pixels differ by more than \(tolerance.channelTolerance) (allowed \(tolerance.maxDifferingFraction * 100)%), mean difference \(String(format: "%.3f", c.meanDifference)) (allowed \(tolerance.maxMeanDifference)); images in \(dir)",
    sourceLocation: sourceLocation)
}

/// A folder of golden images, `NAME.png`, compared with a stated tolerance.
public struct GoldenImages: Sendable {
  public let directory: URL

  public init(directory: URL) { self.directory = directory }

  /// Compares `image` with `NAME.png`. With TRAINSCAPE_RECORD_GOLDENS=1 the golden is
  /// (re)written and the test fails, so a recording never passes silently.
  public func assertMatches(
    _ image: RGBAImage, golden name: String, tolerance: ImageTolerance = ImageTolerance(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let path = directory.appendingPathComponent("\(name).png").path
    if ProcessInfo.processInfo.environment["TRAINSCAPE_RECORD_GOLDENS"] == "1" {
      try PNGCodec.write(image, to: path, options: PNGOptions(compressionLevel: 9), overwrite: true)
      Issue.record("recorded golden \(path); unset TRAINSCAPE_RECORD_GOLDENS and run again", sourceLocation: sourceLocation)
      return
    }
    guard FileManager.default.fileExists(atPath: path) else {
      Issue.record("golden \(path) is missing: record it with TRAINSCAPE_RECORD_GOLDENS=1", sourceLocation: sourceLocation)
      return
    }
    expectSimilar(image, try PNGCodec.read(path: path), tolerance: tolerance, name: name, sourceLocation: sourceLocation)
  }
}

extension RGBAImage {
  public func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
    let p = self[x, y]
    return (Int(p.r), Int(p.g), Int(p.b))
  }

  /// Number of distinct RGB colours: a blank or nearly blank image has very few.
  public var distinctColors: Int {
    var set = Set<UInt32>()
    for i in 0..<(width * height) {
      set.insert(UInt32(pixels[i * 4]) << 16 | UInt32(pixels[i * 4 + 1]) << 8 | UInt32(pixels[i * 4 + 2]))
    }
    return set.count
  }

  /// Fraction of pixels differing from `color` by more than 8 in some channel.
  public func fractionNot(_ color: (Int, Int, Int)) -> Double {
    var n = 0
    for i in 0..<(width * height) {
      if abs(Int(pixels[i * 4]) - color.0) > 8 || abs(Int(pixels[i * 4 + 1]) - color.1) > 8
        || abs(Int(pixels[i * 4 + 2]) - color.2) > 8
      { n += 1 }
    }
    return Double(n) / Double(width * height)
  }

  /// The darkest luminance inside a rectangle (clamped to the image).
  public func darkest(in r: PixelRect) -> Double {
    var best = 255.0
    let x0 = max(0, Int(r.x)), x1 = min(width - 1, Int(r.maxX))
    let y0 = max(0, Int(r.y)), y1 = min(height - 1, Int(r.maxY))
    guard x0 <= x1, y0 <= y1 else { return best }
    for y in y0...y1 {
      for x in x0...x1 {
        let (cr, cg, cb) = rgb(x, y)
        best = min(best, 0.299 * Double(cr) + 0.587 * Double(cg) + 0.114 * Double(cb))
      }
    }
    return best
  }
}
