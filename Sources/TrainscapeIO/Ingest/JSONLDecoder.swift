import TrainscapeCore

/// JSONL read line by line with the existing `JSONLineParser`, so that
/// rows, keys and error messages are those of `JSONLReader`.
///
/// A line may be as long as `lineLimit` (from `--max-memory`: a quarter of it, at least 64
/// MiB); a longer run of bytes without a newline is not a JSONL line: an error, or with
/// skipBad a skipped line (its bytes are dropped as they come, never held).
struct JSONLChunkDecoder: ChunkDecoder {
  let file: String
  let lineLimit: Int
  /// The 1-based number of the next line.
  private(set) var line = 1
  /// File offset up to which the current (incomplete) line has been searched for its newline,
  /// so a long line arriving in many chunks is searched once, not once per chunk.
  private var searchedTo: Int64 = 0
  /// Dropping the bytes of an over-long line (skipBad) until its newline.
  private var skippingLine = false

  init(file: String, lineLimit: Int = defaultLineLimit) {
    self.file = file
    self.lineLimit = lineLimit
  }

  /// The line limit for a memory budget: a quarter of it, at least `maxRecordBytes`.
  static func lineLimit(budget: MemoryBudget) -> Int { max(maxRecordBytes, budget.bytes / 4) }
  static var defaultLineLimit: Int { lineLimit(budget: .default) }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let b = bytes.bindMemory(to: UInt8.self)
    let n = b.count
    var start = 0
    if base == 0 && !skippingLine && line == 1 {
      if n < 3 && !atEOF { return 0 }
      if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { start = 3 }
    }
    while start < n {
      var end = n
      let from = max(start, Int(searchedTo - base))
      if from < n, let p = memchr(b.baseAddress! + from, 0x0A, n - from) {
        end = b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
      } else if skippingLine {
        // Still inside the over-long line: drop what came.
        searchedTo = base + Int64(n)
        if atEOF { skippingLine = false }
        return n
      } else if !atEOF {
        searchedTo = base + Int64(n)
        if n - start > lineLimit {
          let error = IngestError(
            file: file, line: line,
            message:
              "more than \(MemoryBudget.format(lineLimit)) without a newline: not a JSONL line (the limit is a quarter of --max-memory; a binary file?)")
          try sink.bad(error)
          skippingLine = true
          searchedTo = base + Int64(n)
          return n
        }
        return start
      }
      let hasNewline = end < n
      if skippingLine {
        // The end of the skipped line.
        skippingLine = false
        line += 1
        start = end + 1
        searchedTo = base + Int64(start)
        continue
      }
      let lineBytes = UnsafeBufferPointer(rebasing: b[start..<end])
      if !lineBytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
        do {
          let r = try JSONLineParser.parse(lineBytes)
          sink.append(MetricRow(step: r.step, values: r.values))
          if r.overwritten > 0 {
            sink.overwrites.add(.sameRecord, r.overwritten, example: "line \(line), '\(r.firstOverwritten ?? "")'")
          }
        } catch {
          if !hasNewline && error.kind == .syntax {
            sink.warnings.append(
              "\(file):\(line): ignoring incomplete last line (file still being written?)")
          } else {
            try sink.bad(
              JSONLError(file: file, line: line, column: error.offset + 1, message: error.message))
          }
        }
      }
      line += 1
      start = hasNewline ? end + 1 : end
      searchedTo = base + Int64(start)
    }
    return start
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
