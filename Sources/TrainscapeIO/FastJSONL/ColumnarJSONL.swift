import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a whole JSONL metrics file straight into columns, on all cores.
///
/// The file is memory-mapped and cut into chunks at line boundaries (`memchr` finds the
/// newlines: glibc's vectorised scan); each chunk is parsed on its own core into its own
/// `MetricsTable`, and the chunks are appended in file order. Per line, a single-pass parser
/// reads the top-level object: keys are interned once per chunk (a line usually repeats the
/// previous line's keys in the same order, so a key is recognised by comparing its bytes
/// with the key expected at that position, without hashing), numbers are converted with
/// `FastFloat` (Eisel-Lemire), values go into the columns without any per-row dictionary.
///
/// Any line the fast parser does not accept as it is (an escape in a key, a syntax error, a
/// missing step, deep nesting) is parsed again by `JSONLineParser`, the reference parser,
/// which gives exactly the rows, errors, line and column of the streaming reader
/// (`JSONLChunkDecoder`). The result is identical to that reader's for every file (tested
/// differentially on fixtures and random files, with chunk boundaries anywhere).
enum ColumnarJSONL {
  /// What one chunk produced: its rows, how many lines it held, and its problems in order.
  struct ChunkResult {
    enum Problem {
      /// The reference parser's error.
      case bad(JSONLineParser.Failure)
      /// An incomplete last line (a file being written).
      case incomplete
      /// A line longer than the line limit (`--max-memory`): not parsed.
      case tooLong
    }
    var table = MetricsTable()
    var lines = 0
    /// (0-based line within the chunk, problem), in order.
    var events: [(line: Int, problem: Problem)] = []
    /// Values a later value of the same key replaced within one line (a duplicate key, nested
    /// keys that flatten to one name), and the first such (0-based line, key).
    var overwritten = 0
    var firstOverwritten: (line: Int, key: String)?
  }

  /// The whole file's rows, warnings and skipped count, as `FileAccess.decodeWhole` with a
  /// `JSONLChunkDecoder` would give them (it throws the first bad line unless `skipBad`).
  static func read(path: String, skipBad: Bool, lineLimit: Int = JSONLChunkDecoder.defaultLineLimit) throws -> IngestSink {
    var sink = IngestSink(skipBad: skipBad)
    var table = MetricsTable()
    let size = FileAccess.identity(path: path).map { Int($0.size) } ?? 0
    var bytesSeen = 0
    let streamed = try stream(path: path, lineLimit: lineLimit, sink: &sink) { window, done in
      if table.isEmpty && done > 0 && window.rowCount > 0 {
        // Size the columns once from the first window's bytes per row (+2%), so they are not
        // regrown (a regrown column briefly needs twice its memory).
        bytesSeen = done
        table.reserveRows(Int(Double(window.rowCount) * Double(size) / Double(bytesSeen) * 1.02) + 16)
      }
      table.append(contentsOf: window)
    }
    if !streamed {
      // Not mappable (a pipe, /proc): the streaming reader.
      return try FileAccess.decodeWhole(path: path, decoder: JSONLChunkDecoder(file: path, lineLimit: lineLimit), skipBad: skipBad)
    }
    table.seal()
    sink.overwrites.countAdjacent(table)
    sink.table = table
    return sink
  }

