import Foundation

/// The package's paths as the tests see them.
public enum TestPaths {
  /// The package root (this file is Tests/TestSupport/Process.swift).
  public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The bundled example run (a 12-layer model, 1200 steps).
  public static var example: String {
    packageRoot.appendingPathComponent("Assets/examples/nanochat_d12.jsonl").path
  }

  /// Where failing image tests leave actual, expected and diff images.
  public static var artifacts: URL { packageRoot.appendingPathComponent("test-artifacts") }

  /// A new empty temporary directory.
  public static func temporaryDirectory(_ tag: String = "trainscape-test") throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }
}

/// A failure a helper reports by throwing: the message is the whole story.
public struct TestFailure: Error, CustomStringConvertible {
  public var description: String
  public init(_ d: String) { description = d }
}

public struct ProcessResult: Sendable {
  public var status: Int32
  public var exitedNormally: Bool
  public var stdout: String
  public var stderr: String
}

public enum Subprocess {
  /// Makes a write to a pipe whose reader has gone (a child that exited before reading all its
  /// stdin) fail with EPIPE instead of killing the whole test process with SIGPIPE. Every helper
  /// that starts a process calls it; a test that starts one itself calls it first.
  public static func ignoreBrokenPipes() { _ = brokenPipesIgnored }
  private static let brokenPipesIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

  /// The current environment with `changes` applied (a nil value removes the variable).
  static func environment(_ changes: [String: String?]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in changes { env[k] = v }
    return env
  }

  /// Runs `executable` with `arguments`, the current environment changed by `environment` (nil
  /// removes a variable), and `stdin`; both output pipes are drained concurrently, so a chatty
  /// stderr cannot block it.
  public static func run(
    _ executable: URL, _ arguments: [String], environment: [String: String?] = [:],
    stdin: String? = nil
  ) throws -> ProcessResult {
    ignoreBrokenPipes()
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    p.environment = Self.environment(environment)
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    let group = DispatchGroup()
    let errBox = DataBox()
    DispatchQueue.global().async(group: group) {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
    }
    // A child that exits without reading all of it leaves EPIPE here; its status tells why.
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(
      status: p.terminationStatus, exitedNormally: p.terminationReason == .exit,
      stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self))
  }

  private final class DataBox: @unchecked Sendable { var data = Data() }
}

/// A process that runs while the test goes on: the test waits for lines it prints (events such
/// as "updated to step 899"), never for a fixed time.
public final class RunningProcess: @unchecked Sendable {
  private let process: Process
  private let condition = NSCondition()
  // Under `condition`:
  private var output = ["", ""]  // stdout, stderr
  private var closed = [false, false]
  private let group = DispatchGroup()

  /// The process's id (to send it a signal).
  public var processIdentifier: Int32 { process.processIdentifier }

  public init(_ executable: URL, _ arguments: [String], environment: [String: String?] = [:]) throws {
    Subprocess.ignoreBrokenPipes()
    process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = Subprocess.environment(environment)
    let pipes = [Pipe(), Pipe()]
    process.standardOutput = pipes[0]
    process.standardError = pipes[1]
    process.standardInput = FileHandle.nullDevice
    try process.run()
    for (k, pipe) in pipes.enumerated() {
      DispatchQueue.global().async(group: group) { [self] in
        let handle = pipe.fileHandleForReading
        while true {
          let chunk = handle.availableData
          condition.lock()
          if chunk.isEmpty { closed[k] = true } else { output[k] += String(decoding: chunk, as: UTF8.self) }
          condition.broadcast()
          condition.unlock()
          if chunk.isEmpty { break }
        }
      }
    }
  }

  deinit {
    // A test that failed before `finish()` leaves no process behind.
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }

  /// Waits until a line of stderr contains `text` and returns that line. Throws when the
  /// process closes stderr first or `timeout` seconds pass (the process is then stuck: the
  /// timeout is a hang guard, not a speed requirement), with what it printed.
  @discardableResult
  public func waitForStderrLine(containing text: String, timeout: Double = 300) throws -> String {
    try waitForLine(containing: text, stream: 1, timeout: timeout)
  }

  /// As `waitForStderrLine`, on stdout.
  @discardableResult
  public func waitForStdoutLine(containing text: String, timeout: Double = 300) throws -> String {
    try waitForLine(containing: text, stream: 0, timeout: timeout)
  }

  private func waitForLine(containing text: String, stream k: Int, timeout: Double) throws -> String {
    let name = k == 0 ? "stdout" : "stderr"
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while true {
      // Complete lines only.
      let complete = output[k].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      if let line = complete.first(where: { $0.contains(text) }) { return String(line) }
      if closed[k] {
        throw TestFailure("the process ended without printing '\(text)' on \(name):\n\(output[k])\n\(output[1 - k])")
      }
      if !condition.wait(until: deadline) {
        throw TestFailure("no '\(text)' on \(name) after \(Int(timeout)) s (the process hangs):\n\(output[k])")
      }
    }
  }

  /// Waits for the process to exit and returns what it printed.
  public func finish() -> ProcessResult {
    group.wait()
    process.waitUntilExit()
    condition.lock()
    defer { condition.unlock() }
    return ProcessResult(
      status: process.terminationStatus, exitedNormally: process.terminationReason == .exit,
      stdout: output[0], stderr: output[1])
  }
}

/// The built `trainscape` binary, run as a user would.
public enum TrainscapeCLI {
  /// Next to the test bundle in the build folder.
  public static var binary: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("trainscape")
  }

  public static func run(_ args: [String], environment: [String: String?] = [:], stdin: String? = nil) throws
    -> ProcessResult
  {
    try Subprocess.run(binary, args, environment: environment, stdin: stdin)
  }

  /// Starts it and returns at once (`RunningProcess.waitForStderrLine`, `finish`).
  public static func start(_ args: [String], environment: [String: String?] = [:]) throws -> RunningProcess {
    try RunningProcess(binary, args, environment: environment)
  }
}

/// The project's Python venv (`scripts/setup.sh` creates it), where the independent references
/// live: numpy, scipy, scikit-learn, matplotlib, plotly, wandb, tensorboard. A missing venv is a
/// test failure with one line saying what to run, never a skip.
public enum Python {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
  }

  public static var executable: URL { TestPaths.packageRoot.appendingPathComponent(".venv/bin/python") }

  /// Runs `python ARGS` and returns its stdout; throws with Python's stderr when it fails.
  public static func run(
    arguments: [String], stdin: String = "", environment: [String: String?] = [:]
  ) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
      throw Failure("\(executable.path) not found: run scripts/setup.sh to create .venv with the reference packages")
    }
    let r = try Subprocess.run(executable, arguments, environment: environment, stdin: stdin)
    guard r.status == 0, r.exitedNormally else {
      throw Failure("python failed (run scripts/setup.sh to create .venv if a package is missing): \(r.stderr.suffix(3000))")
    }
    return r.stdout
  }

  /// Runs `python -c SCRIPT ARGS...`.
  public static func run(
    _ script: String, args: [String] = [], stdin: String = "", environment: [String: String?] = [:]
  ) throws -> String {
    try run(arguments: ["-c", script] + args, stdin: stdin, environment: environment)
  }

  /// Runs a script of the package (`scripts/NAME.py`) with `args`.
  public static func runFile(_ relativePath: String, args: [String] = [], environment: [String: String?] = [:]) throws -> String {
    try run(arguments: [TestPaths.packageRoot.appendingPathComponent(relativePath).path] + args, environment: environment)
  }
}
