import Foundation
import TrainscapeCore
import TrainscapeIO

/// Something the viewer can poll for new rows (`--follow`). Kept narrow so that TrainscapeIO's
/// `RunFollower` (JSONL, event files, .wandb) can replace `JSONLTail` later.
public protocol FollowSource: AnyObject {
  /// Reads what was appended since the last call; true when rows were added or the file was
  /// replaced (and read again from the start).
  func poll() throws -> Bool
  /// Every row read so far, as a `ReadResult` the scene builders accept.
  func result() throws -> ReadResult
  /// The largest step read so far.
  var latestStep: Int64? { get }
  var path: String { get }
}

/// Follows a JSONL file that another process appends to: each `poll()` reads from the byte
/// offset just past the last complete line. A partial last line (no newline yet) waits for the
/// next poll; a file that shrank or was replaced (another inode) is read again from the start.
/// Not thread-safe: poll and read it from one thread (the viewer's follow queue).
public final class JSONLTail: FollowSource {
  public let path: String
  public let runName: String
  private var offset: UInt64 = 0
  private var inode: UInt64?
  private var lineNumber = 0
  private var rows: [MetricRow] = []
  public private(set) var warnings: [String] = []
  public private(set) var latestStep: Int64?

  public init(path: String, runName: String? = nil) {
    self.path = path
    self.runName = runName ?? JSONLTail.defaultRunName(path)
  }

  /// The file name without its known extensions, as `JSONLReader` names runs.
  public static func runName(for path: String) -> String { defaultRunName(path) }

  static func defaultRunName(_ path: String) -> String {
    var name = URL(fileURLWithPath: path).lastPathComponent
    let known: Set<String> = ["jsonl", "ndjson", "json", "log", "txt"]
    while let dot = name.lastIndex(of: "."), dot != name.startIndex,
      known.contains(name[name.index(after: dot)...].lowercased())
    {
      name = String(name[..<dot])
    }
    return name
  }

  public func poll() throws -> Bool {
    var st = stat()
    guard stat(path, &st) == 0 else { throw JSONLFileError(file: path, message: "no such file") }
    let size = UInt64(st.st_size), ino = UInt64(st.st_ino)
    var restarted = false
    if (inode != nil && ino != inode) || size < offset {
      offset = 0
      lineNumber = 0
      rows.removeAll()
      latestStep = nil
      restarted = true
    }
    inode = ino
    guard size > offset else { return restarted }
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw JSONLFileError(file: path, message: "cannot open file")
    }
    defer { try? h.close() }
    try h.seek(toOffset: offset)
    let data = [UInt8](h.readDataToEndOfFile())
    guard let lastNewline = data.lastIndex(of: 0x0A) else { return restarted }  // partial line: wait
    var start = 0
    if offset == 0, data.count >= 3, data[0] == 0xEF, data[1] == 0xBB, data[2] == 0xBF { start = 3 }
    var added = false
    while start <= lastNewline {
      var end = start
      while data[end] != 0x0A { end += 1 }
      lineNumber += 1
      let line = data[start..<end]
      if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
        do {
          let row = try JSONLReader.parseLine(line, file: path, line: lineNumber)
          rows.append(row)
          latestStep = Swift.max(latestStep ?? row.step, row.step)
          added = true
        } catch {
          // A bad complete line is skipped with a warning, so that following goes on.
          warnings.append("\(error)")
        }
      }
      start = end + 1
    }
    offset += UInt64(lastNewline + 1)
    return added || restarted
  }

  public func result() throws -> ReadResult {
    if rows.isEmpty {
      throw JSONLFileError(file: path, message: "no metric rows yet (expected one JSON object per line)")
    }
    return ReadResult(run: Run(name: runName, source: path, rows: rows), warnings: [])
  }

  public var rowCount: Int { rows.count }
}
