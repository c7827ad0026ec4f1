import Foundation
import TrainscapeCore

public struct GIFError: Error, CustomStringConvertible {
  public var description: String
}

/// An animated GIF89a writer, written by hand: one global 256-colour palette for the whole
/// animation, optional Floyd-Steinberg dithering, LZW compression (variable code size, clear
/// codes), the NETSCAPE2.0 extension (loop forever), a frame delay in centiseconds, no
/// transparency.
///
/// Memory: frames are not kept as RGBA (72 frames of 1280x720 would be 265 MB). `add` counts
/// every pixel of the frame into a colour histogram (32768 bins of 5 bits per channel, with exact
/// colour sums per bin) and keeps the frame losslessly as a fast PNG (level 1, about 0.2 MB at
/// 1280x720 for a plot). `encode` builds the palette from the histogram of *all* frames (median
/// cut), then decodes each frame in turn, maps it to the palette and LZW-compresses it: peak
/// memory is one RGBA frame, the compressed frames and the output. The price is one PNG
/// encode per frame in `add` (~15 ms at 1280x720) and one decode per frame in `encode`.
///
/// Everything is deterministic: the same frames give the same bytes.
public struct GIFEncoder {
  public let width: Int
  public let height: Int
  public let delay: Double
  public let dither: Bool
  /// 2^15 bins (r5, g5, b5): pixel count and exact channel sums.
  private var histogram: [HistogramBin]
  private var frames: [[UInt8]] = []

  struct HistogramBin {
    var count = 0
    var r = 0, g = 0, b = 0
  }

  /// - Parameters:
  ///   - delay: seconds per frame; stored in centiseconds (at least 1). Browsers show delays
  ///     under 2 cs as 10 cs, so 0.02 s (50 fps) is the practical minimum.
  ///   - dither: Floyd-Steinberg error diffusion (smoother gradients, larger files, slower).
  public init(width: Int, height: Int, delay: Double, dither: Bool = false) {
    precondition(width > 0 && height > 0 && width <= 65535 && height <= 65535)
    self.width = width
    self.height = height
    self.delay = delay
    self.dither = dither
    histogram = [HistogramBin](repeating: HistogramBin(), count: 1 << 15)
  }

  public var frameCount: Int { frames.count }

  /// The frame delay in centiseconds as written.
  public var delayCentiseconds: Int { Swift.min(65535, Swift.max(1, Int((delay * 100).rounded()))) }

  /// Adds a frame (must be `width` x `height`; alpha is ignored).
  public mutating func add(_ image: RGBAImage) {
    precondition(image.width == width && image.height == height, "GIF frame size differs from the animation's")
    image.pixels.withUnsafeBufferPointer { px in
      histogram.withUnsafeMutableBufferPointer { h in
        for i in stride(from: 0, to: px.count, by: 4) {
          let r = Int(px[i]), g = Int(px[i + 1]), b = Int(px[i + 2])
          let bin = (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3)
          h[bin].count += 1
          h[bin].r += r; h[bin].g += g; h[bin].b += b
        }
      }
    }
    // Lossless and compact; cannot fail for a valid image, but keep the raw pixels if it does.
    frames.append((try? PNGCodec.encode(image, options: .fast)) ?? image.pixels)
  }

