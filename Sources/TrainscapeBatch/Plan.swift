import Foundation
import TrainscapeIO

/// What a batch writes for one (run, kind): a picture, an export or an animation.
public enum OutputFormat: String, Codable, Sendable, CaseIterable, Comparable {
  case png
  case plotlyJSON = "plotly.json"
  case glb
  case html
  case gif
  case apng
  case mp4

  /// The output file's extension (after the kind's name): `gradient-flow.plotly.json`.
  public var fileExtension: String {
    switch self {
    case .apng: return "apng.png"
    default: return rawValue
    }
  }

  /// An animation: frames rendered by `turntable` or `animate`, then encoded.
  public var isAnimation: Bool { self == .gif || self == .apng || self == .mp4 }

  /// An export (`trainscape export KIND`).
  public var isExport: Bool { self == .plotlyJSON || self == .glb || self == .html }

  public static func < (a: OutputFormat, b: OutputFormat) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// One option value from a plan: written out as the kind's command-line arguments.
public enum OptionValue: Equatable, Sendable {
  case string(String)
  case integer(Int)
  case number(Double)
  case bool(Bool)
  case list([OptionValue])

  /// The value as a command-line word (lists are joined by commas).
  public var argument: String {
    switch self {
    case .string(let s): return s
    case .integer(let i): return String(i)
    case .number(let d):
      if d.rounded() == d, abs(d) < 1e15 { return String(Int(d)) }
      return String(d)
    case .bool(let b): return b ? "true" : "false"
    case .list(let items): return items.map(\.argument).joined(separator: ",")
    }
  }

  /// `key = value` as arguments: `--key value`; true -> `--key`; false -> nothing.
  public func arguments(flag: String) -> [String] {
    switch self {
    case .bool(let b): return b ? [flag] : []
    default: return [flag, argument]
    }
  }
}

/// How an animation is made: the camera orbits (`turntable`) or the data grow with training
/// (`animate --by step`, optionally orbiting).
public enum AnimationMode: String, Codable, Sendable {
  case orbit
  case step
}

/// The animation settings of one kind (`[kinds.NAME.animation]`).
public struct AnimationSpec: Equatable, Sendable {
  public var mode: AnimationMode = .orbit
  /// Frames of the whole animation (`--frames`).
  public var frames: Int = 72
  /// Split the frames into jobs of this many frames each, spread over the shards; `batch
  /// --merge` assembles them into the animated file. Nil: one job renders every frame.
  public var framesPerJob: Int?
  /// Other frame options (fps, quality, elevation, png-level, dither, orbit), sorted by key.
  public var options: [(String, OptionValue)] = []

  public init() {}

  public static func == (a: AnimationSpec, b: AnimationSpec) -> Bool {
    a.mode == b.mode && a.frames == b.frames && a.framesPerJob == b.framesPerJob
      && a.options.map(\.0) == b.options.map(\.0) && a.options.map(\.1) == b.options.map(\.1)
  }
}

/// Whether a kind makes one job per run, or one job over every run of the plan (a
/// loss-landscape sweep).
public enum KindScope: String, Codable, Sendable {
  case run
  case sweep
}

/// One kind of a plan: what to write, and the options of `render KIND`.
public struct KindSpec: Equatable, Sendable {
  /// The kind's name: gradient-flow, loss-landscape, trajectory, reward-landscape, attention,
  /// embedding.
  public var name: String
  public var outputs: [OutputFormat]
  public var scope: KindScope = .run
  /// The kind's options (those of `render KIND`), sorted by key, keys as flags (`log-z`).
  public var options: [(String, OptionValue)] = []
  /// Export options (`typed-arrays`, `max-points`, `precision`, ...), sorted by key.
  public var exportOptions: [(String, OptionValue)] = []
  public var animation = AnimationSpec()

  public init(name: String, outputs: [OutputFormat]) {
    self.name = name
    self.outputs = outputs
  }

  public static func == (a: KindSpec, b: KindSpec) -> Bool {
    a.name == b.name && a.outputs == b.outputs && a.scope == b.scope
      && a.options.map(\.0) == b.options.map(\.0) && a.options.map(\.1) == b.options.map(\.1)
      && a.exportOptions.map(\.0) == b.exportOptions.map(\.0)
      && a.exportOptions.map(\.1) == b.exportOptions.map(\.1) && a.animation == b.animation
  }

  /// The kind's own arguments (without the runs and `-o`).
  public var kindArguments: [String] {
    options.flatMap { $0.1.arguments(flag: "--" + $0.0) }
  }
}

/// A batch plan: where the runs are, and what to make of each. Read from a TOML or JSON file
/// (`PlanReader`) or built from `--kinds` and sources on the command line. docs/batch.md
/// describes the format.
public struct Plan: Equatable, Sendable {
  /// Files, directories of runs, or glob patterns, relative to `baseDirectory`.
  public var sources: [String]
  /// Kinds in name order (the job order does not depend on how the file lists them).
  public var kinds: [KindSpec]
  /// The output folder the plan names, if any (`-o` overrides it).
  public var output: String?
  /// Where relative sources are resolved: the plan file's folder (or the current directory).
  public var baseDirectory: String

  public init(sources: [String], kinds: [KindSpec], output: String? = nil, baseDirectory: String) {
    self.sources = sources
    self.kinds = kinds.sorted { $0.name < $1.name }
    self.output = output
    self.baseDirectory = baseDirectory
  }

  /// A plan from the command line: `--kinds gradient-flow,trajectory --outputs png,glb`.
  public static func simple(
    sources: [String], kinds: [String], outputs: [OutputFormat], baseDirectory: String
  ) -> Plan {
    Plan(
      sources: sources, kinds: kinds.map { KindSpec(name: $0, outputs: outputs) },
      baseDirectory: baseDirectory)
  }
}

/// A plan file that cannot be used: says which file, and where when the parser knows.
public struct PlanError: Error, CustomStringConvertible, Equatable {
  public var file: String
  public var line: Int?
  public var message: String

  public init(file: String, line: Int? = nil, message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  public var description: String {
    "\(file)\(line.map { ":\($0)" } ?? ""): \(Escape.controlCharacters(message))"
  }
}
