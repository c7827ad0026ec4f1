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
  static func main() {
    CommandCache.$current.withValue(CommandCache()) { Self.main(nil) }
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
    FileHandle.standardError.write(Data("trainscape: \(prefix)\(event.message)\n".utf8))
  }
}

let log: Logger = {
  LoggingSystem.bootstrap { _ in StderrLogHandler() }
  return Logger(label: "trainscape")
}()
