import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

@Suite(.tiered) struct CameraTests {
  @Test func parsesEyeVectors() {
    #expect(Camera.parseVector("1.5,-1.5,1.2") == Vec3(1.5, -1.5, 1.2))
    #expect(Camera.parseVector(" 1, 2 ,3 ") == Vec3(1, 2, 3))
    #expect(Camera.parseVector("1,2") == nil)
    #expect(Camera.parseVector("1,2,x") == nil)
    #expect(Camera.parseVector("1,2,nan") == nil)
  }

  @Test func centerProjectsToTheMiddleAndUpIsUp() {
    let cam = Camera(eye: Vec3(1.5, -1.5, 1.2))
    let vp = cam.projectionMatrix(aspect: 16.0 / 9.0) * cam.viewMatrix
    let c = vp.transform(.zero)
    #expect(abs(c.x / c.w) < 1e-12 && abs(c.y / c.w) < 1e-12)
    let top = vp.transform(Vec3(0, 0, 0.5))
    #expect(top.y / top.w > 0)
    // Plotly's convention: seen from (1.5, -1.5, z), +x and +y both go to the right.
    let px = vp.transform(Vec3(0.5, 0, 0)), py = vp.transform(Vec3(0, 0.5, 0))
    #expect(px.x / px.w > 0 && py.x / py.w > 0)
  }

  @Test func orbitKeepsDistanceAndHeight() {
    let cam = Camera(eye: Vec3(1.25, 1.25, 1.25))
    let o = cam.orbited(by: 1.0)
    #expect(abs((o.eye - o.center).length - (cam.eye - cam.center).length) < 1e-12)
    #expect(o.eye.z == cam.eye.z)
    let full = cam.orbited(by: 2 * Double.pi)
    #expect((full.eye - cam.eye).length < 1e-12)
  }
}
