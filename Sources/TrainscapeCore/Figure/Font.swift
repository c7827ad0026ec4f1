// Text layout over the baked signed-distance-field atlas (Generated/FontAtlasData.swift,
// produced by scripts/bake_font.py). Pure Swift + Foundation (for base64 only).
import Foundation

/// One textured rectangle of laid-out text.
///
/// Positions are in pixels at the requested font size, y pointing DOWN, relative to the text
/// origin (left end of the baseline). The rectangle includes the SDF padding (`spread` atlas px,
/// scaled), so it is larger than the ink. Texture coordinates are in 0...1 with v measured from
/// the TOP row of the atlas (row 0 of `FontAtlas.pixels`).
public struct GlyphQuad: Sendable, Equatable {
  public var x0: Double
  public var y0: Double
  public var x1: Double
  public var y1: Double
  public var u0: Double
  public var v0: Double
  public var u1: Double
  public var v1: Double

  public init(
    x0: Double, y0: Double, x1: Double, y1: Double, u0: Double, v0: Double, u1: Double, v1: Double
  ) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
    self.u0 = u0
    self.v0 = v0
    self.u1 = u1
    self.v1 = v1
  }
}

/// Single-channel SDF font atlas (DejaVu Sans, printable ASCII) plus metrics.
///
/// Sample the red/alpha channel of `pixels` with bilinear filtering; value 0.5 is the outline,
/// above is inside. One atlas pixel of distance is `1 / (2 * spread)` in value, so at a font size
/// `s` a screen pixel is `emSize / (2 * spread * s)` in value (use it for the antialiasing ramp).
public struct FontAtlas: Sendable {
  struct Glyph: Sendable {
    var x: Int, y: Int, w: Int, h: Int
    var bearingX: Double, bearingY: Double, advance: Double
  }

  /// The baked DejaVu Sans atlas, decoded once.
  public static let shared = FontAtlas()

  public let width: Int
  public let height: Int
  /// `width * height` bytes, row 0 = top.
  public let pixels: [UInt8]
  /// Font size in atlas pixels the glyphs were baked at.
  public let emSize: Double
  /// SDF spread in atlas pixels (value 0 / 1 = `spread` px outside / inside the outline).
  public let spread: Double
  /// Font ascender above the baseline, px at `emSize` (positive).
  public let ascender: Double
  /// Font descender, px at `emSize` (negative: below the baseline).
  public let descender: Double
  /// Recommended baseline-to-baseline distance, px at `emSize`.
  public let lineHeight: Double

  let glyphs: [UInt32: Glyph]
  let kerning: [UInt64: Double]
  let fallback: Glyph

  private init() {
    width = FontAtlasData.width
    height = FontAtlasData.height
    emSize = FontAtlasData.emSize
    spread = FontAtlasData.spread
    ascender = FontAtlasData.ascender
    descender = FontAtlasData.descender
    lineHeight = FontAtlasData.lineHeight
    guard let data = Data(base64Encoded: FontAtlasData.pixelsBase64),
      data.count == FontAtlasData.width * FontAtlasData.height
    else { preconditionFailure("FontAtlasData.pixelsBase64 is corrupt; rerun scripts/bake_font.py") }
    pixels = [UInt8](data)
    var g = [UInt32: Glyph](minimumCapacity: FontAtlasData.glyphs.count)
    for (cp, x, y, w, h, bx, by, adv) in FontAtlasData.glyphs {
      g[cp] = Glyph(x: x, y: y, w: w, h: h, bearingX: bx, bearingY: by, advance: adv)
    }
    glyphs = g
    var k = [UInt64: Double](minimumCapacity: FontAtlasData.kerning.count)
    for (l, r, adj) in FontAtlasData.kerning { k[FontAtlas.pairKey(l, r)] = adj }
    kerning = k
    guard let q = g[UInt32(UInt8(ascii: "?"))] else { preconditionFailure("atlas lacks '?'") }
    fallback = q
  }

  static func pairKey(_ l: UInt32, _ r: UInt32) -> UInt64 { UInt64(l) << 32 | UInt64(r) }

  /// Glyphs for `text`: a character that is one scalar present in the atlas maps to itself,
  /// anything else (characters the atlas lacks, such as CJK, control characters, newlines,
  /// graphemes that do not compose to one character) to '?'. The atlas holds ASCII, Latin-1, Greek and plot symbols
  /// (scripts/bake_font.py).
  private func resolve(_ text: String) -> [(UInt32, Glyph)] {
    let question = UInt32(UInt8(ascii: "?"))
    // Composed first (NFC): "o" + combining diaeresis is drawn as "ö" (gl3d_cone-rossler).
    return text.precomposedStringWithCanonicalMapping.map { ch -> (UInt32, Glyph) in
      let scalars = ch.unicodeScalars
      if scalars.count == 1, let s = scalars.first, let g = glyphs[s.value] { return (s.value, g) }
      return (question, fallback)
    }
  }

  /// Advance width of `text` (pen position after the last glyph, kerning included) and the
  /// font's ascent / descent (both positive, from the font's line metrics so labels of different
  /// text align), all in px at font size `size`. Ink can overhang the advance box slightly for a
  /// few glyphs (e.g. "j", "f", "T", "_"), and `layout` quads also include the SDF padding.
  public func measure(_ text: String, size: Double) -> (width: Double, ascent: Double, descent: Double) {
    let k = size / emSize
    var pen = 0.0
    var prev: UInt32?
    for (cp, g) in resolve(text) {
      if let p = prev { pen += kerning[FontAtlas.pairKey(p, cp)] ?? 0 }
      pen += g.advance
      prev = cp
    }
    return (pen * k, ascender * k, -descender * k)
  }

  /// One quad per glyph with ink (spaces produce none but advance the pen), kerning applied,
  /// unknown characters drawn as '?'. Coordinates as described on `GlyphQuad`.
  public func layout(_ text: String, size: Double) -> [GlyphQuad] {
    let k = size / emSize
    let w = Double(width)
    let h = Double(height)
    var quads = [GlyphQuad]()
    var pen = 0.0
    var prev: UInt32?
    for (cp, g) in resolve(text) {
      if let p = prev { pen += kerning[FontAtlas.pairKey(p, cp)] ?? 0 }
      prev = cp
      if g.w > 0 && g.h > 0 {
        let x0 = (pen + g.bearingX) * k
        let y0 = -g.bearingY * k
        quads.append(
          GlyphQuad(
            x0: x0, y0: y0, x1: x0 + Double(g.w) * k, y1: y0 + Double(g.h) * k,
            u0: Double(g.x) / w, v0: Double(g.y) / h,
            u1: Double(g.x + g.w) / w, v1: Double(g.y + g.h) / h))
      }
      pen += g.advance
    }
    return quads
  }
}
