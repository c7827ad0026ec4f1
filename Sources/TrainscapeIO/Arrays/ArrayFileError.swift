/// A problem with an array or grid file (`.npy`, CSV grid, HDF5).
///
/// `offset` is the byte offset in the file where the problem was found, when
/// there is one (HDF5 errors have none: the library does not expose it).
public struct ArrayFileError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var offset: Int?
  /// What was expected, e.g. "expected the magic string \\x93NUMPY, found ...".
  public var message: String

  public init(file: String, offset: Int?, message: String) {
    self.file = file
    self.offset = offset
    self.message = message
  }

  /// "FILE: byte OFFSET: MESSAGE", or "FILE: MESSAGE" without an offset.
  public var description: String {
    if let offset { return "\(file): byte \(offset): \(message)" }
    return "\(file): \(message)"
  }
}
