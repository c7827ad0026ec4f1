import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// `FXAA.apply` on images whose answer is known without running the filter: a hard edge gets
/// intermediate values along it, flat areas and low-contrast gradients stay as they are, and
/// overlay pixels are never touched. (The GPU shader is its independent twin: RenderTests
/// compares the two on a rendered scene.)
@Suite(.tiered) struct FXAATests {
  /// A black-on-white staircase edge (slope 1/3, the kind a rasterizer leaves), w x h.
  func staircase(width w: Int = 60, height h: Int = 40) -> RGBAImage {
    var px = [UInt8](repeating: 255, count: w * h * 4)
    for y in 0..<h {
      for x in 0..<w where Double(x) < Double(y) * 3 - 20 {
        let i = 4 * (y * w + x)
        px[i] = 0; px[i + 1] = 0; px[i + 2] = 0
      }
    }
    return RGBAImage(width: w, height: h, pixels: px)
  }

  @Test func smoothsAHardEdgeAndNothingElse() {
    let image = staircase()
    let out = FXAA.apply(plot: image)
    var changed = 0, intermediate = 0
    for y in 0..<image.height {
      for x in 0..<image.width {
        let a = image[x, y], b = out[x, y]
        #expect(b.a == a.a)
        if a.r != b.r {
          changed += 1
          // Only pixels next to the edge may change.
          let near = (-1...1).contains { dy in
            (-1...1).contains { dx in
              let xx = min(max(x + dx, 0), image.width - 1), yy = min(max(y + dy, 0), image.height - 1)
              return image[xx, yy].r != a.r
            }
          }
          #expect(near, "pixel (\(x), \(y)) away from the edge changed")
        }
        if b.r > 20 && b.r < 235 { intermediate += 1 }
      }
    }
    #expect(changed > 20, "only \(changed) pixels changed")
    #expect(intermediate > 20, "only \(intermediate) intermediate values along the edge")
    // Greys stay grey: the filter mixes colours, it does not invent them.
    for i in stride(from: 0, to: out.pixels.count, by: 4) {
      #expect(out.pixels[i] == out.pixels[i + 1] && out.pixels[i + 1] == out.pixels[i + 2])
    }
  }

  @Test func leavesLowContrastGradientsAlone() {
    // A smooth ramp: 1/255 per pixel, far below the contrast threshold.
    let w = 64, h = 16
    var px = [UInt8](repeating: 255, count: w * h * 4)
    for y in 0..<h {
      for x in 0..<w { for k in 0..<3 { px[4 * (y * w + x) + k] = UInt8(100 + x) } }
    }
    let image = RGBAImage(width: w, height: h, pixels: px)
    #expect(FXAA.apply(plot: image) == image)
  }

  @Test func keepsOverlayPixelsAndStaysInsideTheRegion() {
    let plot = staircase()
    var composed = plot
    // "Text": a red pixel on the edge and one in a flat area.
    let marks = [(20, 15), (5, 30)]
    for (x, y) in marks {
      let i = 4 * (y * plot.width + x)
      composed.pixels[i] = 255; composed.pixels[i + 1] = 0; composed.pixels[i + 2] = 0
    }
    let out = FXAA.apply(plot: plot, composed: composed)
    for (x, y) in marks { #expect(out[x, y] == composed[x, y]) }
    let smoothed = FXAA.apply(plot: plot)
    for y in 0..<plot.height {
      for x in 0..<plot.width where !marks.contains(where: { $0 == (x, y) }) {
        #expect(out[x, y] == smoothed[x, y])
      }
    }
    // Outside the region nothing changes.
    let region = PixelRect(x: 0, y: 0, width: 30, height: 40)
    let half = FXAA.apply(plot: plot, region: region)
    var changedInside = 0
    for y in 0..<plot.height {
      for x in 0..<plot.width {
        if x >= 31 { #expect(half[x, y] == plot[x, y]) }
        if x < 30 && half[x, y] != plot[x, y] { changedInside += 1 }
      }
    }
    #expect(changedInside > 5)
  }
}
