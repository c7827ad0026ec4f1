import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A JSONL metrics file read window by window into columns, for commands that stream
/// (`convert`): memory is one window (`ingestWindowBytes` of text) plus what the caller keeps.
public enum JSONLStreaming {
  /// Calls `body` with each window's rows, in file order. Returns the read's warnings
  /// (incomplete last line, skipped records) and the number of records skipped; the first
  /// bad line throws unless `skipBad`.
  public static func forEachWindow(
    path: String, skipBad: Bool, windowBytes: Int = ingestWindowBytes, _ body: (MetricsTable) throws -> Void
  ) throws -> (warnings: [String], skipped: Int) {
    var sink = IngestSink(skipBad: skipBad)
    if try !ColumnarJSONL.stream(path: path, windowBytes: max(1, windowBytes), sink: &sink, { t, _ in try body(t) }) {
      let whole = try FileAccess.decodeWhole(path: path, decoder: JSONLChunkDecoder(file: path), skipBad: skipBad)
      try body(MetricsTable(rows: whole.rows))
      return (whole.warnings, whole.skipped)
    }
    return (sink.warnings + sink.overwrites.warnings(file: path), sink.skipped)
  }
}

/// A file written in pieces that readers only ever see whole: the pieces go to a temporary
/// file beside it, moved into place by `commit()` (rename is atomic on POSIX); a writer dropped
/// without `commit()` removes the temporary file. What may be written where is `OutputTarget`'s
/// rule: a device, FIFO or `/dev/stdout` is written in place (never replaced), a link is
/// followed, an input is never the output.
public final class StreamingAtomicFile {
  public let path: String
  private let target: OutputTarget
  private let overwrite: Bool
  /// The temporary file, for a new or replaced regular file.
  private var temporary: String?
  private var fd: Int32
  private let ownsDescriptor: Bool

  public init(path: String, overwrite: Bool) throws {
    self.path = path
    self.overwrite = overwrite
    target = try OutputTarget.resolve(path, overwrite: overwrite)
    if let note = target.note { AtomicFile.logger.notice("\(note)") }
    switch target.kind {
    case .descriptor(let n):
      fd = n
      ownsDescriptor = false
    case .device:
      fd = open(target.resolved, O_WRONLY | O_CLOEXEC | O_NOCTTY)
      ownsDescriptor = true
      guard fd >= 0 else { throw OutputError.cannotWrite(path: path, reason: errnoText()) }
    case .newFile, .regularFile:
      let (tmp, descriptor) = try AtomicFile.temporaryFile(for: target)
      temporary = tmp
      fd = descriptor
      ownsDescriptor = true
    }
  }

  /// Appends bytes; errors say why in words.
  public func write(_ bytes: [UInt8]) throws {
    try FileDescriptorWriter.writeAll(fd, bytes, path: path)
  }

  /// Closes the temporary file and moves it into place (for a device: closes it).
  public func commit() throws {
    guard ownsDescriptor, fd >= 0 else { return }
    let r = close(fd)
    fd = -1
    if r != 0 {
      let reason = errnoText()
      if let t = temporary { unlink(t) }
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
    if let t = temporary {
      temporary = nil
      try AtomicFile.install(t, at: target, overwrite: overwrite)
    }
  }

  deinit {
    if ownsDescriptor && fd >= 0 { close(fd) }
    if let t = temporary { unlink(t) }
  }
}

extension RunLoader {
  /// The name a run read from the metrics file at `path` gets.
  public static func runName(file path: String, format: RunFormat) -> String {
    defaultName(file: path, format: format)
  }
}
