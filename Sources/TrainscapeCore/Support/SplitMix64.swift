import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014): small, fast and seedable, so the same seed gives
/// the same numbers on every platform. t-SNE and PCA seed their starts with it; tests and
/// benchmarks make their data with it.
package struct SplitMix64: RandomNumberGenerator, Sendable {
  package var state: UInt64

  package init(seed: UInt64) { state = seed }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1): the top 53 bits.
  package mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Uniform in (0, 1].
  package mutating func uniform() -> Double { Double((next() >> 11) + 1) * 0x1p-53 }

  /// Standard normal (Box-Muller).
  package mutating func normal() -> Double {
    let u1 = uniform(), u2 = uniform()
    return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }
}
