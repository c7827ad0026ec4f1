import Foundation

public struct RunDirectoryError: Error, CustomStringConvertible {
  public var description: String
}

/// Numbered output directories: `out/run_001`, `out/run_002`, ...
public enum RunDirectory {
  /// out/run_001, out/run_002, ... : the next unused numbered directory, created atomically with
  /// mkdir (race-safe: another process creating the same name makes mkdir fail with EEXIST, and
  /// the next number is tried). Numbering continues after the highest existing `run_NNN`, so a
  /// number is never reused while a later run exists. `parent` is created when missing.
  /// Returns the new directory's path.
  public static func next(in parent: String) throws -> String {
    let fm = FileManager.default
    do {
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw RunDirectoryError(description: "\(parent): cannot create directory: \(error.localizedDescription)")
    }
    var n = (highestRunNumber(in: parent) ?? 0) + 1
    for _ in 0..<100_000 {
      let path = (parent as NSString).appendingPathComponent(name(n))
      if mkdir(path, 0o755) == 0 { return path }
      let err = errno
      guard err == EEXIST else {
        throw RunDirectoryError(description: "\(path): cannot create directory: \(String(cString: strerror(err)))")
      }
      n += 1
    }
    throw RunDirectoryError(description: "\(parent): no free run_NNN name")
  }

  /// `run_001`; more digits past 999.
  public static func name(_ n: Int) -> String {
    let digits = String(n)
    return "run_" + String(repeating: "0", count: Swift.max(0, 3 - digits.count)) + digits
  }

  /// The number of the highest `run_<digits>` entry in `parent`, if any.
  public static func highestRunNumber(in parent: String) -> Int? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    return names.compactMap { name -> Int? in
      guard name.hasPrefix("run_") else { return nil }
      let rest = name.dropFirst(4)
      guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
      return Int(rest)
    }.max()
  }
}
