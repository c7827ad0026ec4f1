import DequeModule

/// A buffer of metric rows: bounded (the oldest rows are dropped once
/// `capacity` is reached) or whole-run (`capacity == nil`).
///
/// This mirrors the Python side's `TrainingMetricsBuffer` (1000 rows) and
/// `GradientFlowBuffer` (100 rows). A row whose step equals the last row's
/// step is merged into that row (later keys win), the way two
/// `wandb.log(..., step=s)` calls with the same `s` become one row.
///
/// Storage is a `Deque` from swift-collections rather than an `Array`:
/// dropping the oldest row of a full bounded buffer is `removeFirst()`, which
/// is O(1) on a ring buffer but O(n) on an array, so a live buffer that
/// receives one row per training step stays O(1) per append.
public struct MetricsBuffer: Sendable {
  public static let defaultMetricsCapacity = 1000
  public static let defaultGradientFlowCapacity = 100

  private var storage: Deque<MetricRow> = []

  /// The number of rows dropped from the front so far because the buffer
  /// was full.
  public private(set) var droppedCount: Int = 0

  /// The most rows kept, or nil for no limit. Lowering it drops the oldest
  /// rows at once (they count in `droppedCount`). Must not be negative.
  public var capacity: Int? {
    didSet {
      precondition((capacity ?? 0) >= 0, "MetricsBuffer capacity must be >= 0")
      trim()
    }
  }

  public init(capacity: Int? = nil) {
    precondition((capacity ?? 0) >= 0, "MetricsBuffer capacity must be >= 0")
    self.capacity = capacity
  }

  /// The rows, oldest first.
  public var rows: [MetricRow] { Array(storage) }

  public var count: Int { storage.count }

  /// Appends a row, or merges it into the last row when the steps are equal.
  public mutating func append(_ row: MetricRow) {
    if let last = storage.last, last.step == row.step {
      var merged = last
      merged.values.merge(row.values) { _, new in new }
      storage[storage.count - 1] = merged
      return
    }
    storage.append(row)
    trim()
  }

  public mutating func append<S: Sequence>(contentsOf rows: S)
  where S.Element == MetricRow {
    for row in rows { append(row) }
  }

  private mutating func trim() {
    guard let capacity else { return }
    while storage.count > capacity {
      storage.removeFirst()
      droppedCount += 1
    }
  }

  /// Internal read access without copying to an array.
  var storedRows: Deque<MetricRow> { storage }
}

/// The values of one metric over steps, in buffer order.
public struct Series: Sendable, Equatable {
  public var steps: [Int64]
  public var values: [Double]

  public init(steps: [Int64] = [], values: [Double] = []) {
    self.steps = steps
    self.values = values
  }

  public var count: Int { steps.count }
  public var isEmpty: Bool { steps.isEmpty }

  /// Equality that treats NaN as equal to NaN (the synthesized `==` follows
  /// IEEE rules, so two series holding NaN never compare equal).
  public func isIdentical(to other: Series) -> Bool {
    steps == other.steps && values.count == other.values.count
      && zip(values, other.values).allSatisfy {
        $0 == $1 || ($0.isNaN && $1.isNaN)
      }
  }
}

extension MetricsBuffer {
  /// The rows that have `key`, in buffer order. NaN values are kept.
  public func series(_ key: String) -> Series {
    var out = Series()
    for row in storage {
      if let v = row.values[key] {
        out.steps.append(row.step)
        out.values.append(v)
      }
    }
    return out
  }
}
