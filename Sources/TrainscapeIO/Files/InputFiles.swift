import Foundation
import TrainscapeCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The reason for the last failed system call, in words ("No space left on device").
func errnoText(_ code: Int32 = errno) -> String {
  String(cString: strerror(code))
}

/// A file's identity: its device and inode. Two paths name the same file (hard links, symbolic
/// links, `a/../a`) exactly when their identities are equal.
public struct FileIdentity: Hashable, Sendable {
  public var device: UInt64
  public var inode: UInt64

  public init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }

  /// The identity of the file at `path`, following symbolic links; nil when it cannot be stat'ed.
  public init?(path: String) {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }

  /// The identity of an open file.
  public init?(fd: Int32) {
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }
}

/// The files this process reads, so that no output ever replaces one of them (`AtomicFile`,
/// `StreamingOutput`), even with `--force`.
///
/// Every reader registers what it opens (`FileAccess`, `RawFile`, HDF5, whole-file reads), and
/// commands register the paths they are given before they read them, so a check made before
/// reading (to fail before a long render) sees them too. A registered path counts as an input
/// while it still names the same file: an input that was deleted (its inode may be reused by a
/// new file) no longer protects that inode.
///
/// Process-wide on purpose: outputs are written from other threads (frame encoders) and long
/// after the inputs were read. Guarded by a lock; it only grows.
public enum InputFiles {
  private static let registry = Locked<[FileIdentity: Set<String>]>([:])

  /// Registers the file at `path` (following symbolic links) as an input. A path that does not
  /// name a file (yet) is ignored; directories are ignored (files inside them are registered
  /// when they are read).
  public static func register(_ path: String) {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else { return }
    let id = FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    registry.withLock { _ = $0[id, default: []].insert(path) }
  }

  /// Registers an open file, read from `path`.
  static func register(fd: Int32, path: String) {
    guard let id = FileIdentity(fd: fd) else { return }
    registry.withLock { _ = $0[id, default: []].insert(path) }
  }

  /// A whole (small) file read as an input: a script, a labels file, plotly.min.js. Errors
  /// say why in words; with a `budget`, a file larger than it is refused before it is read.
  public static func read(_ path: String, budget: MemoryBudget? = nil) throws -> [UInt8] {
    try RawFile.readAll(path, budget: budget)
  }

  /// The path of an input that is the same file as `id`, if any (checked again now, so a
  /// deleted input whose inode was reused does not count).
  public static func input(identity id: FileIdentity) -> String? {
    let paths = registry.withLock { $0[id] } ?? []
    return paths.sorted().first { FileIdentity(path: $0) == id }
  }
}
