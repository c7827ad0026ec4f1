import Foundation
import Testing

@testable import TrainscapeCore

/// UMAP, its pieces, Procrustes alignment and subsampling, each against an independent
/// reference in the venv (umap-learn, scikit-learn, scipy) or a property that could fail.
@Suite(.tiered) struct UMAPTests {
  /// Gaussian clusters in a 24-dimensional latent space mapped to `cols` dimensions plus noise
  /// (the benchmark's generator at test size), as JSON.
  private static func clusters(rows: Int, cols: Int, seed: Int = 3) -> String {
    """
    import json, sys, numpy as np
    rng = np.random.default_rng(\(seed))
    rows, cols, latent_dim, k = \(rows), \(cols), 24, 6
    centres = rng.standard_normal((k, latent_dim)) * 2.5
    labels = rng.integers(0, k, rows)
    latent = centres[labels] + rng.standard_normal((rows, latent_dim)) * rng.uniform(0.6, 1.4, k)[labels, None]
    x = latent @ (rng.standard_normal((latent_dim, cols)) / np.sqrt(latent_dim)) + 0.3 * rng.standard_normal((rows, cols))
    """
  }

  private func json<T>(_ text: String, as: T.Type = T.self) throws -> T {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? T)
  }

  private func data(rows: Int, cols: Int, seed: Int = 3) throws -> [Double] {
    try json(try PythonReference.run(Self.clusters(rows: rows, cols: cols, seed: seed) + "\nprint(json.dumps(x.ravel().tolist()))"))
  }

  // MARK: - Pieces

  @Test(.tags(.python)) func abParamsMatchUmapLearn() throws {
    let cases: [(Double, Double)] = [(1.0, 0.1), (1.0, 0.0), (1.0, 0.5), (2.0, 0.3), (0.5, 0.05)]
    let out = try PythonReference.run(
      """
      import json
      from umap.umap_ import find_ab_params
      print(json.dumps([list(map(float, find_ab_params(s, m))) for s, m in \(cases.map { [$0.0, $0.1] })]))
      """)
    let ref: [[Double]] = try json(out)
    for (c, r) in zip(cases, ref) {
      let (a, b) = UMAP.findABParams(spread: c.0, minDist: c.1)
      #expect(abs(a - r[0]) < 1e-4 * r[0] && abs(b - r[1]) < 1e-4 * r[1], "spread \(c.0) min_dist \(c.1): ours \(a), \(b); umap-learn \(r)")
    }
  }

  @Test func fastPowMatchesPow() {
    var worst: Float = 0
    var rng = SplitMix64(seed: 5)
    for _ in 0..<20_000 {
      let x = Float(Foundation.exp(Double(-30 + 60 * rng.uniform())))  // 1e-13 ... 1e13
      let y = Float(-1 + 2 * rng.uniform())
      let exact = Foundation.pow(Double(x), Double(y))
      worst = max(worst, Float(abs(Double(UMAP.fastPow(x, y)) - exact) / exact))
    }
    #expect(worst < 5e-6, "largest relative error \(worst)")
    #expect(UMAP.fastPow(0, 0.9) > 0 && UMAP.fastPow(1, 0.9) == 1)
  }

  /// The epochs compute fastPow four lanes at a time and rely on it having the scalar's bits
  /// (so the embedding is the same as one point after another).
  @Test func vectorFastPowHasTheScalarBits() {
    var rng = SplitMix64(seed: 6)
    var xs: [Float] = [0, 1e-31, 1e-30, 1, 2, 4, 0.5, 0.25, 1.414_213_6, 1.414_213_7, 1e30]
    for _ in 0..<20_000 { xs.append(Float(Foundation.exp(Double(-80 + 160 * rng.uniform())))) }
    for y: Float in [0.5, 0.79, 0.9, 1, 1.5, -0.5, Float(2 * rng.uniform())] {
      for start in stride(from: 0, to: xs.count - 3, by: 4) {
        let v = SIMD4(xs[start], xs[start + 1], xs[start + 2], xs[start + 3])
        let lanes = UMAP.fastPow(v, y)
        for l in 0..<4 {
          #expect(lanes[l].bitPattern == UMAP.fastPow(v[l], y).bitPattern, "x \(v[l]), y \(y)")
        }
      }
    }
  }

  @Test(.tags(.python)) func exactNeighboursMatchScikitLearn() throws {
    let rows = 700, cols = 37, k = 12
    let x = try data(rows: rows, cols: cols, seed: 5)
    let ours = NearestNeighbours.exact(x, rows: rows, cols: cols, k: k, includeSelf: true, threads: 2)
    let out = try PythonReference.run(
      Self.clusters(rows: rows, cols: cols, seed: 5) + """

        from sklearn.neighbors import NearestNeighbors
        d, i = NearestNeighbors(n_neighbors=\(k)).fit(x).kneighbors(x)
        print(json.dumps({"d": d.ravel().tolist(), "i": i.ravel().tolist()}))
        """)
    let ref: [String: [Double]] = try json(out)
    let refD = try #require(ref["d"]), refI = try #require(ref["i"])
    var mismatched = 0
    for r in 0..<rows {
      #expect(ours.indices[r * k] == Int32(r) && ours.distances[r * k] == 0)
      for t in 0..<k {
        let d = Double(ours.distances[r * k + t])
        #expect(abs(d - refD[r * k + t]) <= 1e-4 * max(1, refD[r * k + t]), "row \(r) neighbour \(t)")
        if Double(ours.indices[r * k + t]) != refI[r * k + t] { mismatched += 1 }
      }
    }
    // Index differences only where two distances tie to float precision.
    #expect(mismatched <= rows * k / 500, "\(mismatched) neighbour indices differ")
  }

  @Test(.tags(.python)) func fuzzySimplicialSetMatchesUmapLearn() throws {
    let rows = 400, cols = 20, k = 15
    let x = try data(rows: rows, cols: cols, seed: 9)
    let knn = NearestNeighbours.exact(x, rows: rows, cols: cols, k: k, includeSelf: true)
    let graph = UMAP.fuzzySimplicialSet(knn)
    let payload = try JSONSerialization.data(withJSONObject: [
      "i": knn.indices.map(Int.init), "d": knn.distances.map(Double.init),
    ])
    let out = try PythonReference.run(
      """
      import json, sys, numpy as np
      from umap.umap_ import fuzzy_simplicial_set
      p = json.load(sys.stdin)
      i = np.array(p["i"], dtype=np.int32).reshape(\(rows), \(k)); d = np.array(p["d"], dtype=np.float32).reshape(\(rows), \(k))
      g, _, _ = fuzzy_simplicial_set(np.zeros((\(rows), 1)), \(k), 42, "euclidean", knn_indices=i, knn_dists=d)
      g = g.tocsr(); g.sort_indices()
      print(json.dumps({"start": g.indptr.tolist(), "col": g.indices.tolist(), "val": g.data.tolist()}))
      """, stdin: String(decoding: payload, as: UTF8.self))
    let ref: [String: [Double]] = try json(out)
    let start = try #require(ref["start"]).map { Int($0) }
    let col = try #require(ref["col"]), val = try #require(ref["val"])
    #expect(graph.start == start)
    #expect(graph.column.map(Double.init) == col)
    let worst = zip(graph.value, val).map { abs($0 - $1) }.max() ?? 1
    #expect(worst < 1e-5, "largest membership difference \(worst)")  // umap-learn works in float32
  }

  // MARK: - The embedding

  /// Trustworthiness of ours and umap-learn's 3D embedding of the same 1,000 x 60 clusters
  /// (5 neighbours, scikit-learn's `trustworthiness`): ours must be within 0.02.
  @Test(.tags(.python, .slow)) func trustworthinessMatchesUmapLearn() throws {
    let rows = 1000, cols = 60
    let x = try data(rows: rows, cols: cols)
    let start = Date()
    let y = try UMAP.embed(x, rows: rows, cols: cols)
    let seconds = Date().timeIntervalSince(start)
    let finite = y.allSatisfy { $0.isFinite }
    #expect(y.count == rows * 3 && finite)
    let out = try PythonReference.run(
      Self.clusters(rows: rows, cols: cols) + """

        import umap
        from sklearn.manifold import trustworthiness
        ours = np.array(json.load(sys.stdin)).reshape(-1, 3)
        ref = umap.UMAP(n_components=3, random_state=42).fit_transform(x)
        print(json.dumps({"ours": trustworthiness(x, ours, n_neighbors=5), "umap": trustworthiness(x, ref, n_neighbors=5),
                          "ours15": trustworthiness(x, ours, n_neighbors=15), "umap15": trustworthiness(x, ref, n_neighbors=15)}))
        """, stdin: String(decoding: try JSONSerialization.data(withJSONObject: y), as: UTF8.self))
    let t: [String: Double] = try json(out)
    let ours = try #require(t["ours"]), theirs = try #require(t["umap"])
    print("UMAP 1000 x 60 (debug build): \(seconds) s; trustworthiness (5) ours \(ours), umap-learn \(theirs); (15) ours \(t["ours15"] ?? 0), umap-learn \(t["umap15"] ?? 0)")
    #expect(ours >= theirs - 0.02)
    #expect(try #require(t["ours15"]) >= (try #require(t["umap15"])) - 0.02)
  }

  @Test(.tags(.python)) func seededAndIndependentOfThreadCount() throws {
    let rows = 300, cols = 16
    let x = try data(rows: rows, cols: cols, seed: 11)
    var options = UMAPOptions()
    options.epochs = 120
    options.threads = 1
    let one = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    options.threads = 2
    let two = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    options.threads = 7
    let seven = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    #expect(one == two && one == seven)
    options.seed = 43
    let other = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    #expect(other != one)
  }

  @Test func disconnectedComponentsAndGivenInit() throws {
    // Three far-apart blobs: the kNN graph has three components (multi-component layout).
    var rng = SplitMix64(seed: 1)
    let rows = 90, cols = 5
    var x = [Double](repeating: 0, count: rows * cols)
    for r in 0..<rows { for c in 0..<cols { x[r * cols + c] = Double(r / 30) * 1000 + rng.normal() } }
    let knn = NearestNeighbours.exact(x, rows: rows, cols: cols, k: 10, includeSelf: true)
    #expect(UMAP.connectedComponents(UMAP.fuzzySimplicialSet(knn)).count == 3)
    var options = UMAPOptions()
    options.neighbours = 10
    options.epochs = 100
    let y = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    let finite = y.allSatisfy { $0.isFinite }
    #expect(finite)
    // Each blob stays together: its points are closer to their own centroid than to the others'.
    func centroid(_ b: Int) -> [Double] {
      (0..<3).map { d in (b * 30..<(b + 1) * 30).reduce(0.0) { $0 + y[$1 * 3 + d] } / 30 }
    }
    let cs = (0..<3).map(centroid)
    for r in 0..<rows {
      let dist = cs.map { c in zip(c, y[(r * 3)..<(r * 3 + 3)]).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
      #expect(dist.indices.min { dist[$0] < dist[$1] } == r / 30, "point \(r)")
    }
    // A given layout keeps its orientation: starting from the result, the next run is not
    // flipped or turned against it (the best orthogonal map between them is near the identity).
    options.initialization = .given(y)
    options.epochs = 30
    let again = try UMAP.embed(x, rows: rows, cols: cols, options: options)
    func centred(_ v: [Double]) -> [Double] {
      let m = (0..<3).map { d in (0..<rows).reduce(0.0) { $0 + v[$1 * 3 + d] } / Double(rows) }
      return v.enumerated().map { $0.element - m[$0.offset % 3] }
    }
    let rotation = try Procrustes.orthogonal(centred(again), centred(y), rows: rows, cols: 3).rotation
    let trace = rotation[0] + rotation[4] + rotation[8]
    #expect(trace > 2.7, "rotation between the runs \(rotation)")
  }

  @Test func errors() throws {
    let x = (0..<40).map { Double($0) }
    #expect(throws: EmbeddingError.self) { try UMAP.embed(x, rows: 4, cols: 10) }  // too few rows
    var o = UMAPOptions()
    o.dimensions = 4
    #expect(throws: EmbeddingError.self) { try UMAP.embed(x, rows: 10, cols: 4, options: o) }
    o = UMAPOptions()
    o.initialization = .given([1, 2, 3])
    #expect(throws: EmbeddingError.self) { try UMAP.embed(x, rows: 10, cols: 4, options: o) }
    var bad = x
    bad[7] = .infinity
    #expect(throws: EmbeddingError.self) { try UMAP.embed(bad, rows: 10, cols: 4) }
  }

  // MARK: - Procrustes and subsampling

  @Test(.tags(.python)) func procrustesMatchesScipy() throws {
    for (rows, cols, seed) in [(50, 3, 1), (20, 2, 2), (30, 5, 3), (10, 3, 4)] {
      let out = try PythonReference.run(
        """
        import json, numpy as np
        from scipy.linalg import orthogonal_procrustes
        rng = np.random.default_rng(\(seed))
        a = rng.standard_normal((\(rows), \(cols)))
        q = np.linalg.qr(rng.standard_normal((\(cols), \(cols))))[0]
        b = a @ q + 0.05 * rng.standard_normal((\(rows), \(cols)))
        r, s = orthogonal_procrustes(a, b)
        print(json.dumps({"a": a.ravel().tolist(), "b": b.ravel().tolist(), "r": r.ravel().tolist(), "s": float(s)}))
        """)
      let ref: [String: Any] = try json(out)
      let a = try #require(ref["a"] as? [Double]), b = try #require(ref["b"] as? [Double])
      let r = try #require(ref["r"] as? [Double]), s = try #require(ref["s"] as? Double)
      let ours = try Procrustes.orthogonal(a, b, rows: rows, cols: cols)
      let err = zip(ours.rotation, r).map { abs($0 - $1) }.max()!
      #expect(err < 1e-10, "\(rows) x \(cols): rotation differs by \(err)")
      #expect(abs(ours.scale - s) < 1e-10 * s)
    }
    // A reflected copy is aligned back exactly (PCA sign flips between snapshots).
    let y: [Double] = [0, 0, 1, 0, 0, 2, 3, 1, 1, -1, 2, 0.5]
    var flipped: [Double] = []
    for r in 0..<4 {
      let a: Double = -y[r * 3] + 7
      flipped += [a, y[r * 3 + 2], y[r * 3 + 1]]
    }
    let back = try Procrustes.align(flipped, to: y, rows: 4, cols: 3)
    let worst = zip(back, y).map { abs($0 - $1) }.max() ?? 1
    #expect(worst < 1e-12)
  }

  @Test func stratifiedSubsampleKeepsProportions() throws {
    var rng = SplitMix64(seed: 7)
    let sizes = [1000, 333, 77, 5, 1, 250]
    var classes: [String] = []
    for (c, n) in sizes.enumerated() { classes += Array(repeating: "class \(c)", count: n) }
    // Shuffle so classes interleave.
    for i in stride(from: classes.count - 1, to: 0, by: -1) { classes.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    let total = classes.count
    for keep in [1, 2, 10, 100, 500, 999, total - 1] {
      let chosen = Subsample.stratified(count: total, keep: keep, classes: classes, seed: 42)
      #expect(chosen.count == keep && chosen == chosen.sorted() && Set(chosen).count == keep)
      for (c, n) in sizes.enumerated() {
        let got = chosen.filter { classes[$0] == "class \(c)" }.count
        let exact = Double(keep) * Double(n) / Double(total)
        #expect(abs(Double(got) - exact) < 1, "keep \(keep), class \(c): \(got) for a share of \(exact)")
      }
      #expect(Subsample.stratified(count: total, keep: keep, classes: classes, seed: 42) == chosen)
    }
    #expect(Subsample.stratified(count: total, keep: 100, classes: classes, seed: 1)
      != Subsample.stratified(count: total, keep: 100, classes: classes, seed: 2))
    #expect(Subsample.stratified(count: 10, keep: 20) == Array(0..<10))
    #expect(Subsample.stratified(count: 10, keep: 4).count == 4)
  }

  @Test func dataParallelMapKeepsBlockOrder() {
    for threads in [1, 2, 5] {
      let sums = DataParallel.map(1003, blockSize: 100, threads: threads) { r in r.reduce(0, +) }
      #expect(sums.count == 11 && sums.reduce(0, +) == 1002 * 1003 / 2 && sums[0] == 4950)
    }
  }
}
