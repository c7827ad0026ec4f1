import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

extension RenderQuality: ExpressibleByArgument {}

enum AnimationFormat: String, ExpressibleByArgument, CaseIterable {
  case gif, apng, mp4
}

/// Options of every frame sequence (turntable, animate). The kind's own options give the
/// output folder (-o), size, camera, colour map, GPU and --force.
struct FrameOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Number of frames.")
  var frames: Int = 72

  @Option(parsing: .unconditional, help: "Frames per second of the animated file.")
  var fps: Double = 24

  @Option(help: "Also write one animated file: gif, apng (written by Trainscape) or mp4 (through ffmpeg on PATH).")
  var animate: AnimationFormat?

  @Flag(help: "Dither the GIF (Floyd-Steinberg) instead of mapping each pixel to its nearest palette colour.")
  var dither = false

  @Option(help: "draft (no anti-aliasing, coarser surfaces: fastest), final (FXAA, surfaces at about a 100 x 100 grid per 1280x720; text always sharp), or full (4x MSAA, full surface detail).")
  var quality: RenderQuality = .final

  @Option(parsing: .unconditional, help: "PNG compression level for the frames, 0-9 (libdeflate; 2, the default, was the fastest on rendered frames; 6-9 are smaller and slower).")
  var pngLevel: Int = 2

  @Flag(help: "Write into the output folder itself instead of a new numbered run folder (run_001, run_002, ...); existing files are replaced only with --force.")
  var inPlace = false

  @Flag(help: "No progress output.")
  var quiet = false

  func validate() throws {
    if !(1...100_000).contains(frames) { throw ValidationError("--frames must be between 1 and 100000") }
    if !(fps > 0 && fps <= 120) { throw ValidationError("--fps must be in (0, 120]") }
    if !(0...9).contains(pngLevel) { throw ValidationError("--png-level must be between 0 and 9") }
  }
}

/// Progress on stderr: a bar when stderr is a terminal, one line per stage otherwise.
final class ProgressReporter: @unchecked Sendable {
  let quiet: Bool
  let isTTY = isatty(STDERR_FILENO) != 0
  let start = Date()
  var lastDraw = Date.distantPast

  init(quiet: Bool) { self.quiet = quiet }

  func stage(_ text: String) {
    guard !quiet else { return }
    StandardStreams.writeError("trainscape: \(text)\n")
  }

  func frames(_ done: Int, _ total: Int) {
    guard !quiet, isTTY else { return }
    let now = Date()
    guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
    lastDraw = now
    let elapsed = now.timeIntervalSince(start)
    let fps = elapsed > 0 ? Double(done) / elapsed : 0
    let left = fps > 0 ? Double(total - done) / fps : 0
    let width = 30
    let filled = total > 0 ? width * done / total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line = String(format: "\r[%@] %d/%d frames  %.1f fps  %.0f s left ", bar, done, total, fps, left)
    StandardStreams.writeError(line)
    if done == total { StandardStreams.writeError("\n") }
  }
}

/// The frames of a turntable or an animation: how many, and the scene of each.
struct FrameSequence {
  /// The frames' base name: `RUN_KIND` (turntable) or `RUN_KIND_by_step`.
  var name: String
  var count: Int
  var scene: (Int) throws -> Scene
  /// "turntable" or "animate", for progress lines.
  var verb: String
  /// Frame file names (default NAME_0000.png, ...).
  var fileNames: [String]? = nil
  /// Per frame, what the manifest records about it (epoch, accuracy, ...).
  var frameInfo: [[String: String]]? = nil
  /// The input files for the manifest (default: the existing files on the command line).
  var inputs: [String]? = nil
  /// Options the manifest records besides the frame options.
  var extraOptions: [String: String] = [:]
  /// Frames of small multiples (`--facet-by`): frame `i` is this figure, not `scene(i)`.
  var facets: ((Int) -> FacetFigure)? = nil
}

/// Renders frames to `NAME_0000.png ...` in a new run folder (or in place), with a manifest
/// and optionally one animated file; prints the folder.
struct FrameWriter {
  let output: OutputOptions
  let options: FrameOptions
  let kind: String

  /// The renderer frames of `options.quality` need (MSAA only at `full`).
  static func makeRenderer(gpu: GPUSelection, output: OutputOptions, options: FrameOptions) throws -> HeadlessRenderer {
    let samples = options.quality == .full ? output.samples : 0
    do {
      return try HeadlessRenderer(
        gpu: gpu, samples: samples, fxaa: options.quality.fxaa,
        vertexLighting: options.quality.vertexLighting)
    } catch {
      throw CLIError("\(error)")
    }
  }

