import Foundation
import TrainscapeCore

/// A numeric array as read from a figure: values row-major and the shape ([n] or [rows, cols]).
struct NumericArray {
  var values: [Double]
  var shape: [Int]
  var rows: Int { shape.count == 2 ? shape[0] : 1 }
  var cols: Int { shape.count == 2 ? shape[1] : shape.first ?? 0 }
}

extension JSONNode {
  /// A plain (possibly nested 2-D) number array or a plotly.js typed array
  /// `{"dtype", "bdata", "shape"}`. null is NaN; numeric strings are numbers (as in Plotly).
  func numericArray() throws -> NumericArray {
    if isObject {
      return try typedArray()
    }
    guard let items = elements else { throw fail("a number array or a typed array {\"dtype\", \"bdata\", \"shape\"}") }
    if items.isEmpty { return NumericArray(values: [], shape: [0]) }
    let nested = items.contains { $0.elements != nil || $0.isObject }
    if !nested {
      return NumericArray(values: try items.map { try $0.scalarNumber() }, shape: [items.count])
    }
    var values: [Double] = []
    var cols = -1
    for row in items {
      let r: [Double]
      if row.isObject {
        r = try row.typedArray().values
      } else {
        guard let cells = row.elements else { throw row.fail("a row (an array of numbers)") }
        r = try cells.map { try $0.scalarNumber() }
      }
      if cols >= 0 && r.count != cols {
        throw ImportError(file: file, path: row.path, message: "expected a row of \(cols) values like the rows before it, found \(r.count)")
      }
      cols = r.count
      values.append(contentsOf: r)
    }
    return NumericArray(values: values, shape: [items.count, cols])
  }

  func scalarNumber() throws -> Double {
    switch value {
    case .number(let d): return d
    case .null: return .nan
    case .string(let s): if let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d } else { return .nan }
    default: throw fail("a number or null")
    }
  }

  func typedArray() throws -> NumericArray {
    guard let dt = self["dtype"]?.string else {
      throw ImportError(file: file, path: path, message: "expected a typed array with \"dtype\" and \"bdata\", found an object without \"dtype\"")
    }
    guard let b64 = self["bdata"]?.string else {
      throw ImportError(file: file, path: path + ".bdata", message: "expected a base64 string")
    }
    guard let raw = Base64.decode(b64.utf8) else {
      throw ImportError(file: file, path: path + ".bdata", message: "expected base64 text, found other characters")
    }
    let names: [String: (String, Int)] = [
      "i1": ("i1", 1), "int8": ("i1", 1), "u1": ("u1", 1), "uint8": ("u1", 1), "u1c": ("u1", 1), "uint8c": ("u1", 1),
      "i2": ("i2", 2), "int16": ("i2", 2), "u2": ("u2", 2), "uint16": ("u2", 2),
      "i4": ("i4", 4), "int32": ("i4", 4), "u4": ("u4", 4), "uint32": ("u4", 4),
      "f4": ("f4", 4), "float32": ("f4", 4), "f8": ("f8", 8), "float64": ("f8", 8),
    ]
    guard let (code, size) = names[dt] else {
      throw ImportError(file: file, path: path + ".dtype", message: "expected one of i1, u1, i2, u2, i4, u4, f4, f8, found \"\(dt)\"")
    }
    guard raw.count % size == 0 else {
      throw ImportError(file: file, path: path + ".bdata", message: "expected a whole number of \(size)-byte \(code) values, found \(raw.count) bytes")
    }
    let n = raw.count / size
    var values = [Double](repeating: 0, count: n)
    raw.withUnsafeBytes { p in
      for k in 0..<n {
        let o = k * size
        switch code {
        case "i1": values[k] = Double(Int8(bitPattern: p[o]))
        case "u1": values[k] = Double(p[o])
        case "i2": values[k] = Double(Int16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int16.self)))
        case "u2": values[k] = Double(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        case "i4": values[k] = Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int32.self)))
        case "u4": values[k] = Double(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        case "f4": values[k] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
        default: values[k] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
        }
      }
    }
    var shape = [n]
    if let s = self["shape"] {
      var parsed: [Int?] = []
      if let text = s.string {
        parsed = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      } else if let e = s.elements {
        // Int(exactly:) is nil for 2.5, 1e300 and the like, which Int(_:) would trap on.
        parsed = e.map { $0.double.flatMap { Int(exactly: $0) } }
      }
      let dims = parsed.compactMap { $0 }
      var product = 1, overflow = false
      for d in dims {
        (product, overflow) = overflow ? (product, true) : product.multipliedReportingOverflow(by: d)
      }
      guard !dims.isEmpty, dims.count == parsed.count, dims.count <= 2, dims.allSatisfy({ $0 >= 0 }), !overflow,
        product == n
      else {
        throw ImportError(file: file, path: path + ".shape", message: "expected \"rows, cols\" matching the \(n) values in bdata, found \(s.string.map { "\"\($0)\"" } ?? s.value.kind)")
      }
      shape = dims
    }
    return NumericArray(values: values, shape: shape)
  }

  /// Colour strings of an array.
  func colorStrings() throws -> [RGBColor] {
    try array("an array of colours").map { try $0.color() }
  }

  func color() throws -> RGBColor {
    guard let s = string else { throw fail("a colour string") }
    guard let c = CSSColor.parse(s) else {
      throw ImportError(file: file, path: path, message: "expected a colour (#rrggbb, rgb(r,g,b), rgba(...), or a CSS name), found \"\(s)\"")
    }
    return c
  }
}

