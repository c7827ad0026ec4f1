import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why an output was not written.
public enum OutputError: Error, CustomStringConvertible, Equatable {
  /// Something is there already and `--force` was not given.
  case exists(path: String)
  /// The write failed; `reason` says why (with the system's reason in words).
  case cannotWrite(path: String, reason: String)
  /// The output is one of the files being read (same device and inode): never overwritten.
  case isInput(path: String, input: String)
  /// What is at the path must not be replaced or written: a directory, a block device, a
  /// socket, a symbolic link to nothing.
  case refused(path: String, reason: String)
  /// The reader of a pipe (or FIFO, or socket) has gone away (`| head -1` exited): not a
  /// failure of the writer, the output is simply not wanted any more.
  case closed(path: String)

  public var description: String {
    switch self {
    case .exists(let path):
      return "\(path) already exists; pass --force to overwrite it"
    case .cannotWrite(let path, let reason):
      return "\(path): cannot write: \(reason)"
    case .isInput(let path, let input):
      let same = path == input ? "is one of the inputs" : "is the input \(input)"
      return "\(path) \(same); an input is never overwritten, even with --force: choose another output"
    case .refused(let path, let reason):
      return "\(path): \(reason)"
    case .closed(let path):
      return "\(path): the reader has closed it (Broken pipe)"
    }
  }
}

/// What an output path leads to, and how it is written. Every output of Trainscape goes through
/// here (`AtomicFile` for whole files, `StreamingOutput` for rows written as they come):
///
/// - nothing there: a new file (its folder is created when missing);
/// - a regular file: replaced atomically, only with `--force` (overwrite), keeping its
///   permissions;
/// - a character device or a FIFO (`/dev/null`, a terminal, a named pipe): written directly,
///   never replaced, no `--force` needed;
/// - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: written to that descriptor
///   (so `-o /dev/stdout > file` writes the shell's file, not a file replacing it);
/// - a symbolic link: what it points at, by these rules; a link out of its own folder is said
///   on stderr; a link to nothing is refused (it would create a file wherever it points);
/// - a directory, a block device or a socket: refused;
/// - one of the inputs (`InputFiles`: same device and inode, through any link): refused, even
///   with `--force`.
public struct OutputTarget: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Nothing at the path: created atomically.
    case newFile
    /// A regular file: replaced atomically (`overwrite` only).
    case regularFile
    /// A character device or FIFO: opened and written, never replaced.
    case device
    /// An open descriptor of this process (`/dev/stdout`).
    case descriptor(Int32)
  }

  /// The path as given.
  public var path: String
  /// Where the bytes go: `path` with symbolic links followed.
  public var resolved: String
  public var kind: Kind
  /// Said on stderr when writing: the path is a symbolic link out of its folder.
  public var note: String?
  /// The permission bits of the regular file replaced.
  var mode: mode_t?

  /// Looks at what is at `path` and decides how an output is written there, or throws
  /// `OutputError` when it must not be: before any long work, so a render does not run only to
  /// be refused at the end. The write checks again.
  public static func resolve(_ path: String, overwrite: Bool) throws -> OutputTarget {
    if path.isEmpty { throw OutputError.refused(path: path, reason: "an empty output path") }
    if let fd = descriptorNumber(path) {
      try checkNotInput(fd: fd, path: path)
      return OutputTarget(path: path, resolved: path, kind: .descriptor(fd))
    }
    var st = stat()
    var resolved = path
    var note: String?
    if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
      guard let real = realPath(path) else {
        let dest = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
        throw OutputError.refused(
          path: path,
          reason: "is a symbolic link to \(dest), which does not exist; refusing to create a file through it (remove the link or choose another output)")
      }
      let linkFolder = realPath(directory(of: path)) ?? directory(of: path)
      if directory(of: real) != linkFolder {
        note = "\(path) is a symbolic link to \(real), outside \(linkFolder); writing there"
      }
      resolved = real
    }
    guard lstat(resolved, &st) == 0 else {
      let e = errno
      if e == ENOENT { return OutputTarget(path: path, resolved: resolved, kind: .newFile, note: note) }
      throw OutputError.cannotWrite(path: path, reason: errnoText(e))
    }
    let id = FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    if let input = InputFiles.input(identity: id) { throw OutputError.isInput(path: path, input: input) }
    switch st.st_mode & S_IFMT {
    case S_IFREG:
      guard overwrite else { throw OutputError.exists(path: path) }
      return OutputTarget(path: path, resolved: resolved, kind: .regularFile, note: note, mode: st.st_mode & 0o7777)
    case S_IFCHR, S_IFIFO:
      return OutputTarget(path: path, resolved: resolved, kind: .device, note: note)
    case S_IFDIR:
      throw OutputError.refused(
        path: path, reason: "is a directory; give a file name inside it (e.g. \(path.hasSuffix("/") ? path : path + "/")NAME)")
    case S_IFBLK:
      throw OutputError.refused(path: path, reason: "is a block device; refusing to write to it")
    case S_IFSOCK:
      throw OutputError.refused(path: path, reason: "is a socket; refusing to write to it")
    default:
      throw OutputError.refused(path: path, reason: "is not a regular file; refusing to write to it")
    }
  }

  /// The descriptor that `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names,
  /// when it is open.
  static func descriptorNumber(_ path: String) -> Int32? {
    let n: Int32?
    switch path {
    case "/dev/stdout": n = 1
    case "/dev/stderr": n = 2
    default:
      let prefixes = ["/dev/fd/", "/proc/self/fd/"]
      guard let p = prefixes.first(where: { path.hasPrefix($0) }) else { return nil }
      n = Int32(path.dropFirst(p.count))
    }
    guard let fd = n, fd >= 0, fcntl(fd, F_GETFD) != -1 else { return nil }
    return fd
  }

  /// Refuses a descriptor that is open on one of the inputs (`-o - >> input.jsonl`).
  static func checkNotInput(fd: Int32, path: String) throws {
    guard let id = FileIdentity(fd: fd), let input = InputFiles.input(identity: id) else { return }
    throw OutputError.isInput(path: path == "-" ? "standard output" : path, input: input)
  }

  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  static func directory(of path: String) -> String {
    let d = (path as NSString).deletingLastPathComponent
    return d.isEmpty ? "." : d
  }
}

