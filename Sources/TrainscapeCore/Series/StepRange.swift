/// An inclusive range of training steps with optional bounds, as given on a
/// command line: `1000:5000` (both bounds), `1000:` (from 1000 on), `:5000`
/// (up to and including 5000).
public struct StepRange: Sendable, Equatable, CustomStringConvertible {
  /// The smallest step kept, or nil for no lower bound.
  public var lower: Int64?
  /// The largest step kept, or nil for no upper bound.
  public var upper: Int64?

  /// A range with the given bounds; nil bounds are open. `lower > upper`
  /// is allowed here and contains no step.
  public init(lower: Int64? = nil, upper: Int64? = nil) {
    self.lower = lower
    self.upper = upper
  }

  /// Parses `LOWER:UPPER`, `LOWER:` or `:UPPER`, where the bounds are
  /// decimal integers (an optional sign, no separators; spaces around a
  /// bound are ignored). Returns nil for anything else: no colon, more than
  /// one colon, a bound that is not an integer or does not fit in `Int64`,
  /// no bound at all (`:` or an empty string), or `LOWER > UPPER`.
  public init?(argument: String) {
    let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2 else { return nil }
    func bound(_ s: Substring) -> Int64?? {
      let t = s.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
      if t.isEmpty { return .some(nil) }
      guard let v = Int64(String(t)) else { return nil }
      return .some(v)
    }
    guard let lower = bound(parts[0]), let upper = bound(parts[1]) else { return nil }
    if lower == nil && upper == nil { return nil }
    if let lower, let upper, lower > upper { return nil }
    self.init(lower: lower, upper: upper)
  }

  /// Whether `lower <= step <= upper` (a missing bound always holds).
  public func contains(_ step: Int64) -> Bool {
    if let lower, step < lower { return false }
    if let upper, step > upper { return false }
    return true
  }

  /// The command-line form, e.g. `1000:` or `1000:5000`.
  public var description: String {
    "\(lower.map(String.init) ?? ""):\(upper.map(String.init) ?? "")"
  }
}
