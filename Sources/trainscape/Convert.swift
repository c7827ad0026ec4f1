import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

/// JSON text the way Python's `json.dumps` writes it (NaN, Infinity, -Infinity
/// as bare tokens; shortest round-trip floats).
enum JSONText {
  static func number(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
    return "\(d)"
  }

  static func string(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          out += String(format: "\\u%04x", u.value)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}

struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert metrics in any supported format to normalised JSONL.",
    discussion: """
      Writes one JSON object per run and step: {"run": NAME, "step": N, "<metric>": value, ...},
      metrics sorted by name, NaN and infinities as Python's json writes them. Runs are written in
      the order read, rows in step order as read. The file is written atomically.
      """)

  @Argument(help: "Metrics files or directories.")
  var paths: [String]

  @Option(name: [.short, .customLong("output")], help: "The JSONL file to write.")
  var output: String

  @Option(help: "Read every file as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false

  @Flag(help: "Overwrite the output file if it exists.")
  var force = false

  func run() throws {
    if !force && FileManager.default.fileExists(atPath: output) {
      throw OutputError.exists(path: output)
    }
    let runs = try loadRuns(paths, format: format, skipBad: skipBad)
    var text = ""
    var rows = 0
    var dropped = Set<String>()
    for (run, _) in runs {
      let name = JSONText.string(run.name)
      var buffer = MetricsBuffer()  // merges adjacent rows of one step
      buffer.append(contentsOf: run.rows)
      for row in buffer.rows {
        text += "{\"run\": \(name), \"step\": \(row.step)"
        for (k, v) in row.values.sorted(by: { $0.key < $1.key }) {
          if k == "run" || k == "step" {
            dropped.insert(k)
            continue
          }
          text += ", \(JSONText.string(k)): \(JSONText.number(v))"
        }
        text += "}\n"
        rows += 1
      }
    }
    for k in dropped.sorted() {
      log.warning("dropped the metric '\(k)': the name is taken by the run/step fields of the output")
    }
    try AtomicFile.write(Array(text.utf8), to: output, overwrite: force)
    log.notice("wrote \(rows) rows of \(runs.count) run(s)")
    print(output)
  }
}
