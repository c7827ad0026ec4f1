import CGL
import TrainscapeCore

/// Lighting parameters of the surface shader (Blinn-Phong).
public struct Lighting: Sendable, Equatable {
  public var ambient: Float = 0.42
  public var diffuse: Float = 0.62
  public var specular: Float = 0.12
  public var shininess: Float = 40
  public init() {}
}

/// What a pass draws with: the programs, textures and streamed vertex arrays of one renderer.
struct PassResources {
  let programs: Programs
  let textures: Textures
  let streamed: StreamedGeometry
}

/// The 3D plot: back panes and their grid, surfaces, meshes, scatter traces, then the axes, in
/// the plot's own viewport (GL counts rows from the bottom).
struct PlotPass {
  var lighting: Lighting
  var wireframe: Bool
  var vertexLighting: Bool

  func draw(_ layout: FrameLayout, scene: GPUScene, with r: PassResources, background: RGBColor, backgroundAlpha: Float) {
    let p = r.programs
    glViewport(0, 0, GLsizei(layout.width), GLsizei(layout.height))
    glDisable(GLenum(GL_SCISSOR_TEST))
    glClearColor(Float(background.r), Float(background.g), Float(background.b), backgroundAlpha)
    glClearDepth(1)
    glDepthMask(GLboolean(GL_TRUE))
    glClear(GLbitfield(GL_COLOR_BUFFER_BIT) | GLbitfield(GL_DEPTH_BUFFER_BIT))
    glEnable(GLenum(GL_BLEND))
    glBlendFuncSeparate(
      GLenum(GL_SRC_ALPHA), GLenum(GL_ONE_MINUS_SRC_ALPHA), GLenum(GL_ONE), GLenum(GL_ONE_MINUS_SRC_ALPHA))
    glDisable(GLenum(GL_CULL_FACE))

    let rect = layout.plotRect
    glViewport(
      GLint(rect.x.rounded()), GLint((Double(layout.height) - rect.maxY).rounded()),
      GLsizei(rect.width.rounded()), GLsizei(rect.height.rounded()))
    let viewProjection = Matrix4(layout.projection * layout.view)
    let viewport = SIMD2<Float>(Float(rect.width), Float(rect.height))

    // Back panes and their grid: behind everything, no depth.
    glDisable(GLenum(GL_DEPTH_TEST))
    p.flat.use()
    p.flat.set(Uniforms.matrix, viewProjection)
    r.streamed.flat.upload(vertices: VertexPacking.panes(layout.panes), usage: GL_STREAM_DRAW)
    // Opaque draws skip blending: on a software rasterizer, reading the framebuffer back for
    // every fragment is a measurable part of the frame.
    if layout.panes.allSatisfy({ $0.color.a >= 1 }) { glDisable(GLenum(GL_BLEND)) }
    r.streamed.flat.draw(GL_TRIANGLES)
    glEnable(GLenum(GL_BLEND))
    drawLines(layout.sceneLines.filter { !$0.depthTested }, matrix: viewProjection, viewport: viewport, with: r)

    // Data.
    glEnable(GLenum(GL_DEPTH_TEST))
    glDepthFunc(GLenum(GL_LEQUAL))
    drawSurfaces(scene.surfaces, layout, with: r)
    if !scene.meshes.isEmpty {
      setLitUniforms(p.mesh, layout)
      for translucent in [false, true] {
        glDepthMask(GLboolean(translucent ? GL_FALSE : GL_TRUE))
        for m in scene.meshes where m.translucent == translucent { m.mesh.draw(GL_TRIANGLES) }
      }
    }
    glDepthMask(GLboolean(GL_TRUE))
    drawScatters(scene.scatters, layout, matrix: viewProjection, with: r)
    glDepthMask(GLboolean(GL_TRUE))
    drawLines(layout.sceneLines.filter { $0.depthTested }, matrix: viewProjection, viewport: viewport, with: r)
    glBindVertexArray(0)
  }

