import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore
import TrainscapeHeadless
import TrainscapeIO

/// A smooth bowl with a ridge: z = f(x, y) on a 40 x 60 grid, viridis.
func bowlScene(eye: Vec3 = Vec3(1.5, -1.5, 1.2)) -> Scene {
  let rows = 40, cols = 60
  var x: [Double] = [], y: [Double] = [], z: [Double] = []
  for r in 0..<rows {
    for c in 0..<cols {
      let u = Double(c) / Double(cols - 1) * 2 - 1, v = Double(r) / Double(rows - 1) * 2 - 1
      x.append(Double(c) * 50); y.append(Double(r) * 0.025)
      z.append(0.6 * (u * u + v * v) + 0.3 * exp(-8 * (u - 0.3) * (u - 0.3)))
    }
  }
  let zr = finiteRange(z, scale: .linear)!
  let s = SurfaceTrace(name: "bowl", rows: rows, cols: cols, x: x, y: y, z: z, colormap: .viridis, colorRange: zr)
  return Scene(
    title: "Bowl", traces: [.surface(s)],
    x: AxisSpec(title: "Step", range: 0...2950, integer: true),
    y: AxisSpec(title: "LR", range: 0...0.975),
    z: AxisSpec(title: "Loss", range: zr),
    camera: Camera(eye: eye),
    colorBar: ColorBar(title: "Loss", colormap: .viridis, range: zr, scale: .linear))
}

/// Layer x step gradient norms spanning decades, with a hole, on a log z axis.
func gradientFlowScene() throws -> Scene {
  let steps = (0..<50).map { Int64($0 * 20) }
  let layers = Array(0..<8)
  var values: [Double] = []
  for l in layers {
    for (i, _) in steps.enumerated() {
      values.append(2.0 * exp(-Double(l) / 2.0) * exp(-Double(i) / 20) + 0.002)
    }
  }
  values[3 * 50 + 20] = .nan
  var options = GradientFlowBuilder.Options()
  options.logZ = .on
  return try GradientFlowBuilder.scene(
    steps: steps, layers: layers, values: values, family: "grad_norm", runName: "golden", options: options)
}

/// Two overlaid trajectories: a helix and a spiral, as lines with markers, with a legend.
func trajectoryScene() throws -> Scene {
  let n = 80
  let steps = (0..<n).map { Int64($0 * 10) }
  let a = TrajectoryBuilder.RunSeries(
    name: "lr=3e-4", steps: steps, loss: steps.map { 4 * exp(-Double($0) / 300) + 1 },
    gradNorm: steps.map { 1 + 0.5 * sin(Double($0) / 60) })
  let b = TrajectoryBuilder.RunSeries(
    name: "lr=1e-3", steps: steps, loss: steps.map { 4.5 * exp(-Double($0) / 150) + 1.2 },
    gradNorm: steps.map { 1.2 + 0.4 * cos(Double($0) / 50) })
  return try TrajectoryBuilder.scene([a, b])
}

@Suite(.serialized, .tiered) struct RenderTests {
  @Test(.tags(.egl)) func trajectoriesMatchGoldenWithMarkersAndLegend() throws {
    try withRenderer { r in
      let scene = try trajectoryScene()
      let image = try r.render(scene, width: 400, height: 300)
      try goldens.assertMatches(image, golden: "trajectories_400x300")
      let layout = FigureLayoutBuilder.layout(scene, width: 400, height: 300)
      let legend = layout.labels.filter { $0.role == .legend }.map(\.text)
      #expect(legend == ["lr=3e-4", "lr=1e-3"])
      // The first marker of each run carries its run colour.
      for (i, trace) in scene.traces.enumerated() {
        let t = try #require(trace.scatter)
        let p = layout.project(scene.normalized(t.x[0], t.y[0], t.z[0]))!
        let px = image.rgb(Int(p.x), Int(p.y))
        let c = Palette.color(i)
        let d = abs(px.0 - Int(c.r * 255)) + abs(px.1 - Int(c.g * 255)) + abs(px.2 - Int(c.b * 255))
        #expect(d < 60, "marker of run \(i) is \(px), expected about \(c.hex)")
      }
    }
  }

