import Foundation

/// A colour with alpha, as the GL layer consumes it.
public struct RGBA: Sendable, Equatable {
  public var r, g, b, a: Float
  public init(_ r: Float, _ g: Float, _ b: Float, _ a: Float = 1) {
    self.r = r; self.g = g; self.b = b; self.a = a
  }
  public init(_ c: RGBColor, alpha: Float = 1) {
    self.init(Float(c.r), Float(c.g), Float(c.b), alpha)
  }
}

/// A point in image pixels, y pointing down, origin at the top-left corner.
public struct PixelPoint: Sendable, Equatable {
  public var x, y: Double
  public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A rectangle in image pixels, y pointing down.
public struct PixelRect: Sendable, Equatable {
  public var x, y, width, height: Double
  public init(x: Double, y: Double, width: Double, height: Double) {
    self.x = x; self.y = y; self.width = width; self.height = height
  }
  public var maxX: Double { x + width }
  public var maxY: Double { y + height }
}

/// A line in normalized scene coordinates, drawn `width` pixels wide with depth testing.
public struct SceneLine: Sendable, Equatable {
  public var a, b: Vec3
  public var color: RGBA
  public var width: Double
  /// Grid lines on the back panes are drawn first and covered by the data; axis edges and
  /// ticks are depth-tested against it.
  public var depthTested: Bool = false
}

/// A filled quad in normalized scene coordinates (the back panes of the axes box).
public struct SceneQuad: Sendable, Equatable {
  public var corners: [Vec3]  // 4, in order around the quad
  public var color: RGBA
}

/// A line in image pixels.
public struct OverlayLine: Sendable, Equatable {
  public var a, b: PixelPoint
  public var color: RGBA
  public var width: Double
}

/// A filled triangle in image pixels (bands and shaded spans of 2D panels), drawn before the
/// overlay's lines.
public struct OverlayFill: Sendable, Equatable {
  public var a, b, c: PixelPoint
  public var color: RGBA
  public init(_ a: PixelPoint, _ b: PixelPoint, _ c: PixelPoint, color: RGBA) {
    self.a = a; self.b = b; self.c = c; self.color = color
  }
}

/// One glyph of overlay text: a quad in image pixels with its atlas texture coordinates.
public struct TextGlyph: Sendable, Equatable {
  public var corners: [PixelPoint]  // 4: top-left, top-right, bottom-right, bottom-left of the glyph
  public var uv: [PixelPoint]  // matching atlas coordinates in [0, 1], v from the top row
  public var color: RGBA
}

/// A label that was placed, kept for tests and for the viewer's hit testing.
public struct PlacedLabel: Sendable, Equatable {
  public enum Role: String, Sendable {
    case title, axisTitle, tickLabel, colorBarTitle, colorBarTick, legend, corner
    /// 2D panel figures (`PanelLayoutBuilder`): a panel's title, a series name at its line's
    /// end, a mark's label, a stage's name.
    case panelTitle, seriesLabel, markLabel, stageLabel
  }
  public var role: Role
  public var text: String
  public var bounds: PixelRect
}

/// The colour bar's gradient rectangle.
public struct ColorBarGeometry: Sendable, Equatable {
  public var rect: PixelRect
  public var colormap: Colormap
}

/// Everything needed to draw one frame of a `Scene` at one image size and camera: the 3D
/// decorations, the 2D overlay and the matrices. Pure data: the GL layer draws it as it is,
/// and tests can check it without pixels. Surfaces themselves are camera-independent and are
/// built once per scene (`Scene.mesh(for:)`).
public struct FrameLayout: Sendable {
  public var width: Int
  public var height: Int
  /// Pixels per style unit: 1 at 1280x720, 3 at 3840x2160. Marker sizes and line widths scale by it.
  public var unit: Double
  /// Where the 3D plot is drawn (the GL viewport).
  public var plotRect: PixelRect
  public var view: Mat4
  public var projection: Mat4
  /// Direction towards the key light, in view space.
  public var lightDirection: Vec3
  public var panes: [SceneQuad]
  public var sceneLines: [SceneLine]
  public var overlayLines: [OverlayLine]
  public var glyphs: [TextGlyph]
  public var labels: [PlacedLabel]
  public var colorBar: ColorBarGeometry?
  /// Filled triangles of the overlay (2D panel figures), drawn before `overlayLines`.
  public var overlayFills: [OverlayFill] = []

