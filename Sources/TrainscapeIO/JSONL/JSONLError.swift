/// A malformed line in a JSONL metrics file.
///
/// `line` and `column` are 1-based; columns count bytes (UTF-8 code units)
/// from the start of the line, after a leading byte-order mark.
public struct JSONLError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var line: Int
  public var column: Int
  /// What was expected, e.g.
  /// "expected ',' or '}' after object member, found 'x'".
  public var message: String

  public init(file: String, line: Int, column: Int, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// "FILE:LINE:COLUMN: MESSAGE"
  public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A problem with a metrics file as a whole: it cannot be read, or it holds
/// no rows.
public struct JSONLFileError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var message: String

  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  /// "FILE: MESSAGE"
  public var description: String { "\(file): \(message)" }
}