  @Test(.tags(.egl)) func bowlMatchesGoldenAndReadsRight() throws {
    try withRenderer { r in
      let scene = bowlScene()
      let image = try r.render(scene, width: 320, height: 240)
      try goldens.assertMatches(image, golden: "bowl_viridis_320x240")
      try checkContent(image, scene: scene)
    }
  }

  @Test(.tags(.egl)) func gradientFlowLogMatchesGoldenAndReadsRight() throws {
    try withRenderer { r in
      let scene = try gradientFlowScene()
      let image = try r.render(scene, width: 400, height: 300)
      try goldens.assertMatches(image, golden: "gradient_flow_log_400x300")
      try checkContent(image, scene: scene)
      #expect(scene.z.scale == .log)
    }
  }

  /// Not blank, the title and axes drawn, the colour bar's ends equal the colour map's ends, and
  /// the surface's highest and lowest points carry the top and bottom colours.
  func checkContent(_ image: RGBAImage, scene: Scene) throws {
    #expect(image.distinctColors > 200, "image looks blank: \(image.distinctColors) colours")
    #expect(image.fractionNot((255, 255, 255)) > 0.08)
    let layout = FigureLayoutBuilder.layout(scene, width: image.width, height: image.height)
    let title = try #require(layout.labels.first { $0.role == .title })
    #expect(image.darkest(in: title.bounds) < 100, "no title text drawn")
    for label in layout.labels where label.role == .tickLabel {
      #expect(image.darkest(in: label.bounds) < 150, "tick label '\(label.text)' not drawn")
    }
    let bar = try #require(layout.colorBar)
    // The first and last pixel rows inside the bar show the map at their centres' t.
    let cx = Int(bar.rect.x + bar.rect.width / 2)
    let yTop = Int(bar.rect.y) + 1, yBottom = Int(bar.rect.maxY) - 2
    let tTop = (bar.rect.maxY - (Double(yTop) + 0.5)) / bar.rect.height
    let tBottom = (bar.rect.maxY - (Double(yBottom) + 0.5)) / bar.rect.height
    #expect(tTop > 0.97 && tBottom < 0.03)
    let top = image.rgb(cx, yTop), bottom = image.rgb(cx, yBottom)
    let hi = bar.colormap.color(at: 1), lo = bar.colormap.color(at: 0)
    func close(_ p: (Int, Int, Int), _ c: RGBColor) -> Bool {
      abs(p.0 - Int((c.r * 255).rounded())) <= 3 && abs(p.1 - Int((c.g * 255).rounded())) <= 3
        && abs(p.2 - Int((c.b * 255).rounded())) <= 3
    }
    #expect(close(top, bar.colormap.color(at: tTop)), "colour bar top \(top) is not the map's end")
    #expect(close(bottom, bar.colormap.color(at: tBottom)), "colour bar bottom \(bottom) is not the map's start")
    // Highest point of the surface: its pixel is closer in hue to the top colour than the bottom.
    let s = try #require(scene.traces[0].surface)
    let finite = s.z.indices.filter { s.z[$0].isFinite }
    let iMax = finite.max { s.z[$0] < s.z[$1] }!
    let p = layout.project(scene.normalized(s.x[iMax], s.y[iMax], s.z[iMax]))!
    let px = image.rgb(Int(p.x), Int(p.y))
    func chroma(_ a: (Int, Int, Int)) -> (Double, Double, Double) {
      let sum = Double(max(1, a.0 + a.1 + a.2))
      return (Double(a.0) / sum, Double(a.1) / sum, Double(a.2) / sum)
    }
    func dist(_ a: (Double, Double, Double), _ c: RGBColor) -> Double {
      let b = chroma((Int(c.r * 255), Int(c.g * 255), Int(c.b * 255)))
      return abs(a.0 - b.0) + abs(a.1 - b.1) + abs(a.2 - b.2)
    }
    #expect(dist(chroma(px), hi) < dist(chroma(px), lo), "peak pixel \(px) is not coloured like the top of the map")
  }