  /// Projects a normalized scene point to image pixels (nil behind the camera).
  public func project(_ p: Vec3) -> PixelPoint? {
    Self.project(p, viewProjection: projection * view, plotRect: plotRect)
  }

  static func project(_ p: Vec3, viewProjection: Mat4, plotRect: PixelRect) -> PixelPoint? {
    let c = viewProjection.transform(p)
    guard c.w > 1e-9 else { return nil }
    let nx = c.x / c.w, ny = c.y / c.w
    return PixelPoint(
      plotRect.x + (nx + 1) / 2 * plotRect.width, plotRect.y + (1 - ny) / 2 * plotRect.height)
  }
}

/// The look of a figure: sizes are given at 1280x720 and scale with the image.
public struct FigureStyle: Sendable, Equatable {
  public var titleSize = 24.0
  public var axisTitleSize = 16.0
  public var tickLabelSize = 14.0
  /// Text never gets smaller than this many pixels, however small the image.
  public var minimumTextSize = 9.0
  public var textColor = RGBA(0.13, 0.13, 0.15)
  public var paneColor = RGBA(0.945, 0.945, 0.955)
  public var gridColor = RGBA(0.80, 0.80, 0.82)
  public var edgeColor = RGBA(0.35, 0.35, 0.38)
  public var gridWidth = 1.0
  public var edgeWidth = 1.4
  /// Scale and centre the projected axes box to fill the plot area (leaving room for the
  /// labels). Off, the framing is exactly Plotly's for the same camera eye.
  public var fitToView = true
  /// A fixed 2D zoom and shift applied after the projection instead of fitting the box (the
  /// interactive viewer freezes the framing once the user zooms or pans). Nil: fit as above.
  public var fixedFit: Mat4? = nil
  public init() {}

  /// This style on `background`: where light text contrasts more with the background than the
  /// default dark text (WCAG contrast ratio), text, edges, grid and panes of the default style
  /// turn light so that they stay readable; otherwise, or with colours set by the caller, the
  /// style is kept.
  public func adapted(to background: RGBColor) -> FigureStyle {
    let light = FigureStyle()
    func contrast(_ a: Double, _ b: Double) -> Double { (Swift.max(a, b) + 0.05) / (Swift.min(a, b) + 0.05) }
    let bg = background.luminance
    let darkText = RGBColor(r: Double(light.textColor.r), g: Double(light.textColor.g), b: Double(light.textColor.b)).luminance
    let lightText = RGBColor(r: 0.92, g: 0.92, b: 0.94).luminance
    guard contrast(lightText, bg) > contrast(darkText, bg), textColor == light.textColor, edgeColor == light.edgeColor,
      gridColor == light.gridColor, paneColor == light.paneColor
    else { return self }
    var s = self
    s.textColor = RGBA(0.92, 0.92, 0.94)
    s.edgeColor = RGBA(0.72, 0.72, 0.76)
    s.gridColor = RGBA(
      Float(0.7 * background.r + 0.3 * 0.75), Float(0.7 * background.g + 0.3 * 0.75), Float(0.7 * background.b + 0.3 * 0.78))
    s.paneColor = RGBA(
      Float(0.92 * background.r + 0.08), Float(0.92 * background.g + 0.08), Float(0.92 * background.b + 0.08))
    return s
  }
}

extension FigureStyle {
  /// The font colour an export should name on `background`: the light text colour where the
  /// figure's text turns light (`adapted(to:)`), else nil (the viewer's default is right).
  public static func exportTextColor(on background: RGBColor) -> RGBColor? {
    let text = FigureStyle().adapted(to: background).textColor
    guard text != FigureStyle().textColor else { return nil }
    return RGBColor(r: Double(text.r), g: Double(text.g), b: Double(text.b))
  }
}

extension RGBColor {
  /// Relative luminance (WCAG, sRGB), 0 black to 1 white.
  public var luminance: Double {
    func lin(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
  }
}