  /// The GIF file's bytes.
  public func encode() throws -> [UInt8] {
    guard !frames.isEmpty else { throw GIFError(description: "a GIF needs at least one frame") }
    let palette = try exactPalette() ?? Self.medianCut(histogram, colors: 256)
    var mapper = PaletteMapper(palette: palette)
    var out: [UInt8] = []
    out.reserveCapacity(frames.reduce(0) { $0 + $1.count } + 1024)
    out += Array("GIF89a".utf8)
    Self.le16(width, &out)
    Self.le16(height, &out)
    out += [0xF7, 0, 0]  // global colour table, 8 bits resolution, 256 entries; bg 0; aspect 0
    for c in 0..<256 {
      if c < palette.count {
        out += [palette[c].r, palette[c].g, palette[c].b]
      } else {
        out += [0, 0, 0]
      }
    }
    // NETSCAPE2.0: loop forever (count 0).
    out += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
    var indices = [UInt8](repeating: 0, count: width * height)
    for stored in frames {
      let image: RGBAImage
      if stored.count == width * height * 4 {
        image = RGBAImage(width: width, height: height, pixels: stored)
      } else {
        image = try PNGCodec.decode(stored)
      }
      mapper.map(image, dither: dither, into: &indices)
      // Graphic control extension: disposal 1 (leave in place), no transparency, delay.
      out += [0x21, 0xF9, 0x04, 0x04]
      Self.le16(delayCentiseconds, &out)
      out += [0x00, 0x00]
      // Image descriptor: full frame, no local colour table, not interlaced.
      out += [0x2C, 0, 0, 0, 0]
      Self.le16(width, &out)
      Self.le16(height, &out)
      out.append(0)
      out.append(8)  // LZW minimum code size
      LZW.compress(indices, minimumCodeSize: 8, into: &out)
    }
    out.append(0x3B)
    return out
  }

  /// All the colours of the animation when there are at most 256 (then the GIF is lossless).
  /// Only tried when the histogram has at most 256 non-empty bins; needs one more pass over the
  /// frames.
  private func exactPalette() throws -> [Color]? {
    guard histogram.lazy.filter({ $0.count > 0 }).count <= 256 else { return nil }
    var seen = Set<UInt32>()
    for stored in frames {
      let px =
        stored.count == width * height * 4 ? stored : try PNGCodec.decode(stored).pixels
      var last: UInt32 = .max
      for i in stride(from: 0, to: px.count, by: 4) {
        let c = UInt32(px[i]) << 16 | UInt32(px[i + 1]) << 8 | UInt32(px[i + 2])
        if c == last { continue }
        last = c
        seen.insert(c)
        if seen.count > 256 { return nil }
      }
    }
    return seen.sorted().map { Color(r: UInt8($0 >> 16), g: UInt8(($0 >> 8) & 0xFF), b: UInt8($0 & 0xFF)) }
  }

  static func le16(_ v: Int, _ out: inout [UInt8]) {
    out.append(UInt8(v & 0xFF))
    out.append(UInt8((v >> 8) & 0xFF))
  }

  // MARK: - Palette

  public struct Color: Equatable, Sendable {
    public var r, g, b: UInt8
  }

