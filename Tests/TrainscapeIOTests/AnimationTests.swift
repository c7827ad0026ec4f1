import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// Runs Python in the project's venv (Pillow decodes what we write). A missing venv fails.
enum AnimationPython {
  static var packageRoot: URL { TestPaths.packageRoot }

  static func run(_ script: String, _ args: [String] = []) throws -> String {
    try Python.run(script, args: args)
  }

  static func tempDir() throws -> String { try TestPaths.temporaryDirectory("trainscape-anim").path }
}

/// A smooth gradient with a moving disc: many colours, different per frame.
func animationFrame(_ k: Int, width: Int = 96, height: Int = 64) -> RGBAImage {
  var px = [UInt8](repeating: 255, count: width * height * 4)
  let cx = Double(k * 9 % width), cy = Double(height) / 2
  for y in 0..<height {
    for x in 0..<width {
      let i = (y * width + x) * 4
      let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
      if d < 12 {
        px[i] = 200; px[i + 1] = 30; px[i + 2] = 40
      } else {
        px[i] = UInt8(x * 255 / (width - 1))
        px[i + 1] = UInt8(y * 255 / (height - 1))
        px[i + 2] = UInt8((k * 40) % 256)
      }
    }
  }
  return RGBAImage(width: width, height: height, pixels: px)
}

/// Writes the frames' raw RGB next to the animation for Python to compare with.
func writeRaw(_ frames: [RGBAImage], dir: String) throws {
  var raw: [UInt8] = []
  for f in frames {
    for i in 0..<(f.width * f.height) { raw += f.pixels[(i * 4)..<(i * 4 + 3)] }
  }
  try Data(raw).write(to: URL(fileURLWithPath: dir + "/frames.rgb"))
}

@Suite(.tiered) struct AnimationGIFTests {
  @Test(.tags(.python, .slow), arguments: [false, true]) func gifDecodesWithPillowCloseToTheSource(dither: Bool) throws {
    let dir = try AnimationPython.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let frames = (0..<5).map { animationFrame($0) }
    var gif = GIFEncoder(width: 96, height: 64, delay: 0.08, dither: dither)
    for f in frames { gif.add(f) }
    let bytes = try gif.encode()
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/a.gif"))
    try writeRaw(frames, dir: dir)
    let out = try AnimationPython.run(
      """
      import sys, numpy as np
      from PIL import Image
      d = sys.argv[1]
      im = Image.open(d + '/a.gif')
      src = np.fromfile(d + '/frames.rgb', dtype=np.uint8).reshape(-1, 64, 96, 3).astype(int)
      durs, means, maxes = [], [], []
      for k in range(im.n_frames):
          im.seek(k)
          durs.append(im.info['duration'])
          a = np.asarray(im.convert('RGB')).astype(int)
          diff = np.abs(a - src[k])
          means.append(diff.mean()); maxes.append(int(diff.max()))
      # Dithered: compare local averages (3x3 box), as the eye does.
      def box(x):
          k = np.ones(3) / 3
          x = np.apply_along_axis(lambda r: np.convolve(r, k, 'same'), 0, x)
          return np.apply_along_axis(lambda r: np.convolve(r, k, 'same'), 1, x)
      im.seek(2)
      a = np.asarray(im.convert('RGB')).astype(float)
      blur = max(float(np.abs(box(a[..., c]) - box(src[2][..., c].astype(float)))[2:-2, 2:-2].mean()) for c in range(3))
      # Reference: Pillow's own median cut on all frames stacked (one palette, no dithering).
      stack = Image.fromarray(src.reshape(-1, 96, 3).astype(np.uint8))
      q = np.asarray(stack.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).convert('RGB')).astype(int)
      ref = float(np.abs(q - src.reshape(-1, 96, 3)).mean())
      print(im.n_frames, im.info.get('loop'), ','.join(map(str, durs)), max(means), max(maxes), blur, ref)
      """, [dir])
    let f = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
    #expect(f[0] == "5")
    #expect(f[1] == "0", "loop forever")
    #expect(f[2] == "80,80,80,80,80")
    let mean = Double(f[3])!, maxDiff = Int(f[4])!, blurred = Double(f[5])!, pillow = Double(f[6])!
    // This test image fills a volume of RGB space (~30k colours): 256 entries leave errors of a
    // few levels. Ours must be about as good as Pillow's median cut on the same frames.
    #expect(mean < pillow * 1.25 + (dither ? 3 : 0.5), "mean channel error \(mean), Pillow's \(pillow)")
    #expect(maxDiff < (dither ? 128 : 64), "max channel error \(maxDiff)")
    if dither {
      #expect(blurred < pillow, "dithered local-average error \(blurred), Pillow's undithered mean error \(pillow)")
    }
  }

