import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// Issue #11 through the binary, as a user meets it: outputs that cannot destroy what they
/// point at, write failures as errors with the reason in words, follow that ends well, clear
/// messages for bad options and inputs. Each test failed (or crashed) before its fix.
@Suite(.tiered) struct OutputSafetyCLITests {
  static func run(_ dir: URL) throws -> String {
    let p = dir.appendingPathComponent("run.jsonl").path
    let rows = (0..<40).map { s in
      "{\"step\": \(s), \"loss\": \(1.0 / Double(s + 1)), \"lr\": 0.001, \"grad_norm/layer_0\": \(Double(s) * 0.1 + 1), \"grad_norm/layer_1\": \(Double(s) * 0.2 + 1)}"
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: p, atomically: true, encoding: .utf8)
    return p
  }

  /// Defect 2: `-o INPUT --force` replaced the metrics with the output.
  @Test func anInputIsNeverTheOutputEvenWithForce() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try Self.run(dir)
    let before = try String(contentsOfFile: input, encoding: .utf8)
    let hard = dir.appendingPathComponent("hard.jsonl").path
    let soft = dir.appendingPathComponent("soft.jsonl").path
    #expect(link(input, hard) == 0)
    try FileManager.default.createSymbolicLink(atPath: soft, withDestinationPath: input)
    for out in [input, hard, soft] {
      for args in [
        ["render", "gradient-flow", input, "-o", out, "--force", "--size", "64x64"],
        ["export", "gradient-flow", input, "-o", out, "--force", "--format", "plotly"],
        ["convert", input, "-o", out, "--force"],
        ["convert", input, "--follow", "--idle-exit", "0", "-o", out, "--force"],
      ] {
        let r = try CLI.run(args)
        #expect(r.status != 0 && r.reason == .exit, "\(args)")
        #expect(r.stderr.contains("never overwritten"), "\(args): \(r.stderr)")
      }
    }
    #expect(try String(contentsOfFile: input, encoding: .utf8) == before)
    // Standard output appended to the input would feed the follow its own output.
    let appended = try Subprocess.run(
      URL(fileURLWithPath: "/bin/bash"),
      ["-c", "exec \"$0\" convert \"$1\" --follow --idle-exit 0 -o - >> \"$1\"", TrainscapeCLI.binary.path, input])
    #expect(appended.status != 0 && appended.stderr.contains("standard output is the input"), "\(appended.stderr)")
    #expect(try String(contentsOfFile: input, encoding: .utf8) == before)
  }

  /// Defect 2: a device or FIFO is written, never replaced by a regular file; a symbolic link
  /// stays a link; a directory is named as one.
  @Test func devicesFIFOsLinksAndDirectories() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try Self.run(dir)
    let null = dir.appendingPathComponent("null").path
    try #require(mknod(null, S_IFCHR | 0o666, dev_t((1 << 8) | 3) /* makedev(1, 3) on Linux */) == 0, "mknod needs root, as CI has")
    for force in [[], ["--force"]] {
      let r = try CLI.run(["convert", input, "-o", null] + force)
      #expect(r.status == 0, "\(r.stderr)")
      var st = stat()
      #expect(lstat(null, &st) == 0 && st.st_mode & S_IFMT == S_IFCHR, "the device became a file")
    }
    // -o /dev/stdout writes standard output, whatever it is.
    let out = try CLI.run(["convert", input, "-o", "/dev/stdout"])
    #expect(out.status == 0 && out.stdout.split(separator: "\n").filter { $0.hasPrefix("{\"run\"") }.count == 40)
    // A FIFO with a reader.
    let fifo = dir.appendingPathComponent("fifo").path
    #expect(mkfifo(fifo, 0o644) == 0)
    let reader = try Subprocess.run(
      URL(fileURLWithPath: "/bin/bash"), ["-c", "\"$0\" convert \"$1\" -o \"$2\" & cat \"$2\"; wait", TrainscapeCLI.binary.path, input, fifo])
    // cat's rows (convert then prints the path it wrote, as for any output).
    #expect(reader.stdout.split(separator: "\n").filter { $0.hasPrefix("{\"run\"") }.count == 40, "\(reader.stderr)")
    var st = stat()
    #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
    // A link in the folder: the target is written, the link stays.
    let target = dir.appendingPathComponent("target.jsonl").path
    try "old\n".write(toFile: target, atomically: true, encoding: .utf8)
    let link = dir.appendingPathComponent("link.jsonl").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.jsonl")
    let l = try CLI.run(["convert", input, "-o", link, "--force"])
    #expect(l.status == 0, "\(l.stderr)")
    #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
    #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("{\"run\""))
    // A directory, with and without --force: one clear message.
    for force in [[], ["--force"]] {
      let d = try CLI.run(["convert", input, "-o", dir.path] + force)
      #expect(d.status != 0 && d.stderr.contains("is a directory; give a file name inside it"), "\(d.stderr)")
      #expect(!d.stderr.contains("already exists"))
    }
  }

  /// Defect 3: writing to a full device was a trap; now an error with the reason in words.
  @Test func aFailedWriteIsAnErrorNotACrash() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try Self.run(dir)
    for command in [
      "exec \"$0\" convert \"$1\" -o - > /dev/full",
      "exec \"$0\" convert \"$1\" --follow --idle-exit 0 -o - > /dev/full",
      "exec \"$0\" export gradient-flow \"$1\" --format plotly -o /dev/full",
      "exec \"$0\" info \"$1\" 2> /dev/full",
    ] {
      let r = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["-c", command, TrainscapeCLI.binary.path, input])
      #expect(r.exitedNormally, "\(command): terminated by a signal\n\(r.stderr)")
      if !command.contains("2>") {
        #expect(r.status == 1 && r.stderr.contains("No space left on device"), "\(command): \(r.stderr)")
      }
    }
  }
}

