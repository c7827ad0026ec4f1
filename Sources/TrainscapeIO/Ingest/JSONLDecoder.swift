import TrainscapeCore

/// JSONL read line by line with the existing `JSONLineParser`, so that
/// rows, keys and error messages are those of `JSONLReader`.
struct JSONLChunkDecoder: ChunkDecoder {
  let file: String
  /// The 1-based number of the next line.
  private(set) var line = 1

  init(file: String) { self.file = file }

  mutating func decode(
    _ bytes: UnsafeRawBufferPointer, base: Int64, atEOF: Bool, into sink: inout IngestSink
  ) throws -> Int {
    let b = bytes.bindMemory(to: UInt8.self)
    let n = b.count
    var start = 0
    if base == 0 {
      if n < 3 && !atEOF { return 0 }
      if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { start = 3 }
    }
    while start < n {
      var end = n
      if let p = memchr(b.baseAddress! + start, 0x0A, n - start) {
        end = b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
      } else if !atEOF {
        if n - start > maxRecordBytes {
          throw IngestError(
            file: file, line: line,
            message: "line longer than \(maxRecordBytes >> 20) MiB without a newline (not a JSONL file?)")
        }
        return start
      }
      let hasNewline = end < n
      let lineBytes = UnsafeBufferPointer(rebasing: b[start..<end])
      if !lineBytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
        do {
          let (step, values) = try JSONLineParser.parseRow(lineBytes)
          sink.append(MetricRow(step: step, values: values))
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
    }
    return start
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
