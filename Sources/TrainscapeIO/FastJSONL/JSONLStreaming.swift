import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A JSONL metrics file read window by window into columns, for commands that stream
/// (`convert`): memory is one window (about 64 MiB of text) plus what the caller keeps.
public enum JSONLStreaming {
  /// Calls `body` with each window's rows, in file order. Returns the read's warnings
  /// (incomplete last line, skipped records) and the number of records skipped; the first
  /// bad line throws unless `skipBad`.
  public static func forEachWindow(
    path: String, skipBad: Bool, windowBytes: Int = 64 << 20, _ body: (MetricsTable) throws -> Void
  ) throws -> (warnings: [String], skipped: Int) {
    var sink = IngestSink(skipBad: skipBad)
    if try !ColumnarJSONL.stream(path: path, windowBytes: max(1, windowBytes), sink: &sink, { t, _ in try body(t) }) {
      let whole = try FileAccess.decodeWhole(path: path, decoder: JSONLChunkDecoder(file: path), skipBad: skipBad)
      try body(MetricsTable(rows: whole.rows))
      return (whole.warnings, whole.skipped)
    }
    return (sink.warnings, sink.skipped)
  }
}

/// A file written in pieces that readers only ever see whole: the pieces go to a temporary
/// file beside it, renamed over the target by `commit()` (rename is atomic on POSIX); a
/// writer dropped without `commit()` removes the temporary file.
public final class StreamingAtomicFile {
  public let path: String
  private let temporary: String
  private var fd: Int32
  private let overwrite: Bool

  public init(path: String, overwrite: Bool) throws {
    self.path = path
    self.overwrite = overwrite
    let fm = FileManager.default
    if !overwrite && fm.fileExists(atPath: path) { throw OutputError.exists(path: path) }
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent()
    if !fm.fileExists(atPath: dir.path) {
      do {
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
      } catch {
        throw OutputError.cannotWrite(path: path, reason: "cannot create directory \(dir.path)")
      }
    }
    temporary = dir.appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 {
      throw OutputError.cannotWrite(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
    }
  }

  /// Appends bytes.
  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { p in
      var off = 0
      while off < p.count {
        #if canImport(Glibc)
          let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
        #else
          let n = Darwin.write(fd, p.baseAddress! + off, p.count - off)
        #endif
        if n < 0 {
          if errno == EINTR { continue }
          throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        off += n
      }
    }
  }

  /// Closes the temporary file and renames it over the target.
  public func commit() throws {
    let r = close(fd)
    fd = -1
    if r != 0 {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
    if !overwrite && FileManager.default.fileExists(atPath: path) {  // appeared meanwhile
      unlink(temporary)
      throw OutputError.exists(path: path)
    }
    if rename(temporary, path) != 0 {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
  }

  deinit {
    if fd >= 0 {
      close(fd)
      unlink(temporary)
    }
  }
}

extension RunLoader {
  /// The name a run read from the metrics file at `path` gets.
  public static func runName(file path: String, format: RunFormat) -> String {
    defaultName(file: path, format: format)
  }
}