  @Test(.tags(.egl)) func deviceAndSurfacelessPathsGiveTheSameImage() throws {
    let scene = bowlScene(eye: Vec3(1.25, 1.25, 1.25))
    let imageA = try withRenderer { a in
      #expect(a.context.backend.contains("surfaceless"))
      return try a.render(scene, width: 256, height: 256)
    }
    // Mesa lists llvmpipe as an EGL device (EGL_MESA_device_software): --gpu 0 takes the
    // EGL_EXT_platform_device path that selects an NVIDIA GPU on a server.
    let devices = EGLProbe.devices()
    #expect(!devices.isEmpty, "no EGL devices listed")
    let imageB = try withRenderer(gpu: .device(0)) { b in
      #expect(b.context.backend.hasPrefix("EGL device"), "backend was \(b.context.backend)")
      #expect(b.context.warnings.isEmpty)
      return try b.render(scene, width: 256, height: 256)
    }
    let c = ImageDifference(imageA, imageB, channelTolerance: 1)
    #expect(c.differingFraction == 0, "device path differs from surfaceless in \(c.differingFraction * 100)% of pixels")
  }

  @Test(.tags(.egl)) func unknownGPUFallsBackToSoftwareWithAWarning() throws {
    try withRenderer(gpu: .device(97)) { r in
      #expect(r.context.warnings.contains { $0.contains("GPU 97 not found") && $0.contains("software") })
      let image = try r.render(bowlScene(), width: 128, height: 96)
      #expect(image.distinctColors > 50)
    }
  }

  @Test(.tags(.egl)) func rendererReleasesEveryObject() throws {
    try withRenderer { r in
      _ = try r.render(bowlScene(), width: 64, height: 64)
      #expect(r.liveObjectCount > 0)
    }
  }

  @Test(.tags(.egl)) func sameInputGivesIdenticalPixels() throws {
    try withRenderer { r in
      let a = try r.render(bowlScene(), width: 200, height: 150)
      let b = try r.render(bowlScene(), width: 200, height: 150)
      #expect(a == b)
    }
  }

  @Test(.tags(.egl)) func textStaysLegibleAt4K() throws {
    try withRenderer(samples: 0) { r in
      let scene = bowlScene()
      let image = try r.render(scene, width: 3840, height: 2160)
      let layout = FigureLayoutBuilder.layout(scene, width: 3840, height: 2160)
      // Tick labels are drawn about 3x the 720p size: 14 px -> about 42 px.
      let tick = try #require(layout.labels.first { $0.role == .tickLabel })
      #expect(tick.bounds.height > 40)
      #expect(image.darkest(in: tick.bounds) < 100)
    }
  }
}

@Suite(.serialized, .tiered) struct FXAATests {
  /// FXAA smooths the plot (more intermediate colours along edges than no anti-aliasing) and
  /// leaves the text exactly as drawn without it (the overlay is drawn after the pass, or, on
  /// the CPU, its pixels are kept). Both places FXAA can run are checked.
  @Test(.tags(.egl), arguments: [false, true]) func smoothsThePlotAndKeepsTextSharp(onCPU: Bool) throws {
    let scene = bowlScene()
    let a = try withRenderer(samples: 0) { plain in try plain.render(scene, width: 480, height: 320) }
    let (b, again) = try withRenderer(fxaa: true, fxaaOnCPU: onCPU) { post in
      #expect(post.fxaa && post.samples == 0 && post.fxaaOnCPU == onCPU)
      return (try post.render(scene, width: 480, height: 320), try post.render(scene, width: 480, height: 320))
    }
    #expect(b == again, "FXAA frames are not deterministic")
    #expect(b.distinctColors > a.distinctColors, "FXAA \(b.distinctColors) colours vs \(a.distinctColors) without")
    let c = ImageDifference(a, b, channelTolerance: 8)
    #expect(c.differingFraction > 0.001 && c.differingFraction < 0.2, "FXAA changed \(c.differingFraction * 100)% of pixels")
    // Labels outside the plot's viewport: every pixel as drawn without FXAA.
    let layout = FigureLayoutBuilder.layout(scene, width: 480, height: 320)
    let outside = layout.labels.filter { $0.role == .title || $0.role == .colorBarTick || $0.role == .colorBarTitle }
    #expect(outside.count >= 3)
    for label in outside {
      for y in Int(label.bounds.y)..<Int(label.bounds.maxY) {
        for x in Int(label.bounds.x)..<Int(label.bounds.maxX) {
          #expect(a.rgb(x, y) == b.rgb(x, y), "\(label.text): pixel (\(x), \(y)) changed")
          if a.rgb(x, y) != b.rgb(x, y) { return }
        }
      }
    }
  }

