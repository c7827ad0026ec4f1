/// A run's metrics as columns: a step column and one contiguous `Double` column per key.
///
///     let loss = table.column("loss")          // [Double]?, one value per row
///     let s = table.series("loss")             // the rows that logged it: steps and values
///
/// - Keys are interned once, in the order first seen (`keys`, `keyIndex(_:)`).
/// - Row `i` is `steps[i]` with `column(key)[i]` for each key. Rows are kept as read: no
///   merging of equal steps (`MetricTable`, the recipes' view, merges adjacent ones).
/// - A row that did not log a key holds `MetricsTable.missing` there: a NaN with a reserved
///   payload, told apart from a logged NaN (stored as the ordinary quiet NaN, `Double.nan`)
///   by its bit pattern (`isMissing`). One 8-byte word per value and no side bitmap: a run
///   of N rows and K keys is 8·N·(K+1) bytes, reading a value is one load, and arithmetic on
///   a missing value gives NaN instead of a wrong number. Logged NaNs are canonicalised to
///   `Double.nan` on the way in, so no logged value can take the reserved payload.
/// - Appending a row is O(1) amortised (columns are filled lazily: a key's column is padded
///   with `missing` only when that key is next written, and `column(_:)` pads on read).
/// - `column(_:)` returns the stored array: O(1), copy-on-write, no element copied once the
///   table is sealed (every reader seals what it returns).
public struct MetricsTable: Sendable {
  /// The marker for "this row did not log this key": a signalling NaN with payload
  /// 0xDEAD_BEEF, never produced by parsing or arithmetic.
  public static let missing = Double(bitPattern: 0x7FF4_0000_DEAD_BEEF)

  @inline(__always)
  public static func isMissing(_ v: Double) -> Bool { v.bitPattern == 0x7FF4_0000_DEAD_BEEF }

  /// The metric keys, in the order first seen.
  public private(set) var keys: [String] = []
  private var index: [String: Int] = [:]
  /// The step of each row.
  public private(set) var steps: [Int64] = []
  /// One column per key; a column may be shorter than `steps` until sealed.
  private var storage: [[Double]] = []

  public init() {}

  /// A table holding `rows`, in order.
  public init(rows: some Sequence<MetricRow>) {
    for row in rows { append(row) }
    seal()
  }

  public var rowCount: Int { steps.count }
  public var isEmpty: Bool { steps.isEmpty }
  public var keyCount: Int { keys.count }

  /// The column index of `key`, or nil when no row logged it.
  @inline(__always)
  public func keyIndex(_ key: String) -> Int? { index[key] }

  /// A key's values, one per row (`missing` where the row did not log it); nil for a key
  /// no row has.
  public func column(_ key: String) -> [Double]? {
    guard let k = index[key] else { return nil }
    return column(at: k)
  }

  /// The column at `k` (an index into `keys`), one value per row.
  public func column(at k: Int) -> [Double] {
    let c = storage[k]
    if c.count == steps.count { return c }
    var padded = c
    padded.append(contentsOf: repeatElement(Self.missing, count: steps.count - c.count))
    return padded
  }

  /// The rows that logged `key`: their steps and values (NaN kept), in row order.
  public func series(_ key: String) -> Series {
    guard let k = index[key] else { return Series() }
    var out = Series()
    let c = storage[k]
    for i in c.indices where !Self.isMissing(c[i]) {
      out.steps.append(steps[i])
      out.values.append(c[i])
    }
    return out
  }

  /// The value of column `k` at row `i`, nil when missing.
  @inline(__always)
  public func value(column k: Int, row i: Int) -> Double? {
    let c = storage[k]
    guard i < c.count else { return nil }
    let v = c[i]
    return Self.isMissing(v) ? nil : v
  }

  /// How many rows logged each key.
  public var keyCounts: KeyCounts {
    var counts: [String: Int] = [:]
    counts.reserveCapacity(keys.count)
    for (k, key) in keys.enumerated() {
      var n = 0
      for v in storage[k] where !Self.isMissing(v) { n += 1 }
      counts[key] = n
    }
    return KeyCounts(counts)
  }

  // MARK: - Building

  /// Starts a new row at `step`; its values are set with `set(_:column:)`.
  @inline(__always)
  public mutating func appendRow(step: Int64) { steps.append(step) }

  /// Appends a row at `step` holding `values[j]` in column `columns[j]` (each column at most
  /// once): one call for a whole row, for readers that resolve columns themselves.
  public mutating func appendRow(step: Int64, columns: UnsafeBufferPointer<Int>, values: UnsafeBufferPointer<Double>) {
    precondition(columns.count == values.count)
    steps.append(step)
    let row = steps.count - 1
    storage.withUnsafeMutableBufferPointer { st in
      for j in 0..<columns.count { Self.put(values[j], row: row, in: &st[columns[j]]) }
    }
  }

  /// Sets `column[row]` when the column reaches it, else pads it with `missing` and appends;
  /// a logged NaN becomes the ordinary quiet NaN.
  @inline(__always)
  static func put(_ value: Double, row: Int, in column: inout [Double]) {
    let v = value.isNaN ? Double.nan : value
    let n = column.count
    if n == row + 1 {
      column[row] = v
      return
    }
    if n < row { column.append(contentsOf: repeatElement(missing, count: row - n)) }
    column.append(v)
  }

