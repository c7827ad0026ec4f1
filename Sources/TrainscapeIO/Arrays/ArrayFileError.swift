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

  /// "FILE: byte OFFSET: MESSAGE", or "FILE: MESSAGE" without an offset, with control
  /// characters (from the file's bytes or its name) escaped.
  public var description: String {
    let text = offset.map { "\(file): byte \($0): \(message)" } ?? "\(file): \(message)"
    return Escape.quoted(text)
  }
}
