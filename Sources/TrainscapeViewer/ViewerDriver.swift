import CGL
import TrainscapeCore

extension Viewer {
  /// Opens the window like `run()` and hands it to `body` instead of the interactive loop:
  /// benchmarks draw frames and step the loop themselves (`TrainscapeBenchmarks viewer`).
  public func drive(_ body: @MainActor (ViewerDriver) throws -> Void) throws {
    try open { try body(ViewerDriver(viewer: self)) }
  }
}

/// The open window as a benchmark sees it: frames on demand, the camera, one loop pass at a
/// time, and when things happened (seconds since the viewer was made).
@MainActor
public struct ViewerDriver {
  let viewer: Viewer

  public var framebufferSize: (width: Int, height: Int) { viewer.framebufferSize }

  /// Shows `scene` instead (the camera reset to its own), uploaded as a new scene is.
  public func load(_ scene: Scene) {
    viewer.baseScene = scene
    viewer.orbit = OrbitController(camera: scene.camera)
    viewer.rebuildDisplay()
  }

  /// Triangles of the surfaces drawn at full detail and while the camera moves.
  public var surfaceTriangles: (full: Int, levelOfDetail: Int) {
    (viewer.displayScene.surfaceTriangleCount, (viewer.lodScene ?? viewer.displayScene).surfaceTriangleCount)
  }

  /// Draws one frame (the level-of-detail one, without MSAA, when asked) and waits for the GL.
  public func drawFrame(levelOfDetail: Bool) {
    viewer.drawFrame(lodMode: levelOfDetail)
    glFinish()
  }

  /// Turns the camera as a left drag of `dx`, `dy` pixels does.
  public func rotate(dx: Double, dy: Double) { viewer.orbit.rotate(dx: dx, dy: dy) }

  /// One pass of the interactive loop: script events, follow updates, a frame if one is due,
  /// then waiting for events.
  public func iterate() throws { try viewer.iterate() }

  public var now: Double { viewer.now }
  /// The step the latest follow update reached, and the one the last frame showed.
  public var latestStep: Int64? { viewer.latestStep }
  public var shownStep: Int64? { viewer.shownStep }
  public var lastFrameTime: Double { viewer.lastFrameTime }
  /// When the loop took the last follow update and when it had applied it.
  public var followTimes: (received: Double, applied: Double) { viewer.followTimes }
}
