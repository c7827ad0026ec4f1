import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

@Suite(.tiered) struct FontTests {
  let font = FontAtlas.shared

  @Test func atlasDecodes() {
    #expect(font.width == 512)
    #expect(font.height == FontAtlasData.height)
    #expect(font.pixels.count == font.width * font.height)
    #expect(font.emSize == 48)
    #expect(font.spread == 6)
    #expect(font.ascender > 0 && font.descender < 0)
    #expect(font.lineHeight >= font.ascender - font.descender)
    // Printable ASCII, Latin-1, Greek and plot symbols (scripts/bake_font.py's CODEPOINTS).
    #expect(FontAtlasData.glyphs.count == 262)
    #expect(FontAtlasData.glyphs.contains { $0.0 == 0x3B7 } && FontAtlasData.glyphs.contains { $0.0 == 0x2212 })
    #expect(FontAtlasData.fontName == "DejaVu Sans")
  }

  @Test func glyphRectanglesHaveSDFPadding() {
    for (cp, x, y, w, h, _, _, adv) in FontAtlasData.glyphs {
      #expect(adv > 0, "U+\(cp)")
      if cp == 32 || cp == 0xA0 {  // the spaces have no ink
        #expect(w == 0 && h == 0)
        continue
      }
      #expect(x >= 0 && y >= 0 && x + w <= font.width && y + h <= font.height, "U+\(cp)")
      // Border pixel centres lie at least `spread` - 0.5 px outside the ink, i.e. value
      // <= 255 * (0.5 - 5.5 / 12) = 10.6: (almost) fully "outside".
      var border = [UInt8]()
      for i in 0..<w { border += [font.pixels[y * font.width + x + i], font.pixels[(y + h - 1) * font.width + x + i]] }
      for j in 0..<h { border += [font.pixels[(y + j) * font.width + x], font.pixels[(y + j) * font.width + x + w - 1]] }
      #expect(border.max()! <= 11, "U+\(cp) border max \(border.max()!)")
      // Some pixel is well inside the outline.
      var inner: UInt8 = 0
      for j in 0..<h { for i in 0..<w { inner = max(inner, font.pixels[(y + j) * font.width + x + i]) } }
      #expect(inner > 140, "U+\(cp) max \(inner)")
    }
  }

  @Test func measureEmptyString() {
    let m = font.measure("", size: 20)
    #expect(m.width == 0)
    #expect(font.layout("", size: 20).isEmpty)
  }

  @Test func widthScalesLinearlyWithSize() {
    let text = "Loss 0.0123 (epoch 42)"
    let a = font.measure(text, size: 12)
    let b = font.measure(text, size: 36)
    #expect(a.width > 0)
    #expect(abs(b.width - 3 * a.width) < 1e-9)
    #expect(abs(b.ascent - 3 * a.ascent) < 1e-9)
    #expect(abs(b.descent - 3 * a.descent) < 1e-9)
    #expect(a.ascent > 0 && a.descent > 0)
    #expect(abs(font.measure(text, size: 48).width - 2 * font.measure(text, size: 24).width) < 1e-9)
  }

  @Test func narrowAndWideGlyphs() {
    #expect(font.measure("ii", size: 16).width < font.measure("WW", size: 16).width)
    #expect(font.measure("1", size: 16).width == font.measure("9", size: 16).width)  // tabular digits
    #expect(font.measure(" ", size: 16).width > 0)
  }

  @Test func kerningIsApplied() {
    // "AV" is kerned tighter than the sum of its advances in DejaVu Sans.
    let sum = font.measure("A", size: 48).width + font.measure("V", size: 48).width
    #expect(font.measure("AV", size: 48).width < sum - 0.5)
    #expect(!FontAtlasData.kerning.isEmpty)
  }

  @Test func layoutQuadCountAndUnknownCharacters() {
    #expect(font.layout("a b  c", size: 10).count == 3)
    #expect(font.layout("   ", size: 10).isEmpty)
    #expect(font.layout("x=1.5e-3", size: 10).count == 8)
    // Unknown characters become '?', which has ink and the same advance.
    let q = font.layout("?", size: 30)
    let u = font.layout("\u{4E2D}", size: 30)  // a CJK ideograph: not in the atlas
    #expect(u == q)
    #expect(font.measure("中€\n", size: 30).width == font.measure("???", size: 30).width)
    // Latin-1, Greek and the symbols plots use are drawn as themselves (gl3d_cone-rossler's
    // "Rössler", a learning rate η, 1µ, the minus sign).
    for text in ["ö", "é", "µ", "η", "λ", "Δ", "\u{2212}", "±", "×", "→", "≤", "°"] {
      #expect(font.layout(text, size: 30) != q, "\(text) is drawn as '?'")
    }
    // A decomposed "o" + combining diaeresis is drawn as the composed "ö".
    #expect(font.layout("o\u{308}", size: 30) == font.layout("\u{F6}", size: 30))
  }

  @Test(arguments: ["Loss 0.0123 (epoch 42)", "val_acc=98.6%", "AVATAR jiggly fTY_", "W", "i"])
  func quadsLieWithinMeasuredBoxAndAtlas(text: String) {
    for size in [9.0, 14.0, 48.0, 100.0] {
      let k = size / font.emSize
      let m = font.measure(text, size: size)
      let quads = font.layout(text, size: size)
      #expect(quads.count == text.filter { $0 != " " }.count)
      // The quads include `spread` px of padding; inset by it they bound the ink, which stays in
      // the measured box up to the pixel snapping of the atlas rectangles (1 atlas px) and the
      // small overhangs some glyphs have past their advance (at most ~2 px at emSize in ASCII).
      let pad = font.spread * k
      let slack = 3 * k + 1e-9
      for q in quads {
        #expect(q.x0 < q.x1 && q.y0 < q.y1)
        #expect(q.x0 + pad >= -slack, "\(text) @\(size): \(q)")
        #expect(q.x1 - pad <= m.width + slack, "\(text) @\(size): \(q)")
        #expect(q.y0 + pad >= -m.ascent - k - 1e-9, "\(text) @\(size): \(q)")
        #expect(q.y1 - pad <= m.descent + k + 1e-9, "\(text) @\(size): \(q)")
        for v in [q.u0, q.v0, q.u1, q.v1] { #expect(v >= 0 && v <= 1) }
        #expect(q.u0 < q.u1 && q.v0 < q.v1)
        // Texture rectangle and screen rectangle have the same aspect (no distortion).
        let du = (q.u1 - q.u0) * Double(font.width)
        let dv = (q.v1 - q.v0) * Double(font.height)
        #expect(abs((q.x1 - q.x0) - du * k) < 1e-9 && abs((q.y1 - q.y0) - dv * k) < 1e-9)
      }
      // Quads advance left to right.
      for (a, b) in zip(quads, quads.dropFirst()) { #expect(a.x0 < b.x0) }
    }
  }

  @Test func inkSitsOnTheBaseline() {
    // 'x' sits on the baseline (y = 0, y down) and reaches x-height; 'p' descends below it.
    let size = 48.0
    let x = font.layout("x", size: size)[0]
    let p = font.layout("p", size: size)[0]
    let pad = font.spread
    #expect(abs((x.y1 - pad) - 0) <= 1)
    #expect(p.y1 - pad > 8)
    #expect(x.y0 + pad < -20 && x.y0 + pad > -30)  // DejaVu x-height ~0.55 em = 26 px
  }
}
