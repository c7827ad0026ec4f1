import Foundation
import TrainscapeCore

/// An animated PNG writer. Each frame is encoded with the project's libpng encoder
/// (`PNGCodec.encode`) as it is added, its chunks are parsed and only the compressed image data
/// is kept. `finish` re-wraps them: IHDR (and any other chunk before the image data) of frame 0,
/// acTL (frame count, play forever), then per frame an fcTL (full frame, delay, dispose none,
/// blend source) followed by IDAT for frame 0 or fdAT (sequence number + data) for the others,
/// and IEND. Sequence numbers run over fcTL and fdAT chunks from 0. Viewers without APNG support
/// show frame 0 as a plain PNG.
public struct APNGWriter {
  public let delay: Double
  public let options: PNGOptions
  private var header: [UInt8]?  // IHDR payload of frame 0
  private var preamble: [(type: [UInt8], data: [UInt8])] = []  // other chunks before IDAT, frame 0
  private var frameData: [[UInt8]] = []  // concatenated IDAT payloads per frame
  private var size: (width: Int, height: Int)?

  public init(delay: Double, options: PNGOptions = .fast) {
    self.delay = delay
    self.options = options
  }

  public var frameCount: Int { frameData.count }

  /// The delay as fcTL writes it: numerator / denominator seconds.
  public var delayFraction: (numerator: UInt16, denominator: UInt16) {
    for den in [1000, 100, 10, 1] {
      let num = (max(0, delay) * Double(den)).rounded()
      if num <= 65535 { return (UInt16(num), UInt16(den)) }
    }
    return (65535, 1)
  }

  /// Encodes a frame and keeps its compressed data. Every frame must have frame 0's size.
  public mutating func add(_ image: RGBAImage) throws {
    if let size, size.width != image.width || size.height != image.height {
      throw PNGError(
        description: "APNG frame \(frameData.count) is \(image.width)x\(image.height); frame 0 is \(size.width)x\(size.height)")
    }
    let png = try PNGCodec.encode(image, options: options)
    let chunks = try PNGChunks.parse(png)
    var data: [UInt8] = []
    var seenIDAT = false
    for c in chunks {
      switch String(decoding: c.type, as: UTF8.self) {
      case "IHDR":
        if header == nil { header = c.data }
      case "IDAT":
        seenIDAT = true
        data += c.data
      case "IEND":
        break
      default:
        if frameData.isEmpty && !seenIDAT { preamble.append((c.type, c.data)) }
      }
    }
    size = (image.width, image.height)
    frameData.append(data)
  }

  /// The APNG file's bytes. Needs at least one frame.
  public func finish() -> [UInt8] {
    precondition(!frameData.isEmpty && header != nil, "an APNG needs at least one frame")
    var out: [UInt8] = PNGChunks.signature
    PNGChunks.write("IHDR", header!, to: &out)
    var actl: [UInt8] = []
    PNGChunks.be32(UInt32(frameData.count), &actl)
    PNGChunks.be32(0, &actl)  // num_plays 0: loop forever
    PNGChunks.write("acTL", actl, to: &out)
    for c in preamble { PNGChunks.write(c.type, c.data, to: &out) }
    let (num, den) = delayFraction
    var sequence: UInt32 = 0
    for (i, data) in frameData.enumerated() {
      var fctl: [UInt8] = []
      PNGChunks.be32(sequence, &fctl)
      sequence += 1
      PNGChunks.be32(UInt32(size!.width), &fctl)
      PNGChunks.be32(UInt32(size!.height), &fctl)
      PNGChunks.be32(0, &fctl)
      PNGChunks.be32(0, &fctl)
      fctl += [UInt8(num >> 8), UInt8(num & 0xFF), UInt8(den >> 8), UInt8(den & 0xFF)]
      fctl += [0, 0]  // dispose op none, blend op source
      PNGChunks.write("fcTL", fctl, to: &out)
      if i == 0 {
        PNGChunks.write("IDAT", data, to: &out)
      } else {
        var fdat: [UInt8] = []
        fdat.reserveCapacity(data.count + 4)
        PNGChunks.be32(sequence, &fdat)
        sequence += 1
        fdat += data
        PNGChunks.write("fdAT", fdat, to: &out)
      }
    }
    PNGChunks.write("IEND", [], to: &out)
    return out
  }
}

/// PNG chunk reading and writing, with CRC-32 (ISO 3309, as zlib's `crc32`).
public enum PNGChunks {
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// The chunks of a PNG file in order (type as 4 bytes, payload). Checks lengths and CRCs.
  public static func parse(_ png: [UInt8]) throws -> [(type: [UInt8], data: [UInt8])] {
    guard png.count >= 8, Array(png[0..<8]) == signature else {
      throw PNGError(description: "not a PNG (bad signature)")
    }
    var chunks: [(type: [UInt8], data: [UInt8])] = []
    var i = 8
    while i + 12 <= png.count {
      let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
      guard length <= png.count - i - 12 else { throw PNGError(description: "truncated PNG chunk") }
      let type = Array(png[(i + 4)..<(i + 8)])
      let data = Array(png[(i + 8)..<(i + 8 + length)])
      let stored = UInt32(png[i + 8 + length]) << 24 | UInt32(png[i + 9 + length]) << 16
        | UInt32(png[i + 10 + length]) << 8 | UInt32(png[i + 11 + length])
      guard crc32(type + data) == stored else {
        throw PNGError(description: "bad CRC in PNG chunk \(String(decoding: type, as: UTF8.self))")
      }
      chunks.append((type, data))
      i += 12 + length
      if type == Array("IEND".utf8) { break }
    }
    return chunks
  }

  static func be32(_ v: UInt32, _ out: inout [UInt8]) {
    out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  static func write(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
    write(Array(type.utf8), data, to: &out)
  }

  static func write(_ type: [UInt8], _ data: [UInt8], to out: inout [UInt8]) {
    be32(UInt32(data.count), &out)
    out += type
    out += data
    var crc = crc32Update(0xFFFF_FFFF, type)
    crc = crc32Update(crc, data)
    be32(crc ^ 0xFFFF_FFFF, &out)
  }

  private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32Update(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
    var c = crc
    table.withUnsafeBufferPointer { t in
      for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }
    return c
  }

  /// CRC-32 of `bytes` (the value zlib's `crc32(0, bytes, n)` returns).
  public static func crc32(_ bytes: [UInt8]) -> UInt32 {
    crc32Update(0xFFFF_FFFF, bytes) ^ 0xFFFF_FFFF
  }
}