  /// Opaque surfaces first (no blending needed), then translucent ones without depth writes.
  private func drawSurfaces(_ surfaces: [GPUSurface], _ layout: FrameLayout, with r: PassResources) {
    let p = r.programs
    for program in [p.surface, p.surfaceVertexLit] {
      setLitUniforms(program, layout)
      program.set(Uniforms.colormap, TextureUnit(unit: 0))
    }
    glActiveTexture(GLenum(GL_TEXTURE0))
    if wireframe { glPolygonMode(GLenum(GL_FRONT_AND_BACK), GLenum(GL_LINE)) }
    for translucent in [false, true] {
      for s in surfaces where (s.opacity < 0.999) == translucent {
        glDepthMask(GLboolean(translucent ? GL_FALSE : GL_TRUE))
        if translucent { glEnable(GLenum(GL_BLEND)) } else { glDisable(GLenum(GL_BLEND)) }
        let program = vertexLighting && s.dense ? p.surfaceVertexLit : p.surface
        program.use()
        glBindTexture(GLenum(GL_TEXTURE_2D), r.textures.colormap(s.colormap))
        program.set(Uniforms.opacity, s.opacity)
        let t = s.transform
        program.set(Uniforms.scale, SIMD3(t.scale))
        program.set(Uniforms.offset, SIMD3(t.offset))
        program.set(Uniforms.normalScale, SIMD3(t.normalScale))
        program.set(Uniforms.colorMapping, SIMD2(Float(t.colorScale), Float(t.colorOffset)))
        s.mesh.draw(GL_TRIANGLES)
      }
    }
    glEnable(GLenum(GL_BLEND))
    if wireframe { glPolygonMode(GLenum(GL_FRONT_AND_BACK), GLenum(GL_FILL)) }
  }

  /// Opaque scatter traces write depth; translucent ones are drawn after, without. Markers and
  /// lines shrink with the image, but not below 60% of their size.
  private func drawScatters(_ scatters: [GPUScatter], _ layout: FrameLayout, matrix: Matrix4, with r: PassResources) {
    let p = r.programs
    let rect = layout.plotRect
    let markerUnit = Float(max(layout.unit, 0.6))
    glEnable(GLenum(GL_PROGRAM_POINT_SIZE))
    for translucent in [false, true] {
      glDepthMask(GLboolean(translucent ? GL_FALSE : GL_TRUE))
      for s in scatters where s.translucent == translucent {
        if let map = s.colormap { glBindTexture(GLenum(GL_TEXTURE_2D), r.textures.colormap(map)) }
        func setUniforms(_ program: GLProgram) {
          program.use()
          program.set(Uniforms.matrix, matrix)
          let t = s.transform
          program.set(Uniforms.scale, SIMD3(t.scale))
          program.set(Uniforms.offset, SIMD3(t.offset))
          program.set(Uniforms.colorMapping, SIMD2(Float(t.colorScale), Float(t.colorOffset)))
          program.set(Uniforms.useColormap, s.colormap == nil ? 0 : 1)
          program.set(Uniforms.colormap, TextureUnit(unit: 0))
        }
        if let l = s.lines {
          setUniforms(p.scatterLine)
          p.scatterLine.set(Uniforms.viewport, SIMD2(Float(rect.width) / markerUnit, Float(rect.height) / markerUnit))
          p.scatterLine.set(Uniforms.dash, Int32(LineDash.allCases.firstIndex(of: s.style.dash) ?? 0))
          p.scatterLine.set(Uniforms.dashUnit, Float(Swift.max(s.style.lineWidth, 3)))
          l.draw(GL_LINES)
        }
        if let m = s.markers {
          setUniforms(p.scatterPoint)
          p.scatterPoint.set(Uniforms.pointScale, markerUnit)
          p.scatterPoint.set(Uniforms.symbol, Uniforms.symbolCode(s.style.symbol))
          let o = s.style.outline
          p.scatterPoint.set(Uniforms.outlineWidth, Float(o?.width ?? 0) * markerUnit)
          p.scatterPoint.set(Uniforms.outlineColor, SIMD3(Float(o?.color.r ?? 0), Float(o?.color.g ?? 0), Float(o?.color.b ?? 0)))
          m.draw(GL_POINTS)
        }
      }
    }
  }

  /// Uses `program` and sets the camera and Blinn-Phong uniforms the lit shaders share.
  private func setLitUniforms(_ program: GLProgram, _ layout: FrameLayout) {
    program.use()
    program.set(Uniforms.view, Matrix4(layout.view))
    program.set(Uniforms.projection, Matrix4(layout.projection))
    program.set(Uniforms.lightDirection, SIMD3(layout.lightDirection))
    program.set(Uniforms.ambient, lighting.ambient)
    program.set(Uniforms.diffuse, lighting.diffuse)
    program.set(Uniforms.specular, lighting.specular)
    program.set(Uniforms.shininess, lighting.shininess)
  }

