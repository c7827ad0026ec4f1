import Foundation
import Testing
import TrainscapeCore
import TrainscapeTestSupport

@testable import TrainscapeIO

/// Regression tests for the defects of issue #11 that the readers own: each failed (or
/// crashed) before its fix.
@Suite(.tiered) struct JSONSurrogateTests {
  /// A high surrogate followed by a `\u` escape that is not a low surrogate trapped (UInt32
  /// overflow) in every whole-document JSON reader: trainer_state.json, Plotly, Object3D.
  @Test func highSurrogateBeforeAnotherEscapeIsReplacementCharacters() throws {
    let cases: [(String, String)] = [
      (#""\uDA24\uDA24""#, "\u{FFFD}\u{FFFD}"),
      (#""\uDA24\u0041""#, "\u{FFFD}A"),
      (#""\uD83D\uDE00""#, "\u{1F600}"),
      (#""\uDE00x""#, "\u{FFFD}x"),
      (#""\uD83D""#, "\u{FFFD}"),
      (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
    ]
    for (json, want) in cases {
      let v = try JSONParser.parse(Array(json.utf8), file: "t.json")
      guard case .string(let s) = v else {
        Issue.record("\(json) did not parse to a string: \(v)")
        continue
      }
      #expect(s == want, "\(json)")
    }
  }

  /// The issue's reproduction: a 13-byte key in a trainer_state.json row.
  @Test func trainerStateWithBrokenSurrogatesLoads() throws {
    let dir = try TestPaths.temporaryDirectory("harden")
    defer { try? FileManager.default.removeItem(at: dir) }
    let sub = dir.appendingPathComponent("d")
    try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
    try Data(#"{"log_history":[{"step":1,"loss":1,"\uDA24\uDA24":2}]}"#.utf8)
      .write(to: sub.appendingPathComponent("trainer_state.json"))
    let result = try RunLoader.load(path: sub.path)
    let row = try #require(result.runs.first?.rows.first)
    #expect(row.values["loss"] == 1)
    #expect(row.values["\u{FFFD}\u{FFFD}"] == 2)
  }
}

/// Defect 2: an output never replaces a device, a FIFO, a symbolic link or an input; defect 9:
/// what cannot be written says why in words.
@Suite(.tiered) struct OutputFileTests {
  static func dir() throws -> URL { try TestPaths.temporaryDirectory("output") }

  static func kind(_ path: String) -> mode_t {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
  }

  @Test func newFileAndForce() throws {
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    let p = d.appendingPathComponent("sub/dir/out.txt").path
    try AtomicFile.write(Array("one".utf8), to: p)
    #expect(try String(contentsOfFile: p, encoding: .utf8) == "one")
    #expect(throws: OutputError.exists(path: p)) { try AtomicFile.write(Array("two".utf8), to: p) }
    chmod(p, 0o640)
    try AtomicFile.write(Array("two".utf8), to: p, overwrite: true)
    #expect(try String(contentsOfFile: p, encoding: .utf8) == "two")
    var st = stat()
    stat(p, &st)
    #expect(st.st_mode & 0o777 == 0o640, "the replaced file keeps its permissions")
    #expect(try FileManager.default.contentsOfDirectory(atPath: (p as NSString).deletingLastPathComponent) == ["out.txt"])
  }

  /// A link in the same folder: the file it points at is written, the link stays a link.
  @Test func symbolicLinkIsFollowedNotReplaced() throws {
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    let target = d.appendingPathComponent("target.txt").path
    let link = d.appendingPathComponent("link.txt").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: target))
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.txt")
    try AtomicFile.write(Array("new".utf8), to: link, overwrite: true)
    #expect(Self.kind(link) == S_IFLNK)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
    // Out of the folder: written there, and said.
    let other = try Self.dir()
    defer { try? FileManager.default.removeItem(at: other) }
    let far = other.appendingPathComponent("far.txt").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: far))
    let outLink = d.appendingPathComponent("out.txt").path
    try FileManager.default.createSymbolicLink(atPath: outLink, withDestinationPath: far)
    let target2 = try OutputTarget.resolve(outLink, overwrite: true)
    #expect(target2.note?.contains("symbolic link to") == true && target2.note?.contains(other.lastPathComponent) == true)
    try AtomicFile.write(Array("far".utf8), to: outLink, overwrite: true)
    #expect(Self.kind(outLink) == S_IFLNK)
    #expect(try String(contentsOfFile: far, encoding: .utf8) == "far")
    // A link to nothing is refused: it would create a file wherever it points.
    let dangling = d.appendingPathComponent("dangling.txt").path
    try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "/nonexistent/dir/x")
    #expect { try AtomicFile.write([1], to: dangling, overwrite: true) } throws: { e in
      "\(e)".contains("symbolic link") && "\(e)".contains("does not exist")
    }
    #expect(!FileManager.default.fileExists(atPath: "/nonexistent/dir/x"))
  }

  /// A FIFO and a character device are written directly, and stay what they are.
  @Test func fifoAndDeviceAreWrittenDirectly() throws {
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    let fifo = d.appendingPathComponent("pipe").path
    #expect(mkfifo(fifo, 0o644) == 0)
    let reader = Thread.detachNewThreadAndRead(fifo)
    try AtomicFile.write(Array("through the pipe\n".utf8), to: fifo)
    #expect(reader.wait() == "through the pipe\n")
    #expect(Self.kind(fifo) == S_IFIFO)
    // A character device: /dev/null's numbers, made here so a regression cannot replace the
    // machine's /dev/null.
    let null = d.appendingPathComponent("null").path
    try #require(mknod(null, S_IFCHR | 0o666, dev_t((1 << 8) | 3) /* makedev(1, 3) on Linux */) == 0, "mknod needs root, as CI has")
    try AtomicFile.write(Array("gone".utf8), to: null)
    try AtomicFile.write(Array("gone".utf8), to: null, overwrite: true)
    #expect(Self.kind(null) == S_IFCHR)
  }

  @Test func directoryAndSocketAreRefused() throws {
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    #expect { try AtomicFile.write([1], to: d.path, overwrite: true) } throws: { e in
      "\(e)".contains("is a directory; give a file name inside it")
    }
    let sock = d.appendingPathComponent("sock").path
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { p in
      let b = Array(sock.utf8)
      p.copyBytes(from: b.prefix(p.count - 1))
    }
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    try #require(bound == 0)
    #expect { try AtomicFile.write([1], to: sock, overwrite: true) } throws: { e in "\(e)".contains("is a socket") }
    #expect(Self.kind(sock) == S_IFSOCK)
  }

