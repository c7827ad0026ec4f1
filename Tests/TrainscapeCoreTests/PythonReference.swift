import Foundation
import Testing

/// Runs a Python snippet in the project's venv (`scripts/setup.sh` creates it) and returns its
/// stdout. Reference checks use numpy/scipy/matplotlib there, independent of our code. A missing
/// venv is a failure with instructions, never a silent skip.
enum PythonReference {
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  static func run(_ script: String, stdin: String = "") throws -> String {
    let python = packageRoot.appendingPathComponent(".venv/bin/python")
    guard FileManager.default.isExecutableFile(atPath: python.path) else {
      throw ReferenceError(
        "\(python.path) not found: run scripts/setup.sh to create .venv with the reference packages")
    }
    let p = Process()
    p.executableURL = python
    p.arguments = ["-c", script]
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw ReferenceError(
        "python reference failed (run scripts/setup.sh to create .venv): \(String(decoding: errData, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
  }

  struct ReferenceError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }
}
