import CEGL
import Dispatch
import Foundation
import TrainscapeCore

/// Rendering quality for frame sequences, chosen for a software rasterizer.
///
/// On Mesa llvmpipe every stage of a frame is CPU time on the same cores. A perf profile of a
/// 72-frame 1280x720 turntable of a 500x500 surface (`TrainscapeBenchmarks turntable
/// --profile`) shows where it goes: the plot's rasterization, PNG encoding, and FXAA, which as a
/// full-screen GPU pass costs as much as the plot (so on llvmpipe it runs on the CPU, on the
/// edges only). Hence `final`:
///
/// | setting | triangles | lighting | anti-aliasing | s/frame (quiet box) |
/// |---|---|---|---|---|
/// | draft | pixels / 96 | per vertex on dense grids | none | about 0.017 |
/// | final | pixels / 48 | per vertex on dense grids | FXAA on the CPU (edges only) | about 0.021 |
/// | full | pixels / 2 | per pixel | 4x MSAA | about 0.32 |
///
/// A smooth surface drawn with 20k triangles at 1280x720 is indistinguishable from 460k by
/// eye; a surface with sharp detail is not (strided samples can miss a narrow peak), hence the
/// conservative budgets. Text and the colour bar are sharp at every quality (font atlas).
public enum RenderQuality: String, Sendable, CaseIterable {
  /// No anti-aliasing; surfaces reduced to 1/96 of the pixel count in triangles.
  case draft
  /// FXAA (one post-processing pass; text stays sharp); surfaces reduced to 1/48 of the pixel
  /// count in triangles (about a 100 x 100 grid at 1280x720, which a smooth surface cannot be
  /// told apart from at that size): the turntable default.
  case final
  /// 4x multisampling; surfaces reduced only beyond half the pixel count (never more
  /// triangles than pixels): what a single `render` draws.
  case full

  /// MSAA samples per pixel for `HeadlessRenderer(samples:)`.
  public var samples: Int { self == .full ? 4 : 0 }
  /// Anti-alias by FXAA rather than MSAA.
  public var fxaa: Bool { self == .final }
  /// Light dense surfaces per vertex (frames, not single renders).
  public var vertexLighting: Bool { self != .full }

  /// The triangle budget for surfaces at this size.
  public func triangleBudget(width: Int, height: Int) -> Int {
    let pixels = Scene.triangleBudget(width: width, height: height) * 2
    switch self {
    case .draft: return Swift.max(2, pixels / 96)
    case .final: return Swift.max(2, pixels / 48)
    case .full: return Swift.max(2, pixels / 2)
    }
  }

  /// The scene to draw at this quality: surfaces reduced to the triangle budget (render only;
  /// export the original).
  public func renderScene(_ scene: Scene, width: Int, height: Int) -> Scene {
    scene.levelOfDetail(maxTriangles: triangleBudget(width: width, height: height)).scene
  }
}

/// Renders a sequence of frames of one scene (a turntable, a fly-through) with one GL context
/// and one mesh upload: only the camera changes between frames, and `HeadlessRenderer` uploads
/// meshes only when the traces or axes change. Each image is handed to `sink` on a serial
/// encoder queue while the next frame is drawn, so PNG encoding overlaps drawing; a semaphore
/// bounds the frames waiting for the sink (`encodeQueueDepth`, 1 by default: one frame is
/// encoded while the next is drawn; a deeper queue only adds memory when encoding is the
/// slower side), so memory stays at a few frames.
///
/// Readback is synchronous (`glReadPixels`, ~1 ms at 1280x720 on llvmpipe against 100+ ms of
/// drawing): a PBO ring cannot win more than that on a software rasterizer, so there is none.
///
/// Call `render` on one thread (the GL context is current per thread); `sink` runs on the
/// encoder queue, frames in order.
public final class FramePipeline {
  public let renderer: HeadlessRenderer
  public let width: Int
  public let height: Int
  public let encodeQueueDepth: Int
  private let queue = DispatchQueue(label: "trainscape.frame-pipeline.encoder")

