import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a file in chunks from a saved position and feeds a `ChunkDecoder`,
/// keeping only the bytes of an incomplete record between calls.
struct FileStream<D: ChunkDecoder> {
  var decoder: D
  /// Bytes read but not yet consumed; `pending[0]` is at file offset `pendingBase`.
  private(set) var pending: [UInt8] = []
  private(set) var pendingBase: Int64 = 0
  static var chunkSize: Int { 1 << 20 }

  init(decoder: D) { self.decoder = decoder }

  /// The file offset up to which bytes have been read.
  var readOffset: Int64 { pendingBase + Int64(pending.count) }

  /// Reads from `fd` at `readOffset` until the end of the file as it is
  /// now, decoding as it goes; returns the number of bytes read.
  @discardableResult
  mutating func readAvailable(fd: Int32, into sink: inout IngestSink) throws -> Int64 {
    var total: Int64 = 0
    var scratch = [UInt8](repeating: 0, count: Self.chunkSize)
    while true {
      let n = scratch.withUnsafeMutableBytes { p in
        pread(fd, p.baseAddress, p.count, off_t(readOffset))
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw IngestError(
          file: decoder.file, message: "cannot read file (\(String(cString: strerror(errno))))")
      }
      if n == 0 { break }
      total += Int64(n)
      try feed(scratch.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<n]) }, atEOF: false, into: &sink)
    }
    return total
  }

  /// Appends bytes and decodes what is complete.
  mutating func feed(_ chunk: UnsafeRawBufferPointer, atEOF: Bool, into sink: inout IngestSink) throws {
    pending.append(contentsOf: chunk)
    let base = pendingBase
    let consumed: Int
    do {
      let bytes = pending
      consumed = try bytes.withUnsafeBytes { p in
        try decoder.decode(p, base: base, atEOF: atEOF, into: &sink)
      }
    }
    if consumed > 0 {
      pending.removeFirst(consumed)
      pendingBase += Int64(consumed)
    }
  }

  /// Signals the end of the file: the decoder reports any incomplete tail.
  mutating func finish(into sink: inout IngestSink) throws {
    try feed(UnsafeRawBufferPointer(start: nil, count: 0), atEOF: true, into: &sink)
  }
}

enum FileAccess {
  /// Opens a file for reading, with the file named in the error.
  static func open(_ path: String) throws -> Int32 {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw IngestError(file: path, message: "no such file or directory")
    }
    if isDirectory.boolValue {
      throw IngestError(file: path, message: "is a directory, expected a file")
    }
    #if canImport(Glibc)
      let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    #else
      let fd = Darwin.open(path, O_RDONLY | O_CLOEXEC)
    #endif
    if fd < 0 {
      throw IngestError(file: path, message: "cannot open file (\(String(cString: strerror(errno))))")
    }
    return fd
  }

  /// (inode, device, size) of an open file.
  static func identity(_ fd: Int32) -> (inode: UInt64, device: UInt64, size: Int64)? {
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    return (UInt64(st.st_ino), UInt64(st.st_dev), Int64(st.st_size))
  }

  static func identity(path: String) -> (inode: UInt64, device: UInt64, size: Int64)? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return (UInt64(st.st_ino), UInt64(st.st_dev), Int64(st.st_size))
  }

  /// Decodes a whole file with `decoder`, reading it in bounded memory;
  /// with `capacity` the sink also keeps at most that many rows (in
  /// `order`), so the whole read is bounded.
  static func decodeWhole<D: ChunkDecoder>(
    path: String, decoder: D, skipBad: Bool, capacity: Int? = nil, order: RowWindow.Order = .file
  ) throws -> IngestSink {
    var sink = IngestSink(skipBad: skipBad, capacity: capacity, order: order)
    try decode(path: path, decoder: decoder, into: &sink)
    return sink
  }

  /// Decodes a whole file with `decoder` into an existing sink.
  static func decode<D: ChunkDecoder>(path: String, decoder: D, into sink: inout IngestSink) throws {
    let fd = try open(path)
    defer { close(fd) }
    var stream = FileStream(decoder: decoder)
    try stream.readAvailable(fd: fd, into: &sink)
    try stream.finish(into: &sink)
  }

  /// The first `n` bytes of a file (fewer if it is shorter).
  static func head(_ path: String, _ n: Int) -> [UInt8] {
    guard let h = FileHandle(forReadingAtPath: path) else { return [] }
    defer { try? h.close() }
    return [UInt8]((try? h.read(upToCount: n)) ?? Data())
  }
}
