import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO
import TrainscapeViewer

extension Dynamics.Band: ExpressibleByArgument {}
extension PanelArrangement: ExpressibleByArgument {}

/// `--mark`, `--mark-first`, `--stages`, `--stage-names`: parsed into the core's
/// `AnnotationSpec`.
struct AnnotationOptions: ParsableArguments {
  @Option(help: ArgumentHelp("A vertical line at a step, with an optional label (repeatable), e.g. 1500:warmup end.", valueName: "STEP[:LABEL]"))
  var mark: [String] = []

  @Option(help: ArgumentHelp("A dashed line at the first step whose raw (unsmoothed) value satisfies EXPR: a key, one of > >= < <= == !=, a number, e.g. 'hack_s>0' (repeatable). With groups, at the group's mean first step.", valueName: "EXPR"))
  var markFirst: [String] = []

  @Option(help: ArgumentHelp("Mark the stages of a curriculum: a boundary wherever this key's value changes (e.g. curriculum/stage_index).", valueName: "KEY"))
  var stages: String?

  @Option(help: ArgumentHelp("Names of the stages, in the order their values first appear, e.g. teacher,mixed,student.", valueName: "A,B,C"))
  var stageNames: String?

  func validate() throws {
    do { _ = try spec() } catch let e as AnnotationError { throw ValidationError(e.description) }
    if stageNames != nil && stages == nil { throw ValidationError("--stage-names names the stages of --stages KEY: give --stages too") }
  }

  var isEmpty: Bool { mark.isEmpty && markFirst.isEmpty && stages == nil }

  /// `scene` (its x axis the training step) with the stages and marks of `runs` as planes
  /// across the step axis (`Scene.annotated`), found on the runs' raw series; the marks'
  /// steps go to stderr once.
  /// `scene` with the annotations of `runs`; says each mark's step once. `group`: the scene is
  /// the panel of the run group `what` (onsets are said with its name, fixed marks once).
  func apply(to scene: Scene, runs: [Run], settings: SeriesSettings, what: String, group: Bool = false) throws -> Scene {
    let spec = try spec()
    guard !spec.isEmpty else { return scene }
    let a = Annotations.make(spec, tables: runs.map { settings.table($0) }, what: what)
    for m in a.marks {
      var onset = false
      if case .onset = m.kind { onset = true }
      // A mark without a label is called "step N": said as "mark at step N".
      let label = m.label == "step \(ConfigValue.numberText(m.step))" ? "mark" : m.label
      let line = "\(group && onset ? "\(what): " : "")\(label) at step \(ConfigValue.numberText(m.step))"
      if ReportedLines.first(group && !onset ? line : "\(what): \(line)") { log.info("\(line)") }
    }
    return scene.annotated(with: a)
  }

  func spec() throws -> AnnotationSpec {
    AnnotationSpec(
      stagesKey: stages,
      stageNames: stageNames.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [],
      marks: try mark.map { try StepMark(parsing: $0) },
      onsets: try markFirst.map { try OnsetRule(parsing: $0) })
  }
}

/// What `render dynamics` and `export dynamics` share: the runs, rows, groups and figure
/// options, turned into the core's `PanelFigure`.
struct DynamicsArguments: ParsableArguments {
  @Argument(help: "The runs: metrics files or directories of them (table logs, JSONL, CSV, TensorBoard, W&B ...).")
  var paths: [String]

  @Option(help: ArgumentHelp("The metric keys of one row of panels (repeatable: one row each), e.g. --metrics hack_s,gt_s --metrics cos_pre_t,cos_pre_s.", valueName: "KEY[,KEY]"))
  var metrics: [String] = []

  @OptionGroup var grouping: GroupOptions

  @Option(help: "What surrounds each group's mean line: minmax (the seeds' range), std (mean ± population standard deviation), none.")
  var band: Dynamics.Band = .minmax

  @Option(help: ArgumentHelp("The y range of one row (repeatable); ROW is the row's number (1 = the first --metrics) or one of its keys.", valueName: "ROW:LO,HI"))
  var ylim: [String] = []

