import Dispatch
import Foundation

/// Data-parallel loops over raw memory: the one place where unsafe pointers are shared
/// between threads (PCA, t-SNE, interpolation, Plotly export).
///
/// The contract the compiler cannot check: every iteration writes only elements no other
/// iteration reads or writes, and the memory outlives the loop (the loop returns only when all
/// iterations have finished).
package enum DataParallel {
  /// Runs `body(i)` for every `i` in `0..<iterations`, on all cores.
  package static func forEach(_ iterations: Int, _ body: @Sendable (Int) -> Void) {
    guard iterations > 0 else { return }
    if iterations == 1 { return body(0) }
    DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
  }

  /// Runs `body` over `0..<count` split into contiguous chunks of at least `minChunk`
  /// elements (at most four per core, or `maxChunks`), on all cores.
  package static func forEachChunk(
    _ count: Int, minChunk: Int = 1, maxChunks: Int? = nil, _ body: @Sendable (Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = max(1, min(count / max(minChunk, 1), maxChunks ?? cores * 4))
    if chunks == 1 { return body(0..<count) }
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
      let lo = count * c / chunks, hi = count * (c + 1) / chunks
      if lo < hi { body(lo..<hi) }
    }
  }
}

/// Data-parallel loops whose results do not depend on the number of threads (UMAP, exact
/// nearest neighbours).
///
/// `0..<count` is cut into blocks of a fixed size (never into "one piece per core"), every
/// block is computed independently, and per-block results are combined in block order. So a
/// reduction adds the same numbers in the same order on one core or sixty-four, and a seeded
/// algorithm gives identical bits everywhere.
extension DataParallel {
  /// The number of worker threads used when none is given: the active cores.
  package static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

  /// The blocks of `0..<count`: consecutive ranges of `blockSize` (the last may be shorter).
  package static func blocks(_ count: Int, blockSize: Int) -> [Range<Int>] {
    guard count > 0 else { return [] }
    let size = max(1, blockSize)
    return stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
  }

  /// Runs `body` on every block of `0..<count`, on up to `threads` threads (1: inline, in order).
  package static func forEach(
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
  package static func map<T: Sendable>(
    _ count: Int, blockSize: Int, threads: Int? = nil, _ body: @Sendable (Range<Int>) -> T
  ) -> [T] {
    let ranges = blocks(count, blockSize: blockSize)
    let results = UnsafeMutablePointer<T?>.allocate(capacity: ranges.count)
    results.initialize(repeating: nil, count: ranges.count)
    defer {
      results.deinitialize(count: ranges.count)
      results.deallocate()
    }
    let shared = SharedPointer(results)
    let size = max(1, blockSize)
    forEach(count, blockSize: blockSize, threads: threads) { r in
      shared[r.lowerBound / size] = body(r)
    }
    return (0..<ranges.count).map { results[$0]! }
  }
}

/// A pointer shared by the iterations of a `DataParallel` loop (see its contract).
package struct SharedPointer<Pointee>: @unchecked Sendable {
  package let base: UnsafeMutablePointer<Pointee>

  package init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
  package init(_ base: UnsafePointer<Pointee>) { self.base = UnsafeMutablePointer(mutating: base) }

  package subscript(i: Int) -> Pointee {
    get { base[i] }
    nonmutating set { base[i] = newValue }
  }

  package static func + (p: SharedPointer, offset: Int) -> UnsafeMutablePointer<Pointee> { p.base + offset }
}