  /// The column index for `key`, adding the column when it is new.
  public mutating func intern(_ key: String) -> Int {
    if let k = index[key] { return k }
    let k = keys.count
    keys.append(key)
    index[key] = k
    var column: [Double] = []
    if rowCapacity > 0 { column.reserveCapacity(rowCapacity) }
    storage.append(column)
    return k
  }

  /// Sets column `k` of the last row (a later value for the same key wins).
  @inline(__always)
  public mutating func set(_ value: Double, column k: Int) {
    Self.put(value, row: steps.count - 1, in: &storage[k])
  }

  /// Sets column `k` of row `row`, an earlier row than the last one included (a reader that
  /// learns a value's meaning only after later rows were added).
  public mutating func set(_ value: Double, column k: Int, row: Int) {
    precondition(row >= 0 && row < steps.count, "row \(row) out of 0..<\(steps.count)")
    let v = value.isNaN ? Double.nan : value
    let n = storage[k].count
    if n <= row { storage[k].append(contentsOf: repeatElement(Self.missing, count: row + 1 - n)) }
    storage[k][row] = v
  }

  /// Appends a row.
  public mutating func append(_ row: MetricRow) {
    appendRow(step: row.step)
    for (key, v) in row.values { set(v, column: intern(key)) }
  }

  /// Appends every row of `other`, in order (chunks parsed in parallel are merged so).
  public mutating func append(contentsOf other: MetricsTable) {
    let base = steps.count
    steps.append(contentsOf: other.steps)
    for (ok, key) in other.keys.enumerated() {
      let k = intern(key)
      let n = storage[k].count
      if n < base { storage[k].append(contentsOf: repeatElement(Self.missing, count: base - n)) }
      storage[k].append(contentsOf: other.storage[ok])
    }
  }

  /// Pads every column to the row count, so `column(_:)` returns stored arrays.
  public mutating func seal() {
    for k in storage.indices where storage[k].count < steps.count {
      storage[k].append(contentsOf: repeatElement(Self.missing, count: steps.count - storage[k].count))
    }
  }

  /// Reserves room for `n` rows in the step column and in every column, present and to come
  /// (a reader that can estimate its row count avoids regrowing the columns).
  public mutating func reserveRows(_ n: Int) {
    rowCapacity = n
    steps.reserveCapacity(n)
    for k in storage.indices { storage[k].reserveCapacity(n) }
  }

  private var rowCapacity = 0

  // MARK: - Rows

  /// Row `i` as a `MetricRow`.
  public func row(_ i: Int) -> MetricRow {
    var values: [String: Double] = [:]
    for k in keys.indices {
      if let v = value(column: k, row: i) { values[keys[k]] = v }
    }
    return MetricRow(step: steps[i], values: values)
  }

  /// Every row as a `MetricRow` (for code that still works on rows; O(rows x keys)).
  public var rows: [MetricRow] { steps.indices.map(row) }

  /// Rows `range` as a new table (sealed).
  public func slice(_ range: Range<Int>) -> MetricsTable {
    var out = MetricsTable()
    out.steps = Array(steps[range])
    for k in keys.indices {
      let c = storage[k]
      let lo = Swift.min(range.lowerBound, c.count), hi = Swift.min(range.upperBound, c.count)
      var col = Array(c[lo..<hi])
      col.append(contentsOf: repeatElement(Self.missing, count: range.count - col.count))
      if col.contains(where: { !Self.isMissing($0) }) {
        out.keys.append(keys[k])
        out.index[keys[k]] = out.storage.count
        out.storage.append(col)
      }
    }
    return out
  }

  /// The rows whose index passes `keep`, in order, with runs of adjacent equal steps among
  /// them merged into one row (later values win), the way `MetricsBuffer` appends.
  public func filteredMergingAdjacent(_ keep: (Int) -> Bool) -> MetricsTable {
    var out = MetricsTable()
    var map = [Int](repeating: -1, count: keys.count)
    var lastStep: Int64? = nil
    for i in steps.indices where keep(i) {
      if lastStep != steps[i] {
        out.appendRow(step: steps[i])
        lastStep = steps[i]
      }
      for k in keys.indices {
        guard let v = value(column: k, row: i) else { continue }
        if map[k] < 0 { map[k] = out.intern(keys[k]) }
        out.set(v, column: map[k])
      }
    }
    out.seal()
    return out
  }

  /// True when two consecutive rows have the same step.
  public var hasAdjacentEqualSteps: Bool {
    var i = 1
    while i < steps.count {
      if steps[i] == steps[i - 1] { return true }
      i += 1
    }
    return false
  }

  /// The smallest and largest step, or nil when empty.
  public var stepRange: ClosedRange<Int64>? {
    guard var lo = steps.first else { return nil }
    var hi = lo
    for s in steps {
      lo = Swift.min(lo, s)
      hi = Swift.max(hi, s)
    }
    return lo...hi
  }
}

extension MetricsTable: Equatable {
  /// Equal when the rows are equal as `MetricRow`s (key order and padding aside; NaN equals
  /// NaN).
  public static func == (a: MetricsTable, b: MetricsTable) -> Bool {
    guard a.steps == b.steps, Set(a.keys) == Set(b.keys) else { return false }
    for (k, key) in a.keys.enumerated() {
      guard let kb = b.index[key] else { return false }
      let ca = a.column(at: k), cb = b.column(at: kb)
      for i in ca.indices where ca[i].bitPattern != cb[i].bitPattern { return false }
    }
    return true
  }
}
