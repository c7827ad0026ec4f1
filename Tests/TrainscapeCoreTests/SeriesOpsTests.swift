import Foundation
import Testing
import TrainscapeTestSupport
@testable import TrainscapeCore

/// Runs a numpy reference on data that numpy generates from a fixed seed (passed, with the
/// parameters, as JSON on stdin). The script prints one line per array, `NAME v1 v2 ...`, with
/// Python's `repr` of each float (shortest round-trip text, `nan`/`inf` included), so the data
/// and results reach Swift bit for bit.
private enum NumpyReference {
  static let prelude = """
    import sys, json, math
    import numpy as np
    p = json.load(sys.stdin)
    rng = np.random.default_rng(p["seed"])
    def out(name, arr):
        print(name, *[repr(float(v)) for v in arr])

    def ema(x, span):
        a = 2.0 / (span + 1.0); b = 1.0 - a
        res = [math.nan] * len(x); s = None
        for i, v in enumerate(x):
            if math.isfinite(v):
                s = v if s is None else a * v + b * s
            if s is not None:
                res[i] = s
        return res

    """

  static func run(_ body: String, _ params: [String: Any]) throws -> [String: [Double]] {
    let input = String(decoding: try JSONSerialization.data(withJSONObject: params), as: UTF8.self)
    let text = try PythonReference.run(prelude + body, stdin: input)
    var result: [String: [Double]] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      guard let name = parts.first else { continue }
      result[String(name)] = try parts.dropFirst().map {
        guard let v = Double(String($0)) else { throw PythonReference.ReferenceError("bad number \($0)") }
        return v
      }
    }
    return result
  }
}

/// Equal element by element, NaN equal to NaN, no tolerance.
private func identical(_ a: [Double], _ b: [Double]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}

private func allNaN(_ a: [Double]) -> Bool { a.allSatisfy(\.isNaN) }

private func ints(_ a: [Double]?) -> [Int] { (a ?? []).map { Int($0) } }

@Suite(.tiered) struct SeriesOpsTests {
  // MARK: - EMA

  @Test(.tags(.python)) func emaMatchesALoopOverTheDefinitionInPython() throws {
    let ref = try NumpyReference.run(
      """
      n = 3000
      x = np.cumsum(rng.normal(size=n)) + 10
      x[rng.random(n) < 0.1] = np.nan
      x[:7] = np.nan
      x[100:140] = np.nan
      x[500] = np.inf; x[501] = -np.inf
      out("x", x)
      for span in p["spans"]:
          out("ema%d" % span, ema(x.tolist(), span))
      """, ["seed": 20240611, "spans": [1, 2, 10, 250]])
    let x = try #require(ref["x"])
    for span in [1, 2, 10, 250] {
      let got = SeriesOps.ema(x, span: span)
      #expect(identical(got, try #require(ref["ema\(span)"])), "span \(span)")
    }
  }

  @Test func emaEdgeCases() {
    #expect(SeriesOps.ema([], span: 5).isEmpty)
    #expect(SeriesOps.ema([3], span: 5) == [3])
    #expect(allNaN(SeriesOps.ema([.nan, .nan], span: 5)))
    let xs: [Double] = [1, -2, 3.5, 1e300, -7]
    #expect(SeriesOps.ema(xs, span: 1) == xs)  // span 1 is the identity
    // alpha = 2/3 for span 2; leading NaN stays NaN, later NaN/inf hold the value.
    let e = SeriesOps.ema([.nan, 3, .nan, 6, .infinity, 0], span: 2)
    #expect(e[0].isNaN)
    let alpha = 2.0 / 3.0, s3 = alpha * 6 + (1 - alpha) * 3
    #expect(Array(e[1...]) == [3, 3, s3, s3, alpha * 0 + (1 - alpha) * s3])
  }

  // MARK: - Resampling

