import Testing
import TrainscapeHeadless

/// Makes a headless renderer (the `HeadlessRenderer` options), runs `body` with it, destroys it
/// and checks that it deleted every GL object it created: the leak check after every render
/// test.
func withRenderer<T>(
  gpu: GPUSelection = .surfaceless, samples: Int = 4, fxaa: Bool = false, fxaaOnCPU: Bool? = nil,
  vertexLighting: Bool = false, sourceLocation: SourceLocation = #_sourceLocation,
  _ body: (HeadlessRenderer) throws -> T
) throws -> T {
  let renderer = try HeadlessRenderer(
    gpu: gpu, samples: samples, fxaa: fxaa, fxaaOnCPU: fxaaOnCPU, vertexLighting: vertexLighting)
  defer {
    renderer.destroy()
    #expect(renderer.liveObjectCount == 0, "GL objects left after destroy()", sourceLocation: sourceLocation)
  }
  return try body(renderer)
}
