import Foundation
import Testing

/// What a test needs besides the Swift toolchain, and whether it is slow.
extension Tag {
  /// Runs a reference in the project's `.venv` (`scripts/setup.sh`).
  @Tag public static var python: Self
  /// Renders headless through EGL (Mesa llvmpipe here).
  @Tag public static var egl: Self
  /// Opens a window on an X server of its own (Xvfb).
  @Tag public static var xvfb: Self
  /// Loads a page in headless Chromium.
  @Tag public static var chromium: Self
  /// Takes more than a few seconds on a 2-core box.
  @Tag public static var slow: Self
}

/// The two test tiers `.ci/run` runs one after the other: `fast` (every test without a slow
/// tag: a broken build fails in minutes) and `slow` (the rest). `TRAINSCAPE_TEST_TIER` picks
/// one; unset, every test runs.
///
/// `swift test` has no tag filter, so every suite carries the `.tiered` trait, which skips a
/// test that is not in the chosen tier (and says so).
public struct TestTier: TestTrait, SuiteTrait {
  /// The tags that put a test in the slow tier.
  public static let slowTags: Set<Tag> = [.slow, .xvfb, .chromium]

  public var isRecursive: Bool { true }

  public func prepare(for test: Test) async throws {
    guard !test.isSuite, let tier = ProcessInfo.processInfo.environment["TRAINSCAPE_TEST_TIER"] else { return }
    let slow = !test.tags.isDisjoint(with: Self.slowTags)
    let run: Bool
    switch tier {
    case "fast": run = !slow
    case "slow": run = slow
    default: throw TestFailure("TRAINSCAPE_TEST_TIER=\(tier): use fast, slow or leave it unset")
    }
    try await ConditionTrait.enabled(if: run, "not in the \(tier) tier").prepare(for: test)
  }
}

extension Trait where Self == TestTier {
  /// Runs the suite's tests in the tier their tags choose (`TestTier`).
  public static var tiered: Self { TestTier() }
}