/// The fault test: every write path on a file system that fills up (a 64 KiB tmpfs with 8
/// inodes; where mounting is not allowed, a file size limit): a clear error with the reason in
/// words, the previous output intact, no temporary file left, no crash; a followed output
/// ends with its last whole row.
@Suite(.tiered, .serialized) struct FullDiskFaultTests {
  /// A small tmpfs under a new folder, or nil when this process may not mount.
  static func tinyFileSystem() throws -> URL? {
    let dir = try CLI.tempDir()
    let r = try Subprocess.run(
      URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=64k,nr_inodes=16", "tmpfs", dir.path])
    return r.status == 0 ? dir : nil
  }

  static func unmount(_ dir: URL) { _ = try? Subprocess.run(URL(fileURLWithPath: "/bin/umount"), [dir.path]) }

  @Test(.tags(.egl)) func writePathsOnAFullFileSystem() throws {
    let work = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: work) }
    // A run whose outputs are larger than 64 KiB.
    let input = work.appendingPathComponent("big.jsonl").path
    let rows = (0..<2000).map { s in
      "{\"step\": \(s), \"loss\": \(1.0 / Double(s + 1)), \"lr\": 0.001, "
        + (0..<8).map { "\"grad_norm/layer_\($0)\": \(Double(s) * 0.1 * Double($0 + 1) + 1)" }.joined(separator: ", ") + "}"
    }
    try (rows.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
    let mounted = try Self.tinyFileSystem()
    let full = mounted ?? work.appendingPathComponent("limited")
    defer { if let m = mounted { Self.unmount(m) } }
    try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
    // Without a tmpfs: the shell's file size limit (64 KiB) makes writes past it fail (EFBIG).
    let limit = mounted == nil ? "ulimit -f 64; " : ""
    let reason = mounted == nil ? "File too large" : "No space left on device"
    func sh(_ args: [String]) throws -> ProcessResult {
      try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["-c", limit + "exec \"$@\"", "sh", TrainscapeCLI.binary.path] + args)
    }
    let cases: [(name: String, args: [String])] = [
      ("flow.png", ["render", "gradient-flow", input, "--size", "1600x1200", "--force"]),
      ("flow.plotly.json", ["export", "gradient-flow", input, "--force"]),
      ("rows.jsonl", ["convert", input, "--force"]),
    ]
    for c in cases {
      let out = full.appendingPathComponent(c.name).path
      try "previous output\n".write(toFile: out, atomically: false, encoding: .utf8)
      let r = try sh(c.args + ["-o", out])
      #expect(r.exitedNormally, "\(c.name): crashed\n\(r.stderr)")
      #expect(r.status == 1, "\(c.name): \(r.stderr)")
      #expect(r.stderr.contains(reason), "\(c.name): \(r.stderr)")
      #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous output\n", "\(c.name): the old output changed")
      let left = try FileManager.default.contentsOfDirectory(atPath: full.path).filter { $0.contains(".tmp-") }
      #expect(left.isEmpty, "temporary files left: \(left)")
    }
    // Following into a file: the output ends with its last whole row.
    let followed = full.appendingPathComponent("followed.jsonl").path
    let f = try sh(["convert", input, "--follow", "--idle-exit", "0", "-o", followed])
    #expect(f.exitedNormally && f.status == 1 && f.stderr.contains(reason), "\(f.stderr)")
    #expect(f.stderr.contains("ends with the last whole row"), "\(f.stderr)")
    let text = try String(contentsOfFile: followed, encoding: .utf8)
    #expect(text.isEmpty || text.hasSuffix("\n"))
    for line in text.split(separator: "\n") {
      #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "a partial row: \(line.prefix(80))")
    }
    // A turntable's frames on a full disk: an error, not a crash.
    let t = try sh(["turntable", "gradient-flow", input, "--frames", "3", "--size", "800x600", "-o", full.path + "/frames"])
    #expect(t.exitedNormally && t.status == 1 && t.stderr.contains(reason), "\(t.stderr)")
    if mounted != nil {
      // No inode left for a temporary file: said, with the reason.
      var n = 0
      while (try? "x".write(toFile: full.appendingPathComponent("fill\(n)").path, atomically: false, encoding: .utf8)) != nil, n < 100 { n += 1 }
      let r = try CLI.run(["convert", input, "-o", full.appendingPathComponent("new.jsonl").path])
      #expect(r.status == 1 && r.stderr.contains("cannot create a temporary file in") && r.stderr.contains("No space left on device"), "\(r.stderr)")
    }
  }
}

