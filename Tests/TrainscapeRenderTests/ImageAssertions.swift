import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO

/// Golden-image comparison with stated tolerances, as vispy's assert_image_match: a pixel
/// "differs" when any channel differs by more than `channelTolerance`; the images match when
/// at most `maxDifferingFraction` of the pixels differ and the mean absolute channel
/// difference is at most `maxMeanDifference`. Goldens are recorded on Mesa llvmpipe.
struct ImageTolerance {
  var channelTolerance = 16
  var maxDifferingFraction = 0.003
  var maxMeanDifference = 0.6
}

enum Goldens {
  static var root: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  }
  static var artifacts: URL {
    root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("test-artifacts")
  }

  struct Comparison {
    var differingFraction: Double
    var meanDifference: Double
    var diff: RGBAImage
  }

  static func compare(_ a: RGBAImage, _ b: RGBAImage, channelTolerance: Int) -> Comparison {
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
    return Comparison(
      differingFraction: Double(differing) / Double(a.width * a.height),
      meanDifference: Double(total) / Double(a.width * a.height * 3),
      diff: RGBAImage(width: a.width, height: a.height, pixels: diff))
  }

  /// Compares `image` with `Goldens/<name>.png`. With TRAINSCAPE_RECORD_GOLDENS=1 the golden is
  /// (re)written and the test fails, so a recording never passes silently. On a mismatch the
  /// actual, expected and diff images are written to test-artifacts/.
  static func assertMatches(
    _ image: RGBAImage, golden name: String, tolerance: ImageTolerance = ImageTolerance(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let path = root.appendingPathComponent("Goldens/\(name).png").path
    if ProcessInfo.processInfo.environment["TRAINSCAPE_RECORD_GOLDENS"] == "1" {
      try PNGCodec.write(image, to: path, options: PNGOptions(compressionLevel: 9), overwrite: true)
      Issue.record("recorded golden \(path); unset TRAINSCAPE_RECORD_GOLDENS and run again", sourceLocation: sourceLocation)
      return
    }
    guard FileManager.default.fileExists(atPath: path) else {
      Issue.record("golden \(path) is missing: record it with TRAINSCAPE_RECORD_GOLDENS=1", sourceLocation: sourceLocation)
      return
    }
    let expected = try PNGCodec.read(path: path)
    guard expected.width == image.width, expected.height == image.height else {
      Issue.record("size \(image.width)x\(image.height) differs from golden \(expected.width)x\(expected.height)", sourceLocation: sourceLocation)
      return
    }
    let c = compare(image, expected, channelTolerance: tolerance.channelTolerance)
    let ok = c.differingFraction <= tolerance.maxDifferingFraction && c.meanDifference <= tolerance.maxMeanDifference
    if !ok {
      let dir = artifacts.path
      try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      try? PNGCodec.write(image, to: "\(dir)/\(name).actual.png", overwrite: true)
      try? PNGCodec.write(expected, to: "\(dir)/\(name).expected.png", overwrite: true)
      try? PNGCodec.write(c.diff, to: "\(dir)/\(name).diff.png", overwrite: true)
      Issue.record(
        "\(name): \(String(format: "%.3f", c.differingFraction * 100))% of pixels differ by more than \(tolerance.channelTolerance) (allowed \(tolerance.maxDifferingFraction * 100)%), mean difference \(String(format: "%.3f", c.meanDifference)) (allowed \(tolerance.maxMeanDifference)); images in \(dir)",
        sourceLocation: sourceLocation)
    }
  }
}

extension RGBAImage {
  func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
    let p = self[x, y]
    return (Int(p.r), Int(p.g), Int(p.b))
  }

  /// Number of distinct RGB colours: a blank or nearly blank image has very few.
  var distinctColors: Int {
    var set = Set<UInt32>()
    for i in 0..<(width * height) {
      set.insert(UInt32(pixels[i * 4]) << 16 | UInt32(pixels[i * 4 + 1]) << 8 | UInt32(pixels[i * 4 + 2]))
    }
    return set.count
  }

  /// Fraction of pixels differing from `color` by more than 8 in some channel.
  func fractionNot(_ color: (Int, Int, Int)) -> Double {
    var n = 0
    for i in 0..<(width * height) {
      if abs(Int(pixels[i * 4]) - color.0) > 8 || abs(Int(pixels[i * 4 + 1]) - color.1) > 8
        || abs(Int(pixels[i * 4 + 2]) - color.2) > 8
      { n += 1 }
    }
    return Double(n) / Double(width * height)
  }

  /// The darkest luminance inside a rectangle (clamped to the image).
  func darkest(in r: PixelRect) -> Double {
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
