import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The first and the last bytes a stream has read: a followed file whose bytes there changed
/// was rewritten, whatever its size and inode say.
struct StreamFingerprint: Equatable {
  static let size = 4096
  /// The file's first bytes (up to `size`).
  var head: [UInt8] = []
  /// The bytes just before the read position (up to `size`).
  var tail: [UInt8] = []

  mutating func add(_ chunk: UnsafeRawBufferPointer, at offset: Int64) {
    if offset < Int64(Self.size) && head.count == Int(offset) {
      head += chunk.prefix(Self.size - head.count)
    }
    if chunk.count >= Self.size {
      tail = Array(chunk.suffix(Self.size))
    } else {
      tail = Array(tail.suffix(Self.size - chunk.count)) + Array(chunk)
    }
  }
}

/// Reads a file in chunks from a saved position and feeds a `ChunkDecoder`,
/// keeping only the bytes of an incomplete record between calls.
struct FileStream<D: ChunkDecoder> {
  var decoder: D
  /// Bytes read but not yet consumed; `pending[0]` is at file offset `pendingBase`.
  private(set) var pending: [UInt8] = []
  private(set) var pendingBase: Int64 = 0
  /// What was read, to tell a rewritten file from a grown one (`RunFollower`).
  private(set) var fingerprint = StreamFingerprint()
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
        throw IngestError(file: decoder.file, message: "cannot read file (\(errnoText()))")
      }
      if n == 0 { break }
      total += Int64(n)
      let at = readOffset
      try scratch.withUnsafeBytes { all in
        let chunk = UnsafeRawBufferPointer(rebasing: all[0..<n])
        fingerprint.add(chunk, at: at)
        try feed(chunk, atEOF: false, into: &sink)
      }
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
      throw IngestError(file: path, message: "cannot open file (\(errnoText()))")
    }
    InputFiles.register(fd: fd, path: path)
    return fd
  }

  /// (inode, device, size) of an open file.
  /// Calls `body` with the first `size` bytes of open file `fd` memory-mapped (read in order),
  /// and a `release(upTo:)` that drops the pages before that offset from this process (they stay
  /// in the page cache), so a reader that goes window by window holds one window. Nil, calling
  /// nothing, when the file cannot be mapped (a pipe, /proc).
  static func withMapped<R>(
    _ fd: Int32, size: Int, _ body: (UnsafeRawBufferPointer, _ release: (Int) -> Void) throws -> R
  ) rethrows -> R? {
    guard size > 0, let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else { return nil }
    defer { munmap(map, size) }
    #if canImport(Glibc)
      _ = madvise(map, size, MADV_SEQUENTIAL)
    #endif
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    return try body(UnsafeRawBufferPointer(start: map, count: size)) { done in
      let end = done / page * page
      if end > 0 { _ = madvise(map, end, MADV_DONTNEED) }
    }
  }

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

  /// The `count` bytes of an open file at `offset` (fewer where it ends, none on an error).
  static func bytes(_ fd: Int32, at offset: Int64, count: Int) -> [UInt8] {
    guard offset >= 0, count > 0 else { return [] }
    var out = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      done += n
    }
    return Array(out.prefix(done))
  }

  /// The first `n` bytes of a file (fewer if it is shorter; none if it cannot be read).
  static func head(_ path: String, _ n: Int) -> [UInt8] {
    guard let file = try? RawFile.open(path) else { return [] }
    defer { file.close() }
    return (try? file.bytes(at: 0, count: min(n, file.size))) ?? []
  }
}