/// CSS colours as Plotly accepts them.
enum CSSColor {
  /// The opacity of a colour: rgba()/hsla()'s fourth component, #rgba or #rrggbbaa; else 1.
  static func alpha(_ text: String) -> Double {
    let s = text.trimmingCharacters(in: .whitespaces).lowercased()
    if s == "transparent" { return 0 }
    if s.hasPrefix("#") {
      let h = s.dropFirst()
      if h.count == 4, let v = Int(String(repeating: h.last!, count: 2), radix: 16) { return Double(v) / 255 }
      if h.count == 8, let v = Int(h.suffix(2), radix: 16) { return Double(v) / 255 }
      return 1
    }
    guard s.hasPrefix("rgb") || s.hasPrefix("hsl"), let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")") else { return 1 }
    let parts = s[s.index(after: open)..<close].split(whereSeparator: { $0 == "," || $0 == " " || $0 == "/" }).map(String.init)
    guard parts.count >= 4 else { return 1 }
    let p = parts[3]
    let a = p.hasSuffix("%") ? Double(p.dropLast()).map { $0 / 100 } : Double(p)
    return Swift.min(Swift.max(a ?? 1, 0), 1)
  }

  static func parse(_ text: String) -> RGBColor? {
    let s = text.trimmingCharacters(in: .whitespaces).lowercased()
    if s.hasPrefix("#") {
      let h = s.dropFirst()
      if h.count == 3 || h.count == 4 {
        let e = h.prefix(3).map { "\($0)\($0)" }.joined()
        return RGBColor(hex: e)
      }
      return RGBColor(hex: String(h.prefix(6)))
    }
    if s.hasPrefix("rgb") || s.hasPrefix("hsl") {
      guard let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")") else { return nil }
      let parts = s[s.index(after: open)..<close].split(whereSeparator: { $0 == "," || $0 == " " || $0 == "/" })
        .map(String.init).filter { !$0.isEmpty }
      guard parts.count >= 3 else { return nil }
      func comp(_ p: String, scale: Double) -> Double? {
        if p.hasSuffix("%") { return Double(p.dropLast()).map { $0 / 100 } }
        return Double(p).map { $0 / scale }
      }
      if s.hasPrefix("hsl") {
        guard let h = Double(parts[0].replacingOccurrences(of: "deg", with: "")), let sat = comp(parts[1], scale: 100),
          let l = comp(parts[2], scale: 100)
        else { return nil }
        let c = (1 - Swift.abs(2 * l - 1)) * sat
        let hp = (h.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let x = c * (1 - Swift.abs(hp.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double) =
          hp < 1 ? (c, x, 0) : hp < 2 ? (x, c, 0) : hp < 3 ? (0, c, x) : hp < 4 ? (0, x, c) : hp < 5 ? (x, 0, c) : (c, 0, x)
        let m = l - c / 2
        return RGBColor(r: r + m, g: g + m, b: b + m)
      }
      guard let r = comp(parts[0], scale: 255), let g = comp(parts[1], scale: 255), let b = comp(parts[2], scale: 255) else { return nil }
      return RGBColor(r: Swift.min(Swift.max(r, 0), 1), g: Swift.min(Swift.max(g, 0), 1), b: Swift.min(Swift.max(b, 0), 1))
    }
    if let hex = names[s] { return RGBColor(hex: hex) }
    return nil
  }

  static let names: [String: String] = [
    "black": "000000", "white": "ffffff", "red": "ff0000", "lime": "00ff00", "green": "008000",
    "blue": "0000ff", "yellow": "ffff00", "cyan": "00ffff", "aqua": "00ffff", "magenta": "ff00ff",
    "fuchsia": "ff00ff", "silver": "c0c0c0", "gray": "808080", "grey": "808080", "maroon": "800000",
    "olive": "808000", "purple": "800080", "teal": "008080", "navy": "000080", "orange": "ffa500",
    "pink": "ffc0cb", "brown": "a52a2a", "gold": "ffd700", "violet": "ee82ee", "indigo": "4b0082",
    "darkblue": "00008b", "darkred": "8b0000", "darkgreen": "006400", "darkgray": "a9a9a9",
    "darkgrey": "a9a9a9", "lightgray": "d3d3d3", "lightgrey": "d3d3d3", "lightblue": "add8e6",
    "lightgreen": "90ee90", "crimson": "dc143c", "coral": "ff7f50", "tomato": "ff6347",
    "salmon": "fa8072", "orangered": "ff4500", "steelblue": "4682b4", "royalblue": "4169e1",
    "skyblue": "87ceeb", "deepskyblue": "00bfff", "dodgerblue": "1e90ff", "turquoise": "40e0d0",
    "seagreen": "2e8b57", "forestgreen": "228b22", "limegreen": "32cd32", "chartreuse": "7fff00",
    "khaki": "f0e68c", "beige": "f5f5dc", "tan": "d2b48c", "chocolate": "d2691e", "sienna": "a0522d",
    "firebrick": "b22222", "orchid": "da70d6", "plum": "dda0dd", "lavender": "e6e6fa",
    "slategray": "708090", "slategrey": "708090", "dimgray": "696969", "dimgrey": "696969",
    "darkorange": "ff8c00", "darkviolet": "9400d3", "deeppink": "ff1493", "hotpink": "ff69b4",
    "midnightblue": "191970", "cornflowerblue": "6495ed", "mediumpurple": "9370db",
    "darkcyan": "008b8b", "lightcoral": "f08080", "whitesmoke": "f5f5f5", "ivory": "fffff0",
    "transparent": "000000",
  ]
}