  /// Renders frames `range` of `sequence` with `renderer` (set up by `makeRenderer` for these
  /// options) and hands each image to `sink(frameIndex, image)`, in order, on the encoder
  /// thread. A frame depends only on its index, so frames rendered in parts (a split
  /// animation) equal the same frames of one run.
  static func renderFrames(
    _ sequence: FrameSequence, range: Range<Int>, renderer: HeadlessRenderer, output: OutputOptions,
    options: FrameOptions, sink: @escaping @Sendable (Int, RGBAImage) throws -> Void,
    progress: ((Int, Int) -> Void)? = nil
  ) throws {
    let (w, h) = (output.size.width, output.size.height)
    // --background (frames are opaque: "transparent" keeps the scene's own, said once).
    if output.transparentBackground && ReportedLines.first("frames transparent") {
      log.notice("--background transparent: frames are opaque and keep the figure's background")
    }
    let background = output.backgroundColor
    if let facets = sequence.facets {
      return try renderFacetFrames(
        { i in
          var f = facets(i)
          if let background { f.background = background }
          return f
        }, range: range, renderer: renderer, width: w, height: h, sink: sink, progress: progress)
    }
    FramePipeline.returnLargeBuffersToTheSystem()
    let pipeline = FramePipeline(renderer: renderer, width: w, height: h)
    let budget = options.quality.triangleBudget(width: w, height: h)
    var reported = false
    let lower = range.lowerBound
    try pipeline.render(
      count: range.count,
      scene: { i in
        var s = try sequence.scene(lower + i)
        if let background { s.background = background }
        let (lod, reduced) = s.levelOfDetail(maxTriangles: budget)
        if reduced && !reported {
          reported = true
          log.notice("surfaces drawn with at most \(budget) triangles for speed (--quality full draws every sample; exports keep full resolution)")
        }
        return lod
      },
      sink: { i, image in try sink(lower + i, image) },
      progress: progress)
  }

  func write(_ sequence: FrameSequence) throws {
    let (name, count, verb) = (sequence.name, sequence.count, sequence.verb)
    let started = ISO8601DateFormatter().string(from: Date())
    let progress = ProgressReporter(quiet: options.quiet)
    let parent = output.output ?? "."
    let dir: String
    if options.inPlace {
      try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
      dir = parent
    } else {
      dir = try RunDirectory.next(in: parent)
    }
    let digits = max(4, String(count - 1).count)
    let frameNames = sequence.fileNames ?? (0..<count).map { "\(name)_\(String(repeating: "0", count: max(0, digits - String($0).count)))\($0).png" }
    precondition(frameNames.count == count && Set(frameNames).count == count, "frame file names must be unique")
    if options.inPlace && !output.force {
      for f in frameNames + [Manifest.fileName] where FileManager.default.fileExists(atPath: "\(dir)/\(f)") {
        throw OutputError.exists(path: "\(dir)/\(f)")
      }
    }
    let renderer = try Self.makeRenderer(gpu: GPUSelection(argument: output.gpu)!, output: output, options: options)
    defer { renderer.destroy() }
    for w in renderer.context.warnings { log.warning("\(w)") }
    let (w, h) = (output.size.width, output.size.height)
    progress.stage("\(verb): \(count) frames at \(w)x\(h), \(options.quality.rawValue) quality, on \(renderer.context.backend), into \(dir)")
    let png = PNGOptions(compressionLevel: Int32(options.pngLevel), filter: .up)
    let force = output.force || !options.inPlace
    let collector = AnimationCollector(format: options.animate, width: w, height: h, fps: options.fps, dither: options.dither)
    try Self.renderFrames(
      sequence, range: 0..<count, renderer: renderer, output: output, options: options,
      sink: { i, image in
        try PNGCodec.write(image, to: "\(dir)/\(frameNames[i])", options: png, overwrite: force)
        try collector.add(image)
      },
      progress: { progress.frames($0, $1) })
    var files = frameNames
    if let format = options.animate {
      progress.stage("encoding \(format.rawValue)")
      let animated = "\(dir)/\(name).\(format == .apng ? "png" : format.rawValue)"
      if format == .mp4 {
        if FileManager.default.fileExists(atPath: animated) && !(output.force || !options.inPlace) {
          throw OutputError.exists(path: animated)
        }
        if sequence.fileNames == nil {
          try encodeMP4(framePattern: "\(dir)/\(name)_%0\(digits)d.png", fps: options.fps, output: animated)
        } else {
          // ffmpeg reads numbered frames: link the named frames as frame_000000.png, ...
          let numbered = FileManager.default.temporaryDirectory
            .appendingPathComponent("trainscape-mp4-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
          try FileManager.default.createDirectory(atPath: numbered, withIntermediateDirectories: true)
          defer { try? FileManager.default.removeItem(atPath: numbered) }
          let absolute = URL(fileURLWithPath: dir).standardizedFileURL.path
          for (i, f) in frameNames.enumerated() {
            try FileManager.default.createSymbolicLink(
              atPath: "\(numbered)/frame_\(String(format: "%06d", i)).png", withDestinationPath: "\(absolute)/\(f)")
          }
          try encodeMP4(framePattern: "\(numbered)/frame_%06d.png", fps: options.fps, output: animated)
        }
      } else {
        try AtomicFile.write(try collector.finish(), to: animated, overwrite: output.force || !options.inPlace)
      }
      files.append(URL(fileURLWithPath: animated).lastPathComponent)
    }
    var manifestOptions = Dictionary(uniqueKeysWithValues: [
      ("command", CommandLine.arguments.dropFirst().joined(separator: " ")),
      ("quality", options.quality.rawValue), ("frames", String(count)), ("fps", String(options.fps)),
      ("backend", renderer.context.backend), ("renderer", renderer.context.glRenderer),
    ])
    manifestOptions.merge(sequence.extraOptions) { _, new in new }
    let manifest = Manifest(
      inputs: sequence.inputs ?? CommandLine.arguments.dropFirst().filter { arg in
        var isDir: ObjCBool = false
        return !arg.hasPrefix("-") && FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) && !isDir.boolValue
      },
      kind: kind,
      options: manifestOptions,
      version: TrainscapeVersion.string, frames: files, size: "\(w)x\(h)", createdBy: "trainscape \(TrainscapeVersion.string)",
      started: started, frameInfo: sequence.frameInfo)
    _ = try manifest.write(toDirectory: dir)
    progress.stage("done: \(count) frames\(options.animate.map { " and a \($0.rawValue)" } ?? "") in \(dir)")
    print(dir)
  }

}

