import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// The PNG writers (libdeflate for fixed filters, libpng for adaptive filtering) checked by an
/// independent decoder: Pillow must read back exactly the pixels written, for every filter,
/// RGB and RGBA, and sizes that exercise odd row lengths.
@Suite(.tiered) struct PNGEncoderTests {
  /// Noise, flat areas and gradients (what a rendered frame has), with varying alpha.
  func image(width: Int, height: Int, seed: UInt64) -> RGBAImage {
    var state = seed
    var px = [UInt8](repeating: 0, count: width * height * 4)
    for y in 0..<height {
      for x in 0..<width {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let i = 4 * (y * width + x)
        let noisy = x > width / 2
        px[i] = noisy ? UInt8(truncatingIfNeeded: state >> 33) : UInt8(x * 255 / max(1, width - 1))
        px[i + 1] = noisy ? UInt8(truncatingIfNeeded: state >> 41) : UInt8(y * 255 / max(1, height - 1))
        px[i + 2] = y < height / 3 ? 240 : UInt8(truncatingIfNeeded: (x * y) >> 3)
        px[i + 3] = UInt8(truncatingIfNeeded: 255 - (x + y) % 200)
      }
    }
    return RGBAImage(width: width, height: height, pixels: px)
  }

  @Test(.tags(.python, .slow), arguments: [
    PNGOptions.fast, PNGOptions(compressionLevel: 0, filter: .up), PNGOptions(compressionLevel: 9, filter: .none),
    PNGOptions(compressionLevel: 6, filter: .adaptive), PNGOptions(compressionLevel: 2, filter: .up, alpha: true),
    PNGOptions(compressionLevel: 1, filter: .none, alpha: true),
  ])
  func pillowReadsBackExactlyWhatWasWritten(options: PNGOptions) throws {
    let dir = try TestPaths.temporaryDirectory("trainscape-png")
    for (w, h) in [(1, 1), (7, 3), (333, 61)] {
      let img = image(width: w, height: h, seed: UInt64(w * 1000 + h))
      let path = dir.appendingPathComponent("i_\(w)x\(h).png").path
      try PNGCodec.write(img, to: path, options: options, overwrite: true)
      let mode = options.alpha ? "RGBA" : "RGB"
      let hex = try Python.run(
        "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); "
          + "print(im.mode, im.size[0], im.size[1]); print(im.tobytes().hex())", args: [path])
      let lines = hex.split(separator: "\n")
      #expect(lines.first.map(String.init) == "\(mode) \(w) \(h)")
      var expected: [UInt8] = []
      for i in stride(from: 0, to: img.pixels.count, by: 4) {
        expected += img.pixels[i..<(i + (options.alpha ? 4 : 3))]
      }
      let got = lines.count > 1 ? Array(hexBytes(String(lines[1]))) : []
      #expect(got == expected, "\(options) \(w)x\(h): Pillow decoded other pixels")
      // And our own decoder agrees.
      let back = try PNGCodec.read(path: path)
      #expect(back.width == w && back.height == h)
    }
  }

  /// On frame-like content (flat background, smooth shading, hard edges; no noise) libdeflate's
  /// frames are smaller than libpng's at zlib level 1.
  @Test func fastFramesAreSmallerThanZlibLevelOne() throws {
    let img = animationFrame(3, width: 640, height: 360)
    let fast = try PNGCodec.encode(img, options: .fast)
    let zlib1 = try PNGCodec.encode(img, options: PNGOptions(compressionLevel: 1, filter: .adaptive))
    #expect(fast.count < zlib1.count, "\(fast.count) vs \(zlib1.count) bytes")
    #expect(fast.starts(with: [137, 80, 78, 71, 13, 10, 26, 10]))
  }

  private func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.count / 2)
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c - 48 }
    while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
    return out
  }
}