/// Writes whole files so that a reader never sees half a file and a failed write leaves the
/// previous file as it was: the bytes go to a temporary file in the same folder, which is then
/// renamed over the target (atomic on POSIX). What may be written where: `OutputTarget`.
public enum AtomicFile {
  /// Notes go through swift-log, so they read as the command's own (made per use: the command
  /// bootstraps logging when it starts).
  static var logger: Logger { Logger(label: "trainscape") }

  /// Throws `OutputError` unless an output may be written at `path` (see `OutputTarget`): call
  /// it before long work so that it is refused first.
  public static func check(_ path: String, overwrite: Bool) throws {
    _ = try OutputTarget.resolve(path, overwrite: overwrite)
  }

  /// Writes `bytes` to `path`. Without `overwrite` an existing file is never replaced (even one
  /// that appears meanwhile: the new file is linked into place, which fails if the name is
  /// taken). Errors carry the system's reason in words ("No space left on device").
  public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool = false) throws {
    let target = try OutputTarget.resolve(path, overwrite: overwrite)
    if let note = target.note { logger.notice("\(note)") }
    switch target.kind {
    case .descriptor(let fd):
      try FileDescriptorWriter.writeAll(fd, bytes, path: path)
    case .device:
      let fd = open(target.resolved, O_WRONLY | O_CLOEXEC | O_NOCTTY)
      guard fd >= 0 else { throw OutputError.cannotWrite(path: path, reason: errnoText()) }
      defer { close(fd) }
      try FileDescriptorWriter.writeAll(fd, bytes, path: path)
    case .newFile, .regularFile:
      try replace(target, with: bytes, overwrite: overwrite)
    }
  }

  private static func replace(_ target: OutputTarget, with bytes: [UInt8], overwrite: Bool) throws {
    let path = target.path
    let (tmp, fd) = try temporaryFile(for: target)
    do {
      try FileDescriptorWriter.writeAll(fd, bytes, path: path)
    } catch {
      close(fd)
      unlink(tmp)
      throw error
    }
    if close(fd) != 0 {
      let reason = errnoText()
      unlink(tmp)
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
    try install(tmp, at: target, overwrite: overwrite)
  }

  /// Creates a temporary file beside `target` (mode of the file it replaces); returns its path
  /// and descriptor.
  static func temporaryFile(for target: OutputTarget) throws -> (path: String, fd: Int32) {
    let dir = OutputTarget.directory(of: target.resolved)
    try makeDirectories(dir, for: target.path)
    let name = (target.resolved as NSString).lastPathComponent
    let tmp = "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      throw OutputError.cannotWrite(path: target.path, reason: "cannot create a temporary file in \(dir): \(errnoText())")
    }
    if let mode = target.mode { _ = fchmod(fd, mode) }
    return (tmp, fd)
  }

  /// Moves the written, closed temporary file `tmp` into place: linked (so a name taken
  /// meanwhile is never replaced) when nothing may be overwritten, else renamed over the file.
  /// The temporary file is gone afterwards, whatever happens.
  static func install(_ tmp: String, at target: OutputTarget, overwrite: Bool) throws {
    let path = target.path
    if target.kind == .newFile && !overwrite {
      if link(tmp, target.resolved) == 0 {
        unlink(tmp)
        return
      }
      let e = errno
      if e == EEXIST {
        unlink(tmp)
        throw OutputError.exists(path: path)
      }
      // File systems without hard links: check, then rename.
      var st = stat()
      if lstat(target.resolved, &st) == 0 {
        unlink(tmp)
        throw OutputError.exists(path: path)
      }
    }
    if rename(tmp, target.resolved) != 0 {
      let reason = errnoText()
      unlink(tmp)
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
  }

  /// Creates `dir` and its missing parents, with the reason in words when it cannot.
  static func makeDirectories(_ dir: String, for path: String) throws {
    var st = stat()
    if stat(dir, &st) == 0 {
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        throw OutputError.cannotWrite(path: path, reason: "\(dir) is not a directory")
      }
      return
    }
    let parent = OutputTarget.directory(of: dir)
    if parent != dir { try makeDirectories(parent, for: path) }
    if mkdir(dir, 0o777) != 0 && errno != EEXIST {
      throw OutputError.cannotWrite(path: path, reason: "cannot create directory \(dir): \(errnoText())")
    }
  }
}

