import Foundation
import TrainscapeCore

/// A standalone HTML page showing the Plotly figure, for `wandb.Html(path)` or a browser.
/// plotly.js is loaded from a pinned CDN URL (the version plotly.py 7.1.0 bundles), or inlined
/// from a local copy so the page works offline.
public enum HTMLExporter {
  /// plotly.js as bundled with plotly.py 7.1.0 (`plotly.offline.get_plotlyjs_version()`).
  public static let plotlyJSVersion = "4.1.1"
  public static var plotlyJSURL: String { "https://cdn.plot.ly/plotly-\(plotlyJSVersion).min.js" }

  public enum PlotlyJS: Sendable, Equatable {
    case cdn
    /// The text of plotly.min.js, put inside the page.
    case inline([UInt8])
  }

  /// The page for a figure JSON (as `PlotlyExporter.figure` writes it).
  public static func page(figureJSON: [UInt8], title: String, plotlyJS: PlotlyJS = .cdn) -> [UInt8] {
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
