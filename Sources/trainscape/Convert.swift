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
    return d.description
  }

  /// `number(d)`'s bytes appended to `out`: finite values through `Double.write(to:)`, which
  /// hands its digits to `Bytes._writeASCII` without making a `String`.
  @inline(__always)
  static func append(_ d: Double, to out: inout Bytes) {
    if d.isFinite {
      d.write(to: &out)
    } else {
      out.bytes.append(contentsOf: number(d).utf8)
    }
  }

  /// A byte buffer that Swift's number formatting writes into directly.
  struct Bytes: TextOutputStream {
    var bytes: [UInt8] = []
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
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
        if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
          // Control characters (C1 too: some terminals act on them) as escapes.
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
      Writes one JSON object per run and step: {"run": NAME, "step": N, "<metric>": value, ...}
      (a row with a metric named step, such as a W&B user metric, has its step under _step),
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

  @Flag(help: "Overwrite the output file if it exists (never one of the inputs).")
  var force = false

  @Flag(help: "Keep reading one file while training writes it (JSONL, TensorBoard event file, .wandb) and write each new row as it arrives (to a new output file, or to standard output with -o -). An incomplete last record waits for more bytes; a truncated, replaced or rewritten file is read again from the start. A TensorBoard step is written once the next step starts, so a step flushed in pieces is still one row. Stop with Ctrl-C (or SIGTERM, SIGHUP) or --idle-exit: the rows held back are written and a summary is printed.")
  var follow = false

  @Option(parsing: .unconditional, help: "With --follow: stop after this many seconds without new rows.")
  var idleExit: Double?

  @Option(parsing: .unconditional, help: "With --follow: seconds between reads.")
  var interval: Double = 0.5

  @Option(parsing: .unconditional, help: ArgumentHelp("Most memory one record or JSON document may take: bytes with K, M, G or T (1024-based), or a percentage of the memory. A JSONL line may be a quarter of it.", valueName: "SIZE"))
  var maxMemory: MemoryBudget = .default

  func validate() throws {
    if follow && paths.count != 1 { throw ValidationError("--follow reads exactly one file") }
    if !(interval > 0) { throw ValidationError("--interval must be positive; got \(interval)") }
    if let i = idleExit, !(i >= 0) { throw ValidationError("--idle-exit must be 0 or more seconds; got \(i)") }
  }

  /// One normalised JSONL line per row. A row with a metric named `step` (a W&B user metric
  /// beside `_step`) writes its step as `_step`, which the JSONL reader takes first, and keeps
  /// the metric as `step`.
  static func line(run name: String, _ row: MetricRow, dropped: inout Set<String>) -> String {
    let stepKey = row.values["step"] != nil ? "_step" : "step"
    var text = "{\"run\": \(name), \"\(stepKey)\": \(row.step)"
    for (k, v) in row.values.sorted(by: { $0.key < $1.key }) {
      if k == "run" || k == "_step" {
        dropped.insert(k)
        continue
      }
      text += ", \(JSONText.string(k)): \(JSONText.number(v))"
    }
    return text + "}\n"
  }

  func run() throws {
    // The inputs are known before they are read, so an output that is one of them is refused
    // before any work.
    for p in paths { InputFiles.register(p) }
    if output != "-" { try AtomicFile.check(output, overwrite: force) }
    for path in paths where GridReader.isHDF5(path: path) {
      let surfaces = (try? GridReader.describeH5(path: path).surfaces) ?? []
      let what = surfaces.isEmpty ? "an HDF5 file" : "an HDF5 loss-landscape grid (surfaces: \(surfaces.joined(separator: ", ")))"
      throw CLIError(
        "\(path) is \(what), not training metrics: convert writes metric rows per step and cannot convert a grid. Draw it with `trainscape render loss-landscape \(path)`\(surfaces.isEmpty ? "" : " (--dataset NAME)"), export it with `trainscape export loss-landscape \(path) -o grid.plotly.json`, or list its datasets with `trainscape info \(path)`")
    }
    if follow { return try followFile() }
    var isDirectory: ObjCBool = true
    if paths.count == 1, output != "-",
      FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDirectory), !isDirectory.boolValue,
      (try? format ?? RunLoader.detectFormat(path: paths[0])) == .jsonl
    {
      return try streamJSONL(paths[0])
    }
    let runs = try loadRuns(paths, format: format, skipBad: skipBad, budget: maxMemory)
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
      do {
        try StreamingOutput(path: "-", overwrite: true).write(Array(text.utf8))
      } catch OutputError.closed {
        log.notice("standard output was closed by its reader; stopped writing")
        return
      }
    } else {
      try AtomicFile.write(Array(text.utf8), to: output, overwrite: force)
      print(output)
    }
    log.notice("wrote \(rows) rows of \(runs.count) run(s)")
  }

  /// One JSONL file, streamed: read window by window into columns (all cores), each window's
  /// rows formatted on all cores and written out, so memory stays at about one window
  /// whatever the file's size. Rows of one step that are adjacent are merged (later values
  /// win), across windows too, exactly as the whole-file path does.
  func streamJSONL(_ path: String) throws {
    let name = JSONText.string(RunLoader.runName(file: path, format: .jsonl))
    let file = try StreamingAtomicFile(path: output, overwrite: force)
    var carry = MetricsTable()
    var rows = 0
    var dropped = Set<String>()
    // TRAINSCAPE_JSONL_WINDOW_BYTES: a smaller window, so tests can put window ends anywhere.
    let windowBytes = ProcessInfo.processInfo.environment["TRAINSCAPE_JSONL_WINDOW_BYTES"].flatMap { Int($0) } ?? ingestWindowBytes
    let (warnings, skipped) = try JSONLStreaming.forEachWindow(path: path, skipBad: skipBad, windowBytes: windowBytes) { window in
      var t = carry
      if t.isEmpty { t = window } else { t.append(contentsOf: window); t.seal() }
      // Groups of adjacent rows of one step; the last group waits for the next window.
      var starts: [Int] = []
      starts.reserveCapacity(t.rowCount)
      for i in 0..<t.rowCount where i == 0 || t.steps[i] != t.steps[i - 1] { starts.append(i) }
      guard let lastStart = starts.popLast() else { return }
      carry = t.slice(lastStart..<t.rowCount)
      starts.append(lastStart)
      let (bytes, d) = Self.lines(t, groups: starts, run: name)
      dropped.formUnion(d)
      rows += starts.count - 1
      try file.write(bytes)
    }
    if !carry.isEmpty {
      let (bytes, d) = Self.lines(carry, groups: [0, carry.rowCount], run: name)
      dropped.formUnion(d)
      rows += 1
      try file.write(bytes)
    }
    for w in warnings { log.warning("\(w)") }
    if skipped > 0 { log.notice("\(path): skipped \(skipped) bad record(s) (--skip-bad)") }
    if rows == 0 { throw IngestError(file: path, message: "no metric rows found (read as jsonl)") }
    for k in dropped.sorted() {
      log.warning("dropped the metric '\(k)': the name is taken by the run/step fields of the output")
    }
    try file.commit()
    print(output)
    log.notice("wrote \(rows) rows of 1 run(s)")
  }

  /// The JSONL lines of row groups `groups[g]..<groups[g+1]` of `t` (each group one output
  /// row: a key's last value in the group), formatted on all cores; and the keys dropped.
  static func lines(_ t: MetricsTable, groups: [Int], run name: String) -> (bytes: [UInt8], dropped: Set<String>) {
    let order = t.keys.indices.sorted { t.keys[$0] < t.keys[$1] }
    // As in `line`: a metric named step (a W&B user metric) is kept, and such a row writes
    // its step as _step, which the JSONL reader takes first.
    let dropped = Set(order.map { t.keys[$0] }.filter { $0 == "run" || $0 == "_step" })
    let kept = order.filter { !dropped.contains(t.keys[$0]) }
    // One contiguous buffer of the kept columns and one of the key prefixes, read through raw
    // pointers on every core (no array retained per value).
    let rowCount = t.rowCount
    var flat = [Double]()
    flat.reserveCapacity(kept.count * rowCount)
    for k in kept { flat.append(contentsOf: t.column(at: k)) }
    var prefixBytes: [UInt8] = []
    var prefixEnds = [0]
    for k in kept {
      prefixBytes += Array((", " + JSONText.string(t.keys[k]) + ": ").utf8)
      prefixEnds.append(prefixBytes.count)
    }
    let head = Array("{\"run\": \(name), \"step\": ".utf8)
    let underscoreHead = Array("{\"run\": \(name), \"_step\": ".utf8)
    let stepColumn = kept.firstIndex { t.keys[$0] == "step" }
    let count = groups.count - 1
    guard count > 0 else { return ([], dropped) }
    let pieces = min(count, ProcessInfo.processInfo.activeProcessorCount * 4)
    var parts = [[UInt8]](repeating: [], count: pieces)
    let steps = t.steps
    let width = kept.count
    let ends = prefixEnds
    parts.withUnsafeMutableBufferPointer { buf in
      let out = SharedPointer(buf.baseAddress!)
      flat.withUnsafeBufferPointer { fb in
        prefixBytes.withUnsafeBufferPointer { pb in
          steps.withUnsafeBufferPointer { sb in
            let columns = SharedPointer(fb.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            let prefixes = SharedPointer(pb.baseAddress!)
            let stepAt = SharedPointer(sb.baseAddress!)
            DataParallel.forEach(pieces) { c in
              var text = JSONText.Bytes()
              let lo = count * c / pieces, hi = count * (c + 1) / pieces
              text.bytes.reserveCapacity((hi - lo) * (32 + width * 28))
              for g in lo..<hi {
                let a = groups[g], b = groups[g + 1]
                var userStep = false
                if let sc = stepColumn {
                  for i in a..<b where !MetricsTable.isMissing(columns[sc * rowCount + i]) { userStep = true; break }
                }
                text.bytes.append(contentsOf: userStep ? underscoreHead : head)
                text.bytes.append(contentsOf: stepAt[a].description.utf8)
                for j in 0..<width {
                  let col = columns.base + j * rowCount
                  var v = MetricsTable.missing
                  var i = b - 1
                  while i >= a {
                    if !MetricsTable.isMissing(col[i]) { v = col[i]; break }
                    i -= 1
                  }
                  if MetricsTable.isMissing(v) { continue }
                  text.bytes.append(contentsOf: UnsafeBufferPointer(start: prefixes.base + ends[j], count: ends[j + 1] - ends[j]))
                  JSONText.append(v, to: &text)
                }
                text.bytes.append(UInt8(ascii: "}"))
                text.bytes.append(UInt8(ascii: "\n"))
              }
              out[c] = text.bytes
            }
          }
        }
      }
    }
    var all: [UInt8] = []
    all.reserveCapacity(parts.reduce(0) { $0 + $1.count })
    for p in parts { all.append(contentsOf: p) }
    return (all, dropped)
  }

  /// `--follow`: poll the file and stream rows out as they arrive, until --idle-exit, a
  /// signal (SIGINT, SIGTERM, SIGHUP) or the reader of a pipe going away; then write the rows
  /// held back and a summary.
  func followFile() throws {
    let path = paths[0]
    if format == nil && !FileManager.default.fileExists(atPath: path) {
      throw CLIError("\(path): no such file (give --format jsonl|tensorboard|wandb|table-log to wait for a file that does not exist yet)")
    }
    let detected = try format ?? RunLoader.detectFormat(path: path)
    let follower = try RunFollower(path: path, format: detected, skipBad: skipBad, budget: maxMemory)
    let sink = try StreamingOutput(path: output, overwrite: force)
    let signals = StopSignals()
    var name: String?  // the run's name, fixed at the first row (as convert names it)
    var dropped = Set<String>()
    var lastRows = Date()
    var total = 0
    var notesSeen = 0
    var ending = "idle for \(idleExit.map { "\($0)" } ?? "") s"

    /// Writes rows; false when the reader of the output has gone away.
    func emit(_ rows: [MetricRow]) throws -> Bool {
      guard !rows.isEmpty else { return true }
      let runName = name ?? JSONText.string(follower.displayName)
      name = runName
      var text = ""
      for row in rows { text += Self.line(run: runName, row, dropped: &dropped) }
      do {
        try sink.write(Array(text.utf8))
      } catch OutputError.closed {
        return false
      } catch let e as OutputError {
        throw CLIError("\(e); \(total) rows were written before it, and the output ends with the last whole row")
      }
      total += rows.count
      return true
    }

    loop: while true {
      let rows = try follower.poll()
      for note in follower.notes.dropFirst(notesSeen) { log.notice("\(note)") }
      notesSeen = follower.notes.count
      if !rows.isEmpty {
        lastRows = Date()
        guard try emit(rows) else {
          ending = "the reader of \(output == "-" ? "standard output" : output) has gone away"
          break loop
        }
      } else if let idle = idleExit, Date().timeIntervalSince(lastRows) >= idle {
        break loop
      }
      switch signals.wait(seconds: interval, watching: sink.isPipeOrFIFO ? sink.descriptor : nil) {
      case .signal(let name):
        ending = "stopped by \(name)"
        break loop
      case .outputClosed:
        ending = "the reader of \(output == "-" ? "standard output" : output) has gone away"
        break loop
      case .timeout:
        continue
      }
    }
    // What was held back (the newest TensorBoard step, a last line without its newline).
    let last = try follower.finish()
    for note in follower.notes.dropFirst(notesSeen) { log.notice("\(note)") }
    if !ending.contains("gone away"), !(try emit(last)) {
      ending = "the reader of \(output == "-" ? "standard output" : output) has gone away"
    }
    for w in follower.endWarnings { log.warning("\(w)") }
    for k in dropped.sorted() {
      log.warning("dropped the metric '\(k)': the name is taken by the run/step fields of the output")
    }
    try sink.close()
    log.notice(
      "followed \(path): \(total) rows\(follower.skipped > 0 ? ", \(follower.skipped) bad record(s) skipped" : "")\(follower.restarts > 0 ? ", read again from the start \(follower.restarts) time(s)" : "") (\(ending))")
  }
}

