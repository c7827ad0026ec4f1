import Foundation

/// Data-parallel loops whose results do not depend on the number of threads.
///
/// `0..<count` is cut into blocks of a fixed size (never into "one piece per core"), every
/// block is computed independently, and per-block results are combined in block order. So a
/// reduction adds the same numbers in the same order on one core or sixty-four, and a seeded
/// algorithm gives identical bits everywhere. Bodies are `@Sendable`; blocks that write shared
/// memory do it through `SharedMutablePointer` at indices no other block touches.
public enum DataParallel {
  /// The number of worker threads used when none is given: the active cores.
  public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

  /// The blocks of `0..<count`: consecutive ranges of `blockSize` (the last may be shorter).
  public static func blocks(_ count: Int, blockSize: Int) -> [Range<Int>] {
    guard count > 0 else { return [] }
    let size = max(1, blockSize)
    return stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
  }

  /// Runs `body` on every block of `0..<count`, on up to `threads` threads (1: inline, in order).
  public static func forEach(
    _ count: Int, blockSize: Int, threads: Int? = nil, _ body: @Sendable (Range<Int>) -> Void
  ) {
    let ranges = blocks(count, blockSize: blockSize)
    let workers = min(ranges.count, max(1, threads ?? defaultThreads))
    if workers <= 1 {
      for r in ranges { body(r) }
      return
    }
    // Worker w takes blocks w, w + workers, ...: which thread runs a block never changes what
    // the block computes.
    DispatchQueue.concurrentPerform(iterations: workers) { w in
      var b = w
      while b < ranges.count {
        body(ranges[b])
        b += workers
      }
    }
  }

  /// `body` of every block, in block order (combine them in that order for reductions that do
  /// not depend on the thread count).
  public static func map<T: Sendable>(
    _ count: Int, blockSize: Int, threads: Int? = nil, _ body: @Sendable (Range<Int>) -> T
  ) -> [T] {
    let ranges = blocks(count, blockSize: blockSize)
    let results = UnsafeMutablePointer<T?>.allocate(capacity: ranges.count)
    results.initialize(repeating: nil, count: ranges.count)
    defer {
      results.deinitialize(count: ranges.count)
      results.deallocate()
    }
    let shared = SharedMutablePointer(results)
    let size = max(1, blockSize)
    forEach(count, blockSize: blockSize, threads: threads) { r in
      shared[r.lowerBound / size] = body(r)
    }
    return (0..<ranges.count).map { results[$0]! }
  }
}

/// A mutable pointer handed to the blocks of a `DataParallel` loop. Each block must write only
/// elements that no other block reads or writes during the loop; that contract is what makes
/// sharing it across threads sound (the compiler cannot check it, hence `@unchecked`).
public struct SharedMutablePointer<T>: @unchecked Sendable {
  public let base: UnsafeMutablePointer<T>
  public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
  @inline(__always) public subscript(i: Int) -> T {
    get { base[i] }
    nonmutating set { base[i] = newValue }
  }
  @inline(__always) public func advanced(by n: Int) -> UnsafeMutablePointer<T> { base + n }
}

/// A read-only pointer shared by the blocks of a `DataParallel` loop (nobody writes the memory
/// during the loop).
public struct SharedPointer<T>: @unchecked Sendable {
  public let base: UnsafePointer<T>
  public init(_ base: UnsafePointer<T>) { self.base = base }
  @inline(__always) public subscript(i: Int) -> T { base[i] }
  @inline(__always) public func advanced(by n: Int) -> UnsafePointer<T> { base + n }
}
