import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

private let tol = 1.0 / 255 + 1e-9

private func close(_ a: RGBColor, _ b: RGBColor, _ eps: Double = tol) -> Bool {
  abs(a.r - b.r) <= eps && abs(a.g - b.g) <= eps && abs(a.b - b.b) <= eps
}

private func entry(_ map: Colormap, _ i: Int) -> RGBColor {
  RGBColor(
    r: Double(map.table[i * 3]) / 255, g: Double(map.table[i * 3 + 1]) / 255,
    b: Double(map.table[i * 3 + 2]) / 255)
}

/// CIE L* (0...100) of an sRGB colour.
private func lightness(_ c: RGBColor) -> Double {
  func lin(_ v: Double) -> Double { v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
  let y = 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b)
  return y > 216.0 / 24389 ? 116 * cbrt(y) - 16 : y * 24389 / 27
}

@Suite(.tiered) struct ColormapTests {
  @Test func builtInTablesAreComplete() throws {
    #expect(
      Colormap.matplotlibNames
        == ["viridis", "plasma", "inferno", "magma", "cividis", "turbo", "RdYlGn", "coolwarm", "Greys"])
    #expect(Colormap.allNames == Colormap.matplotlibNames + Colormap.plotlyNames)
    for name in Colormap.allNames {
      let map = try #require(Colormap.named(name))
      #expect(map.name == name)
      #expect(map.table.count == 768)
    }
  }

  @Test func endpointsMatchKnownMatplotlibValues() {
    // Well-known first/last entries of matplotlib's maps.
    #expect(Colormap.viridis.color(at: 0).hex == "#440154")
    #expect(Colormap.viridis.color(at: 1).hex == "#fde725")
    #expect(Colormap.plasma.color(at: 0).hex == "#0d0887")
    #expect(Colormap.plasma.color(at: 1).hex == "#f0f921")
    #expect(Colormap.named("Greys")!.color(at: 0) == .white)
    #expect(Colormap.named("Greys")!.color(at: 1) == .black)
    // Clamping outside [0, 1].
    #expect(Colormap.turbo.color(at: -3) == Colormap.turbo.color(at: 0))
    #expect(Colormap.turbo.color(at: 7) == Colormap.turbo.color(at: 1))
    #expect(Colormap.turbo.color(at: .infinity) == Colormap.turbo.color(at: 1))
    #expect(Colormap.turbo.color(at: -.infinity) == Colormap.turbo.color(at: 0))
    // NaN -> documented bad colour.
    #expect(Colormap.viridis.color(at: .nan) == Colormap.badColor)
    #expect(Colormap.badColor == RGBColor(r: 0.5, g: 0.5, b: 0.5))
  }

  @Test func reversedMirrorsTheMap() {
    for name in Colormap.allNames {
      let map = Colormap.named(name)!
      let rev = map.reversed()
      #expect(rev.name == name + "_r")
      #expect(rev.reversed() == map)
      for t in [0.0, 0.1, 0.333, 0.5, 0.9, 1.0] {
        #expect(close(rev.color(at: t), map.color(at: 1 - t), 1e-12), "\(name) t=\(t)")
      }
    }
  }

  @Test func namedLookup() {
    #expect(Colormap.named("VIRIDIS") == Colormap.viridis)
    #expect(Colormap.named("rdylgn") == Colormap.rdylgn)
    #expect(Colormap.rdylgn.name == "RdYlGn")
    #expect(Colormap.named("greys")?.name == "Greys")
    #expect(Colormap.named("viridis_r") == Colormap.viridis.reversed())
    #expect(Colormap.named("RdYlGn_R")?.name == "RdYlGn_r")
    #expect(Colormap.named("jet")?.name == "Jet")
    #expect(Colormap.named("RAINBOW")?.name == "Rainbow")
    #expect(Colormap.named("rdbu_r")?.name == "RdBu_r")
    #expect(Colormap.named("no such map") == nil)
    #expect(Colormap.named("") == nil)
    #expect(Colormap.named("_r") == nil)
    #expect(Colormap.named("viridis_r_r") == nil)
  }

  @Test func hexParsingAndFormatting() {
    #expect(RGBColor(hex: "#ff8000") == RGBColor(r: 1, g: 128.0 / 255, b: 0))
    #expect(RGBColor(hex: "FF8000") == RGBColor(r: 1, g: 128.0 / 255, b: 0))
    #expect(RGBColor(hex: " #0a0B0c\n")?.hex == "#0a0b0c")
    #expect(RGBColor(hex: "#fff") == nil)
    #expect(RGBColor(hex: "#ff80001") == nil)
    #expect(RGBColor(hex: "#gg0000") == nil)
    #expect(RGBColor(hex: "+ff800") == nil)
    #expect(RGBColor(hex: "") == nil)
    #expect(RGBColor.white.hex == "#ffffff")
    #expect(RGBColor.black.hex == "#000000")
    #expect(RGBColor(r: 2, g: -1, b: 0.5).hex == "#ff0080")
    for i in [0, 1, 127, 128, 254, 255] {
      let c = RGBColor(r: Double(i) / 255, g: 0, b: 0)
      #expect(RGBColor(hex: c.hex) == c)
    }
  }

  @Test func interpolatesLinearlyBetweenEntries() {
    let map = Colormap.turbo
    for i in [0, 17, 100, 200, 254] {
      let a = entry(map, i)
      let b = entry(map, i + 1)
      #expect(map.color(at: Double(i) / 255) == a)
      let mid = map.color(at: (Double(i) + 0.25) / 255)
      let want = RGBColor(r: a.r + (b.r - a.r) * 0.25, g: a.g + (b.g - a.g) * 0.25, b: a.b + (b.b - a.b) * 0.25)
      #expect(close(mid, want, 1e-9), "entry \(i)")
    }
    #expect(map.color(at: 1) == entry(map, 255))
  }

  @Test func plotlyColorscale() {
    let scale = Colormap.viridis.plotlyColorscale()
    #expect(scale.count == 11)
    #expect(scale.first!.0 == 0 && scale.first!.1 == "#440154")
    #expect(scale.last!.0 == 1 && scale.last!.1 == "#fde725")
    for (i, stop) in scale.enumerated() {
      #expect(abs(stop.0 - Double(i) / 10) < 1e-12)
      #expect(RGBColor(hex: stop.1) != nil)
    }
    #expect(Colormap.plasma.plotlyColorscale(stops: 2).map(\.0) == [0, 1])
    #expect(Colormap.plasma.plotlyColorscale(stops: 1).count == 2)
  }

  @Test func perceptuallyUniformMapsGetMonotonicallyLighter() {
    for map in [Colormap.viridis, .plasma, .magma, .inferno, .cividis] {
      let l = (0..<256).map { lightness(entry(map, $0)) }
      // 8-bit rounding makes a few neighbouring entries dip by up to ~0.03 L*; allow 0.1.
      for i in 1..<256 { #expect(l[i] > l[i - 1] - 0.1, "\(map.name) entry \(i)") }
      // Over coarser steps the increase is strict and substantial.
      for i in stride(from: 8, to: 256, by: 8) { #expect(l[i] > l[i - 8] + 0.5, "\(map.name) entry \(i)") }
      let samples = (0...64).map { lightness(map.color(at: Double($0) / 64)) }
      for i in 1..<samples.count { #expect(samples[i] > samples[i - 1], "\(map.name) sample \(i)") }
    }
  }

  /// Independent reference: ask matplotlib itself (in the package's .venv) for colours.
  @Test(.tags(.python)) func matchesMatplotlibReference() throws {
    let names = Colormap.matplotlibNames + ["viridis_r", "RdYlGn_r"]
    // t values on the 1/255 grid (where matplotlib's own lookup is exact) and between grid points.
    let ts: [Double] = [0, 0.1234, 0.25, 0.5, 0.77, 1, 37.0 / 255, 200.0 / 255]
    let script = """
      import json, sys
      try:
          import matplotlib
      except ImportError:
          print("NO_MATPLOTLIB"); sys.exit(3)
      names = json.loads(sys.argv[1])
      # float(): matplotlib treats an int argument as a table index, not a position.
      ts = [float(t) for t in json.loads(sys.argv[2])]
      out = {"version": matplotlib.__version__, "maps": {}}
      for n in names:
          c = matplotlib.colormaps[n]
          rows = []
          for t in ts:
              p = t * 255.0
              i0 = min(int(p // 1), 254); f = p - i0
              a = c(i0 / 255.0)[:3]; b = c((i0 + 1) / 255.0)[:3]
              rows.append({"t": t, "raw": [float(v) for v in c(t)[:3]],
                           "interp": [float((1 - f) * x + f * y) for x, y in zip(a, b)]})
          out["maps"][n] = rows
      print(json.dumps(out))
      """
    func json(_ v: Any) throws -> String {
      String(decoding: try JSONSerialization.data(withJSONObject: v), as: UTF8.self)
    }
    let stdout = Data(try Python.run(script, args: [try json(names), try json(ts)]).utf8)
    let root0 = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
    let maps = try #require(root0["maps"] as? [String: [[String: Any]]])
    for name in names {
      let map = try #require(Colormap.named(name), "\(name)")
      let rows = try #require(maps[name])
      #expect(rows.count == ts.count)
      for row in rows {
        let t = try #require(row["t"] as? Double)
        let raw = try #require(row["raw"] as? [Double])
        let interp = try #require(row["interp"] as? [Double])
        let got = map.color(at: t)
        // Between grid points matplotlib looks up the entry below (no interpolation) while
        // Colormap interpolates, so compare with matplotlib's own neighbours interpolated.
        let want = RGBColor(r: interp[0], g: interp[1], b: interp[2])
        #expect(close(got, want), "\(name)(\(t)) = \(got), matplotlib interpolated \(want)")
        if abs(t * 255 - (t * 255).rounded()) < 1e-9 {
          let exact = RGBColor(r: raw[0], g: raw[1], b: raw[2])
          #expect(close(got, exact), "\(name)(\(t)) = \(got), matplotlib \(exact)")
        }
      }
    }
  }

  /// Independent reference: plotly.py itself resolves every name as a figure would
  /// (`colorscale=NAME`, also `NAME_r` and other spellings) and samples it with
  /// `plotly.colors.sample_colorscale`; our tables and lookups must agree within one 8-bit step
  /// (entries are rounded to 8 bits; between entries we interpolate linearly).
  @Test(.tags(.python)) func matchesPlotlyReference() throws {
    let names = Colormap.plotlyNames + ["Rainbow_r", "rainbow", "JET", "rdbu_r", "Thermal"]
    // Every table entry (t = i / 255: rounding only), then points between entries (where a
    // stop inside a cell adds up to about half a step of interpolation error).
    let ts = (0...255).map { Double($0) / 255 } + [0.0123, 0.3333, 0.6789, 0.9001]
    let script = """
      import json, sys
      import plotly.graph_objects as go
      from plotly.colors import sample_colorscale, unlabel_rgb
      names = json.loads(sys.argv[1]); ts = json.loads(sys.argv[2])
      out = {}
      for n in names:
          scale = go.Scatter3d(marker=dict(colorscale=n)).marker.colorscale
          out[n] = [list(unlabel_rgb(c)) for c in sample_colorscale([list(s) for s in scale], ts)]
      print(json.dumps(out))
      """
    func json(_ v: Any) throws -> String {
      String(decoding: try JSONSerialization.data(withJSONObject: v), as: UTF8.self)
    }
    let stdout = Data(try Python.run(script, args: [try json(names), try json(ts)]).utf8)
    let maps = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: [[Double]]])
    #expect(Colormap.plotlyNames.count >= 80)
    for required in ["Greens", "Reds", "Blues", "RdBu", "YlGnBu", "YlOrRd", "Jet", "Hot", "Portland", "Picnic",
      "Earth", "Electric", "Blackbody", "Bluered", "Rainbow", "thermal", "ice", "balance"]
    {
      #expect(Colormap.named(required)?.name == required, "\(required) is missing")
    }
    for name in names {
      let map = try #require(Colormap.named(name), "\(name)")
      let rows = try #require(maps[name])
      for (i, (t, want)) in zip(ts, rows).enumerated() {
        let got = map.color(at: t)
        let w = RGBColor(r: want[0] / 255, g: want[1] / 255, b: want[2] / 255)
        let eps = i < 256 ? 0.5 / 255 + 1e-6 : 1.5 / 255
        #expect(close(got, w, eps), "\(name)(\(t)) = \(got.hex), plotly \(w.hex) \(want)")
      }
    }
  }

  /// Independent reference for plotly.js's own named scales: plotly.py's copy of them
  /// (`_plotly_utils.colors.PLOTLY_SCALES`) sampled with `plotly.colors.sample_colorscale`.
  @Test(.tags(.python)) func matchesPlotlyJSReference() throws {
    let ts = (0...255).map { Double($0) / 255 } + [0.0123, 0.125, 0.3, 0.35, 0.6789, 0.9001]
    let script = """
      import json, sys
      from _plotly_utils.colors import PLOTLY_SCALES
      from plotly.colors import sample_colorscale, unlabel_rgb, convert_colors_to_same_type
      ts = json.loads(sys.argv[1])
      out = {}
      for n, scale in PLOTLY_SCALES.items():
          rgb = [[t, convert_colors_to_same_type([c], colortype="rgb")[0][0]] for t, c in scale]
          out[n] = [list(unlabel_rgb(c)) for c in sample_colorscale(rgb, ts)]
      print(json.dumps(out))
      """
    let arg = String(decoding: try JSONSerialization.data(withJSONObject: ts), as: UTF8.self)
    let stdout = Data(try Python.run(script, args: [arg]).utf8)
    let maps = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: [[Double]]])
    #expect(Set(maps.keys) == Set(Colormap.plotlyJSNames), "plotly.js's names: \(maps.keys.sorted())")
    #expect(Colormap.plotlyJS("jet") == nil, "plotly.js matches names exactly")
    for (name, rows) in maps {
      let map = try #require(Colormap.plotlyJS(name), "\(name)")
      for (i, (t, want)) in zip(ts, rows).enumerated() {
        let got = map.color(at: t)
        let w = RGBColor(r: want[0] / 255, g: want[1] / 255, b: want[2] / 255)
        // sample_colorscale drops the fraction of a channel where we round: one 8-bit step.
        let eps = i < 256 ? 1 / 255 + 1e-6 : 1.5 / 255
        #expect(close(got, w, eps), "\(name)(\(t)) = \(got.hex), plotly.js \(w.hex) \(want)")
      }
    }
  }
}
