import Foundation
import TrainscapeTestSupport

/// Runs a Python snippet in the project's venv and returns its stdout: the reference checks use
/// numpy/scipy/scikit-learn/matplotlib there, independent of our code.
enum PythonReference {
  static var packageRoot: URL { TestPaths.packageRoot }

  static func run(_ script: String, stdin: String = "") throws -> String {
    try Python.run(script, stdin: stdin)
  }

  typealias ReferenceError = Python.Failure
}
