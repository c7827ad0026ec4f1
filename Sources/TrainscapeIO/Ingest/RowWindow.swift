import DequeModule
import TrainscapeCore

/// The last `capacity` rows of one run, kept WHILE a file is read, so that
/// reading a run with `IngestOptions.capacity` takes memory proportional to
/// the capacity (plus one read chunk), never to the file.
///
/// Two orders, matching what an unbounded read returns:
///
/// - `.file` (JSONL, W&B): rows as they come, none merged; the window holds
///   the last `capacity` rows read, exactly `rows.suffix(capacity)` of an
///   unbounded read.
/// - `.step` (TensorBoard, CSV, trainer_state.json): an unbounded read
///   stable-sorts by step and merges equal steps (later values win). The
///   window holds the `capacity` highest distinct steps seen so far, sorted
///   and merged: a row whose step is already kept is merged into it; a row
///   after the last kept step is appended (the common case: events are
///   written in step order); a row out of step order whose step falls inside
///   the window is inserted at its place (O(capacity)); a row older than
///   every kept step of a full window is ignored and counted in `late`.
///   A step once pushed out can never come back into the last `capacity`
///   steps, so the result is exactly `mergedByStep().suffix(capacity)` of
///   an unbounded read, in any order.
///
/// `MetricsBuffer` is not reused: it merges only adjacent equal steps (which
/// would change JSONL/W&B rows an unbounded read keeps apart) and cannot
/// place a row that arrives out of step order.
struct RowWindow {
  enum Order { case file, step }

  let capacity: Int
  let order: Order
  private(set) var rows: Deque<MetricRow> = []
  /// Rows (in `.step` order: distinct steps) pushed out of the front.
  private(set) var dropped = 0
  /// `.step` order only: rows ignored because their step was older than
  /// every kept step of a full window (written out of step order, e.g.
  /// re-logged after a restart from a checkpoint).
  private(set) var late = 0

  init(capacity: Int, order: Order) {
    precondition(capacity >= 1, "RowWindow capacity must be >= 1")
    self.capacity = capacity
    self.order = order
  }

  mutating func append(_ row: MetricRow) {
    var ignored = Overwrites()
    append(row, overwrites: &ignored)
  }

  /// `append`, counting the values a merged row of the same step replaced.
  mutating func append(_ row: MetricRow, overwrites: inout Overwrites) {
    switch order {
    case .file:
      if rows.count == capacity {
        rows.removeFirst()
        dropped += 1
      }
      rows.append(row)
    case .step:
      guard let last = rows.last, row.step <= last.step else {
        rows.append(row)
        trim()
        return
      }
      if row.step == last.step {
        overwrites.merge(row, into: &rows[rows.count - 1])
        return
      }
      // Out of step order: binary search for the first kept step >= row.step.
      var lo = 0, hi = rows.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if rows[mid].step < row.step { lo = mid + 1 } else { hi = mid }
      }
      if rows[lo].step == row.step {
        overwrites.merge(row, into: &rows[lo])
      } else if lo == 0 && rows.count == capacity {
        late += 1
      } else {
        rows.insert(row, at: lo)
        trim()
      }
    }
  }

  private mutating func trim() {
    while rows.count > capacity {
      rows.removeFirst()
      dropped += 1
    }
  }

  /// "FILE: kept the last K of M rows ..." when anything was left out.
  func note(file: String) -> String? { Self.note(file: file, kept: rows.count, dropped: dropped, late: late) }

  /// The note of a bounded read that kept `kept` rows and dropped `dropped` before them.
  static func note(file: String, kept: Int, dropped: Int, late: Int = 0) -> String? {
    guard dropped > 0 || late > 0 else { return nil }
    var s = "\(file): kept the last \(kept) of \(kept + dropped) rows"
    if late > 0 {
      s += "; ignored \(late) row(s) written out of step order with steps before the kept window"
    }
    return s
  }
}
