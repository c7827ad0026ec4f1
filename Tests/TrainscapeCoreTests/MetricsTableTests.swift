import Testing

@testable import TrainscapeCore

/// The columnar table against the row model it replaces: the same rows back, and the
/// recipes' view (`MetricTable`: adjacent equal steps merged, `--last`, `--steps`) equal to
/// what a `MetricsBuffer` of the same rows gives, on random rows with gaps, NaNs and
/// duplicate steps.
@Suite(.tiered) struct MetricsTableTests {
  static func randomRows(_ g: inout SplitMix64, count: Int) -> [MetricRow] {
    let keys = ["loss", "lr", "grad_norm/layer_0", "grad_norm/layer_1", "grad_norm/layer_2", "acc", "grad_norm/layer_1.w"]
    var step: Int64 = 0
    return (0..<count).map { _ in
      if g.next() % 3 != 0 { step += Int64(g.next() % 3) }
      if g.next() % 17 == 0 { step -= 2 }
      var values: [String: Double] = [:]
      for k in keys where g.next() % 3 != 0 {
        switch g.next() % 9 {
        case 0: values[k] = .nan
        case 1: values[k] = -0.0
        default: values[k] = Double(Int64(g.next() % 2000) - 1000) / 7
        }
      }
      return MetricRow(step: step, values: values)
    }
  }

  static func same(_ a: [MetricRow], _ b: [MetricRow]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy { x, y in
        x.step == y.step && Set(x.values.keys) == Set(y.values.keys)
          && x.values.allSatisfy { k, v in
            let w = y.values[k]!
            return v.bitPattern == w.bitPattern || (v.isNaN && w.isNaN)
          }
      }
  }

  @Test func rowsRoundTripExactly() {
    var g = SplitMix64(seed: 1)
    for n in [0, 1, 2, 50, 400] {
      let rows = Self.randomRows(&g, count: n)
      let t = MetricsTable(rows: rows)
      #expect(Self.same(t.rows, rows))
      #expect(t.rowCount == n)
      for k in t.keys {
        let c = t.column(k)!
        #expect(c.count == n)
        for (i, r) in rows.enumerated() {
          if let v = r.values[k] {
            #expect(v.bitPattern == c[i].bitPattern || (v.isNaN && c[i].isNaN && !MetricsTable.isMissing(c[i])))
          } else {
            #expect(MetricsTable.isMissing(c[i]))
          }
        }
      }
    }
  }

  @Test func missingIsNotALoggedNaN() {
    var t = MetricsTable()
    t.appendRow(step: 1)
    t.set(.nan, column: t.intern("a"))
    t.appendRow(step: 2)
    t.set(1, column: t.intern("b"))
    t.seal()
    #expect(t.column("a")!.map(MetricsTable.isMissing) == [false, true])
    #expect(t.column("b")!.map(MetricsTable.isMissing) == [true, false])
    #expect(t.value(column: 0, row: 0)!.isNaN)
    #expect(t.value(column: 0, row: 1) == nil)
    // A signalling NaN with the reserved payload logged by a writer becomes a plain NaN.
    t.appendRow(step: 3)
    t.set(MetricsTable.missing, column: 0)
    #expect(t.value(column: 0, row: 2)!.isNaN)
  }

  @Test func appendingTablesEqualsAppendingRows() {
    var g = SplitMix64(seed: 7)
    let rows = Self.randomRows(&g, count: 300)
    for cut in [0, 1, 150, 299, 300] {
      var a = MetricsTable(rows: rows[..<cut])
      a.append(contentsOf: MetricsTable(rows: rows[cut...]))
      a.seal()
      #expect(Self.same(a.rows, rows))
      #expect(a == MetricsTable(rows: rows))
    }
  }

  @Test func recipeViewEqualsTheBufferView() {
    var g = SplitMix64(seed: 3)
    for trial in 0..<40 {
      let rows = Self.randomRows(&g, count: Int(g.next() % 300))
      let last: Int? = trial % 3 == 0 ? nil : Int(g.next() % 50) + 1
      let range: StepRange? = trial % 4 == 0 ? StepRange(lower: 10, upper: 60) : nil
      let run = Run(name: "r", source: "", rows: rows)
      let columns = MetricTable(run: run, last: last, steps: range)
      var b = MetricsBuffer(capacity: last)
      b.append(contentsOf: rows)
      let buffered = MetricTable(name: "r", buffer: b, steps: range)
      #expect(Self.same(columns.columns.rows, buffered.columns.rows), "trial \(trial)")
      #expect(columns.droppedRows == buffered.droppedRows)
      #expect(columns.keyCounts == buffered.keyCounts)
      for k in columns.keys {
        #expect(columns.series(k).isIdentical(to: b.selecting(range ?? StepRange(lower: nil, upper: nil)).series(k)))
      }
      let j1 = columns.joined(["loss", "lr"]), j2 = buffered.joined(["loss", "lr"])
      #expect(j1.steps == j2.steps)
      #expect(zip(j1.columns.joined(), j2.columns.joined()).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
      let keys = columns.keys
      for family in MetricFamilies.detect(in: keys) {
        for reduce in LayerReduce.allCases {
          let m1 = columns.layerStepMatrix(for: family, reduce: reduce)
          let m2 = b.selecting(range ?? StepRange(lower: nil, upper: nil)).layerStepMatrix(for: family, reduce: reduce)
          #expect(m1.steps == m2.steps && m1.layers == m2.layers)
          #expect(zip(m1.values, m2.values).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
        }
      }
    }
  }
}