/// Ends `--follow` on SIGINT, SIGTERM or SIGHUP: the signals are caught while it lives (a
/// dispatch source each, which wakes the waiting loop through a pipe), so the loop can write
/// what it holds and a summary before exiting.
final class StopSignals: @unchecked Sendable {
  enum Wake: Equatable {
    case signal(String)
    case outputClosed
    case timeout
  }

  static let names: [Int32: String] = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"]
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let received = Locked<Int32?>(nil)
  private var sources: [any DispatchSourceSignal] = []

  init() {
    var fds: [Int32] = [-1, -1]
    _ = pipe(&fds)
    wakeRead = fds[0]
    wakeWrite = fds[1]
    for s in Self.names.keys.sorted() {
      signal(s, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
      source.setEventHandler { [received, wakeWrite] in
        received.withLock { if $0 == nil { $0 = s } }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
      }
      source.resume()
      sources.append(source)
    }
  }

  deinit {
    for s in sources { s.cancel() }
    for s in Self.names.keys { signal(s, SIG_DFL) }
    close(wakeRead)
    close(wakeWrite)
  }

  /// Waits up to `seconds` for a signal or, when `fd` is a pipe, for its reader to go away.
  func wait(seconds: Double, watching fd: Int32?) -> Wake {
    var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
    if let fd { fds.append(pollfd(fd: fd, events: 0, revents: 0)) }
    let deadline = Date().addingTimeInterval(seconds)
    while true {
      if let s = received.value { return .signal(Self.names[s] ?? "signal \(s)") }
      let left = deadline.timeIntervalSinceNow
      if left <= 0 { return .timeout }
      let n = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000, 1_000_000)) + 1)
      if let s = received.value { return .signal(Self.names[s] ?? "signal \(s)") }
      if n > 0, fds.count > 1, fds[1].revents & Int16(POLLERR | POLLHUP) != 0 { return .outputClosed }
    }
  }
}