  /// The last `capacity` rows of a JSONL file: exactly what the streaming reader keeps in a
  /// `.file` `RowWindow` of that capacity (`--last N`), with the same warnings and errors, read
  /// window by window on all cores. The kept rows are the tail of a table that is cut back to
  /// `capacity` rows whenever it reaches twice that (each row is copied at most once more, so
  /// O(1) amortised), so memory is O(capacity) plus one window whatever the file's size.
  /// Returns the rows dropped before the kept ones; nil, reading nothing, when the file cannot
  /// be mapped.
  static func readLast(
    path: String, skipBad: Bool, capacity: Int, windowBytes: Int = ingestWindowBytes,
    lineLimit: Int = JSONLChunkDecoder.defaultLineLimit
  ) throws -> (sink: IngestSink, dropped: Int)? {
    precondition(capacity >= 1, "capacity must be >= 1")
    var sink = IngestSink(skipBad: skipBad)
    var tail = MetricsTable()
    var dropped = 0
    let streamed = try stream(path: path, windowBytes: windowBytes, lineLimit: lineLimit, sink: &sink) { window, _ in
      if window.rowCount >= capacity {
        // Only this window's rows can be kept.
        dropped += tail.rowCount + window.rowCount - capacity
        tail = window.rowCount == capacity ? window : window.slice((window.rowCount - capacity)..<window.rowCount)
        return
      }
      tail.append(contentsOf: window)
      if tail.rowCount >= 2 * capacity {
        dropped += tail.rowCount - capacity
        tail = tail.slice((tail.rowCount - capacity)..<tail.rowCount)
      }
    }
    guard streamed else { return nil }
    if tail.rowCount > capacity {
      dropped += tail.rowCount - capacity
      tail = tail.slice((tail.rowCount - capacity)..<tail.rowCount)
    }
    tail.seal()
    sink.overwrites.countAdjacent(tail)
    sink.table = tail
    return (sink, dropped)
  }

  /// Reads a JSONL file window by window (about `windowBytes` each, cut at line ends), each
  /// parsed on all cores, and hands each window's rows to `body` in file order. The file is
  /// memory-mapped and each window's pages are released once parsed, so memory is what
  /// `body` keeps plus one window. Problems go to `sink` (the first bad line throws unless
  /// `skipBad`). Returns false, reading nothing, when the file cannot be mapped.
  static func stream(
    path: String, windowBytes: Int = ingestWindowBytes, lineLimit: Int = JSONLChunkDecoder.defaultLineLimit,
    sink: inout IngestSink, _ body: (MetricsTable, Int) throws -> Void
  ) throws -> Bool {
    let fd = try FileAccess.open(path)
    defer { close(fd) }
    guard let id = FileAccess.identity(fd) else {
      throw IngestError(file: path, message: "cannot stat file (\(String(cString: strerror(errno))))")
    }
    let size = Int(id.size)
    if size == 0 { return true }
    let mapped: Void? = try FileAccess.withMapped(fd, size: size) { raw, release in
      try parse(raw.bindMemory(to: UInt8.self), file: path, windowBytes: windowBytes, lineLimit: lineLimit, into: &sink) { table, done in
        try body(table, done.upperBound)
        release(done.upperBound)
      }
    }
    return mapped != nil
  }

  /// Parses a whole file's bytes into `sink.table`.
  static func parse(
    _ all: UnsafeBufferPointer<UInt8>, file: String, chunks requested: Int? = nil, windowBytes: Int = ingestWindowBytes,
    lineLimit: Int = JSONLChunkDecoder.defaultLineLimit, into sink: inout IngestSink
  ) throws {
    var table = MetricsTable()
    try parse(all, file: file, chunks: requested, windowBytes: windowBytes, lineLimit: lineLimit, into: &sink) { t, _ in
      table.append(contentsOf: t)
    }
    table.seal()
    sink.table = table
  }

