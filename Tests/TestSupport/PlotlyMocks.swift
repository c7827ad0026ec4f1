import Foundation

/// plotly.js's image-test mocks (`test/image/mocks/gl3d_*.json`) and their baselines, read from
/// a local clone of plotly.js (a bare git directory or a work tree): `TRAINSCAPE_PLOTLYJS` names
/// it, else the development machine's mirror. The repository does not carry plotly.js's files;
/// tests that need them are skipped, with the reason, where no clone is found.
public enum PlotlyMocks {
  public static let gitDir: String? = {
    let candidates = [ProcessInfo.processInfo.environment["TRAINSCAPE_PLOTLYJS"], "/work/.mirror/zhhz417+plotly.js/repo"]
    for case let c? in candidates {
      for dir in [c, c + "/.git"] where FileManager.default.fileExists(atPath: dir + "/HEAD") { return dir }
    }
    return nil
  }()

  public static var available: Bool { gitDir != nil }
  public static let skipReason = "needs a plotly.js clone for its gl3d mocks: set TRAINSCAPE_PLOTLYJS to one"

  /// The bytes of `path` at HEAD (e.g. "test/image/mocks/gl3d_cube.json"), written to `url`.
  public static func write(_ path: String, to url: URL) throws {
    guard let gitDir else { throw TestFailure(skipReason) }
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    let out = try FileHandle(forWritingTo: url)
    defer { try? out.close() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = ["--git-dir=\(gitDir)", "show", "HEAD:\(path)"]
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw TestFailure("git show HEAD:\(path) in \(gitDir) failed") }
  }

  /// A mock figure by name ("gl3d_cube"), written to `dir` so the CLI can read it.
  public static func mock(_ name: String, into dir: URL) throws -> URL {
    let url = dir.appendingPathComponent("\(name).json")
    try write("test/image/mocks/\(name).json", to: url)
    return url
  }

  /// The mock's baseline PNG, written to `dir`.
  public static func baseline(_ name: String, into dir: URL) throws -> URL {
    let url = dir.appendingPathComponent("\(name).baseline.png")
    try write("test/image/baselines/\(name).png", to: url)
    return url
  }
}
