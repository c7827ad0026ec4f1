import Foundation

/// Reproducible subsampling of the points of an embedding.
public enum Subsample {
  /// `keep` of `count` points, stratified by class: every class gets its share of `keep` in
  /// proportion to its size, rounded by largest remainder (so each class's count is within one
  /// point of the exact share, and the shares add up to `keep`; ties go to the earlier class),
  /// and within a class the points are a seeded random choice. The same labels, `keep` and seed
  /// give the same indices on every platform. Returns the chosen indices in ascending order;
  /// all of them when `keep >= count`.
  ///
  /// - Parameter classes: a class per point (any strings; nil: one class).
  public static func stratified(count: Int, keep: Int, classes: [String]? = nil, seed: UInt64 = 0)
    -> [Int]
  {
    guard keep < count else { return Array(0..<max(count, 0)) }
    guard keep > 0 else { return [] }
    if let classes { precondition(classes.count == count, "one class per point") }
    // Members of each class, in order of first appearance.
    var order: [String] = []
    var members: [String: [Int]] = [:]
    for i in 0..<count {
      let c = classes?[i] ?? ""
      if members[c] == nil { order.append(c) }
      members[c, default: []].append(i)
    }
    let sizes = order.map { members[$0]!.count }
    let shares = quotas(sizes: sizes, keep: keep)
    var chosen: [Int] = []
    chosen.reserveCapacity(keep)
    for (c, name) in order.enumerated() {
      var pool = members[name]!
      var rng = SplitMix64(seed: seed ^ (UInt64(c) &* 0x9E37_79B9_7F4A_7C15) ^ 0x5AB5_A3F1)
      // Partial Fisher-Yates: the first shares[c] entries become the sample.
      for t in 0..<shares[c] {
        let r = t + Int(((rng.next() >> 32) &* UInt64(pool.count - t)) >> 32)
        pool.swapAt(t, r)
      }
      chosen.append(contentsOf: pool.prefix(shares[c]))
    }
    return chosen.sorted()
  }

  /// Hamilton's largest-remainder apportionment of `keep` seats over groups of `sizes`.
  public static func quotas(sizes: [Int], keep: Int) -> [Int] {
    let total = sizes.reduce(0, +)
    guard total > 0 else { return sizes.map { _ in 0 } }
    // Exact arithmetic: share_c = keep * size_c / total = floor + remainder / total.
    var floors = sizes.map { keep * $0 / total }
    let remainders = sizes.map { keep * $0 % total }
    var left = keep - floors.reduce(0, +)
    let byRemainder = sizes.indices.sorted {
      remainders[$0] > remainders[$1] || (remainders[$0] == remainders[$1] && $0 < $1)
    }
    for c in byRemainder where left > 0 && floors[c] < sizes[c] {
      floors[c] += 1
      left -= 1
    }
    return floors
  }
}
