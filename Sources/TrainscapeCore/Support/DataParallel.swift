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
