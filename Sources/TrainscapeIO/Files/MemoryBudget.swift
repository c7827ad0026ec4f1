import Foundation

/// How much memory reading one input may take (`--max-memory`). Arrays, grids and whole JSON
/// documents are checked against it BEFORE they are allocated: a header that claims more (a
/// sparse 4 KB `.npy` saying (50000, 50000) float64) is refused with the numbers, never
/// allocated. The default is half of the physical memory, or of the control group's limit
/// (a container, a Slurm job) when that is lower.
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
  public var bytes: Int

  public init(bytes: Int) { self.bytes = max(1, bytes) }

  /// Half of the memory this process may use.
  public static var `default`: MemoryBudget { MemoryBudget(bytes: availableMemory / 2) }

  /// Physical memory, or the cgroup (v2 or v1) limit when it is lower.
  public static var availableMemory: Int {
    var total = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
      if let text = try? String(contentsOfFile: file, encoding: .utf8),
        let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0
      {
        total = min(total, limit)
      }
    }
    return total
  }

  /// "512M", "8G", "1.5GiB", "2T", "4096" (bytes), or "25%" (of the memory available).
  public init?(argument text: String) {
    var s = text.trimmingCharacters(in: .whitespaces).uppercased()
    if s.hasSuffix("%") {
      guard let p = Double(s.dropLast()), p > 0, p <= 100 else { return nil }
      self.init(bytes: Int(Double(Self.availableMemory) * p / 100))
      return
    }
    for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
      s.removeLast(suffix.count)
      break
    }
    var scale = 1.0
    if let last = s.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
      scale = pow(1024, Double(power))
      s.removeLast()
    }
    guard let v = Double(s), v.isFinite, v > 0, v * scale < 9e18 else { return nil }
    self.init(bytes: Int(v * scale))
  }

  public var description: String { Self.format(bytes) }

  /// "1.5 GiB", "300 MiB", "12 KiB", "100 bytes".
  public static func format(_ bytes: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
    var v = Double(bytes)
    guard v >= 1024 else { return "\(bytes) bytes" }
    var u = -1
    while v >= 1024 && u < units.count - 1 {
      v /= 1024
      u += 1
    }
    return String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[u])
  }

  /// Throws `MemoryBudgetError` when `needed` bytes (for `what`, read from `file`) are over the
  /// budget. `needed` is saturated, so an overflowing product of a header's dimensions is
  /// simply over.
  public func check(_ needed: Int, for what: String, file: String) throws {
    guard needed > bytes else { return }
    throw MemoryBudgetError(file: file, what: what, needed: needed, budget: self)
  }

  /// `a * b * ...`, saturating at Int.max (dimensions from a file header may overflow).
  public static func product(_ factors: [Int]) -> Int {
    var p = 1
    for f in factors {
      guard f >= 0 else { return Int.max }
      let (r, overflow) = p.multipliedReportingOverflow(by: f)
      if overflow { return Int.max }
      p = r
    }
    return p
  }
}

/// An input that would need more memory than `--max-memory` allows.
public struct MemoryBudgetError: Error, CustomStringConvertible, Equatable {
  public var file: String
  /// What would be held, e.g. "a 50000 x 50000 grid (8 bytes a value, about 100 to draw it)".
  public var what: String
  public var needed: Int
  public var budget: MemoryBudget

  public var description: String {
    let need = needed == Int.max ? "more than can be addressed" : "about \(MemoryBudget.format(needed))"
    return "\(file): \(what) needs \(need), over the memory budget of \(budget) (--max-memory; the default is half of the \(MemoryBudget.format(MemoryBudget.availableMemory)) of memory here). Give a larger --max-memory if the machine has it, or a smaller input"
  }
}
