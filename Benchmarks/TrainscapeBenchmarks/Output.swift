import Foundation

/// Writes one line to stdout at once (unbuffered), so that it comes before the output of a
/// peer process started next.
func printLine(_ s: String) {
  FileHandle.standardOutput.write(Data("\(s)\n".utf8))
}
