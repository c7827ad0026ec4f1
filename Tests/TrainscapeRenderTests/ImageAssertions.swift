import Foundation
import Testing
import TrainscapeTestSupport

/// The render tests' golden images (Tests/TrainscapeRenderTests/Goldens).
let goldens = GoldenImages(
  directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens"))
