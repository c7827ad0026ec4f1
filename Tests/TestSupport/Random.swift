import TrainscapeCore

/// Test data comes from TrainscapeCore's `SplitMix64`: deterministic on every platform, so a
/// failure reproduces, and one implementation for the core, the tests and the benchmarks.
extension SplitMix64 {
  /// Uniform in 0..<n.
  package mutating func int(_ n: Int) -> Int { Int(nextDouble() * Double(n)) % n }
}
