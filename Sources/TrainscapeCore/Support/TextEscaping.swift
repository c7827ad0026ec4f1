extension String {
  /// The text with control characters written as escapes (`\n`, `\t`, `\r`, `\u{1b}`), so a
  /// value read from a file (a run name, a config string, a log line) cannot move the
  /// terminal's cursor or colour the message it is printed in.
  public var escapingControlCharacters: String {
    guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
    var out = ""
    for u in unicodeScalars {
      switch u {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.properties.generalCategory == .control {
          out += "\\u{" + String(u.value, radix: 16) + "}"
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out
  }
}
