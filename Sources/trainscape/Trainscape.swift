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
    subcommands: [Render.self, View.self, Export.self, Turntable.self, Animate.self, Batch.self, Info.self, Convert.self, Doctor.self])

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
    CommandCache.$current.withValue(CommandCache()) {
      do {
        var command = try parseAsRoot(nil)
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
