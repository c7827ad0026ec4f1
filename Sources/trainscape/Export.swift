import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeIO

/// `trainscape export KIND ARGS... -o FILE`: the scene `render KIND` draws, written as a Plotly
/// figure, a W&B Object3D, a glTF binary or a standalone HTML page instead of a PNG.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Export a 3D landscape as Plotly JSON, W&B Object3D, glTF (.glb) or HTML.",
    discussion: """
      Takes the same arguments as `render KIND`. The format follows the output's extension
      (.plotly.json or .json: Plotly figure; .pts.json: W&B Object3D point cloud; .glb: glTF
      binary; .html: standalone page) unless --format says otherwise. Log it to W&B with
      wandb.Plotly(plotly.io.read_json(path)), wandb.Object3D.from_file(path) or wandb.Html(path).

      Examples:
        trainscape export loss-landscape run.jsonl -o loss.plotly.json
        trainscape export gradient-flow run.jsonl -o flow.glb
        trainscape export trajectory a.jsonl b.jsonl -o runs.html          # plotly.js inside: works offline
        trainscape export trajectory a.jsonl b.jsonl -o runs.html --plotlyjs cdn  # small page, needs the network
      """,
    subcommands: SceneKinds.all.map { $0.exportCommand } + [ExportDynamics.self])
}

/// Where an exported HTML page gets plotly.js.
enum PlotlyJSSource: String, ExpressibleByArgument, CaseIterable {
  case inline, cdn
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
  case plotly, object3d, lidar, glb, html

  var fileExtension: String {
    switch self {
    case .plotly: return ".plotly.json"
    case .object3d, .lidar: return ".pts.json"
    case .glb: return ".glb"
    case .html: return ".html"
    }
  }

  static func from(path: String) -> ExportFormat? {
    let p = path.lowercased()
    if p.hasSuffix(".pts.json") { return .object3d }
    if p.hasSuffix(".json") { return .plotly }
    if p.hasSuffix(".glb") { return .glb }
    if p.hasSuffix(".html") || p.hasSuffix(".htm") { return .html }
    return nil
  }
}

/// The export options every kind has (the format and how numbers are written).
struct ExportFileOptions: ParsableArguments {
  @Option(help: "Output format: plotly, object3d (.pts.json point cloud), lidar (.pts.json lidar/beta scene with the axes box), glb, html (default: from the output's extension).")
  var format: ExportFormat?

  @Flag(help: "Write Plotly arrays in plotly.js's base64 typed-array form (smaller and faster; the W&B Plotly panel shows them as empty, so not for wandb.Plotly).")
  var typedArrays = false

  @Option(parsing: .unconditional, help: ArgumentHelp("Significant digits for numbers (default: the shortest decimal that reads back exactly).", valueName: "N"))
  var precision: Int?

  @Option(help: "For html: where the page gets plotly.js: inline (the copy built into trainscape, plotly.js \(HTMLExporter.plotlyJSVersion), about 4.8 MB: the page draws with no network) or cdn (a <script> from cdn.plot.ly: a small page that needs the network).")
  var plotlyjs: PlotlyJSSource = .inline

  @Option(help: ArgumentHelp("For html: put this local plotly.min.js inside the page instead of the built-in copy.", valueName: "PATH"))
  var inlinePlotlyjs: String?

  func validate() throws {
    if let p = precision, !(1...17).contains(p) { throw ValidationError("--precision must be between 1 and 17") }
    if let js = inlinePlotlyjs, !FileManager.default.fileExists(atPath: js) {
      throw ValidationError("--inline-plotlyjs: \(js) does not exist")
    }
    if inlinePlotlyjs != nil && plotlyjs == .cdn {
      throw ValidationError("--inline-plotlyjs puts a local plotly.js inside the page; --plotlyjs cdn loads it from the network: give one")
    }
  }

  /// Where an html page gets plotly.js, said on stderr.
  func pagePlotlyJS() throws -> HTMLExporter.PlotlyJS {
    if let p = inlinePlotlyjs {
      log.info("html: plotly.js from \(p), inside the page")
      return .inline(try InputFiles.read(p))
    }
    if plotlyjs == .cdn {
      log.info("html: plotly.js \(HTMLExporter.plotlyJSVersion) from \(HTMLExporter.plotlyJSURL) (the page needs the network; --plotlyjs inline works offline)")
      return .cdn
    }
    log.info("html: plotly.js \(HTMLExporter.bundledPlotlyJSVersion) inside the page (works offline; --plotlyjs cdn for a small page)")
    return .bundled
  }

