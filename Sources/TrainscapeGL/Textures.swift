import CGL
import TrainscapeCore

/// The renderer's textures: the font atlas, and one 256 x 1 texture per colour map drawn,
/// made when first needed.
final class Textures {
  private let device: GLDevice
  private(set) var font: GLuint
  private var colormaps: [Colormap: GLuint] = [:]

  init(device: GLDevice) {
    self.device = device
    font = device.makeTexture(
      width: FontAtlas.shared.width, height: FontAtlas.shared.height, format: GL_RED,
      pixels: FontAtlas.shared.pixels, linear: true)
  }

  /// The texture of `map` (RGBA, linear filtering).
  func colormap(_ map: Colormap) -> GLuint {
    if let t = colormaps[map] { return t }
    var rgba = [UInt8](repeating: 255, count: 256 * 4)
    for i in 0..<256 {
      rgba[i * 4] = map.table[i * 3]
      rgba[i * 4 + 1] = map.table[i * 3 + 1]
      rgba[i * 4 + 2] = map.table[i * 3 + 2]
    }
    let t = device.makeTexture(width: 256, height: 1, format: GL_RGBA, pixels: rgba, linear: true)
    colormaps[map] = t
    return t
  }

  func destroy() {
    device.deleteTexture(&font)
    for (_, var t) in colormaps { device.deleteTexture(&t) }
    colormaps.removeAll()
  }
}

/// Vertex arrays whose contents are replaced every frame (panes, lines, glyphs, the colour bar)
/// and the empty vertex array of the full-screen pass.
final class StreamedGeometry {
  let lines: VertexArray
  let flat: VertexArray
  let text: VertexArray
  let colorbar: VertexArray
  private(set) var empty: GLuint

  init(device: GLDevice) {
    empty = device.makeVertexArray()
    lines = VertexArray(layout: VertexPacking.Layouts.line, indexed: false, device: device)
    flat = VertexArray(layout: VertexPacking.Layouts.flat, indexed: false, device: device)
    text = VertexArray(layout: VertexPacking.Layouts.text, indexed: false, device: device)
    colorbar = VertexArray(layout: VertexPacking.Layouts.colorbar, indexed: false, device: device)
  }

  func destroy(on device: GLDevice) {
    for v in [lines, flat, text, colorbar] { v.destroy(on: device) }
    device.deleteVertexArray(&empty)
  }
}