  @Test(.tags(.python)) func resampleMatchesNumpyInterp() throws {
    let ref = try NumpyReference.run(
      """
      for case, (n, order) in enumerate([(400, "sorted"), (400, "shuffled"), (1, "sorted"), (2, "sorted")]):
          steps = rng.integers(0, 5000, n)
          if order == "sorted":
              steps = np.sort(steps)
          if n >= 400:
              steps[10] = steps[11]  # a duplicate even if the draw had none
          vals = rng.normal(size=n) * 100
          if n >= 400:
              vals[rng.random(n) < 0.15] = np.nan
              vals[3] = np.inf
          grid = np.concatenate([np.linspace(-100, 5100, 700), steps[::7].astype(float),
                                 rng.uniform(0, 5000, 200), [np.nan, 2500.5]])
          if case == 1:
              rng.shuffle(grid)
          d = {}
          for s, v in zip(steps.tolist(), vals.tolist()):
              if math.isfinite(v):
                  d[s] = v
          xs = sorted(d)
          ys = [d[s] for s in xs]
          out("steps%d" % case, steps); out("vals%d" % case, vals); out("grid%d" % case, grid)
          ref = np.interp(grid, np.array(xs, float), np.array(ys), left=np.nan, right=np.nan)
          ref[np.isnan(grid)] = np.nan  # numpy gives fp[0] at a NaN point when xp has one point
          out("ref%d" % case, ref)
      """, ["seed": 7])
    for c in 0..<4 {
      let steps = try #require(ref["steps\(c)"]).map { Int64($0) }
      let got = SeriesOps.resample(
        steps: steps, values: try #require(ref["vals\(c)"]), onto: try #require(ref["grid\(c)"]))
      #expect(identical(got, try #require(ref["ref\(c)"])), "case \(c)")
    }
  }

  @Test func resampleEdgeCases() {
    #expect(allNaN(SeriesOps.resample(steps: [], values: [], onto: [1, 2])))
    #expect(allNaN(SeriesOps.resample(steps: [1, 2], values: [.nan, .nan], onto: [1, 2])))
    #expect(SeriesOps.resample(steps: [0, 10], values: [0, 1], onto: []).isEmpty)
    let one = SeriesOps.resample(steps: [5], values: [2], onto: [4, 5, 6])
    #expect(one[0].isNaN && one[1] == 2 && one[2].isNaN)
    // Duplicates: the last finite sample wins; a NaN sample does not erase the step.
    let dup = SeriesOps.resample(steps: [0, 10, 10, 10, 20], values: [0, 1, 3, .nan, 3], onto: [5, 10, 15, -1, 21])
    #expect(Array(dup[0..<3]) == [1.5, 3, 3] && dup[3].isNaN && dup[4].isNaN)
  }

  @Test(.tags(.python)) func commonGridMatchesNumpyLinspaceRint() throws {
    let cases: [[Int]] = [
      [0, 1000, 11], [0, 1000, 7], [3, 17, 100], [5, 5, 4], [0, 10, 1], [-50, 1_000_003, 333],
      [1, 2, 2], [0, 9, 19], [100, 9_000_000_000, 1000],
    ]
    let ref = try NumpyReference.run(
      """
      for i, (lo, hi, count) in enumerate(p["cases"]):
          out("g%d" % i, np.unique(np.rint(np.linspace(lo, hi, count))))
      """, ["seed": 0, "cases": cases])
    for (i, c) in cases.enumerated() {
      let got = SeriesOps.commonGrid([Int64(c[0])...Int64(c[1])], count: c[2])
      #expect(got == ref["g\(i)"], "case \(c)")
    }
  }

  @Test func commonGridIntersectsOrUnitesRanges() {
    let runs: [ClosedRange<Int64>] = [0...1000, 200...1500, 100...900]
    #expect(SeriesOps.commonGrid(runs, count: 3) == [200, 550, 900])
    #expect(SeriesOps.commonGrid(runs, count: 4, union: true) == [0, 500, 1000, 1500])
    #expect(SeriesOps.commonGrid([0...10, 20...30], count: 5).isEmpty)
    #expect(SeriesOps.commonGrid([0...10, 20...30], count: 4, union: true) == [0, 10, 20, 30])
    #expect(SeriesOps.commonGrid([], count: 5).isEmpty)
    #expect(SeriesOps.commonGrid([0...10], count: 0).isEmpty)
    #expect(SeriesOps.commonGrid([0...3], count: 100) == [0, 1, 2, 3])  // rounded and deduplicated
  }

  // MARK: - Downsampling

  @Test(.tags(.python)) func minMaxIndicesMatchANumpyImplementation() throws {
    let configs: [[Int]] = [[5000, 100], [5000, 3], [5000, 2], [5000, 1], [1001, 999], [777, 51], [50, 50], [50, 60]]
    let ref = try NumpyReference.run(
      """
      def minmax(v, maxp):
          n = len(v)
          if n <= maxp: return list(range(n))
          if maxp == 0: return []
          if maxp == 1: return [0]
          B = (maxp - 2) // 2; m = n - 2; res = [0]
          for b in range(B):
              s = 1 + b * m // B; e = 1 + (b + 1) * m // B
              seg = v[s:e]
              if np.all(np.isnan(seg)):
                  res.append(s); continue
              lo = s + int(np.nanargmin(seg)); hi = s + int(np.nanargmax(seg))
              res.extend(sorted({lo, hi}))
          res.append(n - 1)
          return res
      for i, (n, maxp) in enumerate(p["configs"]):
          v = np.round(np.cumsum(rng.normal(size=n)), 1)  # rounding makes ties
          v[rng.random(n) < 0.05] = np.nan
          v[n // 3 : n // 3 + n // 10] = np.nan  # a long hole: some buckets are all NaN
          if n > 100: v[40] = np.inf; v[41] = -np.inf
          out("v%d" % i, v); out("r%d" % i, minmax(v, maxp))
      """, ["seed": 99, "configs": configs])
    for (i, c) in configs.enumerated() {
      let v = try #require(ref["v\(i)"])
      let got = SeriesOps.minMaxIndices(v, maxPoints: c[1])
      #expect(got == ints(ref["r\(i)"]), "config \(c)")
      #expect(got.count <= Swift.max(c[1], 0) || got.count == v.count && v.count <= c[1])
    }
  }

  /// The trajectory's downsampling: aligned power-of-two buckets, each bucket's min and max.
  @Test(.tags(.python)) func alignedMinMaxIndicesMatchANumpyImplementation() throws {
    let configs: [[Int]] = [[5000, 100], [5000, 4], [5000, 2], [1001, 999], [777, 51], [50, 50], [50, 60], [4097, 2000]]
    let ref = try NumpyReference.run(
      """
      def aligned(v, maxp):
          n = len(v)
          if n <= maxp: return list(range(n))
          w = 2
          while 2 * (n // w) + min(n % w, 2) > maxp: w *= 2
          res = []
          for s in range(0, n, w):
              seg = v[s:min(s + w, n)]
              if np.all(np.isnan(seg)):
                  res.append(s); continue
              lo = s + int(np.nanargmin(seg)); hi = s + int(np.nanargmax(seg))
              res.extend(sorted({lo, hi}))
          return res
      for i, (n, maxp) in enumerate(p["configs"]):
          v = np.round(np.cumsum(rng.normal(size=n)), 1)  # rounding makes ties
          v[rng.random(n) < 0.05] = np.nan
          v[n // 3 : n // 3 + n // 10] = np.nan  # a long hole: some buckets are all NaN
          if n > 100: v[40] = np.inf; v[41] = -np.inf
          out("v%d" % i, v); out("r%d" % i, aligned(v, maxp))
      """, ["seed": 7, "configs": configs])
    for (i, c) in configs.enumerated() {
      let v = try #require(ref["v\(i)"])
      let got = SeriesOps.alignedMinMaxIndices(v, maxPoints: c[1])
      #expect(got == ints(ref["r\(i)"]), "config \(c)")
      #expect(got.count <= c[1])
      // A prefix keeps the picks of its full buckets.
      let n = v.count * 3 / 4
      let w = LayerStepMatrix.bucketWidth(columns: n, maxColumns: c[1])
      if w == LayerStepMatrix.bucketWidth(columns: v.count, maxColumns: c[1]) {
        let part = SeriesOps.alignedMinMaxIndices(Array(v[..<n]), maxPoints: c[1])
        let closed = n / w * w
        #expect(part.filter { $0 < closed } == got.filter { $0 < closed }, "config \(c)")
      }
    }
  }

  @Test func minMaxIndicesEdgeCases() {
    #expect(SeriesOps.minMaxIndices([], maxPoints: 10) == [])
    #expect(SeriesOps.minMaxIndices([4], maxPoints: 10) == [0])
    #expect(SeriesOps.minMaxIndices([1, 2, 3], maxPoints: 3) == [0, 1, 2])
    #expect(SeriesOps.minMaxIndices([1, 2, 3], maxPoints: 100) == [0, 1, 2])
    #expect(SeriesOps.minMaxIndices([1, 2, 3], maxPoints: 2) == [0, 2])
    #expect(SeriesOps.minMaxIndices([1, 2, 3], maxPoints: 0) == [])
    // All NaN: every bucket keeps one NaN, so the holes survive.
    let nan = [Double](repeating: .nan, count: 20)
    #expect(SeriesOps.minMaxIndices(nan, maxPoints: 6) == [0, 1, 10, 19])
    // The spike and the dip survive.
    var v = [Double](repeating: 0, count: 1000)
    v[123] = 50
    v[777] = -50
    let idx = SeriesOps.minMaxIndices(v, maxPoints: 10)
    #expect(idx.contains(123) && idx.contains(777) && idx.first == 0 && idx.last == 999)
    #expect(idx == idx.sorted() && idx.count <= 10)
  }

  @Test(.tags(.python)) func lttbMatchesAStraightforwardNumpyLttb() throws {
    let thresholds = [3, 4, 10, 100, 999, 4999, 5000, 6000]
    let ref = try NumpyReference.run(
      """
      def lttb(x, y, threshold):
          n = len(y)
          if threshold >= n or n <= 2: return list(range(n))
          if threshold < 3: return [0, n - 1]
          xl, yl = x.tolist(), y.tolist()
          every = (n - 2) / (threshold - 2)
          a = 0; res = [0]
          for i in range(threshold - 2):
              s = int(math.floor((i + 1) * every)) + 1
              e = min(int(math.floor((i + 2) * every)) + 1, n)
              sx = 0.0; sy = 0.0
              for k in range(s, e):
                  sx += xl[k]; sy += yl[k]
              avg_x = sx / (e - s); avg_y = sy / (e - s)
              r0 = int(math.floor(i * every)) + 1; r1 = int(math.floor((i + 1) * every)) + 1
              areas = np.abs((x[a] - avg_x) * (y[r0:r1] - y[a]) - (x[a] - x[r0:r1]) * (avg_y - y[a])) * 0.5
              a = r0 + int(np.argmax(areas))
              res.append(a)
          res.append(n - 1)
          return res
      n = 5000
      x = np.cumsum(rng.uniform(0.5, 3.0, n))  # irregular steps
      y = np.cumsum(rng.normal(size=n)) + 5 * np.sin(x / 300)
      out("x", x); out("y", y)
      for t in p["thresholds"]:
          out("t%d" % t, lttb(x, y, t))
      """, ["seed": 2013, "thresholds": thresholds])
    let x = try #require(ref["x"]), y = try #require(ref["y"])
    for t in thresholds {
      let got = SeriesOps.lttbIndices(x: x, y: y, threshold: t)
      #expect(got == ints(ref["t\(t)"]), "threshold \(t)")
    }
  }

  @Test func lttbEdgeCases() {
    #expect(SeriesOps.lttbIndices(x: [], y: [], threshold: 10) == [])
    #expect(SeriesOps.lttbIndices(x: [1], y: [2], threshold: 10) == [0])
    #expect(SeriesOps.lttbIndices(x: [0, 1, 2], y: [0, 5, 0], threshold: 3) == [0, 1, 2])
    let x = (0..<100).map(Double.init)
    var y = x.map { sin($0 / 7) }
    #expect(SeriesOps.lttbIndices(x: x, y: y, threshold: 2) == [0, 99])
    #expect(SeriesOps.lttbIndices(x: x, y: y, threshold: 0) == [0, 99])
    // A spike is selected.
    y[42] = 100
    let idx = SeriesOps.lttbIndices(x: x, y: y, threshold: 12)
    #expect(idx.count == 12 && idx.contains(42) && idx == idx.sorted())
    // A NaN run longer than a bucket keeps a hole; NaN points are never picked otherwise.
    var holes = x.map { sin($0 / 7) }
    for i in 30..<60 { holes[i] = .nan }
    holes[5] = .nan
    let h = SeriesOps.lttbIndices(x: x, y: holes, threshold: 12)
    #expect(h.count == 12 && h.first == 0 && h.last == 99 && h == h.sorted())
    #expect(h.contains { holes[$0].isNaN } && !h.contains(5))
    // All NaN: first index of each bucket.
    let allNaN = SeriesOps.lttbIndices(x: x, y: [Double](repeating: .nan, count: 100), threshold: 4)
    #expect(allNaN == [0, 1, 50, 99])
  }

  // MARK: - LayerStepMatrix

  @Test(.tags(.python)) func matrixDownsamplingMatchesANumpyEnvelope() throws {
    let ref = try NumpyReference.run(
      """
      L, n, maxc = 5, 1025, 40
      v = np.cumsum(rng.normal(size=(L, n)), axis=1)
      v[rng.random((L, n)) < 0.1] = np.nan
      v[2, 100:400] = np.nan
      steps = np.sort(rng.choice(100000, n, replace=False))
      # Aligned buckets of the smallest power-of-two width w >= 2 giving at most maxc columns.
      ncols = lambda w: 2 * (n // w) + min(n % w, 2)
      w = 2
      while ncols(w) > maxc: w *= 2
      cols = []; rs = []
      for s in range(0, n, w):
          e = min(s + w, n)
          if e - s == 1:
              rs += [steps[s]]; cols.append(v[:, s]); continue
          rs += [steps[s], steps[e - 1]]
          a = np.full(L, np.nan); b = np.full(L, np.nan)
          for l in range(L):
              seg = v[l, s:e]
              if np.all(np.isnan(seg)): continue
              lo = int(np.nanargmin(seg)); hi = int(np.nanargmax(seg))
              a[l] = seg[min(lo, hi)]; b[l] = seg[max(lo, hi)]
          cols += [a, b]
      res = np.stack(cols, axis=1)
      out("v", v.ravel()); out("steps", steps); out("rv", res.ravel()); out("rs", rs); out("w", [w])
      sm = [ema(row.tolist(), 9) for row in v]
      out("smoothed", np.array(sm).ravel())
      """, ["seed": 5])
    let m = LayerStepMatrix(
      family: "grad_norm", layers: [0, 1, 2, 3, 4], steps: try #require(ref["steps"]).map { Int64($0) },
      values: try #require(ref["v"]))
    let d = m.downsampled(maxColumns: 40)
    // 1025 columns: buckets of 64, the last one a single column kept as it is.
    #expect(ref["w"] == [64] && LayerStepMatrix.bucketWidth(columns: 1025, maxColumns: 40) == 64)
    #expect(d.steps.count == 33 && d.steps.count <= 40)
    #expect(d.steps == (ref["rs"] ?? []).map { Int64($0) })
    #expect(identical(d.values, try #require(ref["rv"])))
    #expect(d.layers == m.layers && d.family == m.family)
    #expect(d.steps.first == m.steps.first && d.steps.last == m.steps.last)
    // Every layer's overall min and max survive.
    for li in m.layers.indices {
      let before = (0..<m.steps.count).map { m[layer: li, step: $0] }.filter { !$0.isNaN }
      let after = (0..<d.steps.count).map { d[layer: li, step: $0] }.filter { !$0.isNaN }
      #expect(before.min() == after.min() && before.max() == after.max())
    }
    #expect(m.downsampled(maxColumns: 2000) == m || identical(m.downsampled(maxColumns: 2000).values, m.values))
    #expect(identical(m.smoothed(span: 9).values, try #require(ref["smoothed"])))
    #expect(m.smoothed(span: 9).steps == m.steps)
  }

  @Test func matrixDownsamplingSmallCases() {
    let m = LayerStepMatrix(family: "g", layers: [0, 1], steps: [0, 10, 20, 30, 40], values: [1, 5, 2, 4, 3, 9, .nan, .nan, .nan, 1])
    let d = m.downsampled(maxColumns: 4)  // buckets of 4: columns 0..<4 and 4 (kept as it is)
    #expect(d.steps == [0, 30, 40])
    #expect(identical(d.values, [1, 5, 3, 9, 9, 1]))
    let one = m.downsampled(maxColumns: 2)  // one bucket of 8
    #expect(one.steps == [0, 40])
    #expect(identical(one.values, [1, 5, 9, 1]))
    let e = m.downsampled(maxColumns: 5)
    #expect(e.steps == m.steps && identical(e.values, m.values))
    // The width is a power of two that never shrinks as columns arrive.
    var previous = 1
    for n in 1...5000 {
      let w = LayerStepMatrix.bucketWidth(columns: n, maxColumns: 100)
      #expect(w >= previous && w & (w - 1) == 0 && LayerStepMatrix.bucketedColumns(n, width: w) <= 100)
      if w > 2 { #expect(LayerStepMatrix.bucketedColumns(n, width: w / 2) > 100) }
      previous = w
    }
    #expect(previous == 128)
    let empty = LayerStepMatrix(family: "g", layers: [0], steps: [], values: [])
    #expect(empty.downsampled(maxColumns: 4).steps.isEmpty && empty.smoothed(span: 3).values.isEmpty)
  }
}

@Suite(.tiered) struct StepRangeTests {
  @Test func parsesBothOpenAndClosedForms() {
    #expect(StepRange(argument: "1000:5000") == StepRange(lower: 1000, upper: 5000))
    #expect(StepRange(argument: ":5000") == StepRange(lower: nil, upper: 5000))
    #expect(StepRange(argument: "1000:") == StepRange(lower: 1000, upper: nil))
    #expect(StepRange(argument: " 10 : 20 ") == StepRange(lower: 10, upper: 20))
    #expect(StepRange(argument: "7:7") == StepRange(lower: 7, upper: 7))
    #expect(StepRange(argument: "1000:")?.description == "1000:")
  }

  @Test func rejectsBadInput() {
    for bad in ["", ":", "1000", "a:b", "1:2:3", "5000:1000", "1.5:2", "1e3:", "99999999999999999999:", "10:x"] {
      #expect(StepRange(argument: bad) == nil, "\(bad)")
    }
  }

  @Test func containsIsInclusive() {
    let r = StepRange(argument: "10:20")!
    #expect(!r.contains(9) && r.contains(10) && r.contains(20) && !r.contains(21))
    #expect(StepRange(argument: ":20")!.contains(Int64.min) && StepRange(argument: "10:")!.contains(Int64.max))
  }

  @Test func selectingKeepsTheRowsInsideTheRange() {
    var buf = MetricsBuffer(capacity: 3)
    for s in [0, 10, 20, 30, 40] as [Int64] { buf.append(MetricRow(step: s, values: ["loss": Double(s)])) }
    let sel = buf.selecting(StepRange(argument: "15:")!)
    #expect(sel.rows.map(\.step) == [20, 30, 40] && sel.capacity == nil && sel.droppedCount == 0)
    #expect(buf.selecting(StepRange(argument: ":25")!).rows.map(\.step) == [20])
    #expect(buf.series("loss").selecting(StepRange(lower: 30)).values == [30, 40])
  }
}
