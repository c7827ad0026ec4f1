import ArgumentParser
import TrainscapeCore

/// A kind of landscape: its arguments, and how they become a `Scene`. `render`, `export` (and
/// the commands that come after them) wrap every kind the same way, so each kind's options are
/// written once.
protocol SceneKind: ParsableCommand {
  /// The subcommand name: "gradient-flow", "loss-landscape", ...
  static var kindName: String { get }
  var output: OutputOptions { get }
  /// The scene and a name for default output files (usually the run's name).
  func makeScene() throws -> (Scene, String)
  /// `export KIND` (default: `ExportCommand<Self>`; a kind with export-only options has its own).
  static var exportCommand: ParsableCommand.Type { get }
  /// The small multiples `--facet-by` asks for (nil without it, and for kinds without it).
  func facetFigure() throws -> (FacetFigure, String)?
}

extension SceneKind {
  static var kindName: String { configuration.commandName ?? "\(Self.self)" }
  static var exportCommand: ParsableCommand.Type { ExportCommand<Self>.self }
  func facetFigure() throws -> (FacetFigure, String)? { nil }

  /// `render KIND`: draw the scene to a PNG.
  func renderScene() throws {
    let (scene, runName) = try makeScene()
    try output.renderAndWrite(scene, kind: Self.kindName, runName: runName)
  }
}

enum SceneKinds {
  static let all: [any SceneKind.Type] = [
    Render.GradientFlow.self, Render.LossLandscape.self, Render.RewardLandscape.self,
    Render.Trajectory.self, Render.Attention.self, Render.Embedding.self, Render.Histogram.self,
  ]
}

extension Render.GradientFlow: SceneKind {}
extension Render.LossLandscape: SceneKind {}
extension Render.RewardLandscape: SceneKind {}
extension Render.Trajectory: SceneKind {}
extension Render.Attention: SceneKind {}
extension Render.Embedding: SceneKind {}
extension Render.Histogram: SceneKind {}