  /// Median cut over the non-empty histogram bins: repeatedly split the box with the largest
  /// squared error (count-weighted spread of its bins' mean colours) at the count median of its
  /// widest channel. Each palette colour is the exact mean of its box's pixels. With at most
  /// `colors` non-empty bins, every bin gets its own colour (and with at most 256 distinct
  /// colours in all, `encode` uses them exactly instead).
  static func medianCut(_ histogram: [HistogramBin], colors: Int) -> [Color] {
    struct Entry {
      var key: Int  // bin index: unique, for a deterministic sort
      var count: Double
      var mean: (Double, Double, Double)
      var sum: (Int, Int, Int)
    }
    var entries: [Entry] = []
    for (i, h) in histogram.enumerated() where h.count > 0 {
      let n = Double(h.count)
      entries.append(
        Entry(key: i, count: n, mean: (Double(h.r) / n, Double(h.g) / n, Double(h.b) / n), sum: (h.r, h.g, h.b)))
    }
    if entries.isEmpty { return [Color(r: 0, g: 0, b: 0)] }
    struct Box {
      var lo: Int, hi: Int  // range in `entries`
      var error: Double
      var axis: Int
    }
    func channel(_ e: Entry, _ a: Int) -> Double { a == 0 ? e.mean.0 : (a == 1 ? e.mean.1 : e.mean.2) }
    func makeBox(_ lo: Int, _ hi: Int) -> Box {
      var n = 0.0, s = (0.0, 0.0, 0.0)
      var mn = (Double.infinity, Double.infinity, Double.infinity)
      var mx = (-Double.infinity, -Double.infinity, -Double.infinity)
      for e in entries[lo..<hi] {
        n += e.count
        s.0 += e.mean.0 * e.count; s.1 += e.mean.1 * e.count; s.2 += e.mean.2 * e.count
        mn = (Swift.min(mn.0, e.mean.0), Swift.min(mn.1, e.mean.1), Swift.min(mn.2, e.mean.2))
        mx = (Swift.max(mx.0, e.mean.0), Swift.max(mx.1, e.mean.1), Swift.max(mx.2, e.mean.2))
      }
      let m = (s.0 / n, s.1 / n, s.2 / n)
      var err = 0.0
      for e in entries[lo..<hi] {
        let d0 = e.mean.0 - m.0, d1 = e.mean.1 - m.1, d2 = e.mean.2 - m.2
        err += e.count * (d0 * d0 + d1 * d1 + d2 * d2)
      }
      let ranges = [mx.0 - mn.0, mx.1 - mn.1, mx.2 - mn.2]
      let axis = ranges[1] >= ranges[0] && ranges[1] >= ranges[2] ? 1 : (ranges[0] >= ranges[2] ? 0 : 2)
      return Box(lo: lo, hi: hi, error: hi - lo > 1 ? err : 0, axis: axis)
    }
    var boxes = [makeBox(0, entries.count)]
    while boxes.count < colors {
      var best = -1
      for (i, b) in boxes.enumerated() where b.error > 0 && (best < 0 || b.error > boxes[best].error) {
        best = i
      }
      guard best >= 0 else { break }
      let box = boxes[best]
      let axis = box.axis
      entries[box.lo..<box.hi].sort { a, b in
        let ca = channel(a, axis), cb = channel(b, axis)
        return ca != cb ? ca < cb : a.key < b.key
      }
      let total = entries[box.lo..<box.hi].reduce(0.0) { $0 + $1.count }
      var acc = 0.0
      var split = box.lo + 1
      for i in box.lo..<(box.hi - 1) {
        acc += entries[i].count
        split = i + 1
        if acc >= total / 2 { break }
      }
      boxes[best] = makeBox(box.lo, split)
      boxes.append(makeBox(split, box.hi))
    }
    return boxes.map { b in
      var n = 0, r = 0, g = 0, bl = 0
      for e in entries[b.lo..<b.hi] {
        n += Int(e.count); r += e.sum.0; g += e.sum.1; bl += e.sum.2
      }
      func avg(_ s: Int) -> UInt8 { UInt8(Swift.min(255, (s + n / 2) / n)) }
      return Color(r: avg(r), g: avg(g), b: avg(bl))
    }
  }

  /// Nearest palette colour per exact pixel colour, through a lazily filled 24-bit lookup
  /// table (16 MB of indices plus a 2 MB "filled" bitmap): one search of the palette per
  /// distinct colour, then a table read per pixel.
  struct PaletteMapper {
    let palette: [Color]
    private var table: [UInt8]
    private var filled: [UInt64]

    init(palette: [Color]) {
      self.palette = palette
      table = [UInt8](repeating: 0, count: 1 << 24)
      filled = [UInt64](repeating: 0, count: (1 << 24) / 64)
    }

    mutating func nearest(_ r: Int, _ g: Int, _ b: Int) -> Int {
      let key = r << 16 | g << 8 | b
      if filled[key >> 6] & (1 << UInt64(key & 63)) != 0 { return Int(table[key]) }
      var best = 0, bestD = Int.max
      for (i, p) in palette.enumerated() {
        let dr = Int(p.r) - r, dg = Int(p.g) - g, db = Int(p.b) - b
        let d = 3 * dr * dr + 4 * dg * dg + 2 * db * db
        if d < bestD { bestD = d; best = i }
      }
      table[key] = UInt8(best)
      filled[key >> 6] |= 1 << UInt64(key & 63)
      return best
    }

