import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// The numbers behind the dynamics small multiples and the annotations, each against a numpy
/// implementation of the definitions in `Dynamics` and `Annotations` (written from the
/// documentation, not the code): per-seed EMA with NaN hold (span 1: the raw series, with
/// its NaN gaps), the mean of the smoothed seeds
/// on the common grid, min/max and std bands, onsets on the raw series and their group
/// means, stage boundaries, and the shared row range.
@Suite(.tiered) struct DynamicsTests {
  static let reference = #"""
    import sys, json, math
    import numpy as np
    p = json.load(sys.stdin)
    rng = np.random.default_rng(p["seed"])
    span = p["span"]

    def ema(x, span):
        if span <= 1: return list(x)   # --ema 1 (or none): the raw series
        a = 2.0 / (span + 1.0); b = 1.0 - a
        res = [math.nan] * len(x); s = None
        for i, v in enumerate(x):
            if math.isfinite(v):
                s = v if s is None else a * v + b * s
            if s is not None:
                res[i] = s
        return res

    # ---- random runs: 3 arms x 3 seeds, different logging intervals and lengths
    runs = []
    for arm in ["vanilla", "static", "adaptive"]:
        for seed in range(3):
            every = int(rng.choice([1, 5, 7, 10]))
            start = int(rng.integers(0, 40))
            n = int(rng.integers(40, 150))
            steps = start + every * np.arange(n)
            a = np.cumsum(rng.normal(size=n)) + 3
            a[rng.random(n) < 0.1] = np.nan
            if seed == 1: a[:4] = np.nan                 # leading NaN: no value yet
            b = np.exp(rng.normal(size=n))               # positive, for a log axis
            b[rng.random(n) < 0.05] = -1.0               # a few non-positive values
            onset = None if (arm == "adaptive" and seed != 2) else int(rng.integers(n // 4, n))
            hack = np.zeros(n)
            if onset is not None:
                hack[onset:] = rng.random(n - onset) * 0.5
                hack[onset] = 0.3
            hack[rng.random(n) < 0.05] = np.nan
            cuts = sorted(rng.choice(np.arange(1, n), size=2, replace=False))
            stage = np.zeros(n); stage[cuts[0]:] = 1; stage[cuts[1]:] = 2
            present_b = rng.random(n) > 0.2               # b is missing (absent) at some steps
            rows = []
            for i in range(n):
                vals = {"a": repr(float(a[i])), "hack": repr(float(hack[i])), "stage": repr(float(stage[i]))}
                if present_b[i]: vals["b"] = repr(float(b[i]))
                rows.append([int(steps[i]), vals])
            runs.append({"name": "%s_seed%d" % (arm, seed), "arm": arm, "seed": seed, "rows": rows})

    def series(run, key):
        st, va = [], []
        for s, vals in run["rows"]:
            if key in vals:
                st.append(s); va.append(float(vals[key]))
        return np.array(st, dtype=np.int64), np.array(va)

    out = {"runs": runs, "panels": {}, "onsets": {}, "stages": {}, "ranges": {}}
    arms = ["vanilla", "static", "adaptive"]
    for band in ["minmax", "std"]:
        for key in ["a", "b", "hack"]:
            for arm in arms:
                members = [r for r in runs if r["arm"] == arm]
                sm, finite_steps = [], []
                for r in members:
                    st, va = series(r, key)
                    s = np.array(ema(va.tolist(), span))
                    ok = np.isfinite(s)
                    if ok.any():
                        sm.append((st[ok], s[ok])); finite_steps.append(st[ok])
                lo = max(f.min() for f in finite_steps); hi = min(f.max() for f in finite_steps)
                grid = np.unique(np.concatenate([f[(f >= lo) & (f <= hi)] for f in finite_steps])).astype(float)
                ys = np.array([np.interp(grid, xs.astype(float), v) for xs, v in sm])
                mean = ys.mean(axis=0)
                if band == "minmax":
                    lower, upper = ys.min(axis=0), ys.max(axis=0)
                else:
                    sd = ys.std(axis=0)
                    lower, upper = mean - sd, mean + sd
                out["panels"]["%s/%s/%s" % (band, key, arm)] = {
                    "grid": grid.tolist(), "mean": mean.tolist(), "lower": lower.tolist(), "upper": upper.tolist()}
        # the shared row ranges: row 0 = a, b; row 1 = hack
        for r, keys in enumerate([["a", "b"], ["hack"]]):
            for logy in [False, True]:
                vals = []
                for key in keys:
                    for arm in arms:
                        pnl = out["panels"]["%s/%s/%s" % (band, key, arm)]
                        vals += pnl["mean"] + pnl["lower"] + pnl["upper"]
                        for run in [x for x in runs if x["arm"] == arm]:
                            st, va = series(run, key)
                            vals += ema(va.tolist(), span)
                v = np.array(vals)
                v = v[np.isfinite(v)]
                if logy: v = v[v > 0]
                out["ranges"]["%s/%d/%s" % (band, r, logy)] = [float(v.min()), float(v.max())] if v.size else None
    for thr_name, op, thr in [("gt0", ">", 0.0), ("ge03", ">=", 0.3), ("lt2", "<", 2.0)]:
        for arm in arms:
            per = []
            for r in [x for x in runs if x["arm"] == arm]:
                st, va = series(r, "hack" if thr_name != "lt2" else "a")
                with np.errstate(invalid="ignore"):
                    cond = {">": va > thr, ">=": va >= thr, "<": va < thr}[op]
                per.append(int(st[cond].min()) if cond.any() else None)
            got = [x for x in per if x is not None]
            out["onsets"]["%s/%s" % (thr_name, arm)] = {"per": per, "mean": (sum(got) / len(got)) if got else None}
    for r in runs:
        st, va = series(r, "stage")
        ok = ~np.isnan(va)
        st, va = st[ok], va[ok]
        out["stages"][r["name"]] = st[1:][np.diff(va) != 0].tolist()
    print(json.dumps(out))
    """#

  struct Reference {
    var runs: [Run]
    var panels: [String: [String: [Double]]]
    var onsets: [String: (per: [Int64?], mean: Double?)]
    var stages: [String: [Int64]]
    var ranges: [String: ClosedRange<Double>?]
  }

  static func loadReference(seed: Int, span: Int) throws -> Reference {
    let input = String(decoding: try JSONSerialization.data(withJSONObject: ["seed": seed, "span": span]), as: UTF8.self)
    let text = try PythonReference.run(Self.reference, stdin: input)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    var runs: [Run] = []
    for r in try #require(doc["runs"] as? [[String: Any]]) {
      var rows: [MetricRow] = []
      for row in try #require(r["rows"] as? [[Any]]) {
        let step = try #require(row[0] as? Int)
        let vals = try #require(row[1] as? [String: String])
        rows.append(MetricRow(step: Int64(step), values: try vals.mapValues { try #require(Double($0)) }))
      }
      runs.append(
        Run(
          name: try #require(r["name"] as? String), source: "numpy", rows: rows,
          config: ["arm": .string(try #require(r["arm"] as? String)), "seed": .number(Double(try #require(r["seed"] as? Int)))]))
    }
    let panels = try #require(doc["panels"] as? [String: [String: [Double]]])
    var onsets: [String: (per: [Int64?], mean: Double?)] = [:]
    for (k, v) in try #require(doc["onsets"] as? [String: [String: Any]]) {
      let per = try #require(v["per"] as? [Any]).map { ($0 as? Int).map(Int64.init) }
      onsets[k] = (per, v["mean"] as? Double)
    }
    let stages = try #require(doc["stages"] as? [String: [Int]]).mapValues { $0.map(Int64.init) }
    var ranges: [String: ClosedRange<Double>?] = [:]
    for (k, v) in try #require(doc["ranges"] as? [String: Any]) {
      if let pair = v as? [Double] { ranges[k] = pair[0]...pair[1] } else { ranges[k] = .some(nil) }
    }
    return Reference(runs: runs, panels: panels, onsets: onsets, stages: stages, ranges: ranges)
  }

  static func close(_ a: [Double], _ b: [Double], tol: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * Swift.max(1, abs($1)) }
  }

  @Test(.tags(.python), arguments: [(11, 5), (12, 1), (13, 20)])
  func meansBandsAndRowRangesEqualNumpy(seed: Int, span: Int) throws {
    let ref = try Self.loadReference(seed: seed, span: span)
    let groups = try RunGroups.make(ref.runs, by: RunGrouping(keys: ["arm"]))
    #expect(groups.groups.map(\.title) == ["vanilla", "static", "adaptive"])
    #expect(groups.groups.allSatisfy { $0.members.count == 3 })
    for band in [Dynamics.Band.minmax, .std] {
      let data = try Dynamics.build(
        groups: groups, rows: [["a", "b"], ["hack"]],
        options: Dynamics.Options(series: SeriesSettings(emaSpan: span), band: band))
      for (r, keys) in data.rows.enumerated() {
        for (g, group) in groups.groups.enumerated() {
          let panel = data.panels[r][g]
          #expect(panel.series.map(\.key) == keys)
          for s in panel.series {
            let want = try #require(ref.panels["\(band.rawValue)/\(s.key)/\(group.title)"])
            let what = "\(band) \(s.key) \(group.title) (seed \(seed), span \(span))"
            #expect(s.grid == (want["grid"] ?? []), "\(what): grid")
            #expect(Self.close(s.mean, try #require(want["mean"])), "\(what): mean")
            #expect(Self.close(try #require(s.lower), try #require(want["lower"])), "\(what): lower")
            #expect(Self.close(try #require(s.upper), try #require(want["upper"])), "\(what): upper")
            // Each seed's thin line is the EMA of its own raw samples.
            #expect(s.seeds.count == 3)
            for seedLine in s.seeds {
              #expect(seedLine.smoothed.count == seedLine.raw.count)
              let again = span > 1 ? SeriesOps.ema(seedLine.raw, span: span) : seedLine.raw
              #expect(zip(again, seedLine.smoothed).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
            }
          }
        }
      }
      for logY in [false, true] {
        let ranges = data.rowRanges(logY: logY)
        for r in 0..<2 {
          let want = try #require(ref.ranges["\(band.rawValue)/\(r)/\(logY ? "True" : "False")"])
          let got = ranges[r]
          #expect((got == nil) == (want == nil))
          if let got, let want {
            #expect(Self.close([got.lowerBound, got.upperBound], [want.lowerBound, want.upperBound]), "row \(r) logY \(logY): \(got) vs \(want)")
          }
        }
      }
      // --ylim wins; a twin key leaves the shared range.
      #expect(data.rowRanges(ylims: [1: 0...1])[1] == 0...1)
      let withoutB = data.rowRanges(twin: ["b"])[0]
      let onlyA = Dynamics.rowRange(data.panels[0], keys: ["a"])
      #expect(withoutB == onlyA)
    }
  }

  @Test(.tags(.python)) func onsetsOnTheRawSeriesAndGroupMeansEqualNumpy() throws {
    let span = 5
    let ref = try Self.loadReference(seed: 21, span: span)
    let groups = try RunGroups.make(ref.runs, by: RunGrouping(keys: ["arm"]))
    let rules: [(String, String)] = [("gt0", "hack>0"), ("ge03", "hack >= 0.3"), ("lt2", "a<2")]
    for (name, text) in rules {
      let rule = try OnsetRule(parsing: text)
      for group in groups.groups {
        let tables = groups.runs(in: group).map { MetricTable(run: $0) }
        let want = try #require(ref.onsets["\(name)/\(group.title)"])
        let ann = Annotations.make(AnnotationSpec(onsets: [rule]), tables: tables, what: group.label)
        let onset = try #require(ann.onsets.first)
        #expect(onset.perRun == want.per, "\(text) \(group.title)")
        #expect(onset.mean == want.mean, "\(text) \(group.title)")
        if let m = want.mean {
          #expect(ann.marks == [AnnotationMark(step: m, label: "first \(rule)", kind: .onset(rule))])
        } else {
          #expect(ann.marks.isEmpty)
        }
        // A run that never reaches the onset is said.
        #expect(ann.notes.isEmpty == (want.per.allSatisfy { $0 != nil }), "\(ann.notes)")
      }
    }
    // The raw series, not the smoothed one: a single spike is an onset.
    let spike = Run(name: "r", source: "", rows: (0..<20).map { MetricRow(step: Int64($0 * 10), values: ["h": $0 == 7 ? 1 : 0]) })
    let rule = try OnsetRule(parsing: "h>0.5")
    #expect(rule.onset(in: MetricTable(run: spike)) == 70)
    #expect(SeriesOps.ema((0..<20).map { $0 == 7 ? 1.0 : 0 }, span: 5).allSatisfy { $0 <= 0.5 })
  }

  @Test(.tags(.python)) func stageBoundariesEqualNumpy() throws {
    let ref = try Self.loadReference(seed: 31, span: 5)
    for run in ref.runs {
      let s = MetricTable(run: run).series("stage")
      let (spans, notes) = Stages.spans(steps: s.steps, values: s.values, names: ["teacher", "mixed", "student"], key: "stage")
      #expect(Stages.boundaries(spans) == ref.stages[run.name], "\(run.name)")
      #expect(spans.map(\.name) == ["teacher", "mixed", "student"])
      #expect(spans.first?.start == s.steps.first && spans.last?.end == s.steps.last)
      for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.end == b.start) }
      #expect(notes.isEmpty)
    }
  }

  @Test func stagesNamesByValueAndNotes() throws {
    let steps: [Int64] = [0, 10, 20, 30, 40, 50, 60]
    let values: [Double] = [0, 0, 1, .nan, 1, 0, 2]
    let (spans, notes) = Stages.spans(steps: steps, values: values, names: ["teacher", "mixed"], key: "curriculum/stage_index")
    #expect(spans.map(\.start) == [0, 20, 50, 60])
    #expect(spans.map(\.end) == [20, 50, 60, 60])
    // A value that comes back keeps its name; a value without one is labelled by itself.
    #expect(spans.map(\.name) == ["teacher", "mixed", "teacher", "2"])
    #expect(notes == ["--stage-names gives 2 name(s) for 3 stage value(s) of curriculum/stage_index; the others are labelled by their value"])
    #expect(Stages.spans(steps: [], values: []).spans.isEmpty)
  }

  @Test func parsingMarksAndRules() throws {
    #expect(try OnsetRule(parsing: "hack_s>0") == OnsetRule(key: "hack_s", comparison: .greater, threshold: 0))
    #expect(try OnsetRule(parsing: " train/loss <= 2.5e-1 ") == OnsetRule(key: "train/loss", comparison: .lessOrEqual, threshold: 0.25))
    #expect(try OnsetRule(parsing: "x!=-1").comparison == .notEqual)
    #expect(try OnsetRule(parsing: "x==3").description == "x==3")
    for bad in ["hack_s", ">0", "x=>1", "x>abc", "x<>1", "x>"] {
      #expect(throws: AnnotationError.self, "\(bad)") { try OnsetRule(parsing: bad) }
    }
    #expect(try StepMark(parsing: "1500:warmup end") == StepMark(step: 1500, label: "warmup end"))
    #expect(try StepMark(parsing: "200") == StepMark(step: 200))
    #expect(throws: AnnotationError.self) { try StepMark(parsing: "soon:x") }
    // NaN never satisfies a rule, not even !=.
    let rule = OnsetRule(key: "k", comparison: .notEqual, threshold: 0)
    #expect(rule.onset(steps: [1, 2, 3], values: [.nan, 0, 5]) == 3)
  }

  @Test func meanGridIsCutToTheStepsEverySeedCovers() throws {
    // Seed A logs 0...100 every 10, seed B 20...60 every 20 (it stopped early): the mean
    // runs over 20...60 on the union of both seeds' steps there.
    let a = SeedSeries(run: 0, label: "a", steps: stride(from: 0, through: 100, by: 10).map(Int64.init), raw: [], smoothed: (0...10).map(Double.init))
    let b = SeedSeries(run: 1, label: "b", steps: [20, 40, 60], raw: [], smoothed: [10, 20, 30])
    let m = Dynamics.meanAndBand([a, b], band: .minmax)
    #expect(m.grid == [20, 30, 40, 50, 60])
    #expect(m.mean == [6, 9, 12, 15, 18])  // (2+10)/2, (3+15)/2, ...
    #expect(m.lower == [2, 3, 4, 5, 6] && m.upper == [10, 15, 20, 25, 30])
    // Thinned to evenly spaced steps on request, and said.
    let thin = Dynamics.meanAndBand([a, a], band: .none, maxGridPoints: 3)
    #expect(thin.grid == [0, 50, 100] && thin.mean == [0, 5, 10] && thin.lower == nil)
    #expect(thin.note == "mean over 3 evenly spaced steps instead of all 11")
    // Ranges that do not overlap give no mean, and say so.
    let c = SeedSeries(run: 2, label: "c", steps: [200, 300], raw: [], smoothed: [1, 2])
    let none = Dynamics.meanAndBand([a, c], band: .std)
    #expect(none.grid.isEmpty && none.note == "the seeds' step ranges do not overlap, so there is no mean line")
  }

  @Test func buildSaysWhatIsMissing() throws {
    let runs = [
      Run(name: "v_seed0", source: "", rows: [MetricRow(step: 0, values: ["x": 1, "y": 2])], config: ["arm": "v"]),
      Run(name: "v_seed1", source: "", rows: [MetricRow(step: 0, values: ["x": 3])], config: ["arm": "v"]),
    ]
    let groups = try RunGroups.make(runs, by: RunGrouping(keys: ["arm"]))
    let data = try Dynamics.build(groups: groups, rows: [["x", "y"]])
    #expect(data.notes == ["v_seed1 has no 'y': left out of arm=v"])
    #expect(data.panels[0][0].series[1].seeds.map(\.label) == ["v_seed0"])
    #expect(data.panels[0][0].series[0].mean == [2])
    do {
      _ = try Dynamics.build(groups: groups, rows: [["x", "zz"]])
      Issue.record("expected an error")
    } catch let e as Dynamics.DataError {
      #expect(e.description == "no run has the metric 'zz' (row 1); the runs have: x, y")
    }
  }
}