  private func drawLines(_ segments: [SceneLine], matrix: Matrix4, viewport: SIMD2<Float>, with r: PassResources) {
    guard !segments.isEmpty else { return }
    r.programs.line.use()
    r.programs.line.set(Uniforms.matrix, matrix)
    r.programs.line.set(Uniforms.viewport, viewport)
    r.streamed.lines.upload(vertices: VertexPacking.lines(segments), usage: GL_STREAM_DRAW)
    r.streamed.lines.draw(GL_LINES)
  }
}

/// The 2D overlay over the whole image, in pixels with y down: colour bar, fills (2D panels),
/// legend and other lines, all text.
struct OverlayPass {
  func draw(_ layout: FrameLayout, with r: PassResources) {
    let p = r.programs
    let w = Float(layout.width), h = Float(layout.height)
    glEnable(GLenum(GL_BLEND))
    glBlendFuncSeparate(
      GLenum(GL_SRC_ALPHA), GLenum(GL_ONE_MINUS_SRC_ALPHA), GLenum(GL_ONE), GLenum(GL_ONE_MINUS_SRC_ALPHA))
    glViewport(0, 0, GLsizei(layout.width), GLsizei(layout.height))
    glDisable(GLenum(GL_DEPTH_TEST))
    let pixels = Matrix4(Mat4.orthographic(left: 0, right: Double(w), bottom: Double(h), top: 0, near: -1, far: 1))
    if let cb = layout.colorBar {
      r.streamed.colorbar.upload(vertices: VertexPacking.colorBar(cb.rect), usage: GL_STREAM_DRAW)
      p.colorbar.use()
      p.colorbar.set(Uniforms.matrix, pixels)
      p.colorbar.set(Uniforms.colormap, TextureUnit(unit: 0))
      glBindTexture(GLenum(GL_TEXTURE_2D), r.textures.colormap(cb.colormap))
      r.streamed.colorbar.draw(GL_TRIANGLES)
    }
    if !layout.overlayFills.isEmpty {
      p.flat.use()
      p.flat.set(Uniforms.matrix, pixels)
      r.streamed.flat.upload(vertices: VertexPacking.fills(layout.overlayFills), usage: GL_STREAM_DRAW)
      r.streamed.flat.draw(GL_TRIANGLES)
    }
    p.line.use()
    p.line.set(Uniforms.matrix, pixels)
    p.line.set(Uniforms.viewport, SIMD2(w, h))
    r.streamed.lines.upload(vertices: VertexPacking.lines(layout.overlayLines), usage: GL_STREAM_DRAW)
    r.streamed.lines.draw(GL_LINES)

    p.text.use()
    p.text.set(Uniforms.matrix, pixels)
    p.text.set(Uniforms.atlas, TextureUnit(unit: 0))
    glBindTexture(GLenum(GL_TEXTURE_2D), r.textures.font)
    r.streamed.text.upload(vertices: VertexPacking.glyphs(layout.glyphs), usage: GL_STREAM_DRAW)
    r.streamed.text.draw(GL_TRIANGLES)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
  }
}

/// FXAA as a full-screen shader pass: a texture of the plot into the bound framebuffer.
struct FXAAPass {
  func draw(from texture: GLuint, width: Int, height: Int, with r: PassResources) {
    glViewport(0, 0, GLsizei(width), GLsizei(height))
    glDisable(GLenum(GL_DEPTH_TEST))
    glDisable(GLenum(GL_BLEND))
    r.programs.fxaa.use()
    r.programs.fxaa.set(Uniforms.image, TextureUnit(unit: 0))
    r.programs.fxaa.set(Uniforms.texel, SIMD2(1 / Float(width), 1 / Float(height)))
    glActiveTexture(GLenum(GL_TEXTURE0))
    glBindTexture(GLenum(GL_TEXTURE_2D), texture)
    glBindVertexArray(r.streamed.empty)
    glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
    glBindVertexArray(0)
    glBindTexture(GLenum(GL_TEXTURE_2D), 0)
  }
}
