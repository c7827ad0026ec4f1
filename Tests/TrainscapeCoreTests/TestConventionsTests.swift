import Foundation
import Testing
import TrainscapeTestSupport

/// The test sources keep the conventions the tiers and the reviews rely on (Tests/README.md).
@Suite(.tiered) struct TestConventionsTests {
  static func sources() throws -> [(path: String, text: String)] {
    let root = TestPaths.packageRoot.appendingPathComponent("Tests")
    let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
      .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("TestSupport/") && !$0.hasSuffix("TestConventionsTests.swift") }
    return try files.sorted().map { ($0, try String(contentsOfFile: root.appendingPathComponent($0).path, encoding: .utf8)) }
  }

  /// Every suite carries `.tiered`: without it `.ci/run` would run its tests in both tiers
  /// (or a slow one in the fast tier).
  @Test func everySuiteIsTiered() throws {
    let sources = try Self.sources()
    #expect(sources.count > 20)
    for (path, text) in sources {
      for line in text.split(separator: "\n") where line.contains("@Suite") {
        #expect(line.contains(".tiered"), "\(path): \(line.trimmingCharacters(in: .whitespaces)) has no .tiered trait")
      }
      // A @Test outside a suite would escape the tiers too.
      if text.contains("@Test") {
        #expect(text.contains("@Suite"), "\(path) has tests outside a @Suite")
      }
    }
  }

  /// swift-testing only (tests run in parallel), and tests wait on events, not on the clock.
  @Test func noXCTestAndNoSleeps() throws {
    for (path, text) in try Self.sources() {
      #expect(!text.contains("import XCTest"), "\(path) imports XCTest")
      #expect(!text.contains("Thread.sleep"), "\(path) sleeps")
    }
  }
}