/// Plotly colour scales -> our colour maps.
enum PlotlyColorscales {
  /// The map a figure's string `colorscale` names. plotly.js's own names (matched exactly, as
  /// plotly.js does) give plotly.js's definition, which is what W&B and plotly.js draw. Other
  /// names plotly.py knows (thermal, ice, "jet", "Jet_r", ...) give plotly.py's scale, with a
  /// note: plotly.py expands them when it writes a figure, but plotly.js given the bare name
  /// would draw its default. Unknown names give `fallback`, with a note.
  static func named(_ name: String, fallback: Colormap = .viridis) -> (Colormap, String?) {
    if let m = Colormap.plotlyJS(name) { return (m, nil) }
    let n = name.trimmingCharacters(in: .whitespaces)
    if let m = Colormap.named(n) ?? Colormap.named(n.lowercased() == "gray" ? "Greys" : n) {
      let note = "Plotly colour scale '\(name)' is not one of plotly.js's names (plotly.js would draw its default); drawn as plotly.py's '\(m.name)'"
      return (m, note)
    }
    return (fallback, "Plotly colour scale '\(name)' is unknown; drawn with the default, '\(fallback.name)'")
  }

  /// A 256-entry table interpolated linearly between explicit `[[t, colour], ...]` stops.
  static func interpolate(_ stops: [(Double, RGBColor)], name: String) -> Colormap {
    let s = stops.sorted { $0.0 < $1.0 }
    var table: [UInt8] = []
    table.reserveCapacity(768)
    for i in 0..<256 {
      let t = Double(i) / 255
      var c = s.last!.1
      if t <= s[0].0 {
        c = s[0].1
      } else {
        for k in 1..<s.count where t <= s[k].0 {
          let (t0, c0) = s[k - 1], (t1, c1) = s[k]
          let f = t1 > t0 ? (t - t0) / (t1 - t0) : 1
          c = RGBColor(r: c0.r + (c1.r - c0.r) * f, g: c0.g + (c1.g - c0.g) * f, b: c0.b + (c1.b - c0.b) * f)
          break
        }
      }
      for v in [c.r, c.g, c.b] { table.append(UInt8((Swift.min(Swift.max(v, 0), 1) * 255).rounded())) }
    }
    // The renderer caches colour-map textures by name, so each distinct table gets its own name.
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in table { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Colormap(name: "\(name)-\(String(h, radix: 16))", table: table)
  }
}