  public init(renderer: HeadlessRenderer, width: Int, height: Int, encodeQueueDepth: Int = 1) {
    precondition(width > 0 && height > 0)
    self.renderer = renderer
    self.width = width
    self.height = height
    self.encodeQueueDepth = Swift.max(1, encodeQueueDepth)
  }

  /// Renders one frame per camera (the scene's camera replaced) and calls `sink(index, image)`
  /// for each, in order, on the encoder queue. Stops at the first error, of the renderer or of
  /// `sink`, and rethrows it once the queue is drained. `progress(done, total)` runs on the
  /// calling thread after each frame is drawn.
  public func render(
    frames cameras: [Camera], scene: Scene, style: FigureStyle = FigureStyle(),
    sink: @escaping @Sendable (Int, RGBAImage) throws -> Void, progress: ((Int, Int) -> Void)?
  ) throws {
    var frameScene = scene  // shares the traces' storage: the renderer sees the same traces
    try render(
      count: cameras.count,
      scene: { i in
        frameScene.camera = cameras[i]
        return frameScene
      }, style: style, sink: sink, progress: progress)
  }

  /// Renders `count` frames, frame `i` showing `scene(i)`. Meshes are re-uploaded only when a
  /// frame's traces differ from the previous frame's (an "animate by step" sequence), not when
  /// only the camera moves.
  public func render(
    count: Int, scene sceneAt: (Int) throws -> Scene, style: FigureStyle = FigureStyle(),
    sink: @escaping @Sendable (Int, RGBAImage) throws -> Void, progress: ((Int, Int) -> Void)?
  ) throws {
    let slots = DispatchSemaphore(value: encodeQueueDepth)
    let failure = FirstError()
    do {
      for i in 0..<count {
        if failure.error != nil { break }
        let frame = try renderer.renderFrame(try sceneAt(i), width: width, height: height, style: style)
        slots.wait()
        queue.async {
          defer { slots.signal() }
          guard failure.error == nil else { return }
          do { try sink(i, frame.finish()) } catch { failure.record(error) }
        }
        progress?(i + 1, count)
      }
    } catch {
      queue.sync {}
      throw error
    }
    queue.sync {}
    if let error = failure.error { throw error }
  }

  /// Makes glibc hand buffers of 1 MB and more straight back to the system when they are freed
  /// (`M_MMAP_THRESHOLD`). Frame-sized images are allocated on the drawing thread and freed on
  /// the encoder thread; with glibc's default, adaptive threshold they pile up in the arenas
  /// (a 72-frame 1280x720 turntable peaked at 144 MB instead of 137 MB, at the same speed).
  /// Process-wide, so the program calls it (the CLI's frame commands do), not the library.
  public static func returnLargeBuffersToTheSystem() {
    ts_set_mmap_threshold(1 << 20)
  }

  /// `frames` cameras orbiting `base.center` about the z axis, azimuth 0 ..< 360 degrees from
  /// the base eye's (exclusive, so a looping animation has no repeated frame), at the base eye's
  /// distance. `elevation` is the eye's angle above the xy plane in degrees; nil keeps the base
  /// eye's height and horizontal radius.
  public static func turntableCameras(base: Camera, frames: Int, elevation: Double?) -> [Camera] {
    guard frames > 0 else { return [] }
    let d = base.eye - base.center
    let distance = d.length
    let azimuth0 = (d.x == 0 && d.y == 0) ? 0 : atan2(d.y, d.x)
    let radius: Double, height: Double
    if let elevation {
      let e = elevation * .pi / 180
      radius = distance * cos(e)
      height = distance * sin(e)
    } else {
      radius = (d.x * d.x + d.y * d.y).squareRoot()
      height = d.z
    }
    return (0..<frames).map { k in
      let a = azimuth0 + 2 * .pi * Double(k) / Double(frames)
      var c = base
      c.eye = base.center + Vec3(radius * cos(a), radius * sin(a), height)
      return c
    }
  }
}

/// The first error recorded from any thread.
private final class FirstError: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Error?

  var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }

  func record(_ e: Error) {
    lock.lock()
    defer { lock.unlock() }
    if stored == nil { stored = e }
  }
}
