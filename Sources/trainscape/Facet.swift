import ArgumentParser
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// `--facet-by`, `--facet-by-name`: small multiples of a 3D kind (gradient flow, loss landscape,
/// histogram), one panel per run group in one image (`FacetFigure`), drawn by `render` and
/// `turntable`.
struct FacetOptions: ParsableArguments {
  @Option(
    name: .customLong("facet-by"),
    help: ArgumentHelp(
      "One panel per value of these config fields (as --group-by takes them), in one image with one colour range, camera and colour bar. A group's panel: gradient-flow, the mean of its runs per layer and step; loss-landscape, the sweep of its runs; histogram, its one run. render and turntable only.",
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

extension AnnotationOptions {
  /// Each panel of a faceted figure annotated from its group's runs (a group's mean onset is
  /// its panel's mark), after the panels took their shared ranges.
  func apply(to figure: FacetFigure, groups: RunGroups, settings: SeriesSettings) throws -> FacetFigure {
    var f = figure
    var notes: [(group: String, note: String)] = []
    for (i, g) in groups.groups.enumerated() where i < f.panels.count {
      var panel = try apply(to: f.panels[i], runs: groups.runs(in: g), settings: settings, what: g.label, group: true)
      notes += panel.notes.map { (g.label, $0) }
      panel.notes = []
      f.panels[i] = panel
    }
    // What the annotations could not draw (a mark outside the steps): once, without the group
    // when every panel says it.
    let panels = Swift.min(groups.groups.count, f.panels.count)
    for (group, n) in notes {
      let everywhere = notes.filter { $0.note == n }.count == panels
      let line = everywhere || n.hasPrefix("\(group): ") ? n : "\(group): \(n)"
      if ReportedLines.first(line) { log.notice("\(line)") }
    }
    return f
  }
}

extension Render.GradientFlow {
  /// The faceted figure of every run given, one panel per group.
  func makeFacets() throws -> (FacetFigure, String) {
    let runs = try loadRunsCached([input.path] + moreRuns, input: input.inputFormat, last: series.last)
    guard !runs.isEmpty else { throw CLIError("no runs found in \(([input.path] + moreRuns).joined(separator: ", "))") }
    let groups = try facet.groups(runs)
    let out = try core { try GradientFlowRecipe.facets(groups: groups, options: recipeOptions) }
    for line in [out.keysLine] + out.notes where ReportedLines.first(line) { log.info("\(line)") }
    for n in out.figure.notes { log.notice("\(n)") }
    return (try annotations.apply(to: contours.apply(to: out.figure), groups: groups, settings: series.settings), out.name)
  }

  func facetFigure() throws -> (FacetFigure, String)? { facet.isEmpty ? nil : try makeFacets() }

  func renderFacets() throws {
    let (figure, name) = try makeFacets()
    try output.renderAndWrite(figure, kind: Self.kindName, runName: name)
  }
}

extension SceneFacets.Result {
  /// Says the keys and notes, annotates each panel from its group's runs.
  func finished(groups: RunGroups, annotations: AnnotationOptions, contours: ContourOptions, settings: SeriesSettings) throws -> (FacetFigure, String) {
    for line in keysLines + notes where ReportedLines.first(line) { log.info("\(line)") }
    return (try annotations.apply(to: contours.apply(to: figure), groups: groups, settings: settings), name)
  }
}

extension Render.LossLandscape {
  func facetFigure() throws -> (FacetFigure, String)? { facet.isEmpty ? nil : try makeFacets() }

  /// One loss landscape per group: a sweep of the group's runs (one run: its sliding windows).
  func makeFacets() throws -> (FacetFigure, String) {
    if isGridMode { throw CLIError("--facet-by draws one panel per group of runs; \(paths[0]) is a loss grid (one surface)") }
    let runs = try loadRunsCached(paths, input: inputFormat, last: series.last)
    guard !runs.isEmpty else { throw CLIError("no runs found in \(paths.joined(separator: ", "))") }
    let groups = try facet.groups(runs)
    var options = recipeOptions
    options.sweep.title = output.title
    let out = try core { try LossLandscapeRecipe.facets(groups: groups, options: options) }
    return try out.finished(groups: groups, annotations: annotations, contours: contours, settings: series.settings)
  }
}

extension Render.Histogram {
  func facetFigure() throws -> (FacetFigure, String)? { facet.isEmpty ? nil : try makeFacets() }

  /// One histogram surface per group, each group one run.
  func makeFacets() throws -> (FacetFigure, String) {
    let runs = try loadRunsCached([input.path] + moreRuns, input: input.inputFormat, last: nil)
    guard !runs.isEmpty else { throw CLIError("no runs found in \(([input.path] + moreRuns).joined(separator: ", "))") }
    let groups = try facet.groups(runs)
    let out = try core { try HistogramRecipe.facets(groups: groups, options: recipeOptions) }
    return try out.finished(groups: groups, annotations: annotations, contours: contours, settings: series.settings)
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

/// `--contours`, `--contour-levels`, `--project-contours`: contour lines on the surfaces of a
/// kind (`Scene.withContours`).
struct ContourOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Contour lines on the surface: lines of equal z (and x, y) at nice levels, e.g. z or z,x,y. Exports write them as Plotly surface contours, GLB as lines.", valueName: "AXES"))
  var contours: String?

  @Option(parsing: .unconditional, help: "About this many contour levels per axis, at nice values.")
  var contourLevels: Int = 10

  @Flag(help: "Also draw the contour lines flat on the box's floor (z) or back walls (x, y): the contour map under a loss landscape.")
  var projectContours = false

  func validate() throws {
    if !(1...100).contains(contourLevels) { throw ValidationError("--contour-levels must be between 1 and 100") }
    if let c = contours {
      do { _ = try ContourRequest.parseAxes(c) } catch let e as ContourError { throw ValidationError(e.description) }
    }
  }

  var request: ContourRequest? {
    guard let c = contours, let axes = try? ContourRequest.parseAxes(c) else { return nil }
    return ContourRequest(axes: axes, levels: contourLevels, project: projectContours)
  }

  /// `scene` with the contours asked for; options given without `--contours` are said unused.
  func apply(to scene: Scene) -> Scene {
    if contours == nil {
      if (contourLevels != 10 || projectContours) && ReportedLines.first("contour options unused") {
        log.warning("--contour-levels and --project-contours shape the lines of --contours AXES, which is not given: not used")
      }
      return scene
    }
    return scene.withContours(request)
  }

  /// Each panel of a faceted figure with its contours (after the panels took their shared
  /// ranges, so projections lie on the shared floor).
  func apply(to figure: FacetFigure) -> FacetFigure {
    var f = figure
    guard contours != nil, var request, let first = f.panels.first else {
      for i in f.panels.indices { f.panels[i] = apply(to: f.panels[i]) }
      return f
    }
    // One set of levels for all panels, from the shared ranges, and one floor.
    for axis in request.axes {
      let spec = axis == .x ? first.x : (axis == .y ? first.y : first.z)
      request.explicit[axis] = Contours.levels(range: spec.range, scale: spec.scale, count: request.levels)
    }
    for i in f.panels.indices { f.panels[i] = f.panels[i].withContours(request) }
    let floor = f.panels.map(\.z.range.lowerBound).min() ?? first.z.range.lowerBound
    for i in f.panels.indices where f.panels[i].z.range.lowerBound > floor {
      f.panels[i].z.range = floor...f.panels[i].z.range.upperBound
    }
    for n in Set(f.panels.flatMap(\.notes)).sorted() where ReportedLines.first(n) { log.notice("\(n)") }
    for i in f.panels.indices { f.panels[i].notes = [] }
    return f
  }
}
