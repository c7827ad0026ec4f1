import Foundation

/// What a rendering run wrote and from what: `manifest.json` in the run directory.
public struct Manifest: Codable, Equatable, Sendable {
  /// The input files (metrics, configs), as given.
  public var inputs: [String]
  /// What was rendered: "turntable", "loss-landscape", ...
  public var kind: String
  /// The options that shaped the output (flag name -> value as text).
  public var options: [String: String]
  /// Trainscape's version.
  public var version: String
  /// The files written, relative to the manifest's directory, in frame order.
  public var frames: [String]
  /// Image size as "WIDTHxHEIGHT".
  public var size: String
  /// The command line or tool that made the run.
  public var createdBy: String
  /// When the run started (ISO 8601, UTC).
  public var started: String?
  /// What is known about each frame (epoch, accuracy, classes, ...), in frame order.
  public var frameInfo: [[String: String]]?

  public init(
    inputs: [String], kind: String, options: [String: String], version: String, frames: [String],
    size: String, createdBy: String, started: String? = nil, frameInfo: [[String: String]]? = nil
  ) {
    self.inputs = inputs
    self.kind = kind
    self.options = options
    self.version = version
    self.frames = frames
    self.size = size
    self.createdBy = createdBy
    self.started = started
    self.frameInfo = frameInfo
  }

  enum CodingKeys: String, CodingKey {
    case inputs, kind, options, version, frames, size, started
    case createdBy = "created_by"
    case frameInfo = "frame_info"
  }

  public static let fileName = "manifest.json"

  /// Pretty-printed JSON with sorted keys (stable diffs), ending in a newline.
  public func jsonBytes() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return [UInt8](try encoder.encode(self)) + [0x0A]
  }

  /// Writes `directory/manifest.json` atomically (temp file + rename), replacing an older one.
  @discardableResult
  public func write(toDirectory directory: String) throws -> String {
    let path = (directory as NSString).appendingPathComponent(Self.fileName)
    try AtomicFile.write(jsonBytes(), to: path, overwrite: true)
    return path
  }

  /// Reads `directory/manifest.json` (or a manifest file's path).
  public static func read(from path: String) throws -> Manifest {
    var isDir: ObjCBool = false
    let file =
      FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
      ? (path as NSString).appendingPathComponent(fileName) : path
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file])
    }
    return try JSONDecoder().decode(Manifest.self, from: data)
  }
}
