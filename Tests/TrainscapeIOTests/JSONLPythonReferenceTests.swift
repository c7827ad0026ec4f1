import Foundation
import Testing
import TrainscapeTestSupport
import TrainscapeCore

@testable import TrainscapeIO

/// Checks the JSONL reader against Python's `json` module: Python writes
/// random rows (random bit-pattern doubles, NaN, +-inf, ints, booleans,
/// nested dicts, strings with escapes) and a sidecar listing every metric
/// value as `float.hex`, and every value read back must match bit for bit
/// (NaN matches NaN).
@Suite(.tiered) struct JSONLPythonReferenceTests {
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let script = #"""
    import json, math, random, struct, sys
    out, sidecar, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)

    def rand_double():
        while True:
            d = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if not math.isnan(d):
                return d

    def value():
        r = rng.random()
        if r < 0.35: return rand_double()
        if r < 0.55: return rng.uniform(-10, 10)
        if r < 0.60: return float("nan")
        if r < 0.65: return rng.choice([float("inf"), float("-inf"), -0.0, 0.0])
        if r < 0.75: return rng.randint(-2**62, 2**62)
        if r < 0.80: return rng.choice([True, False])
        if r < 0.85: return rng.choice(["txt \"q\" \\ \n \u00e9 \U0001F600", None, [1, 2.5, {"a": 1}]])
        if r < 0.95: return {"layer_%d" % i: value() for i in range(rng.randint(0, 3))}
        return rng.expovariate(1) * 10 ** rng.randint(-320, 300)

    def flatten(prefix, v, acc):
        if isinstance(v, bool): acc[prefix] = float(v)
        elif isinstance(v, (int, float)): acc[prefix] = float(v)
        elif isinstance(v, dict):
            for k, x in v.items(): flatten(prefix + "/" + k, x, acc)

    with open(out, "w") as f, open(sidecar, "w") as s:
        for step in range(300):
            row = {"step": step * 10, "_timestamp": 1.7e9 + step}
            for k in range(rng.randint(1, 12)):
                row["m%d/é" % k if k % 5 == 4 else "m%d" % k] = value()
            f.write(json.dumps(row, ensure_ascii=rng.random() < 0.5) + "\n")
            acc = {}
            for k, v in row.items():
                if k not in ("step", "_timestamp"): flatten(k, v, acc)
            for k, v in sorted(acc.items()):
                s.write("%d\t%s\t%s\n" % (row["step"], k, float.hex(v)))
    """#

  @Test(.tags(.python)) func valuesMatchPythonJSON() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("jsonl-ref-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let jsonl = dir.appendingPathComponent("ref.jsonl").path
    let sidecar = dir.appendingPathComponent("ref.expected.tsv").path

    _ = try Python.run(Self.script, args: [jsonl, sidecar, "20240611"])

    let result = try JSONLReader.read(path: jsonl)
    #expect(result.warnings.isEmpty)
    #expect(result.run.name == "ref")
    var byStep: [Int64: [String: Double]] = [:]
    for row in result.run.rows { byStep[row.step] = row.values }
    #expect(byStep.count == 300)

    var expected: [Int64: [String: Double]] = [:]
    let text = try String(contentsOfFile: sidecar, encoding: .utf8)
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false)
      let step = try #require(Int64(f[0]))
      let v = try #require(Double(String(f[2])), "bad hex float \(f[2])")
      expected[step, default: [:]][String(f[1])] = v
    }
    var compared = 0, nans = 0, mismatches: [String] = []
    for step in byStep.keys.sorted() {
      let got = byStep[step]!
      let want = expected[step] ?? [:]
      if Set(got.keys) != Set(want.keys) {
        mismatches.append("step \(step): keys \(got.keys.sorted()) != \(want.keys.sorted())")
      }
      for (k, w) in want {
        guard let g = got[k] else { continue }
        compared += 1
        if w.isNaN { nans += 1 }
        let same = (w.isNaN && g.isNaN) || w.bitPattern == g.bitPattern
        if !same { mismatches.append("step \(step) \(k): read \(g), python wrote \(w)") }
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
    #expect(compared > 1000 && nans > 0)
  }
}
