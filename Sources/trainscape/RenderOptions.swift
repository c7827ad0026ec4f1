import ArgumentParser
import Foundation
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

extension ScaleChoice: ExpressibleByArgument {}

extension MemoryBudget: ExpressibleByArgument {
  public var defaultValueDescription: String {
    self == .default ? "half the memory: \(self) here" : description
  }
}

struct ImageSize: ExpressibleByArgument {
  /// The sizes `--size` accepts (the GPU may allow less: the renderer checks its limits).
  static let range = 16...16384
  var width: Int
  var height: Int
  /// WIDTHxHEIGHT with any integers: `validate` says what is out of range.
  init?(argument: String) {
    let p = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard p.count == 2, let w = Int(p[0]), let h = Int(p[1]) else { return nil }
    width = w
    height = h
  }
  var isValid: Bool { Self.range.contains(width) && Self.range.contains(height) }
  var defaultValueDescription: String { "\(width)x\(height)" }
}

/// Options every `render` kind shares.
struct OutputOptions: ParsableArguments {
  @Option(name: [.short, .customLong("output")], help: "The PNG to write (default: <run>_<kind>.png in the current directory).")
  var output: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("Image size in pixels, WIDTHxHEIGHT.", valueName: "WxH"))
  var size: ImageSize = ImageSize(argument: "1280x720")!

  @Option(parsing: .unconditional, help: ArgumentHelp("Camera position as Plotly's scene.camera.eye: x,y,z in units of the axes box (which spans -0.5..0.5), z up.", valueName: "x,y,z"))
  var cameraEye: String?

  @Option(help: "Colour map: viridis, plasma, inferno, magma, cividis, turbo, RdYlGn, coolwarm, Greys, or any of plotly's named colour scales (Rainbow, Jet, Hot, RdBu, YlGnBu, Portland, thermal, ...); case-insensitive, add _r to reverse.")
  var colormap: String?

  @Option(help: "Figure title (default: depends on the kind and the run).")
  var title: String?

  @Option(help: ArgumentHelp("Background colour as #rrggbb, or 'transparent' for an RGBA PNG (default: the figure's own, white for Trainscape's kinds; an imported Plotly figure's paper_bgcolor).", valueName: "colour"))
  var background: String?

  /// --background as a colour; nil when it is not given (the figure keeps its own) or
  /// 'transparent'.
  var backgroundColor: RGBColor? {
    guard let b = background, b.lowercased() != "transparent" else { return nil }
    return RGBColor(hex: b)
  }

  /// --background transparent.
  var transparentBackground: Bool { background?.lowercased() == "transparent" }

  @Option(help: ArgumentHelp("Which GPU renders: 'auto' (a hardware EGL device if any, else software), 'cpu' (Mesa llvmpipe, surfaceless), or a number: the CUDA ordinal on NVIDIA, else the EGL device index. An unknown GPU falls back to software with a warning.", valueName: "auto|cpu|N"))
  var gpu: String = "auto"

  @Option(parsing: .unconditional, help: "Multisample anti-aliasing samples per pixel (0 turns it off).")
  var samples: Int = 4

  @Flag(help: "Overwrite the output file if it exists (never one of the inputs).")
  var force = false

  @Option(parsing: .unconditional, help: ArgumentHelp("Most memory reading one array, grid or figure file may take: bytes with K, M, G or T (1024-based), or a percentage of the memory; a larger input is refused with the numbers before it is read.", valueName: "SIZE"))
  var maxMemory: MemoryBudget = .default

  func validate() throws {
    if !size.isValid {
      throw ValidationError("--size must be between \(ImageSize.range.lowerBound)x\(ImageSize.range.lowerBound) and \(ImageSize.range.upperBound)x\(ImageSize.range.upperBound); got \(size.width)x\(size.height)")
    }
    if let e = cameraEye, Camera.parseVector(e) == nil {
      throw ValidationError("--camera-eye expects three numbers x,y,z, e.g. 1.5,-1.5,1.2; got '\(e)'")
    }
    if let c = colormap, Colormap.named(c) == nil {
      throw ValidationError("unknown colour map '\(c)'; choose one of \(Colormap.allNames.joined(separator: ", ")) (case-insensitive; add _r to reverse)")
    }
    if let background, background.lowercased() != "transparent" && RGBColor(hex: background) == nil {
      throw ValidationError("--background expects #rrggbb or 'transparent'; got '\(background)'")
    }
    if GPUSelection(argument: gpu) == nil {
      throw ValidationError("--gpu expects auto, cpu or a non-negative number; got '\(gpu)'")
    }
    if !(0...16).contains(samples) {
      throw ValidationError("--samples must be between 0 and 16")
    }
  }

  func camera(default fallback: Camera) -> Camera {
    guard let e = cameraEye, let v = Camera.parseVector(e) else { return fallback }
    var c = fallback
    c.eye = v
    return c
  }

  func colormap(default fallback: Colormap) -> Colormap {
    colormap.flatMap(Colormap.named) ?? fallback
  }

  /// Applies the figure-level options, renders and writes the PNG; prints the path written.
  /// `renderer`: one to reuse (`batch` keeps one per setting); nil makes one for --gpu and
  /// --samples.
  func renderAndWrite(_ sceneIn: Scene, kind: String, runName: String, renderer shared: HeadlessRenderer? = nil) throws {
    for note in sceneIn.notes { log.notice("\(note)") }
    try writePNG(defaultPath: "\(runName)_\(kind).png", renderer: shared) { renderer, background, transparent in
      var scene = sceneIn
      if let background { scene.background = background }
      return try renderer.render(scene, width: size.width, height: size.height, transparent: transparent)
    }
  }

  /// What writing one PNG takes for any figure: the path (`-o`, or `defaultPath`), refused
  /// before anything is drawn; a renderer for --gpu and --samples (or `shared`); `draw`, given
  /// the --background colour (nil when not given or transparent) and whether it is transparent; the atomic
  /// write. Prints the path written.
  func writePNG(
    defaultPath: String, renderer shared: HeadlessRenderer? = nil,
    draw: (HeadlessRenderer, RGBColor?, Bool) throws -> RGBAImage
  ) throws {
    let transparent = transparentBackground
    let path = output ?? defaultPath
    try AtomicFile.check(path, overwrite: force)  // before rendering: refused first
    let renderer: HeadlessRenderer
    if let shared {
      renderer = shared
    } else {
      do {
        renderer = try HeadlessRenderer(gpu: GPUSelection(argument: gpu)!, samples: samples)
      } catch {
        throw CLIError("\(error)")
      }
      for w in renderer.context.warnings { log.warning("\(w)") }
    }
    defer { if shared == nil { renderer.destroy() } }
    let image = try draw(renderer, backgroundColor, transparent)
    try PNGCodec.write(image, to: path, options: PNGOptions(alpha: transparent), overwrite: force)
    print(path)
  }
}

struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}
