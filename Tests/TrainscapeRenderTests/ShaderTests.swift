import Foundation
import Testing
import TrainscapeTestSupport
@testable import TrainscapeGL

@Suite(.tiered) struct ShaderTests {
  /// The binary carries the shaders (so it runs without the source tree); they must be the
  /// ones in Shaders/. Regenerate with scripts/embed_shaders.sh.
  @Test func embeddedShadersMatchTheSourceFiles() throws {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Shaders")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(Set(files) == Set(EmbeddedShaders.sources.keys))
    for f in files {
      let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
      #expect(EmbeddedShaders.sources[f] == String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)),
              "\(f) changed: run scripts/embed_shaders.sh")
    }
  }

  @Test func compilerLogsPointAtTheSourceLine() {
    let source = "#version 330 core\nvoid main() {\n  gl_Position = vec4(oops);\n}\n"
    #expect(GLProgram.excerpt(log: "0:3(22): error: `oops' undeclared", source: source) == "line 3: gl_Position = vec4(oops);")
    #expect(GLProgram.excerpt(log: "0(3) : error C1008: undefined variable \"oops\"", source: source) == "line 3: gl_Position = vec4(oops);")
  }
}