  /// The CPU filter (`FXAA.apply`) and the shader are two implementations of one filter: on the
  /// same scene they change the same pixels, by about the same amount (the GPU's filtering
  /// rounds texture weights to 8 bits).
  @Test(.tags(.egl)) func cpuAndShaderAgree() throws {
    let scene = bowlScene()
    let g = try withRenderer(fxaa: true, fxaaOnCPU: false) { gpu in try gpu.render(scene, width: 480, height: 320) }
    let c = try withRenderer(fxaa: true, fxaaOnCPU: true) { cpu in try cpu.render(scene, width: 480, height: 320) }
    let loose = ImageDifference(g, c, channelTolerance: 2)
    #expect(loose.differingFraction < 0.002, "CPU and shader FXAA differ by more than 2 levels in \(loose.differingFraction * 100)% of pixels")
    let exact = ImageDifference(g, c, channelTolerance: 0)
    #expect(exact.differingFraction < 0.02, "\(exact.differingFraction * 100)% of pixels differ at all")
  }
}

@Suite(.serialized, .tiered) struct VertexLightingTests {
  /// A dense surface lit per vertex looks like the per-pixel one (frames use it for speed); a
  /// coarse one is always lit per pixel, so its image does not change.
  @Test(.tags(.egl)) func denseSurfacesLookTheSameAndCoarseOnesAreUntouched() throws {
    let dense = denseScene(n: 120)
    let coarse = bowlScene()  // 40 x 60: below SceneRenderer.denseGrid
    var images: [[RGBAImage]] = []
    for vertexLit in [false, true] {
      try withRenderer(samples: 0, vertexLighting: vertexLit) { r in
        #expect(r.vertexLighting == vertexLit)
        images.append([try r.render(dense, width: 640, height: 400), try r.render(coarse, width: 640, height: 400)])
      }
    }
    #expect(images[0][1] == images[1][1], "a coarse surface changed with vertex lighting")
    #expect(images[0][0] != images[1][0], "vertex lighting was not used on a dense surface")
    let c = ImageDifference(images[0][0], images[1][0], channelTolerance: 6)
    #expect(c.differingFraction < 0.002, "\(c.differingFraction * 100)% of pixels differ by more than 6 levels")
    #expect(c.meanDifference < 0.5, "mean difference \(c.meanDifference)")
  }

  private func denseScene(n: Int) -> Scene {
    var x: [Double] = [], y: [Double] = [], z: [Double] = []
    for r in 0..<n {
      for c in 0..<n {
        let u = Double(c) / Double(n - 1) * 4 - 2, v = Double(r) / Double(n - 1) * 4 - 2
        x.append(u); y.append(v)
        z.append(0.25 * (u * u + v * v) + 0.35 * sin(3 * u) * cos(2.5 * v))
      }
    }
    let zr = finiteRange(z, scale: .linear)!
    let s = SurfaceTrace(name: "dense", rows: n, cols: n, x: x, y: y, z: z, colormap: .viridis, colorRange: zr)
    return Scene(
      title: "Dense", traces: [.surface(s)], x: AxisSpec(title: "u", range: -2...2),
      y: AxisSpec(title: "v", range: -2...2), z: AxisSpec(title: "z", range: zr),
      camera: Camera(eye: Vec3(1.5, -1.5, 1.2)),
      colorBar: ColorBar(title: "z", colormap: .viridis, range: zr, scale: .linear))
  }
}
