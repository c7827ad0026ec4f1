import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
@testable import TrainscapeIO

/// Paths and the venv runner for the export / import tests.
enum ExportPython {
  static var packageRoot: URL { TestPaths.packageRoot }
  static var fixtures: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  }
  /// The real W&B media files (../shared/fixtures/wandb-media next to the package).
  static var sharedMedia: URL {
    packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/wandb-media")
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }

  /// Runs `python -c script args...` in the venv; a missing venv is a failure, never a skip.
  static func run(_ script: String, args: [String] = [], environment: [String: String?] = [:]) throws -> String {
    try Python.run(script, args: args, environment: environment)
  }

  static func runScript(_ relative: String, args: [String], environment: [String: String?] = [:]) throws -> String {
    try Python.runFile(relative, args: args, environment: environment)
  }

  static func tempDir() throws -> URL { try TestPaths.temporaryDirectory("trainscape-export") }
}

/// Small scenes with every trace kind, NaN holes, log axes and a log colour scale.
enum ExportScenes {
  static func surface(rows: Int = 5, cols: Int = 7, logColor: Bool = false, logAxes: Bool = false) -> Scene {
    var x: [Double] = [], y: [Double] = [], z: [Double] = []
    for r in 0..<rows {
      for c in 0..<cols {
        x.append(Double(c * 10))
        y.append(logAxes ? 1e-4 * pow(10, Double(r) / Double(max(rows - 1, 1)) * 2) : 0.1 * Double(r) + 0.05)
        z.append(r == 1 && c == 2 ? .nan : 0.5 + Double(r * c) / 7 + 1e-5 * Double(c))
      }
    }
    let finite = z.filter(\.isFinite)
    let range = finite.min()!...finite.max()!
    let scale: AxisScale = logColor ? .log : .linear
    let s = SurfaceTrace(
      name: "loss \"surface\"", rows: rows, cols: cols, x: x, y: y, z: z, colormap: .viridis, colorRange: range,
      colorScale: scale, opacity: 0.9)
    return Scene(
      title: "Loss </script> landscape", traces: [.surface(s)],
      x: AxisSpec(title: "Step", range: 0...Double((cols - 1) * 10), integer: true),
      y: AxisSpec(title: "Learning rate", scale: logAxes ? .log : .linear, range: y.min()!...y.max()!),
      z: AxisSpec(title: "Loss", scale: logAxes ? .log : .linear, range: range),
      camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "Loss", colormap: .viridis, range: range, scale: scale),
      notes: ["1 sample is missing"])
  }

  static func scatterAndMesh() -> Scene {
    let n = 30
    let x = (0..<n).map { Double($0) }
    let y = (0..<n).map { 3 * exp(-Double($0) / 10) + 0.1 }
    var z = (0..<n).map { 0.2 + sin(Double($0)) * 0.1 }
    z[4] = .nan
    let text = (0..<n).map { "step \($0)" }
    let a = ScatterTrace(
      name: "run a", x: x, y: y, z: z, colors: .scalar(x, colormap: .turbo, range: 0...29, scale: .linear),
      mode: .linesAndMarkers, markerSize: 5, lineWidth: 2, text: text)
    let b = ScatterTrace(
      name: "run b", x: x, y: y.map { $0 * 1.1 }, z: z.map { $0 + 0.05 }, colors: .solid(RGBColor(hex: "#ff7f0e")!),
      mode: .markers)
    let c = ScatterTrace(
      name: "run c", x: [1, 2, 3], y: [1, 2, 2.5], z: [0.1, 0.2, 0.3],
      colors: .perPoint([RGBColor(hex: "#102030")!, RGBColor(hex: "#a0b0c0")!, RGBColor(hex: "#ffffff")!]), mode: .lines)
    let m = MeshTrace(
      name: "tetra", x: [0, 29, 0, 10], y: [0.1, 0.1, 3, 1], z: [0, 0, 0, 0.4], i: [0, 0, 0, 1], j: [1, 1, 2, 2],
      k: [2, 3, 3, 3], colors: .scalar([0.1, 1, 10, 100], colormap: .plasma, range: 0.1...100, scale: .log), opacity: 0.5)
    let mSolid = MeshTrace(
      name: "plane", x: [0, 29, 29], y: [0.1, 0.1, 3], z: [0.1, 0.1, 0.1], i: [0], j: [1], k: [2],
      colors: .solid(RGBColor(hex: "#00ffff")!))
    return Scene(
      title: "Trajectories", traces: [.scatter(a), .scatter(b), .scatter(c), .mesh(m), .mesh(mSolid)],
      x: AxisSpec(title: "Step", range: 0...29, integer: true),
      y: AxisSpec(title: "Loss", scale: .log, range: 0.1...3.5),
      z: AxisSpec(title: "Reward", range: 0...0.5),
      colorBar: ColorBar(title: "Step", colormap: .turbo, range: 0...29, scale: .linear),
      aspect: Vec3(1, 1, 0.7), showLegend: true)
  }
}
