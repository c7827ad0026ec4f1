/// An 8-bit RGBA image, top row first.
public struct RGBAImage: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 4, "RGBA buffer size does not match the image")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  public init(width: Int, height: Int, fill: RGBA = RGBA(0, 0, 0, 0)) {
    let px: [UInt8] = [fill.r, fill.g, fill.b, fill.a].map { UInt8((Double($0) * 255).rounded()) }
    var buffer = [UInt8](repeating: 0, count: width * height * 4)
    for i in 0..<(width * height) {
      buffer[i * 4] = px[0]; buffer[i * 4 + 1] = px[1]; buffer[i * 4 + 2] = px[2]
      buffer[i * 4 + 3] = px[3]
    }
    self.init(width: width, height: height, pixels: buffer)
  }

  /// The pixel at column `x`, row `y` (row 0 at the top).
  public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
    let i = (y * width + x) * 4
    return (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
  }
}