/// `write(2)` until every byte is written, retrying after signals; errors in words.
enum FileDescriptorWriter {
  static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    try bytes.withUnsafeBytes { p in
      var done = 0
      while done < p.count {
        let n = posixWrite(fd, p.baseAddress! + done, p.count - done)
        if n < 0 {
          let e = errno
          if e == EINTR { continue }
          if e == EPIPE { throw OutputError.closed(path: path) }
          throw OutputError.cannotWrite(path: path, reason: errnoText(e))
        }
        if n == 0 { throw OutputError.cannotWrite(path: path, reason: "the system wrote nothing (device full?)") }
        done += n
      }
    }
  }
}

/// An output written piece by piece as rows come (`convert --follow`, `convert -o -`): a new
/// or `--force`d regular file, a device or FIFO, or standard output (`-`), by the rules of
/// `OutputTarget`. A write is whole or not at all in a regular file: when one fails (a full
/// disk) the file is cut back to the end of the previous write, so it never ends in half a
/// row. Use from one thread.
public final class StreamingOutput {
  /// The path as given ("-" for standard output).
  public let path: String
  private let fd: Int32
  private let ownsDescriptor: Bool
  private let isRegularFile: Bool
  private let isPipe: Bool
  private var closed = false
  /// Bytes written so far.
  public private(set) var written: Int64 = 0

  /// Opens `path` for writing ("-": standard output).
  public init(path: String, overwrite: Bool) throws {
    self.path = path
    if path == "-" {
      try OutputTarget.checkNotInput(fd: 1, path: "-")
      fd = 1
      ownsDescriptor = false
    } else {
      let target = try OutputTarget.resolve(path, overwrite: overwrite)
      if let note = target.note { AtomicFile.logger.notice("\(note)") }
      switch target.kind {
      case .descriptor(let n):
        fd = n
        ownsDescriptor = false
      case .device:
        fd = open(target.resolved, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        ownsDescriptor = true
      case .newFile:
        try AtomicFile.makeDirectories(OutputTarget.directory(of: target.resolved), for: path)
        fd = open(target.resolved, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        ownsDescriptor = true
        if fd < 0 && errno == EEXIST { throw OutputError.exists(path: path) }
      case .regularFile:
        fd = open(target.resolved, O_WRONLY | O_TRUNC | O_CLOEXEC)
        ownsDescriptor = true
      }
      guard fd >= 0 else { throw OutputError.cannotWrite(path: path, reason: errnoText()) }
    }
    var st = stat()
    let type = fstat(fd, &st) == 0 ? st.st_mode & S_IFMT : 0
    isRegularFile = type == S_IFREG
    isPipe = type == S_IFIFO || type == S_IFSOCK
    if isRegularFile { written = Int64(lseek(fd, 0, SEEK_CUR)) }
  }

  deinit {
    if ownsDescriptor && !closed { _ = posixClose(fd) }
  }

  /// Writes all of `bytes`, or (in a regular file) nothing: a failed write is undone.
  public func write(_ bytes: [UInt8]) throws {
    do {
      try FileDescriptorWriter.writeAll(fd, bytes, path: path == "-" ? "standard output" : path)
      written += Int64(bytes.count)
    } catch {
      if isRegularFile {
        _ = ftruncate(fd, off_t(written))
        _ = lseek(fd, off_t(written), SEEK_SET)
      }
      throw error
    }
  }

  /// Whether this is a pipe (or FIFO, or socket) whose reader has gone away (`| head -1`
  /// exited): noticed without writing, so a follow that has nothing to write stops at once.
  public var readerHasGoneAway: Bool {
    guard isPipe else { return false }
    var p = pollfd(fd: fd, events: 0, revents: 0)
    return poll(&p, 1, 0) == 1 && (p.revents & Int16(POLLERR | POLLHUP)) != 0
  }

  /// The descriptor, for waiting on it.
  public var descriptor: Int32 { fd }
  public var isPipeOrFIFO: Bool { isPipe }

  /// Closes the output (not standard output), with the reason when the system reports one.
  public func close() throws {
    guard ownsDescriptor && !closed else { return }
    closed = true
    if posixClose(fd) != 0 { throw OutputError.cannotWrite(path: path, reason: errnoText()) }
  }
}

#if canImport(Glibc)
  private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { Glibc.write(fd, p, n) }
  private func posixClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
#else
  private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { Darwin.write(fd, p, n) }
  private func posixClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
#endif
