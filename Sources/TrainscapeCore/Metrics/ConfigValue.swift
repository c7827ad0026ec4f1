/// One value of a run's configuration: a number (`seed=3`, `lr=3e-4`), a string
/// (`arm=vanilla`, `intervention=none`) or a boolean (`use_amp=true`).
///
/// Configs come from W&B config records, Hugging Face `trainer_state.json`, the
/// `key=value` / `--flag=value` tokens of a table log's argv and preset lines, and the named
/// captures of `--group-by-name`. Grouping compares values by their `text`, so the number 3
/// and the string "3" fall in one group.
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
  case number(Double)
  case string(String)
  case bool(Bool)

  /// The value as a number: numbers as they are, booleans as 0/1, strings never.
  public var number: Double? {
    switch self {
    case .number(let d): return d
    case .bool(let b): return b ? 1 : 0
    case .string: return nil
    }
  }

  /// The value as a person writes it: integral numbers without a fraction (`3`, not `3.0`),
  /// others in Swift's shortest round-trip form (`0.0003`, `1e-05`), strings as they are,
  /// booleans as `true`/`false`.
  public var text: String {
    switch self {
    case .number(let d): return Self.numberText(d)
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    }
  }

  public var description: String { text }

  /// Reads a value written in a command line or a log: `true`/`false` (any case) are
  /// booleans, text that parses as a finite number (`3`, `-1.5e-4`, `.5`) is a number, and
  /// everything else (`vanilla`, `none`, `nan`, `1e999`) is a string. Matching single or
  /// double quotes around the text are removed first, and a quoted value is always a string.
  public static func parse(_ raw: Substring) -> ConfigValue {
    if raw.count >= 2, let f = raw.first, f == "'" || f == "\"", raw.last == f {
      return .string(String(raw.dropFirst().dropLast()))
    }
    switch raw.lowercased() {
    case "true": return .bool(true)
    case "false": return .bool(false)
    default: break
    }
    if let d = Self.finiteNumber(raw) { return .number(d) }
    return .string(String(raw))
  }

  /// A finite number in plain decimal or exponent notation (no `nan`, `inf`, hex or `_`).
  static func finiteNumber(_ s: Substring) -> Double? {
    guard let first = s.unicodeScalars.first,
      first == "+" || first == "-" || first == "." || ("0"..."9").contains(first),
      s.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0) }),
      let d = Double(s), d.isFinite
    else { return nil }
    return d
  }

  public static func numberText(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
  }
}

extension ConfigValue: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
  ExpressibleByBooleanLiteral
{
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension Dictionary where Key == String, Value == ConfigValue {
  /// The numeric entries (numbers, and booleans as 0/1), for code that reads hyperparameters
  /// such as the learning rate.
  public var numbers: [String: Double] { compactMapValues(\.number) }
}
