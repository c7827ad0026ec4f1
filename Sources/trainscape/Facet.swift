import ArgumentParser
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// `--facet-by`, `--facet-by-name`: small multiples of a 3D kind, one panel per run group in
/// one image (`FacetFigure`), drawn by `render` and `turntable`.
struct FacetOptions: ParsableArguments {
  @Option(
    name: .customLong("facet-by"),
    help: ArgumentHelp(
      "One panel per value of these config fields (as --group-by takes them), in one image with one colour range, camera and colour bar; a group of several runs draws their mean per layer and step. render and turntable only.",
      valueName: "KEY[,KEY]"))
  var facetBy: [String] = []

  @Option(
    name: .customLong("facet-by-name"),
    help: ArgumentHelp(
      "Panels by a regular expression over the run names whose named captures become config fields (as --group-by-name), e.g. '(?<arm>\\w+)_seed(?<seed>\\d+)'; without --facet-by, by every capture except those named like 'seed'.",
      valueName: "PATTERN"))
  var facetByName: String?

  var isEmpty: Bool { facetBy.isEmpty && facetByName == nil }

  func validate() throws {
    do { _ = try RunGrouping(keys: facetBy, namePattern: facetByName) } catch let e as GroupingError {
      throw ValidationError(Self.renamed(e))
    }
  }

  /// The runs in panel groups; the grouping's notes go to stderr.
  func groups(_ runs: [Run]) throws -> RunGroups {
    do {
      let g = try RunGroups.make(runs, by: try RunGrouping(keys: facetBy, namePattern: facetByName))
      for n in g.notes { log.notice("\(n)") }
      return g
    } catch let e as GroupingError {
      throw CLIError(Self.renamed(e))
    }
  }

  /// The grouping's message in this option's names.
  static func renamed(_ e: GroupingError) -> String {
    e.description.replacingOccurrences(of: "--group-by", with: "--facet-by")
  }

  /// A command that draws one scene (export, view, animate) refuses --facet-by plainly.
  func refuse(kind: String) throws {
    guard isEmpty else {
      throw CLIError("--facet-by/--facet-by-name draw several panels in one image: `render \(kind)` and `turntable \(kind)` take them; this command draws one scene")
    }
  }
}

extension Render.GradientFlow {
  /// The faceted figure of every run given, one panel per group.
  func makeFacets() throws -> (FacetFigure, String) {
    if !annotations.isEmpty { log.warning("--mark, --mark-first and --stages are not drawn with --facet-by yet: not used") }
    let runs = try loadRunsCached([input.path] + moreRuns, input: input.inputFormat, last: series.last)
    guard !runs.isEmpty else { throw CLIError("no runs found in \(([input.path] + moreRuns).joined(separator: ", "))") }
    let groups = try facet.groups(runs)
    let out = try core { try GradientFlowRecipe.facets(groups: groups, options: recipeOptions) }
    for line in [out.keysLine] + out.notes where ReportedLines.first(line) { log.info("\(line)") }
    for n in out.figure.notes { log.notice("\(n)") }
    return (out.figure, out.name)
  }

  func facetFigure() throws -> (FacetFigure, String)? { facet.isEmpty ? nil : try makeFacets() }

  func renderFacets() throws {
    let (figure, name) = try makeFacets()
    try output.renderAndWrite(figure, kind: Self.kindName, runName: name)
  }
}

extension OutputOptions {
  /// Renders a faceted figure and writes the PNG; prints the path written.
  func renderAndWrite(_ figureIn: FacetFigure, kind: String, runName: String, suffix: String = "_facets") throws {
    try writePNG(defaultPath: "\(runName)_\(kind)\(suffix).png") { renderer, background, transparent in
      var figure = figureIn
      if let background { figure.background = background }
      return try renderer.render(figure, width: size.width, height: size.height, transparent: transparent)
    }
  }
}

extension TurntableCommand {
  /// The orbit of a faceted figure: every panel at the same azimuth in each frame.
  func facetSequence() throws -> FrameSequence? {
    guard let (figure, name) = try scene.facetFigure() else { return nil }
    let cameras = FramePipeline.turntableCameras(base: figure.panels[0].camera, frames: frames.frames, elevation: elevation)
    return FrameSequence(
      name: "\(name)_\(Kind.kindName)_facets", count: cameras.count,
      scene: { _ in throw CLIError("internal: a faceted turntable has no single scene") }, verb: "turntable",
      facets: { i in figure.withCamera(cameras[i]) })
  }
}

extension FrameWriter {
  /// Frames of small multiples, drawn one after another (each panel is its own render).
  static func renderFacetFrames(
    _ facets: (Int) -> FacetFigure, range: Range<Int>, renderer: HeadlessRenderer, width: Int, height: Int,
    sink: @escaping @Sendable (Int, RGBAImage) throws -> Void, progress: ((Int, Int) -> Void)?
  ) throws {
    for i in range {
      try sink(i, try renderer.render(facets(i), width: width, height: height))
      progress?(i - range.lowerBound + 1, range.count)
    }
  }
}
