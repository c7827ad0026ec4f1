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
      // The suite's traits, up to the type they describe (they may span lines).
      var rest = Substring(text)
      while let at = rest.range(of: "@Suite") {
        let attribute = rest[at.lowerBound...].prefix { $0 != "{" }
        #expect(attribute.contains(".tiered"), "\(path): \(attribute.prefix(120)) has no .tiered trait")
        rest = rest[at.upperBound...]
      }
      // A @Test outside a suite would escape the tiers too.
      if text.contains("@Test") {
        #expect(text.contains("@Suite"), "\(path) has tests outside a @Suite")
      }
    }
  }

  /// swift-testing only (tests run in parallel), and tests wait on events, not on the clock: a
  /// sleep only in a loop that polls for what it waits for (`while !done { sleep }`).
  @Test func noXCTestAndNoFixedSleeps() throws {
    for (path, text) in try Self.sources() {
      #expect(!text.contains("import XCTest"), "\(path) imports XCTest")
      for line in text.split(separator: "\n") where line.contains("Thread.sleep") || line.contains("usleep(") {
        let polling = line.contains("while ") || text.contains("while") && Self.insidePollingLoop(line, in: text)
        #expect(polling, "\(path): a fixed sleep: \(line.trimmingCharacters(in: .whitespaces))")
      }
    }
  }

  /// A check that cannot run fails: `try #require`, not a `guard` that returns quietly (a wrong
  /// trace kind or a missing value would pass).
  @Test func noSilentGuards() throws {
    for (path, text) in try Self.sources() {
      for line in text.split(separator: "\n") where line.contains("guard ") && line.contains("else { return }") {
        Issue.record("\(path): a guard that passes silently: \(line.trimmingCharacters(in: .whitespaces))")
      }
    }
  }

  /// Whether `line` sits in the body of a `while` loop (the nearest loop or closure opened
  /// before it is a `while`).
  static func insidePollingLoop(_ line: Substring, in text: String) -> Bool {
    guard let at = text.range(of: line) else { return false }
    var depth = 0
    for l in text[..<at.lowerBound].split(separator: "\n").reversed() {
      depth += l.filter { $0 == "}" }.count - l.filter { $0 == "{" }.count
      if depth < 0 { return l.contains("while ") }
    }
    return false
  }
}
