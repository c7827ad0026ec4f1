import CPlotlyJS
import Foundation
import TrainscapeCore

/// A standalone HTML page showing the Plotly figure, for `wandb.Html(path)` or a browser.
/// plotly.js is put inside the page (the copy built into the binary, `Assets/plotly/`, or a
/// local file), so the page draws with no network; or loaded from a pinned CDN URL of the same
/// version for a small page.
public enum HTMLExporter {
  /// The bundled plotly.js (`Assets/plotly/plotly.min.js`, as plotly.py 7.1.0 ships it;
  /// `plotly.offline.get_plotlyjs_version()`), also the version the CDN URL names.
  public static let plotlyJSVersion = "4.1.1"
  public static var plotlyJSURL: String { "https://cdn.plot.ly/plotly-\(plotlyJSVersion).min.js" }

  /// plotly.min.js as built into the binary (about 4.8 MB).
  public static var bundledPlotlyJS: [UInt8] {
    var length = 0
    let start = ts_plotly_js(&length)!
    return Array(UnsafeBufferPointer(start: start, count: length))
  }

  /// The version the binary's copy was built from (`Sources/CPlotlyJS`).
  public static var bundledPlotlyJSVersion: String { String(cString: ts_plotly_js_version()) }

  public enum PlotlyJS: Sendable, Equatable {
    case cdn
    /// The text of plotly.min.js, put inside the page.
    case inline([UInt8])
    /// The copy built into the binary, put inside the page.
    public static var bundled: PlotlyJS { .inline(bundledPlotlyJS) }
  }

  /// The page for a figure JSON (as `PlotlyExporter.figure` writes it); plotly.js inside it
  /// unless `plotlyJS` says otherwise.
  public static func page(figureJSON: [UInt8], title: String, plotlyJS: PlotlyJS = .bundled) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(figureJSON.count + 4096)
    func add(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
    add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>\(escapeHTML(title))</title>\n")
    add("<style>html,body{margin:0;height:100%}#figure{width:100vw;height:100vh}</style>\n")
    switch plotlyJS {
    case .cdn:
      add("<script src=\"\(plotlyJSURL)\" charset=\"utf-8\"></script>\n")
    case .inline(let js):
      add("<script type=\"text/javascript\">\n")
      // "</script" inside the library would end the element early.
      out.append(contentsOf: escapeScriptEnd(js))
      add("\n</script>\n")
    }
    add("</head>\n<body>\n<div id=\"figure\"></div>\n<script type=\"text/javascript\">\nconst figure = ")
    // JSONWriter escapes "</" as "<\/" in strings, so the JSON cannot close this element.
    out.append(contentsOf: escapeScriptEnd(figureJSON))
    add(";\nconst layout = Object.assign({}, figure.layout);\ndelete layout.width; delete layout.height; layout.autosize = true;\n")
    add("Plotly.newPlot(\"figure\", figure.data, layout, {responsive: true, displaylogo: false});\n</script>\n</body>\n</html>\n")
    return out
  }

  static func escapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// Replaces "</script" (any case) by "<\/script", harmless in JavaScript strings and regexps.
  static func escapeScriptEnd(_ b: [UInt8]) -> [UInt8] {
    let pat = Array("/script".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: "<"), i + 7 < b.count + 0, i + 1 + pat.count <= b.count,
        zip(b[(i + 1)...].prefix(pat.count), pat).allSatisfy({ $0 | 0x20 == $1 | 0x20 })
      {
        out.append(UInt8(ascii: "<"))
        out.append(UInt8(ascii: "\\"))
        i += 1
        continue
      }
      out.append(b[i])
      i += 1
    }
    return out
  }
}