  @Test(.tags(.slow)) func gifIsDeterministic() throws {
    var a = GIFEncoder(width: 96, height: 64, delay: 0.1, dither: true)
    var b = GIFEncoder(width: 96, height: 64, delay: 0.1, dither: true)
    for k in 0..<3 {
      a.add(animationFrame(k))
      b.add(animationFrame(k))
    }
    #expect(try a.encode() == b.encode())
  }

  @Test(.tags(.python)) func fewColoursGiveAnExactPaletteAndLZWRoundTripsThroughPillow() throws {
    // 200 distinct colours, pseudo-random pixels: LZW needs several clear codes (4096 entries).
    let w = 300, h = 200
    var state: UInt64 = 12345
    var px = [UInt8](repeating: 255, count: w * h * 4)
    for i in 0..<(w * h) {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      let c = Int(state >> 33) % 200
      px[i * 4] = UInt8(c); px[i * 4 + 1] = UInt8((c * 7) % 256); px[i * 4 + 2] = UInt8(255 - c)
    }
    let image = RGBAImage(width: w, height: h, pixels: px)
    var gif = GIFEncoder(width: w, height: h, delay: 0.5)
    gif.add(image)
    let dir = try AnimationPython.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data(gif.encode()).write(to: URL(fileURLWithPath: dir + "/b.gif"))
    try writeRaw([image], dir: dir)
    let out = try AnimationPython.run(
      """
      import sys, numpy as np
      from PIL import Image
      d = sys.argv[1]
      a = np.asarray(Image.open(d + '/b.gif').convert('RGB')).astype(int)
      src = np.fromfile(d + '/frames.rgb', dtype=np.uint8).reshape(200, 300, 3).astype(int)
      print(int(np.abs(a - src).max()))
      """, [dir])
    #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
  }

  @Test(.tags(.python)) func lzwMatchesPillowOnRuns() throws {
    // Long runs (codes grow fast) and a single-colour frame.
    for fill in [0, 1] {
      let w = 640, h = 100
      var px = [UInt8](repeating: 0, count: w * h * 4)
      for i in 0..<(w * h) {
        let v: UInt8 = fill == 0 ? UInt8((i / 37) % 2 * 255) : 77
        px[i * 4] = v; px[i * 4 + 1] = v; px[i * 4 + 2] = v; px[i * 4 + 3] = 255
      }
      var gif = GIFEncoder(width: w, height: h, delay: 0.1)
      let image = RGBAImage(width: w, height: h, pixels: px)
      gif.add(image)
      let dir = try AnimationPython.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      try Data(gif.encode()).write(to: URL(fileURLWithPath: dir + "/c.gif"))
      try writeRaw([image], dir: dir)
      let out = try AnimationPython.run(
        """
        import sys, numpy as np
        from PIL import Image
        d = sys.argv[1]
        a = np.asarray(Image.open(d + '/c.gif').convert('RGB')).astype(int)
        src = np.fromfile(d + '/frames.rgb', dtype=np.uint8).reshape(100, 640, 3).astype(int)
        print(int(np.abs(a - src).max()))
        """, [dir])
      #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
  }

  @Test func noFramesIsAnError() {
    #expect(throws: GIFError.self) { try GIFEncoder(width: 4, height: 4, delay: 0.1).encode() }
  }
}

@Suite(.tiered) struct AnimationAPNGTests {
  @Test(.tags(.python)) func apngDecodesWithPillowAndFrameZeroIsThePNG() throws {
    let frames = (0..<4).map { animationFrame($0) }
    var w = APNGWriter(delay: 0.125)
    for f in frames { try w.add(f) }
    #expect(w.frameCount == 4)
    let bytes = w.finish()
    // Frame 0 decodes as a plain PNG with libpng (non-APNG viewers show it).
    #expect(try PNGCodec.decode(bytes) == frames[0])
    let dir = try AnimationPython.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/a.png"))
    try PNGCodec.write(frames[0], to: dir + "/f0.png", options: .fast)
    try writeRaw(frames, dir: dir)
    let out = try AnimationPython.run(
      """
      import sys, numpy as np
      from PIL import Image
      d = sys.argv[1]
      im = Image.open(d + '/a.png')
      src = np.fromfile(d + '/frames.rgb', dtype=np.uint8).reshape(-1, 64, 96, 3)
      worst = 0
      durs = []
      for k in range(im.n_frames):
          im.seek(k)
          durs.append(im.info.get('duration'))
          worst = max(worst, int(np.abs(np.asarray(im.convert('RGB')).astype(int) - src[k]).max()))
      im.seek(0)
      same0 = bool((np.asarray(im.convert('RGB')) == np.asarray(Image.open(d + '/f0.png').convert('RGB'))).all())
      print(im.n_frames, im.is_animated, im.info.get('loop'), worst, same0, ','.join(str(int(x)) for x in durs))
      """, [dir])
    #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "4 True 0 0 True 125,125,125,125")
  }

