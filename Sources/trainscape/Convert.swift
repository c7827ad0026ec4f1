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

  @Option(name: [.short, .customLong("output")], help: "The JSONL file to write, or - for standard output.")
  var output: String

  @Option(help: "Read every file as this format: \(RunFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detect).")
  var format: RunFormat?

  @Flag(help: "Skip corrupt records (counted and reported) instead of failing.")
  var skipBad = false

  @Flag(help: "Overwrite the output file if it exists.")
  var force = false

  @Flag(help: "Keep reading one file while training writes it (JSONL, TensorBoard event file, .wandb) and write each new row as it arrives (appending to the output, or to standard output with -o -). An incomplete last record waits for more bytes; a truncated or replaced file is read again from the start. Stop with Ctrl-C or --idle-exit.")
  var follow = false

  @Option(help: "With --follow: stop after this many seconds without new rows.")
  var idleExit: Double?

  @Option(help: "With --follow: seconds between reads.")
  var interval: Double = 0.5

  func validate() throws {
    if follow && paths.count != 1 { throw ValidationError("--follow reads exactly one file") }
    if !(interval > 0) { throw ValidationError("--interval must be positive") }
  }

  /// One normalised JSONL line per row.
  static func line(run name: String, _ row: MetricRow, dropped: inout Set<String>) -> String {
    var text = "{\"run\": \(name), \"step\": \(row.step)"
    for (k, v) in row.values.sorted(by: { $0.key < $1.key }) {
      if k == "run" || k == "step" {
        dropped.insert(k)
        continue
      }
      text += ", \(JSONText.string(k)): \(JSONText.number(v))"
    }
    return text + "}\n"
  }

  func run() throws {
    if output != "-" && !force && FileManager.default.fileExists(atPath: output) {
      throw OutputError.exists(path: output)
    }
    if follow { return try followFile() }
    let runs = try loadRuns(paths, format: format, skipBad: skipBad)
    var text = ""
    var rows = 0
    var dropped = Set<String>()
    for (run, _) in runs {
      let name = JSONText.string(run.name)
      var buffer = MetricsBuffer()  // merges adjacent rows of one step
      buffer.append(contentsOf: run.rows)
      for row in buffer.rows {
        text += Self.line(run: name, row, dropped: &dropped)
        rows += 1
      }
    }
    for k in dropped.sorted() {
      log.warning("dropped the metric '\(k)': the name is taken by the run/step fields of the output")
    }
    if output == "-" {
      FileHandle.standardOutput.write(Data(text.utf8))
    } else {
      try AtomicFile.write(Array(text.utf8), to: output, overwrite: force)
      print(output)
    }
    log.notice("wrote \(rows) rows of \(runs.count) run(s)")
  }

  /// `--follow`: poll the file and stream rows out as they arrive.
  func followFile() throws {
    let path = paths[0]
    if format == nil && !FileManager.default.fileExists(atPath: path) {
      throw CLIError("\(path): no such file (give --format jsonl|tensorboard|wandb|table-log to wait for a file that does not exist yet)")
    }
    let detected = try format ?? RunLoader.detectFormat(path: path)
    let follower = try RunFollower(path: path, format: detected, skipBad: skipBad)
    let sink: FileHandle
    if output == "-" {
      sink = FileHandle.standardOutput
    } else {
      guard FileManager.default.createFile(atPath: output, contents: nil),
        let h = FileHandle(forWritingAtPath: output)
      else {
        throw OutputError.cannotWrite(path: output, reason: "cannot open for writing")
      }
      sink = h
    }
    let name = JSONText.string(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    var dropped = Set<String>()
    var lastRows = Date()
    var total = 0
    var notesSeen = 0
    while true {
      let rows = try follower.poll()
      for note in follower.notes.dropFirst(notesSeen) { log.notice("\(note)") }
      notesSeen = follower.notes.count
      if !rows.isEmpty {
        var text = ""
        for row in rows { text += Self.line(run: name, row, dropped: &dropped) }
        sink.write(Data(text.utf8))
        total += rows.count
        lastRows = Date()
      } else if let idle = idleExit, Date().timeIntervalSince(lastRows) >= idle {
        break
      }
      Thread.sleep(forTimeInterval: interval)
    }
    if output != "-" { try sink.close() }
    log.notice("followed \(path): \(total) rows\(follower.skipped > 0 ? ", \(follower.skipped) bad record(s) skipped" : "")")
  }
}
