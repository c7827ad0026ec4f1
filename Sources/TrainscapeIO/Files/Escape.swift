import Foundation

/// Escapes control characters (from files or names) before they reach a terminal: a metric
/// name, a CSV cell or a file name holding ESC would otherwise clear the screen or worse.
public enum Escape {
  /// Every C0 and C1 control character and DEL as `\u{1B}`, except newline and tab (messages
  /// may span lines).
  public static func controlCharacters(_ s: String) -> String {
    escape(s, keeping: ["\n", "\t"])
  }

  /// A value quoted inside a one-line message: newlines and tabs escaped too.
  public static func quoted(_ s: String) -> String {
    escape(s, keeping: [])
  }

  private static func escape(_ s: String, keeping: Set<Unicode.Scalar>) -> String {
    guard s.unicodeScalars.contains(where: { isControl($0) && !keeping.contains($0) }) else { return s }
    var out = ""
    for u in s.unicodeScalars {
      if isControl(u) && !keeping.contains(u) {
        out += String(format: "\\u{%02X}", u.value)
      } else {
        out.unicodeScalars.append(u)
      }
    }
    return out
  }

  static func isControl(_ u: Unicode.Scalar) -> Bool {
    u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value)
  }
}