    mutating func map(_ image: RGBAImage, dither: Bool, into out: inout [UInt8]) {
      let w = image.width, h = image.height
      let px = image.pixels
      if !dither {
        for i in 0..<(w * h) {
          out[i] = UInt8(nearest(Int(px[i * 4]), Int(px[i * 4 + 1]), Int(px[i * 4 + 2])))
        }
        return
      }
      // Floyd-Steinberg, left to right on every row; errors in 1/16 units.
      var cur = [Int](repeating: 0, count: (w + 2) * 3), next = cur
      for y in 0..<h {
        for k in 0..<next.count { next[k] = 0 }
        for x in 0..<w {
          let i = (y * w + x) * 4
          let e = (x + 1) * 3
          let r = Swift.min(255, Swift.max(0, Int(px[i]) + cur[e] / 16))
          let g = Swift.min(255, Swift.max(0, Int(px[i + 1]) + cur[e + 1] / 16))
          let b = Swift.min(255, Swift.max(0, Int(px[i + 2]) + cur[e + 2] / 16))
          let idx = nearest(r, g, b)
          out[y * w + x] = UInt8(idx)
          let p = palette[idx]
          let er = r - Int(p.r), eg = g - Int(p.g), eb = b - Int(p.b)
          cur[e + 3] += er * 7; cur[e + 4] += eg * 7; cur[e + 5] += eb * 7
          next[e - 3] += er * 3; next[e - 2] += eg * 3; next[e - 1] += eb * 3
          next[e] += er * 5; next[e + 1] += eg * 5; next[e + 2] += eb * 5
          next[e + 3] += er; next[e + 4] += eg; next[e + 5] += eb
        }
        swap(&cur, &next)
      }
    }
  }
}

/// GIF's variable-code-size LZW (codes of 9 to 12 bits for 8-bit pixels, LSB first), with a
/// clear code whenever the 4096-entry table is full, packed into data sub-blocks of at most 255
/// bytes and a terminating empty block.
public enum LZW {
  public static func compress(_ data: [UInt8], minimumCodeSize: Int = 8, into out: inout [UInt8]) {
    let clear = 1 << minimumCodeSize, eoi = clear + 1
    var width = minimumCodeSize + 1
    var nextCode = eoi + 1
    // Dictionary: (prefix code, byte) -> code, valid when the stored generation matches.
    var dict = [UInt32](repeating: 0, count: 4096 << minimumCodeSize)
    var generation: UInt32 = 1
    var bytes: [UInt8] = []
    bytes.reserveCapacity(data.count / 2 + 16)
    var bitBuffer: UInt64 = 0, bitCount = 0
    func emit(_ code: Int) {
      bitBuffer |= UInt64(code) << UInt64(bitCount)
      bitCount += width
      while bitCount >= 8 {
        bytes.append(UInt8(bitBuffer & 0xFF))
        bitBuffer >>= 8
        bitCount -= 8
      }
    }
    emit(clear)
    if var prefix = data.first.map(Int.init) {
      for i in 1..<data.count {
        let p = Int(data[i])
        let key = prefix << minimumCodeSize | p
        let entry = dict[key]
        if entry >> 12 == generation {
          prefix = Int(entry & 0xFFF)
          continue
        }
        emit(prefix)
        // The decoder adds an entry after each code and widens when its next code reaches
        // 2^width: widen at the same point.
        if nextCode == 1 << width && width < 12 { width += 1 }
        if nextCode < 4096 {
          dict[key] = generation << 12 | UInt32(nextCode)
          nextCode += 1
        } else {
          emit(clear)
          generation += 1
          nextCode = eoi + 1
          width = minimumCodeSize + 1
        }
        prefix = p
      }
      emit(prefix)
      if nextCode == 1 << width && width < 12 { width += 1 }
    }
    emit(eoi)
    if bitCount > 0 { bytes.append(UInt8(bitBuffer & 0xFF)) }
    var i = 0
    while i < bytes.count {
      let n = Swift.min(255, bytes.count - i)
      out.append(UInt8(n))
      out += bytes[i..<(i + n)]
      i += n
    }
    out.append(0)
  }
}
