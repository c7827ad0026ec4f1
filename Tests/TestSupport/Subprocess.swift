import Foundation

/// Shared by the test targets: running programs and the project's Python venv, and the
/// package's paths. Not part of any product.
public enum TestPaths {
  /// The package root (this file is Tests/TestSupport/Subprocess.swift).
  public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// A new empty temporary directory.
  public static func temporaryDirectory(_ tag: String = "trainscape-test") throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }
}

public struct ProcessResult: Sendable {
  public var status: Int32
  public var exitedNormally: Bool
  public var stdout: String
  public var stderr: String
}

public enum Subprocess {
  /// Runs `executable` with `arguments`, the current environment plus `environment`, and
  /// `stdin`; both output pipes are drained concurrently, so a chatty stderr cannot block it.
  public static func run(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:],
    stdin: String? = nil
  ) throws -> ProcessResult {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
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
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
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

/// The project's Python venv (`scripts/setup.sh` creates it), where the independent references
/// live: numpy, scipy, scikit-learn, matplotlib, plotly, wandb, tensorboard. A missing venv is a
/// test failure with instructions, never a skip.
public enum Python {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
  }

  public static var executable: URL { TestPaths.packageRoot.appendingPathComponent(".venv/bin/python") }

  /// Runs `python ARGS` and returns its stdout; throws with Python's stderr when it fails.
  public static func run(
    arguments: [String], stdin: String = "", environment: [String: String] = [:]
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
    _ script: String, args: [String] = [], stdin: String = "", environment: [String: String] = [:]
  ) throws -> String {
    try run(arguments: ["-c", script] + args, stdin: stdin, environment: environment)
  }

  /// Runs a script of the package (`scripts/NAME.py`) with `args`.
  public static func runFile(_ relativePath: String, args: [String] = [], environment: [String: String] = [:]) throws -> String {
    try run(arguments: [TestPaths.packageRoot.appendingPathComponent(relativePath).path] + args, environment: environment)
  }
}
