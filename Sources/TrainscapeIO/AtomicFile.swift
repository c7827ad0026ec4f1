import Foundation

public enum OutputError: Error, CustomStringConvertible, Equatable {
  case exists(path: String)
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case .exists(let path):
      return "\(path) already exists; pass --force to overwrite it"
    case .cannotWrite(let path, let reason):
      return "\(path): cannot write: \(reason)"
    }
  }
}

/// Writes files so that a reader never sees half a file: the bytes go to a temporary file in
/// the same directory, which is then renamed over the target (rename is atomic on POSIX).
public enum AtomicFile {
  public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool = false) throws {
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
    let tmp = dir.appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
    guard fm.createFile(atPath: tmp.path, contents: Data(bytes)) else {
      throw OutputError.cannotWrite(path: path, reason: "cannot create \(tmp.path)")
    }
    if !overwrite && fm.fileExists(atPath: path) {  // appeared meanwhile
      try? fm.removeItem(at: tmp)
      throw OutputError.exists(path: path)
    }
    if rename(tmp.path, path) != 0 {
      let reason = String(cString: strerror(errno))
      try? fm.removeItem(at: tmp)
      throw OutputError.cannotWrite(path: path, reason: reason)
    }
  }
}
