import ArgumentParser
import Foundation
import Logging
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

@main
struct Trainscape: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trainscape",
    abstract: "Turn training metrics into 3D landscapes and render them without a display.",
    discussion: """
      Examples:
        trainscape render gradient-flow run.jsonl -o flow.png
        trainscape render loss-landscape run.jsonl -o loss.png --camera-eye 1.5,1.5,1.3
        trainscape view gradient-flow run.jsonl --follow
        trainscape doctor
      """,
    version: TrainscapeVersion.string,
    subcommands: [Render.self, View.self, Export.self, Turntable.self, Animate.self, Batch.self, Summary.self, Info.self, Convert.self, Doctor.self])

  /// Parses the arguments and runs the command with a cache of its own (`CommandCache`).
  ///
  /// A closed pipe (and a file size limit) is an error a command sees (`EPIPE`, `EFBIG`), not
  /// a signal that kills it silently;
  /// logging is set up before anything logs; and errors are printed with the control
  /// characters they may carry from files escaped (`Escape`).
  static func main() {
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)  // past a file size limit: EFBIG ("File too large"), an error
    _ = log
    let arguments: [String]
    do {
      arguments = try KindArgument.rewrite(Array(CommandLine.arguments.dropFirst()))
    } catch {
      exitEscaped(error)
    }
    CommandCache.$current.withValue(CommandCache()) {
      do {
        var command = try parseAsRoot(arguments)
        try command.run()
      } catch {
        exitEscaped(error)
      }
    }
  }

  /// Prints `error` as ArgumentParser would (help and version on stdout, the rest on stderr
  /// with control characters escaped) and exits with its code.
  static func exitEscaped(_ error: any Error) -> Never {
    let code = exitCode(for: error)
    let message = fullMessage(for: error)
    if code == .success {
      if !message.isEmpty { try? StandardStreams.writeOutput(message + "\n") }
    } else if !message.isEmpty {
      StandardStreams.writeError(message + "\n")
    }
    Foundation.exit(code.rawValue)
  }
}

/// The kind after `render`, `view`, `export`, `turntable` or `animate`, checked before parsing:
/// `render FILE.plotly.json` (or `.pts.json`) means `render figure FILE`, and a word that is not
/// a kind gets "did you mean" and the list of kinds (the parser would only say that `-o` is an
/// unknown option).
enum KindArgument {
  static let commands: [String: [ParsableCommand.Type]] = [
    "render": Render.configuration.subcommands,
    "view": View.configuration.subcommands,
    "export": Export.configuration.subcommands,
    "turntable": Turntable.configuration.subcommands,
    "animate": Animate.configuration.subcommands,
  ]

  /// `s` with control characters escaped (`\u{1B}`), for messages.
  static func shown(_ s: String) -> String {
    String(s.unicodeScalars.flatMap { u -> [Character] in
      u.value < 0x20 || u.value == 0x7F ? Array("\\u{\(String(u.value, radix: 16, uppercase: true))}") : [Character(u)]
    })
  }

  static func isFigureFile(_ s: String) -> Bool {
    let l = s.lowercased()
    return l.hasSuffix(".plotly.json") || l.hasSuffix(".pts.json")
  }

  static func rewrite(_ args: [String]) throws -> [String] {
    guard args.count >= 2, let kinds = commands[args[0]] else { return args }
    let word = args[1]
    if word.hasPrefix("-") { return args }  // --help, or an option the parser reports
    let names = kinds.map { $0._commandName }
    if names.contains(word) { return args }
    if args[0] == "render" && isFigureFile(word) { return ["render", "figure"] + args[1...] }
    let listed = names.joined(separator: ", ")
    if let close = MetricRoles.closest(to: word, in: names) {
      throw CLIError("unknown kind '\(shown(word))' for `trainscape \(args[0])`; did you mean '\(close)'? Kinds: \(listed)")
    }
    if FileManager.default.fileExists(atPath: word) || word.contains("/") || word.contains(".") {
      var hint = "trainscape \(args[0]) KIND \(shown(word)) ..."
      if isFigureFile(word) { hint += " (a figure file is drawn by `trainscape render \(shown(word))`)" }
      throw CLIError("'\(shown(word))' is not a kind: the kind comes first, as in `\(hint)`. Kinds: \(listed)")
    }
    throw CLIError("unknown kind '\(shown(word))' for `trainscape \(args[0])`. Kinds: \(listed)")
  }
}

/// What one command keeps of the files it read: animations rebuild a scene per frame from the
/// same runs and the same reduced embedding. Bound for the command's run by `Trainscape.main`;
/// without it (a kind used in-process) nothing is cached.
final class CommandCache: Sendable {
  @TaskLocal static var current: CommandCache?
  /// Runs read, by path and reading options.
  let runs = Locked<[String: [Run]]>([:])
  /// Reduced embedding snapshots, by input and method options.
  let embeddings = Locked<[String: EmbeddingRecipe.Layout]>([:])
}

enum TrainscapeVersion {
  static let string = "0.1.0"
}

/// Warnings and notes go to stderr as "trainscape: warning: …"; stdout lists files written.
struct StderrLogHandler: LogHandler {
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  func log(event: LogEvent) {
    let prefix: String
    switch event.level {
    case .warning: prefix = "warning: "
    case .error, .critical: prefix = "error: "
    case .notice: prefix = "note: "
    default: prefix = ""
    }
    StandardStreams.writeError("trainscape: \(prefix)\(event.message)\n")
  }
}

let log: Logger = {
  LoggingSystem.bootstrap { _ in StderrLogHandler() }
  return Logger(label: "trainscape")
}()