  /// An input is never overwritten, whatever path leads to it, even with overwrite.
  @Test func inputsAreNeverOverwritten() throws {
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    let input = d.appendingPathComponent("run.jsonl").path
    try Data("{\"step\": 1, \"loss\": 1}\n".utf8).write(to: URL(fileURLWithPath: input))
    _ = try RunLoader.load(path: input)  // reading registers it
    let hard = d.appendingPathComponent("hard.jsonl").path
    let soft = d.appendingPathComponent("soft.jsonl").path
    #expect(link(input, hard) == 0)
    try FileManager.default.createSymbolicLink(atPath: soft, withDestinationPath: input)
    for p in [input, hard, soft, d.path + "/./run.jsonl"] {
      #expect(throws: OutputError.self) { try AtomicFile.write([1], to: p, overwrite: true) }
      #expect { try AtomicFile.check(p, overwrite: true) } throws: { e in "\(e)".contains("never overwritten") }
    }
    #expect(try String(contentsOfFile: input, encoding: .utf8) == "{\"step\": 1, \"loss\": 1}\n")
    // A deleted input protects nothing: a new file may take its inode.
    try FileManager.default.removeItem(atPath: input)
    try FileManager.default.removeItem(atPath: hard)
    try FileManager.default.removeItem(atPath: soft)
    try AtomicFile.write([1], to: input)
  }

  /// Defect 3 and 9: a failed write says why in words and leaves the old file as it was.
  @Test func failedWritesSayWhyAndKeepTheOldFile() throws {
    #expect { try AtomicFile.write(Array(repeating: 7, count: 1 << 16), to: "/dev/full") } throws: { e in
      "\(e)".contains("No space left on device")
    }
    let s = try StreamingOutput(path: "/dev/full", overwrite: false)
    #expect { try s.write([1, 2, 3]) } throws: { e in "\(e)".contains("No space left on device") }
    // A folder that cannot hold files: the temporary file's error says so, with errno in words.
    let d = try Self.dir()
    defer { try? FileManager.default.removeItem(at: d) }
    let file = d.appendingPathComponent("plain").path
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    #expect { try AtomicFile.write([1], to: file + "/out.png") } throws: { e in
      "\(e)".contains("Not a directory") || "\(e)".contains("is not a directory")
    }
  }
}

