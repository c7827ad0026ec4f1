import Foundation
import TrainscapeIO
import TOMLKit

/// Reads a plan from a TOML (`.toml`) or JSON (`.json`) file. Both are read into one tree of
/// values, so both formats have exactly the same keys (docs/batch.md):
///
///     sources = ["runs/*.jsonl"]          # files, directories of runs, globs
///     output = "renders"                  # optional; -o overrides
///     [defaults]                          # options of every kind (size, colormap, ...)
///     size = "640x360"
///     [kinds.gradient-flow]
///     outputs = ["png", "glb", "gif"]
///     log-z = "on"                        # any option of `render gradient-flow`
///     [kinds.gradient-flow.animation]     # for gif / apng / mp4
///     frames = 72
///     frames-per-job = 18                 # split over shards; `batch --merge` assembles
///     [kinds.gradient-flow.export]        # for plotly.json / glb / html
///     typed-arrays = true
///     [kinds.loss-landscape]
///     per = "sweep"                       # one job over all runs
///
/// Keys may be written with `_` or `-`. Keys the reader doesn't know are returned as warnings
/// (one line each), never dropped silently.
public enum PlanReader {
  /// The plan and the warnings about what it ignored.
  public static func read(path: String) throws -> (plan: Plan, warnings: [String]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      let reason = access(path, R_OK) == 0 ? "cannot read it" : String(cString: strerror(errno))
      throw PlanError(file: path, message: reason)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw PlanError(file: path, message: "not UTF-8 text")
    }
    let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let lower = path.lowercased()
    let tree: PlanValue
    if lower.hasSuffix(".json") {
      tree = try parseJSON(data, file: path)
    } else if lower.hasSuffix(".toml") {
      tree = try parseTOML(text, file: path)
    } else {
      // No telling extension: JSON starts with '{'.
      let first = text.first { !$0.isWhitespace }
      tree = first == "{" ? try parseJSON(data, file: path) : try parseTOML(text, file: path)
    }
    return try build(tree, file: path, baseDirectory: base)
  }

  /// Parses plan text (for tests and `--plan -`).
  public static func read(text: String, format: String, file: String = "<plan>", baseDirectory: String)
    throws -> (plan: Plan, warnings: [String])
  {
    let tree = format == "json" ? try parseJSON(Data(text.utf8), file: file) : try parseTOML(text, file: file)
    return try build(tree, file: file, baseDirectory: baseDirectory)
  }

  // MARK: - Parsing into one tree

  /// A value from either format.
  indirect enum PlanValue {
    case table([String: PlanValue])
    case array([PlanValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case other(String)

    var typeName: String {
      switch self {
      case .table: return "a table"
      case .array: return "a list"
      case .string: return "a string"
      case .integer: return "an integer"
      case .number: return "a number"
      case .bool: return "true or false"
      case .other(let t): return t
      }
    }
  }

  static func parseTOML(_ text: String, file: String) throws -> PlanValue {
    do {
      let table = try TOMLTable(string: text)
      return convert(table)
    } catch let e as TOMLParseError {
      throw PlanError(file: file, line: e.source.begin.line, message: "TOML: \(e.description) (column \(e.source.begin.column))")
    }
  }

  static func convert(_ v: TOMLValueConvertible) -> PlanValue {
    switch v.type {
    case .table:
      var out: [String: PlanValue] = [:]
      if let t = v.table { for (k, x) in t { out[k] = convert(x) } }
      return .table(out)
    case .array:
      return .array((v.array.map { Array($0) } ?? []).map(convert))
    case .string: return .string(v.string ?? "")
    case .int: return .integer(v.int ?? 0)
    case .double: return .number(v.double ?? .nan)
    case .bool: return .bool(v.bool ?? false)
    default: return .other("a \(v.type)")
    }
  }

  static func parseJSON(_ data: Data, file: String) throws -> PlanValue {
    do {
      return try JSONDecoder().decode(JSONTree.self, from: data).value
    } catch let DecodingError.dataCorrupted(context) {
      // JSONDecoder does not say where; JSONSerialization names the character.
      var detail = context.debugDescription
      do {
        _ = try JSONSerialization.jsonObject(with: data)
      } catch {
        detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? detail
      }
      throw PlanError(file: file, line: jsonLine(detail, data), message: "JSON: \(detail)")
    } catch {
      throw PlanError(file: file, message: "JSON: \(error)")
    }
  }

  /// The line a Foundation JSON error names ("around line 3, column 12" or "character 41").
  static func jsonLine(_ detail: String, _ data: Data) -> Int? {
    if let r = detail.range(of: #"line \d+"#, options: .regularExpression) {
      return Int(detail[r].dropFirst(5))
    }
    if let r = detail.range(of: #"character \d+"#, options: .regularExpression), let offset = Int(detail[r].dropFirst(10)) {
      return data.prefix(offset).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
    return nil
  }

  /// JSON into the same tree as TOML (booleans stay booleans, whole numbers integers).
  struct JSONTree: Decodable {
    var value: PlanValue
    init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if c.decodeNil() {
        value = .other("null")
      } else if let b = try? c.decode(Bool.self) {
        value = .bool(b)
      } else if let i = try? c.decode(Int.self) {
        value = .integer(i)
      } else if let d = try? c.decode(Double.self) {
        value = .number(d)
      } else if let s = try? c.decode(String.self) {
        value = .string(s)
      } else if let a = try? c.decode([JSONTree].self) {
        value = .array(a.map(\.value))
      } else {
        value = .table(try c.decode([String: JSONTree].self).mapValues(\.value))
      }
    }
  }

  // MARK: - The plan from the tree

  static func key(_ k: String) -> String { k.replacingOccurrences(of: "_", with: "-") }

  static func build(_ tree: PlanValue, file: String, baseDirectory: String) throws -> (plan: Plan, warnings: [String]) {
    guard case .table(let top) = tree else {
      throw PlanError(file: file, message: "a plan is a table (TOML) or an object (JSON) at the top level")
    }
    var warnings: [String] = []
    func fail(_ m: String) -> PlanError { PlanError(file: file, message: m) }

    var sources: [String] = []
    var output: String?
    var defaults: [(String, OptionValue)] = []
    var kindTables: [(String, [String: PlanValue])] = []
    for (k, v) in top.sorted(by: { $0.key < $1.key }) {
      switch key(k) {
      case "sources":
        switch v {
        case .string(let s): sources = [s]
        case .array(let a):
          sources = try a.map {
            guard case .string(let s) = $0 else { throw fail("'sources' lists paths or globs as strings, found \($0.typeName)") }
            return s
          }
        default: throw fail("'sources' is a list of paths or globs, found \(v.typeName)")
        }
      case "output":
        guard case .string(let s) = v else { throw fail("'output' is a folder path, found \(v.typeName)") }
        output = s
      case "defaults":
        guard case .table(let t) = v else { throw fail("'defaults' is a table of options, found \(v.typeName)") }
        defaults = try options(t, file: file, where: "defaults")
      case "kinds":
        guard case .table(let t) = v else { throw fail("'kinds' is a table with one table per kind, found \(v.typeName)") }
        for (name, spec) in t.sorted(by: { $0.key < $1.key }) {
          guard case .table(let st) = spec else { throw fail("kinds.\(name) is a table, found \(spec.typeName)") }
          kindTables.append((name, st))
        }
      default:
        warnings.append("\(file): unknown key '\(Escape.controlCharacters(k))' ignored (known: sources, output, defaults, kinds)")
      }
    }
    if sources.isEmpty { throw fail("no 'sources': name the runs (files, directories of runs or globs)") }
    if kindTables.isEmpty { throw fail("no kinds: add a [kinds.NAME] table (gradient-flow, loss-landscape, trajectory, ...)") }

    var kinds: [KindSpec] = []
    for (name, table) in kindTables {
      let whereK = "kinds.\(name)"
      var outputs: [OutputFormat] = []
      var scope = KindScope.run
      var opts: [String: OptionValue] = Dictionary(defaults, uniquingKeysWith: { _, b in b })
      var exportOpts: [(String, OptionValue)] = []
      var animation = AnimationSpec()
      for (k, v) in table.sorted(by: { $0.key < $1.key }) {
        switch key(k) {
        case "outputs":
          let list: [PlanValue]
          switch v {
          case .array(let a): list = a
          case .string: list = [v]
          default: throw fail("\(whereK).outputs is a list such as [\"png\", \"glb\"], found \(v.typeName)")
          }
          for item in list {
            guard case .string(let s) = item, let f = OutputFormat(rawValue: s.lowercased()) else {
              throw fail("\(whereK).outputs: unknown output \(describe(item)); use \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !outputs.contains(f) { outputs.append(f) }
          }
        case "per":
          guard case .string(let s) = v, let sc = KindScope(rawValue: s) else {
            throw fail("\(whereK).per is \"run\" (one job per run) or \"sweep\" (one job over all runs), found \(describe(v))")
          }
          scope = sc
        case "export":
          guard case .table(let t) = v else { throw fail("\(whereK).export is a table of export options, found \(v.typeName)") }
          exportOpts = try options(t, file: file, where: "\(whereK).export")
        case "animation":
          guard case .table(let t) = v else { throw fail("\(whereK).animation is a table, found \(v.typeName)") }
          animation = try animationSpec(t, file: file, where: "\(whereK).animation")
        default:
          let o = try options([k: v], file: file, where: whereK)
          for (ok, ov) in o { opts[ok] = ov }
        }
      }
      if outputs.isEmpty { throw fail("\(whereK) has no outputs: add outputs = [\"png\"] (or plotly.json, glb, html, gif, apng, mp4)") }
      for reserved in ["output", "o", "force"] where opts[reserved] != nil {
        warnings.append("\(file): \(whereK).\(reserved) ignored: the batch names every output itself")
        opts[reserved] = nil
      }
      if opts["gpu"] != nil {
        warnings.append("\(file): \(whereK).gpu ignored: `batch --gpu` picks the device for every job")
        opts["gpu"] = nil
      }
      var spec = KindSpec(name: name, outputs: outputs)
      spec.scope = scope
      spec.options = opts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      spec.exportOptions = exportOpts
      spec.animation = animation
      if spec.animation.framesPerJob != nil && !outputs.contains(where: \.isAnimation) {
        warnings.append("\(file): \(whereK).animation.frames-per-job ignored: the kind has no gif, apng or mp4 output")
      }
      kinds.append(spec)
    }
    return (Plan(sources: sources, kinds: kinds, output: output, baseDirectory: baseDirectory), warnings)
  }

  static func describe(_ v: PlanValue) -> String {
    switch v {
    case .string(let s): return "'\(Escape.controlCharacters(s))'"
    default: return v.typeName
    }
  }

  static func optionValue(_ v: PlanValue, file: String, where w: String) throws -> OptionValue {
    switch v {
    case .string(let s): return .string(s)
    case .integer(let i): return .integer(i)
    case .number(let d): return .number(d)
    case .bool(let b): return .bool(b)
    case .array(let a): return .list(try a.map { try optionValue($0, file: file, where: w) })
    case .table: throw PlanError(file: file, message: "\(w): a table is not an option value")
    case .other(let t): throw PlanError(file: file, message: "\(w): \(t) is not an option value")
    }
  }

  static func options(_ t: [String: PlanValue], file: String, where w: String) throws -> [(String, OptionValue)] {
    try t.sorted { $0.key < $1.key }.map { k, v in
      let name = key(k)
      guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !name.hasPrefix("-") else {
        throw PlanError(file: file, message: "\(w): '\(Escape.controlCharacters(k))' is not an option name")
      }
      return (name, try optionValue(v, file: file, where: "\(w).\(k)"))
    }
  }

  static func animationSpec(_ t: [String: PlanValue], file: String, where w: String) throws -> AnimationSpec {
    var spec = AnimationSpec()
    var rest: [String: PlanValue] = [:]
    for (k, v) in t {
      switch key(k) {
      case "frames":
        guard case .integer(let n) = v, (1...100_000).contains(n) else {
          throw PlanError(file: file, message: "\(w).frames is a whole number from 1 to 100000, found \(describe(v))")
        }
        spec.frames = n
      case "frames-per-job":
        guard case .integer(let n) = v, n >= 1 else {
          throw PlanError(file: file, message: "\(w).frames-per-job is a whole number of at least 1, found \(describe(v))")
        }
        spec.framesPerJob = n
      case "by":
        guard case .string(let s) = v, let m = AnimationMode(rawValue: s) else {
          throw PlanError(file: file, message: "\(w).by is \"orbit\" (turntable) or \"step\" (training progress), found \(describe(v))")
        }
        spec.mode = m
      case "animate", "in-place", "quiet":
        throw PlanError(file: file, message: "\(w).\(k): the batch sets this itself; use the kind's outputs (gif, apng, mp4)")
      default:
        rest[k] = v
      }
    }
    spec.options = try options(rest, file: file, where: w)
    return spec
  }
}