/// Encodes the PNG frames matching `framePattern` (ffmpeg's `%04d` form) into an H.264 MP4 at
/// `path` (replacing it) through `ffmpeg` on PATH.
func encodeMP4(framePattern: String, fps: Double, output path: String) throws {
  guard let ffmpeg = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
    .map({ "\($0)/ffmpeg" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
  else {
    throw CLIError("--animate mp4 needs ffmpeg on PATH (Debian: apt-get install ffmpeg); the PNG frames are written, or use --animate gif or apng, which Trainscape writes itself")
  }
  let p = Process()
  p.executableURL = URL(fileURLWithPath: ffmpeg)
  p.arguments = [
    "-loglevel", "error", "-y", "-framerate", String(fps), "-i", framePattern,
    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", path,
  ]
  try p.run()
  p.waitUntilExit()
  guard p.terminationStatus == 0 else { throw CLIError("ffmpeg failed (exit \(p.terminationStatus)) writing \(path)") }
}

/// Collects frames for the animated file on the encoder queue.
final class AnimationCollector: @unchecked Sendable {
  private var gif: GIFEncoder?
  private var apng: APNGWriter?

  init(format: AnimationFormat?, width: Int, height: Int, fps: Double, dither: Bool) {
    switch format {
    case .gif: gif = GIFEncoder(width: width, height: height, delay: 1 / fps, dither: dither)
    case .apng: apng = APNGWriter(delay: 1 / fps)
    default: break
    }
  }

  func add(_ image: RGBAImage) throws {
    gif?.add(image)
    try apng?.add(image)
  }

  func finish() throws -> [UInt8] {
    if let gif { return try gif.encode() }
    if let apng { return apng.finish() }
    return []
  }
}

// MARK: - Commands

struct Turntable: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Render the camera orbiting a landscape (azimuth 0 to 360) as numbered PNG frames, optionally one GIF, APNG or MP4.",
    discussion: """
      Takes the arguments of `render KIND`; -o names the parent folder, and each run goes to a
      new numbered folder (run_001, run_002, ...) with a manifest.json, so nothing is overwritten.
      The frames loop without a repeated frame. Examples:
        trainscape turntable gradient-flow run.jsonl -o out/ --frames 72 --animate gif
        trainscape turntable loss-landscape grid.npy -o out/ --elevation 30 --quality draft
      """,
    subcommands: SceneKinds.all.map { $0.turntableCommand })
}

struct TurntableCommand<Kind: SceneKind>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(commandName: Kind.kindName, abstract: "Turntable of `render \(Kind.kindName)`.")
  }
  @OptionGroup var scene: Kind
  @OptionGroup var frames: FrameOptions
  @Option(parsing: .unconditional, help: "Camera elevation above the floor in degrees (default: from --camera-eye or the kind's camera).")
  var elevation: Double?

  func validate() throws {
    if let e = elevation, !(-89...89).contains(e) { throw ValidationError("--elevation must be between -89 and 89 degrees") }
  }

  func run() throws {
    try FrameWriter(output: scene.output, options: frames, kind: Kind.kindName).write(frameSequence())
  }

  /// The orbit: the scene built once, only the camera moving.
  func frameSequence() throws -> FrameSequence {
    if let sequence = try facetSequence() { return sequence }
    let (base, name) = try scene.makeScene()
    for note in base.notes { log.notice("\(note)") }
    let cameras = FramePipeline.turntableCameras(base: base.camera, frames: frames.frames, elevation: elevation)
    var frameScene = base
    return FrameSequence(
      name: "\(name)_\(Kind.kindName)", count: cameras.count,
      scene: { i in
        frameScene.camera = cameras[i]
        return frameScene
      }, verb: "turntable")
  }
}

extension SceneKind {
  static var turntableCommand: ParsableCommand.Type { TurntableCommand<Self>.self }
}