/// A reader thread for a FIFO (opening one for writing waits for a reader).
extension Thread {
  final class Reading: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var text = ""
    func finish(_ s: String) {
      text = s
      done.signal()
    }
    func wait() -> String {
      done.wait()
      return text
    }
  }

  static func detachNewThreadAndRead(_ path: String) -> Reading {
    let r = Reading()
    Thread.detachNewThread {
      // open(2) and read(2) to the end: Foundation's whole-file reads do not wait on a FIFO.
      var bytes: [UInt8] = []
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      if fd >= 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
          let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
          if n < 0 && errno == EINTR { continue }
          if n <= 0 { break }
          bytes += buffer[0..<n]
        }
        close(fd)
      }
      r.finish(String(decoding: bytes, as: UTF8.self))
    }
    return r
  }
}

/// Defects 7, 8, 9 and 11 in the metric readers.
@Suite(.tiered) struct ReaderHardeningTests {
  static func file(_ bytes: [UInt8], _ name: String) throws -> (dir: URL, path: String) {
    let d = try TestPaths.temporaryDirectory("reader")
    let p = d.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return (d, p)
  }

  /// Defect 8: `2,0.06` of `2,0.0625` must not become a value.
  @Test func unterminatedLastCSVRowIsDroppedWithAWarning() throws {
    let (d, p) = try Self.file(Array("step,loss\n1,0.5\n2,0.06".utf8), "m.csv")
    defer { try? FileManager.default.removeItem(at: d) }
    let r = try RunLoader.load(path: p)
    #expect(r.runs[0].rows.map(\.step) == [1])
    #expect(r.warnings.contains { $0.contains("m.csv:3: ignoring the last row: it has no line end") })
    // With its line end it is a row; CRLF too.
    let (d2, p2) = try Self.file(Array("step,loss\r\n1,0.5\r\n2,0.0625\r\n".utf8), "n.csv")
    defer { try? FileManager.default.removeItem(at: d2) }
    let r2 = try RunLoader.load(path: p2)
    #expect(r2.runs[0].rows.map(\.step) == [1, 2] && r2.warnings.isEmpty)
  }

