// Colour maps sampled from matplotlib and plotly.py's named colour scales (see
// Generated/ColormapTables.swift, Generated/PlotlyColorscales.swift and
// scripts/gen_colormaps.py). Pure Swift, no C imports.

/// An sRGB colour with components in 0...1 (not linearised).
public struct RGBColor: Hashable, Sendable {
  public var r: Double
  public var g: Double
  public var b: Double

  public init(r: Double, g: Double, b: Double) {
    self.r = r
    self.g = g
    self.b = b
  }

  /// Parses `"#rrggbb"` or `"rrggbb"` (hex digits in either case, surrounding whitespace ignored).
  /// Returns nil for anything else (including the 3-digit short form).
  public init?(hex: String) {
    var s = Substring(hex.trimmingWhitespace())
    if s.hasPrefix("#") { s = s.dropFirst() }
    guard s.utf8.count == 6, let v = UInt32(s, radix: 16), s.allSatisfy(\.isHexDigit) else { return nil }
    self.init(
      r: Double((v >> 16) & 0xff) / 255, g: Double((v >> 8) & 0xff) / 255, b: Double(v & 0xff) / 255)
  }

  /// `"#rrggbb"`, lowercase; components are clamped to 0...1 and rounded to the nearest 8-bit value
  /// (NaN counts as 0).
  public var hex: String {
    func byte(_ x: Double) -> Int {
      guard !x.isNaN else { return 0 }
      return Int((min(max(x, 0), 1) * 255).rounded())
    }
    let digits = Array("0123456789abcdef")
    var out = "#"
    for v in [byte(r), byte(g), byte(b)] {
      out.append(digits[v >> 4])
      out.append(digits[v & 0xf])
    }
    return out
  }

  public static let white = RGBColor(r: 1, g: 1, b: 1)
  public static let black = RGBColor(r: 0, g: 0, b: 0)
}

extension String {
  fileprivate func trimmingWhitespace() -> Substring {
    var s = Substring(self)
    while let c = s.first, c.isWhitespace { s.removeFirst() }
    while let c = s.last, c.isWhitespace { s.removeLast() }
    return s
  }
}

/// A 256-entry colour lookup table, identical to matplotlib's `cmap(i / 255)` for i in 0...255
/// (rounded to 8 bits), sampled with linear interpolation between entries.
public struct Colormap: Hashable, Sendable {
  /// Matplotlib's name (e.g. "viridis", "RdYlGn"); reversed maps carry a "_r" suffix.
  public let name: String
  /// 256 * 3 bytes of sRGB: r, g, b, r, g, b, ...
  public let table: [UInt8]

  /// Colour returned by `color(at:)` for NaN input (matplotlib's "bad" colour is transparent,
  /// which an opaque RGB value cannot express): mid grey.
  public static let badColor = RGBColor(r: 0.5, g: 0.5, b: 0.5)

  /// Names of the built-in maps (without "_r" variants): matplotlib's, in table order, then
  /// plotly.py's named colour scales (Rainbow, Jet, RdBu, thermal, ...) alphabetically.
  public static let allNames: [String] = matplotlibNames + plotlyNames
  /// matplotlib's maps (256-entry tables).
  public static let matplotlibNames: [String] = ColormapTables.tables.map { $0.name }
  /// plotly.py's named colour scales that matplotlib's names do not cover.
  public static let plotlyNames: [String] = PlotlyColorscales.scales.map { $0.name }

  /// The matplotlib maps' names, then a short list of plotly's, for messages.
  public static let summary =
    ColormapTables.tables.map { $0.name }.joined(separator: ", ")
    + ", and plotly's named colour scales (Rainbow, Jet, Hot, RdBu, YlGnBu, Portland, thermal, ...; \(PlotlyColorscales.scales.count) of them)"

  /// A built-in map by name, case-insensitive (`"rdylgn"` finds "RdYlGn", `"rainbow"` plotly's
  /// Rainbow). A "_r" suffix returns the reversed map, as in matplotlib and plotly. Names both
  /// libraries have (viridis, turbo, RdYlGn, ...) give matplotlib's full 256-entry table, of
  /// which plotly's is a sampling. Nil for unknown names.
  public static func named(_ name: String) -> Colormap? {
    let lower = name.lowercased()
    if let entry = ColormapTables.tables.first(where: { $0.name.lowercased() == lower }) {
      return Colormap(name: entry.name, table: entry.rgb)
    }
    if let entry = PlotlyColorscales.scales.first(where: { $0.name.lowercased() == lower }) {
      return Colormap(name: entry.name, table: sampledTable(stops: entry.stops))
    }
    if lower.hasSuffix("_r"), let base = named(String(name.dropLast(2))), !base.name.hasSuffix("_r") {
      return base.reversed()
    }
    return nil
  }