/// Defect 10: following ends with a summary on SIGINT, SIGTERM and SIGHUP, and at once when
/// the reader of its output goes away.
@Suite(.tiered, .serialized) struct FollowEndingTests {
  @Test func signalsEndFollowingWithASummary() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("live.jsonl").path
    try "{\"step\": 0, \"loss\": 1}\n{\"step\": 1, \"loss\": 0.5}\n".write(toFile: path, atomically: false, encoding: .utf8)
    for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")] {
      let p = try TrainscapeCLI.start(["convert", path, "--follow", "-o", "-", "--interval", "0.05"])
      try p.waitForStdoutLine(containing: "\"step\": 1")
      kill(p.processIdentifier, sig)
      let r = p.finish()
      #expect(r.exitedNormally && r.status == 0, "\(name): \(r.stderr)")
      #expect(r.stderr.contains("followed \(path): 2 rows") && r.stderr.contains("stopped by \(name)"), "\(r.stderr)")
    }
  }

  /// `| head -1`: the reader exits; following stops at once, not at the next row.
  @Test func aClosedPipeEndsFollowingAtOnce() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("live.jsonl").path
    try "{\"step\": 0, \"loss\": 1}\n".write(toFile: path, atomically: false, encoding: .utf8)
    let p = Process()
    p.executableURL = TrainscapeCLI.binary
    p.arguments = ["convert", path, "--follow", "-o", "-", "--interval", "0.05"]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    var first = Data()
    while !first.contains(0x0A) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      first += chunk
    }
    #expect(String(decoding: first, as: UTF8.self).contains("\"step\": 0"))
    try out.fileHandleForReading.close()
    // No row comes any more: only the closed pipe can end it. A hang guard, not a speed limit.
    let deadline = Date().addingTimeInterval(120)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(stderr)")
    #expect(stderr.contains("followed") && stderr.contains("has gone away"), "\(stderr)")
  }

  /// Defect 5 and the run name: `convert --follow` writes what `convert` writes, for a
  /// TensorBoard run whose steps are several events each.
  @Test func followWritesWhatConvertWrites() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = dir.appendingPathComponent("my-run")
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    let file = run.appendingPathComponent("events.out.tfevents.1").path
    try FileManager.default.copyItem(
      atPath: TestPaths.packageRoot.appendingPathComponent("Tests/TrainscapeIOTests/Fixtures/ingest/events.out.tfevents.scalar").path,
      toPath: file)
    let plain = try CLI.run(["convert", file, "-o", "-"])
    let followed = try CLI.run(["convert", file, "--follow", "--idle-exit", "0", "-o", "-", "--interval", "0.05"])
    #expect(plain.status == 0 && followed.status == 0, "\(followed.stderr)")
    #expect(!plain.stdout.isEmpty && followed.stdout == plain.stdout)
    #expect(plain.stdout.hasPrefix("{\"run\": \"my-run\""))
  }
}

