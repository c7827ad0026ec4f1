import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to standard output and standard error without trapping. `FileHandle.write(_:)`
/// traps when the write fails (a closed pipe, `> /dev/full`); these report it (stdout) or
/// drop it (stderr: there is nowhere left to say it).
public enum StandardStreams {
  /// Writes `text` to standard output, whole; throws `OutputError` (`.closed` when the reader
  /// of a pipe has gone away).
  public static func writeOutput(_ text: String) throws {
    try writeOutput(Array(text.utf8))
  }

  public static func writeOutput(_ bytes: [UInt8]) throws {
    try FileDescriptorWriter.writeAll(1, bytes, path: "standard output")
  }

  /// Writes `text` to standard error with control characters escaped (they may come from
  /// files); a failed write is dropped.
  public static func writeError(_ text: String) {
    let bytes = Array(Escape.controlCharacters(text).utf8)
    bytes.withUnsafeBytes { p in
      var done = 0
      while done < p.count {
        let n = write(2, p.baseAddress! + done, p.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
      }
    }
  }
}