  /// plotly.js's own named scales (Greys, YlGnBu, Greens, YlOrRd, Bluered, RdBu, Reds, Blues,
  /// Picnic, Rainbow, Portland, Jet, Hot, Blackbody, Earth, Electric, Viridis, Cividis), in
  /// plotly.js's order.
  public static let plotlyJSNames: [String] = PlotlyColorscales.plotlyJS.map { $0.name }

  /// The scale plotly.js draws for `colorscale: NAME` in a figure: its own definition, which for
  /// several names differs from plotly.py's (plotly.js's Greens runs dark to light, its Jet and
  /// Rainbow have other stops, its Reds, Blues, RdBu and Earth are other scales). The name is
  /// matched exactly, as plotly.js does; nil for names plotly.js does not know.
  public static func plotlyJS(_ name: String) -> Colormap? {
    guard let entry = PlotlyColorscales.plotlyJS.first(where: { $0.name == name }) else { return nil }
    return Colormap(name: entry.name, table: sampledTable(stops: entry.stops))
  }

  /// 256 entries sampled from a plotly colour scale's stops (t, r, g, b with r, g, b in
  /// 0...255): entry i is the linear interpolation at t = i / 255, rounded half up (as
  /// plotly.colors.sample_colorscale, then rounded to 8 bits).
  static func sampledTable(stops: [Double]) -> [UInt8] {
    let count = stops.count / 4
    var table = [UInt8](repeating: 0, count: 768)
    var segment = 0
    for i in 0..<256 {
      let t = Double(i) / 255
      while segment < count - 2 && t > stops[(segment + 1) * 4] { segment += 1 }
      let t0 = stops[segment * 4], t1 = stops[(segment + 1) * 4]
      let f = t1 > t0 ? min(max((t - t0) / (t1 - t0), 0), 1) : 0
      for c in 0..<3 {
        let a = stops[segment * 4 + 1 + c], b = stops[(segment + 1) * 4 + 1 + c]
        table[i * 3 + c] = UInt8(min(max((a + (b - a) * f + 0.5).rounded(.down), 0), 255))
      }
    }
    return table
  }

  private static func builtin(_ name: String) -> Colormap {
    guard let map = named(name) else { preconditionFailure("missing built-in colormap \(name)") }
    return map
  }

  public static let viridis = builtin("viridis")
  public static let plasma = builtin("plasma")
  public static let inferno = builtin("inferno")
  public static let magma = builtin("magma")
  public static let cividis = builtin("cividis")
  public static let turbo = builtin("turbo")
  public static let rdylgn = builtin("RdYlGn")
  public static let coolwarm = builtin("coolwarm")
  public static let greys = builtin("Greys")

  /// A custom map. `table` must hold 256 * 3 bytes.
  public init(name: String, table: [UInt8]) {
    precondition(table.count == 256 * 3, "Colormap table must have 768 bytes, got \(table.count)")
    self.name = name
    self.table = table
  }

  /// Colour at `t`: clamped to [0, 1], entry i sits at t = i / 255 and values in between are
  /// linearly interpolated (in sRGB, as matplotlib's table would be). NaN gives `badColor`.
  public func color(at t: Double) -> RGBColor {
    if t.isNaN { return Colormap.badColor }
    let p = min(max(t, 0), 1) * 255
    let i0 = min(Int(p.rounded(.down)), 254)
    let f = p - Double(i0)
    func channel(_ c: Int) -> Double {
      let a = Double(table[i0 * 3 + c])
      let b = Double(table[(i0 + 1) * 3 + c])
      return (a + (b - a) * f) / 255
    }
    return RGBColor(r: channel(0), g: channel(1), b: channel(2))
  }

  /// The same map running from 1 to 0. Name gains (or loses) a "_r" suffix.
  public func reversed() -> Colormap {
    var rev = [UInt8]()
    rev.reserveCapacity(table.count)
    for i in stride(from: 255, through: 0, by: -1) {
      rev.append(contentsOf: table[(i * 3)..<(i * 3 + 3)])
    }
    let newName = name.hasSuffix("_r") ? String(name.dropLast(2)) : name + "_r"
    return Colormap(name: newName, table: rev)
  }

  /// Plotly colorscale form: [[t, "#rrggbb"], ...] with `count` evenly spaced stops from 0 to 1
  /// (default 11; values below 2 are treated as 2, since Plotly needs both ends).
  public func plotlyColorscale(stops count: Int = 11) -> [(Double, String)] {
    let n = max(count, 2)
    return (0..<n).map { i in
      let t = i == n - 1 ? 1.0 : Double(i) / Double(n - 1)
      return (t, color(at: t).hex)
    }
  }
}
