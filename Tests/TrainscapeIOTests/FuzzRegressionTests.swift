import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeIO

/// The fuzz harness's inputs, run through its entries in every `swift test` (no sanitizer, no
/// libFuzzer): the seed corpora (Fuzz/corpus/TARGET) and every input that ever crashed an entry
/// or made a differential entry disagree (Fuzz/regressions/TARGET). An entry returns nil when
/// it neither crashed nor found whole and split decodes different. See docs/fuzzing.md.
@Suite(.tiered) struct FuzzRegressionTests {
  static let fuzz = TestPaths.packageRoot.appendingPathComponent("Fuzz")

  static func files(_ folder: String, _ target: String) throws -> [URL] {
    let dir = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
    guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
      .sorted { $0.path < $1.path }
  }

  /// Every entry has seeds, and every folder names an entry (a renamed entry leaves none behind).
  @Test func corporaMatchTheEntries() throws {
    let names = Set(ParserEntryPoints.all.map(\.name))
    for folder in ["corpus", "regressions"] {
      let dir = Self.fuzz.appendingPathComponent(folder)
      let present = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
      #expect(present.isSubset(of: names), "\(folder): \(present.subtracting(names).sorted()) name no entry")
    }
    for name in names.sorted() {
      #expect(try !Self.files("corpus", name).isEmpty, "\(name) has no seed in Fuzz/corpus/\(name)")
    }
    // scripts/fuzz.sh runs the same list.
    let script = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("scripts/fuzz.sh"), encoding: .utf8)
    let line = try #require(script.split(separator: "\n").first { $0.hasPrefix("targets=(") })
    let listed = line.dropFirst("targets=(".count).dropLast().split(separator: " ").map(String.init)
    #expect(listed == ParserEntryPoints.all.map(\.name))
  }

  @Test func seedsAndRegressionsRunCleanly() throws {
    var count = 0
    for (name, run) in ParserEntryPoints.all {
      for file in try Self.files("corpus", name) + Self.files("regressions", name) {
        let bytes = [UInt8](try Data(contentsOf: file))
        #expect(run(bytes) == nil, "\(name): \(file.lastPathComponent)")
        count += 1
      }
    }
    #expect(count >= ParserEntryPoints.all.count)
  }

  /// The 13-byte crash of issue #11 (a high surrogate before a \u escape that is not a low
  /// surrogate): kept as a regression input for each JSON document reader.
  @Test func surrogateCrashInputsAreKept() throws {
    for name in ["trainer-state", "plotly", "object3d"] {
      let files = try Self.files("regressions", name)
      #expect(files.contains { $0.lastPathComponent.hasPrefix("high-surrogate-then-escape") }, "\(name)")
    }
  }
}