  @Test func chunksHaveValidCRCsAndSequenceNumbers() throws {
    var w = APNGWriter(delay: 0.05)
    for k in 0..<3 { try w.add(animationFrame(k)) }
    let chunks = try PNGChunks.parse(w.finish())  // checks every CRC
    let types = chunks.map { String(decoding: $0.type, as: UTF8.self) }
    #expect(types.first == "IHDR" && types[1] == "acTL" && types.last == "IEND")
    var seq: [UInt32] = []
    for c in chunks where ["fcTL", "fdAT"].contains(String(decoding: c.type, as: UTF8.self)) {
      seq.append(UInt32(c.data[0]) << 24 | UInt32(c.data[1]) << 16 | UInt32(c.data[2]) << 8 | UInt32(c.data[3]))
    }
    #expect(seq == Array(0..<UInt32(seq.count)))
    #expect(types.filter { $0 == "fcTL" }.count == 3)
    #expect(PNGChunks.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
  }

  @Test func frameSizeMismatchThrows() throws {
    var w = APNGWriter(delay: 0.1)
    try w.add(animationFrame(0))
    #expect(throws: PNGError.self) { try w.add(animationFrame(0, width: 10, height: 10)) }
  }
}

@Suite(.tiered) struct AnimationRunDirectoryTests {
  @Test func numbersRunsAndNeverReuses() throws {
    let parent = try AnimationPython.tempDir() + "/out"
    defer { try? FileManager.default.removeItem(atPath: (parent as NSString).deletingLastPathComponent) }
    let a = try RunDirectory.next(in: parent)
    let b = try RunDirectory.next(in: parent)
    #expect((a as NSString).lastPathComponent == "run_001")
    #expect((b as NSString).lastPathComponent == "run_002")
    // Removing an earlier run does not free its number while a later one exists.
    try FileManager.default.removeItem(atPath: a)
    let c = try RunDirectory.next(in: parent)
    #expect((c as NSString).lastPathComponent == "run_003")
    #expect(RunDirectory.name(1234) == "run_1234")
  }

  @Test func concurrentCallersGetDistinctDirectories() throws {
    let parent = try AnimationPython.tempDir()
    defer { try? FileManager.default.removeItem(atPath: parent) }
    let lock = NSLock()
    nonisolated(unsafe) var got: [String] = []
    DispatchQueue.concurrentPerform(iterations: 16) { _ in
      let p = try! RunDirectory.next(in: parent)
      lock.lock(); got.append(p); lock.unlock()
    }
    #expect(Set(got).count == 16)
  }
}

@Suite(.tiered) struct AnimationManifestTests {
  @Test func manifestRoundTripsAndIsSortedPrettyJSON() throws {
    let dir = try AnimationPython.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let m = Manifest(
      inputs: ["runs/a/metrics.jsonl"], kind: "turntable", options: ["frames": "72", "quality": "final"],
      version: "0.1.0", frames: ["frame_000.png", "frame_001.png"], size: "1280x720",
      createdBy: "trainscape turntable runs/a")
    let path = try m.write(toDirectory: dir)
    #expect(try Manifest.read(from: dir) == m)
    #expect(try Manifest.read(from: path) == m)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let keys = ["created_by", "frames", "inputs", "kind", "options", "size", "version"]
    let positions = keys.map { text.range(of: "\"\($0)\"")!.lowerBound }
    #expect(positions == positions.sorted())
    #expect(text.contains("\n  \"kind\" : \"turntable\""))
    #expect(text.contains("runs/a/metrics.jsonl"))  // slashes not escaped
  }
}