  /// The format asked for: --format, else the output's extension, else Plotly.
  func resolvedFormat(output: OutputOptions) throws -> ExportFormat {
    if let f = format { return f }
    if let o = output.output {
      guard let f = ExportFormat.from(path: o) else {
        throw ValidationError("cannot tell the format from '\(o)'; use an extension .plotly.json, .json, .pts.json, .glb or .html, or pass --format")
      }
      return f
    }
    return .plotly
  }

  /// Converts and writes the scene; prints the path written. `maxPoints` thins traces;
  /// `dataCoordinates` writes point clouds in data units instead of the normalized box.
  func write(
    _ sceneIn: Scene, output: OutputOptions, kind: String, runName: String, maxPoints: Int?,
    dataCoordinates: Bool = false
  ) throws {
    var scene = sceneIn
    if let bg = output.backgroundColor { scene.background = bg }
    let fmt = try resolvedFormat(output: output)
    if typedArrays && fmt != .plotly && fmt != .html { log.warning("--typed-arrays only applies to plotly and html output") }
    if inlinePlotlyjs != nil && fmt != .html { log.warning("--inline-plotlyjs only applies to html output") }
    if plotlyjs != .inline && fmt != .html { log.warning("--plotlyjs only applies to html output") }
    let path = output.output ?? "\(runName)_\(kind)\(fmt.fileExtension)"
    try AtomicFile.check(path, overwrite: output.force)
    for note in scene.notes { log.notice("\(note)") }
    let plotlyOptions = PlotlyExporter.Options(
      typedArrays: typedArrays, maxPoints: maxPoints, precision: precision,
      width: output.size.width, height: output.size.height)
    let bytes: [UInt8], notes: [String]
    switch fmt {
    case .plotly:
      (bytes, notes) = PlotlyExporter.figure(scene, options: plotlyOptions)
    case .html:
      let (json, n) = PlotlyExporter.figure(scene, options: plotlyOptions)
      bytes = HTMLExporter.page(figureJSON: json, title: scene.title, plotlyJS: try pagePlotlyJS())
      notes = n
    case .object3d:
      (bytes, notes) = Object3DExporter.pointCloud(
        scene, options: .init(maxPoints: maxPoints, precision: precision, dataCoordinates: dataCoordinates))
    case .lidar:
      (bytes, notes) = Object3DExporter.lidarScene(scene, options: .init(maxPoints: maxPoints, precision: precision))
    case .glb:
      (bytes, notes) = GLBExporter.glb(scene)
    }
    for note in notes { log.notice("\(note)") }
    try AtomicFile.write(bytes, to: path, overwrite: output.force)
    print(path)
  }
}

/// The export options of most kinds: the file options and --max-points (thinning). The
/// embedding kind has its own --max-points (subsampling), so it takes `ExportFileOptions` alone.
struct ExportOptions: ParsableArguments {
  @OptionGroup var file: ExportFileOptions

  @Option(parsing: .unconditional, help: ArgumentHelp("Thin surfaces and point sets to at most N samples per trace (a stride keeping the last row and column); the figure and stderr say so.", valueName: "N"))
  var maxPoints: Int?

  func validate() throws {
    if let n = maxPoints, n < 4 { throw ValidationError("--max-points must be at least 4") }
  }

  func resolvedFormat(output: OutputOptions) throws -> ExportFormat { try file.resolvedFormat(output: output) }

  func write(_ scene: Scene, output: OutputOptions, kind: String, runName: String, dataCoordinates: Bool = false) throws {
    try file.write(scene, output: output, kind: kind, runName: runName, maxPoints: maxPoints, dataCoordinates: dataCoordinates)
  }
}

/// `export KIND ...` for every render kind: the same arguments, the same scene.
struct ExportCommand<Kind: SceneKind>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: Kind.kindName,
      abstract: "Export what `render \(Kind.kindName)` draws: \(Kind.configuration.abstract)")
  }
  @OptionGroup var scene: Kind
  @OptionGroup var export: ExportOptions
  func run() throws {
    let (s, runName) = try scene.makeScene()
    try export.write(s, output: scene.output, kind: Kind.kindName, runName: runName)
  }
}