  /// Parses `all` window by window; `body` gets each window's rows and the byte range done.
  static func parse(
    _ all: UnsafeBufferPointer<UInt8>, file: String, chunks requested: Int? = nil, windowBytes: Int,
    lineLimit: Int = JSONLChunkDecoder.defaultLineLimit,
    into sink: inout IngestSink, _ body: (MetricsTable, Range<Int>) throws -> Void
  ) throws {
    guard let base = all.baseAddress, all.count > 0 else { return }
    var start = 0
    if all.count >= 3, all[0] == 0xEF, all[1] == 0xBB, all[2] == 0xBF { start = 3 }
    let n = all.count
    let cores = ProcessInfo.processInfo.activeProcessorCount
    var lineBase = 1
    while start < n {
      // The window: up to windowBytes, ending just after a newline (or at the end).
      var stop = n
      if n - start > windowBytes, let q = memchr(base + start + windowBytes, 0x0A, n - start - windowBytes) {
        stop = base.distance(to: q.assumingMemoryBound(to: UInt8.self)) + 1
      }
      let want = requested ?? max(1, min(cores * 4, (stop - start) / (1 << 20)))
      // Chunk boundaries: just after a newline at or past each even cut.
      var bounds = [start]
      for c in 1..<max(want, 1) {
        var cut = start + (stop - start) * c / want
        if cut <= bounds.last! { continue }
        guard let q = memchr(base + cut, 0x0A, stop - cut) else { break }
        cut = base.distance(to: q.assumingMemoryBound(to: UInt8.self)) + 1
        if cut > bounds.last! && cut < stop { bounds.append(cut) }
      }
      bounds.append(stop)
      let count = bounds.count - 1
      let finalWindow = stop == n
      var results = [ChunkResult](repeating: ChunkResult(), count: count)
      let src = SharedPointer(base)
      results.withUnsafeMutableBufferPointer { r in
        let out = SharedPointer(r.baseAddress!)
        let b = bounds
        DataParallel.forEach(count) { c in
          out[c] = parseChunk(src.base + b[c], b[c + 1] - b[c], isLast: finalWindow && c == count - 1, lineLimit: lineLimit)
        }
      }
      var table = MetricsTable()
      table.reserveRows(results.reduce(0) { $0 + $1.table.rowCount })
      for i in results.indices {
        for (line, problem) in results[i].events {
          switch problem {
          case .bad(let failure):
            try sink.bad(JSONLError(file: file, line: lineBase + line, column: failure.offset + 1, message: failure.message))
          case .incomplete:
            sink.warnings.append("\(file):\(lineBase + line): ignoring incomplete last line (file still being written?)")
          case .tooLong:
            try sink.bad(
              IngestError(
                file: file, line: lineBase + line,
                message:
                  "more than \(MemoryBudget.format(lineLimit)) without a newline: not a JSONL line (the limit is a quarter of --max-memory; a binary file?)"))
          }
        }
        if let first = results[i].firstOverwritten {
          sink.overwrites.add(.sameRecord, results[i].overwritten, example: "line \(lineBase + first.line), '\(first.key)'")
        }
        if i == 0 {
          table = results[0].table
        } else {
          table.append(contentsOf: results[i].table)
        }
        results[i].table = MetricsTable()
        lineBase += results[i].lines
      }
      results = []
      table.seal()
      try body(table, 0..<stop)
      start = stop
    }
  }

  /// Parses the lines of one chunk (which starts at a line start).
  static func parseChunk(
    _ p: UnsafePointer<UInt8>, _ n: Int, isLast: Bool, lineLimit: Int = JSONLChunkDecoder.defaultLineLimit
  ) -> ChunkResult {
    var result = ChunkResult()
    var parser = LineParser()
    var start = 0
    var line = 0
    while start < n {
      var end = n
      if let q = memchr(p + start, 0x0A, n - start) {
        end = p.distance(to: q.assumingMemoryBound(to: UInt8.self))
      }
      let hasNewline = end < n
      if end - start > lineLimit {
        result.events.append((line, .tooLong))
      } else if !isBlank(p + start, end - start) {
        if !parser.parse(p + start, end - start, into: &result.table) {
          // The reference parser decides: a row, or the exact error (and it counts the values a
          // duplicate key replaced: the fast parser leaves such lines to it).
          do {
            let r = try JSONLineParser.parse(UnsafeBufferPointer(start: p + start, count: end - start))
            result.table.append(MetricRow(step: r.step, values: r.values))
            if r.overwritten > 0 {
              if result.firstOverwritten == nil { result.firstOverwritten = (line, r.firstOverwritten ?? "") }
              result.overwritten += r.overwritten
            }
          } catch {
            if !hasNewline && isLast && error.kind == .syntax {
              result.events.append((line, .incomplete))
            } else {
              result.events.append((line, .bad(error)))
            }
          }
        }
      }
      line += 1
      start = end + 1
    }
    result.lines = line
    return result
  }

  @inline(__always)
  static func isBlank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    for k in 0..<n where !(p[k] == 0x20 || p[k] == 0x09 || p[k] == 0x0D) { return false }
    return true
  }
}