  /// Defect 7: cell bytes in messages are escaped (ESC, NUL, newlines in quoted cells).
  @Test func controlCharactersInCSVMessagesAreEscaped() throws {
    let (d, p) = try Self.file(Array("step,loss\n\u{1B}[2J,1\n".utf8), "esc.csv")
    defer { try? FileManager.default.removeItem(at: d) }
    #expect { try RunLoader.load(path: p) } throws: { e in
      let m = "\(e)"
      return m.contains("\\u{1B}[2J") && !m.contains("\u{1B}")
    }
    let (d2, p2) = try Self.file(Array("\"st\u{1B}]0;x\u{07}ep\",loss\n,1\n2,3\n".utf8), "esc2.csv")
    defer { try? FileManager.default.removeItem(at: d2) }
    let r = try RunLoader.load(path: p2)
    let w = try #require(r.warnings.first { $0.contains("empty") })
    #expect(!w.contains("\u{1B}") && !w.contains("\u{07}") && w.contains("\\u{1B}"))
    // Grids too.
    let (d3, p3) = try Self.file(Array("1,2\n3,\u{1B}[31m\n".utf8), "g.csv")
    defer { try? FileManager.default.removeItem(at: d3) }
    #expect { try GridReader.readCSV(path: p3) } throws: { e in
      !"\(e)".contains("\u{1B}") && "\(e)".contains("\\u{1B}")
    }
    // And anything else on its way to a terminal.
    #expect(Escape.controlCharacters("a\u{1B}[2Jb\u{9B}c\nd\te\u{00}") == "a\\u{1B}[2Jb\\u{9B}c\nd\te\\u{00}")
  }

  /// Defect 9: binary files are named for what they are, not read as CSV's first cell.
  @Test func binaryFilesAreRecognised() throws {
    let npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0] + Array("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".utf8) + [0x0A]
    let cases: [([UInt8], String, String)] = [
      (npy, "a.npy", "is a NumPy .npy array"),
      (npy, "a.csv", "is a NumPy .npy array"),
      ([0x89] + Array("HDF\r\n".utf8) + [0x1A, 0x0A, 0, 0], "s.h5", "is an HDF5 file"),
      ([0x1F, 0x8B, 8, 0, 0, 0], "run.jsonl", "gzip"),
      ([0x00, 0xFF, 0x13, 0x37, 0x42] + Array(repeating: 0xAB, count: 100), "garbage.jsonl", "binary data"),
      (Array(repeating: 0xC3, count: 200), "latin.jsonl", "not UTF-8"),
    ]
    for (bytes, name, want) in cases {
      let (d, p) = try Self.file(bytes, name)
      defer { try? FileManager.default.removeItem(at: d) }
      #expect { try RunLoader.load(path: p) } throws: { e in "\(e)".contains(want) && !"\(e)".contains("integer step") }
      #expect { try RunLoader.load(path: p, options: IngestOptions(format: .csv)) } throws: { e in "\(e)".contains(want) }
    }
  }

  /// Defect 9: a line longer than the old fixed 64 MiB is a line; one over the limit (a
  /// quarter of --max-memory) says the limit, and with skipBad is skipped, not fatal.
  @Test func longLinesAndTheLineLimit() throws {
    var big = Array("{\"step\": 1, \"loss\": 0.5, \"blob\": \"".utf8)
    big += [UInt8](repeating: UInt8(ascii: "x"), count: 65 << 20)
    big += Array("\"}\n{\"step\": 2, \"loss\": 0.25}\n".utf8)
    let (d, p) = try Self.file(big, "long.jsonl")
    defer { try? FileManager.default.removeItem(at: d) }
    let r = try RunLoader.load(path: p)
    #expect(r.runs[0].rows.map(\.step) == [1, 2])
    let small = IngestOptions(budget: MemoryBudget(bytes: 64 << 20))  // lines up to 64 MiB
    #expect { try RunLoader.load(path: p, options: small) } throws: { e in
      "\(e)".contains("long.jsonl:1: more than 64 MiB without a newline") && "\(e)".contains("--max-memory")
    }
    var skip = small
    skip.skipBad = true
    let s = try RunLoader.load(path: p, options: skip)
    #expect(s.runs[0].rows.map(\.step) == [2])
    #expect(s.skipped == 1)
  }

  /// Defect 11: "last wins" is counted and said once per kind and file.
  @Test func lastWinsIsSaid() throws {
    let jsonl = """
      {"step": 1, "loss": 1, "loss": 2, "a/b": 1, "a": {"b": 2}}
      {"step": 2, "loss": 3, "acc": 1}
      {"step": 2, "loss": 4, "acc": 1}
      {"step": 3, "loss": 5, "loss": 5}

      """
    let (d, p) = try Self.file(Array(jsonl.utf8), "dup.jsonl")
    defer { try? FileManager.default.removeItem(at: d) }
    let r = try RunLoader.load(path: p)
    #expect(r.runs[0].rows.count == 4)
    #expect(r.runs[0].rows[0].values == ["loss": 2, "a/b": 2])
    let same = r.warnings.filter { $0.contains("in the same record") }
    #expect(same.count == 1 && same[0].contains("2 value(s)") && same[0].contains("line 1, 'loss'"))
    let step = r.warnings.filter { $0.contains("later record of the same step") }
    #expect(step.count == 1 && step[0].contains("1 value(s)") && step[0].contains("step 2, 'loss'"))
    // CSV: two columns of one name; rows of one step.
    let csv = "step,loss,loss,acc\n1,0.5,0.4,1\n1,0.5,0.5,2\n2,1,1,1\n"
    let (d2, p2) = try Self.file(Array(csv.utf8), "dup.csv")
    defer { try? FileManager.default.removeItem(at: d2) }
    let c = try RunLoader.load(path: p2)
    #expect(c.runs[0].rows.map(\.step) == [1, 2])
    #expect(c.warnings.contains { $0.contains("1 value(s) replaced") && $0.contains("line 2, 'loss'") })
    #expect(c.warnings.contains { $0.contains("2 value(s) were given again") && $0.contains("step 1") })
    // trainer_state.json: a step's train and eval entries that agree are merged silently.
    let ts = #"{"log_history": [{"step": 5, "loss": 1, "epoch": 1}, {"step": 5, "eval_loss": 2, "epoch": 1}]}"#
    let (d3, p3) = try Self.file(Array(ts.utf8), "trainer_state.json")
    defer { try? FileManager.default.removeItem(at: d3) }
    let t = try RunLoader.load(path: p3)
    #expect(t.runs[0].rows.count == 1 && t.warnings.isEmpty)
  }
}

/// Defect 6: array headers that claim more than the memory budget are refused with the
/// numbers before anything is allocated.
@Suite(.tiered) struct MemoryBudgetTests {
  /// A sparse file: a .npy header claiming `shape` float64, the data a hole.
  static func sparseNPY(_ shape: [Int], in dir: URL) throws -> String {
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
    var header = Array(dict.utf8)
    while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
    header.append(0x0A)
    let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
    let p = dir.appendingPathComponent("big.npy").path
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    let size = bytes.count + MemoryBudget.product(shape + [8])
    #expect(truncate(p, off_t(size)) == 0)
    return p
  }