/// Defects 1, 6, 7 and 9 as messages.
@Suite(.tiered) struct MessageCLITests {
  @Test func trainerStateWithBrokenSurrogatesIsRead() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let d = dir.appendingPathComponent("d")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    try #"{"log_history":[{"step":1,"loss":1,"\uDA24\uDA24":2}]}"#.write(
      toFile: d.appendingPathComponent("trainer_state.json").path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["info", d.path])
    #expect(r.reason == .exit && r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("1 rows"))
  }

  /// Defect 9: an image larger than OpenGL here can make (Mesa llvmpipe: 16384x16384 with 4x
  /// MSAA, about 8 GiB) fails at once saying so and what to try; it said "framebuffer
  /// incomplete (status 0x8cd6)". A size past the CLI's range is refused before any reading.
  @Test(.tags(.egl)) func anImageTooLargeForOpenGLSaysWhy() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("big.png").path
    let r = try CLI.run(["render", "gradient-flow", CLI.example, "--size", "16384x16384", "-o", out])
    #expect(r.reason == .exit && r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("cannot make a 16384x16384 framebuffer") && r.stderr.contains("try a smaller --size"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
    let past = try CLI.run(["render", "gradient-flow", CLI.example, "--size", "20000x100", "-o", out])
    #expect(past.status != 0 && past.stderr.contains("--size must be between 16x16 and 16384x16384; got 20000x100"), "\(past.stderr)")
  }

  /// Defect 7: no raw control character from a file reaches the terminal.
  @Test func controlCharactersNeverReachTheTerminal() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let header = dir.appendingPathComponent("esc.csv").path
    try Data("step,\u{1B}[2Jloss\n1,0.5\n2,0.25\n".utf8).write(to: URL(fileURLWithPath: header))
    let cell = dir.appendingPathComponent("esc2.csv").path
    try Data("step,loss\n\u{1B}[31m1,0.5\n".utf8).write(to: URL(fileURLWithPath: cell))
    let grid = dir.appendingPathComponent("g.csv").path
    try Data("1,2\n3,\u{1B}]0;title\u{07}\n".utf8).write(to: URL(fileURLWithPath: grid))
    for args in [["info", header], ["info", header, "--json"], ["info", cell], ["render", "loss-landscape", grid, "-o", dir.path + "/x.png"]] {
      let r = try CLI.run(args)
      #expect(!r.stdout.contains("\u{1B}") && !r.stderr.contains("\u{1B}") && !r.stderr.contains("\u{07}"), "\(args)")
    }
    let r = try CLI.run(["info", header])
    #expect(r.stdout.contains("\\u{1B}[2Jloss"))
  }

  /// Defect 9: negative numbers are out of range, not "Missing value".
  @Test func negativeValuesNameTheOption() throws {
    let example = CLI.example
    for (args, option) in [
      (["render", "gradient-flow", example, "--size", "-5x10"], "--size"),
      (["turntable", "gradient-flow", example, "--frames", "-1"], "--frames"),
      (["render", "gradient-flow", example, "--last", "-1"], "--last"),
      (["render", "gradient-flow", example, "--max-steps", "-3"], "--max-steps"),
      (["render", "gradient-flow", example, "--samples", "-1"], "--samples"),
      (["render", "gradient-flow", example, "--ema", "-2"], "--ema"),
      (["render", "loss-landscape", example, "--window", "-4"], "--window"),
      (["render", "reward-landscape", example, "--grid", "-30"], "--grid"),
      (["render", "histogram", example, "--bins", "-8"], "--bins"),
      (["turntable", "gradient-flow", example, "--fps", "-24"], "--fps"),
      (["export", "gradient-flow", example, "--max-points", "-5"], "--max-points"),
      (["convert", example, "-o", "-", "--follow", "--interval", "-1"], "--interval"),
      (["convert", example, "-o", "-", "--follow", "--idle-exit", "-1"], "--idle-exit"),
      (["render", "gradient-flow", example, "--max-memory", "-1G"], "--max-memory"),
    ] {
      let r = try CLI.run(args)
      #expect(r.status != 0, "\(args)")
      #expect(!r.stderr.contains("Missing value") && r.stderr.contains(option), "\(args): \(r.stderr)")
    }
  }

  /// Defect 9: an array given as metrics says what it is.
  @Test func binaryFilesAreNamedForWhatTheyAre() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npy = dir.appendingPathComponent("a.npy").path
    let header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }          \n".utf8)
    try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + [UInt8](repeating: 0, count: 16))
      .write(to: URL(fileURLWithPath: npy))
    for args in [["info", npy], ["info", npy, "--format", "csv"], ["render", "gradient-flow", npy]] {
      let r = try CLI.run(args)
      #expect(r.status != 0 && r.stderr.contains("is a NumPy .npy array"), "\(args): \(r.stderr)")
      #expect(!r.stderr.contains("integer step"))
    }
  }

  /// Defect 6: headers claiming gigabytes are refused with the numbers before anything is
  /// allocated; --max-memory is explained in --help.
  @Test func arraysOverTheMemoryBudgetAreRefused() throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let grid = try MemoryBudgetTestFiles.sparseNPY([50000, 50000], name: "grid.npy", in: dir)
    let g = try CLI.run(["render", "loss-landscape", grid, "-o", dir.path + "/g.png"])
    #expect(g.reason == .exit && g.status != 0, "\(g.stderr)")
    #expect(g.stderr.contains("a 50000 x 50000 grid") && g.stderr.contains("over the memory budget"), "\(g.stderr)")
    let emb = try MemoryBudgetTestFiles.sparseNPY([1000, 1_000_000], name: "emb.npy", in: dir)
    let e = try CLI.run(["render", "embedding", emb, "-o", dir.path + "/e.png", "--max-memory", "4G"])
    #expect(e.reason == .exit && e.status != 0, "\(e.stderr)")
    #expect(e.stderr.contains("an embedding of shape (1000, 1000000)") && e.stderr.contains("4.0 GiB"), "\(e.stderr)")
    let help = try CLI.run(["render", "loss-landscape", "--help"])
    let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(words.contains("--max-memory") && words.contains("(default: half the memory:"), "\(help.stdout)")
  }
}

enum MemoryBudgetTestFiles {
  /// A sparse .npy: a header claiming `shape` float64 and a hole for the data.
  static func sparseNPY(_ shape: [Int], name: String, in dir: URL) throws -> String {
    let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
    var header = Array(dict.utf8)
    while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
    header.append(0x0A)
    let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
    let p = dir.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    #expect(truncate(p, off_t(bytes.count + MemoryBudget.product(shape + [8]))) == 0)
    return p
  }
}
