import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only file descriptor with positioned reads, for readers that fetch
/// parts of a file on demand. Not shared between threads; close it when done.
struct RawFile {
  let path: String
  let fd: Int32
  let size: Int

  static func open(_ path: String) throws -> RawFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ArrayFileError(file: path, offset: nil, message: "no such file")
    }
    if isDirectory.boolValue {
      throw ArrayFileError(file: path, offset: nil, message: "is a directory, expected a file")
    }
    let fd = systemOpen(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ArrayFileError(file: path, offset: nil, message: "cannot open file (\(errnoText()))")
    }
    InputFiles.register(fd: fd, path: path)
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let reason = errnoText()
      _ = systemClose(fd)
      throw ArrayFileError(file: path, offset: nil, message: "cannot stat file (\(reason))")
    }
    return RawFile(path: path, fd: fd, size: Int(st.st_size))
  }

  func close() { _ = systemClose(fd) }

  /// Fills `buffer` with the bytes at `offset`; a file that ends early (it
  /// shrank since it was opened) is an error naming where it ended.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    var done = 0
    while done < buffer.count {
      let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if n < 0 {
        if errno == EINTR { continue }
        throw ArrayFileError(
          file: path, offset: offset + done,
          message: "read failed (\(errnoText()))")
      }
      if n == 0 {
        throw ArrayFileError(
          file: path, offset: offset + done,
          message: "file ended early: expected \(buffer.count) bytes from byte \(offset)")
      }
      done += n
    }
  }

  /// A whole file read at once (a JSON document, a grid), registered as an input. With a
  /// `budget`, a file whose bytes times `factor` (what is built from them, e.g. a JSON tree) are
  /// over it is refused before it is read.
  static func readAll(_ path: String, budget: MemoryBudget? = nil, factor: Int = 1, what: String = "the file")
    throws -> [UInt8]
  {
    let file = try open(path)
    defer { file.close() }
    if let budget {
      try budget.check(
        MemoryBudget.product([file.size, factor]),
        for: "\(what) (\(MemoryBudget.format(file.size)) on disk, about \(factor) bytes in memory per byte)",
        file: path)
    }
    // A file still growing (a log being written) is read up to where it ended when opened.
    var out = [UInt8](repeating: 0, count: file.size)
    var done = 0
    try out.withUnsafeMutableBytes { buffer in
      while done < buffer.count {
        let n = pread(file.fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
        if n < 0 {
          if errno == EINTR { continue }
          throw ArrayFileError(file: path, offset: done, message: "read failed (\(errnoText()))")
        }
        if n == 0 { break }
        done += n
      }
    }
    if done < out.count { out.removeLast(out.count - done) }
    return out
  }

  /// The `count` bytes at `offset` (the caller has checked `count` against
  /// the file size).
  func bytes(at offset: Int, count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    try out.withUnsafeMutableBytes { try read(into: $0, at: offset) }
    return out
  }
}

#if canImport(Glibc)
  private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { Glibc.open(path, flags) }
  private func systemClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
#else
  private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { Darwin.open(path, flags) }
  private func systemClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
#endif