  @Option(help: ArgumentHelp("Draw this key of a row on a right-hand axis with its own range (repeatable), e.g. a KL next to a loss.", valueName: "KEY"))
  var twin: [String] = []

  @Flag(help: "Log-scale step axis.")
  var logX = false

  @Flag(help: "Log-scale value axes (only positive values are drawn).")
  var logY = false

  @Option(help: "grid: rows of metrics by columns of groups; rows: every panel stacked in one column; columns: every panel side by side.")
  var layout: PanelArrangement = .grid

  @OptionGroup var annotations: AnnotationOptions

  @OptionGroup var series: SeriesOptions

  @OptionGroup var inputFormat: InputFormatOptions

  var rows: [[String]] {
    metrics.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
  }

  func validate() throws {
    if metrics.isEmpty { throw ValidationError("give the metrics of each row of panels: --metrics KEY[,KEY] (repeatable)") }
    if let r = rows.firstIndex(where: \.isEmpty) { throw ValidationError("--metrics number \(r + 1) names no key") }
    for y in ylim {
      do { _ = try DynamicsFigure.parseYlim(y, rows: rows) } catch let e as Dynamics.DataError { throw ValidationError(e.description) }
    }
    for t in twin where !rows.contains(where: { $0.contains(t) }) {
      throw ValidationError("--twin \(t): not a key of any --metrics row (\(rows.map { $0.joined(separator: ",") }.joined(separator: " | ")))")
    }
  }

  /// The figure, with its notes on stderr; `output`'s options that a 2D figure does not use
  /// are said there too.
  func figure(output: OutputOptions) throws -> (PanelFigure, String) {
    if output.cameraEye != nil { log.warning("--camera-eye is for 3D kinds; the dynamics figure is 2D: not used") }
    if output.colormap != nil { log.warning("--colormap is for 3D kinds; the dynamics figure colours its series with a colour-blind-safe palette: not used") }
    let runs = try loadRunsCached(paths, input: inputFormat, last: series.last)
    guard !runs.isEmpty else { throw CLIError("no runs found in \(paths.joined(separator: ", "))") }
    let groups = try grouping.groups(runs)
    var options = DynamicsFigure.Options()
    options.layout = layout
    options.logX = logX
    options.logY = logY
    options.title = output.title
    options.ema = series.ema
    options.annotations = try annotations.spec()
    options.twin = Set(twin)
    for y in ylim {
      let (r, range) = try DynamicsFigure.parseYlim(y, rows: rows)
      options.ylims[r] = range
    }
    let data: DynamicsData
    do {
      data = try Dynamics.build(
        groups: groups, rows: rows,
        options: Dynamics.Options(series: series.settings, band: band, maxGridPoints: series.maxSteps))
    } catch let e as Dynamics.DataError {
      throw CLIError(e.description)
    }
    log.info("keys: \(rows.map { $0.joined(separator: ", ") }.joined(separator: " | ")); \(runs.count) runs in \(groups.groups.count) group(s)")
    let tables = groups.runs.map { series.settings.table($0) }
    let fig = DynamicsFigure.make(data, tables: tables, options: options)
    for n in fig.notes { log.notice("\(n)") }
    for p in fig.panels where p.metricRow == 0 {
      for m in p.marks { log.info("\(groups.groups[p.group].label): \(m.label) at step \(ConfigValue.numberText(m.step))") }
    }
    let name = groups.keys.isEmpty ? "runs" : groups.keys.joined(separator: "_")
    return (fig, name)
  }
}

extension Render {
  struct DynamicsKind: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dynamics",
      abstract: "Training-dynamics small multiples: rows of metrics by columns of run groups (2D).",
      discussion: """
        Each --metrics is a row of panels and each group (--group-by,
        --group-by-name) a column. A panel draws every seed's EMA-smoothed line
        thin and translucent, the mean of the smoothed seeds bold, and a band
        (--band). Rows share their y range (--ylim sets one); series are named
        at their line ends in the first column. See docs/dynamics.md.

        Example:
          trainscape render dynamics Assets/examples/dynamics --group-by arm --ema 5 \\
            --metrics hack_s,gt_s --metrics cos_pre_t,cos_pre_s --mark-first 'hack_s>0'
        """)

    @OptionGroup var arguments: DynamicsArguments
    @OptionGroup var output: OutputOptions

    func run() throws {
      let (figure, name) = try arguments.figure(output: output)
      try output.renderAndWrite(figure, runName: name)
    }
  }
}

