import Foundation

/// `index.html` of `trainscape summary`: every output of every run on one page that works with
/// no network. PNGs and animations are shown by relative path; each Plotly figure is put inside
/// the page and drawn by the plotly.js built into the binary (inlined once), so the page can be
/// opened from disk or mailed as the folder.
public enum SummaryPage {
  /// One kind of one run: its files (relative to the page) and its figure JSON, if any.
  public struct Entry: Sendable {
    public var run: String
    public var kind: String
    public var keys: String
    public var files: [String]
    public var figureJSON: [UInt8]?

    public init(run: String, kind: String, keys: String, files: [String], figureJSON: [UInt8]?) {
      self.run = run
      self.kind = kind
      self.keys = keys
      self.files = files
      self.figureJSON = figureJSON
    }
  }

  /// A kind a run does not allow, and why.
  public struct Skipped: Sendable {
    public var run: String
    public var kind: String
    public var reason: String

    public init(run: String, kind: String, reason: String) {
      self.run = run
      self.kind = kind
      self.reason = reason
    }
  }

  public static func html(
    title: String, entries: [Entry], skipped: [Skipped], plotlyJS: HTMLExporter.PlotlyJS = .bundled
  ) -> [UInt8] {
    var out: [UInt8] = []
    func add(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
    let esc = HTMLExporter.escapeHTML
    add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>\(esc(title))</title>\n")
    add(
      """
      <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
      h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ddd; margin-top: 1.5em; }
      h3 { font-size: 1em; margin: 0.8em 0 0.3em; }
      .kind { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px; align-items: start; }
      .kind img { width: 100%; border: 1px solid #ddd; }
      .plot { grid-column: span 2; height: 480px; border: 1px solid #ddd; }
      .files, .keys { color: #555; font-size: 12px; }
      .skipped { color: #8a4b00; font-size: 13px; }
      </style>

      """)
    switch plotlyJS {
    case .cdn:
      add("<script src=\"\(HTMLExporter.plotlyJSURL)\" charset=\"utf-8\"></script>\n")
    case .inline(let js):
      add("<script type=\"text/javascript\">\n")
      out.append(contentsOf: HTMLExporter.escapeScriptEnd(js))
      add("\n</script>\n")
    }
    add("</head>\n<body>\n<h1>\(esc(title))</h1>\n")
    add("<p>Every file is listed in <a href=\"manifest.json\">manifest.json</a>. The interactive figures are drawn by plotly.js \(esc(HTMLExporter.plotlyJSVersion)) inside this page (no network).</p>\n")
    var runs: [String] = []
    for r in entries.map(\.run) + skipped.map(\.run) where !runs.contains(r) { runs.append(r) }
    var figures: [(id: String, json: [UInt8])] = []
    for run in runs {
      add("<section>\n<h2>\(esc(run))</h2>\n")
      for e in entries where e.run == run {
        add("<h3>\(esc(e.kind))</h3>\n<div class=\"keys\">\(esc(e.keys))</div>\n<div class=\"kind\">\n")
        for f in e.files {
          let l = f.lowercased()
          if l.hasSuffix(".png") || l.hasSuffix(".gif") {
            add("<a href=\"\(esc(href(f)))\"><img src=\"\(esc(href(f)))\" alt=\"\(esc(run)) \(esc(e.kind))\"></a>\n")
          } else if l.hasSuffix(".mp4") {
            add("<video src=\"\(esc(href(f)))\" controls loop muted></video>\n")
          }
        }
        if let json = e.figureJSON {
          let id = "figure-\(figures.count)"
          figures.append((id, json))
          add("<div class=\"plot\" id=\"\(id)\"></div>\n")
        }
        add("</div>\n<div class=\"files\">")
        add(e.files.map { "<a href=\"\(esc(href($0)))\">\(esc(($0 as NSString).lastPathComponent))</a>" }.joined(separator: " &middot; "))
        add("</div>\n")
      }
      let notDrawn = skipped.filter { $0.run == run }
      if !notDrawn.isEmpty {
        add("<h3>Not drawn</h3>\n<ul class=\"skipped\">\n")
        for s in notDrawn { add("<li><b>\(esc(s.kind))</b>: \(esc(s.reason))</li>\n") }
        add("</ul>\n")
      }
      add("</section>\n")
    }
    add("<script type=\"text/javascript\">\nconst figures = {\n")
    for (i, f) in figures.enumerated() {
      add("\"\(f.id)\": ")
      out.append(contentsOf: HTMLExporter.escapeScriptEnd(f.json))
      add(i + 1 < figures.count ? ",\n" : "\n")
    }
    add(
      """
      };
      for (const [id, figure] of Object.entries(figures)) {
        const layout = Object.assign({}, figure.layout);
        delete layout.width; delete layout.height; layout.autosize = true;
        Plotly.newPlot(id, figure.data, layout, {responsive: true, displaylogo: false});
      }
      </script>
      </body>
      </html>

      """)
    return out
  }

  /// A relative path as a URL path (each component percent-encoded).
  static func href(_ path: String) -> String {
    path.split(separator: "/").map {
      String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
    }.joined(separator: "/")
  }
}