  @Test func sparseGridClaimingTwentyGigabytesIsRefused() throws {
    let d = try TestPaths.temporaryDirectory("budget")
    defer { try? FileManager.default.removeItem(at: d) }
    let p = try Self.sparseNPY([50000, 50000], in: d)
    #expect { try GridReader.readNPY(path: p, budget: MemoryBudget(bytes: 8 << 30)) } throws: { e in
      let m = "\(e)"
      return m.contains("a 50000 x 50000 grid") && m.contains("over the memory budget of 8.0 GiB") && m.contains("--max-memory")
    }
  }

  @Test func budgetArguments() {
    #expect(MemoryBudget(argument: "512M")?.bytes == 512 << 20)
    #expect(MemoryBudget(argument: "8G")?.bytes == 8 << 30)
    #expect(MemoryBudget(argument: "1.5GiB")?.bytes == 3 << 29)
    #expect(MemoryBudget(argument: "4096")?.bytes == 4096)
    #expect(MemoryBudget(argument: "50%")?.bytes == MemoryBudget.availableMemory / 2)
    #expect(MemoryBudget.default.bytes == MemoryBudget.availableMemory / 2)
    for bad in ["", "-1", "0", "12Q", "200%", "G", "nan"] { #expect(MemoryBudget(argument: bad) == nil, "\(bad)") }
    #expect(MemoryBudget.product([50000, 50000, 8]) == 20_000_000_000)
    #expect(MemoryBudget.product([1 << 40, 1 << 40]) == Int.max)
  }
}

/// Defects 4 and 5, as the issue found them (the torture suite covers them at random).
@Suite(.tiered) struct FollowRegressionTests {
  /// Truncate-and-rewrite that grows past the old read position before the next poll: the
  /// size alone cannot tell, the first bytes can.
  @Test func rewriteGrowingPastTheReadPositionIsReadFromTheStart() throws {
    let d = try TestPaths.temporaryDirectory("follow")
    defer { try? FileManager.default.removeItem(at: d) }
    let p = d.appendingPathComponent("live.jsonl").path
    let first = (0..<3).map { "{\"step\": \($0), \"loss\": 1}\n" }.joined()
    try Data(first.utf8).write(to: URL(fileURLWithPath: p))
    let f = try RunFollower(path: p, format: .jsonl)
    #expect(try f.poll().map(\.step) == [0, 1, 2])
    // Same inode, truncated, longer new content.
    let h = try #require(FileHandle(forWritingAtPath: p))
    try h.truncate(atOffset: 0)
    try h.write(contentsOf: Data((100..<110).map { "{\"step\": \($0), \"loss\": 2}\n" }.joined().utf8))
    try h.close()
    let u = try f.pollUpdate()
    #expect(u.restarted)
    #expect(u.rows.map(\.step) == Array(100..<110))
    #expect(f.notes.contains { $0.contains("was rewritten") })
  }

  /// A TensorBoard step flushed in two pieces with a poll between them is one row.
  @Test func tensorBoardStepInTwoPiecesIsOneRow() throws {
    let d = try TestPaths.temporaryDirectory("follow")
    defer { try? FileManager.default.removeItem(at: d) }
    let p = d.appendingPathComponent("events.out.tfevents.1").path
    func event(_ step: Int64, _ tag: String, _ v: Float) throws -> [UInt8] {
      var value = Trainscape_Tensorboard_Summary.Value()
      value.tag = tag
      value.simpleValue = v
      var e = Trainscape_Tensorboard_Event()
      e.step = step
      e.summary.value = [value]
      return FollowTortureTests.tfrecord(try e.serializedBytes())
    }
    let h = try #require(FileManager.default.createFile(atPath: p, contents: nil) ? FileHandle(forWritingAtPath: p) : nil)
    let f = try RunFollower(path: p, format: .tensorboard)
    try h.write(contentsOf: Data(try event(1, "loss", 1)))
    #expect(try f.poll().isEmpty)  // step 1 may get more values
    #expect(try f.poll().isEmpty)  // a quiet poll does not release it
    try h.write(contentsOf: Data(try event(1, "lr", 0.5)))
    #expect(try f.poll().isEmpty)
    try h.write(contentsOf: Data(try event(2, "loss", 0.5)))
    let rows = try f.poll()
    #expect(rows.count == 1 && rows[0].step == 1 && rows[0].values == ["loss": 1, "lr": 0.5])
    try h.close()
    let last = try f.finish()
    #expect(last.map(\.step) == [2])
    #expect(f.displayName == (try RunLoader.load(path: p).runs[0].name))
  }
}