extension OutputOptions {
  /// Lays out and renders a 2D panel figure; prints the path written.
  func renderAndWrite(_ figureIn: PanelFigure, runName: String) throws {
    try writePNG(defaultPath: "\(runName)_dynamics.png") { renderer, background, transparent in
      var figure = figureIn
      if let background { figure.background = background }
      let layout = PanelLayoutBuilder.layout(figure, width: size.width, height: size.height)
      return try renderer.render(layout: layout.frame, background: figure.background, transparent: transparent)
    }
  }
}

/// `export dynamics`: the same figure as Plotly subplots (JSON or an HTML page).
struct ExportDynamics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dynamics",
    abstract: "Export what `render dynamics` draws as Plotly subplots: one x/y axis pair per panel, shapes for stages and marks.")

  @OptionGroup var arguments: DynamicsArguments
  @OptionGroup var output: OutputOptions
  @OptionGroup var file: ExportFileOptions

  func run() throws {
    let fmt = try file.resolvedFormat(output: output)
    guard fmt == .plotly || fmt == .html else {
      throw CLIError("export dynamics writes plotly (.plotly.json, .json) or html; \(fmt.rawValue) holds 3D scenes")
    }
    if file.typedArrays { log.warning("--typed-arrays: export dynamics writes plain arrays; not used") }
    if fmt != .html && (file.inlinePlotlyjs != nil || file.plotlyjs != .inline) { log.warning("--plotlyjs and --inline-plotlyjs only apply to html output") }
    var (figure, name) = try arguments.figure(output: output)
    if let bg = output.backgroundColor { figure.background = bg }
    let path = output.output ?? "\(name)_dynamics\(fmt.fileExtension)"
    try AtomicFile.check(path, overwrite: output.force)
    var json = PanelPlotlyExporter.figure(
      figure, width: output.size.width, height: output.size.height, precision: file.precision)
    if fmt == .html {
      json = HTMLExporter.page(figureJSON: json, title: figure.title, plotlyJS: try file.pagePlotlyJS())
    }
    try AtomicFile.write(json, to: path, overwrite: output.force)
    print(path)
  }
}

/// `view dynamics`: the figure of `render dynamics` in a window, with pan, zoom and a hover
/// readout (`PanelViewer`).
struct ViewDynamics: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dynamics",
    abstract: "Open the training-dynamics small multiples in a window: pan, zoom and read values.",
    discussion: """
      Same inputs and options as `trainscape render dynamics`. Mouse: drag pans (every panel
      shares the steps; the panels of a metric row share y), the wheel zooms about the cursor
      (over a panel both axes, over its step labels the steps only, over its value labels the
      values only); hovering shows the step under the cursor and each mean line's value there.
      Keys: R reset, A hide/show stages and marks, S save a screenshot, Q or Esc quit.
      Script / CI mode as for `trainscape view` (drag, scroll, hover, key, resize, screenshot).
      """)

  @OptionGroup var arguments: DynamicsArguments
  @OptionGroup var output: OutputOptions
  @OptionGroup var viewer: ViewerFlags

  func run() throws {
    if viewer.follow { throw CLIError("--follow: view dynamics draws the runs as read; following them is not supported yet") }
    var options = try viewer.viewerOptions(output)
    var (figure, name) = try arguments.figure(output: output)
    options.runName = name
    if output.transparentBackground { log.notice("--background transparent: the window shows white; screenshots are opaque") }
    if let bg = output.backgroundColor { figure.background = bg }
    do {
      try MainActor.assumeIsolated {
        let window = PanelViewer(figure: figure, options: options)
        try window.run()
      }
    } catch let e as ViewerError {
      log.error("\(e)")
      throw ExitCode(1)
    }
  }
}
